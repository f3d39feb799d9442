"""Videos as a website publishes them (SPEC section 10), decided from what ffmpeg says of a
file: whether every browser plays it as it is, and if not (or if it is larger than the site
accepts) what one conversion to H.264/AAC MP4 must produce to fit. Pure: no process is run
here (`automation.media.ffmpeg` runs them).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass

from automation.media.files import MIB, megabytes
from automation.ports import VideoFacts

# What every current browser plays: H.264 (8-bit 4:2:0) with AAC or MP3 in MP4, VP8/VP9 (or
# AV1) with Opus or Vorbis in WebM. HEVC (iPhones) plays as sound only in most of them.
PLAYABLE = {
    "video/mp4": ({"h264"}, {"", "aac", "mp3"}),
    "video/webm": ({"vp8", "vp9", "av1"}, {"", "opus", "vorbis"}),
}
PLAYABLE_PIXELS = {"yuv420p", "yuvj420p", ""}

# Largest frame of a conversion (its shorter side), by the video bit rate the limit leaves:
# (shorter side, the least kbit/s that looks right at it, the most worth spending on it).
LADDER = ((1080, 1800, 5000), (720, 900, 2500), (480, 450, 1200), (360, 250, 700))
AUDIO_KBPS = 128
# A conversion aims below the limit by this much: the container's own bytes and the encoder's
# rate control, which keeps to the bit rate over a buffer of one second, not to the byte.
MARGIN = 0.94
# Raised when the settings below change, so that earlier conversions are made again.
SETTINGS = "x264-veryfast-crf23-v1"

CANNOT_FIT = ("Video '{name}' ({length}) tidak muat dalam batas unggah website {limit} MB, "
              "meskipun dikecilkan. Perpendek videonya menjadi paling lama {longest}, atau "
              "unggah ke YouTube lalu tempel tautannya di Tautan Media.")


@dataclass(frozen=True)
class Conversion:
    """One conversion's settings: H.264/AAC MP4, `+faststart`, the frame's shorter side at
    most `short_side`, video at most `video_kbps` (quality-driven below it)."""

    short_side: int
    video_kbps: int
    audio_kbps: int                     # 0: the source has no sound

    def key(self, source_sha256: str) -> str:
        """Names the result: the same source and settings always give the same name."""
        settings = json.dumps([SETTINGS, asdict(self)], sort_keys=True)
        return f"{source_sha256[:32]}-{hashlib.sha256(settings.encode()).hexdigest()[:12]}"


class CannotFit(Exception):
    """Even converted, the video is larger than the site accepts; `note` says the fix."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


def plays_everywhere(facts: VideoFacts, mime: str) -> bool:
    codecs = PLAYABLE.get(mime)
    return (codecs is not None and facts.video_codec in codecs[0]
            and facts.audio_codec in codecs[1] and facts.pixel_format in PLAYABLE_PIXELS)


def conversion_for(name: str, facts: VideoFacts, mime: str, size: int,
                   limit_mb: int) -> Conversion | None:
    """None when the video is published as it is; else the conversion it needs. Raises
    `CannotFit` when no conversion fits `limit_mb`."""
    limit = limit_mb * MIB
    if plays_everywhere(facts, mime) and size <= limit:
        return None
    audio = AUDIO_KBPS if facts.audio_codec else 0
    duration = max(facts.duration, 1.0)
    # The rate control may run one second's worth (its buffer) above the average.
    video = int((limit * 8 * MARGIN / 1000 - audio * duration) / (duration + 1))
    short = min(facts.width, facts.height) or LADDER[0][0]
    for side, least, most in LADDER:
        if video >= least:
            break
    else:
        longest = limit * 8 * MARGIN / 1000 / (least + audio) - 1
        raise CannotFit(CANNOT_FIT.format(name=name, length=duration_text(duration),
                                          limit=limit_mb, longest=duration_text(longest)))
    return Conversion(short_side=min(side, _even(short)), video_kbps=min(video, most),
                      audio_kbps=audio)


def fits(size: int, limit_mb: int) -> bool:
    return size <= limit_mb * MIB


def too_large_after_conversion(name: str, size: int, limit_mb: int) -> str:
    return (f"Video '{name}' tetap {megabytes(size)} MB setelah dikecilkan, melebihi batas "
            f"unggah website {limit_mb} MB. Perpendek videonya, atau unggah ke YouTube lalu "
            "tempel tautannya di Tautan Media.")


def duration_text(seconds: float) -> str:
    """`2 menit 5 detik`, `45 detik`."""
    whole = max(int(seconds), 0)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} detik"
    return f"{minutes} menit {rest} detik" if rest else f"{minutes} menit"


def _even(value: int) -> int:
    return value - value % 2


# -- what ffmpeg prints of its input ---------------------------------------------------------------

_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.M)
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (Video|Audio): ([^\s,]+)(.*)$", re.M)
_SIZE = re.compile(r"(?:^|[\s,])(\d{2,5})x(\d{2,5})(?:[\s,\[]|$)")
_PIXELS = re.compile(r"^[\s,]*(?:\([^)]*\)[\s,]*)*([a-z0-9]+)(?:\(|,|$)")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.I)


def parse_probe(text: str) -> VideoFacts | None:
    """The facts of the first video stream (not cover art) in `ffmpeg -i`'s report, or None
    when ffmpeg found no usable video in the file."""
    video = audio = None
    for match in _STREAM.finditer(text):
        kind, codec, rest = match.groups()
        if kind == "Video" and video is None and "(attached pic)" not in rest:
            video = (codec, rest, match.end())
        elif kind == "Audio" and audio is None:
            audio = codec
    duration = _DURATION.search(text)
    if video is None or duration is None:
        return None
    codec, rest, end = video
    size = _SIZE.search(rest)
    if size is None:
        return None
    hours, minutes, seconds = duration.groups()
    # The stream's own lines (side data) run until the next stream.
    following = _STREAM.search(text, end)
    block = text[end:following.start() if following else len(text)]
    rotation = _ROTATION.search(block)
    # "hevc (Main) (hvc1 / 0x...), yuv420p(tv, bt709), 1920x1080": the pixel format follows
    # the codec's descriptions.
    pixels = _PIXELS.match(rest.split(",", 1)[1] if "," in rest else "")
    return VideoFacts(
        video_codec=codec, audio_codec=audio or "", width=int(size.group(1)),
        height=int(size.group(2)),
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        rotation=round(float(rotation.group(1))) % 360 if rotation else 0,
        pixel_format=pixels.group(1) if pixels else "")
