"""Render the pictures of the Buku Agenda used in docs/panduan-staf.md.

    make picture                                    # or:
    .venv/bin/python docs/render_agenda_picture.py [--out docs/img] [--keep DIR]

What it does, start to end (nothing in the repository is changed except the PNG files):

1. `python main.py demo <tmp>/demo` builds a demo workspace from the committed template
   (`sheets_templates/buku_agenda_press_release.xlsx`, through `automation.agenda.template`)
   with sample rows in several states and runs one cycle, so the program columns are filled
   the way the program really fills them (No. Agenda, Status, Nomor Arsip, Catatan Sistem...).
2. Two COPIES of that agenda are prepared with openpyxl for printing: only the worksheet
   `Buku Agenda` is printed, the columns that matter for the picture stay visible (the others
   are hidden in the copy only), A4 landscape, fit to one page wide, grid lines on.
3. LibreOffice converts each copy to PDF (`soffice --headless --convert-to pdf`), poppler
   rasterises the first page (`pdftoppm -png`), Pillow crops the white margin away and
   reduces the colours so the file stays small:
     docs/img/buku-agenda.png        the agenda as staff and officials see it
     docs/img/buku-agenda-paraf.png  zoomed on the columns officials tick and the Status

Needs, besides the project's venv: LibreOffice Calc and poppler
(Debian/Ubuntu: `apt-get install libreoffice-calc poppler-utils`). Dates in the pictures
are the day the script runs (the demo uses the current time). The tests do not run this.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from PIL import Image, ImageChops, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
SHEET = "Buku Agenda"
DPI = 150                   # pdftoppm resolution: text about 12 px high after fit-to-width
LINE_HEIGHT = 13.5          # points per wrapped line when row heights are set in the copy
TICK_FORMAT = '"TRUE";"TRUE";"FALSE"'   # as Excel shows a tick (LibreOffice would show 1 / 0)

# picture name -> {header: width in the copy}; every other column is hidden in that copy.
PICTURES: dict[str, dict[str, float]] = {
    "buku-agenda": {
        "No. Agenda": 11, "Judul Berita": 28, "Jenis Berita": 16, "Paraf Kadis": 8,
        "Paraf Kabid": 8, "Ditolak": 8, "Arsip Fisik": 8, "Status": 19, "Nomor Arsip": 27,
        "Catatan Sistem": 34,
    },
    "buku-agenda-paraf": {
        "No. Agenda": 11, "Judul Berita": 28, "Paraf Kadis": 9, "Paraf Kabid": 9,
        "Ditolak": 9, "Catatan Pimpinan": 22, "Arsip Fisik": 9, "Status": 21,
    },
}
# Pictures where the officials' columns (the template's light-yellow headers) get a red frame.
FRAMED = {"buku-agenda-paraf"}
OFFICIAL_HEADER_RGB = (0xFF, 0xF2, 0xCC)
FRAME_RGB = (0xC0, 0x00, 0x00)


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    sys.exit(f"{names[0]} not found; install it first "
             "(Debian/Ubuntu: apt-get install libreoffice-calc poppler-utils)")


def make_demo(folder: Path) -> Path:
    """Run `main.py demo`; returns the demo's agenda workbook."""
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", str(folder)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    agenda = folder / "buku_agenda.xlsx"
    if not agenda.exists():
        sys.exit(f"the demo did not create {agenda}")
    return agenda


def print_copy(agenda: Path, widths: dict[str, float], out: Path) -> None:
    """A copy of the agenda set up to print `widths`' columns on one landscape page."""
    book = load_workbook(agenda)
    for ws in book.worksheets:
        if ws.title != SHEET:
            ws.sheet_state = "hidden"       # LibreOffice prints no hidden sheet
    ws = book[SHEET]
    book.active = book.worksheets.index(ws)
    headers = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
    missing = set(widths) - set(headers)
    if missing:
        sys.exit(f"the demo agenda has no column {sorted(missing)}")
    for n, header in enumerate(headers, start=1):
        dim = ws.column_dimensions[get_column_letter(n)]
        if header in widths:
            dim.width, dim.hidden = widths[header], False
        else:
            dim.hidden = True
    tick_columns = {n for n, h in enumerate(headers, start=1)
                    if h.startswith("Paraf") or h in ("Ditolak", "Arsip Fisik")}
    for row in ws.iter_rows(min_row=2):
        lines = 1
        for cell in row:
            header = headers[cell.column - 1]
            if cell.column in tick_columns:
                cell.alignment = Alignment(horizontal="center", vertical="top")
                if isinstance(cell.value, bool):
                    cell.number_format = TICK_FORMAT
            elif header in widths and isinstance(cell.value, str):
                # Long text wraps; LibreOffice does not grow the row by itself on import.
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                per_line = max(widths[header] * 1.1, 1)   # ~characters per line
                lines = max(lines, sum(max(1, math.ceil(len(part) / per_line))
                                       for part in cell.value.splitlines() or [""]))
            elif cell.value is not None:
                cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="top")
        ws.row_dimensions[row[0].row].height = lines * LINE_HEIGHT + 3
    ws.freeze_panes = None
    ws.print_area = f"A1:{get_column_letter(len(headers))}{ws.max_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.2, right=0.2, top=0.2, bottom=0.2, header=0, footer=0)
    ws.print_options.gridLines = True
    ws.oddHeader.center.text = ws.oddFooter.center.text = ""
    book.save(out)


def frame_official_columns(image: Image.Image, bottom: int) -> None:
    """Draw a red frame around the columns whose header has the officials' yellow fill."""
    pixels = image.load()
    for y in range(image.height // 3):
        xs = [x for x in range(image.width) if pixels[x, y] == OFFICIAL_HEADER_RGB]
        if len(xs) > 20:
            break
    else:
        return
    top = y
    while top > 0 and pixels[xs[0], top - 1] == OFFICIAL_HEADER_RGB:
        top -= 1
    draw = ImageDraw.Draw(image)
    for inset in range(4):
        draw.rectangle((xs[0] - 3 + inset, top - 3 + inset, xs[-1] + 3 - inset,
                        bottom + 3 - inset), outline=FRAME_RGB)


def to_png(xlsx: Path, png: Path, work: Path, framed: bool = False) -> None:
    soffice = _tool("soffice", "libreoffice")
    pdftoppm = _tool("pdftoppm")
    profile = (work / "lo-profile").as_uri()    # a private profile: works beside an open LibreOffice
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(xlsx)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pdf = work / (xlsx.stem + ".pdf")
    raw = work / xlsx.stem
    subprocess.run([pdftoppm, "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(raw)], check=True)
    image = Image.open(raw.with_suffix(".png")).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    pad = 12
    if box:
        image = image.crop((max(box[0] - pad, 0), max(box[1] - pad, 0),
                            min(box[2] + pad, image.width), min(box[3] + pad, image.height)))
    if framed:
        frame_official_columns(image, bottom=image.height - pad - 1)
    png.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
        .save(png, optimize=True)
    print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: "
          f"{image.width}x{image.height}, {png.stat().st_size // 1024} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img",
                        help="folder for the PNG files (default: docs/img)")
    parser.add_argument("--keep", type=Path,
                        help="work in this new or empty folder and keep it (demo, copies, PDFs)")
    args = parser.parse_args()
    if args.keep:
        work = args.keep.resolve()
        if work.exists() and any(work.iterdir()):
            sys.exit(f"--keep {work}: the folder is not empty; name a new or empty one")
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="agenda-picture-"))
    try:
        agenda = make_demo(work / "demo")
        for name, widths in PICTURES.items():
            copy = work / f"{name}.xlsx"
            print_copy(agenda, widths, copy)
            to_png(copy, args.out.resolve() / f"{name}.png", work, framed=name in FRAMED)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
