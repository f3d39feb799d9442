"""The renderer of Pratinjau and Lembar Arsip (SPEC section 9), read back: pypdf's text of the
PDFs, the images embedded in them, and the first page rasterised by poppler with its QR code
decoded by zxing-cpp."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from automation.folders import ASIDE
from automation.pratinjau import render as renderer
from automation.pratinjau.page import ARSIP, Approval, approval_state
from automation.pratinjau.render import render
from tests.support import pratinjau as P

ROOT = Path(__file__).resolve().parent.parent
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="pdftoppm (poppler-utils) is not installed")


def words(text: str) -> str:
    """Text with every run of white space one space (lines wrap anywhere)."""
    return re.sub(r"\s+", " ", text).strip()


def texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def text_of(path: Path) -> str:
    return words(" ".join(texts(path)))


def first_page_png(path: Path, folder: Path, dpi: int = 100) -> Image.Image:
    stem = folder / f"{path.stem}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(stem)], check=True, capture_output=True)
    with Image.open(f"{stem}.png") as image:
        return image.convert("RGB")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A Pratinjau and a Lembar Arsip of the realistic page, rendered once for the module."""
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for kind in ("pratinjau", ARSIP):
        page = P.realistic_page(folder / kind, kind=kind)
        target = folder / f"{kind}.pdf"
        render(page, target)
        out[kind] = (page, target)
    return out


def test_a_pratinjau_shows_the_post_and_its_agenda_box(made):
    page, path = made["pratinjau"]
    text = text_of(path)
    assert pypdf.PdfReader(path).pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    assert pypdf.PdfReader(path).pages[0].mediabox.height == pytest.approx(841.89, abs=0.1)
    for expected in (P.OFFICE, "PRATINJAU BERITA", P.TITLE, "Jumat, 27 November 2026, 08:40 WITA",
                     "Jenis Berita: Kegiatan Pimpinan",
                     "Sumber Berita: Biro Administrasi Pimpinan Setda Kaltara", P.CAPTION,
                     *P.PARAGRAPHS, P.HEADING, *P.ITEMS, P.QUOTE,
                     "No. Agenda", P.AGENDA, "Petugas Penerima", P.RECEIVER,
                     "Paraf Kadis", "Dr. H. Ahmad Fauzi, S.Sos., M.Si.",
                     "Dicentang 27 November 2026, 09:12 WITA", "Paraf Kabid", "Ir. Sitti Rahmah",
                     "Menunggu", "Versi 3F9A-21C7",
                     "Foto lainnya (3)", "peresmian-jembatan.mp4", "Video 2 detik",
                     "sambutan-gubernur.mp4", "Video 1 menit 5 detik", "Tanpa gambar",
                     "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                     "Dibuat 27 November 2026, 09:14 WITA", "Halaman 1 dari 2", "Halaman 2 dari 2"):
        assert words(expected) in text, expected
    # Indonesian punctuation survives as the characters themselves
    for mark in "–“”’…":
        assert mark in text, mark
    # Lembar Arsip parts only on the Lembar Arsip
    assert "Nomor Arsip" not in text and "LEMBAR ARSIP" not in text and "Paraf Kasi" not in text
    # The body's link is a link, and so is the YouTube address
    links = {annotation.get_object()["/A"]["/URI"]
             for pdf_page in pypdf.PdfReader(path).pages
             for annotation in pdf_page.get("/Annots", [])}
    assert links == {"https://diskominfo.kaltaraprov.go.id/",
                     "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}


def test_the_font_is_embedded_so_every_system_shows_the_same(made):
    _, path = made["pratinjau"]
    fonts = set()
    for pdf_page in pypdf.PdfReader(path).pages:
        for font in pdf_page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]      # the TrueType itself
            fonts.add(font.get_object()["/BaseFont"].split("+")[-1])
    assert {"DejaVuSansBook", "DejaVuSansBold"} <= fonts  # regular and bold, at least


def test_a_lembar_arsip_adds_the_archive_its_address_and_the_paraf_record(made):
    page, path = made[ARSIP]
    text = text_of(path)
    for expected in ("LEMBAR ARSIP", "Nomor Arsip", P.ARCHIVE_NUMBER, "Lokasi Arsip",
                     P.ARCHIVE_LOCATION, "Waktu Tayang", "Jumat, 27 November 2026, 09:33 WITA",
                     "Alamat Berita", "Paraf Kadis", "Dr. H. Ahmad Fauzi, S.Sos., M.Si.",
                     "Dicentang 27 November 2026, 09:12 WITA", "Paraf Kabid", "Ir. Sitti Rahmah",
                     "Dicentang 27 November 2026, 09:31 WITA", "Paraf Kasi", "Tanggal",
                     P.TITLE, *P.PARAGRAPHS, P.CAPTION, "No. Agenda", P.AGENDA, "Versi 3F9A-21C7"):
        assert words(expected) in text, expected
    assert "Menunggu" not in text
    assert P.URL in text                                # on one line: copied, it is whole
    links = {annotation.get_object()["/A"]["/URI"]
             for annotation in pypdf.PdfReader(path).pages[0].get("/Annots", [])}
    assert P.URL in links


@needs_poppler
def test_the_qr_code_on_the_printed_sheet_opens_the_post(made, tmp_path):
    import zxingcpp
    _, path = made[ARSIP]
    found = zxingcpp.read_barcodes(first_page_png(path, tmp_path, dpi=100))
    assert [(code.format, code.text) for code in found] == [(zxingcpp.BarcodeFormat.QRCode, P.URL)]


def _images(path: Path) -> list[Image.Image]:
    out = []
    for pdf_page in pypdf.PdfReader(path).pages:
        for image in pdf_page.images:
            out.append(Image.open(io.BytesIO(image.data)))
    return out


def test_photos_are_embedded_upright_small_and_without_location(made):
    page, path = made["pratinjau"]
    images = _images(path)
    lead, sideways, heic, other, poster = images      # in page order; one video has no poster
    assert lead.size == (1600, 1200)                   # landscape, as taken
    # Stored 900 x 600 with orientation 6 (a quarter turn): upright it is 2:3, blue on top.
    assert sideways.size == (427, 640)
    for image in (sideways, heic):
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((rgb.width // 2, rgb.height // 10)), \
            rgb.getpixel((rgb.width // 2, rgb.height * 9 // 10))
        assert top[2] > 200 and top[0] < 60, top
        assert bottom[0] > 200 and bottom[2] < 60, bottom
    assert heic.format == "JPEG" and heic.size == (200, 300)
    assert other.size == (640, 480)
    assert poster.size == (320, 180)                   # the video's own frame
    for image in images:
        exif = image.getexif()
        assert 0x8825 not in exif and exif.get(0x0112, 1) == 1
    data = path.read_bytes()
    assert b"Budi Santoso" not in data and b"F2LXK0QJHG7F" not in data


@needs_poppler
def test_the_sideways_photo_looks_upright_on_the_rendered_page(made, tmp_path):
    """The picture people see: page 2's thumbnail row, the second photo blue on top."""
    _, path = made["pratinjau"]
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "2", "-l", "2", "-singlefile",
                    str(path), str(tmp_path / "p2")], check=True)
    with Image.open(tmp_path / "p2.png") as image:
        rgb = image.convert("RGB")
    # A strip down the middle of the second thumbnail column (clear of the video posters).
    left, right = (round(mm * 50 / 25.4) for mm in (70, 95))
    blue, red = [], []
    for y in range(rgb.height):
        for x in range(left, right):
            r, g, b = rgb.getpixel((x, y))
            if b > 200 and r < 60 and g < 60:
                blue.append(y)
            elif r > 200 and g < 60 and b < 60:
                red.append(y)
    assert len(blue) > 50 and len(red) > 100
    assert max(blue) < min(red)                        # blue on top: upright


def test_a_hostile_row_is_printed_as_the_plain_text_it_is(tmp_path):
    page = P.hostile(P.realistic_page(tmp_path, photo_count=1, videos=False))
    target = tmp_path / "hostile.pdf"
    render(page, target)
    raw = " ".join(texts(target))
    text = words(raw)
    # (the title's long "word" may wrap anywhere: compared without the line breaks)
    assert '<script>alert(1)</script>=HYPERLINK("http://evil.example","klik")[31m' in \
        re.sub(r"\s+", "", raw)
    assert "<b>tidak tebal</b> &amp; nol {nb}" in text     # fpdf2's page-count alias too
    assert "Jenis Berita: =1+1" in text and "Sumber Berita: @SUM(A1:A9)" in text
    assert "<img src=x onerror=alert(2)>" in text
    assert "<script>alert(3)</script> teks biasa" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw)
    data = target.read_bytes()
    assert b"/JavaScript" not in data and b"/JS" not in data


def test_a_long_body_flows_onto_a_second_page(tmp_path):
    page = P.long_page(P.realistic_page(tmp_path, photo_count=0, videos=False))
    target = tmp_path / "long.pdf"
    render(page, target)
    pages = texts(target)
    assert len(pages) == 2
    assert "Halaman 1 dari 2" in pages[0] and "Halaman 2 dari 2" in pages[1]
    assert P.OFFICE.split(",")[0] in pages[1]            # the header is on every page
    text = words(" ".join(pages))
    for number in range(1, 15):
        assert f"Paragraf {number}." in text
    assert text.index("Paragraf 1.") < text.index("Paragraf 14.")


def test_a_photo_that_cannot_be_read_is_named_and_the_page_is_made(tmp_path):
    page = P.realistic_page(tmp_path, photo_count=3, videos=False)
    gone, broken = tmp_path / "hilang.jpg", tmp_path / "rusak.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg at all")
    page = P.with_photo(page, replace(page.photos[0], name="hilang.jpg", path=gone), 0)
    page = P.with_photo(page, replace(page.photos[1], name="rusak.jpg", path=broken), 1)
    target = tmp_path / "missing.pdf"
    render(page, target)
    text = text_of(target)
    assert text.count("Foto tidak dapat dibaca") == 2
    assert "hilang.jpg" in text and "rusak.jpg" in text
    assert P.CAPTION in text and P.PARAGRAPHS[0] in text
    assert len(_images(target)) == 1                   # the HEIC still shows


def test_a_page_without_photos_videos_or_officials_still_reads(tmp_path):
    page = P.realistic_page(tmp_path, photo_count=0, videos=False, caption="",
                            approvals=(Approval("Paraf Kadis", "", None),))
    target = tmp_path / "bare.pdf"
    render(page, target)
    text = text_of(target)
    assert "Paraf Kadis (belum diatur) Menunggu" in text and P.PARAGRAPHS[0] in text
    assert "Foto lainnya" not in text and "Video" not in text


def test_approval_states_are_written_the_office_way():
    assert approval_state(Approval("Paraf Kadis", "", None)) == "Menunggu"
    assert approval_state(Approval("Paraf Kadis", "", P.KADIS_TICKED)) == \
        "Dicentang 27 November 2026, 09:12 WITA"


def test_the_body_falls_back_to_plain_paragraphs_rather_than_no_page(tmp_path, monkeypatch):
    page = P.realistic_page(tmp_path, photo_count=0, videos=False)

    def broken(self, blocks):
        raise RuntimeError("layout failed")
    monkeypatch.setattr(renderer._BodyWriter, "write", broken)
    target = tmp_path / "plain.pdf"
    render(page, target)
    text = text_of(target)
    for expected in (*P.PARAGRAPHS, P.HEADING, *P.ITEMS, P.QUOTE, P.TITLE):
        assert words(expected) in text


def _asides(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(ASIDE))


def test_a_render_that_fails_leaves_the_old_file_and_no_part(tmp_path, monkeypatch):
    page = P.realistic_page(tmp_path, photo_count=1, videos=False)
    target = tmp_path / "out" / "0017-2026-v1.pdf"
    target.parent.mkdir()
    render(page, target)
    before = target.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)        # the disk is full when the page is written
    with pytest.raises(OSError):
        render(replace(page, title="Judul Baru"), target)
    assert target.read_bytes() == before and _asides(target.parent) == []
    monkeypatch.undo()
    fresh = tmp_path / "out" / "0017-2026-v2.pdf"

    def no_pdf(self, *args, **kwargs):
        raise RuntimeError("cannot build")
    monkeypatch.setattr(renderer._Document, "output", no_pdf)
    with pytest.raises(RuntimeError):
        render(page, fresh)
    assert not fresh.exists() and _asides(target.parent) == []


# Run as a child: render, with fsync held up (the instant the aside file is complete but not
# yet renamed) until the parent kills it.
KILLED_CHILD = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from automation.pratinjau import render as renderer
from tests.support import pratinjau as P
page = P.realistic_page(Path(sys.argv[2]), photo_count=1, videos=False)
def slow(fd):
    Path(sys.argv[4]).write_text("writing")
    time.sleep(60)
os.fsync = slow               # stopped while the page is being written
renderer.render(page, Path(sys.argv[3]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_killed_render_leaves_no_half_file_and_the_next_one_is_whole(tmp_path):
    target = tmp_path / "out" / "0017-2026-v1.pdf"
    target.parent.mkdir()
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(ROOT), str(tmp_path / "m"),
                              str(target), str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert not target.exists()
    [aside] = _asides(target.parent)                   # the killed run's part, never the target
    render(P.realistic_page(tmp_path / "again", photo_count=1, videos=False), target)
    assert P.TITLE in text_of(target)
    # An aside left by a killed run is cleared once it is old enough not to be another's.
    old = time.time() - 2 * 3600
    os.utime(target.parent / aside, (old, old))
    render(P.realistic_page(tmp_path / "again", photo_count=1, videos=False), target)
    assert _asides(target.parent) == []
