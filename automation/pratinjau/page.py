"""What a Pratinjau or a Lembar Arsip shows (SPEC section 9), as plain data: the renderer
(`automation.pratinjau.render`) draws it, and nothing else decides what is on the page.

Pure: the shell fills it from the row, its memory and the same resolved content (files,
body) the website gets; the renderer sanitises the body as the publishers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from automation.core.calendar import format_datetime
from automation.core.schema import ARSIP, PRATINJAU
from automation.ports import MediaFile


@dataclass(frozen=True)
class Approval:
    column: str                         # "Paraf Kadis"
    official: str                       # who is configured for it ("" when nobody is)
    ticked_at: datetime | None          # first seen ticked (for this version); None: waiting


@dataclass(frozen=True)
class Archive:
    """What the Lembar Arsip adds."""

    number: str                         # Nomor Arsip
    location: str                       # Lokasi Arsip
    published_at: datetime              # Waktu Tayang
    url: str                            # the post's address (also as a QR code)


@dataclass(frozen=True)
class Page:
    kind: str                           # PRATINJAU or ARSIP
    office: str                         # the office's name, in the header
    title: str
    date: datetime                      # the date line: publication, or when received
    news_type: str
    source: str                         # Sumber Berita
    caption: str                        # Keterangan Foto, under the lead photo
    body_html: str                      # as the publishers get it (sanitised when drawn)
    photos: tuple[MediaFile, ...]       # as collected: the first is the lead photo
    videos: tuple[MediaFile, ...]       # as published: poster (first frame) and facts (length)
    embeds: tuple[str, ...]             # YouTube video IDs
    agenda_number: str
    receiver: str                       # Petugas Penerima
    approvals: tuple[Approval, ...]
    fingerprint: str                    # the content version the page shows
    made_at: datetime                   # when the page was made (its footer)
    archive: Archive | None = None      # the Lembar Arsip's part; None on a Pratinjau

    @property
    def version(self) -> str:
        return version_label(self.fingerprint)


def version_label(fingerprint: str) -> str:
    """The content version people can read aloud and compare: `3F9A-21C7`."""
    short = fingerprint[:8].upper()
    return f"{short[:4]}-{short[4:]}"


def approval_state(approval: Approval) -> str:
    """`Dicentang 27 November 2026, 09:12 WITA` (first seen ticked then), or `Menunggu`."""
    if approval.ticked_at is None:
        return "Menunggu"
    return f"Dicentang {format_datetime(approval.ticked_at)}"


def kind_title(kind: str) -> str:
    """What the page says it is, in its header."""
    return "LEMBAR ARSIP" if kind == ARSIP else "PRATINJAU BERITA"


def file_name(agenda_number: str, kind: str, version: int = 0) -> str:
    """`0017-2026-v2.pdf` (the row's second content version), `0017-2026-arsip.pdf`."""
    stem = agenda_number.replace("/", "-").replace("\\", "-")
    return f"{stem}-arsip.pdf" if kind == ARSIP else f"{stem}-v{version}.pdf"
