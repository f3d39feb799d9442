"""Where each write lands, the same way for every agenda store (SPEC rule 5).

A row is found by its `ID Sistem` in the sheet as it is at write time. A row without its ID
yet, or one of two rows sharing an ID (a copy), is found by what it showed when read
(`RowWrite.match`); when that is still ambiguous, only the place it was read at is trusted.
Anything not found for certain is not written (reported missed, tried next cycle).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from automation.core import schema as S
from automation.core.entry import cell_text
from automation.ports import HistoryRow, RowWrite

# header -> that column's cells from row 1 down, or None when the column is not at hand
Column = Callable[[str], Sequence[Any] | None]


def locate(writes: Sequence[RowWrite], column: Column) -> tuple[dict[int, RowWrite], list[str]]:
    """{sheet row: write} for the writes found for certain, and the IDs of the others."""
    ids = column(S.ENTRY_ID) or []
    by_id: dict[str, list[int]] = {}
    for n, value in enumerate(ids[1:], start=2):
        key = cell_text(value)
        if key:
            by_id.setdefault(key, []).append(n)
    indexes: dict[tuple[str, ...], dict[tuple[str, ...], list[int]] | None] = {}

    def showing(match: dict[str, str]) -> list[int]:
        headers = tuple(sorted(match))
        if headers not in indexes:         # built once per set of headers, not per write
            cols = [column(h) for h in headers]
            if any(c is None for c in cols):
                indexes[headers] = None    # a match column is not at hand: nothing certain
            else:
                height = max(len(c) for c in cols)
                index: dict[tuple[str, ...], list[int]] = {}
                for n in range(2, height + 1):
                    key = tuple(cell_text(c[n - 1]) if n - 1 < len(c) else "" for c in cols)
                    index.setdefault(key, []).append(n)
                indexes[headers] = index
        index = indexes[headers]
        return [] if index is None else index.get(tuple(match[h] for h in headers), [])

    targets: dict[int, RowWrite] = {}
    missed = []
    for w in writes:
        places = by_id.get(w.entry_id, [])
        if len(places) != 1 and w.match:
            places = showing(w.match)
            if w.row in places:
                places = [w.row]
        if len(places) == 1 and places[0] not in targets:
            targets[places[0]] = w
        else:
            missed.append(w.entry_id)
    return targets, missed


def new_history(history: Sequence[HistoryRow], existing: Sequence[Sequence[Any]] = ()
                ) -> list[HistoryRow]:
    """`history` without rows already in `Riwayat` (given as its ID Sistem, Peristiwa and
    Keterangan cells) and without repeats within the batch."""
    seen = {tuple(cell_text(v) for v in (list(r) + [None] * 3)[:3]) for r in existing}
    fresh = []
    for h in history:
        key = (h.entry_id, h.event, h.detail)
        if key not in seen:
            seen.add(key)
            fresh.append(h)
    return fresh
