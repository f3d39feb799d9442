"""Whether the approval columns are protected as SPEC rule 7 requires (pure).

Each approval column must be covered, from its first data row to the sheet's last row, by a
protection that is not a mere warning and whose editors are the configured officials and the
service account (the spreadsheet's owner can always edit, so Google may list the owner too).
If not, nothing is published and every waiting row gets the Indonesian note returned here.

Protections come in as Google's `protectedRanges` (`Protection.from_google`). Google's JSON
leaves out every field holding its default (proto3): a range on column A has no
`startColumnIndex`, a range on the first worksheet no `sheetId`, a whole-sheet protection
`"range": {}`, a protection without holes no `unprotectedRanges`. A missing start is 0, a
missing end unbounded, a missing list empty, a missing flag false. `editors` is missing
altogether when the caller (the service account) is not one of the editors: Google hides them.

The spreadsheet's owner is known only through a Drive request; `judge_protections` needs it
only when every firm protection of a column lists someone besides the allowed editors, and says
so (`Verdict.needs_owner`): the caller then looks the owner up and judges again with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from automation.core import schema as S

FIX = "Administrator perlu menjalankan `init` atau memperbaiki perlindungan kolom."


@dataclass(frozen=True)
class Span:
    """A GridRange: rows and columns as half-open [start, end) indexes from 0; an end of None
    is unbounded (to the sheet's edge)."""
    sheet_id: int = 0
    start_row: int = 0
    end_row: int | None = None
    start_column: int = 0
    end_column: int | None = None

    @classmethod
    def from_google(cls, g: Mapping[str, Any] | None) -> Span:
        g = g or {}
        return cls(sheet_id=g.get("sheetId") or 0, start_row=g.get("startRowIndex") or 0,
                   end_row=g.get("endRowIndex"), start_column=g.get("startColumnIndex") or 0,
                   end_column=g.get("endColumnIndex"))

    def has_column(self, col: int) -> bool:
        return self.start_column <= col and (self.end_column is None or col < self.end_column)


@dataclass(frozen=True)
class Editors:
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    domain_users_can_edit: bool = False

    @classmethod
    def from_google(cls, e: Mapping[str, Any] | None) -> Editors:
        e = e or {}
        return cls(users=tuple(e.get("users") or ()), groups=tuple(e.get("groups") or ()),
                   domain_users_can_edit=bool(e.get("domainUsersCanEdit")))

    def beyond(self, allowed: set[str]) -> list[str]:
        """Who else may edit, as the note names them: users (lower case, sorted), groups,
        then everyone in the domain."""
        extra = sorted({u.lower() for u in self.users} - allowed)
        extra += [f"grup {g}" for g in self.groups]
        if self.domain_users_can_edit:
            extra.append("semua pengguna domain")
        return extra


@dataclass(frozen=True)
class Protection:
    range: Span = field(default_factory=Span)
    unprotected: tuple[Span, ...] = ()
    warning_only: bool = False
    editors: Editors | None = None      # None: not shown (the service account is no editor)

    @classmethod
    def from_google(cls, p: Mapping[str, Any]) -> Protection:
        """One entry of a sheet's `protectedRanges`, defaults filled in as Google means them."""
        return cls(range=Span.from_google(p.get("range")),
                   unprotected=tuple(Span.from_google(u)
                                     for u in p.get("unprotectedRanges") or ()),
                   warning_only=bool(p.get("warningOnly")),
                   editors=Editors.from_google(p.get("editors")) if "editors" in p else None)

    def covers(self, sheet_id: int, col: int, grid_rows: int | None) -> bool:
        """The whole column `col` of the worksheet `sheet_id` below the header: the range
        starts at row 1 or 2 and reaches the grid's last row (an unbounded end does; a bounded
        one only when the grid's size is known), and no hole lies in the column."""
        g = self.range
        if g.sheet_id != sheet_id or not g.has_column(col):
            return False
        if g.start_row > 1 or (g.end_row is not None
                               and (grid_rows is None or g.end_row < grid_rows)):
            return False
        return not any(u.has_column(col) for u in self.unprotected)


@dataclass(frozen=True)
class Verdict:
    """`notes`: one Indonesian note per approval column that is not protected as configured
    (none: trusted). `needs_owner`: no owner was given and knowing it could change the notes
    (the owner is among the extra editors that each firm protection of a column names)."""
    notes: tuple[str, ...] = ()
    needs_owner: bool = False

    @property
    def note(self) -> str:
        return " ".join(self.notes)

    @property
    def trusted(self) -> bool:
        return not self.notes


def judge_protections(protections: Sequence[Protection], *, sheet_id: int,
                      grid_rows: int | None, layout: Mapping[str, int],
                      approval_columns: Sequence[str], editors: Mapping[str, Sequence[str]],
                      service_account: str, owner: str | None = None) -> Verdict:
    """The verdict of SPEC rule 7 on the agenda worksheet `sheet_id` (`grid_rows` rows, None
    when unknown) whose header `layout` maps normalised headers to column indexes; `editors`
    maps an approval column to its officials' accounts. Without `owner`, the owner is taken as
    unknown (as when Drive cannot say) and `needs_owner` tells whether to look it up."""
    notes: list[str] = []
    needs_owner = False
    for header in approval_columns:
        note, asks = _column_problem(protections, header, layout.get(S.normalise_header(header)),
                                     sheet_id=sheet_id, grid_rows=grid_rows,
                                     allowed={e.lower() for e in editors.get(header, ())}
                                     | {service_account.lower()},
                                     service_account=service_account, owner=owner)
        needs_owner |= asks
        if note:
            notes.append(note)
    return Verdict(tuple(notes), needs_owner)


def unreadable_note(reason: str) -> str:
    """The note when the protections cannot be read (`reason`: the failure, in Indonesian)."""
    return ("Perlindungan kolom paraf tidak dapat diperiksa "
            f"({reason}); berita belum ditayangkan. Dicoba lagi pada siklus berikutnya.")


def _column_problem(protections: Sequence[Protection], header: str, col: int | None, *,
                    sheet_id: int, grid_rows: int | None, allowed: set[str],
                    service_account: str, owner: str | None) -> tuple[str, bool]:
    """The note for one approval column ("" if protected as configured), and whether the
    owner, not given, was needed."""
    if col is None:
        return (f"Kolom '{header}' tidak ditemukan sehingga perlindungannya tidak dapat "
                f"diperiksa; berita belum ditayangkan. {FIX}"), False
    covering = [p for p in protections if p.covers(sheet_id, col, grid_rows)]
    firm = [p for p in covering if not p.warning_only]
    if not firm:
        if covering:
            return (f"Perlindungan kolom '{header}' hanya berupa peringatan, sehingga siapa "
                    f"pun dapat mencentangnya; berita belum ditayangkan. {FIX}"), False
        return (f"Kolom '{header}' tidak dilindungi, sehingga siapa pun yang dapat menyunting "
                f"Buku Agenda dapat mencentangnya; berita belum ditayangkan. {FIX}"), False
    shown = [p.editors for p in firm if p.editors is not None]
    if not shown:
        return (f"Akun layanan {service_account} bukan editor perlindungan kolom '{header}', "
                "sehingga tidak dapat memastikan siapa yang boleh mencentang; berita belum "
                "ditayangkan. Administrator perlu menambahkan akun layanan itu sebagai editor "
                "perlindungan kolom tersebut atau menjalankan `init`."), False
    extras = [e.beyond(allowed) for e in shown]
    if not all(extras):
        return "", False
    if owner:
        extras = [[e for e in x if e != owner.lower()] for x in extras]
        if not all(extras):
            return "", False
    fewest = min(extras, key=len)
    return (f"Kolom '{header}' dapat diubah oleh orang selain pejabat yang ditetapkan "
            f"({', '.join(fewest)}); berita belum ditayangkan. {FIX}"), owner is None
