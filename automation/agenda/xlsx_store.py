"""The Buku Agenda as an .xlsx file on disk (or a shared folder).

Reading uses calamine (values only, fast); which cells hold a formula, and what an error
cell shows, a byte scan of the worksheet XML adds (a formula is the office's: never written
over, SPEC rule 4). Writing patches only the cells the program must write inside the
worksheet XML and leaves every other byte of the workbook as the office left it:
formatting, validations, comments, charts, other sheets. (openpyxl would rewrite
the whole file and drop what it does not model.) The file is replaced atomically, the
previous version kept as a backup, and a file saved by someone between our read and our
write is read again so their edits are never overwritten.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import os
import re
import shutil
import threading
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape, unescape

from lxml import etree
from python_calamine import CalamineWorkbook

from automation.agenda import rows
from automation.agenda.cells import EPOCH_1900, EPOCH_1904, column_index, column_letter, to_serial
from automation.core import schema as S
from automation.core.entry import same_value
from automation.ports import AdapterError, HistoryRow, RowWrite, Sheet, StoreBusy, WriteReport

log = logging.getLogger(__name__)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

ROW_RE = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
CELL_RE = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)
STYLE_RE = re.compile(rb'\bs="(\d+)"')
DIMENSION_RE = re.compile(rb'(<dimension ref="[A-Z]+\d+:)([A-Z]+)(\d+)"')
COL_RE = re.compile(rb'<col\b[^>]*>')
# Any prefix: a workbook saved by another program may bind the main namespace to one.
SHEET_DATA_RE = re.compile(rb'<(\w+:)?sheetData\b[^>]*?(/?)>')
DIMENSION_TAG_RE = re.compile(rb'<(\w+:)?dimension\b[^>]*?/>')
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot carry; they are dropped from text the program writes.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
# Cells holding a formula or showing an error (SPEC rule 4), found in the worksheet XML
# without parsing it: calamine reads values only. A `<f` inside <sheetData> always opens a
# formula (cell text cannot hold a raw `<`), and it is the first child of its cell.
FORMULA_IN_CELL_RE = re.compile(rb"<(?:\w+:)?f[\s/>]")
# LibreOffice saves every tick box it read as a constant formula, `<f>TRUE()</f>`: that is a
# value, not the office's formula, or no tick could ever be cleared (rule 2) after a Calc save.
CONSTANT_TICK_RE = re.compile(rb"<(\w+:)?f>(?:TRUE|FALSE)(?:\(\))?</(?:\w+:)?f>", re.I)
CELL_START_RE = re.compile(rb"<(?:\w+:)?c\s[^>]*>")
CELL_REF_RE = re.compile(rb'\br="([A-Z]+)(\d+)"')
RANGE_REF_RE = re.compile(rb'\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
ERROR_TYPE = b' t="e"'
ERROR_VALUE_RE = re.compile(
    rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?<(?:\w+:)?v>([^<]*)</")


class XlsxError(AdapterError):
    pass


class NeedsPerson(XlsxError):
    """The agenda has a problem only a person can fix; `problems` says, each, what to change."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _clean(value: Any) -> Any:
    return None if value == "" else value


def read_grid(data: bytes, sheet_name: str) -> list[list[Any]]:
    """Every row of one worksheet from row 1, empty cells as None."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if sheet_name not in book.sheet_names:
        raise XlsxError(f"worksheet '{sheet_name}' not found (sheets: {', '.join(book.sheet_names)})",
                        f"Lembar kerja '{sheet_name}' tidak ditemukan di berkas agenda.")
    try:
        sheet = book.get_sheet_by_name(sheet_name)
    except Exception as err:
        # calamine refuses the whole sheet over an error it does not know (#SPILL!, #CALC!,
        # #GETTING_DATA): read it with its error cells as text instead.
        if "error value" not in str(err):
            raise
        data = _errors_as_text(data, sheet_name)
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet_name)
    rows = [[_clean(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    # calamine starts at the first used cell; pad so that rows[0] is sheet row 1.
    top, left = sheet.start or (0, 0)
    return [[] for _ in range(top)] + [[None] * left + row for row in rows]


def read_sheet(data: bytes, sheet_name: str) -> tuple[list[list[Any]], frozenset[tuple[int, int]]]:
    """A worksheet as `read_grid` gives it, but each error cell as the text it shows (calamine
    makes it empty), and the (row, 0-based column) of every cell below row 1 holding a
    formula."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    part = _sheet_parts(zin)[0].get(sheet_name)
    # The scan (inflating the part, two byte searches) runs while calamine parses the same
    # part, which it does without holding the GIL: with a second core free, the read takes
    # hardly longer than before.
    scan: list[Any] = []

    def scan_part() -> None:
        try:
            if part is None:
                scan.append(_CellScan())
            else:
                with zin.open(part) as stream:
                    scan.append(_CellScan().part(stream))
        except BaseException as err:     # handed to the reading thread below
            scan.append(err)

    worker = threading.Thread(target=scan_part, name="xlsx-formula-scan", daemon=True)
    worker.start()
    try:
        grid = read_grid(data, sheet_name)
    finally:
        worker.join()
    if isinstance(scan[0], BaseException):
        raise scan[0]
    formulas, arrays, errors = scan[0].formulas, scan[0].arrays, scan[0].errors
    for (row, col), text in errors.items():
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        if len(cells) <= col:
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = text
    if arrays:
        # An array formula fills its whole range; only the cells the sheet has can be written.
        height, width = len(grid), max(map(len, grid), default=0)
        for top, left, bottom, right in arrays:
            formulas.update((r, c) for r in range(top, min(bottom, height) + 1)
                            for c in range(left, min(right, width - 1) + 1))
    return grid, frozenset(cell for cell in formulas if cell[0] > 1)


class _CellScan:
    """Which cells of one worksheet part hold a formula, which ranges array formulas fill,
    and the text of each error cell; the part is streamed in pieces of whole rows, so it is
    never held whole (a 20,000-row agenda is some 25 MB of XML) and is read while it is still
    in the processor's cache. Cheap: two byte searches, then work only where they hit."""

    CHUNK = 1 << 20

    def __init__(self) -> None:
        self.formulas: set[tuple[int, int]] = set()
        self.arrays: list[tuple[int, int, int, int]] = []     # (top, left, bottom, right)
        self.errors: dict[tuple[int, int], str] = {}

    def part(self, stream: io.BufferedIOBase) -> _CellScan:
        prefix: bytes | None = None
        carry, start = b"", 0
        while True:
            chunk = stream.read(self.CHUNK)
            buf = carry + chunk if carry else chunk
            if prefix is None:
                data = SHEET_DATA_RE.search(buf)
                if data is None or data.group(2):     # not there yet, or no cells at all
                    if not chunk or data is not None:
                        return self
                    carry = buf
                    continue
                prefix, start = data.group(1) or b"", data.end()
                row_end, sheet_end = b"</" + prefix + b"row>", b"</" + prefix + b"sheetData"
                formula = re.compile(b"<" + re.escape(prefix) + rb"f[\s/>]")
            # Up to the end of the last complete row: no cell is cut in two. The cells end
            # after it, if in this piece at all.
            rows = buf.rfind(row_end, start)
            cut = rows + len(row_end) if rows >= 0 else start
            last = buf.find(sheet_end, cut)
            if last >= 0 or not chunk:
                self._region(buf, start, last if last >= 0 else len(buf), prefix, formula)
                return self
            self._region(buf, start, cut, prefix, formula)
            carry, start = buf[cut:], 0

    def _region(self, xml: bytes, start: int, end: int, p: bytes, formula: re.Pattern) -> None:
        cell_tag = b"<" + p + b"c"
        for found in formula.finditer(xml, start, end):
            at = found.start()
            head = xml.rfind(b"<", start, at)         # the cell's start tag, right before
            ref = CELL_REF_RE.search(xml, head, at) if xml.startswith(cell_tag, head) else None
            if ref is None or CONSTANT_TICK_RE.match(xml, at):
                continue          # no address (never written by Excel), or a plain TRUE/FALSE
            row, col = int(ref.group(2)), column_index(ref.group(1).decode())
            self.formulas.add((row, col))
            if xml[found.end() - 1] != 62:            # `<f ...>`: attributes; 62 is `>`
                tag = xml[at:xml.index(b">", at)]
                spread = RANGE_REF_RE.search(tag)
                if spread and (b'"array"' in tag or b'"dataTable"' in tag):
                    top, left = int(spread.group(2)), column_index(spread.group(1).decode())
                    bottom = int(spread.group(4)) if spread.group(4) else top
                    right = column_index(spread.group(3).decode()) if spread.group(3) else left
                    self.arrays.append((top, left, bottom, right))
        at = xml.find(ERROR_TYPE, start, end)
        while at >= 0:
            head = xml.rfind(b"<", start, at)
            tag = CELL_START_RE.match(xml, head)
            if tag is not None and tag.end() > at and xml[tag.end() - 2] != 47:  # not `<c/>`
                ref = CELL_REF_RE.search(xml, head, tag.end())
                value = ERROR_VALUE_RE.match(xml, tag.end(), end)
                if ref and value and value.group(1):
                    self.errors[(int(ref.group(2)), column_index(ref.group(1).decode()))] = \
                        unescape(value.group(1).decode("utf-8", "replace"))
            at = xml.find(ERROR_TYPE, at + len(ERROR_TYPE), end)


def _errors_as_text(data: bytes, sheet_name: str) -> bytes:
    """The workbook with the error cells of one worksheet typed as formula text (`t="str"`),
    which calamine reads whatever the error; only for a sheet calamine refuses."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    part = _sheet_parts(zin)[0].get(sheet_name)
    if part is None:
        return data
    xml = re.sub(rb'(<(?:\w+:)?c\s[^>]*?\st=)"e"', rb'\1"str"', zin.read(part))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, xml if info.filename == part else zin.read(info.filename))
    return out.getvalue()


class XlsxAgenda:
    """`AgendaStore` for an .xlsx workbook."""

    quota_limited = False

    def __init__(self, path: Path, worksheet: str, backup_dir: Path):
        self.path = Path(path)
        self.worksheet = worksheet
        self.backup_dir = Path(backup_dir)
        # (version, grid, formulas) of the last read, reused by `write` if the file is unchanged
        self._last_read: tuple[str, list[list[Any]], frozenset[tuple[int, int]]] | None = None

    # -- reading ---------------------------------------------------------------------------
    def version(self) -> str | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return f"{st.st_size}:{st.st_mtime_ns}"

    def _load(self) -> tuple[bytes, str]:
        """The file's bytes and the version they belong to (re-read if it changed meanwhile)."""
        for _ in range(5):
            before = self.version()
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                raise XlsxError(f"agenda file {self.path} not found; run `init` to create it",
                                "Berkas Buku Agenda tidak ditemukan.") from None
            except PermissionError:
                raise StoreBusy(f"agenda file {self.path} is locked (open in Excel?); "
                                "retrying next cycle") from None
            if before is not None and before == self.version():
                return data, before
        raise StoreBusy(f"agenda file {self.path} keeps changing while being read; retrying next cycle")

    def read(self) -> Sheet:
        data, version = self._load()
        try:
            grid, formulas = read_sheet(data, self.worksheet)
        except XlsxError:
            raise
        except Exception as err:  # calamine raises its own types for broken files
            raise XlsxError(f"agenda file {self.path} cannot be read as .xlsx ({err}); restore "
                            f"it from {self.backup_dir} or save it again as .xlsx",
                            "Berkas Buku Agenda rusak atau bukan .xlsx.") from err
        self._last_read = (version, grid, formulas)
        header = grid[0] if grid else []
        return Sheet(header=header, rows=grid[1:], version=version, formulas=formulas)

    def history(self) -> list[HistoryRow]:
        data, _ = self._load()
        grid = read_grid(data, S.HISTORY_SHEET)
        return [HistoryRow(r[0], str(r[1] or ""), str(r[2] or ""), str(r[3] or ""), str(r[4] or ""))
                for r in (row + [None] * 5 for row in grid[1:]) if any(r[:5])]

    def approval_trust(self) -> str:
        """A workbook file has no per-column protection: its folder's permissions decide."""
        return ""

    def check(self) -> list[str]:
        problems = []
        if not self.path.exists():
            return [f"agenda file {self.path} does not exist: run `python main.py init`"]
        try:
            data, _ = self._load()
            names = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names
        except Exception as err:
            return [f"agenda file {self.path} cannot be opened: {err}"]
        if self.worksheet not in names:
            problems.append(f"worksheet '{self.worksheet}' is missing in {self.path} (its "
                            f"worksheets: {', '.join(names)}): rename the worksheet that holds "
                            f"the agenda to '{self.worksheet}', or set agenda.worksheet in the "
                            "configuration to its name")
        twin = next((n for n in names if n.casefold() == S.HISTORY_SHEET.casefold()), None)
        if twin is not None and twin != S.HISTORY_SHEET:
            problems.append(f"worksheet '{twin}' in {self.path} must be named exactly "
                            f"'{S.HISTORY_SHEET}': rename it (double-click its tab)")
        elif twin is None:
            problems.append(f"worksheet '{S.HISTORY_SHEET}' is missing in {self.path}: run "
                            "`python main.py init` (it adds what is missing, keeps data)")
        # A missing optional column (Pratinjau) is no problem: `init` adds it when asked.
        if not os.access(self.path.parent, os.W_OK):
            problems.append(f"folder {self.path.parent} is not writable by this user: "
                            "grant write permission so results can be saved")
        return problems

    # -- writing ---------------------------------------------------------------------------
    def write(self, writes: Sequence[RowWrite], history: Sequence[HistoryRow],
              recheck_history: bool = True) -> WriteReport:
        def patch(data: bytes, version: str) -> _Patch:
            last = self._last_read
            read = last[1:] if last and last[0] == version else None
            return _patch_workbook(data, self.worksheet, writes, history, read, recheck_history)

        done, version = self._save(patch)
        return WriteReport(done.written, done.missed, version)

    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        _check_program_sheet(name, (self.worksheet, S.HISTORY_SHEET))
        # No backup: only the program's own worksheet changes, and the backup must keep the
        # agenda as it was before the program last wrote into people's rows.
        self._save(lambda data, version: _put_sheet(data, name, rows), backup=False)

    def repair(self, columns: Sequence[S.Column]) -> list[str]:
        """What `init` adds to an existing agenda, every other byte kept: a missing `Riwayat`
        worksheet (or the header row of an empty one) and the header of each missing optional
        column of `columns`. Returns what was added (English; empty: nothing to do, the file
        untouched). Raises `NeedsPerson`, changing nothing, for what only a person can fix (a
        required header missing or doubled, the agenda worksheet missing), `XlsxError` for a
        file that cannot be read."""
        added: list[str] = []

        def patch(data: bytes, version: str) -> _Patch:
            done, what = _repair_workbook(data, self.worksheet, columns, self.path)
            added[:] = what
            return done

        self._save(patch)
        return added

    def _save(self, patch: Callable[[bytes, str], _Patch],
              backup: bool = True) -> tuple[_Patch, str]:
        """Patch the file as it is now and replace it; patched again if someone saved it
        meanwhile. Returns the patch and the file's version afterwards."""
        for _ in range(3):
            data, version = self._load()
            try:
                done = patch(data, version)
            except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as err:
                raise XlsxError(f"agenda file {self.path} cannot be read as .xlsx ({err}); "
                                f"restore it from {self.backup_dir} or save it again as .xlsx",
                                "Berkas Buku Agenda rusak atau bukan .xlsx.") from err
            if not done.changed:
                return done, version
            if self._replace(data if backup else None, done, version):
                self._last_read = None
                return done, self.version() or ""
            log.info("agenda file changed while writing; reading it again before writing")
        raise StoreBusy(f"agenda file {self.path} keeps changing; writes retried next cycle")

    def _replace(self, old: bytes | None, patch: _Patch, version: str) -> bool:
        # A fixed name: a copy left by a killed run is simply overwritten by the next one.
        tmp = self.path.with_name(f".~{self.path.name}.tmp")
        try:
            with open(tmp, "wb") as fh:
                patch.write_to(fh)
                fh.flush()
                os.fsync(fh.fileno())
            # The new file keeps the old one's permissions: on a shared folder, staff must
            # still be able to save it after the program's first write.
            shutil.copymode(self.path, tmp)
            if self.version() != version:     # someone saved it since we read it
                tmp.unlink()
                return False
            if old is not None:
                self.backup_dir.mkdir(parents=True, exist_ok=True)
                backup = self.backup_dir / self.path.name
                backup_tmp = backup.with_suffix(".tmp")
                backup_tmp.write_bytes(old)
                os.replace(backup_tmp, backup)
            os.replace(tmp, self.path)
        except PermissionError as err:
            tmp.unlink(missing_ok=True)
            raise StoreBusy(f"agenda file {self.path} is locked (open in Excel?): {err}; "
                            "writes retried next cycle") from None
        return True


# -- the patching, on bytes ------------------------------------------------------------------

def _sheet_parts(zin: zipfile.ZipFile) -> tuple[dict[str, str], bool]:
    """Worksheet name -> part path, and whether the workbook counts dates from 1904."""
    book = etree.fromstring(zin.read("xl/workbook.xml"))
    rels = etree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    parts = {}
    for sheet in book.iter(f"{{{NS}}}sheet"):
        target = targets[sheet.get(f"{{{REL_NS}}}id")]
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    pr = book.find(f"{{{NS}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904") in ("1", "true")
    return parts, date1904


def _layout(header: list[Any]) -> dict[str, int]:
    places: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        if cell is not None:
            places.setdefault(S.normalise_header(cell), []).append(i)
    return {k: v[0] for k, v in places.items() if len(v) == 1}


def _patch_workbook(data: bytes, worksheet: str, writes: Sequence[RowWrite],
                    history: Sequence[HistoryRow],
                    read: tuple[list[list[Any]], frozenset[tuple[int, int]]] | None,
                    recheck_history: bool) -> _Patch:
    zin = zipfile.ZipFile(io.BytesIO(data))
    parts, date1904 = _sheet_parts(zin)
    if worksheet not in parts or S.HISTORY_SHEET not in parts:
        raise XlsxError(f"worksheet '{worksheet}' or '{S.HISTORY_SHEET}' missing; run `init`")
    grid, formulas = read if read is not None else read_sheet(data, worksheet)
    header_row = grid[0] if grid else []
    layout = _layout(header_row)
    if S.normalise_header(S.ENTRY_ID) not in layout:
        raise XlsxError("the header 'ID Sistem' is missing or duplicated; nothing written")

    def column(header: str) -> list[Any] | None:
        col = layout.get(S.normalise_header(header))
        return None if col is None else [r[col] if col < len(r) else None for r in grid]

    targets, missed = rows.locate(writes, column)
    styles = _Styles(zin.read("xl/styles.xml"))
    changed: dict[str, _SheetXml | bytes] = {}

    sheet = _SheetXml(zin.read(parts[worksheet]), styles, date1904)
    for row, w in targets.items():
        for header, value in w.cells.items():
            col = layout.get(S.normalise_header(header))
            if col is None:
                if header in S.OPTIONAL_HEADERS and not any(
                        S.normalise_header(h) == S.normalise_header(header) for h in header_row):
                    continue              # a column `init` adds: until then, not written
                raise XlsxError(f"header '{header}' is missing or duplicated; nothing written")
            if (row, col) in formulas:    # the office's, whatever it shows (SPEC rule 4)
                log.debug("cell %s%d holds a formula: not written", column_letter(col), row)
                continue
            current = grid[row - 1][col] if col < len(grid[row - 1]) else None
            if not same_value(current, value):
                sheet.set(row, col, value)
    if sheet.dirty:
        changed[parts[worksheet]] = sheet

    if history:
        # Only rows a previous, interrupted write may have added need looking for.
        # Riwayat columns: Waktu, ID Sistem, No. Agenda, Peristiwa, Keterangan.
        existing = [(p[1], p[3], p[4]) for p in (r + [None] * 5 for r in
                    read_grid(data, S.HISTORY_SHEET)[1:])] if recheck_history else []
        fresh = rows.new_history(history, existing)
        if fresh:
            log_sheet = _SheetXml(zin.read(parts[S.HISTORY_SHEET]), styles, date1904)
            log_sheet.append([[h.at, h.entry_id, h.agenda_number, h.event, h.detail] for h in fresh])
            changed[parts[S.HISTORY_SHEET]] = log_sheet

    if changed and styles.dirty:
        changed["xl/styles.xml"] = styles.bytes()
    return _Patch(zin, changed, tuple(w.entry_id for w in targets.values()), tuple(missed))


def _check_program_sheet(name: str, taken: Sequence[str]) -> None:
    if any(name.casefold() == t.casefold() for t in taken):
        raise ValueError(f"worksheet '{name}' belongs to the agenda, not to put_sheet")
    if not 0 < len(name) <= 31 or BAD_SHEET_NAME.search(name) or name.strip("'") != name:
        raise ValueError(f"'{name}' is not a valid worksheet name")


def _put_sheet(data: bytes, name: str, rows: Sequence[Sequence[Any]]) -> _Patch:
    """Worksheet `name` holding exactly `rows`; parts other than the worksheet (and, for a new
    one, the three parts that register it, and styles.xml when a style is added) keep their
    bytes."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    parts, date1904 = _sheet_parts(zin)
    styles = _Styles(zin.read("xl/styles.xml"))
    changed: dict[str, _SheetXml | bytes] = {}
    _put_sheet_into(zin, parts, styles, date1904, changed, name, rows)
    if styles.dirty:
        changed["xl/styles.xml"] = styles.bytes()
    return _Patch(zin, changed, (), ())


def _put_sheet_into(zin: zipfile.ZipFile, parts: dict[str, str], styles: _Styles,
                    date1904: bool, changed: dict[str, _SheetXml | bytes], name: str,
                    rows: Sequence[Sequence[Any]]) -> None:
    # Excel compares worksheet names ignoring case.
    part = next((p for n, p in parts.items() if n.casefold() == name.casefold()), None)
    if part is None:
        part = _add_sheet(zin, name, changed)
        sheet = _SheetXml(_new_sheet_xml(rows), styles, date1904)
    else:
        sheet = _SheetXml(zin.read(part), styles, date1904)
    sheet.replace_rows(rows)
    changed[part] = sheet


def _repair_workbook(data: bytes, worksheet: str, columns: Sequence[S.Column],
                     path: Path) -> tuple[_Patch, list[str]]:
    """The patch `XlsxAgenda.repair` makes, and what it adds."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    parts, date1904 = _sheet_parts(zin)
    if worksheet not in parts:
        names = ", ".join(f"'{n}'" for n in parts) or "none"
        raise NeedsPerson([
            f"{path} has no worksheet '{worksheet}' (its worksheets: {names}): rename the "
            f"worksheet that holds the agenda to '{worksheet}', or set agenda.worksheet in the "
            "configuration to its name"])
    try:
        grid, formulas = read_sheet(data, worksheet)
        history = read_grid(data, S.HISTORY_SHEET) if S.HISTORY_SHEET in parts else None
    except XlsxError:
        raise
    except Exception as err:         # calamine's own error types for a damaged file
        raise XlsxError(f"agenda file {path} cannot be read as .xlsx ({err}); save it again "
                        "as .xlsx (Excel: File > Save As > Excel Workbook)") from err

    problems = []
    others = [n for n in parts
              if n.casefold() == S.HISTORY_SHEET.casefold() and n != S.HISTORY_SHEET]
    if others:
        problems.append(f"worksheet '{others[0]}' in {path} must be named exactly "
                        f"'{S.HISTORY_SHEET}': rename it (double-click its tab)")
    header = grid[0] if grid else []
    places: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        if S.normalise_header(cell):
            places.setdefault(S.normalise_header(cell), []).append(i)
    missing = []
    for column in columns:
        found = places.get(S.normalise_header(column.header), [])
        if len(found) > 1:
            cells = ", ".join(f"{column_letter(c)}1" for c in found)
            problems.append(f"header '{column.header}' appears {len(found)} times in row 1 of "
                            f"worksheet '{worksheet}' (cells {cells}): rename or delete all "
                            "but one of them")
        elif not found and column.optional:
            missing.append(column.header)
        elif not found:
            problems.append(f"row 1 of worksheet '{worksheet}' has no header '{column.header}': "
                            f"type '{column.header}' (spelled exactly so) into an empty cell of "
                            "row 1; where does not matter")
    if problems:
        raise NeedsPerson(problems)

    styles = _Styles(zin.read("xl/styles.xml"))
    changed: dict[str, _SheetXml | bytes] = {}
    added: list[str] = []
    if missing:
        sheet = _SheetXml(zin.read(parts[worksheet]), styles, date1904)
        filled = [i for i, cell in enumerate(header) if S.normalise_header(cell)]
        # A new header looks like the program's others: the style of the rightmost one.
        program = [places[k][0] for k in map(S.normalise_header, S.PROGRAM_HEADERS) if k in places]
        style = sheet.style_of(1, max(program or filled)) if filled else 0
        taken = {c for _, c in formulas}
        col = filled[-1] + 1 if filled else 0
        for name in missing:
            # A column holding something below an empty header is someone's: never taken.
            while col in taken or any(col < len(r) and r[col] not in (None, "") for r in grid) \
                    or not sheet.set(1, col, name, style=style):
                col += 1
            added.append(f"column '{name}' (header in cell {column_letter(col)}1)")
            col += 1
        changed[parts[worksheet]] = sheet
    if history is None:
        _put_sheet_into(zin, parts, styles, date1904, changed, S.HISTORY_SHEET,
                        [list(S.HISTORY_HEADERS)])
        added.append(f"worksheet '{S.HISTORY_SHEET}' with its header row")
    elif not any(v not in (None, "") for r in history for v in r):
        _put_sheet_into(zin, parts, styles, date1904, changed, S.HISTORY_SHEET,
                        [list(S.HISTORY_HEADERS)])
        added.append(f"the header row of the empty worksheet '{S.HISTORY_SHEET}'")
    if styles.dirty:
        changed["xl/styles.xml"] = styles.bytes()
    return _Patch(zin, changed, (), ()), added


def _add_sheet(zin: zipfile.ZipFile, name: str, changed: dict[str, _SheetXml | bytes]) -> str:
    """Register a new worksheet part (last in the tab order, so `localSheetId`s stay right);
    returns its path. docProps/app.xml keeps the old sheet list: Excel tolerates a stale one
    (only a self-contradicting one makes it repair the file) and rewrites it on save."""
    taken = {n.lower() for n in zin.namelist()}
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in taken:
        number += 1
    part = f"xl/worksheets/sheet{number}.xml"
    book = zin.read("xl/workbook.xml")
    rels = zin.read("xl/_rels/workbook.xml.rels")
    ids = {r.get("Id") for r in etree.fromstring(rels).iter(f"{{{PKG_REL_NS}}}Relationship")}
    number = len(ids) + 1
    while f"rId{number}" in ids:
        number += 1
    rel_id = f"rId{number}"
    sheet_id = 1 + max((int(s.get("sheetId", "0")) for s in
                        etree.fromstring(book).iter(f"{{{NS}}}sheet")), default=0)
    attr = {'"': "&quot;"}
    changed["xl/workbook.xml"] = _insert_last(book, "sheets", (
        f'<{{p}}sheet xmlns:r="{REL_NS}" name="{escape(name, attr)}" sheetId="{sheet_id}" '
        f'r:id="{rel_id}"/>'))
    changed["xl/_rels/workbook.xml.rels"] = _insert_last(rels, "Relationships", (
        f'<{{p}}Relationship Id="{rel_id}" Type="{WORKSHEET_REL}" Target="/{part}"/>'))
    changed["[Content_Types].xml"] = _insert_last(zin.read("[Content_Types].xml"), "Types", (
        f'<{{p}}Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>'))
    return part


def _insert_last(xml: bytes, parent: str, element: str) -> bytes:
    """`element` added as the last child of the (only) `parent`, every other byte kept;
    `{p}` in it becomes the prefix the document uses for that element's namespace."""
    found = re.search(rb"</(\w+:)?" + parent.encode() + rb"\s*>", xml)
    if not found:
        raise XlsxError(f"the workbook has no <{parent}> list to add a worksheet to")
    prefix = (found.group(1) or b"").decode()
    return xml[:found.start()] + element.replace("{p}", prefix).encode() + xml[found.start():]


def _new_sheet_xml(rows: Sequence[Sequence[Any]]) -> bytes:
    """An empty worksheet, its columns wide enough for `rows` (a date-time in a narrow column
    shows as ####)."""
    widths: dict[int, int] = {}
    for values in rows:
        for c, v in enumerate(values):
            if isinstance(v, (datetime, date)):
                shown = 24
            elif v is None:
                continue
            else:
                shown = max((len(line) for line in str(v).splitlines()), default=0) + 2
            widths[c] = max(widths.get(c, 10), min(shown, 60))
    cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>'
                   for c, w in sorted(widths.items()))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") +
            '<sheetData/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/></worksheet>').encode()


class _Patch:
    """The workbook's parts with the changed ones replaced, streamed into a new file."""

    def __init__(self, zin: zipfile.ZipFile, changed: dict[str, _SheetXml | bytes],
                 written: tuple[str, ...], missed: tuple[str, ...]):
        self.zin, self.changed, self.written, self.missed = zin, changed, written, missed

    def write_to(self, fh) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in self.zin.infolist():
                self._put(zout, info, self.changed.get(info.filename))
            present = set(self.zin.namelist())
            for name, part in self.changed.items():
                if name not in present:           # a worksheet added by `put_sheet`
                    self._put(zout, zipfile.ZipInfo(name, time.localtime()[:6]), part)

    def _put(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo,
             part: _SheetXml | bytes | None) -> None:
        if isinstance(part, _SheetXml):
            # A large sheet goes out piece by piece, never joined in memory.
            target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(target, "w", force_zip64=True) as out:
                for chunk in part.chunks():
                    out.write(chunk)
        else:
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, part if part is not None else self.zin.read(info.filename))


class _Styles:
    """Just enough of styles.xml to give a cell a date-time format or a bold font."""

    def __init__(self, xml: bytes):
        self.root = etree.fromstring(xml)
        self.xfs = self.root.find(f"{{{NS}}}cellXfs")
        self.formats = {int(f.get("numFmtId")): f.get("formatCode")
                        for f in self.root.iter(f"{{{NS}}}numFmt")}
        self.dirty = False
        self._dated: dict[int, int] = {}
        self._bold: dict[int, int] = {}

    def is_date(self, style: int) -> bool:
        xf = self.xfs[style] if 0 <= style < len(self.xfs) else None
        if xf is None:
            return False
        fmt_id = int(xf.get("numFmtId", "0"))
        if fmt_id in BUILTIN_DATE_FORMATS:
            return True
        code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", self.formats.get(fmt_id, ""))
        return bool(re.search(r"[dmyhs]", code, re.I))

    def dated(self, style: int) -> int:
        """`style` if it already shows dates, else a copy of it with the agenda's date format."""
        if self.is_date(style):
            return style
        if style not in self._dated:
            fmt_id = next((i for i, c in self.formats.items() if c == S.DATETIME_FORMAT), None)
            if fmt_id is None:
                fmt_id = max([163, *self.formats]) + 1
                numfmts = self.root.find(f"{{{NS}}}numFmts")
                if numfmts is None:
                    numfmts = etree.Element(f"{{{NS}}}numFmts")
                    self.root.insert(0, numfmts)
                etree.SubElement(numfmts, f"{{{NS}}}numFmt", numFmtId=str(fmt_id),
                                 formatCode=S.DATETIME_FORMAT)
                numfmts.set("count", str(len(numfmts)))
                self.formats[fmt_id] = S.DATETIME_FORMAT
                self.dirty = True
            xf = copy.deepcopy(self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0])
            xf.set("numFmtId", str(fmt_id))
            xf.set("applyNumberFormat", "1")
            self._dated[style] = self._reuse(self.xfs, xf)
        return self._dated[style]

    def bold(self, style: int) -> int:
        """A copy of `style` with a bold font (a header row)."""
        if style not in self._bold:
            fonts = self.root.find(f"{{{NS}}}fonts")
            base = self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0]
            font_id = int(base.get("fontId", "0"))
            if fonts is None or not 0 <= font_id < len(fonts):
                return style
            font = copy.deepcopy(fonts[font_id])
            b = font.find(f"{{{NS}}}b")
            if b is None:
                b = etree.SubElement(font, f"{{{NS}}}b")
                font.insert(0, b)
            b.attrib.pop("val", None)                     # val="0" would mean not bold
            xf = copy.deepcopy(base)
            xf.set("fontId", str(self._reuse(fonts, font)))
            xf.set("applyFont", "1")
            self._bold[style] = self._reuse(self.xfs, xf)
        return self._bold[style]

    def _reuse(self, parent: etree._Element, element: etree._Element) -> int:
        """The index of a child of `parent` identical to `element`, which is appended if there
        is none: a sheet rewritten every few minutes must not grow styles.xml each time."""
        key = _shape(element)
        for i, child in enumerate(parent):
            if _shape(child) == key:
                return i
        parent.append(element)
        parent.set("count", str(len(parent)))
        self.dirty = True
        return len(parent) - 1

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _shape(element: etree._Element) -> tuple:
    return (element.tag, tuple(sorted(element.attrib.items())),
            tuple(_shape(child) for child in element))


class _SheetXml:
    """A worksheet part edited as bytes: only touched rows are rebuilt."""

    def __init__(self, xml: bytes, styles: _Styles, date1904: bool):
        self.xml = xml
        self.styles = styles
        self.epoch = EPOCH_1904 if date1904 else EPOCH_1900
        self.dirty = False
        self._rows: dict[int, bytes] = {}          # row number -> its rewritten xml
        self._added: dict[int, bytes] = {}         # rows appended after the last one
        self._cuts: list[tuple[int, int, bytes]] = []  # spans replaced by `replace_rows`
        self._spans: dict[int, tuple[int, int]] | None = None
        self._widest = -1                          # the rightmost column `set` wrote
        self._col_styles = self._column_styles()

    def _column_styles(self) -> list[tuple[int, int, int]]:
        styles = []
        for tag in COL_RE.findall(self.xml.split(b"<sheetData", 1)[0]):
            attrs = dict(re.findall(rb'(\w+)="([^"]*)"', tag))
            if b"style" in attrs:
                styles.append((int(attrs[b"min"]) - 1, int(attrs[b"max"]) - 1, int(attrs[b"style"])))
        return styles

    def _index(self) -> dict[int, tuple[int, int]]:
        if self._spans is None:
            self._spans = {int(m.group(1)): m.span() for m in ROW_RE.finditer(self.xml)}
        return self._spans

    def _row_xml(self, row: int) -> bytes:
        if row in self._rows:
            return self._rows[row]
        span = self._index().get(row)
        if span is None:     # calamine saw the row, so its XML must be there
            raise XlsxError(f"row {row} not found in the worksheet XML; nothing written")
        return self.xml[span[0]:span[1]]

    def _last_row(self) -> int:
        """The last row number, read from the end (no need to index a long `Riwayat`)."""
        at = self.xml.rfind(b"<row ")
        found = ROW_RE.match(self.xml, at) if at >= 0 else None
        return int(found.group(1)) if found else 0

    def _style_for(self, col: int, existing: bytes | None, row_xml: bytes) -> int:
        if existing is not None:
            m = STYLE_RE.search(existing.split(b">", 1)[0])
            if m:
                return int(m.group(1))
        for lo, hi, style in self._col_styles:
            if lo <= col <= hi:
                return style
        return 0

    def _cell(self, ref: str, style: int, value: Any, p: str = "") -> bytes:
        """One cell; `p` is the prefix the worksheet uses for its namespace ("x:"), if any."""
        s = f' s="{style}"' if style else ""
        if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
            return f'<{p}c r="{ref}"{s}/>'.encode()         # NaN has no spreadsheet value
        if isinstance(value, bool):
            return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
        if isinstance(value, (int, float)):
            return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'.encode()
        if isinstance(value, (datetime, date)):
            style = self.styles.dated(style)
            serial = to_serial(value, self.epoch)
            return f'<{p}c r="{ref}" s="{style}"><{p}v>{serial!r}</{p}v></{p}c>'.encode()
        text = escape(ILLEGAL_XML.sub("", str(value)))
        return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{text}'
                f'</{p}t></{p}is></{p}c>').encode("utf-8")

    def set(self, row: int, col: int, value: Any, style: int | None = None) -> bool:
        """Cell (row, col) holds `value` (with `style`, default: the cell's or its column's);
        False, and nothing changed, when the cell holds a formula: that is the office's."""
        row_xml = self._row_xml(row)
        head_end = row_xml.index(b">") + 1
        if row_xml[head_end - 2:head_end] == b"/>":      # an empty row: open it
            row_xml = row_xml[:head_end - 2] + b"></row>"
            head_end -= 1
        head = re.sub(rb'\sspans="[^"]*"', b"", row_xml[:head_end])   # a hint we would falsify
        body = row_xml[head_end:-len(b"</row>")]
        cells = [(column_index(m.group(1).decode()), m.group(0)) for m in CELL_RE.finditer(body)]
        existing = next((xml for c, xml in cells if c == col), None)
        ref = f"{column_letter(col)}{row}"
        formula = FORMULA_IN_CELL_RE.search(existing) if existing is not None else None
        if formula and not CONSTANT_TICK_RE.match(existing, formula.start()):
            log.debug("cell %s holds a formula: not overwritten", ref)
            return False
        if style is None:
            style = self._style_for(col, existing, row_xml)
        new = self._cell(ref, style, value)
        cells = sorted([(c, xml) for c, xml in cells if c != col] + [(col, new)])
        self._rows[row] = head + b"".join(xml for _, xml in cells) + b"</row>"
        self._widest = max(self._widest, col)
        self.dirty = True
        return True

    def style_of(self, row: int, col: int) -> int:
        """The style of an existing cell (0: none, or no such cell)."""
        row_xml = self._row_xml(row)
        for m in CELL_RE.finditer(row_xml):
            if column_index(m.group(1).decode()) == col:
                return self._style_for(col, m.group(0), row_xml)
        return 0

    def append(self, rows: Iterable[list[Any]]) -> None:
        last = max([self._last_row(), *self._added])
        for values in rows:
            last += 1
            cells = [self._cell(f"{column_letter(c)}{last}", self._style_for(c, None, b""), v)
                     for c, v in enumerate(values)]
            self._added[last] = f'<row r="{last}">'.encode() + b"".join(cells) + b"</row>"
            self.dirty = True

    def replace_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """The whole cell grid becomes `rows`, row 1 in bold; the rest of the worksheet (views,
        column widths, page setup) stays. For the program's own worksheets only."""
        data = SHEET_DATA_RE.search(self.xml)
        if data is None:
            raise XlsxError("the worksheet has no cells to replace (a chart sheet?); nothing written")
        p = (data.group(1) or b"").decode()
        end = data.end() if data.group(2) else \
            self.xml.index(f"</{p}sheetData>".encode(), data.end()) + len(f"</{p}sheetData>")
        out, last_row, last_col = [], 0, 0
        for r, values in enumerate(rows, start=1):
            filled = [c for c, v in enumerate(values) if v is not None and v != ""]
            if filled:
                style = self.styles.bold(0) if r == 1 else 0
                cells = b"".join(self._cell(f"{column_letter(c)}{r}", style, values[c], p)
                                 for c in filled)
                out.append(f'<{p}row r="{r}">'.encode() + cells + f"</{p}row>".encode())
                last_row, last_col = r, max(last_col, filled[-1] + 1)
        body = b"".join(out)
        grid = f"<{p}sheetData>".encode() + body + f"</{p}sheetData>".encode() if body else \
            f"<{p}sheetData/>".encode()
        self._cuts = [(data.start(), end, grid)]
        dimension = DIMENSION_TAG_RE.search(self.xml, 0, data.start())
        if dimension:
            ref = f"A1:{column_letter(last_col - 1)}{last_row}" if last_row + last_col > 2 else "A1"
            tag = f'<{(dimension.group(1) or b"").decode()}dimension ref="{ref}"/>'
            self._cuts.append((dimension.start(), dimension.end(), tag.encode()))
        self.dirty = True

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The edited XML as pieces: unchanged stretches are views of the original."""
        cuts: list[tuple[int, int, bytes]] = list(self._cuts)  # (start, end, replacement)
        if self._rows:
            index = self._index()
            cuts += [(*index[row], xml) for row, xml in self._rows.items()]
        if self._added:
            rows = b"".join(self._added[r] for r in sorted(self._added))
            empty = re.search(rb"<sheetData\s*/>", self.xml)
            if empty:
                cuts.append((empty.start(), empty.end(), b"<sheetData>" + rows + b"</sheetData>"))
            else:
                at = self.xml.rindex(b"</sheetData>")
                cuts.append((at, at, rows))
        dimension = DIMENSION_RE.search(self.xml, 0, self.xml.find(b"<sheetData")) \
            if self._added or self._widest >= 0 else None
        if dimension:                     # the used range grows with what was added
            col = max(column_index(dimension.group(2).decode()), self._widest)
            row = max([int(dimension.group(3)), *self._added])
            ref = dimension.group(1) + f"{column_letter(col)}{row}".encode()
            if ref != dimension.group(0)[:-1]:
                cuts.append((dimension.start(), dimension.end(), ref + b'"'))
        view, pos = memoryview(self.xml), 0
        for start, end, new in sorted(cuts):
            yield view[pos:start]
            yield new
            pos = end
        yield view[pos:]
