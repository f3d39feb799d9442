"""The Buku Agenda template: built from the schema, and the committed file is current."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from xml.etree import ElementTree as ET
from zipfile import ZIP_DEFLATED, ZipFile

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from automation.agenda.template import (
    LAST_ROW, LISTS_SHEET, TICK_FORMAT, main, write_template,
)
from automation.config import DEFAULT_NEWS_TYPES
from automation.core.workflow import Status
from automation.core.schema import (
    DATE_HEADERS, DATETIME_FORMAT, ENTRY_ID, HISTORY_HEADERS, HISTORY_SHEET, Kind, Role,
    agenda_columns, tick_headers,
)
from tests.support.libreoffice import SOFFICE, convert

COMMITTED = Path(__file__).resolve().parents[1] / "sheets_templates" / "buku_agenda_press_release.xlsx"
DEFAULT_APPROVALS = ("Paraf Kadis", "Paraf Kabid")
# openpyxl stamps these with the clock and its own version; write_template pins the times,
# but the comparison stays about the template's content, not its metadata.
METADATA = {"docProps/core.xml", "docProps/app.xml"}


def members(path: Path) -> dict[str, bytes]:
    with ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name not in METADATA}


def letters(ws) -> dict[str, str]:
    return {cell.value: cell.column_letter for cell in ws[1]}


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def tick_validations(ws) -> list:
    return [dv for dv in ws.data_validations.dataValidation if dv.formula1 == '"TRUE,FALSE"']


@pytest.fixture(scope="module")
def default_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "agenda.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def wb(default_path):
    return load_workbook(default_path)


@pytest.fixture(scope="module")
def ws(wb):
    return wb["Buku Agenda"]


# --- the committed file ----------------------------------------------------------------------

def test_committed_template_is_current(default_path):
    stale = "sheets_templates/buku_agenda_press_release.xlsx is out of date; run `make template`"
    assert COMMITTED.exists(), stale
    committed, generated = members(COMMITTED), members(default_path)
    assert sorted(committed) == sorted(generated), stale
    changed = [name for name in generated if committed[name] != generated[name]]
    assert not changed, f"{stale} (differs in {', '.join(changed)})"


def test_output_is_byte_for_byte_repeatable(tmp_path, default_path):
    again = tmp_path / "again.xlsx"
    write_template(again)
    assert again.read_bytes() == default_path.read_bytes()


def test_cli_writes_the_default_template(tmp_path, default_path, capsys):
    out = tmp_path / "cli.xlsx"
    assert main([str(out)]) == 0
    assert out.read_bytes() == default_path.read_bytes()
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


# --- the agenda sheet ------------------------------------------------------------------------

def test_sheets_in_order_and_helper_hidden(wb):
    assert wb.sheetnames == ["Buku Agenda", HISTORY_SHEET, LISTS_SHEET]
    assert wb["Buku Agenda"].sheet_state == "visible"
    assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_header_row_is_exactly_the_schema(ws):
    expected = [c.header for c in agenda_columns(DEFAULT_APPROVALS)]
    assert [cell.value for cell in ws[1]] == expected
    assert ws.max_row == 1                      # a single header row, no data rows
    assert ws.freeze_panes == "D2"              # header and up to Judul Berita stay in view
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(expected))}1"


def test_header_comments_widths_and_hidden_id(ws):
    for i, column in enumerate(agenda_columns(DEFAULT_APPROVALS), start=1):
        cell = ws.cell(row=1, column=i)
        dim = ws.column_dimensions[cell.column_letter]
        assert cell.font.bold
        assert cell.comment.text == column.help
        assert dim.width == column.width
        assert dim.hidden == (column.header == ENTRY_ID)


def test_role_colours(ws):
    fills = {role: set() for role in Role}
    for column, cell in zip(agenda_columns(DEFAULT_APPROVALS), ws[1]):
        fills[column.role].add(cell.fill.fgColor.rgb)
        data_fill = ws.column_dimensions[cell.column_letter].fill
        # Program columns are shaded below the header too, so rows added later are grey.
        assert (data_fill.fill_type == "solid") == (column.role is Role.PROGRAM)
    assert all(len(colours) == 1 for colours in fills.values())
    assert len(set.union(*fills.values())) == 3


def test_tick_columns_have_the_true_false_list(ws):
    at = letters(ws)
    (dv,) = tick_validations(ws)
    for header in tick_headers(DEFAULT_APPROVALS):
        assert f"{at[header]}2:{at[header]}{LAST_ROW}" in {str(r) for r in dv.sqref.ranges}
        assert ws.column_dimensions[at[header]].alignment.horizontal == "center"
    assert dv.error and dv.prompt


def test_tick_columns_show_true_and_false(ws):
    """LibreOffice shows a boolean as 1 / 0 unless its cell has a boolean number format."""
    assert TICK_FORMAT == '"TRUE";"TRUE";"FALSE"'      # LibreOffice's BOOLEAN, as it saves it
    at = letters(ws)
    ticks = set(tick_headers(DEFAULT_APPROVALS))
    for column in agenda_columns(DEFAULT_APPROVALS):
        formatted = ws.column_dimensions[at[column.header]].number_format == TICK_FORMAT
        assert formatted == (column.header in ticks), column.header


def xml_column_formats(path: Path, sheet: str = "xl/worksheets/sheet1.xml") -> dict[int, str]:
    """Column number -> the format code of its `<col style>`, read from the XML itself."""
    with ZipFile(path) as z:
        styles = ET.fromstring(z.read("xl/styles.xml"))
        worksheet = ET.fromstring(z.read(sheet))
    codes = {int(f.get("numFmtId")): f.get("formatCode")
             for f in styles.findall("m:numFmts/m:numFmt", NS)}
    xfs = styles.findall("m:cellXfs/m:xf", NS)
    out = {}
    for col in worksheet.findall("m:cols/m:col", NS):
        if col.get("style") is not None:
            fmt = int(xfs[int(col.get("style"))].get("numFmtId", "0"))
            for n in range(int(col.get("min")), int(col.get("max")) + 1):
                out[n] = codes.get(fmt, "General")
    return out


def test_tick_format_is_the_column_style_new_cells_take(default_path, ws):
    # Cells the program, Excel or LibreOffice add later take the column's style (`<col style>`).
    formats = xml_column_formats(default_path)
    for header in tick_headers(DEFAULT_APPROVALS):
        assert formats[ws[f"{letters(ws)[header]}1"].column] == TICK_FORMAT


def test_headers_use_the_body_font(default_path, wb):
    with ZipFile(default_path) as z:
        styles = ET.fromstring(z.read("xl/styles.xml"))
    fonts = styles.findall("m:fonts/m:font", NS)
    body = fonts[0]              # the workbook's default font: every cell without its own
    for font in fonts:
        assert font.find("m:name", NS).get("val") == body.find("m:name", NS).get("val")
        assert font.find("m:sz", NS).get("val") == body.find("m:sz", NS).get("val")
    for sheet in ("Buku Agenda", HISTORY_SHEET):
        for cell in wb[sheet][1]:
            assert cell.font.b
            assert (cell.font.name, cell.font.sz) == ("Calibri", 11)
            assert cell.font.name == wb[sheet].column_dimensions[cell.column_letter].font.name


@pytest.mark.parametrize("sheet", ["Buku Agenda", HISTORY_SHEET])
def test_prints_on_a4_landscape_one_page_wide_with_the_header_on_every_page(wb, sheet):
    ws = wb[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9                 # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"


def test_print_setup_in_the_xml(default_path):
    with ZipFile(default_path) as z:
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        book = ET.fromstring(z.read("xl/workbook.xml"))
    setup = sheet.find("m:pageSetup", NS)
    assert (setup.get("orientation"), setup.get("paperSize")) == ("landscape", "9")
    assert (setup.get("fitToWidth"), setup.get("fitToHeight")) == ("1", "0")
    assert sheet.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
    titles = {(d.get("localSheetId"), d.text) for d in book.findall("m:definedNames/m:definedName", NS)
              if d.get("name") == "_xlnm.Print_Titles"}
    assert ("0", "'Buku Agenda'!$1:$1") in titles


def test_news_type_list_on_the_helper_sheet(wb, ws):
    at = letters(ws)["Jenis Berita"]
    (dv,) = [dv for dv in ws.data_validations.dataValidation if dv not in tick_validations(ws)]
    assert str(dv.sqref) == f"{at}2:{at}{LAST_ROW}"
    assert dv.formula1 == f"'{LISTS_SHEET}'!$A$1:$A${len(DEFAULT_NEWS_TYPES)}"
    assert dv.error == "Pilih Jenis Berita dari daftar."
    assert tuple(cell.value for cell in wb[LISTS_SHEET]["A"]) == DEFAULT_NEWS_TYPES


def test_date_columns_and_long_text(ws):
    at = letters(ws)
    for column in agenda_columns(DEFAULT_APPROVALS):
        dim = ws.column_dimensions[at[column.header]]
        assert (dim.number_format == DATETIME_FORMAT) == (column.header in DATE_HEADERS)
        assert bool(dim.alignment.wrap_text) == (column.kind is Kind.LONG_TEXT)


def test_status_colours(ws):
    at = letters(ws)["Status"]
    (rules,) = [cf.rules for cf in ws.conditional_formatting if str(cf.sqref) == f"{at}2:{at}{LAST_ROW}"]
    equal = {r.formula[0].strip('"') for r in rules if r.type == "cellIs"}
    assert equal == set(Status)
    (waiting,) = [r for r in rules if r.type == "expression"]
    assert waiting.formula == [f'LEFT(${at}2,9)="Menunggu "']


def test_history_sheet(wb):
    history = wb[HISTORY_SHEET]
    assert tuple(cell.value for cell in history[1]) == HISTORY_HEADERS
    assert all(cell.font.bold for cell in history[1])
    assert history.freeze_panes == "A2"
    assert history.column_dimensions["A"].number_format == DATETIME_FORMAT


def test_properties(wb):
    assert wb.properties.title == "Buku Agenda Press Release"
    assert wb.properties.creator == "Buku Agenda -> Website"


# --- configured variants ---------------------------------------------------------------------

def test_custom_approvals_news_types_and_sheet_name(tmp_path):
    approvals = ("Paraf Kadis", "Paraf Sekdis", "Paraf Kabid")
    # Longer than the 255 characters an inline list may hold, and with a comma.
    news_types = tuple(f"Jenis Berita Nomor {i}, Uji" for i in range(1, 16))
    path = tmp_path / "custom.xlsx"
    write_template(path, approval_columns=approvals, news_types=news_types, worksheet="Agenda 2026")
    wb = load_workbook(path)
    ws = wb["Agenda 2026"]
    headers = [cell.value for cell in ws[1]]
    assert headers == [c.header for c in agenda_columns(approvals)]
    assert headers[headers.index("Paraf Kadis"):][:3] == list(approvals)
    at = letters(ws)
    (dv,) = tick_validations(ws)
    assert f"{at['Paraf Sekdis']}2:{at['Paraf Sekdis']}{LAST_ROW}" in {str(r) for r in dv.sqref.ranges}
    assert ws.cell(row=1, column=headers.index("Paraf Sekdis") + 1).comment.text
    assert ws.column_dimensions[at["Paraf Sekdis"]].number_format == TICK_FORMAT
    assert tuple(cell.value for cell in wb[LISTS_SHEET]["A"]) == news_types
    assert any(v.formula1.endswith(f"$A${len(news_types)}") for v in ws.data_validations.dataValidation)


def test_config_text_is_never_a_formula(tmp_path):
    path = tmp_path / "formula.xlsx"
    write_template(path, approval_columns=("=1+1",), news_types=("=HYPERLINK(\"x\")",))
    wb = load_workbook(path)
    header = wb.active.cell(row=1, column=[c.value for c in wb.active[1]].index("=1+1") + 1)
    assert header.data_type == "s"
    cell = wb[LISTS_SHEET]["A1"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


# --- as LibreOffice Calc shows it ------------------------------------------------------------



def with_ticks(template: Path, out: Path) -> None:
    """The template with one row ticked the ways a tick arrives: a boolean cell without a style
    (openpyxl, the demo) and ones with their column's style (the program, Excel, Calc)."""
    with ZipFile(template) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    col_styles = {int(col.get("min")): col.get("style")
                  for col in ET.fromstring(sheet).findall("m:cols/m:col", NS)}
    ws = load_workbook(template)["Buku Agenda"]
    at = {cell.value: cell for cell in ws[1]}

    def cell(header: str, value: int, styled: bool) -> str:
        ref = f"{at[header].column_letter}2"
        style = f' s="{col_styles[at[header].column]}"' if styled else ""
        return f'<c r="{ref}"{style} t="b"><v>{value}</v></c>'

    row = (f'<row r="2"><c r="{at["Judul Berita"].column_letter}2" t="inlineStr"><is><t>Uji</t>'
           f'</is></c>{cell("Paraf Kadis", 1, False)}{cell("Paraf Kabid", 1, True)}'
           f'{cell("Ditolak", 0, True)}</row>')
    sheet = re.sub(r"(<row r=\"1\".*?</row>)", lambda m: m.group(1) + row, sheet, count=1)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with ZipFile(out, "w", ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.fixture(scope="module")
def ticked(default_path, tmp_path_factory) -> tuple[Path, Path]:
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("calc")
    path = folder / "ticked.xlsx"
    with_ticks(default_path, path)
    return path, folder


def test_libreoffice_csv_shows_true_not_1(ticked):
    path, folder = ticked
    with convert(path, "csv", folder).open(encoding="utf-8", newline="") as fh:
        header, row = list(csv.reader(fh))[:2]
    shown = dict(zip(header, row))
    assert (shown["Paraf Kadis"], shown["Paraf Kabid"], shown["Ditolak"]) == ("TRUE", "TRUE", "FALSE")


def test_libreoffice_shows_true_not_1(ticked):
    # The CSV filter writes TRUE for a boolean whatever its format, so it cannot catch the 1 that
    # Calc shows on screen and in print; the HTML export writes the cell as shown.
    path, folder = ticked
    page = convert(path, "html", folder).read_text(encoding="utf-8", errors="replace")
    rows = [[html.unescape(" ".join(re.sub(r"<[^>]+>", " ", cell).split()))
             for cell in re.findall(r"<td.*?</td>", tr, re.S)]
            for tr in re.findall(r"<tr.*?</tr>", page[page.index("<table"):], re.S)]
    (row,) = [r for r in rows if "Uji" in r]
    at = {h: i for i, h in enumerate(c.value for c in load_workbook(path)["Buku Agenda"][1])}
    shown = [row[at[h]] for h in ("Paraf Kadis", "Paraf Kabid", "Ditolak")]
    assert shown == ["TRUE", "TRUE", "FALSE"], f"LibreOffice shows the ticks as {shown}"
