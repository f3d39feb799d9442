"""Press releases sent as PDF (SPEC section 10): the text layer becomes the body, paragraph by
paragraph; a scanned PDF (images only), a damaged one or one locked by a password gets a note
that says what to send instead. PDFs are made here with fpdf2, the way office software would."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from PIL import Image

from automation.core import schema as S
from automation.media.documents import document_to_html
from tests.support.workspace import Agenda, approved

LEAD = ("TANJUNG SELOR - Gubernur Kalimantan Utara meresmikan Jembatan Sungai Kayan, Jumat "
        "(27/11). Jembatan sepanjang 480 meter ini menghubungkan Tanjung Selor dengan Tanjung "
        "Palas dan memangkas waktu tempuh warga hingga satu jam.")
SECOND = ("Pembangunan jembatan dimulai tiga tahun lalu dengan anggaran Rp 312 miliar dari APBD "
          "provinsi. Gubernur berharap jembatan ini mempercepat pemerataan pembangunan.")
CLOSING = "(humas)"


def text_pdf(*paragraphs: str, password: str | None = None) -> bytes:
    pdf = FPDF(format="A4")
    if password:
        pdf.set_encryption(owner_password="pemilik", user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page that is only a picture of text, as a scanner makes it."""
    picture = io.BytesIO()
    Image.new("L", (1240, 1754), 250).save(picture, "PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(picture, x=0, y=0, w=210)
    return bytes(pdf.output())


def paragraphs(body: str) -> list[str]:
    return [p.removesuffix("</p>") for p in body.split("<p>")[1:]]


def test_a_text_pdf_becomes_its_paragraphs():
    body = document_to_html("siaran-pers.pdf", text_pdf(LEAD, SECOND, CLOSING))
    got = [" ".join(p.split()) for p in paragraphs(body.replace("\n", ""))]
    assert got == [LEAD, SECOND, CLOSING]


@pytest.mark.parametrize("data, words", [
    (scanned_pdf(), "hasil pindaian (gambar) tanpa teks"),
    (b"%PDF-1.7\n" + b"\x00" * 200, "rusak atau tidak dapat dibaca sebagai PDF"),
    (text_pdf(LEAD, password="rahasia"), "dikunci dengan kata sandi"),
])
def test_a_pdf_without_readable_text_gets_a_note_that_says_what_to_send(data, words):
    with pytest.raises(ValueError) as refused:
        document_to_html("kiriman.pdf", data)
    note = str(refused.value)
    assert "'kiriman.pdf'" in note and words in note
    assert "Word (.docx)" in note


def test_a_row_whose_naskah_is_a_pdf_is_published_with_its_text(tmp_path):
    agenda = Agenda(tmp_path, [approved("Jembatan Sungai Kayan",
                                        **{S.TEXT: "naskah/siaran-pers.pdf"}),
                               approved("Naskah Pindaian", **{S.TEXT: "naskah/pindaian.pdf"})])
    (agenda.folder / "media" / "naskah").mkdir(parents=True)
    (agenda.folder / "media" / "naskah" / "siaran-pers.pdf").write_bytes(
        text_pdf(LEAD, SECOND, CLOSING))
    (agenda.folder / "media" / "naskah" / "pindaian.pdf").write_bytes(scanned_pdf())
    agenda.cycle()
    published = agenda.by_title("Jembatan Sungai Kayan")
    assert published[S.STATUS] == "Tayang", published[S.SYSTEM_NOTE]
    [page] = (agenda.folder / "site").glob("jembatan-sungai-kayan-*/index.html")
    html = " ".join(page.read_text(encoding="utf-8").split())
    assert "memangkas waktu tempuh warga hingga satu jam." in html
    scanned = agenda.by_title("Naskah Pindaian")
    assert scanned[S.STATUS] == "Belum Lengkap"
    assert "'naskah/pindaian.pdf' berupa hasil pindaian" in scanned[S.SYSTEM_NOTE]
