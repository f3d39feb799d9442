"""Builders for the pure-core tests: rows, content, memories and a shell-like cycle.

`run_cycle` does what `automation/cycle.py` does with one row: decide, act when asked
(here a fake website that succeeds or fails on request), then decide again with the
memory the action produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from automation.core import schema as S
from automation.core import transitions
from automation.core.entry import (
    Content, Entry, Rules, field_problems, fingerprint, locate_headers, read_rows,
)
from automation.core.ticks import DEFAULT_TICK_WORDS
from automation.core.workflow import Action, Decision, Event, Memory, PostRef, decide

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 27, 14, 5, tzinfo=WITA)
NEWS_TYPES = ("Kegiatan Pimpinan", "Kegiatan OPD", "Siaran Pers", "Pengumuman",
              "Klarifikasi Hoaks", "Galeri")
RULES = Rules(approval_columns=(S.PARAF_KADIS, S.PARAF_KABID), news_types=NEWS_TYPES,
              tick_words=DEFAULT_TICK_WORDS)
ENTRY_ID = "K7QPZ2MX9A"
AGENDA = "0017/2026"
URL = "https://diskominfo.kaltaraprov.go.id/gubernur-resmikan-jembatan-k7qpz2mx9a/"
ARCHIVE_NUMBER = "400.14.5.6/0001/DKISP/XI/2026"
ARCHIVE_LOCATION = "Lemari Arsip Siaran Pers 2026 / Map November"
MEDIA = (("foto1.jpg", "aa" * 32), ("video1.mp4", "bb" * 32))


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def complete_cells(**overrides: Any) -> dict[str, Any]:
    """A complete, unticked row as staff type it (keys are headers)."""
    cells: dict[str, Any] = {
        S.TITLE: "Gubernur Resmikan Jembatan Sungai Kayan",
        S.NEWS_TYPE: "Kegiatan Pimpinan",
        S.SOURCE: "Biro Administrasi Pimpinan",
        S.TEXT: "Tanjung Selor - Gubernur Kalimantan Utara meresmikan jembatan.",
        S.MEDIA: "foto1.jpg\nvideo1.mp4",
        S.CAPTION: "Gubernur menggunting pita",
        S.RECEIVER: "Siti Aminah",
        S.ENTRY_ID: ENTRY_ID,
    }
    cells.update(overrides)
    return cells


def header_row(rules: Rules = RULES) -> list[str]:
    return [c.header for c in rules.columns]


def make_entry(cells: Mapping[str, Any] | None = None, rules: Rules = RULES, row: int = 2,
               formulas: Sequence[str] = (), **ticks: Any) -> Entry:
    """One entry read the way the shell reads it (headers located, row parsed).

    `ticks` sets tick columns by a short name: kadis, kabid, ditolak, arsip, or any header
    given in `cells`; `formulas` names the headers whose cell holds a formula.
    """
    values = dict(complete_cells() if cells is None else cells)
    names = {"kadis": S.PARAF_KADIS, "kabid": S.PARAF_KABID, "ditolak": S.REJECTED,
             "arsip": S.PAPER_FILED}
    for name, value in ticks.items():
        values[names[name]] = value
    header = header_row(rules)
    unknown = set(values) - set(header)
    assert not unknown, f"unknown headers in test data: {unknown}"
    layout = locate_headers(header, rules)
    entries = read_rows([[values.get(h) for h in header]], layout, rules, first_row=row,
                        formulas=frozenset((row, header.index(h)) for h in formulas))
    assert len(entries) == 1, "the test row was read as blank"
    return entries[0]


def content_of(entry: Entry, rules: Rules = RULES, document: str = "",
               media: Sequence[tuple[str, str]] = MEDIA, extra: Sequence[str] = ()) -> Content:
    return Content(fingerprint(entry, document, media),
                   tuple(field_problems(entry, rules)) + tuple(extra))


def fresh_memory(**kw: Any) -> Memory:
    """What the shell hands `decide` for a row seen for the first time with a title."""
    return Memory(agenda_number=AGENDA, **kw)


def keys(events: Sequence[Event]) -> list[str]:
    return [e.key for e in events]


def names(events: Sequence[Event]) -> list[str]:
    return [e.name for e in events]


def note(decision: Decision) -> str:
    return decision.cells[S.SYSTEM_NOTE]


@dataclass
class Website:
    """A fake website: succeeds unless `error` is set. What it did becomes memory through the
    core's own transitions, as in the shell."""

    error: str = ""
    calls: list[Action] = field(default_factory=list)

    def act(self, action: Action, memory: Memory, content: Content, now: datetime) -> Memory:
        self.calls.append(action)
        memory = transitions.with_slug(memory, "gubernur-resmikan-jembatan-k7qpz2mx9a")
        if self.error:
            return transitions.act_failed(memory, action, self.error)
        if action is Action.WITHDRAW:
            post = replace(memory.post, live=False)
        else:
            post = PostRef(ENTRY_ID, memory.slug, URL, "101", content.fingerprint, live=True)
        memory = transitions.acted(memory, action, post, now)
        if transitions.wants_archive_number(memory):
            memory = transitions.with_archive_number(memory, 1, RULES.numbering, now)
        return memory


@dataclass
class Cycle:
    """The outcome of one shell-like pass over a row."""

    first: Decision
    final: Decision
    action: Action | None
    events: list[Event]

    @property
    def memory(self) -> Memory:
        return self.final.memory


def run_cycle(entry: Entry, memory: Memory, content: Content | None = None,
              now: datetime = NOW, rules: Rules = RULES, site: Website | None = None) -> Cycle:
    content = content_of(entry, rules) if content is None else content
    site = Website() if site is None else site
    first = decide(entry, memory, content, now, rules)
    events = list(first.events)
    final = first
    if first.action is not None:
        after = site.act(first.action, first.memory, content, now)
        final = decide(entry, after, content, now, rules)
        events += final.events
    return Cycle(first, final, first.action, events)
