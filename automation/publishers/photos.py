"""Photos made ready for a website: upright and at most 2560 px on their longer side.

WordPress itself scales anything wider than 2560 px (`big_image_size_threshold`); doing it
before upload keeps uploads small and gives every publisher the same result.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_SIDE = 2560


def oversized(path: Path) -> bool:
    """Whether the photo must be scaled down (reads the header only)."""
    try:
        with Image.open(path) as image:
            return max(image.size) > MAX_PHOTO_SIDE and not getattr(image, "is_animated", False)
    except UnidentifiedImageError:
        return False


def copy_photo(source: Path, target: Path) -> None:
    """Copy a photo, downscaling it (upright, same format) when a side exceeds the maximum."""
    if not oversized(source):
        # Also a format this Pillow cannot read (e.g. HEIC): published as it came.
        shutil.copyfile(source, target)
        return
    with Image.open(source) as image:
        image_format = image.format
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
        options: dict[str, Any] = {"icc_profile": image.info.get("icc_profile")}
        if image_format in ("JPEG", "WEBP"):
            options["quality"] = 90      # Pillow's default (75) is too soft for news photos
        upright.save(target, format=image_format, **options)
