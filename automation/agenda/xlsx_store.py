"""The Buku Agenda as an .xlsx file on disk (or a shared folder).

Reading uses calamine (values only, fast); which cells hold a formula, and what an error
cell shows, a byte scan of the worksheet XML adds (`ooxml.Workbook.formula_cells`; a formula
is the office's: never written over, SPEC rule 4). Writing patches only the cells the
program must write (`ooxml`) and leaves every other byte of the workbook as the office left
it: formatting, validations, comments, charts, other sheets. The file is replaced
atomically, the previous version kept as a backup, and a file saved by someone between our
read and our write is read again so their edits are never overwritten.

Times come out aware in the office's zone and go in as its local time (`cells.from_sheet`,
`cells.to_sheet`). A cell of a link column (`Tautan Website`, `Pratinjau`) that the program
writes becomes a hyperlink to what it shows, a path relative to the agenda's folder staying
relative. Which cells a write changes is `rows`' decision, as for every store; this module
holds the rest of the policy (history without repeats, backups, what `check` and `repair`
say); `ooxml` knows the file format only.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import threading
import zipfile
from datetime import date, tzinfo
from pathlib import Path
from typing import Any, Callable, Sequence

from lxml import etree
from python_calamine import CalamineWorkbook

from automation.agenda import rows
from automation.agenda.cells import column_letter, from_sheet, to_sheet
from automation.agenda.ooxml import CellScan, OoxmlError, Workbook, valid_sheet_name
from automation.core import schema as S
from automation.ports import AdapterError, Event, RowWrite, Sheet, StoreBusy, WriteReport

log = logging.getLogger(__name__)

_LINKS = frozenset(S.normalise_header(h) for h in S.LINK_HEADERS)


class XlsxError(AdapterError):
    pass


class NeedsPerson(XlsxError):
    """The agenda has a problem only a person can fix; `problems` says, each, what to change."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def read_grid(data: bytes, sheet_name: str, tz: tzinfo) -> list[list[Any]]:
    """Every row of one worksheet from row 1, empty cells as None, dates and date-times as
    aware times in `tz` (the zone the workbook's times are in)."""
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
        data = Workbook.open(data).errors_as_text(sheet_name)
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet_name)
    rows = [[None if v == "" else from_sheet(v, tz) if isinstance(v, date) else v for v in row]
            for row in sheet.to_python(skip_empty_area=False)]
    # calamine starts at the first used cell; pad so that rows[0] is sheet row 1.
    top, left = sheet.start or (0, 0)
    return [[] for _ in range(top)] + [[None] * left + row for row in rows]


def read_sheet(data: bytes, sheet_name: str, tz: tzinfo
               ) -> tuple[list[list[Any]], frozenset[tuple[int, int]]]:
    """A worksheet as `read_grid` gives it, but each error cell as the text it shows (calamine
    makes it empty), and the (row, 0-based column) of every cell below row 1 holding a
    formula."""
    book = Workbook.open(data)
    # The scan (inflating the part, two byte searches) runs while calamine parses the same
    # part, which it does without holding the GIL: with a second core free, the read takes
    # hardly longer than before.
    scan: list[CellScan | BaseException] = []

    def scan_part() -> None:
        try:
            scan.append(book.formula_cells(sheet_name))
        except BaseException as err:     # handed to the reading thread below
            scan.append(err)

    worker = threading.Thread(target=scan_part, name="xlsx-formula-scan", daemon=True)
    worker.start()
    try:
        grid = read_grid(data, sheet_name, tz)
    finally:
        worker.join()
    found = scan[0]
    if isinstance(found, BaseException):
        raise found
    formulas, arrays, errors = found.formulas, found.arrays, found.errors
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


class XlsxAgenda:
    """`AgendaStore` for an .xlsx workbook."""

    quota_limited = False

    def __init__(self, path: Path, worksheet: str, backup_dir: Path, tz: tzinfo):
        self.path = Path(path)
        self.worksheet = worksheet
        self.backup_dir = Path(backup_dir)
        self.tz = tz                        # the office's: the zone of the workbook's times

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
        return self._sheet(*self._load())

    def _sheet(self, data: bytes, version: str) -> Sheet:
        try:
            grid, formulas = read_sheet(data, self.worksheet, self.tz)
        except XlsxError:
            raise
        except Exception as err:  # calamine raises its own types for broken files
            raise XlsxError(f"agenda file {self.path} cannot be read as .xlsx ({err}); restore "
                            f"it from {self.backup_dir} or save it again as .xlsx",
                            "Berkas Buku Agenda rusak atau bukan .xlsx.") from err
        header = grid[0] if grid else []
        return Sheet(header=header, rows=grid[1:], version=version, formulas=formulas)

    def history(self) -> list[Event]:
        data, _ = self._load()
        grid = read_grid(data, S.HISTORY_SHEET, self.tz)
        return [Event(entry_id=str(r[1] or ""), name=str(r[3] or ""), at=r[0],
                      agenda_number=str(r[2] or ""), detail=str(r[4] or ""))
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
    def write(self, writes: Sequence[RowWrite], history: Sequence[Event],
              read: Sheet | None = None, recheck_history: bool = True) -> WriteReport:
        found: list[tuple[tuple[str, ...], tuple[str, ...]]] = []   # (written, missed)

        def patch(data: bytes, version: str) -> Workbook:
            sheet = None
            if writes:    # located in the file as it is: `read`, while nobody saved it since
                sheet = read if read is not None and read.version == version \
                    else self._sheet(data, version)
            book, written, missed = _patch_workbook(data, self.worksheet, writes, history,
                                                    sheet, recheck_history, self.tz)
            found[:] = [(written, missed)]
            return book

        version = self._save(patch)
        return WriteReport(*found[0], version)

    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        _check_program_sheet(name, (self.worksheet, S.HISTORY_SHEET))
        # No backup: only the program's own worksheet changes, and the backup must keep the
        # agenda as it was before the program last wrote into people's rows.
        values = [[to_sheet(v, self.tz) for v in r] for r in rows]
        self._save(lambda data, version: _put_sheet(data, name, values), backup=False)

    def repair(self, columns: Sequence[S.Column]) -> list[str]:
        """What `init` adds to an existing agenda, every other byte kept: a missing `Riwayat`
        worksheet (or the header row of an empty one) and the header of each missing optional
        column of `columns`. Returns what was added (English; empty: nothing to do, the file
        untouched). Raises `NeedsPerson`, changing nothing, for what only a person can fix (a
        required header missing or doubled, the agenda worksheet missing), `XlsxError` for a
        file that cannot be read."""
        added: list[str] = []

        def patch(data: bytes, version: str) -> Workbook:
            book, what = _repair_workbook(data, self.worksheet, columns, self.path, self.tz)
            added[:] = what
            return book

        self._save(patch)
        return added

    def _save(self, patch: Callable[[bytes, str], Workbook], backup: bool = True) -> str:
        """Patch the file as it is now and replace it; patched again if someone saved it
        meanwhile. Returns the file's version afterwards."""
        for _ in range(3):
            data, version = self._load()
            try:
                book = patch(data, version)
            except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as err:
                raise XlsxError(f"agenda file {self.path} cannot be read as .xlsx ({err}); "
                                f"restore it from {self.backup_dir} or save it again as .xlsx",
                                "Berkas Buku Agenda rusak atau bukan .xlsx.") from err
            except OoxmlError as err:             # e.g. a row missing from the XML
                raise XlsxError(str(err)) from err
            if not book.changed:
                return version
            if self._replace(data if backup else None, book, version):
                return self.version() or ""
            log.info("agenda file changed while writing; reading it again before writing")
        raise StoreBusy(f"agenda file {self.path} keeps changing; writes retried next cycle")

    def _replace(self, old: bytes | None, book: Workbook, version: str) -> bool:
        # A fixed name: a copy left by a killed run is simply overwritten by the next one.
        tmp = self.path.with_name(f".~{self.path.name}.tmp")
        try:
            with open(tmp, "wb") as fh:
                book.write_to(fh)
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


# -- what is written where (the patching itself is ooxml's) ----------------------------------

def _patch_workbook(data: bytes, worksheet: str, writes: Sequence[RowWrite],
                    history: Sequence[Event], sheet: Sheet | None, recheck_history: bool,
                    tz: tzinfo) -> tuple[Workbook, tuple[str, ...], tuple[str, ...]]:
    """The workbook with `writes` and `history` in it, and the IDs written and missed.
    `sheet`: the agenda worksheet as `data` holds it (needed only with `writes`)."""
    book = Workbook.open(data, S.DATETIME_FORMAT)
    if worksheet not in book or S.HISTORY_SHEET not in book:
        raise XlsxError(f"worksheet '{worksheet}' or '{S.HISTORY_SHEET}' missing; run `init`")
    targets: dict[int, RowWrite] = {}
    missed: list[str] = []
    if sheet is not None:
        grid = [sheet.header, *sheet.rows]
        targets, missed = rows.locate(writes, rows.grid_column(grid))
        agenda = book.sheet(worksheet)
        links = {c for c, h in enumerate(sheet.header) if S.normalise_header(h) in _LINKS}
        for row, col, value in rows.changes(sheet.header, targets,
                                            {n: grid[n - 1] for n in targets}, sheet.formulas):
            # A link column's cell opens what it shows; a formula cell is left whole.
            if agenda.set(row, col, to_sheet(value, tz)) and col in links:
                agenda.link(row, col, str(value) if value else None)

    if history:
        # Only rows a previous, interrupted write may have added need looking for.
        # Riwayat columns: Waktu, ID Sistem, No. Agenda, Peristiwa, Keterangan.
        existing = [(p[1], p[3], p[4]) for p in (r + [None] * 5 for r in
                    read_grid(data, S.HISTORY_SHEET, tz)[1:])] if recheck_history else []
        fresh = rows.new_history(history, existing)
        if fresh:
            book.sheet(S.HISTORY_SHEET).append(
                [[to_sheet(h.at, tz), h.entry_id, h.agenda_number, h.name, h.detail]
                 for h in fresh])
    return book, tuple(w.entry_id for w in targets.values()), tuple(missed)


def _check_program_sheet(name: str, taken: Sequence[str]) -> None:
    if any(name.casefold() == t.casefold() for t in taken):
        raise ValueError(f"worksheet '{name}' belongs to the agenda, not to put_sheet")
    if not valid_sheet_name(name):
        raise ValueError(f"'{name}' is not a valid worksheet name")


def _put_sheet(data: bytes, name: str, rows: Sequence[Sequence[Any]]) -> Workbook:
    """Worksheet `name` holding exactly `rows`; parts other than the worksheet (and, for a new
    one, the three parts that register it, and styles.xml when a style is added) keep their
    bytes."""
    book = Workbook.open(data, S.DATETIME_FORMAT)
    book.put_sheet(name, rows)
    return book


def _repair_workbook(data: bytes, worksheet: str, columns: Sequence[S.Column],
                     path: Path, tz: tzinfo) -> tuple[Workbook, list[str]]:
    """The patch `XlsxAgenda.repair` makes, and what it adds."""
    book = Workbook.open(data, S.DATETIME_FORMAT)
    if worksheet not in book:
        names = ", ".join(f"'{n}'" for n in book.sheet_names) or "none"
        raise NeedsPerson([
            f"{path} has no worksheet '{worksheet}' (its worksheets: {names}): rename the "
            f"worksheet that holds the agenda to '{worksheet}', or set agenda.worksheet in the "
            "configuration to its name"])
    try:
        grid, formulas = read_sheet(data, worksheet, tz)
        history = read_grid(data, S.HISTORY_SHEET, tz) if S.HISTORY_SHEET in book else None
    except XlsxError:
        raise
    except Exception as err:         # calamine's own error types for a damaged file
        raise XlsxError(f"agenda file {path} cannot be read as .xlsx ({err}); save it again "
                        "as .xlsx (Excel: File > Save As > Excel Workbook)") from err

    problems = []
    others = [n for n in book.sheet_names
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

    book.load_styles()          # a workbook without a readable styles.xml is refused, as ever
    added: list[str] = []
    if missing:
        sheet = book.sheet(worksheet)
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
    if history is None:
        book.put_sheet(S.HISTORY_SHEET, [list(S.HISTORY_HEADERS)])
        added.append(f"worksheet '{S.HISTORY_SHEET}' with its header row")
    elif not any(v not in (None, "") for r in history for v in r):
        book.put_sheet(S.HISTORY_SHEET, [list(S.HISTORY_HEADERS)])
        added.append(f"the header row of the empty worksheet '{S.HISTORY_SHEET}'")
    return book, added
