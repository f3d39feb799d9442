"""Cell addresses and date serials, as spreadsheets (Excel and Google Sheets) count them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
    """Days since the epoch: a naive local date-time becomes a fraction of a day."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None, microsecond=0) - epoch) / timedelta(days=1)
    return (value - epoch.date()).days


def from_serial(serial: float, epoch: datetime = EPOCH_1900) -> datetime:
    return epoch + timedelta(seconds=round(float(serial) * 86400))
