"""Configuration: SPEC section 6, read with tomllib and checked before anything runs.

Each key is declared once, below: its type, default, check and the comment the example file
shows beside it (see automation/config_schema.py). Unknown keys, wrong types and impossible
values are refused, all of a file's at once, each with its key path and the fix.
`config.example.toml` is generated from these declarations: `make config-example`.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from automation.config_schema import (
    Problem, Reader, Refused, between, example, join, key, must_be_table, non_empty, positive,
    read, secret_env, table, texts, web_url,
)
from automation.core.calendar import DAYS
from automation.core.notices import ADMIN, KASI, PETUGAS, OfficeHours, role_of
from automation.core.numbering import FormatError, check_format
from automation.core.ticks import DEFAULT_TICK_WORDS

DEFAULT_NEWS_TYPES = (
    "Kegiatan Pimpinan", "Kegiatan OPD", "Siaran Pers", "Pengumuman", "Klarifikasi Hoaks", "Galeri",
)
DEFAULT_APPROVALS = ("Paraf Kadis", "Paraf Kabid")

# Who can be told: the approval columns' officials by the word after "Paraf" (kadis, kabid),
# the Kasi (archive), the petugas (all, or per name in [notify.petugas]) and the admin.
FIXED_ROLES = (KASI, PETUGAS, ADMIN)
CHANNELS = ("telegram", "wa", "email")


class ConfigError(Exception):
    """A configuration problem; the message names the key and the fix. `problems` holds each
    of them (a file with three mistakes gives three), with its key path."""

    def __init__(self, message: str, problems: tuple[Problem, ...] | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else (Problem("", message),)


# --- checks of single values: the text after the key's name, with the fix --------------------

def _zone(v: str) -> str | None:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return 'is not a known time zone; use an IANA name such as "Asia/Makassar"'
    return None


def _clock(text: str) -> tuple[int, int]:
    hour, minute = text.strip().split(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(text)
    return int(hour), int(minute)


def _hours(v: str) -> str | None:
    try:
        start, end = v.split("-")
        if _clock(start) < _clock(end):
            return None
    except ValueError:
        pass
    return 'must be two times of day like "08:00-16:00", the first earlier'


def _days(v: tuple[str, ...]) -> str | None:
    wrong = [d for d in v if d not in DAYS]
    return f"names unknown days {wrong}; use {', '.join(DAYS)}" if wrong else None


def _format(kind: str):
    def check(v: str) -> str | None:
        try:
            check_format(v, kind)
        except FormatError as err:
            return str(err)
        return None
    return check


# --- readers of tables of entries ------------------------------------------------------------

def _tick_words(reader: Reader, key: str, value: Any) -> tuple[str, ...]:
    return tuple(w.casefold() for w in texts(reader, key, value))


def _editors(reader: Reader, key: str, value: Any) -> dict[str, tuple[str, ...]]:
    out = {}
    for header, people in must_be_table(reader, key, value).items():
        where = join(key, header)
        if not isinstance(people, list) or not all(isinstance(p, str) and "@" in p for p in people):
            reader.fail(where, f"'{where}' must list e-mail addresses in quotes")
        else:
            out[header] = tuple(people)
    return out


def _categories(reader: Reader, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Refused("must map each Jenis Berita to a category name in quotes, e.g. "
                      '"Siaran Pers" = "Berita"', show=False)
    out = {}
    for news_type, category in value.items():
        if isinstance(category, str) and category.strip():
            out[news_type] = category
        else:
            where = join(key, news_type)
            reader.fail(where, f"'{where}' must be a category name in quotes, e.g. "
                               f'"Siaran Pers" = "Berita", not {category!r}')
    return out


def _addresses(reader: Reader, key: str, value: Any) -> dict[str, tuple[str, ...]]:
    out = {}
    for name, items in must_be_table(reader, key, value).items():
        where = join(key, name)
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            reader.fail(where, f"'{where}' must list addresses in quotes, e.g. "
                               '["telegram:123456789", "wa:081234567890", "email:kabid@example.go.id"]')
            continue
        wrong = [a for a in items if _address_problem(a)]
        for address in wrong:
            reader.fail(where, f"'{where}' has {address!r}{_address_problem(address)}")
        if not wrong:
            out[name] = tuple(a.strip() for a in items)
    return out


def _address_problem(address: str) -> str:
    channel, _, target = address.partition(":")
    if channel not in CHANNELS or not target.strip():
        return '; write channel:address with channel telegram, wa or email, e.g. "wa:081234567890"'
    if channel == "email" and "@" not in target:
        return ", which is not an e-mail address"
    return ""


# --- the keys ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgendaConfig:
    backend: str = key("xlsx", "{choices}", choices=("xlsx", "google"))
    path: Path = key(Path("buku_agenda.xlsx"), "xlsx: the shared workbook")
    spreadsheet_id: str = key("", "google")
    worksheet: str = key("Buku Agenda", check=non_empty)
    credentials_file: Path = key(Path("credentials.json"))
    news_types: tuple[str, ...] = key(DEFAULT_NEWS_TYPES, check=non_empty)
    agenda_number_format: str = key("{nomor:04d}/{tahun}", check=_format("agenda"))
    tick_words: tuple[str, ...] = key(
        DEFAULT_TICK_WORDS, check=non_empty, read=_tick_words,
        above="What counts as a tick besides a checked box (compared trimmed, ignoring case):")


@dataclass(frozen=True)
class ApprovalConfig:
    columns: tuple[str, ...] = key(DEFAULT_APPROVALS, "all must be ticked, in this order",
                                   check=non_empty)
    require_protection: bool = key(True, "google backend only")
    editors: dict[str, tuple[str, ...]] = key(
        {}, read=_editors,
        example='{ "Paraf Kadis" = ["kadis@example.go.id"], "Paraf Kabid" = ["kabid@example.go.id"] }')


@dataclass(frozen=True)
class MediaConfig:
    backend: str = key("local", "{choices} (Drive uses agenda.credentials_file)",
                       choices=("local", "drive"))
    base_dir: Path = key(Path("media"), "relative paths in Tautan Media resolve here")
    max_file_mb: int = key(200, check=positive)


@dataclass(frozen=True)
class WebsiteConfig:
    backend: str = key("static", "{choices} (see docs/wordpress.md)",
                       choices=("static", "wordpress"))
    output_dir: Path = key(Path("site"), "static: where the pages are written")
    url: str = key("", "public base URL of output_dir (empty: file:// links)", check=web_url)
    username: str = key("", "wordpress")
    password_env: str = secret_env("WP_APP_PASSWORD",
                                   "wordpress: the application password comes from this variable")
    post_status: str = key("publish", 'or "draft" / "pending" for a human last look',
                           choices=("publish", "draft", "pending"))
    max_upload_mb: int = key(64, "the site's real upload limit; larger media are converted "
                             "or refused", check=positive)
    categories: dict[str, str] = key({}, "Jenis Berita -> website category (name or slug)",
                                     read=_categories, examples=('"Siaran Pers" = "Berita"',))


@dataclass(frozen=True)
class ArchiveConfig:
    number_format: str = key("{klasifikasi}/{nomor:04d}/{unit}/{bulan_romawi}/{tahun}",
                             check=_format("archive"))
    klasifikasi: str = key("400.14.5.6", "Permendagri 83/2022: Hubungan dengan Media Massa")
    unit: str = key("DKISP")
    location_format: str = key("Lemari Arsip Siaran Pers {tahun} / Map {bulan}",
                               check=_format("location"))


@dataclass(frozen=True)
class PreviewConfig:
    enabled: bool = key(True, "a Pratinjau PDF per content version, a Lembar Arsip per publication")
    dir: str = key("pratinjau", ".xlsx backend: PDFs in this folder beside the agenda (a shared\n"
                   "folder); a relative path is taken from the agenda's folder")
    drive_folder_id: str = key("", "google backend: a folder (its ID or address) in a shared\n"
                               "drive where the service account is Content manager; PDFs are\n"
                               "uploaded there (empty: kept in state_dir/pratinjau)")


@dataclass(frozen=True)
class SlaConfig:
    step_minutes: int = key(7, check=positive)


@dataclass(frozen=True)
class TelegramConfig:
    bot_token_env: str = secret_env("TELEGRAM_BOT_TOKEN")
    api_base: str = key("https://api.telegram.org", check=web_url)


@dataclass(frozen=True)
class FonnteConfig:
    token_env: str = secret_env("FONNTE_TOKEN")
    api_base: str = key("https://api.fonnte.com", check=web_url)


@dataclass(frozen=True)
class EmailConfig:
    host: str = key("", 'e.g. "mail.kaltaraprov.go.id"')
    port: int = key(587, check=between(1, 65535))
    security: str = key("starttls", "{choices}", choices=("starttls", "ssl", "none"))
    username: str = key("")
    password_env: str = secret_env("SMTP_PASSWORD")
    sender: str = key("", 'e.g. "humas.dkisp@kaltaraprov.go.id"')
    ca_file: Path | None = key(
        None, "the office's own certificate authority, if the server uses one",
        example='"office-ca.pem"')


NOTIFY_INTRO = """\
Notifications: who is told what (all optional; nothing is sent when no recipient is listed).
 - a row becomes complete -> the first official whose paraf is missing; a paraf -> the next
 - published or updated -> the petugas and the Kasi (link, Nomor Arsip, Lokasi Arsip)
 - rejected -> the petugas; withdrawn -> the petugas and the Kasi
 - Gagal Tayang, untrusted paraf columns (SPEC rule 7), cycles failing longer than
   failing_minutes -> the admin
 - a row waiting at a step longer than sla.step_minutes -> one reminder to whoever it waits
   for, within office hours only
Each message is sent once per event and recipient, also across restarts; a channel that is
down is retried with backoff and never holds up publishing. Secrets come from environment
variables, never from this file."""


@dataclass(frozen=True)
class NotifyConfig:
    office_hours: str = key("08:00-16:00", "reminders only then, in the office time zone",
                            check=_hours)
    office_days: tuple[str, ...] = key(("Senin", "Selasa", "Rabu", "Kamis", "Jumat"), check=_days)
    failing_minutes: int = key(30, "tell the admin when cycles keep failing this long",
                               check=positive)
    heartbeat_minutes: int = key(10, '`run` updates the "Status Program" worksheet this often',
                                 check=positive)
    sheet_url: str = key("", "link to the agenda in messages (Google: filled in itself)",
                         check=web_url)
    timeout_seconds: int = key(10, "per message", check=positive)
    telegram: TelegramConfig = table(
        TelegramConfig, 'a bot made with @BotFather; recipients "telegram:<chat id>"')
    fonnte: FonnteConfig = table(
        FonnteConfig, 'WhatsApp through fonnte.com; recipients "wa:<number or group id>"')
    email: EmailConfig = table(EmailConfig, 'the office mail server; recipients "email:<address>"')
    recipients: dict[str, tuple[str, ...]] = key(
        {}, 'role -> addresses; roles: kadis, kabid (one per paraf\n'
            'column: the word after "Paraf"), kasi, petugas, admin',
        read=_addresses, examples=(
            'kadis = ["wa:081234567890"]',
            'kabid = ["telegram:123456789"]',
            'kasi = ["email:kasi.humas@kaltaraprov.go.id"]',
            'petugas = ["wa:120363025555555555@g.us"]   # e.g. the office\'s WhatsApp group',
            'admin = ["email:it.dkisp@kaltaraprov.go.id", "telegram:987654321"]'))
    petugas: dict[str, tuple[str, ...]] = key(
        {}, "Petugas Penerima (as typed in the sheet) -> addresses",
        read=_addresses, examples=('"Rahmawati" = ["wa:081298765432"]',))

    @property
    def hours(self) -> OfficeHours:
        start, end = self.office_hours.split("-")
        return OfficeHours(_clock(start), _clock(end), self.office_days)

    def channels_used(self) -> set[str]:
        return {a.split(":", 1)[0] for group in (*self.recipients.values(), *self.petugas.values())
                for a in group}


@dataclass(frozen=True)
class Config:
    timezone: str = key("Asia/Makassar", "WITA", check=_zone)
    poll_interval_seconds: int = key(30, "`run` checks the agenda this often", check=positive)
    state_dir: Path = key(Path("state"), "ledger database, cache, lock, logs, agenda backup")
    agenda: AgendaConfig = table(AgendaConfig)
    approval: ApprovalConfig = table(ApprovalConfig)
    media: MediaConfig = table(MediaConfig)
    website: WebsiteConfig = table(WebsiteConfig)
    archive: ArchiveConfig = table(ArchiveConfig)
    preview: PreviewConfig = table(PreviewConfig)
    sla: SlaConfig = table(SlaConfig)
    notify: NotifyConfig = table(NotifyConfig, above=NOTIFY_INTRO)
    source: Path | None = field(default=None)      # the file it came from, for messages; no key

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


EXAMPLE_HEADER = """\
Buku Agenda -> Website: configuration (copy to config.toml and adjust).
Relative paths resolve against this file's folder. Unknown keys are refused."""


# --- rules across keys: each names the keys it reads, and is skipped when one was refused ----

Rule = Callable[[Config], Iterator[Problem]]
_RULES: list[tuple[tuple[str, ...], Rule]] = []


def _rule(*keys: str) -> Callable[[Rule], Rule]:
    def add(rule: Rule) -> Rule:
        _RULES.append((keys, rule))
        return rule
    return add


@_rule("website.categories", "agenda.news_types")
def _categories_are_news_types(cfg: Config) -> Iterator[Problem]:
    for name in cfg.website.categories:
        if name not in cfg.agenda.news_types:
            yield Problem(join("website.categories", name),
                          f"'website.categories' names {name!r}, which is not in "
                          "agenda.news_types; fix the spelling or add it to news_types")


@_rule("approval.editors", "approval.columns")
def _editors_are_columns(cfg: Config) -> Iterator[Problem]:
    for header in cfg.approval.editors:
        if header not in cfg.approval.columns:
            yield Problem(join("approval.editors", header),
                          f"'approval.editors' names column {header!r}, which is not in "
                          "approval.columns; fix the spelling")


@_rule("notify.recipients", "approval.columns")
def _recipients_are_roles(cfg: Config) -> Iterator[Problem]:
    roles = {role_of(c) for c in cfg.approval.columns} | set(FIXED_ROLES)
    for name in cfg.notify.recipients:
        if name not in roles:
            yield Problem(join("notify.recipients", name),
                          f"'notify.recipients' names role {name!r}; use one of: "
                          + ", ".join(sorted(roles)))


@_rule("notify.recipients", "notify.petugas", "notify.email.host", "notify.email.sender")
def _email_has_a_server(cfg: Config) -> Iterator[Problem]:
    email = cfg.notify.email
    if "email" in cfg.notify.channels_used() and not (email.host and "@" in email.sender):
        yield Problem("notify.email", "e-mail recipients are listed but 'notify.email.host' or "
                      "'notify.email.sender' is not set; set the office SMTP server and the "
                      "sending address")


@_rule("agenda.backend", "agenda.spreadsheet_id")
def _google_has_a_sheet(cfg: Config) -> Iterator[Problem]:
    if cfg.agenda.backend == "google" and not cfg.agenda.spreadsheet_id:
        yield Problem("agenda.spreadsheet_id", "'agenda.spreadsheet_id' is empty; paste the ID "
                      "from the sheet's address (…/spreadsheets/d/<ID>/edit)")


@_rule("website.backend", "website.url", "website.username")
def _wordpress_has_a_site(cfg: Config) -> Iterator[Problem]:
    if cfg.website.backend == "wordpress" and not cfg.website.url:
        yield Problem("website.url", "'website.url' is empty; set the WordPress site's address, "
                      'e.g. "https://diskominfo.kaltaraprov.go.id"')
    if cfg.website.backend == "wordpress" and not cfg.website.username:
        yield Problem("website.username",
                      "'website.username' is empty; set the WordPress user that publishes")


def _refused(keys: tuple[str, ...], failed: set[str]) -> bool:
    """Whether one of `keys`, or a table holding it, was refused."""
    return any(k == f or k.startswith(f + ".") for k in keys for f in failed)


# --- reading -----------------------------------------------------------------------------------

def parse(data: dict[str, Any], base: Path, source: Path | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths resolve against `base`.

    Raises ConfigError with every problem found, not only the first."""
    reader = Reader(base)
    cfg = Config(**read(Config, data, reader), source=source)
    failed = {p.key for p in reader.problems}
    for keys, rule in _RULES:
        if not _refused(keys, failed):
            reader.problems.extend(rule(cfg))
    problems = tuple(reader.problems)
    if len(problems) == 1:
        raise ConfigError(problems[0].text, problems)
    if problems:
        raise ConfigError(f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems),
                          problems)
    return cfg


def load(path: Path) -> Config:
    """Read and check a config file; ConfigError says what to fix."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found; copy config.example.toml to "
                          f"{path.name} or pass --config PATH") from None
    except OSError as err:
        raise ConfigError(f"config file {path} cannot be read: {err.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    try:
        return parse(data, path.resolve().parent, source=path)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}", err.problems) from None


def example_toml() -> str:
    """config.example.toml: every key at its default, with its comment."""
    return example(Config, EXAMPLE_HEADER)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m automation.config OUT.toml", file=sys.stderr)
        return 2
    Path(args[0]).write_text(example_toml(), encoding="utf-8", newline="\n")
    print(f"example configuration written to {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
