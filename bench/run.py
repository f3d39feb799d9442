"""Cycle benchmark on a large Buku Agenda (`make bench`; not part of the test suite).

Builds a real workspace (config, .xlsx agenda, shared photos, ledger, static site) in a
temporary folder, brings it into a realistic state by running real cycles, then measures:

1. `cycle N/K`   one `python main.py --config ... once` (a subprocess) on an agenda of N rows
                 the program already knows, K of which were just approved (both paraf ticked);
2. `idle cycle`  right after, file unchanged: one cycle in-process, which must only look at
                 the file's size and time stamp (bytes read from /proc/self/io `rchar`);
3. `cycle N/0`   one staff cell edited, nothing to act on: a subprocess `once` again.

It prints a plain-text table (wall time, the child's own peak RSS from wait4) and, for case
1, a breakdown from a cProfile run of the same cycle on a copy of the workspace (the top
functions by cumulative time go to stderr). No timing is asserted: the numbers are for people.

Then, unless --no-wordpress, the WordPress section (bench/wordpress.py: approval-to-live with
five photos and the requests it takes, peak memory of a 200 MB video upload) against real
WordPress sites on loopback; skipped, with the reason printed, without its Debian packages.

Then, unless --no-google, the Google section (bench/google.py: the same cycle on a Google
spreadsheet in the loopback FakeGoogle with the requests it takes, the idle cycle, and the
peak memory of a 1 GiB Drive video download).

Then, unless --no-video, the video section (bench/videos.py: converting 4K HEVC videos of
30 s and 60 s, the program against ffmpeg alone with the same settings, and its peak memory).

Then the Pratinjau section (bench/pratinjau.py: a page with 10 phone photos against the
photos' decoding alone, and what pages add to a cycle of 50 newly complete rows).

    .venv/bin/python bench/run.py [--rows 20000] [--act 50] [--keep] [--seed 7] [--no-wordpress]
                                  [--no-google] [--no-video]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from automation import config as config_module  # noqa: E402
from automation.agenda.template import build_workbook  # noqa: E402
from automation.agenda.xlsx_store import XlsxAgenda  # noqa: E402
from automation.core import schema as S  # noqa: E402
# Imported lazily by open_workspace: loaded here so that case 2 counts the cycle's reads only.
import automation.media.local  # noqa: E402,F401
import automation.publishers.static_site  # noqa: E402,F401
from automation.cycle import Cycle  # noqa: E402
from automation.ports import RowWrite  # noqa: E402
from automation.workspace import open_workspace  # noqa: E402
from tests.support.config import config_toml  # noqa: E402

# Targets (issue 10), as ratios to the floor measured in the same run: a cycle can be no
# faster than starting the interpreter with the program's imports and reading the agenda.
TARGET_EDIT_RATIO = 2.0          # 20,000 rows, one staff cell changed
TARGET_ACT_RATIO = 3.0           # 20,000 rows, 50 to publish
TARGET_MB = 300
FLOOR = """
import sys
import automation.cli  # noqa: F401  (the program's imports)
from python_calamine import CalamineWorkbook
CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_name(sys.argv[2]).to_python()
"""

CONFIG = config_toml(website={"url": "https://diskominfo.kaltaraprov.example.go.id/berita"},
                     media={"max_file_mb": 200})

# --- realistic rows ------------------------------------------------------------------------

PLACES = ["Tanjung Selor", "Tarakan", "Nunukan", "Malinau", "Tana Tidung", "Bulungan",
          "Sebatik", "Krayan", "Tanjung Palas", "Sesayap"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
OFFICIALS = ["Gubernur Kaltara", "Wakil Gubernur Kaltara", "Sekda Provinsi Kaltara",
             "Kepala DKISP Kaltara", "Kepala Dinas Kesehatan", "Kepala BPBD Kaltara",
             "Asisten Perekonomian", "Kepala Bapenda Kaltara", "Ketua TP-PKK Kaltara"]
ACTS = [("Resmikan", "meresmikan"), ("Buka", "membuka"), ("Hadiri", "menghadiri"),
        ("Tinjau", "meninjau"), ("Pimpin", "memimpin"), ("Serahkan", "menyerahkan")]
THINGS = ["Jembatan Sungai Kayan", "Pasar Induk", "Puskesmas Rawat Inap", "Festival Budaya Irau",
          "Rapat Koordinasi Penanganan Stunting", "Pameran UMKM Akhir Tahun",
          "Musrenbang Provinsi", "Bantuan Sosial bagi Nelayan", "Pelatihan Literasi Digital",
          "Gedung Sekolah Dasar Perbatasan", "Sosialisasi Pajak Kendaraan Bermotor",
          "Vaksinasi Massal Anak Sekolah", "Jalan Lingkar Perbatasan", "Gerakan Pangan Murah",
          "Seleksi Terbuka Jabatan Pimpinan Tinggi", "Lomba Desa Wisata"]
SOURCES = ["Biro Administrasi Pimpinan", "DKISP Kaltara", "BPBD Kaltara", "Dinas Kesehatan",
           "Bapenda Kaltara", "BKD Kaltara", "Dinas Pendidikan dan Kebudayaan",
           "Dinas PUPR-Perkim", "Dinas Ketahanan Pangan", "Biro Perekonomian"]
RECEIVERS = ["Rahmawati", "Andi Saputra", "Nur Aisyah", "Budi Santoso", "Siti Hajar"]
NEWS_TYPES = ["Kegiatan Pimpinan", "Kegiatan OPD", "Siaran Pers", "Pengumuman", "Galeri"]
SENTENCES = [
    "Kegiatan ini diikuti {n} peserta dari berbagai perangkat daerah dan unsur masyarakat.",
    "{who} berharap program ini mempercepat pemerataan pembangunan hingga ke wilayah perbatasan.",
    "Menurutnya, sinergi pemerintah provinsi dan kabupaten/kota menjadi kunci keberhasilan.",
    "Pemerintah Provinsi Kalimantan Utara telah menganggarkan Rp{n} miliar untuk tahun ini.",
    "Warga menyambut baik kegiatan tersebut karena manfaatnya langsung dirasakan masyarakat.",
    "Acara ditutup dengan penyerahan simbolis dan peninjauan lapangan bersama wartawan.",
    "\"Kami ingin layanan publik semakin dekat dengan warga,\" ujar {who}.",
    "Turut hadir Forkopimda, pimpinan OPD, camat, serta tokoh adat setempat.",
]
PHOTO_FILES = [f"foto/kegiatan-{n:02d}.jpg" for n in range(1, 9)]
# Links are separated by new lines, commas or spaces (SPEC), so folder names have none.
PHOTO_FOLDERS = ["2026-11-27-peresmian-jembatan/", "2026-11-20-rakor-stunting/"]
DOCUMENTS = ["naskah/siaran-pers-pangan.md", "naskah/pengumuman-seleksi.md"]


def _title(rng: random.Random) -> tuple[str, str, str]:
    who = rng.choice(OFFICIALS)
    short, long = rng.choice(ACTS)
    thing, place = rng.choice(THINGS), rng.choice(PLACES)
    return f"{who} {short} {thing} di {place}", who, f"{long} {thing} di {place}"


def _text(rng: random.Random, who: str, what: str, place: str, received: datetime) -> str:
    lead = (f"{place.upper()} – {who} {what}, {DAYS[received.weekday()]} "
            f"({received.day}/{received.month}).")
    body = " ".join(s.format(who=who, n=rng.randint(12, 480))
                    for s in rng.sample(SENTENCES, rng.randint(3, 5)))
    return f"{lead}\n\n{body} (humas)"


def _media(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.10:
        return rng.choice(PHOTO_FOLDERS)
    return "\n".join(rng.sample(PHOTO_FILES, rng.randint(1, 3)))


def agenda_rows(n: int, now: datetime, rng: random.Random) -> list[dict]:
    """Staff and official cells of `n` rows in a realistic mix (no program cells yet)."""
    rows = []
    for i in range(n):
        received = (now - timedelta(minutes=int((n - i) * 20))).replace(tzinfo=None, microsecond=0)
        title, who, what = _title(rng)
        place = title.rsplit(" di ", 1)[1]
        row = {
            S.RECEIVED: received, S.TITLE: title, S.NEWS_TYPE: rng.choice(NEWS_TYPES),
            S.SOURCE: rng.choice(SOURCES), S.TEXT: _text(rng, who, what, place, received),
            S.MEDIA: _media(rng), S.CAPTION: f"{what.split(' ', 1)[0].upper()} : {who} {what}.",
            S.RECEIVER: rng.choice(RECEIVERS),
        }
        roll = rng.random()
        if roll < 0.02:
            row[S.TEXT] = rng.choice(DOCUMENTS)            # the text is a document in the media folder
        elif roll < 0.03:
            row[S.MEDIA] = "foto/belum-diunggah.jpg"       # missing photo -> Belum Lengkap
        elif roll < 0.04:
            row[S.SOURCE] = None                            # missing field -> Belum Lengkap
        elif roll < 0.055:
            row[S.REJECTED] = True
            row[S.LEADER_NOTE] = "Tunggu konfirmasi resmi dari OPD pengirim."
        elif roll < 0.065:
            row[S.PARAF_KADIS] = row[S.PARAF_KABID] = True  # published in the setup cycle
        elif roll < 0.30:
            row[S.PARAF_KADIS] = True                       # -> Menunggu Paraf Kabid
        rows.append(row)
    return rows


def _photo(path: Path, rng: random.Random) -> None:
    """A 1600x1067 camera-like JPEG (gradient plus grain), a few hundred KB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = Image.merge("RGB", [Image.linear_gradient("L").rotate(rng.randint(0, 359)).resize((1600, 1067))
                               for _ in range(3)])
    grain = Image.effect_noise((1600, 1067), 30).convert("RGB")
    Image.blend(base, grain, 0.12).save(path, "JPEG", quality=85)


def build_workspace(folder: Path, rows: int, now: datetime, rng: random.Random) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
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
    cfg = config_module.load(config_path)
    book = build_workbook(cfg.approval.columns, cfg.agenda.news_types, cfg.agenda.worksheet)
    sheet = book[cfg.agenda.worksheet]
    headers = [c.value for c in sheet[1]]
    column = {h: headers.index(h) + 1 for h in headers if h}
    for r, values in enumerate(agenda_rows(rows, now, rng), start=2):
        for header, value in values.items():
            cell = sheet.cell(row=r, column=column[header], value=value)
            if isinstance(value, str):
                cell.data_type = "s"      # staff text is never a formula
    book.save(cfg.agenda.path)
    return config_path


# --- measuring -----------------------------------------------------------------------------

@dataclass
class Child:
    code: int
    wall: float
    peak_mb: float
    stdout: str
    stderr: str


# The children are started by this tiny launcher, not by the benchmark itself: on Linux a
# child spawned with vfork/posix_spawn keeps the spawning process's RSS high-water mark in its
# own ru_maxrss across exec, so a child of this (large, openpyxl-filled) process would report
# our peak, not its own. The launcher stays around 10 MB and runs exactly one child, so its
# getrusage(RUSAGE_CHILDREN).ru_maxrss is that child's peak (Linux: KiB).
LAUNCHER = """\
import os, resource, sys, time
out, err, cwd, *cmd = sys.argv[1:]
os.chdir(cwd)
fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
start = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=[
    (os.POSIX_SPAWN_DUP2, fo, 1), (os.POSIX_SPAWN_DUP2, fe, 2)])
_, status = os.waitpid(pid, 0)
wall = time.perf_counter() - start
print(os.waitstatus_to_exitcode(status), wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_child(args: list[str], logs: Path, label: str) -> Child:
    """`python main.py ARGS` as a child: exit code, wall time and its own peak RSS."""
    out, err = logs / f"{label}.out", logs / f"{label}.err"
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(out), str(err), str(ROOT),
                           sys.executable, str(ROOT / "main.py"), *args],
                          capture_output=True, text=True, check=True)
    code, wall, kib = done.stdout.split()
    return Child(int(code), float(wall), int(kib) / 1024,
                 out.read_text(encoding="utf-8", errors="replace"),
                 err.read_text(encoding="utf-8", errors="replace"))


def run_floor(agenda: Path, worksheet: str, logs: Path) -> Child:
    """The floor: the interpreter, the program's imports and one calamine read of the agenda."""
    out, err = logs / "floor.out", logs / "floor.err"
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(out), str(err), str(ROOT),
                           sys.executable, "-c", FLOOR, str(agenda), worksheet],
                          capture_output=True, text=True, check=True)
    code, wall, kib = done.stdout.split()
    return Child(int(code), float(wall), int(kib) / 1024, "", "")


def run_once(config_path: Path, logs: Path, label: str) -> Child:
    return run_child(["--config", str(config_path), "once"], logs, label)


def rchar() -> int:
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def statuses(config_path: Path) -> tuple[dict[str, int], list[dict]]:
    cfg = config_module.load(config_path)
    store = XlsxAgenda(cfg.agenda.path, cfg.agenda.worksheet, config_path.parent / "bench-backup", cfg.tz)
    sheet = store.read()
    header = [str(h).strip() if h is not None else "" for h in sheet.header]
    rows = []
    for n, values in enumerate(sheet.rows, start=2):
        if any(v is not None for v in values):
            row = dict(zip(header, values))
            row["_row"] = n
            rows.append(row)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.get(S.STATUS) or "(none)"] = counts.get(row.get(S.STATUS) or "(none)", 0) + 1
    return counts, rows


def person_writes(config_path: Path, writes: list[RowWrite]) -> None:
    """Cells a person changes, written with the program's own patching store (file stays as
    the program keeps it); its backup goes beside the workspace, not into state_dir."""
    cfg = config_module.load(config_path)
    store = XlsxAgenda(cfg.agenda.path, cfg.agenda.worksheet, config_path.parent / "bench-backup", cfg.tz)
    report = store.write(writes, [])
    assert not report.missed, f"rows not found: {report.missed}"


def copy_workspace(src: Path, dst: Path) -> None:
    """A copy for profiling: the site hard-linked (only replaced, never edited in place); the
    media read where they are, since the media settings are part of what settles a row (a
    media folder elsewhere would have every row looked at again)."""
    dst.mkdir()
    for item in src.iterdir():
        if item.is_dir() and item.name != "media":
            linked = item.name == "site"
            shutil.copytree(item, dst / item.name, copy_function=os.link if linked else shutil.copy2)
        elif item.is_file():
            shutil.copy2(item, dst / item.name)
    config = dst / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert 'base_dir = "media"' in text
    config.write_text(text.replace('base_dir = "media"', f"base_dir = '{src / 'media'}'"),
                      encoding="utf-8")


def _summary_line(stdout: str) -> str:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def _acted(stdout: str) -> int:
    return sum(1 for line in stdout.splitlines() if "[publish]" in line or "[update]" in line
               or "[withdraw]" in line)


def _where(func: tuple[str, int, str]) -> str:
    file, line, name = func
    file = file.replace("\\", "/")
    short = file.split("/automation/", 1)[1] if "/automation/" in file else file.rsplit("/", 1)[-1]
    return f"{short}:{name}" if file != "~" else name


Func = tuple[str, int, str]


def _children(stats: pstats.Stats, parent: Func, total: float, share: float = 0.02
              ) -> list[tuple[Func, float]]:
    """Functions called by `parent` with the cumulative time spent in them from it, biggest
    first, leaving out those under `share` of `total`."""
    out = []
    for func, (_, _, _, _, callers) in stats.stats.items():
        if parent in callers and callers[parent][3] >= share * total:
            out.append((func, callers[parent][3]))
    return sorted(out, key=lambda pair: -pair[1])


def _breakdown(stats: pstats.Stats, run: Func) -> list[str]:
    """Cycle.run split into its parts, each big part split once more (through wrappers that
    only call one thing), and the hottest path down to where the time is really spent."""
    total = stats.stats[run][3]
    level1 = _children(stats, run, total)
    lines = [f"Cycle.run {total:.2f} = " + ", ".join(f"{_where(f)} {t:.2f}" for f, t in level1)]
    for func, spent in level1:
        if spent < 0.15 * total:
            continue
        name = _where(func)
        below = _children(stats, func, total)
        while len(below) == 1 and below[0][1] >= 0.9 * spent:
            func = below[0][0]
            name += f" > {_where(func)}"
            below = _children(stats, func, total)
        if below:
            lines.append(f"{name} {spent:.2f} = " + ", ".join(f"{_where(f)} {t:.2f}" for f, t in below))
    path, func, seen = [], run, {run}
    while True:
        below = [(f, t) for f, t in _children(stats, func, total, 0.10) if f not in seen]
        if not below:
            break
        func, spent = below[0]
        seen.add(func)
        path.append(f"{_where(func)} {spent:.2f}")
    lines.append("hot path: Cycle.run > " + " > ".join(path))
    return lines


def profile_cycle(config_path: Path, top: int = 8) -> tuple[float, str]:
    """The cycle in-process under cProfile: top functions to stderr, a breakdown returned."""
    cfg = config_module.load(config_path)
    ws = open_workspace(cfg)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    try:
        profiler.enable()
        report = Cycle(ws, datetime.now(timezone.utc)).run()
        profiler.disable()
    finally:
        ws.close()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    buffer = io.StringIO()
    stats.stream = buffer
    stats.sort_stats("cumulative").print_stats(top)
    print(f"--- cProfile of case 1 on a copy of the workspace ({wall:.2f} s under the profiler, "
          f"{report.rows} rows, {len(report.changed)} changed); top {top} by cumulative time:",
          file=sys.stderr)
    text = buffer.getvalue()
    print(text[text.index("ncalls"):].rstrip() if "ncalls" in text else text, file=sys.stderr)
    run = next((f for f in stats.stats if f[2] == "run" and f[0].replace("\\", "/").endswith(
        "automation/cycle.py")), None)
    if run is None:
        return wall, "(Cycle.run not found in the profile)"
    return wall, "\n  ".join(_breakdown(stats, run))


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="agenda rows (default 20000)")
    parser.add_argument("--act", type=int, default=50, help="rows approved before case 1 (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown")
    parser.add_argument("--no-wordpress", action="store_true",
                        help="skip the WordPress section (bench/wordpress.py)")
    parser.add_argument("--no-google", action="store_true",
                        help="skip the Google section (bench/google.py)")
    parser.add_argument("--no-video", action="store_true",
                        help="skip the video conversion section (bench/videos.py)")
    args = parser.parse_args(argv)
    code = cycles(args)
    if not args.no_wordpress:
        code = max(code, wordpress_section(args))
    if not args.no_google:
        code = max(code, google_section(args))
    if not args.no_video:
        code = max(code, video_section())
    print()
    print("Pratinjau section (bench/pratinjau.py)", flush=True)
    from bench import pratinjau
    code = max(code, pratinjau.main([]))
    return code


def video_section() -> int:
    """bench/videos.py: converting 4K HEVC videos of two lengths, against ffmpeg alone."""
    print()
    print("Video section (bench/videos.py)", flush=True)
    from bench import videos
    return videos.main([])


def google_section(args: argparse.Namespace) -> int:
    """bench/google.py's cases and table (FakeGoogle on loopback), after the others."""
    print()
    print("Google section (bench/google.py)", flush=True)
    from bench import google
    return google.main(["--rows", str(args.rows), "--act", str(args.act), "--seed", str(args.seed),
                        *(["--keep"] if args.keep else [])])


def wordpress_section(args: argparse.Namespace) -> int:
    """bench/wordpress.py's cases and table, after this benchmark's own."""
    from tests.support.wordpress_server import DEBIAN_PACKAGES, missing_requirements

    print()
    missing = missing_requirements()
    if missing:
        print(f"WordPress section skipped: it needs the Debian packages {DEBIAN_PACKAGES}; "
              f"missing: {', '.join(missing)} (--no-wordpress leaves it out)")
        return 0
    print("WordPress section (bench/wordpress.py)", flush=True)
    from bench import wordpress
    return wordpress.main(["--seed", str(args.seed), *(["--keep"] if args.keep else [])])


def cycles(args: argparse.Namespace) -> int:
    """Cases 1-3 on the large agenda, with their table."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)   # in-process cycles stay quiet

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="agenda-bench-"))
    folder, logs = tmp / "workspace", tmp / "logs"
    logs.mkdir()
    table: list[tuple[str, str, str, str, str, str]] = []
    k = f"{args.rows // 1000}k" if args.rows >= 1000 and args.rows % 1000 == 0 else str(args.rows)

    def note(msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    try:
        # -- setup: the agenda as staff wrote it, then one real cycle registers every row.
        note(f"building an agenda of {args.rows} rows in {folder} ...")
        start = time.perf_counter()
        config_path = build_workspace(folder, args.rows, datetime.now(timezone.utc), rng)
        agenda = config_module.load(config_path).agenda.path
        table.append(("(setup) build agenda, openpyxl", str(args.rows), "-",
                      f"{time.perf_counter() - start:.1f}", "-",
                      f"{agenda.stat().st_size / 1e6:.2f} MB .xlsx, {len(PHOTO_FILES) + 3 * len(PHOTO_FOLDERS)} shared photos"))

        note("setup cycle: registering every row (subprocess `once`) ...")
        setup = run_once(config_path, logs, "setup")
        if setup.code != 0:
            raise SystemExit(f"setup cycle failed (exit {setup.code}):\n{setup.stderr[-3000:]}")
        counts, rows = statuses(config_path)
        missing = sum(1 for r in rows if not r.get(S.ENTRY_ID) or not r.get(S.AGENDA_NUMBER))
        if missing:
            raise SystemExit(f"setup: {missing} rows without ID Sistem / No. Agenda")
        mix = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        table.append(("(setup) register cycle, once", str(len(rows)), str(_acted(setup.stdout)),
                      f"{setup.wall:.1f}", f"{setup.peak_mb:.0f}", mix))
        # A running service looks at every row once more after writing it; from then on the
        # rows nobody touches are settled, as in an office's agenda.
        steady = run_once(config_path, logs, "steady")
        table.append(("(setup) next cycle, rows settle", str(len(rows)), str(_acted(steady.stdout)),
                      f"{steady.wall:.1f}", f"{steady.peak_mb:.0f}", _summary_line(steady.stdout)))

        # -- approve K rows that wait for Paraf Kadis: both ticks, as Kadis and Kabid would.
        waiting = [r for r in rows if r.get(S.STATUS) == "Menunggu Paraf Kadis"]
        chosen = sorted(rng.sample(waiting, min(args.act, len(waiting))), key=lambda r: r["_row"])
        person_writes(config_path, [RowWrite(str(r[S.ENTRY_ID]), r["_row"],
                                             {S.PARAF_KADIS: True, S.PARAF_KABID: True})
                                    for r in chosen])
        chosen_ids = {str(r[S.ENTRY_ID]) for r in chosen}
        profile_copy = tmp / "profile-copy"
        if not args.no_profile:
            copy_workspace(folder, profile_copy)

        # -- case 1: one cycle publishing K rows.
        note(f"case 1: one `once` cycle, {len(chosen)} rows approved ...")
        case1 = run_once(config_path, logs, "case1")
        counts1, rows1 = statuses(config_path)
        live = sum(1 for r in rows1 if str(r.get(S.ENTRY_ID)) in chosen_ids and r.get(S.STATUS) == "Tayang")
        table.append((f"cycle {k}/{len(chosen)}", str(len(rows1)), str(_acted(case1.stdout)),
                      f"{case1.wall:.2f}", f"{case1.peak_mb:.0f}",
                      f"exit {case1.code}; {live}/{len(chosen)} now Tayang; {_summary_line(case1.stdout)}"))

        # -- case 2: the file unchanged, a minute later: an idle cycle in-process.
        note("case 2: idle cycle in-process ...")
        cfg = config_module.load(config_path)
        size = cfg.agenda.path.stat().st_size
        before, start = rchar(), time.perf_counter()
        ws = open_workspace(cfg)
        opened = rchar()
        try:
            report = Cycle(ws, datetime.now(timezone.utc) + timedelta(minutes=1)).run()
            ran = rchar()
        finally:
            ws.close()
        wall, read = time.perf_counter() - start, rchar() - before
        table.append(("idle cycle (in-process)", str(args.rows), "0", f"{wall:.3f}", "-",
                      f"idle={report.idle}; read {read:,} bytes (rchar; open ledger "
                      f"{opened - before:,}, Cycle.run {ran - opened:,}) vs agenda file {size:,} bytes"))

        # -- case 3: a person edits one staff cell; nothing to act on.
        target = next(r for r in rows1 if r.get(S.STATUS) == "Menunggu Paraf Kadis"
                      and str(r[S.ENTRY_ID]) not in chosen_ids)
        other = next(n for n in RECEIVERS if n != target.get(S.RECEIVER))
        person_writes(config_path, [RowWrite(str(target[S.ENTRY_ID]), target["_row"], {S.RECEIVER: other})])
        note("case 3: one `once` cycle, one staff cell changed, nothing to act on ...")
        case3 = run_once(config_path, logs, "case3")
        table.append((f"cycle {k}/0", str(args.rows), str(_acted(case3.stdout)), f"{case3.wall:.2f}",
                      f"{case3.peak_mb:.0f}", f"exit {case3.code}; {_summary_line(case3.stdout)}"))

        # -- the floor, measured now: interpreter + imports + reading the agenda with calamine.
        floors = [run_floor(cfg.agenda.path, cfg.agenda.worksheet, logs) for _ in range(3)]
        floor = sorted(floors, key=lambda c: c.wall)[1]
        table.append(("(floor) start + imports + read", str(args.rows), "-", f"{floor.wall:.2f}",
                      f"{floor.peak_mb:.0f}", "median of 3: python, the program's imports, "
                      "one calamine read of the agenda"))

        breakdown = ""
        if not args.no_profile:
            note("profiling case 1 in-process on the copy ...")
            _, breakdown = profile_cycle(profile_copy / "config.toml")

        # -- the table.
        head = ("case", "rows", "acted", "wall s", "peak MB", "notes")
        widths = [max(len(r[i]) for r in [head, *table]) for i in range(5)]
        print("  ".join(h.ljust(w) for h, w in zip(head[:5], widths)) + "  " + head[5])
        print("  ".join("-" * w for w in widths) + "  " + "-" * 5)
        for r in table:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(r[:5], widths))) + "  " + r[5])
        print()
        for label, child, target in ((f"cycle {k}/{len(chosen)}", case1, TARGET_ACT_RATIO),
                                     (f"cycle {k}/0", case3, TARGET_EDIT_RATIO)):
            ratio = child.wall / floor.wall
            verdict = [f"wall {child.wall:.2f} s = {ratio:.2f} x floor " + (
                "within" if ratio <= target else "MISSES") + f" the {target:.0f} x target",
                f"peak {child.peak_mb:.0f} MB " + ("within" if child.peak_mb <= TARGET_MB
                else f"MISSES by {child.peak_mb - TARGET_MB:.0f} MB") + f" the {TARGET_MB} MB target"]
            print(f"{label}: " + "; ".join(verdict))
        if breakdown:
            print(f"case 1 breakdown (cProfile, cumulative s, inflated by the profiler; parts >= 2%):\n  {breakdown}")
        if case1.code or case3.code:
            print("a measured cycle failed; its stderr:", file=sys.stderr)
            print((case1.stderr + case3.stderr)[-4000:], file=sys.stderr)
            return 1
        return 0
    finally:
        if args.keep:
            print(f"workspace kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
