"""Cells as Sheets holds them: A1 notation, typed values (USER_ENTERED or RAW), formulas
and error values, and values rendered as the API sends them."""

from __future__ import annotations

import ast
import copy
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# ----------------------------------------------------------------------------- A1 notation

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
