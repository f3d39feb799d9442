"""The loopback HTTP server of FakeGoogle, its request log and the faults tests inject."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from .common import ApiError

# ----------------------------------------------------------------------------- requests, log, faults

@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, Any]   # one value, or a list for repeated parameters
    time: float
    api: str                # "token", "sheets", "drive" or "other"
    kind: str               # "read", "write", or "media" (Drive downloads and exports)
    body: Any = None        # the JSON body, when there is one
    status: int | None = None
    user: str | None = None


@dataclass
class _Rule:
    match: Callable[[LoggedRequest], bool]
    times: int
    status: int | None = None
    message: str = ""
    reason: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    action: Callable[[LoggedRequest], Any] | None = None


def _matcher(match: str | Callable[[LoggedRequest], bool]) -> Callable[[LoggedRequest], bool]:
    if callable(match):
        return match
    api, _, kind = match.partition(".")
    return lambda r: api in ("any", r.api) and kind in ("", r.kind)


def _classify(method: str, path: str, query: dict) -> tuple[str, str]:
    if path == "/token":
        return "token", "write"
    if path.startswith("/v4/spreadsheets"):
        return "sheets", "read" if method == "GET" else "write"
    if path.startswith("/upload/drive/v3/"):
        return "drive", "write"
    if path.startswith("/drive/v3/"):
        media = query.get("alt") == "media" or path.endswith("/export")
        return "drive", ("media" if media else "read") if method == "GET" else "write"
    return "other", "read"


def _quota_message(kind: str) -> str:
    metric = "Read requests" if kind == "read" else "Write requests"
    return (f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
            "'sheets.googleapis.com' for consumer 'project_number:100000000001'.")


def _fault(rule: _Rule, request: LoggedRequest) -> ApiError:
    """The error an injected fault answers, in the format of the API it hits."""
    headers = {"Retry-After": str(int(rule.retry_after))} if rule.retry_after is not None else {}
    message = rule.message or {
        429: _quota_message(request.kind) if request.api == "sheets" else "Rate Limit Exceeded",
        500: "Internal error encountered.", 503: "The service is currently unavailable.",
    }.get(rule.status, "Error")
    if request.api == "token":
        error = "internal_failure" if rule.status >= 500 else "rate_limit_exceeded"
        body = {"error": error, "error_description": message}
        return ApiError(rule.status, message, headers=headers, body=body)
    reason = rule.reason
    if request.api == "drive" and not reason:  # Drive names a reason; Sheets gives only the status
        reason = {403: "forbidden", 429: "rateLimitExceeded"}.get(rule.status, "backendError")
    domain = "usageLimits" if rule.status in (403, 429) and reason != "forbidden" else "global"
    return ApiError(rule.status, message, reason=reason, domain=domain, headers=headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def _any(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Serving:
    """Serving FakeGoogle on 127.0.0.1: start and stop, the request log and injected faults.
    Each request is logged, met by the faults matching it, then answered by `_route`
    (FakeGoogle's). Uses the state FakeGoogle.__init__ sets up."""

    # -- lifecycle

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        self.stop()
        if self.errors and exc_type is None:
            raise AssertionError(f"FakeGoogle failed while serving: {self.errors!r}") from self.errors[0]

    @property
    def base_url(self) -> str:
        assert self._server, "FakeGoogle is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- log and faults

    def count(self, api: str | None = None, kind: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests_log if api in (None, r.api) and kind in (None, r.kind))

    sheets_reads = property(lambda self: self.count("sheets", "read"))
    sheets_writes = property(lambda self: self.count("sheets", "write"))
    drive_requests = property(lambda self: self.count("drive"))
    token_requests = property(lambda self: self.count("token"))

    def clear_log(self) -> None:
        with self._lock:
            self.requests_log.clear()

    def inject(self, match: str | Callable[[LoggedRequest], bool] = "any", *, times: int = 1,
               status: int | None = None, message: str = "", reason: str | None = None,
               retry_after: float | None = None, delay: float = 0.0,
               action: Callable[[LoggedRequest], Any] | None = None) -> None:
        """For the next `times` matching requests: run `action(request)`, sleep `delay`, then, with
        `status`, answer that error instead of serving the request."""
        with self._lock:
            self._rules.append(_Rule(_matcher(match), times, status, message, reason, retry_after, delay,
                                     action))

    def clear_faults(self) -> None:
        """Google answers again: the faults not yet used up are dropped."""
        with self._lock:
            self._rules.clear()

    def rate_limit(self, match: str | Callable = "sheets", *, times: int = 1, retry_after: float = 2) -> None:
        """429 RESOURCE_EXHAUSTED with Retry-After, as Sheets answers past its per-minute quota."""
        self.inject(match, times=times, status=429, retry_after=retry_after)

    def server_error(self, match: str | Callable = "any", *, times: int = 1, status: int = 500) -> None:
        """500 INTERNAL or 503 UNAVAILABLE."""
        self.inject(match, times=times, status=status)

    def slow(self, seconds: float, match: str | Callable = "any", *, times: int = 1) -> None:
        self.inject(match, times=times, delay=seconds)

    def drive_error(self, reason: str = "userRateLimitExceeded", match: str | Callable = "drive", *,
                    times: int = 1) -> None:
        """Drive's 403s: userRateLimitExceeded, rateLimitExceeded, downloadQuotaExceeded."""
        messages = {"userRateLimitExceeded": "User Rate Limit Exceeded",
                    "rateLimitExceeded": "Rate Limit Exceeded",
                    "downloadQuotaExceeded": "The download quota for this file has been exceeded."}
        self.inject(match, times=times, status=403, reason=reason, message=messages.get(reason, reason))

    def before_request(self, action: Callable[[LoggedRequest], Any], match: str | Callable = "any", *,
                       times: int = 1) -> None:
        """Run `action(request)` just before the next matching request is served, e.g. a person
        sorting the rows between the program's read and its write."""
        self.inject(match, times=times, action=action)

    # -- serving

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] if len(v) == 1 else v
                 for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        api, kind = _classify(handler.command, url.path, query)
        request = LoggedRequest(handler.command, url.path, query, time.time(), api, kind)
        if raw and "json" in (handler.headers.get("Content-Type") or ""):
            try:
                request.body = json.loads(raw)
            except ValueError:
                request.body = {}
        with self._lock:
            self.requests_log.append(request)
            rules = [rule for rule in self._rules if rule.times > 0 and rule.match(request)]
            for rule in rules:
                rule.times -= 1
            self._rules = [rule for rule in self._rules if rule.times > 0]
        try:
            for rule in rules:
                if rule.action:
                    rule.action(request)
                time.sleep(rule.delay)
                if rule.status:
                    raise _fault(rule, request)
            with self._lock:
                status, headers, body = self._route(request, raw, handler.headers)
        except ApiError as error:
            status, headers, body = error.code, error.headers, error.body
        except Exception as error:  # a bug in the fake or in a test's action: __exit__ raises it
            self.errors.append(error)
            status, headers, body = 500, {}, {"error": {"code": 500, "status": "INTERNAL",
                                                         "message": f"FakeGoogle failed: {error!r}"}}
        request.status = status
        if isinstance(body, (dict, list)):
            headers = {"Content-Type": "application/json; charset=UTF-8", **headers}
            body = json.dumps(body).encode()
        handler.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
