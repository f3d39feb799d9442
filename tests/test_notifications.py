"""Notifications end to end: the real program, loopback stand-ins of Telegram and Fonnte, and
a real SMTP server process. Each event gives exactly one message per recipient; a failing
channel never holds up publishing; restarts around the send lose nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from automation import config as config_module
from automation.core import schema as S
from automation.ledger import Ledger
from automation.service import Service
from tests.fakes.fonnte import FakeFonnte
from tests.fakes.smtp import SmtpServer
from tests.fakes.telegram import FakeTelegram
from tests.support.config import config_toml
from tests.support.kill_runs import Runs
from tests.support.workspace import NOW, Agenda, approved, row

TOKEN, WA_TOKEN = "123456:ABCdef", "fonnte-device-token"
KADIS, KABID, PETUGAS, KASI, ADMIN = "111", "0812111", "0813222", "kasi@kaltaraprov.go.id", "999"


def body(mail) -> str:  # type: ignore[no-untyped-def]
    """An e-mail's text, with or without attachments."""
    return mail.get_body(("plain",)).get_content()


class Office(Agenda):
    """An .xlsx workspace whose [notify] points at the stand-ins."""

    def __init__(self, folder: Path, rows, tg: FakeTelegram, wa: FakeFonnte, smtp: SmtpServer,
                 timeout: int = 10, preview: dict | None = None):
        notify = {
            "timeout_seconds": timeout, "failing_minutes": 30,
            "telegram": {"api_base": tg.base_url},
            "fonnte": {"api_base": wa.base_url},
            "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                      "sender": "humas@kaltaraprov.go.id"},
            "recipients": {"kadis": [f"telegram:{KADIS}"], "kabid": [f"wa:{KABID}"],
                           "kasi": [f"email:{KASI}"], "admin": [f"telegram:{ADMIN}"]},
            "petugas": {"Rahmawati": [f"wa:{PETUGAS}"]},
        }
        super().__init__(folder, rows, config=config_toml(notify=notify, preview=preview))
        self.tg, self.wa, self.smtp = tg, wa, smtp

    def tick(self, minutes: float = 0, heartbeat: bool = False):
        return Service(self.cfg, heartbeat=heartbeat).tick(NOW + timedelta(minutes=minutes))

    def received(self) -> Counter:
        """(recipient, first line of the message) -> how many times it arrived."""
        got = Counter((f"telegram:{m.chat_id}", m.text.splitlines()[0]) for m in self.tg.messages)
        got.update((f"wa:{m.target}", m.text.splitlines()[0]) for m in self.wa.messages)
        got.update((f"email:{m['To']}", body(m).splitlines()[0]) for m in self.smtp.messages())
        return got


@pytest.fixture
def stand_ins(tmp_path, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FONNTE_TOKEN", WA_TOKEN)
    with FakeTelegram(token=TOKEN) as tg, FakeFonnte(token=WA_TOKEN) as wa, \
            SmtpServer(tmp_path / "smtp") as smtp:
        yield tg, wa, smtp


def make_office(tmp_path, stand_ins, rows, **kw) -> Office:
    return Office(tmp_path / "office", rows, *stand_ins, **kw)


def test_each_step_tells_the_next_person_exactly_once(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Gubernur Resmikan Jembatan")])
    office.tick()
    assert office.received() == Counter({
        (f"telegram:{KADIS}", "Berita menunggu Paraf Kadis Anda (standar 7 menit)."): 1})
    text = office.tg.messages[0].text
    assert "Judul: Gubernur Resmikan Jembatan" in text and "No. Agenda: 0001/2026" in text

    office.edit("Gubernur Resmikan Jembatan", **{S.PARAF_KADIS: True})
    office.tick(2)
    office.edit("Gubernur Resmikan Jembatan", **{S.PARAF_KABID: True})
    office.tick(4)
    office.tick(5)                        # nothing new: nothing sent again
    published = office.by_title("Gubernur Resmikan Jembatan")
    assert published[S.STATUS] == "Tayang"
    assert office.received() == Counter({
        (f"telegram:{KADIS}", "Berita menunggu Paraf Kadis Anda (standar 7 menit)."): 1,
        (f"wa:{KABID}", "Berita menunggu Paraf Kabid Anda (standar 7 menit)."): 1,
        (f"wa:{PETUGAS}", "Berita tayang di website."): 1,
        (f"email:{KASI}", "Berita tayang di website."): 1,
    })
    (mail,) = office.smtp.messages()
    assert mail["Subject"] == "Berita tayang: Gubernur Resmikan Jembatan"
    for part in (published[S.WEBSITE_URL], published[S.ARCHIVE_NUMBER],
                 published[S.ARCHIVE_LOCATION]):
        assert part in body(mail)

    # The Kasi has not filed the paper after the standard: one reminder, in office hours.
    office.tick(20)
    office.tick(40)
    reminders = [k for k in office.received() if k[1].startswith("Pengingat")]
    assert reminders == [(f"email:{KASI}", reminders[0][1])]
    assert office.received()[reminders[0]] == 1
    assert "naskah fisik diarsipkan Kasi" in reminders[0][1]
    assert "Melewati standar 7 menit" in office.by_title("Gubernur Resmikan Jembatan")[S.SYSTEM_NOTE]


def test_a_failing_channel_never_holds_up_publishing_and_is_retried(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi"), approved("Jembatan")],
                         timeout=1)
    office.tg.fail(503, "Service Unavailable")
    office.tick()
    assert office.by_title("Jembatan")[S.STATUS] == "Tayang"
    assert office.tg.messages == []
    assert (f"wa:{PETUGAS}", "Berita tayang di website.") in office.received()   # others go on

    office.tick(0.5)                      # backing off: not yet
    assert office.tg.messages == []
    office.tick(3)
    office.tick(4)
    assert [m.chat_id for m in office.tg.messages] == [KADIS]


def test_a_hanging_channel_costs_one_timeout_per_round(tmp_path, stand_ins):
    import time

    office = make_office(tmp_path, stand_ins, [row(f"Berita {n}") for n in range(4)], timeout=1)
    office.tg.slow(30, times=100)
    started = time.monotonic()
    office.tick()
    assert time.monotonic() - started < 10                # not 4 x 30 s
    assert all(r[S.STATUS] == "Menunggu Paraf Kadis" for r in office.rows())


def test_the_administrator_is_told_when_cycles_keep_failing(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")])
    office.tick()
    office.path.write_bytes(b"not a workbook")            # the agenda breaks
    for minutes in (1, 10, 20):
        with pytest.raises(Exception):
            office.tick(minutes)
    assert [m for m in office.tg.messages if m.chat_id == ADMIN] == []
    for minutes in (31, 40):
        with pytest.raises(Exception):
            office.tick(minutes)
    (told,) = [m for m in office.tg.messages if m.chat_id == ADMIN]
    assert "gagal sejak 27 November 2026, 09:01 WITA" in told.text
    assert "python main.py check" in told.text


def test_untrusted_paraf_columns_tell_the_administrator_once(tmp_path, stand_ins):
    from tests.test_cycle import UntrustedApprovals

    office = make_office(tmp_path, stand_ins, [approved("Jembatan"), row("Rapat")])
    office.cycle(NOW, store=UntrustedApprovals)
    office.cycle(NOW + timedelta(minutes=1), store=UntrustedApprovals)
    office.tick(2)                        # trusted again: published, and the notice delivered
    assert office.by_title("Jembatan")[S.STATUS] == "Tayang"
    admin = [m.text for m in office.tg.messages if m.chat_id == ADMIN]
    assert len(admin) == 1 and "dapat diubah siapa saja" in admin[0]
    assert "'init' lalu 'check'" in admin[0]
    office.edit("Rapat", **{S.PARAF_KADIS: True})
    office.cycle(NOW + timedelta(minutes=3), store=UntrustedApprovals)     # a new episode
    office.tick(4)
    assert len([m for m in office.tg.messages if m.chat_id == ADMIN]) == 2


def test_a_lost_state_folder_sends_no_message_per_row(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat"), row("Jembatan", **{S.PARAF_KADIS: True}),
                                               approved("Pameran")])
    office.tick()
    before = office.received()
    assert sum(before.values()) == 4          # Kadis, Kabid, and the petugas and Kasi of Pameran
    office.lose_state()
    office.tick(1)
    office.tick(30)                           # overdue in office hours: still nothing again
    assert office.received() == before
    assert office.by_title("Pameran")[S.STATUS] == "Tayang"
    office.edit("Rapat", **{S.PARAF_KADIS: True})
    office.tick(31)                           # a new wait is announced as ever
    assert office.received()[(f"wa:{KABID}", "Berita menunggu Paraf Kabid Anda (standar 7 menit).")] == 2


def test_the_heartbeat_shows_in_the_agenda(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")])
    office.tick(heartbeat=True)
    sheet = {r[0]: r[1] for r in office._book()["Status Program"].iter_rows(values_only=True)}
    assert sheet["Siklus terakhir berhasil"] == NOW.replace(tzinfo=None)
    assert sheet["Kesalahan terakhir"] == "-"
    office.tick(5, heartbeat=True)                         # not due yet: the file is left alone
    sheet = {r[0]: r[1] for r in office._book()["Status Program"].iter_rows(values_only=True)}
    assert sheet["Lembar ini diperbarui"] == NOW.replace(tzinfo=None)
    office.tick(11, heartbeat=True)
    sheet = {r[0]: r[1] for r in office._book()["Status Program"].iter_rows(values_only=True)}
    assert sheet["Siklus terakhir berhasil"] == (NOW + timedelta(minutes=11)).replace(tzinfo=None)


# ---- killed and restarted around the send ---------------------------------------------------

OUTBOX = "automation.ledger.Ledger"


@pytest.mark.parametrize("step, sent", [
    (f"after:{OUTBOX}.queue_notices", 1),       # queued with the row's memory, nothing sent
    (f"after:{OUTBOX}.notice_attempt", 1),      # about to send
    (f"after:{OUTBOX}.notice_sent", 1),         # sent and recorded
    # Killed between the channel's answer and the record: the one window where a message
    # goes twice (never zero times). No channel offers a way to ask whether it arrived.
    (f"before:{OUTBOX}.notice_sent", 2),
])
def test_killed_around_the_send_the_message_arrives(tmp_path, stand_ins, step, sent):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")])
    runs = Runs(office.folder, {"TELEGRAM_BOT_TOKEN": TOKEN, "FONNTE_TOKEN": WA_TOKEN})
    killed = runs.killed(step, 1)
    assert killed.returncode == -9, runs.report()
    runs.must(runs.once())
    runs.must(runs.once())
    assert [m.chat_id for m in office.tg.messages] == [KADIS] * sent, runs.report()


def test_check_names_each_misconfigured_channel_and_a_stale_heartbeat(tmp_path, stand_ins,
                                                                      monkeypatch):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")])
    office.tick()
    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    ledger.meta.last_success = NOW - timedelta(hours=3)
    ledger.close()
    office.smtp.stop()                    # the mail server is down
    env = {"TELEGRAM_BOT_TOKEN": "", "FONNTE_TOKEN": "wrong-token"}
    runs = Runs(office.folder, env)
    done = runs._run("check", str(Path(__file__).parent.parent / "main.py"), "--config",
                     str(office.folder / "config.toml"), "check")
    assert done.returncode == 1
    out = done.stdout
    assert "TELEGRAM_BOT_TOKEN" in out and "@BotFather" in out
    assert "Fonnte" in out and "token" in out.lower()
    assert f"127.0.0.1:{office.smtp.port}" in out or "SMTP" in out
    assert "stale heartbeat" in out and "main.py run" in out


def test_example_config_documents_every_notify_key():
    example = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    cfg = config_module.load(Path(__file__).parent.parent / "config.example.toml")
    for key in ("office_hours", "office_days", "failing_minutes", "heartbeat_minutes",
                "sheet_url", "timeout_seconds", "bot_token_env", "token_env", "password_env"):
        assert key in example
    assert cfg.notify.recipients == {}          # nothing is sent until someone is listed


def test_addresses_by_role_and_the_petugas_by_name(tmp_path):
    from automation.notify.outbox import addresses, sheet_link

    path = tmp_path / "config.toml"
    path.write_text(config_toml(
        None, agenda={"backend": "google", "spreadsheet_id": "1AbC"},
        notify={"recipients": {"kasi": ["email:kasi@kaltaraprov.go.id"],
                               "petugas": ["wa:120363025555555555@g.us"]},
                "petugas": {"Rahmawati": ["wa:0813222", "email:kasi@kaltaraprov.go.id"]},
                "email": {"host": "mail.kaltaraprov.go.id", "sender": "humas@kaltaraprov.go.id"}}),
        encoding="utf-8")
    cfg = config_module.load(path)
    assert sheet_link(cfg) == "https://docs.google.com/spreadsheets/d/1AbC/edit"
    # Each address once, the named petugas first, then the office group.
    assert addresses(cfg.notify, ("petugas", "kasi"), "  rahmawati ") == [
        "wa:0813222", "email:kasi@kaltaraprov.go.id", "wa:120363025555555555@g.us"]
    assert addresses(cfg.notify, ("petugas",), "Budi") == ["wa:120363025555555555@g.us"]
    assert addresses(cfg.notify, ("kadis",)) == []


# ---- the page a notice carries: Pratinjau for a paraf, Lembar Arsip at publication -----------

# The cycle makes no pages here (that is tests/test_pratinjau_flow.py's business): each test
# records the pages it wants as the cycle would, and delivers with the resolver it wants.
NO_PAGES = {"enabled": False}
LINK = "https://drive.google.com/file/d/1AbCdEf/view"
CANNOT = "{} belum dapat dilampirkan; buka Buku Agenda untuk melihat baris ini."


def record_pages(office: Office, folder: Path, link: str = "") -> dict[tuple[str, str], Path]:
    """A real PDF for each page the waiting notices refer to, recorded in the ledger as made;
    (entry ID, kind) -> its file."""
    from automation.core.notices import parse_reference
    from tests.test_channels import pdf_file

    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    made: dict[tuple[str, str], Path] = {}
    try:
        with ledger.transaction():
            for entry_id, reference in ledger.db.execute(
                    "SELECT DISTINCT entry_id, attachment FROM notices WHERE sent_at IS NULL "
                    "AND attachment IS NOT NULL").fetchall():
                kind, fingerprint = parse_reference(reference)
                path = pdf_file(folder, f"{entry_id}-{kind}.pdf", f"{kind} {entry_id}")
                ledger.db.execute(
                    "INSERT OR IGNORE INTO previews (entry_id, kind, fingerprint, version, path, "
                    "link, made_at) VALUES (?, ?, ?, 1, ?, ?, ?)",
                    (entry_id, kind, fingerprint, str(path), link, NOW.isoformat()))
                made[entry_id, kind] = path
    finally:
        ledger.close()
    return made


def deliver_now(office: Office, minutes: float = 0, attachments="recorded") -> int:
    """One delivery round, as `Service.tick` runs it after the cycle."""
    import os

    from automation.notify.channels import channels_from
    from automation.notify.outbox import deliver, recorded_pages

    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    try:
        channels, problems = channels_from(office.cfg.notify, os.environ)
        assert problems == []
        return deliver(ledger, channels, NOW + timedelta(minutes=minutes), attachments=(
            recorded_pages(ledger) if attachments == "recorded" else attachments))
    finally:
        ledger.close()


def attached(mail) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    return [(a.get_filename(), a.get_content_type(), a.get_content())
            for a in mail.iter_attachments()]


def test_each_official_gets_the_pratinjau_and_the_kasi_the_lembar_arsip(tmp_path, stand_ins):
    title = "Gubernur Resmikan Jembatan"
    office = make_office(tmp_path, stand_ins, [row(title)], preview=NO_PAGES)
    office.cycle(NOW)
    entry = office.by_title(title)[S.ENTRY_ID]
    made = record_pages(office, tmp_path / "pages")
    assert deliver_now(office) == 1
    (kadis,) = office.tg.messages
    assert kadis.chat_id == KADIS and "sendDocument" in office.tg.requests[-1].path
    assert kadis.document.data == made[entry, "pratinjau"].read_bytes()
    assert kadis.document.filename == f"{entry}-pratinjau.pdf"
    assert kadis.text.startswith("Berita menunggu Paraf Kadis Anda") and "No. Agenda" in kadis.text
    assert "dilampirkan" not in kadis.text

    office.edit(title, **{S.PARAF_KADIS: True})
    office.cycle(NOW + timedelta(minutes=2))
    made = record_pages(office, tmp_path / "pages")
    # Both were asked about the content version the Kadis's tick binds.
    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    version = ledger.memory(entry).approvals[S.PARAF_KADIS]
    assert [r for (r,) in ledger.db.execute("SELECT attachment FROM notices ORDER BY rowid")] \
        == [f"pratinjau:{version}"] * 2
    ledger.close()
    assert deliver_now(office, 2) == 1
    (kabid,) = office.wa.messages
    assert kabid.target == KABID and kabid.file.data == made[entry, "pratinjau"].read_bytes()
    assert kabid.text.startswith("Berita menunggu Paraf Kabid Anda")

    office.edit(title, **{S.PARAF_KABID: True})
    office.cycle(NOW + timedelta(minutes=4))
    published = office.by_title(title)
    assert published[S.STATUS] == "Tayang"
    made = record_pages(office, tmp_path / "pages")
    assert deliver_now(office, 4) == 2
    sheet = made[entry, "arsip"].read_bytes()
    (petugas,) = office.wa.messages[1:]
    assert petugas.target == PETUGAS and petugas.file.data == sheet
    (mail,) = office.smtp.messages()
    assert mail["To"] == KASI and attached(mail) == [(f"{entry}-arsip.pdf", "application/pdf", sheet)]
    assert published[S.ARCHIVE_NUMBER] in body(mail) and "dilampirkan" not in body(mail)

    # Exactly once per event and recipient: the next rounds send nothing.
    assert deliver_now(office, 5) == 0
    office.cycle(NOW + timedelta(minutes=6))
    assert deliver_now(office, 6) == 0
    assert set(office.received().values()) == {1} and sum(office.received().values()) == 4


def _broken(entry_id: str, reference: str):  # type: ignore[no-untyped-def]
    raise OSError("the share with the pages is not mounted")


@pytest.mark.parametrize("resolver", ["none", "raises"])
def test_a_page_that_is_not_there_never_holds_a_notice_back(tmp_path, stand_ins, resolver):
    from automation.notify.outbox import no_attachments

    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi"), approved("Jembatan")],
                         preview=NO_PAGES)
    office.cycle(NOW)
    record_pages(office, tmp_path / "pages")       # made, but the resolver cannot give them
    attachments = no_attachments if resolver == "none" else _broken
    assert deliver_now(office, 0, attachments) == 3                # at once, each without it
    (kadis,) = office.tg.messages
    assert kadis.document is None and "sendMessage" in office.tg.requests[-1].path
    assert kadis.text.splitlines()[-1] == CANNOT.format("Pratinjau")
    (petugas,) = office.wa.messages
    assert petugas.file is None and petugas.text.splitlines()[-1] == CANNOT.format("Lembar Arsip")
    (mail,) = office.smtp.messages()
    assert not mail.is_multipart() and body(mail).splitlines()[-1] == CANNOT.format("Lembar Arsip")
    assert deliver_now(office, 1, attachments) == 0
    assert deliver_now(office, 2) == 0             # the pages can be found now: nothing again


def test_without_its_file_a_notice_gives_the_link(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi"), approved("Jembatan")],
                         preview=NO_PAGES)
    office.wa.free_plan = True                     # this Fonnte plan sends no files
    office.cycle(NOW)
    made = record_pages(office, tmp_path / "pages", link=LINK)
    made[office.by_title("Rapat Koordinasi")[S.ENTRY_ID], "pratinjau"].unlink()    # gone
    assert deliver_now(office) == 3
    (kadis,) = office.tg.messages
    assert kadis.document is None and kadis.text.splitlines()[-1] == f"Buka Pratinjau: {LINK}"
    (petugas,) = office.wa.messages
    assert petugas.file is None and petugas.text.splitlines()[-1] == f"Buka Lembar Arsip: {LINK}"
    (mail,) = office.smtp.messages()
    assert [a[0] for a in attached(mail)] == [f"{office.by_title('Jembatan')[S.ENTRY_ID]}-arsip.pdf"]


def test_with_pages_switched_off_notices_say_nothing_of_them(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi"), approved("Jembatan")],
                         preview=NO_PAGES)
    office.tick()
    texts = [m.text for m in office.tg.messages + office.wa.messages] + [
        body(m) for m in office.smtp.messages()]
    assert len(texts) == 3 and not any("Pratinjau" in t or "Lembar Arsip" in t for t in texts)
    assert office.tg.messages[0].document is None and office.wa.messages[0].file is None


def test_notices_queued_before_pages_existed_go_as_they_were(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")], preview=NO_PAGES)
    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    ledger.queue_notices("K7QPZ2MX9A", [("menunggu:Paraf Kadis#1", f"telegram:{KADIS}",
                                         "Menunggu Paraf Kadis: Rapat", "Berita menunggu.")], NOW)
    ledger.close()
    asked: list[tuple[str, str]] = []
    assert deliver_now(office, 0, lambda *key: asked.append(key)) == 1
    assert asked == [] and [(m.text, m.document) for m in office.tg.messages] == [
        ("Berita menunggu.", None)]


def test_an_edit_after_a_paraf_asks_again_with_the_new_versions_pratinjau(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")], preview=NO_PAGES)
    office.cycle(NOW)
    entry = office.by_title("Rapat Koordinasi")[S.ENTRY_ID]
    office.edit("Rapat Koordinasi", **{S.PARAF_KADIS: True})
    office.cycle(NOW + timedelta(minutes=1))
    office.edit("Rapat Koordinasi", **{S.TITLE: "Rapat Koordinasi Bencana"})
    office.cycle(NOW + timedelta(minutes=2))
    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    refs = dict(ledger.db.execute("SELECT key, attachment FROM notices WHERE address = ?",
                                  (f"telegram:{KADIS}",)).fetchall())
    current = ledger.cached_content(entry).fingerprint
    ledger.close()
    assert set(refs) == {"menunggu:Paraf Kadis#1", "menunggu:Paraf Kadis#2"}
    assert refs["menunggu:Paraf Kadis#2"] == f"pratinjau:{current}"
    assert refs["menunggu:Paraf Kadis#1"] != refs["menunggu:Paraf Kadis#2"]
    made = record_pages(office, tmp_path / "pages")
    assert deliver_now(office, 2) == 3             # Kadis twice (both rounds), Kabid once
    round2 = [m for m in office.tg.messages if "Bencana" in m.text]
    assert [m.document.data for m in round2] == [made[entry, "pratinjau"].read_bytes()]


def test_a_link_that_is_no_web_address_is_not_sent(tmp_path, stand_ins):
    office = make_office(tmp_path, stand_ins, [row("Rapat Koordinasi")], preview=NO_PAGES)
    office.cycle(NOW)
    entry = office.by_title("Rapat Koordinasi")[S.ENTRY_ID]
    record_pages(office, tmp_path / "pages", link="pratinjau/0001-2026-v1.pdf")[
        entry, "pratinjau"].unlink()               # the .xlsx backend's relative cell link
    assert deliver_now(office) == 1
    assert office.tg.messages[0].text.splitlines()[-1] == CANNOT.format("Pratinjau")
