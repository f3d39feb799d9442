"""`once --dry-run`: the same cycle as always, on adapters that change nothing.

The one place that knows what a dry run is: the agenda is read but never written, the
website is asked but never changed, and the ledger is an in-memory copy of the real one (so
the cycle numbers, journals and remembers as usual, and all of it is forgotten). Nothing is
left behind: no lock, no state folder, no log file; without a state folder yet, whatever an
adapter keeps under it (a download cache) goes to a temporary folder removed after.
"""

from __future__ import annotations

import dataclasses
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ContextManager, Iterator, Sequence

from automation.config import Config
from automation.ledger import Ledger
from automation.ports import Event, Post, PostRef, RowWrite, Sheet, WriteReport
from automation.workspace import Workspace, open_workspace

MEMORY = Path(":memory:")


@contextmanager
def dry_workspace(cfg: Config) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="agenda-dry-run-") as scratch:
        if not cfg.state_dir.exists():
            cfg = dataclasses.replace(cfg, state_dir=Path(scratch) / "state")
        ws = open_workspace(cfg, ledger_path=MEMORY)
        try:
            copy_ledger_into(cfg, ws.ledger)
            yield dataclasses.replace(ws, store=ReadOnlyAgenda(ws.store),
                                      publisher=ReadOnlyWebsite(ws.publisher),
                                      videos=ws.videos.read_only(),
                                      pages=ws.pages.read_only())
        finally:
            ws.close()


def copy_ledger_into(cfg: Config, ledger: Ledger) -> None:
    """Fill an in-memory ledger with a consistent copy of the real one, if there is one
    (brought to this program's schema in memory; a newer one is refused)."""
    path = cfg.state_dir / "ledger.sqlite3"
    if path.is_file():
        ledger.load_copy(path)


class _Reading:
    """Everything of the wrapped adapter that only reads passes through."""

    def __init__(self, inner: Any):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ReadOnlyAgenda(_Reading):
    def write(self, writes: Sequence[RowWrite], history: Sequence[Event],
              read: Sheet | None = None, recheck_history: bool = True) -> WriteReport:
        return WriteReport(tuple(w.entry_id for w in writes), (), "")

    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        return None


class ReadOnlyWebsite(_Reading):
    def batch(self) -> ContextManager[None]:
        return nullcontext()

    def publish(self, post: Post, existing: PostRef | None) -> PostRef:
        """What the post would be; its address is known only once it exists."""
        return PostRef(post.entry_id, post.slug, existing.url if existing else "",
                       existing.post_id if existing else "", post.fingerprint, live=True)

    def withdraw(self, ref: PostRef) -> PostRef:
        return dataclasses.replace(ref, live=False)
