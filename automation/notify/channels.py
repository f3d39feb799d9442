"""Notification channels: Telegram bots, WhatsApp through Fonnte, e-mail over SMTP.

A channel delivers one text to one address and, when it cannot, says why in English an
administrator can act on. Who is told what, and when to try again, is the outbox's business:
a ChannelError's `retry` tells it whether trying again later can help at all.

`send(target, ...)` takes the part of an address after "telegram:", "wa:" or "email:" (the
whole address works too). `subject` is used by e-mail only; chat messages carry `text` alone.
Secrets (bot token, device token, SMTP password) never appear in a message or a log line.

A notice may carry a file (`Attachment`: a Pratinjau or Lembar Arsip PDF): a Telegram
document, an e-mail attachment, a WhatsApp file where the Fonnte account allows files. Each
send is still one message: when the file cannot go (gone, over the channel's limit, refused
by the service) the text goes alone, saying so (with the file's link when there is one), so
an attachment never keeps a notice from being delivered.
"""

from __future__ import annotations

import email.utils
import logging
import mimetypes
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable, Protocol

import requests

from automation.config import EmailConfig, FonnteConfig, NotifyConfig, TelegramConfig

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units; Telegram refuses a longer message outright
TELEGRAM_CAPTION_LIMIT = 1024  # a document's caption, UTF-16 code units
MB = 1024 * 1024
TELEGRAM_FILE_LIMIT = 50 * MB  # what a bot may upload
EMAIL_FILE_LIMIT = 20 * MB     # most mail servers refuse messages much larger (base64 adds a third)
FONNTE_FILE_LIMIT = 20 * MB
_ADDRESSES = "[notify.recipients] or [notify.petugas]"  # where an administrator fixes an address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file a notice carries."""

    path: Path
    name: str                   # the file name the recipient sees ("0017-2026-v2.pdf")
    link: str = ""              # where it can be opened without the file (a Drive link); "" none
    what: str = "Lampiran"      # what it is, for the line said when it cannot go ("Pratinjau")


def unattached(what: str, link: str = "") -> str:
    """The line a notice ends with when the page it carries cannot go with it."""
    if link:
        return f"Buka {what}: {link}"
    return f"{what} belum dapat dilampirkan; buka Buku Agenda untuk melihat baris ini."


def without(text: str, attachment: Attachment) -> str:
    """`text` sent without `attachment`, saying so."""
    return f"{text}\n{unattached(attachment.what, attachment.link)}"


def _contents(attachment: Attachment, limit: int, service: str) -> bytes | None:
    """The file's bytes; None when it cannot go (gone, unreadable, over `limit`)."""
    try:
        size = attachment.path.stat().st_size
        data = attachment.path.read_bytes() if size <= limit else None
    except OSError as err:
        log.warning("%s: %s cannot be attached (%s); the notice goes without it", service,
                    attachment.name, err.strerror or err)
        return None
    if data is None or len(data) > limit:
        log.warning("%s: %s is larger than the %d MB a file may have there; the notice goes "
                    "without it", service, attachment.name, limit // MB)
        return None
    return data


def _send(attachment: Attachment | None, limit: int, service: str, text: str,
          with_file: Callable[[bytes], object], alone: Callable[[str], object]) -> None:
    """The notice with its file (`with_file(data)`), or its text alone (`alone(text)`, saying
    the file is missing) when it carries none, the file cannot go (`_contents`) or the service
    refuses files."""
    data = _contents(attachment, limit, service) if attachment else None
    if attachment is None or data is None:
        alone(without(text, attachment) if attachment else text)
        return
    try:
        with_file(data)
    except ChannelError as err:
        if not err.file_refused:
            raise
        log.warning("%s did not take %s (%s); the notice goes without it", service,
                    attachment.name, err)
        alone(without(text, attachment))


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class ChannelError(Exception):
    """A message was not delivered (or a check failed).

    retry: False when only a person can fix it (bad token, unknown chat or recipient, wrong
    settings); True when the same message may go through later (timeouts, 5xx, 429, refused
    connections). retry_after: the seconds the service asked to wait, when it said.
    """

    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after
        # The service refused the file a message carried, not the message: the text alone
        # may still go (set by the channels that send files).
        self.file_refused = False


class Channel(Protocol):
    name: str

    def send(self, target: str, subject: str, text: str,
             attachment: Attachment | None = None) -> None: ...

    def check(self) -> list[str]: ...


def _root_cause(err: BaseException) -> BaseException:
    """The innermost error ("Connection refused"), not requests' and urllib3's long wrappers."""
    seen: set[int] = set()
    while id(err) not in seen:
        seen.add(id(err))
        inner = (err.__cause__ or getattr(err, "reason", None)
                 or next((a for a in err.args if isinstance(a, BaseException)), None) or err.__context__)
        if not isinstance(inner, BaseException):
            break
        err = inner
    return err


def _json(reply: requests.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units, ending in "…" when cut: better part of a message
    than Telegram refusing all of it."""
    if _utf16_units(text) <= limit:
        return text
    units = 0
    for i, char in enumerate(text):
        units += _utf16_units(char)
        if units > limit - 1:
            return text[:i] + "…"
    return text


def _caption(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units, like `_clip`, but a cut text keeps its last line
    (where to look: the agenda's link) after the "…"."""
    if _utf16_units(text) <= limit:
        return text
    head, newline, last = text.rpartition("\n")
    if newline and _utf16_units(last) <= limit // 2:
        return _clip(head, limit - _utf16_units(last) - 1) + "\n" + last
    return _clip(text, limit)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _RedactToken(logging.Filter):
    """urllib3 logs each request line at DEBUG ("POST /bot<token>/sendMessage"): blank the
    token out, whoever turns DEBUG logging on."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), ()
        return True


class _HttpChannel:
    service = ""
    section = ""  # the config table, for messages

    def __init__(self, api_base: str, token: str, timeout: float):
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.post(self.api_base + path, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            problem = ChannelError(f"{self.service} did not answer within {self.timeout:g} s; "
                                   "the message can be tried again later", retry=True)
        except requests.exceptions.SSLError as err:
            problem = ChannelError(
                f"TLS with {self.api_base} failed ({self._scrub(str(_root_cause(err)))}); check "
                f"{self.section}.api_base; if a proxy here inspects TLS, name its certificate "
                "authority's file in the environment variable REQUESTS_CA_BUNDLE", retry=False)
        except requests.RequestException as err:
            cause = _root_cause(err)
            problem = ChannelError(
                f"cannot reach {self.service} at {self.api_base} "
                f"({self._scrub(str(cause) or type(cause).__name__)}); check this server's "
                "internet connection and proxy settings", retry=True)
        # Raised outside the except clause: the original error's text holds the URL (with
        # Telegram, the token), and chained it would be printed with every traceback.
        raise problem


class Telegram(_HttpChannel):
    """A Telegram bot: POST {api_base}/bot<token>/sendMessage."""

    name = "telegram"
    service = "Telegram"
    section = "notify.telegram"

    def __init__(self, cfg: TelegramConfig, token: str, timeout: float = 10):
        super().__init__(cfg.api_base, token, timeout)
        self.token_env = cfg.bot_token_env
        urllib3_log = logging.getLogger("urllib3.connectionpool")
        if not any(isinstance(f, _RedactToken) and f.token == token for f in urllib3_log.filters):
            urllib3_log.addFilter(_RedactToken(token))

    def send(self, target: str, subject: str, text: str,
             attachment: Attachment | None = None) -> None:
        chat = target.removeprefix("telegram:")
        # One call, so that a retry never sends the text twice: the document with the text as
        # its caption (clipped to the caption's limit, keeping where to look).
        _send(attachment, TELEGRAM_FILE_LIMIT, self.service, text, lambda data: self._call(
            "sendDocument", chat,
            data={"chat_id": chat, "caption": _caption(text, TELEGRAM_CAPTION_LIMIT)},
            files={"document": (attachment.name, data, _mime(attachment.name))}),
            lambda alone: self._message(chat, alone))

    def _message(self, chat: str, text: str) -> None:
        # Plain text on purpose (no parse_mode): nothing in a row's title can become markup.
        self._call("sendMessage", chat, json={
            "chat_id": chat, "text": _clip(text, TELEGRAM_TEXT_LIMIT), "disable_web_page_preview": True})

    def check(self) -> list[str]:
        try:
            self._call("getMe")
        except ChannelError as err:
            return [str(err)]
        return []

    def _call(self, method: str, chat: str | None = None, **kwargs: Any) -> Any:
        reply = self._post(f"/bot{self._token}/{method}", **kwargs)
        body = _json(reply)
        if reply.status_code == 200 and body.get("ok") is True:
            return body.get("result")
        problem = self._error(reply.status_code, body, chat)
        # What a document may make Telegram refuse where a text would go: too large for a
        # proxy or Telegram (413), or any 400 but a wrong chat ("file must be non-empty", "not
        # enough rights to send documents to the chat"). The text tried then fails in its turn
        # if the file was not the reason.
        said = str(body.get("description", "")).casefold()
        problem.file_refused = reply.status_code == 413 or (
            reply.status_code == 400 and "migrate_to_chat_id" not in str(body.get("parameters"))
            and not any(w in said for w in ("chat not found", "chat_id is empty",
                                            "peer_id_invalid", "deactivated")))
        raise problem

    def _error(self, status: int, body: dict[str, Any], chat: str | None) -> ChannelError:
        said = self._scrub(f"{status} {body.get('description') or _phrase(status)}")
        parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        if status == 429:
            wait = parameters.get("retry_after")
            wait = float(wait) if isinstance(wait, (int, float)) else None
            after = f"after {wait:g} s" if wait is not None else "later"
            return ChannelError(f"Telegram asks to slow down ({said}): try again {after}",
                                retry=True, retry_after=wait)
        if status >= 500:
            return ChannelError(f"Telegram failed ({said}); the message can be tried again later",
                                retry=True)
        if not body:
            return ChannelError(f"{self.api_base} answered HTTP {status} without Telegram's reply; "
                                f"check {self.section}.api_base and any proxy", retry=False)
        if status == 401:
            return ChannelError(f"Telegram refused the bot token ({said}): set {self.token_env} to "
                                "the token from @BotFather (a revoked token stops working)", retry=False)
        if status == 404:
            return ChannelError(f"Telegram does not know this bot ({said}): set {self.token_env} to "
                                "the whole token from @BotFather, digits, a colon, then letters",
                                retry=False)
        if "migrate_to_chat_id" in parameters:
            new = parameters["migrate_to_chat_id"]
            return ChannelError(f"the Telegram group {chat} became a supergroup ({said}): change "
                                f"telegram:{chat} to telegram:{new} in {_ADDRESSES}", retry=False)
        if "chat not found" in said:
            return ChannelError(f"Telegram chat {chat} not found ({said}): check the chat id in "
                                f"{_ADDRESSES}; a person must open the bot and press Start, a group "
                                "must have the bot added", retry=False)
        if status == 403:
            return ChannelError(f"Telegram may not deliver to chat {chat} ({said}): the person must "
                                "unblock the bot and press Start again; for a group, add the bot back",
                                retry=False)
        return ChannelError(f"Telegram refused the message to chat {chat} ({said})", retry=False)


class Fonnte(_HttpChannel):
    """WhatsApp through the Fonnte gateway: POST {api_base}/send with the device token."""

    name = "wa"
    service = "Fonnte (WhatsApp)"
    section = "notify.fonnte"

    def __init__(self, cfg: FonnteConfig, token: str, timeout: float = 10):
        super().__init__(cfg.api_base, token, timeout)
        self.token_env = cfg.token_env

    def send(self, target: str, subject: str, text: str,
             attachment: Attachment | None = None) -> None:
        number = target.removeprefix("wa:")
        # Fonnte takes an uploaded file on the plans that allow files; on the others it
        # refuses the request, and the text goes alone (with the file's link, if any).
        _send(attachment, FONNTE_FILE_LIMIT, self.service, text, lambda data: self._call(
            "/send", number,
            data={"target": number, "message": text, "filename": attachment.name},
            files={"file": (attachment.name, data, _mime(attachment.name))}),
            lambda alone: self._call("/send", number, data={"target": number, "message": alone}))

    def check(self) -> list[str]:
        try:
            profile = self._call("/device")
        except ChannelError as err:
            return [str(err)]
        problems = []
        if profile.get("device_status") != "connect":
            problems.append(
                f"Fonnte: the WhatsApp device {profile.get('device', '')} is not connected "
                f"({profile.get('device_status')}); messages wait until it is: in the Fonnte "
                "dashboard open Device, Connect, and scan the QR code with the office phone")
        quota = str(profile.get("quota", ""))
        if quota.isdigit() and int(quota) == 0:
            problems.append("Fonnte: the device's message quota is used up; top it up in the "
                            "Fonnte dashboard")
        return problems

    def _call(self, path: str, target: str | None = None, **kwargs: Any) -> dict[str, Any]:
        reply = self._post(path, headers={"Authorization": self._token}, **kwargs)
        body = _json(reply)
        status = reply.status_code
        if status == 429 or status >= 500:
            raise self._refusal(f"Fonnte failed ({status} {_phrase(status)}); the message can "
                                "be tried again later", retry=True)
        if "status" not in body:
            problem = self._refusal(f"{self.api_base} answered HTTP {status} without Fonnte's "
                                    f"reply; check {self.section}.api_base and any proxy",
                                    retry=False)
            problem.file_refused = status == 413 and "files" in kwargs    # too large for it
            raise problem
        # Fonnte answers 200 either way; {"status": false, "reason": ...} is a refusal.
        if body["status"] is True and status == 200:
            return body
        reason = str(body.get("reason") or body.get("detail") or "no reason given")
        if "token" in reason.casefold() or reason in ("unknown user", "invalid device"):
            raise self._refusal(f"Fonnte refused the device token ({reason}): set {self.token_env} "
                                "to the token of the office's device (Fonnte dashboard, Device)",
                                retry=False)
        if "target" in reason.casefold():
            raise self._refusal(f"Fonnte refused the WhatsApp target {target} ({reason}): write a "
                                "number like 081234567890 or a group id like 120363012345678901@g.us "
                                f"in {_ADDRESSES}", retry=False)
        # Other refusals (device disconnected, quota used up) end when a person acts in the
        # Fonnte dashboard, without a change here: worth trying again later.
        problem = self._refusal(f"Fonnte did not take the message ({reason}); it can be tried "
                                "again later; if this repeats, look at the device in the Fonnte "
                                "dashboard", retry=True)
        # Any other refusal of a message with a file (the plan sends no files; the wording
        # is Fonnte's and varies): the text alone may go.
        problem.file_refused = "files" in kwargs and not any(
            word in reason.casefold() for word in ("disconnect", "quota"))
        raise problem

    def _refusal(self, message: str, *, retry: bool) -> ChannelError:
        return ChannelError(self._scrub(message), retry=retry)


class Email:
    """E-mail through the office's SMTP server (STARTTLS, SSL or plain, as configured)."""

    name = "email"

    def __init__(self, cfg: EmailConfig, password: str = "", timeout: float = 10,
                 ssl_context: ssl.SSLContext | None = None):
        self.cfg = cfg
        self.timeout = timeout
        self._password = password
        # The system's trusted authorities unless told otherwise (an office CA, the tests).
        self._tls = ssl_context or ssl.create_default_context()

    def send(self, target: str, subject: str, text: str,
             attachment: Attachment | None = None) -> None:
        address = target.removeprefix("email:")

        def with_file(data: bytes) -> None:
            message = self._message(address, subject, text)
            maintype, _, subtype = _mime(attachment.name).partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype,
                                   filename=attachment.name)
            self._session(message)

        _send(attachment, EMAIL_FILE_LIMIT, "the mail server", text, with_file,
              lambda alone: self._session(self._message(address, subject, alone)))

    def _message(self, address: str, subject: str, text: str) -> EmailMessage:
        message = EmailMessage()
        # One line: a title typed with a line break must not break the header.
        message["Subject"] = " ".join(subject.split())
        message["From"] = self.cfg.sender
        message["To"] = address
        message["Date"] = email.utils.formatdate(localtime=True)
        # The sender's domain: without one, make_msgid asks DNS for this host's name.
        domain = email.utils.parseaddr(self.cfg.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = email.utils.make_msgid(domain=domain)
        # Quoted-printable keeps the body 7-bit: any relay passes it, "é" and "–" intact.
        message.set_content(text, charset="utf-8", cte="quoted-printable")
        return message

    def check(self) -> list[str]:
        try:
            self._session(None)
        except ChannelError as err:
            return [str(err)]
        return []

    def _session(self, message: EmailMessage | None) -> None:
        """Connect, EHLO, secure, log in, send `message` if any, QUIT."""
        cfg = self.cfg
        smtp: smtplib.SMTP | None = None
        stage = "connect"
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=self._tls)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            smtp.ehlo()
            if cfg.security == "starttls":
                stage = "starttls"
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if cfg.username:
                stage = "login"
                smtp.login(cfg.username, self._password)
            if message is not None:
                stage = "send"
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as err:
            problem = self._error(err, stage)
            # 552: the message exceeds what the server takes (at MAIL FROM, told its SIZE,
            # or at DATA): without its attachment it may go.
            problem.file_refused = (stage == "send" and message is not None
                                    and message.is_multipart()
                                    and getattr(err, "smtp_code", None) == 552)
            if smtp is not None:
                smtp.close()
        else:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the message is accepted already: a failed goodbye changes nothing
            smtp.close()
            return
        raise problem  # outside the except clause, like _HttpChannel._post

    def _error(self, err: Exception, stage: str) -> ChannelError:
        cfg = self.cfg
        where = f"the mail server {cfg.host}:{cfg.port}"

        def said(code: int, text: bytes | str) -> str:
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
            return f"{code} {' '.join(text.split())}"

        def fail(message: str, retry: bool) -> ChannelError:
            if self._password:
                message = message.replace(self._password, "<password>")
            return ChannelError(message, retry=retry)

        # smtplib turns a timeout while reading a reply into SMTPServerDisconnected.
        if isinstance(err, TimeoutError) or isinstance(err.__context__, TimeoutError):
            return fail(f"{where} did not answer within {self.timeout:g} s; the message can be "
                        "tried again later", True)
        if isinstance(err, ssl.SSLCertVerificationError):
            return fail(f"{where} shows a certificate this computer does not trust "
                        f"({err.verify_message}); set notify.email.host to the name on the "
                        "certificate, or install the office's certificate authority here", False)
        if isinstance(err, ssl.SSLError):
            return fail(f"the TLS handshake with {where} failed ({err.reason or err}); check "
                        'notify.email.security: port 465 usually needs "ssl", port 587 "starttls"',
                        False)
        if isinstance(err, ConnectionRefusedError):
            return fail(f"nothing accepts connections at {where}; check notify.email.host and "
                        "notify.email.port, and that the mail server is running", True)
        if isinstance(err, smtplib.SMTPNotSupportedError):
            if stage == "starttls":
                return fail(f"{where} does not offer STARTTLS; set notify.email.security to "
                            '"ssl" (usually port 465), or to "none" only inside a trusted office '
                            "network", False)
            return fail(f"{where} does not accept a login here ({err}); empty notify.email.username "
                        "if it needs none, or use the port and security it allows logins on", False)
        if isinstance(err, smtplib.SMTPAuthenticationError):
            return fail(f"{where} refused the login of {cfg.username} "
                        f"({said(err.smtp_code, err.smtp_error)}); set {cfg.password_env} to this "
                        "account's password and check notify.email.username", 400 <= err.smtp_code < 500)
        if isinstance(err, smtplib.SMTPRecipientsRefused):
            address, (code, text) = next(iter(err.recipients.items()))
            return fail(f"{where} refused the recipient {address} ({said(code, text)}); check "
                        f"the address in {_ADDRESSES}", 400 <= code < 500)
        if isinstance(err, smtplib.SMTPSenderRefused):
            return fail(f"{where} refused the sender {err.sender} ({said(err.smtp_code, err.smtp_error)}); "
                        "set notify.email.sender to an address this account may send from",
                        400 <= err.smtp_code < 500)
        if isinstance(err, smtplib.SMTPResponseException):
            temporary = 400 <= err.smtp_code < 500
            then = ("the message can be tried again later" if temporary
                    else "ask the mail server's administrator why")
            return fail(f"{where} answered {said(err.smtp_code, err.smtp_error)}; {then}", temporary)
        if isinstance(err, smtplib.SMTPServerDisconnected):
            return fail(f"{where} closed the connection ({err}); the message can be tried again "
                        "later; if this repeats, check notify.email.security and notify.email.port",
                        True)
        return fail(f"cannot talk to {where} ({err}); check notify.email.host and "
                    "notify.email.port; the message can be tried again later", True)


def channels_from(cfg: NotifyConfig, environ: Mapping[str, str]) -> tuple[dict[str, Channel], list[str]]:
    """The channels the recipients use, ready to send, and the problems (with their fix) that
    keep a used channel out: its secret missing from the environment."""
    channels: dict[str, Channel] = {}
    problems: list[str] = []
    used = cfg.channels_used()
    if "telegram" in used:
        token = environ.get(cfg.telegram.bot_token_env, "").strip()
        if token:
            channels["telegram"] = Telegram(cfg.telegram, token, cfg.timeout_seconds)
        else:
            problems.append(f"notify: recipients use Telegram but the environment variable "
                            f"{cfg.telegram.bot_token_env} is empty; set it to the bot token from "
                            "@BotFather")
    if "wa" in used:
        token = environ.get(cfg.fonnte.token_env, "").strip()
        if token:
            channels["wa"] = Fonnte(cfg.fonnte, token, cfg.timeout_seconds)
        else:
            problems.append(f"notify: recipients use WhatsApp but the environment variable "
                            f"{cfg.fonnte.token_env} is empty; set it to the device token from the "
                            "Fonnte dashboard (Device)")
    if "email" in used:
        password = environ.get(cfg.email.password_env, "")
        if cfg.email.username and not password:
            problems.append(f"notify: e-mail logs in as {cfg.email.username} but the environment "
                            f"variable {cfg.email.password_env} is empty; set it to that account's "
                            "password, or empty notify.email.username if the server needs no login")
        elif cfg.email.ca_file and not cfg.email.ca_file.is_file():
            problems.append(f"notify: notify.email.ca_file {cfg.email.ca_file} is not a file; "
                            "point it at the office's certificate authority (PEM), or remove it")
        else:
            context = (ssl.create_default_context(cafile=cfg.email.ca_file)
                       if cfg.email.ca_file else None)
            channels["email"] = Email(cfg.email, password, cfg.timeout_seconds, context)
    return channels, problems
