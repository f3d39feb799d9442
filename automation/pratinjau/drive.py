"""Pages in a Google shared-drive folder (SPEC section 9, Google backend with
`preview.drive_folder_id`): each page made on the server is uploaded there, and the `Pratinjau`
cell links to the Drive file.

A service account has no storage quota: it cannot own files in a person's My Drive (Google
refuses with `storageQuotaExceeded`), only in a shared drive where it is a member who may add
files (Content manager or Contributor). `check` says which of these is missing.

Uploading is not idempotent, so a page is looked for by name among the program's own files in
the folder first (marked in `appProperties`): an upload whose answer was lost, or a Lembar Arsip
made again after an update, replaces the content of the file already there, which keeps its
link. Pages are not urgent (the notice carries the file itself): Drive out of reach is retried
briefly, then left to a later cycle.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import google.auth.exceptions
from googleapiclient.errors import HttpError

from automation.google_api import GoogleError, RetryPolicy, load_credentials
from automation.media.drive import FOLDER, HTTPLIB2_ERRORS, drive_id, drive_service, error_reason
from automation.pratinjau.pages import ShelfError, ShelfRefused

log = logging.getLogger(__name__)

# Adding files to a folder someone shared needs write access to Drive; the account still sees
# only what was shared with it.
SCOPES = ("https://www.googleapis.com/auth/drive",)
MARK = "bukuAgendaPage"                 # appProperties key of the program's files: the file name
PDF = "application/pdf"

T = TypeVar("T")


class DriveShelf:
    """Puts page files into one Drive folder; `put` returns the file's web link."""

    def __init__(self, credentials_file: Path | str, folder_id: str,
                 sleep: Callable[[float], Any] = time.sleep):
        self.credentials_file = Path(credentials_file)
        # The folder's address pasted whole works as well as its ID.
        self.folder_id = drive_id(folder_id) or folder_id.strip()
        self.sleep = sleep
        self._service: Any = None
        self._email = ""
        self._drive_id = ""                 # the shared drive holding the folder, once known

    def put(self, path: Path) -> str:
        """The file at `path` in the folder under its name (the program's earlier file of that
        name gets the new content); returns its webViewLink. Raises `ShelfError`
        (`ShelfRefused` when only the administrator can change that)."""
        from googleapiclient.http import MediaInMemoryUpload
        self._connect()
        media = MediaInMemoryUpload(path.read_bytes(), mimetype=PDF, resumable=False)
        existing = self._find(path.name)
        files = self._service.files()
        if existing:
            request = files.update(fileId=existing, media_body=media, supportsAllDrives=True,
                                   fields="id,webViewLink")
        else:
            request = files.create(
                body={"name": path.name, "parents": [self.folder_id], "mimeType": PDF,
                      "appProperties": {MARK: path.name}},
                media_body=media, supportsAllDrives=True, fields="id,webViewLink")
        # A create whose answer was lost is found by name next time: never sent twice blindly.
        reply = self._call(lambda: request.execute(num_retries=0), f"uploading {path.name}",
                           idempotent=bool(existing))
        return str(reply["webViewLink"])

    def check(self) -> list[str]:
        """What stops pages being put in the folder (English, with the fix); uploads nothing."""
        try:
            self._connect()
            meta = self._call(lambda: self._service.files().get(
                fileId=self.folder_id, supportsAllDrives=True,
                fields="id,name,mimeType,trashed,driveId,capabilities(canAddChildren)"
            ).execute(num_retries=0), "reading the Pratinjau folder")
        except ShelfError as error:
            return [str(error)]
        where = f"preview.drive_folder_id {self.folder_id}"
        if meta.get("mimeType") != FOLDER:
            return [f"{where} ('{meta.get('name')}') is a file, not a folder: set the ID of a "
                    "folder (the part after /folders/ in its address)"]
        if meta.get("trashed"):
            return [f"{where} ('{meta.get('name')}') is in the trash: restore it or set another"]
        if not meta.get("driveId"):
            return [f"{where} ('{meta.get('name')}') is in a person's My Drive: a service account "
                    "has no storage quota and cannot own files there (Google refuses with "
                    "storageQuotaExceeded). Make a folder in a shared drive (Google Workspace), "
                    f"add {self._email} to that shared drive as Content manager, and set its ID"]
        if not meta.get("capabilities", {}).get("canAddChildren"):
            return [f"{where} ('{meta.get('name')}'): {self._email} may only read it; make it "
                    "Content manager (or Contributor) of the shared drive"]
        return []

    # -- Drive calls -----------------------------------------------------------------------
    def _connect(self) -> None:
        if self._service is None:
            try:
                credentials = load_credentials(self.credentials_file, SCOPES)
            except GoogleError as error:
                raise ShelfRefused(str(error)) from error
            self._email = credentials.service_account_email
            self._service = drive_service(credentials)

    def _find(self, name: str) -> str | None:
        """The program's file called `name` in the folder (not trashed), if there is one."""
        if not self._drive_id:
            meta = self._call(lambda: self._service.files().get(
                fileId=self.folder_id, fields="driveId", supportsAllDrives=True
            ).execute(num_retries=0), "reading the Pratinjau folder")
            self._drive_id = str(meta.get("driveId") or "")
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        scope = {"corpora": "drive", "driveId": self._drive_id} if self._drive_id else {}
        reply = self._call(lambda: self._service.files().list(
            q=f"name = '{quoted}' and '{self.folder_id}' in parents and trashed = false",
            fields="files(id,appProperties)", pageSize=100, supportsAllDrives=True,
            includeItemsFromAllDrives=True, **scope).execute(num_retries=0),
            f"looking for {name} in the Pratinjau folder")
        mine = [f["id"] for f in reply.get("files", [])
                if (f.get("appProperties") or {}).get(MARK) == name]
        return mine[0] if mine else None

    def _call(self, call: Callable[[], T], what: str, idempotent: bool = True) -> T:
        """One Drive call, retried briefly (a page can wait for a later cycle; the cycle's
        write-back should not); every failure is a `ShelfError` saying what to do."""
        try:
            return RetryPolicy(attempts=3, budget=15.0, sleep=self.sleep).call(
                call, what=f"Google Drive: {what}", idempotent=idempotent)
        except GoogleError as error:        # retries used up: Drive unavailable for now
            raise ShelfError(f"Google Drive unavailable while {what}: {error}") from error
        except HttpError as error:
            raise ShelfRefused(self._refusal(error)) from error
        except google.auth.exceptions.RefreshError as error:
            if getattr(error, "retryable", False):      # the token endpoint, briefly
                raise ShelfError("Google's token endpoint is unavailable") from error
            raise ShelfRefused("the service-account key was refused by Google: make a new key "
                               "and check agenda.credentials_file") from error
        except HTTPLIB2_ERRORS as error:
            raise ShelfError(f"Google Drive unreachable while {what}: "
                             f"{type(error).__name__}") from error

    def _refusal(self, error: HttpError) -> str:
        status = error.resp.status
        reason = error_reason(error)
        where = f"preview.drive_folder_id {self.folder_id}"
        if status == 404:
            return (f"{where} is not shared with {self._email}, or does not exist: add that "
                    "account to the shared drive as Content manager, or correct the ID")
        if reason == "storageQuotaExceeded":
            return (f"{where} is in a person's My Drive, where a service account cannot own "
                    "files: use a folder in a shared drive (run `check`)")
        if status == 403:
            return (f"{where}: {self._email} may not add files there ({reason or 'forbidden'}); "
                    "make it Content manager of the shared drive")
        return f"Google Drive refused an upload to {where}: HTTP {status} {reason}".strip()
