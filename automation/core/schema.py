"""The Buku Agenda column schema: the one place that names the columns.

The template, the row parser and the stores all take their headers from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    STAFF = "staff"          # Petugas Penerima
    OFFICIAL = "official"    # Kadis, Kabid, Kasi
    PROGRAM = "program"      # written by the program only


class Kind(Enum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATETIME = "datetime"
    TICK = "tick"
    CHOICE = "choice"        # Jenis Berita: one of agenda.news_types
    LINK = "link"            # an address: the .xlsx cell becomes a hyperlink to it


@dataclass(frozen=True)
class Column:
    header: str
    role: Role
    kind: Kind
    width: int
    help: str                # Indonesian, shown as the header's comment in the template
    required: bool = False
    content: bool = False    # part of the content fingerprint that approval binds (rule 2)
    hidden: bool = False
    optional: bool = False   # an agenda without it still works; `init` adds it


AGENDA_NUMBER = "No. Agenda"
RECEIVED = "Tanggal Terima"
TITLE = "Judul Berita"
NEWS_TYPE = "Jenis Berita"
SOURCE = "Sumber Berita"
TEXT = "Naskah Berita"
MEDIA = "Tautan Media"
CAPTION = "Keterangan Foto"
RECEIVER = "Petugas Penerima"
PARAF_KADIS = "Paraf Kadis"
PARAF_KABID = "Paraf Kabid"
REJECTED = "Ditolak"
LEADER_NOTE = "Catatan Pimpinan"
PAPER_FILED = "Arsip Fisik"
STATUS = "Status"
WEBSITE_URL = "Tautan Website"
PUBLISHED_AT = "Waktu Tayang"
ARCHIVE_NUMBER = "Nomor Arsip"
ARCHIVE_LOCATION = "Lokasi Arsip"
ARCHIVED_AT = "Waktu Arsip"
SYSTEM_NOTE = "Catatan Sistem"
ENTRY_ID = "ID Sistem"
PREVIEW = "Pratinjau"

S, O, P = Role.STAFF, Role.OFFICIAL, Role.PROGRAM

COLUMNS: tuple[Column, ...] = (
    Column(AGENDA_NUMBER, P, Kind.TEXT, 12, "Diisi program: nomor urut agenda per tahun."),
    Column(RECEIVED, S, Kind.DATETIME, 23, "Tanggal berita diterima. Jika kosong, program mengisi saat baris pertama terlihat."),
    Column(TITLE, S, Kind.TEXT, 40, "Judul berita (wajib).", required=True, content=True),
    Column(NEWS_TYPE, S, Kind.CHOICE, 18, "Pilih jenis berita dari daftar (wajib).", required=True, content=True),
    Column(SOURCE, S, Kind.TEXT, 22, "Unit/instansi pengirim berita (wajib).", required=True, content=True),
    Column(TEXT, S, Kind.LONG_TEXT, 50, "Isi berita, atau tautan/lokasi dokumen (.docx, .txt, .md, .html) (wajib).", required=True, content=True),
    Column(MEDIA, S, Kind.LONG_TEXT, 30, "Lokasi foto/video, satu per baris; folder berarti semua foto dan video di dalamnya (wajib).", required=True, content=True),
    Column(CAPTION, S, Kind.LONG_TEXT, 30, "Keterangan foto utama.", content=True),
    Column(RECEIVER, S, Kind.TEXT, 18, "Nama petugas penerima berita (wajib).", required=True),
    Column(PARAF_KADIS, O, Kind.TICK, 12, "Dicentang Kepala Dinas bila berita disetujui."),
    Column(PARAF_KABID, O, Kind.TICK, 12, "Dicentang Kepala Bidang bila berita disetujui untuk diinput."),
    Column(REJECTED, O, Kind.TICK, 10, "Dicentang Kadis/Kabid bila berita ditolak (setelah tayang: berita ditarik)."),
    Column(LEADER_NOTE, O, Kind.LONG_TEXT, 28, "Catatan pimpinan, misalnya alasan penolakan."),
    Column(PAPER_FILED, O, Kind.TICK, 11, "Dicentang Kasi setelah naskah bertanda tangan disimpan di lemari arsip."),
    Column(STATUS, P, Kind.TEXT, 22, "Diisi program: tahap berita saat ini."),
    Column(WEBSITE_URL, P, Kind.LINK, 36, "Diisi program: alamat berita di website."),
    Column(PUBLISHED_AT, P, Kind.DATETIME, 23, "Diisi program: waktu (terakhir) tayang."),
    Column(ARCHIVE_NUMBER, P, Kind.TEXT, 32, "Diisi program: nomor arsip naskah."),
    Column(ARCHIVE_LOCATION, P, Kind.TEXT, 36, "Diisi program: tempat menyimpan naskah fisik."),
    Column(ARCHIVED_AT, P, Kind.DATETIME, 23, "Diisi program: waktu Arsip Fisik pertama kali tercentang."),
    Column(SYSTEM_NOTE, P, Kind.LONG_TEXT, 50, "Diisi program: yang perlu diperbaiki atau yang terjadi."),
    Column(ENTRY_ID, P, Kind.TEXT, 14, "Diisi program: kunci baris. Jangan diubah.", hidden=True),
    Column(PREVIEW, P, Kind.LINK, 30, "Diisi program: tautan pratinjau berita, lalu lembar arsipnya.",
           optional=True),
)

BY_HEADER: dict[str, Column] = {c.header: c for c in COLUMNS}
PROGRAM_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.role is Role.PROGRAM)
CONTENT_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.content)
REQUIRED_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.required)
OPTIONAL_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.optional)
DATE_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.kind is Kind.DATETIME)
LINK_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.kind is Kind.LINK)

# The two pages a row gets (SPEC section 9), as the ledger and notices name them.
PRATINJAU, ARSIP = "pratinjau", "arsip"

HISTORY_SHEET = "Riwayat"
HISTORY_HEADERS: tuple[str, ...] = ("Waktu", ENTRY_ID, AGENDA_NUMBER, "Peristiwa", "Keterangan")

DATETIME_FORMAT = "d mmmm yyyy, hh:mm"   # the sheet's own display format (SPEC section 2)


def normalise_header(text: object) -> str:
    """Headers match trimmed and case-insensitively."""
    return " ".join(str(text or "").split()).casefold()


def agenda_columns(approval_columns: tuple[str, ...]) -> tuple[Column, ...]:
    """The schema with the configured approval columns in place of the default two."""
    defaults = [c for c in COLUMNS if c.header in (PARAF_KADIS, PARAF_KABID)]
    approvals = tuple(
        BY_HEADER.get(h) or Column(h, O, Kind.TICK, 12, f"Dicentang bila berita disetujui ({h}).")
        for h in approval_columns
    )
    at = COLUMNS.index(defaults[0])
    rest = tuple(c for c in COLUMNS if c not in defaults)
    return rest[:at] + approvals + rest[at:]


def tick_headers(approval_columns: tuple[str, ...]) -> tuple[str, ...]:
    """Every column holding ticks: the configured approvals, `Ditolak`, `Arsip Fisik`."""
    return tuple(dict.fromkeys((*approval_columns, REJECTED, PAPER_FILED)))
