"""Formulas in the .xlsx agenda are the office's (SPEC rule 4): the store reports every cell
holding one, shows error cells as the error they show, and never writes over a formula."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from automation.agenda.cells import column_index, column_letter
from automation.agenda.ooxml import Worksheet as _SheetXml, _Styles
from automation.agenda.xlsx_store import XlsxAgenda
from automation.core import schema as S
from automation.ports import RowWrite
from tests.support.workspace import WITA, Agenda, row

SHEET = "xl/worksheets/sheet1.xml"          # the template's first worksheet: the agenda
WHEN = datetime(2026, 11, 27, 14, 5)            # as the sheet holds it (what ooxml takes)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rewrite_part(path: Path, name: str, change) -> None:
    """Edit one part of the workbook as bytes, as another spreadsheet program would save it."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, change(data) if info.filename == name else data)


def cell_xml(path: Path, ref: str) -> bytes | None:
    """The cell's XML as saved (None: the file has no such cell)."""
    xml = parts(path)[SHEET]
    found = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    return found.group(0) if found else None


class Letters:
    def __init__(self, agenda: Agenda):
        ws = openpyxl.load_workbook(agenda.path)["Buku Agenda"]
        self.headers = [c.value for c in ws[1]]

    def __getitem__(self, header: str) -> str:
        return column_letter(self.headers.index(header))

    def index(self, header: str) -> int:
        return self.headers.index(header)


@pytest.fixture
def office(tmp_path: Path) -> Agenda:
    """Two rows; the office put formulas into staff cells, as offices do.

    Row 2: `Tanggal Terima` =IF(O2="","",TODAY()) showing blank (cached value empty) and
    `Jenis Berita` =NA() showing #N/A (cached error). An office column `Hitung` holds a
    shared formula in rows 2 and 3; `Catatan Sistem` rows 2-3 are filled by one array formula.
    """
    agenda = Agenda(tmp_path, [row("A", **{S.ENTRY_ID: "ID1"}), row("B", **{S.ENTRY_ID: "ID2"})])
    book = openpyxl.load_workbook(agenda.path)
    ws = book["Buku Agenda"]
    headers = [c.value for c in ws[1]]
    col = {h: headers.index(h) + 1 for h in headers}
    ws.cell(row=2, column=col[S.RECEIVED]).value = '=IF(O2="","",TODAY())'
    ws.cell(row=2, column=col[S.NEWS_TYPE]).value = "=NA()"
    extra = len(headers) + 1
    ws.cell(row=1, column=extra, value="Hitung").data_type = "s"
    ws.cell(row=2, column=extra, value="=LEN(C2)")
    ws.cell(row=3, column=extra, value="=LEN(C3)")
    note = column_letter(col[S.SYSTEM_NOTE] - 1)
    ws[f"{note}2"] = ArrayFormula(f"{note}2:{note}3", "=C2:C3")
    book.save(agenda.path)

    news = column_letter(col[S.NEWS_TYPE] - 1)
    hitung = column_letter(extra - 1)

    def as_excel_saves_it(xml: bytes) -> bytes:
        # openpyxl writes no cached values: put them in as Excel leaves them.
        xml = xml.replace(f'<c r="{news}2"><f>NA()</f><v></v></c>'.encode(),
                          f'<c r="{news}2" t="e"><f>NA()</f><v>#N/A</v></c>'.encode())
        xml = xml.replace(f'<c r="{hitung}2"><f>LEN(C2)</f><v></v></c>'.encode(),
                          f'<c r="{hitung}2"><f t="shared" ref="{hitung}2:{hitung}3" si="0">'
                          f'LEN(C2)</f><v>1</v></c>'.encode())
        xml = xml.replace(f'<c r="{hitung}3"><f>LEN(C3)</f><v></v></c>'.encode(),
                          f'<c r="{hitung}3"><f t="shared" si="0"/><v>1</v></c>'.encode())
        assert xml.count(b't="e"') == 1 and xml.count(b't="shared"') == 2
        return xml

    rewrite_part(agenda.path, SHEET, as_excel_saves_it)
    return agenda


def store_of(agenda: Agenda) -> XlsxAgenda:
    return XlsxAgenda(agenda.path, "Buku Agenda", agenda.folder / "backup", WITA)


def test_read_reports_every_formula_cell_and_errors_as_their_text(office):
    at = Letters(office)
    sheet = store_of(office).read()
    received, news, note = at.index(S.RECEIVED), at.index(S.NEWS_TYPE), at.index(S.SYSTEM_NOTE)
    hitung = at.index("Hitung")
    assert sheet.formulas == {(2, received), (2, news), (2, hitung), (3, hitung),
                              (2, note), (3, note)}
    first = sheet.rows[0]
    assert first[received] is None                # shows blank: nothing to read
    assert first[news] == "#N/A"                  # the error the cell shows, as text
    assert first[at.index(S.TITLE)] == "A" and first[hitung] == 1
    assert sheet.rows[1][news] == "Siaran Pers"


def test_a_write_never_touches_a_formula_cell(office):
    at = Letters(office)
    before = {ref: cell_xml(office.path, ref) for ref in
              (f"{at[S.RECEIVED]}2", f"{at[S.NEWS_TYPE]}2", f"{at[S.SYSTEM_NOTE]}2",
               f"{at[S.SYSTEM_NOTE]}3")}
    store = store_of(office)
    assert before[f"{at[S.SYSTEM_NOTE]}3"] is None      # in the array's range, but no cell
    for fresh in (False, True):       # with the caller's read, and read afresh by `write`
        read = None if fresh else store.read()
        report = store.write([
            RowWrite("ID1", 2, {S.RECEIVED: WHEN.replace(tzinfo=WITA), S.STATUS: "Belum Lengkap",
                                S.SYSTEM_NOTE: "Jenis Berita berisi #N/A"}),
            RowWrite("ID2", 3, {S.SYSTEM_NOTE: "dicek", S.STATUS: f"Menunggu {S.PARAF_KADIS}"})],
            [], read)
        assert set(report.written) == {"ID1", "ID2"}
        for ref, xml in before.items():
            assert cell_xml(office.path, ref) == xml, ref
    ws = openpyxl.load_workbook(office.path)["Buku Agenda"]
    assert ws[f"{at[S.STATUS]}2"].value == "Belum Lengkap"
    assert ws[f"{at[S.STATUS]}3"].value == f"Menunggu {S.PARAF_KADIS}"
    assert ws[f"{at[S.RECEIVED]}2"].value == '=IF(O2="","",TODAY())'


def test_a_cycle_leaves_a_formula_in_tanggal_terima_as_it_is(office):
    at = Letters(office)
    ref = f"{at[S.RECEIVED]}2"
    before = cell_xml(office.path, ref)
    office.cycle()
    assert cell_xml(office.path, ref) == before
    rows = {r[S.TITLE]: r for r in office.rows()}
    assert rows["B"][S.RECEIVED] is not None      # an empty Tanggal Terima is still filled
    assert rows["B"][S.STATUS]


def test_the_patcher_itself_never_overwrites_a_formula_cell(office):
    xml = parts(office.path)[SHEET]
    sheet = _SheetXml(xml, _Styles(parts(office.path)["xl/styles.xml"]), False)
    col = column_index(Letters(office)[S.RECEIVED])
    assert sheet.set(2, col, WHEN) is False and not sheet.dirty
    assert sheet.set(3, col, WHEN) is True and sheet.dirty
    assert b"".join(bytes(c) for c in sheet.chunks()).count(b"IF(O2") == 1


@pytest.mark.parametrize("error", ["#REF!", "#SPILL!", "#CALC!", "#GETTING_DATA"])
def test_any_error_a_cell_shows_reads_as_its_text(office, error):
    """calamine makes #REF! empty and refuses a whole sheet holding #SPILL!: neither may
    reach the program."""
    rewrite_part(office.path, SHEET, lambda xml: xml.replace(b"<v>#N/A</v>",
                                                            f"<v>{error}</v>".encode()))
    sheet = store_of(office).read()
    assert sheet.rows[0][Letters(office).index(S.NEWS_TYPE)] == error
    assert sheet.rows[1][Letters(office).index(S.TITLE)] == "B"


def test_an_error_typed_as_a_constant_reads_as_its_text(office):
    at = Letters(office)
    ref = f"{at[S.SOURCE]}3"
    rewrite_part(office.path, SHEET, lambda xml: re.sub(
        rb'<c r="' + ref.encode() + rb'"[^>]*?>.*?</c>',
        f'<c r="{ref}" t="e"><v>#DIV/0!</v></c>'.encode(), xml, count=1, flags=re.S))
    sheet = store_of(office).read()
    assert sheet.rows[1][at.index(S.SOURCE)] == "#DIV/0!"
    assert (3, at.index(S.SOURCE)) not in sheet.formulas


def test_an_agenda_without_formulas_reports_none(tmp_path):
    agenda = Agenda(tmp_path, [row("A"), row("B")])
    sheet = store_of(agenda).read()
    assert sheet.formulas == frozenset() and len(sheet.rows) >= 2


def test_formulas_are_found_in_a_worksheet_with_a_prefixed_namespace(office):
    """Other programs may bind the main namespace to a prefix (<x:c>, <x:f>)."""
    def prefixed(xml: bytes) -> bytes:
        uri = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        xml = xml.replace(b'xmlns="' + uri + b'"', b'xmlns:x="' + uri + b'"', 1)
        return re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s/>])", rb"<\1x:\2", xml)

    expected = store_of(office).read()
    rewrite_part(office.path, SHEET, prefixed)
    assert b"<x:f>" in parts(office.path)[SHEET]
    sheet = store_of(office).read()
    assert sheet.formulas == expected.formulas and len(sheet.formulas) == 6
    assert sheet.rows[0][Letters(office).index(S.NEWS_TYPE)] == "#N/A"


@pytest.mark.parametrize("piece", [64, 700, 1 << 20])
def test_the_scan_finds_the_same_cells_whatever_the_pieces_it_reads(office, monkeypatch, piece):
    """The worksheet is scanned in pieces of whole rows: a cell cut by a piece boundary is
    found all the same."""
    from automation.agenda import ooxml
    monkeypatch.setattr(ooxml._CellScan, "CHUNK", piece)
    at = Letters(office)
    sheet = store_of(office).read()
    assert len(sheet.formulas) == 6 and (3, at.index(S.SYSTEM_NOTE)) in sheet.formulas
    assert sheet.rows[0][at.index(S.NEWS_TYPE)] == "#N/A"


def test_the_cycle_names_the_error_and_writes_no_note_over_the_office_s_formula(office):
    office.cycle()
    rows = {r[S.TITLE]: r for r in office.rows()}
    # Row 2's `Catatan Sistem` is the office's array formula: the note cannot go there, but
    # the status says what is wrong and the formula is kept.
    assert rows["A"][S.STATUS] == "Belum Lengkap"
    assert cell_xml(office.path, f"{Letters(office)[S.SYSTEM_NOTE]}2").count(b"<f") == 1
    assert cell_xml(office.path, f"{Letters(office)[S.NEWS_TYPE]}2") == (
        f'<c r="{Letters(office)[S.NEWS_TYPE]}2" t="e"><f>NA()</f><v>#N/A</v></c>'.encode())


def test_a_formula_error_is_named_in_the_note(tmp_path):
    agenda = Agenda(tmp_path, [row("C")])
    at = Letters(agenda)
    ref = f"{at[S.NEWS_TYPE]}2"
    rewrite_part(agenda.path, SHEET, lambda xml: re.sub(
        rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)',
        f'<c r="{ref}" t="e"><f>VLOOKUP(Z2,Jenis!A:B,2,0)</f><v>#N/A</v></c>'.encode(), xml,
        flags=re.S))
    agenda.cycle()
    got = agenda.by_title("C")
    assert got[S.STATUS] == "Belum Lengkap"
    assert "Kolom 'Jenis Berita' berisi galat #N/A dari rumusnya" in got[S.SYSTEM_NOTE]
    assert "wajib diisi" not in got[S.SYSTEM_NOTE]


def test_a_tick_saved_by_libreoffice_as_true_is_cleared_like_any_tick(tmp_path):
    """LibreOffice saves a tick box it read as `<f>TRUE()</f>`: a value, not a formula."""
    agenda = Agenda(tmp_path, [row("D", **{S.PARAF_KADIS: True})])
    agenda.cycle()
    at = Letters(agenda)
    ref = f"{at[S.PARAF_KADIS]}2"

    def as_calc_saves_it(xml: bytes) -> bytes:
        return re.sub(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?: t="b")?>(?:<f>[^<]*</f>)?'
                      rb'<v>1</v></c>', rb'<c r="' + ref.encode() + rb'"\1 t="n"><f>TRUE()</f>'
                      rb'<v>1</v></c>', xml, flags=re.S)

    agenda.edit("D", **{S.CAPTION: "Keterangan baru"})     # an edit after the paraf,
    rewrite_part(agenda.path, SHEET, as_calc_saves_it)     # saved by LibreOffice Calc
    assert b"<f>TRUE()</f>" in cell_xml(agenda.path, ref)
    assert store_of(agenda).read().formulas == frozenset()
    agenda.cycle()
    got = agenda.by_title("D")
    assert got[S.PARAF_KADIS] is False
    assert b"<f>" not in cell_xml(agenda.path, ref)


PEOPLE = [c.header for c in S.COLUMNS if c.role is not S.Role.PROGRAM]


@pytest.mark.parametrize("header, shows", [(h, s) for h in PEOPLE for s in ("blank", "error")]
                         + [(h, "true") for h in (S.PARAF_KADIS, S.PARAF_KABID)])
def test_a_formula_in_any_staff_or_official_column_is_kept_byte_identical(tmp_path, header,
                                                                          shows):
    """Through a whole round: first sight, paraf, an edit that would clear the ticks."""
    agenda = Agenda(tmp_path, [row("Rumus", **{S.PARAF_KADIS: True}), row("Lain")])
    ref = f"{Letters(agenda)[header]}2"
    cell = {"blank": f'<c r="{ref}"><f>IF(1=1,"","")</f><v></v></c>',
            "error": f'<c r="{ref}" t="e"><f>NA()</f><v>#N/A</v></c>',
            "true": f'<c r="{ref}" t="b"><f>1=1</f><v>1</v></c>'}[shows]

    def with_formula(xml: bytes) -> bytes:
        found = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
        if found:
            return xml[:found.start()] + cell.encode() + xml[found.end():]
        # no such cell yet: put it in its row, in column order
        line = re.search(rb'<row r="2"[^>]*>.*?</row>', xml, re.S)
        body = line.group(0)
        after = next((m for m in re.finditer(rb'<c r="([A-Z]+)2"', body)
                      if column_index(m.group(1).decode()) > column_index(ref[:-1])), None)
        insert = after.start() if after else len(body) - len(b"</row>")
        return xml[:line.start()] + body[:insert] + cell.encode() + body[insert:] + \
            xml[line.end():]

    rewrite_part(agenda.path, SHEET, with_formula)
    assert cell_xml(agenda.path, ref) == cell.encode()
    agenda.cycle()
    agenda.cycle()
    assert cell_xml(agenda.path, ref) == cell.encode()
    # people go on working around it: Kabid ticks, then the caption is edited (ticks cleared)
    for step in ({S.PARAF_KABID: True}, {S.CAPTION: "Keterangan diperbaiki"}):
        if header in step:
            continue
        book = openpyxl.load_workbook(agenda.path)
        ws = book["Buku Agenda"]
        for h, v in step.items():
            ws[f"{Letters(agenda)[h]}2"].value = v
        book.save(agenda.path)
        rewrite_part(agenda.path, SHEET, with_formula)   # openpyxl drops cached values
        agenda.cycle()
        assert cell_xml(agenda.path, ref) == cell.encode()
    if shows == "true":     # a tick the program could not clear: it says so, updates nothing
        assert "berisi rumus, sehingga program tidak dapat menghapus centangnya" in \
            agenda.by_title("Rumus")[S.SYSTEM_NOTE]
        [post] = agenda.site_posts()
        assert "Keterangan diperbaiki" not in (post / "index.html").read_text(encoding="utf-8")
