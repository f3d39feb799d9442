"""The static site: a withdrawn post leaves nothing of its content in the public folder (its
record goes to the private folder in the state folder), and no control character from a row
ever reaches a file the site serves."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo
from datetime import datetime

import pytest
from markupsafe import escape
from PIL import Image

import automation.publishers.static_site as static_site
from automation.core.entry import post_slug
from automation.html_safety import page_text
from automation.ports import AdapterError, MediaFile, Post
from automation.publishers.static_site import StaticSite

WITA = ZoneInfo("Asia/Makassar")
FRIDAY = datetime(2026, 11, 27, 14, 5, tzinfo=WITA)

# Distinctive, with characters that escape differently in HTML and JSON.
TITLE = 'Peresmian Jembatan "Sungai Kayan" & Dermaga Tengkayu\'s Baru — Ñunukan'
BODY_TEXT = "Gubernur menggunting pita merah zamrud di tepi sungai <pagi> hari."
CAPTION = "Wakil gubernur menyapa nelayan Tanjung Selor & keluarga"
AGENDA = "0917/2026-ZQ"
SOURCE = "Biro Adpim Sekretariat Kaltara"
PHOTO_NAME = "Foto Pita Merah Zamrud.jpg"          # copied as foto-pita-merah-zamrud.jpg
PHOTO_STEM = "foto-pita-merah-zamrud"
# The address the program gives the post: made of the title's words.
SLUG = post_slug(TITLE, "e-7")              # peresmian-jembatan-sungai-kayan-...-nunu-e7
SLUG_WORDS = SLUG.rsplit("-", 1)[0]

CONTROLS = "\x00\x01\x0b\x1b\x7f"
# Bytes no served text file may hold: C0 controls but tab, LF and CR, and DEL.
BAD_BYTES = set(range(0x00, 0x20)) - {0x09, 0x0a, 0x0d} | {0x7f}
MEDIA_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4"}


def open_site(site_dir: Path, base_url: str = "") -> StaticSite:
    """A site with its private records where `open_publisher` puts them: the state folder,
    outside the public folder."""
    return StaticSite(site_dir, base_url, private_dir=private_dir_of(site_dir))


def private_dir_of(site_dir: Path) -> Path:
    return site_dir.parent / "state" / "site"


def jpeg(folder: Path, name: str) -> MediaFile:
    path = folder / name
    Image.new("RGB", (64, 48), "green").save(path, "JPEG")
    data = path.read_bytes()
    return MediaFile(name=name, path=path, kind="photo", mime="image/jpeg", size=len(data),
                     sha256=hashlib.sha256(data).hexdigest())


def make_post(media=(), **changes) -> Post:
    fields = dict(
        entry_id="e-7", slug=SLUG, title=TITLE,
        body_html=f"<p>{html.escape(BODY_TEXT)}</p><p>Paragraf kedua.</p>",
        news_type="Kegiatan Pimpinan", source=SOURCE, caption=CAPTION, media=tuple(media),
        published_at=FRIDAY, agenda_number=AGENDA, fingerprint="fp-7",
    )
    fields.update(changes)
    return Post(**fields)


def forms(text: str) -> set[str]:
    """`text` as it could be written into an HTML, JSON or XML file."""
    return {
        text,
        str(escape(text)),                           # Jinja autoescape (&#34; &#39;)
        html.escape(text),                           # &quot; &#x27;
        html.escape(text, quote=False),
        json.dumps(text)[1:-1],                      # \u escapes
        json.dumps(text, ensure_ascii=False)[1:-1],
        str(escape(json.dumps(text, ensure_ascii=False)[1:-1])),
    }


def served_files(root: Path) -> dict[Path, bytes]:
    """Every file under `root`, hidden ones too; a gzip file is also read unpacked."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            files[path] = data
            if data[:2] == b"\x1f\x8b":
                files[path.with_name(path.name + "#unpacked")] = gzip.decompress(data)
    return files


def leaks(root: Path, secrets: list[str]) -> list[tuple[str, str]]:
    """Where under `root` (a file's bytes or its path) a secret shows, in any written form;
    the slug's words are looked for lower-cased, in the bytes and the paths."""
    found = []
    for path, data in served_files(root).items():
        relative = str(path.relative_to(root))
        lowered = data.lower()
        for secret in secrets:
            for form in forms(secret):
                encoded = form.encode("utf-8")
                if encoded in data or form in relative:
                    found.append((relative, form))
        for word in SLUG_PARTS:
            if word.encode("ascii") in lowered or word in relative.lower():
                found.append((relative, word))
    return found


SECRETS = [TITLE, BODY_TEXT, CAPTION, AGENDA, PHOTO_STEM, "Sungai Kayan", "Tengkayu"]
# The slug form of the title: the whole slug, its words, and every distinctive word of it
# (a truncated slug or a folder name made from it would give those away too).
SLUG_PARTS = sorted({SLUG, SLUG_WORDS} | {w for w in SLUG_WORDS.split("-") if len(w) >= 5})


def private_record(site_dir: Path) -> dict[str, dict]:
    path = private_dir_of(site_dir) / "withdrawn.json"
    return {r["entry_id"]: r for r in json.loads(path.read_text("utf-8"))["posts"]}


def public_record(site_dir: Path) -> dict[str, dict]:
    path = site_dir / "posts.json"
    return {r["entry_id"]: r for r in json.loads(path.read_text("utf-8"))["posts"]}


def other_post() -> Post:
    return make_post(entry_id="e-8", slug="berita-lain-e8", title="Berita Lain Tetap Tayang",
                     body_html="<p>Tetap ada.</p>", caption="Tetap", agenda_number="0001/2026")


# --- withdrawn means gone --------------------------------------------------------------------

def test_the_leak_check_sees_every_form_of_the_post():
    assert SLUG.startswith("peresmian-jembatan-sungai-kayan-") and SLUG.endswith("-e7")
    assert {"peresmian", "jembatan", "tengkayu", "dermaga"} <= set(SLUG_PARTS)


@pytest.mark.parametrize("base_url", ["", "https://berita.kaltaraprov.go.id"])
def test_withdrawn_post_leaves_nothing_of_its_content(site_dir, media_dir, base_url):
    site = open_site(site_dir, base_url)
    site.publish(other_post(), None)
    ref = site.publish(make_post([jpeg(media_dir, PHOTO_NAME)]), None)
    assert leaks(site_dir, SECRETS)                 # the check sees the post while it is live
    assert ref.slug == SLUG and SLUG in ref.url

    withdrawn = site.withdraw(ref)

    # Nothing under the public folder, hidden files and file names included: not the title,
    # text, caption, agenda number or photo name, nor the slug (the URL) made of the title.
    assert leaks(site_dir, SECRETS) == []
    assert "Berita Lain Tetap Tayang" in (site_dir / "index.html").read_text("utf-8")
    assert set(public_record(site_dir)) == {"e-8"}
    # The record that brings the post back is kept privately, reduced to what finds it.
    assert private_record(site_dir) == {"e-7": {
        "entry_id": "e-7", "slug": SLUG, "post_id": SLUG, "url": ref.url,
        "fingerprint": "fp-7", "live": False}}
    assert site.find("e-7") == withdrawn and not withdrawn.live
    assert withdrawn.url == ref.url and withdrawn.slug == SLUG
    assert open_site(site_dir, base_url).find("e-7") == withdrawn

    again = open_site(site_dir, base_url).publish(
        make_post([jpeg(media_dir, PHOTO_NAME)]), withdrawn)

    assert again.live and again.url == ref.url and again.slug == ref.slug
    page = (site_dir / SLUG / "index.html").read_text("utf-8")
    assert str(escape(TITLE)) in page and html.escape(BODY_TEXT, quote=False) in page
    assert str(escape(CAPTION)) in page
    assert (site_dir / SLUG / f"{PHOTO_STEM}.jpg").is_file()
    assert str(escape(TITLE)) in (site_dir / "index.html").read_text("utf-8")
    assert site.find("e-7") == again
    assert set(public_record(site_dir)) == {"e-7", "e-8"}
    assert private_record(site_dir) == {}           # back in posts.json only


def test_republish_without_the_callers_reference_finds_the_withdrawn_address(site_dir):
    site = open_site(site_dir)
    ref = site.publish(make_post(), None)
    site.withdraw(ref)

    # A caller that lost its memory of the post (and asks for another slug) gets the old one.
    again = open_site(site_dir).publish(make_post(slug="judul-lain-e7"), None)

    assert again.live and again.url == ref.url and again.slug == SLUG
    assert not (site_dir / "judul-lain-e7").exists()


def test_a_withdrawn_posts_address_stays_its_own(site_dir):
    site = open_site(site_dir)
    site.withdraw(site.publish(make_post(), None))

    with pytest.raises(AdapterError) as error:
        site.publish(make_post(entry_id="e-99", fingerprint="fp-99"), None)

    assert "e-7" in error.value.note and not (site_dir / SLUG).exists()


def test_withdraw_inside_a_batch_takes_the_title_off_the_index_at_once(site_dir):
    site = open_site(site_dir)
    ref = site.publish(make_post(), None)

    with site.batch():
        site.withdraw(ref)
        assert leaks(site_dir, SECRETS) == []       # not only at the end of the batch

    assert leaks(site_dir, SECRETS) == []


def test_withdrawing_twice_changes_nothing(site_dir):
    site = open_site(site_dir)
    first = site.withdraw(site.publish(make_post(), None))

    assert open_site(site_dir).withdraw(first) == first

    assert leaks(site_dir, SECRETS) == [] and set(private_record(site_dir)) == {"e-7"}


def test_withdraw_without_a_catalogue_record_leaves_nothing(site_dir, media_dir):
    ref = open_site(site_dir).publish(make_post([jpeg(media_dir, PHOTO_NAME)]), None)
    (site_dir / "posts.json").unlink()

    withdrawn = open_site(site_dir).withdraw(ref)

    assert leaks(site_dir, SECRETS) == []
    assert open_site(site_dir).find("e-7") == withdrawn


def test_a_lost_private_folder_loses_only_the_withdrawn_record(site_dir):
    site = open_site(site_dir)
    site.publish(other_post(), None)
    ref = site.withdraw(site.publish(make_post(), None))
    private = private_dir_of(site_dir)
    for path in sorted(private.iterdir(), reverse=True):
        path.unlink()
    private.rmdir()

    fresh = open_site(site_dir)
    # Not live, so not found: acceptable. The live post is still found from posts.json.
    assert fresh.find("e-7") is None and fresh.find("e-8").live
    assert leaks(site_dir, SECRETS) == []
    # The slug is made from the title: published again, the post lands at its old address.
    again = fresh.publish(make_post(slug=post_slug(TITLE, "e-7")), None)
    assert again.live and again.url == ref.url


def test_the_private_folder_is_made_at_the_first_withdrawal_only(site_dir):
    site = open_site(site_dir)
    ref = site.publish(make_post(), None)
    site.find("e-7")
    assert site.check() == []
    assert not private_dir_of(site_dir).exists()

    site.withdraw(ref)

    assert sorted(p.name for p in private_dir_of(site_dir).iterdir()) == ["withdrawn.json"]


def test_an_old_catalogue_keeping_withdrawn_records_is_migrated_by_the_next_write(site_dir):
    site = open_site(site_dir)
    site.publish(make_post(), None)
    # As an older version wrote it: the withdrawn record in posts.json, with title and
    # agenda number (older still) or reduced (the slug alone still gives the title away).
    catalogue = site_dir / "posts.json"
    data = json.loads(catalogue.read_text("utf-8"))
    data["posts"][0].update(live=False, title=TITLE, agenda_number=AGENDA, source=SOURCE,
                            news_type="Kegiatan Pimpinan", thumbnail=f"{PHOTO_STEM}.jpg",
                            published_at=FRIDAY.isoformat(), timezone="Asia/Makassar")
    data["posts"].append({"entry_id": "e-6", "slug": "peresmian-dermaga-tengkayu-e6",
                          "post_id": "peresmian-dermaga-tengkayu-e6",
                          "url": "https://x.go.id/peresmian-dermaga-tengkayu-e6/",
                          "fingerprint": "fp-6", "live": False})
    catalogue.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    shutil.rmtree(site_dir / SLUG)                  # an older version took the page down
    assert leaks(site_dir, SECRETS)
    old = open_site(site_dir)
    assert not old.find("e-7").live and not old.find("e-6").live    # read before migrating

    open_site(site_dir).publish(make_post(entry_id="e-9", slug="lain-e9", title="Lain",
                                          caption="", body_html="<p>x</p>",
                                          agenda_number="0002/2026"), None)

    assert leaks(site_dir, SECRETS) == []
    assert b"tengkayu" not in catalogue.read_bytes().lower()
    assert set(public_record(site_dir)) == {"e-9"}
    assert private_record(site_dir) == {
        "e-7": {"entry_id": "e-7", "slug": SLUG, "post_id": SLUG, "url": old.find("e-7").url,
                "fingerprint": "fp-7", "live": False},
        "e-6": {"entry_id": "e-6", "slug": "peresmian-dermaga-tengkayu-e6",
                "post_id": "peresmian-dermaga-tengkayu-e6",
                "url": "https://x.go.id/peresmian-dermaga-tengkayu-e6/",
                "fingerprint": "fp-6", "live": False}}
    fresh = open_site(site_dir)
    assert fresh.find("e-7") == old.find("e-7") and not fresh.find("e-7").live
    assert not fresh.find("e-6").live


class StopAtWrite:
    """Makes the `n`th record-file write fail, as a run killed at that instant leaves it."""

    def __init__(self, monkeypatch, n: int):
        self.n, self.count, real = n, 0, static_site._RecordFile.write

        def write(record_file, records):
            self.count += 1
            if self.count == self.n:
                raise OSError(28, "No space left on device", str(record_file.path))
            real(record_file, records)

        monkeypatch.setattr(static_site._RecordFile, "write", write)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_withdrawal_stopped_between_its_writes_loses_no_record(site_dir, monkeypatch, n):
    site = open_site(site_dir)
    ref = site.publish(make_post(), None)
    stop = StopAtWrite(monkeypatch, n)

    try:
        site.withdraw(ref)
    except AdapterError:
        pass
    monkeypatch.undo()

    found = open_site(site_dir).find("e-7")
    assert found is not None and found.url == ref.url
    if stop.count >= n:                              # stopped: done again, as the cycle does
        assert not open_site(site_dir).withdraw(ref).live
    assert leaks(site_dir, SECRETS) == []
    assert not open_site(site_dir).find("e-7").live and set(private_record(site_dir)) == {"e-7"}


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_republication_stopped_between_its_writes_loses_no_record(site_dir, monkeypatch, n):
    site = open_site(site_dir)
    withdrawn = site.withdraw(site.publish(make_post(), None))
    stop = StopAtWrite(monkeypatch, n)

    try:
        site.publish(make_post(fingerprint="fp-8"), withdrawn)
    except AdapterError:
        pass
    monkeypatch.undo()

    found = open_site(site_dir).find("e-7")
    assert found is not None and found.url == withdrawn.url
    if stop.count >= n:
        open_site(site_dir).publish(make_post(fingerprint="fp-8"), withdrawn)
    assert open_site(site_dir).find("e-7").live
    assert private_record(site_dir) == {}


def test_a_record_in_both_files_is_live_and_leaves_the_private_one_at_the_next_write(site_dir):
    site = open_site(site_dir)
    site.withdraw(site.publish(make_post(), None))
    kept = (private_dir_of(site_dir) / "withdrawn.json").read_bytes()
    live = site.publish(make_post(), None)
    # As a run stopped after writing posts.json, before withdrawn.json lost the record.
    (private_dir_of(site_dir) / "withdrawn.json").write_bytes(kept)

    fresh = open_site(site_dir)
    assert fresh.find("e-7") == live

    fresh.publish(other_post(), None)

    assert private_record(site_dir) == {} and fresh.find("e-7") == live


def test_a_withdrawal_whose_folder_cannot_be_deleted_is_not_done(site_dir, media_dir,
                                                                monkeypatch):
    site = open_site(site_dir)
    ref = site.publish(make_post([jpeg(media_dir, PHOTO_NAME)]), None)
    # A file held open (Windows): the folder set aside stays.
    monkeypatch.setattr(static_site.shutil, "rmtree", lambda *args, **kwargs: None)

    with pytest.raises(AdapterError):
        site.withdraw(ref)

    # What remains carries no slug in its name, and the index no longer lists the post.
    assert [p for p in site_dir.iterdir() if SLUG_WORDS in p.name] == []
    assert str(escape(TITLE)) not in (site_dir / "index.html").read_text("utf-8")
    monkeypatch.undo()

    assert not open_site(site_dir).withdraw(ref).live      # the retry sweeps the leftover

    assert leaks(site_dir, SECRETS) == []


def test_check_reports_a_broken_private_record_and_a_private_folder_inside_the_site(site_dir):
    site = open_site(site_dir)
    site.withdraw(site.publish(make_post(), None))
    (private_dir_of(site_dir) / "withdrawn.json").write_text("{not json", "utf-8")

    problems = site.check()

    assert len(problems) == 1 and "withdrawn.json" in problems[0] and "backup" in problems[0]
    inside = StaticSite(site_dir, private_dir=site_dir / "state" / "site").check()
    assert len(inside) == 1 and "state_dir" in inside[0]


def test_a_cycle_withdrawing_a_post_keeps_its_record_in_the_state_folder(tmp_path):
    from datetime import timedelta

    from automation.core import schema as S
    from tests.support.workspace import NOW, Agenda, approved

    title = "Peresmian Dermaga Tengkayu Baru"
    agenda = Agenda(tmp_path / "kantor", [approved(title, **{S.CAPTION: CAPTION}),
                                          approved("Berita Lain Tetap Tayang",
                                                   **{S.CAPTION: "Suasana rapat"})])
    agenda.take_in()
    live = agenda.by_title(title)
    site = agenda.cfg.website.output_dir
    slug = live[S.WEBSITE_URL].rstrip("/").rsplit("/", 1)[-1]
    assert slug.startswith("peresmian-dermaga-tengkayu-baru-")

    agenda.edit(title, **{S.REJECTED: True})
    agenda.cycle(NOW + timedelta(minutes=5))

    row = agenda.by_title(title)
    assert row[S.STATUS] == "Ditarik" and row[S.WEBSITE_URL] == live[S.WEBSITE_URL]
    secrets = [title, CAPTION, row[S.AGENDA_NUMBER], slug.rsplit("-", 1)[0], "tengkayu",
               "dermaga", "peresmian"]
    found = [(str(path.relative_to(site)), secret) for path, data in served_files(site).items()
             for secret in secrets
             if secret.lower().encode() in data.lower()
             or secret.lower() in str(path.relative_to(site)).lower()]
    assert found == []
    state = agenda.cfg.state_dir / "site"
    record = {r["entry_id"]: r for r in
              json.loads((state / "withdrawn.json").read_text("utf-8"))["posts"]}
    assert record[row[S.ENTRY_ID]]["slug"] == slug and not record[row[S.ENTRY_ID]]["live"]

    agenda.cycle(NOW + timedelta(minutes=25))                  # nothing changes any more
    assert agenda.by_title(title)[S.STATUS] == "Ditarik"


# --- control characters ----------------------------------------------------------------------

def unprintable(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7f <= ord(c) <= 0x9f]


def test_control_characters_never_reach_a_served_file(tmp_path, media_dir):
    site_dir = tmp_path / "site"
    site = open_site(site_dir, "https://berita.kaltaraprov.go.id")
    dirty = f"Judul{CONTROLS}Baris\x85Dua\x9b\x0c\r\nTiga\ud800"
    post = make_post(
        [jpeg(media_dir, "foto.jpg")],
        title=dirty, caption=f"Keterangan{CONTROLS}foto", source=f"Sumber{CONTROLS}",
        news_type=f"Kegiatan{CONTROLS}Pimpinan", agenda_number=f"0917{CONTROLS}/2026",
        body_html=(f"<p>Satu{CONTROLS}dua\x0bTiga&#1;&#x1b;&#11;</p>"
                   f"<p title=\"a{CONTROLS}b\">Isi</p><a href=\"https://x.go.id/{CONTROLS}\">l</a>"),
    )

    site.publish(post, None)

    checked = 0
    for path, data in served_files(site_dir).items():
        if path.suffix.lower() in MEDIA_SUFFIXES:
            continue
        checked += 1
        assert not set(data) & BAD_BYTES, (path, sorted(set(data) & BAD_BYTES))
        text = data.decode("utf-8")                 # no lone surrogate made it through
        assert unprintable(text) == [], (path, unprintable(text))
        if path.suffix == ".json":                  # \u escapes decode to no control either
            for record in json.loads(text)["posts"]:
                for value in record.values():
                    assert not isinstance(value, str) or unprintable(value) == [], value
    assert checked == 3                             # index.html, posts.json, the post page

    page = (site_dir / SLUG / "index.html").read_text("utf-8")
    # A Word line break is a line break: a newline in plain text, <br> in the body.
    assert "<h1>Judul\nBarisDua\n\nTiga</h1>" in page
    assert "<p>Satu<br>dua<br>Tiga\n</p>" in page        # &#11; too, after the sanitiser
    assert '<p title="a\nb">Isi</p>' in page            # inside a tag: only a newline
    assert "<figcaption>Keterangan\nfoto</figcaption>" in page
    record = json.loads((site_dir / "posts.json").read_text("utf-8"))["posts"][0]
    assert record["title"] == "Judul\nBarisDua\n\nTiga" and record["agenda_number"] == "0917\n/2026"


def test_an_old_catalogue_with_control_characters_renders_a_clean_index(site_dir):
    site = open_site(site_dir)
    site.publish(make_post(), None)
    catalogue = site_dir / "posts.json"
    data = json.loads(catalogue.read_text("utf-8"))
    data["posts"][0].update(title=f"Lama{CONTROLS}", source=f"S{CONTROLS}")
    catalogue.write_text(json.dumps(data), "utf-8")

    site.publish(make_post(entry_id="e-9", slug="lain-e9", title="Lain"), None)

    index = (site_dir / "index.html").read_bytes()
    assert not set(index) & BAD_BYTES and b"Lama\n" in index


@pytest.mark.parametrize(("text", "expected"), [
    ("", ""),
    ("Biasa saja\tdengan tab\nbaris", "Biasa saja\tdengan tab\nbaris"),
    ("a\x00b\x01c\x08d\x0ee\x1ff\x7fg\x80h\x9fi", "abcdefghi"),
    ("baris\x0bbaru", "baris\nbaru"),
    ("halaman\x0cbaru", "halaman\nbaru"),
    ("windows\r\nmac\runix\n", "windows\nmac\nunix\n"),
    ("lone\ud800surrogate\ufffe\uffff", "lonesurrogate"),
    ("Ñunukan — “kutip” 🇮🇩 zero\u200bwidth", "Ñunukan — “kutip” 🇮🇩 zero\u200bwidth"),
])
def test_printable(text, expected):
    assert page_text(text) == expected


def test_printable_in_html_makes_word_breaks_br_but_not_carriage_returns():
    assert page_text("a\x0bb\r\nc", line_break="<br>") == "a<br>b\nc"
