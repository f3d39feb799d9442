"""The ledger across versions of the program: its schema version, migrations, a ledger of
release 0.1.0 (tests/data/ledger-v0.sql, made by that release's code) upgraded and worked on,
a newer one refused; the program's facts through typed accessors; rows with named fields."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from automation import ledger as ledger_module
from automation.core import schema as S
from automation.core.workflow import Event, Memory
from automation.ledger import (MIGRATIONS, SCHEMA_VERSION, CachedContent, DueNotice, Ledger,
                               LedgerTooNew, Meta, Migration)
from automation.ports import AdapterError
from automation.service import Service
from tests.support.workspace import NOW, WITA, Agenda, approved, row

ROOT = Path(__file__).resolve().parent.parent
V0_DUMP = Path(__file__).parent / "data" / "ledger-v0.sql"
AUTOMATION = ROOT / "automation"

# What the dump holds (see its header).
PUBLISHED, WAITING, UNAPPROVED = "0001/2026", "0002/2026", "0003/2026"
AT = lambda minutes: NOW + timedelta(minutes=minutes)      # noqa: E731


def v0_ledger(path: Path) -> Path:
    """A ledger file as release 0.1.0 left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(V0_DUMP.read_text(encoding="utf-8"))
    db.close()
    return path


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def tables(db: sqlite3.Connection) -> dict[str, str]:
    """Each table and index, with its SQL, whitespace aside."""
    return {name: " ".join(sql.split()) for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}


@pytest.fixture
def old(tmp_path) -> Path:
    return v0_ledger(tmp_path / "state" / "ledger.sqlite3")


# -- a ledger of release 0.1.0 -----------------------------------------------------------------

def test_the_fixture_is_a_ledger_of_release_0_1_0(old):
    assert user_version(old) == 0
    db = sqlite3.connect(old)
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("entries", "events", "counters", "notices", "meta", "journal")}
    assert counts == {"entries": 3, "events": 12, "counters": 2, "notices": 5, "meta": 10,
                      "journal": 2}


def test_a_ledger_of_release_0_1_0_is_upgraded_and_kept_as_it_was_beside_it(old):
    before = tables(sqlite3.connect(old))
    ledger = Ledger(old)
    try:
        assert ledger.schema_version == SCHEMA_VERSION
        # version 1 is release 0.1.0's tables; version 2 adds the settled rows; version 3
        # the problems of cached content; version 4 the journal of video conversions
        after = tables(ledger.db)
        assert after == {**before, "settled": after["settled"],
                         "content_cache": after["content_cache"],
                         "conversions": after["conversions"], "previews": after["previews"],
                         "notices": after["notices"]}
        assert "attachment TEXT" in after["notices"]
        assert after["conversions"].startswith("CREATE TABLE conversions (key TEXT PRIMARY KEY")
        assert after["content_cache"].endswith("problems TEXT NOT NULL DEFAULT '[]')")
    finally:
        ledger.close()
    assert user_version(old) == SCHEMA_VERSION
    backup = old.with_name("ledger.schema-0.sqlite3")
    assert user_version(backup) == 0
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT count(*) FROM events").fetchone()[0] == 12
    copy.close()
    # Opened again: nothing left to do, no second copy.
    backup.unlink()
    Ledger(old).close()
    assert not backup.exists()


def test_an_upgraded_ledger_of_release_0_1_0_is_worked_on(old):
    ledger = Ledger(old)
    try:
        memories = {eid: ledger.memory(eid)
                    for (eid,) in ledger.db.execute("SELECT entry_id FROM entries")}
        assert sorted(m.agenda_number for m in memories.values()) == [PUBLISHED, WAITING,
                                                                      UNAPPROVED]
        by_number = {m.agenda_number: (eid, m) for eid, m in memories.items()}
        first_id, first = by_number[PUBLISHED]
        assert first.post is not None and first.archive_number == "400.14.5.6/0001/DKISP/XI/2026"
        assert first.published_at == NOW

        # The write-back that failed at +3 minutes left two events for `Riwayat`.
        waiting_id, _ = by_number[WAITING]
        outbox = ledger.unwritten_events()
        assert [(e.entry_id, e.key) for e in outbox] == [(waiting_id, "Paraf Kabid#1"),
                                                        (waiting_id, "Tayang#0")]
        assert outbox[1] == Event(waiting_id, "Tayang", AT(3), WAITING, outbox[1].detail, "0")
        assert len(ledger.all_events(WITA)) == 12

        # The numbers go on where release 0.1.0 left them.
        assert ledger.allocate("agenda", 2026) == 4
        assert ledger.allocate("archive", 2026) == 3
        assert ledger.allocate("agenda", 2027) == 1

        # Its facts read typed.
        meta = ledger.meta
        assert meta.outage_since == AT(5) and "Folder media" in meta.outage
        assert meta.last_error == "buku_agenda.xlsx could not be read: the share is not mounted"
        assert meta.last_error_at == meta.failing_since == AT(6)
        assert meta.last_success == meta.heartbeat_at == meta.heartbeat_outage == AT(5)
        assert meta.heartbeat_error is None and meta.agenda_version is None
        assert meta.next_deadline == datetime(2026, 11, 27, 9, 7, 1, tzinfo=WITA)
        assert meta.retry_pending is False

        # Five notices wait, none sent; they can be sent now.
        due = ledger.due_notices(AT(10))
        assert len(due) == ledger.notices_waiting() == 5
        ledger.notice_attempt(due[0].rowid)
        ledger.notice_sent(due[0].rowid, AT(10))
        assert ledger.notices_waiting() == 4
        cached = ledger.cached_content(first_id)
        assert cached.fingerprint == first.approvals["Paraf Kadis"] and cached.problems == ()
    finally:
        ledger.close()


def test_a_cycle_on_an_upgraded_ledger_goes_on_from_it(tmp_path):
    """The program run on release 0.1.0's state folder: the queued events reach `Riwayat`,
    new rows are numbered after the old ones, the outage it remembered ends."""
    office = Agenda(tmp_path / "office", [approved("Rapat Paripurna DPRD"),
                                          row("Sosialisasi Pajak")])
    v0_ledger(office.cfg.state_dir / "ledger.sqlite3")
    Service(office.cfg).tick(AT(20))
    numbers = sorted(r[S.AGENDA_NUMBER] for r in office.rows())
    assert numbers == ["0004/2026", "0005/2026"]
    assert office.by_title("Rapat Paripurna DPRD")[S.ARCHIVE_NUMBER].startswith(
        "400.14.5.6/0003/")
    written = [(h[S.AGENDA_NUMBER], h["Peristiwa"]) for h in office.history()]
    assert (WAITING, "Paraf Kabid") in written and (WAITING, "Tayang") in written
    ledger = Ledger(office.cfg.state_dir / "ledger.sqlite3")
    try:
        assert ledger.unwritten_events() == []
        assert ledger.meta.outage_since is None and ledger.meta.last_success == AT(20)
        assert ledger.meta.failing_since is None
    finally:
        ledger.close()


# -- a ledger of a newer program ---------------------------------------------------------------

def newer_ledger(path: Path) -> Path:
    Ledger(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.execute("INSERT INTO meta VALUES ('from_the_future', 'x')")
    db.commit()
    db.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_ledger_of_a_newer_program_is_refused_and_left_alone(tmp_path):
    path = newer_ledger(tmp_path / "state" / "ledger.sqlite3")
    before = digest(path)
    with pytest.raises(LedgerTooNew) as refused:
        Ledger(path)
    message = str(refused.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "newer version of the program" in message and "restore a backup" in message
    assert isinstance(refused.value, AdapterError)     # `once`, `run`, `report` print it
    assert digest(path) == before and user_version(path) == SCHEMA_VERSION + 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.sqlite3"]

    copy = Ledger(Path(":memory:"))
    with pytest.raises(LedgerTooNew):
        copy.load_copy(path)
    copy.close()


def test_once_on_a_newer_ledger_says_why_it_cannot_run(tmp_path):
    office = Agenda(tmp_path, [row("Rapat Koordinasi")])
    newer_ledger(office.cfg.state_dir / "ledger.sqlite3")
    before = office.path.read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "once"], cwd=office.folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "The cycle could not run" in done.stderr and "newer version" in done.stderr
    assert "Traceback" not in done.stderr
    assert office.path.read_bytes() == before


# -- migrations ---------------------------------------------------------------------------------

def test_migrations_bring_a_ledger_to_each_version_in_turn():
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_a_new_ledger_has_the_current_schema_and_no_backup(tmp_path, old):
    path = tmp_path / "new" / "ledger.sqlite3"
    ledger = Ledger(path)
    try:
        assert ledger.schema_version == SCHEMA_VERSION
        upgraded = Ledger(old)
        assert tables(ledger.db) == tables(upgraded.db)
        upgraded.close()
    finally:
        ledger.close()
    assert sorted(p.name for p in path.parent.iterdir()
                  if not p.name.endswith(("-wal", "-shm"))) == ["ledger.sqlite3"]


def later_migrations(monkeypatch, *extra: Migration) -> None:
    monkeypatch.setattr(ledger_module, "MIGRATIONS", MIGRATIONS + extra)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", SCHEMA_VERSION + len(extra))


def add_column(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE journal ADD COLUMN note TEXT NOT NULL DEFAULT ''")


def fill_note(db: sqlite3.Connection) -> None:
    db.execute("UPDATE journal SET note = 'from ' || action")


def test_later_migrations_run_in_order_on_an_old_ledger(monkeypatch, old):
    later_migrations(monkeypatch, Migration(SCHEMA_VERSION + 1, "journal notes", add_column),
                     Migration(SCHEMA_VERSION + 2, "notes filled", fill_note))
    ledger = Ledger(old)                     # from 0, through 1, to 3
    try:
        assert ledger.schema_version == SCHEMA_VERSION + 2
        assert {n for (n,) in ledger.db.execute("SELECT note FROM journal")} == {"from publish"}
        assert ledger.allocate("agenda", 2026) == 4
    finally:
        ledger.close()


def test_a_failing_migration_leaves_the_ledger_as_it_was(monkeypatch, tmp_path):
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    ledger.allocate("agenda", 2026)
    ledger.close()

    def broken(db: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    later_migrations(monkeypatch, Migration(SCHEMA_VERSION + 1, "journal notes", add_column),
                     Migration(SCHEMA_VERSION + 2, "broken", broken))
    with pytest.raises(sqlite3.OperationalError):
        Ledger(path)
    assert user_version(path) == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert "note" not in [c[1] for c in db.execute("PRAGMA table_info(journal)")]
    db.close()
    assert user_version(path.with_name(f"ledger.schema-{SCHEMA_VERSION}.sqlite3")) \
        == SCHEMA_VERSION                    # the copy made before trying


def test_a_copy_for_check_or_dry_run_is_upgraded_in_memory_only(old):
    before = digest(old)
    copy = Ledger(Path(":memory:"))
    try:
        copy.load_copy(old)
        assert copy.schema_version == SCHEMA_VERSION
        assert len(copy.unwritten_events()) == 2 and copy.meta.outage_since == AT(5)
    finally:
        copy.close()
    assert digest(old) == before and user_version(old) == 0
    assert sorted(p.name for p in old.parent.iterdir()) == ["ledger.sqlite3"]


# -- the program's facts --------------------------------------------------------------------------

@pytest.fixture
def ledger(tmp_path):
    opened = Ledger(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


def test_every_fact_is_listed_with_its_meaning_and_read_typed(ledger):
    assert all(key.meaning for key in Meta.KEYS.values())
    meta = ledger.meta
    for name in Meta.KEYS:
        assert getattr(meta, name) in (None, False), name
    meta.outage_since = AT(1)
    meta.outage = "Folder media tidak dapat dibaca"
    meta.retry_pending = True
    assert meta.outage_since == AT(1) and meta.retry_pending is True
    assert meta.raw("outage_since") == AT(1).isoformat()  # stored as release 0.1.0 stored it
    assert meta.raw("retry_pending") == "1"
    meta.outage_since = None
    meta.retry_pending = False
    assert ledger.db.execute("SELECT key FROM meta").fetchall() == [("outage",)]
    with pytest.raises(TypeError):
        meta.last_success = AT(1).isoformat()               # a time is a datetime


def test_only_known_keys_are_stored(ledger):
    ledger.meta.set_raw("last_full_read", AT(2).isoformat())
    assert ledger.meta.last_full_read == AT(2)
    with pytest.raises(KeyError, match="automation.ledger.Meta"):
        ledger.meta.raw("last_ful_read")
    with pytest.raises(KeyError):
        ledger.meta.set_raw("agenda_verison", "1")


def test_every_key_the_code_spells_out_is_listed():
    """Until every caller uses the accessors, the keys written as text are known ones."""
    spelled = set()
    for source in set(AUTOMATION.rglob("*.py")) - {AUTOMATION / "ledger.py"}:
        spelled |= set(re.findall(r"""\bmeta\(\s*["'](\w+)["']""", source.read_text("utf-8")))
    assert spelled <= set(Meta.KEYS)


def test_times_compare_as_times_whatever_their_offset(ledger):
    ledger.meta.last_error_at = AT(4)
    ledger.meta.heartbeat_error = AT(4).astimezone(timezone.utc)
    assert ledger.meta.heartbeat_error == ledger.meta.last_error_at


# -- rows -----------------------------------------------------------------------------------------

def test_the_outbox_is_the_events_themselves(old):
    ledger = Ledger(old)
    try:
        outbox = ledger.unwritten_events()
        assert [e.key for e in outbox] == ["Paraf Kabid#1", "Tayang#0"]
        assert ledger.mark_attempted(outbox) is True       # tried by release 0.1.0
        ledger.mark_written(outbox)
        assert ledger.unwritten_events() == []
        assert len(ledger.all_events(WITA)) == 12
    finally:
        ledger.close()


def test_events_come_back_as_recorded_their_times_in_the_office_zone(ledger):
    utc = Event("A", "Paraf Kadis", AT(1).astimezone(timezone.utc), "0001/2026", "Dicentang", "2")
    ledger.remember("A", Memory(agenda_number="0001/2026"), [utc])
    assert ledger.unwritten_events() == [utc]
    assert ledger.mark_attempted([utc]) is False
    # Adopted from `Riwayat`: a naive time an earlier build read there is the office's; a
    # cell that was not a time keeps its text.
    ledger.adopt_events([Event("B", "Diterima", AT(2).replace(tzinfo=None), "0002/2026"),
                         Event("B", "Lengkap", "kemarin sore", "0002/2026", "lengkap")])
    assert ledger.unwritten_events() == [utc]             # adopted: already in `Riwayat`
    recorded = {e.key: e for e in ledger.all_events(WITA)}
    assert recorded == {
        "Paraf Kadis#2": Event("A", "Paraf Kadis", AT(1), "0001/2026", "Dicentang", "2"),
        "Diterima#sheet0": Event("B", "Diterima", AT(2), "0002/2026", "", "sheet0"),
        "Lengkap#sheet1": Event("B", "Lengkap", "kemarin sore", "0002/2026", "lengkap",
                                "sheet1")}
    assert recorded["Paraf Kadis#2"].at.tzinfo == WITA


def test_rows_have_named_fields_and_still_unpack_as_tuples(old):
    ledger = Ledger(old)
    try:
        notice = ledger.due_notices(AT(10))[0]
        assert isinstance(notice, DueNotice) and notice.attempts == 0
        assert notice.address.startswith(("wa:", "telegram:"))
        rowid, address, subject, text, attempts, entry_id, attachment = notice
        assert attachment is None                 # queued before schema 5: carries nothing
        assert rowid == notice.rowid

        (cached_id,) = ledger.db.execute("SELECT entry_id FROM content_cache LIMIT 1").fetchone()
        cached = ledger.cached_content(cached_id)
        assert isinstance(cached, CachedContent)
        assert cached[0] == cached.key and cached[1] == cached.stamp
        assert cached[2] == cached.fingerprint
    finally:
        ledger.close()
