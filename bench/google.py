"""Google section of the benchmark (`bench/run.py` calls it at the end unless --no-google;
not part of the tests).

The program runs as `python main.py --config ... once` subprocesses (through bench/run.py's
launcher, so the peak RSS is the child's own) against FakeGoogle (tests/fakes/google/), the
loopback stand-in of Sheets v4 and Drive v3, started in this process (AGENDA_GOOGLE_API_BASE):

1. `google cycle N/K`  a Google spreadsheet with N rows (realistic mix, bench/run.py's
   generator) that `init` and two setup `once` have already numbered and published (timed
   apart; the second publishes the rows approved at first sight), then K rows waiting for Paraf Kadis get both paraf ticked by a person (fake.edit):
   one measured `once`: wall time, peak RSS, and the Sheets reads/writes and Drive requests in
   the fake's request log. Media are local (media.backend local): this case is the Sheets side.
2. `google idle cycle`  right after, nothing changed: one `once` (expected: 1 Drive, 0 Sheets).
3. `drive 1 GiB download`  a spreadsheet with one approved row linking a 1 GiB MP4 in the
   fake's Drive (media.backend drive): the `once` that downloads, checks and publishes it,
   against the same cycle with a 2 MiB MP4: peak RSS growth (target under 100 MB), wall, MB/s.

FakeGoogle is not free: it runs in this process, single-locked, in Python. Every case reports
the time spent inside the fake (its request routing: `_route`; and its whole handler: `_serve`,
which also includes JSON encoding and socket I/O, so it overlaps with the client's time).
FakeGoogle keeps a file's bytes in `_File.content`; here it is given an mmap of a file in the
temporary folder (it only needs len(), slicing and the buffer protocol), so the 1 GiB lives in
the page cache, not in this process's heap, and never in the measured child.

All generated data lives in one temporary folder, removed at the end (unless --keep).

    .venv/bin/python bench/google.py [--rows 20000] [--act 50] [--video-mb 1024] [--keep]
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, where `google` would be this
# module rather than the google-auth namespace package: drop it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from automation.agenda.cells import column_letter  # noqa: E402
from automation.core import schema as S  # noqa: E402
from bench.run import (PHOTO_FILES, PHOTO_FOLDERS, DOCUMENTS, SENTENCES, Child, _photo,  # noqa: E402
                       _summary_line, agenda_rows, run_child)
from fakes.google import FakeGoogle  # noqa: E402

TARGET_GROWTH_MB = 100
MIB = 2**20
KADIS, KABID = "kadis@example.go.id", "kabid@example.go.id"
WORKSHEET = "Buku Agenda"
SHEET = f"'{WORKSHEET}'"
HEADERS = [c.header for c in S.agenda_columns((S.PARAF_KADIS, S.PARAF_KABID))]
LAST = column_letter(len(HEADERS) - 1)
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
TEXT = ("TANJUNG SELOR – Gubernur Kalimantan Utara meresmikan Jembatan Sungai Kayan, Jumat (27/11).\n\n"
        "Kegiatan ini diikuti 240 peserta dari berbagai perangkat daerah. (humas)")


def note(msg: str) -> None:
    print(f"[bench google] {msg}", file=sys.stderr, flush=True)


# --- the fake, timed ---------------------------------------------------------------------------

class FakeClock:
    """Time spent inside FakeGoogle's handlers, summed over requests (wrappers set on the
    instance: the fake itself is not modified)."""

    def __init__(self, fake: FakeGoogle):
        self.route = self.serve = 0.0
        self.parts: dict[str, list] = {}    # "sheets GET values:batchGet" -> [count, seconds]
        self._lock = threading.Lock()
        serve, route = fake._serve, fake._route

        def timed_serve(handler: Any) -> None:
            start = time.perf_counter()
            try:
                serve(handler)
            finally:
                with self._lock:
                    self.serve += time.perf_counter() - start

        def timed_route(request: Any, *args: Any) -> Any:
            start = time.perf_counter()
            try:
                return route(request, *args)
            finally:
                spent = time.perf_counter() - start
                tail = request.path.rsplit("/", 1)[-1]
                what = ((tail if tail.startswith("values:") else tail.split(":", 1)[1]) if ":" in tail
                        else "values" if "/values/" in request.path else "get"
                        ) if request.api == "sheets" else request.kind
                key = f"{request.api} {request.method} {what}"
                with self._lock:
                    self.route += spent
                    part = self.parts.setdefault(key, [0, 0.0])
                    part[0] += 1
                    part[1] += spent

        fake._serve, fake._route = timed_serve, timed_route  # type: ignore[method-assign]

    def reset(self) -> None:
        with self._lock:
            self.route = self.serve = 0.0
            self.parts = {}

    def breakdown(self) -> str:
        """Route time per kind of request, biggest first."""
        with self._lock:
            parts = sorted(self.parts.items(), key=lambda kv: -kv[1][1])
        return ", ".join(f"{key} x{n} {spent:.2f} s" for key, (n, spent) in parts)


def config(folder: Path, sid: str, media: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    media_lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in media.items())
    path.write_text(f"""timezone = "Asia/Makassar"
state_dir = "state"
[agenda]
backend = "google"
spreadsheet_id = "{sid}"
worksheet = "{WORKSHEET}"
credentials_file = "credentials.json"
[approval]
editors = {{ "Paraf Kadis" = ["{KADIS}"], "Paraf Kabid" = ["{KABID}"] }}
[media]
{media_lines}
[website]
output_dir = "site"
url = "https://diskominfo.kaltaraprov.example.go.id/berita"
""", encoding="utf-8")
    return path


def new_workspace(fake: FakeGoogle, folder: Path, logs: Path, label: str, media: dict[str, Any]
                  ) -> tuple[str, Path]:
    """A shared spreadsheet, a workspace folder pointing at it, and `init` run (subprocess)."""
    sid = fake.add_spreadsheet(f"Buku Agenda {label}", ["Sheet1"], time_zone="Asia/Makassar")
    config_path = config(folder, sid, media)
    (folder / "credentials.json").write_text(json.dumps(fake.service_account_info()))
    init = run_child(["--config", str(config_path), "init"], logs, f"{label}-init")
    if init.code != 0:
        raise SystemExit(f"init ({label}) failed (exit {init.code}):\n{init.stdout[-2000:]}{init.stderr[-3000:]}")
    return sid, config_path


def cell_text(value: Any) -> Any:
    """What a person types: dates as text Sheets parses, ticks as booleans."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def ensure_rows(fake: FakeGoogle, sid: str, rows: int) -> None:
    props = fake.sheet_properties(sid, WORKSHEET)
    if props["gridProperties"]["rowCount"] < rows:
        fake.apply(sid, [{"updateSheetProperties": {
            "properties": {"sheetId": props["sheetId"], "gridProperties": {"rowCount": rows}},
            "fields": "gridProperties.rowCount"}}])


def type_rows(fake: FakeGoogle, sid: str, rows: list[dict], first: int = 2) -> None:
    """Staff rows typed in one edit (one snapshot of the spreadsheet in the fake, not N)."""
    ensure_rows(fake, sid, first + len(rows) + 100)
    values = [[cell_text(row.get(h)) if row.get(h) is not None else None for h in HEADERS] for row in rows]
    fake.edit(sid, f"{SHEET}!A{first}:{LAST}{first + len(rows) - 1}", values)


def sheet_rows(fake: FakeGoogle, sid: str) -> list[dict]:
    values = fake.values(sid, f"{SHEET}!A1:{LAST}")
    out = []
    for n, r in enumerate(values[1:], start=2):
        if any(v not in (None, "") for v in r):
            row = dict(zip(values[0], r + [None] * len(HEADERS)))
            row["_row"] = n
            out.append(row)
    return out


def tick(fake: FakeGoogle, sid: str, row_numbers: list[int]) -> None:
    """Both paraf ticked on the given rows, in one edit (None leaves the other cells alone)."""
    cols = sorted(HEADERS.index(h) for h in (S.PARAF_KADIS, S.PARAF_KABID))
    c0, c1 = cols[0], cols[-1]
    lo, hi = min(row_numbers), max(row_numbers)
    wanted = set(row_numbers)
    block = [[True if (r in wanted and c in cols) else None for c in range(c0, c1 + 1)]
             for r in range(lo, hi + 1)]
    fake.edit(sid, f"{SHEET}!{column_letter(c0)}{lo}:{column_letter(c1)}{hi}", block)


def requests_of(fake: FakeGoogle) -> tuple[int, int, int, int]:
    return fake.sheets_reads, fake.sheets_writes, fake.drive_requests, fake.count("drive", "media")


BREAKDOWNS: dict[str, str] = {}   # label -> the fake's route time per kind of request


def measured(fake: FakeGoogle, clock: FakeClock, config_path: Path, logs: Path, label: str
             ) -> tuple[Child, tuple[int, int, int, int], float, float]:
    fake.clear_log()
    clock.reset()
    child = run_child(["--config", str(config_path), "once"], logs, label)
    BREAKDOWNS[label] = clock.breakdown()
    return child, requests_of(fake), clock.route, clock.serve


def build_media(folder: Path, rng: random.Random) -> None:
    media = folder / "media"
    for name in PHOTO_FILES:
        _photo(media / name, rng)
    for sub in PHOTO_FOLDERS:
        for n in range(1, 4):
            _photo(media / sub / f"foto-{n}.jpg", rng)
    (media / "naskah").mkdir(parents=True, exist_ok=True)
    for doc in DOCUMENTS:
        (media / doc).write_text(
            "**TANJUNG SELOR** – " + " ".join(SENTENCES).format(who="Kepala DKISP", n=120) +
            "\n\n- poin pertama,\n- poin kedua.\n\n(humas)\n", encoding="utf-8")


def write_video(path: Path, size: int, seed: int) -> None:
    """An MP4 signature followed by pseudo-random bytes, written 1 MiB at a time."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(MP4_HEADER)
        left = size - len(MP4_HEADER)
        while left > 0:
            n = min(MIB, left)
            out.write(rng.randbytes(n))
            left -= n


def counts(rows: list[dict]) -> str:
    c: dict[str, int] = {}
    for r in rows:
        c[r.get(S.STATUS) or "(none)"] = c.get(r.get(S.STATUS) or "(none)", 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(c.items(), key=lambda kv: -kv[1]))


def fake_note(route: float, serve: float) -> str:
    return f"in fake: route {route:.2f} s, handler {serve:.2f} s"


# --- the cases ---------------------------------------------------------------------------------

def sheets_cases(fake: FakeGoogle, clock: FakeClock, tmp: Path, logs: Path, args: argparse.Namespace,
                 table: list[tuple[str, ...]]) -> int:
    rng = random.Random(args.seed)
    k = f"{args.rows // 1000}k" if args.rows >= 1000 and args.rows % 1000 == 0 else str(args.rows)
    folder = tmp / "sheets"

    note("setup: spreadsheet + init ...")
    start = time.perf_counter()
    sid, config_path = new_workspace(fake, folder, logs, "sheets", {"backend": "local", "base_dir": "media",
                                                                       "max_file_mb": 200})
    build_media(folder, rng)
    init_s = time.perf_counter() - start
    note(f"setup: {args.rows} staff rows typed into the fake ...")
    start = time.perf_counter()
    type_rows(fake, sid, agenda_rows(args.rows, datetime.now(timezone.utc), rng))
    typed_s = time.perf_counter() - start
    table.append(("(setup) init + rows into fake", str(args.rows), f"{init_s + typed_s:.1f}", "-", "-", "-",
                  f"init subprocess + photos {init_s:.1f} s; fake.edit of {args.rows} rows {typed_s:.1f} s"))

    note("setup: registering `once` ...")
    setup, (sr, sw, dr, _), route, serve = measured(fake, clock, config_path, logs, "g-setup")
    if setup.code != 0:
        raise SystemExit(f"setup cycle failed (exit {setup.code}):\n{setup.stderr[-3000:]}")
    rows = sheet_rows(fake, sid)
    missing = sum(1 for r in rows if not r.get(S.ENTRY_ID) or not r.get(S.AGENDA_NUMBER))
    if missing:
        raise SystemExit(f"setup: {missing} rows without ID Sistem / No. Agenda")
    table.append(("(setup) register cycle, once", str(len(rows)), f"{setup.wall:.1f}", f"{setup.peak_mb:.0f}",
                  f"{sr}/{sw}", str(dr), f"{fake_note(route, serve)}; {counts(rows)}"))
    # Rows approved when first seen are published by the cycle after the one saving their
    # IDs (the quota budget); that cycle is setup too, so case 1 acts on the chosen rows only.
    note("setup: publishing the rows approved at first sight ...")
    second, (sr, sw, dr, _), route, serve = measured(fake, clock, config_path, logs, "g-setup2")
    rows = sheet_rows(fake, sid)
    table.append(("(setup) first-sight approvals", str(len(rows)), f"{second.wall:.1f}",
                  f"{second.peak_mb:.0f}", f"{sr}/{sw}", str(dr),
                  f"{fake_note(route, serve)}; {counts(rows)}"))

    waiting = [r for r in rows if r.get(S.STATUS) == "Menunggu Paraf Kadis"]
    chosen = sorted(rng.sample(waiting, min(args.act, len(waiting))), key=lambda r: r["_row"])
    start = time.perf_counter()
    tick(fake, sid, [r["_row"] for r in chosen])
    tick_s = time.perf_counter() - start
    chosen_ids = {str(r[S.ENTRY_ID]) for r in chosen}

    note(f"case 1: one `once`, {len(chosen)} rows approved ...")
    case1, (sr, sw, dr, _), route, serve = measured(fake, clock, config_path, logs, "g-case1")
    rows1 = sheet_rows(fake, sid)
    live = sum(1 for r in rows1 if str(r.get(S.ENTRY_ID)) in chosen_ids and r.get(S.STATUS) == "Tayang")
    table.append((f"google cycle {k}/{len(chosen)}", str(len(rows1)), f"{case1.wall:.2f}", f"{case1.peak_mb:.0f}",
                  f"{sr}/{sw}", str(dr),
                  f"exit {case1.code}; {live}/{len(chosen)} now Tayang; {fake_note(route, serve)} "
                  f"(program ~{case1.wall - serve:.2f} s); ticks typed in {tick_s:.2f} s; "
                  f"{_summary_line(case1.stdout)}"))

    note("case 2: idle `once` ...")
    case2, (sr, sw, dr, _), route, serve = measured(fake, clock, config_path, logs, "g-case2")
    ok = "as expected" if (sr, sw, dr) == (0, 0, 1) else "EXPECTED 0/0 Sheets, 1 Drive"
    table.append(("google idle cycle", str(len(rows1)), f"{case2.wall:.2f}", f"{case2.peak_mb:.0f}",
                  f"{sr}/{sw}", str(dr), f"exit {case2.code}; {ok}; {fake_note(route, serve)}; "
                                         f"{_summary_line(case2.stdout)}"))

    base = run_child(["--help"], logs, "g-baseline")
    table.append(("(baseline) main.py --help", "-", f"{base.wall:.2f}", f"{base.peak_mb:.0f}", "-", "-",
                  "interpreter start + imports only"))
    failed = [c for c in (case1, case2) if c.code]
    for c in failed:
        print(c.stderr[-3000:], file=sys.stderr)
    return 1 if failed else 0


def drive_case(fake: FakeGoogle, clock: FakeClock, tmp: Path, logs: Path, label: str, size: int,
               seed: int) -> tuple[Child, tuple[int, int, int, int], float, float, str, Path]:
    """A workspace whose spreadsheet has one approved row linking one MP4 of `size` bytes in
    Drive; returns the measured `once` that downloads it. The row is new, so that cycle saves
    its `ID Sistem` and the next one (from the cache, not measured) publishes it."""
    folder = tmp / label
    sid, config_path = new_workspace(fake, folder, logs, label,
                                     {"backend": "drive", "max_file_mb": max(2048, size // MIB + 64)})
    source = tmp / f"{label}-source.mp4"
    write_video(source, size, seed)
    fh = source.open("rb")
    content = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    fh.close()
    fid = fake.add_file(f"{label}.mp4", content, "video/mp4", shared="reader")  # type: ignore[arg-type]
    row = {S.RECEIVED: datetime.now().replace(microsecond=0), S.TITLE: "Gubernur Resmikan Jembatan Sungai Kayan",
           S.NEWS_TYPE: "Siaran Pers", S.SOURCE: "Biro Administrasi Pimpinan", S.TEXT: TEXT,
           S.MEDIA: f"https://drive.google.com/file/d/{fid}/view?usp=sharing",
           S.CAPTION: "PERESMIAN : Gubernur Kaltara menggunting pita.", S.RECEIVER: "Rahmawati",
           S.PARAF_KADIS: True, S.PARAF_KABID: True}
    type_rows(fake, sid, [row])
    note(f"{label}: one `once` downloading a {size / MIB:.0f} MiB video ...")
    child, reqs, route, serve = measured(fake, clock, config_path, logs, label)
    run_child(["--config", str(config_path), "once"], logs, f"{label}-publish")
    status = (sheet_rows(fake, sid) or [{}])[0].get(S.STATUS)
    cached = list((folder / "state" / "media-cache").glob("*.mp4"))
    ok = bool(cached) and cached[0].stat().st_size == size
    return child, reqs, route, serve, f"status {status}; cached copy {'complete' if ok else 'MISSING/WRONG'}", source


def drive_cases(fake: FakeGoogle, clock: FakeClock, tmp: Path, logs: Path, args: argparse.Namespace,
                table: list[tuple[str, ...]]) -> int:
    big_size = args.video_mb * MIB
    small, sreq, sroute, sserve, snote, _ = drive_case(fake, clock, tmp, logs, "video-small", 2 * MIB, args.seed)
    table.append(("drive 2 MiB download (ref.)", "1", f"{small.wall:.2f}", f"{small.peak_mb:.0f}",
                  f"{sreq[0]}/{sreq[1]}", f"{sreq[2]} ({sreq[3]} media)",
                  f"exit {small.code}; {snote}; {fake_note(sroute, sserve)}"))
    big, breq, broute, bserve, bnote, _ = drive_case(fake, clock, tmp, logs, "video-big", big_size, args.seed + 1)
    growth = big.peak_mb - small.peak_mb
    name = f"drive {args.video_mb // 1024} GiB download" if args.video_mb % 1024 == 0 else \
        f"drive {args.video_mb} MiB download"
    verdict = "within" if growth < TARGET_GROWTH_MB else "MISSES"
    table.append((name, "1", f"{big.wall:.2f}", f"{big.peak_mb:.0f}", f"{breq[0]}/{breq[1]}",
                  f"{breq[2]} ({breq[3]} media)",
                  f"exit {big.code}; {bnote}; peak growth vs 2 MiB {growth:+.0f} MB ({verdict} "
                  f"{TARGET_GROWTH_MB} MB target); {big_size / MIB / big.wall:.0f} MB/s over the whole "
                  f"cycle, {big_size / MIB / max(big.wall - small.wall, 1e-9):.0f} MB/s over the extra "
                  f"time vs 2 MiB; {fake_note(broute, bserve)}"))
    failed = [c for c in (small, big) if c.code]
    for c in failed:
        print(c.stderr[-3000:], file=sys.stderr)
    return 1 if failed else 0


def print_table(table: list[tuple[str, ...]]) -> None:
    head = ("case", "rows", "wall s", "peak MB", "sheets r/w", "drive", "notes")
    n = len(head) - 1
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(n)]
    print("  ".join(h.ljust(w) for h, w in zip(head[:n], widths)) + "  " + head[n])
    print("  ".join("-" * w for w in widths) + "  " + "-" * 5)
    for r in table:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r[:n], widths)))
              + "  " + r[n])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000, help="rows of case 1 (default 20000)")
    parser.add_argument("--act", type=int, default=50, help="rows approved before case 1 (default 50)")
    parser.add_argument("--video-mb", type=int, default=1024, help="size of case 3's video in MiB")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--no-sheets", action="store_true", help="only the Drive download case")
    parser.add_argument("--no-drive", action="store_true", help="only the Sheets cases")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="agenda-bench-google-"))
    logs = tmp / "logs"
    logs.mkdir()
    table: list[tuple[str, ...]] = []
    code = 0
    saved_env = os.environ.get("AGENDA_GOOGLE_API_BASE")
    try:
        with FakeGoogle() as fake:
            clock = FakeClock(fake)
            os.environ["AGENDA_GOOGLE_API_BASE"] = fake.base_url   # inherited by run_child's launcher
            if not args.no_sheets:
                code = max(code, sheets_cases(fake, clock, tmp, logs, args, table))
            if not args.no_drive:
                code = max(code, drive_cases(fake, clock, tmp, logs, args, table))
        print_table(table)
        print("\n'in fake': time summed over requests inside FakeGoogle (in this process): 'route' is its "
              "request handling under its lock (incl. snapshotting the spreadsheet before each write, and "
              "the MD5 of a file's whole content on each Drive metadata request), 'handler' adds JSON "
              "encoding and socket I/O (overlapping with the client's own time while a body is streamed). "
              "File content is an mmap of a temp file, so it is in the page cache, not in any process heap.")
        names = {"g-setup": "register cycle", "g-case1": "google cycle", "video-big": "drive download"}
        for label, name in names.items():
            if BREAKDOWNS.get(label):
                print(f"in fake, {name}: {BREAKDOWNS[label]}")
        return code
    finally:
        if saved_env is None:
            os.environ.pop("AGENDA_GOOGLE_API_BASE", None)
        else:
            os.environ["AGENDA_GOOGLE_API_BASE"] = saved_env
        if args.keep:
            print(f"data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
