"""Pages in a Google shared-drive folder (SPEC section 9, Google backend): the real
google-api-python-client uploads to the loopback Drive, which refuses what Google refuses (a
service account's My Drive, a reader's folder, unknown fields)."""

from __future__ import annotations

import signal
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from automation import config as config_module
from automation.core import schema as S
from automation.health import status_rows
from automation.ledger import Ledger
from automation.pratinjau.drive import MARK, DriveShelf
from automation.pratinjau.pages import ShelfRefused
from automation.service import Service
from tests.fakes.fonnte import FakeFonnte
from tests.fakes.google import SERVICE_ACCOUNT, FakeGoogle
from tests.support.config import config_toml
from tests.support.google_workspace import GoogleAgenda, google_config
from tests.support.kill_runs import Runs
from tests.support.workspace import NOW, approved, row

LATER = NOW + timedelta(minutes=5)


class NoSleep:
    def __call__(self, seconds: float) -> None:
        pass


@pytest.fixture
def folder(fake: FakeGoogle) -> str:
    """A folder in a shared drive where the service account is Content manager."""
    drive = fake.add_shared_drive("Humas Bersama")
    return fake.add_folder("Pratinjau", [drive], shared=None)


def pdf(tmp_path: Path, name: str, text: bytes = b"%PDF-1.4 page") -> Path:
    path = tmp_path / "pages" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text)
    return path


def test_a_page_is_uploaded_once_and_uploaded_again_onto_the_same_file(fake, credentials, folder,
                                                                      tmp_path):
    shelf = DriveShelf(credentials, folder, sleep=NoSleep())
    link = shelf.put(pdf(tmp_path, "0001-2026-arsip.pdf", b"%PDF first"))
    [made] = fake.files_in(folder)
    assert link == made["webViewLink"] == f"https://drive.google.com/file/d/{made['id']}/view"
    assert made["content"] == b"%PDF first" and made["mimeType"] == "application/pdf"
    assert made["appProperties"] == {MARK: "0001-2026-arsip.pdf"}
    # Made again (an update of the post), or an upload whose answer was lost: same file.
    assert shelf.put(pdf(tmp_path, "0001-2026-arsip.pdf", b"%PDF second")) == link
    [again] = fake.files_in(folder)
    assert again["id"] == made["id"] and again["content"] == b"%PDF second"
    assert int(again["version"]) > int(made["version"])


def test_a_persons_file_of_the_same_name_is_left_alone(fake, credentials, folder, tmp_path):
    theirs = fake.add_file("0001-2026-v1.pdf", b"%PDF theirs", "application/pdf", [folder])
    DriveShelf(credentials, folder, sleep=NoSleep()).put(pdf(tmp_path, "0001-2026-v1.pdf"))
    files = {f["id"]: f["content"] for f in fake.files_in(folder)}
    assert len(files) == 2 and files[theirs] == b"%PDF theirs"


def test_the_folder_address_works_as_well_as_its_id(fake, credentials, folder, tmp_path):
    shelf = DriveShelf(credentials, f"https://drive.google.com/drive/folders/{folder}?usp=sharing")
    assert shelf.check() == []
    shelf.put(pdf(tmp_path, "0002-2026-v1.pdf"))
    assert [f["name"] for f in fake.files_in(folder)] == ["0002-2026-v1.pdf"]


def test_check_says_what_stops_uploads_and_how_to_fix_it(fake, credentials, tmp_path):
    def check(folder_id: str) -> str:
        return " ".join(DriveShelf(credentials, folder_id, sleep=NoSleep()).check())

    mine = fake.add_folder("Pratinjau di My Drive", shared="writer")
    assert "My Drive" in check(mine) and "shared drive" in check(mine)
    assert SERVICE_ACCOUNT in check(mine)
    reader = fake.add_folder("Hanya baca", [fake.add_shared_drive("Lain", role="reader")],
                             shared=None)
    assert "may only read" in check(reader)
    outside = fake.add_folder("Tidak dibagikan", [fake.add_shared_drive("Asing", role=None)],
                              shared=None)
    assert "not shared with" in check(outside)
    drive = fake.add_shared_drive("Humas")
    paper = fake.add_file("bukan-folder.pdf", b"%PDF", "application/pdf", [drive])
    assert "not a folder" in check(paper)
    assert check(fake.add_folder("Baik", [drive], shared=None)) == ""


def test_google_refuses_a_my_drive_folder(fake, credentials, tmp_path):
    mine = fake.add_folder("Pratinjau di My Drive", shared="writer")
    with pytest.raises(ShelfRefused, match="My Drive"):
        DriveShelf(credentials, mine, sleep=NoSleep()).put(pdf(tmp_path, "0001-2026-v1.pdf"))
    assert fake.files_in(mine) == []


def test_the_fake_refuses_what_drive_refuses(fake, credentials, folder):
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaInMemoryUpload

    from automation.google_api import load_credentials
    from automation.media.drive import drive_service
    from automation.pratinjau.drive import SCOPES

    files = drive_service(load_credentials(credentials, SCOPES)).files()
    media = MediaInMemoryUpload(b"%PDF", mimetype="application/pdf", resumable=False)
    with pytest.raises(HttpError, match="Invalid field selection webLink"):
        files.get(fileId=folder, fields="id,webLink", supportsAllDrives=True).execute()
    with pytest.raises(HttpError, match="File not found"):   # a shared drive, unannounced
        files.get(fileId=folder, fields="id").execute()
    with pytest.raises(HttpError, match="Unknown name"):
        files.create(body={"name": "x.pdf", "parents": [folder], "colour": "red"},
                     media_body=media, supportsAllDrives=True).execute()
    with pytest.raises(HttpError, match="only be set to true when supportsAllDrives"):
        files.list(q="trashed = false", includeItemsFromAllDrives=True).execute()
    made = files.create(body={"name": "x.pdf", "parents": [folder]}, media_body=media,
                        supportsAllDrives=True, fields="id").execute()
    with pytest.raises(HttpError, match="parents field is not directly writable"):
        files.update(fileId=made["id"], body={"parents": [folder]}, media_body=media,
                     supportsAllDrives=True).execute()


# -- in the cycle ----------------------------------------------------------------------------

ADMIN = "telegram:1001"


def drive_agenda(tmp_path: Path, fake: FakeGoogle, folder: str, rows: list,
                 admin: bool = False) -> GoogleAgenda:
    """With `admin`, notices for the administrator are queued (no channel sends them)."""
    notify = {"recipients": {"admin": [ADMIN]}} if admin else {}
    config = config_toml(preview={"enabled": True, "drive_folder_id": folder}, notify=notify)
    return GoogleAgenda(tmp_path / "kantor", rows, config, fake=fake)


def text_of(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def drive_pages(fake: FakeGoogle, folder: str) -> dict[str, dict]:
    return {f["name"]: f for f in fake.files_in(folder)}


def test_the_cell_links_to_the_drive_file_and_an_update_keeps_the_link(fake, credentials, folder,
                                                                       tmp_path):
    agenda = drive_agenda(tmp_path, fake, folder, [row("Gubernur Resmikan Jembatan")])
    agenda.cycle(NOW)
    pages = drive_pages(fake, folder)
    assert list(pages) == ["0001-2026-v1.pdf"]
    assert "Gubernur Resmikan Jembatan" in text_of(pages["0001-2026-v1.pdf"]["content"], tmp_path)
    shown = agenda.by_title("Gubernur Resmikan Jembatan")
    assert shown[S.PREVIEW] == pages["0001-2026-v1.pdf"]["webViewLink"]    # in the same cycle
    before = agenda.path.read_bytes()
    agenda.cycle(NOW + timedelta(seconds=30))       # the row settles: nothing more to write
    assert agenda.path.read_bytes() == before

    agenda.edit("Gubernur Resmikan Jembatan", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER)
    agenda.cycle(LATER + timedelta(seconds=30))
    arsip = drive_pages(fake, folder)["0001-2026-arsip.pdf"]
    shown = agenda.by_title("Gubernur Resmikan Jembatan")
    assert shown[S.STATUS] == "Tayang" and shown[S.PREVIEW] == arsip["webViewLink"]
    assert shown[S.ARCHIVE_NUMBER] in text_of(arsip["content"], tmp_path)

    agenda.edit("Gubernur Resmikan Jembatan", **{S.TEXT: "Naskah diperbarui setelah tayang."})
    agenda.cycle(LATER + timedelta(minutes=1))
    agenda.edit("Gubernur Resmikan Jembatan", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER + timedelta(minutes=2))
    agenda.cycle(LATER + timedelta(minutes=3))
    pages = drive_pages(fake, folder)
    assert sorted(pages) == ["0001-2026-arsip.pdf", "0001-2026-v1.pdf", "0001-2026-v2.pdf"]
    assert pages["0001-2026-arsip.pdf"]["id"] == arsip["id"]        # the same file, its link kept
    assert "Naskah diperbarui setelah tayang." in text_of(pages["0001-2026-arsip.pdf"]["content"],
                                                         tmp_path)
    assert agenda.by_title("Gubernur Resmikan Jembatan")[S.PREVIEW] == arsip["webViewLink"]


def test_drive_down_publishes_all_the_same_and_uploads_later(fake, credentials, folder, tmp_path):
    agenda = drive_agenda(tmp_path, fake, folder, [approved("A")])
    fake.server_error(lambda r: r.path.startswith("/upload/"), times=50, status=503)
    agenda.cycle(NOW)                               # the new row's ID is saved first
    agenda.cycle(NOW + timedelta(seconds=30))
    shown = agenda.by_title("A")
    assert shown[S.STATUS] == "Tayang" and shown[S.PREVIEW] is None
    assert fake.files_in(folder) == []
    pages = agenda.cfg.state_dir / "pratinjau"
    assert (pages / "0001-2026-arsip.pdf").is_file()           # kept on the server
    fake.clear_faults()
    agenda.cycle(LATER)
    agenda.cycle(LATER + timedelta(seconds=30))
    [made] = fake.files_in(folder)
    assert made["name"] == "0001-2026-arsip.pdf"
    assert agenda.by_title("A")[S.PREVIEW] == made["webViewLink"]


@pytest.mark.parametrize("step", [
    "before:automation.pratinjau.drive.DriveShelf.put",
    "after:automation.pratinjau.drive.DriveShelf.put",         # uploaded, not recorded
    "after:automation.ledger.Ledger.link_preview",             # recorded, the cell not written
])
def test_killed_while_uploading_one_drive_file_per_page(fake, credentials, folder, tmp_path, step):
    agenda = drive_agenda(tmp_path, fake, folder, [row("A")])
    runs = Runs(agenda.folder, {"AGENDA_GOOGLE_API_BASE": fake.base_url}, cwd=agenda.folder)
    assert runs.killed(step, 1).returncode == -signal.SIGKILL, runs.report()
    for _ in range(2):
        assert runs.once().returncode == 0, runs.report()
    [made] = fake.files_in(folder)
    assert made["name"] == "0001-2026-v1.pdf", runs.report()
    assert agenda.by_title("A")[S.PREVIEW] == made["webViewLink"], runs.report()
    with closing(Ledger(agenda.cfg.state_dir / "ledger.sqlite3")) as ledger:
        outcomes = [r[0] for r in ledger.db.execute(
            "SELECT outcome FROM journal WHERE action = 'pratinjau upload' ORDER BY seq")]
    assert outcomes[-1] == "done", outcomes


def test_check_names_a_my_drive_folder_before_going_live(fake, credentials, tmp_path):
    mine = fake.add_folder("Pratinjau di My Drive", shared="writer")
    agenda = drive_agenda(tmp_path, fake, mine, [row("A")])
    runs = Runs(agenda.folder, {"AGENDA_GOOGLE_API_BASE": fake.base_url}, cwd=agenda.folder)
    done = runs.check()
    assert done.returncode == 1, runs.report()
    [line] = [x for x in done.stdout.splitlines() if "Pratinjau" in x]
    assert "PROBLEM" in line and "My Drive" in line and "storageQuotaExceeded" in line
    drive = fake.add_shared_drive("Humas")
    good = fake.add_folder("Pratinjau", [drive], shared=None)
    config = (agenda.folder / "config.toml").read_text().replace(mine, good)
    (agenda.folder / "config.toml").write_text(config)
    done = runs.check()
    [line] = [x for x in done.stdout.splitlines() if "Pratinjau" in x]
    assert "PROBLEM" not in line and good in line, done.stdout
    assert done.returncode == 0, done.stdout


def test_each_page_costs_two_drive_requests(fake, credentials, folder, tmp_path):
    agenda = drive_agenda(tmp_path, fake, folder, [row(f"Berita {i}") for i in range(3)])
    fake.clear_log()
    agenda.cycle(NOW)
    uploads = [r for r in fake.requests_log if r.path.startswith("/upload/")]
    lookups = [r for r in fake.requests_log if r.api == "drive" and r.method == "GET"
               and agenda.spreadsheet_id not in r.path]   # the agenda's version: the store's
    assert len(uploads) == 3 and len(fake.files_in(folder)) == 3
    # One name lookup a page, and the folder's shared drive once per process.
    assert len(lookups) == 3 + 1, [(r.path, r.query.get("q")) for r in lookups]
    fake.clear_log()
    agenda.cycle(NOW + timedelta(seconds=30))       # the links are written: nothing uploaded
    assert [r for r in fake.requests_log if r.api == "drive"
            and agenda.spreadsheet_id not in r.path] == []
    assert all(r[S.PREVIEW].startswith("https://drive.google.com/file/d/") for r in agenda.rows())


def test_pages_made_before_the_folder_was_set_are_uploaded_once_it_is(fake, credentials, folder,
                                                                     tmp_path):
    agenda = GoogleAgenda(tmp_path / "kantor", [row("A")],
                          config_toml(preview={"enabled": True}), fake=fake)
    agenda.cycle(NOW)
    kept = agenda.cfg.state_dir / "pratinjau" / "0001-2026-v1.pdf"
    assert agenda.by_title("A")[S.PREVIEW] == str(kept)       # on the server only
    config = agenda.folder / "config.toml"
    config.write_text(google_config(config_toml(preview={"enabled": True,
                                                        "drive_folder_id": folder}),
                                    agenda.spreadsheet_id))
    agenda.cfg = config_module.load(config)
    agenda.cycle(LATER)
    agenda.cycle(LATER + timedelta(seconds=30))
    [made] = fake.files_in(folder)
    assert made["content"] == kept.read_bytes()
    assert agenda.by_title("A")[S.PREVIEW] == made["webViewLink"]


def uploads_tried(fake: FakeGoogle) -> int:
    return sum(1 for r in fake.requests_log if r.path.startswith("/upload/"))


def test_a_refused_folder_pauses_uploads_and_they_resume_once_it_is_fixed(fake, credentials,
                                                                        tmp_path):
    mine = fake.add_folder("Pratinjau di My Drive", shared="writer")
    agenda = drive_agenda(tmp_path, fake, mine, [row(f"Berita {i}") for i in range(3)],
                          admin=True)
    agenda.cycle(NOW)
    assert uploads_tried(fake) == 1                 # refused: the other pages wait
    fake.clear_log()
    for seconds in (30, 60, 90):
        agenda.cycle(NOW + timedelta(seconds=seconds))
    assert uploads_tried(fake) == 0                 # paused, not asked again every cycle
    assert {r[S.STATUS] for r in agenda.rows()} == {"Menunggu Paraf Kadis"}
    agenda.cycle(NOW + timedelta(minutes=10, seconds=30))
    assert uploads_tried(fake) == 1                 # tried again after the pause, refused again
    with closing(Ledger(agenda.cfg.state_dir / "ledger.sqlite3")) as ledger:
        told = ledger.db.execute("SELECT subject, text FROM notices WHERE address = ?",
                                 (ADMIN,)).fetchall()
        shown = dict((r[0], r[1]) for r in status_rows(ledger, agenda.cfg, LATER))
    [(subject, text)] = told                        # the administrator is told once
    assert subject == "Pratinjau tidak dapat diunggah ke Google Drive"
    assert "My Drive" in text and "check" in text
    assert shown["Pratinjau ditolak Google Drive"] != "-"
    # The administrator moves the folder into a shared drive: after the pause, all go up.
    fake.update_file(mine, parents=[fake.add_shared_drive("Humas")])
    agenda.cycle(NOW + timedelta(minutes=21))
    agenda.cycle(NOW + timedelta(minutes=21, seconds=30))
    assert len(fake.files_in(mine)) == 3
    assert all(r[S.PREVIEW].startswith("https://drive.google.com/") for r in agenda.rows())
    with closing(Ledger(agenda.cfg.state_dir / "ledger.sqlite3")) as ledger:
        assert ledger.meta.pages_refused_at is None            # over


def test_drive_out_of_reach_ends_the_cycles_uploads_at_the_first_page(fake, credentials,
                                                                      folder, tmp_path):
    agenda = drive_agenda(tmp_path, fake, folder, [row(f"Berita {i}") for i in range(3)])
    fake.rate_limit(lambda r: r.api == "drive" and agenda.spreadsheet_id not in r.path,
                    times=10_000, retry_after=0)
    report = agenda.cycle(NOW)
    asked = [r for r in fake.requests_log if r.api == "drive"
             and agenda.spreadsheet_id not in r.path]
    assert len(asked) <= 3, [r.path for r in asked]  # one page's brief retries, no more
    assert report.write_error == "" and len(agenda.rows()) == 3
    fake.clear_faults()
    agenda.cycle(NOW + timedelta(seconds=30))
    assert len(fake.files_in(folder)) == 3


def test_a_whatsapp_plan_without_files_gets_the_drive_link_of_the_pratinjau(
        fake, credentials, folder, tmp_path, monkeypatch):
    monkeypatch.setenv("FONNTE_TOKEN", "fonnte-device-token")
    with FakeFonnte(token="fonnte-device-token", free_plan=True) as wa:
        config = config_toml(preview={"enabled": True, "drive_folder_id": folder},
                             notify={"fonnte": {"api_base": wa.base_url},
                                     "recipients": {"kadis": ["wa:0812111"]}})
        agenda = GoogleAgenda(tmp_path / "kantor", [row("Rapat Koordinasi")], config, fake=fake)
        Service(agenda.cfg).tick(NOW)
        [made] = fake.files_in(folder)
        [kadis] = wa.messages
    assert kadis.file is None                       # this plan sends no files: the link instead
    assert kadis.text.splitlines()[-1] == f"Buka Pratinjau: {made['webViewLink']}"
