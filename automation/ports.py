"""The small interfaces between the shell and the outside systems (adapters).

Agenda stores, media sources and publishers implement these; the cycle only talks to them
through these types, so swapping an adapter never touches the core or the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ContextManager, Literal, Protocol, Sequence

# The one reference to a post and the one event type, owned by the core.
from automation.core.workflow import Event, PostRef


class AdapterError(Exception):
    """An outside system failed; `note` is the Indonesian text for `Catatan Sistem`."""

    def __init__(self, message: str, note: str | None = None):
        super().__init__(message)
        self.note = note or message


class UploadRefused(AdapterError):
    """A file is too large for the website: over `website.max_upload_mb` (not sent at all),
    or refused by the site as too large (413, WordPress's "exceeds the maximum upload size").
    Sending it again changes nothing: the row is not retried until its content or the limit
    changes. `note` names the file, its size and the fix (Indonesian)."""


class SourceUnavailable(AdapterError):
    """A media source, a document or a website cannot be reached now (SPEC rule 8): an
    unmounted share, a folder the program may not read, Drive answering 5xx or 429, a
    timeout. An outage, never an edit: the rows that need it are left exactly as they are
    and tried again next cycle. `message` is for the administrator, `note` in Indonesian."""


class FileFactsCache(Protocol):
    """Remembers facts about files (hash, type) keyed by path, size and time stamp."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, facts: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class VideoFacts:
    """What ffmpeg says of a video: enough to tell whether every browser plays it and what a
    conversion must produce."""

    video_codec: str                    # ffmpeg's name: "h264", "hevc", "vp9", ...
    audio_codec: str                    # "" when the video has no sound
    width: int                          # as stored; `rotation` says how it is shown
    height: int
    duration: float                     # seconds
    rotation: int = 0                   # degrees a player turns it (phones filming upright)
    pixel_format: str = ""              # "yuv420p"; 10-bit ones play in few browsers


@dataclass(frozen=True)
class MediaFile:
    name: str                           # file name as it should appear on the website
    path: Path                          # a local, readable copy
    kind: Literal["photo", "video"]
    mime: str
    size: int
    sha256: str
    video: VideoFacts | None = None     # videos: as probed
    poster: Path | None = None          # videos as published: a JPEG of a frame


@dataclass(frozen=True)
class MediaCheck:
    files: tuple[MediaFile, ...]
    problems: tuple[str, ...]           # Indonesian, each names the file and the fix
    # Lets `MediaSource.unchanged` tell that nothing changed: also what fixing each problem
    # would change (the folder a missing file goes into), or UNVERIFIABLE.
    stamp: tuple = ()


# A stamp item no source finds unchanged: the result had a problem whose fix the stamp cannot
# see, so the row is read afresh every cycle.
UNVERIFIABLE = ("unverifiable",)


def unverifiable(stamp: Sequence) -> bool:
    """Whether a stamp (as given, or JSON round-tripped) holds UNVERIFIABLE."""
    return any(list(item) == list(UNVERIFIABLE) for item in stamp)


@dataclass(frozen=True)
class Document:
    html: str                           # sanitised body HTML
    fingerprint: str                    # sha256 of the referenced document's bytes
    problems: tuple[str, ...]
    stamp: tuple = ()


class MediaSource(Protocol):
    def collect(self, links: Sequence[str]) -> MediaCheck:
        """Resolve the links of one row (`Tautan Media`, already split) to checked files."""

    def read_document(self, reference: str) -> Document:
        """Read a `Naskah Berita` that is a path or link to a document."""

    def unchanged(self, stamp: list) -> bool:
        """Cheaply, whether everything a `stamp` (JSON round-tripped) describes is as it was."""

    def check(self) -> list[str]:
        """Problems an administrator must fix before going live (English, with the fix)."""


@dataclass(frozen=True)
class Post:
    entry_id: str
    slug: str
    title: str
    body_html: str
    news_type: str
    source: str                         # Sumber Berita
    caption: str                        # Keterangan Foto
    media: tuple[MediaFile, ...]
    published_at: datetime              # aware, in the office time zone
    agenda_number: str
    fingerprint: str                    # content fingerprint of the approved version
    embeds: tuple[str, ...] = ()        # YouTube video IDs from Tautan Media, in order


class Publisher(Protocol):
    def batch(self) -> ContextManager[None]:
        """A cycle's publications happen inside: work that concerns the whole site (an
        index page) may wait for its end."""

    def find(self, entry_id: str) -> PostRef | None:
        """The post made for this entry, if any, live or withdrawn (recovery, retries)."""

    def publish(self, post: Post, existing: PostRef | None) -> PostRef:
        """Create the post, or update `existing` in place (same URL); makes it live.

        Without `existing`, a post already made for `post.entry_id` (an earlier attempt whose
        outcome was lost) must be found and updated: never a second post.
        """

    def withdraw(self, ref: PostRef) -> PostRef:
        """Take the post off the public site without deleting it."""

    def check(self) -> list[str]:
        """Problems an administrator must fix before going live (English, with the fix)."""


@dataclass(frozen=True)
class Sheet:
    """The agenda worksheet as read: row 1 is the header, `rows[i]` is sheet row i + 2.

    Cells hold what the sheet holds: text, numbers, booleans, None for empty; a date or
    date-time is an aware datetime in the office time zone (a date: its midnight).
    """

    header: list[Any]
    rows: list[list[Any]]
    version: str                        # what `AgendaStore.version()` said for this content
    # (sheet row, 0-based column) of every cell below the header that holds a formula: such
    # a cell is the office's even when it shows nothing or an error (SPEC rule 4).
    formulas: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class RowWrite:
    """Cells to write into the row whose `ID Sistem` is `entry_id`.

    A row whose ID is not (or not uniquely) in the sheet yet, a new row or a copy, is found
    by `match`: the texts it showed when read, its old `ID Sistem` included. If it cannot be
    found for certain, nothing is written to it.
    """

    entry_id: str
    row: int                            # where the row was when read: a hint, never trusted
    cells: dict[str, Any]               # header -> str | bool | aware datetime | None
    match: dict[str, str] | None = None


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]            # entry IDs whose cells were written
    missed: tuple[str, ...]             # entry IDs whose row could not be found for certain
    version: str                        # the store's version after the write


class StoreBusy(AdapterError):
    """The agenda cannot be written now (open and locked elsewhere); try next cycle."""


class AgendaStore(Protocol):
    # Every request counts against a quota (Google): a new row's `ID Sistem` then goes out
    # with the regular write-back and the row is published one cycle later, instead of
    # costing an extra read and write before publishing.
    quota_limited: bool

    def version(self) -> str | None:
        """A cheap probe that changes whenever the agenda changes (None: unknown)."""

    def read(self) -> Sheet: ...

    def history(self) -> list[Event]:
        """The events `Riwayat` shows, one per line (used to recover a lost ledger)."""

    def write(self, writes: Sequence[RowWrite], history: Sequence[Event],
              read: Sheet | None = None, recheck_history: bool = True) -> WriteReport:
        """One batched write-back, appending `history` to `Riwayat`.

        `read` is the read the writes were made from (each `RowWrite.row` is where its row
        was in it): what the rows showed then and which of their cells held a formula. The
        store keeps no copy of its own; without `read`, it reads the agenda again. Times are
        aware; the store writes them as the sheet's own date-times in the office time zone.

        With `recheck_history`, rows already in `Riwayat` (from an interrupted earlier
        write) are not added again.
        """

    def put_sheet(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Make worksheet `name` hold exactly `rows` (plain values: text, numbers, aware
        datetimes, booleans, None), adding it if missing. For the program's own worksheets
        (`Rekap`, `Status Program`); nothing else in the agenda is touched."""

    def approval_trust(self) -> str:
        """"" when only the configured officials can tick the approval columns; otherwise an
        Indonesian note saying why ticks cannot be trusted (SPEC rule 7): nothing is published."""

    def check(self) -> list[str]: ...
