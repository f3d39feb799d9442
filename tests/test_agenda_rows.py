"""`automation.agenda.rows`: where writes land and which cells they change, one decision for
both agenda stores (their own tests run it against a real file and the Google stand-in)."""

from __future__ import annotations

import pytest

from automation.agenda import rows
from automation.core import schema as S
from automation.ports import RowWrite

HEADER = [S.TITLE, S.STATUS, S.SYSTEM_NOTE, S.ENTRY_ID]
GRID = [HEADER, ["A", "Tayang", None, "id-a"], ["B", None, "lama", "id-b"]]


def changes(writes, formulas=frozenset()):
    targets, missed = rows.locate(writes, rows.grid_column(GRID))
    assert missed == []
    return rows.changes(HEADER, targets, {n: GRID[n - 1] for n in targets}, formulas)


def test_only_cells_that_show_something_else_are_changed():
    got = changes([RowWrite("id-a", 2, {S.STATUS: "Tayang", S.SYSTEM_NOTE: "baru"}),
                   RowWrite("id-b", 3, {S.STATUS: "Ditolak", S.SYSTEM_NOTE: ""})])
    assert got == [(2, 2, "baru"), (3, 1, "Ditolak"), (3, 2, "")]


def test_a_cell_holding_a_formula_is_never_changed():
    assert changes([RowWrite("id-b", 3, {S.STATUS: "Ditolak", S.SYSTEM_NOTE: ""})],
                   formulas={(3, 1)}) == [(3, 2, "")]


def test_a_row_whose_cells_are_not_known_is_written_whole():
    targets = {2: RowWrite("id-a", 2, {S.STATUS: "Tayang"})}
    assert rows.changes(HEADER, targets, {}, frozenset()) == [(2, 1, "Tayang")]


def test_an_optional_column_the_agenda_lacks_is_left_out():
    assert changes([RowWrite("id-a", 2, {S.PREVIEW: "pratinjau.pdf", S.STATUS: "Ditarik"})]) \
        == [(2, 1, "Ditarik")]


@pytest.mark.parametrize("header", [
    [S.TITLE, S.SYSTEM_NOTE, S.ENTRY_ID],                           # missing
    [S.TITLE, S.STATUS, S.STATUS, S.ENTRY_ID],                      # doubled
    [S.TITLE, S.STATUS, S.ENTRY_ID, S.PREVIEW, f" {S.PREVIEW.lower()} "],   # optional, doubled
])
def test_a_header_missing_or_doubled_stops_the_whole_write(header):
    write = RowWrite("id-a", 2, {S.SYSTEM_NOTE: "x", S.STATUS: "Tayang", S.PREVIEW: "p.pdf"})
    with pytest.raises(rows.MissingHeader) as caught:
        rows.changes(header, {2: write}, {}, frozenset())
    assert "hilang atau ganda" in caught.value.note


def test_without_an_id_column_nothing_is_located():
    with pytest.raises(rows.MissingHeader, match=S.ENTRY_ID):
        rows.locate([RowWrite("id-a", 2, {S.STATUS: "x"})], rows.grid_column([[S.TITLE], ["A"]]))
