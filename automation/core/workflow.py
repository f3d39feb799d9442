"""The workflow decision: a row and what the program remembers of it -> what to do.

`decide` is pure: the shell calls it before acting (to learn the action) and again after
the action with the updated memory (to learn what the sheet should show). The program
cells it returns are always a function of the row and the memory, so a cycle that was
interrupted anywhere is repaired by the next one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Mapping

from automation.core import schema as S
from automation.core.calendar import format_datetime
from automation.core.entry import Content, Entry, Rules, tick_notes


class Status(StrEnum):
    """The fixed statuses (SPEC section 3): each is its exact `Status` text."""

    INCOMPLETE = "Belum Lengkap"
    REJECTED = "Ditolak"
    FAILED = "Gagal Tayang"
    LIVE = "Tayang"
    ARCHIVED = "Diarsipkan"
    WITHDRAWN = "Ditarik"


class Waiting(str):
    """The status `Menunggu <approval column>`: complete, that column's paraf awaited. It is
    its `Status` text (`Waiting("Paraf Kadis") == "Menunggu Paraf Kadis"`) and knows its column."""

    __slots__ = ()
    PREFIX = "Menunggu "

    def __new__(cls, column: str) -> Waiting:
        return super().__new__(cls, cls.PREFIX + column)

    def __getnewargs__(self) -> tuple[str]:      # copies and pickles are made from the column
        return (self.column,)

    @property
    def column(self) -> str:
        return self[len(self.PREFIX):]


def read_status(text: str) -> Status | Waiting | None:
    """The status a `Status` cell shows; None when it shows none (empty, or other text)."""
    if text.startswith(Waiting.PREFIX) and len(text) > len(Waiting.PREFIX):
        return Waiting(text[len(Waiting.PREFIX):])
    try:
        return Status(text)
    except ValueError:
        return None


class EventName(StrEnum):
    """The `Riwayat` events (SPEC section 2), each its exact `Peristiwa` text; besides these,
    ticking an approval column is an event named after the column (`Paraf Kadis`)."""

    RECEIVED = "Diterima"
    COMPLETE = "Lengkap"
    REJECTED = "Ditolak"
    LIVE = "Tayang"
    UPDATED = "Diperbarui"
    WITHDRAWN = "Ditarik"
    ARCHIVED = "Diarsipkan"
    FAILED = "Gagal Tayang"
    REAPPROVE = "Paraf Diulang"


CONTENT_CHANGED = "Naskah berubah setelah diparaf; mohon paraf ulang"


# Occurrence of each event the first time it happens (see `decide`); the default is the
# first approval round. Used to recognise events already in `Riwayat` after a lost ledger.
_FIRST_OCCURRENCE = {EventName.RECEIVED: "0", EventName.COMPLETE: "0", EventName.LIVE: "0",
                     EventName.ARCHIVED: "0", EventName.REAPPROVE: "2", EventName.UPDATED: "v2",
                     EventName.FAILED: "1.0"}


def event_key(name: str, occurrence: str) -> str:
    """`Paraf Kadis#2`: an event's key within its entry (`Memory.events`, the ledger)."""
    return f"{name}#{occurrence}"


def first_event_key(name: str) -> str:
    return event_key(name, _FIRST_OCCURRENCE.get(name, "1"))


class Action(Enum):
    PUBLISH = "publish"      # create the post, or put a withdrawn one back
    UPDATE = "update"        # re-approved edit: same post, same URL
    WITHDRAW = "withdraw"    # Ditolak after publication


@dataclass(frozen=True)
class PostRef:
    """The post made for an entry: what a publisher says of it, and what the memory keeps."""

    entry_id: str
    slug: str
    url: str
    post_id: str
    fingerprint: str                    # content fingerprint the post carries now
    live: bool                          # False once withdrawn


@dataclass(frozen=True)
class Memory:
    """What the ledger remembers of one entry. Times are aware datetimes."""

    agenda_number: str = ""
    first_seen: datetime | None = None
    approvals: Mapping[str, str] = field(default_factory=dict)   # header -> fingerprint at tick
    round: int = 1                       # grows with every `Paraf Diulang`
    slug: str = ""                       # chosen and saved before the first create call
    post: PostRef | None = None
    first_published_at: datetime | None = None
    published_at: datetime | None = None
    archive_number: str = ""
    archive_location: str = ""
    archived_at: datetime | None = None
    publish_error: str = ""
    version: int = 0                     # successful content publications: 1 first, 2+ updates
    withdrawals: int = 0
    origin_note: str = ""                # a copied row keeps saying where it came from
    clearing: tuple[str, ...] = ()       # approval columns asked to be set FALSE, not yet seen
    events: frozenset[str] = frozenset()  # keys of events already recorded
    waiting_step: str = ""               # the SOP step the row waits at (see `waiting_step`)
    waiting_since: datetime | None = None
    reminded: str = ""                   # the `waiting_step` whose reminder is queued
    # What the website refused as too large (`attempt_key`), and the note saying so: not
    # tried again until the content or the upload limit is another.
    refused: str = ""
    refusal: str = ""


def attempt_key(fingerprint: str, rules: Rules) -> str:
    """What one publication attempt sends: the content (its fingerprint) under the upload
    limit in force (which decides how large a converted video is)."""
    return f"{rules.max_upload_mb}MB:{fingerprint}"


_TIMES = ("first_seen", "first_published_at", "published_at", "archived_at", "waiting_since")


def memory_to_json(memory: Memory) -> str:
    """A memory as the ledger keeps it (times as ISO text, the events sorted)."""
    data = asdict(memory)
    for key in _TIMES:
        data[key] = data[key].isoformat() if data[key] else None
    data["events"] = sorted(memory.events)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def memory_from_json(text: str, entry_id: str) -> Memory:
    """The memory `memory_to_json` wrote for `entry_id`, also by an older release (missing
    fields default; release 0.1.0 kept the post without its entry ID)."""
    data = json.loads(text)
    for key in _TIMES:
        data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    data["post"] = PostRef(**{**data["post"], "entry_id": entry_id}) if data.get("post") else None
    data["events"] = frozenset(data.get("events", ()))
    data["clearing"] = tuple(data.get("clearing", ()))
    return Memory(**data)


@dataclass(frozen=True)
class Event:
    """One event of an entry: what a decision records, the ledger keeps and queues, `Riwayat`
    shows as one line and the recap counts."""

    entry_id: str
    name: str                # an `EventName`, or the approval column ticked
    # Aware, in the office time zone; a `Riwayat` cell that was not a time keeps its text.
    at: datetime | str
    agenda_number: str = ""  # the entry's `No. Agenda` then
    detail: str = ""
    # With `name`, identifies the event: never recorded twice. An event read back from
    # `Riwayat` has none: the sheet does not show it.
    occurrence: str = ""

    @property
    def key(self) -> str:
        return event_key(self.name, self.occurrence)


@dataclass(frozen=True)
class Decision:
    status: Status | Waiting
    memory: Memory                       # memory after this decision (before any action)
    cells: Mapping[str, Any]             # desired program cells (and Tanggal Terima when empty)
    clear_ticks: tuple[str, ...] = ()    # approval columns to set FALSE (rule 2)
    events: tuple[Event, ...] = ()       # new events (at `now`), already in `memory.events`
    action: Action | None = None
    preparing: bool = False              # approved, published once its media is ready


class _Plan:
    """Collects notes and events while `decide` walks the rules."""

    def __init__(self, entry_id: str, memory: Memory, now: datetime):
        self.entry_id, self.memory, self.now = entry_id, memory, now
        self.notes: list[str] = []
        self.events: list[Event] = []

    def event(self, name: str, detail: str, occurrence: object) -> None:
        event = Event(self.entry_id, name, self.now, self.memory.agenda_number, detail,
                      str(occurrence))
        if event.key not in self.memory.events and event.key not in {e.key for e in self.events}:
            self.events.append(event)


# The steps a row can wait at, besides `Menunggu <approval column>`: what is awaited, for
# `Catatan Sistem` and reminders.
STEP_DATA = Status.INCOMPLETE.value
STEP_FILING = S.PAPER_FILED
AWAITED = {STEP_DATA: "data dilengkapi petugas", STEP_FILING: "naskah fisik diarsipkan Kasi"}


def waiting_step(status: Status | Waiting | None, filed: bool, acting: bool) -> str:
    """The step a row with this status waits at for a person ("" when it waits for nobody)."""
    if acting:
        return ""                        # the program itself is at work (SOP step 4)
    if status == Status.INCOMPLETE:
        return STEP_DATA
    if isinstance(status, Waiting):
        return status.column
    if status == Status.LIVE and not filed:
        return STEP_FILING
    return ""


def awaited(step: str) -> str:
    return AWAITED.get(step) or f"{step} dicentang"


def overdue(memory: Memory, now: datetime, rules: Rules) -> bool:
    return (memory.waiting_since is not None
            and now - memory.waiting_since > timedelta(minutes=rules.step_minutes))


def _again(count: int, word: str = "ulang") -> str:
    """`(paraf ulang ke-1)`: tells repeated events apart in `Riwayat`."""
    return f" ({word} ke-{count})" if count > 0 else ""


def decide(entry: Entry, memory: Memory, content: Content, now: datetime, rules: Rules,
           hold: str = "") -> Decision:
    """`hold`: why approvals cannot be trusted this cycle (SPEC rule 7); nothing is published
    while it is set, and the rows that would be say why."""
    mem = memory          # read from; the new memory is built once, at the end
    plan = _Plan(entry.entry_id, mem, now)
    round_, archived_at, publish_error = mem.round, mem.archived_at, mem.publish_error
    if mem.origin_note:
        plan.notes.append(mem.origin_note)
    plan.notes.extend(entry.notes)
    plan.notes.extend(tick_notes(entry))

    if mem.agenda_number:
        plan.event(EventName.RECEIVED, f"Dari {entry.text(S.SOURCE) or '-'}; petugas "
                   f"{entry.text(S.RECEIVER) or '-'}", 0)
    if content.complete:
        plan.event(EventName.COMPLETE, "Data dan berkas lengkap", 0)

    # Rule 2: approval binds content. A tick binds the fingerprint it was first seen with;
    # a tick taken away is forgotten, so ticking again binds the content of that moment.
    # Ticks the program asked to clear count for nothing until the sheet shows them cleared
    # (the shell forgets `clearing` once that write has landed).
    ticked = [h for h in rules.approval_columns if entry.ticked(h)]
    clear = tuple(h for h in ticked if h in mem.clearing)
    ticked = [h for h in ticked if h not in clear]
    approvals = {h: fp for h, fp in mem.approvals.items() if h in ticked}
    # Rule 4: a formula is the office's, so a tick given by one cannot be cleared by the
    # program; it then counts for nothing (see below) until a person replaces it.
    if entry.copied_from is not None:
        # Ticks copied along with a row were given to the original, not to this copy.
        clear, ticked = clear + tuple(ticked), []
    elif content.complete and any(fp != content.fingerprint for fp in approvals.values()):
        # Only complete content can void approvals: a file that could not be read this
        # time is no proof that anything changed.
        clear, ticked, approvals = clear + tuple(ticked), [], {}
        round_ += 1
        plan.event(EventName.REAPPROVE, "Isi berubah setelah diparaf; paraf dihapus"
                   + _again(round_ - 1), round_)
        plan.notes.append(CONTENT_CHANGED + ".")
    for header in ticked:
        if header not in approvals:
            approvals[header] = content.fingerprint
            plan.event(header, "Dicentang" + _again(round_ - 1, "paraf ulang"), round_)

    post = mem.post
    approved = content.complete and len(ticked) == len(rules.approval_columns)
    missing = next((h for h in rules.approval_columns if h not in ticked), None)
    unapproved = (Waiting(missing or rules.approval_columns[-1]) if content.complete
                  else Status.INCOMPLETE)
    live = post is not None and post.live
    action: Action | None = None
    preparing = refused = False

    if entry.ticked(S.REJECTED):
        if post is None:
            status = Status.REJECTED
            plan.event(EventName.REJECTED, "Ditolak pimpinan" + _leader_note(entry), round_)
        elif live:
            action, status = Action.WITHDRAW, Status.LIVE
        else:
            status = Status.WITHDRAWN
            plan.event(EventName.WITHDRAWN, "Berita ditarik dari website (menjadi draf)"
                       + _leader_note(entry) + _again(mem.withdrawals - 1, "penarikan"),
                       mem.withdrawals)
    elif post is None or not live or content.fingerprint != post.fingerprint:
        if approved and hold:
            status = read_status(entry.text(S.STATUS)) or unapproved
            plan.notes.append(hold)
        elif approved and content.preparing:
            # Published in the cycle after its media is ready; until then the sheet keeps
            # what it shows, and says what is awaited.
            status, preparing = read_status(entry.text(S.STATUS)) or unapproved, True
            plan.notes.extend(content.preparing)
        elif approved and mem.refused and mem.refused == attempt_key(content.fingerprint, rules):
            # The website refused this very content as too large under this limit: sent
            # again it is refused again, a large upload every cycle. Tried again once staff
            # change it (then approve it again) or the administrator changes the limit.
            status, refused = Status.FAILED, True
        elif approved:
            action = Action.UPDATE if live else Action.PUBLISH
            # Until the action has run the sheet keeps what it shows (the shell writes the
            # status that `decide` gives after the action).
            status = Status.FAILED if publish_error else (
                read_status(entry.text(S.STATUS)) or unapproved)
        else:
            status = unapproved
            if post is not None and not live:
                plan.notes.append("Berita sudah ditarik dari website. Tayang lagi setelah data "
                                  "lengkap dan semua paraf dicentang.")
            elif live:
                plan.notes.append(f"Perubahan belum tayang; versi sebelumnya tetap di {post.url} "
                                  "sampai semua paraf diberikan lagi.")
    else:
        status = Status.LIVE
        if not approved:
            plan.notes.append("Paraf dicabut setelah tayang; berita tetap tayang. Untuk menarik "
                              "berita dari website, centang 'Ditolak'.")

    if live:
        plan.event(EventName.LIVE, f"Tayang di {post.url}; Nomor Arsip {mem.archive_number}", 0)
        if mem.withdrawals:
            plan.event(EventName.LIVE, f"Tayang lagi di {post.url}"
                       + _again(mem.withdrawals, "kembali"), f"kembali{mem.withdrawals}")
        if mem.version > 1:
            plan.event(EventName.UPDATED, f"Isi berita diperbarui di {post.url}"
                       + _again(mem.version - 1, "perubahan"), f"v{mem.version}")
        if entry.ticked(S.PAPER_FILED) and action is None and not refused:
            status = Status.ARCHIVED
            archived_at = archived_at or now
            plan.event(EventName.ARCHIVED, f"Naskah disimpan di {mem.archive_location}", 0)
    elif entry.ticked(S.PAPER_FILED) and post is None and not entry.ticked(S.REJECTED):
        plan.notes.append("'Arsip Fisik' dicentang sebelum berita tayang; dicatat setelah tayang.")

    if action is None:
        publish_error = ""                      # nothing left to retry: the error is history
    if publish_error:
        plan.notes.append(publish_error)
        plan.event(EventName.FAILED, publish_error, f"{round_}.{mem.version}")
    if refused:
        plan.notes.append(mem.refusal)
        if live:
            plan.notes.append(f"Versi sebelumnya tetap tayang di {post.url}.")
        # Once per refusal: what was refused, under which limit (not once per round, as a
        # failure is: a changed limit refused again is news).
        plan.event(EventName.FAILED, mem.refusal,
                   f"{round_}.{mem.version}-{rules.max_upload_mb}MB-{content.fingerprint[:8]}")
    plan.notes.extend(content.problems)

    # The SOP's 7-minute standard: how long the row has waited at its step. A new round of
    # approvals is a new wait, even at the same column.
    step = waiting_step(status, entry.ticked(S.PAPER_FILED), action is not None)
    step_key = f"{step}#{round_}" if step else ""
    since = mem.waiting_since if step_key and step_key == mem.waiting_step else (
        now if step_key else None)
    for header in clear:
        if header in entry.formulas:
            plan.notes.append(f"Kolom '{header}' berisi rumus, sehingga program tidak dapat "
                              "menghapus centangnya. Ganti rumusnya dengan kotak centang.")
    mem = replace(mem, first_seen=mem.first_seen or now, round=round_, approvals=approvals,
                  clearing=clear, archived_at=archived_at, publish_error=publish_error,
                  events=mem.events | {e.key for e in plan.events},
                  waiting_step=step_key, waiting_since=since)
    if overdue(mem, now, rules):
        plan.notes.append(f"Melewati standar {rules.step_minutes} menit: menunggu "
                          f"{awaited(step)} sejak {format_datetime(since.astimezone(now.tzinfo))}.")
    cells = _cells(entry, mem, status, fit_notes(plan.notes, rules.cell_limit))
    return Decision(status=status, memory=mem,
                    cells={h: v for h, v in cells.items() if h not in entry.formulas},
                    clear_ticks=tuple(h for h in clear if h not in entry.formulas),
                    events=tuple(plan.events), action=action, preparing=preparing)


# A `Riwayat` detail quotes `Catatan Pimpinan` up to this length.
DETAIL_LIMIT = 500
# One note quotes what people typed (a link, a file name) up to this length.
NOTE_LIMIT = 1_000


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def fit_notes(notes: list[str], limit: int) -> str:
    """`Catatan Sistem`: every note once, within the cell's limit (SPEC rule 9); when they do
    not all fit, the first ones and how many more there are."""
    notes = [_shorten(n, NOTE_LIMIT) for n in dict.fromkeys(notes)]
    text = "\n".join(notes)
    if len(text) <= limit:
        return text
    kept, length = 0, 0                 # notes kept, and their length joined by new lines
    for note in notes:
        after = length + len(note) + (1 if kept else 0)
        rest = f"\n… dan {len(notes) - kept - 1} masalah lain."
        if after + len(rest) > limit:
            break
        kept, length = kept + 1, after
    return "\n".join(notes[:kept] + [f"… dan {len(notes) - kept} masalah lain."])


def _leader_note(entry: Entry) -> str:
    note = _shorten(entry.text(S.LEADER_NOTE), DETAIL_LIMIT)
    return f": {note}" if note else ""


def _cells(entry: Entry, mem: Memory, status: Status | Waiting, note: str) -> dict[str, Any]:
    cells: dict[str, Any] = {
        S.AGENDA_NUMBER: mem.agenda_number,
        S.STATUS: status,
        S.WEBSITE_URL: mem.post.url if mem.post else "",
        S.PUBLISHED_AT: mem.published_at,
        S.ARCHIVE_NUMBER: mem.archive_number,
        S.ARCHIVE_LOCATION: mem.archive_location,
        S.ARCHIVED_AT: mem.archived_at,
        S.SYSTEM_NOTE: note,
        S.ENTRY_ID: entry.entry_id,
    }
    if entry.text(S.RECEIVED) == "" and S.RECEIVED not in entry.formulas \
            and mem.first_seen is not None:
        cells[S.RECEIVED] = mem.first_seen
    return cells
