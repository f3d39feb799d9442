"""The one renderer of both pages (SPEC section 9): a `Page` as an A4 portrait PDF, in Bahasa
Indonesia, times as the office writes them (`27 November 2026, 09:12 WITA`).

    render(page, target)

What is on it, top to bottom: a header on every page (the office, `PRATINJAU BERITA` or
`LEMBAR ARSIP`); on a Lembar Arsip the archive box (`Nomor Arsip`, `Lokasi Arsip`,
`Waktu Tayang`, the address and its QR code, lines for the Kasi's paraf and date); the agenda
box (`No. Agenda`, `Petugas Penerima`, `Versi …`, each approval column with its official and
state: `Dicentang <when>` or `Menunggu`); then the post as readers see it: title, date line,
`Jenis Berita`, `Sumber Berita`, the lead photo with `Keterangan Foto`, the text, the other
photos as thumbnails, each video's first frame and length, the YouTube links; a footer on
every page (when it was made, the version, `Halaman 1 dari 2`).

- Every text from the row is drawn as plain text, never read as markup; control characters
  are removed (`automation.html_safety.page_text`). The body is the sanitised HTML the
  website gets, walked with lxml: paragraphs, headings, lists, quotes, tables, bold, italic,
  underline, links. Should the rich layout ever fail, the page is made again with the body
  as plain paragraphs rather than not at all.
- Photos go through the website's own pipeline (`automation.publishers.photos.write_photo`:
  upright, HEIC as JPEG, no location or owner), in a temporary folder, sized for the page:
  a JPEG is first decoded at a reduced scale (libjpeg's DCT scaling, the fast part) with its
  metadata kept as it is, so the pipeline turns and cleans a small copy instead of 12 MP. A
  photo that cannot be read shows `Foto tidak dapat dibaca` in its place; the page is made.
- The file is written aside in the target's folder, flushed to disk and renamed over the
  target: whatever instant the process dies at, `target` is the old file or the whole new
  one, never a part of one.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import segno
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from lxml import html as lxml_html
from PIL import Image, ImageOps

from automation.core import youtube
from automation.core.calendar import format_datetime
from automation.folders import sweep_aside, write_atomic
from automation.html_safety import page_body, page_text
from automation.media.videos import duration_text
from automation.ports import MediaFile
from automation.pratinjau.page import (
    ARSIP, Approval, Page, approval_state, kind_title,
)
from automation.publishers.photos import write_photo

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf",
               "I": "DejaVuSans-Oblique.ttf", "BI": "DejaVuSans-BoldOblique.ttf"}

# Sizes in pixels of what is embedded: enough for print and a phone's zoom, small files.
LEAD_SIDE, THUMB_SIDE = 1600, 640
JPEG_QUALITY = 85
UNREADABLE = "Foto tidak dapat dibaca"

# Page geometry (mm): A4 portrait.
MARGIN, TOP, BOTTOM = 16.0, 24.0, 18.0
THUMB_COLUMNS, GAP = 4, 4.0
QR_SIDE = 38.0
LEAD_MAX_HEIGHT = 100.0

# Colours
INK = (33, 37, 41)
MUTED = (96, 104, 112)
RULE = (206, 212, 218)
PANEL = (244, 246, 248)
LINK = (20, 82, 160)
BADGE = {"pratinjau": (31, 58, 95), ARSIP: (30, 107, 58)}
TICKED, WAITING = (30, 107, 58), (176, 96, 0)

_LEFTOVER_AGE = 3600.0      # seconds: an aside file this old was left by a killed run
# Where the footer's page count goes: made of control characters, which no text from a row
# keeps (fpdf2's default `{nb}` would turn a `{nb}` typed in a title into a number).
PAGE_COUNT = "\x07nb\x07"
BOX_TEXT = 300              # characters: a value in a box longer than this is cut, with "…"


def render(page: Page, target: Path) -> None:
    """Write `page` as a PDF at `target`, atomically (see the module's notes)."""
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="pratinjau-") as scratch:
        pictures = _Pictures.prepare(page, Path(scratch))
        try:
            data = _Document(page, pictures, rich=True).build()
        except Exception:   # the rich body layout: never the reason there is no page
            log.exception("the body of %s could not be laid out as formatted text; made "
                          "again as plain paragraphs", page.agenda_number)
            data = _Document(page, pictures, rich=False).build()
    sweep_aside(target, _LEFTOVER_AGE)
    write_atomic(target, data)


# -- text ------------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def plain(text: object) -> str:
    """A row's text as the page prints it: control characters removed, a tab a space."""
    return page_text("" if text is None else str(text)).replace("\t", " ")


def one_line(text: object, limit: int = 0) -> str:
    """`plain`, and on one line: runs of white space are one space; cut at `limit`
    characters (with "…") when one is given."""
    text = _SPACES.sub(" ", plain(text)).strip()
    return text[:limit - 1].rstrip() + "…" if limit and len(text) > limit else text


# -- photos ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    data: bytes                 # JPEG
    width: int
    height: int


class _Pictures:
    """Every image of the page, prepared before layout: photos through the website's photo
    pipeline, video posters, the QR code. None where a photo cannot be read."""

    def __init__(self, photos: list[Picture | None], posters: list[Picture | None],
                 qr: bytes | None):
        self.photos, self.posters, self.qr = photos, posters, qr

    @classmethod
    def prepare(cls, page: Page, folder: Path) -> "_Pictures":
        photos = [published_picture(photo, folder, index, LEAD_SIDE if index == 0 else THUMB_SIDE)
                  for index, photo in enumerate(page.photos)]
        posters = [_poster(video) for video in page.videos]
        qr = qr_png(page.archive.url) if page.archive is not None else None
        return cls(photos, posters, qr)


def published_picture(photo: MediaFile, folder: Path, index: int, side: int) -> Picture | None:
    """The photo as the website publishes it (`write_photo`), at most `side` px on its longer
    side, as JPEG; None (and a warning in the log) when it cannot be read."""
    try:
        source = photo.path
        if photo.mime == "image/jpeg":
            source = _reduced_jpeg(photo.path, folder / f"{index}-reduced.jpg", side)
        published = folder / f"{index}-published{Path(photo.name).suffix or '.img'}"
        write_photo(source, photo.mime, published)
        return _embeddable(published, side)
    except Exception as err:        # a damaged or vanished photo must not cost the page
        log.warning("photo %s cannot be shown on the page: %s", photo.name, err)
        return None


def _reduced_jpeg(path: Path, target: Path, side: int) -> Path:
    """A JPEG decoded at the smallest DCT scale that still gives `side` px, saved with its
    EXIF (orientation, location: for the pipeline to apply and remove) and colour profile as
    they were; the photo itself when it is small already."""
    with Image.open(path) as image:
        if image.format != "JPEG" or max(image.size) <= side * 1.5:
            return path
        exif, icc = image.info.get("exif"), image.info.get("icc_profile")
        # Decoded at 1/2, 1/4 or 1/8 of its size, the smallest still at least `side` px
        # (Image.thumbnail alone would ask for `side` on the shorter side too).
        image.draft(None, _fitting(image.size, side))
        image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=None)
        options = {"quality": 92}
        if exif:
            options["exif"] = exif
        if icc:
            options["icc_profile"] = icc
        image.save(target, "JPEG", **options)
    return target


def _embeddable(path: Path, side: int) -> Picture:
    """`path` (a published photo or a poster) as a JPEG of at most `side` px; a JPEG that is
    small enough already is embedded byte for byte."""
    with Image.open(path) as image:
        if (image.format == "JPEG" and image.mode in ("RGB", "L") and max(image.size) <= side
                and not _turned(image)):
            return Picture(path.read_bytes(), *image.size)
        # A CMYK (or other) profile does not describe the RGB the photo becomes.
        icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA", "L", "LA", "P", "PA") \
            else None
        if getattr(image, "is_animated", False):
            image.seek(0)
        image.draft(None, _fitting(image.size, side))
        upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P"
                                                 and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    elif upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    upright.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=JPEG_QUALITY, **({"icc_profile": icc} if icc else {}))
    return Picture(out.getvalue(), *upright.size)


def _turned(image: Image.Image) -> bool:
    return image.getexif().get(0x0112, 1) not in (1, None)


def _fitting(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


def _poster(video: MediaFile) -> Picture | None:
    if video.poster is None:
        return None
    try:
        return _embeddable(Path(video.poster), THUMB_SIDE)
    except Exception as err:
        log.warning("poster of video %s cannot be shown on the page: %s", video.name, err)
        return None


def qr_png(url: str) -> bytes:
    """The address as a QR code (error correction M), a PNG with its quiet zone."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


# -- the document ----------------------------------------------------------------------------


class _Document(FPDF):
    def __init__(self, page: Page, pictures: _Pictures, rich: bool):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.alias_nb_pages(PAGE_COUNT)
        self.info_page, self.pictures, self.rich = page, pictures, rich
        for style, name in _FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONTS / name))
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_lang("id")
        self.set_title(one_line(page.title))
        self.set_author(one_line(page.office))
        self.set_subject(f"{kind_title(page.kind).title()} {one_line(page.agenda_number)}")
        self.set_creator("Buku Agenda → Website")
        self.set_creation_date(page.made_at)

    # fpdf2 calls these for every page
    def header(self) -> None:
        page = self.info_page
        label = kind_title(page.kind)
        self.set_font(FAMILY, "B", 10)
        badge = self.get_string_width(label) + 8
        self.set_text_color(*INK)
        self.set_font(FAMILY, "B", 10.5)
        self.set_xy(MARGIN, 8.5)
        self.multi_cell(self.epw - badge - 4, 4.6, one_line(page.office) or " ", align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT, max_line_height=4.6)
        line = max(self.get_y(), 16.5) + 1.5
        self.set_font(FAMILY, "B", 10)
        self.set_fill_color(*BADGE.get(page.kind, BADGE["pratinjau"]))
        self.set_text_color(255, 255, 255)
        self.set_xy(self.w - MARGIN - badge, 8.5)
        self.cell(badge, 8, label, align="C", fill=True)
        self.set_text_color(*INK)
        self.line(MARGIN, line, self.w - MARGIN, line)
        self.set_y(max(line + 4, TOP))

    @contextmanager
    def _muted(self) -> Iterator[None]:
        """Text in the muted grey (labels, notes, captions); the ink comes back after."""
        self.set_text_color(*MUTED)
        try:
            yield
        finally:
            self.set_text_color(*INK)

    def footer(self) -> None:
        page = self.info_page
        self.set_y(-13)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.set_y(-11.5)
        self.set_font(FAMILY, "", 7.5)
        with self._muted():
            made = f"Dibuat {format_datetime(page.made_at)} · No. Agenda " \
                   f"{one_line(page.agenda_number)} · Versi {page.version}"
            self.cell(self.epw * 0.75, 5, made, align="L")
            self.cell(self.epw * 0.25, 5, f"Halaman {self.page_no()} dari {PAGE_COUNT}", align="R")

    def build(self) -> bytes:
        page = self.info_page
        self.add_page()
        self._intro()
        if page.archive is not None:
            self._archive_box()
        self._agenda_box()
        self._post()
        return bytes(self.output())

    # -- boxes -------------------------------------------------------------------------------

    def _intro(self) -> None:
        page = self.info_page
        if page.archive is not None:
            text = ("Berita ini telah tayang. Cetak lembar ini, beri paraf, simpan di lemari "
                    "arsip, lalu centang Arsip Fisik di Buku Agenda.")
        else:
            text = ("Beginilah berita ini akan tayang di website. Periksa isinya sebelum "
                    "mencentang paraf; paraf berlaku untuk versi yang tertera.")
        self.set_font(FAMILY, "I", 8.5)
        with self._muted():
            self.multi_cell(0, 4.2, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def _archive_box(self) -> None:
        archive = self.info_page.archive
        assert archive is not None
        url = one_line(archive.url)
        top = self.get_y()
        text_w = self.epw - QR_SIDE - 10
        self.set_y(top + 3)
        for label, value in (("Nomor Arsip", one_line(archive.number, BOX_TEXT)),
                             ("Lokasi Arsip", one_line(archive.location, BOX_TEXT)),
                             ("Waktu Tayang", format_datetime(archive.published_at,
                                                              weekday=True))):
            self._field(MARGIN + 3, text_w, label, value)
        # Lines for the Kasi (SOP step 5): initials and date, by hand.
        y = max(self.get_y() + 10, top + QR_SIDE - 6)
        self.set_font(FAMILY, "B", 9)
        for x, label, width in ((MARGIN + 3, "Paraf Kasi", 40), (MARGIN + 73, "Tanggal", 40)):
            self.set_xy(x, y - 4.5)
            self.cell(self.get_string_width(label) + 2, 5, label)
            start = self.get_x() + 1
            self.set_draw_color(*MUTED)
            self.set_dash_pattern(dash=0.8, gap=0.8)
            self.line(start, y, start + width, y)
            self.set_dash_pattern()
            self.set_draw_color(*RULE)
        if self.pictures.qr is not None:
            qr_x = self.w - MARGIN - QR_SIDE - 3
            self.image(io.BytesIO(self.pictures.qr), x=qr_x, y=top + 2, w=QR_SIDE, h=QR_SIDE,
                       link=url, alt_text="Kode QR alamat berita")
            self.set_font(FAMILY, "", 7)
            with self._muted():
                self.set_xy(qr_x, top + 2 + QR_SIDE - 1)
                self.cell(QR_SIDE, 3.5, "Pindai untuk membuka berita", align="C")
        # The address across the whole box, on one line where it fits (so it can be copied
        # and read back whole), smaller when it must be.
        self.set_y(max(y + 3, top + QR_SIDE + 5))
        self._field(MARGIN + 3, self.epw - 6, "Alamat Berita", url or "–", link=url or None,
                    fit=True)
        bottom = self.get_y() + 2
        self.set_draw_color(*BADGE[ARSIP])
        self.set_line_width(0.4)
        self.rect(MARGIN, top, self.epw, bottom - top, round_corners=True, corner_radius=2)
        self.set_line_width(0.2)
        self.set_draw_color(*RULE)
        self.set_y(bottom + 4)

    def _field(self, x: float, width: float, label: str, value: str,
               link: str | None = None, fit: bool = False) -> None:
        label_w = 30
        self.set_x(x)
        y = self.get_y()
        self.set_font(FAMILY, "B", 8.5)
        self.set_text_color(*MUTED)
        self.cell(label_w, 5.2, label)
        self.set_text_color(*(LINK if link else INK))
        size = 9.5
        self.set_font(FAMILY, "", size)
        while fit and size > 6.5 and self.get_string_width(value) > width - label_w - 2:
            size -= 0.5
            self.set_font(FAMILY, "", size)
        self.set_xy(x + label_w, y)
        self.multi_cell(width - label_w, 5.2, value or "–", link=link or "",
                        align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def _agenda_box(self) -> None:
        page = self.info_page
        top = self.get_y()
        self.set_y(top + 1.5)
        self.set_fill_color(255, 255, 255)
        label = FontFace(family=FAMILY, emphasis="BOLD", size_pt=8, color=MUTED)
        # No. Agenda, Petugas Penerima, and the version the page shows (what a paraf binds).
        self.set_font(FAMILY, "B", 10.5)
        with self.table(
            col_widths=(52, 78, 44), width=self.epw - 6, align="CENTER",
            first_row_as_headings=False, line_height=5.2, padding=(0.6, 1.5),
            borders_layout="NONE", text_align="LEFT", v_align="M",
        ) as table:
            head = table.row()
            head.cell("No. Agenda", style=label)
            head.cell("Petugas Penerima", style=label)
            head.cell(f"Versi {page.version}", rowspan=2, align="R",
                      style=FontFace(family=FAMILY, emphasis="BOLD", size_pt=11.5))
            values = table.row()
            values.cell(one_line(page.agenda_number, BOX_TEXT) or "–")
            values.cell(one_line(page.receiver, BOX_TEXT) or "–")
        self.ln(1.5)
        # The paraf record: each approval column, its official, its state.
        self.set_font(FAMILY, "", 9)
        with self.table(
            col_widths=(28, 62, 84), width=self.epw - 6, align="CENTER",
            first_row_as_headings=True, line_height=5.2, padding=(1.2, 1.5),
            headings_style=FontFace(family=FAMILY, emphasis="BOLD", size_pt=8, color=MUTED,
                                    fill_color=PANEL),
            borders_layout="HORIZONTAL_LINES", text_align="LEFT", v_align="M",
        ) as table:
            head = table.row()
            for text in ("Kolom Paraf", "Pejabat",
                         "Keadaan (waktu dicentang pertama kali)"
                         if page.archive is not None else "Keadaan"):
                head.cell(text)
            for approval in page.approvals or ():
                row = table.row()
                row.cell(one_line(approval.column, BOX_TEXT) or "–",
                         style=FontFace(family=FAMILY, emphasis="BOLD", size_pt=9))
                official = one_line(approval.official, BOX_TEXT)
                row.cell(official or "(belum diatur)",
                         style=FontFace(family=FAMILY, size_pt=9,
                                        color=INK if official else MUTED))
                row.cell(approval_state(approval), style=_state_style(approval))
            if not page.approvals:
                row = table.row()
                row.cell("–")
                row.cell("–")
                row.cell("Tidak ada kolom paraf")
        bottom = self.get_y() + 2
        self.set_draw_color(*RULE)
        self.rect(MARGIN, top, self.epw, bottom - top, round_corners=True, corner_radius=2)
        self.set_y(bottom + 6)

    # -- the post ----------------------------------------------------------------------------

    def _post(self) -> None:
        page = self.info_page
        self.set_font(FAMILY, "B", 17)
        self.multi_cell(0, 8, plain(page.title).strip() or "(tanpa judul)",
                        align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FAMILY, "", 9)
        with self._muted():
            self.multi_cell(0, 4.8, format_datetime(page.date, weekday=True),
                            align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            meta = (f"Jenis Berita: {one_line(page.news_type) or '–'}   ·   "
                    f"Sumber Berita: {one_line(page.source) or '–'}")
            self.multi_cell(0, 4.8, meta, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)
        if page.photos:
            self._lead_photo()
        self._body()
        if len(page.photos) > 1:
            self._thumbnails()
        if page.videos:
            self._videos()
        if page.embeds:
            self._embeds()

    def _lead_photo(self) -> None:
        page, picture = self.info_page, self.pictures.photos[0]
        caption = plain(page.caption).strip()
        width = self.epw
        if picture is not None:
            height = width * picture.height / picture.width
            if height > LEAD_MAX_HEIGHT:
                height = LEAD_MAX_HEIGHT
                width = height * picture.width / picture.height
        else:
            height = 40.0
        self._room(height + (12 if caption else 4))
        x, y = MARGIN + (self.epw - width) / 2, self.get_y()
        if picture is not None:
            self.image(io.BytesIO(picture.data), x=x, y=y, w=width, h=height,
                       alt_text=one_line(caption) or "Foto utama")
        else:
            self._missing(x, y, width, height, page.photos[0].name)
        self.set_y(y + height + 1.8)
        if caption:
            self.set_font(FAMILY, "I", 8.5)
            with self._muted():
                self.set_x(x)
                self.multi_cell(width, 4.3, caption, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)

    def _missing(self, x: float, y: float, width: float, height: float, name: str) -> None:
        self.set_fill_color(*PANEL)
        self.set_draw_color(*RULE)
        self.rect(x, y, width, height, style="DF")
        self.set_font(FAMILY, "B", 8.5 if width > 60 else 7)
        with self._muted():
            self.set_xy(x + 2, y + height / 2 - 5)
            self.multi_cell(width - 4, 4, f"{UNREADABLE}\n{one_line(name)}", align="C",
                            wrapmode="CHAR", max_line_height=4)

    def _section(self, title: str, room: float) -> None:
        self._room(room + 9)
        self.ln(2)
        self.set_font(FAMILY, "B", 11)
        self.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(MARGIN, self.get_y() + 0.5, self.w - MARGIN, self.get_y() + 0.5)
        self.ln(2.5)

    def _room(self, height: float) -> None:
        """A page break unless `height` mm still fit on this page."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def _thumbnails(self) -> None:
        photos = self.info_page.photos[1:]
        cell_w = (self.epw - GAP * (THUMB_COLUMNS - 1)) / THUMB_COLUMNS
        cell_h = cell_w * 3 / 4
        self._section(f"Foto lainnya ({len(photos)})", cell_h)
        for start in range(0, len(photos), THUMB_COLUMNS):
            self._room(cell_h + GAP)
            y = self.get_y()
            for column, photo in enumerate(photos[start:start + THUMB_COLUMNS]):
                picture = self.pictures.photos[1 + start + column]
                x = MARGIN + column * (cell_w + GAP)
                self._framed(picture, x, y, cell_w, cell_h, photo.name)
            self.set_y(y + cell_h + GAP)

    def _framed(self, picture: Picture | None, x: float, y: float, w: float, h: float,
                name: str, play: bool = False) -> None:
        if picture is None:
            if play:
                self.set_fill_color(200, 204, 208)
                self.rect(x, y, w, h, style="F")
                self.set_font(FAMILY, "", 7)
                with self._muted():
                    self.set_xy(x, y + h - 5)
                    self.cell(w, 4, "Tanpa gambar", align="C")
            else:
                self._missing(x, y, w, h, name)
        else:
            self.set_fill_color(*PANEL)
            self.rect(x, y, w, h, style="F")
            scale = min(w / picture.width, h / picture.height)
            iw, ih = picture.width * scale, picture.height * scale
            self.image(io.BytesIO(picture.data), x=x + (w - iw) / 2, y=y + (h - ih) / 2,
                       w=iw, h=ih, alt_text=one_line(name))
        if play:
            self._play(x + w / 2, y + h / 2, min(w, h) / 5)

    def _play(self, cx: float, cy: float, r: float) -> None:
        with self.local_context(fill_opacity=0.75):
            self.set_fill_color(20, 20, 20)
            self.circle(x=cx, y=cy, radius=r, style="F")
        self.set_fill_color(255, 255, 255)
        self.polygon([(cx - r * 0.35, cy - r * 0.5), (cx - r * 0.35, cy + r * 0.5),
                      (cx + r * 0.55, cy)], style="F")

    def _videos(self) -> None:
        videos = self.info_page.videos
        w = 52.0
        h = w * 9 / 16
        self._section(f"Video ({len(videos)})", h)
        for index, video in enumerate(videos):
            self._room(h + GAP)
            y = self.get_y()
            self._framed(self.pictures.posters[index], MARGIN, y, w, h, video.name, play=True)
            self.set_xy(MARGIN + w + 5, y + 2)
            self.set_font(FAMILY, "B", 10)
            self.multi_cell(self.epw - w - 5, 5, one_line(video.name) or "(tanpa nama)",
                            align="L", new_x=XPos.LEFT, new_y=YPos.NEXT, wrapmode="CHAR")
            self.set_font(FAMILY, "", 9.5)
            with self._muted():
                length = (f"Video {duration_text(video.video.duration)}"
                          if video.video is not None else "Video")
                self.multi_cell(self.epw - w - 5, 5, length, align="L", new_x=XPos.LEFT,
                                new_y=YPos.NEXT)
            self.set_y(max(self.get_y(), y + h) + GAP)

    def _embeds(self) -> None:
        self._section("Video YouTube", 6)
        self.set_font(FAMILY, "", 9.5)
        for video_id in self.info_page.embeds:
            link = youtube.watch_url(one_line(video_id))
            self._room(6)
            self.set_text_color(*LINK)
            self.cell(0, 5.5, link, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.ln(2)

    def _body(self) -> None:
        body = page_body(self.info_page.body_html or "")
        blocks = list(_blocks(body))
        if not blocks:
            return
        if self.rich:
            _BodyWriter(self).write(blocks)
        else:
            self.set_font(FAMILY, "", 10.5)
            for block in blocks:
                text = block.text()
                if text:
                    self.multi_cell(0, 5.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                    self.ln(2.2)
        self.ln(2)


def _state_style(approval: Approval) -> FontFace:
    return FontFace(family=FAMILY, emphasis="BOLD", size_pt=9,
                    color=TICKED if approval.ticked_at is not None else WAITING)


# -- the body: sanitised HTML as blocks of styled runs ----------------------------------------


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    link: str | None = None


@dataclass
class Block:
    kind: str                               # "p", "h2".."h4", "li", "table"
    runs: list[Run]
    depth: int = 0                          # list nesting (1 = a top-level list's item)
    quote: int = 0                          # blockquote nesting
    bullet: str = ""                        # "•", "3."; "" for a list item's later blocks
    rows: list[list[str]] | None = None     # tables: cell texts
    header: bool = False                    # tables: the first row is headings

    def text(self) -> str:
        if self.rows is not None:
            return "\n".join(" | ".join(cell for cell in row) for row in self.rows)
        text = "".join(run.text for run in self.runs).strip()
        return f"{self.bullet} {text}" if self.bullet and text else text


_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
               "table", "div", "pre"}
_DROPPED = {"script", "style", "template"}


def _blocks(body: str) -> Iterator[Block]:
    """The blocks of sanitised body HTML, in order."""
    if not body.strip():
        return iter(())
    try:
        root = lxml_html.fragment_fromstring(body, create_parent="div")
    except Exception:           # lxml refuses nothing page_body gives, but never fail here
        return iter([Block("p", [Run(one_line(re.sub(r"<[^>]*>", " ", body)))])])
    return _Walker().walk(root)


class _Walker:
    def walk(self, root) -> Iterator[Block]:
        self.out: list[Block] = []
        self._container(root, "p", depth=0, quote=0, bullet="")
        return iter([b for b in self.out if b.rows is not None or _has_text(b.runs)])

    def _container(self, element, kind: str, depth: int, quote: int, bullet: str) -> None:
        """Children of a block element: its inline content as paragraphs between its
        block children."""
        pending: list[Run] = []

        def flush() -> None:
            nonlocal bullet
            if _has_text(pending):
                self.out.append(Block(kind, list(pending), depth, quote, bullet))
                bullet = ""
            pending.clear()

        if element.text:
            pending.append(Run(element.text))
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _DROPPED:
                pass
            elif tag in _BLOCK_TAGS:
                flush()
                if bullet and tag in ("p", "div", "pre") and not _has_text(pending):
                    # <li><p>text</p></li>: the paragraph carries the item's bullet
                    self._container(child, "li" if kind == "li" else kind, depth, quote, bullet)
                    bullet = "" if _any_text(child) else bullet
                else:
                    self._block(child, tag, depth, quote)
            elif tag:
                pending.extend(_inline(child, Run("")))
            if child.tail:
                pending.append(Run(child.tail))
        flush()

    def _block(self, element, tag: str, depth: int, quote: int) -> None:
        if tag in ("p", "div", "pre"):
            self._container(element, "p", depth, quote, "")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = {"h1": "h2", "h5": "h4", "h6": "h4"}.get(tag, tag)
            self._container(element, level, depth, quote, "")
        elif tag == "blockquote":
            self._container(element, "p", depth, quote + 1, "")
        elif tag in ("ul", "ol"):
            number = 0
            for item in element:
                item_tag = item.tag if isinstance(item.tag, str) else ""
                if item_tag in _DROPPED or not item_tag:
                    continue
                if item_tag in ("ul", "ol"):        # a list directly in a list
                    self._block(item, item_tag, depth + 1, quote)
                    continue
                number += 1
                mark = f"{number}." if tag == "ol" else ("•" if depth % 2 == 0 else "◦")
                self._container(item, "li", depth + 1, quote, mark)
            # text between items (invalid HTML) as its own paragraph
            loose = "".join(filter(None, [element.text] + [c.tail for c in element]))
            if loose.strip():
                self.out.append(Block("p", [Run(loose)], depth, quote))
        elif tag == "li":                           # an item outside a list
            self._container(element, "li", depth + 1, quote, "•")
        elif tag == "table":
            rows, header = _table(element)
            if rows:
                self.out.append(Block("table", [], depth, quote, rows=rows, header=header))


def _inline(element, style: Run) -> list[Run]:
    """The runs of an inline element (and what it holds), in the style it gives."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _DROPPED:
        return []
    if tag == "br":
        return [Run("\n", style.bold, style.italic, style.underline, style.link)]
    bold = style.bold or tag in ("b", "strong")
    italic = style.italic or tag in ("i", "em")
    underline = style.underline or tag == "u"
    link = style.link
    if tag == "a":
        href = (element.get("href") or "").strip()
        link = href if re.match(r"(?i)^(https?:|mailto:)", href) else link
    here = Run("", bold, italic, underline, link)
    runs = []
    if element.text:
        runs.append(Run(element.text, bold, italic, underline, link))
    for child in element:
        runs.extend(_inline(child, here))
        if child.tail:
            runs.append(Run(child.tail, bold, italic, underline, link))
    return runs


def _table(element) -> tuple[list[list[str]], bool]:
    rows: list[list[str]] = []
    header = False
    for index, row in enumerate(element.iter("tr")):
        cells = [child for child in row if isinstance(child.tag, str) and child.tag in ("td", "th")]
        if index == 0:
            header = bool(cells) and (all(c.tag == "th" for c in cells)
                                      or row.getparent().tag == "thead")
        texts = []
        for cell in cells:
            for br in cell.iter("br"):
                br.tail = "\n" + (br.tail or "")
            lines = [one_line(line) for line in cell.text_content().split("\n")]
            texts.append("\n".join(line for line in lines if line))
        if texts:
            rows.append(texts)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows], header and len(rows) > 1


def _has_text(runs: list[Run]) -> bool:
    return any(run.text.strip() for run in runs)


def _any_text(element) -> bool:
    return bool(element.text_content().strip())


class _BodyWriter:
    """Blocks onto the page with fpdf2's text regions (line wrapping, page breaks)."""

    SIZE = 10.5
    HEADINGS = {"h2": 14.5, "h3": 12.5, "h4": 11.0}
    INDENT = 6.0
    MAX_COLUMNS = 10

    def __init__(self, pdf: _Document):
        self.pdf = pdf

    def write(self, blocks: list[Block]) -> None:
        pdf = self.pdf
        pending: list[Block] = []
        for block in blocks:
            if block.rows is not None:
                self._paragraphs(pending)
                pending = []
                self._table(block)
            else:
                pending.append(block)
        self._paragraphs(pending)
        pdf.set_font(FAMILY, "", self.SIZE)
        pdf.set_text_color(*INK)

    def _paragraphs(self, blocks: list[Block]) -> None:
        if not blocks:
            return
        pdf = self.pdf
        pdf.set_font(FAMILY, "", self.SIZE)
        with pdf.text_columns(text_align="LEFT", line_height=1.45,
                              skip_leading_spaces=True) as columns:
            previous = None
            for block in blocks:
                size = self.HEADINGS.get(block.kind, self.SIZE)
                heading = block.kind in self.HEADINGS
                indent = self.INDENT * (block.depth + block.quote)
                if block.kind == "li":
                    top = 0.8 if previous is not None and previous.kind == "li" else 2.0
                else:
                    top = 4.5 if heading else 2.6
                pdf.set_font(FAMILY, "B" if heading else "", size)
                with columns.paragraph(
                    top_margin=top, bottom_margin=1.2 if heading else 0, indent=indent,
                    bullet_string=block.bullet, bullet_r_margin=1.8,
                    line_height=1.25 if heading else 1.45,
                    text_align=Align.L,
                ) as paragraph:
                    for text in _collapsed(block.runs):
                        run, words = text
                        style = ("B" if run.bold or heading else "") + ("I" if run.italic
                                                                         or block.quote else "")
                        style += "U" if run.underline or run.link else ""
                        pdf.set_font(FAMILY, style, size)
                        colour = LINK if run.link else (MUTED if block.quote else INK)
                        pdf.set_text_color(*colour)
                        paragraph.write(words, link=run.link)
                previous = block
        pdf.set_text_color(*INK)
        pdf.set_font(FAMILY, "", self.SIZE)

    def _table(self, block: Block) -> None:
        pdf = self.pdf
        rows = block.rows or []
        columns = len(rows[0])
        indent = self.INDENT * (block.depth + block.quote)
        pdf.ln(3)
        if columns > self.MAX_COLUMNS:
            self._paragraphs([Block("p", [Run(" | ".join(row) + "\n")], block.depth, block.quote)
                              for row in rows])
            return
        pdf.set_font(FAMILY, "", 9)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_x(MARGIN + indent)
        with pdf.table(
            width=pdf.epw - indent, align="RIGHT" if indent else "CENTER",
            first_row_as_headings=block.header, line_height=4.8, padding=(1.2, 1.6),
            headings_style=FontFace(family=FAMILY, emphasis="BOLD", size_pt=9, fill_color=PANEL),
            borders_layout="ALL", text_align="LEFT", v_align="T",
        ) as table:
            for row in rows:
                cells = table.row()
                for cell in row:
                    cells.cell(cell)
        pdf.ln(3)


def _collapsed(runs: list[Run]) -> Iterator[tuple[Run, str]]:
    """Runs with HTML's white space rule applied (runs of spaces and newlines are one space;
    a <br> is a line break), without control characters."""
    after_space = True
    for run in runs:
        if run.text == "\n":
            yield run, "\n"
            after_space = True
            continue
        text = _SPACES.sub(" ", plain(run.text))
        if after_space:
            text = text.lstrip(" ")
        if not text:
            continue
        after_space = text.endswith(" ")
        yield run, text
