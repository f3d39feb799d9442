"""The local ledger (SQLite in `state_dir`): what the program remembers between cycles.

Per entry: its memory (agenda number, approval fingerprints, the post, archive number...).
Beside it: an outbox of `Riwayat` events not yet written to the sheet, the running
numbers per year, a journal of every outside effect (intent before, outcome after), and
cached facts about media files.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from automation.core.workflow import Event, Memory, Published
from automation.ports import HistoryRow

SCHEMA = """
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

_TIMES = ("first_seen", "first_published_at", "published_at", "archived_at", "waiting_since")


def _utc(at: datetime) -> str:
    """Notice times are compared as text: one offset for all of them."""
    return at.astimezone(timezone.utc).isoformat()


def _dump(memory: Memory) -> str:
    data = asdict(memory)
    for key in _TIMES:
        data[key] = data[key].isoformat() if data[key] else None
    data["events"] = sorted(memory.events)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _load(text: str) -> Memory:
    data = json.loads(text)
    for key in _TIMES:
        data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    data["post"] = Published(**data["post"]) if data["post"] else None
    data["events"] = frozenset(data["events"])
    data["clearing"] = tuple(data.get("clearing", ()))
    return Memory(**data)


class Ledger:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Autocommit mode: every statement outside `transaction()` commits by itself.
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._depth = 0

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

    # -- entries ------------------------------------------------------------------------------
    def memories(self) -> dict[str, Memory]:
        return {eid: _load(text) for eid, text in self.db.execute("SELECT entry_id, memory FROM entries")}

    def remember(self, entry_id: str, memory: Memory, events: Sequence[Event], at: datetime) -> None:
        """Save the memory and queue its new events for `Riwayat`, together."""
        with self.transaction():
            self.db.execute("INSERT INTO entries VALUES (?, ?) ON CONFLICT(entry_id) DO UPDATE "
                            "SET memory = excluded.memory", (entry_id, _dump(memory)))
            for event in events:
                self.db.execute(
                    "INSERT OR IGNORE INTO events (entry_id, key, at, agenda_number, name, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (entry_id, event.key, at.isoformat(), memory.agenda_number,
                     event.name, event.detail))

    # -- the Riwayat outbox --------------------------------------------------------------------
    def unwritten_events(self) -> list[tuple[str, str, HistoryRow]]:
        rows = self.db.execute("SELECT entry_id, key, at, agenda_number, name, detail FROM events "
                               "WHERE written = 0 ORDER BY at, rowid")
        return [(eid, key, HistoryRow(datetime.fromisoformat(at), eid, number, name, detail))
                for eid, key, at, number, name, detail in rows]

    def all_events(self) -> list[tuple[str, str, str, str]]:
        """(entry ID, time as stored, No. Agenda, event) of every event ever recorded."""
        return self.db.execute("SELECT entry_id, at, agenda_number, name FROM events").fetchall()

    def mark_attempted(self, keys: Sequence[tuple[str, str]]) -> bool:
        """Note that these events are being written; True if any was tried before.

        An event tried before may already be in `Riwayat` (the write landed, the process
        died before `mark_written`), so the store must look before appending it.
        """
        with self.transaction():
            tried = any(self.db.execute("SELECT attempted FROM events WHERE entry_id = ? AND "
                                        "key = ?", k).fetchone()[0] for k in keys)
            self.db.executemany("UPDATE events SET attempted = 1 WHERE entry_id = ? AND key = ?", keys)
        return tried

    def mark_written(self, keys: Sequence[tuple[str, str]]) -> None:
        with self.transaction():
            self.db.executemany("UPDATE events SET written = 1 WHERE entry_id = ? AND key = ?", keys)

    def adopt_events(self, entry_id: str, rows: Sequence[HistoryRow]) -> None:
        """Events found in the sheet's `Riwayat` (a lost ledger): known and written."""
        with self.transaction():
            for n, row in enumerate(rows):
                self.db.execute(
                    "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, 1, 1)",
                    (entry_id, f"{row.event}#sheet{n}", row.at.isoformat() if isinstance(row.at, datetime)
                     else str(row.at), row.agenda_number, row.event, row.detail))

    # -- the notification outbox ---------------------------------------------------------------
    def queue_notices(self, entry_id: str, notices: Sequence[tuple[str, str, str, str]],
                      at: datetime) -> None:
        """(key, address, subject, text): queued once per row, key and address, ever."""
        self.db.executemany(
            "INSERT OR IGNORE INTO notices (entry_id, key, address, queued_at, subject, text) "
            "VALUES (?, ?, ?, ?, ?, ?)", [(entry_id, *n[:2], _utc(at), *n[2:]) for n in notices])

    def due_notices(self, now: datetime) -> list[tuple[int, str, str, str, int]]:
        """(rowid, address, subject, text, attempts) of notices to send now, oldest first."""
        return self.db.execute(
            "SELECT rowid, address, subject, text, attempts FROM notices WHERE sent_at IS NULL "
            "AND gave_up = 0 AND (next_try IS NULL OR next_try <= ?) ORDER BY queued_at, rowid",
            (_utc(now),)).fetchall()

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
            self.db.execute("INSERT INTO counters VALUES (?, ?, ?) ON CONFLICT(kind, year) "
                            "DO UPDATE SET last = excluded.last", (kind, year, number))
        return number

    # -- the journal of outside effects --------------------------------------------------------
    def begin(self, entry_id: str, action: str, slug: str, at: datetime) -> int:
        cur = self.db.execute("INSERT INTO journal (entry_id, action, slug, started_at) "
                              "VALUES (?, ?, ?, ?)", (entry_id, action, slug, at.isoformat()))
        return int(cur.lastrowid)

    def finish(self, seq: int, outcome: str, at: datetime) -> None:
        self.db.execute("UPDATE journal SET finished_at = ?, outcome = ? WHERE seq = ?",
                        (at.isoformat(), outcome, seq))

    # -- IDs given to new rows but not yet seen written in the sheet ---------------------------
    def pending_id(self, signature: str) -> str | None:
        row = self.db.execute("SELECT entry_id FROM pending_ids WHERE signature = ?",
                              (signature,)).fetchone()
        return row[0] if row else None

    def set_pending_id(self, signature: str, entry_id: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pending_ids VALUES (?, ?)", (signature, entry_id))

    def confirm_ids(self, entry_ids: Sequence[str]) -> None:
        with self.transaction():
            self.db.executemany("DELETE FROM pending_ids WHERE entry_id = ?",
                                [(i,) for i in entry_ids])

    # -- complete content of rows, valid while their texts and files are unchanged -----------
    def content_cache(self) -> dict[str, tuple[str, list, str]]:
        return {eid: (key, json.loads(stamp), fp) for eid, key, stamp, fp
                in self.db.execute("SELECT entry_id, key, stamp, fingerprint FROM content_cache")}

    def cache_content(self, entry_id: str, key: str, stamp: tuple, fingerprint: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO content_cache VALUES (?, ?, ?, ?)",
                        (entry_id, key, json.dumps(stamp), fingerprint))

    # -- small things --------------------------------------------------------------------------
    def get(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT facts FROM file_facts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, facts: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO file_facts VALUES (?, ?)", (key, json.dumps(facts)))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
