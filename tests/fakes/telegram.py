"""A stateful loopback stand-in for the Telegram Bot API: getMe, sendMessage and sendDocument.

    with FakeTelegram(token="123:ABC", chats=["111", "-100222"]) as tg:
        ...                     # the program, with notify.telegram.api_base = tg.base_url
        tg.messages             # [SentMessage(chat_id="111", text="...", params={...})]
        tg.messages[0].document # for sendDocument: Upload(filename, content_type, data);
                                # its caption is the message's `text`

Replies have Telegram's shapes: {"ok": true, "result": {...}}, and for errors {"ok": false,
"error_code": 401, "description": "Unauthorized"}. A wrong token gets 401 "Unauthorized", one
that is not shaped like a token 404 "Not Found"; with `chats` given, any other chat gets 400
"Bad Request: chat not found"; a text over 4096 UTF-16 units 400 "Bad Request: message is too
long". sendDocument takes a multipart/form-data upload (`document`) with an optional caption
of at most 1024 UTF-16 units (else 400 "Bad Request: message caption is too long"); a file over
`file_limit` bytes (50 MB, as for bots) gets 413 "Request Entity Too Large", an empty one 400
"Bad Request: file must be non-empty". Method names ignore case, as on Telegram.

Faults act on the next N requests, one fault per request, in the order given: `fail(status,
description)`, `rate_limit(retry_after)` (429 with parameters.retry_after), `reply_next(status,
body)` (any reply), `slow(seconds)` (then served normally), `drop()` (the connection closes
without a reply).

LoopbackService, the server and its fault machinery, is shared with fakes.fonnte.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
FILE_LIMIT = 50 * 1024 * 1024


# ----------------------------------------------------------------------------- a loopback HTTP service

@dataclass
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive
    params: dict[str, Any]      # query string, then the JSON or form body over it
    status: int | None = None


@dataclass
class Upload:
    """A file sent in a multipart/form-data body."""
    filename: str
    content_type: str
    data: bytes


@dataclass
class _Fault:
    times: int
    reply: tuple[int, Any] | None = None   # status and body (a dict is sent as JSON)
    delay: float = 0.0
    drop: bool = False


def _params(query: str, content_type: str, raw: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if "json" in content_type:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        params.update(body if isinstance(body, dict) else {})
    elif "x-www-form-urlencoded" in content_type:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif "multipart/form-data" in content_type:
        params.update(_multipart(content_type, raw))
    return params


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body: its fields as text, its files as Upload."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            fields[name] = Upload(part.get_filename(), part.get_content_type(), data)
        else:
            fields[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return fields


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def _any(self) -> None:
        self.server.service._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackService:
    """An HTTP service on 127.0.0.1 (a free port) in a thread: every request is logged in
    `requests`; faults are injected for the next requests. Subclasses answer in `_route`."""

    name = "LoopbackService"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.errors: list[Exception] = []  # raised while serving: __exit__ re-raises them
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> LoopbackService:
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.service = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self.start()

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        self.stop()
        if self.errors and exc_type is None:
            raise AssertionError(f"{self.name} failed while serving: {self.errors!r}") from self.errors[0]

    @property
    def base_url(self) -> str:
        assert self._server, f"{self.name} is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- faults

    def _inject(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def reply_next(self, status: int, body: Any, times: int = 1) -> None:
        """Answer the next requests with `status` and `body` (a dict goes out as JSON)."""
        self._inject(_Fault(times, reply=(status, body)))

    def slow(self, seconds: float, times: int = 1) -> None:
        """Hold the next replies back `seconds`, then serve them normally."""
        self._inject(_Fault(times, delay=seconds))

    def drop(self, times: int = 1) -> None:
        """Close the next connections without a reply (a proxy or the service falling over)."""
        self._inject(_Fault(times, drop=True))

    # -- serving

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        request = Request(handler.command, url.path, handler.headers,
                          _params(url.query, handler.headers.get("Content-Type") or "", raw))
        with self._lock:
            self.requests.append(request)
            fault = self._faults[0] if self._faults else None
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.pop(0)
        if fault and fault.delay:
            self._stopping.wait(fault.delay)
        if fault and fault.drop:
            handler.close_connection = True
            return
        try:
            status, body = fault.reply if fault and fault.reply else self._route(request)
        except Exception as error:  # a bug in the fake: __exit__ raises it
            self.errors.append(error)
            status, body = 500, {"error": repr(error)}
        request.status = status
        if isinstance(body, (dict, list)):
            data, kind = json.dumps(body).encode(), "application/json"
        else:
            data, kind = str(body).encode(), "text/html; charset=utf-8"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            handler.close_connection = True  # the client gave up waiting (a timeout test)

    def _route(self, request: Request) -> tuple[int, Any]:
        raise NotImplementedError


# ----------------------------------------------------------------------------- Telegram

@dataclass
class SentMessage:
    chat_id: str
    text: str                                              # a document's caption
    params: dict[str, Any] = field(default_factory=dict)  # all it carried: parse_mode, ...
    document: Upload | None = None                         # sendDocument's file


def _error(status: int, description: str, **parameters: Any) -> tuple[int, dict]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


def _chat(chat_id: str) -> dict[str, Any]:
    if not chat_id.lstrip("-").isdigit():
        return {"id": -1001000000001, "title": chat_id.lstrip("@"), "username": chat_id.lstrip("@"),
                "type": "channel"}
    number = int(chat_id)
    if number > 0:
        return {"id": number, "first_name": "Pegawai", "type": "private"}
    kind = "supergroup" if chat_id.startswith("-100") else "group"
    return {"id": number, "title": "Grup Humas", "type": kind}


class FakeTelegram(LoopbackService):
    """The Bot API of one bot, on 127.0.0.1."""

    name = "FakeTelegram"

    def __init__(self, token: str = "123456789:AAHfakeTokenForTestsOnly_0123456789",
                 chats: Iterable[str | int] | None = None, username: str = "buku_agenda_bot"):
        super().__init__()
        self.token = token
        self.chats = None if chats is None else {str(c) for c in chats}  # None: any chat exists
        self.username = username
        self.file_limit = FILE_LIMIT
        self.messages: list[SentMessage] = []

    def fail(self, status: int = 500, description: str = "Internal Server Error", times: int = 1,
             **parameters: Any) -> None:
        """Answer the next requests with this error, e.g. fail(403, "Forbidden: bot was blocked
        by the user") or fail(400, "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1001234567890)."""
        self.reply_next(*_error(status, description, **parameters), times=times)

    def rate_limit(self, retry_after: int = 5, times: int = 1) -> None:
        self.fail(429, f"Too Many Requests: retry after {retry_after}", times, retry_after=retry_after)

    def _bot(self) -> dict[str, Any]:
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Buku Agenda",
                "username": self.username}

    def _route(self, request: Request) -> tuple[int, Any]:
        match = re.fullmatch(r"/bot([^/]*)/(\w+)", request.path)
        if not match or not _TOKEN.fullmatch(match[1]):
            return _error(404, "Not Found")
        if match[1] != self.token:
            return _error(401, "Unauthorized")
        method = match[2].casefold()
        if method == "getme":
            return 200, {"ok": True, "result": {**self._bot(), "can_join_groups": True,
                                                "can_read_all_group_messages": False,
                                                "supports_inline_queries": False}}
        if method == "sendmessage":
            return self._send_message(request.params)
        if method == "senddocument":
            return self._send_document(request.params)
        return _error(404, "Not Found")

    def _send_document(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat = str(params.get("chat_id", "")).strip()
        document, caption = params.get("document"), params.get("caption", "")
        if not chat:
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(document, Upload):
            return _error(400, "Bad Request: there is no document in the request")
        if len(document.data) > self.file_limit:
            return _error(413, "Request Entity Too Large")
        if not document.data:
            return _error(400, "Bad Request: file must be non-empty")
        if len(str(caption).encode("utf-16-le")) // 2 > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        if self.chats is not None and chat not in self.chats:
            return _error(400, "Bad Request: chat not found")
        with self._lock:
            self.messages.append(SentMessage(chat, str(caption), dict(params), document))
            message_id = len(self.messages)
        return 200, {"ok": True, "result": {
            "message_id": message_id, "from": self._bot(), "chat": _chat(chat),
            "date": int(time.time()), "caption": caption,
            "document": {"file_name": document.filename, "mime_type": document.content_type,
                         "file_id": f"BQACAgQAAx{message_id}", "file_size": len(document.data)}}}

    def _send_message(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat = str(params.get("chat_id", "")).strip()
        text = params.get("text")
        if not chat:
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            return _error(400, "Bad Request: message is too long")
        if self.chats is not None and chat not in self.chats:
            return _error(400, "Bad Request: chat not found")
        with self._lock:
            self.messages.append(SentMessage(chat, text, dict(params)))
            message_id = len(self.messages)
        return 200, {"ok": True, "result": {"message_id": message_id, "from": self._bot(),
                                            "chat": _chat(chat), "date": int(time.time()), "text": text}}
