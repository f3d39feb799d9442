"""The program's own health: the last good cycle and the last error, kept in the ledger,
shown to people in the agenda's `Status Program` worksheet, reported by `check`, and told to
the administrator when cycles keep failing."""

from __future__ import annotations

import logging
import platform
from datetime import datetime, timedelta
from typing import Any

from automation.config import Config
from automation.core.calendar import format_datetime
from automation.core.notices import for_admin
from automation.ledger import Ledger
from automation.notify.outbox import queue

STATUS_SHEET = "Status Program"

log = logging.getLogger(__name__)


def succeeded(ledger: Ledger, now: datetime) -> None:
    ledger.meta.last_success = now
    ledger.meta.failing_since = None


def failed(ledger: Ledger, cfg: Config, now: datetime, error: str) -> None:
    """Record a cycle that could not run; past `notify.failing_minutes`, tell the admin once."""
    since = ledger.meta.failing_since or now
    with ledger.transaction():
        ledger.meta.last_error = error
        ledger.meta.last_error_at = now
        ledger.meta.failing_since = since
        if now - since >= timedelta(minutes=cfg.notify.failing_minutes):
            local = format_datetime(since.astimezone(cfg.tz))
            queue(ledger, cfg.notify, "", [for_admin(
                "Program Buku Agenda gagal berjalan",
                f"Siklus program gagal sejak {local}.\nKesalahan terakhir: {error}\n"
                f"Server: {platform.node()}. Jalankan 'python main.py check' di server.",
                f"gagal-siklus:{since.isoformat()}")], "", now)


def outage(ledger: Ledger, cfg: Config, now: datetime, notes: list[str]) -> None:
    """SPEC rule 8: what could not be read this cycle (Indonesian notes; none: all well).

    An outage shows in `Status Program` and reaches the administrator once per episode; the
    episode ends with the first cycle that reads everything it needs."""
    since = ledger.meta.outage_since
    if not notes:
        if since:
            log.info("media and documents can be read again (unreachable since %s)",
                     since.isoformat())
            with ledger.transaction():
                ledger.meta.outage_since = None
                ledger.meta.outage = None
        return
    text = "\n".join(dict.fromkeys(notes))
    with ledger.transaction():
        if since is None:
            since = now
            ledger.meta.outage_since = since
            queue(ledger, cfg.notify, "", [for_admin(
                "Sumber media/naskah tidak dapat dibaca",
                f"{text}\nBaris yang memerlukannya dibiarkan apa adanya (status, catatan, "
                "paraf) dan dicoba lagi setiap siklus. Server: "
                f"{platform.node()}. Jalankan 'check' di server.",
                f"gangguan:{since.isoformat()}")], "", now)
        ledger.meta.outage = text


def pages_refused(ledger: Ledger, cfg: Config, now: datetime, why: str) -> None:
    """Google refused a page for the Drive folder for good (a misconfiguration): recorded,
    and the administrator told once, when that starts (the first page uploaded ends it)."""
    first = ledger.meta.pages_refused_at is None
    ledger.meta.pages_refused_at = now
    if first:
        queue(ledger, cfg.notify, "", [for_admin(
            "Pratinjau tidak dapat diunggah ke Google Drive",
            "Google Drive menolak menyimpan Pratinjau dan Lembar Arsip di folder "
            f"preview.drive_folder_id ({why}).\nBerkasnya tetap dibuat di server dan tetap "
            "dikirim bersama pemberitahuan; tautan di kolom Pratinjau menyusul setelah folder "
            f"diperbaiki. Server: {platform.node()}. Jalankan 'check' di server.",
            f"pratinjau-ditolak:{now.isoformat()}")], "", now)


def pages_uploaded(ledger: Ledger) -> None:
    """A page reached the Drive folder: a refusal episode, if any, is over."""
    ledger.meta.pages_refused_at = None


def stale(ledger: Ledger, cfg: Config, now: datetime) -> str | None:
    """Why the running service looks stopped or failing, for `check` (None: fine)."""
    last = ledger.meta.last_success
    error, error_at = ledger.meta.last_error, ledger.meta.last_error_at
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
    shown = ledger.meta.heartbeat_at
    return shown is None or now - shown >= timedelta(minutes=cfg.notify.heartbeat_minutes) \
        or ledger.meta.heartbeat_error != ledger.meta.last_error_at \
        or outage_unshown(ledger)


def outage_unshown(ledger: Ledger) -> bool:
    """An outage began or ended since `Status Program` was last written: people who look
    there must see it, also when only `once` runs."""
    return ledger.meta.heartbeat_outage != ledger.meta.outage_since


def status_rows(ledger: Ledger, cfg: Config, now: datetime) -> list[list[Any]]:
    """The `Status Program` worksheet: what people can check without the server (times
    aware: the store shows them in the office's zone)."""
    meta = ledger.meta
    stale_after = cfg.notify.heartbeat_minutes + 5      # as `check` judges it
    return [
        ["Status Program Buku Agenda", ""],
        ["Siklus terakhir berhasil", meta.last_success or "-"],
        ["Kesalahan terakhir", meta.last_error or "-"],
        ["Waktu kesalahan terakhir", meta.last_error_at or "-"],
        ["Pemberitahuan belum terkirim", ledger.notices_waiting()],
        ["Gangguan sumber media/naskah", meta.outage or "-"],
        ["Gangguan sejak", meta.outage_since or "-"],
        ["Pratinjau ditolak Google Drive", meta.pages_refused_at or "-"],
        ["Server", platform.node()],
        ["Lembar ini diperbarui", now],
        ["Catatan", f"Lembar ini diperbarui program tiap {cfg.notify.heartbeat_minutes} menit. "
                    f"Bila 'Lembar ini diperbarui' lebih dari {stale_after} menit yang lalu, "
                    "program berhenti: hubungi administrator."],
    ]


def mark_heartbeat(ledger: Ledger, now: datetime) -> None:
    meta = ledger.meta
    meta.heartbeat_at = now
    meta.heartbeat_error = meta.last_error_at
    meta.heartbeat_outage = meta.outage_since


def liveness(ledger: Ledger | None, cfg: Config, now: datetime, holder: str | None,
             start: str) -> list[tuple[bool, str, str]]:
    """`check`'s last lines, (ok, item, text): the heartbeat, whether a `run` is active now,
    and whether the last cycle could read every source (SPEC rule 8). `ledger` is None when there is none yet; `holder` says who holds the state
    folder's lock (None: nobody); `start` is the command that starts a run, as printed."""
    if ledger is None:
        return [(True, "Heartbeat", "no cycle has run yet (no ledger in "
                                    f"{cfg.state_dir})"),
                (True, "Service", f"no `run` is active; none has run here yet. Start the "
                                  f"service (docs/deployment.md), or try it with {start}")]
    last = ledger.meta.last_success
    problem = stale(ledger, cfg, now)
    if problem:
        beat = (False, "Heartbeat", problem)
    elif last is None:
        beat = (True, "Heartbeat", "no cycle has succeeded yet")
    else:
        minutes = int(max(0.0, (now - last).total_seconds()) // 60)
        beat = (True, "Heartbeat", f"last successful cycle "
                                   f"{format_datetime(last.astimezone(cfg.tz))} ({minutes} "
                                   "minutes ago)")
    if holder is not None:
        service = (True, "Service", f"a `run` is active: {holder}")
    elif last is not None and problem:
        service = (False, "Service", "no `run` is active now, so nothing is published: start "
                                     f"the service (docs/deployment.md), or run {start}")
    else:
        service = (True, "Service", "no `run` is active now" + (
            " (the last cycle is recent: a `once`, or a run stopped since)" if last is not None else
            f"; start the service (docs/deployment.md), or try it with {start}"))
    since = ledger.meta.outage_since
    sources = (True, "Sources", "every media file and document the last cycle needed could be "
                                "read") if since is None else (
        False, "Sources", f"out of reach since {format_datetime(since.astimezone(cfg.tz))}; "
                          f"the rows that need them wait untouched: {ledger.meta.outage}")
    return [beat, service, sources]
