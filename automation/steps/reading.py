"""Step 1: read the agenda, and what the ledger remembers of its rows."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from automation.core import notices
from automation.core import schema as S
from automation.core.entry import Entry, locate_headers, read_rows, separate_copies
from automation.core.numbering import read_number
from automation.notify.outbox import queue
from automation.steps.context import Context

log = logging.getLogger(__name__)


@dataclass
class Agenda:
    entries: list[Entry]
    # The highest running number per year already in the sheet: numbering continues above it.
    agenda_floor: dict[int, int]
    archive_floor: dict[int, int]


def read_agenda(ctx: Context) -> Agenda:
    sheet = ctx.ws.store.read()
    layout = locate_headers(sheet.header, ctx.rules)
    entries = separate_copies(read_rows(sheet.rows, layout, ctx.rules, formulas=sheet.formulas),
                              _AgendaNumbers(ctx))
    numbering = ctx.rules.numbering
    return Agenda(entries, _floors(entries, S.AGENDA_NUMBER, numbering.agenda_pattern()),
                  _floors(entries, S.ARCHIVE_NUMBER, numbering.archive_pattern()))


class _AgendaNumbers:
    """The remembered `No. Agenda` of an ID, asked only for IDs two rows share."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def get(self, entry_id: str, default: str = "") -> str:
        memory = self.ctx.ledger.memory(entry_id)
        return memory.agenda_number if memory else default


def _floors(entries: list[Entry], header: str, pattern: re.Pattern[str]) -> dict[int, int]:
    floors: dict[int, int] = {}
    for entry in entries:
        if entry.copied_from is None:
            found = read_number(pattern, entry.text(header))
            if found:
                floors[found[0]] = max(floors.get(found[0], 0), found[1])
    return floors


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
