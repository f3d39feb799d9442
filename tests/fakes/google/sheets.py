"""Sheets v4: spreadsheets as a person edits them (the test API) and the requests served,
with the per-user quota and Google's proto3 JSON."""

from __future__ import annotations

import contextlib
import copy
import pickle
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote

from .cells import Cell, _a1, _quote_sheet, col_letters
from .common import OWNER, ApiError, apply_mask, parse_fields
from .drive import SPREADSHEET, _File
from .server import LoggedRequest, _quota_message
from .spreadsheet import _Bad, _Spreadsheet

def _prune(obj: Any) -> Any:
    """Request JSON as Google reads it (proto3): null and [] mean "not set"."""
    if isinstance(obj, dict):
        return {k: _prune(v) for k, v in obj.items() if v is not None and v != []}
    return [_prune(v) for v in obj] if isinstance(obj, list) else obj


_ONEOF_SCALARS = frozenset({"stringValue", "numberValue", "boolValue", "formulaValue",
                            "userEnteredValue", "relativeDate"})
_ALWAYS_SENT = frozenset({"sheetId", "index"})  # in SheetProperties (gspread's Worksheet.id needs it)


def _proto3(obj: Any, key: str = "") -> Any:
    """A Sheets reply as Google's JSON writes it (proto3): a field holding its default — 0,
    false, "", an empty list — is left out: a protection of column A has no startColumnIndex, a
    range on the first sheet no sheetId, frozenRowCount 0 and hidden false are absent, a sheet
    without protections has no protectedRanges. Kept: the member of a oneof even at its default
    (an ExtendedValue's numberValue 0, boolValue false, stringValue ""), messages that are set
    even when empty ("range": {}), the cells of a ValueRange (a ListValue keeps every value), and
    a SheetProperties' sheetId and index (Google sends them for the first sheet too)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                out[k] = _proto3(v, k)
                if out[k] == [] and isinstance(v, list):
                    del out[k]
            elif (k in _ONEOF_SCALARS or (key == "properties" and k in _ALWAYS_SENT)
                  or not (v is None or v is False or v == "" or (isinstance(v, (int, float)) and v == 0))):
                out[k] = v
        return out
    if isinstance(obj, list):
        if obj and all(isinstance(item, list) for item in obj):  # ValueRange.values
            return obj
        return [_proto3(item, key) for item in obj]
    return obj


def _as_list(value: Any) -> list:  # a query parameter given once or repeated
    return [] if value is None else [value] if isinstance(value, str) else list(value)


class Sheets:
    """FakeGoogle's Sheets: its test API and the requests it serves. Uses the state
    FakeGoogle.__init__ sets up (`_spreadsheets`, `_files`, `_quota`, `_lock`) and Drive's
    `_role` and `_touch` (a spreadsheet is a Drive file)."""

    # -- spreadsheets (test API)

    def add_spreadsheet(self, title: str = "Buku Agenda", worksheets: Iterable[str] = ("Sheet1",), *,
                        spreadsheet_id: str | None = None, parents: Iterable[str] = (),
                        shared: str | None = "writer", owner: str = OWNER, locale: str = "id_ID",
                        time_zone: str = "Asia/Jakarta", rows: int = 1000, cols: int = 26) -> str:
        """A spreadsheet owned by `owner`, shared with the service account as `shared` ("writer",
        "reader" or None); its first worksheet has sheetId 0, as on Google. Returns its id."""
        with self._lock:
            sid = spreadsheet_id or "1" + secrets.token_urlsafe(32)[:43]
            ss = _Spreadsheet(sid, title, locale, time_zone, owner)
            for name in worksheets:
                ss.apply("addSheet", {"properties": {"title": name, "gridProperties": {
                    "rowCount": rows, "columnCount": cols}}}, owner)
            self._spreadsheets[sid] = ss
            self._files[sid] = _File(sid, title, SPREADSHEET, list(parents), shared, owner=owner)
            return sid

    def add_worksheet(self, spreadsheet_id: str, title: str, rows: int = 1000, cols: int = 26) -> int:
        reply = self.apply(spreadsheet_id, [{"addSheet": {"properties": {
            "title": title, "gridProperties": {"rowCount": rows, "columnCount": cols}}}}])
        return reply[0]["addSheet"]["properties"]["sheetId"]

    def edit(self, spreadsheet_id: str, range_a1: str, values: list[list[Any]], *,
             user: str | None = None, input: str = "USER_ENTERED") -> None:
        """A person types values (the owner unless `user`; protections apply to others)."""
        with self._lock, self._change(spreadsheet_id) as ss:
            sheet, r0, r1, c0, c1, single = ss.resolve(range_a1)
            if single:
                r1, c1 = sheet.rows, sheet.cols
            ss.write(sheet, r0, r1, c0, c1, values, "ROWS", input, user or ss.owner, range_a1)

    def define_formula(self, spreadsheet_id: str, formula: str, shows: Any) -> None:
        """What `formula` (its exact text, "=IF(O2=\\"\\",\\"\\",TODAY())") shows from now on, where
        the fake cannot evaluate it: a value ("" for a formula showing nothing) or a
        SheetError("N_A", ...). Cells holding it already show it too. No Drive version change:
        a formula recalculating is not an edit."""
        with self._lock:
            ss = self._spreadsheets[spreadsheet_id]
            ss.formula_results[formula] = copy.deepcopy(shows)
            for sheet in ss.sheets:
                for cell in sheet.cells.values():
                    if cell.formula == formula:
                        cell.value = copy.deepcopy(shows)

    def apply(self, spreadsheet_id: str, requests: list[dict], *, user: str | None = None) -> list[dict]:
        """A person's spreadsheets.batchUpdate (sorting, inserting rows, ...); returns the replies."""
        with self._lock, self._change(spreadsheet_id) as ss:
            return self._batch(ss, requests, user or ss.owner)

    def values(self, spreadsheet_id: str, range_a1: str, render: str = "UNFORMATTED_VALUE",
               date_time_render: str = "SERIAL_NUMBER") -> list[list[Any]]:
        with self._lock:
            ss = self._spreadsheets[spreadsheet_id]
            sheet, r0, r1, c0, c1, _ = ss.resolve(range_a1)
            return ss.read(sheet, r0, r1, c0, c1, render, date_time_render, "ROWS")

    def cell(self, spreadsheet_id: str, a1: str) -> Cell:
        """A copy of one cell: value, formula, format, validation, note."""
        with self._lock:
            ss = self._spreadsheets[spreadsheet_id]
            sheet, r0, _, c0, _, _ = ss.resolve(a1)
            return copy.deepcopy(sheet.cells.get((r0, c0)) or Cell())

    def protected_ranges(self, spreadsheet_id: str, sheet: str | None = None) -> list[dict]:
        with self._lock:
            sheets = self._spreadsheets[spreadsheet_id].sheets
            return copy.deepcopy([p for s in sheets if sheet in (None, s.title) for p in s.protected])

    def conditional_formats(self, spreadsheet_id: str, sheet: str) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._spreadsheets[spreadsheet_id].sheet(sheet).rules)

    def sheet_properties(self, spreadsheet_id: str, sheet: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._spreadsheets[spreadsheet_id].sheet(sheet).props)

    def dimension_properties(self, spreadsheet_id: str, sheet: str, dimension: str = "COLUMNS") -> dict:
        """{index: properties} of the rows or columns that have some (pixelSize, hiddenByUser)."""
        with self._lock:
            return copy.deepcopy(self._spreadsheets[spreadsheet_id].sheet(sheet).dims[dimension])

    def _count_quota(self, user: str, kind: str) -> None:
        if self.sheets_quota_per_minute is None:
            return
        window, now = self._quota.setdefault((user, kind), deque()), time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.sheets_quota_per_minute:
            wait = int(window[0] + 60 - now) + 1
            raise ApiError(429, _quota_message(kind), headers={"Retry-After": str(wait)})
        window.append(now)

    # -- requests served

    def _spreadsheet(self, sid: str, user: str, write: bool) -> _Spreadsheet:
        f = self._files.get(sid)
        if sid not in self._spreadsheets or f is None:
            raise ApiError(404, "Requested entity was not found.")
        role = self._role(f) if user != self._spreadsheets[sid].owner else "writer"
        if role is None or (write and role != "writer"):
            raise ApiError(403, "The caller does not have permission")
        return self._spreadsheets[sid]

    @contextlib.contextmanager
    def _change(self, sid: str) -> Iterator[_Spreadsheet]:
        """All or nothing, like Google: a failing request leaves the spreadsheet as it was."""
        ss = self._spreadsheets[sid]
        # pickle, not deepcopy: ~10x faster on a full sheet, and only loaded when a request fails
        saved = pickle.dumps({k: v for k, v in vars(ss).items() if k != "ids"}, pickle.HIGHEST_PROTOCOL)
        try:
            yield ss
        except BaseException:
            vars(ss).update(pickle.loads(saved))
            raise
        self._touch(self._files[sid])

    def _batch(self, ss: _Spreadsheet, requests: list[dict], user: str) -> list[dict]:
        replies = []
        for i, request in enumerate(requests):
            if len(request) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request is expected.")
            (kind, body), = request.items()
            if not hasattr(ss, f"_rq_{kind}"):
                raise ApiError(400, f'Invalid JSON payload received. Unknown name "{kind}" at '
                                    f"'requests[{i}]': Cannot find field.")
            try:
                replies.append(ss.apply(kind, _prune(body or {}), user))
            except _Bad as error:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: {error}") from None
            except (KeyError, TypeError) as error:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: missing or wrong field {error}") from None
        return replies

    def _sheets(self, request: LoggedRequest, user: str) -> dict:
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(:batchUpdate|/values(?::(\w+)|/([^/]+?)(?::(\w+))?))?",
                         request.path)
        endpoint = m and {None: "", ":batchUpdate": ":batchUpdate"}.get(m[2], f"values:{m[3] or m[5] or ''}")
        handler = m and getattr(self, f"_{request.method.lower()}_{endpoint.replace(':', '_')}", None)
        if handler is None:
            raise ApiError(404, f"FakeGoogle has nothing at {request.method} {request.path}")
        write = request.method != "GET"
        ss = self._spreadsheet(m[1], user, write)
        args = (ss, request.query, request.body or {}, user, unquote(m[4] or ""))
        if not write:
            return _proto3(handler(*args))
        with self._change(ss.id):
            return _proto3(handler(*args))

    @staticmethod
    def _value_range(ss: _Spreadsheet, text: str, q: dict, prefix: str = "") -> dict:
        sheet, r0, r1, c0, c1, _ = ss.resolve(text)
        major = q.get(prefix + "majorDimension") or "ROWS"
        values = ss.read(sheet, r0, r1, c0, c1, q.get(f"{prefix}valueRenderOption") or "FORMATTED_VALUE",
                         q.get(f"{prefix}dateTimeRenderOption") or "SERIAL_NUMBER", major)
        return {"range": _a1(sheet.title, r0, r1, c0, c1), "majorDimension": major,
                **({"values": values} if values else {})}

    def _put(self, ss: _Spreadsheet, text: str, data: dict, options: dict, user: str) -> dict:
        sheet, r0, r1, c0, c1, single = ss.resolve(text)
        if single:  # a single cell is only the top-left corner of what is written
            r1, c1 = sheet.rows, sheet.cols
        height, width = ss.write(sheet, r0, r1, c0, c1, data.get("values", []),
                                 data.get("majorDimension") or "ROWS", options.get("valueInputOption"), user, text)
        written = _a1(sheet.title, r0, r0 + max(height, 1), c0, c0 + max(width, 1))
        reply = {"spreadsheetId": ss.id, "updatedRange": written, "updatedRows": height,
                 "updatedColumns": width, "updatedCells": height * width}
        if str(options.get("includeValuesInResponse")).lower() == "true":
            reply["updatedData"] = self._value_range(ss, reply["updatedRange"], options, "response")
        return reply

    def _get_(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        tree = parse_fields(q["fields"]) if "fields" in q else None
        # includeGridData is ignored when a field mask says what to return
        with_data = (str(q.get("includeGridData")).lower() == "true" if tree is None
                     else "sheets" in tree and (tree["sheets"] is None or "data" in tree["sheets"]))
        return apply_mask(ss.json(user, with_data, _as_list(q.get("ranges"))), tree)

    def _post__batchUpdate(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        return {"spreadsheetId": ss.id, "replies": self._batch(ss, body.get("requests", []), user)}

    def _get_values_(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        return self._value_range(ss, text, q)

    def _get_values_batchGet(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        ranges = [self._value_range(ss, t, q) for t in _as_list(q.get("ranges"))]
        return {"spreadsheetId": ss.id, **({"valueRanges": ranges} if ranges else {})}

    def _put_values_(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        return self._put(ss, text, body, q, user)

    def _post_values_batchUpdate(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        replies = []
        for i, data in enumerate(body.get("data", [])):
            try:
                replies.append(self._put(ss, data.get("range", ""), data, body, user))
            except ApiError as error:
                raise ApiError(400, f"Invalid data[{i}]: {error}") from None
        return {"spreadsheetId": ss.id, "totalUpdatedRows": sum(r["updatedRows"] for r in replies),
                "totalUpdatedColumns": sum(r["updatedColumns"] for r in replies),
                "totalUpdatedCells": sum(r["updatedCells"] for r in replies),
                "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in replies}),
                "responses": replies}

    def _post_values_append(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        # Google looks for a "table" in the range: the first run of rows holding values (a lone
        # cell: the run starting at it) and writes under it, from the range's first column on.
        # Its real detection is fuzzier (gspread #537: rows may start at another column).
        sheet, r0, r1, c0, c1, single = ss.resolve(text)
        r1, c1 = (sheet.rows, sheet.cols) if single else (r1, c1)
        filled = {r for (r, c), cell in sheet.cells.items() if r0 <= r < r1 and c0 <= c < c1 and cell.filled}
        first = r0 if single else min(filled, default=r0)
        start = first
        while start in filled:
            start += 1
        count = len(body.get("values", []))
        if q.get("insertDataOption") == "INSERT_ROWS":
            sheet.shift("ROWS", start, count)
        elif start + count > sheet.rows:  # the grid grows to make room
            sheet.props["gridProperties"]["rowCount"] = start + count
        updates = self._put(ss, f"{_quote_sheet(sheet.title)}!{col_letters(c0)}{start + 1}", body, q, user)
        table = {"tableRange": _a1(sheet.title, first, start, c0, c1)} if start > first else {}
        return {"spreadsheetId": ss.id, **table, "updates": updates}

    def _post_values_batchClear(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        cleared = []
        for each in body.get("ranges", [text]):
            sheet, r0, r1, c0, c1, _ = ss.resolve(each)
            ss.check_editable(sheet, r0, r1, c0, c1, user)
            for (r, c), cell in sheet.cells.items():
                if r0 <= r < r1 and c0 <= c < c1:
                    cell.value = cell.formula = None  # values go, formats and validation stay
            cleared.append(_a1(sheet.title, r0, r1, c0, c1))
        return {"spreadsheetId": ss.id, "clearedRanges": cleared}

    def _post_values_clear(self, ss: _Spreadsheet, q: dict, body: dict, user: str, text: str) -> dict:
        reply = self._post_values_batchClear(ss, q, {"ranges": [text]}, user, text)
        return {"spreadsheetId": ss.id, "clearedRange": reply["clearedRanges"][0]}
