"""The OOXML patcher finds the rows it writes without indexing a long sheet, and finds them
all the same in sheets whose row tags are written otherwise."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from automation.agenda.ooxml import OoxmlError, Workbook

ROWS = 300


def workbook(tmp_path: Path) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Agenda"
    for r in range(1, ROWS + 1):
        sheet.append([f"baris {r}", r, None])
    path = tmp_path / "agenda.xlsx"
    book.save(path)
    return path.read_bytes()


def reworded(data: bytes, old: bytes, new: bytes) -> bytes:
    """`data` with the worksheet's row tags written another way (as other programs do)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            zout.writestr(info, part.replace(old, new) if "worksheets/" in info.filename else part)
    return out.getvalue()


def patched(data: bytes, cells: dict[int, str]) -> tuple[list[list], Workbook]:
    book = Workbook.open(data)
    sheet = book.sheet("Agenda")
    for row, value in cells.items():
        sheet.set(row, 2, value)
    out = io.BytesIO()
    book.write_to(out)
    grid = [list(r) for r in openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Agenda"]
            .iter_rows(values_only=True)]
    return grid, book


CELLS = {250: "ditulis", 5: "juga", 50: "dan ini", 6: "berurutan"}   # in no order


def expected() -> list[list]:
    return [[f"baris {r}", r, CELLS.get(r)] for r in range(1, ROWS + 1)]


def test_rows_are_found_one_by_one_in_a_long_sheet(tmp_path):
    grid, book = patched(workbook(tmp_path), CELLS)
    assert grid == expected()
    assert book.sheet("Agenda")._spans is None          # the sheet was never indexed whole


@pytest.mark.parametrize("old, new", [
    (b'<row r="', b'<row spans="1:3" r="'),              # `r` not the first attribute
    (b'<row r="', b'<row  r="'),
])
def test_rows_written_otherwise_are_found_all_the_same(tmp_path, old, new):
    data = reworded(workbook(tmp_path), old, new)
    grid, _ = patched(data, CELLS)
    assert grid == expected()


def test_a_row_missing_from_the_sheet_is_refused(tmp_path):
    book = Workbook.open(workbook(tmp_path))
    with pytest.raises(OoxmlError, match=f"row {ROWS + 5} not found"):
        book.sheet("Agenda").set(ROWS + 5, 2, "x")


def test_a_written_workbook_is_compressed(tmp_path):
    data = workbook(tmp_path)
    out = io.BytesIO()
    book = Workbook.open(data)
    book.sheet("Agenda").set(7, 2, "x")
    book.write_to(out)
    with zipfile.ZipFile(out) as z:
        sheet = next(i for i in z.infolist() if "worksheets/" in i.filename)
        assert sheet.compress_type == zipfile.ZIP_DEFLATED
        assert sheet.compress_size < sheet.file_size / 3
