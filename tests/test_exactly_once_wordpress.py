"""SPEC rule 1, "Exactly once", with WordPress as the publisher: the real program killed
(SIGKILL) at every step of a publishing cycle, then recovering against a real WordPress.

What `test_exactly_once.py` does for the static site, done here against the session's
WordPress (`tests/support/wordpress_server.py`). Its kill points cannot be learned at collection
time (WordPress is started by a fixture), so each test learns them at run time and loops over them:

1. an uninterrupted run under `killer.py --trace` (with `--verbose`, whose urllib3 lines name
   the request of every `WordPress._call`), against a freshly reset WordPress and a fresh
   copy of the workspace, lists the calls in the order the cycle makes them;
2. for each kill point: reset WordPress, copy the workspace, run `once` through `killer.py`
   killed just before or just after the N-th call of the step (it must die by SIGKILL), then
   run `python main.py once` twice normally (the agenda's time stamp moved before the second
   run, so it really reads and judges every row again) and check, through the REST API with
   drafts included (`status=any`): exactly one program post per approved row, each approved
   row `Tayang` with `Tautan Website` equal to its post's link, archive numbers 1..n without
   gap or repeat, no orphan in the media library (every item is referenced by a post's
   content), no `Riwayat` event twice, and that the second normal run changed nothing (sheet,
   posts, media library).

Kill points (none thinned: 42 + 8 + 10, the whole file about 75 s on two cores):
- before and after every `WordPress._call` (every request the program sends to WordPress:
  post look-ups, the category lookup, media look-ups and uploads, the post creation);
- before and after every `Ledger.finish`;
- before and after the `Ledger.remember` calls on either side of each `finish`: the post's
  memory, saved in `Cycle._act` once the website has answered, in one transaction with
  `finish` (so "after finish" is still before the commit), and the row's memory saved right
  after that transaction in `Cycle._complete` (the first point after the commit);
- before and after every `XlsxAgenda._replace` (the sheet writes: the new rows' IDs before
  publishing, the write-back after).

Scenarios:
- publishing: two approved rows with two photos each and one row waiting for Kabid, all
  never seen by the program (no `ID Sistem` yet);
- lost state: the same, killed after each `POST /posts`, each `POST /media` and each
  `Ledger.finish`, and the state folder deleted before recovering (SPEC: "the local state
  folder lost (then the sheet and the website are searched to recover)");
- withdrawal: after an uninterrupted publication, `Ditolak` ticked on a published row; killed
  at each step of the withdrawing cycle; afterwards that row's post is a draft (still exactly
  one post per row) and its row shows `Ditarik`.

A failing kill point keeps its workspace (the path is in the message) and shows the last
run's stderr. A kill point that shows a real bug goes into `KNOWN_BUGS`: the loops skip it
and `test_known_bug` runs it alone, marked xfail(strict=True), so a fix is noticed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest

from automation.core import schema as S
from tests.support.kill_runs import KillPoint, Runs
from tests.support.workspace import Agenda, approved, row
from tests.test_wordpress import Rest, wp_config


CALL = "automation.publishers.wordpress.WordPress._call"
FINISH = "automation.ledger.Ledger.finish"
REMEMBER = "automation.ledger.Ledger.remember"
REPLACE = "automation.agenda.xlsx_store.XlsxAgenda._replace"

FIRST = "Gubernur Resmikan Jembatan Sungai Kayan II"
WAITING = "Seleksi Terbuka Jabatan Pimpinan Tinggi Pratama"
SECOND = "Wagub Buka Pameran UMKM Akhir Tahun"
PUBLISHED = (FIRST, SECOND)
PHOTOS = {FIRST: ("foto/a.jpg", "foto/b.jpg"), SECOND: ("foto/c.jpg", "foto/d.jpg")}
WITHDRAWN = FIRST

ARCHIVE_RE = re.compile(r"400\.14\.5\.6/(\d{4})/DKISP/([IVX]+)/(\d{4})")
# urllib3's debug line for each request: http://127.0.0.1:PORT "POST /wp-json/wp/v2/media?..
REQUEST_RE = re.compile(r'"([A-Z]+) /wp-json/wp/v2(/[^ ?"]*)\S* HTTP/[\d.]+" (\d+)')
NUMBER_RE = re.compile(r"/\d+")       # POST /posts/12 -> POST /posts/ID


# --- the workspace and the programs --------------------------------------------------------------

def build_start(folder: Path, server) -> Path:
    """Config (WordPress on loopback), photos and an agenda with rows never seen before."""
    agenda = Agenda(folder, [
        approved(FIRST, **{S.MEDIA: " ".join(PHOTOS[FIRST])}),
        row(WAITING, **{S.PARAF_KADIS: True}),
        approved(SECOND, **{S.MEDIA: " ".join(PHOTOS[SECOND])}),
    ], wp_config(server.base_url, server.username))
    agenda.photo("foto/d.jpg", "orange")
    return folder


def fresh_site(server) -> None:
    """WordPress as installed, plus the category `[website.categories]` maps to."""
    server.reset()
    server.create_category("Berita")


def edit(folder: Path, title: str, cells: dict[str, Any]) -> None:
    """Change cells of the row titled `title`, found by header text, as a person would."""
    path = folder / "buku_agenda.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Buku Agenda"]
    headers = [c.value for c in sheet[1]]
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(row=r, column=headers.index(S.TITLE) + 1).value == title:
            for header, value in cells.items():
                sheet.cell(row=r, column=headers.index(header) + 1, value=value)
            book.save(path)
            return
    raise AssertionError(f"no row titled {title!r}")


# --- the kill points -------------------------------------------------------------------------------

@dataclass
class Trace:
    points: list[KillPoint]            # every point the uninterrupted cycle passed, in order

    def calls(self, dotted: str) -> list[KillPoint]:
        return [p for p in self.points if p.dotted == dotted]


def learn(runs: Runs, out: Path) -> Trace:
    """The uninterrupted traced run: every watched call in order, each request named."""
    done = runs.traced(out)
    assert done.returncode == 0, "the uninterrupted traced run failed\n" + runs.report()
    requests_made = [m[1] + " " + NUMBER_RE.sub("/ID", m[2])
                     for m in REQUEST_RE.finditer(done.stderr)]
    raw = json.loads(out.read_text(encoding="utf-8"))
    calls = sum(1 for p in raw if p.startswith(f"before:{CALL}#"))
    assert calls == len(requests_made), (
        f"{calls} WordPress._call in the trace, {len(requests_made)} requests logged: "
        f"{requests_made}")
    points = []
    for point in raw:
        step, _, n = point.rpartition("#")
        request = requests_made[int(n) - 1] if step.endswith(CALL) else ""
        points.append(KillPoint(step, int(n), request))
    return Trace(points)


def kill_points(trace: Trace) -> list[KillPoint]:
    """Before and after each website call, each finish, the remember calls around each finish
    (the post's memory, saved in one transaction with finish once the website has answered,
    and the row's memory saved right after it), and each sheet write."""
    points = trace.points
    around_finish = set()
    for i, point in enumerate(points):
        if point.step == f"before:{FINISH}":
            before = [p for p in points[:i] if p.dotted == REMEMBER]
            after = [p for p in points[i:] if p.dotted == REMEMBER]
            around_finish |= {before[-1].n, after[0].n} if before and after else set()
    return [p for p in points if p.dotted in (CALL, FINISH, REPLACE)
            or (p.dotted == REMEMBER and p.n in around_finish)]


def lost_state_points(trace: Trace) -> list[KillPoint]:
    """After each post or media creation and after each finish (the state folder goes next)."""
    return [p for p in trace.points if p.step.startswith("after:") and (
        p.request in ("POST /posts", "POST /media") or p.dotted == FINISH)]


# --- what the office and the public see ------------------------------------------------------------

def sheet(folder: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], tuple]:
    """Rows by title, Riwayat rows, and every cell value of both sheets."""
    book = openpyxl.load_workbook(folder / "buku_agenda.xlsx")
    out = []
    for name in ("Buku Agenda", S.HISTORY_SHEET):
        ws = book[name]
        headers = [c.value for c in ws[1]]
        out.append([dict(zip(headers, values)) for values in ws.iter_rows(min_row=2, values_only=True)
                    if any(v not in (None, "") for v in values)])
    values = tuple(tuple(r) for name in ("Buku Agenda", S.HISTORY_SHEET)
                   for r in book[name].iter_rows(values_only=True))
    titles = Counter(r[S.TITLE] for r in out[0])
    assert all(n == 1 for n in titles.values()), f"rows duplicated: {titles}"
    return {r[S.TITLE]: r for r in out[0]}, out[1], values


def website(rest: Rest) -> tuple[list[dict], list[dict]]:
    """The program's posts (drafts included) and the whole media library."""
    return rest.posts(), rest.media()


def snapshot(folder: Path, rest: Rest) -> tuple:
    posts, media = website(rest)
    return (sheet(folder)[2],
            sorted((p["id"], p["status"], p["slug"], p["link"], p["modified_gmt"],
                    p["title"]["raw"], p["content"]["raw"], p["featured_media"],
                    tuple(p["categories"])) for p in posts),
            sorted((m["id"], m["slug"], m["modified_gmt"], m["post"]) for m in media))


def marker(post: dict) -> dict:
    found = re.search(r"<!-- buku-agenda (\{.*?\}) -->", post["content"]["raw"])
    assert found, f"post {post['id']} has no marker"
    return json.loads(found.group(1))


def check_outcome(folder: Path, rest: Rest, withdrawn: str | None = None) -> None:
    rows, history, _ = sheet(folder)
    assert sorted(rows) == sorted((FIRST, WAITING, SECOND)), f"rows lost or added: {sorted(rows)}"
    ids = {t: r[S.ENTRY_ID] for t, r in rows.items()}
    assert all(ids.values()) and len(set(ids.values())) == 3, f"ID Sistem: {ids}"

    posts, media = website(rest)
    by_entry = Counter(marker(p)["id"] for p in posts)
    assert len(posts) == len(PUBLISHED) and set(by_entry) == {ids[t] for t in PUBLISHED}, (
        "not exactly one post per approved row: posts (id, entry, status, slug) "
        f"{sorted((p['id'], marker(p)['id'], p['status'], p['slug']) for p in posts)}, "
        f"approved rows {[ids[t] for t in PUBLISHED]}")
    post_of = {marker(p)["id"]: p for p in posts}
    berita = [c["id"] for c in rest.get("/categories") if c["name"] == "Berita"]

    numbers = []
    for title in PUBLISHED:
        r, post = rows[title], post_of[ids[title]]
        expected = "Ditarik" if title == withdrawn else "Tayang"
        assert r[S.STATUS] == expected, f"{title}: Status {r[S.STATUS]!r}, {r[S.SYSTEM_NOTE]!r}"
        assert post["status"] == ("draft" if title == withdrawn else "publish"), (
            f"{title}: post {post['id']} is {post['status']!r}")
        assert r[S.WEBSITE_URL] == post["link"], (
            f"{title}: Tautan Website {r[S.WEBSITE_URL]!r} is not its post's link {post['link']!r}")
        assert post["title"]["raw"] == title, post["title"]
        assert post["categories"] == berita, post["categories"]
        found = ARCHIVE_RE.fullmatch(str(r[S.ARCHIVE_NUMBER] or ""))
        assert found, f"{title}: Nomor Arsip {r[S.ARCHIVE_NUMBER]!r}"
        numbers.append(int(found[1]))
    assert sorted(numbers) == list(range(1, len(PUBLISHED) + 1)), (
        f"archive numbers must be 1..{len(PUBLISHED)} without gap or repeat: {sorted(numbers)}")
    waiting = rows[WAITING]
    assert waiting[S.STATUS] == "Menunggu Paraf Kabid", waiting
    assert not waiting[S.WEBSITE_URL] and not waiting[S.ARCHIVE_NUMBER], waiting

    # The media library: two photos per post, each referenced by its post, nothing else.
    library = {m["id"]: m for m in media}
    referenced: Counter = Counter()
    for title in PUBLISHED:
        post = post_of[ids[title]]
        content = post["content"]["raw"]
        used = [int(i) for i in re.findall(r'class="wp-image-(\d+)"', content)]
        assert len(used) == len(PHOTOS[title]) == len(set(used)), (
            f"{title}: post {post['id']} shows images {used}")
        assert sorted(used) == sorted(marker(post)["media"]), (used, marker(post))
        assert post["featured_media"] == used[0], (post["featured_media"], used)
        missing = [i for i in used if i not in library]
        assert not missing, f"{title}: post {post['id']} shows media {missing} not in the library"
        referenced.update(used)
    orphans = sorted((m["id"], m["slug"]) for m in media if m["id"] not in referenced)
    assert not orphans, f"orphan media in the library (no post shows them): {orphans}"
    shared = [i for i, n in referenced.items() if n > 1]
    assert not shared, f"media shown by two posts: {shared}"

    # Riwayat: nothing twice, one Tayang per published row.
    events = Counter((h[S.ENTRY_ID], h["Peristiwa"]) for h in history)
    twice = {k: n for k, n in events.items() if n > 1}
    assert not twice, f"Riwayat events written more than once: {twice}"
    for title in PUBLISHED:
        assert events[(ids[title], "Tayang")] == 1, f"{title}: not exactly one Tayang event"
    assert events[(ids[WAITING], "Tayang")] == 0
    if withdrawn:
        assert events[(ids[withdrawn], "Ditarik")] == 1, f"{withdrawn}: not one Ditarik event"


def recover_and_check(runs: Runs, rest: Rest, withdrawn: str | None = None) -> None:
    """Two normal runs; the first completes what was interrupted, the second changes nothing."""
    runs.must(runs.once())
    first = snapshot(runs.folder, rest)
    agenda = runs.folder / "buku_agenda.xlsx"
    stat = agenda.stat()     # as if someone saved it unchanged: really read and judge again
    os.utime(agenda, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    runs.must(runs.once())
    second = snapshot(runs.folder, rest)
    assert second[0] == first[0], "the second normal run changed the sheet"
    assert second[1] == first[1], "the second normal run changed the posts"
    assert second[2] == first[2], "the second normal run changed the media library"
    check_outcome(runs.folder, rest, withdrawn)


# --- the scenarios -----------------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    server: Any
    start: Path                                   # each case copies this folder
    home: Path
    prepare: Callable[[Runs], None] = lambda runs: None   # after the copy, before the kill
    lose_state: bool = False
    withdrawn: str | None = None

    def case(self, label: str, point: KillPoint | None) -> str | None:
        """Fresh WordPress, fresh copy, killed at `point` (None: not at all), recovered.

        None when all is right, else the failure: kill point, workspace (kept), the runs.
        """
        folder = self.home / label
        shutil.rmtree(folder, ignore_errors=True)
        fresh_site(self.server)
        shutil.copytree(self.start, folder)
        runs = Runs(folder, {"WP_TEST_PASSWORD": self.server.app_password}, trace_args=("--verbose",))
        try:
            self.prepare(runs)
            if point is not None:
                done = runs.killed(point.step, point.n)
                assert done.returncode == -signal.SIGKILL, (
                    f"not killed (exit {done.returncode}): the kill point was not reached "
                    "although the traced run reached it")
                if self.lose_state:
                    shutil.rmtree(folder / "state")
            recover_and_check(runs, Rest(self.server), self.withdrawn)
        except Exception as err:      # an assertion, or anything unexpected: keep the context
            what = f"killed {point}" if point else "uninterrupted"
            error = err if isinstance(err, AssertionError) else f"{type(err).__name__}: {err}"
            return f"=== {self.name}, {what}: {error}\nworkspace: {folder}\n{runs.report()}"
        shutil.rmtree(folder, ignore_errors=True)
        return None

    def trace(self) -> Trace:
        """Learn the kill points; the traced run's workspace is then checked like a case."""
        folder = self.home / "traced"
        shutil.rmtree(folder, ignore_errors=True)
        fresh_site(self.server)
        shutil.copytree(self.start, folder)
        runs = Runs(folder, {"WP_TEST_PASSWORD": self.server.app_password}, trace_args=("--verbose",))
        self.prepare(runs)
        trace = learn(runs, self.home / "trace.json")
        # The uninterrupted run is right too, and what follows it changes nothing.
        try:
            recover_and_check(runs, Rest(self.server), self.withdrawn)
        except AssertionError as err:
            raise AssertionError(f"=== {self.name}, uninterrupted: {err}\nworkspace: {folder}\n"
                                 + runs.report()) from None
        return trace

    def run_all(self, points: list[KillPoint]) -> None:
        """Every kill point in turn; all failures reported together, each with its kill point."""
        failures = []
        for index, point in enumerate(points, start=1):
            if (self.name, point.step, point.n) in KNOWN_BUGS:
                continue            # test_known_bug runs it alone, as an expected failure
            when, _, dotted = point.step.partition(":")
            failure = self.case(f"{index:02d}-{when}-{dotted.rsplit('.', 1)[-1]}-{point.n}", point)
            if failure:
                failures.append(failure)
        assert not failures, (f"{len(failures)} of {len(points)} kill points failed:\n\n"
                              + "\n\n".join(failures))


def tick_rejected(runs: Runs) -> None:
    """Publish uninterrupted, then tick `Ditolak` on a published row."""
    runs.must(runs.once())
    edit(runs.folder, WITHDRAWN, {S.REJECTED: True})


@pytest.fixture(scope="module")
def start(wordpress_server, tmp_path_factory) -> Path:
    return build_start(tmp_path_factory.mktemp("wp-exactly-once") / "start", wordpress_server)


@pytest.fixture(scope="module")
def publishing_trace(wordpress_server, start, tmp_path_factory) -> Trace:
    return scenario("publishing", wordpress_server, start, tmp_path_factory.mktemp("traced")).trace()


def scenario(name: str, server, start: Path, home: Path) -> Scenario:
    if name == "publishing":
        return Scenario(name, server, start, home)
    if name == "lost-state":
        return Scenario(name, server, start, home, lose_state=True)
    if name == "withdrawal":
        return Scenario(name, server, start, home, prepare=tick_rejected, withdrawn=WITHDRAWN)
    raise ValueError(name)


# --- known bugs ----------------------------------------------------------------------------------------

# (scenario, step, n) -> "BUG: ..." for a kill point that shows a real bug: skipped by the loops,
# run alone by test_known_bug, still asserting the right behaviour, xfail(strict=True).
KNOWN_BUGS: dict[tuple[str, str, int], str] = {}


# --- the tests -----------------------------------------------------------------------------------------

def test_the_trace_names_every_step_of_publishing(publishing_trace):
    """The kill points the loops use cover what this module claims (else cases would be missing)."""
    made = Counter(p.request for p in publishing_trace.calls(CALL) if p.step.startswith("before:"))
    # Per approved row: a look-up of its post (one or more), one look-up and one upload per
    # photo, the creation; once per cycle: the category lookup.
    assert made.pop("GET /posts", 0) >= len(PUBLISHED), made
    assert made == {"GET /categories": 1, "GET /media": 4, "POST /media": 4, "POST /posts": 2}, made
    chosen = Counter(p.dotted for p in kill_points(publishing_trace) if p.step.startswith("before:"))
    calls = len(publishing_trace.calls(CALL)) // 2
    assert chosen == {CALL: calls, FINISH: 2, REMEMBER: 4, REPLACE: 2}, chosen
    assert [p.request or p.dotted for p in lost_state_points(publishing_trace)] == [
        "POST /media", "POST /media", "POST /posts", FINISH] * 2


def test_killed_at_every_step_of_publishing(wordpress_server, start, publishing_trace, tmp_path):
    scenario("publishing", wordpress_server, start, tmp_path).run_all(kill_points(publishing_trace))


def test_killed_while_publishing_and_the_state_folder_lost(wordpress_server, start,
                                                          publishing_trace, tmp_path):
    scenario("lost-state", wordpress_server, start, tmp_path).run_all(
        lost_state_points(publishing_trace))


def test_killed_at_every_step_of_withdrawing(wordpress_server, start, tmp_path):
    withdrawal = scenario("withdrawal", wordpress_server, start, tmp_path)
    trace = withdrawal.trace()
    requests_made = [p.request for p in trace.calls(CALL) if p.step.startswith("before:")]
    assert requests_made == ["POST /posts/ID"], requests_made    # the post back to draft
    points = kill_points(trace)
    chosen = Counter(p.dotted for p in points if p.step.startswith("before:"))
    assert chosen == {CALL: 1, FINISH: 1, REMEMBER: 2, REPLACE: 1}, chosen    # 10 kill points
    withdrawal.run_all(points)


if KNOWN_BUGS:
    @pytest.mark.parametrize("bug", [
        pytest.param(key, id=f"{key[0]}-{key[1].replace(':', '-').rsplit('.', 1)[-1]}-{key[2]}",
                     marks=pytest.mark.xfail(strict=True, reason=reason))
        for key, reason in KNOWN_BUGS.items()])
    def test_known_bug(wordpress_server, start, tmp_path, bug):
        name, step, n = bug
        failure = scenario(name, wordpress_server, start, tmp_path).case("case", KillPoint(step, n))
        assert failure is None, failure
