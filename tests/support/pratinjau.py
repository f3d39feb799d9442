"""Pages for the renderer's tests, the pictures in the docs and the bench: a realistic `Page`
with real photos as phones make them (JPEG with EXIF orientation, location and owner; an iPhone
HEIC), a real video's poster frame made by the program's ffmpeg, Indonesian text with its
punctuation, and both kinds (Pratinjau, Lembar Arsip).

    page = realistic_page(tmp_path)                      # a Pratinjau
    sheet = realistic_page(tmp_path, kind=ARSIP)          # the Lembar Arsip of its publication
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageChops, ImageDraw, ImageOps

from automation.media import ffmpeg
from automation.ports import MediaFile, VideoFacts
from automation.pratinjau.page import ARSIP, PRATINJAU, Approval, Archive, Page
from tests.support import photos as phone
from tests.support.videos import video_file

WITA = ZoneInfo("Asia/Makassar")
RECEIVED = datetime(2026, 11, 27, 8, 40, tzinfo=WITA)
KADIS_TICKED = datetime(2026, 11, 27, 9, 12, tzinfo=WITA)
KABID_TICKED = datetime(2026, 11, 27, 9, 31, tzinfo=WITA)
PUBLISHED = datetime(2026, 11, 27, 9, 33, tzinfo=WITA)
MADE = datetime(2026, 11, 27, 9, 14, tzinfo=WITA)

OFFICE = ("Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara")
TITLE = "Gubernur Resmikan Jembatan Sungai Kayan – “Urat Nadi” Ekonomi Bulungan"
CAPTION = ("Gubernur Kalimantan Utara menggunting pita peresmian Jembatan Sungai Kayan, "
           "Jum’at (27/11/2026).")
PARAGRAPHS = (
    "Tanjung Selor – Gubernur Kalimantan Utara meresmikan Jembatan Sungai Kayan pada Jum’at "
    "pagi. Jembatan sepanjang 460 meter itu menghubungkan Tanjung Selor dengan Tanjung Palas "
    "dan memangkas waktu tempuh dari satu jam menjadi sepuluh menit.",
    "“Jembatan ini urat nadi ekonomi Bulungan,” kata Gubernur dalam sambutannya. Ia meminta "
    "warga ikut menjaga fasilitas yang dibangun dengan anggaran daerah dan pusat itu…",
    "Kepala Dinas PUPR menjelaskan bahwa pembangunan dimulai pada 2023 dan selesai tepat "
    "waktu, meski sempat terhambat banjir pada awal 2025.",
)
HEADING = "Jadwal Penyeberangan Dihentikan"
ITEMS = ("Kapal penyeberangan Tanjung Selor–Tanjung Palas berhenti beroperasi mulai 1 Desember.",
         "Dermaga lama akan dijadikan ruang terbuka hijau.")
QUOTE = "Kami berterima kasih kepada seluruh pekerja yang tak kenal lelah."
AGENDA = "0017/2026"
RECEIVER = "Siti Aminah"
FINGERPRINT = "3f9a21c7" + "0" * 56
ARCHIVE_NUMBER = "400.14.5.6/0001/DKISP/XI/2026"
ARCHIVE_LOCATION = "Lemari Arsip Siaran Pers 2026 / Map November"
URL = ("https://diskominfo.kaltaraprov.go.id/2026/11/"
       "gubernur-resmikan-jembatan-sungai-kayan-k7qpz2mx9a/")
YOUTUBE = "dQw4w9WgXcQ"
OFFICIALS = (("Paraf Kadis", "Dr. H. Ahmad Fauzi, S.Sos., M.Si."),
             ("Paraf Kabid", "Ir. Sitti Rahmah"))


def body_html(paragraphs: tuple[str, ...] = PARAGRAPHS) -> str:
    """The body as the website gets it: sanitised HTML with the common elements."""
    first, *rest = paragraphs
    return (f"<p>{_escape(first)}</p>\n"
            + "".join(f"<p>{_escape(p)}</p>\n" for p in rest[:1])
            + f"<h3>{_escape(HEADING)}</h3>\n"
            + "<ul>" + "".join(f"<li>{_escape(i)}</li>" for i in ITEMS) + "</ul>\n"
            + f"<blockquote><p>{_escape(QUOTE)}</p></blockquote>\n"
            + "".join(f"<p>{_escape(p)}</p>\n" for p in rest[1:])
            + "<p>Informasi lengkap: <a href=\"https://diskominfo.kaltaraprov.go.id/\" "
              "rel=\"noopener noreferrer\">diskominfo.kaltaraprov.go.id</a>, "
              "<strong>tebal</strong>, <em>miring</em>, <u>garis bawah</u>.</p>\n"
            + "<table><tbody><tr><td>Panjang</td><td>460 m</td></tr>"
              "<tr><td>Lebar</td><td>12 m</td></tr></tbody></table>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- media -----------------------------------------------------------------------------------


def scene(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A photo-like picture (sky, river, a bridge, people, sensor noise): compresses like a
    phone photo does, unlike a flat colour."""
    w, h = size
    rnd = random.Random(seed)
    horizon = h * 55 // 100
    sky = ImageOps.colorize(Image.linear_gradient("L").resize((w, horizon)),
                            black=(60, 120, 200), white=(205, 225, 245))
    water = ImageOps.colorize(Image.linear_gradient("L").resize((w, h - horizon)),
                              black=(70, 110, 120), white=(40, 70, 60))
    image = Image.new("RGB", size)
    image.paste(sky, (0, 0))
    image.paste(water, (0, horizon))
    draw = ImageDraw.Draw(image)
    for _ in range(6):                                   # far hills
        x = rnd.randint(-w // 4, w)
        draw.ellipse((x, horizon - h // 8, x + w // 2, horizon + h // 10),
                     fill=(rnd.randint(50, 80), rnd.randint(100, 130), rnd.randint(50, 70)))
    deck = horizon - h // 20
    draw.rectangle((0, deck, w, deck + h // 40), fill=(200, 60, 50))          # the bridge
    for i in range(9):
        x = i * w // 8
        draw.rectangle((x - w // 200, deck - h // 6, x + w // 200, deck + h // 12),
                       fill=(220, 220, 225))
        draw.line((x, deck - h // 6, x + w // 16, deck), fill=(240, 240, 240),
                  width=max(1, w // 800))
    for _ in range(14):                                  # people in front
        x, y = rnd.randint(0, w), rnd.randint(h * 70 // 100, h * 90 // 100)
        s = rnd.randint(h // 30, h // 14)
        colour = (rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255))
        draw.rectangle((x - s // 3, y, x + s // 3, y + 2 * s), fill=colour)
        draw.ellipse((x - s // 4, y - s // 2, x + s // 4, y), fill=(190, 150, 120))
    noise = Image.effect_noise((max(1, w // 2), max(1, h // 2)), 9).resize(size)
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), 1, -128)


def phone_photo(path: Path, size: tuple[int, int] = (4000, 3000), orientation: int = 1,
                seed: int = 0, quality: int = 92) -> Path:
    """A JPEG as a phone makes it: `size` as stored, EXIF orientation, location, owner's name
    and serial number, an sRGB colour profile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scene(size, seed).save(path, "JPEG", quality=quality, icc_profile=phone.SRGB,
                           exif=phone.phone_exif(orientation).tobytes())
    return path


def sideways_photo(path: Path, size: tuple[int, int] = (900, 600)) -> Path:
    """Stored landscape with its left third blue and EXIF orientation 6: shown upright it is
    portrait (2:3), blue at the top (`tests.support.photos.stored_sideways`)."""
    return phone.jpeg(path, phone.phone_exif(6), size=size)


def media(path: Path, kind: str, mime: str, name: str | None = None, **extra: Any) -> MediaFile:
    data = path.read_bytes()
    return MediaFile(name or path.name, path, kind, mime, len(data),
                     hashlib.sha256(data).hexdigest(), **extra)


def video_with_poster(folder: Path, seconds: float = 2.0) -> MediaFile:
    """A real H.264 video and the poster frame the program's ffmpeg makes of it."""
    source = video_file("h264", seconds=seconds, size="320x180")
    facts = ffmpeg.probe(source)
    assert facts is not None
    folder.mkdir(parents=True, exist_ok=True)
    poster = folder / "poster-video.jpg"
    assert ffmpeg.poster(source, facts, poster)
    return media(source, "video", "video/mp4", name="peresmian-jembatan.mp4", video=facts,
                 poster=poster)


def video_without_poster(seconds: float = 65.0) -> MediaFile:
    """A video whose poster is not there (None): the page shows a grey box."""
    facts = VideoFacts("h264", "aac", 1920, 1080, seconds)
    return MediaFile("sambutan-gubernur.mp4", Path("sambutan-gubernur.mp4"), "video",
                     "video/mp4", 12_345_678, "cd" * 32, video=facts, poster=None)


def photos(folder: Path, count: int = 4,
           lead_size: tuple[int, int] = (1600, 1200)) -> tuple[MediaFile, ...]:
    """The lead photo (landscape, location and owner in its EXIF), a photo stored sideways
    (orientation 6), an iPhone HEIC and more phone photos, up to `count`."""
    folder.mkdir(parents=True, exist_ok=True)
    made = [media(phone_photo(folder / "foto-utama.jpg", lead_size, seed=1), "photo", "image/jpeg")]
    if count > 1:
        made.append(media(sideways_photo(folder / "foto-miring.jpg"), "photo", "image/jpeg"))
    if count > 2:
        made.append(media(phone.heic(folder / "IMG_0042.HEIC"), "photo", "image/heic"))
    for index in range(3, count):
        made.append(media(phone_photo(folder / f"foto-{index}.jpg", (800, 600), seed=index),
                          "photo", "image/jpeg"))
    return tuple(made)


# -- pages -----------------------------------------------------------------------------------


def approvals(kind: str = PRATINJAU) -> tuple[Approval, ...]:
    kadis, kabid = OFFICIALS
    return (Approval(kadis[0], kadis[1], KADIS_TICKED),
            Approval(kabid[0], kabid[1], KABID_TICKED if kind == ARSIP else None))


def archive() -> Archive:
    return Archive(ARCHIVE_NUMBER, ARCHIVE_LOCATION, PUBLISHED, URL)


def realistic_page(folder: Path, kind: str = PRATINJAU, *, photo_count: int = 4,
                   videos: bool = True, **overrides: Any) -> Page:
    """A Pratinjau (Kadis ticked, Kabid waiting) or the Lembar Arsip of its publication
    (both ticked), with real photos and a real poster frame made in `folder`."""
    folder = Path(folder)
    fields: dict[str, Any] = dict(
        kind=kind, office=OFFICE, title=TITLE,
        date=PUBLISHED if kind == ARSIP else RECEIVED,
        news_type="Kegiatan Pimpinan", source="Biro Administrasi Pimpinan Setda Kaltara",
        caption=CAPTION, body_html=body_html(),
        photos=photos(folder / "media", photo_count) if photo_count else (),
        videos=(video_with_poster(folder / "posters"), video_without_poster()) if videos else (),
        embeds=(YOUTUBE,) if videos else (),
        agenda_number=AGENDA, receiver=RECEIVER, approvals=approvals(kind),
        fingerprint=FINGERPRINT,
        made_at=PUBLISHED.replace(minute=34) if kind == ARSIP else MADE,
        archive=archive() if kind == ARSIP else None,
    )
    fields.update(overrides)
    return Page(**fields)


def hostile(page: Page) -> Page:
    """The page with every text a hostile row could put there."""
    return replace(
        page,
        title="<script>alert(1)</script> =HYPERLINK(\"http://evil.example\",\"klik\")\x07\x1b[31m",
        caption="<b>tidak tebal</b> &amp; \x00\x08nol {nb}",
        news_type="=1+1", source="@SUM(A1:A9)\x0c", receiver="<img src=x onerror=alert(2)>",
        agenda_number="0017/2026",
        body_html="<p>&lt;script&gt;alert(3)&lt;/script&gt; teks biasa</p>",
    )


def long_page(page: Page, paragraphs: int = 14) -> Page:
    """The page with a body long enough for a second page (no photos or videos)."""
    text = "".join(f"<p>Paragraf {i + 1}. " + " ".join([PARAGRAPHS[i % 3]] * 1) + "</p>"
                   for i in range(paragraphs))
    return replace(page, body_html=text, photos=(), videos=(), embeds=())


def with_photo(page: Page, photo: MediaFile, index: int) -> Page:
    items = list(page.photos)
    items[index] = photo
    return replace(page, photos=tuple(items))
