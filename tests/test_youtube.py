"""YouTube links in `Tautan Media` (SPEC section 10): embedded in the post, never downloaded.

Static site: the privacy-enhanced player, allowed by that page's Content-Security-Policy and
by no other page's. WordPress: the block editor's embed block. Both: after the text, where the
videos are; the link itself is part of the content fingerprint.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
import requests

from automation.core import schema as S
from automation.core.entry import field_problems, fingerprint
from automation.core.youtube import split_embeds, video_id
from tests.support.core import RULES, complete_cells, make_entry
from tests.support.workspace import NOW, Agenda, approved
from tests.test_wordpress import Rest, office, site, wp_config  # noqa: F401  (site: fixture)

LATER = NOW + timedelta(minutes=5)
ID = "dQw4w9WgXcQ"
OTHER = "M7lc1UVf-VE"
PLAYER = "https://www.youtube-nocookie.com"
ALLOW = "accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen"


# --- recognising the links -------------------------------------------------------------------

@pytest.mark.parametrize("link", [
    f"https://www.youtube.com/watch?v={ID}",
    f"https://youtube.com/watch?v={ID}&t=42s",
    f"https://www.youtube.com/watch?feature=share&v={ID}",
    f"https://m.youtube.com/watch?v={ID}",
    f"http://youtu.be/{ID}",
    f"https://youtu.be/{ID}?si=AbCdEfGh12345678",
    f"https://youtu.be/{ID}?t=10",
    f"https://www.youtube.com/shorts/{ID}",
    f"https://youtube.com/shorts/{ID}?si=AbCdEfGh12345678",
    f"youtube.com/watch?v={ID}",
    f"youtu.be/{ID}",
    f"www.youtube.com/shorts/{ID}",
    f"  https://www.youtube.com/watch?v={ID}  ",
    f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}",
])
def test_video_links_give_the_video_id(link):
    assert video_id(link) == ID


@pytest.mark.parametrize("link", [
    "foto/a.jpg",
    "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz/view",
    f"https://vimeo.com/watch?v={ID}",
    f"https://youtube.com.example.org/watch?v={ID}",
    f"https://notyoutube.com/watch?v={ID}",
    "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/watch?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/watch",
    "https://www.youtube.com/",
    "https://www.youtube.com/@diskominfokaltara",
    "https://youtu.be/",
    "https://youtu.be/dQw4w9WgXc",                   # 10 characters
    "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12 characters
    "https://www.youtube.com/shorts/abc",
    f"javascript:alert(1)//youtu.be/{ID}",
    f"javascript://youtu.be/{ID}",
    f"ftp://youtu.be/{ID}",
    "https://www.youtube.com/watch?v=dQw4w9W\"XcQ",
    "https://www.youtube.com/watch?v=dQw4w9W<XcQ",
    "https://youtu.be/dQw4w9W%3CcQ",
    "https://youtu.be/dQw4w9W'XcQ",
    "https://[::1/watch?v=dQw4w9WgXcQ",              # not even a URL
    "",
])
def test_anything_else_is_not_a_video(link):
    assert video_id(link) is None


def test_split_embeds_keeps_the_order_and_drops_repeats():
    links = ("foto/a.jpg", f"https://youtu.be/{ID}", "foto/b.jpg",
             f"https://www.youtube.com/shorts/{OTHER}", f"https://www.youtube.com/watch?v={ID}&t=3")
    assert split_embeds(links) == ((ID, OTHER), ("foto/a.jpg", "foto/b.jpg"))
    assert split_embeds(()) == ((), ())
    assert split_embeds(("foto/a.jpg",)) == ((), ("foto/a.jpg",))
    assert split_embeds((f"youtu.be/{OTHER}",)) == ((OTHER,), ())


# --- the core: complete, and fingerprinted as the link ---------------------------------------

def test_a_row_with_only_a_youtube_link_has_no_field_problem():
    entry = make_entry(complete_cells(**{S.MEDIA: f"https://youtu.be/{ID}"}))
    assert field_problems(entry, RULES) == []


def test_the_fingerprint_follows_the_youtube_link():
    def digest(media: str) -> str:
        return fingerprint(make_entry(complete_cells(**{S.MEDIA: media})), "", [])

    assert digest(f"https://youtu.be/{ID}") != digest(f"https://youtu.be/{OTHER}")
    assert digest(f"https://youtu.be/{ID}") == digest(f"https://youtu.be/{ID}")


# --- the static site -------------------------------------------------------------------------

class Page(HTMLParser):
    """Start tags with their attributes, and the text of each link."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[tuple[str | None, str]] = []
        self._href: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.links.append((self._href, ""))

    def handle_data(self, data):
        if self._href is not None and self.links:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def csp(self) -> dict[str, list[str]]:
        [meta] = [m for m in self.named("meta")
                  if (m.get("http-equiv") or "").lower() == "content-security-policy"]
        directives = [d.split() for d in (meta["content"] or "").split(";") if d.strip()]
        return {d[0]: d[1:] for d in directives}


class Spy:
    """A media source that records every link it is asked to collect."""

    def __init__(self, inner, asked: list[str]):
        self._inner, self._asked = inner, asked

    def collect(self, links):
        self._asked.extend(links)
        return self._inner.collect(links)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def page_of(agenda) -> str:
    [folder] = agenda.site_posts()
    return (folder / "index.html").read_text(encoding="utf-8")


def test_a_youtube_link_becomes_the_privacy_enhanced_player(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path / "office", [approved("Video Jembatan Baru", **{
        S.MEDIA: f"https://youtu.be/{ID}?si=AbCdEfGh12345678", S.CAPTION: None})])
    asked: list[str] = []
    agenda.take_in(media=lambda inner: Spy(inner, asked))

    row = agenda.by_title("Video Jembatan Baru")
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]
    assert not row[S.SYSTEM_NOTE]
    assert not any("youtu" in link for link in asked)          # never looked for as a file
    [folder] = agenda.site_posts()
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]   # nothing downloaded

    html = page_of(agenda)
    page = Page(html)
    [frame] = page.named("iframe")
    assert frame["src"] == f"{PLAYER}/embed/{ID}"
    assert frame["title"] == "Video YouTube: Video Jembatan Baru"
    assert frame["loading"] == "lazy"
    assert frame["referrerpolicy"] == "strict-origin-when-cross-origin"
    assert frame["allow"] == ALLOW
    assert "allowfullscreen" in frame
    assert (f"https://www.youtube.com/watch?v={ID}", "Tonton di YouTube") in page.links
    assert html.index("Isi berita") < html.index("<iframe")

    csp = page.csp()
    assert csp["frame-src"] == [PLAYER]                        # exactly that frame source
    assert csp["script-src"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert not {"default-src", "child-src"} & csp.keys()

    index = Page((agenda.cfg.website.output_dir / "index.html").read_text(encoding="utf-8"))
    assert index.csp()["frame-src"] == ["'none'"]
    assert index.csp()["script-src"] == ["'none'"]
    assert not index.named("iframe")


def test_a_photo_and_a_youtube_link_in_one_row(tmp_path):
    agenda = Agenda(tmp_path / "office", [
        approved("Peresmian", **{S.MEDIA: f"foto/a.jpg\nhttps://www.youtube.com/watch?v={ID}&t=42s"
                                          f", https://www.youtube.com/shorts/{OTHER}"}),
        approved("Tanpa Video"),
    ])
    agenda.take_in()
    assert agenda.by_title("Peresmian")[S.STATUS] == "Tayang"
    assert agenda.by_title("Tanpa Video")[S.STATUS] == "Tayang"
    output = agenda.cfg.website.output_dir
    pages = {p.name: (p / "index.html").read_text(encoding="utf-8") for p in agenda.site_posts()}
    [(slug, html)] = [(s, h) for s, h in pages.items() if "<iframe" in h]
    assert sorted(p.name for p in (output / slug).iterdir()) == ["a.jpg", "index.html"]

    page = Page(html)
    frames = page.named("iframe")
    assert [f["src"] for f in frames] == [f"{PLAYER}/embed/{ID}", f"{PLAYER}/embed/{OTHER}"]
    assert [f["title"] for f in frames] == ["Video YouTube 1: Peresmian",
                                            "Video YouTube 2: Peresmian"]
    assert page.named("img")[0]["src"] == "a.jpg"
    assert html.index('src="a.jpg"') < html.index("Isi berita") < html.index("<iframe")
    assert page.csp()["frame-src"] == [PLAYER]

    [plain] = [h for h in pages.values() if "<iframe" not in h]
    assert Page(plain).csp()["frame-src"] == ["'none'"]       # a post without an embed
    index = Page((output / "index.html").read_text(encoding="utf-8"))
    assert index.csp()["frame-src"] == ["'none'"]
    assert f"{slug}/a.jpg" in [i["src"] for i in index.named("img")]


def test_another_video_is_an_edit_that_asks_for_paraf_again(tmp_path):
    agenda = Agenda(tmp_path / "office", [approved("A", **{S.MEDIA: f"https://youtu.be/{ID}"})])
    agenda.take_in()
    first = agenda.by_title("A")
    assert first[S.STATUS] == "Tayang"

    agenda.edit("A", **{S.MEDIA: f"https://youtu.be/{OTHER}"})
    agenda.cycle(LATER)
    waiting = agenda.by_title("A")
    assert waiting[S.STATUS] == "Menunggu Paraf Kadis"
    assert waiting[S.PARAF_KADIS] is False
    assert f"/embed/{ID}" in page_of(agenda)                  # the approved version stays

    agenda.edit("A", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER + timedelta(minutes=1))
    updated = agenda.by_title("A")
    assert updated[S.STATUS] == "Tayang"
    assert updated[S.WEBSITE_URL] == first[S.WEBSITE_URL]
    html = page_of(agenda)
    assert f"/embed/{OTHER}" in html and f"/embed/{ID}" not in html


# --- WordPress -------------------------------------------------------------------------------

def embed_block(video: str) -> str:
    url = f"https://www.youtube.com/watch?v={video}"
    return (
        f'<!-- wp:embed {{"url":"{url}","type":"video","providerNameSlug":"youtube",'
        '"responsive":true,"className":"wp-embed-aspect-16-9 wp-has-aspect-ratio"} -->\n'
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube '
        'wp-embed-aspect-16-9 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">\n'
        f"{url}\n"
        "</div></figure>\n"
        "<!-- /wp:embed -->"
    )


def test_wordpress_gets_an_embed_block_after_the_text(site, tmp_path):  # noqa: F811
    agenda = office(tmp_path, site, [approved("Peresmian", **{
        S.MEDIA: f"foto/a.jpg https://www.youtube.com/shorts/{ID}?si=AbCdEfGh12345678"})])
    agenda.cycle()
    row = agenda.by_title("Peresmian")
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]

    rest = Rest(site)
    [post] = rest.posts()
    [photo] = rest.media()                                     # only the photo was uploaded
    assert post["featured_media"] == photo["id"]
    raw = post["content"]["raw"]
    assert embed_block(ID) in raw
    assert raw.index("<!-- wp:image") < raw.index("TANJUNG SELOR") < raw.index("<!-- wp:embed")
    assert raw.index("<!-- wp:embed") < raw.index("<!-- buku-agenda ")
    # This WordPress cannot reach YouTube: it shows the link instead of the player.
    assert f"youtube.com/watch?v={ID}" in post["content"]["rendered"]
    page = requests.get(post["link"], timeout=60)
    assert page.status_code == 200 and f"youtube.com/watch?v={ID}" in page.text


def test_an_author_publishes_a_row_with_only_a_youtube_link(site, tmp_path,  # noqa: F811
                                                            monkeypatch):
    """An account without `unfiltered_html` (WordPress filters its markup) keeps the block."""
    monkeypatch.setenv("WP_TEST_PASSWORD", site.author_password)
    agenda = Agenda(tmp_path / "office", [approved("Video Saja", **{
        S.MEDIA: f"https://www.youtube.com/watch?v={ID}", S.CAPTION: None})],
        wp_config(site.base_url, site.author_username))
    agenda.cycle()
    row = agenda.by_title("Video Saja")
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]

    rest = Rest(site)
    [post] = rest.posts()
    assert rest.media() == [] and post["featured_media"] == 0
    assert embed_block(ID) in post["content"]["raw"]

    agenda.edit("Video Saja", **{S.MEDIA: f"https://youtu.be/{OTHER}"})
    agenda.cycle(LATER)
    agenda.edit("Video Saja", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER + timedelta(minutes=1))
    assert agenda.by_title("Video Saja")[S.STATUS] == "Tayang"
    [post] = rest.posts()
    raw = post["content"]["raw"]
    assert embed_block(OTHER) in raw and ID not in raw
