"""Running a real ffmpeg: the one on PATH when there is one (an administrator's own build or
Debian's package), else the static binary shipped in the `imageio-ffmpeg` wheel (Linux and
Windows alike). ffprobe is not needed: `ffmpeg -i FILE` reports the streams.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from automation.media.videos import Conversion, parse_probe
from automation.ports import AdapterError, VideoFacts

PROBE_TIMEOUT = 60          # seconds: a probe reads headers only
POSTER_TIMEOUT = 120        # one frame, also of a 4K HEVC file on a slow server
POSTER_SIDE = 1280          # a poster is shown at most at the page's width
# No console window for the child on Windows; a child of its own process group elsewhere, so
# that Ctrl+C in the administrator's terminal stops the program, not a conversion half done
# (the next run adopts it, see `automation.media.conversions`).
DETACHED = ({"creationflags": subprocess.CREATE_NO_WINDOW | subprocess.BELOW_NORMAL_PRIORITY_CLASS}
            if sys.platform == "win32" else {"start_new_session": True})
NICENESS = 10               # a conversion yields the processor to the cycle (and to people)


def lower_priority(pid: int) -> None:
    """Below the program's own priority (Windows: by `DETACHED`'s priority class)."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, NICENESS)
        except OSError:             # it already ended
            pass


@cache
def executable() -> str:
    """The ffmpeg to run. Raises AdapterError (with the fix) when there is none."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as err:
        raise AdapterError(
            f"no ffmpeg found ({err}): install the program's dependencies again "
            "(pip install imageio-ffmpeg) or put an ffmpeg on PATH",
            "Program tidak dapat memproses video (ffmpeg tidak ada). Administrator perlu "
            "memeriksanya.") from None


def version() -> str:
    """`ffmpeg version ...` as the binary says it; raises AdapterError when it cannot run."""
    try:
        done = subprocess.run([executable(), "-hide_banner", "-nostdin", "-version"],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_TIMEOUT,
                              check=True, **_quiet())
    except (OSError, subprocess.SubprocessError) as err:
        raise AdapterError(f"ffmpeg ({executable()}) cannot be run: {err}: install the "
                           "program's dependencies again, or put a working ffmpeg on PATH") from None
    return done.stdout.decode("utf-8", "replace").splitlines()[0]


def _input(path: Path) -> str:
    # `file:` keeps a name with a colon (or a Windows drive) from being read as a protocol.
    return "file:" + str(path)


def probe(path: Path) -> VideoFacts | None:
    """What the file holds; None when ffmpeg finds no video in it (damaged, not a video).
    Raises TimeoutError (an OSError, as a file out of reach is) when ffmpeg could not read it
    in time: a slow share is an outage, not a damaged video."""
    try:
        done = subprocess.run([executable(), "-hide_banner", "-nostdin", "-i", _input(path)],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=PROBE_TIMEOUT, **_quiet())
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"ffmpeg could not read {path} within {PROBE_TIMEOUT} s") from None
    except OSError as err:
        raise AdapterError(f"ffmpeg ({executable()}) cannot be run: {err}",
                           "Program tidak dapat memproses video. Administrator perlu "
                           "memeriksanya.") from None
    return parse_probe(done.stderr.decode("utf-8", "replace"))


def poster(video: Path, facts: VideoFacts, target: Path) -> bool:
    """A JPEG of the frame at one second (or the middle of a shorter video) at `target`,
    written aside and renamed; False when ffmpeg could not make one."""
    at = min(1.0, facts.duration / 2)
    aside = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    command = [executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-ss", f"{at:.3f}", "-i", _input(video), "-frames:v", "1", "-map_metadata", "-1",
               "-vf", f"scale='min({POSTER_SIDE},iw)':-2", "-q:v", "3", "-f", "image2",
               "-c:v", "mjpeg", _input(aside)]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=POSTER_TIMEOUT, **_quiet())
        if done.returncode != 0 or not aside.is_file() or aside.stat().st_size == 0:
            return False
        os.replace(aside, target)
        return True
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        aside.unlink(missing_ok=True)


def conversion_command(source: Path, conversion: Conversion, part: str, progress: str) -> list[str]:
    """ffmpeg's arguments for one conversion; `part` and `progress` are names in the folder
    ffmpeg runs in. Metadata is not carried over: a phone's video holds where it was filmed."""
    short = conversion.short_side
    # The shorter side at most `short` whichever way the frame stands (ffmpeg turns a phone's
    # upright video first); -2 keeps the other side even, as H.264 needs.
    scale = (f"scale='if(gte(iw,ih),-2,min({short},iw))':'if(gte(iw,ih),min({short},ih),-2)'"
             ":flags=bicubic,format=yuv420p")
    rate = f"{conversion.video_kbps}k"
    command = [executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-i", _input(source), "-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn",
               "-map_metadata", "-1", "-map_chapters", "-1", "-vf", scale,
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", rate,
               "-bufsize", rate, "-profile:v", "high"]
    if conversion.audio_kbps:
        command += ["-c:a", "aac", "-b:a", f"{conversion.audio_kbps}k", "-ac", "2"]
    return command + ["-movflags", "+faststart", "-progress", progress, "-stats_period", "1",
                      "-f", "mp4", part]


def _quiet() -> dict:
    return {"creationflags": subprocess.CREATE_NO_WINDOW} if sys.platform == "win32" else {}
