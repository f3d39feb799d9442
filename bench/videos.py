"""Video conversion benchmark (a section of `make bench`; not part of the test suite).

Makes 4K HEVC test videos as an iPhone records them (3840x2160, 30 fps, with sound; a moving
test pattern with film grain so the encoder has real work), of two lengths, and for each:

- `ffmpeg alone`: the conversion command the program runs (`automation.media.ffmpeg`),
  run straight, timed: the floor;
- `program`: the program's own path for a video of a row (`Conversions.prepare`, then
  `pump` as cycles call it, every 0.2 s here) until the result is taken: probe of the result,
  poster frame, hash, journal. Run as a child so its own peak RSS is measured (the Python
  process; ffmpeg's is shown apart: it is the same in both).

The table gives the ratio program / ffmpeg alone (target <= 1.1) and the program's peak
memory (target < 150 MB, the same at both lengths). Sources are cached in bench/.cache.

    .venv/bin/python bench/videos.py [--seconds 30 60] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automation.media import ffmpeg  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
TARGET_RATIO, TARGET_MB = 1.1, 150

# The program's side, run as `python bench/videos.py --child SOURCE STATE`.
CHILD = """\
import resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from automation.ledger import Ledger
from automation.media.conversions import Conversions
from automation.media.files import examine, video_facts
from automation.ports import MediaFile
source, state = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
facts = examine(source)                       # what the media source does on first sight
media = MediaFile(source.name, source, "video", facts["mime"], source.stat().st_size,
                  facts["sha256"], video=video_facts(facts))
ledger = Ledger(state / "ledger.sqlite3")
videos = Conversions(state / "video", ledger, limit_mb=64)
while (prepared := videos.prepare(media)).file is None:
    assert not prepared.problem, prepared.problem
    time.sleep(0.2)
    videos.pump()
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(wall, own, prepared.file.size)
"""


def source_video(seconds: int) -> Path:
    """A 4K HEVC .mov with sound, made once and kept in bench/.cache."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"iphone-4k-hevc-{seconds}s.mov"
    if path.is_file():
        return path
    print(f"making a {seconds} s 4K HEVC test video (once; kept in {CACHE})...", flush=True)
    part = path.with_suffix(".part.mov")
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", str(seconds), "-vf", "noise=alls=12:allf=t",
                    "-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
                    "-x265-params", "log-level=error", "-b:v", "20M",
                    "-c:a", "aac", "-b:a", "160k", str(part)], check=True)
    part.replace(path)
    return path


def ffmpeg_alone(source: Path, folder: Path) -> tuple[float, float]:
    """Wall time and ffmpeg's peak RSS (MB) of the program's conversion command, run alone."""
    from automation.media.files import examine, video_facts
    from automation.media.videos import conversion_for
    facts = examine(source)
    conversion = conversion_for(source.name, video_facts(facts), facts["mime"],
                                source.stat().st_size, 64)
    folder.mkdir(parents=True, exist_ok=True)
    command = ffmpeg.conversion_command(source, conversion, "alone.mp4", "alone.progress")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def program(source: Path, folder: Path) -> tuple[float, float, float, int]:
    """Wall time, the program's own peak RSS, ffmpeg's peak RSS (MB) and the result's size."""
    folder.mkdir(parents=True, exist_ok=True)
    # A small launcher runs the child, so the child's RSS is its own (see bench/run.py).
    launcher = ("import resource, subprocess, sys\n"
                "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True)\n"
                "print(done.stdout.strip(), "
                "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-S", "-c", launcher, sys.executable, "-c", CHILD,
                           str(source), str(folder), str(ROOT)],
                          capture_output=True, text=True, check=True)
    wall, own, size, descendants = done.stdout.split()
    return float(wall), float(own), int(descendants) / 1024, int(size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, nargs="+", default=[30, 60],
                        help="lengths of the 4K HEVC test videos (default 30 60)")
    args = parser.parse_args(argv)
    print(f"ffmpeg: {ffmpeg.executable()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-videos-") as scratch:
        for seconds in args.seconds:
            source = source_video(seconds)
            alone, alone_peak = ffmpeg_alone(source, Path(scratch) / f"alone-{seconds}")
            wall, own, descendants, size = program(source, Path(scratch) / f"program-{seconds}")
            rows.append((seconds, source.stat().st_size / 1e6, alone, wall, own, alone_peak,
                         size / 1e6))
    head = ("4K HEVC source", "MB", "ffmpeg alone s", "program s", "ratio", "program peak MB",
            "ffmpeg peak MB", "result MB")
    print("  ".join(head))
    for seconds, mb, alone, wall, own, ffmpeg_peak, result in rows:
        cells = (f"{seconds} s", f"{mb:.0f}", f"{alone:.1f}", f"{wall:.1f}",
                 f"{wall / alone:.3f}", f"{own:.0f}", f"{ffmpeg_peak:.0f}", f"{result:.1f}")
        print("  ".join(c.rjust(len(h)) for c, h in zip(cells, head)))
    worst = max(r[3] / r[2] for r in rows)
    peak = max(r[4] for r in rows)
    print(f"ratio target <= {TARGET_RATIO}: worst {worst:.3f} "
          f"({'met' if worst <= TARGET_RATIO else 'MISSED'}); program peak target < "
          f"{TARGET_MB} MB: {peak:.0f} MB ({'met' if peak < TARGET_MB else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
