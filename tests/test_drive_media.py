"""The Google Drive media source against the loopback stand-in, with the real
google-api-python-client and google-auth (pointed at it by AGENDA_GOOGLE_API_BASE)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from automation.media.drive import DriveFolder, drive_id
from automation.ports import AdapterError
from tests.fakes.google import SERVICE_ACCOUNT, FakeGoogle
from tests.support.photos import heic
from tests.support.videos import video_bytes
from tests.test_pdf_documents import LEAD, text_pdf

MIB = 1024 * 1024
VIDEO = video_bytes("h264")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(2000)


def jpeg(seed: int = 0, size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (seed % 256, 80, 160)).save(out, "JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    with FakeGoogle() as google:
        monkeypatch.setenv("AGENDA_GOOGLE_API_BASE", google.base_url)
        yield google


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def drive(fake: FakeGoogle, tmp_path: Path, sleeps: Sleeps) -> DriveFolder:
    key = tmp_path / "credentials.json"
    key.write_text(json.dumps(fake.service_account_info()))
    return DriveFolder(key, tmp_path / "cache", max_file_mb=1, sleep=sleeps, chunk_size=64 * 1024,
                       page_size=2)


def nth_media(fake: FakeGoogle, n: int):  # type: ignore[no-untyped-def]
    """Matches the n-th download or export request (1-based); the log already holds it."""
    return lambda r: r.kind == "media" and len(media_requests(fake)) == n


def media_requests(fake: FakeGoogle, file_id: str | None = None) -> list:
    return [r for r in fake.requests_log
            if r.kind == "media" and (file_id is None or file_id in r.path)]


# --- links ----------------------------------------------------------------------------------

@pytest.mark.parametrize("template", [
    "https://drive.google.com/file/d/{}/view?usp=sharing",
    "https://drive.google.com/file/d/{}/view",
    "https://drive.google.com/file/u/1/d/{}/edit",
    "https://drive.google.com/open?id={}",
    "https://drive.google.com/uc?id={}&export=download",
    "https://drive.google.com/uc?export=download&id={}",
    "https://drive.usercontent.google.com/download?id={}&export=download",
    "https://drive.google.com/drive/folders/{}",
    "https://drive.google.com/drive/folders/{}?usp=drive_link",
    "https://drive.google.com/drive/u/0/folders/{}",
    "https://docs.google.com/document/d/{}/edit",
    "https://docs.google.com/document/u/0/d/{}/edit?tab=t.0#heading=h.1",
    "  https://drive.google.com/file/d/{}/view  ",
])
def test_link_forms_give_the_id(template: str) -> None:
    file_id = "1AbC-dEf_GhIjKlMnOpQrStUvWxYz0123"
    assert drive_id(template.format(file_id)) == file_id


@pytest.mark.parametrize("link", [
    "foto/rapat.jpg", "https://example.com/file/d/1AbCdEfGhIjKlMn/view",
    "https://drive.google.com/", "https://drive.google.com/drive/my-drive",
    "ftp://drive.google.com/file/d/1AbCdEfGhIjKlMn/view", "",
])
def test_other_links_give_none(link: str) -> None:
    assert drive_id(link) is None


def test_each_link_form_collects_the_file(fake: FakeGoogle, drive: DriveFolder) -> None:
    folder = fake.add_folder("Rapat")
    content = jpeg()
    photo = fake.add_file("rapat.jpg", content, "image/jpeg", [folder])
    for form in ("https://drive.google.com/file/d/{}/view?usp=sharing",
                 "https://drive.google.com/open?id={}",
                 "https://drive.google.com/uc?id={}&export=download"):
        check = drive.collect([form.format(photo)])
        assert check.problems == ()
        (media,) = check.files
        assert (media.name, media.kind, media.mime, media.size) == ("rapat.jpg", "photo",
                                                                   "image/jpeg", len(content))
        assert media.path.read_bytes() == content
        assert media.sha256 == hashlib.sha256(content).hexdigest()
        assert media.path.name == f"{photo}-{hashlib.md5(content).hexdigest()}.jpg"
    for form in ("https://drive.google.com/drive/folders/{}",
                 "https://drive.google.com/drive/u/0/folders/{}"):
        assert [f.name for f in drive.collect([form.format(folder)]).files] == ["rapat.jpg"]
    assert len(media_requests(fake)) == 1  # downloaded once, for the first link


def test_not_a_drive_link_is_a_note(fake: FakeGoogle, drive: DriveFolder) -> None:
    check = drive.collect(["foto/rapat.jpg"])
    assert check.files == ()
    assert "bukan tautan Google Drive" in check.problems[0] and SERVICE_ACCOUNT in check.problems[0]
    assert fake.drive_requests == 0


# --- folders --------------------------------------------------------------------------------

def test_folder_lists_photos_and_videos_in_name_order_over_pages(fake: FakeGoogle,
                                                                  drive: DriveFolder) -> None:
    folder = fake.add_folder("2026-11-27 Rapat")
    for i, name in enumerate(["foto10.jpg", "b.jpg", "foto2.jpg", "A.jpg"]):
        fake.add_file(name, jpeg(i), "image/jpeg", [folder])
    fake.add_file("klip.mp4", VIDEO, "video/mp4", [folder])
    fake.add_file("catatan.txt", b"teks", "text/plain", [folder])            # skipped silently
    fake.add_document("Naskah", "<p>x</p>", [folder])                        # skipped silently
    fake.add_folder("sub", [folder])
    fake.add_file("lama.jpg", jpeg(9), "image/jpeg", [folder], trashed=True)
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}"])
    assert check.problems == ()
    assert [f.name for f in check.files] == ["A.jpg", "b.jpg", "foto2.jpg", "foto10.jpg", "klip.mp4"]
    assert check.files[-1].kind == "video"
    lists = [r for r in fake.requests_log if r.path == "/drive/v3/files"]
    assert len(lists) == 4  # 7 items, 2 per page in this test (1000 in production)
    assert all(r.query["orderBy"] == "name" for r in lists)


def test_heic_photos_are_taken_by_content_and_an_empty_folder_gets_a_note(
        fake: FakeGoogle, drive: DriveFolder, tmp_path: Path) -> None:
    folder = fake.add_folder("iPhone")
    real = heic(tmp_path / "IMG_0001.HEIC").read_bytes()
    fake.add_file("IMG_0001.HEIC", real, "image/heif", [folder])
    fake.add_file("IMG_0002.HEIC", b"heic", "image/heic", [folder])     # not one inside
    empty = fake.add_folder("Kosong")
    fake.add_file("catatan.txt", b"teks", "text/plain", [empty])
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}",
                           f"https://drive.google.com/drive/folders/{empty}"])
    [photo] = check.files
    assert (photo.name, photo.kind, photo.mime) == ("IMG_0001.HEIC", "photo", "image/heic")
    empty_note, fake_note = check.problems
    assert "IMG_0002.HEIC" in fake_note and "bukan foto atau video yang sah" in fake_note
    assert "Folder 'Kosong' tidak berisi foto atau video" in empty_note


def test_shortcut_to_a_file_and_in_a_folder(fake: FakeGoogle, drive: DriveFolder) -> None:
    elsewhere = fake.add_folder("Arsip Foto")
    photo = fake.add_file("asli.jpg", jpeg(), "image/jpeg", [elsewhere])
    folder = fake.add_folder("Rilis")
    fake.add_shortcut("pintasan foto", photo, [folder])
    direct = fake.add_shortcut("pintasan", photo, [], shared="reader")
    check = drive.collect([f"https://drive.google.com/file/d/{direct}/view"])
    assert check.problems == () and [f.name for f in check.files] == ["asli.jpg"]
    assert check.stamp[0] == ("drive-shortcut", direct, photo)
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}"])
    assert check.problems == () and [f.name for f in check.files] == ["asli.jpg"]
    assert len(media_requests(fake)) == 1


# --- notes ----------------------------------------------------------------------------------

def test_not_shared_names_the_service_account(fake: FakeGoogle, drive: DriveFolder) -> None:
    private = fake.add_folder("Pribadi", shared=None)
    photo = fake.add_file("rahasia.jpg", jpeg(), "image/jpeg", [private])
    link = f"https://drive.google.com/file/d/{photo}/view?usp=sharing"
    check = drive.collect([link, f"https://drive.google.com/drive/folders/{private}"])
    assert check.files == ()
    assert len(check.problems) == 2
    for note in check.problems:
        assert "belum dibagikan ke akun layanan " + SERVICE_ACCOUNT in note
        assert "bagikan (Viewer)" in note and "siklus berikutnya" in note
    assert link in check.problems[0]


def test_a_problem_drive_cannot_watch_is_never_unchanged(fake: FakeGoogle,
                                                        drive: DriveFolder) -> None:
    # Sharing a file with the service account shows in no stamp: the row is read afresh.
    photo = fake.add_file("rahasia.jpg", jpeg(), "image/jpeg", shared=None)
    shared = fake.add_file("umum.jpg", jpeg(2), "image/jpeg", shared="reader")
    check = drive.collect([f"https://drive.google.com/file/d/{photo}/view",
                           f"https://drive.google.com/file/d/{shared}/view"])
    assert len(check.problems) == 1 and [f.name for f in check.files] == ["umum.jpg"]
    document = drive.read_document(f"https://docs.google.com/document/d/{photo}/edit")
    assert document.problems
    fake.clear_log()
    assert not drive.unchanged(json.loads(json.dumps(check.stamp)))
    assert not drive.unchanged(json.loads(json.dumps(document.stamp)))
    assert fake.drive_requests == 0               # told without asking Google


def test_trashed_file(fake: FakeGoogle, drive: DriveFolder) -> None:
    photo = fake.add_file("lama.jpg", jpeg(), "image/jpeg", shared="reader", trashed=True)
    check = drive.collect([f"https://drive.google.com/file/d/{photo}/view"])
    assert check.files == () and "'lama.jpg' ada di Sampah" in check.problems[0]


def test_too_large_is_refused_before_downloading(fake: FakeGoogle, drive: DriveFolder) -> None:
    video = fake.add_file("panjang.mp4", VIDEO + bytes(MIB), "video/mp4", shared="reader")
    check = drive.collect([f"https://drive.google.com/file/d/{video}/view"])
    assert check.files == ()
    assert check.problems == ("Berkas 'panjang.mp4' berukuran 1,1 MB, melebihi batas 1 MB. "
                              "Perkecil atau potong videonya.",)
    assert media_requests(fake, video) == []


def test_wrong_type_by_metadata_is_refused_before_downloading(fake: FakeGoogle,
                                                               drive: DriveFolder) -> None:
    pdf = fake.add_file("undangan.pdf", b"%PDF-1.7", "application/pdf", shared="reader")
    doc = fake.add_document("Naskah", "<p>x</p>", shared="reader")
    check = drive.collect([f"https://drive.google.com/file/d/{pdf}/view",
                           f"https://docs.google.com/document/d/{doc}/edit"])
    assert check.files == ()
    assert "'undangan.pdf' (application/pdf) bukan foto atau video" in check.problems[0]
    assert "'Naskah' adalah berkas Google" in check.problems[1]
    assert media_requests(fake) == []


def test_disguised_file_is_refused_after_download_and_not_kept(fake: FakeGoogle,
                                                                drive: DriveFolder) -> None:
    exe = fake.add_file("foto.jpg", EXE, "image/jpeg", shared="reader")
    link = f"https://drive.google.com/file/d/{exe}/view"
    check = drive.collect([link])
    assert check.files == () and "'foto.jpg' bukan foto atau video yang sah" in check.problems[0]
    assert list(drive.cache_dir.iterdir()) == []
    assert drive.collect([link]).problems == check.problems
    assert len(media_requests(fake, exe)) == 1  # the verdict is remembered: not downloaded again


def test_truncated_photo_is_refused(fake: FakeGoogle, drive: DriveFolder) -> None:
    broken = fake.add_file("potong.jpg", jpeg(size=(400, 300))[:600], "image/jpeg", shared="reader")
    check = drive.collect([f"https://drive.google.com/file/d/{broken}/view"])
    assert check.files == () and "'potong.jpg' rusak" in check.problems[0]


def test_download_quota_exceeded_is_a_note(fake: FakeGoogle, drive: DriveFolder) -> None:
    photo = fake.add_file("viral.jpg", jpeg(), "image/jpeg", shared="reader")
    fake.drive_error("downloadQuotaExceeded", "drive.media")
    check = drive.collect([f"https://drive.google.com/file/d/{photo}/view"])
    assert check.files == ()
    assert "Kuota unduhan Google Drive untuk berkas 'viral.jpg' sedang habis" in check.problems[0]
    assert "coba lagi nanti" in check.problems[0]
    assert drive.collect([f"https://drive.google.com/file/d/{photo}/view"]).problems == ()


# --- downloads, cache, stamps ---------------------------------------------------------------

def test_multi_chunk_download_and_no_second_download(fake: FakeGoogle, drive: DriveFolder) -> None:
    content = VIDEO + os.urandom(300_000)
    video = fake.add_file("klip.mp4", content, "video/mp4", shared="reader")
    link = f"https://drive.google.com/file/d/{video}/view"
    (media,) = drive.collect([link]).files
    assert media.path.read_bytes() == content and media.kind == "video"
    assert [r.status for r in media_requests(fake, video)] == [206] * 5  # 64 KiB chunks
    assert [p.name for p in drive.cache_dir.iterdir()] == [media.path.name]  # no temp left

    fake.clear_log()
    again = drive.collect([link])
    assert again.files == (media,)
    assert media_requests(fake) == [] and fake.drive_requests == 1  # one metadata get
    # a new DriveFolder (next cycle) without a facts cache re-examines the copy, no download
    fresh = DriveFolder(drive.credentials_file, drive.cache_dir, 1, sleep=drive.sleep)
    assert fresh.collect([link]).files[0].sha256 == media.sha256
    assert media_requests(fake) == []


def test_unchanged_until_the_content_changes(fake: FakeGoogle, drive: DriveFolder) -> None:
    folder = fake.add_folder("Rapat")
    first = fake.add_file("a.jpg", jpeg(1), "image/jpeg", [folder])
    photo = fake.add_file("b.jpg", jpeg(2), "image/jpeg", shared="reader")
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}",
                           f"https://drive.google.com/file/d/{photo}/view"])
    stamp = json.loads(json.dumps(check.stamp))  # as the ledger keeps it
    fake.clear_log()
    assert drive.unchanged(stamp)
    assert fake.drive_requests == 2 and media_requests(fake) == []  # 1 list + 1 get

    fake.update_file(photo, content=jpeg(3))
    assert not drive.unchanged(stamp)
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}",
                           f"https://drive.google.com/file/d/{photo}/view"])
    stamp = json.loads(json.dumps(check.stamp))
    assert drive.unchanged(stamp)
    fake.update_file(first, content=jpeg(4))          # a file inside the folder
    assert not drive.unchanged(stamp)
    stamp = json.loads(json.dumps(drive.collect(
        [f"https://drive.google.com/drive/folders/{folder}"]).stamp))
    fake.add_file("c.jpg", jpeg(5), "image/jpeg", [folder])   # a file added to the folder
    assert not drive.unchanged(stamp)
    stamp = json.loads(json.dumps(drive.collect(
        [f"https://drive.google.com/drive/folders/{folder}"]).stamp))
    fake.update_file(folder, shared=None)                     # unshared
    assert not drive.unchanged(stamp)


def test_renamed_file_is_a_change(fake: FakeGoogle, drive: DriveFolder) -> None:
    photo = fake.add_file("a.jpg", jpeg(), "image/jpeg", shared="reader")
    stamp = json.loads(json.dumps(drive.collect([f"https://drive.google.com/file/d/{photo}/view"]).stamp))
    fake.update_file(photo, name="sambutan.jpg")
    assert not drive.unchanged(stamp)


# --- documents ------------------------------------------------------------------------------

def test_google_doc_is_exported_and_sanitised(fake: FakeGoogle, drive: DriveFolder) -> None:
    doc = fake.add_document("Naskah Rapat", (
        "<html><head><style>.c1{color:red}</style><script>alert(1)</script></head><body>"
        '<h1 class="c1">Rapat Koordinasi</h1><p class="c1">Isi <b>rilis</b>'
        '<script>steal()</script><a href="javascript:x()">a</a></p></body></html>'),
        shared="reader")
    document = drive.read_document(f"https://docs.google.com/document/d/{doc}/edit?usp=sharing")
    assert document.problems == ()
    assert "<script" not in document.html and "alert" not in document.html
    assert "steal" not in document.html and "javascript" not in document.html
    assert "<h2>Rapat Koordinasi</h2>" in document.html and "<b>rilis</b>" in document.html
    assert document.fingerprint == hashlib.sha256(document.html.encode()).hexdigest()
    assert [r.path for r in media_requests(fake)] == [f"/drive/v3/files/{doc}/export"]
    stamp = json.loads(json.dumps(document.stamp))
    assert drive.unchanged(stamp)
    fake.update_file(doc, content=b"<p>Naskah baru</p>")
    assert not drive.unchanged(stamp)


def test_document_files_on_drive(fake: FakeGoogle, drive: DriveFolder) -> None:
    text = fake.add_file("naskah.txt", "Baris satu\n\nBaris dua".encode(), "text/plain",
                         shared="reader")
    markdown = fake.add_file("Naskah tanpa ekstensi", b"# Judul\n\nIsi", "text/markdown",
                             shared="reader")
    pdf = fake.add_file("naskah.pdf", text_pdf(LEAD), "application/pdf", shared="reader")
    unnamed_pdf = fake.add_file("Siaran pers", text_pdf(LEAD), "application/pdf",
                                shared="reader")
    pages = fake.add_file("naskah.pages", b"PK\x03\x04", "application/zip", shared="reader")
    folder = fake.add_folder("Folder")
    document = drive.read_document(f"https://drive.google.com/file/d/{text}/view")
    assert document.html == "<p>Baris satu</p>\n<p>Baris dua</p>"
    assert document.fingerprint == hashlib.sha256("Baris satu\n\nBaris dua".encode()).hexdigest()
    assert drive.read_document(f"https://drive.google.com/open?id={markdown}").html.startswith(
        "<h2>Judul</h2>")
    for sent in (pdf, unnamed_pdf):                  # a PDF with a text layer: its text
        body = drive.read_document(f"https://drive.google.com/file/d/{sent}/view").html
        assert "memangkas waktu tempuh warga" in body
    assert "tidak didukung" in drive.read_document(
        f"https://drive.google.com/file/d/{pages}/view").problems[0]
    assert "adalah folder" in drive.read_document(
        f"https://drive.google.com/drive/folders/{folder}").problems[0]
    assert "bukan tautan Google Drive" in drive.read_document("naskah/rapat.docx").problems[0]


def test_unshared_document(fake: FakeGoogle, drive: DriveFolder) -> None:
    doc = fake.add_document("Rahasia", "<p>x</p>", shared=None)
    document = drive.read_document(f"https://docs.google.com/document/d/{doc}/edit")
    assert document.html == "" and SERVICE_ACCOUNT in document.problems[0]


# --- failures and retries -------------------------------------------------------------------

def test_429_and_503_are_retried_then_succeed(fake: FakeGoogle, drive: DriveFolder,
                                             sleeps: Sleeps) -> None:
    content = VIDEO + os.urandom(100_000)
    video = fake.add_file("klip.mp4", content, "video/mp4", shared="reader")
    fake.rate_limit("drive.read", retry_after=3)
    fake.server_error(nth_media(fake, 1), status=503)
    fake.drive_error("userRateLimitExceeded", nth_media(fake, 2))
    check = drive.collect([f"https://drive.google.com/file/d/{video}/view"])
    assert check.problems == () and check.files[0].path.read_bytes() == content
    assert sleeps[0] == 3  # Retry-After honoured
    assert len(sleeps) == 3 and all(0 < s <= 4 for s in sleeps)  # backoff: 2 s, 4 s (jitter)
    statuses = [r.status for r in fake.requests_log if r.api == "drive"]
    assert statuses == [429, 200, 503, 403, 206, 206]


def test_lasting_outage_raises_adapter_error_not_a_note(fake: FakeGoogle, drive: DriveFolder,
                                                        sleeps: Sleeps) -> None:
    photo = fake.add_file("a.jpg", jpeg(), "image/jpeg", shared="reader")
    fake.server_error("drive", status=503, times=10)
    with pytest.raises(AdapterError) as caught:
        drive.collect([f"https://drive.google.com/file/d/{photo}/view"])
    assert "Google Drive sedang tidak dapat dihubungi (HTTP 503" in caught.value.note
    assert len(sleeps) == 4 and fake.drive_requests == 5
    stamp = [["drive-file", photo, "a.jpg", "x"]]
    fake.server_error("drive", status=503, times=10)
    assert drive.unchanged(stamp) is False  # never raises: the row is then read afresh


def test_a_half_done_download_resumes_where_it_stopped(fake: FakeGoogle, drive: DriveFolder) -> None:
    content = VIDEO + os.urandom(200_000)
    video = fake.add_file("klip.mp4", content, "video/mp4", shared="reader")
    fake.server_error(nth_media(fake, 3), status=500)
    (media,) = drive.collect([f"https://drive.google.com/file/d/{video}/view"]).files
    assert media.path.read_bytes() == content
    assert [r.status for r in media_requests(fake)] == [206, 206, 500, 206, 206]


def test_a_long_retry_after_gives_up_at_once(fake: FakeGoogle, drive: DriveFolder,
                                             sleeps: Sleeps) -> None:
    photo = fake.add_file("a.jpg", jpeg(), "image/jpeg", shared="reader")
    fake.rate_limit("drive", retry_after=3600)
    with pytest.raises(AdapterError) as caught:
        drive.collect([f"https://drive.google.com/file/d/{photo}/view"])
    assert sleeps == [] and "HTTP 429" in caught.value.note


def test_check(fake: FakeGoogle, drive: DriveFolder, tmp_path: Path) -> None:
    assert drive.check() == []
    assert drive.service_account_email == SERVICE_ACCOUNT
    missing = DriveFolder(tmp_path / "nope.json", tmp_path / "c", 1)
    (problem,) = missing.check()
    assert "nope.json not found" in problem
    bad_key = tmp_path / "revoked.json"
    bad_key.write_text(json.dumps(fake.service_account_info(valid=False)))
    (problem,) = DriveFolder(bad_key, tmp_path / "c", 1, sleep=lambda s: None).check()
    assert "cannot be reached" in problem and "PRIVATE KEY" not in problem
    with pytest.raises(AdapterError, match="key"):
        DriveFolder(bad_key, tmp_path / "c", 1).collect(["https://drive.google.com/open?id=1abcdefghijk"])


def test_videos_from_drive_are_probed_like_local_ones(fake: FakeGoogle, drive: DriveFolder) -> None:
    folder = fake.add_folder("Video iPhone")
    fake.add_file("IMG_0042.MOV", video_bytes("hevc"), "video/quicktime", [folder])
    broken = video_bytes("h264", seconds=2)
    fake.add_file("terpotong.mp4", broken[:60], "video/mp4", [folder])
    check = drive.collect([f"https://drive.google.com/drive/folders/{folder}"])
    [video] = check.files
    assert (video.name, video.mime) == ("IMG_0042.MOV", "video/quicktime")
    assert (video.video.video_codec, video.video.width, video.video.height) == ("hevc", 64, 48)
    assert check.problems == ("Video 'Video iPhone/terpotong.mp4' rusak atau tidak dapat "
                              "diputar (mungkin terpotong saat disalin). Salin ulang video "
                              "aslinya, atau simpan ulang sebagai MP4.",)
