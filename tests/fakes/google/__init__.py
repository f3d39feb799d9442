"""A stateful loopback stand-in for Google: OAuth token endpoint, Sheets v4 and Drive v3.

The real gspread, google-auth and google-api-python-client talk to it over HTTP on 127.0.0.1,
exactly as they talk to Google once both hosts (https://sheets.googleapis.com and
https://www.googleapis.com) are replaced by `base_url`, paths unchanged:

    with FakeGoogle() as google:
        sheet_id = google.add_spreadsheet("Buku Agenda", ["Buku Agenda"])
        info = google.service_account_info()      # a key file whose token_uri is the fake's
        ...                                       # the real clients against google.base_url
        google.values(sheet_id, "'Buku Agenda'!A1:C3")

Requests over HTTP act as the service account; the test API (`edit`, `apply`) acts as a person,
the owner unless `user=` says otherwise. Both go through the same code, so protections,
sorting, atomicity and Drive's `version` behave alike for both.

Faults: `inject()` and its shorthands (`rate_limit`, `server_error`, `slow`, `drive_error`,
`before_request`) act on the next N requests matching a predicate: a callable taking a
`LoggedRequest`, or one of "any", "token", "sheets", "sheets.read", "sheets.write", "drive",
"drive.read" (metadata, lists) and "drive.media" (downloads, exports). `expire_tokens()` and
`revoke_key()` play with credentials; `sheets_quota_per_minute` enforces a per-user quota.

Google quirks reproduced are commented where they are implemented; one runs through every
Sheets reply: its JSON leaves out fields holding their default (proto3: 0, false, "", empty
lists; see `_proto3`), so a reader must take a missing number as 0. Not reproduced: named
ranges, merges, filters, developer metadata; formulas beyond arithmetic and `=NA()` (functions
and cell references evaluate to #NAME? unless `define_formula` says what one shows); number
formats other than dates and times; Drive writes other than uploads, resumable uploads,
permissions, trash and managing shared drives; Drive lagging behind Sheets; self-signed JWT bearer tokens (google-auth's
always_use_jwt_access). Data validation is stored, not enforced
on API writes (as far as is known, Google does not enforce it there either).

The package, by service: `server` (the HTTP server, request log, faults), `oauth` (the token
endpoint), `sheets` (Sheets API and test API) over `spreadsheet` (the spreadsheet model and its
batchUpdate requests) and `cells` (A1 notation, values, formulas), `drive` (Drive API and test
API), `common` (identities, the error reply, field masks). FakeGoogle, here, puts them together.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from http.server import ThreadingHTTPServer
from typing import Any

from .cells import Cell, SheetError, col_index, col_letters
from .common import OWNER, SERVICE_ACCOUNT, ApiError, apply_mask, parse_fields
from .drive import DOCUMENT, FOLDER, SHORTCUT, SPREADSHEET, Drive, _File
from .oauth import _NEEDED_SCOPES, TOKEN_AUDIENCE, Tokens, _rsa_key
from .server import LoggedRequest, Serving, _Rule
from .sheets import Sheets
from .spreadsheet import PROTECTED_MESSAGE, _Spreadsheet

__all__ = ["DOCUMENT", "FOLDER", "OWNER", "PROTECTED_MESSAGE", "SERVICE_ACCOUNT", "SHORTCUT",
           "SPREADSHEET", "TOKEN_AUDIENCE", "ApiError", "Cell", "FakeGoogle", "LoggedRequest",
           "SheetError", "apply_mask", "col_index", "col_letters", "parse_fields"]


class FakeGoogle(Serving, Tokens, Sheets, Drive):
    """Google's token endpoint, Sheets v4 and Drive v3 on 127.0.0.1 (a free port)."""

    def __init__(self, token_lifetime: int = 3600, sheets_quota_per_minute: int | None = None):
        self.token_lifetime = token_lifetime
        self.sheets_quota_per_minute = sheets_quota_per_minute  # per user, reads and writes apart
        self.requests_log: list[LoggedRequest] = []
        self.errors: list[Exception] = []  # exceptions raised while serving
        self.service_account_email = SERVICE_ACCOUNT
        self._lock = threading.RLock()
        self._key_id = secrets.token_hex(20)
        self._accounts = {SERVICE_ACCOUNT: _rsa_key(0).public_key()}
        self._tokens: dict[str, tuple[str, set[str], float]] = {}
        self._files: dict[str, _File] = {}
        self._spreadsheets: dict[str, _Spreadsheet] = {}
        self._rules: list[_Rule] = []
        self._quota: dict[tuple[str, str], deque[float]] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- routing: every request to the service it is for

    def _route(self, request: LoggedRequest, raw: bytes, headers: Any) -> tuple[int, dict, Any]:
        if request.api == "token" and request.method == "POST":
            return 200, {}, self._token(raw)
        if request.api == "other":
            raise ApiError(404, f"FakeGoogle has nothing at {request.method} {request.path}")
        user, scopes = self._authenticate(headers.get("Authorization", ""))
        request.user = user
        if not scopes & _NEEDED_SCOPES.get((request.api, request.kind), set()):
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           reason="insufficientPermissions" if request.api == "drive" else None)
        if request.api == "sheets":
            self._count_quota(user, request.kind)
            return 200, {}, self._sheets(request, user)
        return self._drive(request, user, headers.get("Range"), raw, headers.get("Content-Type") or "")
