"""Configuration: SPEC section 6, read with tomllib and checked before anything runs.

Unknown keys, wrong types and impossible values are refused with the key's name and the fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from automation.core.calendar import DAYS
from automation.core.notices import ADMIN, KASI, PETUGAS, OfficeHours, role_of
from automation.core.numbering import FormatError, check_format
from automation.core.ticks import DEFAULT_TICK_WORDS

DEFAULT_NEWS_TYPES = (
    "Kegiatan Pimpinan", "Kegiatan OPD", "Siaran Pers", "Pengumuman", "Klarifikasi Hoaks", "Galeri",
)


class ConfigError(Exception):
    """A configuration problem; the message names the key and the fix."""


@dataclass(frozen=True)
class AgendaConfig:
    backend: str = "xlsx"
    path: Path = Path("buku_agenda.xlsx")
    spreadsheet_id: str = ""
    worksheet: str = "Buku Agenda"
    credentials_file: Path = Path("credentials.json")
    news_types: tuple[str, ...] = DEFAULT_NEWS_TYPES
    agenda_number_format: str = "{nomor:04d}/{tahun}"
    tick_words: tuple[str, ...] = DEFAULT_TICK_WORDS


@dataclass(frozen=True)
class ApprovalConfig:
    columns: tuple[str, ...] = ("Paraf Kadis", "Paraf Kabid")
    require_protection: bool = True
    editors: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaConfig:
    backend: str = "local"
    base_dir: Path = Path("media")
    max_file_mb: int = 200


@dataclass(frozen=True)
class WebsiteConfig:
    backend: str = "static"
    output_dir: Path = Path("site")
    url: str = ""
    username: str = ""
    password_env: str = "WP_APP_PASSWORD"
    post_status: str = "publish"
    categories: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArchiveConfig:
    number_format: str = "{klasifikasi}/{nomor:04d}/{unit}/{bulan_romawi}/{tahun}"
    klasifikasi: str = "400.14.5.6"
    unit: str = "DKISP"
    location_format: str = "Lemari Arsip Siaran Pers {tahun} / Map {bulan}"


@dataclass(frozen=True)
class SlaConfig:
    step_minutes: int = 7


@dataclass(frozen=True)
class TelegramConfig:
    bot_token_env: str = "TELEGRAM_BOT_TOKEN"
    api_base: str = "https://api.telegram.org"


@dataclass(frozen=True)
class FonnteConfig:
    token_env: str = "FONNTE_TOKEN"
    api_base: str = "https://api.fonnte.com"


@dataclass(frozen=True)
class EmailConfig:
    host: str = ""
    port: int = 587
    security: str = "starttls"          # "starttls" | "ssl" | "none"
    username: str = ""
    password_env: str = "SMTP_PASSWORD"
    sender: str = ""
    ca_file: Path | None = None         # the office's own certificate authority, if it has one


# Who can be told: the approval columns' officials by the word after "Paraf" (kadis, kabid),
# the Kasi (archive), the petugas (all, or per name in [notify.petugas]) and the admin.
FIXED_ROLES = (KASI, PETUGAS, ADMIN)
CHANNELS = ("telegram", "wa", "email")


@dataclass(frozen=True)
class NotifyConfig:
    office_hours: str = "08:00-16:00"   # reminders only within these hours (office time zone)
    office_days: tuple[str, ...] = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat")
    failing_minutes: int = 30           # cycles failing this long -> the administrator is told
    heartbeat_minutes: int = 10         # `run` shows it is alive in the sheet this often
    sheet_url: str = ""                 # link to the agenda in messages (Google: derived)
    timeout_seconds: int = 10           # per message: a slow channel never holds up a cycle
    telegram: TelegramConfig = TelegramConfig()
    fonnte: FonnteConfig = FonnteConfig()
    email: EmailConfig = EmailConfig()
    # role -> addresses "telegram:<chat id>", "wa:<number or group id>", "email:<address>"
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)
    petugas: dict[str, tuple[str, ...]] = field(default_factory=dict)   # Petugas Penerima name ->

    @property
    def hours(self) -> OfficeHours:
        start, end = self.office_hours.split("-")
        return OfficeHours(_clock(start), _clock(end), self.office_days)

    def channels_used(self) -> set[str]:
        return {a.split(":", 1)[0] for group in (*self.recipients.values(), *self.petugas.values())
                for a in group}


@dataclass(frozen=True)
class Config:
    timezone: str = "Asia/Makassar"
    poll_interval_seconds: int = 30
    state_dir: Path = Path("state")
    agenda: AgendaConfig = AgendaConfig()
    approval: ApprovalConfig = ApprovalConfig()
    media: MediaConfig = MediaConfig()
    website: WebsiteConfig = WebsiteConfig()
    archive: ArchiveConfig = ArchiveConfig()
    sla: SlaConfig = SlaConfig()
    notify: NotifyConfig = NotifyConfig()
    source: Path | None = None          # the file it came from, for messages

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# key -> (type, check) per table; a check returns an error text or None.
def _positive(v: int) -> str | None:
    return None if v > 0 else "must be greater than 0"


def _one_of(*choices: str):
    def check(v: str) -> str | None:
        return None if v in choices else "must be one of " + ", ".join(f'"{c}"' for c in choices)
    return check


def _zone(v: str) -> str | None:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return 'is not a known time zone; use an IANA name such as "Asia/Makassar"'
    return None


def _non_empty(v: Any) -> str | None:
    return None if v else "must not be empty"


def _url(v: str) -> str | None:
    return None if not v or v.startswith(("http://", "https://")) else "must start with http:// or https://"


def _env_name(v: str) -> str | None:
    return None if v.replace("_", "").isalnum() else "must be an environment variable name such as WP_APP_PASSWORD"


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


def _days(v: list) -> str | None:
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


_SCHEMA: dict[str, dict[str, tuple[type, Any]]] = {
    "": {
        "timezone": (str, _zone),
        "poll_interval_seconds": (int, _positive),
        "state_dir": (Path, None),
    },
    "agenda": {
        "backend": (str, _one_of("xlsx", "google")),
        "path": (Path, None),
        "spreadsheet_id": (str, None),
        "worksheet": (str, _non_empty),
        "credentials_file": (Path, None),
        "news_types": (list, _non_empty),
        "agenda_number_format": (str, _format("agenda")),
        "tick_words": (list, _non_empty),
    },
    "approval": {
        "columns": (list, _non_empty),
        "require_protection": (bool, None),
        "editors": (dict, None),
    },
    "media": {
        "backend": (str, _one_of("local", "drive")),
        "base_dir": (Path, None),
        "max_file_mb": (int, _positive),
    },
    "website": {
        "backend": (str, _one_of("static", "wordpress")),
        "output_dir": (Path, None),
        "url": (str, _url),
        "username": (str, None),
        "password_env": (str, _env_name),
        "post_status": (str, _one_of("publish", "draft", "pending")),
        "categories": (dict, None),
    },
    "archive": {
        "number_format": (str, _format("archive")),
        "klasifikasi": (str, None),
        "unit": (str, None),
        "location_format": (str, _format("location")),
    },
    "sla": {
        "step_minutes": (int, _positive),
    },
    "notify": {
        "office_hours": (str, _hours),
        "office_days": (list, _days),
        "failing_minutes": (int, _positive),
        "heartbeat_minutes": (int, _positive),
        "sheet_url": (str, _url),
        "timeout_seconds": (int, _positive),
    },
    "notify.telegram": {
        "bot_token_env": (str, _env_name),
        "api_base": (str, _url),
    },
    "notify.fonnte": {
        "token_env": (str, _env_name),
        "api_base": (str, _url),
    },
    "notify.email": {
        "host": (str, None),
        "port": (int, _positive),
        "security": (str, _one_of("starttls", "ssl", "none")),
        "username": (str, None),
        "password_env": (str, _env_name),
        "sender": (str, None),
        "ca_file": (str, None),
    },
}

_DATACLASSES = {"": Config, "agenda": AgendaConfig, "approval": ApprovalConfig,
                "media": MediaConfig, "website": WebsiteConfig, "archive": ArchiveConfig,
                "sla": SlaConfig, "notify": NotifyConfig, "notify.telegram": TelegramConfig,
                "notify.fonnte": FonnteConfig, "notify.email": EmailConfig}

_TYPE_WORDS = {str: "a text in quotes", int: "a whole number", bool: "true or false",
               list: "a list like [\"a\", \"b\"]", dict: "a table", Path: "a path in quotes"}


def _key(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def _check_table(table: str, values: dict[str, Any], base: Path) -> dict[str, Any]:
    schema = _SCHEMA[table]
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"unknown key '{_key(table, key)}'; remove it or use one of: {known}")
        kind, check = schema[key]
        wanted = str if kind is Path else kind
        # bool is an int in Python; a number where true/false is meant (or back) is a mistake.
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise ConfigError(f"'{_key(table, key)}' must be {_TYPE_WORDS[kind]}, not {value!r}")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(f"'{_key(table, key)}' {problem} (got {value!r})")
        if kind is Path:
            value = Path(value) if Path(value).is_absolute() else base / value
        out[key] = value
    # Default paths resolve against the config file's folder too, not the working directory.
    defaults = {f.name: f.default for f in fields(_DATACLASSES[table])}
    for key, (kind, _) in schema.items():
        if kind is Path and key not in out:
            out[key] = base / defaults[key]
    return out


def _strings(key: str, items: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(f"'{key}' must list non-empty texts in quotes")
    cleaned = tuple(i.strip() for i in items)
    if len(set(x.casefold() for x in cleaned)) != len(cleaned):
        raise ConfigError(f"'{key}' lists the same value twice; remove the repeat")
    return cleaned


def _addresses(key: str, table: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise ConfigError(f"'{key}' must be a table")
    out = {}
    for name, items in table.items():
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            raise ConfigError(f"'{key}.{name}' must list addresses in quotes, e.g. "
                              '["telegram:123456789", "wa:081234567890", "email:kabid@example.go.id"]')
        for address in items:
            channel, _, target = address.partition(":")
            if channel not in CHANNELS or not target.strip():
                raise ConfigError(f"'{key}.{name}' has {address!r}; write channel:address with "
                                  "channel telegram, wa or email, e.g. \"wa:081234567890\"")
            if channel == "email" and "@" not in target:
                raise ConfigError(f"'{key}.{name}' has {address!r}, which is not an e-mail address")
        out[name] = tuple(a.strip() for a in items)
    return out


def _email(values: dict[str, Any], base: Path) -> dict[str, Any]:
    """`ca_file` is optional: resolved beside the config only when given."""
    ca_file = values.pop("ca_file", "")
    if ca_file:
        values["ca_file"] = Path(ca_file) if Path(ca_file).is_absolute() else base / ca_file
    return values


def _notify(raw: dict[str, Any], base: Path, approval_columns: tuple[str, ...]) -> NotifyConfig:
    raw = dict(raw)
    nested = {name: raw.pop(name) for name in ("telegram", "fonnte", "email", "recipients", "petugas")
              if name in raw}
    for name, table in nested.items():
        if not isinstance(table, dict):
            raise ConfigError(f"'notify.{name}' must be a table [notify.{name}]")
    top = _check_table("notify", raw, base)
    if "office_days" in top:
        top["office_days"] = _strings("notify.office_days", top["office_days"])
    recipients = _addresses("notify.recipients", nested.get("recipients", {}))
    roles = {role_of(c) for c in approval_columns} | set(FIXED_ROLES)
    unknown = sorted(set(recipients) - roles)
    if unknown:
        raise ConfigError(f"'notify.recipients' names role {unknown[0]!r}; use one of: "
                          + ", ".join(sorted(roles)))
    cfg = NotifyConfig(
        **top,
        telegram=TelegramConfig(**_check_table("notify.telegram", nested.get("telegram", {}), base)),
        fonnte=FonnteConfig(**_check_table("notify.fonnte", nested.get("fonnte", {}), base)),
        email=EmailConfig(**_email(_check_table("notify.email", nested.get("email", {}), base),
                                   base)),
        recipients=recipients,
        petugas=_addresses("notify.petugas", nested.get("petugas", {})),
    )
    if "email" in cfg.channels_used() and not (cfg.email.host and "@" in cfg.email.sender):
        raise ConfigError("e-mail recipients are listed but 'notify.email.host' or "
                          "'notify.email.sender' is not set; set the office SMTP server and the "
                          "sending address")
    return cfg


def parse(data: dict[str, Any], base: Path, source: Path | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths resolve against `base`."""
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for name in tables:
        if name not in _SCHEMA or name == "" or "." in name:
            raise ConfigError(f"unknown table '[{name}]'; remove it or use one of: "
                              + ", ".join(f"[{t}]" for t in _SCHEMA if t and "." not in t))
    root = _check_table("", top, base)

    website_raw = dict(tables.get("website", {}))
    categories = website_raw.get("categories", {})
    if not isinstance(categories, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in categories.items()):
        raise ConfigError("'website.categories' must map each Jenis Berita to a category "
                          'name in quotes, e.g. "Siaran Pers" = "Berita"')
    website = _check_table("website", website_raw, base)

    agenda = _check_table("agenda", tables.get("agenda", {}), base)
    for key in ("news_types", "tick_words"):
        if key in agenda:
            agenda[key] = _strings(f"agenda.{key}", agenda[key])
    if "tick_words" in agenda:
        agenda["tick_words"] = tuple(w.casefold() for w in agenda["tick_words"])
    news_types = agenda.get("news_types", DEFAULT_NEWS_TYPES)
    unknown = [k for k in categories if k not in news_types]
    if unknown:
        raise ConfigError(f"'website.categories' names {unknown[0]!r}, which is not in "
                          "agenda.news_types; fix the spelling or add it to news_types")

    approval = _check_table("approval", tables.get("approval", {}), base)
    if "columns" in approval:
        approval["columns"] = _strings("approval.columns", approval["columns"])
    columns = approval.get("columns", ApprovalConfig.columns)
    editors = approval.get("editors", {})
    for header, people in editors.items():
        if header not in columns:
            raise ConfigError(f"'approval.editors' names column {header!r}, which is not in "
                              "approval.columns; fix the spelling")
        if not isinstance(people, list) or not all(isinstance(p, str) and "@" in p for p in people):
            raise ConfigError(f"'approval.editors.\"{header}\"' must list e-mail addresses in quotes")
    approval["editors"] = {h: tuple(p) for h, p in editors.items()}

    website["categories"] = dict(categories)
    cfg = Config(
        **root,
        agenda=AgendaConfig(**agenda),
        approval=ApprovalConfig(**approval),
        media=MediaConfig(**_check_table("media", tables.get("media", {}), base)),
        website=WebsiteConfig(**website),
        archive=ArchiveConfig(**_check_table("archive", tables.get("archive", {}), base)),
        sla=SlaConfig(**_check_table("sla", tables.get("sla", {}), base)),
        notify=_notify(tables.get("notify", {}), base, columns),
        source=source,
    )
    if cfg.agenda.backend == "google" and not cfg.agenda.spreadsheet_id:
        raise ConfigError("'agenda.spreadsheet_id' is empty; paste the ID from the sheet's "
                          "address (…/spreadsheets/d/<ID>/edit)")
    if cfg.website.backend == "wordpress" and not cfg.website.url:
        raise ConfigError("'website.url' is empty; set the WordPress site's address, e.g. "
                          '"https://diskominfo.kaltaraprov.go.id"')
    if cfg.website.backend == "wordpress" and not cfg.website.username:
        raise ConfigError("'website.username' is empty; set the WordPress user that publishes")
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
        raise ConfigError(f"{path}: {err}") from None
