"""Where each write lands and which cells it changes, the same way for every agenda store.

A row is found by its `ID Sistem` in the sheet as it is at write time (SPEC rule 5). A row
without its ID yet, or one of two rows sharing an ID (a copy), is found by what it showed when
read (`RowWrite.match`); when that is still ambiguous, only the place it was read at is
trusted. Anything not found for certain is not written (reported missed, tried next cycle).

Of the cells a write asks for, one holding a formula is never written (SPEC rule 4), nor one
already showing the value; an optional column the agenda lacks (`Pratinjau`, until `init`
adds it) is left out, and any other header missing or doubled stops the whole write
(`changes`). Each store then carries the changes out its own way.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Collection, Mapping, Sequence

from automation.core import schema as S
from automation.core.entry import cell_text, same_value
from automation.ports import AdapterError, Event, RowWrite

log = logging.getLogger(__name__)

# header -> that column's cells from row 1 down, or None when the column is not at hand
Column = Callable[[str], Sequence[Any] | None]
# (sheet row, 0-based column, value) of a cell to write
Change = tuple[int, int, Any]

_OPTIONAL = frozenset(S.normalise_header(h) for h in S.OPTIONAL_HEADERS)


class MissingHeader(AdapterError):
    """A header a write needs is missing from row 1 or doubled there: nothing is written."""

    def __init__(self, header: str):
        super().__init__(f"the header '{header}' is missing or duplicated in row 1 of the "
                         "agenda; nothing written",
                         f"Judul kolom '{header}' hilang atau ganda; tidak ada yang ditulis.")


def layout_of(header: Sequence[Any]) -> dict[str, int]:
    """Normalised header -> column index, for the headers that occur exactly once."""
    places: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        if cell not in (None, ""):
            places.setdefault(S.normalise_header(cell), []).append(i)
    return {k: v[0] for k, v in places.items() if len(v) == 1}


def grid_column(grid: Sequence[Sequence[Any]]) -> Column:
    """`Column` of a worksheet read whole, from row 1 (the header)."""
    layout = layout_of(grid[0] if grid else [])

    def column(header: str) -> list[Any] | None:
        col = layout.get(S.normalise_header(header))
        return None if col is None else [r[col] if col < len(r) else None for r in grid]
    return column


def rows_by_id(ids: Sequence[Any]) -> dict[str, list[int]]:
    """`ID Sistem` -> the sheet rows showing it, from that column's cells from row 1 down."""
    by_id: dict[str, list[int]] = {}
    for n, value in enumerate(ids[1:], start=2):
        key = cell_text(value)
        if key:
            by_id.setdefault(key, []).append(n)
    return by_id


def locate(writes: Sequence[RowWrite], column: Column) -> tuple[dict[int, RowWrite], list[str]]:
    """{sheet row: write} for the writes found for certain, and the IDs of the others.
    Raises `MissingHeader` when the sheet has no single `ID Sistem` column."""
    ids = column(S.ENTRY_ID)
    if ids is None:
        raise MissingHeader(S.ENTRY_ID)
    by_id = rows_by_id(ids)
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


def changes(header: Sequence[Any], targets: Mapping[int, RowWrite],
            shown: Mapping[int, Sequence[Any]], formulas: Collection[tuple[int, int]]
            ) -> list[Change]:
    """The cells the writes found at `targets` (`locate`) change, row by row.

    `header` is row 1 as it is now; `shown`: sheet row -> what it shows, in `header`'s
    columns (a row not in it is written whole); `formulas`: the (sheet row, column) of the
    cells holding a formula. Raises `MissingHeader`, for the whole write, when a header a
    write names is missing or doubled (except an optional one the agenda does not have)."""
    layout = layout_of(header)
    present = {S.normalise_header(h) for h in header if h not in (None, "")}
    out = []
    for n, w in sorted(targets.items()):
        before = shown.get(n)
        for name, value in w.cells.items():
            key = S.normalise_header(name)
            col = layout.get(key)
            if col is None:
                if key in _OPTIONAL and key not in present:
                    continue              # a column `init` adds: until then, not written
                raise MissingHeader(name)
            if (n, col) in formulas:      # the office's, whatever it shows (SPEC rule 4)
                log.debug("row %d: '%s' holds a formula: not written", n, name)
                continue
            if before is not None and same_value(before[col] if col < len(before) else None,
                                                 value):
                continue
            out.append((n, col, value))
    return out


def new_history(history: Sequence[Event], existing: Sequence[Sequence[Any]] = ()
                ) -> list[Event]:
    """`history` without rows already in `Riwayat` (given as its ID Sistem, Peristiwa and
    Keterangan cells) and without repeats within the batch."""
    seen = {tuple(cell_text(v) for v in (list(r) + [None] * 3)[:3]) for r in existing}
    fresh = []
    for h in history:
        key = (h.entry_id, h.name, h.detail)
        if key not in seen:
            seen.add(key)
            fresh.append(h)
    return fresh
