"""The .xlsx agenda store: it writes program cells and nothing else, safely."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime, timezone

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Font, PatternFill
from PIL import Image

from automation.agenda.cells import column_index, column_letter
from automation.agenda.xlsx_store import XlsxAgenda
from automation.core import schema as S
from automation.ports import Event, RowWrite
from tests.support.workspace import NOW, WITA, Agenda, approved, row


@pytest.fixture
def office_book(tmp_path):
    """An office's own workbook: extra column, formats, a comment, a picture, another sheet."""
    agenda = Agenda(tmp_path, [approved("A"), row("B")])
    book = openpyxl.load_workbook(agenda.path)
    ws = book["Buku Agenda"]
    ws.cell(row=1, column=ws.max_column + 1, value="Catatan Kantor")
    ws.cell(row=2, column=ws.max_column, value="milik kantor")
    title = ws.cell(row=2, column=3)
    title.font = Font(bold=True, color="FF0000")
    title.fill = PatternFill("solid", fgColor="FFFF00")
    title.comment = Comment("dicek Kasi", "Kasi")
    other = book.create_sheet("Rekap Manual")
    other["A1"] = "Jumlah rilis"
    other["B1"] = 42
    Image.new("RGB", (60, 40), "navy").save(tmp_path / "logo.png")
    other.add_image(SheetImage(str(tmp_path / "logo.png")), "D2")
    book.save(agenda.path)
    return agenda


def test_a_cycle_changes_only_program_cells_and_keeps_everything_else(office_book):
    with zipfile.ZipFile(office_book.path) as z:
        before = {n: z.read(n) for n in z.namelist()}
    office_book.cycle()
    with zipfile.ZipFile(office_book.path) as z:
        after = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in before if before[n] != after.get(n)}
    assert set(after) == set(before)
    # the agenda's relationships part holds the hyperlink of the row's Tautan Website
    assert changed <= {"xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels",
                       "xl/worksheets/sheet2.xml", "xl/styles.xml"}
    assert any(n.startswith("xl/media/") for n in after)          # the picture survived

    book = openpyxl.load_workbook(office_book.path)
    ws = book["Buku Agenda"]
    title = ws.cell(row=2, column=3)
    assert title.font.bold and title.fill.fgColor.rgb.endswith("FFFF00")
    assert title.comment.text.startswith("dicek Kasi")
    assert ws.cell(row=2, column=ws.max_column).value == "milik kantor"
    assert book["Rekap Manual"]["B1"].value == 42
    assert office_book.by_title("A")[S.STATUS] == "Tayang"


def test_written_times_are_real_date_times_with_the_agenda_format(office_book):
    office_book.cycle()
    ws = openpyxl.load_workbook(office_book.path)["Buku Agenda"]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=headers.index(S.PUBLISHED_AT) + 1)
    assert isinstance(cell.value, datetime)
    assert cell.number_format == S.DATETIME_FORMAT


def test_a_date_column_without_a_date_format_gets_one(tmp_path):
    path = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Buku Agenda"
    book.active.append([c.header for c in S.COLUMNS])
    book.active.append(["", None, "A", "", "", "", "", "", "", None, None, None, None, None, None,
                        None, None, None, None, None, None, "ID1"])
    book.create_sheet(S.HISTORY_SHEET).append(list(S.HISTORY_HEADERS))
    book.save(path)
    store = XlsxAgenda(path, "Buku Agenda", tmp_path / "backup", WITA)
    when = datetime(2026, 11, 27, 14, 5, tzinfo=WITA)
    store.write([RowWrite("ID1", 2, {S.PUBLISHED_AT: when, S.STATUS: "Tayang"})],
                [Event("ID1", "Tayang", when, "0001/2026", "x")])
    ws = openpyxl.load_workbook(path)["Buku Agenda"]
    assert ws["Q2"].value == datetime(2026, 11, 27, 14, 5)
    assert ws["Q2"].number_format == S.DATETIME_FORMAT
    assert (tmp_path / "backup" / "plain.xlsx").exists()


def test_times_leave_the_store_aware_and_go_in_as_the_offices_local_time(tmp_path):
    entry_id = "ID-A"
    agenda = Agenda(tmp_path, [row("A", **{S.RECEIVED: date(2026, 11, 26), S.ENTRY_ID: entry_id}),
                               row("B", **{S.RECEIVED: datetime(2026, 11, 26, 8, 30, 15)})])
    store = XlsxAgenda(agenda.path, "Buku Agenda", tmp_path / "backup", WITA)
    sheet = store.read()
    received = [r[sheet.header.index(S.RECEIVED)] for r in sheet.rows[:2]]
    # a date-only cell is the office's midnight
    assert received == [datetime(2026, 11, 26, tzinfo=WITA),
                        datetime(2026, 11, 26, 8, 30, 15, tzinfo=WITA)]
    assert all(t.tzinfo is WITA for t in received)
    # given in another zone and with a fraction of a second: the sheet holds local whole seconds
    utc = datetime(2026, 11, 27, 6, 5, 7, 600_000, tzinfo=timezone.utc)
    store.write([RowWrite(entry_id, 2, {S.ARCHIVED_AT: utc})],
                [Event(entry_id, "Diarsipkan", utc, "0001/2026")], sheet)
    assert agenda.by_title("A")[S.ARCHIVED_AT] == datetime(2026, 11, 27, 14, 5, 7)
    assert agenda.history()[-1]["Waktu"] == datetime(2026, 11, 27, 14, 5, 7)
    back = store.read()
    assert back.rows[0][back.header.index(S.ARCHIVED_AT)] == datetime(2026, 11, 27, 14, 5, 7,
                                                                      tzinfo=WITA)
    assert store.history()[-1].at == datetime(2026, 11, 27, 14, 5, 7, tzinfo=WITA)


def test_a_naive_time_is_refused_and_nothing_is_written(office_book):
    office_book.cycle()
    store = XlsxAgenda(office_book.path, "Buku Agenda", office_book.folder / "backup", WITA)
    entry_id = office_book.by_title("B")[S.ENTRY_ID]
    before = office_book.path.read_bytes()
    with pytest.raises(ValueError, match="naive"):
        store.write([RowWrite(entry_id, 3, {S.ARCHIVED_AT: datetime(2026, 11, 27, 14, 5)})], [])
    with pytest.raises(ValueError, match="naive"):
        store.put_sheet("Status Program", [["Waktu", datetime(2026, 11, 27, 14, 5)]])
    assert office_book.path.read_bytes() == before


def test_history_rows_are_never_added_twice(office_book):
    store = XlsxAgenda(office_book.path, "Buku Agenda", office_book.folder / "backup", WITA)
    event = Event("X1", "Tayang", datetime(2026, 11, 27, 9, tzinfo=WITA), "0001/2026", "Tayang di x")
    store.write([], [event, event])
    store.write([], [event])
    assert [h["Peristiwa"] for h in office_book.history()].count("Tayang") == 1


def test_text_is_written_as_text_even_when_it_looks_like_a_formula(office_book):
    office_book.cycle()
    store = XlsxAgenda(office_book.path, "Buku Agenda", office_book.folder / "backup", WITA)
    entry_id = office_book.by_title("B")[S.ENTRY_ID]
    store.write([RowWrite(entry_id, 3, {S.SYSTEM_NOTE: "=IMPORTXML(\"http://x\")\x07 & <b>"})], [])
    assert office_book.by_title("B")[S.SYSTEM_NOTE] == "=IMPORTXML(\"http://x\") & <b>"


def test_a_row_that_vanished_is_not_written_anywhere(office_book):
    office_book.cycle()
    store = XlsxAgenda(office_book.path, "Buku Agenda", office_book.folder / "backup", WITA)
    before = office_book.rows()
    report = store.write([RowWrite("GONE", 2, {S.STATUS: "Tayang"})], [])
    assert report.missed == ("GONE",)
    assert office_book.rows() == before


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr to lock a file")
def test_a_locked_workbook_is_retried_next_cycle(office_book):
    if subprocess.run(["chattr", "+i", str(office_book.path)]).returncode != 0:
        pytest.skip("this file system cannot lock files with chattr")
    try:
        report = office_book.cycle()
        assert "locked" in report.write_error
    finally:
        subprocess.run(["chattr", "-i", str(office_book.path)], check=True)
    assert office_book.by_title("A")[S.STATUS] is None
    office_book.cycle(NOW)
    assert office_book.by_title("A")[S.STATUS] == "Tayang"
    assert [h["Peristiwa"] for h in office_book.history()].count("Tayang") == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_rewritten_file_keeps_its_permissions(office_book):
    office_book.path.chmod(0o664)             # a shared folder: the group saves it too
    office_book.cycle()
    assert office_book.by_title("A")[S.STATUS] == "Tayang"
    assert office_book.path.stat().st_mode & 0o777 == 0o664


@pytest.mark.parametrize("index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters and column_index(letters) == index
