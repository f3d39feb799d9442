"""Pratinjau rendering benchmark (a section of `make bench`; not part of the test suite).

Makes 10 photos as phones take them (4000x3000 JPEG, ~3 MB each, with EXIF orientation,
location and the owner's name; every other one stored sideways), and measures, each in a
child process of its own so its peak RSS is its own:

- `floor`: what cannot be avoided: Pillow decoding each photo and scaling it down to the size
  the page shows it at (1600 px for the lead photo, 640 px for the thumbnails) by the fastest
  route (decoded at the smallest DCT scale that still gives that size), nothing else;
- `render`: `automation.pratinjau.render.render` of a Pratinjau with those 10 photos (the
  photo pipeline, fonts, layout, PDF, atomic write), timed three times in the same process:
  the first call (what a cycle pays) and the median.

Targets: render < 1 s and peak memory < 150 MB. Photos are cached in bench/.cache.

    .venv/bin/python bench/pratinjau.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "bench" / ".cache" / "pratinjau"
PHOTOS, SIZE = 10, (4000, 3000)
TARGET_S, TARGET_MB = 1.0, 150

FLOOR = """\
import resource, sys, time
from pathlib import Path
from PIL import Image
paths = [Path(p) for p in sys.argv[1:]]
start = time.perf_counter()
for index, path in enumerate(paths):
    side = 1600 if index == 0 else 640
    with Image.open(path) as image:
        # the fastest route: decoded at the smallest DCT scale that still gives `side` px
        scale = min(1.0, side / max(image.size))
        image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=None)
wall = time.perf_counter() - start
print(wall, wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0, 0)
"""

RENDER = """\
import resource, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
from automation.pratinjau.render import render
imported = time.perf_counter()
from tests.support import pratinjau as P
from automation.ports import MediaFile
folder, paths = Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]
photos = tuple(MediaFile(p.name, p, "photo", "image/jpeg", p.stat().st_size, "0" * 64)
               for p in paths)
page = P.realistic_page(folder, photo_count=0, videos=False, photos=photos)
times = []
for attempt in range(3):
    target = folder / f"0017-2026-v{attempt + 1}.pdf"
    start = time.perf_counter()
    render(page, target)
    times.append(time.perf_counter() - start)
print(times[0], statistics.median(times), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      target.stat().st_size, imported - started)
"""

# A small launcher runs each child, so the child's RSS is its own (see bench/videos.py).
LAUNCHER = ("import subprocess, sys\n"
            "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stderr.write(done.stderr)\n"
            "print(done.stdout.strip())\n"
            "sys.exit(done.returncode)\n")


def phone_photos() -> list[Path]:
    """10 phone photos, made once and kept in bench/.cache/pratinjau."""
    from tests.support.pratinjau import phone_photo
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(PHOTOS):
        path = CACHE / f"phone-{SIZE[0]}x{SIZE[1]}-{index}.jpg"
        if not path.is_file():
            if not paths and index == 0:
                print(f"making {PHOTOS} phone photos {SIZE[0]}x{SIZE[1]} "
                      f"(once; kept in {CACHE})...", flush=True)
            part = path.with_suffix(".part.jpg")
            phone_photo(part, SIZE, orientation=6 if index % 2 else 1, seed=index)
            part.replace(path)
        paths.append(path)
    return paths


def child(code: str, *args: str) -> tuple[float, float, float, int, float]:
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, sys.executable, "-c", code,
                           *args], capture_output=True, text=True, check=True)
    first, median, peak, size, imports = done.stdout.split()
    return float(first), float(median), float(peak), int(float(size)), float(imports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    paths = phone_photos()
    mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-pratinjau-") as scratch:
        floor = child(FLOOR, *map(str, paths))
        made = child(RENDER, str(ROOT), scratch, *map(str, paths))
    print(f"Pratinjau with {PHOTOS} phone photos ({SIZE[0]}x{SIZE[1]} JPEG, {mb:.1f} MB each)")
    head = ("", "first s", "median s", "peak MB", "PDF KB")
    print("  ".join(h.rjust(w) for h, w in zip(head, (34, 8, 9, 8, 7))))
    for label, (first, median, peak, size, _) in (
            ("floor: Pillow decode + downscale", floor), ("render (page, 10 photos, PDF)", made)):
        cells = (label, f"{first:.2f}", f"{median:.2f}", f"{peak:.0f}",
                 f"{size / 1024:.0f}" if size else "-")
        print("  ".join(c.rjust(w) for c, w in zip(cells, (34, 8, 9, 8, 7))))
    first, median, peak, _ = made[:4]
    imports = made[4]
    print(f"render / floor: {first / floor[0]:.2f} (first), {median / floor[1]:.2f} (median)")
    print(f"time target < {TARGET_S:.0f} s: {first:.2f} s "
          f"({'met' if first < TARGET_S else 'MISSED'}); peak target < {TARGET_MB} MB: "
          f"{peak:.0f} MB ({'met' if peak < TARGET_MB else 'MISSED'})")
    print(f"imports, once per process before the first page: {imports:.2f} s")
    cycle_case()
    return 0


ROWS = 50


def cycle_case() -> None:
    """What pages add to a cycle: `python main.py once` over an agenda of ROWS newly complete
    rows (one photo each, none seen before), with previews on and off, each in a fresh
    workspace; the difference is the pages' cost."""
    from automation.core import schema as S
    from bench.run import run_child
    from tests.support.config import config_toml
    from tests.support.workspace import Agenda, row

    walls = {}
    with tempfile.TemporaryDirectory(prefix="bench-pratinjau-cycle-") as scratch:
        for enabled in (False, True):
            folder = Path(scratch) / f"pages-{enabled}"
            photos = ("foto/a.jpg", "foto/b.jpg", "foto/c.jpg")
            Agenda(folder, [row(f"Berita nomor {i}", **{S.MEDIA: photos[i % 3]})
                            for i in range(ROWS)], config_toml(preview={"enabled": enabled}))
            logs = folder / "logs"
            logs.mkdir()
            done = run_child(["--config", str(folder / "config.toml"), "once"], logs,
                             f"pages-{enabled}")
            assert done.code == 0, done.stderr[-2000:]
            made = len(list((folder / "pratinjau").glob("*.pdf"))) if enabled else 0
            walls[enabled] = (done.wall, done.peak_mb, made)
    (off, off_mb, _), (on, on_mb, made) = walls[False], walls[True]
    print(f"cycle of {ROWS} newly complete rows: {off:.2f} s without pages, {on:.2f} s with "
          f"{made} Pratinjau made: +{on - off:.2f} s ({(on - off) / max(made, 1):.3f} s a "
          f"page); peak {off_mb:.0f} MB vs {on_mb:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
