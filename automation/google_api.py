"""Shared Google plumbing: service-account credentials, the test seam and one retry policy.

Every Google call of the program goes through here:

- `load_credentials` reads the service-account key named by `agenda.credentials_file` and
  explains, in English for the administrator and Indonesian for the sheet, what is wrong with
  it. The key itself never appears in a message.
- `AGENDA_GOOGLE_API_BASE` (tests only) replaces `https://sheets.googleapis.com` and
  `https://www.googleapis.com` in every request, paths unchanged: `GoogleHTTPClient` (a
  `gspread.HTTPClient`, for gspread and for plain REST calls), `RebasingSession` (an
  `AuthorizedSession`) and `rebasing_http` (for googleapiclient's `build`).
- `RetryPolicy`: bounded exponential backoff with jitter that honours `Retry-After`, for 429,
  500/502/503/504, timeouts, connection errors and Drive's 403 rate limits. gspread's
  `BackOffHTTPClient` is not used: it never gives up and ignores `Retry-After`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

import google.auth.exceptions
import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from automation.ports import AdapterError

log = logging.getLogger(__name__)

ENV_BASE = "AGENDA_GOOGLE_API_BASE"
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",
          "https://www.googleapis.com/auth/drive.readonly")
SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE_API = "https://www.googleapis.com/drive/v3"
TIMEOUT = (10.0, 120.0)                 # connect, read (a 20,000-row read takes a while)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
DRIVE_RATE_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})

T = TypeVar("T")


class GoogleError(AdapterError):
    """A Google call failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, note: str | None = None, status: int | None = None):
        super().__init__(message, note)
        self.status = status


class GoogleUnavailable(GoogleError):
    """Google kept refusing (quota, 5xx, timeouts) after the bounded retries: try next cycle."""


# ----------------------------------------------------------------------------- the test seam

def api_base() -> str | None:
    base = os.environ.get(ENV_BASE, "").strip()
    return base.rstrip("/") or None


def rebase(url: str) -> str:
    """`url` with either Google host replaced by AGENDA_GOOGLE_API_BASE, when that is set."""
    base = api_base()
    if base:
        for host in GOOGLE_HOSTS:
            if url.startswith(host):
                return base + url[len(host):]
    return url


def rebasing_http(credentials: Any, timeout: float) -> Any:
    """An authorised httplib2 client for googleapiclient's `build` whose requests (metadata,
    downloads and uploads alike) go to AGENDA_GOOGLE_API_BASE when it is set."""
    import google_auth_httplib2
    import httplib2

    class RebasingHttp(google_auth_httplib2.AuthorizedHttp):
        def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(rebase(uri), *args, **kwargs)

    return RebasingHttp(credentials, http=httplib2.Http(timeout=timeout))


class RebasingSession(AuthorizedSession):
    """An `AuthorizedSession` whose requests go to AGENDA_GOOGLE_API_BASE when it is set."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return super().request(method, rebase(url), *args, **kwargs)


# ----------------------------------------------------------------------------- credentials

_KEY_HELP = ("create a key for the service account in Google Cloud Console (IAM & Admin > "
             "Service Accounts > Keys > Add key > JSON) and save it at that path")
_KEY_NOTE = ("Kunci akun layanan Google (credentials_file) tidak dapat dipakai; "
             "mohon hubungi administrator.")


def load_credentials(path: Path | str, scopes: tuple[str, ...] = SCOPES
                     ) -> service_account.Credentials:
    """The service-account credentials in `path`, or a GoogleError saying what to fix."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoogleError(f"Google credentials file {path} not found (agenda.credentials_file): "
                          + _KEY_HELP, _KEY_NOTE) from None
    except (OSError, UnicodeDecodeError) as err:
        raise GoogleError(f"Google credentials file {path} cannot be read "
                          f"({type(err).__name__}): give this user read permission", _KEY_NOTE
                          ) from None
    try:
        info = json.loads(raw)
    except ValueError:
        raise GoogleError(f"Google credentials file {path} is not JSON: " + _KEY_HELP,
                          _KEY_NOTE) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        kind = ("an OAuth client file" if isinstance(info, dict) and
                ({"installed", "web"} & info.keys()) else "not a service-account key")
        raise GoogleError(f"Google credentials file {path} is {kind}: " + _KEY_HELP, _KEY_NOTE)
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise GoogleError(f"Google credentials file {path} lacks {', '.join(missing)}: "
                          + _KEY_HELP, _KEY_NOTE)
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except Exception as err:  # cryptography / google-auth: never echo the key material
        raise GoogleError(f"Google credentials file {path}: the private key cannot be loaded "
                          f"({type(err).__name__}); the file is damaged or not a real key: "
                          + _KEY_HELP, _KEY_NOTE) from None


def service_account_email(path: Path | str) -> str | None:
    """The `client_email` of a key file, for messages; None when it cannot be read."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        return str(info["client_email"]) if isinstance(info, dict) else None
    except Exception:
        return None


# ----------------------------------------------------------------------------- retry policy

@dataclass(frozen=True)
class Failure:
    """What a failed call tells the retry policy."""

    retryable: bool
    status: int | None = None
    reason: str | None = None           # Google's error reason / status text
    message: str = ""
    retry_after: float | None = None
    sent: bool = True                   # False: the request surely never reached Google


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _error_body(body: Any) -> tuple[int | None, str | None, str]:
    """(code, reason, message) from Google's JSON error body."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None, None, str(body)[:200] if isinstance(body, str) else ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, ""
    errors = error.get("errors") or []
    reason = errors[0].get("reason") if errors and isinstance(errors[0], dict) else None
    code = error.get("code") if isinstance(error.get("code"), int) else None
    return code, reason or error.get("status"), str(error.get("message") or "")


def classify(exc: BaseException) -> Failure | None:
    """How to treat an exception from gspread, requests, google-auth or googleapiclient;
    None for exceptions that are not about talking to Google (programming errors)."""
    status = reason = None
    message, headers = "", None
    if isinstance(exc, gspread.exceptions.APIError):
        status, message = exc.code, str(exc.error.get("message", ""))
        _, reason, _ = _error_body(exc.error and {"error": exc.error})
        headers = exc.response.headers if exc.response is not None else None
        if (status is None or status < 0) and exc.response is not None:
            status = exc.response.status_code
    elif isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        _, reason, message = _error_body(exc.response.text)
        headers = exc.response.headers
    elif _is_googleapiclient_error(exc):
        status = int(exc.resp.status)  # type: ignore[attr-defined]
        _, reason, message = _error_body(getattr(exc, "content", b""))
        headers = dict(exc.resp)  # type: ignore[attr-defined]
    elif isinstance(exc, google.auth.exceptions.RefreshError):
        return Failure(False, reason="refresh", message=str(exc)[:300])
    elif isinstance(exc, (requests.ConnectTimeout,)):
        return Failure(True, reason="timeout", message=str(exc)[:300], sent=False)
    elif isinstance(exc, requests.Timeout):
        return Failure(True, reason="timeout", message=str(exc)[:300])
    elif isinstance(exc, requests.ConnectionError):
        refused = "NewConnectionError" in repr(exc) or "Connection refused" in str(exc)
        return Failure(True, reason="connection", message=str(exc)[:300], sent=not refused)
    elif isinstance(exc, (google.auth.exceptions.TransportError, TimeoutError, ConnectionError)):
        return Failure(True, reason="connection", message=str(exc)[:300])
    else:
        return None
    retryable = status in RETRY_STATUS or (status == 403 and reason in DRIVE_RATE_REASONS)
    return Failure(retryable, status, reason, message, _retry_after(headers),
                   sent=status not in (429,) and reason not in DRIVE_RATE_REASONS)


def _is_googleapiclient_error(exc: BaseException) -> bool:
    try:
        from googleapiclient.errors import HttpError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, HttpError)


_BUSY_NOTE = ("Google sedang membatasi atau tidak dapat dihubungi; hasil akan ditulis pada "
              "siklus berikutnya, tidak ada yang hilang.")


@dataclass
class RetryPolicy:
    """Bounded retries for every Google call.

    At most `attempts` tries and `budget` seconds (waiting included); waits grow as
    base·2ⁿ (capped), scaled by a random factor in [0.5, 1] so that several clients do not
    retry in step; a `Retry-After` from Google is waited as given, or, when it is longer than
    what is left of the budget, the call gives up at once. Requests that are not idempotent
    (appending rows, structural batchUpdates) are retried only when Google surely did not act
    on them (429, rate limits, connection refused).
    """

    attempts: int = 5
    budget: float = 60.0
    base: float = 2.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = field(default=lambda: random.uniform(0.5, 1.0))

    def call(self, fn: Callable[[], T], what: str = "Google request", idempotent: bool = True) -> T:
        start, waited = self.clock(), 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:
                failure = classify(exc)
                if failure is None or not failure.retryable:
                    raise
                if not idempotent and failure.sent:
                    raise self._give_up(what, failure, attempt, "not retried: it may have "
                                        "been carried out") from exc
                if attempt == self.attempts:
                    raise self._give_up(what, failure, attempt) from exc
                if failure.retry_after is not None:
                    delay = failure.retry_after
                else:
                    delay = min(self.cap, self.base * 2 ** (attempt - 1)) * self.jitter()
                spent = max(waited, self.clock() - start)
                if spent + delay > self.budget:
                    if failure.retry_after is not None or spent >= self.budget:
                        raise self._give_up(what, failure, attempt) from exc
                    delay = self.budget - spent
                log.warning("%s failed (%s); retrying in %.1f s (attempt %d of %d)",
                            what, _describe(failure), delay, attempt + 1, self.attempts)
                self.sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_up(self, what: str, failure: Failure, attempts: int, why: str = "") -> GoogleUnavailable:
        why = why or f"gave up after {attempts} attempt{'s' * (attempts > 1)}"
        message = f"{what} failed ({_describe(failure)}); {why}; it is retried next cycle"
        log.error("%s", message)
        return GoogleUnavailable(message, _BUSY_NOTE, failure.status)


def _describe(failure: Failure) -> str:
    parts = [str(failure.status) if failure.status else "", failure.reason or "",
             failure.message[:160]]
    return " ".join(p for p in parts if p) or "unknown error"


# ----------------------------------------------------------------------------- HTTP client

def _idempotent(method: str, url: str) -> bool:
    method = method.upper()
    if method in ("GET", "PUT", "HEAD", "DELETE"):
        return True
    # Rewriting the same cells with the same values is harmless; appending twice is not.
    return url.split("?", 1)[0].endswith((":batchUpdate", ":batchClear", ":clear")) and \
        "/values" in url


class GoogleHTTPClient(gspread.HTTPClient):
    """gspread's HTTP client with the test seam and the retry policy on every request.

    `gspread.Client(credentials, http_client=GoogleHTTPClient)` works too (then the default
    policy applies); the store builds it directly and sets its own policy.
    """

    def __init__(self, auth: Any, session: requests.Session | None = None,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(auth, session or RebasingSession(auth))
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.timeout = TIMEOUT

    def request(self, method: str, endpoint: str, params: Any = None, data: Any = None,  # type: ignore[override]
                json: Any = None, files: Any = None, headers: Any = None) -> requests.Response:
        endpoint = rebase(endpoint)
        send = super().request
        return self.retry.call(
            lambda: send(method, endpoint, params=params, data=data, json=json, files=files,
                         headers=headers),
            what=f"Google {_api_name(endpoint)} {method.upper()}",
            idempotent=_idempotent(method, endpoint))


def _api_name(url: str) -> str:
    return "Drive" if "/drive/" in url else "Sheets" if "/v4/spreadsheets" in url else "API"
