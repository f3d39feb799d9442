"""Real videos made by the tests with the program's own ffmpeg (`automation.media.ffmpeg`):
test patterns with a tone, small and short, each made once per test session."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from automation.media import ffmpeg

_FOLDER = Path(tempfile.mkdtemp(prefix="test-videos-"))
atexit.register(shutil.rmtree, _FOLDER, True)

# (encoder arguments, container) per kind
_KINDS = {
    "h264": (["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], "mp4"),
    "hevc": (["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1", "-x265-params",
              "log-level=error"], "mov"),
    "vp9": (["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"], "webm"),
}
_AUDIO = {"mp4": ["-c:a", "aac", "-b:a", "64k"], "mov": ["-c:a", "aac", "-b:a", "64k"],
          "webm": ["-c:a", "libopus", "-b:a", "48k"]}


@cache
def video_file(kind: str = "h264", seconds: float = 1.0, size: str = "64x48",
               audio: bool = True, rate: str = "", rotation: int = 0) -> Path:
    """A real video file; `rate` (e.g. "8M") forces a video bit rate, so a few seconds can
    make a file of a given size; `rotation` sets the display matrix a phone writes."""
    encoder, container = _KINDS[kind]
    name = f"{kind}-{seconds}-{size}-{int(audio)}-{rate or 'q'}-{rotation}.{container}"
    target = _FOLDER / name
    command = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
    if audio:
        command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    command += ["-t", str(seconds), *encoder]
    if rate:
        command += ["-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate]
    if audio:
        command += _AUDIO[container]
    command.append(str(target))
    subprocess.run(command, check=True, capture_output=True)
    if rotation:
        turned = target.with_name("turned-" + name)
        subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-y", "-display_rotation:v:0", str(rotation), "-i", str(target),
                        "-c", "copy", str(turned)], check=True, capture_output=True)
        target = turned
    return target


def video_bytes(kind: str = "h264", **options) -> bytes:
    return video_file(kind, **options).read_bytes()


def probe(path: Path):
    return ffmpeg.probe(path)
