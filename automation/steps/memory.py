"""A row's memory in the ledger: found, recovered, numbered and saved. The core decides every
change (`automation.core.transitions`); here the ledger is read and written around it."""

from __future__ import annotations

import logging

from automation.core import notices, transitions
from automation.core import schema as S
from automation.core.entry import Entry
from automation.core.workflow import Decision, Event, Memory
from automation.notify.outbox import queue
from automation.steps.context import Context

log = logging.getLogger(__name__)


class Memories:
    """Finds each row's memory; `Riwayat` is read at most once, and only to recover."""

    def __init__(self, ctx: Context, archive_floor: dict[int, int]):
        self.ctx, self.archive_floor = ctx, archive_floor
        self._history: list[Event] | None = None

    def of(self, entry: Entry) -> Memory:
        memory = self.ctx.ledger.memory(entry.entry_id) if entry.entry_id else None
        if memory is not None:
            return memory
        if not transitions.known_before(entry):
            return transitions.first_sight(entry)
        return self._recover(entry)

    def _recover(self, entry: Entry) -> Memory:
        """Rebuild what the ledger lost from the sheet, the website and `Riwayat`."""
        ctx = self.ctx
        log.warning("row %s (ID %s) is not in the ledger: recovering from sheet and website",
                    entry.row, entry.entry_id)
        ref = ctx.ws.publisher.find(entry.entry_id)
        if self._history is None:
            self._history = ctx.ws.store.history()
        seen = [h for h in self._history if h.entry_id == entry.entry_id]
        if seen:
            ctx.ledger.adopt_events(seen)
        ctx.tally.recovered = True          # Riwayat must be looked at before appending to it
        memory = transitions.recovered(entry, ref, seen, ctx.now)
        return give_archive_number(ctx, memory, self.archive_floor)


def give_agenda_number(ctx: Context, entry: Entry, memory: Memory, floors: dict[int, int]) -> Memory:
    """`No. Agenda`, when the core says the row wants one: a number taken is a number kept."""
    if not transitions.wants_agenda_number(entry, memory):
        return memory
    year = ctx.now.year
    with ctx.ledger.transaction():
        nomor = ctx.ledger.allocate("agenda", year, floors.get(year, 0))
        memory = transitions.with_agenda_number(memory, nomor, year, ctx.rules.numbering)
        ctx.ledger.remember(entry.entry_id, memory)
    return memory


def give_archive_number(ctx: Context, memory: Memory, floors: dict[int, int]) -> Memory:
    """`Nomor Arsip` and `Lokasi Arsip` at the first publication (inside the caller's
    transaction, so the number is kept with the post that got it)."""
    if not transitions.wants_archive_number(memory):
        return memory
    year, _ = transitions.archive_year_month(memory, ctx.now)
    nomor = ctx.ledger.allocate("archive", year, floors.get(year, 0))
    return transitions.with_archive_number(memory, nomor, ctx.rules.numbering, ctx.now)


def remember(ctx: Context, entry: Entry, before: Memory, decision: Decision,
             fingerprint: str) -> None:
    """Save what the decision changed, and queue the notices it gives rise to with it
    (`fingerprint`: the content version decided on, whose page a notice carries)."""
    memory, told = decision.memory, []
    if ctx.notifying:
        told = notices.for_row(entry, decision, ctx.now, ctx.rules, ctx.ws.config.notify.hours,
                               ctx.sheet_link, fingerprint)
        memory = notices.after_notices(memory, told)
    if memory == before and not decision.events and not told:
        return
    with ctx.ledger.transaction():
        ctx.ledger.remember(entry.entry_id, memory, decision.events)
        queue(ctx.ledger, ctx.ws.config.notify, entry.entry_id, told, entry.text(S.RECEIVER),
              ctx.now)
