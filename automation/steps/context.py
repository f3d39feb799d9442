"""What every step of one cycle shares: the adapters, the time, and what the cycle found."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Callable

from automation.core.entry import Entry, Rules
from automation.core.notices import recheck_at
from automation.core.workflow import Decision, Memory
from automation.ledger import Ledger
from automation.notify.outbox import sheet_link
from automation.workspace import Workspace


@dataclass
class Tally:
    """What the cycle learns on its way, for the write-back and the next cycle."""

    failures: int = 0                    # rows whose action failed and waits to retry
    postponed: int = 0                   # rows left alone: their media could not be read
    deferred: int = 0                    # new rows published once their ID is saved
    preparing: int = 0                   # approved rows waiting for a video's conversion
    outages: dict[str, str] = field(default_factory=dict)     # message -> Indonesian note
    clearing: dict[str, Memory] = field(default_factory=dict)  # tick clears awaiting the write
    deadline: datetime | None = None     # when the next wait outlasts the standard
    recovered: bool = False              # a lost ledger was rebuilt: Riwayat must be looked at
    # (entry ID, digest once written, recheck_at, whether it has cells to write) of the rows
    # with nothing left to do: settled once their cells are in the sheet
    settled: list[tuple[str, str, datetime | None, bool]] = field(default_factory=list)
    unsettled: set[str] = field(default_factory=set)     # ... but for these, after all

    def wait(self, due: datetime) -> None:
        self.deadline = min(self.deadline or due, due)

    def unsettle(self, entry_id: str) -> None:
        """The row has something left to do after all (a page not made yet): looked at again
        next cycle."""
        self.unsettled.add(entry_id)


@dataclass
class Context:
    ws: Workspace
    now: datetime                        # aware, in the office time zone
    stop: Callable[[], bool]
    hold: str = ""                       # why approvals cannot be trusted (SPEC rule 7)
    tally: Tally = field(default_factory=Tally)

    @property
    def ledger(self) -> Ledger:
        return self.ws.ledger

    @property
    def rules(self) -> Rules:
        return self.ws.rules

    @property
    def notifying(self) -> bool:
        """Notices are worked out only when someone is there to be told."""
        notify = self.ws.config.notify
        return bool(notify.recipients or notify.petugas)

    @property
    def sheet_link(self) -> str:
        return sheet_link(self.ws.config)

    def after_decision(self, entry: Entry, decision: Decision) -> datetime | None:
        """Count what a row's final decision leaves for later; returns from when time alone
        may change the row (`notices.recheck_at`)."""
        memory = decision.memory
        # When the wait passes the standard its note changes: the cycle must not stay idle.
        due = recheck_at(memory, self.now, self.rules, notifying=False)
        if due is not None:
            self.tally.wait(due)
        if memory.clearing:
            self.tally.clearing[entry.entry_id] = memory
        if memory.publish_error:
            self.tally.failures += 1
        return recheck_at(memory, self.now, self.rules, self.notifying)

    def settled_digest(self, entry: Entry) -> str:
        """What a settled row must show to stay settled: its cells, and what else its
        decision depends on (`settled_basis`)."""
        return entry.digest(self.settled_basis)

    @cached_property
    def settled_basis(self) -> str:
        """The settings and the rule-7 hold: set before rows are read."""
        return repr((self.settings, self.hold))

    @cached_property
    def settings(self) -> str:
        """What in the configuration rows are judged by: the rules, whether anyone is told,
        the office's time zone, the media settings (they decide what is wrong with a file)
        and the preview settings (a row gets its pages). A digest: it is kept in the ledger."""
        text = repr((self.rules, self.notifying, str(self.now.tzinfo), self.ws.config.media,
                     self.ws.config.preview))
        return hashlib.sha256(text.encode()).hexdigest()
