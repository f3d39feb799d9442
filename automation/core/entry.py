"""Reading the Buku Agenda: headers by name, rows into `Entry`, and what is wrong with them."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Mapping, Sequence

from automation.core import schema as S
from automation.core.numbering import Numbering
from automation.core.ticks import Tick, read_tick


class HeaderError(Exception):
    """The header row is not usable; the message names the header and the fix (Indonesian)."""


@dataclass(frozen=True)
class Rules:
    """The parts of the configuration the core needs."""

    approval_columns: tuple[str, ...]
    news_types: tuple[str, ...]
    tick_words: tuple[str, ...]
    step_minutes: int = 7               # the SOP's standard time per step
    cell_limit: int = 32_767            # the longest text the agenda's cells hold (SPEC rule 9)
    numbering: Numbering = Numbering()
    # `website.max_upload_mb`: a file the website refused as too large is tried again only
    # under another limit (or as other content), see `workflow.attempt_key`.
    max_upload_mb: int = 64

    @property
    def tick_columns(self) -> tuple[str, ...]:
        return S.tick_headers(self.approval_columns)

    @property
    def columns(self) -> tuple[S.Column, ...]:
        return S.agenda_columns(self.approval_columns)


@dataclass(frozen=True)
class Layout:
    """Where each known header sits in the sheet (0-based column index)."""

    index: Mapping[str, int]
    width: int

    def position(self, header: str) -> int:
        """Where `header`'s value sits in a `Row`'s values (they follow `index`)."""
        return list(self.index).index(header)


def locate_headers(header_row: Sequence[Any], rules: Rules) -> Layout:
    """Find every known column by header text; refuse missing or duplicated ones."""
    wanted = {S.normalise_header(c.header): c.header for c in rules.columns}
    found: dict[str, list[int]] = {}
    for i, cell in enumerate(header_row):
        name = wanted.get(S.normalise_header(cell))
        if name:
            found.setdefault(name, []).append(i)
    missing = [h for h in wanted.values() if h not in found and h not in S.OPTIONAL_HEADERS]
    doubled = [h for h, places in found.items() if len(places) > 1]
    problems = []
    if missing:
        problems.append("kolom tidak ditemukan di baris 1: " + ", ".join(f"'{h}'" for h in missing)
                        + ". Tambahkan judul kolom itu di baris 1 (ejaan harus sama)")
    if doubled:
        problems.append("judul kolom ganda: " + ", ".join(f"'{h}'" for h in doubled)
                        + ". Ubah atau hapus salah satunya")
    if problems:
        raise HeaderError("; ".join(problems) + ".")
    return Layout({h: places[0] for h, places in found.items()}, len(header_row))


# Control characters no sheet or page can hold (SPEC rule 9). A Word line break (vertical
# tab) and a form feed end a line; every other C0/C1 control character but tab is dropped.
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Invisible characters that people paste along with links (zero-width spaces and joiners,
# word joiner, byte-order mark, soft hyphen): never part of a path or an address.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def printable(text: str) -> str:
    """`text` with line ends made plain and control characters removed."""
    if text.isprintable():              # the common case, kept fast: called for every cell
        return text
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))


def cell_text(value: Any) -> str:
    """A cell as the program reads it: text, trimmed, line ends plain, no control characters."""
    if value.__class__ is str:
        return printable(value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        # A time reads as the sheet shows it: office time, no offset (and as it read when
        # stores gave naive times, so a fingerprint made then still holds).
        value = value.replace(tzinfo=None)
    return printable(str(value)).strip()


# What a formula shows when it fails, in Excel, LibreOffice and Google Sheets.
FORMULA_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!",
                            "#ERROR!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#LOADING",
                            "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def formula_error(text: str) -> str | None:
    """The error a cell shows (`#N/A`), or None."""
    return text if text.upper() in FORMULA_ERRORS else None


@dataclass(frozen=True)
class Entry:
    """One press release as the sheet shows it now."""

    row: int                             # sheet row at read time: for messages only, never a key
    entry_id: str
    cells: Mapping[str, Any]             # header -> raw value, for every known column
    ticks: Mapping[str, Tick]            # every tick column -> what it holds
    copied_from: int | None = None       # set when this row is a copy given a new ID (rule 5)
    notes: tuple[str, ...] = ()          # notes found while reading (duplicates)
    formulas: frozenset[str] = frozenset()   # headers whose cell holds a formula (rule 4)

    def text(self, header: str) -> str:
        return cell_text(self.cells.get(header))

    def digest(self, basis: str = "") -> str:
        """Everything the program reads of the row (and `basis`: what else its decision
        depends on), as one short text: an unchanged digest is an unchanged row."""
        return row_digest(tuple(self.cells.values()), self.formulas, basis, self.notes,
                          self.copied_from)

    @property
    def title(self) -> str:
        return self.text(S.TITLE)

    @property
    def agenda_number(self) -> str:
        return self.text(S.AGENDA_NUMBER)

    @property
    def received(self) -> datetime | None:
        value = self.cells.get(S.RECEIVED)
        return value if isinstance(value, datetime) else None

    def ticked(self, header: str) -> bool:
        return self.ticks[header].ticked


def row_digest(values: tuple[Any, ...], formulas: frozenset[str], basis: str,
               notes: tuple[str, ...] = (), copied_from: int | None = None) -> str:
    """The digest of a row's known cells in the sheet's column order (so a moved column
    changes it too, which only costs one more look), of what else was found reading it, and
    of `basis`."""
    # A store gives every time in the office's zone (which `basis` names): its wall time is
    # all that can differ, and a zone pickled with each time would double the cost.
    plain = tuple([v.replace(tzinfo=None) if v.__class__ is datetime else v for v in values])
    buffer = io.BytesIO()
    # Pickle keeps every value's type; fast mode (no memo) makes equal values give equal
    # bytes whether or not they are one object. A new Python may pickle differently: then
    # each row is looked at once more, nothing else.
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump((plain, tuple(sorted(formulas)), notes, copied_from, basis))
    return hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Row:
    """A sheet row as read, before it is an `Entry`: enough to tell that it is unchanged
    without parsing it (most rows of a large agenda are)."""

    number: int                          # sheet row at read time
    entry_id: str
    values: tuple[Any, ...]              # the known columns' raw values, in `Layout` order
    formulas: frozenset[str] = frozenset()

    def digest(self, basis: str) -> str:
        """`Entry.digest` of the entry this row reads as (a copy's differs: never settled)."""
        return row_digest(self.values, self.formulas, basis)



def sheet_rows(rows: Sequence[Sequence[Any]], layout: Layout, first_row: int = 2,
               formulas: frozenset[tuple[int, int]] = frozenset()) -> list[Row]:
    """Rows below the header, blank ones too. `formulas`: (sheet row, column) of the cells
    holding a formula (`Sheet.formulas`)."""
    by_row: dict[int, frozenset[str]] = {}
    if formulas:
        header_at = {i: h for h, i in layout.index.items()}
        for n, col in formulas:
            if col in header_at:
                by_row[n] = by_row.get(n, frozenset()) | {header_at[col]}
    columns, id_at = tuple(layout.index.values()), layout.position(S.ENTRY_ID)
    out = []
    for n, raw in enumerate(rows, start=first_row):
        width = len(raw)
        values = tuple([raw[i] if i < width else None for i in columns])
        out.append(Row(n, cell_text(values[id_at]), values, by_row.get(n, frozenset())))
    return out


def entries_of(rows: Sequence[Row], layout: Layout, rules: Rules) -> list[Entry]:
    """Rows into entries; rows with nothing a person typed are skipped."""
    people_headers = {c.header for c in rules.columns if c.role is not S.Role.PROGRAM}
    people = [(i, h) for i, h in enumerate(layout.index) if h in people_headers]
    ticks_at = [(h, layout.position(h)) for h in rules.tick_columns]
    entries = []
    for row in rows:
        values, with_formula = row.values, row.formulas
        # A formula filled down a column makes no row: only what people typed does.
        if all(cell_text(values[i]) == "" or values[i] is False or h in with_formula
               for i, h in people):
            continue
        cells = dict(zip(layout.index, values))
        ticks = {h: read_tick(values[i], rules.tick_words) for h, i in ticks_at}
        entries.append(Entry(row.number, row.entry_id, cells, ticks, formulas=with_formula))
    return entries


def read_rows(rows: Sequence[Sequence[Any]], layout: Layout, rules: Rules,
              first_row: int = 2, formulas: frozenset[tuple[int, int]] = frozenset()
              ) -> list[Entry]:
    """Rows below the header into entries (`sheet_rows`, then `entries_of`)."""
    return entries_of(sheet_rows(rows, layout, first_row, formulas), layout, rules)


def separate_copies(entries: list[Entry], known_agenda: Mapping[str, str]) -> list[Entry]:
    """Rule 5: rows sharing an `ID Sistem` are both flagged; the copy is treated as new.

    The original is the row whose `No. Agenda` matches what the ledger remembers for that ID,
    else the first in sheet order. A copy comes back without an ID (the shell gives it one)
    and with `copied_from` set.
    """
    groups: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        if entry.entry_id:
            groups.setdefault(entry.entry_id, []).append(i)
    result = list(entries)
    for entry_id, places in groups.items():
        if len(places) < 2:
            continue
        remembered = known_agenda.get(entry_id, "")
        original = next((i for i in places if remembered and entries[i].agenda_number == remembered),
                        places[0])
        copies = [i for i in places if i != original]
        rows = ", ".join(str(entries[i].row) for i in copies)
        result[original] = replace(entries[original], notes=entries[original].notes + (
            f"ID Sistem baris ini juga ada di baris {rows} (baris tersalin); salinannya diberi "
            "ID Sistem baru.",))
        for i in copies:
            result[i] = replace(entries[i], entry_id="", copied_from=entries[original].row)
    return result


def split_links(text: str) -> tuple[str, ...]:
    """`Tautan Media`: links or paths separated by new lines, commas or spaces.

    A path with spaces can be kept whole by putting it in double quotes.
    """
    seen: dict[str, None] = {}
    text = _INVISIBLE.sub("", text)
    for quoted, plain in re.findall(r'"([^"]*)"|([^\s,]+)', text):
        link = (quoted or plain.strip('"')).strip()
        if link:
            seen.setdefault(link, None)
    return tuple(seen)


DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
# Looks like a document people might link but the program cannot read: a note, not a body.
_OTHER_DOCUMENTS = (".doc", ".odt", ".rtf", ".pages", ".xls", ".xlsx", ".ppt", ".pptx")


def document_reference(naskah: str) -> str | None:
    """`Naskah Berita` holds either the text itself or one link/path to a document."""
    one = _INVISIBLE.sub("", naskah).strip()
    if not one or "\n" in one:
        return None
    if re.match(r"^https?://\S+$", one):
        return one
    quoted = one.startswith('"') and one.endswith('"')
    candidate = one.strip('"')
    if (quoted or " " not in candidate) and candidate.lower().endswith(
            DOCUMENT_SUFFIXES + _OTHER_DOCUMENTS):
        return candidate
    return None


@dataclass(frozen=True)
class Content:
    """What the row's content resolved to: its fingerprint and every problem found."""

    fingerprint: str
    problems: tuple[str, ...] = field(default_factory=tuple)
    # Complete, but media still being made ready for the website (a video converting): the
    # row is not published yet, and these notes say why.
    preparing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.problems


# The staff fields whose text is checked: required ones, and every one a post shows.
_FIELD_HEADERS = tuple(dict.fromkeys(S.REQUIRED_HEADERS + S.CONTENT_HEADERS))


def field_problems(entry: Entry, rules: Rules) -> list[str]:
    """Problems visible in the row itself (no files or links opened)."""
    problems = []
    for header in _FIELD_HEADERS:
        text = entry.text(header)
        error = formula_error(text)
        if error:
            problems.append(f"Kolom '{header}' berisi galat {error} dari rumusnya. Perbaiki "
                            "rumusnya, atau ganti dengan isian biasa.")
        elif not text and header in S.REQUIRED_HEADERS:
            problems.append(f"Kolom '{header}' wajib diisi." if header not in entry.formulas else
                            f"Kolom '{header}' berisi rumus yang hasilnya kosong. Perbaiki "
                            "rumusnya, atau ganti dengan isian biasa.")
    news_type = entry.text(S.NEWS_TYPE)
    if news_type and news_type not in rules.news_types and not formula_error(news_type):
        match = next((t for t in rules.news_types if t.casefold() == news_type.casefold()), None)
        hint = f"Mungkin maksudnya '{match}'." if match else (
            "Pilih salah satu: " + ", ".join(rules.news_types) + ".")
        problems.append(f"Jenis Berita '{news_type}' tidak dikenal. {hint}")
    return problems


def tick_notes(entry: Entry) -> list[str]:
    """Text in a tick column that is not a tick: say so, harmlessly."""
    return [f"Isi kolom '{h}' (\"{t.odd_text}\") bukan centang dan dianggap belum dicentang. "
            "Centang kotaknya atau tulis 'ya'; kosongkan bila belum setuju."
            for h, t in entry.ticks.items() if t.odd_text is not None]


_CONTENT_KEY_HEADERS = sorted(_FIELD_HEADERS)


def content_key(entry: Entry, rules: Rules, source: str = "") -> str:
    """A digest of every text that `field_problems` and `fingerprint` read from the row, and
    of `source`: what else the content's problems depend on (the media's settings)."""
    payload = [[entry.text(h) for h in _CONTENT_KEY_HEADERS], list(rules.news_types), source]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def fingerprint(entry: Entry, document_fingerprint: str, media: Sequence[tuple[str, str]]) -> str:
    """Rule 2: a digest of the content fields and of the documents and media they reference."""
    payload = {
        "fields": {h: entry.text(h) for h in S.CONTENT_HEADERS},
        "document": document_fingerprint,
        "media": [list(m) for m in media],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def post_slug(title: str, entry_id: str) -> str:
    """The web address part of a post: readable, ASCII, and unique through the entry ID."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    suffix = re.sub(r"[^a-z0-9]+", "", entry_id.lower())
    return f"{words}-{suffix}" if words else f"berita-{suffix}"


def same_value(current: Any, desired: Any) -> bool:
    """Whether a cell already holds what would be written (so nothing needs writing)."""
    if desired is None or desired == "":
        return current is None or current == ""
    if isinstance(desired, bool) or isinstance(current, bool):
        return current is desired
    if isinstance(desired, datetime):
        if isinstance(current, datetime):
            return abs((current - desired).total_seconds()) < 1
        if isinstance(current, date):
            return desired == datetime(current.year, current.month, current.day)
        return False
    return isinstance(current, str) and current.strip() == str(desired).strip()
