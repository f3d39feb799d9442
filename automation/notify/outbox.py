"""Delivering the queued notices (the ledger's outbox) through the configured channels.

Publishing never waits for this: it runs after the cycle's write-back. A notice is marked
sent right after its channel accepted it, so a restart sends what was not yet sent; only a
process killed between the channel's answer and that mark can send one message twice.

A notice that carries a page (a Pratinjau, a Lembar Arsip: "pratinjau:<fingerprint>" in the
ledger) has it looked up when it is sent (`attachments`, an `AttachmentResolver`). A page that
is not there (not made yet, failed, its file gone) or whose lookup fails never holds a notice
back: the notice goes at once without it and says so.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Mapping, Sequence

from automation.config import Config, NotifyConfig
from automation.core.notices import PETUGAS, Notice, parse_reference
from automation.core.schema import ARSIP, PRATINJAU
from automation.ledger import DueNotice, Ledger, NoticeToQueue
from automation.notify.channels import Attachment, Channel, unattached
from automation.pratinjau.pages import is_web_link

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)

# (entry ID, reference "pratinjau:<fingerprint>") -> the file, or None when there is none now.
AttachmentResolver = Callable[[str, str], Attachment | None]
# What people call each page, in the line a notice says when it goes without it.
PAGE_NAMES = {PRATINJAU: "Pratinjau", ARSIP: "Lembar Arsip"}


def no_attachments(entry_id: str, reference: str) -> Attachment | None:
    """The resolver that finds nothing: every page a notice carries goes unattached."""
    return None


def recorded_pages(ledger: Ledger) -> AttachmentResolver:
    """The pages the ledger records as made (the `previews` table): the one of the content
    version referred to, or, when the reference names none, the entry's newest of its kind.
    A recorded page whose file is gone still gives its link (the channel then sends that),
    when it is a web address: the .xlsx backend's link is relative to the agenda's folder,
    which means nothing in a chat."""
    def resolve(entry_id: str, reference: str) -> Attachment | None:
        kind, fingerprint = parse_reference(reference)
        made = ledger.page_for(entry_id, kind, fingerprint)
        if made is None:
            return None
        path, link = Path(made.path), made.link
        return Attachment(path, path.name, link if is_web_link(link) else "")
    return resolve


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
    ledger.queue_notices(entry_id, [NoticeToQueue(n.key, a, n.subject, n.text, n.reference)
                                    for n in notices
                                    for a in addresses(notify, n.roles, receiver)], at)


def deliver(ledger: Ledger, channels: Mapping[str, Channel], now: datetime,
            stop: Callable[[], bool] = lambda: False,
            attachments: AttachmentResolver | None = no_attachments) -> int:
    """Send what is due; returns how many went out. A channel that fails is left alone until
    the next round, so one unreachable service costs at most one timeout per round.

    `attachments` finds the page a notice carries; None when no pages are made here
    (`preview.enabled` off): notices go as they were queued, without a word about pages."""
    sent = 0
    broken: set[str] = set()
    found: dict[tuple[str, str], Attachment | None] = {}    # looked up once per round
    for notice in ledger.due_notices(now):
        if stop():
            break
        kind, _, target = notice.address.partition(":")
        channel = channels.get(kind)
        if channel is None or kind in broken:
            continue                      # misconfigured (reported by `check`) or down now
        attachment, text = None, notice.text
        if notice.attachment and attachments is not None:
            attachment, text = _carried(notice, attachments, found)
        ledger.notice_attempt(notice.rowid)
        try:
            if attachment is None:
                channel.send(target, notice.subject, text)
            else:
                channel.send(target, notice.subject, text, attachment)
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


def _carried(notice: DueNotice, resolve: AttachmentResolver,
             found: dict[tuple[str, str], Attachment | None]) -> tuple[Attachment | None, str]:
    """The file a notice carries and its text; without the file, the text says so."""
    kind, _ = parse_reference(notice.attachment or "")
    what = PAGE_NAMES.get(kind, "Lampiran")
    key = (notice.entry_id, notice.attachment or "")
    if key not in found:
        try:
            found[key] = resolve(*key)
        except Exception as err:  # a lookup's failure, even a bug, never holds a notice back
            log.warning("the %s of entry %s could not be looked up (%s: %s); its notices go "
                        "without it", what, notice.entry_id, type(err).__name__, err)
            found[key] = None
        else:
            if found[key] is None:
                log.info("the %s of entry %s is not there (yet); its notices go without it",
                         what, notice.entry_id)
    attachment = found[key]
    if attachment is None:
        return None, f"{notice.text}\n{unattached(what)}"
    return replace(attachment, what=what), notice.text
