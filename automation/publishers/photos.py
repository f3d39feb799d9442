"""Photos as a website publishes them (SPEC section 10), the same for every publisher: upright
(EXIF orientation applied), at most 2560 px on their longer side, JPEG, PNG or WebP (a HEIC or
HEIF photo becomes JPEG), without location (GPS) or device-owner metadata, colour profile kept.

WordPress itself scales anything wider than 2560 px (`big_image_size_threshold`); doing it
before upload keeps uploads small and gives every publisher the same result. A photo that
needs none of this is published byte for byte as it came.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from automation.media.files import HEIF_TYPES
from automation.ports import MediaFile

MAX_PHOTO_SIDE = 2560
ORIENTATION = 0x0112
GPS_IFD, EXIF_IFD, INTEROP_IFD = 0x8825, 0x8769, 0xA005
# Who owns the camera and which one it is: CameraOwnerName, BodySerialNumber,
# LensSerialNumber, and the maker's notes (where vendors keep serial numbers and more).
OWNER_TAGS = (0xA430, 0xA431, 0xA435, 0x927C)


def published(media: MediaFile) -> MediaFile:
    """`media` under the name and type it is published as (a HEIC photo as a .jpg JPEG)."""
    if media.kind == "photo" and media.mime in HEIF_TYPES:
        return replace(media, name=str(Path(media.name).with_suffix(".jpg")), mime="image/jpeg")
    return media


def needs_work(path: Path, mime: str) -> bool:
    """Whether the photo must be written anew (reads its header and metadata only)."""
    if mime in HEIF_TYPES:
        return True
    try:
        with Image.open(path) as image:
            if getattr(image, "is_animated", False):
                return False            # frames are not re-encoded: published as it came
            exif = image.getexif()
            return (max(image.size) > MAX_PHOTO_SIDE or exif.get(ORIENTATION, 1) != 1
                    or _revealing(exif) or "xmp" in image.info)
    except (UnidentifiedImageError, OSError):
        return False


def write_photo(source: Path, mime: str, target: Path) -> None:
    """The photo at `source` (of type `mime`) as published, at `target`."""
    if not needs_work(source, mime):
        shutil.copyfile(source, target)
        return
    with Image.open(source) as image:
        image_format = "JPEG" if mime in HEIF_TYPES else image.format
        icc_profile = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)   # a copy, without the orientation tag
    upright.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    if image_format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    # XMP (which may repeat the location) is not carried over.
    options: dict[str, Any] = {"icc_profile": icc_profile, "exif": _kept(upright.getexif())}
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = 90          # Pillow's default (75) is too soft for news photos
    upright.save(target, format=image_format, **options)


def _revealing(exif: Image.Exif) -> bool:
    return GPS_IFD in exif or (EXIF_IFD in exif and
                               any(t in exif.get_ifd(EXIF_IFD) for t in OWNER_TAGS))


def _kept(exif: Image.Exif) -> bytes:
    """The EXIF a published photo keeps: all but orientation (applied), location and the
    owner's tags. Built anew: Pillow would write back a sub-directory it had read."""
    kept = Image.Exif()
    for tag, value in exif.items():
        if tag in (ORIENTATION, GPS_IFD):
            continue
        if tag == EXIF_IFD:
            # The interoperability pointer (0xA005) is an offset into the old bytes.
            value = {t: v for t, v in exif.get_ifd(EXIF_IFD).items()
                     if t not in OWNER_TAGS and t != INTEROP_IFD}
        kept[tag] = value
    return kept.tobytes()
