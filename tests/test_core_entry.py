"""Reading the Buku Agenda: headers, rows, copies, links, problems, fingerprints, slugs."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from automation.core import schema as S
from automation.core.entry import (
    Content, Entry, HeaderError, Rules, document_reference, field_problems, fingerprint,
    entries_of, locate_headers, post_slug, read_rows, row_digest, same_value, separate_copies,
    sheet_rows, split_links, tick_notes,
)
from automation.core.ticks import DEFAULT_TICK_WORDS, Tick
from tests.support.core import (
    ENTRY_ID, MEDIA, NEWS_TYPES, RULES, WITA, complete_cells, header_row, make_entry,
)

SPEC_HEADERS = (
    "No. Agenda", "Tanggal Terima", "Judul Berita", "Jenis Berita", "Sumber Berita",
    "Naskah Berita", "Tautan Media", "Keterangan Foto", "Petugas Penerima", "Paraf Kadis",
    "Paraf Kabid", "Ditolak", "Catatan Pimpinan", "Arsip Fisik", "Status", "Tautan Website",
    "Waktu Tayang", "Nomor Arsip", "Lokasi Arsip", "Waktu Arsip", "Catatan Sistem", "ID Sistem",
    "Pratinjau",
)
REQUIRED = ("Judul Berita", "Jenis Berita", "Sumber Berita", "Naskah Berita", "Tautan Media",
            "Petugas Penerima")
CONTENT = ("Judul Berita", "Jenis Berita", "Sumber Berita", "Naskah Berita", "Tautan Media",
           "Keterangan Foto")
SEKDIS = Rules(("Paraf Kadis", "Paraf Kabid", "Paraf Sekdis"), NEWS_TYPES, DEFAULT_TICK_WORDS)


# --- the schema the rest relies on ------------------------------------------------------------

def test_schema_headers_are_the_spec_headers_in_order():
    assert tuple(c.header for c in S.COLUMNS) == SPEC_HEADERS
    assert header_row() == list(SPEC_HEADERS)


def test_required_content_and_program_columns_follow_the_spec():
    assert S.REQUIRED_HEADERS == REQUIRED
    assert S.CONTENT_HEADERS == CONTENT
    assert set(S.PROGRAM_HEADERS) == {"No. Agenda", "Status", "Tautan Website", "Waktu Tayang",
                                      "Nomor Arsip", "Lokasi Arsip", "Waktu Arsip",
                                      "Catatan Sistem", "ID Sistem", "Pratinjau"}
    assert S.HISTORY_SHEET == "Riwayat"
    assert S.HISTORY_HEADERS == ("Waktu", "ID Sistem", "No. Agenda", "Peristiwa", "Keterangan")


def test_a_third_approval_column_sits_with_the_others_and_is_a_tick():
    headers = [c.header for c in SEKDIS.columns]
    at = headers.index("Paraf Kadis")
    assert headers[at:at + 4] == ["Paraf Kadis", "Paraf Kabid", "Paraf Sekdis", "Ditolak"]
    assert len(headers) == len(SPEC_HEADERS) + 1
    assert SEKDIS.tick_columns == ("Paraf Kadis", "Paraf Kabid", "Paraf Sekdis", "Ditolak",
                                   "Arsip Fisik")


def test_other_approval_columns_replace_the_defaults():
    rules = Rules(("Paraf Sekdis",), NEWS_TYPES, DEFAULT_TICK_WORDS)
    headers = [c.header for c in rules.columns]
    assert "Paraf Kadis" not in headers and "Paraf Kabid" not in headers
    assert headers[headers.index("Petugas Penerima") + 1] == "Paraf Sekdis"


# --- locating headers -----------------------------------------------------------------------

def test_headers_in_template_order():
    layout = locate_headers(header_row(), RULES)
    assert dict(layout.index) == {h: i for i, h in enumerate(SPEC_HEADERS)}
    assert layout.width == len(SPEC_HEADERS)


def test_headers_match_trimmed_and_case_insensitively():
    messy = [f"  {h.upper()} " if i % 2 else f"\t{h.lower()}\n" for i, h in enumerate(SPEC_HEADERS)]
    layout = locate_headers(messy, RULES)
    assert dict(layout.index) == {h: i for i, h in enumerate(SPEC_HEADERS)}


def test_reordered_columns_are_found_where_they_are():
    shuffled = list(reversed(SPEC_HEADERS))
    layout = locate_headers(shuffled, RULES)
    for header in SPEC_HEADERS:
        assert layout.index[header] == shuffled.index(header)


def test_office_columns_are_ignored():
    header = ["Nomor Surat", *SPEC_HEADERS[:5], "", None, "Keterangan Kantor", 42,
              *SPEC_HEADERS[5:], "Paraf Sekdis"]
    layout = locate_headers(header, RULES)
    assert set(layout.index) == set(SPEC_HEADERS)
    assert layout.index["No. Agenda"] == 1
    assert layout.index["Naskah Berita"] == header.index("Naskah Berita")
    assert layout.width == len(header)


NEEDED = tuple(h for h in SPEC_HEADERS if h != "Pratinjau")


def test_an_agenda_without_the_optional_preview_column_works():
    header = list(NEEDED)
    layout = locate_headers(header, RULES)
    assert "Pratinjau" not in layout.index
    assert layout.index["ID Sistem"] == header.index("ID Sistem")


@pytest.mark.parametrize("missing", NEEDED)
def test_each_missing_header_is_named(missing):
    header = [h for h in SPEC_HEADERS if h != missing]
    with pytest.raises(HeaderError) as err:
        locate_headers(header, RULES)
    message = str(err.value)
    assert f"'{missing}'" in message
    assert "tidak ditemukan" in message
    others = [h for h in SPEC_HEADERS if h != missing and f"'{h}'" in message]
    assert others == []


def test_every_missing_header_is_named_at_once():
    header = [h for h in SPEC_HEADERS if h not in ("Judul Berita", "ID Sistem", "Paraf Kabid")]
    with pytest.raises(HeaderError) as err:
        locate_headers(header, RULES)
    for name in ("Judul Berita", "ID Sistem", "Paraf Kabid"):
        assert f"'{name}'" in str(err.value)


def test_an_empty_header_row_names_every_header():
    with pytest.raises(HeaderError) as err:
        locate_headers([], RULES)
    assert all(f"'{h}'" in str(err.value) for h in NEEDED)
    assert "'Pratinjau'" not in str(err.value)


@pytest.mark.parametrize("doubled, variant", [("Status", "status"), ("Judul Berita", " JUDUL BERITA "),
                                              ("Paraf Kadis", "Paraf Kadis")])
def test_a_duplicated_header_is_named(doubled, variant):
    header = [*SPEC_HEADERS, variant]
    with pytest.raises(HeaderError) as err:
        locate_headers(header, RULES)
    message = str(err.value)
    assert "ganda" in message
    assert f"'{doubled}'" in message
    assert "tidak ditemukan" not in message


def test_missing_and_duplicated_together_are_both_named():
    header = [h for h in SPEC_HEADERS if h != "Sumber Berita"] + ["Ditolak"]
    with pytest.raises(HeaderError) as err:
        locate_headers(header, RULES)
    message = str(err.value)
    assert "'Sumber Berita'" in message and "tidak ditemukan" in message
    assert "'Ditolak'" in message and "ganda" in message


def test_a_configured_third_approval_column_is_required():
    with pytest.raises(HeaderError, match="'Paraf Sekdis'"):
        locate_headers(header_row(), SEKDIS)
    layout = locate_headers([*SPEC_HEADERS, "paraf sekdis"], SEKDIS)
    assert layout.index["Paraf Sekdis"] == len(SPEC_HEADERS)


def test_header_error_message_is_indonesian_with_the_fix():
    with pytest.raises(HeaderError) as err:
        locate_headers(SPEC_HEADERS[1:], RULES)
    assert "Tambahkan judul kolom" in str(err.value)


# --- reading rows -----------------------------------------------------------------------------

def rows_of(*rows: dict, header=SPEC_HEADERS) -> list[list]:
    return [[r.get(h) for h in header] for r in rows]


def test_blank_rows_are_skipped_also_in_the_middle_and_row_numbers_stay_true():
    a = complete_cells(**{S.TITLE: "Satu", S.ENTRY_ID: "AAAA"})
    b = complete_cells(**{S.TITLE: "Dua", S.ENTRY_ID: "BBBB"})
    raw = rows_of(a, {}, {S.TITLE: "   ", S.CAPTION: "\n"}, b, {})
    layout = locate_headers(SPEC_HEADERS, RULES)
    entries = read_rows(raw, layout, RULES)
    assert [(e.row, e.title, e.entry_id) for e in entries] == [(2, "Satu", "AAAA"), (5, "Dua", "BBBB")]
    assert [e.row for e in read_rows(raw, layout, RULES, first_row=10)] == [10, 13]


def test_unticked_checkboxes_and_program_cells_alone_make_a_blank_row():
    raw = rows_of(
        {S.PARAF_KADIS: False, S.PARAF_KABID: False, S.REJECTED: False, S.PAPER_FILED: False},
        {S.STATUS: "Belum Lengkap", S.ENTRY_ID: "ZZZZ", S.SYSTEM_NOTE: "x"},
    )
    assert read_rows(raw, locate_headers(SPEC_HEADERS, RULES), RULES) == []


@pytest.mark.parametrize("header, value", [(S.PARAF_KADIS, True), (S.LEADER_NOTE, "cek"),
                                           (S.RECEIVED, datetime(2026, 11, 1, 8, 0)),
                                           (S.RECEIVER, "Siti"), (S.CAPTION, "foto")])
def test_any_person_cell_makes_a_row(header, value):
    entries = read_rows(rows_of({header: value}), locate_headers(SPEC_HEADERS, RULES), RULES)
    assert len(entries) == 1


def test_rows_are_read_by_header_not_position_and_office_columns_are_kept_out():
    header = ["Kolom Kantor", *reversed(SPEC_HEADERS)]
    values = complete_cells(**{S.PARAF_KADIS: "ya", S.PARAF_KABID: "sudah"})
    raw = [["milik kantor", *[values.get(h) for h in reversed(SPEC_HEADERS)]]]
    [entry] = read_rows(raw, locate_headers(header, RULES), RULES)
    assert entry.title == "Gubernur Resmikan Jembatan Sungai Kayan"
    assert entry.entry_id == ENTRY_ID
    assert "Kolom Kantor" not in entry.cells
    assert set(entry.cells) == set(SPEC_HEADERS)
    assert entry.ticks == {S.PARAF_KADIS: Tick(True), S.PARAF_KABID: Tick(False, "sudah"),
                           S.REJECTED: Tick(False), S.PAPER_FILED: Tick(False)}
    assert entry.ticked(S.PARAF_KADIS) and not entry.ticked(S.PARAF_KABID)


def test_a_row_digest_follows_values_and_types_not_which_object_holds_them():
    one, other = "".join(["Berita"] * 2), "".join(["Berita"] * 2)     # equal, not the same
    assert one is not other
    assert row_digest((one, one), frozenset(), "") == row_digest((one, other), frozenset(), "")
    base = ("x", True, 1.0, None, datetime(2026, 11, 27, 9, 0, tzinfo=WITA))
    digest = row_digest(base, frozenset(), "")
    for changed in [("x", "TRUE", 1.0, None, base[4]), ("x", True, 1, None, base[4]),
                    ("x", 1, 1.0, None, base[4]), ("x", True, 1.0, "", base[4]),
                    ("x ", True, 1.0, None, base[4]),
                    ("x", True, 1.0, None, datetime(2026, 11, 27, 9, 0, 1, tzinfo=WITA)),
                    base[1:] + base[:1]]:
        assert row_digest(changed, frozenset(), "") != digest, changed
    assert row_digest(base, frozenset({S.TITLE}), "") != digest
    assert row_digest(base, frozenset(), "other rules") != digest
    assert row_digest(base, frozenset(), "", notes=("baris tersalin",)) != digest


def test_a_row_not_yet_parsed_has_the_digest_of_the_entry_it_reads_as():
    header = ["Kolom Kantor", *reversed(SPEC_HEADERS)]
    layout = locate_headers(header, RULES)
    values = complete_cells(**{S.PARAF_KADIS: True, S.RECEIVED: datetime(2026, 11, 27, 9, 0)})
    formula = (6, header.index(S.CAPTION))
    raw = [[values.get(h) for h in header],
           [{S.TITLE: "Judul Saja", S.CAPTION: "=A1"}.get(h) for h in header],
           [], ["milik kantor"]]
    rows = sheet_rows(raw, layout, first_row=5, formulas=frozenset({formula}))
    assert [r.number for r in rows] == [5, 6, 7, 8]
    entries = entries_of(rows, layout, RULES)
    assert [e.row for e in entries] == [5, 6]        # nothing a person typed in rows 7 and 8
    for row, entry in zip(rows, entries):
        assert row.entry_id == entry.entry_id
        assert row.formulas == entry.formulas
        assert row.digest("basis") == entry.digest("basis")
    assert entries[1].formulas == {S.CAPTION}
    assert entries == read_rows(raw, layout, RULES, first_row=5, formulas=frozenset({formula}))


def test_short_rows_are_padded_with_empty_cells():
    raw = [["", None, "Judul Saja"]]
    [entry] = read_rows(raw, locate_headers(SPEC_HEADERS, RULES), RULES)
    assert entry.title == "Judul Saja"
    assert entry.cells[S.ENTRY_ID] is None and entry.entry_id == ""
    assert not any(t.ticked for t in entry.ticks.values())


def test_ticks_use_the_configured_words():
    rules = Rules(RULES.approval_columns, NEWS_TYPES, ("sah",))
    entry = make_entry(rules=rules, kadis="SAH", kabid="ya")
    assert entry.ticks[S.PARAF_KADIS] == Tick(True)
    assert entry.ticks[S.PARAF_KABID] == Tick(False, "ya")


def test_a_third_approval_column_is_read_as_a_tick():
    entry = make_entry(complete_cells(**{"Paraf Sekdis": "✓"}), rules=SEKDIS)
    assert entry.ticked("Paraf Sekdis")


@pytest.mark.parametrize("value, text", [
    (None, ""), ("  Judul  ", "Judul"), ("a\r\nb\rc", "a\nb\nc"), (17.0, "17"), (17.5, "17.5"),
    (3, "3"), (True, "TRUE"), (False, "FALSE"),
    (datetime(2026, 11, 27, 9, 5, tzinfo=WITA), "2026-11-27 09:05:00"),   # office time, shown
])
def test_entry_text_normalises_cells(value, text):
    entry = Entry(2, "X", {S.TITLE: value}, {})
    assert entry.text(S.TITLE) == text


def test_entry_properties():
    when = datetime(2026, 11, 2, 9, 30, tzinfo=WITA)
    entry = Entry(2, "X", {S.TITLE: " Judul ", S.AGENDA_NUMBER: "0017/2026 ", S.RECEIVED: when}, {})
    assert entry.title == "Judul"
    assert entry.agenda_number == "0017/2026"
    assert entry.received == when
    midnight = datetime(2026, 11, 2, tzinfo=WITA)      # a date-only cell, as a store gives it
    assert Entry(2, "X", {S.RECEIVED: midnight}, {}).received == midnight
    assert Entry(2, "X", {S.RECEIVED: "2 November 2026"}, {}).received is None
    assert Entry(2, "X", {}, {}).received is None


# --- copied rows (rule 5) ---------------------------------------------------------------------

def row_with(entry_id: str, row: int, agenda: str = "", title: str = "Judul") -> Entry:
    return make_entry(complete_cells(**{S.ENTRY_ID: entry_id, S.AGENDA_NUMBER: agenda,
                                        S.TITLE: title}), row=row)


def test_unique_ids_are_left_alone():
    entries = [row_with("AAAA", 2), row_with("BBBB", 3), row_with("", 4), row_with("", 5)]
    assert separate_copies(entries, {}) == entries


def test_without_memory_the_first_row_is_the_original():
    entries = [row_with("AAAA", 2, "0001/2026"), row_with("BBBB", 3), row_with("AAAA", 7, "0001/2026")]
    original, other, copy = separate_copies(entries, {})
    assert original.entry_id == "AAAA" and original.copied_from is None
    assert other == entries[1]
    # The copy loses the shared ID (the shell gives it a new one) and says where it came from.
    assert copy.entry_id == "" and copy.copied_from == 2 and copy.row == 7
    assert copy.title == entries[2].title and copy.cells == entries[2].cells
    assert copy.ticks == entries[2].ticks
    # Both are flagged: the original by a note naming the copy's row, the copy by copied_from.
    assert len(original.notes) == 1
    assert "baris 7" in original.notes[0] and "ID Sistem" in original.notes[0]


def test_the_original_is_the_row_showing_the_remembered_agenda_number():
    entries = [row_with("AAAA", 2, "0009/2026"), row_with("AAAA", 5, "0003/2026")]
    first, second = separate_copies(entries, {"AAAA": "0003/2026"})
    assert second.entry_id == "AAAA" and second.copied_from is None
    assert "baris 2" in second.notes[0]
    assert first.entry_id == "" and first.copied_from == 5


def test_an_unmatched_remembered_number_falls_back_to_the_first_row():
    entries = [row_with("AAAA", 2, "0009/2026"), row_with("AAAA", 5, "0003/2026")]
    first, second = separate_copies(entries, {"AAAA": "0100/2026"})
    assert first.entry_id == "AAAA" and first.copied_from is None
    assert second.entry_id == "" and second.copied_from == 2


def test_memory_of_another_id_does_not_matter():
    entries = [row_with("AAAA", 2, "0009/2026"), row_with("AAAA", 5, "0003/2026")]
    first, second = separate_copies(entries, {"BBBB": "0003/2026"})
    assert first.copied_from is None and second.copied_from == 2


def test_several_copies_are_all_separated():
    entries = [row_with("AAAA", 2), row_with("AAAA", 3), row_with("AAAA", 4)]
    result = separate_copies(entries, {})
    assert [e.entry_id for e in result] == ["AAAA", "", ""]
    assert [e.copied_from for e in result] == [None, 2, 2]
    assert "3, 4" in result[0].notes[0]


def test_separate_groups_are_handled_independently():
    entries = [row_with("AAAA", 2), row_with("BBBB", 3), row_with("AAAA", 4), row_with("BBBB", 5)]
    result = separate_copies(entries, {})
    assert [e.entry_id for e in result] == ["AAAA", "BBBB", "", ""]
    assert [e.copied_from for e in result] == [None, None, 2, 3]
    assert "baris 4" in result[0].notes[0] and "baris 5" in result[1].notes[0]


def test_rows_without_id_are_never_copies():
    entries = [row_with("", 2), row_with("", 3)]
    result = separate_copies(entries, {})
    assert all(e.copied_from is None and not e.notes for e in result)


def test_separate_copies_does_not_change_its_input():
    entries = [row_with("AAAA", 2), row_with("AAAA", 3)]
    before = list(entries)
    separate_copies(entries, {})
    assert entries == before


# --- Tautan Media -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, links", [
    ("", ()),
    ("  \n , ", ()),
    ("foto1.jpg", ("foto1.jpg",)),
    ("foto1.jpg\nfoto2.jpg\r\nvideo.mp4", ("foto1.jpg", "foto2.jpg", "video.mp4")),
    ("foto1.jpg,foto2.jpg, foto3.jpg ,foto4.jpg", ("foto1.jpg", "foto2.jpg", "foto3.jpg", "foto4.jpg")),
    ("foto1.jpg foto2.jpg\tfoto3.jpg", ("foto1.jpg", "foto2.jpg", "foto3.jpg")),
    ("a.jpg\n\n\nb.jpg,,,c.jpg", ("a.jpg", "b.jpg", "c.jpg")),
    ('"Foto Kegiatan/foto 1.jpg", b.jpg', ("Foto Kegiatan/foto 1.jpg", "b.jpg")),
    ('"C:\\Berita\\Rapat 27 Nov\\"\nhttps://drive.google.com/drive/folders/1AbC',
     ("C:\\Berita\\Rapat 27 Nov\\", "https://drive.google.com/drive/folders/1AbC")),
    ('"a,b.jpg"', ("a,b.jpg",)),
    ('"  spasi.jpg  "', ("spasi.jpg",)),
    ('"   " x.jpg', ("x.jpg",)),
    ("a.jpg b.jpg a.jpg\na.jpg", ("a.jpg", "b.jpg")),
    ('a.jpg "a.jpg"', ("a.jpg",)),
    ("https://example.go.id/f.jpg?x=1&y=2 https://youtu.be/abc",
     ("https://example.go.id/f.jpg?x=1&y=2", "https://youtu.be/abc")),
])
def test_split_links(text, links):
    assert split_links(text) == links


def test_split_links_keeps_first_seen_order():
    assert split_links("c.jpg b.jpg a.jpg b.jpg c.jpg") == ("c.jpg", "b.jpg", "a.jpg")


def test_empty_quotes_are_not_a_link():
    assert split_links('"" a.jpg ""') == ("a.jpg",)


# --- Naskah Berita: text or a document --------------------------------------------------------

@pytest.mark.parametrize("naskah, reference", [
    ("https://docs.google.com/document/d/1AbCdEf/edit", "https://docs.google.com/document/d/1AbCdEf/edit"),
    ("  http://example.go.id/naskah  ", "http://example.go.id/naskah"),
    ("naskah.docx", "naskah.docx"),
    ("naskah.DOCX", "naskah.DOCX"),
    ("berita/siaran.txt", "berita/siaran.txt"),
    ("siaran.md", "siaran.md"),
    ("siaran.html", "siaran.html"),
    ("siaran.htm", "siaran.htm"),
    ('"C:\\Berita\\Naskah Rapat.docx"', "C:\\Berita\\Naskah Rapat.docx"),
    ('"naskah.txt"', "naskah.txt"),
    ("naskah.pdf", "naskah.pdf"),
    ("naskah.odt", "naskah.odt"),          # unreadable type: the media source says so in a note
])
def test_document_references(naskah, reference):
    assert document_reference(naskah) == reference


@pytest.mark.parametrize("naskah", [
    "",
    "   ",
    "Tanjung Selor - Gubernur meresmikan jembatan.",
    "Gubernur membuka rapat.\nLihat naskah.docx",
    "naskah.docx\nnaskah2.docx",
    "Naskah Rapat.docx",                   # spaces without quotes: a sentence, not a path
    "naskah",
    "https://example.go.id/a b",
    "Baca https://example.go.id/naskah",
])
def test_text_is_not_a_document_reference(naskah):
    assert document_reference(naskah) is None


# --- problems visible in the row --------------------------------------------------------------

def test_a_complete_row_has_no_problems():
    assert field_problems(make_entry(), RULES) == []


@pytest.mark.parametrize("header", REQUIRED)
@pytest.mark.parametrize("empty", [None, "", "   \n "])
def test_each_required_field_must_be_filled(header, empty):
    problems = field_problems(make_entry(complete_cells(**{header: empty})), RULES)
    assert problems == [f"Kolom '{header}' wajib diisi."]


def test_optional_fields_may_be_empty():
    entry = make_entry(complete_cells(**{S.CAPTION: None, S.RECEIVED: None, S.LEADER_NOTE: None}))
    assert field_problems(entry, RULES) == []


def test_every_missing_field_is_listed_in_sheet_order():
    entry = make_entry({S.CAPTION: "hanya keterangan"})
    assert field_problems(entry, RULES) == [f"Kolom '{h}' wajib diisi." for h in REQUIRED]


@pytest.mark.parametrize("news_type", NEWS_TYPES)
def test_every_configured_news_type_is_accepted(news_type):
    assert field_problems(make_entry(complete_cells(**{S.NEWS_TYPE: f" {news_type} "})), RULES) == []


def test_an_unknown_news_type_lists_the_choices():
    problems = field_problems(make_entry(complete_cells(**{S.NEWS_TYPE: "Opini"})), RULES)
    assert problems == ["Jenis Berita 'Opini' tidak dikenal. Pilih salah satu: "
                        + ", ".join(NEWS_TYPES) + "."]


@pytest.mark.parametrize("typed, meant", [("siaran pers", "Siaran Pers"),
                                          ("KEGIATAN OPD", "Kegiatan OPD"),
                                          ("klarifikasi hoaks", "Klarifikasi Hoaks")])
def test_a_case_mismatch_gets_a_hint(typed, meant):
    problems = field_problems(make_entry(complete_cells(**{S.NEWS_TYPE: typed})), RULES)
    assert problems == [f"Jenis Berita '{typed}' tidak dikenal. Mungkin maksudnya '{meant}'."]


def test_news_types_follow_the_configuration():
    rules = Rules(RULES.approval_columns, ("Berita Daerah",), DEFAULT_TICK_WORDS)
    assert field_problems(make_entry(complete_cells(**{S.NEWS_TYPE: "Berita Daerah"})), rules) == []
    problems = field_problems(make_entry(), rules)
    assert problems == ["Jenis Berita 'Kegiatan Pimpinan' tidak dikenal. Pilih salah satu: Berita Daerah."]


def test_empty_fields_and_bad_type_are_all_reported():
    entry = make_entry(complete_cells(**{S.TITLE: "", S.RECEIVER: None, S.NEWS_TYPE: "Opini"}))
    problems = field_problems(entry, RULES)
    assert problems[:2] == ["Kolom 'Judul Berita' wajib diisi.", "Kolom 'Petugas Penerima' wajib diisi."]
    assert problems[2].startswith("Jenis Berita 'Opini' tidak dikenal.")
    assert len(problems) == 3


def test_tick_notes_quote_odd_text_per_column():
    entry = make_entry(kadis="sudah", kabid="ya", ditolak="belum tahu", arsip=True)
    notes = tick_notes(entry)
    assert len(notes) == 2
    assert notes[0].startswith("Isi kolom 'Paraf Kadis' (\"sudah\") bukan centang")
    assert notes[1].startswith("Isi kolom 'Ditolak' (\"belum tahu\") bukan centang")
    assert tick_notes(make_entry(kadis=True, kabid="✓")) == []


def test_content_is_complete_without_problems():
    assert Content("fp").complete
    assert not Content("fp", ("Kolom 'Judul Berita' wajib diisi.",)).complete


# --- fingerprint (rule 2) ---------------------------------------------------------------------

GOLDEN = "4daf5ef874f88ab1c13fbd81a2dc5af59cd9fabd98f325b927042150ecf6c5ef"


def test_fingerprint_is_stable_across_program_versions():
    # Changing the digest would void every remembered approval after an upgrade.
    assert fingerprint(make_entry(), "", MEDIA) == GOLDEN


def test_fingerprint_is_a_sha256_hex_digest():
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(make_entry(), "", ()))


def test_fingerprint_does_not_depend_on_column_order_or_row():
    a = make_entry()
    header = list(reversed(SPEC_HEADERS))
    raw = [[complete_cells().get(h) for h in header]]
    [b] = read_rows(raw, locate_headers(header, RULES), RULES, first_row=40)
    assert fingerprint(a, "doc", MEDIA) == fingerprint(b, "doc", MEDIA)


@pytest.mark.parametrize("header", CONTENT)
def test_fingerprint_changes_with_each_content_field(header):
    base = fingerprint(make_entry(), "", MEDIA)
    changed = make_entry(complete_cells(**{header: "Isi lain"}))
    assert fingerprint(changed, "", MEDIA) != base


@pytest.mark.parametrize("header, value", [
    (S.RECEIVER, "Budi"), (S.RECEIVED, datetime(2026, 11, 3, 8, 0)), (S.AGENDA_NUMBER, "0099/2026"),
    (S.PARAF_KADIS, True), (S.PARAF_KABID, "ya"), (S.REJECTED, True), (S.PAPER_FILED, True),
    (S.LEADER_NOTE, "Bagus"), (S.STATUS, "Tayang"), (S.WEBSITE_URL, "https://x/"),
    (S.PUBLISHED_AT, datetime(2026, 11, 3, 9, 0)), (S.ARCHIVE_NUMBER, "400.14.5.6/0001/DKISP/XI/2026"),
    (S.ARCHIVE_LOCATION, "Lemari"), (S.ARCHIVED_AT, datetime(2026, 11, 4)), (S.SYSTEM_NOTE, "catatan"),
    (S.ENTRY_ID, "LAIN123456"),
])
def test_fingerprint_ignores_non_content_fields(header, value):
    base = fingerprint(make_entry(), "", MEDIA)
    assert fingerprint(make_entry(complete_cells(**{header: value})), "", MEDIA) == base


def test_fingerprint_ignores_surrounding_whitespace_and_line_ending_style():
    base = fingerprint(make_entry(), "", MEDIA)
    cells = complete_cells()
    cells[S.TITLE] = f"  {cells[S.TITLE]}  "
    cells[S.MEDIA] = cells[S.MEDIA].replace("\n", "\r\n")
    assert fingerprint(make_entry(cells), "", MEDIA) == base


def test_fingerprint_sees_a_change_inside_a_field():
    cells = complete_cells()
    cells[S.TEXT] = cells[S.TEXT].replace("jembatan", "Jembatan")
    assert fingerprint(make_entry(cells), "", MEDIA) != fingerprint(make_entry(), "", MEDIA)


def test_fingerprint_follows_the_referenced_document():
    entry = make_entry(complete_cells(**{S.TEXT: "naskah.docx"}))
    assert fingerprint(entry, "doc-v1", MEDIA) != fingerprint(entry, "doc-v2", MEDIA)
    assert fingerprint(entry, "doc-v1", MEDIA) != fingerprint(entry, "", MEDIA)
    assert fingerprint(entry, "doc-v1", MEDIA) == fingerprint(entry, "doc-v1", MEDIA)


@pytest.mark.parametrize("media", [
    (("foto1.jpg", "aa" * 32),),                                     # a file gone
    (("foto1.jpg", "aa" * 32), ("video1.mp4", "cc" * 32)),           # a file's bytes changed
    (("foto1.jpg", "aa" * 32), ("video2.mp4", "bb" * 32)),           # renamed
    (("video1.mp4", "bb" * 32), ("foto1.jpg", "aa" * 32)),           # reordered
    (*MEDIA, ("foto3.jpg", "dd" * 32)),                              # a file added to a folder
])
def test_fingerprint_follows_the_media(media):
    entry = make_entry()
    assert fingerprint(entry, "", media) != fingerprint(entry, "", MEDIA)


def test_fingerprint_accepts_media_as_lists_or_tuples():
    entry = make_entry()
    assert fingerprint(entry, "", [list(m) for m in MEDIA]) == fingerprint(entry, "", MEDIA)


def test_fields_cannot_be_shuffled_into_each_other():
    a = make_entry(complete_cells(**{S.TITLE: "A", S.SOURCE: "B"}))
    b = make_entry(complete_cells(**{S.TITLE: "B", S.SOURCE: "A"}))
    assert fingerprint(a, "", MEDIA) != fingerprint(b, "", MEDIA)


# --- post slugs -------------------------------------------------------------------------------

@pytest.mark.parametrize("title, slug", [
    ("Gubernur Resmikan Jembatan Sungai Kayan", "gubernur-resmikan-jembatan-sungai-kayan-k7qpz2mx9a"),
    ("Wagub: Rapat 'Koordinasi' & Evaluasi (2026)!", "wagub-rapat-koordinasi-evaluasi-2026-k7qpz2mx9a"),
    ("  --Kaltara   Juara!!--  ", "kaltara-juara-k7qpz2mx9a"),
    ("Festival Budaya Dayak & Tidung di Tanjung Selor", "festival-budaya-dayak-tidung-di-tanjung-selor-k7qpz2mx9a"),
    ("Café Literasi Pemuda", "cafe-literasi-pemuda-k7qpz2mx9a"),
    ("HUT ke-13 Provinsi Kaltara 2025/2026", "hut-ke-13-provinsi-kaltara-2025-2026-k7qpz2mx9a"),
])
def test_slugs_of_indonesian_titles(title, slug):
    assert post_slug(title, ENTRY_ID) == slug


@pytest.mark.parametrize("title", ["", "   ", "!!! ???", "🎉🎉", "مرحبا"])
def test_titles_with_nothing_usable_fall_back_to_berita(title):
    assert post_slug(title, ENTRY_ID) == "berita-k7qpz2mx9a"


def test_long_titles_are_cut_without_a_dangling_hyphen():
    title = ("Rapat Koordinasi Percepatan Penurunan Stunting Tingkat Provinsi Kalimantan Utara "
             "Tahun 2026 di Tanjung Selor")
    slug = post_slug(title, ENTRY_ID)
    words, suffix = slug.rsplit("-", 1)
    assert suffix == "k7qpz2mx9a"
    assert len(words) <= 60 and not words.endswith("-")
    assert "--" not in slug
    assert title.lower().replace(" ", "-").startswith(words)


@pytest.mark.parametrize("title", ["A" * 200, "Kata " * 40, "a-" * 40, "x" * 59 + " y"])
def test_slugs_are_url_safe_and_bounded(title):
    slug = post_slug(title, "AB_C-12 3")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert slug.endswith("-abc123")
    assert len(slug) <= 60 + 1 + len("abc123")


def test_slugs_are_unique_through_the_entry_id():
    assert post_slug("Rapat", "AAAA111111") != post_slug("Rapat", "BBBB222222")
    assert post_slug("Rapat", "AAAA111111") == post_slug("Rapat", "AAAA111111")


# --- same_value -------------------------------------------------------------------------------

WHEN = datetime(2026, 11, 27, 14, 5)


@pytest.mark.parametrize("current, desired", [
    (None, None), ("", None), (None, ""), ("", ""),
    ("Tayang", "Tayang"), (" Tayang \n", "Tayang"), ("Tayang", " Tayang "),
    ("0017/2026", "0017/2026"),
    (True, True), (False, False),
    (WHEN, WHEN), (WHEN.replace(microsecond=999_000), WHEN), (WHEN, WHEN.replace(microsecond=500_000)),
    (date(2026, 11, 27), datetime(2026, 11, 27)),
    (WHEN.replace(tzinfo=WITA), WHEN.replace(tzinfo=WITA)),
])
def test_same_value(current, desired):
    assert same_value(current, desired)


@pytest.mark.parametrize("current, desired", [
    ("Tayang", None), ("Tayang", ""), (0, ""), (False, None),
    ("Tayang", "Ditarik"), ("tayang", "Tayang"), (None, "Tayang"),
    ("TRUE", True), (1, True), (None, False), ("", False), (0, False), ("ya", False), (True, False),
    (WHEN, WHEN.replace(second=2)), (WHEN.replace(minute=6), WHEN), ("27 November 2026", WHEN),
    (date(2026, 11, 27), WHEN), (None, WHEN),
    (17, "17"), (17.0, "0017/2026"),
])
def test_different_values(current, desired):
    assert not same_value(current, desired)


def test_rows_holding_only_formulas_are_blank():
    """An office that fills `Tanggal Terima` with a formula down the column makes no rows."""
    header = list(SPEC_HEADERS)
    received = header.index("Tanggal Terima")
    raw = [[None] * len(header) for _ in range(3)]
    raw[0][received] = "1 Desember 2026"       # what the formula shows: still no release
    raw[1][header.index("Judul Berita")] = "Rapat"
    formulas = frozenset((n, received) for n in range(2, 400))
    entries = read_rows(raw, locate_headers(header, RULES), RULES, formulas=formulas)
    assert [e.row for e in entries] == [3]
    assert entries[0].formulas == {"Tanggal Terima"}
