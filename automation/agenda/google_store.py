"""The Buku Agenda as a Google Sheet (Sheets API v4 through gspread's HTTP client).

Quota per cycle (Sheets: 60 requests a minute per user; a batch counts as one):
- `version()`: one Drive `files.get(fields=version)`, no Sheets request;
- `read()`: one Drive probe and one `spreadsheets.get` of the whole worksheet (`ranges` = the
  worksheet, `fields` = its properties, protections and the cells' `effectiveValue` and
  `userEnteredValue.formulaValue`): ticks come back as JSON booleans and dates as serial
  numbers (turned into aware date-times in the office's zone here), as `values.get`
  UNFORMATTED_VALUE/SERIAL_NUMBER gives them, and the formula cells are known (SPEC rule 4:
  `Sheet.formulas`), which `values.get` cannot tell;
- `write()`: one `values:batchGet` (the header row, the `ID Sistem` column, the `match`
  columns only when a write needs them, and `Riwayat`'s key columns only with
  `recheck_history`), one `values:batchUpdate` (RAW: text stays text, never a formula) and at
  most one `values:append` (RAW) for `Riwayat`, then one Drive probe for the new version.
  What the rows showed and which of their cells held a formula (never written over) come
  from the read the writes were made from (`read`), which the cycle hands over: asking
  Google again would cost a second `spreadsheets.get`, made only when no read is given;
- `put_sheet()`: one `spreadsheets:batchUpdate`, after one `spreadsheets.get` of the sheet ids
  when the worksheet's id is not known yet (`check()` and earlier calls remember them).

Every range is addressed by the worksheet's title, and rows are found by `ID Sistem` right
before writing (SPEC rule 5).

Approval protections (SPEC rule 7, `approval_trust()`): with `require_protection` the
protections must be read in every cycle that may publish, and a publishing cycle already
spends its 2 Sheets reads (the read and the re-location before writing). `read()`'s one
`spreadsheets.get` brings the protections with the values, so `approval_trust()` costs no
Sheets request after it; only when the spreadsheet's owner appears among a protection's
editors is one Drive `files.get(fields=owners)` made to recognise the owner.

Google's JSON leaves out every field holding its default (proto3): a protection of column A
has no `startColumnIndex`, a range on the first worksheet no `sheetId`, a sheet without
protections no `protectedRanges`. Every reader here takes a missing number as 0, a missing
list as empty and a missing flag as false.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import google.auth.exceptions
import gspread
import requests
from contextlib import contextmanager

from automation.agenda import rows
from automation.agenda.cells import column_letter, from_serial, from_sheet, to_serial, to_sheet
from automation.core import schema as S
from automation.core.entry import cell_text
from automation.core.protection import Protection, Verdict, judge_protections, unreadable_note
from automation.google_api import (DRIVE_API, SHEETS_API, GoogleError, GoogleHTTPClient, GoogleUnavailable,
                                   RetryPolicy, load_credentials, service_account_email)
from automation.ports import AdapterError, Event, RowWrite, Sheet, WriteReport

log = logging.getLogger(__name__)

MAX_CELL = 50_000                       # Google refuses longer cell text (the whole batch)
UNFORMATTED = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


class GoogleSheetAgenda:
    """`AgendaStore` for a Google Sheet shared (Editor) with the service account."""

    quota_limited = True

    def __init__(self, spreadsheet_id: str, worksheet: str, credentials_file: Path | str,
                 tz: tzinfo, sleep: Callable[[float], None] = time.sleep,
                 retry: RetryPolicy | None = None,
                 approval_columns: Sequence[str] = (S.PARAF_KADIS, S.PARAF_KABID),
                 editors: dict[str, Sequence[str]] | None = None,
                 require_protection: bool = False):
        self.spreadsheet_id = spreadsheet_id
        self.approval_columns = tuple(approval_columns)
        self.editors = {h: tuple(v) for h, v in (editors or {}).items()}
        self.require_protection = require_protection
        # Protections of the agenda worksheet (SPEC rule 7), read once per instance, with
        # its size and header row (where the approval columns are).
        self._protections: list[dict] | None = None
        self._grid_rows: int | None = None
        self._header: list[Any] = []
        self._trust: str | None = None
        self._owner: str | None = None
        self._owner_known = False
        self.worksheet = worksheet
        self.credentials_file = Path(credentials_file)
        self.tz = tz                        # the office's: the zone of the sheet's times
        self.retry = retry or RetryPolicy(sleep=sleep)
        self._http: GoogleHTTPClient | None = None
        self._email: str | None = None
        self.sheet_ids: dict[str, int] = {}          # worksheet title -> sheetId (check())

    # -- plumbing --------------------------------------------------------------------------
    @property
    def http(self) -> GoogleHTTPClient:
        if self._http is None:
            credentials = load_credentials(self.credentials_file)
            self._email = credentials.service_account_email
            self._http = GoogleHTTPClient(credentials, retry=self.retry)
        return self._http

    @property
    def email(self) -> str:
        return self._email or service_account_email(self.credentials_file) or "(the service account)"

    def _values_url(self, suffix: str) -> str:
        return f"https://sheets.googleapis.com/v4/spreadsheets/{self.spreadsheet_id}/values{suffix}"

    @contextmanager
    def _google(self, what: str) -> Iterator[None]:
        """Every failure talking to Google as an AdapterError that says what to do."""
        try:
            yield
        except AdapterError:
            raise
        except google.auth.exceptions.RefreshError as err:
            raise GoogleError(
                f"{what}: Google refused the service-account key in {self.credentials_file} "
                f"({str(err)[:160]}); the key may have been deleted or the account disabled: "
                "create a new JSON key and replace the file",
                "Kunci akun layanan Google ditolak; mohon hubungi administrator.") from None
        except gspread.exceptions.APIError as err:
            raise self._explain(what, err.code, str(err.error.get("message", ""))) from None
        except requests.HTTPError as err:
            status = err.response.status_code if err.response is not None else None
            raise self._explain(what, status, str(err)[:200]) from None
        except (requests.RequestException, google.auth.exceptions.TransportError, OSError) as err:
            raise GoogleUnavailable(f"{what}: cannot reach Google ({type(err).__name__}: "
                                    f"{str(err)[:160]}); retried next cycle",
                                    "Google tidak dapat dihubungi; dicoba lagi pada siklus "
                                    "berikutnya.") from None

    def _explain(self, what: str, status: int | None, message: str) -> GoogleError:
        sid = self.spreadsheet_id
        if status in (403, 404):
            return GoogleError(
                f"{what}: spreadsheet {sid} is not shared with the service account {self.email}, "
                f"or it does not exist (Google said {status}: {message}): open the sheet, "
                f"Share, add {self.email} as Editor, and check agenda.spreadsheet_id",
                f"Buku Agenda belum dibagikan (sebagai Editor) ke akun layanan {self.email}.",
                status)
        if status == 400 and "parse range" in message:
            return GoogleError(
                f"{what}: worksheet '{self.worksheet}' or '{S.HISTORY_SHEET}' not found in "
                f"spreadsheet {sid} ({message}): run `python main.py init` or rename the tab",
                f"Lembar kerja '{self.worksheet}' atau '{S.HISTORY_SHEET}' tidak ditemukan.",
                status)
        return GoogleError(f"{what}: Google answered {status}: {message}",
                           "Google menolak permintaan; mohon hubungi administrator.", status)

    def _batch_get(self, ranges: list[str], major: str = "ROWS") -> list[list[list[Any]]]:
        reply = self.http.values_batch_get(self.spreadsheet_id, ranges,
                                           params={**UNFORMATTED, "majorDimension": major})
        got = reply.get("valueRanges", [])
        return [r.get("values", []) for r in got] + [[] for _ in range(len(ranges) - len(got))]

    # -- reading ---------------------------------------------------------------------------
    def version(self) -> str | None:
        with self._google("reading the agenda's version from Google Drive"):
            reply = self.http.request(
                "get", f"{DRIVE_API}/files/{self.spreadsheet_id}",
                params={"fields": "version", "supportsAllDrives": "true"}).json()
        version = reply.get("version")
        return str(version) if version is not None else None

    def read(self) -> Sheet:
        version = self.version()
        with self._google(f"reading worksheet '{self.worksheet}'"):
            reply = self._get_spreadsheet(quote_sheet(self.worksheet), _GRID_FIELDS)
        grid, formulas = self._take_sheet(reply, with_data=True)
        header = list(grid[0]) if grid else []
        dates = self._date_columns(header)
        body = []
        for raw in grid[1:]:
            row = [None if v == "" else v for v in raw]
            for c in dates:
                if c < len(row) and _is_number(row[c]):
                    row[c] = from_sheet(from_serial(row[c]), self.tz)
            body.append(row)
        return Sheet(header=header, rows=body, version=version or "",
                     formulas=frozenset((r, c) for r, c in formulas if r >= 2))

    def _verifies_protection(self) -> bool:
        return self.require_protection and bool(self.approval_columns)

    def _get_spreadsheet(self, ranges: str, fields: str) -> dict:
        """One spreadsheets.get; cells collapse to plain values while parsing (memory)."""
        response = self.http.request("get", f"{SHEETS_API}/{self.spreadsheet_id}",
                                     params={"ranges": ranges, "fields": fields})
        return json.loads(response.content, object_hook=_collapse_cell)

    def _take_sheet(self, reply: dict, with_data: bool
                    ) -> tuple[list[list[Any]], set[tuple[int, int]]]:
        """The worksheet's values (as `values.get` UNFORMATTED_VALUE would give them) and the
        (sheet row, column) of its formula cells, from a spreadsheets.get of `_GRID_FIELDS`;
        its id, size and protections are remembered. Google's JSON leaves out what holds its
        default (0, false, empty): every number and list here may be missing."""
        sheets = [s for s in reply.get("sheets", [])
                  if s.get("properties", {}).get("title") == self.worksheet]
        if not sheets:
            raise GoogleError(f"worksheet '{self.worksheet}' not found in spreadsheet "
                              f"{self.spreadsheet_id}: run `python main.py init` or rename the tab",
                              f"Lembar kerja '{self.worksheet}' tidak ditemukan.")
        sheet = sheets[0]
        props = sheet.get("properties", {})
        self.sheet_ids[self.worksheet] = props.get("sheetId", 0)
        self._grid_rows = props.get("gridProperties", {}).get("rowCount")
        self._protections = list(sheet.get("protectedRanges", []))
        grid: list[list[Any]] = []
        formulas: set[tuple[int, int]] = set()
        for block in sheet.get("data", []) if with_data else []:
            # one block: the whole worksheet (or its row 1), from A1 on
            first, column = block.get("startRow", 0) + 1, block.get("startColumn", 0)
            for r, row_data in enumerate(block.get("rowData", []), start=first):
                values = []
                for c, v in enumerate(row_data.get("values", []), start=column):
                    if isinstance(v, _Formula):
                        formulas.add((r, c))
                        v = v.value
                    values.append(_cell_value(v))
                while values and values[-1] is None:
                    values.pop()
                grid.append(values)
        while grid and not grid[-1]:
            grid.pop()
        self._header = list(grid[0]) if grid else []
        return grid, formulas

    # -- approval protections (SPEC rule 7) -------------------------------------------------
    def approval_trust(self) -> str:
        if not self._verifies_protection():
            return ""
        if self._trust is None:
            self._trust = self._judge_protections()
        return self._trust

    def _judge_protections(self) -> str:
        try:
            if self._protections is None:
                with self._google("reading the agenda's protections"):
                    reply = self._get_spreadsheet(f"{quote_sheet(self.worksheet)}!1:1",
                                                  _GRID_FIELDS)
                self._take_sheet(reply, with_data=True)
        except AdapterError as err:
            log.error("the approval columns' protections cannot be read: %s", err)
            return unreadable_note(err.note)
        protections = [Protection.from_google(p) for p in self._protections or []]

        def judge(owner: str | None = None) -> Verdict:
            return judge_protections(
                protections, sheet_id=self.sheet_ids.get(self.worksheet, 0),
                grid_rows=self._grid_rows, layout=rows.layout_of(self._header),
                approval_columns=self.approval_columns, editors=self.editors,
                service_account=self.email, owner=owner)

        verdict = judge()
        if verdict.needs_owner:             # one Drive request, only when the owner matters
            owner = self._spreadsheet_owner()
            if owner:
                verdict = judge(owner)
        if verdict.notes:
            log.error("approval columns not protected as configured: %s", verdict.note)
        return verdict.note

    def _spreadsheet_owner(self) -> str | None:
        """The owner's e-mail from Drive (one request, cached); None on a shared drive."""
        if not self._owner_known:
            self._owner_known = True
            try:
                with self._google("reading the agenda's owner from Google Drive"):
                    reply = self.http.request(
                        "get", f"{DRIVE_API}/files/{self.spreadsheet_id}",
                        params={"fields": "owners(emailAddress)",
                                "supportsAllDrives": "true"}).json()
                owners = [o.get("emailAddress", "").lower() for o in reply.get("owners", [])]
                self._owner = owners[0] if owners else None
            except AdapterError as err:
                log.warning("could not read the agenda's owner: %s", err)
        return self._owner

    @staticmethod
    def _date_columns(header: Sequence[Any]) -> list[int]:
        wanted = {S.normalise_header(h) for h in S.DATE_HEADERS}
        return [i for i, h in enumerate(header) if S.normalise_header(h) in wanted]

    def history(self) -> list[Event]:
        with self._google(f"reading worksheet '{S.HISTORY_SHEET}'"):
            (grid,) = self._batch_get([f"{quote_sheet(S.HISTORY_SHEET)}!A2:E"])
        out = []
        for raw in grid:
            r = (list(raw) + [None] * 5)[:5]
            if not any(v not in (None, "") for v in r):
                continue
            at = from_sheet(from_serial(r[0]), self.tz) if _is_number(r[0]) else r[0]
            out.append(Event(entry_id=cell_text(r[1]), name=cell_text(r[3]), at=at,
                             agenda_number=cell_text(r[2]), detail=cell_text(r[4])))
        return out

    # -- writing ---------------------------------------------------------------------------
    def write(self, writes: Sequence[RowWrite], history: Sequence[Event],
              read: Sheet | None = None, recheck_history: bool = True) -> WriteReport:
        if not writes and not history:
            return WriteReport((), (), self._version_after())
        if writes and read is None:
            # What the rows show and which cells hold a formula only a read tells (one
            # spreadsheets.get more): the cycle passes the read its writes come from.
            read = self.read()
        with self._google(f"writing to worksheet '{self.worksheet}'"):
            # Riwayat!B:E: ID Sistem, No. Agenda, Peristiwa, Keterangan (read with the columns)
            tail = [f"{quote_sheet(S.HISTORY_SHEET)}!B2:E"] if history and recheck_history else []
            targets: dict[int, RowWrite] = {}
            missed: list[str] = []
            data: list[dict] = []
            if read is None:          # no writes: Riwayat alone
                extra = self._batch_get(tail, major="COLUMNS") if tail else []
            else:
                ids = rows.grid_column([read.header, *read.rows])(S.ENTRY_ID) or []
                alone = {k: v[0] for k, v in rows.rows_by_id(ids).items() if len(v) == 1}
                header, columns, extra = self._fresh_columns(read, alone, writes, tail)
                targets, missed = rows.locate(
                    writes, lambda header: columns.get(S.normalise_header(header)))
                data = self._cell_updates(rows.changes(
                    header, targets, *_as_read(read, alone, header, targets)))
            keys = _transpose(extra[0]) if tail else []
            fresh = rows.new_history(history, [(p[0], p[2], p[3]) for p in
                                               (list(r) + [None] * 4 for r in keys)])
            if data:
                self.http.values_batch_update(self.spreadsheet_id, {
                    "valueInputOption": "RAW", "data": data})
            if fresh:
                self.http.values_append(
                    self.spreadsheet_id, f"{quote_sheet(S.HISTORY_SHEET)}!A:E",
                    params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                    body={"majorDimension": "ROWS", "values": [
                        [self._sheet_value(v) for v in
                         (h.at, h.entry_id, h.agenda_number, h.name, h.detail)] for h in fresh]})
        return WriteReport(tuple(w.entry_id for w in targets.values()), tuple(missed),
                           self._version_after())

    def _version_after(self) -> str:
        try:
            return self.version() or ""
        except AdapterError as err:   # the write is done; "" makes the next cycle read again
            log.warning("could not read the agenda's version after writing: %s", err)
            return ""

    def _fresh_columns(self, read: Sheet, alone: Mapping[str, int], writes: Sequence[RowWrite],
                       tail: list[str]
                       ) -> tuple[list[Any], dict[str, list[Any]], list[list[list[Any]]]]:
        """The header, the columns the writes need (normalised header -> values from row 1)
        and the `tail` ranges, as they are now: one values:batchGet in the usual case.
        `alone`: the IDs one row showed in `read` (only other writes need `match` columns)."""
        sheet = quote_sheet(self.worksheet)
        wanted = [S.ENTRY_ID]
        if any(w.match and w.entry_id not in alone for w in writes):
            wanted += sorted({h for w in writes if w.match for h in w.match} - {S.ENTRY_ID})
        known = read.header           # where the columns were: checked against row 1 now
        for _ in range(2):
            expected = rows.layout_of(known)
            keys = [S.normalise_header(h) for h in wanted]
            cols = {k: expected[k] for k in keys if k in expected}
            ranges = [f"{sheet}!1:1"] + [f"{sheet}!{column_letter(c)}:{column_letter(c)}"
                                          for c in cols.values()] + tail
            got = self._batch_get(ranges, major="COLUMNS")
            # The header comes back as columns too: one value per column.
            header = [col[0] if col else "" for col in got[0]]
            fresh = rows.layout_of(header)
            if all(fresh.get(k) == c for k, c in cols.items()) and \
                    all((k in fresh) == (k in expected) for k in keys):
                columns = {k: list(got[1 + i][0]) if got[1 + i] else []
                           for i, k in enumerate(cols)}
                return header, columns, got[1 + len(cols):]
            log.info("the agenda's columns moved since it was read; reading them again")
            known = header
        raise GoogleUnavailable("the agenda's columns keep moving; writes retried next cycle",
                                "Kolom Buku Agenda sedang diubah; ditulis pada siklus berikutnya.")

    def _cell_updates(self, changes: Sequence[rows.Change]) -> list[dict]:
        """The batchUpdate data of `changes`: a row's adjacent cells in one range."""
        by_row: dict[int, dict[int, Any]] = {}
        for row, col, value in changes:
            by_row.setdefault(row, {})[col] = self._sheet_value(value)
        sheet = quote_sheet(self.worksheet)
        data = []
        for row, cells in sorted(by_row.items()):
            for start, values in _runs(cells):
                end = start + len(values) - 1
                data.append({"range": f"{sheet}!{column_letter(start)}{row}:"
                                      f"{column_letter(end)}{row}",
                             "majorDimension": "ROWS", "values": [values]})
        return data

    def _sheet_value(self, value: Any) -> Any:
        """A value as a RAW write takes it: text stays text, a time is the sheet's serial."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return value
        if isinstance(value, (datetime, date)):
            return to_serial(to_sheet(value, self.tz))
        if isinstance(value, (int, float)):
            return value
        return _text_value(value)

    # -- the program's own worksheets ------------------------------------------------------
    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """The grid resized to `rows` and all its cells replaced, in one batchUpdate. A
        worksheet this adds is protected so that people can read it but only the service
        account can edit it."""
        if any(name.casefold() == t.casefold() for t in (self.worksheet, S.HISTORY_SHEET)):
            raise ValueError(f"worksheet '{name}' belongs to the agenda, not to put_sheet")
        grid = {"rowCount": max(len(rows), 1), "columnCount": max([1, *map(len, rows)])}
        cells = [{"values": [_cell_data(v, self.tz, bold=i == 0) for v in r]}
                 for i, r in enumerate(rows)]
        for attempt in (1, 2):
            sheet_id, cached = self._sheet_id_of(name, look_up=attempt == 2)
            if sheet_id is None:
                sheet_id = secrets.randbelow(1_000_000_000) + 1
                while sheet_id in self.sheet_ids.values():
                    sheet_id = secrets.randbelow(1_000_000_000) + 1
                requests: list[dict] = [
                    {"addSheet": {"properties": {"sheetId": sheet_id, "title": name,
                                                 "gridProperties": grid}}},
                    {"addProtectedRange": {"protectedRange": {
                        "range": {"sheetId": sheet_id}, "description": f"{name}: diisi program",
                        "warningOnly": False, "editors": {"users": [self.email]}}}}]
            else:
                requests = [{"updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": grid},
                    "fields": "gridProperties.rowCount,gridProperties.columnCount"}}]
            # With `range`, cells the rows do not reach lose the masked fields: old values go.
            requests.append({"updateCells": {
                "range": {"sheetId": sheet_id}, "rows": cells,
                "fields": "userEnteredValue,userEnteredFormat.numberFormat,"
                          "userEnteredFormat.textFormat.bold"}})
            try:
                with self._google(f"writing worksheet '{name}'"):
                    self.http.request("post", f"{SHEETS_API}/{self.spreadsheet_id}:batchUpdate",
                                      json={"requests": requests})
            except GoogleError as err:
                self.sheet_ids = {t: i for t, i in self.sheet_ids.items() if i != sheet_id}
                if cached and err.status == 400:    # deleted or renamed since: look it up again
                    continue
                raise
            self.sheet_ids.setdefault(name, sheet_id)
            return

    def _sheet_id_of(self, title: str, look_up: bool) -> tuple[int | None, bool]:
        """The worksheet's id (None: there is none) and whether it came from memory."""
        def known() -> int | None:
            return next((i for t, i in self.sheet_ids.items()
                         if t.casefold() == title.casefold()), None)   # as Sheets compares titles
        if not look_up and known() is not None:
            return known(), True
        with self._google("reading the spreadsheet's worksheets"):
            meta = self.http.fetch_sheet_metadata(
                self.spreadsheet_id, params={"fields": "sheets.properties(sheetId,title)"})
        self.sheet_ids = {(s.get("properties") or {}).get("title", ""):
                          (s.get("properties") or {}).get("sheetId", 0)
                          for s in meta.get("sheets", [])}
        return known(), False

    # -- preflight -------------------------------------------------------------------------
    def check(self) -> list[str]:
        try:
            http = self.http
        except AdapterError as err:
            return [str(err)]
        problems: list[str] = []
        sid = self.spreadsheet_id
        try:
            with self._google("opening the spreadsheet"):
                meta = http.fetch_sheet_metadata(sid, params={
                    "fields": "properties(title,timeZone),sheets.properties(sheetId,title)"})
        except AdapterError as err:
            if getattr(err, "status", None) in (403, 404):
                return [f"spreadsheet {sid} cannot be opened by the service account "
                        f"{self.email}: open it in Google Sheets, Share, add {self.email} as "
                        "Editor (and check agenda.spreadsheet_id)"]
            return [str(err)]
        titles = {(s.get("properties") or {}).get("title", ""):
                  (s.get("properties") or {}).get("sheetId", 0) for s in meta.get("sheets", [])}
        self.sheet_ids = titles
        for name in (self.worksheet, S.HISTORY_SHEET):
            if name not in titles:
                problems.append(f"worksheet '{name}' is missing in spreadsheet {sid}: run "
                                "`python main.py init` (it adds what is missing, keeps data)")
        zone = meta.get("properties", {}).get("timeZone")
        if zone and zone != getattr(self.tz, "key", str(self.tz)):
            problems.append(f"the spreadsheet's time zone is {zone} but the configuration says "
                            f"{getattr(self.tz, 'key', self.tz)}: set File > Settings > Time zone "
                            "to match, so times typed in the sheet mean the same")
        present = [n for n in (self.worksheet, S.HISTORY_SHEET) if n in titles]
        if present:
            try:
                with self._google("reading the header rows"):
                    got = self._batch_get([f"{quote_sheet(n)}!1:1" for n in present])
            except AdapterError as err:
                return problems + [str(err)]
            heads = dict(zip(present, (rows[0] if rows else [] for rows in got)))
            if self.worksheet in heads:
                header = heads[self.worksheet]
                norm = [S.normalise_header(h) for h in header]
                for c in S.COLUMNS:
                    if c.header in (S.PARAF_KADIS, S.PARAF_KABID):
                        continue
                    h, n = c.header, norm.count(S.normalise_header(c.header))
                    if n == 0 and c.optional:
                        # no problem: the agenda works without it; `init` adds it
                        log.info("optional column '%s' is missing in '%s': `python main.py "
                                 "init` adds it", h, self.worksheet)
                    elif n != 1:
                        problems.append(f"header '{h}' is {'missing' if n == 0 else 'duplicated'}"
                                        f" in row 1 of '{self.worksheet}': "
                                        + ("add it (`python main.py init` adds it only to a "
                                           "sheet without data rows)" if n == 0
                                           else "rename or remove the extra column"))
            if S.HISTORY_SHEET in heads:
                got_h = [cell_text(v) for v in heads[S.HISTORY_SHEET][:5]]
                if got_h != list(S.HISTORY_HEADERS):
                    problems.append(f"worksheet '{S.HISTORY_SHEET}' must have the headers "
                                    f"{', '.join(S.HISTORY_HEADERS)} in A1:E1 (found "
                                    f"{', '.join(got_h) or 'nothing'}): run `python main.py init`")
        if not problems and self._verifies_protection():
            note = self.approval_trust()
            if note:
                problems.append(f"approval columns are not protected as SPEC rule 7 requires "
                                f"(nothing would be published): {note} Run `python main.py init` "
                                "to set the protections from approval.editors.")
        return problems


# -- helpers -------------------------------------------------------------------------------

_GRID_FIELDS = ("sheets(properties(sheetId,title,gridProperties(rowCount)),protectedRanges,"
                "data(startRow,startColumn,rowData(values(effectiveValue,"
                "userEnteredValue.formulaValue))))")
_SCALARS = frozenset({"stringValue", "numberValue", "boolValue", "effectiveValue"})
_ERROR_TEXT = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
               "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
               "ERROR": "#ERROR!", "LOADING": "#LOADING"}


class _Error(str):
    """A formula's error value, shown as Google shows it."""


class _Formula:
    """A cell holding a formula (SPEC rule 4: the office's), with the value it shows."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_CELL_KEYS = frozenset({"effectiveValue", "userEnteredValue"})


def _collapse_cell(obj: dict) -> Any:
    """json object_hook: `{"effectiveValue": {"stringValue": "x"}}` becomes "x" while parsing,
    so a large sheet is never held as two dicts per cell; a cell whose userEnteredValue has a
    formulaValue becomes a `_Formula` of what it shows. (Hooks run innermost first: the
    ExtendedValues are plain values, or a dict such as {"formulaValue": ...}, by then.)"""
    if obj and obj.keys() <= _CELL_KEYS and not isinstance(obj.get("userEnteredValue"), str):
        entered, shown = obj.get("userEnteredValue"), obj.get("effectiveValue")
        if isinstance(shown, dict):          # no value (a formula showing nothing): {}
            shown = None
        if isinstance(entered, dict) and "formulaValue" in entered:
            return _Formula(shown)
        return shown
    if len(obj) == 1:
        (key, value), = obj.items()
        if key in _SCALARS:
            return value
        if key == "errorValue" and isinstance(value, dict):
            return _Error(_ERROR_TEXT.get(str(value.get("type")), "#ERROR!"))
    return obj


def _cell_value(value: Any) -> Any:
    if isinstance(value, dict):          # an empty cell ({}), or one without a value
        return None
    return None if value == "" else value


def _cell_data(value: Any, tz: tzinfo, bold: bool) -> dict:
    """CellData for updateCells: text always as stringValue, so it never becomes a formula."""
    data: dict[str, Any] = {}
    style: dict[str, Any] = {"textFormat": {"bold": True}} if bold else {}
    if isinstance(value, bool):
        data["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, (int, float)):
        if math.isfinite(value):                  # NaN is not JSON Google accepts: left empty
            data["userEnteredValue"] = {"numberValue": value}
    elif isinstance(value, (datetime, date)):
        data["userEnteredValue"] = {"numberValue": to_serial(to_sheet(value, tz))}
        style["numberFormat"] = {"type": "DATE_TIME", "pattern": S.DATETIME_FORMAT}
    elif value is not None and value != "":
        data["userEnteredValue"] = {"stringValue": _text_value(value)}
    if style:
        data["userEnteredFormat"] = style
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_value(value: Any) -> str:
    text = "" if value is None else str(value)
    return text[:MAX_CELL]


def _as_read(read: Sheet, alone: Mapping[str, int], header: Sequence[Any],
             targets: Mapping[int, RowWrite]) -> tuple[dict[int, list[Any]], set[tuple[int, int]]]:
    """What each row found at `targets` showed in `read`, and which of its cells held a
    formula then, in the columns of `header` (row 1 now): what `rows.changes` judges by.
    A row was where its ID alone was in `read` (`alone`), else where its write says."""
    now, then = rows.layout_of(header), rows.layout_of(read.header)
    was = {c: then[k] for k, c in now.items() if k in then}     # column now -> column then
    held: dict[int, set[int]] = {}
    for r, c in read.formulas:
        held.setdefault(r, set()).add(c)
    shown: dict[int, list[Any]] = {}
    formulas: set[tuple[int, int]] = set()
    for n, w in targets.items():
        at = alone.get(w.entry_id, w.row)
        if not 2 <= at < len(read.rows) + 2:
            continue
        before = read.rows[at - 2]
        shown[n] = [before[was[c]] if c in was and was[c] < len(before) else None
                    for c in range(len(header))]
        formulas.update((n, c) for c, old in was.items() if old in held.get(at, ()))
    return shown, formulas


def _transpose(columns: list[list[Any]]) -> list[list[Any]]:
    height = max((len(c) for c in columns), default=0)
    return [[c[i] if i < len(c) else "" for c in columns] for i in range(height)]


def _runs(cells: dict[int, Any]) -> Iterator[tuple[int, list[Any]]]:
    """Adjacent columns of one row as (first column, values): fewer, larger ranges."""
    run: list[Any] = []
    start = prev = None
    for col in sorted(cells):
        if prev is not None and col == prev + 1:
            run.append(cells[col])
        else:
            if run:
                yield start, run  # type: ignore[misc]
            start, run = col, [cells[col]]
        prev = col
    if run:
        yield start, run  # type: ignore[misc]


