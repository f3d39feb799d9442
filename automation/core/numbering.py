"""Agenda numbers, archive numbers and archive locations (SPEC sections 2 and 4)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from automation.core.calendar import MONTHS, ROMAN_MONTHS

_ARCHIVE_FIELDS = {"nomor", "tahun", "bulan", "bulan_romawi", "klasifikasi", "unit"}
# kind -> (placeholders allowed, placeholders required). Running numbers restart every
# year, so a number format without both {nomor} and {tahun} would repeat itself.
_PLACEHOLDERS = {
    "agenda": ({"nomor", "tahun"}, {"nomor", "tahun"}),
    "archive": (_ARCHIVE_FIELDS, {"nomor", "tahun"}),
    "location": (_ARCHIVE_FIELDS, set()),
}


class FormatError(ValueError):
    pass


def check_format(fmt: str, kind: str) -> None:
    """Refuse a format with unknown placeholders, or without the ones a number needs."""
    allowed, required = _PLACEHOLDERS[kind]
    names = set()
    try:
        for _, name, _spec, conv in string.Formatter().parse(fmt):
            if name is None:
                continue
            if name not in allowed:
                raise FormatError(f"uses unknown placeholder {{{name}}}; allowed: "
                                  + ", ".join(f"{{{a}}}" for a in sorted(allowed)))
            if conv:
                raise FormatError(f"uses a conversion (!{conv}) on {{{name}}}; remove it")
            names.add(name)
        render(fmt, nomor=1, year=2026, month=11)
    except FormatError:
        raise
    except (ValueError, IndexError, KeyError) as err:
        raise FormatError(f"is not a valid format: {err!r}") from None
    missing = sorted(required - names)
    if missing:
        raise FormatError("must contain " + " and ".join(f"{{{m}}}" for m in missing)
                          + " so that numbers never repeat")


def render(fmt: str, *, nomor: int, year: int, month: int, klasifikasi: str = "",
           unit: str = "") -> str:
    return fmt.format(
        nomor=nomor, tahun=year, bulan=MONTHS[month - 1], bulan_romawi=ROMAN_MONTHS[month - 1],
        klasifikasi=klasifikasi, unit=unit,
    )


@dataclass(frozen=True)
class Numbering:
    """How `No. Agenda`, `Nomor Arsip` and `Lokasi Arsip` are written (SPEC section 4)."""

    agenda_format: str = "{nomor:04d}/{tahun}"
    archive_format: str = "{klasifikasi}/{nomor:04d}/{unit}/{bulan_romawi}/{tahun}"
    location_format: str = "Lemari Arsip Siaran Pers {tahun} / Map {bulan}"
    klasifikasi: str = "400.14.5.6"
    unit: str = "DKISP"

    def agenda_pattern(self) -> re.Pattern[str]:
        return number_pattern(self.agenda_format)

    def archive_pattern(self) -> re.Pattern[str]:
        return number_pattern(self.archive_format, klasifikasi=self.klasifikasi, unit=self.unit)


def archive_place(numbering: Numbering, nomor: int, year: int, month: int) -> tuple[str, str]:
    """(Nomor Arsip, Lokasi Arsip) for the `nomor`-th release archived in `year`."""
    values = dict(nomor=nomor, year=year, month=month, klasifikasi=numbering.klasifikasi,
                  unit=numbering.unit)
    return (render(numbering.archive_format, **values),
            render(numbering.location_format, **values))


def number_pattern(fmt: str, **fixed: str) -> re.Pattern[str]:
    """A regex that reads `nomor` and `tahun` back out of numbers written with `fmt`.

    Used to continue the running number from what the sheet already holds (a lost ledger,
    numbers written by hand before the program ran).
    """
    parts = []
    for literal, name, _spec, _ in string.Formatter().parse(fmt):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name == "nomor":
            parts.append(r"(?P<nomor>\d+)" if "(?P<nomor>" not in "".join(parts) else r"\d+")
        elif name == "tahun":
            parts.append(r"(?P<tahun>\d{4})" if "(?P<tahun>" not in "".join(parts) else r"\d{4}")
        elif name in fixed:
            parts.append(re.escape(fixed[name]))
        else:
            parts.append(r".+?")
    return re.compile("^" + "".join(parts) + "$")


def read_number(pattern: re.Pattern[str], text: object) -> tuple[int, int] | None:
    """(year, nomor) from a written number, or None when it does not follow the format."""
    match = pattern.match(str(text or "").strip())
    if not match or "tahun" not in match.groupdict() or "nomor" not in match.groupdict():
        return None
    return int(match["tahun"]), int(match["nomor"])
