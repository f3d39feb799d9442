"""Media and documents from Google Drive (`media.backend = "drive"`).

Staff paste Drive links into `Tautan Media` (files, folders, shortcuts, shared drives) and
a Drive or Google Docs link into `Naskah Berita`. The program reads them as the service
account of `agenda.credentials_file`, which must be given Viewer access.

Every file is checked from its metadata (type, size, trashed, download allowed) before a
byte is downloaded; downloads are streamed in chunks into `cache_dir/<fileId>-<md5><ext>`
(written under a temporary name, then renamed), so a retry or a later cycle downloads
nothing again. After the download the content signature and, for photos, a full decode
decide, as for the local folder.

Outages (timeouts, 429, 5xx, Drive's 403 rate limits) are retried a few times and then
raised as `SourceUnavailable`: the row waits for the next cycle, its content is not changed by
a passing failure. Only what staff can fix (sharing, trash, size, type, download quota)
becomes a note for `Catatan Sistem`.

Requests: `collect` costs 1 metadata request per link, plus 1 list request per 1000 files
for a folder and 1 metadata request per shortcut target, plus the chunks of files not yet in
the cache (a file of N bytes: ceil(N / chunk_size) requests). `unchanged` costs 1 request per
linked file or shortcut and 1 list request per linked folder (per 1000 files); documents the
same. The test seam, the credentials and the one retry policy are those of
`automation.google_api` (`rebasing_http`, `RetryPolicy`, `load_credentials`).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar
from urllib.parse import parse_qs, urlsplit

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from automation.google_api import GoogleError, RetryPolicy, load_credentials, rebasing_http
from automation.folders import ensure_writable
from automation.media.documents import (
    SUPPORTED_DOCUMENTS,
    document_suffix,
    document_to_html,
    unsupported_document_note,
)
from automation.media.files import (
    MIB,
    StaffFix,
    content_facts,
    examine,
    megabytes,
    natural_key,
    usable,
    verdict_note,
    video_facts,
)
from automation.ports import (
    UNVERIFIABLE, AdapterError, Document, FileFactsCache, MediaCheck, MediaFile,
    SourceUnavailable, unverifiable,
)

T = TypeVar("T")

DOWNLOAD_CHUNK = 16 * MIB          # one chunk is all a download holds in memory
PAGE_SIZE = 1000                   # Drive's largest page
HTTP_TIMEOUT = 60                  # seconds per request
DRIVE_SCOPES = ("https://www.googleapis.com/auth/drive.readonly",)

FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_APPS = "application/vnd.google-apps."
# Drive's mimeType -> kind and extension of a cached copy; the content still decides.
MEDIA_TYPES = {
    "image/jpeg": ("photo", ".jpg"), "image/png": ("photo", ".png"),
    "image/webp": ("photo", ".webp"), "image/heic": ("photo", ".heic"),
    "image/heif": ("photo", ".heif"), "video/mp4": ("video", ".mp4"),
    "video/quicktime": ("video", ".mov"), "video/webm": ("video", ".webm"),
}
EXTENSIONS = {mime: ext for mime, (_, ext) in MEDIA_TYPES.items()}
KNOWN_SUFFIXES = {
    "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",),
    "image/heic": (".heic",), "image/heif": (".heif", ".heic"),
    "video/mp4": (".mp4", ".m4v"), "video/quicktime": (".mov",), "video/webm": (".webm",),
}
# Documents whose Drive name lacks the extension are known by their mimeType.
DOCUMENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt", "text/markdown": ".md", "text/x-markdown": ".md", "text/html": ".html",
    "application/pdf": ".pdf",
}
FIELDS = ("id,name,mimeType,size,md5Checksum,version,trashed,"
          "shortcutDetails(targetId,targetMimeType),capabilities(canDownload)")

ID = r"[A-Za-z0-9_-]{10,}"
DRIVE_HOSTS = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com")

# --- Indonesian notes ---------------------------------------------------------------

NO_LINKS = ("Tautan Media kosong. Tempel tautan Google Drive foto, video atau foldernya "
            "(Bagikan > Salin link).")
NOT_A_DRIVE_LINK = ("Tautan '{}' bukan tautan Google Drive. Konfigurasi kantor ini membaca "
                    'media dari Google Drive (media.backend = "drive"): unggah berkasnya ke '
                    "Drive, bagikan ke {}, lalu tempel tautannya (Bagikan > Salin link).")
NOT_SHARED = ("Berkas/folder '{}' tidak ditemukan atau belum dibagikan ke akun layanan {}. "
              "Periksa tautannya; jika benar, bagikan (Viewer) ke {} lalu tunggu siklus "
              "berikutnya.")
TRASHED = ("Berkas/folder '{}' ada di Sampah Google Drive. Pulihkan dari Sampah, atau ganti "
           "tautannya dengan berkas lain.")
WRONG_TYPE = ("Berkas '{}' ({}) bukan foto atau video yang didukung. Gunakan foto "
              "JPEG/PNG/WebP/HEIC atau video MP4/MOV/WebM.")
GOOGLE_FILE = ("'{}' adalah berkas Google (Dokumen/Spreadsheet/Slide), bukan foto atau video. "
               "Tautkan berkas foto atau videonya.")
EMPTY = "Berkas '{}' kosong (0 byte) di Google Drive. Unggah ulang berkas aslinya."
NO_DOWNLOAD = ("Pemilik berkas '{}' melarang pengunduhan oleh Viewer. Buka setelan berbagi dan "
               "izinkan Viewer mengunduh, lalu tunggu siklus berikutnya.")
QUOTA = ("Kuota unduhan Google Drive untuk berkas '{}' sedang habis (terlalu sering diunduh). "
         "Program coba lagi nanti; jika mendesak, unggah salinan berkasnya lalu ganti tautannya.")
EMPTY_FOLDER = ("Folder '{}' tidak berisi foto atau video. Isi foldernya, atau tempel tautan "
                "berkasnya langsung.")
OUTAGE = ("Google Drive sedang tidak dapat dihubungi ({}). Baris ini diperiksa lagi pada "
          "siklus berikutnya.")
KEY_REFUSED = ("Kunci akun layanan Google ditolak Google (dicabut atau dihapus). Administrator "
               "perlu membuat kunci baru dan memeriksa credentials_file di konfigurasi.")


# --- the seam and the retry policy live in automation.google_api ---------------------------


def drive_service(credentials: Any, timeout: float = HTTP_TIMEOUT) -> Any:
    """A Drive v3 client (discovery document shipped with the library), sent to
    AGENDA_GOOGLE_API_BASE in tests."""
    from googleapiclient.discovery import build

    return build("drive", "v3", http=rebasing_http(credentials, timeout), static_discovery=True,
                 cache_discovery=False)


# httplib2's own failures, which google_api.classify does not know (it speaks `requests`)
HTTPLIB2_ERRORS = (httplib2.HttpLib2Error, http.client.HTTPException, socket.gaierror)


def error_reason(error: HttpError) -> str:
    """Drive's reason for an error reply ("notFound", "storageQuotaExceeded"), or ""."""
    details = error.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("reason") or "")
    return ""


# --- links ------------------------------------------------------------------------------


def drive_id(link: str) -> str | None:
    """The file or folder ID in any Drive or Docs link people paste, else None."""
    link = link.strip().strip("\"'")
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in DRIVE_HOSTS:
        return None
    # /file/d/ID/view, /file/u/0/d/ID, /document/d/ID/edit, /spreadsheets/d/ID, /drive/folders/ID,
    # /drive/u/0/folders/ID, /drive/mobile/folders/ID
    m = re.search(rf"/(?:d|folders)/({ID})(?:[/?#]|$)", parts.path + "/")
    if m:
        return m.group(1)
    # /open?id=ID, /uc?id=ID&export=download, /folderview?id=ID, usercontent /download?id=ID
    values = parse_qs(parts.query).get("id", [])
    if values and re.fullmatch(ID, values[0]):
        return values[0]
    return None


# --- the media source -------------------------------------------------------------------


class DriveFolder:
    """`MediaSource` reading photos, videos and documents from Google Drive."""

    def __init__(self, credentials_file: Path | str, cache_dir: Path | str, max_file_mb: int,
                 cache: FileFactsCache | None = None, sleep: Callable[[float], Any] = time.sleep,
                 *, chunk_size: int = DOWNLOAD_CHUNK, page_size: int = PAGE_SIZE,
                 timeout: float = HTTP_TIMEOUT):
        self.credentials_file = Path(credentials_file)
        self.cache_dir = Path(cache_dir)
        self.max_file_mb = max_file_mb
        self.cache = cache
        self.sleep = sleep
        self.chunk_size = chunk_size
        self.page_size = page_size
        self.timeout = timeout                # seconds per request
        self._facts: dict[str, dict[str, Any]] = {}   # used when no cache is given
        self._service: Any = None
        self._email = ""

    # --- MediaSource ------------------------------------------------------------------

    def collect(self, links: Sequence[str]) -> MediaCheck:
        wanted = list(dict.fromkeys(filter(None, (link.strip() for link in links))))
        if not wanted:
            return MediaCheck((), (NO_LINKS,))
        self._connect()
        problems: list[str] = []
        stamp: list[tuple] = []
        candidates: list[tuple[str, dict]] = []          # (shown name, file metadata)
        for link in wanted:
            try:
                file_id = drive_id(link)
                if file_id is None:
                    raise StaffFix(NOT_A_DRIVE_LINK.format(link, self._email))
                meta = self._resolve(link, file_id, stamp)
                if meta["mimeType"] == FOLDER:
                    candidates += self._folder_media(meta, stamp, problems)
                else:
                    stamp.append(_file_stamp(meta))
                    candidates.append((meta["name"], meta))
            except StaffFix as problem:
                problems.append(problem.note)

        files: list[MediaFile] = []
        seen: set[str] = set()
        names: set[str] = set()
        for shown, meta in candidates:
            if meta["id"] in seen:  # linked twice, or also inside a linked folder
                continue
            seen.add(meta["id"])
            try:
                media = self._media_file(shown, meta)
            except StaffFix as problem:
                problems.append(problem.note)
                continue
            name = _unique(media.name, names)
            files.append(media if name == media.name else _renamed(media, name))
        if problems:                # sharing a file or fixing a link shows in no stamp
            stamp.append(UNVERIFIABLE)
        return MediaCheck(tuple(files), tuple(dict.fromkeys(problems)), tuple(stamp))

    def read_document(self, reference: str) -> Document:
        shown = reference.strip().strip("\"'")
        try:
            file_id = drive_id(shown)
            if file_id is None:
                raise StaffFix(
                    f"Naskah Berita '{shown}' bukan tautan Google Drive atau Google Dokumen. "
                    'Konfigurasi kantor ini membaca naskah dari Google Drive (media.backend = '
                    '"drive"): tempel tautan Google Dokumen atau berkas .docx/.txt/.md/.html di '
                    "Drive, atau tempel teksnya langsung di kolom Naskah Berita.")
            self._connect()
            stamp: list[tuple] = []
            meta = self._resolve(shown, file_id, stamp)
            stamp.append(_file_stamp(meta))
            name, data = self._document_bytes(meta)
            body = document_to_html(name, data)
        except StaffFix as problem:
            return Document("", "", (problem.note,), (UNVERIFIABLE,))
        except ValueError as error:  # document_to_html's Indonesian note
            return Document("", "", (str(error),), (UNVERIFIABLE,))
        # A Google Doc's export carries generated styles: its sanitised HTML is the content.
        digest = hashlib.sha256(body.encode() if meta["mimeType"] == GOOGLE_DOC else data)
        return Document(body, digest.hexdigest(), (), tuple(stamp))

    def unchanged(self, stamp: list) -> bool:
        """Every file, shortcut and folder listing is as it was (names and checksums).

        One request per file or shortcut, one list request per folder (per 1000 files).
        Any failure means "not known to be unchanged": the row is then read afresh.
        """
        if unverifiable(stamp):
            return False
        try:
            self._connect()
            for item in stamp:
                kind, file_id = item[0], item[1]
                if kind == "drive-folder":
                    if self._listing_digest(self._list_folder(file_id)) != item[2]:
                        return False
                    continue
                meta = self._get(file_id)
                if meta.get("trashed"):
                    return False
                if kind == "drive-shortcut":
                    if (meta.get("shortcutDetails") or {}).get("targetId") != item[2]:
                        return False
                elif kind != "drive-file" or list(_file_stamp(meta)) != list(item):
                    return False
        except (AdapterError, HttpError, StaffFix, IndexError, TypeError):
            return False
        return True

    def check(self) -> list[str]:
        try:
            credentials, email = self._credentials()
        except GoogleError as error:
            return [str(error)]  # names the file and the fix, never the key
        try:
            self._service = drive_service(credentials, self.timeout)
            self._email = email
            self._call(lambda: self._service.files().list(
                pageSize=1, fields="files(id)", q="trashed = false",
                supportsAllDrives=True, includeItemsFromAllDrives=True).execute(num_retries=0))
        except AdapterError as error:
            return [f"Google Drive cannot be reached as {email}: {error}. Check the network, "
                    "that the Drive API is enabled for the key's project, and that the key is "
                    "not revoked."]
        except HttpError as error:
            return [f"Google Drive refused {email}: HTTP {error.resp.status} "
                    f"{error_reason(error)}. "
                    "Enable the Drive API for the key's project."]
        try:
            ensure_writable(self.cache_dir)
        except OSError as error:
            return [f"Media cache folder {self.cache_dir} cannot be written "
                    f"({error.strerror or error}). Give the program's account write access."]
        return []

    @property
    def service_account_email(self) -> str:
        if not self._email:
            self._email = self._credentials()[1]
        return self._email

    # --- Drive calls ------------------------------------------------------------------

    def _credentials(self) -> tuple[Any, str]:
        credentials = load_credentials(self.credentials_file, DRIVE_SCOPES)  # GoogleError
        return credentials, credentials.service_account_email

    def _connect(self) -> None:
        if self._service is None:
            credentials, self._email = self._credentials()
            self._service = drive_service(credentials, self.timeout)

    def _call(self, call: Callable[[], T], what: str = "Google Drive request") -> T:
        """One Drive call under the shared retry policy. Staff-fixable HTTP errors (404,
        download quota, ...) come back as HttpError for a note; everything else, after the
        retries, is an `AdapterError`: nothing the row can fix."""
        try:
            return RetryPolicy(sleep=self.sleep).call(call, what=what)
        except GoogleError as error:  # retries used up: Google unavailable for now
            detail = f"HTTP {error.status}" if error.status else "tidak ada jawaban"
            raise SourceUnavailable(str(error), OUTAGE.format(detail)) from error
        except HttpError as error:
            status, reason = error.resp.status, error_reason(error)
            if status == 404 or (status == 403 and reason in _ROW_REASONS):
                raise
            what = f"HTTP {status}{' ' + reason if reason else ''}"
            raise SourceUnavailable(f"Google Drive: {what}", OUTAGE.format(what)) from error
        except google.auth.exceptions.RefreshError as error:
            if getattr(error, "retryable", False):
                raise SourceUnavailable("Google token endpoint unavailable",
                                        OUTAGE.format("token")) from error
            raise SourceUnavailable("service-account key refused by Google",
                                    KEY_REFUSED) from error
        except HTTPLIB2_ERRORS as error:
            what = type(error).__name__
            raise SourceUnavailable(f"Google Drive unreachable: {what}",
                                    OUTAGE.format(what)) from error

    def _get(self, file_id: str) -> dict:
        return self._call(lambda: self._service.files().get(
            fileId=file_id, fields=FIELDS, supportsAllDrives=True).execute(num_retries=0))

    def _list_folder(self, folder_id: str) -> list[dict]:
        """Everything (not trashed, no subfolders) directly in the folder, all pages."""
        query = f"'{folder_id}' in parents and trashed = false and mimeType != '{FOLDER}'"
        found: list[dict] = []
        token = None
        while True:
            reply = self._call(lambda: self._service.files().list(
                q=query, orderBy="name", pageSize=self.page_size, pageToken=token,
                fields=f"nextPageToken,files({FIELDS})", supportsAllDrives=True,
                includeItemsFromAllDrives=True).execute(num_retries=0))
            found += reply.get("files", [])
            token = reply.get("nextPageToken")
            if not token:
                return found

    @staticmethod
    def _listing_digest(listing: list[dict]) -> str:
        rows = sorted([f["id"], f.get("name"), f.get("mimeType"), _checksum(f), f.get("size"),
                       (f.get("shortcutDetails") or {}).get("targetId")] for f in listing)
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()

    def _resolve(self, shown: str, file_id: str, stamp: list[tuple]) -> dict:
        """The metadata of what a link names, a shortcut followed to its target."""
        meta = self._metadata(shown, file_id)
        if meta["mimeType"] == SHORTCUT:
            target = (meta.get("shortcutDetails") or {}).get("targetId")
            stamp.append(("drive-shortcut", meta["id"], target))
            if not target:
                raise StaffFix(self._not_shared(meta["name"]))
            meta = self._metadata(meta["name"], target)
        return meta

    def _metadata(self, shown: str, file_id: str) -> dict:
        try:
            meta = self._get(file_id)
        except HttpError:  # 404: Drive hides what is not shared with the caller
            raise StaffFix(self._not_shared(shown)) from None
        if meta.get("trashed"):
            raise StaffFix(TRASHED.format(meta.get("name") or shown))
        return meta

    def _not_shared(self, shown: str) -> str:
        return NOT_SHARED.format(shown, self._email, self._email)

    # --- folders and media ------------------------------------------------------------

    def _folder_media(self, folder: dict, stamp: list[tuple],
                      problems: list[str]) -> list[tuple[str, dict]]:
        """Photos and videos directly in the folder, in name order (natural: foto2 before
        foto10, as for the local folder); shortcuts followed; other files skipped, except
        photos and videos of a type that is not supported, which get a note."""
        name = folder["name"]
        try:
            listing = self._list_folder(folder["id"])
        except HttpError:
            raise StaffFix(self._not_shared(name)) from None
        stamp.append(("drive-folder", folder["id"], self._listing_digest(listing)))
        found: list[tuple[str, dict]] = []
        refused: list[str] = []
        for item in sorted(listing, key=lambda f: natural_key(f.get("name", ""))):
            shown = f"{name}/{item.get('name', '')}"
            mime = item.get("mimeType", "")
            if mime == SHORTCUT:
                details = item.get("shortcutDetails") or {}
                if details.get("targetMimeType") not in MEDIA_TYPES and not _media_like(
                        details.get("targetMimeType") or ""):
                    continue
                try:
                    target = self._metadata(shown, details.get("targetId") or "")
                except StaffFix as problem:
                    refused.append(problem.note)
                    continue
                stamp.append(_file_stamp(target))
                found.append((shown, target))
            elif mime in MEDIA_TYPES or _media_like(mime):
                found.append((shown, item))
        if not found and not refused:
            raise StaffFix(EMPTY_FOLDER.format(name))
        problems += refused
        return found

    def _media_file(self, shown: str, meta: dict) -> MediaFile:
        mime = meta.get("mimeType", "")
        if mime.startswith(GOOGLE_APPS):
            raise StaffFix(GOOGLE_FILE.format(shown))
        if mime not in MEDIA_TYPES:
            raise StaffFix(WRONG_TYPE.format(shown, mime or "jenis tidak diketahui"))
        size = int(meta.get("size") or 0)
        if size == 0:
            raise StaffFix(EMPTY.format(shown))
        if size > self.max_file_mb * MIB:
            fix = ("Perkecil atau potong videonya." if MEDIA_TYPES[mime][0] == "video"
                   else "Perkecil ukuran berkasnya.")
            raise StaffFix(f"Berkas '{shown}' berukuran {megabytes(size)} MB, melebihi batas "
                           f"{self.max_file_mb} MB. {fix}")
        key = f"drive:{meta['id']}:{_checksum(meta)}"
        facts = self._get_facts(key)
        path = None
        if facts is not None and facts["verdict"] == "ok":
            path = self._cached_path(meta, facts["mime"])
            if not (path.is_file() and path.stat().st_size == size):
                facts, path = None, None  # the copy is gone: download again
        if facts is None:
            facts, path = self._examine_copy(meta, size)
            if facts is None:
                facts, path = self._download_media(shown, meta)
            self._put_facts(key, facts)
        problem = verdict_note(shown, facts)
        if problem:
            raise StaffFix(problem)
        return MediaFile(name=_file_name(meta["name"], facts["mime"]), path=path,
                         kind=facts["kind"], mime=facts["mime"], size=size, sha256=facts["sha256"],
                         video=video_facts(facts))

    def _examine_copy(self, meta: dict, size: int) -> tuple[dict | None, Path | None]:
        """Facts of a copy already in the cache folder (facts lost, e.g. a new ledger): read
        locally instead of downloading again."""
        for mime in MEDIA_TYPES:
            path = self._cached_path(meta, mime)
            try:
                if path.is_file() and path.stat().st_size == size:
                    facts = examine(path)
                    if facts["verdict"] == "ok" and facts["mime"] == mime:
                        return facts, path
            except OSError:
                pass
        return None, None

    def _cached_path(self, meta: dict, mime: str) -> Path:
        return self.cache_dir / f"{meta['id']}-{_checksum(meta)}{EXTENSIONS[mime]}"

    def _download_media(self, shown: str, meta: dict) -> tuple[dict, Path | None]:
        """Download into the cache, then judge the content; a refused file is not kept."""
        self._check_downloadable(shown, meta)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        temp = self.cache_dir / f".{meta['id']}-{_checksum(meta)}.{os.getpid()}.part"
        try:
            with temp.open("wb") as stream:
                writer = _HashingWriter(stream)
                self._download(shown, meta, writer)
            self._verify(shown, meta, writer)
            facts = content_facts(temp, writer.head, writer.sha256.hexdigest())
            if facts["verdict"] != "ok":
                return facts, None
            path = self._cached_path(meta, facts["mime"])
            os.replace(temp, path)
            return facts, path
        except OSError as error:  # the cache folder, not Drive (transport errors are mapped)
            raise SourceUnavailable(f"media cache {self.cache_dir}: {error}",
                               "Folder cache media di server tidak dapat ditulis. Hubungi "
                               "administrator untuk memeriksa ruang disk dan izin folder state.") from error
        finally:
            temp.unlink(missing_ok=True)

    def _check_downloadable(self, shown: str, meta: dict) -> None:
        if (meta.get("capabilities") or {}).get("canDownload") is False:
            raise StaffFix(NO_DOWNLOAD.format(shown))

    def _download(self, shown: str, meta: dict, stream: Any) -> None:
        """Streams the file in chunks; each chunk retried on its own (resumes, not restarts)."""
        request = self._service.files().get_media(fileId=meta["id"], supportsAllDrives=True)
        download = MediaIoBaseDownload(stream, request, chunksize=self.chunk_size)
        done = False
        try:
            while not done:
                _, done = self._call(lambda: download.next_chunk(num_retries=0),
                                     what="Google Drive download")
        except HttpError as error:
            raise StaffFix(self._download_note(shown, error)) from None

    def _download_note(self, shown: str, error: HttpError) -> str:
        reason = error_reason(error)
        if reason == "downloadQuotaExceeded":
            return QUOTA.format(shown)
        if reason in ("cannotDownloadFile", "insufficientFilePermissions"):
            return NO_DOWNLOAD.format(shown)
        if reason == "fileNotDownloadable":
            return GOOGLE_FILE.format(shown)
        return self._not_shared(shown)

    @staticmethod
    def _verify(shown: str, meta: dict, writer: "_HashingWriter") -> None:
        """The bytes are the ones the metadata describes (no silent truncation)."""
        size = int(meta.get("size") or 0)
        md5 = meta.get("md5Checksum")
        if writer.size != size or (md5 and writer.md5.hexdigest() != md5):
            raise SourceUnavailable(
                f"download of {meta['id']} incomplete or changed: {writer.size} of {size} bytes",
                f"Unduhan berkas '{shown}' tidak utuh atau berkasnya berubah saat diunduh. "
                "Program mengunduh ulang pada siklus berikutnya.")

    def _get_facts(self, key: str) -> dict | None:
        facts = self.cache.get(key) if self.cache is not None else self._facts.get(key)
        return facts if usable(facts) else None

    def _put_facts(self, key: str, facts: dict) -> None:
        if self.cache is not None:
            self.cache.put(key, facts)
        else:
            self._facts[key] = facts

    # --- documents --------------------------------------------------------------------

    def _document_bytes(self, meta: dict) -> tuple[str, bytes]:
        """(a name whose extension says how to read it, the bytes)."""
        name, mime = meta["name"], meta.get("mimeType", "")
        if mime == FOLDER:
            raise StaffFix(f"'{name}' adalah folder, bukan naskah. Tempel tautan Google Dokumen "
                           "atau berkas naskahnya.")
        if mime == GOOGLE_DOC:
            try:
                data = self._call(lambda: self._service.files().export(
                    fileId=meta["id"], mimeType="text/html").execute(num_retries=0))
            except HttpError as error:
                if error_reason(error) == "exportSizeLimitExceeded":
                    raise StaffFix(
                        f"Google Dokumen '{name}' terlalu besar untuk dibaca program (batas "
                        "ekspor Google 10 MB). Kecilkan atau hapus gambar di dalamnya.") from None
                raise StaffFix(self._download_note(name, error)) from None
            return f"{name}.html", data
        if mime.startswith(GOOGLE_APPS):
            raise StaffFix(unsupported_document_note(name))
        shown = name
        if document_suffix(name) not in SUPPORTED_DOCUMENTS:
            if mime not in DOCUMENT_TYPES:
                raise StaffFix(unsupported_document_note(name))
            name += DOCUMENT_TYPES[mime]
        size = int(meta.get("size") or 0)
        if size == 0:
            raise StaffFix(f"Berkas naskah '{shown}' kosong (0 byte). Unggah ulang berkas aslinya.")
        if size > self.max_file_mb * MIB:
            raise StaffFix(f"Berkas naskah '{shown}' berukuran {megabytes(size)} MB, melebihi "
                           f"batas {self.max_file_mb} MB. Perkecil berkasnya, misalnya kompres "
                           "gambar di dalamnya.")
        self._check_downloadable(shown, meta)
        buffer = io.BytesIO()
        writer = _HashingWriter(buffer)
        self._download(shown, meta, writer)
        self._verify(shown, meta, writer)
        return name, buffer.getvalue()


# --- helpers ------------------------------------------------------------------------------

_ROW_REASONS = frozenset({
    "notFound", "downloadQuotaExceeded", "cannotDownloadFile", "insufficientFilePermissions",
    "fileNotDownloadable", "exportSizeLimitExceeded", "fileNotExportable", "cannotExportFile",
})


class _HashingWriter:
    """A file-like sink for MediaIoBaseDownload: hashes and keeps the first bytes on the way."""

    HEAD = 64

    def __init__(self, stream: Any):
        self.stream = stream
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: bytes) -> int:
        if len(self.head) < self.HEAD:
            self.head += data[:self.HEAD - len(self.head)]
        self.md5.update(data)
        self.sha256.update(data)
        self.size += len(data)
        self.stream.write(data)
        return len(data)


def _checksum(meta: dict) -> str:
    """What identifies a file's content: its MD5, or its version where Drive gives none."""
    return meta.get("md5Checksum") or f"v{meta.get('version', '0')}"


def _file_stamp(meta: dict) -> tuple[str, str, str, str]:
    return ("drive-file", meta["id"], meta.get("name", ""), _checksum(meta))


def _media_like(mime: str) -> bool:
    return mime.startswith(("image/", "video/"))


def _file_name(name: str, mime: str) -> str:
    """A safe file name for the website, with an extension matching the content."""
    name = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "_", name).strip(" .") or "media"
    if document_suffix(name) not in KNOWN_SUFFIXES[mime]:
        name += EXTENSIONS[mime]
    return name


def _unique(name: str, taken: set[str]) -> str:
    """Drive allows two files of the same name in a folder; the website cannot."""
    candidate, number = name, 1
    stem, dot, suffix = name.rpartition(".")
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}).{suffix}" if dot else f"{name} ({number})"
    taken.add(candidate.casefold())
    return candidate


def _renamed(media: MediaFile, name: str) -> MediaFile:
    return replace(media, name=name)

