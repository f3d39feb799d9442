"""Media and documents from a folder on the office server (`media.backend = "local"`).

Staff write paths relative to the media folder (`foto/rapat.jpg`, or a folder such as
`2026-11-27 rapat/`). Nothing outside that folder is ever read: a link that resolves
elsewhere (`../`, an absolute path, a symlink pointing out) is refused with a note.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path, PureWindowsPath
from typing import Any, Sequence
from urllib.parse import urlsplit
from urllib.request import url2pathname

from automation.media.documents import (
    SUPPORTED_DOCUMENTS,
    document_suffix,
    document_to_html,
    unsupported_document_note,
)
from automation.media.files import (
    MIB,
    StaffFix,
    examine,
    megabytes,
    natural_key,
    usable,
    verdict_note,
    video_facts,
)
from automation.ports import (
    UNVERIFIABLE, Document, FileFactsCache, MediaCheck, MediaFile, SourceUnavailable,
    unverifiable,
)

# A folder link takes the files with these extensions; each is still checked by content.
MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".mp4", ".m4v", ".mov",
                  ".webm")
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm")

MEDIA = "Berkas media"
DOCUMENT = "Berkas naskah"

NO_LINKS = ("Tautan Media kosong. Tulis jalur foto atau video di folder media, "
            "misalnya 'foto/rapat.jpg'.")
OUTAGE = ("Folder media di server ({}) tidak dapat dibaca saat ini{}. Baris yang "
          "memerlukannya dibiarkan apa adanya dan diperiksa lagi setiap siklus.")
# Marks, in the file facts, a folder seen with something in it: the same folder found empty
# later is an unmounted share (a mount point looks empty), not staff removing every file.
HAD_FILES = "folder-had-files|"


class LocalFolder:
    """`MediaSource` reading photos, videos and documents under `base_dir`."""

    def __init__(self, base_dir: Path, max_file_mb: int, cache: FileFactsCache | None = None):
        self.base_dir = Path(base_dir)
        self.max_file_mb = max_file_mb
        self.cache = cache
        self._had_files: bool | None = None   # the HAD_FILES mark, looked up once

    # --- MediaSource ----------------------------------------------------------------

    def collect(self, links: Sequence[str]) -> MediaCheck:
        wanted = list(dict.fromkeys(filter(None, (_clean(link) for link in links))))
        if not wanted:
            return MediaCheck((), (NO_LINKS,))
        base = self._base()

        problems: list[str] = []
        candidates: list[tuple[str, Path, os.stat_result]] = []
        folders: list[tuple[Path, os.stat_result]] = []
        watched: list[tuple] = []         # what fixing a link's problem changes
        for link in wanted:
            try:
                if _is_web_link(link):
                    raise StaffFix(
                        f"Tautan '{link}' tidak dapat dipakai: konfigurasi kantor ini membaca "
                        'media dari folder lokal (media.backend = "local"). Unduh berkasnya, '
                        "simpan di folder media, lalu tulis jalurnya, misalnya 'foto/rapat.jpg'."
                    )
                path, info = self._locate(base, MEDIA, link, _link_path(MEDIA, link))
                if stat.S_ISDIR(info.st_mode):
                    folders.append((path, info))
                    candidates += self._folder_media(base, link, path, problems)
                else:
                    candidates.append((link, path, info))
            except StaffFix as problem:
                problems.append(problem.note)
                watched += self._watch(base, MEDIA, link)

        files: list[MediaFile] = []
        seen: set[Path] = set()
        for shown, path, info in candidates:
            if path in seen:  # the same file linked twice, or also inside a linked folder
                continue
            seen.add(path)
            try:
                files.append(self._media_file(shown, path, info))
            except StaffFix as problem:
                problems.append(problem.note)
        stamp = tuple(_stamp(path, info) for path, info in folders) + tuple(
            _stamp(path, info) for _, path, info in candidates) + tuple(watched)
        return MediaCheck(tuple(files), tuple(dict.fromkeys(problems)), stamp)

    def read_document(self, reference: str) -> Document:
        shown = _clean(reference)
        try:
            path, info, data = self._document_bytes(shown)
            body = document_to_html(shown, data)
        except StaffFix as problem:
            return Document("", "", (problem.note,), self._watch(self._base(), DOCUMENT, shown))
        except ValueError as error:  # document_to_html's Indonesian note
            return Document("", "", (str(error),), self._watch(self._base(), DOCUMENT, shown))
        return Document(body, hashlib.sha256(data).hexdigest(), (), (_stamp(path, info),))

    def unchanged(self, stamp: list) -> bool:
        """Every file and folder still has the identity, size and time stamp it had.

        A folder's time stamp changes when a file is added to it or taken out of it.
        """
        if unverifiable(stamp):
            return False
        for path, ino, size, mtime_ns in stamp:
            try:
                info = os.stat(path)
            except OSError:
                return False
            if (info.st_ino, info.st_size, info.st_mtime_ns) != (ino, size, mtime_ns):
                return False
        return True

    def _watch(self, base: Path, noun: str, shown: str) -> tuple[tuple, ...]:
        """What changes when staff fix a problem with `shown`: the file or folder itself if it
        exists, and the nearest folder on its way that exists (the one a missing file will be
        put in: adding it changes that folder's time stamp). Nothing for a web link or an
        empty text: the text is the problem, and the row's digest covers it."""
        if not shown or _is_web_link(shown):
            return ()
        try:
            target = base / _link_path(noun, shown)
        except StaffFix:                  # a drive or share: only its text can be fixed
            return ()
        way = [p for p in target.parents if p == base or base in p.parents]
        watched = []
        for i, path in enumerate([target, *way]):
            try:
                info = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except (OSError, ValueError):  # a folder above the one the file goes into would
                return (UNVERIFIABLE,)     # not show it arriving
            watched.append(_stamp(path, info))
            if i > 0:
                return tuple(watched)
        return (UNVERIFIABLE,)

    def check(self) -> list[str]:
        where = self.base_dir
        try:
            info = where.stat()
        except (FileNotFoundError, NotADirectoryError):
            return [f"Media folder {where} does not exist. If it is a network share, mount it; "
                    "otherwise create it, or set media.base_dir in the config to the folder "
                    "where staff put photos and videos."]
        except OSError as error:
            return [_inaccessible(where, error)]
        if not stat.S_ISDIR(info.st_mode):
            return [f"Media folder {where} is a file, not a folder. Set media.base_dir in the "
                    "config to the folder where staff put photos and videos."]
        try:
            with os.scandir(where) as entries:
                next(entries, None)
        except OSError as error:
            return [_inaccessible(where, error)]
        return []

    # --- locating files ---------------------------------------------------------------

    def _base(self) -> Path:
        """The media folder, resolved; `SourceUnavailable` when it cannot be read now."""
        try:
            base = self.base_dir.resolve()
            if not base.is_dir():
                raise self._outage(f"media folder {self.base_dir} does not exist or is not a "
                                   "folder (an unmounted share?)", "")
            with os.scandir(base) as listing:
                empty = next(listing, None) is None
        except OSError as error:
            raise self._outage(f"media folder {self.base_dir} cannot be read "
                               f"({error.strerror or error})", " (izin akses ditolak)") from None
        except RuntimeError:                    # a symlink loop
            raise self._outage(f"media folder {self.base_dir} is a symlink loop", "") from None
        if self.cache is not None:
            key = HAD_FILES + str(base)
            if self._had_files is None:
                self._had_files = bool(self.cache.get(key))
            if empty and self._had_files:
                raise self._outage(f"media folder {self.base_dir} is suddenly empty (an "
                                   "unmounted share?)", " (folder mendadak kosong)")
            if not empty and not self._had_files:
                self.cache.put(key, {"seen": True})
                self._had_files = True
        return base

    def _outage(self, message: str, why: str) -> SourceUnavailable:
        return SourceUnavailable(
            f"{message}: rows that need it are left as they are; mount the share or fix "
            "media.base_dir, then the next cycle goes on", OUTAGE.format(self.base_dir, why))

    def _locate(self, base: Path, noun: str, shown: str,
                raw: Path) -> tuple[Path, os.stat_result]:
        """The resolved path (symlinks followed) and its stat, if it lies inside `base`."""
        try:
            path = (base / raw).resolve()
        except (OSError, RuntimeError, ValueError):  # symlink loop, NUL byte, bad name
            raise StaffFix(_missing(noun, shown)) from None
        if not path.is_relative_to(base):
            raise StaffFix(_outside(noun, shown))
        try:
            return path, path.stat()
        except (FileNotFoundError, NotADirectoryError):
            self._base()    # a share unmounted since the cycle began is an outage, not a gap
            raise StaffFix(_missing(noun, shown)) from None
        except OSError as error:
            raise self._unreadable(noun, shown, error) from None

    def _unreadable(self, noun: str, shown: str, error: OSError) -> SourceUnavailable:
        """A file or folder the program may not read now (permissions, a lock held by another
        program): the administrator's to fix, not a reason to call the row incomplete."""
        what = {MEDIA: "media file", DOCUMENT: "document"}.get(noun, "folder")
        return SourceUnavailable(
            f"{what} '{shown}' in {self.base_dir} cannot be read "
            f"({error.strerror or error}): give the program's account read access",
            OUTAGE.format(self.base_dir, f" ('{shown}' tidak dapat dibuka: izin akses "
                                         "ditolak atau sedang dipakai aplikasi lain)"))

    def _folder_media(self, base: Path, shown: str, folder: Path,
                      problems: list[str]) -> list[tuple[str, Path, os.stat_result]]:
        """Photos and videos directly in `folder`, in natural name order; hidden files,
        subfolders and other files are skipped silently."""
        try:
            with os.scandir(folder) as listing:
                entries = [entry for entry in listing
                           if document_suffix(entry.name) in MEDIA_SUFFIXES and not _hidden(entry)]
        except OSError as error:
            raise self._unreadable("Folder", shown, error) from None
        prefix = shown.rstrip("/\\")
        found, refused = [], []
        for entry in sorted(entries, key=lambda entry: natural_key(entry.name)):
            entry_shown = f"{prefix}/{entry.name}"
            try:
                path, info = self._locate(base, MEDIA, entry_shown, Path(entry.path))
            except StaffFix as problem:  # e.g. a symlink pointing out of the media folder
                refused.append(problem.note)
                continue
            if not stat.S_ISDIR(info.st_mode):
                found.append((entry_shown, path, info))
        if not found and not refused:
            raise StaffFix(f"Folder '{shown}' tidak berisi foto atau video. Isi foldernya, "
                           "atau tulis jalur berkasnya langsung.")
        problems += refused
        return found

    # --- checking media -----------------------------------------------------------------

    def _media_file(self, shown: str, path: Path, info: os.stat_result) -> MediaFile:
        if not stat.S_ISREG(info.st_mode):
            raise StaffFix(f"'{shown}' bukan berkas foto atau video. Tulis jalur berkasnya.")
        if info.st_size == 0:
            raise StaffFix(_empty(MEDIA, shown))
        if info.st_size > self.max_file_mb * MIB:
            fix = ("Perkecil atau potong videonya." if document_suffix(shown) in VIDEO_SUFFIXES
                   else "Perkecil ukuran berkasnya.")
            raise StaffFix(self._too_large("Berkas", shown, info.st_size, fix))
        facts = self._facts(shown, path, info)
        problem = verdict_note(shown, facts)
        if problem:
            raise StaffFix(problem)
        return MediaFile(name=path.name, path=path, kind=facts["kind"], mime=facts["mime"],
                         size=info.st_size, sha256=facts["sha256"], video=video_facts(facts))

    def _facts(self, shown: str, path: Path, info: os.stat_result) -> dict[str, Any]:
        """Verdict, hash and type of a file, read from it only when it is new or changed."""
        key = f"{path}|{info.st_size}|{info.st_mtime_ns}"
        facts = self.cache.get(key) if self.cache is not None else None
        if usable(facts):
            return facts
        try:
            facts = examine(path)
        except OSError as error:  # not cached: it may well be readable next cycle
            raise self._unreadable(MEDIA, shown, error) from None
        if self.cache is not None:
            self.cache.put(key, facts)
        return facts

    def _too_large(self, noun: str, shown: str, size: int, fix: str) -> str:
        return (f"{noun} '{shown}' berukuran {megabytes(size)} MB, melebihi batas "
                f"{self.max_file_mb} MB. {fix}")

    # --- documents --------------------------------------------------------------------

    def _document_bytes(self, shown: str) -> tuple[Path, os.stat_result, bytes]:
        if not shown:
            raise StaffFix("Naskah Berita kosong. Tempel teksnya atau tulis jalur berkas naskah.")
        if _is_web_link(shown):
            raise StaffFix(
                f"Naskah Berita '{shown}' berupa tautan web, padahal konfigurasi kantor ini "
                'membaca berkas dari folder media lokal (media.backend = "local"). Simpan '
                "naskahnya (.docx, .txt, .md atau .html) di folder media lalu tulis jalurnya, "
                "atau tempel teksnya langsung di kolom Naskah Berita."
            )
        path, info = self._locate(self._base(), DOCUMENT, shown, _link_path(DOCUMENT, shown))
        if stat.S_ISDIR(info.st_mode):
            raise StaffFix(f"'{shown}' adalah folder, bukan berkas naskah. Tulis jalur berkas "
                           "naskahnya, misalnya 'naskah/rapat.docx'.")
        if document_suffix(shown) not in SUPPORTED_DOCUMENTS:
            raise StaffFix(unsupported_document_note(shown))
        if info.st_size == 0:
            raise StaffFix(_empty(DOCUMENT, shown))
        if info.st_size > self.max_file_mb * MIB:
            fix = "Perkecil berkasnya, misalnya kompres gambar di dalamnya."
            raise StaffFix(self._too_large(DOCUMENT, shown, info.st_size, fix))
        try:
            return path, info, path.read_bytes()
        except OSError as error:
            raise self._unreadable(DOCUMENT, shown, error) from None


# --- helpers --------------------------------------------------------------------------


def _stamp(path: Path, info: os.stat_result) -> tuple[str, int, int, int]:
    return str(path), info.st_ino, info.st_size, info.st_mtime_ns


def _clean(link: str) -> str:
    """Trimmed link; Windows' "Copy as path" wraps the path in double quotes."""
    link = link.strip()
    if len(link) >= 2 and link[0] == link[-1] and link[0] in "\"'":
        link = link[1:-1].strip()
    return link


def _is_web_link(link: str) -> bool:
    return link.lower().startswith(("http://", "https://"))


def _link_path(noun: str, link: str) -> Path:
    """The path a link names, not yet resolved against the media folder."""
    if link.lower().startswith("file:"):
        parts = urlsplit(link)
        path = parts.path
        if parts.netloc and parts.netloc.lower() != "localhost":
            path = f"//{parts.netloc}{path}"  # a UNC share: file://server/share/x.jpg
        return Path(url2pathname(path))
    if os.name != "nt":
        # Staff on Windows PCs write `D:\foto\a.jpg` or `foto\a.jpg` even when the server
        # runs Linux: a drive or share can never be inside the media folder, and
        # backslashes are taken as separators (so `..\..\` is caught like `../../`).
        if PureWindowsPath(link).drive:
            raise StaffFix(_outside(noun, link))
        link = link.replace("\\", "/")
    return Path(link)


def _hidden(entry: os.DirEntry) -> bool:
    if entry.name.startswith("."):
        return True
    if os.name != "nt":
        return False
    try:  # Windows marks hidden files (Thumbs.db, desktop.ini) with an attribute
        return bool(entry.stat().st_file_attributes & stat.FILE_ATTRIBUTE_HIDDEN)
    except OSError:
        return False


def _missing(noun: str, shown: str) -> str:
    return f"{noun} '{shown}' tidak ditemukan di folder media. Periksa nama dan lokasinya."


def _outside(noun: str, shown: str) -> str:
    return (f"{noun} '{shown}' berada di luar folder media sehingga tidak boleh dipakai. "
            "Simpan berkasnya di dalam folder media lalu tulis jalurnya, misalnya "
            "'foto/rapat.jpg'.")


def _empty(noun: str, shown: str) -> str:
    return f"{noun} '{shown}' kosong (0 byte). Salin ulang berkas aslinya ke folder media."


def _inaccessible(where: Path, error: OSError) -> str:
    return (f"Media folder {where} cannot be read ({error.strerror or error}). Give the "
            "account that runs the program read access to it.")
