"""Helpers shared by every media source: press-release documents to safe HTML, and
recognising photos and videos by their content.

Everything here works on names and bytes only, so each source (local folder, Drive, ...)
fetches the bytes its own way and gets the same HTML, the same verdicts and the same notes.
"""

from __future__ import annotations

import codecs
import html
import io
import itertools
import re
from pathlib import PureWindowsPath
from typing import Literal

import docx
import lxml.etree
import lxml.html
import markdown
import nh3
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

from automation.core.entry import DOCUMENT_SUFFIXES, printable

MediaKind = Literal["photo", "video"]

SUPPORTED_DOCUMENTS = DOCUMENT_SUFFIXES      # what `Naskah Berita` may point to (the core decides)

# What a press release may contain on the website; everything else is dropped, keeping
# its text, except script and style whose content is dropped too.
ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
LINK_REL = "noopener noreferrer"

# Major brands of the ISO base media file format that mean an MP4 video. HEIC/AVIF photos
# and M4A audio share the container but carry other brands, so they are not taken.
MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"NDAS", b"XAVC", b"f4v ",
})
# Old QuickTime files have no `ftyp` box and start straight with one of these atoms.
QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free"})


def sanitize_html(html_text: str) -> str:
    """Keep only the allowed tags, attributes and link schemes; links get a safe `rel`."""
    return nh3.clean(
        html_text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def text_to_html(text: str) -> str:
    """Plain text to paragraphs: a blank line starts a paragraph, a single newline is <br>."""
    text = printable(text)
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [html.escape(line.strip()) for line in block.strip().split("\n")]
        if any(lines):
            paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(paragraphs)


def unsupported_document_note(name: str) -> str:
    return (
        f"Jenis berkas naskah '{name}' tidak didukung. Simpan naskah sebagai Word (.docx), "
        "teks (.txt), Markdown (.md) atau HTML (.html) lalu tautkan lagi."
    )


def document_suffix(name: str) -> str:
    """Lower-case extension; PureWindowsPath splits on both `/` and `\\`."""
    return PureWindowsPath(name).suffix.lower()


def document_to_html(name: str, data: bytes) -> str:
    """Sanitised body HTML of a press-release document, chosen by the extension of `name`.

    Raises ValueError with an Indonesian note (naming `name`) when the type is not
    supported, the content cannot be read, or it holds no text.
    """
    suffix = document_suffix(name)
    if suffix not in SUPPORTED_DOCUMENTS:
        raise ValueError(unsupported_document_note(name))
    if suffix == ".docx":
        raw = _docx_to_html(name, data)
    else:
        text = printable(_decode_text(name, data))
        if suffix == ".txt":
            raw = text_to_html(text)
        elif suffix == ".md":
            raw = _shift_headings(markdown.markdown(text, extensions=["tables", "sane_lists"]))
        else:
            raw = _shift_headings(_html_body(name, text))
    result = sanitize_html(raw)
    if not _has_text(result):
        raise ValueError(
            f"Berkas naskah '{name}' tidak berisi teks. Isi naskahnya, simpan, lalu tautkan lagi."
        )
    return result


def sniff_media(head: bytes) -> tuple[MediaKind, str] | None:
    """(kind, MIME type) from the first bytes of a file, or None if it is no supported media.

    Decided by content signature only: a renamed file is recognised for what it is.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "photo", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo", "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video", "video/quicktime"
        if brand in MP4_BRANDS:
            return "video", "video/mp4"
        return None
    if head[4:8] in QUICKTIME_ATOMS:
        return "video", "video/quicktime"
    return None


def _decode_text(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Windows Notepad), else Windows-1252."""
    unreadable = ValueError(
        f"Berkas naskah '{name}' tidak dapat dibaca sebagai teks. Simpan ulang sebagai teks "
        "biasa (UTF-8) lalu tautkan lagi."
    )
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise unreadable from None
    if b"\x00" in data:  # a binary file (or UTF-16 without BOM) given a text extension
        raise unreadable
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Older Windows editors save in the ANSI code page; cp1252 leaves five bytes
        # undefined, which become U+FFFD rather than failing the whole document.
        return data.decode("cp1252", errors="replace")


def _html_body(name: str, text: str) -> str:
    """The <body> of an HTML document (head, title and meta dropped), or the fragment."""
    if not text.strip():
        return ""
    # lxml refuses a str that still carries an XML encoding declaration (XHTML files).
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    try:
        root = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.LxmlError):
        raise ValueError(
            f"Berkas naskah '{name}' bukan HTML yang dapat dibaca. Simpan ulang lalu tautkan lagi."
        ) from None
    body = root.find("body")
    return lxml.html.tostring(body if body is not None else root, encoding="unicode")


def _shift_headings(html_text: str) -> str:
    """h1 -> h2, h2 -> h3, h3 and below -> h4, as Word headings are mapped: h1 is the post
    title on the website, and the allowlist stops at h4."""
    def shift(match: re.Match) -> str:
        return f"<{match.group(1)}h{min(int(match.group(2)) + 1, 4)}"
    return re.sub(r"<(/?)h([1-6])(?=[\s/>])", shift, html_text, flags=re.IGNORECASE)


def _has_text(html_text: str) -> bool:
    return bool(html.unescape(re.sub(r"<[^>]*>", "", html_text)).strip())


# --- Word documents ---------------------------------------------------------------------


def _docx_to_html(name: str, data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
        return _blocks_to_html(document.iter_inner_content())
    except Exception:  # python-docx raises many types (zip, XML, KeyError) for a bad file
        raise ValueError(
            f"Berkas naskah '{name}' rusak atau bukan dokumen Word (.docx). "
            "Simpan ulang dari Word lalu tautkan lagi."
        ) from None


def _blocks_to_html(blocks) -> str:
    """Paragraphs and tables in document order; consecutive list paragraphs form one list."""
    parts: list[str] = []
    open_list: str | None = None
    for block in blocks:
        list_tag = _list_tag(block) if isinstance(block, Paragraph) else None
        if list_tag != open_list:
            if open_list:
                parts.append(f"</{open_list}>")
            if list_tag:
                parts.append(f"<{list_tag}>")
            open_list = list_tag
        if isinstance(block, Table):
            parts.append(_table_html(block))
        elif list_tag:
            inner = _inline_html(block)
            if inner.strip():
                parts.append(f"<li>{inner}</li>")
        else:
            parts.append(_paragraph_html(block))
    if open_list:
        parts.append(f"</{open_list}>")
    return "\n".join(part for part in parts if part)


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "") if style is not None else ""


def _list_tag(paragraph: Paragraph) -> str | None:
    name = _style_name(paragraph)
    if name.startswith("List Number"):
        return "ol"
    # Lists made with Word's toolbar buttons carry numbering properties (w:numPr) rather
    # than a list style; telling bullets from numbers there needs the numbering part, so
    # they become bullets.
    if name.startswith(("List Bullet", "List Paragraph")) or paragraph._p.xpath("./w:pPr/w:numPr"):
        return "ul"
    return None


def _paragraph_html(paragraph: Paragraph) -> str:
    inner = _inline_html(paragraph)
    if not inner.strip():
        return ""
    name = _style_name(paragraph)
    heading = re.fullmatch(r"Heading (\d)", name)
    if name == "Title" or (heading and heading.group(1) == "1"):
        tag = "h2"  # h1 is the post title on the website (see _shift_headings)
    elif heading:
        tag = "h3" if heading.group(1) == "2" else "h4"
    else:
        tag = "p"
    return f"<{tag}>{inner}</{tag}>"


def _inline_html(paragraph: Paragraph) -> str:
    """Runs and hyperlinks with bold/italic/underline; Word splits text into many runs, so
    neighbouring runs with the same formatting are joined into one element."""
    segments: list[tuple[str, tuple[bool, bool, bool, str]]] = []
    for item in paragraph.iter_inner_content():
        href, runs = (item.url, item.runs) if isinstance(item, Hyperlink) else ("", [item])
        for run in runs:
            if run.text:
                style = (bool(run.bold), bool(run.italic), bool(run.underline), href)
                segments.append((run.text, style))
    out = []
    for (bold, italic, underline, href), group in itertools.groupby(segments, key=lambda s: s[1]):
        text = html.escape(printable("".join(text for text, _ in group))).replace("\n", "<br>")
        if underline:
            text = f"<u>{text}</u>"
        if italic:
            text = f"<em>{text}</em>"
        if bold:
            text = f"<strong>{text}</strong>"
        if href:
            text = f'<a href="{html.escape(href)}">{text}</a>'
        out.append(text)
    return "".join(out)


def _table_html(table: Table) -> str:
    rows = []
    for row in table.rows:
        cells, cell_list, index = [], row.cells, 0
        while index < len(cell_list):
            cell = cell_list[index]
            content = "<br>".join(filter(None, (_inline_html(p) for p in cell.paragraphs)))
            cells.append(f"<td>{content}</td>")
            # A horizontally merged cell is listed once per grid column it spans.
            index += max(cell.grid_span, 1)
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table><tbody>" + "".join(rows) + "</tbody></table>"
