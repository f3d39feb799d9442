"""What every media source shares about the files staff link: recognising photos and videos
by their content, the verdicts (and their Indonesian notes) on a file, sizes shown the
Indonesian way, the natural order of names, and `StaffFix`, the problem staff must fix.

Everything here works on a local path or bytes, so each source (local folder, Drive, ...)
gets its files its own way and gives the same verdicts and the same notes.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Literal

import pillow_heif
from PIL import Image

from automation.ports import VideoFacts

# HEIC/HEIF photos (iPhones) open like any other; pillow-heif ships libheif in its wheels.
pillow_heif.register_heif_opener()

MediaKind = Literal["photo", "video"]

MIB = 1024 * 1024
CHUNK = MIB  # files are hashed in 1 MiB reads

PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP",
                  "image/heic": "HEIF", "image/heif": "HEIF"}
HEIF_TYPES = frozenset({"image/heic", "image/heif"})   # published as JPEG
# Major brands of HEIF photos: `heic`-like ones are HEVC-coded (iPhones), the others general.
HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heif"})
# Major brands of the ISO base media file format that mean an MP4 video. HEIC/AVIF photos
# and M4A audio share the container but carry other brands.
MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"NDAS", b"XAVC", b"f4v ",
})
# Old QuickTime files have no `ftyp` box and start straight with one of these atoms.
QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free"})

NOT_MEDIA = ("Berkas '{}' bukan foto atau video yang sah (isi berkas tidak dikenali). "
             "Gunakan foto JPEG/PNG/WebP/HEIC atau video MP4/MOV/WebM.")
CORRUPT_VIDEO = ("Video '{}' rusak atau tidak dapat diputar (mungkin terpotong saat disalin). "
                 "Salin ulang video aslinya, atau simpan ulang sebagai MP4.")
CORRUPT_PHOTO = ("Foto '{}' rusak atau tidak utuh (mungkin terpotong saat disalin). "
                 "Salin ulang foto aslinya ke folder media.")
TOO_MANY_PIXELS = ("Foto '{}' berukuran {} × {} piksel ({} megapiksel), melebihi batas aman "
                   "{} megapiksel untuk diproses. Perkecil fotonya (misalnya menjadi 4000 piksel "
                   "pada sisi terpanjang), simpan, lalu salin lagi ke folder media.")


class StaffFix(Exception):
    """A link or file that staff must fix; `note` is the Indonesian text for the row."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


def sniff_media(head: bytes) -> tuple[MediaKind, str] | None:
    """(kind, MIME type) from the first bytes of a file, or None if it is no supported media.

    Decided by content signature only: a renamed file is recognised for what it is.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "photo", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo", "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video", "video/quicktime"
        if brand in MP4_BRANDS:
            return "video", "video/mp4"
        if brand in HEIC_BRANDS:
            return "photo", "image/heic"
        if brand in HEIF_BRANDS:
            return "photo", "image/heif"
        return None
    if head[4:8] in QUICKTIME_ATOMS:
        return "video", "video/quicktime"
    return None


def examine(path: Path) -> dict[str, Any]:
    """Read the file once: its signature, its sha256 and, for photos, a full decode."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        head = stream.read(CHUNK)
        if sniff_media(head) is None:
            return {"verdict": "not_media"}
        digest.update(head)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return content_facts(path, head, digest.hexdigest())


def content_facts(path: Path, head: bytes, sha256: str) -> dict[str, Any]:
    """The facts of the file at `path`, whose first bytes are `head` and whose hash is
    `sha256`: kind and type when it is usable media, else why not (see `verdict_note`)."""
    sniffed = sniff_media(head)
    if sniffed is None:
        return {"verdict": "not_media"}
    kind, mime = sniffed
    facts = {"verdict": "ok", "sha256": sha256, "kind": kind, "mime": mime}
    if kind == "photo":
        refused = photo_verdict(path, PILLOW_FORMATS[mime])
        if refused:
            return refused
    else:
        from automation.media import ffmpeg     # imports this module
        video = ffmpeg.probe(path)
        if video is None:
            return {"verdict": "corrupt_video"}
        facts["video"] = asdict(video)
    return facts


def video_facts(facts: dict[str, Any]) -> VideoFacts | None:
    """The probed facts of a usable video's `facts` (None for a photo)."""
    return VideoFacts(**facts["video"]) if facts.get("kind") == "video" else None


def photo_verdict(path: Path, pillow_format: str) -> dict[str, Any] | None:
    """Why a photo cannot be used (its facts), or None when it decodes whole.

    An image of more pixels than Pillow's safe limit is refused before its pixels are
    decoded: a 900-megapixel PNG is a few kilobytes on disk and gigabytes in memory.
    """
    try:
        # Only the decoder matching the signature may open it; opening reads the header only.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _no_pixel_limit(), Image.open(path, formats=[pillow_format]) as image:
                width, height = image.size
            if width * height > (Image.MAX_IMAGE_PIXELS or width * height):
                return {"verdict": "too_many_pixels", "width": width, "height": height}
            with Image.open(path, formats=[pillow_format]) as image:
                image.verify()  # structure and checksums (PNG CRCs)
            # verify() does not decode JPEG/WebP data, so a truncated JPEG passes it; loading
            # the pixels does not (verify() leaves the image unusable, hence the reopen).
            with Image.open(path, formats=[pillow_format]) as image:
                image.load()
    except Exception:  # Pillow raises many types for malformed data (OSError, SyntaxError, ...)
        return {"verdict": "corrupt_photo"}
    return None


class _no_pixel_limit:
    """Lets `Image.open` read the size of an image over the limit (the header only)."""

    def __enter__(self) -> None:
        self.limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None

    def __exit__(self, *exc: object) -> None:
        Image.MAX_IMAGE_PIXELS = self.limit


def verdict_note(shown: str, facts: dict[str, Any]) -> str | None:
    """The Indonesian note for a file refused by its facts (None: usable)."""
    verdict = facts["verdict"]
    if verdict == "not_media":
        return NOT_MEDIA.format(shown)
    if verdict == "corrupt_photo":
        return CORRUPT_PHOTO.format(shown)
    if verdict == "corrupt_video":
        return CORRUPT_VIDEO.format(shown)
    if verdict == "too_many_pixels":
        width, height = facts["width"], facts["height"]
        return TOO_MANY_PIXELS.format(shown, width, height, round(width * height / 1e6),
                                      (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000)
    return None


def usable(facts: dict[str, Any] | None) -> bool:
    """Whether cached facts are complete; anything else is treated as not cached."""
    if not isinstance(facts, dict):
        return False
    if facts.get("verdict") == "ok":
        if facts.get("kind") == "video" and not _video_usable(facts.get("video")):
            return False        # cached before videos were probed: looked at again
        return (facts.get("kind") in ("photo", "video") and isinstance(facts.get("mime"), str)
                and isinstance(facts.get("sha256"), str))
    if facts.get("verdict") == "too_many_pixels":
        return isinstance(facts.get("width"), int) and isinstance(facts.get("height"), int)
    return facts.get("verdict") in ("not_media", "corrupt_photo", "corrupt_video")


def _video_usable(video: Any) -> bool:
    return isinstance(video, dict) and video.keys() == {f.name for f in fields(VideoFacts)}


def megabytes(size: int) -> str:
    """Size in MB the Indonesian way (`1,5`, `250`), rounded up so it never equals the limit."""
    tenths = -(-size * 10 // MIB)  # ceiling division, exact in integers
    whole, fraction = divmod(tenths, 10)
    return f"{whole},{fraction}" if fraction else str(whole)


def natural_key(name: str) -> tuple[list[Any], str]:
    """`foto2` before `foto10`, ignoring case; the raw name breaks ties."""
    parts = re.split(r"(\d+)", name.casefold())
    # re.split with a group alternates text, number, text, ...: odd positions are numbers.
    return [int(part) if index % 2 else part for index, part in enumerate(parts)], name
