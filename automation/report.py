"""`report --month YYYY-MM` (SPEC section 7): the monthly recap for the head of office.

Gathers the events from the program's ledger and the agenda's `Riwayat`, and Jenis / Sumber
Berita and titles from the rows as they are now; `automation.core.recap` does the counting.
Writes `reports/rekap-YYYY-MM.xlsx` beside the config file (a summary with charts, and the
times of every release) and the summary as plain values into the agenda's `Rekap` worksheet.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from automation.config import Config
from automation.core import schema as S
from automation.core.calendar import MONTHS, format_datetime
from automation.core.entry import locate_headers, read_rows
from automation.core.recap import GONE, Counts, Recap, make_recap, merge_events
from automation.core.workflow import Event
from automation.ledger import Ledger
from automation.ports import AdapterError
from automation.workspace import open_store, rules_of

log = logging.getLogger(__name__)

SHEET = "Rekap"
CHART_CEILING = 5                       # the time chart's axis ends at 5x the standard at most
MONTH_FORM = re.compile(r"(\d{4})-(\d{2})")

# Looks: Excel's own "bad" red for times over the standard, a pale blue for headers.
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
SECTION_FONT = Font(bold=True, size=12, color="1F4E79")
NOTE_FONT = Font(italic=True, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
OVER_FILL = PatternFill("solid", fgColor="FFC7CE")
OVER_FONT = Font(color="9C0006")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


def parse_month(text: str) -> tuple[int, int]:
    """`2026-11` -> (2026, 11); ValueError says the expected form."""
    found = MONTH_FORM.fullmatch(text.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise ValueError(f"--month must look like 2026-11 (year-month), not {text!r}")
    return int(found[1]), int(found[2])


@dataclass(frozen=True)
class RowInfo:
    """What the agenda shows of an entry now (for the detail table)."""

    agenda_number: str
    title: str
    status: str


@dataclass(frozen=True)
class ReportResult:
    path: Path
    recap: Recap
    sheet_error: str = ""               # the `Rekap` worksheet could not be written

    def summary(self) -> list[str]:
        """Three lines for the administrator's terminal (English; step names as in the SOP)."""
        recap, t = self.recap, self.recap.totals
        std = _number(recap.step_minutes)
        medians = ", ".join(f"{f.step} {_shown(f.median)}" for f in recap.figures)
        within = ", ".join(f"{_shown(None if f.within is None else 100 * f.within, '%')}"
                           for f in recap.figures)
        return [
            f"Releases: {t.received} received, {t.published} published, {t.rejected} rejected, "
            f"{t.withdrawn} withdrawn.",
            f"Median minutes per step: {medians}.",
            f"Share within {std} minutes per step: {within}; {len(recap.overdue)} step(s) over "
            "the standard (sheet 'Rincian').",
        ]


def reports_folder(cfg: Config) -> Path:
    return (cfg.source.parent if cfg.source else Path.cwd()) / "reports"


def make_report(cfg: Config, year: int, month: int, now: datetime) -> ReportResult:
    """Build the recap of one month and write it out; `now` only stamps when it was made.

    Raises AdapterError / HeaderError when the agenda cannot be read, OSError when the file
    cannot be written; a `Rekap` worksheet that cannot be written is reported in the result.
    """
    store, rules = open_store(cfg), rules_of(cfg)
    sheet = store.read()
    rows: dict[str, tuple[str, str]] = {}
    info: dict[str, RowInfo] = {}
    for entry in read_rows(sheet.rows, locate_headers(sheet.header, rules), rules,
                           formulas=sheet.formulas):
        if entry.entry_id and entry.entry_id not in rows:   # a copied row keeps the original
            rows[entry.entry_id] = (entry.text(S.NEWS_TYPE), entry.text(S.SOURCE))
            info[entry.entry_id] = RowInfo(entry.agenda_number, entry.title, entry.text(S.STATUS))
    events = merge_events(_ledger_events(cfg), store.history())
    recap = make_recap(events, rows, year, month, cfg.approval.columns, cfg.sla.step_minutes)

    generated = format_datetime(now.astimezone(cfg.tz))
    path = reports_folder(cfg) / f"rekap-{year:04d}-{month:02d}.xlsx"
    _save(build_workbook(recap, info, generated), path)
    log.info("monthly recap %04d-%02d written to %s", year, month, path)
    try:
        store.put_sheet(SHEET, summary_lines(recap, generated))
    except AdapterError as err:
        log.error("worksheet '%s' not written: %s", SHEET, err)
        return ReportResult(path, recap, str(err))
    return ReportResult(path, recap)


# -- the events -----------------------------------------------------------------------------
def _ledger_events(cfg: Config) -> list[Event]:
    """Every event the program recorded, its time in the office's zone."""
    path = cfg.state_dir / "ledger.sqlite3"
    if not path.exists():
        log.warning("no ledger at %s: the recap counts what Riwayat shows", path)
        return []
    ledger = Ledger(path)
    try:
        return ledger.all_events(cfg.tz)
    finally:
        ledger.close()


# -- the summary: one layout for the Ringkasan sheet and the agenda's Rekap ------------------
def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _shown(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def _counts(c: Counts) -> list[int]:
    return [c.received, c.published, c.rejected, c.withdrawn]


def _month_name(recap: Recap) -> str:
    return f"{MONTHS[recap.month - 1]} {recap.year}"


def _step_label(n: int, step: str) -> str:
    return f"{n}. {step}"


def _layout(recap: Recap, generated: str) -> list[tuple[str, list[Any], str]]:
    """The summary as (kind, values, table) lines: kind says how a line looks, table names
    the table it belongs to (the charts find their data by it)."""
    std = _number(recap.step_minutes)
    lines: list[tuple[str, list[Any], str]] = [
        ("title", [f"Rekap Layanan Informasi Media Online – {_month_name(recap)}"], ""),
        ("subtitle", [f"Dibuat {generated} dari Riwayat Buku Agenda dan catatan program. "
                      f"Standar waktu tiap langkah SOP: {std} menit."], ""),
    ]

    def table(name: str, title: str, header: list[str], rows: list[list[Any]],
              total: list[Any] | None = None, note: str = "") -> None:
        lines.append(("blank", [], ""))
        lines.append(("section", [title], name))
        lines.append(("header", header, name))
        lines.extend(("row", r, name) for r in rows)
        if total:
            lines.append(("total", total, name))
        if note:
            lines.append(("note", [note], name))

    t = recap.totals
    table("counts", "Jumlah berita", ["Uraian", "Jumlah"], [
        ["Berita diterima", t.received], ["Berita tayang", t.published],
        ["Berita ditolak", t.rejected], ["Berita ditarik dari website", t.withdrawn]])
    table("steps", "Waktu tiap langkah SOP",
          ["Langkah SOP", "Jumlah kasus", "Median (menit)", "Persentil ke-90 (menit)",
           "Standar (menit)", "% dalam standar"],
          [[_step_label(n, f.step), f.n, _minutes(f.median), _minutes(f.p90), std,
            None if f.within is None else round(100 * f.within, 1)]
           for n, f in enumerate(recap.figures, 1)],
          note="Median: separuh kasus selesai dalam waktu ini atau lebih cepat. Persentil "
               "ke-90: 9 dari 10 kasus selesai dalam waktu ini atau lebih cepat. Waktu "
               "sebuah langkah dihitung pada bulan langkah itu selesai.")
    for name, title, groups in (("types", "Jenis Berita", recap.by_type),
                                ("sources", "Sumber Berita", recap.by_source)):
        table(name, f"Menurut {title}", [title, "Diterima", "Tayang", "Ditolak", "Ditarik"],
              [[group, *_counts(c)] for group, c in groups.items()],
              total=["Jumlah", *_counts(t)])
    return lines


def summary_lines(recap: Recap, generated: str) -> list[list[Any]]:
    """The summary as plain values: the agenda's `Rekap` worksheet."""
    return [values for _, values, _ in _layout(recap, generated)]


# -- the workbook ---------------------------------------------------------------------------
def build_workbook(recap: Recap, info: Mapping[str, RowInfo], generated: str) -> Workbook:
    book = Workbook()
    summary = book.active
    summary.title = "Ringkasan"
    places = _write_summary(summary, recap, generated)
    _add_charts(summary, recap, places)
    _write_detail(book.create_sheet("Rincian"), recap, info)
    for sheet in book.worksheets:       # printed as it looks: landscape, one page wide
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return book


def _write_summary(ws: Worksheet, recap: Recap, generated: str) -> dict[str, tuple[int, int, int]]:
    """Writes the layout; returns per table (header row, first data row, last data row)."""
    places: dict[str, list[int]] = {}
    for r, (kind, values, name) in enumerate(_layout(recap, generated), start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if kind in ("header", "row", "total"):
                cell.border = BOX
            if isinstance(value, float):
                cell.number_format = "0.0"
            elif isinstance(value, int):
                cell.number_format = "#,##0"
            if kind == "header":
                cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, HEADER_ALIGN
            elif kind == "total":
                cell.font, cell.fill = BOLD, TOTAL_FILL
        if kind == "title":
            ws.cell(row=r, column=1).font = TITLE_FONT
        elif kind == "section":
            ws.cell(row=r, column=1).font = SECTION_FONT
        elif kind in ("subtitle", "note"):
            # Long text across the table's width, wrapped, so it prints on the page.
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
            ws.cell(row=r, column=1).font = NOTE_FONT
            ws.cell(row=r, column=1).alignment = WRAP_TOP
            ws.row_dimensions[r].height = 30
        elif kind == "header":
            ws.row_dimensions[r].height = 32
            places[name] = [r, r + 1, r]
        elif kind == "row":
            places[name][2] = r
    ws.column_dimensions["A"].width = 36
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 14
    ws.freeze_panes = "A3"
    return {name: (header, first, last) for name, (header, first, last) in places.items()}


def _bar_chart(title: str, y_title: str) -> BarChart:
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title, chart.y_axis.title = title, y_title
    chart.width, chart.height = 20, 9
    # openpyxl 3.1 marks axes deleted unless told otherwise: Excel would hide them.
    chart.x_axis.delete = chart.y_axis.delete = False
    # Values only: some programs add the series and category names unless told not to.
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                     showLegendKey=False, showPercent=False)
    return chart


def _add_charts(ws: Worksheet, recap: Recap, places: Mapping[str, tuple[int, int, int]]) -> None:
    std = _number(recap.step_minutes)
    header, first, last = places["steps"]
    steps = Reference(ws, min_col=1, min_row=first, max_row=last)

    # One slow step (paper filing can take days) would flatten every other bar to nothing:
    # the axis stops at CHART_CEILING times the standard and the title says so.
    ceiling = CHART_CEILING * recap.step_minutes
    longest = max((v for f in recap.figures for v in (f.median, f.p90) if v is not None),
                  default=0)
    title = f"Median dan persentil ke-90 per langkah SOP (menit; standar {std})"
    if longest > ceiling:
        title += f" – sumbu dipotong pada {_number(ceiling)}, lihat tabel"
    times = _bar_chart(title, "menit")
    times.add_data(Reference(ws, min_col=3, max_col=5, min_row=header, max_row=last),
                   titles_from_data=True)
    times.set_categories(steps)
    times.dataLabels = None             # three bars per step: the table beside has the figures
    if longest > ceiling:
        times.y_axis.scaling.min, times.y_axis.scaling.max = 0, ceiling
    standard = times.series[2]          # the standard in grey, beside each step's bars
    standard.graphicalProperties.solidFill = "A6A6A6"
    standard.graphicalProperties.line.solidFill = "A6A6A6"
    ws.add_chart(times, "H2")

    share = _bar_chart(f"Kasus selesai dalam standar {std} menit", "% kasus")
    share.add_data(Reference(ws, min_col=6, min_row=header, max_row=last), titles_from_data=True)
    share.set_categories(steps)
    share.y_axis.scaling.min, share.y_axis.scaling.max = 0, 100
    share.legend = None
    ws.add_chart(share, "H21")

    header, first, last = places["types"]
    if last >= first:                   # a month without releases has no types to chart
        types = _bar_chart("Jumlah berita menurut Jenis Berita", "berita")
        types.add_data(Reference(ws, min_col=2, max_col=5, min_row=header, max_row=last),
                       titles_from_data=True)
        types.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        ws.add_chart(types, "H40")


def _write_detail(ws: Worksheet, recap: Recap, info: Mapping[str, RowInfo]) -> None:
    std = _number(recap.step_minutes)
    ws["A1"] = f"Rincian per berita – {_month_name(recap)}"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = (f"Menit tiap langkah SOP. Merah: lebih dari standar {std} menit. Kosong: "
                "langkah itu tidak selesai pada bulan ini. Waktu diterima dan tayang: yang "
                "pertama.")
    ws["A2"].font = NOTE_FONT
    headers = ["No. Agenda", "Judul Berita", "Jenis Berita", "Sumber Berita", "Status",
               "Diterima", "Tayang", *(f"{_step_label(n, s)} (menit)"
                                       for n, s in enumerate(recap.steps, 1))]
    widths = [12, 45, 18, 22, 20, 27, 27, *([14] * len(recap.steps))]
    for c, (text, width) in enumerate(zip(headers, widths), start=1):
        cell = ws.cell(row=3, column=c, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, HEADER_ALIGN, BOX
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[3].height = 60
    over = {(o.entry_id, o.step) for o in recap.overdue}
    first_step = 8
    shown = [(entry, info.get(entry.entry_id, RowInfo(entry.agenda_number, GONE, "")))
             for entry in recap.entries]
    # In order of receipt; releases logged together in the order of their No. Agenda.
    shown.sort(key=lambda pair: (pair[0].received_at is None,
                                 pair[0].received_at or datetime.min, pair[1].agenda_number))
    for r, (entry, row) in enumerate(shown, start=4):
        values = [row.agenda_number, row.title, entry.news_type, entry.source, row.status,
                  _when(entry.received_at), _when(entry.published_at)]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border, cell.alignment = BOX, WRAP_TOP
        for i, (step, minutes) in enumerate(zip(recap.steps, entry.minutes)):
            cell = ws.cell(row=r, column=first_step + i, value=_minutes(minutes))
            cell.border, cell.number_format = BOX, "0.0"
            if (entry.entry_id, step) in over:
                cell.fill, cell.font = OVER_FILL, OVER_FONT
    if not recap.entries:
        ws.cell(row=4, column=1, value="Tidak ada berita pada bulan ini.").font = NOTE_FONT
    ws.freeze_panes = "C4"              # No. Agenda and Judul stay in view
    last_column = ws.cell(row=3, column=len(headers)).column_letter
    ws.auto_filter.ref = f"A3:{last_column}{3 + max(len(recap.entries), 1)}"


def _when(at: datetime | None) -> str:
    """`27 November 2026, 14:05 WITA`: Indonesian month names whatever Excel's language."""
    return format_datetime(at) if at else ""


def _save(book: Workbook, path: Path) -> None:
    """Whole or not at all: a half-written report never replaces the last good one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx")
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
