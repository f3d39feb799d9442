"""Step 1: read the agenda, and what the ledger remembers of its rows."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Callable, Iterator, Mapping

from automation.core import notices
from automation.core import schema as S
from automation.core.entry import (
    Entry, Row, cell_text, entries_of, locate_headers, separate_copies, sheet_rows,
)
from automation.core.numbering import read_number
from automation.notify.outbox import queue
from automation.ports import Sheet
from automation.steps.context import Context

log = logging.getLogger(__name__)


@dataclass
class Agenda:
    entries: list[Entry]                 # the rows to look at, parsed
    ids: set[str]                        # every `ID Sistem` in the sheet
    settled: int                         # rows not looked at: unchanged since they settled
    agenda_floor: Floors
    archive_floor: Floors

    @property
    def rows(self) -> int:
        return len(self.entries) + self.settled


def read_agenda(ctx: Context, sheet: Sheet) -> Agenda:
    """The sheet's rows; those unchanged since they settled are only counted, not parsed
    (`ctx.hold` must be known: a settled row's digest includes it)."""
    layout = locate_headers(sheet.header, ctx.rules)
    rows = sheet_rows(sheet.rows, layout, formulas=sheet.formulas)
    seen: dict[str, int] = {}
    for row in rows:
        if row.entry_id:
            seen[row.entry_id] = seen.get(row.entry_id, 0) + 1
    unchanged, looked, settled = _Unchanged(ctx), [], []
    for row in rows:
        # Rows sharing an ID are looked at: one of them is a copy (rule 5).
        (settled if seen.get(row.entry_id) == 1 and unchanged(row) else looked).append(row)
    entries = separate_copies(entries_of(looked, layout, ctx.rules), _AgendaNumbers(ctx))
    numbering = ctx.rules.numbering

    def floors(header: str, pattern: re.Pattern[str]) -> Floors:
        at = layout.position(header)
        return Floors(lambda: [e.text(header) for e in entries if e.copied_from is None]
                      + [cell_text(r.values[at]) for r in settled], pattern)

    return Agenda(entries, set(seen), len(settled),
                  floors(S.AGENDA_NUMBER, numbering.agenda_pattern()),
                  floors(S.ARCHIVE_NUMBER, numbering.archive_pattern()))


class Floors(Mapping[int, int]):
    """The highest running number per year already in the sheet: numbering continues above
    it. Worked out when first asked: most cycles number nothing."""

    def __init__(self, texts: Callable[[], list[str]], pattern: re.Pattern[str]):
        self._texts, self._pattern = texts, pattern

    @cached_property
    def _highest(self) -> dict[int, int]:
        highest: dict[int, int] = {}
        for text in self._texts():
            found = read_number(self._pattern, text)
            if found:
                highest[found[0]] = max(highest.get(found[0], 0), found[1])
        return highest

    def __getitem__(self, year: int) -> int:
        return self._highest[year]

    def __iter__(self) -> Iterator[int]:
        return iter(self._highest)

    def __len__(self) -> int:
        return len(self._highest)


class _Unchanged:
    """Whether a row is settled: it shows what it showed when its decision last asked for
    nothing, its files are unchanged, and time alone has not changed it since."""

    def __init__(self, ctx: Context):
        self.ctx, self.marks = ctx, ctx.ledger.settled()
        self.basis = ctx.settled_basis
        self.files: dict[str, bool] = {}    # stamp -> unchanged: many rows share their photos

    def __call__(self, row: Row) -> bool:
        mark = self.marks.get(row.entry_id)
        if mark is None or mark.digest != row.digest(self.basis):
            return False
        recheck = datetime.fromisoformat(mark.recheck_at) if mark.recheck_at else None
        if recheck is not None and self.ctx.now >= recheck:
            return False
        if not self._files_unchanged(mark.stamp):
            return False
        if recheck is not None:
            self.ctx.tally.wait(recheck)       # the standard it will pass
        return True

    def _files_unchanged(self, stamp: str) -> bool:
        known = self.files.get(stamp)
        if known is None:
            known = self.files[stamp] = self.ctx.ws.media.unchanged(json.loads(stamp))
        return known


class _AgendaNumbers:
    """The remembered `No. Agenda` of an ID, asked only for IDs two rows share."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def get(self, entry_id: str, default: str = "") -> str:
        memory = self.ctx.ledger.memory(entry_id)
        return memory.agenda_number if memory else default


def approval_hold(ctx: Context) -> str:
    """SPEC rule 7: why approvals cannot be trusted now ("" when they can); while they
    cannot, the administrator is told, once."""
    hold, meta = ctx.ws.store.approval_trust(), ctx.ledger.meta
    if not hold:
        meta.hold_since = None
        return hold
    log.error("approvals cannot be trusted, publishing nothing this cycle: %s", hold)
    if meta.hold_since is None:
        meta.hold_since = ctx.now
    if ctx.notifying:
        queue(ctx.ledger, ctx.ws.config.notify, "", [notices.for_admin(
            "Paraf tidak dapat dipercaya: tidak ada yang ditayangkan",
            f"{hold}\nPerbaiki proteksi kolom paraf (jalankan 'init' lalu 'check').",
            f"proteksi:{meta.hold_since.isoformat()}")], "", ctx.now)
    return hold
