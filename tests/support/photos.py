"""Photos as phones make them, for tests: an iPhone HEIC turned by its EXIF orientation and
carrying its GPS position and its owner's name, and what a published photo must be instead."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageCms

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
GPS = {1: "N", 2: (2.0, 50.0, 30.0), 3: "E", 4: (117.0, 22.0, 10.0)}     # Tanjung Selor
OWNER = {0xA430: "Budi Santoso", 0xA431: "F2LXK0QJHG7F", 0x9003: "2026:11:27 09:00:00"}


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 15"
    exif[0x8825] = dict(GPS)
    exif[0x8769] = dict(OWNER)
    return exif


def stored_sideways() -> Image.Image:
    """Stored 300 x 200 with its left third blue: shown upright (orientation 6, a quarter turn
    clockwise) it is 200 x 300, blue at the top."""
    image = Image.new("RGB", (300, 200), "red")
    image.paste((0, 0, 255), (0, 0, 100, 200))
    return image


def heic(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    stored_sideways().save(path, format="HEIF", exif=phone_exif(6).tobytes(), icc_profile=SRGB,
                           quality=90)
    return path


def jpeg(path: Path, exif: Image.Exif | None = None, size=(300, 200)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    stored_sideways().resize(size).save(path, "JPEG", quality=92,
                                        **({"exif": exif.tobytes()} if exif else {}))
    return path


def assert_published_cleanly(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (200, 300)
        top, bottom = image.convert("RGB").getpixel((100, 30)), image.getpixel((100, 270))
        assert top[2] > 200 and top[0] < 60, top            # blue on top: upright
        assert bottom[0] > 200 and bottom[2] < 60, bottom
        exif = image.getexif()
        assert exif.get(0x0112, 1) == 1
        assert 0x8825 not in exif and not exif.get_ifd(0x8825)
        details = exif.get_ifd(0x8769)
        assert 0xA430 not in details and 0xA431 not in details
        assert details.get(0x9003) == "2026:11:27 09:00:00"       # when it was taken stays
        assert exif.get(0x0110) == "iPhone 15"
        assert image.info.get("icc_profile") == SRGB
        assert "xmp" not in image.info
    data = path.read_bytes()
    assert b"Budi Santoso" not in data and b"F2LXK0QJHG7F" not in data
