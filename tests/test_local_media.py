"""The local media folder: links to checked files, and documents (automation.media.local)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import docx
import pytest
from PIL import Image

from automation.media import files, local
from tests.support.videos import video_bytes
from automation.media.local import LocalFolder
from automation.ports import SourceUnavailable

MP4 = video_bytes("h264")
MOV = video_bytes("hevc")
WEBM = video_bytes("vp9")


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class DictCache:
    """FileFactsCache in a dict, counting what it is asked of files (`data`, `hits`, `puts`);
    the media folder's own mark (`local.HAD_FILES`) is kept apart in `marks`."""

    def __init__(self):
        self.data: dict[str, dict[str, Any]] = {}
        self.marks: dict[str, dict[str, Any]] = {}
        self.hits = 0
        self.puts = 0

    def get(self, key):
        if key.startswith(local.HAD_FILES):
            return self.marks.get(key)
        facts = self.data.get(key)
        self.hits += facts is not None
        return facts

    def put(self, key, facts):
        if key.startswith(local.HAD_FILES):
            self.marks[key] = dict(facts)
            return
        self.puts += 1
        self.data[key] = dict(facts)


@pytest.fixture
def base(tmp_path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


@pytest.fixture
def source(base) -> LocalFolder:
    return LocalFolder(base, max_file_mb=200)


def symlink_or_skip(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available on this platform/account")


# --- collect: good files ----------------------------------------------------------------


def test_collects_photos_and_videos_with_their_facts(base, source):
    files = {
        "foto/rapat.jpg": image_bytes("JPEG"),
        "foto/peta.png": image_bytes("PNG"),
        "foto/spanduk.webp": image_bytes("WEBP"),
        "video/sambutan.mp4": MP4,
        "video/iphone.mov": MOV,
        "video/klip.webm": WEBM,
    }
    for name, data in files.items():
        write(base / name, data)

    check = source.collect(list(files))

    assert check.problems == ()
    assert [(f.name, f.kind, f.mime) for f in check.files] == [
        ("rapat.jpg", "photo", "image/jpeg"),
        ("peta.png", "photo", "image/png"),
        ("spanduk.webp", "photo", "image/webp"),
        ("sambutan.mp4", "video", "video/mp4"),
        ("iphone.mov", "video", "video/quicktime"),
        ("klip.webm", "video", "video/webm"),
    ]
    for media, (name, data) in zip(check.files, files.items()):
        assert media.path == (base / name).resolve()
        assert media.size == len(data)
        assert media.sha256 == hashlib.sha256(data).hexdigest()


def test_type_comes_from_content_not_extension(base, source):
    write(base / "sebenarnya-png.jpg", image_bytes("PNG"))
    (media,) = source.collect(["sebenarnya-png.jpg"]).files
    assert media.mime == "image/png"


def test_absolute_path_and_file_uri_inside_the_folder_are_accepted(base, source):
    photo = write(base / "foto" / "rapat pagi.jpg", image_bytes("JPEG"))
    for link in (str(photo), photo.as_uri(), f'"{photo}"'):
        check = source.collect([link])
        assert check.problems == (), link
        assert [f.path for f in check.files] == [photo.resolve()]


def test_a_good_file_is_kept_beside_a_bad_one(base, source):
    write(base / "a.jpg", image_bytes("JPEG"))
    check = source.collect(["a.jpg", "hilang.jpg"])
    assert [f.name for f in check.files] == ["a.jpg"]
    assert len(check.problems) == 1


# --- collect: folders -------------------------------------------------------------------


def test_folder_lists_photos_and_videos_in_natural_order(base, source):
    folder = base / "2026-11-27 rapat"
    write(folder / "foto10.jpg", image_bytes("JPEG"))
    write(folder / "foto2.JPG", image_bytes("JPEG"))
    write(folder / "Foto1.png", image_bytes("PNG"))
    write(folder / "klip.mp4", MP4)
    write(folder / ".tersembunyi.jpg", image_bytes("JPEG"))
    write(folder / "catatan.txt", b"bukan media")
    write(folder / "Thumbs.db", b"\x00" * 10)
    write(folder / "sub" / "dalam.jpg", image_bytes("JPEG"))  # not directly in the folder
    (folder / "folder.jpg").mkdir()                             # a folder named like a photo

    check = source.collect(["2026-11-27 rapat/"])

    assert check.problems == ()
    assert [f.name for f in check.files] == ["Foto1.png", "foto2.JPG", "foto10.jpg", "klip.mp4"]


def test_problems_in_a_folder_name_the_file_inside_it(base, source):
    folder = base / "kegiatan"
    write(folder / "baik.jpg", image_bytes("JPEG"))
    write(folder / "palsu.jpg", b"MZ" + b"\x00" * 100)
    check = source.collect(["kegiatan"])
    assert [f.name for f in check.files] == ["baik.jpg"]
    assert check.problems == (files.NOT_MEDIA.format("kegiatan/palsu.jpg"),)


def test_empty_folder_is_a_problem(base, source):
    write(base / "kosong" / "catatan.txt", b"hanya catatan")
    check = source.collect(["kosong"])
    assert check.files == ()
    assert check.problems == ("Folder 'kosong' tidak berisi foto atau video. Isi foldernya, "
                              "atau tulis jalur berkasnya langsung.",)


def test_duplicates_are_collected_once(base, source):
    write(base / "foto" / "a.jpg", image_bytes("JPEG"))
    write(base / "foto" / "b.jpg", image_bytes("JPEG"))
    check = source.collect(["foto/a.jpg", "foto/a.jpg", "./foto/a.jpg", "foto", "foto/b.jpg"])
    assert check.problems == ()
    assert [f.name for f in check.files] == ["a.jpg", "b.jpg"]


# --- collect: refused links -------------------------------------------------------------


@pytest.mark.parametrize("link", ["../../etc/passwd", "../luar.jpg", "foto/../../luar.jpg",
                                  "..\\luar.jpg", "Q:\\foto\\luar.jpg"])
def test_paths_outside_the_folder_are_refused(base, source, link):
    write(base.parent / "luar.jpg", image_bytes("JPEG"))
    check = source.collect([link])
    assert check.files == ()
    assert check.problems == (
        f"Berkas media '{link}' berada di luar folder media sehingga tidak boleh dipakai. "
        "Simpan berkasnya di dalam folder media lalu tulis jalurnya, misalnya 'foto/rapat.jpg'.",
    )


def test_absolute_path_and_file_uri_outside_the_folder_are_refused(base, source):
    outside = write(base.parent / "rahasia.jpg", image_bytes("JPEG"))
    for link in (str(outside), outside.as_uri()):
        check = source.collect([link])
        assert check.files == ()
        assert "di luar folder media" in check.problems[0]


def test_symlink_pointing_out_is_refused(base, source):
    outside = write(base.parent / "rahasia.jpg", image_bytes("JPEG"))
    symlink_or_skip(base / "pintasan.jpg", outside)
    write(base / "acara" / "baik.jpg", image_bytes("JPEG"))
    symlink_or_skip(base / "acara" / "bocor.jpg", outside)

    check = source.collect(["pintasan.jpg"])
    assert check.files == ()
    assert "'pintasan.jpg' berada di luar folder media" in check.problems[0]

    check = source.collect(["acara"])
    assert [f.name for f in check.files] == ["baik.jpg"]
    assert len(check.problems) == 1 and "'acara/bocor.jpg' berada di luar" in check.problems[0]


def test_symlink_within_the_folder_is_followed(base, source):
    target = write(base / "arsip" / "asli.jpg", image_bytes("JPEG"))
    symlink_or_skip(base / "pintasan.jpg", target)
    (media,) = source.collect(["pintasan.jpg"]).files
    assert media.path == target.resolve()


@pytest.mark.parametrize("link", ["https://drive.google.com/file/d/abc/view",
                                  "HTTP://contoh.id/foto.jpg"])
def test_web_links_are_refused(source, link):
    check = source.collect([link])
    assert check.files == ()
    (problem,) = check.problems
    assert f"'{link}'" in problem
    assert 'media.backend = "local"' in problem and "folder media" in problem


@pytest.mark.parametrize("links", [[], ["", "   ", "\n"]])
def test_no_links(source, links):
    check = source.collect(links)
    assert check.files == ()
    assert check.problems == (local.NO_LINKS,)


def test_missing_file(source):
    assert source.collect(["foto/rapat.jpg"]).problems == (
        "Berkas media 'foto/rapat.jpg' tidak ditemukan di folder media. "
        "Periksa nama dan lokasinya.",
    )


def test_exe_renamed_jpg_is_refused(base, source):
    write(base / "virus.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + os.urandom(2000))
    check = source.collect(["virus.jpg"])
    assert check.files == ()
    assert check.problems == (
        "Berkas 'virus.jpg' bukan foto atau video yang sah (isi berkas tidak dikenali). "
        "Gunakan foto JPEG/PNG/WebP/HEIC atau video MP4/MOV/WebM.",
    )


def test_empty_file(base, source):
    write(base / "kosong.mp4", b"")
    assert source.collect(["kosong.mp4"]).problems == (
        "Berkas media 'kosong.mp4' kosong (0 byte). Salin ulang berkas aslinya ke folder media.",
    )


def test_file_over_the_size_limit(base):
    write(base / "video.mp4", MP4 + b"\x00" * (1536 * 1024 - len(MP4)))
    check = LocalFolder(base, max_file_mb=1).collect(["video.mp4"])
    assert check.files == ()
    assert check.problems == ("Berkas 'video.mp4' berukuran 1,5 MB, melebihi batas 1 MB. "
                              "Perkecil atau potong videonya.",)


def test_truncated_jpeg_is_refused(base, source):
    data = image_bytes("JPEG", size=(400, 300))
    write(base / "terpotong.jpg", data[: len(data) // 2])
    check = source.collect(["terpotong.jpg"])
    assert check.files == ()
    assert check.problems == (files.CORRUPT_PHOTO.format("terpotong.jpg"),)


def test_png_with_a_broken_checksum_is_refused(base, source):
    data = bytearray(image_bytes("PNG"))
    data[40] ^= 0xFF  # inside the first chunk after the header
    write(base / "rusak.png", bytes(data))
    assert source.collect(["rusak.png"]).problems == (files.CORRUPT_PHOTO.format("rusak.png"),)


def test_an_unreadable_file_is_an_outage_for_the_administrator(base, source, monkeypatch):
    """Permissions or a lock held by another program: nothing staff can fix in the row."""
    write(base / "terkunci.jpg", image_bytes("JPEG"))
    real_open = Path.open

    def locked_open(self, *args, **kwargs):
        if self.name == "terkunci.jpg":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked_open)
    with pytest.raises(SourceUnavailable) as err:
        source.collect(["terkunci.jpg"])
    assert "media file 'terkunci.jpg'" in str(err.value) and "read access" in str(err.value)
    assert "'terkunci.jpg' tidak dapat dibuka" in err.value.note


def test_a_missing_media_folder_is_an_outage(tmp_path):
    with pytest.raises(SourceUnavailable) as err:
        LocalFolder(tmp_path / "tidak-ada", 200).collect(["a.jpg", "b.jpg"])
    assert "unmounted share" in str(err.value) and "media.base_dir" in str(err.value)
    assert "tidak dapat dibaca saat ini" in err.value.note


def test_a_media_folder_found_empty_after_holding_files_is_an_outage(base):
    """An unmounted mount point looks like an empty folder."""
    write(base / "rapat.jpg", image_bytes("JPEG"))
    cache = DictCache()
    assert LocalFolder(base, 200, cache).collect(["rapat.jpg"]).problems == ()
    (base / "rapat.jpg").unlink()
    with pytest.raises(SourceUnavailable) as err:
        LocalFolder(base, 200, cache).collect(["rapat.jpg"])
    assert "suddenly empty" in str(err.value)
    write(base / "lain.jpg", image_bytes("JPEG"))          # the share is back, the file not
    assert LocalFolder(base, 200, cache).collect(["rapat.jpg"]).problems == (
        "Berkas media 'rapat.jpg' tidak ditemukan di folder media. Periksa nama dan lokasinya.",)


def test_an_empty_media_folder_never_seen_with_files_is_for_staff(base):
    check = LocalFolder(base, 200, DictCache()).collect(["rapat.jpg"])
    assert check.problems == (
        "Berkas media 'rapat.jpg' tidak ditemukan di folder media. Periksa nama dan lokasinya.",)


def test_a_photo_over_the_safe_pixel_limit_is_named_with_its_size(base):
    """A 900-megapixel PNG is a few hundred kilobytes on disk: refused before decoding."""
    import zlib
    width = height = 30_000
    packer, line = zlib.compressobj(1), b"\x00" + bytes(width)   # one black row, streamed
    raw = b"".join(packer.compress(line) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(
        4, "big") + bytes([8, 0, 0, 0, 0])) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    write(base / "besar.png", png)
    check = LocalFolder(base, 200, DictCache()).collect(["besar.png"])
    assert check.files == ()
    assert check.problems == (
        "Foto 'besar.png' berukuran 30000 × 30000 piksel (900 megapiksel), melebihi batas aman "
        "89 megapiksel untuk diproses. Perkecil fotonya (misalnya menjadi 4000 piksel pada "
        "sisi terpanjang), simpan, lalu salin lagi ke folder media.",)


# --- cache --------------------------------------------------------------------------------


def test_cache_prevents_reading_an_unchanged_file_again(base, monkeypatch):
    photo = write(base / "rapat.jpg", image_bytes("JPEG"))
    cache = DictCache()
    first = LocalFolder(base, 200, cache).collect(["rapat.jpg"])
    info = photo.stat()
    assert list(cache.data) == [f"{photo.resolve()}|{info.st_size}|{info.st_mtime_ns}"]
    assert cache.puts == 1 and cache.hits == 0

    def no_reading(path):
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(local, "examine", no_reading)
    second = LocalFolder(base, 200, cache).collect(["rapat.jpg"])  # a later cycle
    assert cache.hits == 1 and cache.puts == 1
    assert second == first
    assert second.files[0].sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()


def test_cache_remembers_a_bad_verdict_and_notices_a_changed_file(base):
    fake = write(base / "foto.jpg", b"MZ" + b"\x00" * 100)
    cache = DictCache()
    source = LocalFolder(base, 200, cache)
    assert source.collect(["foto.jpg"]).problems == (files.NOT_MEDIA.format("foto.jpg"),)
    assert source.collect(["foto.jpg"]).problems == (files.NOT_MEDIA.format("foto.jpg"),)
    assert cache.hits == 1 and cache.puts == 1

    fake.write_bytes(image_bytes("JPEG"))  # fixed by staff: new size, new time stamp
    check = source.collect(["foto.jpg"])
    assert check.problems == () and check.files[0].kind == "photo"
    assert cache.puts == 2


def test_incomplete_cache_entries_are_ignored(base):
    photo = write(base / "rapat.jpg", image_bytes("JPEG"))
    info = photo.stat()
    cache = DictCache()
    cache.data[f"{photo.resolve()}|{info.st_size}|{info.st_mtime_ns}"] = {"verdict": "ok"}
    (media,) = LocalFolder(base, 200, cache).collect(["rapat.jpg"]).files
    assert media.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()


# --- read_document ------------------------------------------------------------------------


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Rapat Koordinasi", level=1)
    document.add_paragraph("Dibuka oleh ").add_run("Gubernur").bold = True
    document.add_paragraph("Laporan", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, expected", [
    ("naskah/rapat.txt", b"Baris satu\nBaris dua", "<p>Baris satu<br>\nBaris dua</p>"),
    ("naskah/rapat.md", b"# Judul\n\n**Tebal**", "<h2>Judul</h2>\n<p><strong>Tebal</strong></p>"),
    ("naskah/rapat.html", b"<html><body><p>Isi<script>x()</script></p></body></html>",
     "<p>Isi</p>"),
    ("naskah/rapat.htm", b"<p>Isi</p>", "<p>Isi</p>"),
    ("naskah/rapat.docx", make_docx(),
     "<h2>Rapat Koordinasi</h2>\n<p>Dibuka oleh <strong>Gubernur</strong></p>\n"
     "<ul>\n<li>Laporan</li>\n</ul>"),
])
def test_read_document_types(base, source, name, data, expected):
    write(base / name, data)
    document = source.read_document(name)
    assert document.problems == ()
    assert document.html == expected
    assert document.fingerprint == hashlib.sha256(data).hexdigest()


def test_read_document_problems(base, tmp_path):
    source = LocalFolder(base, max_file_mb=1)
    write(tmp_path / "luar.txt", b"rahasia")
    write(base / "naskah.odt", b"PK\x03\x04")
    write(base / "rusak.pdf", b"%PDF-1.7")
    write(base / "kosong.txt", b"")
    write(base / "besar.txt", b"a" * (2 * 1024 * 1024))
    write(base / "rusak.docx", b"bukan word")
    (base / "map.docx").mkdir()
    expected = {
        "hilang.docx": "Berkas naskah 'hilang.docx' tidak ditemukan di folder media.",
        "../luar.txt": "Berkas naskah '../luar.txt' berada di luar folder media",
        "naskah.odt": "Jenis berkas naskah 'naskah.odt' tidak didukung.",
        "rusak.pdf": "Berkas naskah 'rusak.pdf' rusak atau tidak dapat dibaca sebagai PDF.",
        "kosong.txt": "Berkas naskah 'kosong.txt' kosong (0 byte).",
        "besar.txt": "Berkas naskah 'besar.txt' berukuran 2 MB, melebihi batas 1 MB.",
        "rusak.docx": ("Berkas naskah 'rusak.docx' rusak atau bukan dokumen Word (.docx). "
                       "Simpan ulang dari Word lalu tautkan lagi."),
        "map.docx": "'map.docx' adalah folder, bukan berkas naskah.",
        "https://docs.google.com/document/d/abc/edit": 'media.backend = "local"',
    }
    for reference, start in expected.items():
        document = source.read_document(reference)
        assert (document.html, document.fingerprint) == ("", ""), reference
        (problem,) = document.problems
        assert start in problem, (reference, problem)


# --- check --------------------------------------------------------------------------------


def test_check_passes_for_a_readable_folder(source):
    assert source.check() == []


def test_check_reports_a_missing_folder(tmp_path):
    (problem,) = LocalFolder(tmp_path / "media", 200).check()
    assert "does not exist" in problem and "media.base_dir" in problem


def test_check_reports_a_file_instead_of_a_folder(tmp_path):
    write(tmp_path / "media", b"")
    (problem,) = LocalFolder(tmp_path / "media", 200).check()
    assert "not a folder" in problem and "media.base_dir" in problem


def test_check_reports_an_unreadable_folder(base, monkeypatch):
    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(local.os, "scandir", denied)
    (problem,) = LocalFolder(base, 200).check()
    assert "cannot be read" in problem and "read access" in problem
