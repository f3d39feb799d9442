"""Drive v3, the part the program reads: files and folders shared with the service account
(listing with `q`, metadata, downloads with Range, exports of Docs and Sheets)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from .common import ApiError, _b64decode, apply_mask, parse_fields
from .server import LoggedRequest

FOLDER = "application/vnd.google-apps.folder"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DOCUMENT = "application/vnd.google-apps.document"
SHORTCUT = "application/vnd.google-apps.shortcut"
_ROLES = {None: 0, "reader": 1, "writer": 2}


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

    def json(self, target: _File | None) -> dict:
        d: dict[str, Any] = {
            "kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime,
            "parents": list(self.parents), "trashed": self.trashed,
            "version": str(self.version),  # int64 fields are JSON strings in Drive v3 (size too)
            "createdTime": _rfc3339(self.created), "modifiedTime": _rfc3339(self.modified),
            "webViewLink": f"https://drive.google.com/file/d/{self.id}/view"}
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
            self._files[fid] = _File(fid, name, mime, list(parents), shared, **extra)
            return fid

    def add_folder(self, name: str, parents: Iterable[str] = (), *, shared: str | None = "reader",
                   file_id: str | None = None) -> str:
        return self._add(name, FOLDER, parents, shared, file_id)

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

    def _drive(self, request: LoggedRequest, user: str, range_header: str | None) -> tuple[int, dict, Any]:
        q = request.query
        m = re.fullmatch(r"/drive/v3/files(?:/([^/]+)(/export)?)?", request.path)
        if request.method != "GET" or not m:
            raise ApiError(400, f"FakeGoogle does not implement {request.method} {request.path}",
                           reason="badRequest")
        if m[1] is None:
            return 200, {}, self._list(q)
        file_id = unquote(m[1])
        f = self._files.get(file_id)
        if f is None or self._role(f) is None:  # Drive hides what is not shared: 404, not 403
            raise ApiError(404, f"File not found: {file_id}.", reason="notFound")
        if m[2]:
            return self._export(f, q.get("mimeType", ""))
        if q.get("alt") == "media":
            return self._download(f, range_header)
        tree = parse_fields(q.get("fields") or "kind,id,name,mimeType")  # v3 sends only these unasked
        return 200, {}, apply_mask(self._file_json(f), tree)

    def _file_json(self, f: _File) -> dict:
        return f.json(self._files.get(f.target or ""))

    def _list(self, q: dict) -> dict:
        files = [f for f in self._files.values() if self._role(f) is not None]
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
        return apply_mask(reply, parse_fields(q.get("fields") or default))

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
