"""Agenda numbers, archive numbers and locations (SPEC sections 2 and 4)."""

from __future__ import annotations

import re

import pytest

from automation.config import ArchiveConfig, Config
from automation.core.calendar import MONTHS, ROMAN_MONTHS
from automation.workspace import numbering_of
from automation.core.numbering import (
    FormatError, archive_place, check_format, number_pattern, read_number, render,
)

def place(archive: ArchiveConfig, nomor: int, year: int, month: int) -> tuple[str, str]:
    """`archive_place` with the numbering the program makes of this `[archive]` table."""
    return archive_place(numbering_of(Config(archive=archive)), nomor, year, month)


AGENDA_FORMAT = "{nomor:04d}/{tahun}"
ARCHIVE_FORMAT = "{klasifikasi}/{nomor:04d}/{unit}/{bulan_romawi}/{tahun}"
LOCATION_FORMAT = "Lemari Arsip Siaran Pers {tahun} / Map {bulan}"

ALL_MONTHS = [
    (1, "Januari", "I"), (2, "Februari", "II"), (3, "Maret", "III"), (4, "April", "IV"),
    (5, "Mei", "V"), (6, "Juni", "VI"), (7, "Juli", "VII"), (8, "Agustus", "VIII"),
    (9, "September", "IX"), (10, "Oktober", "X"), (11, "November", "XI"), (12, "Desember", "XII"),
]


# --- defaults and the SPEC examples ---------------------------------------------------------

def test_archive_defaults_are_the_spec_defaults():
    archive = ArchiveConfig()
    assert archive.number_format == ARCHIVE_FORMAT
    assert archive.klasifikasi == "400.14.5.6"
    assert archive.unit == "DKISP"
    assert archive.location_format == LOCATION_FORMAT


def test_spec_archive_example():
    assert place(ArchiveConfig(), 1, 2026, 11) == (
        "400.14.5.6/0001/DKISP/XI/2026", "Lemari Arsip Siaran Pers 2026 / Map November")


def test_spec_agenda_example():
    assert render(AGENDA_FORMAT, nomor=17, year=2026, month=11) == "0017/2026"


@pytest.mark.parametrize("month, name, roman", ALL_MONTHS)
def test_every_month_name_and_roman_numeral(month, name, roman):
    number, location = place(ArchiveConfig(), 42, 2027, month)
    assert number == f"400.14.5.6/0042/DKISP/{roman}/2027"
    assert location == f"Lemari Arsip Siaran Pers 2027 / Map {name}"


def test_calendar_tables_are_complete_and_ordered():
    assert MONTHS == tuple(n for _, n, _ in ALL_MONTHS)
    assert ROMAN_MONTHS == tuple(r for _, _, r in ALL_MONTHS)


@pytest.mark.parametrize("nomor, written", [(1, "0001"), (17, "0017"), (999, "0999"),
                                            (9999, "9999"), (12345, "12345")])
def test_nomor_uses_the_format_spec_and_never_truncates(nomor, written):
    assert render(AGENDA_FORMAT, nomor=nomor, year=2026, month=1) == f"{written}/2026"
    number, _ = place(ArchiveConfig(), nomor, 2026, 1)
    assert number == f"400.14.5.6/{written}/DKISP/I/2026"


def test_custom_archive_configuration():
    archive = ArchiveConfig(number_format="{unit}-{tahun}-{nomor:03d}-{bulan}",
                            klasifikasi="000.1", unit="HUMAS",
                            location_format="Rak {bulan_romawi}/{tahun} ({klasifikasi})")
    assert place(archive, 7, 2026, 3) == ("HUMAS-2026-007-Maret", "Rak III/2026 (000.1)")


def test_literal_braces_survive():
    assert render("{{{nomor}}}/{tahun}", nomor=3, year=2026, month=1) == "{3}/2026"


# --- check_format -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", [AGENDA_FORMAT, "{tahun}/{nomor}", "AG-{nomor:05d}-{tahun}",
                                 "{nomor:>4}/{tahun:d}"])
def test_good_agenda_formats_pass(fmt):
    check_format(fmt, "agenda")


@pytest.mark.parametrize("fmt, kind", [
    (ARCHIVE_FORMAT, "archive"), (LOCATION_FORMAT, "location"),
    ("{klasifikasi}-{unit}-{bulan}-{bulan_romawi}-{tahun}-{nomor}", "archive")])
def test_good_archive_formats_pass(fmt, kind):
    check_format(fmt, kind)


@pytest.mark.parametrize("fmt, name", [
    ("{nomor}/{tahun}/{bulan}", "bulan"),            # archive-only placeholder in an agenda
    ("{nomor}/{tahun}/{unit}", "unit"),
    ("{nomor}/{year}", "year"),
    ("{no}/{tahun}", "no"),
    ("{Nomor}/{tahun}", "Nomor"),
])
def test_unknown_agenda_placeholders_are_refused_by_name(fmt, name):
    with pytest.raises(FormatError) as err:
        check_format(fmt, "agenda")
    assert f"{{{name}}}" in str(err.value)
    assert "{nomor}" in str(err.value) and "{tahun}" in str(err.value)   # the allowed ones


@pytest.mark.parametrize("fmt, name", [
    ("{klasifikasi}/{nomor}/{bidang}", "bidang"),
    ("{nomor}/{bulan_romawi}/{thn}", "thn"),
])
def test_unknown_archive_placeholders_are_refused_by_name(fmt, name):
    with pytest.raises(FormatError, match=f"{{{name}}}"):
        check_format(fmt, "archive")


@pytest.mark.parametrize("fmt", ["{}/{tahun}", "{0}/{tahun}", "{nomor[0]}/{tahun}",
                                 "{nomor.real}/{tahun}"])
def test_positional_index_and_attribute_fields_are_refused(fmt):
    with pytest.raises(FormatError):
        check_format(fmt, "agenda")


def test_conversions_are_refused():
    with pytest.raises(FormatError, match="!r"):
        check_format("{nomor!r}/{tahun}", "agenda")


@pytest.mark.parametrize("fmt", ["{nomor/{tahun}", "{nomor}/{tahun", "{nomor:zz}/{tahun}",
                                 "}{nomor}"])
def test_broken_formats_are_refused_as_format_errors(fmt):
    with pytest.raises(FormatError):
        check_format(fmt, "agenda")


def test_a_spec_that_does_not_fit_the_value_is_refused():
    with pytest.raises(FormatError):
        check_format("{klasifikasi}/{nomor}/{bulan:d}", "archive")


def test_format_error_is_a_value_error():
    assert issubclass(FormatError, ValueError)


@pytest.mark.parametrize("fmt, kind, missing", [
    ("{tahun}", "agenda", "{nomor}"), ("{nomor:04d}", "agenda", "{tahun}"),
    ("{klasifikasi}/{tahun}", "archive", "{nomor}"), ("{unit}/{nomor}", "archive", "{tahun}"),
])
def test_number_formats_without_nomor_and_tahun_are_refused(fmt, kind, missing):
    with pytest.raises(FormatError, match=re.escape(missing)):
        check_format(fmt, kind)


def test_a_location_needs_no_number():
    check_format("Lemari {unit}", "location")


def test_nested_spec_with_unknown_field_is_a_format_error():
    with pytest.raises(FormatError):
        check_format("{nomor:{lebar}}/{tahun}", "agenda")


# --- reading numbers back -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("0017/2026", (2026, 17)),
    ("0001/2027", (2027, 1)),
    ("17/2026", (2026, 17)),
    ("12345/2026", (2026, 12345)),
    ("  0017/2026 \n", (2026, 17)),
])
def test_default_agenda_numbers_read_back(text, expected):
    assert read_number(number_pattern(AGENDA_FORMAT), text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "abc", "0017", "0017/26", "0017-2026",
                                  "x0017/2026", "0017/2026/1", "0017/20266", "/2026",
                                  "Tayang", 17, 2026.0])
def test_junk_does_not_read_as_an_agenda_number(text):
    assert read_number(number_pattern(AGENDA_FORMAT), text) is None


@pytest.mark.parametrize("nomor", [1, 9, 10, 999, 1000, 4321])
@pytest.mark.parametrize("month, _name, roman", ALL_MONTHS)
def test_archive_numbers_round_trip(nomor, month, _name, roman):
    archive = ArchiveConfig()
    number, _ = place(archive, nomor, 2026, month)
    pattern = number_pattern(archive.number_format, klasifikasi=archive.klasifikasi,
                             unit=archive.unit)
    assert read_number(pattern, number) == (2026, nomor)


def test_spec_archive_number_reads_back_with_and_without_fixed_parts():
    text = "400.14.5.6/0001/DKISP/XI/2026"
    fixed = number_pattern(ARCHIVE_FORMAT, klasifikasi="400.14.5.6", unit="DKISP")
    loose = number_pattern(ARCHIVE_FORMAT)
    assert read_number(fixed, text) == (2026, 1)
    assert read_number(loose, text) == (2026, 1)


@pytest.mark.parametrize("text", [
    "400.14.5.6/0001/DKP/XI/2026",          # another unit
    "400.14.5.7/0001/DKISP/XI/2026",        # another classification
    "400x14x5x6/0001/DKISP/XI/2026",        # the dots are literal, not regex wildcards
    "400.14.5.6/abcd/DKISP/XI/2026",
    "400.14.5.6/0001/DKISP/XI/26",
    "0017/2026",
])
def test_fixed_parts_must_match_exactly(text):
    pattern = number_pattern(ARCHIVE_FORMAT, klasifikasi="400.14.5.6", unit="DKISP")
    assert read_number(pattern, text) is None


@pytest.mark.parametrize("fmt, text, expected", [
    ("{tahun}.{nomor:03d}", "2026.017", (2026, 17)),
    ("{tahun}.{nomor:03d}", "2026x017", None),              # '.' is literal
    ("AG-{nomor:05d}-{tahun}", "AG-00042-2026", (2026, 42)),
    ("AG-{nomor:05d}-{tahun}", "AB-00042-2026", None),
    ("({nomor})[{tahun}]*", "(5)[2026]*", (2026, 5)),       # regex metacharacters in literals
    ("{nomor}/{bulan}/{tahun}", "3/Desember/2026", (2026, 3)),
    ("{nomor}/{tahun}/{nomor}", "5/2026/5", (2026, 5)),     # a repeated placeholder
    ("{{{nomor}}}/{tahun}", "{8}/2026", (2026, 8)),
])
def test_custom_formats_read_back(fmt, text, expected):
    assert read_number(number_pattern(fmt), text) == expected


@pytest.mark.parametrize("fmt", ["{nomor:04d}", "{tahun}-AG"])
def test_formats_lacking_nomor_or_tahun_read_nothing(fmt):
    text = render(fmt, nomor=3, year=2026, month=1)
    assert read_number(number_pattern(fmt), text) is None


def test_number_pattern_is_anchored():
    pattern = number_pattern(AGENDA_FORMAT)
    assert pattern.match("0017/2026")
    assert not pattern.match("0017/2026 lama")
    assert not pattern.match("no 0017/2026")
