"""Photos as phones make them (SPEC section 10): a HEIC photo from an iPhone, turned by its
EXIF orientation and carrying its GPS position and its owner's name, is published upright, as
JPEG, without location or owner, its colour profile kept; a clean photo goes out untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from automation.core import schema as S
from automation.media.files import examine
from automation.ports import MediaFile
from automation.publishers.photos import needs_work, published, write_photo
from tests.support.photos import assert_published_cleanly, heic, jpeg, phone_exif
from tests.support.workspace import Agenda, approved


def media_of(path: Path) -> MediaFile:
    facts = examine(path)
    assert facts["verdict"] == "ok", facts
    return MediaFile(name=path.name, path=path, kind=facts["kind"], mime=facts["mime"],
                     size=path.stat().st_size, sha256=facts["sha256"])


def test_a_heic_photo_is_recognised_by_its_content(tmp_path):
    photo = heic(tmp_path / "IMG_0042.HEIC")
    renamed = photo.rename(tmp_path / "kiriman.dat")
    media = media_of(renamed)
    assert (media.kind, media.mime) == ("photo", "image/heic")
    shown = published(media)
    assert (shown.name, shown.mime) == ("kiriman.jpg", "image/jpeg")


def test_a_heic_photo_is_published_upright_as_jpeg_without_location_or_owner(tmp_path):
    media = media_of(heic(tmp_path / "IMG_0042.HEIC"))
    target = tmp_path / "out.jpg"
    write_photo(media.path, media.mime, target)
    assert_published_cleanly(target)


def test_a_jpeg_with_location_is_written_anew_without_it(tmp_path):
    source = jpeg(tmp_path / "lokasi.jpg", phone_exif(6))
    assert needs_work(source, "image/jpeg")
    write_photo(source, "image/jpeg", tmp_path / "out.jpg")
    with Image.open(tmp_path / "out.jpg") as image:
        assert image.size == (200, 300) and 0x8825 not in image.getexif()


@pytest.mark.parametrize("exif", [None, Image.Exif()])
def test_a_clean_photo_goes_out_byte_for_byte(tmp_path, exif):
    if exif is not None:
        exif[0x0110] = "Canon EOS R6"
    source = jpeg(tmp_path / "bersih.jpg", exif)
    assert not needs_work(source, "image/jpeg")
    write_photo(source, "image/jpeg", tmp_path / "out.jpg")
    assert (tmp_path / "out.jpg").read_bytes() == source.read_bytes()


def test_the_static_site_publishes_an_iphone_photo_as_jpeg(tmp_path):
    agenda = Agenda(tmp_path, [approved("Foto iPhone", **{S.MEDIA: "foto/IMG_0042.HEIC"})])
    heic(agenda.folder / "media" / "foto" / "IMG_0042.HEIC")
    agenda.cycle()
    got = agenda.by_title("Foto iPhone")
    assert got[S.STATUS] == "Tayang", got[S.SYSTEM_NOTE]
    pages = [p for p in (agenda.folder / "site").glob("*/img_0042.jpg")]
    assert len(pages) == 1
    assert_published_cleanly(pages[0])
    html = (pages[0].parent / "index.html").read_text(encoding="utf-8")
    assert "img_0042.jpg" in html and ".heic" not in html.lower()
