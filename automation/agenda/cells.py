"""Cell addresses, date serials and times, as spreadsheets (Excel and Google Sheets) hold them.

A sheet's date-time has no zone: it is the office's wall-clock time. Times cross the store
boundary here, the same way for every store: aware ones go in as the office's local time
(`to_sheet`), and what a sheet holds comes out aware in the office's zone (`from_sheet`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

EPOCH_1900 = datetime(1899, 12, 30)     # day 0 of Excel's 1900 system and of Google Sheets
EPOCH_1904 = datetime(1904, 1, 1)       # workbooks made on old Macs


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def to_serial(value: datetime | date, epoch: datetime = EPOCH_1900) -> float | int:
    """Days since the epoch: a sheet's (naive, local) date-time becomes a fraction of a day."""
    if isinstance(value, datetime):
        return (value - epoch) / timedelta(days=1)
    return (value - epoch.date()).days


def from_serial(serial: float, epoch: datetime = EPOCH_1900) -> datetime:
    """The sheet's (naive, local) date-time of a serial, in whole seconds."""
    return epoch + timedelta(seconds=round(float(serial) * 86400))


def to_sheet(value: Any, tz: tzinfo) -> Any:
    """A value as a cell holds it: an aware time as the wall-clock time in `tz`, in whole
    seconds (what a sheet keeps); anything else as it is. A naive time is refused: which
    zone it means is not known."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given to an agenda store: times are aware")
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0)


def from_sheet(value: Any, tz: tzinfo) -> Any:
    """A value as a store gives it out: a sheet's date or date-time as an aware time in `tz`
    (a date is its midnight); anything else as it is."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    return value


def read_back(value: Any, tz: tzinfo) -> Any:
    """What a store gives out for a value it wrote (an aware time: whole seconds, in `tz`)."""
    return from_sheet(to_sheet(value, tz), tz)
