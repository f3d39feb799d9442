"""SPEC rule 1, "Exactly once": the real program killed (SIGKILL) at every journaled step.

Each case starts from a fresh copy of a workspace (config, .xlsx agenda, photos, ledger,
static site), runs `once` through `tests/support/killer.py`, which kills the process just before or
just after the N-th call of one step (a ledger write, a website call, the sheet write, any
`os.replace`), then runs `python main.py once` twice, normally, and checks what the office
and the public would see: one post per approved row, every row right in the sheet, archive
numbers gapless (SPEC section 4), every `Riwayat` event once (SPEC section 2), and a second
run that changes nothing (the agenda's time stamp is moved before it, so that it really reads
and judges every row again instead of finding the file untouched).

The kill points are learned from the program itself: an uninterrupted run under
`killer.py --trace` lists, in order, every call of the watched steps; there is one case
for each "before" and each "after" of every call. The same run is the reference the
recovered workspaces are compared with.

Scenarios:
- `fresh`: rows the program has never seen (no `ID Sistem` yet), approved at first sight;
- `seen`: the same rows after a cycle that numbered them, then approved by the officials;
- `withdraw`: after publication, `Ditolak` ticked on one published row.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image

from automation import config as config_module
from automation.agenda.template import build_workbook
from tests.support.config import config_toml
from tests.support.kill_runs import KILLER

ROOT = Path(__file__).resolve().parent.parent
SITE_URL = "https://berita.example.go.id"

CONFIG = config_toml(website={"url": SITE_URL}, media={"max_file_mb": 200})

# Headers, spelled as in SPEC section 2 (the sheet is read by header text only).
AGENDA_NO, TITLE, NEWS_TYPE, SOURCE, TEXT = ("No. Agenda", "Judul Berita", "Jenis Berita",
                                             "Sumber Berita", "Naskah Berita")
MEDIA, RECEIVER, KADIS, KABID = "Tautan Media", "Petugas Penerima", "Paraf Kadis", "Paraf Kabid"
REJECTED, FILED, STATUS, URL = "Ditolak", "Arsip Fisik", "Status", "Tautan Website"
PUBLISHED_AT, ARCHIVE_NO, ARCHIVE_PLACE, ENTRY_ID = ("Waktu Tayang", "Nomor Arsip",
                                                     "Lokasi Arsip", "ID Sistem")
ARCHIVED_AT = "Waktu Arsip"
EVENT = "Peristiwa"

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
ARCHIVE_RE = re.compile(r"400\.14\.5\.6/(\d{4})/DKISP/([IVX]+)/(\d{4})")

APPROVED = {KADIS: True, KABID: True}


@dataclass(frozen=True)
class Row:
    title: str
    cells: dict[str, Any]      # what staff and officials typed
    status: str                # what the sheet must show once the cycle is through


# Two rows to publish (one already filed on paper), one waiting for Kabid, one approved but
# incomplete. Each row costs about ten kill points, each kill point three runs of the program:
# the row count keeps the file within its time budget.
ROWS = [
    Row("Gubernur Resmikan Jembatan Sungai Kayan II", {**APPROVED}, "Tayang"),
    Row("Seleksi Terbuka Jabatan Pimpinan Tinggi Pratama", {KADIS: True}, "Menunggu Paraf Kabid"),
    Row("Sosialisasi Pajak Kendaraan Bermotor", {**APPROVED, MEDIA: None}, "Belum Lengkap"),
    Row("Wagub Buka Pameran UMKM Akhir Tahun", {**APPROVED, FILED: True}, "Diarsipkan"),
]
PUBLISHED = [r.title for r in ROWS if r.status in ("Tayang", "Diarsipkan")]
WITHDRAWN = "Gubernur Resmikan Jembatan Sungai Kayan II"
TICKS = (KADIS, KABID, FILED)


# --- the workspace ---------------------------------------------------------------------------

def build_workspace(folder: Path, ticks: bool = True) -> Path:
    """Config, photos and an agenda made from the template with `ROWS` typed in."""
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(CONFIG, encoding="utf-8")
    cfg = config_module.load(folder / "config.toml")
    book = build_workbook(cfg.approval.columns, cfg.agenda.news_types, cfg.agenda.worksheet)
    sheet = book[cfg.agenda.worksheet]
    headers = [c.value for c in sheet[1]]
    colours = ["red", "green", "blue", "orange", "purple"]
    for n, row in enumerate(ROWS, start=2):
        photo = folder / "media" / "foto" / f"foto-{n}.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (96, 64), colours[n % len(colours)]).save(photo, "JPEG")
        cells = {TITLE: row.title, NEWS_TYPE: "Siaran Pers", SOURCE: "Biro Adpim",
                 TEXT: f"TANJUNG SELOR – {row.title}. (humas)", MEDIA: f"foto/{photo.name}",
                 RECEIVER: "Rahmawati", **row.cells}
        for header, value in cells.items():
            if header in TICKS and not ticks:
                continue
            cell = sheet.cell(row=n, column=headers.index(header) + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    book.save(cfg.agenda.path)
    return folder


def agenda_path(folder: Path) -> Path:
    return folder / "buku_agenda.xlsx"


def edit(folder: Path, title: str, cells: dict[str, Any]) -> None:
    """Change cells of the row titled `title`, found by header text, as a person would."""
    book = openpyxl.load_workbook(agenda_path(folder))
    sheet = book["Buku Agenda"]
    columns = _columns(sheet)
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(row=r, column=columns[TITLE] + 1).value == title:
            for header, value in cells.items():
                sheet.cell(row=r, column=columns[header] + 1, value=value)
            book.save(agenda_path(folder))
            return
    raise AssertionError(f"no row titled {title!r}")


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _columns(sheet) -> dict[str, int]:
    """Header text -> 0-based column, for every header this test reads; unique or refused."""
    found = [_norm(c.value) for c in sheet[1]]
    wanted = {AGENDA_NO, TITLE, NEWS_TYPE, SOURCE, TEXT, MEDIA, RECEIVER, KADIS, KABID, REJECTED,
              FILED, STATUS, URL, PUBLISHED_AT, ARCHIVE_NO, ARCHIVE_PLACE, ARCHIVED_AT, ENTRY_ID,
              EVENT, "Waktu", "Keterangan"}
    columns = {}
    for header in wanted:
        places = [i for i, f in enumerate(found) if f == _norm(header)]
        assert len(places) <= 1, f"header {header!r} twice in {sheet.title}"
        if places:
            columns[header] = places[0]
    return columns


def _records(sheet) -> list[dict[str, Any]]:
    columns = _columns(sheet)
    out = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        if any(v not in (None, "") for v in values):
            out.append({h: (values[i] if i < len(values) else None) for h, i in columns.items()})
    return out


@dataclass
class State:
    rows: dict[str, dict[str, Any]]            # by title
    history: list[dict[str, Any]]
    values: tuple                              # every cell value of both sheets
    catalogue: list[dict[str, Any]]
    index_links: list[str]
    folders: set[str]
    site_files: dict[str, bytes]


class _Links(HTMLParser):
    """The post links of index.html: the `<a>` inside each `<h2>`."""

    def __init__(self) -> None:
        super().__init__()
        self.in_h2 = False
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.in_h2 = True
        elif tag == "a" and self.in_h2:
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False


def read_state(folder: Path) -> State:
    book = openpyxl.load_workbook(agenda_path(folder))
    agenda, history = book["Buku Agenda"], book["Riwayat"]
    records = _records(agenda)
    titles = Counter(r[TITLE] for r in records)
    assert all(n == 1 for n in titles.values()), f"rows duplicated: {titles}"
    values = tuple(tuple(row) for sheet in (agenda, history)
                   for row in sheet.iter_rows(values_only=True))
    site = folder / "site"
    catalogue, links, folders, files = [], [], set(), {}
    if site.exists():
        if (site / "posts.json").exists():
            catalogue = json.loads((site / "posts.json").read_text(encoding="utf-8"))["posts"]
        # Withdrawn posts' records are kept in the state folder, out of the public site.
        withdrawn = folder / "state" / "site" / "withdrawn.json"
        if withdrawn.exists():
            catalogue += json.loads(withdrawn.read_text(encoding="utf-8"))["posts"]
        if (site / "index.html").exists():
            parser = _Links()
            parser.feed((site / "index.html").read_text(encoding="utf-8"))
            links = parser.links
        folders = {p.name for p in site.iterdir() if p.is_dir() and not p.name.startswith(".")}
        files = {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
                 if p.is_file() and not p.name.startswith(".")}
    return State({r[TITLE]: r for r in records}, _records(history), values, catalogue, links,
                 folders, files)


# --- running the program ---------------------------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def once(folder: Path) -> subprocess.CompletedProcess:
    return _run(str(ROOT / "main.py"), "--config", str(folder / "config.toml"), "once")


def killed(folder: Path, step: str, n: int) -> subprocess.CompletedProcess:
    return _run(str(KILLER), step, str(n), "--", "--config", str(folder / "config.toml"), "once")


def traced(folder: Path, out: Path) -> list[str]:
    done = _run(str(KILLER), "--trace", str(out), "--", "--config", str(folder / "config.toml"),
                "once")
    assert done.returncode == 0, f"uninterrupted traced run failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def _output(*runs: subprocess.CompletedProcess) -> str:
    return "\n".join(f"--- exit {r.returncode}\n{r.stdout}{r.stderr}" for r in runs)


# --- the scenarios, built once (at collection: the cases come from their traces) ------------

@dataclass
class Scenario:
    name: str
    start: Path              # each case copies this folder
    reference: Path          # `start` after one uninterrupted (traced) cycle
    trace: list[str]         # kill points in the order the uninterrupted cycle passes them


_SCENARIOS: dict[str, Scenario] = {}
_REFERENCES: dict[str, State] = {}


def reference_state(name: str) -> State:
    if name not in _REFERENCES:
        _REFERENCES[name] = read_state(scenarios()[name].reference)
    return _REFERENCES[name]


def scenarios() -> dict[str, Scenario]:
    if _SCENARIOS:
        return _SCENARIOS
    home = Path(tempfile.mkdtemp(prefix="exactly-once-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)

    def prepared(name: str, start: Path) -> Scenario:
        reference = home / f"{name}-reference"
        shutil.copytree(start, reference)
        trace = traced(reference, home / f"{name}-trace.json")
        return Scenario(name, start, reference, trace)

    fresh = prepared("fresh", build_workspace(home / "fresh"))

    seen = build_workspace(home / "seen", ticks=False)
    first = once(seen)
    assert first.returncode == 0, _output(first)
    for row in ROWS:
        ticks = {h: v for h, v in row.cells.items() if h in TICKS}
        if ticks:
            edit(seen, row.title, ticks)
    seen_scenario = prepared("seen", seen)

    withdraw = home / "withdraw"
    shutil.copytree(fresh.reference, withdraw)
    edit(withdraw, WITHDRAWN, {REJECTED: True})
    withdraw_scenario = prepared("withdraw", withdraw)

    _SCENARIOS.update(fresh=fresh, seen=seen_scenario, withdraw=withdraw_scenario)
    return _SCENARIOS


@dataclass(frozen=True)
class Case:
    scenario: str
    step: str                # before:DOTTED or after:DOTTED
    n: int                   # the N-th call of the step

    @property
    def id(self) -> str:
        when, _, dotted = self.step.partition(":")
        short = ".".join(dotted.split(".")[-2:]) if "." in dotted else dotted
        return f"{self.scenario}-{when}-{short}-{self.n}"


def cases(name: str) -> list[Case]:
    """One case per kill point of the scenario, in the order the cycle passes them."""
    out = []
    for point in scenarios()[name].trace:
        step, _, n = point.rpartition("#")
        out.append(Case(name, step, int(n)))
    return out


# --- known bugs --------------------------------------------------------------------------------

# Case id -> "BUG: ..." for a case that shows a real bug: it stays asserting the right
# behaviour, marked xfail(strict=True) so that the fix is noticed. None at the moment.
KNOWN_BUGS: dict[str, str] = {}


def _known_bug(case: Case) -> str | None:
    return KNOWN_BUGS.get(case.id)


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames:
        return
    name = metafunc.function.scenario
    params = []
    for case in cases(name):
        bug = _known_bug(case)
        marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("case", params)


def kill_cases(name: str):
    """The test runs once per kill point of scenario `name` (see pytest_generate_tests)."""
    def mark(function):
        function.scenario = name
        return function
    return mark


# --- the checks --------------------------------------------------------------------------------

def check_outcome(state: State, reference: State, withdrawn: str | None = None) -> None:
    """What SPEC rule 1 promises, whatever instant the previous run was killed at."""
    rows = state.rows
    assert sorted(rows) == sorted(r.title for r in ROWS), "rows lost or added"
    ids = [rows[r.title][ENTRY_ID] for r in ROWS]
    assert all(ids) and len(set(ids)) == len(ids), f"ID Sistem missing or repeated: {ids}"
    id_of = {r.title: rows[r.title][ENTRY_ID] for r in ROWS}
    agenda = [rows[r.title][AGENDA_NO] for r in ROWS]
    assert all(agenda) and len(set(agenda)) == len(agenda), f"No. Agenda not unique: {agenda}"
    assert sorted(agenda) == sorted(f"{n:04d}/{a[-4:]}" for n, a in enumerate(agenda, 1)), \
        f"No. Agenda has a gap: {agenda}"

    # Statuses.
    for row in ROWS:
        expected = "Ditarik" if row.title == withdrawn else row.status
        assert rows[row.title][STATUS] == expected, (row.title, rows[row.title])

    # The website: one catalogue record per approved row; one folder and one index entry per
    # live post, none for anything else.
    by_id = Counter(p["entry_id"] for p in state.catalogue)
    assert all(n == 1 for n in by_id.values()), f"a row has two catalogue records: {by_id}"
    catalogue = {p["entry_id"]: p for p in state.catalogue}
    assert set(catalogue) == {id_of[t] for t in PUBLISHED}, (
        "the catalogue must hold exactly one post per approved row "
        f"(catalogue: {sorted((p['entry_id'], p['slug']) for p in state.catalogue)}, "
        f"approved rows: {sorted(id_of[t] for t in PUBLISHED)})")
    live = [t for t in PUBLISHED if t != withdrawn]
    assert state.folders == {catalogue[id_of[t]]["slug"] for t in live}, (
        f"post folders {sorted(state.folders)} are not one per live post")
    assert sorted(state.index_links) == sorted(f"{catalogue[id_of[t]]['slug']}/" for t in live), (
        f"index.html lists {state.index_links}")
    for title in PUBLISHED:
        record, row = catalogue[id_of[title]], rows[title]
        assert record["live"] is (title != withdrawn), record
        assert record["url"] == f"{SITE_URL}/{record['slug']}/", record
        assert row[URL] == record["url"], f"{title}: Tautan Website {row[URL]!r} is not its post"
        if title != withdrawn:
            page = state.site_files[f"{record['slug']}/index.html"].decode("utf-8")
            assert escape(title) in page, f"{record['slug']} is not the post of {title!r}"
    for row in ROWS:
        if row.title not in PUBLISHED:
            assert not rows[row.title][URL] and not rows[row.title][ARCHIVE_NO], rows[row.title]
        filed = row.status == "Diarsipkan"
        assert isinstance(rows[row.title][ARCHIVED_AT], datetime) is filed, rows[row.title]

    # Archive numbers: 1..n, no gap, no repeat, month and year of publication (SPEC 4).
    numbers = []
    for title in PUBLISHED:
        text = rows[title][ARCHIVE_NO]
        match = ARCHIVE_RE.fullmatch(str(text or ""))
        assert match, f"{title}: Nomor Arsip {text!r} is not in the SPEC format"
        published = rows[title][PUBLISHED_AT]
        assert isinstance(published, datetime), f"{title}: Waktu Tayang {published!r}"
        assert (match[2], int(match[3])) == (ROMAN[published.month - 1], published.year), text
        assert str(rows[title][ARCHIVE_PLACE]).startswith(
            f"Lemari Arsip Siaran Pers {published.year} / Map "), rows[title][ARCHIVE_PLACE]
        numbers.append(int(match[1]))
    assert sorted(numbers) == list(range(1, len(PUBLISHED) + 1)), (
        f"archive numbers must be 1..{len(PUBLISHED)} without gap or repeat: {sorted(numbers)}")

    # Riwayat: nothing twice, nothing about rows that do not exist, the same as uninterrupted.
    events = Counter((h[ENTRY_ID], h[EVENT]) for h in state.history)
    twice = {k: n for k, n in events.items() if n > 1}
    assert not twice, f"Riwayat events written more than once: {twice}"
    strangers = sorted((h[ENTRY_ID], h[AGENDA_NO], h[EVENT]) for h in state.history
                       if h[ENTRY_ID] not in ids)
    assert not strangers, f"Riwayat has events of ID Sistem that no row has: {strangers}"
    for title in PUBLISHED:
        assert events[(id_of[title], "Tayang")] == 1, f"{title}: not exactly one Tayang event"
        detail = next(str(h["Keterangan"]) for h in state.history
                      if (h[ENTRY_ID], h[EVENT]) == (id_of[title], "Tayang"))
        assert rows[title][URL] in detail and rows[title][ARCHIVE_NO] in detail, (
            f"{title}: the Tayang event {detail!r} names another post or archive number")
    for title in set(id_of) - set(PUBLISHED):
        assert events[(id_of[title], "Tayang")] == 0, title
    assert [t for t in id_of if events[(id_of[t], "Ditarik")]] == ([withdrawn] if withdrawn else [])

    def per_title(s: State) -> dict[str, list[str]]:
        title_of = {r[ENTRY_ID]: t for t, r in s.rows.items()}
        out: dict[str, list[str]] = {}
        for h in s.history:
            out.setdefault(title_of.get(h[ENTRY_ID], "?"), []).append(h[EVENT])
        return {t: sorted(e) for t, e in out.items()}

    assert per_title(state) == per_title(reference), "Riwayat differs from an uninterrupted run"


def recover_and_check(tmp_path: Path, scenario_name: str, case: Case | None) -> State:
    """Copy the start, run it killed at `case` (if any), then twice normally; check all."""
    sc = scenarios()[scenario_name]
    folder = tmp_path / "office"
    shutil.copytree(sc.start, folder)
    runs = []
    if case is not None:
        runs.append(killed(folder, case.step, case.n))
        assert runs[-1].returncode == -signal.SIGKILL, (
            f"the kill point {case.step} #{case.n} was not reached (the traced run reached it)"
            + _output(*runs))
    runs.append(once(folder))
    assert runs[-1].returncode == 0, _output(*runs)
    after_first = read_state(folder)
    # As if someone saved the agenda unchanged: the second run must read and judge every row
    # again (an untouched file would let it skip the cycle), and still change nothing.
    stat = agenda_path(folder).stat()
    os.utime(agenda_path(folder), ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    runs.append(once(folder))
    assert runs[-1].returncode == 0, _output(*runs)
    after_second = read_state(folder)
    assert after_second.values == after_first.values, "the second normal run changed the sheet"
    assert after_second.catalogue == after_first.catalogue, "the second run changed the site"
    assert after_second.site_files == after_first.site_files, "the second run changed the site"
    check_outcome(after_second, reference_state(scenario_name),
                  withdrawn=WITHDRAWN if scenario_name == "withdraw" else None)
    return after_second


# --- the tests ---------------------------------------------------------------------------------

def test_the_scenarios_reach_every_watched_step():
    """The traces the cases come from cover what they claim to (else cases would be missing)."""
    sc = scenarios()
    publishing = {"automation.ledger.Ledger.remember", "automation.ledger.Ledger.allocate",
                  "automation.ledger.Ledger.begin", "automation.ledger.Ledger.finish",
                  "automation.ledger.Ledger.mark_written",
                  "automation.publishers.static_site.StaticSite.publish",
                  "automation.agenda.xlsx_store.XlsxAgenda._replace", "os.replace"}
    for name in ("fresh", "seen"):
        steps = {p.partition(":")[2].rpartition("#")[0] for p in sc[name].trace}
        assert publishing <= steps, (name, publishing - steps)
        publishes = [p for p in sc[name].trace if p.startswith("before:") and ".publish#" in p]
        assert len(publishes) == len(PUBLISHED), name
    fresh = {p.partition(":")[2].rpartition("#")[0] for p in sc["fresh"].trace}
    assert {"automation.ledger.Ledger.set_pending_id",     # new rows: IDs before publishing
            "automation.ledger.Ledger.confirm_ids"} <= fresh
    withdraw = {p.partition(":")[2].rpartition("#")[0] for p in sc["withdraw"].trace}
    assert {"automation.publishers.static_site.StaticSite.withdraw",
            "automation.ledger.Ledger.begin", "automation.ledger.Ledger.finish",
            "automation.agenda.xlsx_store.XlsxAgenda._replace", "os.replace"} <= withdraw
    assert not any(".publish#" in p for p in sc["withdraw"].trace)
    # One state of the sheet per scenario start: what the cases begin from.
    assert all(not r[STATUS] for r in read_state(sc["fresh"].start).rows.values())
    assert {r[STATUS] for r in read_state(sc["seen"].start).rows.values()} <= {
        "Menunggu Paraf Kadis", "Belum Lengkap"}


@pytest.mark.parametrize("name", ["fresh", "seen", "withdraw"])
def test_uninterrupted_cycle(tmp_path, name):
    """The reference itself is right, and so is a run of the real `main.py`."""
    check_outcome(reference_state(name), reference_state(name),
                  withdrawn=WITHDRAWN if name == "withdraw" else None)
    recover_and_check(tmp_path, name, None)


def test_a_kill_point_past_the_last_call_is_never_reached(tmp_path):
    """The runner lets the program finish when the N-th call does not come (N = calls + 1)."""
    sc = scenarios()["seen"]
    calls = Counter(p.rpartition("#")[0] for p in sc.trace if p.startswith("before:"))
    step = "after:automation.ledger.Ledger.begin"
    folder = tmp_path / "office"
    shutil.copytree(sc.start, folder)
    done = killed(folder, step, calls["before:automation.ledger.Ledger.begin"] + 1)
    assert done.returncode == 0, _output(done)
    assert read_state(folder).rows[PUBLISHED[0]][STATUS] == "Tayang"


@kill_cases("fresh")
def test_killed_while_publishing_rows_never_seen_before(tmp_path, case):
    recover_and_check(tmp_path, "fresh", case)


@kill_cases("seen")
def test_killed_while_publishing_approved_rows(tmp_path, case):
    recover_and_check(tmp_path, "seen", case)


@kill_cases("withdraw")
def test_killed_while_withdrawing_a_post(tmp_path, case):
    state = recover_and_check(tmp_path, "withdraw", case)
    reference = read_state(scenarios()["withdraw"].start)
    for title in PUBLISHED:      # never changed once written (SPEC section 4)
        assert state.rows[title][ARCHIVE_NO] == reference.rows[title][ARCHIVE_NO]
