"""`put_sheet` on both agenda stores: the program's own worksheets (`Rekap`, `Status Program`)
are added or replaced whole, and nothing else in the agenda changes."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image
from python_calamine import CalamineWorkbook

from automation.agenda.cells import from_serial
from automation.agenda.google_store import GoogleSheetAgenda
from automation.agenda.ooxml import NS
from automation.agenda.xlsx_store import XlsxAgenda, read_grid
from automation.core import schema as S
from automation.ports import Event, RowWrite, StoreBusy
from tests.fakes.google import OWNER, SERVICE_ACCOUNT, ApiError, FakeGoogle
from tests.support.workspace import WITA, Agenda, approved, row

WHEN = datetime(2026, 11, 27, 14, 5, tzinfo=WITA)
REKAP = [["Jenis Berita", "Diterima", "Tayang", "Terakhir"],
         ["Siaran Pers", 12, 10.5, WHEN],
         ["=IMPORTXML(\"http://x\") & <b>", 0, None, None],
         [None, None, None, None],                               # a blank row stays blank
         ["Jumlah", 12, True, "=1+1"]]
SHORT = [["Status", "Waktu"], ["aktif", datetime(2026, 11, 28, 8, 30, tzinfo=WITA)]]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def trimmed(grid: list[list]) -> list[list]:
    """A grid as a comparison wants it: None for empty, no trailing empty cells or rows."""
    rows = [[None if v == "" else v for v in r] for r in grid]
    for r in rows:
        while r and r[-1] is None:
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


# ----------------------------------------------------------------------------- .xlsx

@pytest.fixture
def book(tmp_path: Path) -> Agenda:
    """The template (made by openpyxl) with rows, and an office sheet with a picture."""
    agenda = Agenda(tmp_path, [approved("A"), row("B")])
    wb = openpyxl.load_workbook(agenda.path)
    other = wb.create_sheet("Rekap Manual")
    other["A1"] = "Jumlah rilis"
    Image.new("RGB", (60, 40), "navy").save(tmp_path / "logo.png")
    other.add_image(SheetImage(str(tmp_path / "logo.png")), "D2")
    wb.save(agenda.path)
    return agenda


def xlsx_store(book: Agenda) -> XlsxAgenda:
    return XlsxAgenda(book.path, "Buku Agenda", book.folder / "backup", WITA)


def test_xlsx_a_new_sheet_is_added_and_only_its_registration_changes(book: Agenda) -> None:
    before = parts(book.path)
    xlsx_store(book).put_sheet("Rekap", REKAP)
    after = parts(book.path)

    added = set(after) - set(before)
    assert set(before) <= set(after) and len(added) == 1
    (part,) = added
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/styles.xml"}
    assert any(n.startswith("xl/media/") for n in after)       # the office's picture is there

    assert trimmed(read_grid(book.path.read_bytes(), "Rekap", WITA)) == trimmed(REKAP)
    wb = openpyxl.load_workbook(book.path)
    assert wb.sheetnames[-1] == "Rekap"
    ws = wb["Rekap"]
    assert [c.value for c in ws[1]] == REKAP[0] and ws["A1"].font.b
    assert ws["D2"].value == WHEN.replace(tzinfo=None)          # the office's local time
    assert ws["D2"].number_format == S.DATETIME_FORMAT
    assert ws["B2"].value == 12 and ws["C2"].value == 10.5 and ws["C5"].value is True
    for ref, text in (("A3", REKAP[2][0]), ("D5", "=1+1")):      # text, not formulas
        assert ws[ref].value == text and ws[ref].data_type == "s"
    assert CalamineWorkbook.from_filelike(io.BytesIO(book.path.read_bytes())).sheet_names[-1] == "Rekap"
    # Only the program's own worksheet changed: the backup of people's rows is left as it was.
    assert not (book.folder / "backup" / book.path.name).exists()


def test_xlsx_an_existing_sheet_is_replaced_whole_and_styles_do_not_grow(book: Agenda) -> None:
    store = xlsx_store(book)
    store.put_sheet("Rekap", REKAP)
    first = parts(book.path)
    store.put_sheet("rekap", SHORT)            # Excel compares sheet names ignoring case
    second = parts(book.path)
    store.put_sheet("Rekap", SHORT)
    third = parts(book.path)

    assert set(second) == set(first)
    (part,) = {n for n in first if first[n] != second[n]}       # the sheet, nothing else
    assert part.startswith("xl/worksheets/")
    assert third == second                                       # the same content: same bytes
    assert trimmed(read_grid(book.path.read_bytes(), "Rekap", WITA)) == SHORT
    ws = openpyxl.load_workbook(book.path)["Rekap"]
    assert ws.max_row == 2 and ws["B2"].value == SHORT[1][1].replace(tzinfo=None)
    assert openpyxl.load_workbook(book.path).sheetnames.count("Rekap") == 1


def test_xlsx_the_agenda_reads_and_writes_as_before_afterwards(book: Agenda) -> None:
    store = xlsx_store(book)
    store.put_sheet("Status Program", SHORT)
    sheet = store.read()
    assert sheet.header[:3] == [S.AGENDA_NUMBER, S.RECEIVED, S.TITLE]
    assert book.cycle().write_error in (None, "")
    assert book.by_title("A")[S.STATUS] == "Tayang"
    entry_id = book.by_title("B")[S.ENTRY_ID]
    store.write([RowWrite(entry_id, 3, {S.SYSTEM_NOTE: "dicek"})],
                [Event(entry_id, "Diterima", WHEN, "", "x")])
    assert book.by_title("B")[S.SYSTEM_NOTE] == "dicek"
    assert trimmed(read_grid(book.path.read_bytes(), "Status Program", WITA)) == SHORT
    assert store.history()[-1].name == "Diterima"


def test_xlsx_works_with_prefixed_namespaces(book: Agenda) -> None:
    """Other programs may bind the main namespace to a prefix (<x:sheets>, <x:row>)."""
    xlsx_store(book).put_sheet("Status Program", SHORT)
    spaces = {"xl/workbook.xml": NS, "xl/styles.xml": NS,
              "[Content_Types].xml": "http://schemas.openxmlformats.org/package/2006/content-types",
              "xl/_rels/workbook.xml.rels":
                  "http://schemas.openxmlformats.org/package/2006/relationships"}
    program_part = next(n for n, data in parts(book.path).items()
                        if n.startswith("xl/worksheets/sheet") and b"Waktu" in data
                        and b"aktif" in data)
    spaces[program_part] = NS
    with zipfile.ZipFile(book.path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(book.path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename in spaces:
                uri = spaces[info.filename].encode()
                data = data.replace(b'xmlns="' + uri + b'"', b'xmlns:x="' + uri + b'"', 1)
                data = re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s/>])", rb"<\1x:\2", data)
            zout.writestr(info, data)
    assert b"<x:sheets>" in parts(book.path)["xl/workbook.xml"]

    store = xlsx_store(book)
    store.put_sheet("Rekap", REKAP)
    store.put_sheet("Status Program", [["diganti"]])
    after = parts(book.path)
    assert b"<x:row " in after[program_part] and b"<row " not in after[program_part]
    data = book.path.read_bytes()
    assert trimmed(read_grid(data, "Rekap", WITA)) == trimmed(REKAP)
    assert read_grid(data, "Status Program", WITA) == [["diganti"]]
    wb = openpyxl.load_workbook(book.path)
    assert wb["Rekap"]["D2"].value == WHEN.replace(tzinfo=None)
    assert wb["Status Program"]["A1"].value == "diganti"
    assert store.read().header[2] == S.TITLE


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr to lock a file")
def test_xlsx_a_locked_workbook_raises_store_busy(book: Agenda) -> None:
    if subprocess.run(["chattr", "+i", str(book.path)]).returncode != 0:
        pytest.skip("this file system cannot lock files with chattr")
    before = book.path.read_bytes()
    try:
        with pytest.raises(StoreBusy, match="locked"):
            xlsx_store(book).put_sheet("Rekap", REKAP)
    finally:
        subprocess.run(["chattr", "-i", str(book.path)], check=True)
    assert book.path.read_bytes() == before
    assert not list(book.folder.glob(".~*"))                   # no temporary copy left behind
    xlsx_store(book).put_sheet("Rekap", REKAP)                  # and next time it works
    assert trimmed(read_grid(book.path.read_bytes(), "Rekap", WITA)) == trimmed(REKAP)


def test_xlsx_refuses_the_agenda_sheets(book: Agenda) -> None:
    before = book.path.read_bytes()
    for name in ("Buku Agenda", "riwayat", "Rekap/2026"):
        with pytest.raises(ValueError):
            xlsx_store(book).put_sheet(name, SHORT)
    assert book.path.read_bytes() == before


# ----------------------------------------------------------------------------- Google

SHEET = "Buku Agenda"
HEADERS = [c.header for c in S.COLUMNS]


@pytest.fixture
def sheet_id(fake: FakeGoogle) -> str:
    sid = fake.add_spreadsheet("Buku Agenda Humas", [SHEET, S.HISTORY_SHEET], cols=len(HEADERS),
                               time_zone="Asia/Makassar")
    values = {S.TITLE: "Alpha", S.NEWS_TYPE: "Siaran Pers", S.ENTRY_ID: "id-a"}
    fake.edit(sid, f"'{SHEET}'!A1", [HEADERS, [values.get(h, "") for h in HEADERS]])
    fake.edit(sid, f"'{S.HISTORY_SHEET}'!A1", [list(S.HISTORY_HEADERS),
                                                ["27/11/2026 09:00", "id-a", "", "Diterima", ""]])
    fake.clear_log()
    return sid


@pytest.fixture
def google_store(sheet_id: str, credentials: Path) -> GoogleSheetAgenda:
    return GoogleSheetAgenda(sheet_id, SHEET, credentials, ZoneInfo("Asia/Makassar"),
                             sleep=lambda s: None)


def agenda_values(fake: FakeGoogle, sid: str) -> list:
    return [fake.values(sid, f"'{name}'") for name in (SHEET, S.HISTORY_SHEET)]


def shown(fake: FakeGoogle, sid: str, name: str) -> list[list]:
    """The worksheet's values, date-times as aware datetimes in the office's zone."""
    grid = trimmed(fake.values(sid, f"'{name}'"))
    for r, values in enumerate(grid):
        for c, v in enumerate(values):
            kind = fake.cell(sid, f"'{name}'!{chr(65 + c)}{r + 1}").format.get("numberFormat", {})
            if kind.get("type") == "DATE_TIME":
                values[c] = from_serial(v).replace(tzinfo=WITA)
    return grid


def sheets_requests(fake: FakeGoogle) -> tuple[int, int, int]:
    return fake.sheets_reads, fake.sheets_writes, fake.drive_requests


def test_google_a_new_sheet_is_added_protected_in_one_write(fake: FakeGoogle, sheet_id: str,
                                                            google_store: GoogleSheetAgenda) -> None:
    before = agenda_values(fake, sheet_id)
    google_store.put_sheet("Rekap", REKAP)
    assert sheets_requests(fake) == (1, 1, 0)       # the sheet ids, then one batchUpdate

    assert shown(fake, sheet_id, "Rekap") == trimmed(REKAP)
    for a1, text in (("A3", REKAP[2][0]), ("D5", "=1+1")):     # text, never a formula
        cell = fake.cell(sheet_id, f"Rekap!{a1}")
        assert cell.value == text and cell.formula is None
    assert fake.cell(sheet_id, "Rekap!C5").value is True
    assert fake.cell(sheet_id, "Rekap!A1").format["textFormat"]["bold"] is True
    assert fake.values(sheet_id, "Rekap!D2", render="FORMATTED_VALUE") == [["27 November 2026, 14:05"]]
    assert agenda_values(fake, sheet_id) == before

    (protection,) = fake.protected_ranges(sheet_id, "Rekap")
    assert protection["range"] == {"sheetId": fake.sheet_properties(sheet_id, "Rekap")["sheetId"]}
    assert protection["description"] == "Rekap: diisi program"
    assert set(protection["editors"]["users"]) == {SERVICE_ACCOUNT, OWNER}
    with pytest.raises(ApiError):                  # people can read it, not edit it
        fake.edit(sheet_id, "Rekap!A2", [["diubah"]], user="staf@example.go.id")


def test_google_an_existing_sheet_is_replaced_with_one_request(fake: FakeGoogle, sheet_id: str,
                                                               google_store: GoogleSheetAgenda) -> None:
    fake.add_worksheet(sheet_id, "Status Program")
    fake.edit(sheet_id, "'Status Program'!A1", [["lama"] * 6] * 30)
    before = agenda_values(fake, sheet_id)
    google_store.put_sheet("Status Program", REKAP)
    assert sheets_requests(fake) == (1, 1, 0)
    assert not fake.protected_ranges(sheet_id, "Status Program")   # a person's sheet: left as is

    fake.clear_log()
    google_store.put_sheet("status program", SHORT)   # titles are compared ignoring case
    assert sheets_requests(fake) == (0, 1, 0)         # the id is known: one write, nothing else
    (write,) = [r for r in fake.requests_log if r.api == "sheets"]
    assert write.path.endswith(":batchUpdate")

    assert shown(fake, sheet_id, "Status Program") == SHORT   # fewer rows: the old ones gone
    grid = fake.sheet_properties(sheet_id, "Status Program")["gridProperties"]
    assert (grid["rowCount"], grid["columnCount"]) == (2, 2)
    assert agenda_values(fake, sheet_id) == before
    google_store.put_sheet("Status Program", [["Status", "Waktu"], ["aktif"]])   # a short row
    assert shown(fake, sheet_id, "Status Program") == [["Status", "Waktu"], ["aktif"]]
    assert "numberFormat" not in fake.cell(sheet_id, "'Status Program'!B2").format


def test_google_a_cached_id_of_a_sheet_gone_is_looked_up_again(fake: FakeGoogle, sheet_id: str,
                                                               google_store: GoogleSheetAgenda) -> None:
    google_store.sheet_ids = {"Rekap": 424242}      # e.g. the owner deleted the sheet since
    google_store.put_sheet("Rekap", SHORT)
    assert shown(fake, sheet_id, "Rekap") == SHORT
    assert sheets_requests(fake) == (1, 2, 0)       # the failed write, the ids, the write


def test_google_the_agenda_reads_and_writes_as_before_afterwards(fake: FakeGoogle, sheet_id: str,
                                                                 google_store: GoogleSheetAgenda) -> None:
    google_store.put_sheet("Status Program", SHORT)
    sheet = google_store.read()
    assert sheet.header == HEADERS and sheet.rows[0][HEADERS.index(S.TITLE)] == "Alpha"
    report = google_store.write([RowWrite("id-a", 2, {S.SYSTEM_NOTE: "dicek"})],
                                [Event("id-a", "Lengkap", WHEN)], sheet)
    assert report.written == ("id-a",)
    assert google_store.history()[-1].name == "Lengkap"
    google_store.put_sheet("Status Program", [["lagi"]])
    assert shown(fake, sheet_id, "Status Program") == [["lagi"]]
    assert google_store.read().rows[0][HEADERS.index(S.SYSTEM_NOTE)] == "dicek"


def test_google_refuses_the_agenda_sheets(fake: FakeGoogle, google_store: GoogleSheetAgenda) -> None:
    for name in ("Buku Agenda", "RIWAYAT"):
        with pytest.raises(ValueError):
            google_store.put_sheet(name, SHORT)
    assert sheets_requests(fake) == (0, 0, 0)


def test_xlsx_the_backup_keeps_the_agenda_from_before_the_last_write_into_rows(book: Agenda) -> None:
    book.cycle()                              # writes into people's rows: backed up before
    backup = book.cfg.state_dir / "backup" / book.path.name
    before_cycle = backup.read_bytes()
    for n in range(3):                        # heartbeats: the program's own worksheet only
        XlsxAgenda(book.path, "Buku Agenda", backup.parent, WITA).put_sheet("Status Program",
                                                                            [["Siklus", n]])
    assert backup.read_bytes() == before_cycle
