"""Indonesian calendar words and the office's way of writing dates and times."""

from __future__ import annotations

from datetime import datetime

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# Indonesia's three zones have official abbreviations; other zones keep their own name.
ZONE_LABELS = {
    "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT",
}


def zone_label(dt: datetime) -> str:
    key = getattr(dt.tzinfo, "key", None)
    return ZONE_LABELS.get(key or "", dt.tzname() or "")


def format_datetime(dt: datetime, *, weekday: bool = False) -> str:
    """`27 November 2026, 14:05 WITA` (optionally led by the day name)."""
    text = f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M}"
    label = zone_label(dt)
    if label:
        text += f" {label}"
    if weekday:
        text = f"{DAYS[dt.weekday()]}, {text}"
    return text
