"""An .xlsx workbook (Office Open XML) patched in place, every byte it does not change kept.

This module knows the file format and nothing else: no agenda, no headers, no policy about
which cells to write. The store says what goes where; this module puts it there while leaving
formatting, validations, comments, charts and other worksheets exactly as the office saved
them (openpyxl would rewrite the whole file and drop what it does not model).

    book = Workbook.open(data)               # the file's bytes
    sheet = book.sheet("Agenda")             # a worksheet, edited as bytes
    sheet.set(5, 2, "text")                  # row 5 (1-based), column C (0-based)
    sheet.link(5, 2, "pratinjau/x.pdf")      # ... and clicking it opens that file
    book.sheet("Log").append([[when, "x"]])  # rows after the last one
    book.put_sheet("Rekap", rows)            # a worksheet holding exactly `rows`
    if book.changed:
        book.write_to(stream)                # the whole workbook, changed parts replaced

A worksheet part is edited as bytes, never parsed: only the rows touched are rebuilt, and a
large one is written out piece by piece. Text goes in as inline strings (the shared-string
table is never touched); a date or date-time gets a date format if its cell has none. A
date-time is the sheet's own, naive and local (`cells.to_sheet` makes it so for the store).

A hyperlink (`Worksheet.link`) goes into the worksheet's `<hyperlinks>` list, its address
into the worksheet's relationships part, which the workbook rewrites when it writes the file;
the office's own hyperlinks and relationships keep their bytes.

`Workbook.formula_cells` finds, with a byte scan of a worksheet part, which cells hold a
formula, which ranges array formulas fill and what each error cell shows: what a reader of
values only (calamine) does not say.

Rows are numbered from 1 as in the sheet, columns from 0 (`cells.column_letter(0)` is "A").
"""

from __future__ import annotations

import copy
import io
import logging
import math
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO, Callable, Collection, Iterable, Iterator, Sequence
from urllib.parse import quote
from xml.sax.saxutils import escape, unescape

from lxml import etree

from automation.agenda.cells import EPOCH_1900, EPOCH_1904, column_index, column_letter, to_serial

log = logging.getLogger(__name__)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
# The number format a date or date-time written into a cell without one gets, unless the
# workbook is opened with another.
DEFAULT_DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"

# The fastest deflate level: every part is compressed again on each write, and the default
# level takes twice as long for a file about a fifth smaller.
FAST = 1

ROW_RE = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
CELL_RE = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)
STYLE_RE = re.compile(rb'\bs="(\d+)"')
DIMENSION_RE = re.compile(rb'(<dimension ref="[A-Z]+\d+:)([A-Z]+)(\d+)"')
COL_RE = re.compile(rb'<col\b[^>]*>')
# Any prefix: a workbook saved by another program may bind the main namespace to one.
SHEET_DATA_RE = re.compile(rb'<(\w+:)?sheetData\b[^>]*?(/?)>')
DIMENSION_TAG_RE = re.compile(rb'<(\w+:)?dimension\b[^>]*?/>')
BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot carry; they are dropped from text written into a cell.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
# An attribute value as written: quotes and the whitespace a parser would turn into spaces.
ATTR_ESCAPES = {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
# The longest hyperlink address Excel takes (255 characters before Excel 2016).
MAX_LINK = 2079
LINK_COLOR = "FF0563C1"           # the blue of Excel's Hyperlink cell style
# The order Excel writes a font's properties in.
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
              "sz", "color", "name", "family", "charset", "scheme")
# What follows <hyperlinks> in a worksheet (CT_Worksheet's sequence): a new list goes before
# the first of them.
AFTER_HYPERLINKS = frozenset(
    b"printOptions pageMargins pageSetup headerFooter rowBreaks colBreaks customProperties "
    b"cellWatches ignoredErrors smartTags drawing legacyDrawing legacyDrawingHF picture "
    b"oleObjects controls webPublishItems tableParts extLst".split())
URL_RE = re.compile(r"(?:https?|mailto|file):", re.I)
DRIVE_RE = re.compile(r"[A-Za-z]:")
# A start or end tag, its attributes quoted either way (a `>` may stand in a quoted value).
TAG_RE = re.compile(rb"""<(/?)(?:\w+:)?(\w+)((?:[^>"']|"[^"]*"|'[^']*')*?)(/?)>""")
ATTR_RE = re.compile(rb"""(?:(\w+):)?([\w.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _element_re(name: bytes) -> re.Pattern[bytes]:
    """One element `name`, any prefix, empty or not; group 1: its attributes."""
    return re.compile(rb"<(?:\w+:)?" + name + rb"""\b((?:[^>"']|"[^"]*"|'[^']*')*?)"""
                      rb"(?:/>|>.*?</(?:\w+:)?" + name + rb"\s*>)", re.S)


HYPERLINK_RE = _element_re(b"hyperlink")
RELATIONSHIP_RE = _element_re(b"Relationship")

# Cells holding a formula or showing an error, found in the worksheet XML without parsing
# it. A `<f` inside <sheetData> always opens a formula (cell text cannot hold a raw `<`),
# and it is the first child of its cell.
FORMULA_IN_CELL_RE = re.compile(rb"<(?:\w+:)?f[\s/>]")
# LibreOffice saves every boolean cell it read as a constant formula, `<f>TRUE()</f>`: that
# is a value, not a formula anyone wrote.
CONSTANT_TICK_RE = re.compile(rb"<(\w+:)?f>(?:TRUE|FALSE)(?:\(\))?</(?:\w+:)?f>", re.I)
CELL_START_RE = re.compile(rb"<(?:\w+:)?c\s[^>]*>")
CELL_REF_RE = re.compile(rb'\br="([A-Z]+)(\d+)"')
RANGE_REF_RE = re.compile(rb'\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
ERROR_TYPE = b' t="e"'
ERROR_VALUE_RE = re.compile(
    rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?<(?:\w+:)?v>([^<]*)</")


class OoxmlError(ValueError):
    """The workbook cannot be patched as asked (a row the worksheet XML lacks, a chart sheet
    where cells were expected, a workbook part missing its list); nothing was written."""


def hyperlink_target(text: str) -> str:
    """The address a hyperlink on a cell showing `text` opens ("" for none).

    A URL (http, https, mailto, file) stays as it is. A file path becomes a URL path, spaces,
    non-ASCII letters, `#` and `%` percent-encoded. A relative one stays relative, Windows
    backslashes turned into `/`: Excel and LibreOffice resolve it against the workbook's own
    folder, so it opens from the shared folder on every PC. An absolute one becomes a file URL:
    `D:\\Arsip\\x.pdf` is `file:///D:/Arsip/x.pdf`, `\\\\server\\share\\x.pdf`
    `file://server/share/x.pdf`, `/srv/x.pdf` `file:///srv/x.pdf`. Characters XML cannot carry
    are dropped."""
    text = ILLEGAL_XML.sub("", text).strip()
    if not text or URL_RE.match(text):
        return text
    if text.startswith("\\\\"):                       # a Windows share (UNC path)
        return "file:" + quote(text.replace("\\", "/"), safe="/:")
    if DRIVE_RE.match(text):
        return "file:///" + quote(text.replace("\\", "/"), safe="/:")
    if text.startswith("/"):
        return "file://" + quote(text, safe="/:")
    path = quote(text.replace("\\", "/"), safe="/:")
    # A colon in the first segment would read as a URL scheme.
    return "./" + path if ":" in path.split("/", 1)[0] else path


def valid_sheet_name(name: str) -> bool:
    """Whether Excel accepts `name` for a worksheet: 1 to 31 characters, none of []:*?/\\,
    not starting or ending with an apostrophe."""
    return 0 < len(name) <= 31 and not BAD_SHEET_NAME.search(name) and name.strip("'") == name


# -- the workbook ----------------------------------------------------------------------------

class Workbook:
    """An .xlsx file's parts, some of them edited; `write_to` streams the result.

    Only what is asked for is read: the workbook part and its relationships when opened,
    styles.xml with the first worksheet asked for, a worksheet part when it is asked for.
    """

    def __init__(self, data: bytes, date_format: str = DEFAULT_DATE_FORMAT):
        """Use `Workbook.open`."""
        self._data = data
        self._zin = zin = zipfile.ZipFile(io.BytesIO(data))
        book = etree.fromstring(zin.read("xl/workbook.xml"))
        rels = etree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target")
                   for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
        self._parts: dict[str, str] = {}    # worksheet name -> part path, in tab order
        for sheet in book.iter(f"{{{NS}}}sheet"):
            target = targets[sheet.get(f"{{{REL_NS}}}id")]
            self._parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") \
                else "xl/" + target
        pr = book.find(f"{{{NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        """Whether the workbook counts dates from 1904 (old Macs) rather than 1900."""
        self._date_format = date_format
        self._styles: _Styles | None = None
        self._sheets: dict[str, Worksheet] = {}       # part path -> its editor
        self._replaced: dict[str, bytes] = {}         # other parts, rewritten whole
        self._new: list[str] = []                     # parts the file did not have

    @classmethod
    def open(cls, data: bytes, date_format: str = DEFAULT_DATE_FORMAT) -> Workbook:
        """The workbook in `data` (an .xlsx file's bytes; only its workbook part and that
        part's relationships are read now). A date written into a cell that shows no date
        gets `date_format` (an Excel number format code). Raises what zipfile and lxml raise
        for a file that is no workbook (`BadZipFile`, `KeyError` for a missing part,
        `XMLSyntaxError`)."""
        return cls(data, date_format)

    # -- worksheets ----------------------------------------------------------------------
    @property
    def sheet_names(self) -> list[str]:
        """The worksheets' names, in tab order."""
        return list(self._parts)

    def __contains__(self, name: str) -> bool:
        """Whether the workbook has a worksheet named exactly `name`."""
        return name in self._parts

    def find(self, name: str) -> str | None:
        """The name of the worksheet called `name` ignoring case (as Excel compares them),
        or None."""
        return next((n for n in self._parts if n.casefold() == name.casefold()), None)

    def sheet(self, name: str) -> Worksheet:
        """Worksheet `name` (exactly so), to edit; the same object every time. KeyError if
        there is none."""
        part = self._parts[name]
        if part not in self._sheets:
            styles = self._style_part
            self._sheets[part] = Worksheet(self._zin.read(part), styles, self.date1904)
        return self._sheets[part]

    def add_sheet(self, name: str, rows: Sequence[Sequence[Any]] = ()) -> Worksheet:
        """A new worksheet `name` holding `rows` (row 1 bold), last in the tab order so that
        the `localSheetId` of defined names stays right, its columns wide enough for `rows`.
        docProps/app.xml keeps the old list of sheets: Excel tolerates a stale one (only a
        self-contradicting one makes it repair the file) and rewrites it on save."""
        if not valid_sheet_name(name):
            raise ValueError(f"'{name}' is not a valid worksheet name")
        if self.find(name) is not None:
            raise ValueError(f"the workbook already has a worksheet '{self.find(name)}'")
        styles = self._style_part
        part = self._register(name)
        sheet = self._sheets[part] = Worksheet(_new_sheet_xml(rows), styles, self.date1904)
        sheet.replace_rows(rows)
        return sheet

    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> Worksheet:
        """Worksheet `name` (matched ignoring case) holding exactly `rows`, row 1 bold: its
        cells replaced, the rest of it (views, column widths, page setup) kept; added by
        `add_sheet` if the workbook has none."""
        found = self.find(name)
        if found is None:
            return self.add_sheet(name, rows)
        sheet = self.sheet(found)
        sheet.replace_rows(rows)
        return sheet

    def formula_cells(self, name: str) -> CellScan:
        """Which cells of worksheet `name` hold a formula, which ranges array formulas fill,
        and the text each error cell shows (see `CellScan`), from a byte scan of its part as
        the file has it, streamed in pieces: never held whole. Empty for a worksheet the
        workbook does not have. Safe to run in another thread while the same bytes are read
        elsewhere."""
        part = self._parts.get(name)
        if part is None:
            return CellScan()
        scan = _CellScan()
        with self._zin.open(part) as stream:
            scan.part(stream)
        return CellScan(scan.formulas, scan.arrays, scan.errors)

    def errors_as_text(self, name: str) -> bytes:
        """The file as it was, but with the error cells of worksheet `name` typed as formula
        text (`t="str"`): a reader that refuses an error it does not know (#SPILL!, #CALC!)
        reads them as the text they show. The original bytes if there is no such sheet."""
        part = self._parts.get(name)
        if part is None:
            return self._data
        xml = re.sub(rb'(<(?:\w+:)?c\s[^>]*?\st=)"e"', rb'\1"str"', self._zin.read(part))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in self._zin.infolist():
                zout.writestr(info, xml if info.filename == part else
                              self._zin.read(info.filename))
        return out.getvalue()

    # -- writing -------------------------------------------------------------------------
    @property
    def _style_part(self) -> _Styles:
        """styles.xml, read when first needed (by the first worksheet asked for)."""
        if self._styles is None:
            self._styles = _Styles(self._zin.read("xl/styles.xml"), self._date_format)
        return self._styles

    def load_styles(self) -> None:
        """Read styles.xml now rather than when a worksheet is first asked for: raises, as
        `open` does, if it is missing or broken."""
        self._style_part

    def _changed_parts(self) -> dict[str, Worksheet | bytes]:
        for part, sheet in self._sheets.items():
            if sheet.dirty and sheet.links_edited:
                self._relate(part, sheet)
        changed: dict[str, Worksheet | bytes] = dict(self._replaced)
        for part, sheet in self._sheets.items():
            if sheet.dirty:
                changed[part] = sheet
        if changed and self._styles is not None and self._styles.dirty:
            changed["xl/styles.xml"] = self._styles.bytes()
        return changed

    @property
    def changed(self) -> bool:
        """Whether anything was edited: if not, there is nothing to write."""
        return bool(self._replaced) or any(s.dirty for s in self._sheets.values())

    def write_to(self, stream: BinaryIO) -> None:
        """The whole workbook into `stream` (a file open for writing): every part as it was,
        in the same order, but the edited ones; added worksheets last. An edited worksheet
        goes out piece by piece, never joined in memory."""
        changed = self._changed_parts()
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=FAST) as zout:
            for info in self._zin.infolist():
                self._put(zout, info, changed.get(info.filename))
            for name in self._new:
                self._put(zout, zipfile.ZipInfo(name, time.localtime()[:6]), changed.get(name))

    def _put(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo,
             part: Worksheet | bytes | None) -> None:
        if isinstance(part, Worksheet):
            # Opened by name, so that it gets the archive's compression (and today's time).
            with zout.open(info.filename, "w", force_zip64=True) as out:
                for chunk in part.chunks():
                    out.write(chunk)
        else:
            zout.writestr(info, part if part is not None else self._zin.read(info.filename),
                          zipfile.ZIP_DEFLATED, FAST)

    def _relate(self, part: str, sheet: Worksheet) -> None:
        """Worksheet `part`'s relationships part with what its hyperlinks need now, rewritten
        whole (it is small), made if the worksheet had none. Worked out from the file as it
        was: writing twice writes the same."""
        folder, name = part.rsplit("/", 1)
        rels = f"{folder}/_rels/{name}.rels"
        had = rels in self._zin.namelist()
        old = self._zin.read(rels) if had else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>').encode()
        entries = [(m.span(), _attributes(m.group(1))) for m in RELATIONSHIP_RE.finditer(old)]
        added, unused = sheet.link_relations({a.get(("", "Id"), "") for _, a in entries})
        if not had and not added:
            return
        out, pos = [], 0
        for (start, end), a in entries:
            if a.get(("", "Id")) in unused and a.get(("", "Type")) == HYPERLINK_REL:
                out.append(old[pos:start])
                pos = end
        xml = b"".join(out) + old[pos:]
        if added:
            xml = _insert_last(xml, "Relationships", "".join(
                f'<{{p}}Relationship Id="{rid}" Type="{HYPERLINK_REL}" '
                f'Target="{escape(address, ATTR_ESCAPES)}" TargetMode="External"/>'
                for rid, address in added.items()))
        self._replaced[rels] = xml
        if not had and rels not in self._new:
            self._new.append(rels)
            types = self._read("[Content_Types].xml")
            if not re.search(rb"""<(?:\w+:)?Default\b[^>]*\bExtension=["']rels["']""", types, re.I):
                self._replaced["[Content_Types].xml"] = _insert_last(
                    types, "Types", f'<{{p}}Default Extension="rels" ContentType="{RELS_TYPE}"/>')

    def _read(self, name: str) -> bytes:
        """A part as edited so far (workbook.xml once a worksheet was added to it)."""
        return self._replaced[name] if name in self._replaced else self._zin.read(name)

    def _register(self, name: str) -> str:
        """A new worksheet part entered in workbook.xml, its relationships and the content
        types; returns its path."""
        taken = {n.lower() for n in (*self._zin.namelist(), *self._new)}
        number = 1
        while f"xl/worksheets/sheet{number}.xml" in taken:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        book = self._read("xl/workbook.xml")
        rels = self._read("xl/_rels/workbook.xml.rels")
        ids = {r.get("Id") for r in etree.fromstring(rels).iter(f"{{{PKG_REL_NS}}}Relationship")}
        (rel_id,) = _fresh_ids(ids, 1)
        sheet_id = 1 + max((int(s.get("sheetId", "0")) for s in
                            etree.fromstring(book).iter(f"{{{NS}}}sheet")), default=0)
        self._replaced["xl/workbook.xml"] = _insert_last(book, "sheets", (
            f'<{{p}}sheet xmlns:r="{REL_NS}" name="{escape(name, ATTR_ESCAPES)}" sheetId="{sheet_id}" '
            f'r:id="{rel_id}"/>'))
        self._replaced["xl/_rels/workbook.xml.rels"] = _insert_last(rels, "Relationships", (
            f'<{{p}}Relationship Id="{rel_id}" Type="{WORKSHEET_REL}" Target="/{part}"/>'))
        self._replaced["[Content_Types].xml"] = _insert_last(
            self._read("[Content_Types].xml"), "Types",
            f'<{{p}}Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>')
        self._parts[name] = part
        self._new.append(part)
        return part


def _insert_last(xml: bytes, parent: str, element: str) -> bytes:
    """`element` (one or more) added as the last child of the (only) `parent`, every other
    byte kept; `{p}` starting a tag name in it becomes the prefix the document uses for that
    element's namespace (only there: an escaped attribute value cannot hold a `<`)."""
    found = re.search(rb"</(\w+:)?" + parent.encode() + rb"\s*>", xml)
    if not found:
        raise OoxmlError(f"the workbook has no <{parent}> list to add to")
    prefix = (found.group(1) or b"").decode()
    element = re.sub(r"<(/?)\{p\}", lambda tag: f"<{tag.group(1)}{prefix}", element)
    return xml[:found.start()] + element.encode("utf-8") + xml[found.start():]


def _fresh_ids(taken: Collection[str], count: int) -> list[str]:
    """`count` relationship ids that a part holding the ids `taken` does not use, numbered on
    from its count as Excel numbers them."""
    ids, number = [], len(taken) + 1
    while len(ids) < count:
        if f"rId{number}" not in taken:
            ids.append(f"rId{number}")
        number += 1
    return ids


def _attributes(raw: bytes) -> dict[tuple[str, str], str]:
    """A tag's attributes as (prefix, name) -> value, prefix "" for none."""
    return {((m.group(1) or b"").decode(), m.group(2).decode()):
            unescape((m.group(3) if m.group(3) is not None else m.group(4))
                     .decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})
            for m in ATTR_RE.finditer(raw)}


def _sheet_data(xml: bytes) -> tuple[int, int, str] | None:
    """Where a worksheet part's cells are, (start, end), and the prefix it uses for its main
    namespace ("x:"), if any; None for a sheet without cells (a chart sheet)."""
    data = SHEET_DATA_RE.search(xml)
    if data is None:
        return None
    p = (data.group(1) or b"").decode()
    # The cells' end is looked for from the part's end: near it, after all the rows.
    end = data.end() if data.group(2) else \
        xml.rindex(f"</{p}sheetData>".encode()) + len(f"</{p}sheetData>")
    return data.start(), end, p


def _new_sheet_xml(rows: Sequence[Sequence[Any]]) -> bytes:
    """An empty worksheet, its columns wide enough for `rows` (a date-time in a narrow column
    shows as ####)."""
    widths: dict[int, int] = {}
    for values in rows:
        for c, v in enumerate(values):
            if isinstance(v, (datetime, date)):
                shown = 24
            elif v is None:
                continue
            else:
                shown = max((len(line) for line in str(v).splitlines()), default=0) + 2
            widths[c] = max(widths.get(c, 10), min(shown, 60))
    cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>'
                   for c, w in sorted(widths.items()))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") +
            '<sheetData/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/></worksheet>').encode()


# -- styles ----------------------------------------------------------------------------------

class _Styles:
    """Just enough of styles.xml to give a cell a date-time format, a bold font or the look of
    a hyperlink."""

    def __init__(self, xml: bytes, date_format: str = DEFAULT_DATE_FORMAT):
        self.root = etree.fromstring(xml)
        self.date_format = date_format
        self.xfs = self.root.find(f"{{{NS}}}cellXfs")
        self.formats = {int(f.get("numFmtId")): f.get("formatCode")
                        for f in self.root.iter(f"{{{NS}}}numFmt")}
        self.dirty = False
        self._dated: dict[int, int] = {}
        self._bold: dict[int, int] = {}
        self._linked: dict[int, int] = {}

    def is_date(self, style: int) -> bool:
        xf = self.xfs[style] if 0 <= style < len(self.xfs) else None
        if xf is None:
            return False
        fmt_id = int(xf.get("numFmtId", "0"))
        if fmt_id in BUILTIN_DATE_FORMATS:
            return True
        code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", self.formats.get(fmt_id, ""))
        return bool(re.search(r"[dmyhs]", code, re.I))

    def dated(self, style: int) -> int:
        """`style` if it already shows dates, else a copy of it with `date_format`."""
        if self.is_date(style):
            return style
        if style not in self._dated:
            fmt_id = next((i for i, c in self.formats.items() if c == self.date_format), None)
            if fmt_id is None:
                fmt_id = max([163, *self.formats]) + 1
                numfmts = self.root.find(f"{{{NS}}}numFmts")
                if numfmts is None:
                    numfmts = etree.Element(f"{{{NS}}}numFmts")
                    self.root.insert(0, numfmts)
                etree.SubElement(numfmts, f"{{{NS}}}numFmt", numFmtId=str(fmt_id),
                                 formatCode=self.date_format)
                numfmts.set("count", str(len(numfmts)))
                self.formats[fmt_id] = self.date_format
                self.dirty = True
            xf = copy.deepcopy(self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0])
            xf.set("numFmtId", str(fmt_id))
            xf.set("applyNumberFormat", "1")
            self._dated[style] = self._reuse(self.xfs, xf)
        return self._dated[style]

    def bold(self, style: int) -> int:
        """A copy of `style` with a bold font (a header row)."""
        return self._with_font(style, self._bold, _make_bold)

    def linked(self, style: int) -> int:
        """A copy of `style` in the look Excel gives a hyperlink: blue and underlined, its
        borders, fill and number format kept."""
        return self._with_font(style, self._linked, _make_link)

    def _with_font(self, style: int, made: dict[int, int],
                   change: Callable[[etree._Element], None]) -> int:
        """A copy of `style` whose font is a copy of its own that `change` edits; `made`
        remembers the copies already made."""
        if style not in made:
            fonts = self.root.find(f"{{{NS}}}fonts")
            base = self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0]
            font_id = int(base.get("fontId", "0"))
            if fonts is None or not 0 <= font_id < len(fonts):
                return style
            font = copy.deepcopy(fonts[font_id])
            change(font)
            xf = copy.deepcopy(base)
            xf.set("fontId", str(self._reuse(fonts, font)))
            xf.set("applyFont", "1")
            made[style] = self._reuse(self.xfs, xf)
        return made[style]

    def _reuse(self, parent: etree._Element, element: etree._Element) -> int:
        """The index of a child of `parent` identical to `element`, which is appended if there
        is none: a sheet rewritten every few minutes must not grow styles.xml each time."""
        key = _shape(element)
        for i, child in enumerate(parent):
            if _shape(child) == key:
                return i
        parent.append(element)
        parent.set("count", str(len(parent)))
        self.dirty = True
        return len(parent) - 1

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _make_bold(font: etree._Element) -> None:
    _font_property(font, "b").attrib.pop("val", None)     # val="0" would mean not bold


def _make_link(font: etree._Element) -> None:
    _font_property(font, "u").attrib.clear()              # no val: a single underline
    color = _font_property(font, "color")
    color.attrib.clear()                                  # its theme or indexed colour too
    color.set("rgb", LINK_COLOR)


def _font_property(font: etree._Element, name: str) -> etree._Element:
    """`font`'s property `name`, added where Excel writes it if the font has none."""
    found = font.find(f"{{{NS}}}{name}")
    if found is None:
        later = FONT_ORDER[FONT_ORDER.index(name) + 1:]
        at = next((i for i, child in enumerate(font) if isinstance(child.tag, str)
                   and etree.QName(child).localname in later), len(font))
        found = etree.Element(f"{{{NS}}}{name}")
        font.insert(at, found)
    return found


def _shape(element: etree._Element) -> tuple:
    return (element.tag, tuple(sorted(element.attrib.items())),
            tuple(_shape(child) for child in element))


# -- one worksheet ---------------------------------------------------------------------------

class Worksheet:
    """A worksheet part edited as bytes: only the rows touched are rebuilt, every other byte
    is kept. Got from `Workbook.sheet`, `add_sheet` or `put_sheet`."""

    def __init__(self, xml: bytes, styles: _Styles, date1904: bool):
        self.xml = xml
        self.styles = styles
        self.epoch = EPOCH_1904 if date1904 else EPOCH_1900
        self.dirty = False                         # anything changed
        self._rows: dict[int, bytes] = {}          # row number -> its rewritten xml
        self._added: dict[int, bytes] = {}         # rows appended after the last one
        self._cuts: list[tuple[int, int, bytes]] = []  # spans replaced by `replace_rows`
        self._spans: dict[int, tuple[int, int]] | None = None   # every row, once needed
        self._found: dict[int, tuple[int, int]] = {}           # rows looked up one by one
        self._widest = -1                          # the rightmost column `set` wrote
        self._col_styles = self._column_styles()
        self._links: dict[str, str | None] = {}    # cell -> the address `link` gave it, or None
        self._link_ids: dict[str, str] = {}        # cell -> its new relationship's id
        self._listed: _HyperlinkList | None = None  # the hyperlinks the part has, once needed

    def _column_styles(self) -> list[tuple[int, int, int]]:
        styles = []
        for tag in COL_RE.findall(self.xml.split(b"<sheetData", 1)[0]):
            attrs = dict(re.findall(rb'(\w+)="([^"]*)"', tag))
            if b"style" in attrs:
                styles.append((int(attrs[b"min"]) - 1, int(attrs[b"max"]) - 1, int(attrs[b"style"])))
        return styles

    def _index(self) -> dict[int, tuple[int, int]]:
        if self._spans is None:
            self._spans = {int(m.group(1)): m.span() for m in ROW_RE.finditer(self.xml)}
        return self._spans

    def _span(self, row: int) -> tuple[int, int] | None:
        """Where row `row` is in the XML. Rows are in ascending order (OOXML), so it is
        looked for from the nearest row found above it: writing a few rows of a long sheet
        does not index all of it. The whole sheet is indexed only when that look fails (a
        row tag with `r` not first, or no such row)."""
        if self._spans is not None:
            return self._spans.get(row)
        span = self._found.get(row)
        if span is None:
            start = max((at for r, (at, _) in self._found.items() if r < row), default=0)
            at = self.xml.find(b'<row r="%d"' % row, start)
            found = ROW_RE.match(self.xml, at) if at >= 0 else None
            if found is None or int(found.group(1)) != row:
                return self._index().get(row)
            span = self._found[row] = found.span()
        return span

    def _row_xml(self, row: int) -> bytes:
        if row in self._rows:
            return self._rows[row]
        span = self._span(row)
        if span is None:
            raise OoxmlError(f"row {row} not found in the worksheet XML; nothing written")
        return self.xml[span[0]:span[1]]

    def _last_row(self) -> int:
        """The last row number, read from the end (no need to index a long sheet)."""
        at = self.xml.rfind(b"<row ")
        found = ROW_RE.match(self.xml, at) if at >= 0 else None
        return int(found.group(1)) if found else 0

    def _style_for(self, col: int, existing: bytes | None) -> int:
        if existing is not None:
            m = STYLE_RE.search(existing.split(b">", 1)[0])
            if m:
                return int(m.group(1))
        for lo, hi, style in self._col_styles:
            if lo <= col <= hi:
                return style
        return 0

    def _cell(self, ref: str, style: int, value: Any, p: str = "") -> bytes:
        """One cell; `p` is the prefix the worksheet uses for its namespace ("x:"), if any."""
        s = f' s="{style}"' if style else ""
        if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
            return f'<{p}c r="{ref}"{s}/>'.encode()         # NaN has no spreadsheet value
        if isinstance(value, bool):
            return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
        if isinstance(value, (int, float)):
            return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'.encode()
        if isinstance(value, (datetime, date)):
            style = self.styles.dated(style)
            serial = to_serial(value, self.epoch)
            return f'<{p}c r="{ref}" s="{style}"><{p}v>{serial!r}</{p}v></{p}c>'.encode()
        text = escape(ILLEGAL_XML.sub("", str(value)))
        return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{text}'
                f'</{p}t></{p}is></{p}c>').encode("utf-8")

    def set(self, row: int, col: int, value: Any, style: int | None = None) -> bool:
        """Cell (row, col) of an existing row holds `value`: None or "" empties it, a bool,
        number, date or date-time is stored as such (a date gets a date format if its style
        has none), anything else as text. `style` is the cell's style index (default: the
        cell's own, else its column's). Returns False, changing nothing, when the cell holds
        a formula (a constant TRUE()/FALSE() is a value): a formula is never replaced.
        Raises `OoxmlError` if the worksheet XML has no such row."""
        head, cells = self._open_row(row)
        existing = next((xml for c, xml in cells if c == col), None)
        ref = f"{column_letter(col)}{row}"
        formula = FORMULA_IN_CELL_RE.search(existing) if existing is not None else None
        if formula and not CONSTANT_TICK_RE.match(existing, formula.start()):
            log.debug("cell %s holds a formula: not overwritten", ref)
            return False
        if style is None:
            style = self._style_for(col, existing)
        self._put_cell(row, head, cells, col, self._cell(ref, style, value))
        return True

    def _open_row(self, row: int) -> tuple[bytes, list[tuple[int, bytes]]]:
        """Row `row`'s start tag and its cells as (column, xml). Raises `OoxmlError` if the
        worksheet XML has no such row."""
        row_xml = self._row_xml(row)
        head_end = row_xml.index(b">") + 1
        if row_xml[head_end - 2:head_end] == b"/>":      # an empty row: open it
            row_xml = row_xml[:head_end - 2] + b"></row>"
            head_end -= 1
        head = re.sub(rb'\sspans="[^"]*"', b"", row_xml[:head_end])   # a hint we would falsify
        body = row_xml[head_end:-len(b"</row>")]
        return head, [(column_index(m.group(1).decode()), m.group(0))
                      for m in CELL_RE.finditer(body)]

    def _put_cell(self, row: int, head: bytes, cells: list[tuple[int, bytes]], col: int,
                  new: bytes) -> None:
        """Row `row` rebuilt from what `_open_row` gave, cell `col` now `new`."""
        cells = sorted([(c, xml) for c, xml in cells if c != col] + [(col, new)])
        self._rows[row] = head + b"".join(xml for _, xml in cells) + b"</row>"
        self._widest = max(self._widest, col)
        self.dirty = True

    def style_of(self, row: int, col: int) -> int:
        """The style index of an existing cell (0: none, or no such cell)."""
        for m in CELL_RE.finditer(self._row_xml(row)):
            if column_index(m.group(1).decode()) == col:
                return self._style_for(col, m.group(0))
        return 0

    # -- hyperlinks ------------------------------------------------------------------------
    def link(self, row: int, col: int, target: str | None) -> bool:
        """Clicking cell (row, col) of an existing row opens `target` (`hyperlink_target` makes
        the address of it), and the cell looks like a link (`_Styles.linked`); a hyperlink it
        had is replaced. None or "" takes its hyperlink away (the look stays), as does an
        address too long for Excel: the cell keeps its text, unlinked. Returns whether the cell
        is linked now. Which cells is the caller's to decide: the hyperlink of a cell holding
        a formula, as the formula, is the office's. Raises `OoxmlError` if the worksheet XML
        has no such row."""
        ref = f"{column_letter(col)}{row}"
        address = hyperlink_target(target or "")
        if len(address) > MAX_LINK:
            log.debug("cell %s: an address of %d characters is too long for a hyperlink; "
                      "the cell shows it unlinked", ref, len(address))
            address = ""
        if address:
            self._look_linked(row, col)
        elif ref not in self._links and ref not in self._hyperlinks().cells:
            return False                            # no hyperlink to take away
        self._links[ref] = address or None
        self.dirty = True
        return bool(address)

    def _look_linked(self, row: int, col: int) -> None:
        """Cell (row, col) in a hyperlink's font, the rest of its style kept; made if the row
        has no such cell."""
        head, cells = self._open_row(row)
        existing = next((xml for c, xml in cells if c == col), None)
        style = self.styles.linked(self._style_for(col, existing))
        if existing is None:
            new = self._cell(f"{column_letter(col)}{row}", style, None)
        else:
            end = existing.index(b">")
            end -= (existing[end - 1:end] == b"/")       # the start tag, without `/>` or `>`
            tag, found = existing[:end], STYLE_RE.search(existing, 0, end)
            tag = tag[:found.start()] + b's="%d"' % style + tag[found.end():] if found else \
                tag.rstrip() + b' s="%d"' % style
            new = tag + existing[end:]
        self._put_cell(row, head, cells, col, new)

    @property
    def links_edited(self) -> bool:
        """Whether `link` changed any hyperlink (its relationships part changes too)."""
        return bool(self._links)

    def link_relations(self, taken: Collection[str]) -> tuple[dict[str, str], set[str]]:
        """What the worksheet's relationships part, whose ids are `taken`, needs for the
        hyperlinks `link` made and took away: the relationships to add, {id: address}, and the
        ids that no hyperlink uses any more. The workbook asks before `chunks`, which writes
        the hyperlinks with these ids."""
        listed = self._hyperlinks()
        new = [ref for ref, address in self._links.items() if address]
        self._link_ids = dict(zip(new, _fresh_ids(taken, len(new))))
        gone = {rid for ref, rid, _ in listed.links if rid and ref in self._links}
        kept = {rid for ref, rid, _ in listed.links if rid and ref not in self._links}
        return {self._link_ids[ref]: self._links[ref] for ref in new}, gone - kept

    def _hyperlinks(self) -> _HyperlinkList:
        if self._listed is None:
            self._listed = _HyperlinkList.of(self.xml)
        return self._listed

    def _hyperlink_cuts(self) -> list[tuple[int, int, bytes]]:
        """The edits of the `<hyperlinks>` list that `link` asked for: the hyperlinks it
        replaced or took away cut out, the new ones added last; the list taken away when it
        would be left empty (the schema wants one hyperlink at least)."""
        listed = self._hyperlinks()
        dropped = [span for ref, _, span in listed.links if ref in self._links]
        new = "".join(listed.element(ref, self._link_ids[ref])
                      for ref, address in self._links.items() if address).encode()
        if listed.close < 0:                          # no list yet
            return [(listed.start, listed.end, listed.wrap(new))] if new else []
        if not new and len(dropped) == len(listed.links):
            return [(listed.start, listed.end, b"")]
        return [(*span, b"") for span in dropped] + [(listed.close, listed.close, new)]

    def append(self, rows: Iterable[list[Any]]) -> None:
        """`rows` (lists of values from column A, as `set` takes them) added after the last
        row, each cell in its column's style; the used range (dimension) grows with them."""
        last = max([self._last_row(), *self._added])
        for values in rows:
            last += 1
            cells = [self._cell(f"{column_letter(c)}{last}", self._style_for(c, None), v)
                     for c, v in enumerate(values)]
            self._added[last] = f'<row r="{last}">'.encode() + b"".join(cells) + b"</row>"
            self.dirty = True

    def replace_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """The whole cell grid becomes `rows`, row 1 in bold; the rest of the worksheet (views,
        column widths, page setup) stays. Raises `OoxmlError` for a sheet without cells (a
        chart sheet)."""
        data = _sheet_data(self.xml)
        if data is None:
            raise OoxmlError("the worksheet has no cells to replace (a chart sheet?); nothing written")
        start, end, p = data
        out, last_row, last_col = [], 0, 0
        for r, values in enumerate(rows, start=1):
            filled = [c for c, v in enumerate(values) if v is not None and v != ""]
            if filled:
                style = self.styles.bold(0) if r == 1 else 0
                cells = b"".join(self._cell(f"{column_letter(c)}{r}", style, values[c], p)
                                 for c in filled)
                out.append(f'<{p}row r="{r}">'.encode() + cells + f"</{p}row>".encode())
                last_row, last_col = r, max(last_col, filled[-1] + 1)
        body = b"".join(out)
        grid = f"<{p}sheetData>".encode() + body + f"</{p}sheetData>".encode() if body else \
            f"<{p}sheetData/>".encode()
        self._cuts = [(start, end, grid)]
        dimension = DIMENSION_TAG_RE.search(self.xml, 0, start)
        if dimension:
            ref = f"A1:{column_letter(last_col - 1)}{last_row}" if last_row + last_col > 2 else "A1"
            tag = f'<{(dimension.group(1) or b"").decode()}dimension ref="{ref}"/>'
            self._cuts.append((dimension.start(), dimension.end(), tag.encode()))
        self.dirty = True

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The edited XML as pieces: unchanged stretches are views of the original. With
        hyperlinks edited, `link_relations` first."""
        cuts: list[tuple[int, int, bytes]] = list(self._cuts)  # (start, end, replacement)
        if self._rows:
            cuts += [(*self._span(row), xml) for row, xml in self._rows.items()]
        if self._links:                   # after the cells: never where another cut is
            cuts += self._hyperlink_cuts()
        if self._added:
            rows = b"".join(self._added[r] for r in sorted(self._added))
            empty = re.search(rb"<sheetData\s*/>", self.xml)
            if empty:
                cuts.append((empty.start(), empty.end(), b"<sheetData>" + rows + b"</sheetData>"))
            else:
                at = self.xml.rindex(b"</sheetData>")
                cuts.append((at, at, rows))
        dimension = DIMENSION_RE.search(self.xml, 0, self.xml.find(b"<sheetData")) \
            if self._added or self._widest >= 0 else None
        if dimension:                     # the used range grows with what was added
            col = max(column_index(dimension.group(2).decode()), self._widest)
            row = max([int(dimension.group(3)), *self._added])
            ref = dimension.group(1) + f"{column_letter(col)}{row}".encode()
            if ref != dimension.group(0)[:-1]:
                cuts.append((dimension.start(), dimension.end(), ref + b'"'))
        view, pos = memoryview(self.xml), 0
        for start, end, new in sorted(cuts):
            yield view[pos:start]
            yield new
            pos = end
        yield view[pos:]


# -- a worksheet's hyperlinks ----------------------------------------------------------------

@dataclass
class _HyperlinkList:
    """A worksheet part's `<hyperlinks>` list, where its bytes have it."""

    start: int                  # the list's span; start == end: where a new list goes
    end: int
    close: int                  # where its end tag starts; -1: no list to add to
    prefix: str                 # the part's prefix for its main namespace ("x:"), if any
    rel: str                    # the prefix its root binds to the relationships namespace
    links: list[tuple[str, str, tuple[int, int]]]   # (cell, relationship id or "", span)

    @classmethod
    def of(cls, xml: bytes) -> _HyperlinkList:
        """The list in worksheet part `xml`, or where one goes: after the cells and what the
        schema puts between (merged cells, conditional formats, validations), before the
        first element it puts after. Only the part's end is read, tag by tag."""
        data = _sheet_data(xml)
        if data is None:
            raise OoxmlError("the worksheet has no cells to link (a chart sheet?); nothing written")
        root = TAG_RE.search(xml)
        rel = min(_rel_prefixes(_attributes(root.group(3)) if root else {}), default="")
        depth = 0
        for tag in TAG_RE.finditer(xml, data[1]):
            closing, name, attributes, empty = tag.groups()
            if depth == 0 and name == b"hyperlinks" and not closing:
                return cls._read(xml, tag, data[2], rel)
            if depth == 0 and (closing or name in AFTER_HYPERLINKS):   # or </worksheet>
                return cls(tag.start(), tag.start(), -1, data[2], rel, [])
            depth += 0 if empty else -1 if closing else 1
        raise OoxmlError("the worksheet XML ends before its end tag; nothing written")

    @classmethod
    def _read(cls, xml: bytes, tag: re.Match, prefix: str, rel: str) -> _HyperlinkList:
        if tag.group(4):                              # <hyperlinks/>: replaced when added to
            return cls(tag.start(), tag.end(), -1, prefix, rel, [])
        close = re.compile(rb"</(?:\w+:)?hyperlinks\s*>").search(xml, tag.end())
        if close is None:
            raise OoxmlError("the worksheet's list of hyperlinks has no end; nothing written")
        bound = ({rel} | _rel_prefixes(_attributes(tag.group(3)))) - {""}
        links = []
        for found in HYPERLINK_RE.finditer(xml, tag.end(), close.start()):
            attributes = _attributes(found.group(1))
            own = bound | _rel_prefixes(attributes)
            rid = next((v for (p, name), v in attributes.items() if name == "id" and p in own), "")
            links.append((attributes.get(("", "ref"), "").upper(), rid, found.span()))
        return cls(tag.start(), close.end(), close.start(), prefix, rel, links)

    @property
    def cells(self) -> set[str]:
        return {ref for ref, _, _ in self.links}

    def element(self, ref: str, rid: str) -> str:
        """A hyperlink of cell `ref` to relationship `rid`; it declares the relationships
        namespace itself when the root does not."""
        declared = "" if self.rel else f' xmlns:r="{REL_NS}"'
        return f'<{self.prefix}hyperlink{declared} ref="{ref}" {self.rel or "r"}:id="{rid}"/>'

    def wrap(self, hyperlinks: bytes) -> bytes:
        """A new list holding `hyperlinks`."""
        p = self.prefix.encode()
        return b"<" + p + b"hyperlinks>" + hyperlinks + b"</" + p + b"hyperlinks>"


def _rel_prefixes(attributes: dict[tuple[str, str], str]) -> set[str]:
    """The prefixes a tag's attributes bind to the relationships namespace."""
    return {name for (p, name), value in attributes.items() if p == "xmlns" and value == REL_NS}


# -- the formula scan ------------------------------------------------------------------------

@dataclass
class CellScan:
    """What `Workbook.formula_cells` found in one worksheet: cells as (row, 0-based column)."""

    formulas: set[tuple[int, int]] = field(default_factory=set)     # cells holding a formula
    arrays: list[tuple[int, int, int, int]] = field(default_factory=list)
    """The ranges array formulas (and data tables) fill: (top, left, bottom, right)."""
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> "#N/A", ...


class _CellScan:
    """The scan itself: the part is streamed in pieces of whole rows, so it is never held
    whole (a 20,000-row sheet is some 25 MB of XML) and is read while it is still in the
    processor's cache. Cheap: two byte searches, then work only where they hit."""

    CHUNK = 1 << 20

    def __init__(self) -> None:
        self.formulas: set[tuple[int, int]] = set()
        self.arrays: list[tuple[int, int, int, int]] = []     # (top, left, bottom, right)
        self.errors: dict[tuple[int, int], str] = {}

    def part(self, stream: io.BufferedIOBase) -> _CellScan:
        prefix: bytes | None = None
        carry, start = b"", 0
        while True:
            chunk = stream.read(self.CHUNK)
            buf = carry + chunk if carry else chunk
            if prefix is None:
                data = SHEET_DATA_RE.search(buf)
                if data is None or data.group(2):     # not there yet, or no cells at all
                    if not chunk or data is not None:
                        return self
                    carry = buf
                    continue
                prefix, start = data.group(1) or b"", data.end()
                row_end, sheet_end = b"</" + prefix + b"row>", b"</" + prefix + b"sheetData"
                formula = re.compile(b"<" + re.escape(prefix) + rb"f[\s/>]")
            # Up to the end of the last complete row: no cell is cut in two. The cells end
            # after it, if in this piece at all.
            rows = buf.rfind(row_end, start)
            cut = rows + len(row_end) if rows >= 0 else start
            last = buf.find(sheet_end, cut)
            if last >= 0 or not chunk:
                self._region(buf, start, last if last >= 0 else len(buf), prefix, formula)
                return self
            self._region(buf, start, cut, prefix, formula)
            carry, start = buf[cut:], 0

    def _region(self, xml: bytes, start: int, end: int, p: bytes, formula: re.Pattern) -> None:
        cell_tag = b"<" + p + b"c"
        for found in formula.finditer(xml, start, end):
            at = found.start()
            head = xml.rfind(b"<", start, at)         # the cell's start tag, right before
            ref = CELL_REF_RE.search(xml, head, at) if xml.startswith(cell_tag, head) else None
            if ref is None or CONSTANT_TICK_RE.match(xml, at):
                continue          # no address (never written by Excel), or a plain TRUE/FALSE
            row, col = int(ref.group(2)), column_index(ref.group(1).decode())
            self.formulas.add((row, col))
            if xml[found.end() - 1] != 62:            # `<f ...>`: attributes; 62 is `>`
                tag = xml[at:xml.index(b">", at)]
                spread = RANGE_REF_RE.search(tag)
                if spread and (b'"array"' in tag or b'"dataTable"' in tag):
                    top, left = int(spread.group(2)), column_index(spread.group(1).decode())
                    bottom = int(spread.group(4)) if spread.group(4) else top
                    right = column_index(spread.group(3).decode()) if spread.group(3) else left
                    self.arrays.append((top, left, bottom, right))
        at = xml.find(ERROR_TYPE, start, end)
        while at >= 0:
            head = xml.rfind(b"<", start, at)
            tag = CELL_START_RE.match(xml, head)
            if tag is not None and tag.end() > at and xml[tag.end() - 2] != 47:  # not `<c/>`
                ref = CELL_REF_RE.search(xml, head, tag.end())
                value = ERROR_VALUE_RE.match(xml, tag.end(), end)
                if ref and value and value.group(1):
                    self.errors[(int(ref.group(2)), column_index(ref.group(1).decode()))] = \
                        unescape(value.group(1).decode("utf-8", "replace"))
            at = xml.find(ERROR_TYPE, at + len(ERROR_TYPE), end)
