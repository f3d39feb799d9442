"""The notification channels (automation/notify/channels.py) against loopback stand-ins:
Telegram and Fonnte over HTTP (tests/fakes/telegram.py, fonnte.py), e-mail through a real SMTP
server process (tests/fakes/smtp.py)."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from automation import config as config_module
from automation.config import EmailConfig, FonnteConfig, NotifyConfig, TelegramConfig
from automation.notify import channels
from automation.notify.channels import (
    TELEGRAM_CAPTION_LIMIT, TELEGRAM_TEXT_LIMIT, Attachment, ChannelError, Email, Fonnte, Telegram,
    channels_from, unattached,
)
from tests.fakes.fonnte import FakeFonnte
from tests.fakes.smtp import SmtpServer
from tests.fakes.telegram import FakeTelegram
from tests.support.config import config_toml

BOT_TOKEN = "123456789:AAHrahasiaBotHumasDKISP_0123456789abcd"
DEVICE_TOKEN = "Fz8!rahasia+WA"
PASSWORD = "Sandi-Rahasia 2026"
SENDER = "Humas DKISP <humas@kaltaraprov.go.id>"
TITLE = "Peresmian Kafé Literasi – Tanjung Selor"
TEXT = ("Menunggu Paraf Kadis: 0017/2026 <b>Peresmian</b> *Kafé* Literasi – Tanjung Selor\n"
        "Mohon diparaf di Buku Agenda.")


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def failure(call, *args) -> ChannelError:  # type: ignore[no-untyped-def]
    with pytest.raises(ChannelError) as caught:
        call(*args)
    return caught.value


def assert_no_secret(err: BaseException, *secrets: str) -> None:
    """Neither the message nor a printed traceback (with chained errors) shows a secret."""
    printed = "".join(traceback.format_exception(err))
    for secret in secrets:
        assert secret not in str(err) and secret not in printed


# ----------------------------------------------------------------------------- Telegram

@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=BOT_TOKEN, chats=["111", "-1001234567890"]) as fake:
        yield fake


def telegram(base_url: str, token: str = BOT_TOKEN, timeout: float = 5) -> Telegram:
    return Telegram(TelegramConfig(api_base=base_url), token, timeout)


def test_telegram_delivers_plain_text_literally(tg: FakeTelegram) -> None:
    telegram(tg.base_url).send("111", TITLE, TEXT)
    telegram(tg.base_url).send("telegram:-1001234567890", TITLE, TEXT)  # the whole address works too
    assert [(m.chat_id, m.text) for m in tg.messages] == [("111", TEXT), ("-1001234567890", TEXT)]
    params = tg.messages[0].params
    assert "parse_mode" not in params and params["disable_web_page_preview"] is True


def test_telegram_clips_a_text_over_the_limit(tg: FakeTelegram) -> None:
    telegram(tg.base_url).send("111", TITLE, "é" * 5000)
    text = tg.messages[0].text
    assert len(text) == TELEGRAM_TEXT_LIMIT and text.endswith("…") and text.startswith("éé")


def test_telegram_wrong_token_is_not_retried_and_never_shown(tg: FakeTelegram) -> None:
    wrong = "987654321:AAWrongTokenWrongTokenWrongToken"
    err = failure(telegram(tg.base_url, wrong).send, "111", TITLE, TEXT)
    assert err.retry is False
    assert "401" in str(err) and "TELEGRAM_BOT_TOKEN" in str(err) and "@BotFather" in str(err)
    assert_no_secret(err, wrong)


def test_telegram_malformed_token(tg: FakeTelegram) -> None:
    err = failure(telegram(tg.base_url, "not-a-token").send, "111", TITLE, TEXT)
    assert err.retry is False and "404" in str(err) and "TELEGRAM_BOT_TOKEN" in str(err)
    assert_no_secret(err, "not-a-token")


def test_telegram_names_the_token_variable_from_the_config(tg: FakeTelegram) -> None:
    channel = Telegram(TelegramConfig(bot_token_env="BOT_HUMAS", api_base=tg.base_url), "1:x", 5)
    assert "BOT_HUMAS" in str(failure(channel.send, "111", TITLE, TEXT))


def test_telegram_unknown_chat(tg: FakeTelegram) -> None:
    err = failure(telegram(tg.base_url).send, "222", TITLE, TEXT)
    assert err.retry is False
    assert "chat 222 not found" in str(err) and "Start" in str(err)
    assert tg.messages == []


def test_telegram_blocked_bot(tg: FakeTelegram) -> None:
    tg.fail(403, "Forbidden: bot was blocked by the user")
    err = failure(telegram(tg.base_url).send, "111", TITLE, TEXT)
    assert err.retry is False and "blocked" in str(err) and "unblock" in str(err)


def test_telegram_group_upgraded_to_supergroup_names_the_new_id(tg: FakeTelegram) -> None:
    tg.fail(400, "Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=-1009876543210)
    err = failure(telegram(tg.base_url).send, "-4512", TITLE, TEXT)
    assert err.retry is False and "telegram:-1009876543210" in str(err)


def test_telegram_rate_limit_says_when_to_retry(tg: FakeTelegram) -> None:
    tg.rate_limit(retry_after=7)
    err = failure(telegram(tg.base_url).send, "111", TITLE, TEXT)
    assert err.retry is True and err.retry_after == 7 and "7 s" in str(err)
    telegram(tg.base_url).send("111", TITLE, TEXT)  # the fault was for one request
    assert len(tg.messages) == 1


@pytest.mark.parametrize("status", [500, 502])
def test_telegram_server_errors_are_retried(tg: FakeTelegram, status: int) -> None:
    tg.fail(status, "Bad Gateway")
    err = failure(telegram(tg.base_url).send, "111", TITLE, TEXT)
    assert err.retry is True and str(status) in str(err)


def test_telegram_slow_reply_times_out_quickly(tg: FakeTelegram) -> None:
    tg.slow(10)
    started = time.monotonic()
    err = failure(telegram(tg.base_url, timeout=0.3).send, "111", TITLE, TEXT)
    assert time.monotonic() - started < 3
    assert err.retry is True and "0.3 s" in str(err)
    assert_no_secret(err, BOT_TOKEN)


def test_telegram_dropped_connection_is_retried(tg: FakeTelegram) -> None:
    tg.drop()
    err = failure(telegram(tg.base_url).send, "111", TITLE, TEXT)
    assert err.retry is True and "cannot reach Telegram" in str(err)
    assert_no_secret(err, BOT_TOKEN)


def test_telegram_refused_connection_is_retried_without_the_token() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    err = failure(telegram(base).send, "111", TITLE, TEXT)
    assert err.retry is True and base in str(err) and "refused" in str(err)
    assert err.__context__ is None and err.__cause__ is None  # requests' error carries the URL
    assert_no_secret(err, BOT_TOKEN)


def test_telegram_wrong_api_base(tg: FakeTelegram) -> None:
    with FakeFonnte() as elsewhere:  # answers an HTML page, not Telegram's JSON
        err = failure(telegram(elsewhere.base_url).send, "111", TITLE, TEXT)
    assert err.retry is False and "notify.telegram.api_base" in str(err)
    err = failure(telegram(tg.base_url.replace("http:", "https:")).send, "111", TITLE, TEXT)
    assert err.retry is False and "TLS" in str(err) and "REQUESTS_CA_BUNDLE" in str(err)
    assert_no_secret(err, BOT_TOKEN)


def test_telegram_token_stays_out_of_debug_logs(tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        telegram(tg.base_url).send("111", TITLE, TEXT)
        telegram(tg.base_url).check()
    assert "sendMessage" in caplog.text and "getMe" in caplog.text  # urllib3 logged the requests
    assert BOT_TOKEN not in caplog.text


def test_telegram_check(tg: FakeTelegram) -> None:
    assert telegram(tg.base_url).check() == []
    [problem] = telegram(tg.base_url, "987654321:AAWrong").check()
    assert "TELEGRAM_BOT_TOKEN" in problem and "987654321:AAWrong" not in problem
    [problem] = telegram(f"http://127.0.0.1:{closed_port()}").check()
    assert "cannot reach Telegram" in problem
    assert [r.path.rsplit("/", 1)[1] for r in tg.requests] == ["getMe", "getMe"]


# ----------------------------------------------------------------------------- Fonnte (WhatsApp)

@pytest.fixture
def wa() -> Iterator[FakeFonnte]:
    with FakeFonnte(token=DEVICE_TOKEN) as fake:
        yield fake


def fonnte(base_url: str, token: str = DEVICE_TOKEN, timeout: float = 5) -> Fonnte:
    return Fonnte(FonnteConfig(api_base=base_url), token, timeout)


def test_fonnte_delivers(wa: FakeFonnte) -> None:
    fonnte(wa.base_url).send("081234567890", TITLE, TEXT)
    fonnte(wa.base_url).send("wa:120363012345678901@g.us", TITLE, TEXT)
    assert [(m.target, m.text) for m in wa.messages] == [
        ("081234567890", TEXT), ("120363012345678901@g.us", TEXT)]
    assert {r.headers["Authorization"] for r in wa.requests} == {DEVICE_TOKEN}
    assert "form-urlencoded" in wa.requests[0].headers["Content-Type"]


def test_fonnte_refusal_with_http_200_is_an_error(wa: FakeFonnte) -> None:
    wrong = "Salah!token"
    err = failure(fonnte(wa.base_url, wrong).send, "081234567890", TITLE, TEXT)
    assert err.retry is False
    assert "invalid token" in str(err) and "FONNTE_TOKEN" in str(err)
    assert_no_secret(err, wrong)
    assert wa.messages == []


@pytest.mark.parametrize("reason, retry, fix", [
    ("target invalid", False, "081234567890"),
    ("devices disconnected", True, "Fonnte dashboard"),
    ("insufficient quota", True, "tried again"),
])
def test_fonnte_refusal_reasons(wa: FakeFonnte, reason: str, retry: bool, fix: str) -> None:
    wa.refuse(reason)
    err = failure(fonnte(wa.base_url).send, "0812", TITLE, TEXT)
    assert err.retry is retry and reason in str(err) and fix in str(err)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_fonnte_server_errors_are_retried(wa: FakeFonnte, status: int) -> None:
    wa.fail(status)
    err = failure(fonnte(wa.base_url).send, "081234567890", TITLE, TEXT)
    assert err.retry is True and str(status) in str(err)
    fonnte(wa.base_url).send("081234567890", TITLE, TEXT)
    assert len(wa.messages) == 1


def test_fonnte_slow_reply_times_out_quickly(wa: FakeFonnte) -> None:
    wa.slow(10)
    started = time.monotonic()
    err = failure(fonnte(wa.base_url, timeout=0.3).send, "081234567890", TITLE, TEXT)
    assert time.monotonic() - started < 3 and err.retry is True
    assert_no_secret(err, DEVICE_TOKEN)


def test_fonnte_dropped_or_refused_connection_is_retried(wa: FakeFonnte) -> None:
    wa.drop()
    assert failure(fonnte(wa.base_url).send, "081234567890", TITLE, TEXT).retry is True
    err = failure(fonnte(f"http://127.0.0.1:{closed_port()}").send, "081234567890", TITLE, TEXT)
    assert err.retry is True and "cannot reach Fonnte" in str(err)


def test_fonnte_check(wa: FakeFonnte) -> None:
    assert fonnte(wa.base_url).check() == []
    assert [r.path for r in wa.requests] == ["/device"]
    [problem] = fonnte(wa.base_url, "Salah!token").check()
    assert "token invalid" in problem and "FONNTE_TOKEN" in problem and "Salah!token" not in problem
    wa.connected, wa.quota = False, "0"
    disconnected, used_up = fonnte(wa.base_url).check()
    assert "not connected" in disconnected and "QR code" in disconnected
    assert "quota" in used_up


# ----------------------------------------------------------------------------- e-mail

def email(port: int, *, security: str = "none", username: str = "", password: str = "",
          timeout: float = 5, ca_file: Path | None = None) -> Email:
    cfg = EmailConfig(host="127.0.0.1", port=port, security=security, username=username, sender=SENDER)
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    return Email(cfg, password, timeout, ssl_context=context)


def test_email_delivers_a_real_message(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as smtp:
        email(smtp.port).send("kabid@kaltaraprov.go.id", TITLE, TEXT)
        [message] = smtp.messages()
        [envelope] = smtp.envelopes()
    assert message["Subject"] == TITLE
    assert message["From"] == SENDER and message["To"] == "kabid@kaltaraprov.go.id"
    assert message["Date"] and message["Message-ID"].endswith("@kaltaraprov.go.id>")
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content().rstrip("\n") == TEXT
    assert envelope["mail_from"] == "humas@kaltaraprov.go.id"
    assert envelope["rcpt_tos"] == ["kabid@kaltaraprov.go.id"]


def test_email_subject_stays_on_one_line(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as smtp:
        email(smtp.port).send("kabid@kaltaraprov.go.id", "Peresmian\nBcc: semua@kaltaraprov.go.id", TEXT)
        [message] = smtp.messages()
    assert message["Subject"] == "Peresmian Bcc: semua@kaltaraprov.go.id" and message["Bcc"] is None


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_email_logs_in_over_tls(tmp_path: Path, tls: str) -> None:
    with SmtpServer(tmp_path, login=("humas", PASSWORD), tls=tls) as smtp:
        channel = email(smtp.port, security=tls, username="humas", password=PASSWORD, ca_file=smtp.ca_file)
        assert channel.check() == []
        channel.send("email:kabid@kaltaraprov.go.id", TITLE, TEXT)
        assert smtp.envelopes() == [{"mail_from": "humas@kaltaraprov.go.id", "login": "humas", "tls": True,
                                     "rcpt_tos": ["kabid@kaltaraprov.go.id"]}]


def test_email_login_without_tls(tmp_path: Path) -> None:
    with SmtpServer(tmp_path, login=("humas", PASSWORD)) as smtp:
        email(smtp.port, username="humas", password=PASSWORD).send("kabid@kaltaraprov.go.id", TITLE, TEXT)
        assert smtp.envelopes()[0]["login"] == "humas"


def test_email_wrong_password(tmp_path: Path) -> None:
    wrong = "Sandi-Salah 99"
    with SmtpServer(tmp_path, login=("humas", PASSWORD)) as smtp:
        channel = email(smtp.port, username="humas", password=wrong)
        err = failure(channel.send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
        [problem] = channel.check()
        assert smtp.messages() == []
    assert err.retry is False and "535" in str(err) and "SMTP_PASSWORD" in str(err) and "humas" in str(err)
    assert_no_secret(err, wrong)
    assert "SMTP_PASSWORD" in problem and wrong not in problem


def test_email_untrusted_certificate(tmp_path: Path) -> None:
    with SmtpServer(tmp_path, tls="starttls") as smtp:
        err = failure(email(smtp.port, security="starttls").send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
    assert err.retry is False and "certificate" in str(err)


def test_email_starttls_not_offered(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as smtp:
        err = failure(email(smtp.port, security="starttls").send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
    assert err.retry is False and "STARTTLS" in str(err) and 'security to "ssl"' in str(err)


def test_email_unknown_recipient(tmp_path: Path) -> None:
    with SmtpServer(tmp_path, recipients=["kabid@kaltaraprov.go.id"]) as smtp:
        err = failure(email(smtp.port).send, "kabid.lama@kaltaraprov.go.id", TITLE, TEXT)
        assert smtp.messages() == []
    assert err.retry is False and "550" in str(err) and "kabid.lama@kaltaraprov.go.id" in str(err)


@pytest.mark.parametrize("reply, retry", [("451 4.3.0 Try again later", True),
                                          ("554 5.7.1 Message rejected as spam", False)])
def test_email_rejected_message(tmp_path: Path, reply: str, retry: bool) -> None:
    with SmtpServer(tmp_path) as smtp:
        smtp.reject_next(reply)
        err = failure(email(smtp.port).send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
        assert err.retry is retry and reply in str(err)
        email(smtp.port).send("kabid@kaltaraprov.go.id", TITLE, TEXT)
        assert len(smtp.messages()) == 1


def test_email_slow_server_times_out_quickly(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as smtp:
        smtp.slow_next(10)
        started = time.monotonic()
        err = failure(email(smtp.port, timeout=0.5).send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
        assert time.monotonic() - started < 3
    assert err.retry is True and "0.5 s" in str(err)


def test_email_nothing_listening(tmp_path: Path) -> None:
    port = closed_port()
    err = failure(email(port).send, "kabid@kaltaraprov.go.id", TITLE, TEXT)
    assert err.retry is True and f"127.0.0.1:{port}" in str(err) and "notify.email.port" in str(err)
    [problem] = email(port).check()
    assert "notify.email.host" in problem


# ----------------------------------------------------------------------------- channels_from

def notify(**recipients: tuple[str, ...]) -> NotifyConfig:
    return NotifyConfig(recipients=recipients, timeout_seconds=4,
                        email=EmailConfig(host="smtp.kaltaraprov.go.id", username="humas", sender=SENDER))


def test_channels_from_builds_the_channels_in_use() -> None:
    cfg = notify(kadis=("telegram:111",), admin=("email:admin@kaltaraprov.go.id",))
    channels, problems = channels_from(cfg, {"TELEGRAM_BOT_TOKEN": BOT_TOKEN + "\n", "FONNTE_TOKEN": "x",
                                             "SMTP_PASSWORD": PASSWORD})
    assert problems == []
    assert sorted(channels) == ["email", "telegram"]  # no recipient uses WhatsApp
    assert {c.name for c in channels.values()} == {"email", "telegram"}
    assert all(c.timeout == 4 for c in channels.values())


def test_channels_from_reports_missing_secrets_with_their_fix() -> None:
    cfg = notify(kadis=("telegram:111",), kabid=("wa:081234567890",), admin=("email:admin@kaltaraprov.go.id",))
    channels, problems = channels_from(cfg, {"TELEGRAM_BOT_TOKEN": "  "})
    assert channels == {}
    assert problems == [
        "notify: recipients use Telegram but the environment variable TELEGRAM_BOT_TOKEN is empty; "
        "set it to the bot token from @BotFather",
        "notify: recipients use WhatsApp but the environment variable FONNTE_TOKEN is empty; set it to "
        "the device token from the Fonnte dashboard (Device)",
        "notify: e-mail logs in as humas but the environment variable SMTP_PASSWORD is empty; set it to "
        "that account's password, or empty notify.email.username if the server needs no login",
    ]


def test_channels_from_uses_the_configured_variable_names() -> None:
    cfg = NotifyConfig(recipients={"admin": ("telegram:111", "wa:0812", "email:a@kaltaraprov.go.id")},
                       telegram=TelegramConfig(bot_token_env="BOT_HUMAS"),
                       fonnte=FonnteConfig(token_env="WA_HUMAS"),
                       email=EmailConfig(host="smtp.kaltaraprov.go.id", sender=SENDER))
    channels, problems = channels_from(cfg, {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "FONNTE_TOKEN": "x"})
    assert sorted(channels) == ["email"]  # no login: no password needed
    assert "BOT_HUMAS" in problems[0] and "WA_HUMAS" in problems[1]
    channels, problems = channels_from(cfg, {"BOT_HUMAS": BOT_TOKEN, "WA_HUMAS": "x"})
    assert problems == [] and sorted(channels) == ["email", "telegram", "wa"]


def test_the_office_certificate_authority_comes_from_the_config(tmp_path: Path) -> None:
    with SmtpServer(tmp_path / "smtp", tls="starttls") as smtp:
        (tmp_path / "config.toml").write_text(config_toml(None, notify={
            "email": {"host": "127.0.0.1", "port": smtp.port, "security": "starttls",
                      "sender": SENDER, "ca_file": smtp.ca_file.name},
            "recipients": {"admin": ["email:admin@kaltaraprov.go.id"]}}), encoding="utf-8")
        shutil.copy(smtp.ca_file, tmp_path / smtp.ca_file.name)
        cfg = config_module.load(tmp_path / "config.toml").notify
        assert cfg.email.ca_file == tmp_path / smtp.ca_file.name      # beside the config
        channels, problems = channels_from(cfg, {})
        assert problems == [] and channels["email"].check() == []
        channels["email"].send("admin@kaltaraprov.go.id", TITLE, TEXT)
        assert len(smtp.messages()) == 1
        # Without it the server's certificate is not trusted, and the fix says where to look.
        untrusted, _ = channels_from(replace(cfg, email=replace(cfg.email, ca_file=None)), {})
        assert any("certificate" in p for p in untrusted["email"].check())
    missing, problems = channels_from(replace(cfg, email=replace(
        cfg.email, ca_file=tmp_path / "nope.pem")), {})
    assert "email" not in missing and "nope.pem is not a file" in problems[0]


# ----------------------------------------------------------------------------- a file with the message

LINK = "https://drive.google.com/file/d/1AbCdEf/view"
CANNOT = "Pratinjau belum dapat dilampirkan; buka Buku Agenda untuk melihat baris ini."


def pdf_file(folder: Path, name: str = "0017-2026-v2.pdf", words: str = "Pratinjau 0017/2026") -> Path:
    """A small real PDF (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=words)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(pdf.output()))
    return path


@pytest.fixture
def page(tmp_path: Path) -> Attachment:
    path = pdf_file(tmp_path / "pratinjau")
    return Attachment(path, path.name, what="Pratinjau")


def methods(service) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.path.rsplit("/", 1)[1] for r in service.requests]


def test_unattached_says_why_or_gives_the_link() -> None:
    assert unattached("Pratinjau") == CANNOT
    assert unattached("Lembar Arsip", LINK) == f"Buka Lembar Arsip: {LINK}"


def test_telegram_sends_the_file_as_one_document_with_the_text_as_caption(
        tg: FakeTelegram, page: Attachment) -> None:
    telegram(tg.base_url).send("111", TITLE, TEXT, page)
    assert methods(tg) == ["sendDocument"]                  # one call: a retry sends one message
    [message] = tg.messages
    assert message.chat_id == "111" and message.text == TEXT
    assert message.document.data == page.path.read_bytes()
    assert message.document.data.startswith(b"%PDF-")
    assert (message.document.filename, message.document.content_type) == (
        "0017-2026-v2.pdf", "application/pdf")
    assert "parse_mode" not in message.params


def test_telegram_clips_a_long_caption_and_keeps_where_to_look(
        tg: FakeTelegram, page: Attachment) -> None:
    text = "Berita menunggu Paraf Kadis Anda.\nJudul: " + "Kafé – " * 300 + \
        "\nBuka Buku Agenda: https://docs.google.com/spreadsheets/d/abc/edit"
    telegram(tg.base_url).send("111", TITLE, text, page)
    assert methods(tg) == ["sendDocument"]
    caption = tg.messages[0].text
    assert len(caption.encode("utf-16-le")) // 2 <= TELEGRAM_CAPTION_LIMIT
    assert caption.startswith("Berita menunggu Paraf Kadis Anda.\nJudul: Kafé")
    assert caption.endswith("…\nBuka Buku Agenda: https://docs.google.com/spreadsheets/d/abc/edit")


def test_telegram_without_the_file_sends_the_text_and_says_so(
        tg: FakeTelegram, page: Attachment, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = replace(page, path=page.path.with_name("hilang.pdf"))
    telegram(tg.base_url).send("111", TITLE, TEXT, gone)
    telegram(tg.base_url).send("111", TITLE, TEXT, replace(gone, link=LINK))
    monkeypatch.setattr(channels, "TELEGRAM_FILE_LIMIT", 100)     # a file over the bot's 50 MB
    telegram(tg.base_url).send("111", TITLE, TEXT, page)
    assert methods(tg) == ["sendMessage"] * 3
    assert [m.text for m in tg.messages] == [
        f"{TEXT}\n{CANNOT}", f"{TEXT}\nBuka Pratinjau: {LINK}", f"{TEXT}\n{CANNOT}"]


@pytest.mark.parametrize("limit, description", [
    (100, None),                                             # 413 Request Entity Too Large
    (None, "Bad Request: wrong type of the web page content"),
    (None, "Bad Request: not enough rights to send documents to the chat"),
])
def test_telegram_refusing_the_file_still_delivers_the_text_once(
        tg: FakeTelegram, page: Attachment, limit: int | None, description: str | None) -> None:
    if limit:
        tg.file_limit = limit
    else:
        tg.fail(400, description)
    telegram(tg.base_url).send("111", TITLE, TEXT, replace(page, link=LINK))
    assert methods(tg) == ["sendDocument", "sendMessage"]
    assert [m.text for m in tg.messages] == [f"{TEXT}\nBuka Pratinjau: {LINK}"]


@pytest.mark.parametrize("fault, retry, after", [
    (lambda tg: tg.rate_limit(retry_after=9), True, 9),
    (lambda tg: tg.fail(502, "Bad Gateway"), True, None),
    (lambda tg: tg.fail(403, "Forbidden: bot was blocked by the user"), False, None),
])
def test_telegram_document_errors_are_the_messages_errors(
        tg: FakeTelegram, page: Attachment, fault, retry: bool,  # type: ignore[no-untyped-def]
        after: float | None) -> None:
    fault(tg)
    err = failure(telegram(tg.base_url).send, "111", TITLE, TEXT, page)
    assert err.retry is retry and err.retry_after == after
    assert methods(tg) == ["sendDocument"] and tg.messages == []       # nothing sent meanwhile
    err = failure(telegram(tg.base_url).send, "222", TITLE, TEXT, page)   # an unknown chat
    assert err.retry is False and "chat 222 not found" in str(err)
    assert methods(tg)[-1] == "sendDocument" and tg.messages == []
    assert_no_secret(err, BOT_TOKEN)
    tg.fail(400, "Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=-1009876543210)
    err = failure(telegram(tg.base_url).send, "-4512", TITLE, TEXT, page)
    assert "telegram:-1009876543210" in str(err) and methods(tg)[-1] == "sendDocument"


def test_fonnte_sends_the_file_where_the_plan_allows(wa: FakeFonnte, page: Attachment) -> None:
    fonnte(wa.base_url).send("081234567890", TITLE, TEXT, page)
    [message] = wa.messages
    assert message.text == TEXT and message.file.data == page.path.read_bytes()
    assert message.file.filename == "0017-2026-v2.pdf" and message.params["filename"] == page.name
    assert "multipart/form-data" in wa.requests[0].headers["Content-Type"]
    assert wa.requests[0].headers["Authorization"] == DEVICE_TOKEN


@pytest.mark.parametrize("link, last", [(LINK, f"Buka Pratinjau: {LINK}"), ("", CANNOT)])
def test_fonnte_on_a_free_plan_sends_the_link_or_says_it_could_not(
        page: Attachment, link: str, last: str) -> None:
    with FakeFonnte(token=DEVICE_TOKEN, free_plan=True) as wa:
        fonnte(wa.base_url).send("081234567890", TITLE, TEXT, replace(page, link=link))
    [message] = wa.messages
    assert message.file is None and message.text == f"{TEXT}\n{last}"
    assert len(wa.requests) == 2                # the file refused, then the text alone


def test_fonnte_device_trouble_is_not_taken_for_a_refused_file(
        wa: FakeFonnte, page: Attachment) -> None:
    wa.refuse("devices disconnected")
    err = failure(fonnte(wa.base_url).send, "081234567890", TITLE, TEXT, page)
    assert err.retry is True and len(wa.requests) == 1 and wa.messages == []
    fonnte(wa.base_url).send("081234567890", TITLE, TEXT, page)      # later, with its file
    assert wa.messages[0].file is not None


def _attachments(message) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    return [(a.get_filename(), a.get_content_type(), a.get_content())
            for a in message.iter_attachments()]


def test_email_carries_the_file_as_an_attachment(tmp_path: Path, page: Attachment) -> None:
    with SmtpServer(tmp_path / "smtp") as smtp:
        email(smtp.port).send("kabid@kaltaraprov.go.id", TITLE, TEXT, page)
        [message] = smtp.messages()
    assert message["Subject"] == TITLE and message["To"] == "kabid@kaltaraprov.go.id"
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body.get_content().rstrip("\n") == TEXT
    assert body["Content-Transfer-Encoding"] == "quoted-printable"
    assert _attachments(message) == [("0017-2026-v2.pdf", "application/pdf",
                                      page.path.read_bytes())]


def test_email_over_the_cap_or_refused_as_too_large_goes_without_the_file(
        tmp_path: Path, page: Attachment, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer(tmp_path / "smtp") as smtp:
        smtp.reject_next("552 5.3.4 Message size exceeds fixed maximum message size")
        email(smtp.port).send("kabid@kaltaraprov.go.id", TITLE, TEXT, replace(page, link=LINK))
        monkeypatch.setattr(channels, "EMAIL_FILE_LIMIT", 100)
        email(smtp.port).send("kabid@kaltaraprov.go.id", TITLE, TEXT, page)
        first, second = smtp.messages()
    for message, last in ((first, f"Buka Pratinjau: {LINK}"), (second, CANNOT)):
        assert not message.is_multipart() and _attachments(message) == []
        assert message.get_content().rstrip("\n") == f"{TEXT}\n{last}"


def test_email_refusals_unrelated_to_the_size_are_not_retried_without_the_file(
        tmp_path: Path, page: Attachment) -> None:
    with SmtpServer(tmp_path / "smtp") as smtp:
        smtp.reject_next("554 5.7.1 Message rejected as spam")
        err = failure(email(smtp.port).send, "kabid@kaltaraprov.go.id", TITLE, TEXT, page)
        assert smtp.messages() == []
    assert err.retry is False and "554" in str(err)
