"""Delivering the queued notices (the ledger's outbox) through the configured channels.

Publishing never waits for this: it runs after the cycle's write-back. A notice is marked
sent right after its channel accepted it, so a restart sends what was not yet sent; only a
process killed between the channel's answer and that mark can send one message twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Mapping, Sequence

from automation.config import Config, NotifyConfig
from automation.core.notices import PETUGAS, Notice
from automation.ledger import Ledger, NoticeToQueue
from automation.notify.channels import Channel

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def sheet_link(cfg: Config) -> str:
    """Where people open the agenda: the configured link, else the Google Sheet's address."""
    if cfg.notify.sheet_url:
        return cfg.notify.sheet_url
    if cfg.agenda.backend == "google":
        return f"https://docs.google.com/spreadsheets/d/{cfg.agenda.spreadsheet_id}/edit"
    return ""


def addresses(notify: NotifyConfig, roles: Sequence[str], receiver: str = "") -> list[str]:
    """The configured addresses of `roles`; the petugas by name (`Petugas Penerima`) too."""
    found: list[str] = []
    named = {name.casefold(): a for name, a in notify.petugas.items()}
    for role in roles:
        if role == PETUGAS:
            found += named.get(receiver.strip().casefold(), ())
        found += notify.recipients.get(role, ())
    return list(dict.fromkeys(found))


def queue(ledger: Ledger, notify: NotifyConfig, entry_id: str, notices: Sequence[Notice],
          receiver: str, at: datetime) -> None:
    """Queue each notice once per recipient (also used inside a larger transaction)."""
    ledger.queue_notices(entry_id, [NoticeToQueue(n.key, a, n.subject, n.text) for n in notices
                                    for a in addresses(notify, n.roles, receiver)], at)


def deliver(ledger: Ledger, channels: Mapping[str, Channel], now: datetime,
            stop: Callable[[], bool] = lambda: False) -> int:
    """Send what is due; returns how many went out. A channel that fails is left alone until
    the next round, so one unreachable service costs at most one timeout per round."""
    sent = 0
    broken: set[str] = set()
    for notice in ledger.due_notices(now):
        if stop():
            break
        kind, _, target = notice.address.partition(":")
        channel = channels.get(kind)
        if channel is None or kind in broken:
            continue                      # misconfigured (reported by `check`) or down now
        ledger.notice_attempt(notice.rowid)
        try:
            channel.send(target, notice.subject, notice.text)
        except Exception as err:  # a channel's failure, even a bug, never ends the cycle
            retry = getattr(err, "retry", True)
            asked = getattr(err, "retry_after", None)      # the service said when
            wait = timedelta(seconds=asked) if asked else min(
                MAX_BACKOFF, timedelta(minutes=2 ** min(notice.attempts, 6)))
            ledger.notice_failed(notice.rowid, str(err), now + wait if retry else None)
            log.warning("notice to %s failed (%s): %s", kind, "retried later" if retry
                        else "given up", err)
            if retry:
                broken.add(kind)
            continue
        ledger.notice_sent(notice.rowid, now)
        sent += 1
    if sent:
        log.info("notifications: %d sent, %d waiting", sent, ledger.notices_waiting())
    return sent
