"""One cycle, as the SOP runs it: read the agenda, plan each row, act, write back once.

The steps live in `automation.steps`; this module only calls them in order. Every outside
effect is journaled in the ledger before and after, and the program cells are recomputed from
the ledger on every cycle, so a cycle interrupted at any point is completed by the next one
without doing anything twice. A dry run is the same cycle on read-only adapters
(`automation.dry_run`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

from automation import health
from automation.core import schema as S
from automation.core.workflow import decide
from automation.ports import AdapterError, RowWrite
from automation.steps import acting, memory, previewing, writing
from automation.steps.context import Context
from automation.steps.planning import Planned, Planner
from automation.steps.reading import Agenda, approval_hold, read_agenda
from automation.workspace import Workspace

log = logging.getLogger(__name__)

# Even when the file looks unchanged, read it fully now and then: media files may have
# changed, and a clock or file system that lies about time stamps must not hide work.
FULL_READ_EVERY = timedelta(minutes=10)


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
    planned: int = 0                    # rows looked at (the others are settled: unchanged)
    deferred: int = 0                   # new approved rows published next cycle, ID saved first
    outages: tuple[str, ...] = ()       # sources that could not be read (SPEC rule 8)
    postponed: int = 0                  # rows left as they were because of those outages
    preparing: int = 0                  # approved rows waiting for a video's conversion


class Cycle:
    def __init__(self, ws: Workspace, now: datetime, stop: Callable[[], bool] = lambda: False):
        self.ctx = Context(ws, now.astimezone(ws.config.tz), stop)
        self.pages: list[previewing.PageJob] = []

    def run(self) -> CycleReport:
        ctx = self.ctx
        ctx.ws.videos.pump()            # conversions go on between cycles: finish, start, show
        if self._idle():
            return CycleReport(idle=True)
        sheet = ctx.ws.store.read()
        ctx.hold = approval_hold(ctx)
        agenda = read_agenda(ctx, sheet)
        rows = self._plan(agenda)
        writing.save_new_ids(ctx, rows, sheet)
        report = CycleReport(rows=agenda.rows, planned=len(rows))
        writes = []
        with ctx.ws.publisher.batch():
            for planned in rows:
                if ctx.stop():
                    log.info("stop requested: leaving the remaining rows for the next cycle")
                    report.interrupted = True
                    break
                writes.append(self._complete(planned, agenda, report))
        previewing.make_pages(ctx, self.pages, self.planner)    # may add a Drive link to a write
        writes = [write for write in writes if write.cells]
        report.missed_writes, report.write_error = writing.write_back(ctx, writes, sheet,
                                                                      report.interrupted)
        report.deferred, report.postponed = ctx.tally.deferred, ctx.tally.postponed
        report.preparing = ctx.tally.preparing
        report.outages = tuple(ctx.tally.outages)
        health.outage(ctx.ledger, ctx.ws.config, ctx.now, list(ctx.tally.outages.values()))
        return report

    def _idle(self) -> bool:
        """Nothing to do when the agenda is as we left it and nothing waits (no read at all)."""
        meta, now = self.ctx.ledger.meta, self.ctx.now
        version = self.ctx.ws.store.version()
        last_full, deadline = meta.last_full_read, meta.next_deadline
        return not (version is None or version != meta.agenda_version
                    or meta.settings != self.ctx.settings
                    or (deadline is not None and now >= deadline)
                    or meta.retry_pending or self.ctx.ledger.unwritten_events()
                    or last_full is None or now - last_full >= FULL_READ_EVERY)

    def _plan(self, agenda: Agenda) -> list[Planned]:
        self.planner, rows = Planner(self.ctx, agenda), []
        for entry in agenda.entries:
            try:
                rows.append(self.planner.plan(entry))
            except AdapterError as err:
                # SPEC rule 8: media or a document out of reach for now. The row is left
                # exactly as it is (an outage is no reason to call the content changed or
                # incomplete) and tried next cycle.
                log.warning("row %s left as it is until its media can be read: %s",
                            entry.row, err)
                self.ctx.tally.postponed += 1
                self.ctx.tally.outages.setdefault(str(err), err.note)
        return rows

    def _complete(self, planned: Planned, agenda: Agenda, report: CycleReport) -> RowWrite:
        """Act if the decision says so, then what the sheet should show."""
        ctx, entry, decision = self.ctx, planned.entry, planned.decision
        action = decision.action
        acted = action is not None and planned.id_in_sheet
        if acted:
            after = acting.act(ctx, entry, decision, planned.resolved, agenda.archive_floor)
            decision = decide(entry, after, planned.resolved.content, ctx.now, ctx.rules, ctx.hold)
            memory.remember(ctx, entry, after, decision, planned.resolved.content.fingerprint)
        recheck = ctx.after_decision(entry, decision)
        decision, page = previewing.wanted(ctx, entry, decision, planned.content,
                                           planned.resolved, acted, len(self.pages))
        write = writing.row_write(ctx, planned, decision, acted)
        if page is not None:
            self.pages.append(replace(page, write=write))
        # A row waiting for its video is looked at every cycle until it is published.
        ctx.tally.preparing += decision.preparing
        if decision.action is None and not decision.preparing:
            # Nothing left to do for the row once its cells are written: until it shows
            # something else, its files change or time changes it, it needs no look.
            written = writing.as_read_back(write.cells, ctx.ws.config.tz)
            shown = replace(entry, cells={h: written.get(h, v) for h, v in entry.cells.items()})
            ctx.tally.settled.append((entry.entry_id, ctx.settled_digest(shown), recheck,
                                      bool(write.cells)))
        if write.cells or action or decision.events:
            before, post = entry.text(S.STATUS), decision.memory.post
            report.changed.append(RowSummary(
                decision.memory.agenda_number, entry.title, before, decision.status,
                action.value if action else "", post.url if post else ""))
            # A new row's ID is real only once written.
            shown_id = entry.entry_id if planned.id_in_sheet else "(new row)"
            log.info("%s %s: %s -> %s%s", decision.memory.agenda_number or "-", shown_id,
                     before or "(new)", decision.status, f" [{action.value}]" if action else "")
        return write
