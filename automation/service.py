"""One tick of the program, shared by `once` and `run`: the cycle, then what follows it.

After the cycle (publishing first), queued notices are delivered, the program's health is
recorded and, under `run`, shown in the agenda's `Status Program` worksheet.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Callable

from automation import health
from automation.config import Config
from automation.core.entry import HeaderError
from automation.cycle import Cycle, CycleReport
from automation.notify.channels import channels_from
from automation.notify.outbox import deliver, recorded_pages
from automation.ports import AdapterError
from automation.workspace import open_workspace

log = logging.getLogger(__name__)


class Service:
    def __init__(self, cfg: Config, heartbeat: bool = False):
        self.cfg = cfg
        self.heartbeat = heartbeat
        self.channels, problems = channels_from(cfg.notify, os.environ)
        for problem in problems:
            log.error("%s", problem)

    def tick(self, now: datetime, stop: Callable[[], bool] = lambda: False) -> CycleReport:
        """One cycle; raises what stopped it from running, after recording it."""
        ws = open_workspace(self.cfg)
        try:
            try:
                report = Cycle(ws, now, stop=stop).run()
            except Exception as err:
                health.failed(ws.ledger, self.cfg, now, _describe(err))
                raise
            health.succeeded(ws.ledger, now)
            return report
        finally:
            deliver(ws.ledger, self.channels, now, stop, attachments=(
                recorded_pages(ws.ledger) if self.cfg.preview.enabled else None))
            if (self.heartbeat and health.heartbeat_due(ws.ledger, self.cfg, now)) \
                    or health.outage_unshown(ws.ledger):
                self.show_health(ws, now)
            ws.close()

    def show_health(self, ws, now: datetime) -> None:
        """The `Status Program` worksheet; a failure here is logged, never fatal, and never
        hides what happened to the cycle."""
        try:
            ws.store.put_sheet(health.STATUS_SHEET, health.status_rows(ws.ledger, self.cfg, now))
        except Exception as err:
            log.warning("could not update the '%s' worksheet: %s", health.STATUS_SHEET, err)
            return
        health.mark_heartbeat(ws.ledger, now)


def _describe(err: Exception) -> str:
    if isinstance(err, (HeaderError, AdapterError)):
        return str(err)
    return f"unexpected {type(err).__name__}: {err} (see the log)"
