"""Every change of a row's remembered state that `decide` does not make itself.

`decide` (workflow.py) turns a row and its memory into what the sheet should show and what to
do. Everything else that changes a memory is here: a row seen for the first time, a memory
rebuilt after a lost ledger, the numbers given to it, and the outcome of each outside effect
the shell performed (a post made, updated, withdrawn, or a failure). The shell performs the
effects and journals them; it never builds or edits a `Memory` itself. Pure: what the shell
learnt comes in as arguments, time too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Sequence

from automation.core import schema as S
from automation.core.entry import Entry
from automation.core.numbering import Numbering, archive_place
from automation.core.workflow import (
    Action, Event, Memory, PostRef, Status, first_event_key, read_status, waiting_step,
)


# -- first sight ------------------------------------------------------------------------------

def first_sight(entry: Entry) -> Memory:
    """A row the ledger does not know and that shows nothing the program wrote: new, or a
    copy of another row (its copied ticks count for nothing)."""
    if entry.copied_from is None:
        return Memory()
    return Memory(origin_note=(
        f"Baris ini salinan baris {entry.copied_from} (ID Sistem sama); diberi ID Sistem baru "
        "dan diperlakukan sebagai berita baru. Paraf yang ikut tersalin tidak berlaku."))


def known_before(entry: Entry) -> bool:
    """Whether a row the ledger does not know shows what the program wrote (a lost ledger)."""
    return (entry.copied_from is None and bool(entry.entry_id)
            and any(entry.text(h) for h in S.PROGRAM_HEADERS if h != S.ENTRY_ID))


def recovered(entry: Entry, post: PostRef | None, history: Sequence[Event],
              now: datetime) -> Memory:
    """What the ledger lost, rebuilt from the sheet, the website (`post`: what it found) and
    the row's `Riwayat` lines (`history`: the events read back from them).

    A withdrawn post the website keeps no record of is known from the address the sheet shows.
    The wait the sheet shows went on before the ledger was lost: it is neither announced nor
    reminded of again (a lost state folder must not send a message per row).
    """
    def time(value: Any) -> datetime | None:
        return value if isinstance(value, datetime) else None

    url = entry.text(S.WEBSITE_URL)
    if post is None and entry.text(S.STATUS) == Status.WITHDRAWN and url:
        slug = url.rstrip("/").rsplit("/", 1)[-1]
        post = PostRef(entry.entry_id, slug, url, slug, "", live=False)
    memory = Memory(agenda_number=entry.agenda_number, first_seen=entry.received)
    if post is not None:
        published = time(entry.cells.get(S.PUBLISHED_AT)) or now
        memory = replace(memory, slug=post.slug, post=post, version=1,
                         first_published_at=published, published_at=published,
                         archive_number=entry.text(S.ARCHIVE_NUMBER),
                         archive_location=entry.text(S.ARCHIVE_LOCATION),
                         archived_at=time(entry.cells.get(S.ARCHIVED_AT)))
    if history:
        # Events the sheet already shows are not written again.
        memory = replace(memory, events=frozenset(first_event_key(h.name) for h in history))
    step = waiting_step(read_status(entry.text(S.STATUS)), entry.ticked(S.PAPER_FILED), False)
    if step:
        since = max((h.at for h in history if isinstance(h.at, datetime)),
                    default=None) or memory.first_seen or now - timedelta(days=1)
        memory = replace(memory, waiting_step=f"{step}#1", waiting_since=since,
                         reminded=f"{step}#1")
    return memory


# -- numbers ----------------------------------------------------------------------------------

def wants_agenda_number(entry: Entry, memory: Memory) -> bool:
    """`No. Agenda` is given when a row is first seen with a title."""
    return not memory.agenda_number and bool(entry.title)


def with_agenda_number(memory: Memory, nomor: int, year: int, numbering: Numbering) -> Memory:
    return replace(memory, agenda_number=numbering.agenda_format.format(nomor=nomor, tahun=year))


def wants_archive_number(memory: Memory) -> bool:
    """`Nomor Arsip` is given at the first publication and never changed (SPEC section 4)."""
    return memory.post is not None and not memory.archive_number


def archive_year_month(memory: Memory, now: datetime) -> tuple[int, int]:
    """The year and month the archive number counts in: those of the first publication."""
    when = (memory.first_published_at or now).astimezone(now.tzinfo)
    return when.year, when.month


def with_archive_number(memory: Memory, nomor: int, numbering: Numbering,
                        now: datetime) -> Memory:
    number, location = archive_place(numbering, nomor, *archive_year_month(memory, now))
    return replace(memory, archive_number=number, archive_location=location)


# -- the outcomes of outside effects --------------------------------------------------------------

def with_slug(memory: Memory, slug: str) -> Memory:
    """The post's address, chosen once and saved before any call, so a retry looks for the
    same post."""
    return memory if memory.slug else replace(memory, slug=slug)


def acted(memory: Memory, action: Action, post: PostRef, now: datetime) -> Memory:
    """The website did what `action` asked; `post` is what it says it holds now."""
    if action is Action.WITHDRAW:
        return replace(memory, post=post, withdrawals=memory.withdrawals + 1, publish_error="")
    changed = memory.post is None or memory.post.fingerprint != post.fingerprint
    return replace(memory, post=post, publish_error="", refused="", refusal="",
                   first_published_at=memory.first_published_at or now, published_at=now,
                   version=memory.version + (1 if changed else 0))


def act_failed(memory: Memory, action: Action, note: str) -> Memory:
    """The website refused or could not be reached: `Gagal Tayang`, retried next cycle."""
    verb = "menarik" if action is Action.WITHDRAW else "menayangkan"
    return replace(memory, publish_error=(
        f"Gagal {verb} berita: {note} Program mencoba lagi pada siklus berikutnya."))


def act_refused(memory: Memory, action: Action, note: str, attempt: str) -> Memory:
    """The website refused a file of the post as too large, or it was over the upload limit
    and not sent (`note` names it and the fix): `Gagal Tayang`, and not retried while the
    same `attempt` (`workflow.attempt_key`: the content under the limit in force) would be
    sent again, since it would be refused again: a large upload every cycle for nothing."""
    verb = "memperbarui" if action is Action.UPDATE else "menayangkan"
    return replace(memory, publish_error="", refused=attempt, refusal=(
        f"Gagal {verb} berita: {note} Program tidak mengirimnya lagi sampai berkasnya diganti "
        "lalu diparaf ulang, atau batas unggah diubah administrator."))


def ticks_cleared(memory: Memory) -> Memory:
    """The FALSE ticks asked for are in the sheet now: a tick seen from here on is a new one."""
    return replace(memory, clearing=())
