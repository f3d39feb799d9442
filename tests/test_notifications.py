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


class Office(Agenda):
    """An .xlsx workspace whose [notify] points at the stand-ins."""

    def __init__(self, folder: Path, rows, tg: FakeTelegram, wa: FakeFonnte, smtp: SmtpServer,
                 timeout: int = 10):
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
        super().__init__(folder, rows, config=config_toml(notify=notify))
        self.tg, self.wa, self.smtp = tg, wa, smtp

    def tick(self, minutes: float = 0, heartbeat: bool = False):
        return Service(self.cfg, heartbeat=heartbeat).tick(NOW + timedelta(minutes=minutes))

    def received(self) -> Counter:
        """(recipient, first line of the message) -> how many times it arrived."""
        got = Counter((f"telegram:{m.chat_id}", m.text.splitlines()[0]) for m in self.tg.messages)
        got.update((f"wa:{m.target}", m.text.splitlines()[0]) for m in self.wa.messages)
        got.update((f"email:{m['To']}", m.get_content().splitlines()[0])
                   for m in self.smtp.messages())
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
        assert part in mail.get_content()

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
