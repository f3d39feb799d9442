"""`init` for the Google backend: prepare a spreadsheet shared with the service account.

Builds `Buku Agenda` and `Riwayat` like the .xlsx template (automation/agenda/template.py),
from the schema: header row (plain text), frozen row 1, checkboxes (BOOLEAN validation) in
tick columns, the `Jenis Berita` dropdown, date-time formats, widths, hidden `ID Sistem`,
header colours by role, shaded program columns, `Status` colours (conditional formatting) and
the protections of SPEC rule 7. Data is never overwritten: only what is missing is added.

On an existing spreadsheet init repairs what `check` asks it for: a missing `Riwayat` (with
its headers and protection), a missing optional column (`Pratinjau`: its header right of the
last column in use, laid out and protected), missing protections. What only a person can fix
— a required header missing above data rows, a header doubled, `Riwayat` with other headers
above data — is refused with what to change, and nothing is changed.

Requests: one `spreadsheets.get` (sheets, protections, conditional formats), one
`values:batchGet` (the agenda worksheet as entered, to see where its data ends, and the first
two rows of `Riwayat`), and at most one `spreadsheets.batchUpdate` holding everything. A
second run on a prepared sheet sends no write at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

from automation.agenda.cells import column_letter
from automation.agenda.google_store import GoogleSheetAgenda, quote_sheet
from automation.agenda.rows import layout_of
from automation.agenda.template import (HEADER_FILL, HISTORY_WIDTHS, PROGRAM_CELL_FILL,
                                        STATUS_COLOURS, WAITING_COLOURS)
from automation.config import Config
from automation.core import schema as S
from automation.core.workflow import Waiting
from automation.google_api import SHEETS_API
from automation.ports import AdapterError

PIXELS_PER_CHAR = 7                     # an .xlsx width (characters) in Google's pixels


def rgb(hex_colour: str) -> dict[str, float]:
    return {"red": int(hex_colour[0:2], 16) / 255, "green": int(hex_colour[2:4], 16) / 255,
            "blue": int(hex_colour[4:6], 16) / 255}


class InitRefused(Exception):
    """The spreadsheet holds data that init must not touch."""


@dataclass
class InitResult:
    requests: list[dict] = field(default_factory=list)
    done: list[str] = field(default_factory=list)       # what was added, for the summary


def store_of(cfg: Config) -> GoogleSheetAgenda:
    return GoogleSheetAgenda(cfg.agenda.spreadsheet_id, cfg.agenda.worksheet,
                             cfg.agenda.credentials_file, cfg.tz,
                             approval_columns=cfg.approval.columns, editors=cfg.approval.editors,
                             require_protection=cfg.approval.require_protection)


def init_google(cfg: Config, out: Callable[[str], None] = print,
                err: Callable[[str], None] = print) -> int:
    """Prepare the configured spreadsheet; 0 done (or nothing to do), 1 refused/failed."""
    store = store_of(cfg)
    try:
        result = prepare(store, cfg)
    except InitRefused as refusal:
        err(f"Refused: {refusal}")
        err("Nothing was changed. Fix the sheet by hand, or point agenda.spreadsheet_id / "
            "agenda.worksheet at an empty one, and run init again.")
        return 1
    except AdapterError as failure:
        err(f"init failed: {failure}")
        err(f"The spreadsheet and the media folders must be shared with {store.email} "
            "(Editor for the spreadsheet, Viewer for the folders).")
        return 1
    if result.requests:
        out(f"Prepared spreadsheet {cfg.agenda.spreadsheet_id}: " + "; ".join(result.done) + ".")
    else:
        out(f"Spreadsheet {cfg.agenda.spreadsheet_id} is already prepared; nothing changed.")
    out(f"Share the spreadsheet (Editor) and the media folders (Viewer) with the service account "
        f"{store.email}.")
    missing = [h for h in cfg.approval.columns if not cfg.approval.editors.get(h)]
    if missing:
        out("Note: approval.editors names nobody for " + ", ".join(missing)
            + "; only the service account (and the owner) can tick those columns.")
    return 0


def prepare(store: GoogleSheetAgenda, cfg: Config) -> InitResult:
    http, sid = store.http, store.spreadsheet_id
    with store._google("reading the spreadsheet"):
        meta = http.request("get", f"{SHEETS_API}/{sid}", params={"fields": (
            "sheets(properties(sheetId,title,gridProperties),protectedRanges,conditionalFormats)")}
            ).json()
    sheets = {(s.get("properties") or {}).get("title", ""): s for s in meta.get("sheets", [])}
    names = [n for n in (cfg.agenda.worksheet, S.HISTORY_SHEET) if n in sheets]
    tops: dict[str, list[list[Any]]] = {}
    if names:
        # The whole agenda (where its data ends: a column added goes right of it) and the top
        # of Riwayat; as entered (FORMULA), so that a formula showing nothing counts as data.
        with store._google("reading the header rows"):
            reply = http.values_batch_get(sid, [
                quote_sheet(n) if n == cfg.agenda.worksheet else f"{quote_sheet(n)}!1:2"
                for n in names], params={"valueRenderOption": "FORMULA",
                                         "majorDimension": "ROWS"})
        got = [r.get("values", []) for r in reply.get("valueRanges", [])]
        tops = dict(zip(names, got + [[]] * (len(names) - len(got))))

    result = InitResult()
    columns = S.agenda_columns(cfg.approval.columns)
    _agenda(result, store, cfg, columns, sheets.get(cfg.agenda.worksheet),
            tops.get(cfg.agenda.worksheet, []))
    _history(result, store, sheets.get(S.HISTORY_SHEET), tops.get(S.HISTORY_SHEET, []))
    if result.requests:
        with store._google("preparing the spreadsheet"):
            http.request("post", f"{SHEETS_API}/{sid}:batchUpdate",
                         json={"requests": result.requests})
    return result


# ----------------------------------------------------------------------------- pieces

def _new_sheet(result: InitResult, title: str, columns: int) -> int:
    sheet_id = secrets.randbelow(1_000_000_000) + 1
    result.requests.append({"addSheet": {"properties": {
        "sheetId": sheet_id, "title": title,
        "gridProperties": {"rowCount": 1000, "columnCount": columns, "frozenRowCount": 1}}}})
    result.done.append(f"worksheet '{title}' added")
    return sheet_id


def _header_cells(result: InitResult, sheet_id: int, start: int, headers: list[str],
                  fills: list[str]) -> None:
    result.requests.append({"updateCells": {
        "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": start},
        "rows": [{"values": [{
            "userEnteredValue": {"stringValue": h},        # text, never a formula
            "userEnteredFormat": {"backgroundColor": rgb(fill), "textFormat": {"bold": True},
                                  "wrapStrategy": "WRAP", "verticalAlignment": "MIDDLE"}}
            for h, fill in zip(headers, fills)]}],
        "fields": "userEnteredValue,userEnteredFormat(backgroundColor,textFormat.bold,"
                  "wrapStrategy,verticalAlignment)"}})


def _sheet_id(sheet: dict) -> int:
    """A worksheet's id; 0 (the first worksheet's) when Google's JSON leaves it out."""
    return (sheet.get("properties") or {}).get("sheetId", 0)


def _column_range(sheet_id: int, col: int, data_only: bool = True) -> dict:
    grid = {"sheetId": sheet_id, "startColumnIndex": col, "endColumnIndex": col + 1}
    if data_only:
        grid["startRowIndex"] = 1
    return grid


def _existing_header(top: list[list[Any]]) -> tuple[list[Any], bool]:
    header = list(top[0]) if top else []
    has_data = any(v not in (None, "") for row in top[1:] for v in row)
    return header, has_data


def _header_fix(title: str, header: list[Any], lacking: list[str], duplicated: list[str],
                has_data: bool) -> str:
    """What a person must change in the header row, precisely."""
    fixes = [f"add a column headed '{h}' in row 1 (anywhere: columns are found by their header)"
             for h in lacking]
    for h in duplicated:
        where = [column_letter(i) for i, x in enumerate(header)
                 if S.normalise_header(x) == S.normalise_header(h)]
        fixes.append(f"header '{h}' is in columns {', '.join(where)}: rename or remove all but "
                     "one")
    why = ("it holds data rows, and init never rewrites a sheet holding data" if has_data
           else "init cannot tell which column is meant")
    return f"worksheet '{title}' needs a change by hand ({why}): " + "; ".join(fixes)


def _agenda(result: InitResult, store: GoogleSheetAgenda, cfg: Config,
            columns: tuple[S.Column, ...], sheet: dict | None, top: list[list[Any]]) -> None:
    title = cfg.agenda.worksheet
    header, has_data = _existing_header(top)
    layout = layout_of(header)
    norm = [S.normalise_header(h) for h in header]
    count = {c.header: norm.count(S.normalise_header(c.header)) for c in columns}
    duplicated = [h for h, n in count.items() if n > 1]
    # Under data rows only an optional column (Pratinjau) is added: the agenda worked
    # without it, so nothing in the rows can belong to it.
    lacking = [c.header for c in columns if count[c.header] == 0 and not c.optional]
    if duplicated or (lacking and has_data):
        raise InitRefused(_header_fix(title, header, lacking if has_data else [], duplicated,
                                      has_data))
    fresh = sheet is None
    if fresh:
        sheet_id = _new_sheet(result, title, len(columns))
        grid = {"columnCount": len(columns), "frozenRowCount": 1}
    else:
        sheet_id = _sheet_id(sheet)
        grid = sheet["properties"].get("gridProperties", {})
    # Missing headers go after the last one present (all of them on an empty sheet), and
    # right of any cell in use, so that no data ends up under a new header.
    width = len(header)
    while width and header[width - 1] in (None, ""):
        width -= 1
    width = max([width, *(len(r) for r in top[1:])])
    missing = [c for c in columns if count[c.header] == 0]
    if missing:
        needed = width + len(missing)
        if not fresh and grid.get("columnCount", 0) < needed:
            result.requests.append({"updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"columnCount": needed}},
                "fields": "gridProperties.columnCount"}})
        _header_cells(result, sheet_id, width, [c.header for c in missing],
                      [HEADER_FILL[c.role] for c in missing])
        for i, c in enumerate(missing):
            layout[S.normalise_header(c.header)] = width + i
        if len(missing) < len(columns):
            result.done.append(f"column{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(repr(c.header) for c in missing)} added after the "
                               f"last column of '{title}'")
        else:
            result.done.append(f"headers written in '{title}'")
    if not fresh and grid.get("frozenRowCount", 0) < 1:
        result.requests.append({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount"}})
    at = {c.header: layout[S.normalise_header(c.header)] for c in columns}

    if fresh or not (sheet or {}).get("conditionalFormats"):
        _agenda_layout(result, sheet_id, cfg, columns, at)
        result.done.append(f"checkboxes, dropdown, formats, widths and colours in '{title}'")
    elif missing:                   # a prepared sheet: only the added columns are laid out
        _agenda_layout(result, sheet_id, cfg, tuple(missing), at, status_rules=False)
    _protections(result, store, cfg, columns, at, sheet_id,
                 [] if fresh else sheet.get("protectedRanges", []))


def _agenda_layout(result: InitResult, sheet_id: int, cfg: Config,
                   columns: tuple[S.Column, ...], at: dict[str, int],
                   status_rules: bool = True) -> None:
    rq = result.requests
    for c in columns:
        col = at[c.header]
        props: dict[str, Any] = {"pixelSize": c.width * PIXELS_PER_CHAR}
        fields = "pixelSize"
        if c.hidden:
            props["hiddenByUser"] = True
            fields += ",hiddenByUser"
        rq.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col,
                      "endIndex": col + 1}, "properties": props, "fields": fields}})
        fmt: dict[str, Any] = {}
        if c.role is S.Role.PROGRAM:
            fmt["backgroundColor"] = rgb(PROGRAM_CELL_FILL)
        if c.kind is S.Kind.DATETIME:
            fmt["numberFormat"] = {"type": "DATE_TIME", "pattern": S.DATETIME_FORMAT}
        elif c.kind is S.Kind.LONG_TEXT:
            fmt.update(wrapStrategy="WRAP", verticalAlignment="TOP")
        elif c.kind is S.Kind.TICK:
            fmt["horizontalAlignment"] = "CENTER"
        if fmt:
            rq.append({"repeatCell": {"range": _column_range(sheet_id, col),
                                      "cell": {"userEnteredFormat": fmt},
                                      "fields": ",".join(f"userEnteredFormat.{k}" for k in fmt)}})
        if c.kind is S.Kind.TICK:
            # Not strict: typed ticks such as ✓ or "ya" are accepted too (SPEC section 2).
            rq.append({"setDataValidation": {"range": _column_range(sheet_id, col), "rule": {
                "condition": {"type": "BOOLEAN"}, "strict": False, "showCustomUi": True,
                "inputMessage": "Centang bila disetujui."}}})
        elif c.kind is S.Kind.CHOICE:
            rq.append({"setDataValidation": {"range": _column_range(sheet_id, col), "rule": {
                "condition": {"type": "ONE_OF_LIST", "values": [
                    {"userEnteredValue": t} for t in cfg.agenda.news_types]},
                "strict": True, "showCustomUi": True, "inputMessage": "Pilih dari daftar."}}})
    if not status_rules:
        return
    status = _column_range(sheet_id, at[S.STATUS])
    rules = [("TEXT_EQ", s, colours) for s, colours in STATUS_COLOURS.items()]
    rules.append(("TEXT_STARTS_WITH", Waiting.PREFIX, WAITING_COLOURS))
    for index, (kind, text, (fill, font)) in enumerate(rules):
        rq.append({"addConditionalFormatRule": {"index": index, "rule": {
            "ranges": [status], "booleanRule": {
                "condition": {"type": kind, "values": [{"userEnteredValue": text}]},
                "format": {"backgroundColor": rgb(fill),
                           "textFormat": {"foregroundColor": rgb(font)}}}}}})


def _exact(protection: dict, sheet_id: int, col: int) -> bool:
    """The protection is of exactly column `col`, all rows. Google's JSON leaves out a field
    holding its default (proto3): a missing sheetId or start index is 0 (column A, the first
    worksheet); a missing end index is unbounded."""
    g = protection.get("range") or {}
    return (g.get("sheetId", 0) == sheet_id and g.get("startColumnIndex", 0) == col
            and g.get("endColumnIndex") == col + 1 and g.get("startRowIndex", 0) == 0
            and "endRowIndex" not in g)


def _protections(result: InitResult, store: GoogleSheetAgenda, cfg: Config,
                 columns: tuple[S.Column, ...], at: dict[str, int], sheet_id: int,
                 existing: list[dict]) -> None:
    me = store.email
    wanted: list[tuple[str, list[str]]] = []
    for c in columns:
        if c.header in cfg.approval.columns:
            wanted.append((c.header, list(dict.fromkeys(
                [*cfg.approval.editors.get(c.header, ()), me]))))
        elif c.role is S.Role.PROGRAM:
            wanted.append((c.header, [me]))
    added = 0
    for header, users in wanted:
        col = at[header]
        description = (f"{header}: hanya pejabat yang ditetapkan" if header in cfg.approval.columns
                       else f"{header}: diisi program")
        body = {"range": {"sheetId": sheet_id, "startColumnIndex": col, "endColumnIndex": col + 1},
                "description": description, "warningOnly": False, "editors": {"users": users}}
        same = [p for p in existing if _exact(p, sheet_id, col)]
        if not same:
            result.requests.append({"addProtectedRange": {"protectedRange": body}})
            added += 1
            continue
        p = same[0]
        shown = {u.lower() for u in (p.get("editors") or {}).get("users", [])}
        extra = shown - {u.lower() for u in users} - {store._spreadsheet_owner() or ""}
        right = (not p.get("warningOnly") and "editors" in p and not extra
                 and {u.lower() for u in users} <= shown
                 and not (p.get("editors") or {}).get("groups")
                 and not (p.get("editors") or {}).get("domainUsersCanEdit"))
        if not right and "editors" in p:
            result.requests.append({"updateProtectedRange": {
                "protectedRange": {**body, "protectedRangeId": p.get("protectedRangeId", 0)},
                "fields": "description,warningOnly,editors"}})
            added += 1
    if added:
        result.done.append(f"{added} column protection(s) set")


def _history(result: InitResult, store: GoogleSheetAgenda, sheet: dict | None,
             top: list[list[Any]]) -> None:
    header, has_data = _existing_header(top)
    shown = [str(v or "").strip() for v in header[:len(S.HISTORY_HEADERS)]]
    right = shown == list(S.HISTORY_HEADERS)
    if not right and (has_data or any(shown)):
        raise InitRefused(f"worksheet '{S.HISTORY_SHEET}' must have the headers "
                          f"{', '.join(S.HISTORY_HEADERS)} in A1:E1 but shows "
                          f"{', '.join(shown) or 'nothing'} above data: type them there by "
                          f"hand, or rename that worksheet so that init adds a new "
                          f"'{S.HISTORY_SHEET}'")
    fresh = sheet is None
    sheet_id = (_new_sheet(result, S.HISTORY_SHEET, len(S.HISTORY_HEADERS)) if fresh
                else _sheet_id(sheet))
    if not right:
        _header_cells(result, sheet_id, 0, list(S.HISTORY_HEADERS),
                      [HEADER_FILL[S.Role.PROGRAM]] * len(S.HISTORY_HEADERS))
    if not fresh and (sheet.get("properties") or {}).get("gridProperties", {}).get(
            "frozenRowCount", 0) < 1:
        result.requests.append({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount"}})
    # The trail of who-did-what is the program's to write: people may read, not edit, it.
    if not any(set(p.get("range") or {}) <= {"sheetId"} for p in (sheet or {}).get(
            "protectedRanges", [])):
        result.requests.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": sheet_id}, "description": f"{S.HISTORY_SHEET}: diisi program",
            "warningOnly": False, "editors": {"users": [store.email]}}}})
        result.done.append(f"'{S.HISTORY_SHEET}' protected")
    if right:
        return
    for i, h in enumerate(S.HISTORY_HEADERS):
        width = HISTORY_WIDTHS.get(h) or S.BY_HEADER[h].width
        result.requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i,
                      "endIndex": i + 1},
            "properties": {"pixelSize": width * PIXELS_PER_CHAR}, "fields": "pixelSize"}})
    result.requests.append({"repeatCell": {
        "range": _column_range(sheet_id, 0),
        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME",
                                                        "pattern": S.DATETIME_FORMAT}}},
        "fields": "userEnteredFormat.numberFormat"}})
    result.done.append(f"'{S.HISTORY_SHEET}' headers and formats written")


__all__ = ["init_google", "prepare", "store_of", "InitRefused", "column_letter"]
