"""The local ledger (SQLite in `state_dir`): what the program remembers between cycles.

Per entry: its memory (agenda number, approval fingerprints, the post, archive number...).
Beside it: an outbox of `Riwayat` events not yet written to the sheet, the running
numbers per year, a journal of every outside effect (intent before, outcome after), cached
facts about media files, the notices waiting to be sent, and a few facts about the program
itself (`Meta`: its health, when the agenda was last read...).

The schema has a version, kept in SQLite's `PRAGMA user_version`: `SCHEMA_VERSION` is the
one this program writes. Opening a ledger of an older version upgrades it through
`MIGRATIONS`, all in one transaction, after copying it beside itself
(`ledger.schema-<old version>.sqlite3`); a ledger of a newer version is refused (`LedgerTooNew`),
never read nor changed. Release 0.1.0 kept no version (its ledgers say 0): its tables are
version 1's, so version 1 only stamps them.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import (Any, Callable, ClassVar, Generic, Iterator, NamedTuple, Sequence, TypeVar,
                    overload)

from automation.core.workflow import Event, Memory, memory_from_json, memory_to_json
from automation.ports import AdapterError

log = logging.getLogger(__name__)

# -- the schema and how a ledger is brought to it ---------------------------------------------

SCHEMA_VERSION = 5

# Version 1: the tables of release 0.1.0. Every statement may run again (IF NOT EXISTS), so
# it also completes a ledger of an older build that lacked some table.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS entries (entry_id TEXT PRIMARY KEY, memory TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    entry_id TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL, agenda_number TEXT NOT NULL,
    name TEXT NOT NULL, detail TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0,
    attempted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (entry_id, key));
CREATE INDEX IF NOT EXISTS events_unwritten ON events (written) WHERE written = 0;
CREATE TABLE IF NOT EXISTS counters (kind TEXT, year INTEGER, last INTEGER NOT NULL,
    PRIMARY KEY (kind, year));
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, action TEXT NOT NULL,
    slug TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS file_facts (key TEXT PRIMARY KEY, facts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_ids (signature TEXT PRIMARY KEY, entry_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS content_cache (entry_id TEXT PRIMARY KEY, key TEXT NOT NULL,
    stamp TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
    entry_id TEXT NOT NULL, key TEXT NOT NULL, address TEXT NOT NULL, queued_at TEXT NOT NULL,
    subject TEXT NOT NULL, text TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT, sent_at TEXT, gave_up INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    PRIMARY KEY (entry_id, key, address));
CREATE INDEX IF NOT EXISTS notices_pending ON notices (sent_at) WHERE sent_at IS NULL;
"""

# Version 2: rows that need no look while they show the same (see `Ledger.settle`).
SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS settled (entry_id TEXT PRIMARY KEY, digest TEXT NOT NULL,
    recheck_at TEXT);
"""

# Version 3: the problems of a row's content are cached with it, so that an incomplete row
# whose files are as they were is not read again either.
SCHEMA_3 = """
ALTER TABLE content_cache ADD COLUMN problems TEXT NOT NULL DEFAULT '[]';
"""

# Version 4: the journal of video conversions (`automation.media.conversions`), one per
# source version and settings: queued, running (which attempt, since when), done or failed.
SCHEMA_4 = """
CREATE TABLE IF NOT EXISTS conversions (key TEXT PRIMARY KEY, state TEXT NOT NULL,
    job TEXT NOT NULL, queued INTEGER NOT NULL);
"""

# Version 5: Pratinjau and Lembar Arsip (SPEC section 9): each page made, per entry, kind and
# content version, and the attachment a notice carries (resolved when it is sent).
SCHEMA_5 = """
CREATE TABLE IF NOT EXISTS previews (entry_id TEXT NOT NULL, kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL, version INTEGER NOT NULL, path TEXT NOT NULL, link TEXT NOT NULL,
    made_at TEXT NOT NULL, PRIMARY KEY (entry_id, kind, fingerprint));
ALTER TABLE notices ADD COLUMN attachment TEXT;
"""


def _statements(script: str) -> Callable[[sqlite3.Connection], None]:
    """A migration made of SQL statements, run one by one: `executescript` would commit the
    transaction the migrations share."""
    statements = [s.strip() for s in script.split(";") if s.strip()]

    def apply(db: sqlite3.Connection) -> None:
        for statement in statements:
            db.execute(statement)
    return apply


@dataclass(frozen=True)
class Migration:
    version: int                                # the schema version it brings a ledger to
    what: str
    apply: Callable[[sqlite3.Connection], None]  # runs inside the upgrade's transaction


# In order; the n-th brings a ledger from version n - 1 to n. A new schema is a new entry
# here (never an edit of an old one) and SCHEMA_VERSION raised to it.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the tables of release 0.1.0 (which kept user_version 0), created if missing",
              _statements(SCHEMA_1)),
    Migration(2, "settled rows, so that an unchanged row costs no work",
              _statements(SCHEMA_2)),
    Migration(3, "problems of cached content, so that an unchanged incomplete row costs none",
              _statements(SCHEMA_3)),
    Migration(4, "the journal of video conversions", _statements(SCHEMA_4)),
    Migration(5, "Pratinjau and Lembar Arsip made, and what a notice carries",
              _statements(SCHEMA_5)),
)


class LedgerError(AdapterError):
    """The ledger cannot be used as it is. An AdapterError, so that `once`, `run` and
    `report` print it as the reason the program could not run."""


class LedgerTooNew(LedgerError):
    def __init__(self, path: Path, found: int):
        super().__init__(
            f"the ledger {path} has schema version {found}, but this program knows versions up "
            f"to {SCHEMA_VERSION} only: a newer version of the program has used it. Install "
            "that version (or a newer one) again, or restore a backup of the ledger made "
            f"with this version (an upgrade leaves one beside it: "
            f"{_backup_name(path, SCHEMA_VERSION)}). The ledger was left unchanged.")
        self.path, self.found = path, found


def _backup_name(path: Path, version: int) -> str:
    return f"{path.stem}.schema-{version}{path.suffix}"


# -- the program's own facts: every key of the `meta` table, with its meaning ------------------

T = TypeVar("T")


class _Key(Generic[T]):
    """One value of the `meta` table, read and written as a Python value; None: not set
    (the row is deleted)."""

    meaning: str
    name: str

    def __init__(self, meaning: str):
        self.meaning = meaning

    def __set_name__(self, owner: type[Meta], name: str) -> None:
        self.name = name
        owner.KEYS = {**owner.KEYS, name: self}

    @overload
    def __get__(self, meta: None, owner: type | None = None) -> _Key[T]: ...
    @overload
    def __get__(self, meta: Meta, owner: type | None = None) -> T | None: ...

    def __get__(self, meta: Meta | None, owner: type | None = None) -> Any:
        if meta is None:
            return self
        text = meta.raw(self.name)
        return None if text is None else self.decode(text)

    def __set__(self, meta: Meta, value: T | None) -> None:
        meta.set_raw(self.name, None if value is None else self.encode(value))

    def decode(self, text: str) -> T:
        raise NotImplementedError

    def encode(self, value: T) -> str | None:
        raise NotImplementedError


class _Time(_Key[datetime]):
    """Stored as `isoformat()`, in the offset it was given (as release 0.1.0 stored it)."""

    def decode(self, text: str) -> datetime:
        return datetime.fromisoformat(text)

    def encode(self, value: datetime) -> str:
        if not isinstance(value, datetime):
            raise TypeError(f"meta {self.name}: a datetime, not {value!r}")
        return value.isoformat()


class _Text(_Key[str]):
    def decode(self, text: str) -> str:
        return text

    def encode(self, value: str) -> str:
        if not isinstance(value, str):
            raise TypeError(f"meta {self.name}: a text, not {value!r}")
        return value


class _Flag(_Key[bool]):
    """Set or not: stored as "1", absent when false; reads False (never None) when absent."""

    def __get__(self, meta: Meta | None, owner: type | None = None) -> Any:
        if meta is None:
            return self
        return meta.raw(self.name) is not None

    def decode(self, text: str) -> bool:
        return True

    def encode(self, value: bool) -> str | None:
        return "1" if value else None


class Meta:
    """The program's own facts in the ledger, one typed attribute per key of the `meta`
    table: `ledger.meta.outage_since = now`, `ledger.meta.outage_since` (a datetime or
    None); None (False for a flag) removes the key. This class lists every key there is.

    Calling it, `ledger.meta("outage")`, reads a key's stored text: kept for the callers
    not yet switched to the attributes (with `Ledger.set_meta`); unknown keys are refused.
    """

    KEYS: ClassVar[dict[str, _Key[Any]]] = {}

    # The cycle: may it skip reading the agenda?
    agenda_version = _Text("the store's version of the agenda when the last cycle left nothing "
                           "undone; unset: the next cycle reads the agenda whatever its version")
    last_full_read = _Time("when the agenda was last read and written back in full")
    next_deadline = _Time("the earliest moment a waiting row passes its standard (its note "
                          "changes then, so the cycle must not stay idle)")
    retry_pending = _Flag("the last cycle left a row failed, held, postponed or deferred: the "
                          "next cycle runs even if the agenda is unchanged")
    settings = _Text("a digest of the settings the last cycle judged rows by (`Context."
                     "settings`): changed settings make the next cycle read the agenda")
    hold_since = _Time("since when approvals cannot be trusted (SPEC rule 7; the admin is told "
                       "once per episode, the notice keyed by this time)")
    pages_refused_at = _Time("when Google last refused to take a page into the Drive folder "
                             "for good (uploads pause for a while, see `previewing`; the admin "
                             "is told when it is first set)")
    # Health: `check`, the `Status Program` worksheet, the admin's notices.
    last_success = _Time("the end of the last cycle that ran")
    last_error = _Text("why the last cycle that could not run could not run")
    last_error_at = _Time("when that was")
    failing_since = _Time("the first of the cycles failing since the last success")
    outage = _Text("what the last cycle could not read (SPEC rule 8), in Indonesian")
    outage_since = _Time("since when sources are out of reach (the episode's notice is keyed by "
                         "it)")
    heartbeat_at = _Time("when `Status Program` was last written")
    heartbeat_error = _Time("`last_error_at` as `Status Program` last showed it")
    heartbeat_outage = _Time("`outage_since` as `Status Program` last showed it")

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    @classmethod
    def known(cls, key: str) -> str:
        if key not in cls.KEYS:
            raise KeyError(f"unknown ledger meta key {key!r}: every key is listed in "
                           "automation.ledger.Meta")
        return key

    def raw(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?",
                               (self.known(key),)).fetchone()
        return row[0] if row else None

    def set_raw(self, key: str, value: str | None) -> None:
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (self.known(key),))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             (self.known(key), value))


# -- rows as callers see them -----------------------------------------------------------------

class NoticeToQueue(NamedTuple):
    key: str                    # once per entry, key and address, ever
    address: str                # "telegram:<chat id>", "wa:<number>", "email:<address>"
    subject: str
    text: str
    attachment: str | None = None   # the page it carries, "pratinjau:<fingerprint>" (schema 5)


class DueNotice(NamedTuple):
    """A queued notice to send now."""
    rowid: int                  # what `notice_attempt`, `notice_sent`, `notice_failed` take
    address: str
    subject: str
    text: str
    attempts: int               # sending attempts so far
    entry_id: str = ""          # "" for the program's own notices
    # The page it carries, "pratinjau:<fingerprint>"; None: nothing (every notice queued
    # before schema 5).
    attachment: str | None = None


class MadePage(NamedTuple):
    """A Pratinjau or Lembar Arsip made for an entry's content version."""
    version: int                # 1 for the row's first content version, 2, ...
    path: str                   # the file, as the program wrote it
    link: str                   # what the `Pratinjau` cell links to ("" until uploaded)


class Settled(NamedTuple):
    """A row left as the program last saw it: while it shows the same (`digest`), its files
    are as `stamp` found them and until `recheck_at`, nothing about it can change."""
    digest: str
    recheck_at: str | None      # ISO time, parsed only for a row that still shows `digest`
    stamp: str                  # its content's media stamp as stored (JSON): shared by many


class CachedContent(NamedTuple):
    """A row's content as last resolved (see `Planner._unchanged_content`)."""
    key: str                    # the row's texts and links it was resolved from
    stamp: list                 # the media's stamp: unchanged files leave it valid
    fingerprint: str
    problems: tuple[str, ...]   # what staff must fix (Indonesian), as found then


def _utc(at: datetime) -> str:
    """Notice times are compared as text: one offset for all of them."""
    return at.astimezone(timezone.utc).isoformat()


class Ledger:
    def __init__(self, path: Path):
        self.path = path
        if not self._in_memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: every statement outside `transaction()` commits by itself.
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._depth = 0
        self.meta = Meta(self.db)
        try:
            self._refuse_newer(self.schema_version)     # before anything changes the file
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._upgrade(backup=not self._in_memory)
        except BaseException:
            self.db.close()
            raise

    @property
    def _in_memory(self) -> bool:
        return str(self.path) == ":memory:"

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # -- the schema version -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """The version the ledger says it has (0: release 0.1.0's, or a new empty file)."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _refuse_newer(self, found: int) -> None:
        if found > SCHEMA_VERSION:
            raise LedgerTooNew(self.path, found)

    def _has_tables(self) -> bool:
        return self.db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                               ).fetchone()[0] > 0

    def _upgrade(self, backup: bool) -> None:
        """Bring the ledger to SCHEMA_VERSION: every migration it lacks, in order, in one
        transaction (a failing one leaves it as it was). `backup`: first copy an existing
        ledger beside itself, so the older program's ledger can be restored."""
        found = self.schema_version
        if found == SCHEMA_VERSION:
            return
        existing = self._has_tables()
        if existing and backup:
            self._backup(found)
        with self.transaction():
            found = self.schema_version    # another process may have upgraded it meanwhile
            self._refuse_newer(found)
            for migration in MIGRATIONS[found:]:
                migration.apply(self.db)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        if existing and found < SCHEMA_VERSION:
            log.info("ledger %s upgraded from schema version %d to %d", self.path, found,
                     SCHEMA_VERSION)

    def _backup(self, version: int) -> None:
        target_path = self.path.with_name(_backup_name(self.path, version))
        partial = target_path.with_name(f"{target_path.name}.{os.getpid()}.partial")
        target = sqlite3.connect(partial)
        try:
            self.db.backup(target)
        finally:
            target.close()
        os.replace(partial, target_path)      # whole or not at all, even beside another process
        log.info("ledger %s: copied to %s before upgrading its schema from version %d",
                 self.path, target_path, version)

    def load_copy(self, path: Path) -> None:
        """Fill this ledger (an in-memory one) with a consistent copy of the one at `path`,
        brought to this program's schema here: the file is neither changed nor upgraded.
        Raises `LedgerTooNew` for a ledger of a newer program."""
        source = sqlite3.connect(path, timeout=30)
        try:
            source.backup(self.db)
        finally:
            source.close()
        self._refuse_newer(self.schema_version)
        self._upgrade(backup=False)

    # -- entries ------------------------------------------------------------------------------
    def memory(self, entry_id: str) -> Memory | None:
        """One entry's memory: a cycle loads only those of the rows it looks at."""
        row = self.db.execute("SELECT memory FROM entries WHERE entry_id = ?",
                              (entry_id,)).fetchone()
        return memory_from_json(row[0], entry_id) if row else None

    def remember(self, entry_id: str, memory: Memory, events: Sequence[Event] = ()) -> None:
        """Save the memory and queue its new events for `Riwayat`, together."""
        with self.transaction():
            self.db.execute("INSERT INTO entries (entry_id, memory) VALUES (?, ?) "
                            "ON CONFLICT(entry_id) DO UPDATE SET memory = excluded.memory",
                            (entry_id, memory_to_json(memory)))
            # A memory that changes unsettles its row: the next cycle looks at it again.
            self.db.execute("DELETE FROM settled WHERE entry_id = ?", (entry_id,))
            self._record(events)

    # -- the Riwayat outbox --------------------------------------------------------------------
    def _record(self, events: Sequence[Event], written: bool = False) -> None:
        """Times as ISO text (a `Riwayat` cell that was not a time: its text)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO events (entry_id, key, at, agenda_number, name, detail, "
            "written, attempted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.entry_id, e.key, e.at.isoformat() if isinstance(e.at, datetime) else str(e.at),
              e.agenda_number, e.name, e.detail, int(written), int(written)) for e in events])

    def _events(self, where: str, tz: tzinfo | None = None,
                params: Sequence[Any] = ()) -> list[Event]:
        """`tz`: the office's. Every time is shown in it, and one kept without an offset
        (adopted from a `Riwayat` that an earlier build read as naive office times) is taken
        to be in it."""
        events = []
        for entry_id, key, text, number, name, detail in self.db.execute(
                "SELECT entry_id, key, at, agenda_number, name, detail FROM events "
                f"WHERE {where} ORDER BY at, rowid", params):
            try:
                at: datetime | str = datetime.fromisoformat(text)
            except ValueError:
                at = text
            if tz is not None and isinstance(at, datetime):
                at = at.astimezone(tz) if at.tzinfo else at.replace(tzinfo=tz)
            # The table keeps the key, `event_key(name, occurrence)`: the occurrence follows.
            events.append(Event(entry_id, name, at, number, detail, key[len(name) + 1:]))
        return events

    def unwritten_events(self) -> list[Event]:
        """The events not yet in `Riwayat`, oldest first (recorded by `remember`: aware)."""
        return self._events("written = 0")

    def events_of(self, entry_id: str) -> list[Event]:
        """One entry's events, oldest first (recorded by `remember`: aware)."""
        return self._events("entry_id = ?", params=(entry_id,))

    def all_events(self, tz: tzinfo) -> list[Event]:
        """Every event ever recorded, written to `Riwayat` or not, its time in `tz`."""
        return self._events("1", tz)

    def mark_attempted(self, events: Sequence[Event]) -> bool:
        """Note that these events are being written; True if any was tried before.

        An event tried before may already be in `Riwayat` (the write landed, the process
        died before `mark_written`), so the store must look before appending it.
        """
        keys = [(e.entry_id, e.key) for e in events]
        with self.transaction():
            tried = any(self.db.execute("SELECT attempted FROM events WHERE entry_id = ? AND "
                                        "key = ?", k).fetchone()[0] for k in keys)
            self.db.executemany("UPDATE events SET attempted = 1 WHERE entry_id = ? AND key = ?", keys)
        return tried

    def mark_written(self, events: Sequence[Event]) -> None:
        with self.transaction():
            self.db.executemany("UPDATE events SET written = 1 WHERE entry_id = ? AND key = ?",
                                [(e.entry_id, e.key) for e in events])

    def adopt_events(self, events: Sequence[Event]) -> None:
        """One entry's events found in the sheet's `Riwayat` (a lost ledger): known and
        written. `Riwayat` does not show their occurrences: each gets its own."""
        with self.transaction():
            self._record([replace(e, occurrence=f"sheet{n}") for n, e in enumerate(events)],
                         written=True)

    # -- the notification outbox ---------------------------------------------------------------
    def queue_notices(self, entry_id: str, notices: Sequence[NoticeToQueue], at: datetime) -> None:
        """Each queued once per entry, key and address, ever (plain 4-tuples do too: they
        carry no page)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO notices (entry_id, key, address, queued_at, subject, text, "
            "attachment) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(entry_id, n[0], n[1], _utc(at), n[2], n[3], n[4] if len(n) > 4 else None)
             for n in notices])

    def due_notices(self, now: datetime) -> list[DueNotice]:
        """Notices to send now, oldest first."""
        return [DueNotice(*row) for row in self.db.execute(
            "SELECT rowid, address, subject, text, attempts, entry_id, attachment FROM notices "
            "WHERE sent_at IS NULL "
            "AND gave_up = 0 AND (next_try IS NULL OR next_try <= ?) ORDER BY queued_at, rowid",
            (_utc(now),))]

    def notice_attempt(self, rowid: int) -> None:
        self.db.execute("UPDATE notices SET attempts = attempts + 1 WHERE rowid = ?", (rowid,))

    def notice_sent(self, rowid: int, at: datetime) -> None:
        self.db.execute("UPDATE notices SET sent_at = ?, last_error = NULL WHERE rowid = ?",
                        (_utc(at), rowid))

    def notice_failed(self, rowid: int, error: str, next_try: datetime | None) -> None:
        """Retried at `next_try`; never again when it is None (retrying cannot help)."""
        self.db.execute("UPDATE notices SET last_error = ?, next_try = ?, gave_up = ? "
                        "WHERE rowid = ?", (error, _utc(next_try) if next_try else None,
                                            int(next_try is None), rowid))

    def notices_waiting(self) -> int:
        return self.db.execute("SELECT count(*) FROM notices WHERE sent_at IS NULL AND "
                               "gave_up = 0").fetchone()[0]

    # -- numbers -------------------------------------------------------------------------------
    def allocate(self, kind: str, year: int, floor: int = 0) -> int:
        """The next running number of `kind` in `year`; never below `floor` + 1, never reused."""
        with self.transaction():
            row = self.db.execute("SELECT last FROM counters WHERE kind = ? AND year = ?",
                                  (kind, year)).fetchone()
            number = max(row[0] if row else 0, floor) + 1
            self.db.execute("INSERT INTO counters (kind, year, last) VALUES (?, ?, ?) "
                            "ON CONFLICT(kind, year) DO UPDATE SET last = excluded.last",
                            (kind, year, number))
        return number

    # -- the journal of outside effects --------------------------------------------------------
    def begin(self, entry_id: str, action: str, slug: str, at: datetime) -> int:
        cur = self.db.execute("INSERT INTO journal (entry_id, action, slug, started_at) "
                              "VALUES (?, ?, ?, ?)", (entry_id, action, slug, at.isoformat()))
        return int(cur.lastrowid)

    def finish(self, seq: int, outcome: str, at: datetime) -> None:
        self.db.execute("UPDATE journal SET finished_at = ?, outcome = ? WHERE seq = ?",
                        (at.isoformat(), outcome, seq))

    # -- video conversions (their files are in state_dir/video) -------------------------------
    def conversion(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """(state, job) of one conversion."""
        row = self.db.execute("SELECT state, job FROM conversions WHERE key = ?",
                              (key,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def conversions(self, *states: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(key, state, job) of the conversions in `states`, in the order they were asked for."""
        marks = ", ".join("?" * len(states))
        return [(key, state, json.loads(job)) for key, state, job in self.db.execute(
            f"SELECT key, state, job FROM conversions WHERE state IN ({marks}) ORDER BY queued",
            states)]

    def put_conversion(self, key: str, state: str, job: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO conversions (key, state, job, queued) VALUES (?, ?, ?, "
                "(SELECT coalesce(max(queued), 0) + 1 FROM conversions)) ON CONFLICT(key) "
                "DO UPDATE SET state = excluded.state, job = excluded.job",
                (key, state, json.dumps(job, ensure_ascii=False)))

    def drop_conversion(self, key: str) -> None:
        self.db.execute("DELETE FROM conversions WHERE key = ?", (key,))

    # -- Pratinjau and Lembar Arsip made -------------------------------------------------------
    def preview(self, entry_id: str, kind: str, fingerprint: str) -> MadePage | None:
        row = self.db.execute("SELECT version, path, link FROM previews WHERE entry_id = ? AND "
                              "kind = ? AND fingerprint = ?", (entry_id, kind, fingerprint)).fetchone()
        return MadePage(*row) if row else None

    def page_for(self, entry_id: str, kind: str, fingerprint: str) -> MadePage | None:
        """The page of that content version; with no fingerprint, the entry's newest."""
        if fingerprint:
            return self.preview(entry_id, kind, fingerprint)
        row = self.db.execute("SELECT version, path, link FROM previews WHERE entry_id = ? AND "
                              "kind = ? ORDER BY version DESC, made_at DESC LIMIT 1",
                              (entry_id, kind)).fetchone()
        return MadePage(*row) if row else None

    def preview_versions(self, entry_id: str, kind: str) -> int:
        """How many versions of this kind were made for the entry (the next is one more)."""
        return self.db.execute("SELECT count(*) FROM previews WHERE entry_id = ? AND kind = ?",
                               (entry_id, kind)).fetchone()[0]

    def record_preview(self, entry_id: str, kind: str, fingerprint: str, page: MadePage,
                       at: datetime) -> None:
        self.db.execute("INSERT OR REPLACE INTO previews (entry_id, kind, fingerprint, version, "
                        "path, link, made_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (entry_id, kind, fingerprint, page.version, page.path, page.link,
                         _utc(at)))

    def link_preview(self, entry_id: str, kind: str, fingerprint: str, link: str) -> None:
        """A recorded page's link, once it is known (uploaded to Drive)."""
        self.db.execute("UPDATE previews SET link = ? WHERE entry_id = ? AND kind = ? AND "
                        "fingerprint = ?", (link, entry_id, kind, fingerprint))

    # -- IDs given to new rows but not yet seen written in the sheet ---------------------------
    def pending_id(self, signature: str) -> str | None:
        row = self.db.execute("SELECT entry_id FROM pending_ids WHERE signature = ?",
                              (signature,)).fetchone()
        return row[0] if row else None

    def set_pending_id(self, signature: str, entry_id: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pending_ids (signature, entry_id) VALUES (?, ?)",
                        (signature, entry_id))

    def confirm_ids(self, entry_ids: Sequence[str]) -> None:
        with self.transaction():
            self.db.executemany("DELETE FROM pending_ids WHERE entry_id = ?",
                                [(i,) for i in entry_ids])

    # -- complete content of rows, valid while their texts and files are unchanged -----------
    # -- rows that need no look while they show the same ------------------------------------
    def settled(self) -> dict[str, Settled]:
        """The settled rows whose content is cached (no other row can be settled)."""
        return {eid: Settled(digest, at, stamp) for eid, digest, at, stamp in self.db.execute(
            "SELECT s.entry_id, s.digest, s.recheck_at, c.stamp FROM settled s "
            "JOIN content_cache c ON c.entry_id = s.entry_id")}

    def settle(self, rows: Sequence[tuple[str, str, datetime | None]]) -> None:
        """(entry ID, digest, recheck_at) of rows whose decision asked for nothing: no
        effect, no cell, no event, no change of memory."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO settled (entry_id, digest, recheck_at) VALUES (?, ?, ?)",
                [(eid, digest, at.isoformat() if at else None) for eid, digest, at in rows])

    def cached_content(self, entry_id: str) -> CachedContent | None:
        row = self.db.execute("SELECT key, stamp, fingerprint, problems FROM content_cache "
                              "WHERE entry_id = ?", (entry_id,)).fetchone()
        return CachedContent(row[0], json.loads(row[1]), row[2], tuple(json.loads(row[3]))) \
            if row else None

    def cache_content(self, entry_id: str, key: str, stamp: tuple, fingerprint: str,
                      problems: Sequence[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO content_cache (entry_id, key, stamp, fingerprint, "
                        "problems) VALUES (?, ?, ?, ?, ?)", (entry_id, key, json.dumps(stamp),
                                                             fingerprint, json.dumps(problems)))

    # -- facts about files (the media sources' FileFactsCache) --------------------------------
    def get(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT facts FROM file_facts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, facts: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO file_facts (key, facts) VALUES (?, ?)",
                        (key, json.dumps(facts)))

