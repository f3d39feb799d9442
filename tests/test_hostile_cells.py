"""SPEC rules 4, 6 and 9 with hostile cells: every cell the program writes fits its sheet,
odd characters never make an existing file "missing" nor reach a page, and nothing a person
typed is lost."""

from __future__ import annotations

import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from automation.core import schema as S
from tests.support.workspace import NOW, Agenda, approved, row


CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9f"


def typed(text: str, store_kind: str) -> str:
    """`text` as it is stored in the sheet: an .xlsx file holds control characters as
    `_x000B_` escapes (what Excel writes, and what calamine reads back as the character)."""
    if store_kind != "xlsx":
        return text
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"_x{ord(m.group()):04X}_", text)


def site_text(agenda) -> str:
    site = agenda.cfg.website.output_dir
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".json",
                                                                               ".xml", ".txt"))


def test_four_hundred_missing_links_fit_the_cell_and_say_how_many_more(tmp_path, make_agenda,
                                                                      store_kind):
    links = "\n".join(f"kegiatan/2026-11-27/dokumentasi-rapat-koordinasi-{n:03d}.jpg"
                      for n in range(400))
    agenda = make_agenda(tmp_path, [row("Banyak Foto", **{S.MEDIA: links})])
    agenda.take_in(NOW)
    note = agenda.by_title("Banyak Foto")[S.SYSTEM_NOTE]
    assert agenda.by_title("Banyak Foto")[S.STATUS] == "Belum Lengkap"
    assert "dokumentasi-rapat-koordinasi-000.jpg" in note
    limit = 32_767 if store_kind == "xlsx" else 50_000
    assert len(note) <= limit
    if len(note) > 20_000:                       # the limit was reached: the rest is counted
        assert note.splitlines()[-1].startswith("… dan ")


def test_a_40000_character_note_never_makes_excel_call_the_file_damaged(tmp_path):
    names = "\n".join(f"{'x' * 90}-{n:03d}.jpg" for n in range(450))      # ~44,000 characters
    agenda = Agenda(tmp_path, [row("Nama Panjang", **{S.MEDIA: names})])
    agenda.take_in(NOW)
    book = CalamineWorkbook.from_path(str(agenda.path))
    grid = book.get_sheet_by_name("Buku Agenda").to_python()
    note_col = grid[0].index(S.SYSTEM_NOTE)
    note = grid[1][note_col]
    assert 30_000 < len(note) <= 32_767
    assert note.splitlines()[-1].startswith("… dan ") and "masalah lain." in note
    with zipfile.ZipFile(agenda.path) as z:
        assert z.testzip() is None
    # every text cell of the workbook fits Excel's limit
    for name in book.sheet_names:
        for r in book.get_sheet_by_name(name).to_python():
            assert all(len(v) <= 32_767 for v in r if isinstance(v, str))


@pytest.mark.parametrize("odd", ["\u200b", "\ufeff", "\u200d", "\x00", "\u2060", "\u00ad"])
def test_invisible_characters_in_a_link_do_not_make_a_file_missing(tmp_path, make_agenda, odd,
                                                                   store_kind):
    link = typed(f"foto/{odd}a.jpg{odd}", store_kind)
    agenda = make_agenda(tmp_path, [approved("Tautan Aneh", **{S.MEDIA: link})])
    agenda.take_in(NOW)
    got = agenda.by_title("Tautan Aneh")
    assert got[S.STATUS] == "Tayang", got[S.SYSTEM_NOTE]


def test_control_characters_never_reach_a_page(tmp_path, make_agenda, store_kind):
    cells = {S.TEXT: f"Paragraf satu\x0bbaris dua{CONTROL}\n\nParagraf dua",
             S.CAPTION: f"Keterangan\x0bfoto{CONTROL}"}
    agenda = make_agenda(tmp_path, [approved(typed(f"Judul{CONTROL}Berita", store_kind),
                                             **{h: typed(v, store_kind) for h, v in cells.items()})])
    agenda.take_in(NOW)
    assert [r[S.STATUS] for r in agenda.rows()] == ["Tayang"]
    pages = site_text(agenda)
    assert "Judul" in pages and "Berita" in pages and "Paragraf dua" in pages and "Keterangan" in pages
    bad = {c for c in pages if (ord(c) < 32 and c not in "\n\r\t") or 0x7f <= ord(c) <= 0x9f}
    assert bad == set()
    assert "baris dua" in pages and "satu\nbaris" in pages.replace("<br>", "")


def test_a_document_with_control_characters_is_clean_on_the_page(tmp_path):
    agenda = Agenda(tmp_path, [approved("Dari Berkas", **{S.TEXT: "naskah/rilis.txt"})])
    path = agenda.folder / "media" / "naskah" / "rilis.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(f"TANJUNG SELOR{CONTROL[1:]} – Isi\x0bberita.".encode())   # no NUL: a NUL means binary
    agenda.take_in(NOW)
    assert agenda.by_title("Dari Berkas")[S.STATUS] == "Tayang", agenda.by_title("Dari Berkas")[S.SYSTEM_NOTE]
    pages = site_text(agenda)
    assert "TANJUNG SELOR" in pages
    assert not any(ord(c) < 32 and c not in "\n\r\t" for c in pages)
