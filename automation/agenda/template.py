"""The Buku Agenda template, built from the column schema alone (SPEC section 2).

`make template` (or `python -m automation.agenda.template OUT.xlsx`) writes the committed
`sheets_templates/buku_agenda_press_release.xlsx`; a test checks that file is current.
"""

from __future__ import annotations

import copy
import io
import sys
from datetime import datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring

from automation.config import DEFAULT_NEWS_TYPES
from automation.core.schema import (
    BY_HEADER, DATETIME_FORMAT, HISTORY_HEADERS, HISTORY_SHEET, STATUS, TITLE, Column, Kind,
    Role, agenda_columns,
)
from automation.core.workflow import Status, Waiting

LISTS_SHEET = "Daftar"          # hidden helper sheet holding the Jenis Berita dropdown
LAST_ROW = 5000                 # validations and status colours reach this row
FIXED_TIME = datetime(2026, 1, 1)
AUTHOR = "Buku Agenda -> Website"

HEADER_FILL = {
    Role.STAFF: "DDEBF7",       # light blue: Petugas Penerima
    Role.OFFICIAL: "FFF2CC",    # light yellow: Kadis, Kabid, Kasi
    Role.PROGRAM: "BFBFBF",     # grey: written by the program only
}
PROGRAM_CELL_FILL = "EDEDED"

# Status -> (fill, font colour); `Menunggu …` is matched by prefix below.
STATUS_COLOURS = {
    Status.LIVE: ("C6EFCE", "006100"),
    Status.ARCHIVED: ("BDD7EE", "1F4E78"),
    Status.INCOMPLETE: ("F8CBAD", "833C0B"),
    Status.FAILED: ("FFC7CE", "9C0006"),
    Status.REJECTED: ("BFBFBF", "404040"),
    Status.WITHDRAWN: ("BFBFBF", "404040"),
}
WAITING_COLOURS = ("FFEB9C", "9C5700")

HISTORY_WIDTHS = {"Waktu": 22, "Peristiwa": 16, "Keterangan": 70}   # others: the schema's

# The number format of the tick columns: LibreOffice's own BOOLEAN format, as it writes it to
# an .xlsx. A boolean is a number to the formatter, and LibreOffice Calc shows a TRUE cell
# without a boolean format as 1 (FALSE as 0) when it opens an .xlsx; with this format it shows
# TRUE / FALSE as Excel always does (a Calc set to Indonesian: BENAR / SALAH), and it saves a
# TRUE or FALSE typed or picked in Calc as a boolean (under General: the number 1 or 0).
# Text such as "ya" or "✓" shows unchanged.
TICK_FORMAT = '"TRUE";"TRUE";"FALSE"'
# Headers are the body font (the workbook's default: name, size, colour), in bold. A bare
# `Font(bold=True)` names no font, and LibreOffice then draws the headers in another typeface.
HEADER_FONT = copy.copy(DEFAULT_FONT)
HEADER_FONT.b = True


def _solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def _put_text(ws: Worksheet, row: int, col: int, text: str):
    """Write text that comes from the config as a plain string, never as a formula."""
    cell = ws.cell(row=row, column=col, value=text)
    cell.data_type = "s"
    return cell


def _data_range(letter: str) -> str:
    return f"{letter}2:{letter}{LAST_ROW}"


def _header_row(ws: Worksheet, headers: tuple[str, ...], fills: list[str] | None = None) -> None:
    for i, header in enumerate(headers, start=1):
        cell = _put_text(ws, 1, i, header)
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if fills:
            cell.fill = _solid(fills[i - 1])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"


def _page_setup(ws: Worksheet) -> None:
    """Print on A4 landscape, one page wide (as many pages down as needed), header row on
    every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _column_defaults(ws: Worksheet, letter: str, column: Column) -> None:
    """Width, visibility and the default style that rows added later inherit (`<col style>`)."""
    dim = ws.column_dimensions[letter]
    dim.width = column.width
    dim.hidden = column.hidden
    if column.role is Role.PROGRAM:
        dim.fill = _solid(PROGRAM_CELL_FILL)
    if column.kind is Kind.DATETIME:
        dim.number_format = DATETIME_FORMAT
    elif column.kind is Kind.LONG_TEXT:
        dim.alignment = Alignment(wrap_text=True, vertical="top")
    elif column.kind is Kind.TICK:
        dim.alignment = Alignment(horizontal="center")
        dim.number_format = TICK_FORMAT


def _tick_validation(letters: list[str]) -> DataValidation:
    # A warning, not a stop: SPEC section 2 also accepts typed ticks such as ✓ or "ya".
    dv = DataValidation(
        type="list", formula1='"TRUE,FALSE"', allow_blank=True, errorStyle="warning",
        showErrorMessage=True, errorTitle="Isian paraf",
        error="Pilih TRUE (dicentang) atau FALSE. Tanda lain seperti ✓ atau \"ya\" juga "
              "dibaca sebagai centang; teks lain tidak.",
        showInputMessage=True, promptTitle="Paraf",
        prompt="Pilih TRUE untuk mencentang; biarkan kosong atau FALSE bila belum.",
    )
    for letter in letters:
        dv.add(_data_range(letter))
    return dv


def _choice_validation(letters: list[str], count: int) -> DataValidation:
    # The list lives on a helper sheet: an inline list is limited to 255 characters
    # and cannot hold a news type containing a comma.
    dv = DataValidation(
        type="list", formula1=f"{quote_sheetname(LISTS_SHEET)}!$A$1:$A${count}",
        allow_blank=True, showErrorMessage=True, errorTitle="Jenis Berita",
        error="Pilih Jenis Berita dari daftar.",
        showInputMessage=True, promptTitle="Jenis Berita", prompt="Pilih dari daftar.",
    )
    for letter in letters:
        dv.add(_data_range(letter))
    return dv


def _status_colours(ws: Worksheet, letter: str) -> None:
    cells = _data_range(letter)
    for status, (fill, font) in STATUS_COLOURS.items():
        ws.conditional_formatting.add(cells, CellIsRule(
            operator="equal", formula=[f'"{status}"'], fill=_solid(fill), font=Font(color=font)))
    prefix = Waiting.PREFIX         # "Menunggu ", followed by the approval column's header
    fill, font = WAITING_COLOURS
    ws.conditional_formatting.add(cells, FormulaRule(
        formula=[f'LEFT(${letter}2,{len(prefix)})="{prefix}"'], fill=_solid(fill),
        font=Font(color=font)))


def _agenda_sheet(ws: Worksheet, columns: tuple[Column, ...], news_type_count: int) -> None:
    headers = tuple(c.header for c in columns)
    _header_row(ws, headers, [HEADER_FILL[c.role] for c in columns])
    ws.row_dimensions[1].height = 30
    for i, column in enumerate(columns, start=1):
        ws.cell(row=1, column=i).comment = Comment(column.help, AUTHOR, width=260, height=90)
        _column_defaults(ws, get_column_letter(i), column)

    letters = {c.header: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    ticks = [letters[c.header] for c in columns if c.kind is Kind.TICK]
    choices = [letters[c.header] for c in columns if c.kind is Kind.CHOICE]
    ws.add_data_validation(_tick_validation(ticks))
    ws.add_data_validation(_choice_validation(choices, news_type_count))
    _status_colours(ws, letters[STATUS])
    # Keep the header and everything up to the headline in view while scrolling.
    ws.freeze_panes = f"{get_column_letter(headers.index(TITLE) + 2)}2"
    _page_setup(ws)


def _history_sheet(ws: Worksheet) -> None:
    _header_row(ws, HISTORY_HEADERS, [HEADER_FILL[Role.PROGRAM]] * len(HISTORY_HEADERS))
    for i, header in enumerate(HISTORY_HEADERS, start=1):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = HISTORY_WIDTHS.get(header) or BY_HEADER[header].width
        if header == "Waktu":
            dim.number_format = DATETIME_FORMAT
    ws.freeze_panes = "A2"
    _page_setup(ws)


def build_workbook(approval_columns: tuple[str, ...] = ("Paraf Kadis", "Paraf Kabid"),
                   news_types: tuple[str, ...] = DEFAULT_NEWS_TYPES,
                   worksheet: str = "Buku Agenda") -> Workbook:
    """The Buku Agenda template for the given approval columns, news types and sheet name."""
    wb = Workbook()
    agenda = wb.active
    agenda.title = worksheet
    _agenda_sheet(agenda, agenda_columns(approval_columns), len(news_types))
    _history_sheet(wb.create_sheet(HISTORY_SHEET))
    lists = wb.create_sheet(LISTS_SHEET)
    for row, news_type in enumerate(news_types, start=1):
        _put_text(lists, row, 1, news_type)
    lists.column_dimensions["A"].width = max(len(t) for t in news_types) + 2
    lists.sheet_state = "hidden"

    wb.properties.title = "Buku Agenda Press Release"
    wb.properties.creator = AUTHOR
    wb.properties.created = wb.properties.modified = FIXED_TIME
    return wb


def write_template(path: Path, **kwargs) -> None:
    """Save `build_workbook(**kwargs)` to `path`, byte for byte the same on every run.

    openpyxl stamps `modified` with the clock when saving and gives every zip member the
    current time, so the saved archive is rewritten with fixed times: regenerating an
    unchanged template then leaves git nothing to commit.
    """
    wb = build_workbook(**kwargs)
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = FIXED_TIME
    with ZipFile(buffer) as saved, ZipFile(path, "w", ZIP_DEFLATED) as out:
        for name in saved.namelist():
            data = tostring(wb.properties.to_tree()) if name == ARC_CORE else saved.read(name)
            out.writestr(ZipInfo(name, FIXED_TIME.timetuple()[:6]), data, ZIP_DEFLATED)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m automation.agenda.template OUT.xlsx", file=sys.stderr)
        return 2
    write_template(Path(args[0]))
    print(f"template written to {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
