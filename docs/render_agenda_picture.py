"""Render the pictures of the Buku Agenda used in docs/panduan-staf.md.

    make picture                                    # or:
    .venv/bin/python docs/render_agenda_picture.py [--out docs/img] [--keep DIR]

The pictures show what LibreOffice Calc really shows. Start to end (nothing in the repository
is changed except the PNG files):

1. `python main.py demo <tmp>/demo` builds a demo workspace from the template
   (`automation.agenda.template`, the code behind `sheets_templates/`) with sample rows in
   several states and runs one cycle, so the program columns are filled the way the program
   really fills them (No. Agenda, Status, Nomor Arsip, Catatan Sistem...).
2. LibreOffice prints that agenda file itself, untouched, to PDF
   (`soffice --headless --convert-to pdf`), with the template's own page setup: A4 landscape,
   one page wide. It runs with an Indonesian locale (`LC_ALL=id_ID.UTF-8`, as on the office's
   computers: month names such as `Desember`) and a private profile.
3. poppler rasterises the first page (`pdftoppm -png`), the agenda. Pillow only cuts a
   rectangle out of that page and scales it down: the column edges are computed from the
   file's column widths (a print scales every column alike), the table's edges are found in
   the page. Nothing is drawn, painted over or moved. Colours are reduced so the files stay small:
     docs/img/buku-agenda.png        columns No. Agenda … Status
     docs/img/buku-agenda-paraf.png  columns Paraf Kadis … Status (what officials tick)

Needs, besides the project's venv: LibreOffice Calc, poppler and the Carlito font, which has
the metrics of the template's Calibri (Debian/Ubuntu: `apt-get install libreoffice-calc
poppler-utils fonts-crosextra-carlito`; LibreOffice for Windows brings Carlito along). Dates in
the pictures are the day the script runs (the demo uses the current time). The tests do not
run this.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHEET = "Buku Agenda"
DPI = 500                   # the page is one wide row of 22 columns: render fine, then cut
MAX_WIDTH = 2400            # pixels; a wider cut is scaled down to this
LOCALE = "id_ID.UTF-8"      # LibreOffice takes its default locale from the environment
DEFAULT_WIDTH = 8.43        # a column without a width in the file (Excel's default)

# picture name -> (first header, last header): the columns that picture shows.
PICTURES: dict[str, tuple[str, str]] = {
    "buku-agenda": ("No. Agenda", "Status"),
    "buku-agenda-paraf": ("Paraf Kadis", "Status"),
}


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


def printed_columns(agenda: Path) -> list[tuple[str, float]]:
    """(header, width) of every column LibreOffice prints, left to right (hidden ones are not
    printed). Read only: the file is not changed."""
    book = load_workbook(agenda)
    ws = book[SHEET]
    if book.active.title != SHEET:
        sys.exit(f"the demo agenda does not open on {SHEET!r}; the first printed page would "
                 "be another sheet")
    columns = []
    for n, cell in enumerate(ws[1], start=1):
        dim = ws.column_dimensions.get(get_column_letter(n))
        if dim is not None and dim.hidden:
            continue
        width = dim.width if dim is not None and dim.width else DEFAULT_WIDTH
        columns.append((str(cell.value or "").strip(), width))
    return columns


def render_page(agenda: Path, work: Path) -> Image.Image:
    """LibreOffice prints the agenda file to PDF; poppler rasterises page 1."""
    soffice = _tool("soffice", "libreoffice")
    pdftoppm = _tool("pdftoppm")
    profile = (work / "lo-profile").as_uri()    # a private profile: works beside an open LibreOffice
    env = {**os.environ, "LC_ALL": LOCALE, "LANG": LOCALE}
    out = work / "pdf"
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(agenda)],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pdf = out / (agenda.stem + ".pdf")
    if not pdf.exists():
        sys.exit(f"LibreOffice made no PDF of {agenda}")
    raw = work / "page-1"
    subprocess.run([pdftoppm, "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(raw)], check=True)
    return Image.open(raw.with_suffix(".png")).convert("RGB")


def table_box(page: Image.Image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the printed table: the header row is the first non-white
    line and spans the table (every header cell has a fill); the table ends at the first band
    of white as tall as three lines of text."""
    grey = page.convert("L").point(lambda v: 255 if v < 250 else 0)
    width, height = page.size
    rows = [grey.crop((0, y, width, y + 1)).getbbox() for y in range(height)]
    top = next((y for y, box in enumerate(rows) if box), None)
    if top is None:
        sys.exit("LibreOffice printed an empty first page")
    left, right = rows[top][0], rows[top][2]
    gap = DPI // 6                      # about three lines of the scaled-down text
    bottom, white = top, 0
    for y in range(top, height):
        if rows[y]:
            bottom, white = y, 0
        else:
            white += 1
            if white > gap:
                break
    return left, top, right, bottom + 1


def cut(page: Image.Image, columns: list[tuple[str, float]], first: str, last: str) -> Image.Image:
    """The part of the page from the left edge of column `first` to the right edge of `last`."""
    headers = [h for h, _ in columns]
    for header in (first, last):
        if header not in headers:
            sys.exit(f"the printed agenda has no column {header!r}")
    left, top, right, bottom = table_box(page)
    scale = (right - left) / sum(w for _, w in columns)
    edges = [left]
    for _, w in columns:
        edges.append(edges[-1] + w * scale)
    a, b = headers.index(first), headers.index(last) + 1
    pad = DPI // 30
    box = (max(round(edges[a]) - (pad if a == 0 else 0), 0), max(top - pad, 0),
           min(round(edges[b]) + (pad if b == len(columns) else 0), page.width),
           min(bottom + pad, page.height))
    return page.crop(box)


def save(image: Image.Image, png: Path) -> None:
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)),
                             Image.Resampling.LANCZOS)
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
                        help="work in this new or empty folder and keep it (demo, PDF, page)")
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
        columns = printed_columns(agenda)
        page = render_page(agenda, work)
        for name, (first, last) in PICTURES.items():
            save(cut(page, columns, first, last), args.out.resolve() / f"{name}.png")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
