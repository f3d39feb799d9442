"""Drive v3, the part the program uses: files and folders shared with the service account
(listing with `q`, metadata, downloads with Range, exports of Docs and Sheets), shared drives,
and multipart uploads (create, and update of a file's content) by the service account.

Field masks and upload metadata are checked against the File schema of the discovery document
shipped in google-api-python-client: a field Drive does not have is refused as Drive refuses it.
"""

from __future__ import annotations

import base64
import csv
import email.parser
import email.policy
import functools
import hashlib
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

from .common import ApiError, _b64decode, apply_mask, parse_fields
from .server import LoggedRequest

FOLDER = "application/vnd.google-apps.folder"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DOCUMENT = "application/vnd.google-apps.document"
SHORTCUT = "application/vnd.google-apps.shortcut"
# Roles, weakest first; on a shared drive, a member's role (Manager is "organizer", Content
# manager "fileOrganizer", Contributor "writer") holds for everything in it.
_ROLES = {None: 0, "reader": 1, "commenter": 1, "writer": 2, "fileOrganizer": 3, "organizer": 4}
# What Drive answers a service account creating a file in a person's My Drive.
NO_STORAGE_QUOTA = ("Service Accounts do not have storage quota. Leverage shared drives "
                    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), "
                    "or use OAuth delegation (http://support.google.com/a/answer/7281227) instead.")
# Metadata a request may set on a file it uploads (the rest is Drive's to say).
_WRITABLE = {"name", "mimeType", "parents", "appProperties", "properties", "description",
             "starred", "originalFilename", "modifiedTime", "createdTime", "contentHints", "id"}


@functools.cache
def _schemas() -> dict:
    document = Path(googleapiclient.__file__).parent / "discovery_cache/documents/drive.v3.json"
    return json.loads(document.read_text(encoding="utf-8"))["schemas"]


def _check_mask(tree: dict | None, schema: str, path: str = "") -> None:
    """Refuse a field mask naming a field the schema lacks, as Drive does."""
    if tree is None or "*" in tree:
        return
    props = _schemas()[schema].get("properties", {})
    for key, sub in tree.items():
        spec = props.get(key)
        if spec is None:
            raise ApiError(400, f"Invalid field selection {path + key}", reason="invalidParameter")
        ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
        inner = spec.get("properties")
        if sub is None:
            continue
        if ref:
            _check_mask(sub, ref, path + key + "/")
        elif inner:
            for name in sub:
                if name not in inner:
                    raise ApiError(400, f"Invalid field selection {path + key}/{name}",
                                   reason="invalidParameter")
        elif spec.get("type") != "object":
            raise ApiError(400, f"Invalid field selection {path + key}", reason="invalidParameter")


def _rfc3339(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- Drive

@dataclass
class _File:
    id: str
    name: str
    mime: str
    parents: list[str]
    shared: str | None  # the service account's role on the file itself: None, "reader", "writer"
    content: bytes = b""  # the bytes of a blob, the HTML of a Google Doc
    trashed: bool = False
    target: str | None = None  # a shortcut's target
    version: int = 1
    owner: str | None = None  # a spreadsheet's owner (Drive `owners`)
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    app_properties: dict[str, str] = field(default_factory=dict)
    drive: str | None = None  # the shared drive it is in (a shared drive's root: its own ID)

    def json(self, target: _File | None, role: str | None = None) -> dict:
        d: dict[str, Any] = {
            "kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime,
            "parents": list(self.parents), "trashed": self.trashed,
            "version": str(self.version),  # int64 fields are JSON strings in Drive v3 (size too)
            "createdTime": _rfc3339(self.created), "modifiedTime": _rfc3339(self.modified),
            "webViewLink": f"https://drive.google.com/file/d/{self.id}/view"
                           if self.mime != FOLDER else
                           f"https://drive.google.com/drive/folders/{self.id}",
            "capabilities": {"canAddChildren": self.mime == FOLDER and _ROLES[role] >= 2,
                             "canEdit": _ROLES[role] >= 2, "canListChildren": self.mime == FOLDER,
                             "canDownload": True}}
        if self.app_properties:
            d["appProperties"] = dict(self.app_properties)
        if self.drive:
            d["driveId"] = self.drive
        if self.owner:
            d["owners"] = [{"kind": "drive#user", "emailAddress": self.owner, "me": False}]
        if not self.mime.startswith("application/vnd.google-apps."):
            d.update(size=str(len(self.content)), md5Checksum=hashlib.md5(self.content).hexdigest())
        if self.mime == SHORTCUT:
            d["shortcutDetails"] = {"targetId": self.target,
                                    "targetMimeType": target.mime if target else None}
        return d


def _parse_q(text: str) -> Callable[[dict], bool]:
    """Drive's search language, the part a media folder needs: and/or/not, parentheses,
    'ID' in parents, name/mimeType/trashed/modifiedTime/createdTime comparisons."""
    tokens = re.findall(r"'(?:[^'\\]|\\.)*'|!=|<=|>=|[=<>()]|[A-Za-z_][\w.]*|\S", text)
    pos = 0

    def invalid() -> ApiError:
        return ApiError(400, "Invalid Value", reason="invalid", domain="global")

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise invalid()
        pos += 1
        return tokens[pos - 1]

    def literal(token: str) -> Any:
        if token.startswith("'"):
            return re.sub(r"\\(.)", r"\1", token[1:-1])
        if token.lower() in ("true", "false"):
            return token.lower() == "true"
        raise invalid()

    def condition() -> Callable[[dict], bool]:
        token = take()
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise invalid()
            return inner
        if token.lower() == "not":
            inner = condition()
            return lambda f: not inner(f)
        if token.startswith("'"):
            value = literal(token)
            if take().lower() != "in" or take() != "parents":
                raise invalid()
            return lambda f: value in f["parents"]
        name, op, value = token, take().lower(), literal(take())
        if name not in ("name", "mimeType", "trashed", "modifiedTime", "createdTime"):
            raise invalid()
        if op == "contains" and name == "name":
            # Drive's `name contains` matches the start of the name or of one of its words.
            needle = str(value).lower()
            return lambda f: any(word.startswith(needle) for word in
                                 [f["name"].lower(), *re.split(r"[\s_.-]+", f["name"].lower())])
        compare = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                   "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}.get(op)
        if compare is None:
            raise invalid()
        if name.endswith("Time"):
            try:
                value = _parse_time(value)
            except (AttributeError, ValueError):
                raise invalid() from None
            return lambda f: compare(_parse_time(f[name]), value)
        return lambda f: compare(f[name], value)

    def conjunction() -> Callable[[dict], bool]:
        parts = [condition()]
        while pos < len(tokens) and tokens[pos].lower() == "and":
            take()
            parts.append(condition())
        return lambda f: all(p(f) for p in parts)

    def disjunction() -> Callable[[dict], bool]:
        parts = [conjunction()]
        while pos < len(tokens) and tokens[pos].lower() == "or":
            take()
            parts.append(conjunction())
        return lambda f: any(p(f) for p in parts)

    predicate = disjunction()
    if pos != len(tokens):
        raise invalid()
    return predicate


class Drive:
    """FakeGoogle's Drive: its test API (files as a person adds them in Drive) and the
    requests it serves. Uses the state FakeGoogle.__init__ sets up (`_files`, `_lock`)."""

    # -- Drive (test API)

    def _add(self, name: str, mime: str, parents: Iterable[str], shared: str | None, file_id: str | None,
             **extra: Any) -> str:
        with self._lock:
            fid = file_id or "1" + secrets.token_urlsafe(24)[:32]
            parents = list(parents)
            drive = next((self._files[p].drive for p in parents if p in self._files), None)
            self._files[fid] = _File(fid, name, mime, parents, shared, drive=drive, **extra)
            return fid

    def add_folder(self, name: str, parents: Iterable[str] = (), *, shared: str | None = "reader",
                   file_id: str | None = None) -> str:
        return self._add(name, FOLDER, parents, shared, file_id)

    def add_shared_drive(self, name: str, role: str | None = "fileOrganizer") -> str:
        """A shared drive (Google Workspace); the service account is a member with `role`
        (None: not a member). Its ID is also its root folder's."""
        with self._lock:
            drive_id = "0A" + secrets.token_urlsafe(12)[:17]
            self._files[drive_id] = _File(drive_id, name, FOLDER, [], role, drive=drive_id)
            return drive_id

    def files_in(self, folder_id: str) -> list[dict]:
        """Every file directly in a folder, as Drive has it (name, content, appProperties)."""
        with self._lock:
            return [{**self._file_json(f), "content": f.content} for f in self._files.values()
                    if folder_id in f.parents]

    def add_file(self, name: str, content: bytes, mime_type: str = "application/octet-stream",
                 parents: Iterable[str] = (), *, shared: str | None = None, trashed: bool = False,
                 file_id: str | None = None) -> str:
        """A blob. Not shared by default: it is visible when a folder above it is shared."""
        return self._add(name, mime_type, parents, shared, file_id, content=content, trashed=trashed)

    def add_document(self, name: str, html: str, parents: Iterable[str] = (), *,
                     shared: str | None = None, file_id: str | None = None) -> str:
        return self._add(name, DOCUMENT, parents, shared, file_id, content=html.encode())

    def add_shortcut(self, name: str, target_id: str, parents: Iterable[str] = (), *,
                     shared: str | None = None, file_id: str | None = None) -> str:
        return self._add(name, SHORTCUT, parents, shared, file_id, target=target_id)

    def update_file(self, file_id: str, **changes: Any) -> None:
        """Change name, content, trashed, parents or shared, as a person would in Drive."""
        with self._lock:
            f = self._files[file_id]
            for key, value in changes.items():
                setattr(f, key, list(value) if key == "parents" else value)
            if "parents" in changes:            # moved into (or out of) a shared drive
                f.drive = next((self._files[p].drive for p in f.parents if p in self._files), None)
            self._touch(f)

    def drive_file(self, file_id: str) -> dict:
        with self._lock:
            f = self._files[file_id]
            return self._file_json(f)

    def _role(self, f: _File) -> str | None:
        """The service account's role on a file: its own or inherited from a folder above."""
        best, seen, todo = None, set(), [f.id]
        while todo:
            current = self._files.get(todo.pop())
            if current is None or current.id in seen:
                continue
            seen.add(current.id)
            if _ROLES[current.shared] > _ROLES[best]:
                best = current.shared
            todo.extend(current.parents)
        return best

    def _touch(self, f: _File) -> None:
        f.version += 1  # Drive's `version` grows with every change (Google may add more than 1)
        f.modified = max(time.time(), f.modified + 0.001)

    # -- Drive

    def _drive(self, request: LoggedRequest, user: str, range_header: str | None, raw: bytes = b"",
               content_type: str = "") -> tuple[int, dict, Any]:
        q = request.query
        upload = re.fullmatch(r"/upload/drive/v3/files(?:/([^/]+))?", request.path)
        if upload and (request.method, bool(upload[1])) in (("POST", False), ("PATCH", True)):
            return self._upload(q, upload[1] and unquote(upload[1]), raw, content_type, user)
        m = re.fullmatch(r"/drive/v3/files(?:/([^/]+)(/export)?)?", request.path)
        if request.method != "GET" or not m:
            raise ApiError(400, f"FakeGoogle does not implement {request.method} {request.path}",
                           reason="badRequest")
        if m[1] is None:
            return 200, {}, self._list(q)
        f = self._visible(unquote(m[1]), q)
        if m[2]:
            return self._export(f, q.get("mimeType", ""))
        if q.get("alt") == "media":
            return self._download(f, range_header)
        return 200, {}, self._reply(f, q)

    def _visible(self, file_id: str, q: dict) -> _File:
        f = self._files.get(file_id)
        # Drive hides what is not shared (404, not 403), and shared-drive items from a client
        # that does not say it supports shared drives.
        if f is None or self._role(f) is None or (f.drive and not _true(q.get("supportsAllDrives"))):
            raise ApiError(404, f"File not found: {file_id}.", reason="notFound")
        return f

    def _reply(self, f: _File, q: dict) -> dict:
        tree = parse_fields(q.get("fields") or "kind,id,name,mimeType")  # v3 sends only these unasked
        _check_mask(tree, "File")
        return apply_mask(self._file_json(f), tree)

    def _file_json(self, f: _File) -> dict:
        return f.json(self._files.get(f.target or ""), self._role(f))

    def _upload(self, q: dict, file_id: str | None, raw: bytes, content_type: str,
                user: str) -> tuple[int, dict, Any]:
        """files.create (POST) or files.update (PATCH) with content: uploadType=multipart
        (metadata, then the bytes) or media (the bytes alone)."""
        kind = q.get("uploadType")
        if kind == "multipart":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
            parts = list(message.iter_parts()) if message.is_multipart() else []
            if len(parts) != 2:
                raise ApiError(400, "Malformed multipart body.", reason="badContent")
            try:
                metadata = json.loads(parts[0].get_content())
            except ValueError:
                raise ApiError(400, "Invalid JSON payload received.", reason="parseError") from None
            content, mime = parts[1].get_payload(decode=True), parts[1].get_content_type()
        elif kind == "media":
            metadata, content, mime = {}, raw, content_type.split(";")[0]
        else:
            raise ApiError(400, f"Invalid upload type: {kind}", reason="invalid")
        unknown = sorted(set(metadata) - set(_schemas()["File"]["properties"]))
        if unknown:
            raise ApiError(400, f'Invalid JSON payload received. Unknown name "{unknown[0]}": '
                                "Cannot find field.", reason="invalid")
        not_writable = sorted(set(metadata) - _WRITABLE)
        if not_writable:
            raise ApiError(403, f"The resource body includes fields which are not directly writable. "
                                f"({not_writable[0]})", reason="fieldNotWritable")
        if file_id is None:
            return 200, {}, self._create(q, metadata, content, mime or "application/octet-stream", user)
        f = self._visible(file_id, q)
        if "parents" in metadata:
            raise ApiError(403, "The parents field is not directly writable in update requests. Use the "
                                "addParents and removeParents parameters instead.", reason="fieldNotWritable")
        if _ROLES[self._role(f)] < 2:
            raise ApiError(403, "The user does not have sufficient permissions for this file.",
                           reason="insufficientFilePermissions")
        f.content, f.name = content, metadata.get("name", f.name)
        f.mime = metadata.get("mimeType", mime or f.mime)
        f.app_properties.update(metadata.get("appProperties", {}))
        self._touch(f)
        return 200, {}, self._reply(f, q)

    def _create(self, q: dict, metadata: dict, content: bytes, mime: str, user: str) -> dict:
        parents = metadata.get("parents") or []
        if len(parents) > 1:
            raise ApiError(403, "Increasing the number of parents is not allowed.",
                           reason="cannotAddParent")
        if not parents:  # the service account's own My Drive
            raise ApiError(403, NO_STORAGE_QUOTA, reason="storageQuotaExceeded", domain="usageLimits")
        parent = self._visible(parents[0], q)
        if parent.mime != FOLDER or _ROLES[self._role(parent)] < 2:
            raise ApiError(403, "The user does not have sufficient permissions for this file.",
                           reason="insufficientFilePermissions")
        if parent.drive is None:
            raise ApiError(403, NO_STORAGE_QUOTA, reason="storageQuotaExceeded", domain="usageLimits")
        fid = self._add(metadata.get("name") or "Untitled", metadata.get("mimeType") or mime,
                        parents, None, None, content=content, owner=None,
                        app_properties=dict(metadata.get("appProperties") or {}))
        return self._reply(self._files[fid], q)

    def _list(self, q: dict) -> dict:
        corpora, drive = q.get("corpora", "user"), q.get("driveId")
        if (corpora == "drive") != bool(drive):
            raise ApiError(400, "The driveId parameter must be specified if and only if corpora is "
                                "set to drive.", reason="invalid")
        all_drives = _true(q.get("includeItemsFromAllDrives"))
        if all_drives and not _true(q.get("supportsAllDrives")):
            raise ApiError(403, "The includeItemsFromAllDrives parameter can only be set to true "
                                "when supportsAllDrives is also true.", reason="teamDrivesParameterNotSupported")
        files = [f for f in self._files.values() if self._role(f) is not None
                 and (f.drive is None or all_drives) and (not drive or f.drive == drive)]
        if q.get("q"):
            predicate = _parse_q(q["q"])
            files = [f for f in files if predicate({
                "name": f.name, "mimeType": f.mime, "trashed": f.trashed, "parents": f.parents,
                "modifiedTime": _rfc3339(f.modified), "createdTime": _rfc3339(f.created)})]
        # Without orderBy the order is unspecified; the fake keeps creation order.
        sort_keys = {"name": lambda f: (f.name.casefold(), f.name), "folder": lambda f: f.mime != FOLDER,
                     "createdTime": lambda f: f.created, "modifiedTime": lambda f: f.modified}
        for key in reversed([k.strip() for k in q.get("orderBy", "").split(",") if k.strip()]):
            name, _, direction = key.partition(" ")
            if name not in sort_keys:
                raise ApiError(400, "Invalid Value", reason="invalid")
            files.sort(key=sort_keys[name], reverse=direction.strip().lower() == "desc")
        size = min(int(q.get("pageSize", 100)), 1000)
        query = hashlib.sha1(f"{q.get('q')}|{q.get('orderBy')}".encode()).hexdigest()[:8]
        offset = 0
        if q.get("pageToken"):  # a token is valid only for the query that made it
            try:
                offset, token_query = json.loads(_b64decode(q["pageToken"]))
                if token_query != query:
                    raise ValueError
            except (ValueError, TypeError):
                raise ApiError(400, "Invalid Value", reason="invalid") from None
        reply: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                                 "files": [self._file_json(f) for f in files[offset:offset + size]]}
        if offset + size < len(files):
            token = json.dumps([offset + size, query]).encode()
            reply["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        default = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
        tree = parse_fields(q.get("fields") or default)
        _check_mask(tree, "FileList")
        return apply_mask(reply, tree)

    def _download(self, f: _File, range_header: str | None) -> tuple[int, dict, bytes]:
        if f.mime.startswith("application/vnd.google-apps."):
            raise ApiError(403, "Only files with binary content can be downloaded. Use Export with Docs "
                                "Editors files.", reason="fileNotDownloadable")
        data, total = f.content, len(f.content)
        headers = {"Content-Type": f.mime, "Accept-Ranges": "bytes"}
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
        if not m or not (m[1] or m[2]):
            return 200, headers, data
        if m[1]:
            start, end = int(m[1]), min(int(m[2] or total - 1), total - 1)
        else:  # bytes=-N: the last N bytes
            start, end = max(total - int(m[2]), 0), total - 1
        if start >= total:  # googleapiclient learns the size of an empty file from this 416
            raise ApiError(416, "Request range not satisfiable", headers={"Content-Range": f"bytes */{total}"},
                           reason="requestedRangeNotSatisfiable")
        return 206, {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}, data[start:end + 1]

    def _export(self, f: _File, mime_type: str) -> tuple[int, dict, bytes]:
        if f.mime == SPREADSHEET and mime_type == "text/csv":  # the first sheet, as displayed
            ss, out = self._spreadsheets[f.id], io.StringIO()
            sheet = ss.sheets[0]
            rows = ss.read(sheet, 0, sheet.rows, 0, sheet.cols, "FORMATTED_VALUE", "", "ROWS")
            csv.writer(out).writerows(rows)
            return 200, {"Content-Type": "text/csv"}, out.getvalue().encode()
        if f.mime not in (DOCUMENT, SPREADSHEET):
            raise ApiError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
        if len(f.content) > 10 * 1024 * 1024:
            raise ApiError(403, "This file is too large to be exported.", reason="exportSizeLimitExceeded")
        if f.mime == DOCUMENT and mime_type == "text/html":
            return 200, {"Content-Type": "text/html"}, f.content
        raise ApiError(400, "The requested conversion is not supported.", reason="badRequest")


def _true(value: Any) -> bool:
    return str(value).lower() == "true"
