"""A spreadsheet as Google keeps it: sheets of cells, protections, conditional formats, and
the requests of spreadsheets.batchUpdate, each applied as Google applies it."""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import secrets
from typing import Any

from .cells import (Cell, SheetError, _a1, _evaluate, _extended_value, _number_format,
                    _parse_user_entered, _render, col_index, col_letters)
from .common import ApiError, _assign, parse_fields

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
    "to remove protection if you need to edit."
)


class _Bad(Exception):
    """A faulty batchUpdate request; becomes 400 "Invalid requests[i].kind: message"."""


def _bad_range(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


# ----------------------------------------------------------------------------- spreadsheets

class _Sheet:
    def __init__(self, sheet_id: int, title: str, index: int, rows: int, cols: int):
        self.props: dict = {"sheetId": sheet_id, "title": title, "index": index, "sheetType": "GRID",
                            "gridProperties": {"rowCount": rows, "columnCount": cols}}
        self.cells: dict[tuple[int, int], Cell] = {}
        self.dims: dict[str, dict[int, dict]] = {"ROWS": {}, "COLUMNS": {}}
        self.protected: list[dict] = []
        self.rules: list[dict] = []  # conditional formats

    id = property(lambda self: self.props["sheetId"])
    title = property(lambda self: self.props["title"])
    rows = property(lambda self: self.props["gridProperties"]["rowCount"])
    cols = property(lambda self: self.props["gridProperties"]["columnCount"])

    def size(self, dimension: str) -> int:
        return self.rows if dimension == "ROWS" else self.cols

    def cell(self, row: int, col: int) -> Cell:
        return self.cells.setdefault((row, col), Cell())

    def last_row(self) -> int:
        """One past the last row holding a value."""
        return max((r + 1 for (r, _), cell in self.cells.items() if cell.filled), default=0)

    def shift(self, dimension: str, at: int, count: int) -> None:
        """Insert (count > 0) or delete (count < 0) rows or columns at `at`, moving what follows:
        cells, row/column properties, and the ranges of protections and conditional formats."""
        end = at - count

        def move(k: int) -> int | None:
            if count > 0:
                return k + count if k >= at else k
            return None if at <= k < end else (k + count if k >= end else k)

        axis = 0 if dimension == "ROWS" else 1
        moved = {}
        for key, cell in self.cells.items():
            k = move(key[axis])
            if k is not None:
                moved[(k, key[1]) if axis == 0 else (key[0], k)] = cell
        self.cells = moved
        self.dims[dimension] = {move(k): v for k, v in self.dims[dimension].items() if move(k) is not None}
        lo, hi = ("startRowIndex", "endRowIndex") if axis == 0 else ("startColumnIndex", "endColumnIndex")

        def adjust(grid: dict) -> bool:  # False once the range has been deleted entirely
            if grid.get("sheetId", 0) != self.id:
                return True
            for key in (lo, hi):
                if key in grid:
                    x = grid[key]
                    if count > 0:  # rows inserted inside a range widen it
                        grid[key] = x + count if (x >= at if key == lo else x > at) else x
                    else:
                        grid[key] = x if x <= at else (at if x <= end else x + count)
            return not (lo in grid and hi in grid and grid[hi] <= grid[lo])

        self.protected = [p for p in self.protected if adjust(p["range"])]
        for p in self.protected:
            if "unprotectedRanges" in p:
                p["unprotectedRanges"] = [u for u in p["unprotectedRanges"] if adjust(u)]
        for rule in self.rules:
            rule["ranges"] = [g for g in rule["ranges"] if adjust(g)]
        self.rules = [rule for rule in self.rules if rule["ranges"]]
        self.props["gridProperties"]["rowCount" if axis == 0 else "columnCount"] += count


class _Spreadsheet:
    def __init__(self, spreadsheet_id: str, title: str, locale: str, time_zone: str, owner: str):
        self.id, self.owner = spreadsheet_id, owner.lower()
        self.props = {"title": title, "locale": locale, "autoRecalc": "ON_CHANGE", "timeZone": time_zone}
        self.sheets: list[_Sheet] = []
        self.ids = itertools.count(1_000_001)  # protectedRangeIds
        self.formula_results: dict[str, Any] = {}  # formula text -> what it shows (define_formula)

    def sheet(self, key: int | str) -> _Sheet:
        for sheet in self.sheets:
            if (sheet.id if isinstance(key, int) else sheet.title) == key:
                return sheet
        raise _Bad(f"No grid with id: {key}" if isinstance(key, int) else f"No sheet named {key!r}")

    def resolve(self, text: str) -> tuple[_Sheet, int, int, int, int, bool]:
        """An A1 range: (sheet, r0, r1, c0, c1, single_cell). Ends are exclusive; a missing end
        (`A2:V`, `A:A`, `'Buku Agenda'`) runs to the end of the grid."""
        name, cells = None, text
        if text.startswith("'"):  # quoted sheet name, '' stands for '
            m = re.match(r"'((?:[^']|'')*)'(?:!(.*))?$", text, re.S)
            if not m:
                raise _bad_range(text)
            name, cells = m[1].replace("''", "'"), m[2]
        elif "!" in text:
            name, cells = text.split("!", 1)
        elif any(sheet.title == text for sheet in self.sheets):
            name, cells = text, None
        try:
            sheet = self.sheet(name) if name is not None else self.sheets[0]
        except _Bad:
            raise _bad_range(text) from None
        if not cells:
            return sheet, 0, sheet.rows, 0, sheet.cols, False
        parts = cells.split(":")
        matches = [re.fullmatch(r"\$?([A-Za-z]{0,3})\$?(\d*)", p) for p in parts]
        if len(parts) > 2 or not all(m and (m[1] or m[2]) and m[2] != "0" for m in matches):
            raise _bad_range(text)
        (ca, ra), (cb, rb) = matches[0].groups(), matches[-1].groups()
        c0, r0 = (col_index(ca) if ca else 0), (int(ra) - 1 if ra else 0)
        c1, r1 = (col_index(cb) + 1 if cb else sheet.cols), (int(rb) if rb else sheet.rows)
        if len(parts) == 2 and (r1 <= r0 or c1 <= c0):  # Google reads B2:A1 as A1:B2
            if ra and rb and r1 <= r0:
                r0, r1 = r1 - 1, r0 + 1
            if ca and cb and c1 <= c0:
                c0, c1 = c1 - 1, c0 + 1
        if r1 > sheet.rows or c1 > sheet.cols or r0 >= sheet.rows or c0 >= sheet.cols:
            raise ApiError(400, f"Range ({text}) exceeds grid limits. Max rows: {sheet.rows}, "
                                f"max columns: {sheet.cols}")
        return sheet, r0, r1, c0, c1, len(parts) == 1 and bool(ca and ra)

    def grid(self, grid: dict) -> tuple[_Sheet, int, int, int, int]:
        sheet = self.sheet(grid.get("sheetId", 0))
        r0, r1 = grid.get("startRowIndex", 0), grid.get("endRowIndex", sheet.rows)
        c0, c1 = grid.get("startColumnIndex", 0), grid.get("endColumnIndex", sheet.cols)
        if not (0 <= r0 <= r1 <= sheet.rows and 0 <= c0 <= c1 <= sheet.cols):
            raise _Bad(f"Range ({_a1(sheet.title, r0, r1, c0, c1)}) exceeds grid limits. "
                       f"Max rows: {sheet.rows}, max columns: {sheet.cols}")
        return sheet, r0, r1, c0, c1

    # -- protections

    def editors(self, protection: dict) -> set[str]:
        users = {u.lower() for u in protection.get("editors", {}).get("users", [])}
        return users | {self.owner}

    def can_edit(self, protection: dict, user: str) -> bool:
        return protection.get("warningOnly", False) or user.lower() in self.editors(protection)

    def check_editable(self, sheet: _Sheet, r0: int, r1: int, c0: int, c1: int, user: str) -> None:
        """400 when `user` may not edit some cell of the block (warningOnly enforces nothing)."""
        for p in sheet.protected:
            if self.can_edit(p, user):
                continue
            g = p["range"]
            pr0, pr1 = g.get("startRowIndex", 0), g.get("endRowIndex", sheet.rows)
            pc0, pc1 = g.get("startColumnIndex", 0), g.get("endColumnIndex", sheet.cols)
            for r in range(max(r0, pr0), min(r1, pr1)):
                for c in range(max(c0, pc0), min(c1, pc1)):
                    if not any(u.get("startRowIndex", 0) <= r < u.get("endRowIndex", sheet.rows)
                               and u.get("startColumnIndex", 0) <= c < u.get("endColumnIndex", sheet.cols)
                               for u in p.get("unprotectedRanges", [])):
                        raise ApiError(400, PROTECTED_MESSAGE)

    def visible(self, protection: dict, user: str) -> dict:
        shown = copy.deepcopy(protection)
        if self.can_edit(protection, user):
            shown["requestingUserCanEdit"] = True
        else:  # editors are shown only to those who may edit the range
            shown.pop("editors", None)
        return shown

    def normalise_editors(self, protection: dict, user: str, adding: bool) -> None:
        if protection.get("warningOnly"):
            protection.pop("editors", None)
            return
        protection.pop("warningOnly", None)  # false is left out, as proto3 JSON does
        editors = protection.get("editors")
        # Without editors the requester keeps the right to edit; the owner always keeps it.
        users = list(editors.get("users", [])) if editors else ([user] if adding else [])
        if self.owner not in {u.lower() for u in users}:
            users.append(self.owner)
        protection["editors"] = {**(editors or {}), "users": users}

    # -- values

    def read(self, sheet: _Sheet, r0: int, r1: int, c0: int, c1: int, render: str, dt_render: str,
             major: str) -> list[list]:
        """Values as Google sends them: trailing empty cells and rows left out."""
        locale = self.props["locale"]
        last = max((r + 1 for (r, c), cell in sheet.cells.items()
                    if r0 <= r < r1 and c0 <= c < c1 and cell.filled), default=r0)
        rows = [[_render(sheet.cells.get((r, c)), render, dt_render, locale) for c in range(c0, c1)]
                for r in range(r0, last)]
        if major == "COLUMNS":
            rows = [list(col) for col in zip(*rows)] if rows else []
        for row in rows:
            while row and row[-1] == "":
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def write(self, sheet: _Sheet, r0: int, r1: int, c0: int, c1: int, values: Any, major: str,
              option: str, user: str, label: str) -> tuple[int, int]:
        """Writes a block of values; null leaves a cell alone, "" empties it. Returns its size."""
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, f"Invalid valueInputOption: {option or 'INPUT_VALUE_OPTION_UNSPECIFIED'}")
        if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
            raise ApiError(400, "Invalid value at 'data.values' (type.googleapis.com/"
                                "google.protobuf.ListValue)")
        if major == "COLUMNS":
            values = [list(row) for row in itertools.zip_longest(*values)]
        height, width = len(values), max((len(row) for row in values), default=0)
        if r0 + height > sheet.rows or c0 + width > sheet.cols:
            raise ApiError(400, f"Range ({label}) exceeds grid limits. Max rows: {sheet.rows}, "
                                f"max columns: {sheet.cols}")
        if r0 + height > r1:
            raise ApiError(400, f"Requested writing within range [{label}], but tried writing to "
                                f"row [{r0 + height}]")
        if c0 + width > c1:
            raise ApiError(400, f"Requested writing within range [{label}], but tried writing to "
                                f"column [{col_letters(c0 + width - 1)}]")
        self.check_editable(sheet, r0, r0 + height, c0, c0 + width, user)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if isinstance(value, (dict, list)):
                    raise ApiError(400, f"Invalid values[{i}][{j}]: {json.dumps(value)[:60]}")
                if value is not None:
                    self.set_value(sheet.cell(r0 + i, c0 + j), value, option)
        return height, width

    def set_value(self, cell: Cell, value: Any, option: str) -> None:
        cell.formula = None
        if not isinstance(value, str) or option == "RAW" or _number_format(cell).get("type") == "TEXT":
            # RAW keeps strings as strings ("=1+1", "1/2026", "TRUE"); so does a plain-text cell.
            cell.value = None if value == "" else value
            return
        cell.value, cell.formula, number_format = _parse_user_entered(value, self.props["locale"],
                                                                      self.formula_results)
        if number_format and not _number_format(cell):
            cell.format["numberFormat"] = number_format

    def set_cell_data(self, cell: Cell, data: dict, tree: dict | None) -> None:
        """CellData under a `fields` mask (repeatCell, updateCells, appendCells)."""
        keys = ("userEnteredValue", "userEnteredFormat", "dataValidation", "note")
        for key, sub in ({k: None for k in keys} if tree is None or "*" in tree else tree).items():
            if key == "userEnteredValue":
                entered = data.get(key) or {}
                if "formulaValue" in entered:
                    formula = entered["formulaValue"]
                    cell.value, cell.formula = _evaluate(formula, self.formula_results), formula
                else:
                    kinds = ("stringValue", "numberValue", "boolValue")
                    value = next((v for k, v in entered.items() if k in kinds), "")
                    self.set_value(cell, value, "RAW")
            elif key == "userEnteredFormat":
                _assign(cell.format, data.get(key) or {}, sub)
            elif key == "dataValidation":
                cell.validation = copy.deepcopy(data.get(key))
            elif key == "note":
                cell.note = data.get(key)
            else:
                raise _Bad(f"Invalid field mask: {key}")

    # -- JSON views

    def grid_data(self, sheet: _Sheet, r0: int, r1: int, c0: int, c1: int) -> dict:
        locale, rows = self.props["locale"], []
        last = max((r + 1 for (r, c) in sheet.cells if r0 <= r < r1 and c0 <= c < c1), default=r0)
        for r in range(r0, last):
            values = []
            for c in range(c0, c1):
                cell, data = sheet.cells.get((r, c)), {}
                if cell:
                    for key, value in (("userEnteredValue", _extended_value(cell, False)),
                                       ("effectiveValue", _extended_value(cell, True)),
                                       ("formattedValue", _render(cell, "FORMATTED_VALUE", "", locale)
                                        if cell.filled else None),
                                       ("userEnteredFormat", cell.format or None),
                                       ("dataValidation", cell.validation), ("note", cell.note)):
                        if value is not None:
                            data[key] = copy.deepcopy(value)
                values.append(data)
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        while rows and not rows[-1]:
            rows.pop()

        def metadata(dimension: str, start: int, stop: int, size: int) -> list[dict]:
            return [{"pixelSize": size, **sheet.dims[dimension].get(i, {})} for i in range(start, stop)]

        return {"startRow": r0, "startColumn": c0, "rowData": rows,
                "rowMetadata": metadata("ROWS", r0, r1, 21), "columnMetadata": metadata("COLUMNS", c0, c1, 100)}

    def json(self, user: str, with_data: bool, ranges: list[str]) -> dict:
        sheets, wanted = [], [self.resolve(text) for text in ranges]
        for sheet in self.sheets:
            if wanted and not any(w[0] is sheet for w in wanted):
                continue  # with `ranges`, only the sheets they name are returned
            item: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
            if with_data:
                blocks = [w[1:5] for w in wanted if w[0] is sheet] or [(0, sheet.rows, 0, sheet.cols)]
                item["data"] = [self.grid_data(sheet, *block) for block in blocks]
            if sheet.protected:
                item["protectedRanges"] = [self.visible(p, user) for p in sheet.protected]
            if sheet.rules:
                item["conditionalFormats"] = copy.deepcopy(sheet.rules)
            sheets.append(item)
        return {"spreadsheetId": self.id, "properties": copy.deepcopy(self.props), "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit"}

    # -- spreadsheets.batchUpdate requests; each returns its reply

    def apply(self, kind: str, body: dict, user: str) -> dict:
        return getattr(self, f"_rq_{kind}")(body, user) or {}

    def _rq_addSheet(self, body: dict, user: str) -> dict:
        props = copy.deepcopy(body.get("properties", {}))
        title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
        if any(s.title.lower() == title.lower() for s in self.sheets):  # names are case-insensitive
            raise _Bad(f'A sheet with the name "{title}" already exists. Please enter another name.')
        sheet_id = props.get("sheetId", secrets.randbelow(2_000_000_000) if self.sheets else 0)
        grid = props.pop("gridProperties", {})
        sheet = _Sheet(sheet_id, title, 0, grid.get("rowCount", 1000), grid.get("columnCount", 26))
        sheet.props["gridProperties"].update(grid)
        sheet.props.update({k: v for k, v in props.items() if k not in ("sheetId", "title", "index")})
        self.sheets.insert(min(props.get("index", len(self.sheets)), len(self.sheets)), sheet)
        for index, s in enumerate(self.sheets):
            s.props["index"] = index
        return {"addSheet": {"properties": copy.deepcopy(sheet.props)}}

    def _rq_deleteSheet(self, body: dict, user: str) -> None:
        sheet = self.sheet(body.get("sheetId", 0))
        if len(self.sheets) == 1:
            raise _Bad("You can't remove all the sheets in a document.")
        if any(not self.can_edit(p, user) for p in sheet.protected):  # its protections go with it
            raise ApiError(400, PROTECTED_MESSAGE)
        self.sheets.remove(sheet)
        for index, s in enumerate(self.sheets):
            s.props["index"] = index

    def _rq_updateSheetProperties(self, body: dict, user: str) -> None:
        if not body.get("fields"):
            raise _Bad("At least one field must be updated, but none was specified.")
        sheet = self.sheet(body.get("properties", {}).get("sheetId", 0))
        props = copy.deepcopy(sheet.props)
        _assign(props, body["properties"], parse_fields(body["fields"]))
        props["sheetId"] = sheet.id
        grid = props.setdefault("gridProperties", {})
        title = str(props.get("title", ""))
        if any(s is not sheet and s.title.lower() == title.lower() for s in self.sheets):
            raise _Bad(f'A sheet with the name "{title}" already exists. Please enter another name.')
        for key, dimension in (("rowCount", "ROWS"), ("columnCount", "COLUMNS")):
            size = grid.setdefault(key, sheet.size(dimension))
            if size < sheet.size(dimension):
                sheet.shift(dimension, size, size - sheet.size(dimension))
        if grid.get("frozenRowCount", 0) >= grid["rowCount"]:
            raise _Bad("You can't freeze all visible rows on the sheet.")
        sheet.props = props

    def _rq_updateDimensionProperties(self, body: dict, user: str) -> None:
        grid = body["range"]
        sheet, dimension = self.sheet(grid.get("sheetId", 0)), grid.get("dimension", "ROWS")
        tree = parse_fields(body.get("fields") or "*")
        for i in range(grid.get("startIndex", 0), grid.get("endIndex", sheet.size(dimension))):
            _assign(sheet.dims[dimension].setdefault(i, {}), body.get("properties", {}), tree)

    def _rq_insertDimension(self, body: dict, user: str) -> None:
        grid = body["range"]
        sheet, dimension = self.sheet(grid.get("sheetId", 0)), grid.get("dimension", "ROWS")
        start, end = grid.get("startIndex", 0), grid["endIndex"]
        before = body.get("inheritFromBefore", False)
        if before and start == 0:
            raise _Bad("Cannot inherit from before the first row or column.")
        sheet.shift(dimension, start, end - start)
        source = start - 1 if before else end  # new rows take the neighbour's format and validation
        for (r, c), cell in list(sheet.cells.items()):
            if (r if dimension == "ROWS" else c) == source:
                for k in range(start, end):
                    sheet.cells[(k, c) if dimension == "ROWS" else (r, k)] = Cell(
                        format=copy.deepcopy(cell.format), validation=copy.deepcopy(cell.validation))

    def _rq_deleteDimension(self, body: dict, user: str) -> None:
        grid = body["range"]
        sheet, dimension = self.sheet(grid.get("sheetId", 0)), grid.get("dimension", "ROWS")
        start, end = grid.get("startIndex", 0), grid.get("endIndex", sheet.size(dimension))
        if end - start >= sheet.size(dimension):
            raise _Bad(f"You can't delete all the {dimension.lower()} on the sheet.")
        if dimension == "ROWS":
            self.check_editable(sheet, start, end, 0, sheet.cols, user)
        else:
            self.check_editable(sheet, 0, sheet.rows, start, end, user)
        sheet.shift(dimension, start, start - end)

    def _rq_sortRange(self, body: dict, user: str) -> None:
        sheet, r0, r1, c0, c1 = self.grid(body["range"])
        self.check_editable(sheet, r0, r1, c0, c1, user)
        specs = [(spec.get("dimensionIndex", 0), spec.get("sortOrder") == "DESCENDING")
                 for spec in body.get("sortSpecs", [])]

        def key(row: dict, col: int) -> tuple | None:
            cell = row.get(col)
            if cell is None or not cell.filled:
                return None
            v = cell.value  # numbers sort before text, text before booleans
            return ((2, v) if isinstance(v, bool) else (0, v) if isinstance(v, (int, float))
                    else (3, str(v)) if isinstance(v, SheetError) else (1, str(v).casefold()))

        def compare(a: dict, b: dict) -> int:
            for col, descending in specs:
                ka, kb = key(a, col), key(b, col)
                if ka == kb:
                    continue
                if ka is None or kb is None:  # blank cells go last, whichever the order
                    return 1 if ka is None else -1
                return (1 if ka > kb else -1) * (-1 if descending else 1)
            return 0

        rows = [{c: sheet.cells.pop((r, c)) for c in range(c0, c1) if (r, c) in sheet.cells}
                for r in range(r0, r1)]
        for r, row in enumerate(sorted(rows, key=functools.cmp_to_key(compare)), start=r0):
            sheet.cells.update({(r, c): cell for c, cell in row.items()})

    def _rq_setDataValidation(self, body: dict, user: str) -> None:
        sheet, r0, r1, c0, c1 = self.grid(body["range"])
        self.check_editable(sheet, r0, r1, c0, c1, user)
        for r in range(r0, r1):
            for c in range(c0, c1):
                sheet.cell(r, c).validation = copy.deepcopy(body.get("rule"))

    def _rq_repeatCell(self, body: dict, user: str) -> None:
        sheet, r0, r1, c0, c1 = self.grid(body["range"])
        self.check_editable(sheet, r0, r1, c0, c1, user)
        tree = parse_fields(body.get("fields") or "*")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self.set_cell_data(sheet.cell(r, c), body.get("cell", {}), tree)

    def _rq_updateCells(self, body: dict, user: str) -> None:
        if "range" in body:
            sheet, r0, r1, c0, c1 = self.grid(body["range"])
        else:
            start = body.get("start", {})
            sheet = self.sheet(start.get("sheetId", 0))
            r0, c0, r1, c1 = start.get("rowIndex", 0), start.get("columnIndex", 0), sheet.rows, sheet.cols
        rows = body.get("rows", [])
        width = max((len(row.get("values", [])) for row in rows), default=0)
        if r0 + len(rows) > r1 or c0 + width > c1:
            raise _Bad(f"Attempting to write beyond the grid of {sheet.title!r}.")
        if "range" in body:  # the whole range is written: what the rows do not reach is cleared
            self.check_editable(sheet, r0, r1, c0, c1, user)
        else:
            self.check_editable(sheet, r0, r0 + len(rows), c0, c0 + width, user)
        tree = parse_fields(body.get("fields") or "*")
        for i, row in enumerate(rows):
            for j, data in enumerate(row.get("values", [])):
                self.set_cell_data(sheet.cell(r0 + i, c0 + j), data, tree)
        if "range" in body:
            for (r, c), cell in list(sheet.cells.items()):
                if r0 <= r < r1 and c0 <= c < c1 and (
                        r - r0 >= len(rows) or c - c0 >= len(rows[r - r0].get("values", []))):
                    self.set_cell_data(cell, {}, tree)

    def _rq_appendCells(self, body: dict, user: str) -> None:
        sheet, rows = self.sheet(body.get("sheetId", 0)), body.get("rows", [])
        start = sheet.last_row()
        if start + len(rows) > sheet.rows:  # appending grows the grid
            sheet.props["gridProperties"]["rowCount"] = start + len(rows)
        self._rq_updateCells({"start": {"sheetId": sheet.id, "rowIndex": start}, "rows": rows,
                              "fields": body.get("fields")}, user)

    def _rq_addConditionalFormatRule(self, body: dict, user: str) -> None:
        rule = copy.deepcopy(body["rule"])
        sheet = self.sheet(rule.get("ranges", [{}])[0].get("sheetId", 0))
        sheet.rules.insert(body.get("index", 0), rule)

    def _rq_deleteConditionalFormatRule(self, body: dict, user: str) -> dict:
        sheet = self.sheet(body.get("sheetId", 0))
        if not 0 <= body.get("index", 0) < len(sheet.rules):
            raise _Bad(f"No conditional format on sheet {sheet.id} at index {body.get('index', 0)}")
        return {"deleteConditionalFormatRule": {"rule": sheet.rules.pop(body.get("index", 0))}}

    def _find_protection(self, protection_id: int, user: str) -> tuple[_Sheet, dict]:
        for sheet in self.sheets:
            for p in sheet.protected:
                if p["protectedRangeId"] == protection_id:
                    if not self.can_edit(p, user):
                        raise ApiError(400, PROTECTED_MESSAGE)
                    return sheet, p
        raise _Bad(f"No protected range with id: {protection_id}")

    def _rq_addProtectedRange(self, body: dict, user: str) -> dict:
        protection = copy.deepcopy(body.get("protectedRange", {}))
        protection.pop("requestingUserCanEdit", None)  # output only
        if "namedRangeId" in protection or "range" not in protection:
            raise _Bad("FakeGoogle protects GridRanges only (no named ranges).")
        sheet = self.sheet(protection["range"].get("sheetId", 0))
        protection["protectedRangeId"] = next(self.ids)
        self.normalise_editors(protection, user, adding=True)
        sheet.protected.append(protection)
        return {"addProtectedRange": {"protectedRange": self.visible(protection, user)}}

    def _rq_updateProtectedRange(self, body: dict, user: str) -> None:
        new = body.get("protectedRange", {})
        sheet, protection = self._find_protection(new.get("protectedRangeId"), user)
        _assign(protection, new, parse_fields(body.get("fields") or "*"))
        protection.pop("requestingUserCanEdit", None)
        self.normalise_editors(protection, user, adding=False)
        target = self.sheet(protection["range"].get("sheetId", 0))
        if target is not sheet:
            sheet.protected.remove(protection)
            target.protected.append(protection)

    def _rq_deleteProtectedRange(self, body: dict, user: str) -> None:
        sheet, protection = self._find_protection(body.get("protectedRangeId"), user)
        sheet.protected.remove(protection)
