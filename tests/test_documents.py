"""Documents to safe HTML (automation.media.documents, automation.html_safety), and media
recognised by content (automation.media.files)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from PIL import Image

from automation.html_safety import sanitize_html
from automation.media.documents import SUPPORTED_DOCUMENTS, document_to_html, text_to_html
from automation.media.files import sniff_media


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Gubernur Buka Rapat Koordinasi", level=1)
    document.add_heading("Agenda", level=2)
    paragraph = document.add_paragraph("Rapat dibuka oleh ")
    paragraph.add_run("Gubernur Kalimantan Utara").bold = True
    paragraph.add_run(" di ")
    paragraph.add_run("Tanjung Selor").italic = True
    paragraph.add_run(" <script>alert(1)</script>")
    document.add_paragraph("Laporan OPD", style="List Bullet")
    document.add_paragraph("Tanya jawab", style="List Bullet")
    document.add_paragraph("Pertama", style="List Number")
    document.add_paragraph("")  # empty paragraphs produce nothing
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Peserta"
    table.cell(0, 1).text = "Jumlah"
    table.cell(1, 0).text = "OPD"
    table.cell(1, 1).text = "35"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- sanitize_html ------------------------------------------------------------------------


def test_sanitize_drops_script_and_style_with_their_content():
    result = sanitize_html("<p>Aman<script>alert('x')</script><style>p{color:red}</style></p>")
    assert result == "<p>Aman</p>"


def test_sanitize_strips_javascript_links_and_event_handlers():
    result = sanitize_html('<a href="javascript:alert(1)" onclick="steal()">klik</a>'
                           '<img src=x onerror="alert(1)"><p onmouseover="x()">teks</p>')
    assert "javascript" not in result
    assert "onclick" not in result and "onerror" not in result and "onmouseover" not in result
    assert "<img" not in result
    assert "klik" in result and "<p>teks</p>" in result


def test_sanitize_keeps_allowed_markup_and_marks_links():
    source = ('<h2>Judul</h2><p><strong>a</strong> <em>b</em> <u>c</u><br></p>'
              '<ul><li>x</li></ul><table><thead><tr><th>h</th></tr></thead>'
              '<tbody><tr><td>d</td></tr></tbody></table>'
              '<a href="https://diskominfo.kaltaraprov.go.id/" title="situs" rel="opener">s</a>'
              '<a href="mailto:humas@example.go.id">m</a>')
    result = sanitize_html(source)
    for fragment in ("<h2>Judul</h2>", "<strong>a</strong>", "<em>b</em>", "<u>c</u>", "<br>",
                     "<ul><li>x</li></ul>", "<th>h</th>", "<td>d</td>",
                     'href="https://diskominfo.kaltaraprov.go.id/"', 'title="situs"',
                     'href="mailto:humas@example.go.id"'):
        assert fragment in result
    assert result.count('rel="noopener noreferrer"') == 2
    assert 'rel="opener"' not in result


def test_sanitize_removes_disallowed_tags_but_keeps_their_text():
    assert sanitize_html('<div class="x"><h1>Besar</h1><iframe src="https://x"></iframe>'
                         "<span>isi</span></div>") == "Besarisi"


# --- text_to_html -------------------------------------------------------------------------


def test_text_to_html_paragraphs_and_line_breaks():
    text = "Baris satu\r\nBaris dua\r\n\r\n\r\nParagraf dua\n   \nParagraf tiga"
    assert text_to_html(text) == ("<p>Baris satu<br>\nBaris dua</p>\n<p>Paragraf dua</p>\n"
                                  "<p>Paragraf tiga</p>")


def test_text_to_html_escapes_markup():
    result = text_to_html("<script>alert('x')</script> & \"kutip\"")
    assert "<script>" not in result
    assert "&lt;script&gt;" in result and "&amp;" in result


def test_text_to_html_of_blank_text_is_empty():
    assert text_to_html(" \n\n \n") == ""


# --- document_to_html ---------------------------------------------------------------------


def test_supported_documents():
    assert SUPPORTED_DOCUMENTS == (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


def test_txt_utf8():
    html = document_to_html("naskah.txt", "Kaltara maju\nbersama\n\nParagraf <b>dua</b>".encode())
    assert html == "<p>Kaltara maju<br>\nbersama</p>\n<p>Paragraf &lt;b&gt;dua&lt;/b&gt;</p>"


def test_txt_with_bom_and_cp1252_and_utf16():
    assert document_to_html("a.txt", "\ufeffSalam".encode("utf-8")) == "<p>Salam</p>"
    assert document_to_html("a.TXT", "Caf\xe9 \u201cKaltara\u201d".encode("cp1252")) == \
        "<p>Caf\xe9 \u201cKaltara\u201d</p>"
    assert document_to_html("a.txt", "Notepad".encode("utf-16")) == "<p>Notepad</p>"


def test_binary_txt_is_refused():
    with pytest.raises(ValueError, match="'data.txt' tidak dapat dibaca sebagai teks"):
        document_to_html("data.txt", b"MZ\x90\x00\x03\x00\x00\x00")


def test_markdown():
    source = ("# Judul\n\n## Bagian\n\nTeks **tebal** dan _miring_.\n\n- satu\n- dua\n\n"
              "<script>alert(1)</script>\n\n[tautan](javascript:alert(1)) [situs](https://x.id)")
    html = document_to_html("naskah.md", source.encode())
    assert "<h2>Judul</h2>" in html and "<h3>Bagian</h3>" in html  # h1 is the post title
    assert "<strong>tebal</strong>" in html and "<em>miring</em>" in html
    assert "<ul>\n<li>satu</li>\n<li>dua</li>\n</ul>" in html
    assert "script" not in html and "alert" not in html and "javascript" not in html
    assert '<a href="https://x.id" rel="noopener noreferrer">situs</a>' in html


def test_html_takes_the_body():
    source = ('<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html><head>'
              "<title>Judul jendela</title><script>alert(1)</script></head><body>"
              '<h1>Judul</h1><p onclick="x()">Isi <a href="javascript:alert(1)">x</a></p>'
              "<script>steal()</script></body></html>")
    for name in ("naskah.html", "naskah.htm"):
        html = document_to_html(name, source.encode())
        assert html == '<h2>Judul</h2><p>Isi <a rel="noopener noreferrer">x</a></p>'


def test_html_fragment_without_body():
    assert document_to_html("a.html", b"<p>Hanya paragraf</p>") == "<p>Hanya paragraf</p>"


def test_docx_heading_bold_list_and_table():
    html = document_to_html("naskah.docx", make_docx())
    assert "<h2>Gubernur Buka Rapat Koordinasi</h2>" in html
    assert "<h3>Agenda</h3>" in html
    assert ("<p>Rapat dibuka oleh <strong>Gubernur Kalimantan Utara</strong> di "
            "<em>Tanjung Selor</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>") in html
    assert "<ul>\n<li>Laporan OPD</li>\n<li>Tanya jawab</li>\n</ul>" in html
    assert "<ol>\n<li>Pertama</li>\n</ol>" in html
    assert ("<table><tbody><tr><td>Peserta</td><td>Jumlah</td></tr>"
            "<tr><td>OPD</td><td>35</td></tr></tbody></table>") in html
    assert "<p></p>" not in html


def test_docx_that_is_not_a_zip():
    with pytest.raises(ValueError) as error:
        document_to_html("x.docx", b"bukan dokumen word")
    assert str(error.value) == ("Berkas naskah 'x.docx' rusak atau bukan dokumen Word (.docx). "
                                "Simpan ulang dari Word lalu tautkan lagi.")


def test_docx_that_is_a_zip_but_not_word():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("isi.txt", "halo")
    with pytest.raises(ValueError, match="rusak atau bukan dokumen Word"):
        document_to_html("x.docx", buffer.getvalue())


@pytest.mark.parametrize("name", ["naskah.odt", "naskah.doc", "naskah", "foto.jpg"])
def test_unsupported_extension(name):
    with pytest.raises(ValueError, match=f"Jenis berkas naskah '{name}' tidak didukung"):
        document_to_html(name, b"apa saja")


@pytest.mark.parametrize("name, data", [
    ("kosong.txt", b"  \r\n\r\n "),
    ("kosong.html", b"<html><head><title>t</title></head><body> </body></html>"),
    ("kosong.md", b"<script>alert(1)</script>"),
])
def test_document_without_text(name, data):
    with pytest.raises(ValueError, match=f"'{name}' tidak berisi teks"):
        document_to_html(name, data)


def test_extension_is_taken_from_windows_paths_too():
    assert document_to_html("naskah\\rapat.TXT", b"isi") == "<p>isi</p>"


# --- sniff_media --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                       ("WEBP", "image/webp")])
def test_sniff_real_photos(fmt, mime):
    assert sniff_media(image_bytes(fmt)[:64]) == ("photo", mime)


@pytest.mark.parametrize("head, mime", [
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
    (b"\x00\x00\x00\x1cftypM4V \x00\x00\x00\x00", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "video/quicktime"),
    (b"\x00\x01\x00\x00mdat\x00\x00\x00\x00", "video/quicktime"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video/webm"),
])
def test_sniff_videos(head, mime):
    assert sniff_media(head) == ("video", mime)


@pytest.mark.parametrize("head, mime", [
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),    # iPhone
    (b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00", "image/heic"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heif"),
])
def test_sniff_heif_photos(head, mime):
    assert sniff_media(head) == ("photo", mime)


@pytest.mark.parametrize("head", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00",      # Windows program
    b"GIF89a\x10\x00\x0c\x00\x00\x00",                   # GIF is not an accepted photo
    b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00",       # AVIF photo: not accepted
    b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00",       # audio
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00",      # zip / docx
    b"RIFF\x24\x00\x00\x00WAVEfmt ",                     # RIFF, but audio
    b"",
    b"\xff\xd8",
])
def test_sniff_rejects_everything_else(head):
    assert sniff_media(head) is None
