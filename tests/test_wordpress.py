"""Publishing to a real WordPress (Debian's 6.1, started by the fixtures on loopback)."""

from __future__ import annotations

import threading
from datetime import timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from automation.core import schema as S
from tests.support.config import config_toml
from tests.support.photos import assert_published_cleanly, heic
from tests.support.videos import video_bytes
from tests.support.workspace import NOW, Agenda, approved
from tests.test_cycle import Tags

LATER = NOW + timedelta(minutes=5)
MP4 = video_bytes("h264")


def wp_config(base_url: str, username: str, categories=(("Siaran Pers", "Berita"),),
              **website) -> str:
    website = {"backend": "wordpress", "url": base_url, "username": username,
               "password_env": "WP_TEST_PASSWORD", **website}
    if categories:
        website["categories"] = dict(categories)
    return config_toml(website=website, media={"max_file_mb": 200})


class Rest:
    """The WordPress REST API as a test reads it: every post, drafts included."""

    def __init__(self, server):
        self.base = server.base_url + "/wp-json/wp/v2"
        self.auth = (server.username, server.app_password)

    def get(self, path: str, **params):
        reply = requests.get(self.base + path, params={"context": "edit", **params},
                             auth=self.auth, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def posts(self):
        """Posts the program made (a fresh site also has WordPress's own "Hello world!")."""
        every = self.get("/posts", status="any", per_page=100)
        return [p for p in every if "<!-- buku-agenda " in p["content"]["raw"]]

    def media(self):
        return self.get("/media", per_page=100)


@pytest.fixture
def site(wordpress, tmp_path, monkeypatch):
    monkeypatch.setenv("WP_TEST_PASSWORD", wordpress.app_password)
    wordpress.create_category("Berita")
    return wordpress


def office(tmp_path: Path, server, rows, **website) -> Agenda:
    agenda = Agenda(tmp_path / "office", rows, wp_config(server.base_url, server.username, **website))
    (agenda.folder / "media" / "video").mkdir(parents=True, exist_ok=True)
    (agenda.folder / "media" / "video" / "liputan.mp4").write_bytes(MP4)
    return agenda


def test_a_post_comes_out_as_an_operator_would_make_it(site, tmp_path):
    agenda = office(tmp_path, site, [approved("Gubernur Resmikan Jembatan", **{
        S.MEDIA: "foto/a.jpg\nfoto/b.jpg, foto/c.jpg video/liputan.mp4",
        S.CAPTION: "PERESMIAN : Gubernur menggunting pita, Jumat (27/11)."})])
    big = agenda.photo("foto/a.jpg", "red", size=(3000, 2000))
    assert big.exists()
    agenda.cycle()
    row = agenda.by_title("Gubernur Resmikan Jembatan")
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]

    rest = Rest(site)
    [post] = rest.posts()
    assert post["status"] == "publish"
    assert post["link"] == row[S.WEBSITE_URL]
    assert post["title"]["raw"] == "Gubernur Resmikan Jembatan"
    assert post["date_gmt"] == NOW.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    berita = [c for c in rest.get("/categories") if c["name"] == "Berita"][0]
    assert post["categories"] == [berita["id"]]

    media = {m["id"]: m for m in rest.media()}
    assert len(media) == 5                                      # 3 photos, a video, its poster
    featured = media[post["featured_media"]]
    assert featured["caption"]["raw"] == "PERESMIAN : Gubernur menggunting pita, Jumat (27/11)."
    assert featured["media_details"]["width"] <= 2560          # scaled before upload
    content = post["content"]["raw"]
    assert "TANJUNG SELOR – Isi berita." in content and "<!-- wp:paragraph -->" in content
    assert content.count("<!-- wp:image") == 3 and "<!-- wp:gallery" in content
    assert "<!-- wp:video" in content and ".mp4" in content
    [poster] = [m for m in media.values() if m["slug"].endswith("-poster") or
                m["source_url"].endswith("-poster.jpg")]
    assert f'poster="{poster["source_url"]}"' in content
    assert "PERESMIAN : Gubernur menggunting pita" in content

    page = requests.get(post["link"], timeout=30)
    assert page.status_code == 200 and "Gubernur Resmikan Jembatan" in page.text


def test_reapproved_edit_updates_the_same_post_and_leaves_no_orphans(site, tmp_path):
    agenda = office(tmp_path, site, [approved("A", **{S.MEDIA: "foto/a.jpg foto/b.jpg"})])
    agenda.cycle()
    first = agenda.by_title("A")
    agenda.edit("A", **{S.TEXT: "Naskah yang sudah diperbaiki.", S.MEDIA: "foto/a.jpg foto/c.jpg"})
    agenda.cycle(LATER)
    agenda.edit("A", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER + timedelta(minutes=1))
    row = agenda.by_title("A")
    assert row[S.STATUS] == "Tayang"
    assert row[S.WEBSITE_URL] == first[S.WEBSITE_URL]
    assert row[S.ARCHIVE_NUMBER] == first[S.ARCHIVE_NUMBER]
    rest = Rest(site)
    [post] = rest.posts()
    assert "Naskah yang sudah diperbaiki." in post["content"]["raw"]
    names = sorted(m["slug"].rsplit("-", 1)[0][:3] for m in rest.media())
    assert len(rest.media()) == 2, names                      # b.jpg's upload was removed


def test_rejection_after_publication_moves_the_post_to_draft(site, tmp_path):
    agenda = office(tmp_path, site, [approved("A")])
    agenda.cycle()
    agenda.edit("A", **{S.REJECTED: True})
    agenda.cycle(LATER)
    assert agenda.by_title("A")[S.STATUS] == "Ditarik"
    [post] = Rest(site).posts()
    assert post["status"] == "draft"
    assert requests.get(agenda.by_title("A")[S.WEBSITE_URL], timeout=30).status_code == 404


def test_a_lost_state_folder_finds_the_post_again(site, tmp_path):
    agenda = office(tmp_path, site, [approved("A"), approved("B")])
    agenda.cycle()
    before = agenda.rows()
    agenda.lose_state()
    agenda.cycle(LATER)
    assert len(Rest(site).posts()) == 2
    assert agenda.rows() == before


def test_hostile_text_never_reaches_the_site_as_markup(site, tmp_path):
    agenda = office(tmp_path, site, [approved('<script>alert(1)</script> Judul', **{
        S.TEXT: 'Isi <img src=x onerror=alert(1)> <a href="javascript:alert(2)">klik</a>',
        S.CAPTION: '"><script>alert(3)</script>'})])
    agenda.cycle()
    [post] = Rest(site).posts()
    tags = Tags()
    tags.feed(post["title"]["raw"] + post["content"]["raw"])
    assert "script" not in [tag for tag, _ in tags.seen]
    for _, attrs in tags.seen:
        assert not [name for name, _ in attrs if name.startswith("on")]
        assert not [v for _, v in attrs if v and "javascript:" in v.lower()]
    page = requests.get(post["link"], timeout=30).text
    scripts = Scripts()
    scripts.feed(page)
    assert not [s for s in scripts.bodies if "alert" in s]
    assert not [a for _, attrs in scripts.seen for a, _ in attrs if a.startswith("on")]


class DropsFirstCreateAnswer:
    """A loopback proxy: forwards to WordPress, but loses the answer of the first
    `POST /posts` after WordPress has made the post (a timeout with the outcome unknown)."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.dropped = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                reply = requests.request(self.command, proxy.upstream + self.path, data=body,
                                         headers=headers, timeout=60, allow_redirects=False)
                if (self.command == "POST" and urlsplit(self.path).path.endswith("/wp/v2/posts")
                        and not proxy.dropped):
                    proxy.dropped += 1
                    self.close_connection = True
                    return                            # made, but the program never hears it
                self.send_response(reply.status_code)
                for k, v in reply.headers.items():
                    if k.lower() not in ("transfer-encoding", "content-encoding", "connection",
                                         "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = do_DELETE = do_PUT = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_a_lost_answer_to_create_never_makes_a_second_post(site, tmp_path):
    proxy = DropsFirstCreateAnswer(site.base_url)
    try:
        agenda = Agenda(tmp_path / "office", [approved("A")], wp_config(proxy.url, site.username))
        agenda.cycle()
        agenda.cycle(LATER)
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert len(Rest(site).posts()) == 1
    assert agenda.by_title("A")[S.STATUS] == "Tayang"


def test_a_missing_category_is_a_clear_note_not_a_silent_drop(site, tmp_path):
    agenda = Agenda(tmp_path / "office", [approved("A")], wp_config(
        site.base_url, site.username, categories={"Siaran Pers": "Tidak Ada"}.items()))
    agenda.cycle()
    row = agenda.by_title("A")
    assert row[S.STATUS] == "Gagal Tayang"
    assert "Kategori website 'Tidak Ada'" in row[S.SYSTEM_NOTE]
    assert Rest(site).posts() == []


def test_check_reports_what_the_administrator_must_fix(site, tmp_path, monkeypatch):
    from automation import config as config_module
    from automation.workspace import open_publisher

    agenda = office(tmp_path, site, [])
    cfg = config_module.load(agenda.folder / "config.toml")
    assert open_publisher(cfg).check() == []
    monkeypatch.setenv("WP_TEST_PASSWORD", "salah salah salah")
    assert "Application Password" in open_publisher(cfg).check()[0]
    monkeypatch.setenv("WP_TEST_PASSWORD", site.contributor_password)
    contributor = config_module.load(agenda.folder / "config.toml")
    (agenda.folder / "config.toml").write_text(
        wp_config(site.base_url, site.contributor_username))
    contributor = config_module.load(agenda.folder / "config.toml")
    problems = open_publisher(contributor).check()
    assert any("may not publish posts" in p for p in problems)


class Scripts(Tags):
    """Also collects what each <script> element would run."""

    def __init__(self):
        super().__init__()
        self.bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        self._in_script = tag == "script"
        if self._in_script:
            self.bodies.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.bodies[-1] += data


def test_a_video_over_the_site_upload_limit_gets_a_note_naming_it(tmp_path, monkeypatch):
    """The site (1 MB) refuses what website.max_upload_mb (64) lets through: a 413, told in
    Indonesian with the fix, and not sent again (tests/test_upload_limits.py has the rest)."""
    from tests.support.wordpress_server import WordPressServer

    with WordPressServer(upload_limit_mb=1) as small:
        monkeypatch.setenv("WP_TEST_PASSWORD", small.app_password)
        agenda = Agenda(tmp_path / "office", [approved("A", **{S.MEDIA: "foto/a.jpg video/besar.mp4"})],
                        wp_config(small.base_url, small.username, categories=()))
        (agenda.folder / "media" / "video").mkdir()
        padding = 2 * 2**20          # a `free` box, which players skip: a real 2 MB video
        (agenda.folder / "media" / "video" / "besar.mp4").write_bytes(
            MP4 + padding.to_bytes(4, "big") + b"free" + bytes(padding - 8))
        agenda.cycle()
        row = agenda.by_title("A")
        assert row[S.STATUS] == "Gagal Tayang"
        note = row[S.SYSTEM_NOTE]
        assert "besar.mp4' (2,1 MB) ditolak website karena melebihi batas unggah" in note
        assert "unggah ke YouTube lalu tempel tautannya di Tautan Media" in note
        assert "website.max_upload_mb" in note and "mencoba lagi" not in note
        assert Rest(small).posts() == []
        agenda.cycle(LATER)
        assert agenda.by_title("A")[S.SYSTEM_NOTE] == note
        assert not [m for m in Rest(small).media() if m["mime_type"].startswith("video/")]


def test_a_taken_address_is_accepted_as_wordpress_renames_it(site, tmp_path):
    from automation.core.entry import post_slug

    agenda = office(tmp_path, site, [approved("Rapat Koordinasi", **{S.PARAF_KABID: None})])
    agenda.cycle()
    slug = post_slug("Rapat Koordinasi", agenda.by_title("Rapat Koordinasi")[S.ENTRY_ID])
    other = requests.post(site.rest_url("wp/v2/posts"), auth=site.auth, timeout=30, json={
        "title": "Tulisan lain", "slug": slug, "status": "publish", "content": "lain"}).json()
    agenda.edit("Rapat Koordinasi", **{S.PARAF_KABID: True})
    agenda.cycle(LATER)
    row = agenda.by_title("Rapat Koordinasi")
    assert row[S.STATUS] == "Tayang"
    assert row[S.WEBSITE_URL].rstrip("/").endswith(f"{slug}-2")
    [post] = Rest(site).posts()
    assert post["link"] == row[S.WEBSITE_URL] and post["id"] != other["id"]
    assert Rest(site).get(f"/posts/{other['id']}")["content"]["raw"] == "lain"


def test_pending_status_leaves_the_last_look_to_an_editor(site, tmp_path):
    agenda = office(tmp_path, site, [approved("A")], post_status="pending")
    agenda.cycle()
    row = agenda.by_title("A")
    [post] = Rest(site).posts()
    assert post["status"] == "pending"
    assert row[S.STATUS] == "Tayang" and row[S.ARCHIVE_NUMBER]
    agenda.edit("A", **{S.REJECTED: True})
    agenda.cycle(LATER)
    assert Rest(site).posts()[0]["status"] == "draft"
    assert agenda.by_title("A")[S.STATUS] == "Ditarik"


def test_the_password_never_travels_over_plain_http_and_must_be_set():
    from automation.ports import AdapterError
    from automation.publishers.wordpress import WordPress

    with pytest.raises(AdapterError, match="not https"):
        WordPress("http://diskominfo.example.go.id", "redaksi", "rahasia")
    with pytest.raises(AdapterError, match="WP_APP_PASSWORD"):
        WordPress("https://diskominfo.example.go.id", "redaksi", None)
    assert WordPress("http://127.0.0.1:8080", "redaksi", "rahasia").url == "http://127.0.0.1:8080"


def test_body_becomes_blocks_and_keeps_only_safe_markup():
    from automation.publishers.wordpress import to_blocks

    blocks = to_blocks('<p>Satu</p><h3>Sub</h3><ol><li>a</li></ol>lepas'
                       '<img src=x onerror=alert(1)><a href="javascript:alert(1)">k</a>')
    assert '<!-- wp:heading {"level":3} -->' in blocks and '<!-- wp:list {"ordered":true} -->' in blocks
    assert "<p>lepas</p>" in blocks
    assert "onerror" not in blocks and "javascript:" not in blocks and "<img" not in blocks


def test_body_blocks_hold_no_control_character_and_word_breaks_become_br():
    from automation.publishers.wordpress import to_blocks

    assert to_blocks("<p>Satu\x00\x1bdua\x0bTiga&#1;</p>") == (
        "<!-- wp:paragraph -->\n<p>Satudua<br>Tiga</p>\n<!-- /wp:paragraph -->")


def test_no_control_character_reaches_the_post_or_its_photo(site, tmp_path):
    import hashlib

    from PIL import Image

    from automation.ports import MediaFile, Post
    from automation.publishers.wordpress import WordPress

    photo = tmp_path / "foto.jpg"
    Image.new("RGB", (32, 24), (10, 120, 200)).save(photo, "JPEG")
    data = photo.read_bytes()
    media = MediaFile(name="foto.jpg", path=photo, kind="photo", mime="image/jpeg",
                      size=len(data), sha256=hashlib.sha256(data).hexdigest())
    controls = "\x00\x01\x0b\x1b\x7f\x85\ud800"
    post = Post(entry_id="E-CTRL", slug="judul-kendali", title=f"Judul{controls}Bersih",
                body_html=f"<p>Isi{controls}naskah</p>", news_type="Siaran Pers",
                source=f"Sumber{controls}", caption=f"Keterangan{controls}foto", media=(media,),
                published_at=NOW.replace(tzinfo=timezone(timedelta(hours=8))),
                agenda_number=f"0001{controls}/2026", fingerprint="fp")

    WordPress(site.base_url, site.username, site.app_password).publish(post, None)

    [made] = Rest(site).posts()
    [uploaded] = Rest(site).media()
    assert made["title"]["raw"] == "Judul\nBersih"
    assert "Isi<br>naskah" in made["content"]["raw"]
    assert "Keterangan\nfoto" in made["content"]["raw"]             # the featured image's caption
    assert uploaded["caption"]["raw"] == "Keterangan\nfoto"
    for text in (made["title"]["raw"], made["content"]["raw"], uploaded["caption"]["raw"],
                 uploaded["title"]["raw"], uploaded["alt_text"]):
        assert not [c for c in text if (ord(c) < 0x20 and c not in "\t\n\r")
                    or 0x7f <= ord(c) <= 0x9f or 0xd800 <= ord(c) <= 0xdfff], text


def test_an_iphone_photo_reaches_wordpress_as_an_upright_jpeg_without_location(site, tmp_path):
    agenda = office(tmp_path, site, [approved("Foto dari iPhone", **{
        S.MEDIA: "foto/IMG_0042.HEIC"})])
    heic(agenda.folder / "media" / "foto" / "IMG_0042.HEIC")
    agenda.cycle()
    row = agenda.by_title("Foto dari iPhone")
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]
    rest = Rest(site)
    [post] = rest.posts()
    featured = [m for m in rest.media() if m["id"] == post["featured_media"]][0]
    assert featured["mime_type"] == "image/jpeg"
    assert featured["source_url"].lower().endswith(".jpg")
    uploaded = tmp_path / "uploaded.jpg"
    uploaded.write_bytes(requests.get(featured["source_url"], timeout=30).content)
    assert_published_cleanly(uploaded)
