"""The program's own health: the last good cycle and the last error, kept in the ledger,
shown to people in the agenda's `Status Program` worksheet, reported by `check`, and told to
the administrator when cycles keep failing."""

from __future__ import annotations

import platform
from datetime import datetime, timedelta
from typing import Any

from automation.config import Config
from automation.core.calendar import format_datetime
from automation.core.notices import for_admin
from automation.ledger import Ledger
from automation.notify.outbox import queue

STATUS_SHEET = "Status Program"


def _time(ledger: Ledger, key: str) -> datetime | None:
    value = ledger.meta(key)
    return datetime.fromisoformat(value) if value else None


def succeeded(ledger: Ledger, now: datetime) -> None:
    ledger.set_meta("last_success", now.isoformat())
    ledger.set_meta("failing_since", None)


def failed(ledger: Ledger, cfg: Config, now: datetime, error: str) -> None:
    """Record a cycle that could not run; past `notify.failing_minutes`, tell the admin once."""
    since = _time(ledger, "failing_since") or now
    with ledger.transaction():
        ledger.set_meta("last_error", error)
        ledger.set_meta("last_error_at", now.isoformat())
        ledger.set_meta("failing_since", since.isoformat())
        if now - since >= timedelta(minutes=cfg.notify.failing_minutes):
            local = format_datetime(since.astimezone(cfg.tz))
            queue(ledger, cfg.notify, "", [for_admin(
                "Program Buku Agenda gagal berjalan",
                f"Siklus program gagal sejak {local}.\nKesalahan terakhir: {error}\n"
                f"Server: {platform.node()}. Jalankan 'python main.py check' di server.",
                f"gagal-siklus:{since.isoformat()}")], "", now)


def stale(ledger: Ledger, cfg: Config, now: datetime) -> str | None:
    """Why the running service looks stopped or failing, for `check` (None: fine)."""
    last = _time(ledger, "last_success")
    error, error_at = ledger.meta("last_error"), _time(ledger, "last_error_at")
    allowed = timedelta(seconds=max(3 * cfg.poll_interval_seconds,
                                    60 * cfg.notify.heartbeat_minutes + 300))
    if last is None:
        return None if error is None else (
            f"no cycle has succeeded yet; the last error ({error_at:%Y-%m-%d %H:%M} UTC) was: "
            f"{error}")
    if now - last > allowed:
        minutes = int((now - last).total_seconds() // 60)
        text = (f"stale heartbeat: the last successful cycle was {minutes} minutes ago "
                f"({format_datetime(last.astimezone(cfg.tz))}); is `main.py run` running? Start "
                "the service (docs/deployment.md) and read state/logs/agenda.log")
        if error and error_at and error_at > last:
            text += f"; the last error was: {error}"
        return text
    return None


def heartbeat_due(ledger: Ledger, cfg: Config, now: datetime) -> bool:
    shown = _time(ledger, "heartbeat_at")
    return shown is None or now - shown >= timedelta(minutes=cfg.notify.heartbeat_minutes) \
        or ledger.meta("heartbeat_error") != ledger.meta("last_error_at")


def status_rows(ledger: Ledger, cfg: Config, now: datetime) -> list[list[Any]]:
    """The `Status Program` worksheet: what people can check without the server."""
    def local(key: str) -> Any:
        value = _time(ledger, key)
        return value.astimezone(cfg.tz).replace(tzinfo=None, microsecond=0) if value else "-"

    stale_after = cfg.notify.heartbeat_minutes + 5      # as `check` judges it
    return [
        ["Status Program Buku Agenda", ""],
        ["Siklus terakhir berhasil", local("last_success")],
        ["Kesalahan terakhir", ledger.meta("last_error") or "-"],
        ["Waktu kesalahan terakhir", local("last_error_at")],
        ["Pemberitahuan belum terkirim", ledger.notices_waiting()],
        ["Server", platform.node()],
        ["Lembar ini diperbarui", now.astimezone(cfg.tz).replace(tzinfo=None, microsecond=0)],
        ["Catatan", f"Lembar ini diperbarui program tiap {cfg.notify.heartbeat_minutes} menit. "
                    f"Bila 'Lembar ini diperbarui' lebih dari {stale_after} menit yang lalu, "
                    "program berhenti: hubungi administrator."],
    ]


def mark_heartbeat(ledger: Ledger, now: datetime) -> None:
    ledger.set_meta("heartbeat_at", now.isoformat())
    ledger.set_meta("heartbeat_error", ledger.meta("last_error_at"))
