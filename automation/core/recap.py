"""The monthly recap (SPEC section 7): counts and SOP step times from the event history.

Pure: the shell gathers the events (the ledger's and `Riwayat`'s, merged here by
`merge_events`) and the current rows; nothing here reads a file or the clock. Times are
aware, in the office time zone: the month is the office's.

Counts for the month, per entry: received when its first `Diterima` falls in the month,
published when its first `Tayang` does, rejected / withdrawn when it has a `Ditolak` /
`Ditarik` in the month (an entry counts once however many it has).

Step times. Each SOP step of an entry runs from a start to the first occurrence of its end
event at or after that start:

1. Penerimaan berita (Petugas): the first `Diterima` -> `Lengkap`;
2. one step per approval column, named after it: the previous step's end -> that column's
   event. The last approval column's step also ends at `Ditolak` (the Kabid sorts approved
   from not approved; at the same time `Ditolak` wins, as it does in the workflow), and a
   rejected entry has no later steps;
3. Input ke website (Operator): the last approval -> `Tayang`;
4. Pengarsipan (Kasi): the first `Tayang` -> `Diarsipkan`.

An end event seen only before the start (the Kabid ticked before the Kadis, a tick given
while the row was still incomplete) would make a negative time: the step was already done
when it began, so it takes 0 minutes and ends at its start. First occurrences are used
throughout, so a re-approval after an edit (`Paraf Diulang`) does not stretch the first
pass. A step's time counts in the month in which it ends.

Figures per step, over the times that ended in the month (minutes, never rounded here):
- median: `statistics.median`;
- 90th percentile: `statistics.quantiles(values, n=10, method="inclusive")[8]` for two
  values or more, i.e. with the values sorted x[0] <= ... <= x[n-1] and h = 0.9 * (n - 1),
  x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]); the value itself for one
  value; None for none;
- within: the share of times with minutes <= step_minutes (None for none).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from automation.core.workflow import Event, EventName

RECEIVING = "Penerimaan berita (Petugas)"
INPUT = "Input ke website (Operator)"
ARCHIVING = "Pengarsipan (Kasi)"
DEFAULT_APPROVALS = ("Paraf Kadis", "Paraf Kabid")

GONE = "(baris tidak ada lagi)"      # the entry's row was deleted from the agenda
BLANK = "(tidak diisi)"              # the row has no Jenis / Sumber Berita
SAME_EVENT_WITHIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Counts:
    received: int = 0
    published: int = 0
    rejected: int = 0
    withdrawn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.received + other.received, self.published + other.published,
                      self.rejected + other.rejected, self.withdrawn + other.withdrawn)

    def __bool__(self) -> bool:
        return any((self.received, self.published, self.rejected, self.withdrawn))


@dataclass(frozen=True)
class StepFigures:
    step: str
    n: int
    median: float | None             # minutes
    p90: float | None                # minutes
    within: float | None             # share (0..1) of the n times within the standard


@dataclass(frozen=True)
class EntryRecap:
    """One entry active in the month: what it counts for and its step times."""

    entry_id: str
    agenda_number: str               # the first its events name
    news_type: str
    source: str
    received_at: datetime | None     # its first `Diterima` (any month)
    published_at: datetime | None    # its first `Tayang` (any month)
    counts: Counts
    minutes: tuple[float | None, ...]   # per step; None unless the step ended in the month


@dataclass(frozen=True)
class Overdue:
    entry_id: str
    step: str
    minutes: float


@dataclass(frozen=True)
class Recap:
    year: int
    month: int
    step_minutes: float
    steps: tuple[str, ...]
    totals: Counts
    by_type: Mapping[str, Counts]    # most received first, then by name
    by_source: Mapping[str, Counts]
    figures: tuple[StepFigures, ...]   # one per step, in SOP order
    entries: tuple[EntryRecap, ...]    # in order of receipt
    overdue: tuple[Overdue, ...]       # entry x step over the standard, in `entries` order


def step_names(approval_columns: Sequence[str] = DEFAULT_APPROVALS) -> tuple[str, ...]:
    return (RECEIVING, *approval_columns, INPUT, ARCHIVING)


def percentile_90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def merge_events(recorded: Iterable[Event], history: Iterable[Event]) -> list[Event]:
    """The ledger's events (`recorded`) and `Riwayat`'s (`history`) as one list, each event
    once, and only those with a time.

    The same event is in both once written; it is the same when entry, event name and time
    agree to the minute (`Riwayat` keeps whole seconds, a time read back from a sheet can be
    a hair off, so "less than a minute apart"). The ledger's come first and are kept.
    """
    kept: dict[tuple[str, str], list[datetime]] = {}
    events = []
    for event in [*recorded, *history]:
        if not (isinstance(event.at, datetime) and event.entry_id and event.name):
            continue
        times = kept.setdefault((event.entry_id, event.name), [])
        if not any(abs(event.at - t) < SAME_EVENT_WITHIN for t in times):
            times.append(event.at)
            events.append(event)
    return events


def make_recap(events: Iterable[Event], rows: Mapping[str, tuple[str, str]],
               year: int, month: int, approval_columns: Sequence[str] = DEFAULT_APPROVALS,
               step_minutes: float = 7) -> Recap:
    """`events`: as `merge_events` gives them; `rows`: entry ID -> (Jenis Berita, Sumber
    Berita) of the rows in the agenda now."""
    times: dict[str, dict[str, list[datetime]]] = {}
    numbers: dict[str, str] = {}
    for event in events:
        times.setdefault(event.entry_id, {}).setdefault(event.name, []).append(event.at)
        if event.agenda_number:
            numbers.setdefault(event.entry_id, event.agenda_number)
    for per_name in times.values():
        for stamps in per_name.values():
            stamps.sort()

    def in_month(at: datetime | None) -> bool:
        return at is not None and (at.year, at.month) == (year, month)

    steps = step_names(approval_columns)
    entries = []
    for entry_id, seen in times.items():
        received, published = _first(seen, EventName.RECEIVED), _first(seen, EventName.LIVE)
        counts = Counts(
            received=int(in_month(received)), published=int(in_month(published)),
            rejected=int(any(in_month(t) for t in seen.get(EventName.REJECTED, ()))),
            withdrawn=int(any(in_month(t) for t in seen.get(EventName.WITHDRAWN, ()))))
        minutes = tuple((end - start).total_seconds() / 60 if in_month(end) else None
                        for start, end in _spans(seen, approval_columns))
        if counts or any(m is not None for m in minutes):
            news_type, source = rows.get(entry_id, (GONE, GONE))
            entries.append(EntryRecap(entry_id, numbers.get(entry_id, ""), news_type or BLANK,
                                      source or BLANK, received, published, counts, minutes))
    entries.sort(key=lambda e: (e.received_at is None, e.received_at or datetime.min, e.entry_id))

    figures = []
    for i, step in enumerate(steps):
        values = [e.minutes[i] for e in entries if e.minutes[i] is not None]
        figures.append(StepFigures(
            step, len(values), statistics.median(values) if values else None,
            percentile_90(values),
            sum(v <= step_minutes for v in values) / len(values) if values else None))
    return Recap(
        year=year, month=month, step_minutes=step_minutes, steps=steps,
        totals=sum((e.counts for e in entries), Counts()),
        by_type=_breakdown(entries, lambda e: e.news_type),
        by_source=_breakdown(entries, lambda e: e.source),
        figures=tuple(figures), entries=tuple(entries),
        overdue=tuple(Overdue(e.entry_id, step, m) for e in entries
                      for step, m in zip(steps, e.minutes) if m is not None and m > step_minutes))


def _first(seen: Mapping[str, list[datetime]], name: str) -> datetime | None:
    stamps = seen.get(name)
    return stamps[0] if stamps else None


def _end(seen: Mapping[str, list[datetime]], start: datetime | None,
         names: Sequence[str]) -> tuple[datetime | None, str]:
    """When a step begun at `start` ended, and by which event ("" when it has not)."""
    if start is None:
        return None, ""
    found = [(at, name) for name in names for at in seen.get(name, ())]
    # At the same time `Ditolak` wins over an approval, as it does in the workflow.
    later = [f for f in found if f[0] >= start]
    if later:
        return min(later, key=lambda f: (f[0], f[1] != EventName.REJECTED))
    if found:       # done before the step began: 0 minutes, ending at its start
        return start, max(found, key=lambda f: (f[0], f[1] == EventName.REJECTED))[1]
    return None, ""


def _spans(seen: Mapping[str, list[datetime]],
           approval_columns: Sequence[str]) -> list[tuple[datetime, datetime] | tuple[None, None]]:
    """(start, end) of every step of one entry, (None, None) for a step not done."""
    spans: list = []

    def step(start: datetime | None, names: Sequence[str]) -> tuple[datetime | None, str]:
        end, by = _end(seen, start, names)
        spans.append((start, end) if end is not None else (None, None))
        return end, by

    end, by = step(_first(seen, EventName.RECEIVED), (EventName.COMPLETE,))
    for n, column in enumerate(approval_columns):
        last = n == len(approval_columns) - 1
        end, by = step(end, (column, EventName.REJECTED) if last else (column,))
    step(None if by == EventName.REJECTED else end, (EventName.LIVE,))
    step(_first(seen, EventName.LIVE), (EventName.ARCHIVED,))
    return spans


def _breakdown(entries: Sequence[EntryRecap], key) -> dict[str, Counts]:
    groups: dict[str, Counts] = {}
    for entry in entries:
        if entry.counts:
            groups[key(entry)] = groups.get(key(entry), Counts()) + entry.counts
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1].received, kv[0])))
