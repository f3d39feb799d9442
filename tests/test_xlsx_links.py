"""The program's link cells (`Tautan Website`, `Pratinjau`) become real hyperlinks in the .xlsx
agenda: clickable in Excel and LibreOffice, a relative path opening the file beside the
workbook, the office's own hyperlinks and relationships kept byte for byte."""

from __future__ import annotations

import copy
import io
import logging
import re
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import openpyxl
import pytest
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink

from automation.agenda.ooxml import (
    HYPERLINK_REL, LINK_COLOR, MAX_LINK, NS, REL_NS, Workbook, hyperlink_target,
)
from automation.agenda.xlsx_store import XlsxAgenda
from automation.core import schema as S
from automation.ports import RowWrite
from tests.support.workspace import WITA, Agenda, row
from tests.support.libreoffice import SOFFICE, convert

SHEET = "xl/worksheets/sheet1.xml"
RELS = "xl/worksheets/_rels/sheet1.xml.rels"
PDF = "pratinjau/0017-2026 v2 Ö.pdf"            # a space and a letter beyond ASCII
SITE = "https://humas.example.go.id/2026/11/gubernur-resmikan-jembatan/"
WINDOWS = "D:\\Arsip\\pratinjau\\0017-2026-v2.pdf"    # on another drive than the agenda


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def office_workbook(path: Path) -> Path:
    """An office's workbook: a web link on A1, a link into the sheet on A2, a comment (a
    relationship of another kind), styled cells where the program writes (column C)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Agenda"
    for r in range(1, 6):
        ws.append([f"baris {r}", r, None])
    ws["A1"].hyperlink = "https://example.org/kantor"
    ws["A2"].hyperlink = Hyperlink(ref="A2", location="'Agenda'!B4")
    ws["B2"].comment = Comment("dicek Kasi", "Kasi")
    thin = Side(style="thin", color="FF000000")
    ws["C3"].fill = PatternFill("solid", fgColor="FFFFFF00")
    ws["C3"].border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["C3"].number_format = "@"
    ws["B3"].font = Font(bold=True, color="FFFF0000")
    book.save(path)
    return path


def patch(path: Path, cells: dict[tuple[int, int], str | None]) -> None:
    """What the store does for a link column: the text, and a hyperlink to it."""
    book = Workbook.open(path.read_bytes())
    sheet = book.sheet(book.sheet_names[0])
    for (r, c), text in cells.items():
        assert sheet.set(r, c, text)
        sheet.link(r, c, text)
    out = io.BytesIO()
    book.write_to(out)
    path.write_bytes(out.getvalue())


def look(cell) -> tuple:
    """What a cell looks like (openpyxl's style proxies compare by identity, their copies by
    value)."""
    return (copy.copy(cell.font), copy.copy(cell.fill), copy.copy(cell.border),
            cell.number_format)


def hyperlinks(xml: bytes) -> list[bytes]:
    return re.findall(rb"<(?:\w+:)?hyperlink\b[^>]*/>", xml)


def relationships(xml: bytes) -> list[bytes]:
    return re.findall(rb"<Relationship\b[^>]*/>", xml)


def links_of(path: Path) -> dict[str, tuple[str | None, str | None]]:
    """Cell -> (target, location) of each hyperlink, as openpyxl reads them."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    return {c.coordinate: (c.hyperlink.target, c.hyperlink.location)
            for r in ws.iter_rows() for c in r if c.hyperlink is not None}


def consistent(path: Path) -> None:
    """Every hyperlink's relationship exists and is one, and no hyperlink relationship is
    left that no hyperlink uses."""
    got = parts(path)
    sheet = etree.fromstring(got[SHEET])
    used = [h.get(f"{{{REL_NS}}}id") for h in sheet.iter(f"{{{NS}}}hyperlink")]
    rels = {r.get("Id"): r.get("Type") for r in etree.fromstring(got[RELS])}
    assert all(rels.get(i) == HYPERLINK_REL for i in used if i)
    assert sorted(i for i in used if i) == sorted(i for i, t in rels.items() if t == HYPERLINK_REL)
    refs = [h.get("ref") for h in sheet.iter(f"{{{NS}}}hyperlink")]
    assert len(refs) == len(set(refs)), f"a cell with two hyperlinks: {refs}"


# -- the patcher -----------------------------------------------------------------------------

def test_a_linked_cell_opens_what_it_shows_and_looks_like_a_link(tmp_path):
    path = office_workbook(tmp_path / "agenda.xlsx")
    before = openpyxl.load_workbook(path)["Agenda"]
    looks = {c.coordinate: look(c) for r in before.iter_rows() for c in r}
    patch(path, {(3, 2): PDF, (4, 2): SITE, (5, 2): WINDOWS})

    ws = openpyxl.load_workbook(path)["Agenda"]
    for ref, text in (("C3", PDF), ("C4", SITE), ("C5", WINDOWS)):
        cell = ws[ref]
        assert cell.value == text
        assert cell.hyperlink.target == hyperlink_target(text)
        assert cell.font.u == "single" and cell.font.color.rgb == LINK_COLOR
    assert ws["C3"].hyperlink.target == "pratinjau/0017-2026%20v2%20%C3%96.pdf"
    assert ws["C4"].hyperlink.target == SITE
    assert ws["C5"].hyperlink.target == "file:///D:/Arsip/pratinjau/0017-2026-v2.pdf"
    # C3 keeps its fill, borders and number format; no other cell's style changed
    assert look(ws["C3"])[1:] == looks["C3"][1:] and ws["C3"].number_format == "@"
    written = ("C3", "C4", "C5")
    assert {ref: seen for ref, seen in looks.items() if ref not in written} == \
        {c.coordinate: look(c) for r in ws.iter_rows() for c in r if c.coordinate not in written}
    assert links_of(path) == {"A1": ("https://example.org/kantor", None),
                              "A2": (None, "'Agenda'!B4"),
                              "C3": (hyperlink_target(PDF), None), "C4": (SITE, None),
                              "C5": (hyperlink_target(WINDOWS), None)}
    consistent(path)


def test_linking_a_cell_again_leaves_one_hyperlink_and_no_orphan_relationship(tmp_path):
    path = office_workbook(tmp_path / "agenda.xlsx")
    patch(path, {(3, 2): "pratinjau/0017-2026-v1.pdf"})
    patch(path, {(3, 2): "pratinjau/0017-2026-v2.pdf"})
    patch(path, {(3, 2): "pratinjau/0017-2026-arsip.pdf", (4, 2): SITE})
    got = parts(path)
    assert len([h for h in hyperlinks(got[SHEET]) if b'ref="C3"' in h]) == 1
    assert [r for r in relationships(got[RELS]) if b"0017-2026" in r] == [
        r for r in relationships(got[RELS]) if b"0017-2026-arsip.pdf" in r]
    assert links_of(path)["C3"] == ("pratinjau/0017-2026-arsip.pdf", None)
    consistent(path)

    # twice in one write: the last one counts
    book = Workbook.open(path.read_bytes())
    sheet = book.sheet("Agenda")
    sheet.link(5, 2, "pratinjau/a.pdf")
    sheet.link(5, 2, "pratinjau/b.pdf")
    out = io.BytesIO()
    book.write_to(out)
    path.write_bytes(out.getvalue())
    assert links_of(path)["C5"] == ("pratinjau/b.pdf", None)
    assert b"pratinjau/a.pdf" not in parts(path)[RELS]
    consistent(path)


def test_emptying_a_cell_takes_its_hyperlink_away_and_leaves_the_offices_as_they_were(tmp_path):
    path = office_workbook(tmp_path / "agenda.xlsx")
    original = parts(path)
    patch(path, {(3, 2): PDF, (4, 2): SITE})
    patch(path, {(3, 2): None, (4, 2): ""})
    got = parts(path)
    assert links_of(path) == {"A1": ("https://example.org/kantor", None),
                              "A2": (None, "'Agenda'!B4")}
    assert got[RELS] == original[RELS]
    assert hyperlinks(got[SHEET]) == hyperlinks(original[SHEET])
    consistent(path)


def test_a_cell_without_a_hyperlink_emptied_changes_nothing(tmp_path):
    book = Workbook.open(office_workbook(tmp_path / "agenda.xlsx").read_bytes())
    assert book.sheet("Agenda").link(3, 2, None) is False
    assert not book.changed


def plain_workbook(path: Path) -> Path:
    """A one-row workbook as openpyxl saves it: its worksheet has no relationships part."""
    book = openpyxl.Workbook()
    book.active.title = "Agenda"
    book.active.append(["a", None])
    book.save(path)
    return path


def test_the_last_hyperlink_taken_away_takes_the_list_with_it(tmp_path):
    path = plain_workbook(tmp_path / "plain.xlsx")
    patch(path, {(1, 1): SITE})
    assert parts(path)[RELS].count(b"<Relationship ") == 1
    patch(path, {(1, 1): None})
    got = parts(path)
    assert b"hyperlink" not in got[SHEET] and b"<Relationship " not in got[RELS]
    assert links_of(path) == {}


def test_a_worksheet_without_relationships_gets_its_part(tmp_path):
    path = plain_workbook(tmp_path / "plain.xlsx")
    assert RELS not in parts(path)
    patch(path, {(1, 1): PDF})
    got = parts(path)
    assert RELS in got
    assert re.search(rb'<Default Extension="rels"', got["[Content_Types].xml"])
    # the list goes where the schema has it: after the cells, before the page margins
    assert re.search(rb"</sheetData><hyperlinks><hyperlink [^>]*/></hyperlinks><pageMargins",
                     got[SHEET])
    assert links_of(path) == {"B1": (hyperlink_target(PDF), None)}
    consistent(path)


def test_a_content_types_part_without_rels_gets_the_default(tmp_path):
    path = plain_workbook(tmp_path / "plain.xlsx")
    bare = {n: re.sub(rb'<Default Extension="rels"[^>]*/>', b"", x) if n == "[Content_Types].xml"
            else x for n, x in parts(path).items()}
    with zipfile.ZipFile(path, "w") as z:
        for n, x in bare.items():
            z.writestr(n, x)
    patch(path, {(1, 1): SITE})
    types = parts(path)["[Content_Types].xml"]
    assert types.count(b'Extension="rels"') == 1
    assert links_of(path) == {"B1": (SITE, None)}


@pytest.mark.parametrize("text, address", [
    ("pratinjau/0017-2026-v2.pdf", "pratinjau/0017-2026-v2.pdf"),
    ("pratinjau/0017 2026 #2 100%.pdf", "pratinjau/0017%202026%20%232%20100%25.pdf"),
    ("pratinjau\\0017-2026-v2.pdf", "pratinjau/0017-2026-v2.pdf"),
    ("../arsip/pratinjau/x.pdf", "../arsip/pratinjau/x.pdf"),
    ("D:\\Arsip\\pratinjau\\0017-2026-v2.pdf", "file:///D:/Arsip/pratinjau/0017-2026-v2.pdf"),
    ("D:\\Arsip Humas\\Pratinjau\\Berita Ö.pdf",
     "file:///D:/Arsip%20Humas/Pratinjau/Berita%20%C3%96.pdf"),
    ("\\\\server\\humas\\pratinjau\\x.pdf", "file://server/humas/pratinjau/x.pdf"),
    ("/srv/agenda/pratinjau/x y.pdf", "file:///srv/agenda/pratinjau/x%20y.pdf"),
    ("notes:1.pdf", "./notes:1.pdf"),              # not a URL scheme
    (SITE, SITE),
    ("https://x.example/?a=1&b=\"2\"<3>", "https://x.example/?a=1&b=\"2\"<3>"),
    ("mailto:humas@example.go.id", "mailto:humas@example.go.id"),
    ("  pratinjau/x\x00\x07.pdf \n", "pratinjau/x.pdf"),
    ("", ""),
])
def test_addresses(text, address):
    assert hyperlink_target(text) == address


def test_hostile_text_makes_a_well_formed_link(tmp_path):
    path = office_workbook(tmp_path / "agenda.xlsx")
    url = 'https://x.example/?q="a"&b=<c>\x01\x1f{p}'
    patch(path, {(3, 2): url, (4, 2): 'pratinjau/"a"&<b>.pdf'})
    got = parts(path)
    etree.fromstring(got[SHEET])
    etree.fromstring(got[RELS])
    links = links_of(path)
    assert links["C3"] == ('https://x.example/?q="a"&b=<c>{p}', None)
    assert links["C4"] == ("pratinjau/%22a%22%26%3Cb%3E.pdf", None)
    consistent(path)


def test_an_address_too_long_for_excel_leaves_the_text_unlinked(tmp_path, caplog):
    path = office_workbook(tmp_path / "agenda.xlsx")
    patch(path, {(3, 2): SITE})
    long = SITE + "x" * MAX_LINK
    with caplog.at_level(logging.DEBUG, logger="automation.agenda.ooxml"):
        patch(path, {(3, 2): long})
    assert "too long for a hyperlink" in caplog.text
    assert openpyxl.load_workbook(path)["Agenda"]["C3"].value == long
    assert "C3" not in links_of(path)          # nor the old link to what it no longer shows
    consistent(path)


def test_a_relationships_prefix_of_another_name_is_used(tmp_path):
    """A sheet whose root binds the relationships namespace to `rel` and `r` to another."""
    path = office_workbook(tmp_path / "agenda.xlsx")
    original = parts(path)
    sheet = original[SHEET].replace(f' xmlns:r="{REL_NS}"'.encode(), b"")
    sheet = sheet.replace(b" r:id=", b" rel:id=")
    sheet = re.sub(rb"<worksheet ", f'<worksheet xmlns:rel="{REL_NS}" xmlns:r="urn:x" '.encode(),
                   sheet, count=1)
    with zipfile.ZipFile(path, "w") as z:
        for n, x in original.items():
            z.writestr(n, sheet if n == SHEET else x)
    patch(path, {(3, 2): PDF})
    got = parts(path)[SHEET]
    assert re.search(rb'<hyperlink ref="C3" rel:id="rId\d+"/>', got)
    assert links_of(path)["C3"] == (hyperlink_target(PDF), None)
    consistent(path)
    patch(path, {(1, 0): None})                 # the office's link, on a cell now emptied
    assert "A1" not in links_of(path)
    consistent(path)


def test_a_sheet_prefixing_its_namespace_has_its_hyperlinks_found(tmp_path):
    """A worksheet written as `<x:worksheet xmlns:x=...>` (the OpenXML SDK does so)."""
    path = office_workbook(tmp_path / "agenda.xlsx")
    original = parts(path)
    sheet = re.sub(rb"<(/?)(\w+)(?=[\s/>])", rb"<\1x:\2", original[SHEET])
    sheet = sheet.replace(f'xmlns="{NS}"'.encode(), f'xmlns:x="{NS}"'.encode(), 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, x in original.items():
            z.writestr(n, sheet if n == SHEET else x)
    book = Workbook.open(path.read_bytes())
    assert book.sheet("Agenda").link(1, 0, None) is False and book.changed
    out = io.BytesIO()
    book.write_to(out)
    path.write_bytes(out.getvalue())
    got = parts(path)
    assert b"<x:hyperlinks><x:hyperlink ref=\"A2\"" in got[SHEET]
    assert links_of(path) == {"A2": (None, "'Agenda'!B4")}
    assert b"kantor" not in got[RELS]
    consistent(path)


# -- as the office saved it, as LibreOffice opens it -----------------------------------------

@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory) -> Path:
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("calc")
    source = office_workbook(folder / "office.xlsx")
    (folder / "saved").mkdir()
    return convert(source, "xlsx", folder / "saved")


@pytest.mark.parametrize("saved_by", ["openpyxl", "libreoffice"])
def test_the_offices_hyperlinks_and_relationships_keep_their_bytes(tmp_path, request, saved_by):
    if saved_by == "libreoffice":
        path = tmp_path / "agenda.xlsx"
        path.write_bytes(request.getfixturevalue("saved_by_libreoffice").read_bytes())
    else:
        path = office_workbook(tmp_path / "agenda.xlsx")
    original = parts(path)
    assert len(hyperlinks(original[SHEET])) == 2 and b"location=" in original[SHEET]
    patch(path, {(3, 2): PDF, (5, 2): SITE})
    patch(path, {(3, 2): "pratinjau/0017-2026-arsip.pdf"})
    got = parts(path)
    theirs = hyperlinks(original[SHEET])
    assert hyperlinks(got[SHEET])[:2] == theirs
    assert all(r in got[RELS] for r in relationships(original[RELS]))
    tail = original[SHEET].split(b"</hyperlinks>")[1]
    assert got[SHEET].endswith(tail)                  # page setup and the rest as they were
    assert {n for n in original if original[n] != got[n]} <= {SHEET, RELS, "xl/styles.xml"}
    assert links_of(path) == {"A1": ("https://example.org/kantor", None),
                              "A2": (None, "'Agenda'!B4"),
                              "C3": ("pratinjau/0017-2026-arsip.pdf", None), "C5": (SITE, None)}
    consistent(path)


def test_libreoffice_opens_the_pdf_beside_the_workbook(tmp_path):
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = office_workbook(tmp_path / "agenda.xlsx")
    patch(path, {(3, 2): PDF, (4, 2): SITE})
    page = convert(path, "html", tmp_path / "html")
    hrefs = re.findall(r'<a href="([^"]*)"', page.read_text(encoding="utf-8", errors="replace"))
    opened = {urljoin(page.as_uri(), href) for href in hrefs}
    assert (tmp_path / PDF).as_uri() in opened            # resolved against the workbook's folder
    assert SITE in opened


# -- through the store -----------------------------------------------------------------------

def cell_of(agenda: Agenda, header: str):
    ws = openpyxl.load_workbook(agenda.path)[agenda.cfg.agenda.worksheet]
    return ws.cell(row=2, column=[c.value for c in ws[1]].index(header) + 1)


def test_the_stores_link_columns_come_out_as_hyperlinks(tmp_path):
    agenda = Agenda(tmp_path, [row("A", **{S.ENTRY_ID: "ID-A"})])
    store = XlsxAgenda(agenda.path, "Buku Agenda", tmp_path / "backup", WITA)
    preview = "pratinjau/0001-2026-v1.pdf"
    store.write([RowWrite("ID-A", 2, {S.WEBSITE_URL: SITE, S.PREVIEW: preview,
                                      S.STATUS: "Tayang"})], [])
    for header, text in ((S.WEBSITE_URL, SITE), (S.PREVIEW, preview)):
        cell = cell_of(agenda, header)
        assert (cell.value, cell.hyperlink.target) == (text, text)
        assert cell.font.u == "single" and cell.font.color.rgb == LINK_COLOR
        # the program column's fill stays, as on the cells next to it
        assert look(cell)[1:] == look(cell_of(agenda, S.STATUS))[1:]
    assert cell_of(agenda, S.STATUS).hyperlink is None

    store.write([RowWrite("ID-A", 2, {S.PREVIEW: "pratinjau/0001-2026-arsip.pdf"})], [])
    assert cell_of(agenda, S.PREVIEW).hyperlink.target == "pratinjau/0001-2026-arsip.pdf"
    assert cell_of(agenda, S.WEBSITE_URL).hyperlink.target == SITE
    rels = parts(agenda.path)[RELS]
    assert b"v1.pdf" not in rels and rels.count(HYPERLINK_REL.encode()) == 2

    store.write([RowWrite("ID-A", 2, {S.WEBSITE_URL: None})], [])
    assert cell_of(agenda, S.WEBSITE_URL).value is None
    assert cell_of(agenda, S.WEBSITE_URL).hyperlink is None
    assert cell_of(agenda, S.PREVIEW).hyperlink.target == "pratinjau/0001-2026-arsip.pdf"


def test_a_formula_in_a_link_column_keeps_its_cell_and_gets_no_hyperlink(tmp_path):
    formula = '=HYPERLINK("pratinjau/kantor.pdf","lihat")'
    agenda = Agenda(tmp_path, [row("A", **{S.ENTRY_ID: "ID-A"})])
    book = openpyxl.load_workbook(agenda.path)
    ws = book[agenda.cfg.agenda.worksheet]
    ws.cell(row=2, column=[c.value for c in ws[1]].index(S.PREVIEW) + 1).value = formula
    book.save(agenda.path)
    store = XlsxAgenda(agenda.path, "Buku Agenda", tmp_path / "backup", WITA)
    store.write([RowWrite("ID-A", 2, {S.PREVIEW: "pratinjau/0001-2026-v1.pdf",
                                      S.WEBSITE_URL: SITE})], [])
    assert cell_of(agenda, S.PREVIEW).value == formula
    assert cell_of(agenda, S.PREVIEW).hyperlink is None
    assert cell_of(agenda, S.WEBSITE_URL).hyperlink.target == SITE
