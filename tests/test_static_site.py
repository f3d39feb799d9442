"""The embedded static website: layout, updates, withdrawal, media handling and safety."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from automation.ports import AdapterError, MediaFile, Post
from automation.publishers.static_site import OFFICE, StaticSite

WITA = ZoneInfo("Asia/Makassar")
FRIDAY = datetime(2026, 11, 27, 14, 5, tzinfo=WITA)


def open_site(site_dir: Path, base_url: str = "") -> StaticSite:
    """A site with its private records where `open_publisher` puts them: the state folder,
    outside the public folder."""
    return StaticSite(site_dir, base_url, private_dir=private_dir_of(site_dir))


def private_dir_of(site_dir: Path) -> Path:
    return site_dir.parent / "state" / "site"


# --- helpers ---------------------------------------------------------------------------------

def media_file(path: Path, kind: str, mime: str, name: str | None = None) -> MediaFile:
    data = path.read_bytes()
    return MediaFile(name=name or path.name, path=path, kind=kind, mime=mime,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest())


def jpeg(folder: Path, name: str, size=(800, 600), color="red", exif=None) -> MediaFile:
    path = folder / name
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(path, "JPEG", **options)
    return media_file(path, "photo", "image/jpeg")


def png(folder: Path, name: str, size=(640, 480)) -> MediaFile:
    path = folder / name
    Image.new("RGBA", size, (0, 128, 255, 200)).save(path, "PNG")
    return media_file(path, "photo", "image/png")


def mp4(folder: Path, name: str) -> MediaFile:
    path = folder / name
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64)
    return media_file(path, "video", "video/mp4")


def make_post(media=(), **changes) -> Post:
    fields = dict(
        entry_id="e-1", slug="rapat-koordinasi", title="Rapat Koordinasi Diskominfo",
        body_html="<p>Isi berita <strong>penting</strong>.</p>", news_type="Kegiatan OPD",
        source="Bidang Humas", caption="Suasana rapat", media=tuple(media),
        published_at=FRIDAY, agenda_number="0017/2026", fingerprint="fp-1",
    )
    fields.update(changes)
    return Post(**fields)


class Parsed(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def assert_inert(html: str) -> None:
    """No element, attribute or link in `html` can run script."""
    parsed = Parsed(html)
    names = {tag for tag, _ in parsed.tags}
    assert not names & {"script", "iframe", "object", "embed", "svg"}
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction"):
                compact = "".join((value or "").split()).lower()
                assert not compact.startswith(("javascript:", "data:", "vbscript:")), (tag, value)


@pytest.fixture
def site(site_dir: Path) -> StaticSite:
    return open_site(site_dir)


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# --- creating and finding --------------------------------------------------------------------

def test_publish_creates_page_media_index_and_catalogue(site, site_dir, media_dir):
    post = make_post([jpeg(media_dir, "Foto Utama.JPG"), png(media_dir, "kedua.png"),
                      mp4(media_dir, "video.mp4")])

    ref = site.publish(post, None)

    assert ref.slug == ref.post_id == "rapat-koordinasi"
    assert ref.live and ref.fingerprint == "fp-1" and ref.entry_id == "e-1"
    assert listing(site_dir / "rapat-koordinasi") == ["foto-utama.jpg", "index.html",
                                                     "kedua.png", "video.mp4"]
    page = (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")
    assert '<html lang="id">' in page and 'name="viewport"' in page
    assert f"<title>Rapat Koordinasi Diskominfo | {OFFICE}</title>" in page
    assert f'<header class="site"><a href="../index.html">{OFFICE}</a></header>' in page
    assert OFFICE == ("Dinas Komunikasi, Informatika, Statistik dan Persandian "
                      "Provinsi Kalimantan Utara")
    assert "<h1>Rapat Koordinasi Diskominfo</h1>" in page
    assert "Jumat, 27 November 2026, 14:05 WITA" in page
    assert "Sumber Berita: Bidang Humas" in page and "Kegiatan OPD" in page
    assert "<p>Isi berita <strong>penting</strong>.</p>" in page
    parsed = Parsed(page)
    assert "<figcaption>Suasana rapat</figcaption>" in page
    assert [img["src"] for img in parsed.named("img")] == ["foto-utama.jpg", "kedua.png"]
    video = parsed.named("video")[0]
    assert "controls" in video and video["preload"] == "metadata"
    assert parsed.named("source")[0] == {"src": "video.mp4", "type": "video/mp4"}

    index = (site_dir / "index.html").read_text("utf-8")
    assert "Rapat Koordinasi Diskominfo" in index
    assert Parsed(index).named("img")[0]["src"] == "rapat-koordinasi/foto-utama.jpg"

    record = json.loads((site_dir / "posts.json").read_text("utf-8"))["posts"][0]
    assert {
        "entry_id": "e-1", "slug": "rapat-koordinasi", "post_id": "rapat-koordinasi",
        "url": ref.url, "fingerprint": "fp-1", "live": True,
        "title": "Rapat Koordinasi Diskominfo", "published_at": "2026-11-27T14:05:00+08:00",
        "news_type": "Kegiatan OPD", "source": "Bidang Humas", "agenda_number": "0017/2026",
    }.items() <= record.items()
    assert [p for p in site_dir.iterdir() if p.name.startswith(".")] == []


def test_find_returns_none_then_the_post_and_sees_other_writers(site, site_dir):
    assert site.find("e-1") is None

    ref = site.publish(make_post(), None)

    assert site.find("e-1") == ref
    other = open_site(site_dir)            # a fresh instance reads the catalogue from disk
    assert other.find("e-1") == ref
    site.withdraw(ref)
    assert other.find("e-1").live is False  # the file changed: the cache is refreshed
    assert other.find("unknown") is None


def test_file_url_when_base_url_empty(site, site_dir):
    ref = site.publish(make_post(), None)

    assert ref.url == (site_dir / "rapat-koordinasi").absolute().as_uri() + "/"
    assert ref.url.startswith("file://") and ref.url.endswith("/rapat-koordinasi/")
    index = Parsed((site_dir / "index.html").read_text("utf-8"))
    assert index.named("a")[-1]["href"] == "rapat-koordinasi/index.html"


@pytest.mark.parametrize("base_url", ["https://berita.kaltaraprov.go.id",
                                      "https://berita.kaltaraprov.go.id/"])
def test_http_url_when_base_url_set(site_dir, base_url):
    site = open_site(site_dir, base_url)

    ref = site.publish(make_post(), None)

    assert ref.url == "https://berita.kaltaraprov.go.id/rapat-koordinasi/"
    page = (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")
    canonical = Parsed(page).named("link")[0]
    assert canonical == {"rel": "canonical", "href": ref.url}
    index = Parsed((site_dir / "index.html").read_text("utf-8"))
    assert index.named("a")[-1]["href"] == "rapat-koordinasi/"


@pytest.mark.parametrize("slug", ["", "Rapat", "-rapat", "rapat_koordinasi", "../rapat",
                                  "a/b", "rapat.html", "rapat koordinasi", "a" * 102, "é"])
def test_bad_slug_is_rejected(site, site_dir, slug):
    with pytest.raises(ValueError):
        site.publish(make_post(slug=slug), None)
    assert not site_dir.exists()


def test_longest_valid_slug_is_accepted(site):
    assert site.publish(make_post(slug="a" * 101), None).slug == "a" * 101


# --- updating ----------------------------------------------------------------------------------

def test_update_keeps_url_and_removes_dropped_media(site, site_dir, media_dir):
    first = jpeg(media_dir, "satu.jpg")
    ref = site.publish(make_post([first, jpeg(media_dir, "dua.jpg", color="blue"),
                                  mp4(media_dir, "klip.mp4")]), None)

    edited = make_post([first, png(media_dir, "tiga.png")], title="Judul Baru",
                       slug="judul-baru", fingerprint="fp-2")
    updated = site.publish(edited, ref)

    assert updated.url == ref.url and updated.slug == "rapat-koordinasi"
    assert updated.fingerprint == "fp-2" and updated.live
    assert not (site_dir / "judul-baru").exists()
    assert listing(site_dir / "rapat-koordinasi") == ["index.html", "satu.jpg", "tiga.png"]
    assert "Judul Baru" in (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")
    assert listing(site_dir) == ["index.html", "posts.json", "rapat-koordinasi"]
    assert site.find("e-1") == updated


def test_catalogue_keeps_the_slug_when_caller_forgot_the_ref(site, site_dir):
    ref = site.publish(make_post(), None)

    again = site.publish(make_post(slug="lain", fingerprint="fp-2"), None)

    assert again.url == ref.url
    assert listing(site_dir) == ["index.html", "posts.json", "rapat-koordinasi"]


def test_publish_twice_is_idempotent(site, site_dir, media_dir):
    post = make_post([jpeg(media_dir, "foto.jpg"), jpeg(media_dir, "FOTO.jpg", color="blue")])

    first = site.publish(post, None)
    page = (site_dir / "rapat-koordinasi" / "index.html").read_bytes()
    second = site.publish(post, first)

    assert first == second
    assert (site_dir / "rapat-koordinasi" / "index.html").read_bytes() == page
    assert listing(site_dir / "rapat-koordinasi") == ["foto-2.jpg", "foto.jpg", "index.html"]
    catalogue = json.loads((site_dir / "posts.json").read_text("utf-8"))
    assert [record["entry_id"] for record in catalogue["posts"]] == ["e-1"]
    assert (site_dir / "index.html").read_text("utf-8").count("Rapat Koordinasi Diskominfo") == 1


def test_slug_of_another_entry_is_refused(site, site_dir):
    site.publish(make_post(), None)

    with pytest.raises(AdapterError) as error:
        site.publish(make_post(entry_id="e-2", title="Berita Lain"), None)

    assert "sudah dipakai" in error.value.note
    assert "Rapat Koordinasi" in (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")


# --- withdrawing -------------------------------------------------------------------------------

def test_withdraw_removes_page_and_index_entry(site, site_dir):
    ref = site.publish(make_post(), None)

    withdrawn = site.withdraw(ref)

    assert withdrawn == replace(ref, live=False)
    assert not (site_dir / "rapat-koordinasi").exists()
    assert "Rapat Koordinasi" not in (site_dir / "index.html").read_text("utf-8")
    assert site.find("e-1") == withdrawn
    assert site.withdraw(withdrawn) == withdrawn           # idempotent
    assert site.withdraw(ref) == withdrawn
    assert listing(site_dir) == ["index.html", "posts.json"]


def test_republish_after_withdraw_is_live_at_same_url(site, site_dir):
    withdrawn = site.withdraw(site.publish(make_post(), None))

    again = site.publish(make_post(fingerprint="fp-2"), withdrawn)

    assert again.live and again.url == withdrawn.url and again.fingerprint == "fp-2"
    assert (site_dir / "rapat-koordinasi" / "index.html").exists()
    assert "Rapat Koordinasi" in (site_dir / "index.html").read_text("utf-8")
    assert site.find("e-1") == again


def test_withdraw_without_catalogue_record_still_takes_page_down(site, site_dir):
    ref = site.publish(make_post(), None)
    (site_dir / "posts.json").unlink()

    withdrawn = open_site(site_dir).withdraw(ref)

    assert not withdrawn.live and not (site_dir / "rapat-koordinasi").exists()
    assert open_site(site_dir).find("e-1") == withdrawn


# --- index -------------------------------------------------------------------------------------

def test_index_lists_live_posts_newest_first(site, site_dir):
    for number, hours in ((1, 0), (2, 48), (3, 24), (4, 72)):
        site.publish(make_post(entry_id=f"e-{number}", slug=f"berita-{number}",
                               title=f"Berita {number}",
                               published_at=FRIDAY + timedelta(hours=hours)), None)
    site.withdraw(site.find("e-4"))

    index = (site_dir / "index.html").read_text("utf-8")
    links = [a["href"] for a in Parsed(index).named("a") if a["href"].startswith("berita-")]

    assert links == ["berita-2/index.html", "berita-3/index.html", "berita-1/index.html"]
    assert "Minggu, 29 November 2026, 14:05 WITA" in index


# --- media -------------------------------------------------------------------------------------

def test_large_photo_is_downscaled_small_files_copied_as_is(site, site_dir, media_dir):
    small = jpeg(media_dir, "kecil.jpg")
    video = mp4(media_dir, "klip.mp4")
    site.publish(make_post([jpeg(media_dir, "besar.jpg", size=(3000, 2000)), small, video]), None)

    folder = site_dir / "rapat-koordinasi"
    with Image.open(folder / "besar.jpg") as big:
        assert big.format == "JPEG"
        assert big.width == 2560 and big.height in (1706, 1707)
    assert (folder / "kecil.jpg").read_bytes() == small.path.read_bytes()
    assert (folder / "klip.mp4").read_bytes() == video.path.read_bytes()


def test_downscaling_honours_exif_orientation(site, site_dir, media_dir):
    exif = Image.Exif()
    exif[0x0112] = 6                        # stored landscape, shown rotated 90° (portrait)
    site.publish(make_post([jpeg(media_dir, "tegak.jpg", size=(3000, 2000), exif=exif)]), None)

    with Image.open(site_dir / "rapat-koordinasi" / "tegak.jpg") as image:
        assert image.height == 2560 and image.width in (1706, 1707)
        assert image.getexif().get(0x0112, 1) == 1


def test_large_png_keeps_its_format(site, site_dir, media_dir):
    site.publish(make_post([png(media_dir, "grafik.png", size=(1000, 4000))]), None)

    with Image.open(site_dir / "rapat-koordinasi" / "grafik.png") as image:
        assert image.format == "PNG" and image.size == (640, 2560)


def test_media_names_are_made_safe(site, site_dir, media_dir):
    photo = jpeg(media_dir, "foto.jpg")
    media = [
        replace(photo, name="../../keluar.JPG"),
        replace(photo, name="C:\\Users\\staf\\Foto Rapat (1).jpeg"),
        replace(photo, name="Foto Rapat (1).jpeg"),
        replace(photo, name="..."),
        replace(photo, name="index.html"),
        replace(photo, name="jahat.svg"),
        replace(photo, name="CON.jpg"),
        replace(photo, name="Pelantikan Gubernur Kaltara.jpg"),
    ]

    site.publish(make_post(media), None)

    assert listing(site_dir / "rapat-koordinasi") == [
        "con-file.jpg", "foto-rapat-1-2.jpeg", "foto-rapat-1.jpeg", "index.html", "index.jpg",
        "jahat.jpg", "keluar.jpg", "media.jpg", "pelantikan-gubernur-kaltara.jpg",
    ]
    assert listing(site_dir.parent) == ["media", "site"]


# --- safety ------------------------------------------------------------------------------------

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_hostile_text_never_becomes_executable_markup(site_dir, media_dir):
    site = open_site(site_dir, "https://berita.kaltaraprov.go.id")
    body = (
        '<p onclick="alert(3)">Teks</p><script>alert(4)</script>'
        '<img src=x onerror=alert(5)><svg onload=alert(6)></svg>'
        '<a href="javascript:alert(7)">a</a><a href=" JaVaScRiPt:alert(8)">b</a>'
        '<a href="data:text/html,<script>alert(9)</script>">c</a>'
        '<iframe src="https://evil.example"></iframe><style>body{}</style>'
        '<a href="https://kaltaraprov.go.id" onmouseover="alert(10)">Kaltara</a>'
        '<table><tr><td style="x">sel</td></tr></table>'
    )
    post = make_post([jpeg(media_dir, "foto.jpg"), mp4(media_dir, "klip.mp4")],
                     title=HOSTILE, caption=HOSTILE, source=HOSTILE, news_type=HOSTILE,
                     body_html=body)

    site.publish(post, None)

    page = (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")
    index = (site_dir / "index.html").read_text("utf-8")
    for html in (page, index):
        assert_inert(html)
        assert "alert(" not in "".join(  # no hostile text inside any attribute but alt/content
            value or "" for _, attrs in Parsed(html).tags
            for name, value in attrs.items() if name not in ("alt", "content"))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html   # shown as text instead
    assert "<p>Teks</p>" in page and "sel" in page
    kaltara = [a for a in Parsed(page).named("a") if a.get("href") == "https://kaltaraprov.go.id"]
    assert kaltara == [{"href": "https://kaltaraprov.go.id", "rel": "noopener noreferrer"}]
    assert "iframe" not in page and "alert(4)" not in page


# --- problems ----------------------------------------------------------------------------------

def test_check_reports_nothing_when_all_is_well(site_dir):
    assert open_site(site_dir, "https://berita.kaltaraprov.go.id").check() == []
    assert site_dir.is_dir() and listing(site_dir) == []


def test_check_reports_bad_url_and_unwritable_folder(tmp_path):
    blocker = tmp_path / "bukan-folder"
    blocker.write_text("file, not a folder")

    problems = open_site(blocker / "site", "ftp://berita.example").check()

    assert len(problems) == 2
    assert "website.url" in problems[0] and "https://" in problems[0]
    assert "website.output_dir" in problems[1] and "writable" in problems[1]


def test_check_reports_a_broken_catalogue(site_dir):
    site_dir.mkdir()
    (site_dir / "posts.json").write_text("{not json")

    problems = open_site(site_dir).check()

    assert len(problems) == 1 and "posts.json" in problems[0] and "backup" in problems[0]


def test_write_failure_raises_adapter_error_with_indonesian_note(tmp_path):
    blocker = tmp_path / "bukan-folder"
    blocker.write_text("file, not a folder")

    with pytest.raises(AdapterError) as error:
        open_site(blocker / "site").publish(make_post(), None)

    assert error.value.note.startswith("Gagal menulis halaman website: ")
    assert error.value.note.endswith("Periksa ruang disk dan izin folder situs.")


def test_missing_media_file_leaves_the_old_page_and_no_leftovers(site, site_dir, media_dir):
    site.publish(make_post(), None)
    gone = jpeg(media_dir, "hilang.jpg")
    gone.path.unlink()

    with pytest.raises(AdapterError):
        site.publish(make_post([gone], title="Versi Baru"), None)

    assert "Versi Baru" not in (site_dir / "rapat-koordinasi" / "index.html").read_text("utf-8")
    assert listing(site_dir) == ["index.html", "posts.json", "rapat-koordinasi"]


def test_leftovers_of_an_interrupted_run_are_swept(site, site_dir):
    (site_dir / ".tmp-rapat-koordinasi-dead").mkdir(parents=True)
    (site_dir / ".tmp-posts.json-dead").write_text("{")

    site.publish(make_post(), None)

    assert listing(site_dir) == ["index.html", "posts.json", "rapat-koordinasi"]


# --- a cycle's batch ---------------------------------------------------------------------------

def test_a_batch_renders_the_index_once_at_its_end(site, site_dir):
    site.publish(make_post(), None)
    before = (site_dir / "index.html").read_bytes()
    with site.batch():
        for n in range(3):
            ref = site.publish(make_post(entry_id=f"b-{n}", slug=f"berita-{n}",
                                         title=f"Berita {n}"), None)
            assert site.find(ref.entry_id) == ref            # the catalogue is up to date
            assert (site_dir / "index.html").read_bytes() == before
    index = (site_dir / "index.html").read_text("utf-8")
    assert all(f"Berita {n}" in index for n in range(3)) and "Rapat Koordinasi" in index


def test_an_index_older_than_the_catalogue_is_caught_up_by_the_next_batch(site, site_dir):
    site.publish(make_post(), None)
    index = site_dir / "index.html"
    index.write_text("stale", encoding="utf-8")
    # As a run stopped between writing the catalogue and the index page leaves it.
    older = (site_dir / "posts.json").stat().st_mtime_ns - 1_000_000_000
    os.utime(index, ns=(older, older))
    with open_site(site_dir, "https://x.go.id/berita").batch():
        pass                                  # nothing to publish this time
    assert "Rapat Koordinasi" in index.read_text("utf-8")
