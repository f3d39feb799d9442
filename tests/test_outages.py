"""SPEC rule 8: an outage is not an edit.

A media folder that is gone for a while (an unmounted share), a mount point that suddenly
looks empty, Drive or Docs answering 5xx/429 or timing out: the rows that need them are left
exactly as they were (status, notes, ticks, remembered fingerprints), a tick first seen then is
bound once the content can be read, the outage is shown and told to the administrator once,
and the next cycle tries again without the agenda changing. Only what is reachable and wrong
is for staff to fix.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from automation.core import schema as S
from automation.health import status_rows
from automation.ledger import Ledger
from automation.service import Service
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram
from tests.support.config import config_toml
from tests.support.workspace import NOW, Agenda, approved, row

T = [NOW + timedelta(minutes=m) for m in range(0, 60)]


def waiting_for_kabid(title: str = "Rapat Koordinasi Humas") -> dict:
    return row(title, **{S.PARAF_KADIS: True})


def sheet_state(agenda) -> tuple:
    """What a person sees of every row, and the whole Riwayat."""
    return ([{h: r.get(h) for h in (S.STATUS, S.SYSTEM_NOTE, S.PARAF_KADIS, S.PARAF_KABID,
                                      S.WEBSITE_URL)}
             for r in agenda.rows()], agenda.history())


def ledger_of(agenda) -> Ledger:
    return Ledger(agenda.cfg.state_dir / "ledger.sqlite3")


def no_reapproval(agenda) -> None:
    assert [h for h in agenda.history() if h["Peristiwa"] == "Paraf Diulang"] == []
    assert all("paraf ulang" not in (r.get(S.SYSTEM_NOTE) or "") for r in agenda.rows())


def take_share_away(agenda, how: str):
    """`moved`: the folder is gone (share unmounted, mount point removed); `emptied`: the
    folder is there and empty, as an unmounted mount point looks."""
    media = agenda.folder / "media"
    aside = agenda.folder / "media-away"
    if how == "moved":
        media.rename(aside)
    else:
        aside.mkdir()
        for child in media.iterdir():
            child.rename(aside / child.name)

    def bring_back():
        if how == "moved":
            aside.rename(media)
        else:
            for child in aside.iterdir():
                child.rename(media / child.name)
            aside.rmdir()
    return bring_back


@pytest.mark.parametrize("how", ["moved", "emptied"])
def test_share_gone_while_the_kabid_ticks_voids_nothing(tmp_path, make_agenda, how):
    agenda = make_agenda(tmp_path / "office", [approved("Jembatan Diresmikan"),
                                               waiting_for_kabid()])
    agenda.take_in(T[0])
    assert agenda.by_title("Rapat Koordinasi Humas")[S.STATUS] == "Menunggu Paraf Kabid"
    live_before = agenda.by_title("Jembatan Diresmikan")
    assert live_before[S.STATUS] == "Tayang"

    bring_back = take_share_away(agenda, how)
    agenda.edit("Rapat Koordinasi Humas", **{S.PARAF_KABID: True})
    before = agenda.path.read_bytes()
    seen = sheet_state(agenda)
    for minute in (1, 2):                      # however long the outage lasts
        report = agenda.cycle(T[minute])
        assert report.postponed == 2 and report.outages
        assert agenda.path.read_bytes() == before          # nothing written at all
        assert sheet_state(agenda) == seen
    assert len(agenda.site_posts()) == 1

    bring_back()
    report = agenda.cycle(T[3])                 # the agenda did not change: not idle
    assert not report.idle and report.outages == ()
    done = agenda.by_title("Rapat Koordinasi Humas")
    assert done[S.STATUS] == "Tayang"
    assert done[S.PARAF_KADIS] is True and done[S.PARAF_KABID] is True
    assert agenda.by_title("Jembatan Diresmikan")[S.STATUS] == "Tayang"
    assert agenda.by_title("Jembatan Diresmikan")[S.WEBSITE_URL] == live_before[S.WEBSITE_URL]
    assert len(agenda.site_posts()) == 2
    no_reapproval(agenda)
    assert agenda.cycle(T[4]).changed == []    # and it stays so


def test_a_new_row_logged_during_the_outage_waits_untouched(tmp_path):
    agenda = Agenda(tmp_path, [approved("Sudah Tayang")])
    agenda.take_in(T[0])
    bring_back = take_share_away(agenda, "moved")
    agenda.put_rows([row("Baru Masuk")], start=3)
    agenda.cycle(T[1])
    assert agenda.by_title("Baru Masuk").get(S.STATUS) in (None, "")
    bring_back()
    agenda.cycle(T[2])
    assert agenda.by_title("Baru Masuk")[S.STATUS] == "Menunggu Paraf Kadis"


def test_a_file_missing_from_a_readable_folder_is_for_staff(tmp_path):
    agenda = Agenda(tmp_path, [waiting_for_kabid()])
    agenda.take_in(T[0])
    (agenda.folder / "media" / "foto" / "a.jpg").unlink()
    agenda.cycle(T[11])                         # the periodic full read sees the file gone
    got = agenda.by_title("Rapat Koordinasi Humas")
    assert got[S.STATUS] == "Belum Lengkap"
    assert "'foto/a.jpg' tidak ditemukan" in got[S.SYSTEM_NOTE]


def test_a_tick_seen_during_the_outage_is_bound_to_the_content_read_afterwards(tmp_path):
    """After the share returns with a different photo than before, the Kadis's tick (given
    before) is voided — the content did change — but the Kabid's, first seen during the
    outage, is bound to what is read now, so only that edit asks for paraf again."""
    agenda = Agenda(tmp_path, [waiting_for_kabid()])
    agenda.take_in(T[0])
    bring_back = take_share_away(agenda, "moved")
    agenda.edit("Rapat Koordinasi Humas", **{S.PARAF_KABID: True})
    agenda.cycle(T[1])
    bring_back()
    agenda.photo("foto/a.jpg", "yellow")       # the photo was replaced meanwhile
    agenda.cycle(T[2])
    got = agenda.by_title("Rapat Koordinasi Humas")
    assert got[S.PARAF_KADIS] is False and got[S.PARAF_KABID] is False
    assert [h["Peristiwa"] for h in agenda.history()].count("Paraf Diulang") == 1
    assert agenda.site_posts() == []


def test_the_outage_shows_in_status_program_and_reaches_the_admin_once(tmp_path, monkeypatch):
    token = "123456:ABCdef"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with FakeTelegram(token=token) as tg:
        notify = {"telegram": {"api_base": tg.base_url}, "recipients": {"admin": ["telegram:999"]}}
        agenda = Agenda(tmp_path, [waiting_for_kabid()], config=config_toml(notify=notify))
        service = Service(agenda.cfg, heartbeat=True)
        service.tick(T[0])
        bring_back = take_share_away(agenda, "moved")
        for minute in (1, 2, 3):
            service.tick(T[minute])
        admin = [m for m in tg.messages if m.chat_id == "999"]
        assert len(admin) == 1 and "media" in admin[0].text
        ledger = ledger_of(agenda)
        shown = dict((r[0], r[1]) for r in status_rows(ledger, agenda.cfg, T[3]))
        assert "tidak dapat dibaca" in shown["Gangguan sumber media/naskah"]
        ledger.close()
        book = agenda._book()
        assert "Status Program" in book.sheetnames
        cells = {r[0].value: r[1].value for r in book["Status Program"].iter_rows()}
        assert "tidak dapat dibaca" in cells["Gangguan sumber media/naskah"]

        bring_back()
        service.tick(T[4])
        ledger = ledger_of(agenda)
        assert ledger.meta.outage is None
        ledger.close()
        # a second episode is told again, once
        take_share_away(agenda, "moved")
        service.tick(T[5])
        service.tick(T[6])
        assert len([m for m in tg.messages if m.chat_id == "999"]) == 2


# -- Google Drive and Docs ---------------------------------------------------------------------

class DriveOffice(Agenda):
    """An .xlsx agenda whose media and documents are on (the stand-in of) Google Drive."""

    def __init__(self, folder, fake: FakeGoogle):
        self.fake = fake
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "credentials.json").write_text(json.dumps(fake.service_account_info()))
        super().__init__(folder, [], config=config_toml(media={"backend": "drive"}))
        self.photo("seed/a.jpg")
        data = (self.folder / "media" / "seed" / "a.jpg").read_bytes()
        self.folder_id = fake.add_folder("Kegiatan Gubernur")
        self.photo_id = fake.add_file("jembatan.jpg", data, "image/jpeg", [self.folder_id])
        self.doc_id = fake.add_document("Naskah Rapat", "<p>TANJUNG SELOR – Isi dari Docs.</p>",
                                       shared="reader")

    def drive_row(self, title: str, **cells) -> dict:
        return row(title, **{S.MEDIA: f"https://drive.google.com/drive/folders/{self.folder_id}",
                             S.TEXT: f"https://docs.google.com/document/d/{self.doc_id}/edit",
                             **cells})

    def cycle(self, now=NOW, **kw):
        def no_waiting(media):
            media.sleep = lambda seconds: None     # the retry policy's waits, not the test's
            media.timeout = 0.5                    # a hanging Drive gives up quickly
            return media
        return super().cycle(now, media=no_waiting, **kw)


@pytest.fixture
def drive_office(tmp_path, monkeypatch):
    with FakeGoogle() as fake:
        monkeypatch.setenv("AGENDA_GOOGLE_API_BASE", fake.base_url)
        yield DriveOffice(tmp_path / "office", fake)


FAULTS = {
    "drive 503": lambda fake: fake.server_error("drive", times=10_000, status=503),
    "drive 429": lambda fake: fake.rate_limit("drive", times=10_000, retry_after=0),
    "drive rate 403": lambda fake: fake.drive_error("userRateLimitExceeded", times=10_000),
    "drive timeout": lambda fake: fake.slow(1, "drive", times=10_000),
    "docs export 500": lambda fake: fake.server_error(
        lambda r: r.kind == "media" or "export" in r.path, times=10_000, status=500),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_drive_failing_while_the_kabid_ticks_voids_nothing(drive_office, fault):
    office = drive_office
    office.put_rows([office.drive_row("Rapat Koordinasi", **{S.PARAF_KADIS: True}),
                     office.drive_row("Sudah Tayang", **{S.PARAF_KADIS: True,
                                                          S.PARAF_KABID: True})])
    office.cycle(T[0])
    assert office.by_title("Rapat Koordinasi")[S.STATUS] == "Menunggu Paraf Kabid"
    assert office.by_title("Sudah Tayang")[S.STATUS] == "Tayang"
    office.edit("Rapat Koordinasi", **{S.PARAF_KABID: True})
    FAULTS[fault](office.fake)
    before = office.path.read_bytes()
    report = office.cycle(T[1])
    assert report.outages and report.postponed >= 1
    assert office.path.read_bytes() == before
    assert office.by_title("Sudah Tayang")[S.STATUS] == "Tayang"
    office.fake.clear_faults()                 # Google answers again
    report = office.cycle(T[2])
    assert report.outages == ()
    got = office.by_title("Rapat Koordinasi")
    assert got[S.STATUS] == "Tayang" and got[S.PARAF_KABID] is True
    assert len(office.site_posts()) == 2
    no_reapproval(office)
