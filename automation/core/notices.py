"""Who is told what, and when (pure): the SOP's people learn that a step waits for them.

A notice has a key; with the row's ID and the recipient it is queued once in the ledger, so
it is sent once, whatever restarts happen. Texts are for people: Bahasa Indonesia, with the
title, `No. Agenda`, the step and where to look.

A notice may carry a page (SPEC section 9): the one asking an official for paraf the
Pratinjau of the content version he is asked about, the one at publication (and the Kasi's
filing reminder) the Lembar Arsip of the published version. It names the page, (kind,
fingerprint); the page itself is looked up when the notice is sent, and a notice never waits
for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from automation.core import schema as S
from automation.core.calendar import DAYS, format_datetime
from automation.core.entry import Entry, Rules
from automation.core.workflow import (
    STEP_DATA, STEP_FILING, Decision, EventName, Memory, Waiting, awaited, overdue,
)

REMINDER = "pengingat:"
# A wait overdue for longer than this is not reminded of any more (a long weekend is
# covered): switching notifications on must not send one message per old row.
REMIND_WITHIN = timedelta(days=4)

# Roles besides the approval columns' officials (`role_of`).
KASI, PETUGAS, ADMIN = "kasi", "petugas", "admin"
TITLES = {"kadis": "Kepala Dinas", "kabid": "Kepala Bidang", KASI: "Kepala Seksi",
          PETUGAS: "Petugas Penerima", ADMIN: "Administrator"}


def role_of(approval_column: str) -> str:
    """`Paraf Kadis` -> `kadis`: the [notify.recipients] key of that column's official."""
    words = approval_column.split()
    return (words[-1] if len(words) > 1 and words[0].casefold() == "paraf"
            else approval_column).casefold()


@dataclass(frozen=True)
class OfficeHours:
    start: tuple[int, int] = (8, 0)
    end: tuple[int, int] = (16, 0)
    days: tuple[str, ...] = DAYS[:5]

    def open_at(self, now: datetime) -> bool:
        return (DAYS[now.weekday()] in self.days
                and self.start <= (now.hour, now.minute) < self.end)


@dataclass(frozen=True)
class Notice:
    key: str                             # unique per row: the notice is queued once
    roles: tuple[str, ...]
    subject: str
    text: str
    # The page it carries: (S.PRATINJAU or S.ARSIP, the content fingerprint it shows); "" when
    # no version is known (then the entry's newest page of that kind). None: it carries
    # nothing.
    attachment: tuple[str, str] | None = None

    @property
    def reference(self) -> str | None:
        """What the ledger keeps of `attachment`: "pratinjau:<fingerprint>"."""
        return f"{self.attachment[0]}:{self.attachment[1]}" if self.attachment else None


def parse_reference(reference: str) -> tuple[str, str]:
    """"pratinjau:<fingerprint>" -> (kind, fingerprint); the inverse of `Notice.reference`."""
    kind, _, fingerprint = reference.partition(":")
    return kind, fingerprint


def _step_role(step: str) -> str:
    if step == STEP_DATA:
        return PETUGAS
    if step == STEP_FILING:
        return KASI
    return role_of(step)


def for_row(entry: Entry, decision: Decision, now: datetime, rules: Rules, hours: OfficeHours,
            sheet_link: str, fingerprint: str = "") -> list[Notice]:
    """The notices one decision about a row gives rise to (`now` in the office time zone).

    Each is given once: a wait is announced in the cycle it begins, and reminded of once
    (`Memory.reminded`, see `after_notices`), so unchanged rows cost nothing.

    `fingerprint`: the row's content version now, which a paraf asked for binds; without it,
    the version the ticks given so far bind (rule 2: all ticks of a waiting row bind the
    current content), else "" (the entry's newest Pratinjau)."""
    mem = decision.memory
    asked = (S.PRATINJAU, fingerprint or next(iter(mem.approvals.values()), ""))
    published = (S.ARSIP, mem.post.fingerprint) if mem.post else None
    title = entry.title or "(tanpa judul)"
    head = f"Judul: {title}\nNo. Agenda: {mem.agenda_number or '-'}"
    look = f"\nBuka Buku Agenda: {sheet_link}" if sheet_link else "\nSilakan buka Buku Agenda."
    notices: list[Notice] = []
    step = mem.waiting_step.rsplit("#", 1)[0]

    # A paraf is awaited: its official is told once per approval round, when the wait begins.
    if decision.action is None and step in rules.approval_columns \
            and decision.status == Waiting(step) and mem.waiting_since == now:
        notices.append(Notice(
            f"menunggu:{mem.waiting_step}", (role_of(step),), f"Menunggu {step}: {title}",
            f"Berita menunggu {step} Anda (standar {rules.step_minutes} menit).\n{head}{look}",
            asked))

    for event in decision.events:
        post = mem.post.url if mem.post else "-"
        if event.name in (EventName.LIVE, EventName.UPDATED):
            what = "tayang" if event.name == EventName.LIVE else "diperbarui"
            notices.append(Notice(
                event.key, (PETUGAS, KASI), f"Berita {what}: {title}",
                f"Berita {what} di website.\n{head}\nTautan: {post}\n"
                f"Nomor Arsip: {mem.archive_number}\nLokasi Arsip: {mem.archive_location}\n"
                "Kasi: mohon simpan naskah fisik di lokasi itu dan centang 'Arsip Fisik'."
                + look, published))
        elif event.name in (EventName.REJECTED, EventName.WITHDRAWN):
            what = "ditolak" if event.name == EventName.REJECTED else "ditarik dari website"
            note = entry.text(S.LEADER_NOTE)
            notices.append(Notice(
                event.key, (PETUGAS,) + ((KASI,) if event.name == EventName.WITHDRAWN else ()),
                f"Berita {what}: {title}",
                f"Berita {what}.\n{head}" + (f"\nCatatan Pimpinan: {note}" if note else "")
                + look))
        elif event.name == EventName.FAILED:
            notices.append(Notice(
                event.key, (ADMIN,), f"Gagal tayang: {title}",
                f"Berita sudah disetujui tetapi gagal ditayangkan.\n{head}\n"
                f"Sebab: {event.detail}\nPeriksa log program di server." + look))

    # One reminder per wait that outlasts the standard, sent in office hours only.
    if step and mem.reminded != mem.waiting_step and overdue(mem, now, rules) \
            and hours.open_at(now) and now - mem.waiting_since < REMIND_WITHIN:
        since = format_datetime(mem.waiting_since.astimezone(now.tzinfo))
        page = (asked if step in rules.approval_columns
                else published if step == STEP_FILING else None)
        notices.append(Notice(
            f"{REMINDER}{mem.waiting_step}", (_step_role(step),), f"Pengingat: {title}",
            f"Pengingat: berita menunggu {awaited(step)} sejak {since}, melewati standar "
            f"{rules.step_minutes} menit.\n{head}{look}", page))
    return notices


def recheck_at(memory: Memory, now: datetime, rules: Rules, notifying: bool) -> datetime | None:
    """From when time alone may change what `decide` and `for_row` give for a row whose cells
    and memory stay as they are: its wait passing the standard (the note changes), then the
    reminder it is owed (sent in office hours). None: never."""
    if memory.waiting_since is None:
        return None
    due = memory.waiting_since + timedelta(minutes=rules.step_minutes, seconds=1)
    if now < due:
        return due
    if notifying and memory.reminded != memory.waiting_step \
            and now - memory.waiting_since < REMIND_WITHIN:
        return now                          # owed a reminder: look at it every cycle
    return None


def after_notices(memory: Memory, notices: list[Notice]) -> Memory:
    """The memory once `notices` are queued: a wait is reminded of only once."""
    if any(n.key.startswith(REMINDER) for n in notices):
        return replace(memory, reminded=memory.waiting_step)
    return memory


def for_admin(subject: str, text: str, key: str) -> Notice:
    """A notice about the program itself (not a row), for the administrator."""
    return Notice(key, (ADMIN,), subject, text)
