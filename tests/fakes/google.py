"""A stateful loopback stand-in for Google: OAuth token endpoint, Sheets v4 and Drive v3.

The real gspread, google-auth and google-api-python-client talk to it over HTTP on 127.0.0.1,
exactly as they talk to Google once both hosts (https://sheets.googleapis.com and
https://www.googleapis.com) are replaced by `base_url`, paths unchanged:

    with FakeGoogle() as google:
        sheet_id = google.add_spreadsheet("Buku Agenda", ["Buku Agenda"])
        info = google.service_account_info()      # a key file whose token_uri is the fake's
        ...                                       # the real clients against google.base_url
        google.values(sheet_id, "'Buku Agenda'!A1:C3")

Requests over HTTP act as the service account; the test API (`edit`, `apply`) acts as a person,
the owner unless `user=` says otherwise. Both go through the same code, so protections,
sorting, atomicity and Drive's `version` behave alike for both.

Faults: `inject()` and its shorthands (`rate_limit`, `server_error`, `slow`, `drive_error`,
`before_request`) act on the next N requests matching a predicate: a callable taking a
`LoggedRequest`, or one of "any", "token", "sheets", "sheets.read", "sheets.write", "drive",
"drive.read" (metadata, lists) and "drive.media" (downloads, exports). `expire_tokens()` and
`revoke_key()` play with credentials; `sheets_quota_per_minute` enforces a per-user quota.

Google quirks reproduced are commented where they are implemented; one runs through every
Sheets reply: its JSON leaves out fields holding their default (proto3: 0, false, "", empty
lists; see `_proto3`), so a reader must take a missing number as 0. Not reproduced: named
ranges, merges, filters, developer metadata; formulas beyond arithmetic and `=NA()` (functions
and cell references evaluate to #NAME? unless `define_formula` says what one shows); number
formats other than dates and times; Drive writes, uploads, permissions and shared drives;
Drive lagging behind Sheets; self-signed JWT bearer tokens (google-auth's
always_use_jwt_access). Data validation is stored, not enforced
on API writes (as far as is known, Google does not enforce it there either).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import csv
import functools
import hashlib
import io
import itertools
import json
import pickle
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from cryptography.exceptions import InvalidSignature  # a dependency of google-auth
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's JWT `aud`, whatever token_uri is
OWNER = "owner@example.go.id"
SERVICE_ACCOUNT = "buku-agenda@buku-agenda-test.iam.gserviceaccount.com"
FOLDER = "application/vnd.google-apps.folder"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DOCUMENT = "application/vnd.google-apps.document"
SHORTCUT = "application/vnd.google-apps.shortcut"
PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
    "to remove protection if you need to edit."
)
_ROLES = {None: 0, "reader": 1, "writer": 2}
_SCOPES = "https://www.googleapis.com/auth/"
_NEEDED_SCOPES = {  # any one of these lets a token through
    ("sheets", "read"): {"spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file"},
    ("sheets", "write"): {"spreadsheets", "drive", "drive.file"},
    ("drive", "read"): {"drive", "drive.readonly", "drive.file", "drive.metadata", "drive.metadata.readonly"},
    ("drive", "media"): {"drive", "drive.readonly", "drive.file"},
    ("drive", "write"): {"drive", "drive.file"},
}


# ----------------------------------------------------------------------------- errors

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 416: "OUT_OF_RANGE", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
           503: "UNAVAILABLE"}


class ApiError(Exception):
    """An error reply. The body is Google's JSON error: gspread reads `error.code` from it, and
    Drive's `error.errors[0].reason` is what googleapiclient's retry logic looks at."""

    def __init__(self, code: int, message: str, reason: str | None = None, domain: str = "global",
                 headers: dict[str, str] | None = None, body: dict | None = None):
        super().__init__(message)
        error: dict[str, Any] = {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}
        if reason:
            error["errors"] = [{"message": message, "domain": domain, "reason": reason}]
        self.code, self.headers, self.body = code, dict(headers or {}), body or {"error": error}


class _Bad(Exception):
    """A faulty batchUpdate request; becomes 400 "Invalid requests[i].kind: message"."""


def _oauth_error(error: str, description: str) -> ApiError:  # the token endpoint's own format
    return ApiError(400, description, body={"error": error, "error_description": description})


def _bad_range(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


# ----------------------------------------------------------------------------- keys and JWT

_KEYS: list[rsa.RSAPrivateKey] = []  # generated once per process: a 2048-bit key takes ~50 ms


def _rsa_key(index: int) -> rsa.RSAPrivateKey:
    while len(_KEYS) <= index:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[index]


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# ----------------------------------------------------------------------------- A1 notation, masks, time

def col_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def col_index(letters: str) -> int:
    return functools.reduce(lambda n, ch: n * 26 + ord(ch) - 64, letters.upper(), 0) - 1


def _quote_sheet(title: str) -> str:
    # Google quotes a sheet name in the ranges it returns only when it has to.
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _a1(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    start = f"{col_letters(c0)}{r0 + 1}"
    cells = start if (r1 - r0, c1 - c0) == (1, 1) else f"{start}:{col_letters(c1 - 1)}{r1}"
    return f"{_quote_sheet(title)}!{cells}"


def parse_fields(text: str) -> dict:
    """A partial-response / update mask ("sheets.properties,files(id,name)") as a tree:
    {name: subtree or None for "all of it"}."""
    tokens, pos = re.findall(r"[^,()\s]+|[,()]", text), 0

    def merge(tree: dict, path: list[str], sub: dict | None) -> None:
        for key in path[:-1]:
            if key in tree and tree[key] is None:
                return
            tree = tree.setdefault(key, {})
        last = path[-1]
        if sub is None or tree.get(last, {}) is None:
            tree[last] = None
        else:
            for key, value in sub.items():
                merge(tree.setdefault(last, {}), [key], value)

    def parse_list() -> dict:
        nonlocal pos
        tree: dict = {}
        while pos < len(tokens) and tokens[pos] not in ",)":
            path, sub = re.split(r"[./]", tokens[pos]), None
            pos += 1
            if pos < len(tokens) and tokens[pos] == "(":
                pos += 1
                sub = parse_list()
                pos += 1
            merge(tree, path, sub)
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
        return tree

    return parse_list()


def apply_mask(obj: Any, tree: dict | None) -> Any:
    if tree is None or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [apply_mask(item, tree) for item in obj]
    if isinstance(obj, dict):
        return {key: apply_mask(obj[key], sub) for key, sub in tree.items() if key in obj}
    return obj


def _assign(target: dict, source: dict, tree: dict | None) -> None:
    """Update-mask semantics: masked fields are copied from source, or cleared when absent."""
    if tree is None or "*" in tree:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for key, sub in tree.items():
        if sub is None or not isinstance(source.get(key, {}), dict):
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
        else:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            _assign(target[key], source.get(key, {}), sub)


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


def _rfc3339(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- cell values

_EPOCH = datetime(1899, 12, 30)  # serial number 0: dates are stored as days since then
_ERROR_TEXT = {"NAME": "#NAME?", "DIVIDE_BY_ZERO": "#DIV/0!", "ERROR": "#ERROR!", "VALUE": "#VALUE!",
               "N_A": "#N/A", "REF": "#REF!", "NUM": "#NUM!", "NULL_VALUE": "#NULL!"}
_COMMA_DECIMAL = {"id", "de", "fr", "es", "it", "nl", "pt", "ru", "tr", "pl"}


@dataclass(frozen=True)
class SheetError:
    """A formula's error value (#NAME?, #DIV/0!, ...)."""

    type: str
    message: str

    def __str__(self) -> str:
        return _ERROR_TEXT[self.type]


@dataclass
class Cell:
    value: Any = None                  # None, str, int/float, bool or SheetError
    formula: str | None = None
    format: dict = field(default_factory=dict)  # userEnteredFormat
    validation: dict | None = None     # DataValidationRule
    note: str | None = None

    @property
    def filled(self) -> bool:
        return self.value is not None or self.formula is not None


def _number_format(cell: Cell) -> dict:
    return cell.format.get("numberFormat") or {}


def _evaluate(formula: str, known: dict[str, Any] | None = None) -> Any:
    """Arithmetic only, and `=NA()`. Functions, names and cell references give #NAME? — enough to
    show that text written with USER_ENTERED became a live formula — unless the test said what
    the formula shows (`FakeGoogle.define_formula`: `known`, by the formula's text)."""
    if known and formula in known:
        return copy.deepcopy(known[formula])
    expression = formula[1:].strip()
    if re.fullmatch(r"(?i)NA\(\s*\)", expression):
        return SheetError("N_A", "Value not available.")
    if re.search(r"[A-Za-z_]", re.sub(r"(?<=\d)[eE][+-]?(?=\d)", "", expression)):
        return SheetError("NAME", f"Unknown function or range: {expression[:40]!r}.")

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
        operators = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
                     ast.Div: float.__truediv__, ast.Pow: float.__pow__}
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return operators[type(node.op)](float(value(node.left)), float(value(node.right)))
        raise ValueError

    try:
        return value(ast.parse(expression.replace("^", "**"), mode="eval").body)
    except ZeroDivisionError:
        return SheetError("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
    except (SyntaxError, ValueError, OverflowError):
        return SheetError("ERROR", "Formula parse error.")


def _date_patterns(locale: str) -> tuple[str, str]:
    return ("m/d/yyyy", "h:mm:ss") if locale == "en_US" else ("dd/mm/yyyy", "hh:mm:ss")


def _parse_user_entered(text: str, locale: str, known: dict[str, Any] | None = None
                        ) -> tuple[Any, str | None, dict | None]:
    """What Sheets makes of typed text: (value, formula, numberFormat to set)."""
    if text == "":
        return None, None, None
    if text.startswith("'"):  # a leading apostrophe forces text and is not kept
        return text[1:], None, None
    if text.startswith("="):
        return _evaluate(text, known), text, None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE", None, None
    s = text.strip()
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s):  # "0012" becomes 12
        return float(s), None, None
    date_pattern, time_pattern = _date_patterns(locale)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", s):
            y, mo, d, *hms = m.groups()
            date_pattern = "yyyy-mm-dd"
        elif m := re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", s):
            d, mo, y, *hms = m.groups()
            if locale == "en_US":
                d, mo = mo, d
        elif m := re.fullmatch(r"(\d{1,2})/(\d{4})", s):  # "1/2026" is January 2026, not text
            (mo, y), d, hms = m.groups(), "1", [None, None, None]
            date_pattern = "m/yyyy"
        elif m := re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", s):
            moment = timedelta(hours=int(m[1]), minutes=int(m[2]), seconds=int(m[3] or 0))
            return moment / timedelta(days=1), None, {"type": "TIME", "pattern": time_pattern}
        else:
            return text, None, None
        moment = datetime(int(y), int(mo), int(d), int(hms[0] or 0), int(hms[1] or 0), int(hms[2] or 0))
    except ValueError:
        return text, None, None
    serial = (moment - _EPOCH) / timedelta(days=1)
    if hms[0] is not None:
        return serial, None, {"type": "DATE_TIME", "pattern": f"{date_pattern} {time_pattern}"}
    return serial, None, {"type": "DATE", "pattern": date_pattern}


def _format_serial(serial: float, pattern: str) -> str:
    moment = _EPOCH + timedelta(seconds=round(serial * 86400))
    tokens = re.findall(r'yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|"[^"]*"|.', pattern, re.I)
    twelve = any(t.lower() == "am/pm" for t in tokens)
    hour = (moment.hour % 12 or 12) if twelve else moment.hour
    parts = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("m", "mm"):  # minutes after an hour or before seconds, else the month
            before = [t.lower()[0] for t in tokens[:i] if t.lower()[0] in "hdy"]
            after = [t.lower()[0] for t in tokens[i + 1:] if t.lower()[0] in "sdy"]
            number = moment.minute if (before[-1:] == ["h"] or after[:1] == ["s"]) else moment.month
            parts.append(f"{number:02d}" if low == "mm" else str(number))
        elif low in ("yyyy", "yy", "mmmm", "mmm", "dddd", "ddd", "dd", "d", "hh", "h", "ss", "s", "am/pm"):
            parts.append({"yyyy": f"{moment.year:04d}", "yy": f"{moment.year % 100:02d}",
                          "mmmm": moment.strftime("%B"), "mmm": moment.strftime("%b"),
                          "dddd": moment.strftime("%A"), "ddd": moment.strftime("%a"),
                          "dd": f"{moment.day:02d}", "d": str(moment.day), "hh": f"{hour:02d}",
                          "h": str(hour), "ss": f"{moment.second:02d}", "s": str(moment.second),
                          "am/pm": "AM" if moment.hour < 12 else "PM"}[low])
        else:
            parts.append(token.strip('"'))
    return "".join(parts)


def _general(number: float, locale: str) -> str:
    text = str(int(number)) if float(number).is_integer() else f"{number:.10f}".rstrip("0").rstrip(".")
    # Formatted numbers follow the spreadsheet's locale: id_ID writes 1,5 for one and a half.
    return text.replace(".", ",") if locale.split("_")[0] in _COMMA_DECIMAL else text


def _render(cell: Cell | None, render: str, dt_render: str, locale: str) -> Any:
    if cell is None or not cell.filled:
        return ""
    if render == "FORMULA" and cell.formula:
        return cell.formula
    value = cell.value
    if isinstance(value, SheetError):
        return str(value)
    if isinstance(value, bool):  # checkboxes: JSON true/false unformatted, "TRUE"/"FALSE" formatted
        return ("TRUE" if value else "FALSE") if render == "FORMATTED_VALUE" else value
    if isinstance(value, (int, float)):
        number_format = _number_format(cell)
        kind = number_format.get("type")
        is_date = kind in ("DATE", "TIME", "DATE_TIME")
        if render == "FORMATTED_VALUE" or (is_date and dt_render == "FORMATTED_STRING"):
            if is_date:
                day, clock = _date_patterns(locale)
                default = {"DATE": day, "TIME": clock}.get(kind, f"{day} {clock}")
                return _format_serial(value, number_format.get("pattern") or default)
            return _general(value, locale)
        return int(value) if float(value).is_integer() else value  # Google never sends 2.0
    return value


def _extended_value(cell: Cell, effective: bool) -> dict | None:
    if not cell.filled:
        return None
    if cell.formula and not effective:
        return {"formulaValue": cell.formula}
    value = cell.value
    if value is None:  # a formula showing nothing at all
        return None
    if isinstance(value, SheetError):
        return {"errorValue": {"type": value.type, "message": value.message}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": value}


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


# ----------------------------------------------------------------------------- Drive

@dataclass
class _File:
    id: str
    name: str
    mime: str
    parents: list[str]
    shared: str | None  # the service account's role on the file itself: None, "reader", "writer"
    content: bytes = b""  # the bytes of a blob, the HTML of a Google Doc
    trashed: bool = False
    target: str | None = None  # a shortcut's target
    version: int = 1
    owner: str | None = None  # a spreadsheet's owner (Drive `owners`)
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)

    def json(self, target: _File | None) -> dict:
        d: dict[str, Any] = {
            "kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime,
            "parents": list(self.parents), "trashed": self.trashed,
            "version": str(self.version),  # int64 fields are JSON strings in Drive v3 (size too)
            "createdTime": _rfc3339(self.created), "modifiedTime": _rfc3339(self.modified),
            "webViewLink": f"https://drive.google.com/file/d/{self.id}/view"}
        if self.owner:
            d["owners"] = [{"kind": "drive#user", "emailAddress": self.owner, "me": False}]
        if not self.mime.startswith("application/vnd.google-apps."):
            d.update(size=str(len(self.content)), md5Checksum=hashlib.md5(self.content).hexdigest())
        if self.mime == SHORTCUT:
            d["shortcutDetails"] = {"targetId": self.target,
                                    "targetMimeType": target.mime if target else None}
        return d


def _parse_q(text: str) -> Callable[[dict], bool]:
    """Drive's search language, the part a media folder needs: and/or/not, parentheses,
    'ID' in parents, name/mimeType/trashed/modifiedTime/createdTime comparisons."""
    tokens = re.findall(r"'(?:[^'\\]|\\.)*'|!=|<=|>=|[=<>()]|[A-Za-z_][\w.]*|\S", text)
    pos = 0

    def invalid() -> ApiError:
        return ApiError(400, "Invalid Value", reason="invalid", domain="global")

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise invalid()
        pos += 1
        return tokens[pos - 1]

    def literal(token: str) -> Any:
        if token.startswith("'"):
            return re.sub(r"\\(.)", r"\1", token[1:-1])
        if token.lower() in ("true", "false"):
            return token.lower() == "true"
        raise invalid()

    def condition() -> Callable[[dict], bool]:
        token = take()
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise invalid()
            return inner
        if token.lower() == "not":
            inner = condition()
            return lambda f: not inner(f)
        if token.startswith("'"):
            value = literal(token)
            if take().lower() != "in" or take() != "parents":
                raise invalid()
            return lambda f: value in f["parents"]
        name, op, value = token, take().lower(), literal(take())
        if name not in ("name", "mimeType", "trashed", "modifiedTime", "createdTime"):
            raise invalid()
        if op == "contains" and name == "name":
            # Drive's `name contains` matches the start of the name or of one of its words.
            needle = str(value).lower()
            return lambda f: any(word.startswith(needle) for word in
                                 [f["name"].lower(), *re.split(r"[\s_.-]+", f["name"].lower())])
        compare = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                   "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}.get(op)
        if compare is None:
            raise invalid()
        if name.endswith("Time"):
            try:
                value = _parse_time(value)
            except (AttributeError, ValueError):
                raise invalid() from None
            return lambda f: compare(_parse_time(f[name]), value)
        return lambda f: compare(f[name], value)

    def conjunction() -> Callable[[dict], bool]:
        parts = [condition()]
        while pos < len(tokens) and tokens[pos].lower() == "and":
            take()
            parts.append(condition())
        return lambda f: all(p(f) for p in parts)

    def disjunction() -> Callable[[dict], bool]:
        parts = [conjunction()]
        while pos < len(tokens) and tokens[pos].lower() == "or":
            take()
            parts.append(conjunction())
        return lambda f: any(p(f) for p in parts)

    predicate = disjunction()
    if pos != len(tokens):
        raise invalid()
    return predicate


# ----------------------------------------------------------------------------- requests, log, faults

@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, Any]   # one value, or a list for repeated parameters
    time: float
    api: str                # "token", "sheets", "drive" or "other"
    kind: str               # "read", "write", or "media" (Drive downloads and exports)
    body: Any = None        # the JSON body, when there is one
    status: int | None = None
    user: str | None = None


@dataclass
class _Rule:
    match: Callable[[LoggedRequest], bool]
    times: int
    status: int | None = None
    message: str = ""
    reason: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    action: Callable[[LoggedRequest], Any] | None = None


def _matcher(match: str | Callable[[LoggedRequest], bool]) -> Callable[[LoggedRequest], bool]:
    if callable(match):
        return match
    api, _, kind = match.partition(".")
    return lambda r: api in ("any", r.api) and kind in ("", r.kind)


def _classify(method: str, path: str, query: dict) -> tuple[str, str]:
    if path == "/token":
        return "token", "write"
    if path.startswith("/v4/spreadsheets"):
        return "sheets", "read" if method == "GET" else "write"
    if path.startswith("/drive/v3/"):
        media = query.get("alt") == "media" or path.endswith("/export")
        return "drive", ("media" if media else "read") if method == "GET" else "write"
    return "other", "read"


def _quota_message(kind: str) -> str:
    metric = "Read requests" if kind == "read" else "Write requests"
    return (f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
            "'sheets.googleapis.com' for consumer 'project_number:100000000001'.")


def _fault(rule: _Rule, request: LoggedRequest) -> ApiError:
    """The error an injected fault answers, in the format of the API it hits."""
    headers = {"Retry-After": str(int(rule.retry_after))} if rule.retry_after is not None else {}
    message = rule.message or {
        429: _quota_message(request.kind) if request.api == "sheets" else "Rate Limit Exceeded",
        500: "Internal error encountered.", 503: "The service is currently unavailable.",
    }.get(rule.status, "Error")
    if request.api == "token":
        error = "internal_failure" if rule.status >= 500 else "rate_limit_exceeded"
        body = {"error": error, "error_description": message}
        return ApiError(rule.status, message, headers=headers, body=body)
    reason = rule.reason
    if request.api == "drive" and not reason:  # Drive names a reason; Sheets gives only the status
        reason = {403: "forbidden", 429: "rateLimitExceeded"}.get(rule.status, "backendError")
    domain = "usageLimits" if rule.status in (403, 429) and reason != "forbidden" else "global"
    return ApiError(rule.status, message, reason=reason, domain=domain, headers=headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def _any(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


# ----------------------------------------------------------------------------- the fake

class FakeGoogle:
    """Google's token endpoint, Sheets v4 and Drive v3 on 127.0.0.1 (a free port)."""

    def __init__(self, token_lifetime: int = 3600, sheets_quota_per_minute: int | None = None):
        self.token_lifetime = token_lifetime
        self.sheets_quota_per_minute = sheets_quota_per_minute  # per user, reads and writes apart
        self.requests_log: list[LoggedRequest] = []
        self.errors: list[Exception] = []  # exceptions raised while serving
        self.service_account_email = SERVICE_ACCOUNT
        self._lock = threading.RLock()
        self._key_id = secrets.token_hex(20)
        self._accounts = {SERVICE_ACCOUNT: _rsa_key(0).public_key()}
        self._tokens: dict[str, tuple[str, set[str], float]] = {}
        self._files: dict[str, _File] = {}
        self._spreadsheets: dict[str, _Spreadsheet] = {}
        self._rules: list[_Rule] = []
        self._quota: dict[tuple[str, str], deque[float]] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle

    def start(self) -> FakeGoogle:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        self.stop()
        if self.errors and exc_type is None:
            raise AssertionError(f"FakeGoogle failed while serving: {self.errors!r}") from self.errors[0]

    @property
    def base_url(self) -> str:
        assert self._server, "FakeGoogle is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- credentials

    def service_account_info(self, valid: bool = True) -> dict[str, str]:
        """A service-account key file. valid=False: same account, a key Google does not know."""
        return {
            "type": "service_account", "project_id": "buku-agenda-test",
            "private_key_id": self._key_id, "private_key": _pem(_rsa_key(0 if valid else 1)),
            "client_email": SERVICE_ACCOUNT, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": f"{self.base_url}/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + SERVICE_ACCOUNT.replace("@", "%40"),
            "universe_domain": "googleapis.com"}

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (401 until the client refreshes)."""
        with self._lock:
            self._tokens.clear()

    def revoke_key(self) -> None:
        """The key is deleted in the console: tokens issued keep working, refreshing with a key
        file handed out before fails. service_account_info() then hands out a new key."""
        with self._lock:
            self._key_id = secrets.token_hex(20)

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

    # -- Drive (test API)

    def _add(self, name: str, mime: str, parents: Iterable[str], shared: str | None, file_id: str | None,
             **extra: Any) -> str:
        with self._lock:
            fid = file_id or "1" + secrets.token_urlsafe(24)[:32]
            self._files[fid] = _File(fid, name, mime, list(parents), shared, **extra)
            return fid

    def add_folder(self, name: str, parents: Iterable[str] = (), *, shared: str | None = "reader",
                   file_id: str | None = None) -> str:
        return self._add(name, FOLDER, parents, shared, file_id)

    def add_file(self, name: str, content: bytes, mime_type: str = "application/octet-stream",
                 parents: Iterable[str] = (), *, shared: str | None = None, trashed: bool = False,
                 file_id: str | None = None) -> str:
        """A blob. Not shared by default: it is visible when a folder above it is shared."""
        return self._add(name, mime_type, parents, shared, file_id, content=content, trashed=trashed)

    def add_document(self, name: str, html: str, parents: Iterable[str] = (), *,
                     shared: str | None = None, file_id: str | None = None) -> str:
        return self._add(name, DOCUMENT, parents, shared, file_id, content=html.encode())

    def add_shortcut(self, name: str, target_id: str, parents: Iterable[str] = (), *,
                     shared: str | None = None, file_id: str | None = None) -> str:
        return self._add(name, SHORTCUT, parents, shared, file_id, target=target_id)

    def update_file(self, file_id: str, **changes: Any) -> None:
        """Change name, content, trashed, parents or shared, as a person would in Drive."""
        with self._lock:
            f = self._files[file_id]
            for key, value in changes.items():
                setattr(f, key, list(value) if key == "parents" else value)
            self._touch(f)

    def drive_file(self, file_id: str) -> dict:
        with self._lock:
            f = self._files[file_id]
            return self._file_json(f)

    # -- log and faults

    def count(self, api: str | None = None, kind: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests_log if api in (None, r.api) and kind in (None, r.kind))

    sheets_reads = property(lambda self: self.count("sheets", "read"))
    sheets_writes = property(lambda self: self.count("sheets", "write"))
    drive_requests = property(lambda self: self.count("drive"))
    token_requests = property(lambda self: self.count("token"))

    def clear_log(self) -> None:
        with self._lock:
            self.requests_log.clear()

    def inject(self, match: str | Callable[[LoggedRequest], bool] = "any", *, times: int = 1,
               status: int | None = None, message: str = "", reason: str | None = None,
               retry_after: float | None = None, delay: float = 0.0,
               action: Callable[[LoggedRequest], Any] | None = None) -> None:
        """For the next `times` matching requests: run `action(request)`, sleep `delay`, then, with
        `status`, answer that error instead of serving the request."""
        with self._lock:
            self._rules.append(_Rule(_matcher(match), times, status, message, reason, retry_after, delay,
                                     action))

    def rate_limit(self, match: str | Callable = "sheets", *, times: int = 1, retry_after: float = 2) -> None:
        """429 RESOURCE_EXHAUSTED with Retry-After, as Sheets answers past its per-minute quota."""
        self.inject(match, times=times, status=429, retry_after=retry_after)

    def server_error(self, match: str | Callable = "any", *, times: int = 1, status: int = 500) -> None:
        """500 INTERNAL or 503 UNAVAILABLE."""
        self.inject(match, times=times, status=status)

    def slow(self, seconds: float, match: str | Callable = "any", *, times: int = 1) -> None:
        self.inject(match, times=times, delay=seconds)

    def drive_error(self, reason: str = "userRateLimitExceeded", match: str | Callable = "drive", *,
                    times: int = 1) -> None:
        """Drive's 403s: userRateLimitExceeded, rateLimitExceeded, downloadQuotaExceeded."""
        messages = {"userRateLimitExceeded": "User Rate Limit Exceeded",
                    "rateLimitExceeded": "Rate Limit Exceeded",
                    "downloadQuotaExceeded": "The download quota for this file has been exceeded."}
        self.inject(match, times=times, status=403, reason=reason, message=messages.get(reason, reason))

    def before_request(self, action: Callable[[LoggedRequest], Any], match: str | Callable = "any", *,
                       times: int = 1) -> None:
        """Run `action(request)` just before the next matching request is served, e.g. a person
        sorting the rows between the program's read and its write."""
        self.inject(match, times=times, action=action)

    # -- serving

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] if len(v) == 1 else v
                 for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        api, kind = _classify(handler.command, url.path, query)
        request = LoggedRequest(handler.command, url.path, query, time.time(), api, kind)
        if raw and "json" in (handler.headers.get("Content-Type") or ""):
            try:
                request.body = json.loads(raw)
            except ValueError:
                request.body = {}
        with self._lock:
            self.requests_log.append(request)
            rules = [rule for rule in self._rules if rule.times > 0 and rule.match(request)]
            for rule in rules:
                rule.times -= 1
            self._rules = [rule for rule in self._rules if rule.times > 0]
        try:
            for rule in rules:
                if rule.action:
                    rule.action(request)
                time.sleep(rule.delay)
                if rule.status:
                    raise _fault(rule, request)
            with self._lock:
                status, headers, body = self._route(request, raw, handler.headers)
        except ApiError as error:
            status, headers, body = error.code, error.headers, error.body
        except Exception as error:  # a bug in the fake or in a test's action: __exit__ raises it
            self.errors.append(error)
            status, headers, body = 500, {}, {"error": {"code": 500, "status": "INTERNAL",
                                                         "message": f"FakeGoogle failed: {error!r}"}}
        request.status = status
        if isinstance(body, (dict, list)):
            headers = {"Content-Type": "application/json; charset=UTF-8", **headers}
            body = json.dumps(body).encode()
        handler.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _route(self, request: LoggedRequest, raw: bytes, headers: Any) -> tuple[int, dict, Any]:
        if request.api == "token" and request.method == "POST":
            return 200, {}, self._token(raw)
        if request.api == "other":
            raise ApiError(404, f"FakeGoogle has nothing at {request.method} {request.path}")
        user, scopes = self._authenticate(headers.get("Authorization", ""))
        request.user = user
        if not scopes & _NEEDED_SCOPES.get((request.api, request.kind), set()):
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           reason="insufficientPermissions" if request.api == "drive" else None)
        if request.api == "sheets":
            self._count_quota(user, request.kind)
            return 200, {}, self._sheets(request, user)
        return self._drive(request, user, headers.get("Range"))

    # -- OAuth

    def _token(self, raw: bytes) -> dict:
        """The JWT-bearer grant of a service account (what google-auth does on refresh)."""
        form = dict(parse_qsl(raw.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise _oauth_error("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type')}")
        try:
            head, payload, signature = form.get("assertion", "").split(".")
            header, claims = json.loads(_b64decode(head)), json.loads(_b64decode(payload))
        except ValueError:
            raise _oauth_error("invalid_grant", "Invalid JWT: could not be decoded.") from None
        public_key = self._accounts.get(claims.get("iss"))
        if public_key is None:
            raise _oauth_error("invalid_grant", "Invalid grant: account not found")
        try:
            if header.get("alg") != "RS256" or header.get("kid", self._key_id) != self._key_id:
                raise InvalidSignature
            public_key.verify(_b64decode(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(),
                              hashes.SHA256())
        except InvalidSignature:
            raise _oauth_error("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") != TOKEN_AUDIENCE:
            raise _oauth_error("invalid_grant", "Invalid JWT: Failed audience check. The right audience is "
                                                + TOKEN_AUDIENCE)
        now, iat, exp = time.time(), claims.get("iat", 0), claims.get("exp", 0)
        if not (exp > now and iat <= now + 300 and exp - iat <= 3600):
            raise _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) "
                                                "and in a reasonable timeframe. Check your iat and exp values "
                                                "in the JWT claim.")
        scopes = {s.removeprefix(_SCOPES) for s in str(claims.get("scope", "")).split()}
        if not scopes:
            raise _oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        self._tokens[token] = (claims["iss"], scopes, now + self.token_lifetime)
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _authenticate(self, authorization: str) -> tuple[str, set[str]]:
        user, scopes, expiry = self._tokens.get(authorization.removeprefix("Bearer "), ("", set(), 0.0))
        if expiry <= time.time():
            missing = "is missing required" if not authorization.startswith("Bearer ") else "had invalid"
            raise ApiError(401, f"Request {missing} authentication credentials. Expected OAuth 2 access "
                                "token, login cookie or other valid authentication credential.",
                           headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                        'error="invalid_token"'})
        return user, scopes

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

    # -- Sheets

    def _role(self, f: _File) -> str | None:
        """The service account's role on a file: its own or inherited from a folder above."""
        best, seen, todo = None, set(), [f.id]
        while todo:
            current = self._files.get(todo.pop())
            if current is None or current.id in seen:
                continue
            seen.add(current.id)
            if _ROLES[current.shared] > _ROLES[best]:
                best = current.shared
            todo.extend(current.parents)
        return best

    def _touch(self, f: _File) -> None:
        f.version += 1  # Drive's `version` grows with every change (Google may add more than 1)
        f.modified = max(time.time(), f.modified + 0.001)

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

    # -- Drive

    def _drive(self, request: LoggedRequest, user: str, range_header: str | None) -> tuple[int, dict, Any]:
        q = request.query
        m = re.fullmatch(r"/drive/v3/files(?:/([^/]+)(/export)?)?", request.path)
        if request.method != "GET" or not m:
            raise ApiError(400, f"FakeGoogle does not implement {request.method} {request.path}",
                           reason="badRequest")
        if m[1] is None:
            return 200, {}, self._list(q)
        file_id = unquote(m[1])
        f = self._files.get(file_id)
        if f is None or self._role(f) is None:  # Drive hides what is not shared: 404, not 403
            raise ApiError(404, f"File not found: {file_id}.", reason="notFound")
        if m[2]:
            return self._export(f, q.get("mimeType", ""))
        if q.get("alt") == "media":
            return self._download(f, range_header)
        tree = parse_fields(q.get("fields") or "kind,id,name,mimeType")  # v3 sends only these unasked
        return 200, {}, apply_mask(self._file_json(f), tree)

    def _file_json(self, f: _File) -> dict:
        return f.json(self._files.get(f.target or ""))

    def _list(self, q: dict) -> dict:
        files = [f for f in self._files.values() if self._role(f) is not None]
        if q.get("q"):
            predicate = _parse_q(q["q"])
            files = [f for f in files if predicate({
                "name": f.name, "mimeType": f.mime, "trashed": f.trashed, "parents": f.parents,
                "modifiedTime": _rfc3339(f.modified), "createdTime": _rfc3339(f.created)})]
        # Without orderBy the order is unspecified; the fake keeps creation order.
        sort_keys = {"name": lambda f: (f.name.casefold(), f.name), "folder": lambda f: f.mime != FOLDER,
                     "createdTime": lambda f: f.created, "modifiedTime": lambda f: f.modified}
        for key in reversed([k.strip() for k in q.get("orderBy", "").split(",") if k.strip()]):
            name, _, direction = key.partition(" ")
            if name not in sort_keys:
                raise ApiError(400, "Invalid Value", reason="invalid")
            files.sort(key=sort_keys[name], reverse=direction.strip().lower() == "desc")
        size = min(int(q.get("pageSize", 100)), 1000)
        query = hashlib.sha1(f"{q.get('q')}|{q.get('orderBy')}".encode()).hexdigest()[:8]
        offset = 0
        if q.get("pageToken"):  # a token is valid only for the query that made it
            try:
                offset, token_query = json.loads(_b64decode(q["pageToken"]))
                if token_query != query:
                    raise ValueError
            except (ValueError, TypeError):
                raise ApiError(400, "Invalid Value", reason="invalid") from None
        reply: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                                 "files": [self._file_json(f) for f in files[offset:offset + size]]}
        if offset + size < len(files):
            token = json.dumps([offset + size, query]).encode()
            reply["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        default = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
        return apply_mask(reply, parse_fields(q.get("fields") or default))

    def _download(self, f: _File, range_header: str | None) -> tuple[int, dict, bytes]:
        if f.mime.startswith("application/vnd.google-apps."):
            raise ApiError(403, "Only files with binary content can be downloaded. Use Export with Docs "
                                "Editors files.", reason="fileNotDownloadable")
        data, total = f.content, len(f.content)
        headers = {"Content-Type": f.mime, "Accept-Ranges": "bytes"}
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
        if not m or not (m[1] or m[2]):
            return 200, headers, data
        if m[1]:
            start, end = int(m[1]), min(int(m[2] or total - 1), total - 1)
        else:  # bytes=-N: the last N bytes
            start, end = max(total - int(m[2]), 0), total - 1
        if start >= total:  # googleapiclient learns the size of an empty file from this 416
            raise ApiError(416, "Request range not satisfiable", headers={"Content-Range": f"bytes */{total}"},
                           reason="requestedRangeNotSatisfiable")
        return 206, {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}, data[start:end + 1]

    def _export(self, f: _File, mime_type: str) -> tuple[int, dict, bytes]:
        if f.mime == SPREADSHEET and mime_type == "text/csv":  # the first sheet, as displayed
            ss, out = self._spreadsheets[f.id], io.StringIO()
            sheet = ss.sheets[0]
            rows = ss.read(sheet, 0, sheet.rows, 0, sheet.cols, "FORMATTED_VALUE", "", "ROWS")
            csv.writer(out).writerows(rows)
            return 200, {"Content-Type": "text/csv"}, out.getvalue().encode()
        if f.mime not in (DOCUMENT, SPREADSHEET):
            raise ApiError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
        if len(f.content) > 10 * 1024 * 1024:
            raise ApiError(403, "This file is too large to be exported.", reason="exportSizeLimitExceeded")
        if f.mime == DOCUMENT and mime_type == "text/html":
            return 200, {"Content-Type": "text/html"}, f.content
        raise ApiError(400, "The requested conversion is not supported.", reason="badRequest")
