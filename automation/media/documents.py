"""Press-release documents to safe HTML, shared by every media source.

Everything here works on names and bytes only, so each source (local folder, Drive, ...)
fetches the bytes its own way and gets the same HTML and the same notes. What the HTML may
contain is `automation.html_safety`'s allowlist; recognising photos and videos is
`automation.media.files`.
"""

from __future__ import annotations

import codecs
import html
import io
import itertools
import re
from pathlib import PureWindowsPath

from typing import TYPE_CHECKING

import lxml.etree
import lxml.html

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

from automation.core.entry import DOCUMENT_SUFFIXES, printable
from automation.html_safety import sanitize_html

SUPPORTED_DOCUMENTS = DOCUMENT_SUFFIXES      # what `Naskah Berita` may point to (the core decides)


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
        "PDF, teks (.txt), Markdown (.md) atau HTML (.html) lalu tautkan lagi."
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
    elif suffix == ".pdf":
        raw = _pdf_to_html(name, data)
    else:
        text = printable(_decode_text(name, data))
        if suffix == ".txt":
            raw = text_to_html(text)
        elif suffix == ".md":
            import markdown
            raw = _shift_headings(markdown.markdown(text, extensions=["tables", "sane_lists"]))
        else:
            raw = _shift_headings(_html_body(name, text))
    result = sanitize_html(raw)
    if not _has_text(result):
        raise ValueError(
            f"Berkas naskah '{name}' tidak berisi teks. Isi naskahnya, simpan, lalu tautkan lagi."
        )
    return result


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
    import docx     # here, not at start: most cycles read no document
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
    from docx.table import Table
    from docx.text.paragraph import Paragraph
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
    from docx.text.hyperlink import Hyperlink
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


# A line of a PDF ends its paragraph when it ends a sentence and stops short of the text's
# width (the last line of a justified or ragged paragraph); PDFs keep no paragraphs as such.
_SENTENCE_END = (".", "!", "?", ":", '"', "\u201d", ")")
_SHORT_LINE = 0.8


def _pdf_to_html(name: str, data: bytes) -> str:
    """The text layer of a PDF as paragraphs. A scanned PDF (images only) has none: its note
    asks for the text itself."""
    import pypdf
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except Exception:  # pypdf raises many types for damaged files, ValueError among them
        raise ValueError(f"Berkas naskah '{name}' rusak atau tidak dapat dibaca sebagai PDF. "
                         "Simpan ulang PDF-nya dari aplikasi asalnya, atau kirim naskahnya "
                         "sebagai Word (.docx), lalu tautkan lagi.") from None
    if locked:
        raise ValueError(f"Berkas naskah '{name}' dikunci dengan kata sandi. Simpan ulang PDF-nya "
                         "tanpa kata sandi, atau kirim naskahnya sebagai Word (.docx), lalu "
                         "tautkan lagi.")
    lines = [line.strip() for line in printable("\n\n".join(pages)).split("\n")]
    if not any(lines):
        raise ValueError(f"Berkas naskah '{name}' berupa hasil pindaian (gambar) tanpa teks. "
                         "Kirim naskahnya sebagai Word (.docx) atau Google Dokumen, atau tempel "
                         "teksnya langsung di kolom Naskah Berita.")
    width = max(len(line) for line in lines)
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        if not line or (line.endswith(_SENTENCE_END) and len(line) < _SHORT_LINE * width):
            paragraphs.append([])
    return "\n".join(f"<p>{html.escape(' '.join(p))}</p>" for p in paragraphs if p)

