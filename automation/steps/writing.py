"""Steps 3 and 5: what goes into the sheet. New rows' IDs before their post exists, then the
program cells and `Riwayat` in one write-back."""

from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from automation.agenda.cells import read_back
from automation.core import schema as S
from automation.core import transitions
from automation.core.entry import same_value
from automation.core.workflow import Decision
from automation.ports import AdapterError, RowWrite, Sheet, WriteReport
from automation.steps.context import Context
from automation.steps.planning import Planned

log = logging.getLogger(__name__)


def save_new_ids(ctx: Context, rows: list[Planned], sheet: Sheet) -> None:
    """Rows about to be published need their `ID Sistem` in the sheet first (`sheet`: the
    read they were planned from).

    The ID is how the post is found again; a post made for an ID the sheet never got would be
    made a second time under another ID if the final write failed.
    """
    unsaved = [p for p in rows if not p.id_in_sheet and p.decision.action is not None]
    if not unsaved:
        return
    ctx.tally.deferred = len(unsaved)
    if ctx.ws.store.quota_limited:
        log.info("%d new row(s) approved at first sight: saving their IDs now, "
                 "publishing next cycle", len(unsaved))
        return
    writes = [RowWrite(p.entry.entry_id, p.entry.row, {S.ENTRY_ID: p.entry.entry_id}, p.match)
              for p in unsaved]
    try:
        result = ctx.ws.store.write(writes, [], sheet)
    except AdapterError as err:
        log.warning("could not save new row IDs, publishing them next cycle: %s", err)
        return
    ctx.ledger.confirm_ids(result.written)
    saved = set(result.written)
    for p in unsaved:
        p.id_in_sheet = p.entry.entry_id in saved
    ctx.tally.deferred = len(unsaved) - len(saved)


def row_write(ctx: Context, planned: Planned, decision: Decision, acted: bool) -> RowWrite:
    """The cells the row must change to show `decision` (nothing it already shows). Text is
    plain `str`, as a sheet gives it back (a `Status` member is its text)."""
    entry = planned.entry
    cells = dict(decision.cells)
    if decision.action is not None and not acted:
        del cells[S.STATUS]          # keeps what it shows until the action has run
    cells.update({h: False for h in decision.clear_ticks})
    cells = {h: str(v) if isinstance(v, str) else v for h, v in cells.items()
             if not same_value(entry.cells.get(h), v)}
    return RowWrite(entry.entry_id, entry.row, cells, planned.match)


def as_read_back(cells: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """Written cells as the next read gives them back: an emptied cell as None, a time in
    whole seconds in the office's zone `tz` (`cells.read_back`, what every store does)."""
    return {h: None if v == "" else read_back(v, tz) for h, v in cells.items()}


def write_back(ctx: Context, writes: list[RowWrite], sheet: Sheet, interrupted: bool
               ) -> tuple[tuple[str, ...], str]:
    """One batched write of the rows' cells and the `Riwayat` events not yet in the sheet
    (`sheet`: the read the rows were planned from).

    Returns (IDs of rows that moved or vanished before the write, the write's error). Nothing
    is lost when it fails: cells are recomputed and events stay queued for the next cycle.
    """
    ledger, tally, meta = ctx.ledger, ctx.tally, ctx.ledger.meta
    outbox = ledger.unwritten_events()
    if writes or outbox:
        recheck = ledger.mark_attempted(outbox) or tally.recovered
        try:
            result = ctx.ws.store.write(writes, outbox, sheet, recheck)
        except AdapterError as err:
            log.warning("write-back postponed: %s", err)
            meta.agenda_version = None
            return (), str(err)
    else:                   # nothing to write: the agenda stays as it was read
        result = WriteReport((), (), sheet.version)
    ledger.mark_written(outbox)
    ledger.confirm_ids(result.written)
    landed = set(result.written)
    ledger.settle([(eid, digest, due) for eid, digest, due, has_cells in tally.settled
                   if (not has_cells or eid in landed) and eid not in tally.unsettled])
    for entry_id in set(result.written) & tally.clearing.keys():
        ledger.remember(entry_id, transitions.ticks_cleared(tally.clearing[entry_id]))
    if result.missed:
        log.warning("rows moved or vanished before writing, retried next cycle: %s",
                    ", ".join(result.missed))
    # The next cycle may skip reading only if this one left nothing undone.
    meta.agenda_version = None if result.missed or interrupted else result.version
    meta.last_full_read = ctx.now
    meta.settings = ctx.settings
    # A wait outlasting the standard changes the row's note: the cycle must not idle then.
    meta.next_deadline = tally.deadline
    # A failed, held or postponed row is retried next cycle even if the agenda is unchanged.
    meta.retry_pending = bool(tally.failures or ctx.hold or tally.postponed or tally.deferred
                              or tally.preparing or tally.unsettled)
    return result.missed, ""
