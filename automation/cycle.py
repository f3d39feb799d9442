"""One cycle: read the agenda, decide per row, act through the adapters, write back once.

Every outside effect is journaled in the ledger before and after, and the program cells are
recomputed from the ledger on every cycle, so a cycle interrupted at any point is completed
by the next one without doing anything twice.
"""

from __future__ import annotations

import json
import logging
import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from automation import health
from automation.core import schema as S
from automation.core.entry import (
    Content, Entry, content_key, document_reference, field_problems, fingerprint, locate_headers,
    post_slug, read_rows, same_value, separate_copies, split_links,
)
from automation.core.numbering import archive_place, number_pattern, read_number
from automation.core import notices
from automation.core.workflow import (
    WITHDRAWN, Action, Decision, Memory, Published, decide, first_event_key, overdue,
    waiting_step,
)
from automation.media.documents import text_to_html
from automation.notify.outbox import queue, sheet_link
from automation.ports import AdapterError, HistoryRow, MediaCheck, Post, PostRef, RowWrite
from automation.workspace import Workspace

log = logging.getLogger(__name__)

# Even when the file looks unchanged, read it fully now and then: media files may have
# changed, and a clock or file system that lies about time stamps must not hide work.
FULL_READ_EVERY = timedelta(minutes=10)
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: people may read it aloud


def new_entry_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


@dataclass
class RowSummary:
    agenda_number: str
    title: str
    before: str
    after: str
    action: str = ""
    url: str = ""

    def line(self) -> str:
        what = f"{self.before or '(new)'} -> {self.after}"
        extra = f" [{self.action}]" if self.action else ""
        link = f" {self.url}" if self.url else ""
        return f"{self.agenda_number or '-':>10}  {self.title[:50]:<50}  {what}{extra}{link}"


@dataclass
class CycleReport:
    idle: bool = False
    rows: int = 0
    changed: list[RowSummary] = field(default_factory=list)
    missed_writes: tuple[str, ...] = ()
    write_error: str = ""
    interrupted: bool = False           # stopped (signal) before every row was handled
    deferred: int = 0                   # new approved rows published next cycle, ID saved first
    outages: tuple[str, ...] = ()       # sources that could not be read (SPEC rule 8)
    postponed: int = 0                  # rows left as they were because of those outages


@dataclass
class _Resolved:
    """What one row's content resolved to, kept for building the post."""

    content: Content
    media: MediaCheck
    body_html: str


@dataclass
class _Planned:
    """One row between the first decision and the write-back."""

    entry: Entry
    match: dict[str, str]
    id_in_sheet: bool
    resolved: _Resolved | None          # None when the content came from the cache (no action)
    decision: Decision


class Cycle:
    def __init__(self, ws: Workspace, now: datetime, dry_run: bool = False,
                 stop: Callable[[], bool] = lambda: False):
        self.ws = ws
        self.cfg = ws.config
        self.now = now.astimezone(self.cfg.tz)
        self.dry_run = dry_run
        self.stop = stop
        self.ledger = ws.ledger
        self._history: list[HistoryRow] | None = None
        self._clearing: dict[str, Memory] = {}    # rows whose tick clears await the write
        self._recovered = False
        self._failures = 0                         # rows whose action failed and waits to retry
        self._hold = ""                            # why approvals cannot be trusted (rule 7)
        self._postponed = 0                        # rows whose media could not be reached
        self._outages: dict[str, str] = {}         # what could not be read: message -> note
        self._deferred = 0                         # new rows to publish once their ID is saved
        self._deadline: datetime | None = None     # when the next wait outlasts the standard
        # Notices are worked out only when someone is there to be told.
        self._notifying = bool(self.cfg.notify.recipients or self.cfg.notify.petugas)
        self._sheet_link = sheet_link(self.cfg)
    # -- the cycle ---------------------------------------------------------------------------
    def run(self) -> CycleReport:
        if self._idle():
            return CycleReport(idle=True)
        sheet = self.ws.store.read()
        layout = locate_headers(sheet.header, self.ws.rules)
        memories = self.ledger.memories()
        entries = separate_copies(read_rows(sheet.rows, layout, self.ws.rules,
                                            formulas=sheet.formulas),
                                  {k: m.agenda_number for k, m in memories.items()})
        self.agenda_floor = self._floors(entries, S.AGENDA_NUMBER,
                                         number_pattern(self.cfg.agenda.agenda_number_format))
        self.archive_floor = self._floors(entries, S.ARCHIVE_NUMBER, number_pattern(
            self.cfg.archive.number_format, klasifikasi=self.cfg.archive.klasifikasi,
            unit=self.cfg.archive.unit))
        in_sheet = {e.entry_id for e in entries if e.entry_id}
        self._content_cache = self.ledger.content_cache()
        self._hold = self.ws.store.approval_trust()
        self._watch_hold()
        rows = []
        for entry in entries:
            try:
                rows.append(self._consider(entry, memories, in_sheet))
            except AdapterError as err:
                # SPEC rule 8: media or a document out of reach for now. The row is left
                # exactly as it is (an outage is no reason to call the content changed or
                # incomplete) and tried next cycle.
                log.warning("row %s left as it is until its media can be read: %s",
                            entry.row, err)
                self._postponed += 1
                self._outages.setdefault(str(err), err.note)
        self._persist_identities(rows)

        report = CycleReport(rows=len(entries), deferred=self._deferred,
                             outages=tuple(self._outages), postponed=self._postponed)
        writes = []
        with nullcontext() if self.dry_run else self.ws.publisher.batch():
            for planned in rows:
                if self.stop():
                    log.info("stop requested: leaving the remaining rows for the next cycle")
                    report.interrupted = True
                    break
                write, summary = self._complete(planned)
                if write.cells:
                    writes.append(write)
                if summary:
                    report.changed.append(summary)
        if not self.dry_run:
            self._write_back(writes, report)
            health.outage(self.ledger, self.cfg, self.now, list(self._outages.values()))
        return report

    def _watch_hold(self) -> None:
        """Rule 7: while approvals cannot be trusted the administrator is told, once."""
        since = self.ledger.meta("hold_since")
        if not self._hold:
            if since and not self.dry_run:
                self.ledger.set_meta("hold_since", None)
            return
        log.error("approvals cannot be trusted, publishing nothing this cycle: %s", self._hold)
        if self.dry_run:
            return
        if since is None:
            since = self.now.isoformat()
            self.ledger.set_meta("hold_since", since)
        if self._notifying:
            queue(self.ledger, self.cfg.notify, "", [notices.for_admin(
                "Paraf tidak dapat dipercaya: tidak ada yang ditayangkan",
                f"{self._hold}\nPerbaiki proteksi kolom paraf (jalankan 'init' lalu 'check').",
                f"proteksi:{since}")], "", self.now)

    def _idle(self) -> bool:
        """Nothing to do when the agenda is as we left it and nothing waits (no read at all)."""
        version = self.ws.store.version()
        last_full = self.ledger.meta("last_full_read")
        deadline = self.ledger.meta("next_deadline")
        return not (self.dry_run or version is None
                    or version != self.ledger.meta("agenda_version")
                    or (deadline is not None and self.now >= datetime.fromisoformat(deadline))
                    or self.ledger.meta("retry_pending") or self.ledger.unwritten_events()
                    or not last_full
                    or self.now - datetime.fromisoformat(last_full) >= FULL_READ_EVERY)

    def _persist_identities(self, rows: list[_Planned]) -> None:
        """Rows about to be published need their `ID Sistem` in the sheet first.

        The ID is how the post is found again; a post made for an ID the sheet never got
        would be made a second time under another ID if the final write failed.
        """
        unsaved = [p for p in rows if not p.id_in_sheet and p.decision.action is not None]
        if not unsaved or self.dry_run:
            return
        self._deferred = len(unsaved)
        if self.ws.store.quota_limited:
            log.info("%d new row(s) approved at first sight: saving their IDs now, "
                     "publishing next cycle", len(unsaved))
            return
        writes = [RowWrite(p.entry.entry_id, p.entry.row, {S.ENTRY_ID: p.entry.entry_id}, p.match)
                  for p in unsaved]
        try:
            result = self.ws.store.write(writes, [])
        except AdapterError as err:
            log.warning("could not save new row IDs, publishing them next cycle: %s", err)
            return
        self.ledger.confirm_ids(result.written)
        saved = set(result.written)
        for p in unsaved:
            p.id_in_sheet = p.entry.entry_id in saved
        self._deferred = len(unsaved) - len(saved)

    def _write_back(self, writes: list[RowWrite], report: CycleReport) -> None:
        outbox = self.ledger.unwritten_events()
        recheck = self.ledger.mark_attempted([(eid, key) for eid, key, _ in outbox]) or self._recovered
        try:
            result = self.ws.store.write(writes, [row for _, _, row in outbox], recheck)
        except AdapterError as err:
            # Nothing is lost: cells are recomputed and events stay queued for the next cycle.
            log.warning("write-back postponed: %s", err)
            report.write_error = str(err)
            self.ledger.set_meta("agenda_version", None)
            return
        self.ledger.mark_written([(eid, key) for eid, key, _ in outbox])
        self.ledger.confirm_ids(result.written)
        for entry_id in set(result.written) & self._clearing.keys():
            # The FALSE ticks are in the sheet now: a tick seen from here on is a new one.
            self.ledger.remember(entry_id, replace(self._clearing[entry_id], clearing=()), (),
                                 self.now)
        report.missed_writes = result.missed
        if result.missed:
            log.warning("rows moved or vanished before writing, retried next cycle: %s",
                        ", ".join(result.missed))
        # The next cycle may skip reading only if this one left nothing undone.
        self.ledger.set_meta("agenda_version", None if result.missed or report.interrupted
                             else result.version)
        self.ledger.set_meta("last_full_read", self.now.isoformat())
        # A wait outlasting the standard changes the row's note: the cycle must not idle then.
        self.ledger.set_meta("next_deadline", self._deadline.isoformat() if self._deadline else None)
        # A failed, held or postponed row is retried next cycle even if the agenda is unchanged.
        self.ledger.set_meta("retry_pending",
                             "1" if self._failures or self._hold or self._postponed
                             or self._deferred else None)

    # -- one row -----------------------------------------------------------------------------
    def _consider(self, entry: Entry, memories: dict[str, Memory], in_sheet: set[str]) -> _Planned:
        """Identity, memory, content and the first decision of one row (no outside effect)."""
        # What the row showed when read: finds it again if its ID is new or shared by a copy.
        match = {h: entry.text(h) for h in (S.ENTRY_ID, S.TITLE, S.SOURCE, S.RECEIVER)}
        id_in_sheet = bool(entry.entry_id)
        if not id_in_sheet:
            entry = replace(entry, entry_id=self._new_id(match, in_sheet))
        remembered = memories.get(entry.entry_id)
        if remembered is None:
            remembered = self._first_sight(entry)
        memory = self._numbered(entry, remembered)
        resolved = None
        content = self._unchanged_content(entry)
        if content is None:
            resolved = self._resolve(entry)
            content = resolved.content
        decision = decide(entry, memory, content, self.now, self.ws.rules, self._hold)
        if decision.action is not None and resolved is None:
            # About to publish: the post needs the files and the body, freshly read.
            resolved = self._resolve(entry)
            decision = decide(entry, memory, resolved.content, self.now, self.ws.rules, self._hold)
        self._remember(entry, remembered, decision)
        return _Planned(entry, match, id_in_sheet, resolved, decision)

    def _unchanged_content(self, entry: Entry) -> Content | None:
        """The row's complete content as last resolved, if its texts and files are unchanged.

        Spares reading and checking every file of every row on every cycle.
        """
        cached = self._content_cache.get(entry.entry_id)
        if cached is None or cached[0] != content_key(entry, self.ws.rules):
            return None
        if not self.ws.media.unchanged(cached[1]):
            return None
        return Content(cached[2])

    def _new_id(self, match: dict[str, str], in_sheet: set[str]) -> str:
        """A new row's ID; the same one again if an earlier write of it did not land."""
        signature = json.dumps(match, sort_keys=True, ensure_ascii=False)
        entry_id = self.ledger.pending_id(signature)
        if entry_id is None or entry_id in in_sheet:
            entry_id = new_entry_id()
            if not self.dry_run:
                self.ledger.set_pending_id(signature, entry_id)
        in_sheet.add(entry_id)
        return entry_id

    def _complete(self, planned: _Planned) -> tuple[RowWrite, RowSummary | None]:
        """Act (journaled) if the decision says so, then what the sheet should show."""
        entry, decision = planned.entry, planned.decision
        action = decision.action
        acted = action is not None and not self.dry_run and planned.id_in_sheet
        if acted:
            after = self._act(entry, decision, planned.resolved)
            decision = decide(entry, after, planned.resolved.content, self.now, self.ws.rules,
                              self._hold)
            self._remember(entry, after, decision)

        if decision.memory.waiting_since and not overdue(decision.memory, self.now, self.ws.rules):
            due = decision.memory.waiting_since + timedelta(minutes=self.ws.rules.step_minutes,
                                                            seconds=1)
            self._deadline = min(self._deadline or due, due)
        if decision.memory.clearing:
            self._clearing[entry.entry_id] = decision.memory
        if decision.memory.publish_error:
            self._failures += 1
        cells = dict(decision.cells)
        if action is not None and not acted:
            del cells[S.STATUS]          # keeps what it shows until the action has run
        cells.update({h: False for h in decision.clear_ticks})
        cells = {h: self._sheet_value(v) for h, v in cells.items()
                 if not same_value(entry.cells.get(h), self._sheet_value(v))}
        write = RowWrite(entry.entry_id, entry.row, cells, planned.match)

        before = entry.text(S.STATUS)
        summary = None
        if cells or action or decision.events:
            summary = RowSummary(decision.memory.agenda_number, entry.title, before,
                                 decision.status, action.value if action else "",
                                 decision.memory.post.url if decision.memory.post else "")
            # A new row's ID is only real once written (never in a dry run).
            shown_id = entry.entry_id if planned.id_in_sheet or not self.dry_run else "(new row)"
            log.info("%s %s: %s -> %s%s", decision.memory.agenda_number or "-", shown_id,
                     before or "(new)", decision.status, f" [{action.value}]" if action else "")
        return write, summary

    def _remember(self, entry: Entry, before: Memory, decision: Decision) -> None:
        """Save what the decision changed, and queue the notices it gives rise to with it."""
        if self.dry_run:
            return
        memory, told = decision.memory, []
        if self._notifying:
            told = notices.for_row(entry, decision, self.now, self.ws.rules,
                                   self.cfg.notify.hours, self._sheet_link)
            memory = notices.after_notices(memory, told)
        if memory == before and not decision.events and not told:
            return
        with self.ledger.transaction():
            self.ledger.remember(entry.entry_id, memory, decision.events, self.now)
            queue(self.ledger, self.cfg.notify, entry.entry_id, told, entry.text(S.RECEIVER),
                  self.now)

    def _sheet_value(self, value: Any) -> Any:
        """Times go to the sheet as its own date-times, in the office time zone."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(self.cfg.tz).replace(tzinfo=None, microsecond=0)
        return value

    def _resolve(self, entry: Entry) -> _Resolved:
        problems = field_problems(entry, self.ws.rules)
        links = split_links(entry.text(S.MEDIA))
        media = self.ws.media.collect(links) if links else MediaCheck((), ())
        problems += media.problems
        naskah = entry.text(S.TEXT)
        reference = document_reference(naskah)
        document_fp, body = "", text_to_html(naskah)
        if reference:
            document = self.ws.media.read_document(reference)
            problems += document.problems
            document_fp, body = document.fingerprint, document.html
        digest = fingerprint(entry, document_fp, [(f.name, f.sha256) for f in media.files])
        if not problems and not self.dry_run:
            self.ledger.cache_content(entry.entry_id, content_key(entry, self.ws.rules),
                                      media.stamp + (document.stamp if reference else ()), digest)
        return _Resolved(Content(digest, tuple(problems)), media, body)

    # -- memory: first sight, recovery and numbers ---------------------------------------------
    def _first_sight(self, entry: Entry) -> Memory:
        """A row the ledger does not know: new, a copy, or known before a lost ledger."""
        if entry.copied_from is not None:
            return Memory(origin_note=(
                f"Baris ini salinan baris {entry.copied_from} (ID Sistem sama); diberi ID Sistem "
                "baru dan diperlakukan sebagai berita baru. Paraf yang ikut tersalin tidak berlaku."),
                approvals={})
        if not entry.entry_id or not any(entry.text(h) for h in S.PROGRAM_HEADERS if h != S.ENTRY_ID):
            return Memory()
        return self._recover(entry)

    def _recover(self, entry: Entry) -> Memory:
        """Rebuild what the ledger lost from the sheet, the website and `Riwayat`."""
        log.warning("row %s (ID %s) is not in the ledger: recovering from sheet and website",
                    entry.row, entry.entry_id)
        memory = Memory(agenda_number=entry.agenda_number, first_seen=self._aware(entry.received))
        ref = self.ws.publisher.find(entry.entry_id)
        url = entry.text(S.WEBSITE_URL)
        if ref is None and entry.text(S.STATUS) == WITHDRAWN and url:
            # A withdrawn post the site keeps no record of (the static site keeps those in the
            # state folder): the sheet still says where it was, so it comes back there.
            slug = url.rstrip("/").rsplit("/", 1)[-1]
            ref = PostRef(entry.entry_id, slug, url, slug, "", live=False)
        if ref is not None:
            published = self._aware(entry.cells.get(S.PUBLISHED_AT)) or self.now
            memory = replace(memory, slug=ref.slug, post=_published(ref), version=1,
                             first_published_at=published, published_at=published,
                             archive_number=entry.text(S.ARCHIVE_NUMBER),
                             archive_location=entry.text(S.ARCHIVE_LOCATION),
                             archived_at=self._aware(entry.cells.get(S.ARCHIVED_AT)))
            if not memory.archive_number:
                memory = self._archive(memory, published)
        if self._history is None:
            self._history = self.ws.store.history()
        seen = [h for h in self._history if h.entry_id == entry.entry_id]
        if seen:
            self.ledger.adopt_events(entry.entry_id, seen)
            # Events the sheet already shows are not written again.
            memory = replace(memory, events=frozenset(first_event_key(h.event) for h in seen))
        # The wait the sheet shows went on before the ledger was lost: it is neither announced
        # nor reminded of again (a lost state folder must not send a message per row).
        step = waiting_step(entry.text(S.STATUS), entry.ticked(S.PAPER_FILED), False)
        if step:
            since = max((self._aware(h.at) for h in seen if isinstance(h.at, datetime)),
                        default=None) or memory.first_seen or self.now - timedelta(days=1)
            memory = replace(memory, waiting_step=f"{step}#1", waiting_since=since,
                             reminded=f"{step}#1")
        self._recovered = True     # Riwayat must be looked at before appending to it
        return memory

    def _aware(self, value: Any) -> datetime | None:
        return value.replace(tzinfo=self.cfg.tz) if isinstance(value, datetime) else None

    def _numbered(self, entry: Entry, memory: Memory) -> Memory:
        """`No. Agenda` is given when a row is first seen with a title."""
        if memory.agenda_number or not entry.title or self.dry_run:
            return memory
        year = self.now.year
        with self.ledger.transaction():     # a number taken is a number kept: no gaps
            nomor = self.ledger.allocate("agenda", year, self.agenda_floor.get(year, 0))
            number = self.cfg.agenda.agenda_number_format.format(nomor=nomor, tahun=year)
            memory = replace(memory, agenda_number=number)
            self.ledger.remember(entry.entry_id, memory, (), self.now)
        return memory

    def _archive(self, memory: Memory, when: datetime) -> Memory:
        when = when.astimezone(self.cfg.tz)
        nomor = self.ledger.allocate("archive", when.year, self.archive_floor.get(when.year, 0))
        number, location = archive_place(self.cfg.archive, nomor, when.year, when.month)
        return replace(memory, archive_number=number, archive_location=location)

    @staticmethod
    def _floors(entries: list[Entry], header: str, pattern) -> dict[int, int]:
        """Highest running number per year already in the sheet: numbering continues above it."""
        floors: dict[int, int] = {}
        for entry in entries:
            if entry.copied_from is None:
                found = read_number(pattern, entry.text(header))
                if found:
                    floors[found[0]] = max(floors.get(found[0], 0), found[1])
        return floors

    # -- acting on the website -----------------------------------------------------------------
    def _act(self, entry: Entry, decision: Decision, resolved: _Resolved) -> Memory:
        memory = decision.memory
        action = decision.action
        if not memory.slug:
            # Chosen once and saved before any call, so a retry looks for the same post.
            memory = replace(memory, slug=post_slug(entry.title, entry.entry_id))
            self.ledger.remember(entry.entry_id, memory, (), self.now)
        seq = self.ledger.begin(entry.entry_id, action.value, memory.slug, self.now)
        try:
            # Without a remembered post, the publisher looks for one itself before creating.
            existing = _ref(entry.entry_id, memory.post)
            if action is Action.WITHDRAW:
                ref = self.ws.publisher.withdraw(existing)
            else:
                ref = self.ws.publisher.publish(self._post(entry, memory, resolved), existing)
        except Exception as err:  # one row's failure never stops the cycle
            note = err.note if isinstance(err, AdapterError) else (
                f"Kesalahan program: {type(err).__name__}. Administrator perlu memeriksa log.")
            log.error("%s %s failed for %s: %s", action.value, memory.slug, entry.entry_id, err,
                      exc_info=not isinstance(err, AdapterError))
            self.ledger.finish(seq, f"failed: {err}", self.now)
            verb = "menarik" if action is Action.WITHDRAW else "menayangkan"
            return replace(memory, publish_error=(
                f"Gagal {verb} berita: {note} Program mencoba lagi pada siklus berikutnya."))
        with self.ledger.transaction():
            if action is Action.WITHDRAW:
                memory = replace(memory, post=_published(ref), withdrawals=memory.withdrawals + 1,
                                 publish_error="")
            else:
                changed = memory.post is None or memory.post.fingerprint != ref.fingerprint
                memory = replace(memory, post=_published(ref), publish_error="",
                                 first_published_at=memory.first_published_at or self.now,
                                 published_at=self.now,
                                 version=memory.version + (1 if changed else 0))
                if not memory.archive_number:
                    memory = self._archive(memory, self.now)
            self.ledger.remember(entry.entry_id, memory, (), self.now)
            self.ledger.finish(seq, "done", self.now)
        return memory

    def _post(self, entry: Entry, memory: Memory, resolved: _Resolved) -> Post:
        return Post(
            entry_id=entry.entry_id, slug=memory.slug, title=entry.title,
            body_html=resolved.body_html, news_type=entry.text(S.NEWS_TYPE),
            source=entry.text(S.SOURCE), caption=entry.text(S.CAPTION),
            media=resolved.media.files, published_at=memory.first_published_at or self.now,
            agenda_number=memory.agenda_number, fingerprint=resolved.content.fingerprint,
        )


def _published(ref: PostRef) -> Published:
    return Published(slug=ref.slug, post_id=ref.post_id, url=ref.url, fingerprint=ref.fingerprint,
                     live=ref.live)


def _ref(entry_id: str, post: Published | None) -> PostRef | None:
    if post is None:
        return None
    return PostRef(entry_id=entry_id, slug=post.slug, url=post.url, post_id=post.post_id,
                   fingerprint=post.fingerprint, live=post.live)
