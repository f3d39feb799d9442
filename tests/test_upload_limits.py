"""Limits before uploads (`website.max_upload_mb`), against a real WordPress on loopback.

The small site is `WordPressServer(upload_limit_mb=1)`: a front web server answering 413 (an
HTML page) to a body over 1 MB, and PHP's upload_max_filesize = post_max_size = 1M. Every
request the program sends is counted where `requests` hands it to its transport; the
publisher itself is the real one.
"""

from __future__ import annotations

import os
import struct
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from automation import config as config_module
from automation.core import schema as S
from automation.media import ffmpeg
from automation.media.files import megabytes
from automation.publishers.photos import write_photo
from automation.workspace import open_publisher
from tests.support.workspace import NOW, Agenda, approved
from tests.support.wordpress_server import DEBIAN_PACKAGES, WordPressServer, missing_requirements
from tests.test_wordpress import Rest, wp_config

MEDIA_UPLOAD = ("POST", "/wp-json/wp/v2/media")

# What the Gutenberg plugin adds (lib/class-wp-rest-block-editor-settings-controller.php):
# the block editor's settings over REST, which WordPress itself (6.1 here) does not have. The
# settings, `maxUploadFileSize` among them, are WordPress's own `get_block_editor_settings()`.
EDITOR_SETTINGS_PLUGIN = """<?php
add_action('rest_api_init', function () {
    register_rest_route('wp-block-editor/v1', '/settings', array(
        'methods'             => 'GET',
        'callback'            => function () {
            $context = new WP_Block_Editor_Context(array('name' => 'core/edit-post'));
            return rest_ensure_response(get_block_editor_settings(array(), $context));
        },
        'permission_callback' => function () { return current_user_can('edit_posts'); },
    ));
});
"""


# -- the sites ------------------------------------------------------------------------------------

def _require_wordpress() -> None:
    missing = missing_requirements()
    if missing:
        reason = f"WordPress tests need Debian packages: {DEBIAN_PACKAGES}; missing: {missing}"
        if os.environ.get("REQUIRE_WORDPRESS") == "1":
            pytest.fail(f"REQUIRE_WORDPRESS=1: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def small_server():
    _require_wordpress()
    with WordPressServer(upload_limit_mb=1) as server:
        yield server


@pytest.fixture
def small(small_server, monkeypatch):
    """The site accepting at most 1 MB, as installed."""
    small_server.reset()
    monkeypatch.setenv("WP_TEST_PASSWORD", small_server.app_password)
    return small_server


@pytest.fixture
def roomy(wordpress, monkeypatch):
    """The session's site, accepting 64 MB."""
    monkeypatch.setenv("WP_TEST_PASSWORD", wordpress.app_password)
    return wordpress


class Sent:
    """Every request the program (its User-Agent) sends, as (method, path); uploads also with
    the type of what they carry."""

    def __init__(self, monkeypatch):
        self.requests: list[tuple[str, str]] = []
        self.uploaded: list[str] = []           # Content-Type of each POST /media
        self.files: list[str] = []              # and its Content-Disposition
        send = requests.adapters.HTTPAdapter.send

        def counting(adapter, request, *args, **kwargs):
            if request.headers.get("User-Agent") == "buku-agenda-website":
                seen = (request.method, urlsplit(request.url).path)
                self.requests.append(seen)
                if seen == MEDIA_UPLOAD:
                    self.uploaded.append(request.headers.get("Content-Type", ""))
                    self.files.append(request.headers.get("Content-Disposition", ""))
            return send(adapter, request, *args, **kwargs)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting)

    @property
    def uploads(self) -> int:
        return len(self.uploaded)

    @property
    def video_uploads(self) -> int:
        return sum(kind.startswith("video/") for kind in self.uploaded)


# -- real files -----------------------------------------------------------------------------------

def video(path: Path, size: int | None = None) -> Path:
    """A real H.264/AAC MP4 (one second of a test pattern with a tone), made `size` bytes long
    by a trailing `free` box, which players and ffmpeg skip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(path)],
                   check=True, capture_output=True)
    if size is not None:
        padding = size - path.stat().st_size
        assert padding > 8
        with path.open("ab") as out:
            out.write(struct.pack(">I", padding) + b"free" + bytes(padding - 8))
    return path


def noise_photo(path: Path, size: tuple[int, int], quality: int = 90) -> Path:
    """A real JPEG of random noise (which compresses badly: large with few pixels), without
    metadata: published byte for byte when at most 2560 px on its longer side."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, "JPEG",
                                                                        quality=quality)
    return path


def failures(agenda: Agenda, entry_id: str) -> list[dict]:
    return [h for h in agenda.history()
            if h["Peristiwa"] == "Gagal Tayang" and h[S.ENTRY_ID] == entry_id]


# -- a site refusing a file: the note, once, and no retry storm -------------------------------

def test_a_video_the_site_refuses_gets_the_note_once_and_is_not_sent_again(small, tmp_path,
                                                                           monkeypatch):
    title = "Rapat Koordinasi Penanganan Banjir"
    agenda = Agenda(tmp_path / "office", [approved(title, **{
        S.MEDIA: "foto/a.jpg video/liputan.mp4"})],
        wp_config(small.base_url, small.username, categories=(), max_upload_mb=64))
    big = video(agenda.folder / "media" / "video" / "liputan.mp4", size=1536 * 1024)
    sent = Sent(monkeypatch)

    agenda.cycle()
    row = agenda.by_title(title)
    note = row[S.SYSTEM_NOTE]
    assert row[S.STATUS] == "Gagal Tayang", note
    assert "liputan.mp4' (1,5 MB) ditolak website karena melebihi batas unggah website" in note
    assert ("Perpendek videonya, atau unggah ke YouTube lalu tempel tautannya di Tautan Media."
            in note)
    assert "website.max_upload_mb (kini 64 MB)" in note
    assert "mencoba lagi" not in note and "tidak mengirimnya lagi" in note
    assert sent.video_uploads == 1                # sent once, refused (413)
    assert Rest(small).posts() == []
    assert len(failures(agenda, row[S.ENTRY_ID])) == 1

    # Cycles go on (full reads past 10 minutes, and the row looked at again when a person
    # edits it): nothing more reaches the website, the event is not recorded again.
    before = len(sent.requests)
    for minutes in (1, 2, 12, 25):
        agenda.cycle(NOW + timedelta(minutes=minutes))
    agenda.edit(title, **{S.LEADER_NOTE: "Mohon segera ditayangkan."})
    for minutes in (26, 40):
        agenda.cycle(NOW + timedelta(minutes=minutes))
    assert sent.requests[before:] == []
    row = agenda.by_title(title)
    assert row[S.STATUS] == "Gagal Tayang" and row[S.SYSTEM_NOTE] == note
    assert len(failures(agenda, row[S.ENTRY_ID])) == 1

    # Staff replace the video with a shorter one: a content change, approved again, published.
    video(big, size=None)
    assert big.stat().st_size < 1024 * 1024
    agenda.cycle(NOW + timedelta(minutes=55))
    row = agenda.by_title(title)
    assert row[S.STATUS] == "Menunggu Paraf Kadis", row[S.SYSTEM_NOTE]
    assert row[S.PARAF_KADIS] is False and row[S.PARAF_KABID] is False
    agenda.edit(title, **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(NOW + timedelta(minutes=56))
    row = agenda.by_title(title)
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]
    assert row[S.SYSTEM_NOTE] in ("", None)
    assert sent.video_uploads == 2
    assert len([f for f in sent.files if 'a.jpg"' in f]) == 1    # found again, not re-sent
    [post] = Rest(small).posts()
    assert post["link"] == row[S.WEBSITE_URL] and "<!-- wp:video" in post["content"]["raw"]
    assert len(failures(agenda, row[S.ENTRY_ID])) == 1


def test_a_changed_limit_allows_one_new_attempt(small, tmp_path, monkeypatch):
    title = "Pelantikan Pejabat"
    agenda = Agenda(tmp_path / "office", [approved(title, **{S.MEDIA: "video/pelantikan.mp4"})],
                    wp_config(small.base_url, small.username, categories=(), max_upload_mb=64))
    video(agenda.folder / "media" / "video" / "pelantikan.mp4", size=1536 * 1024)
    sent = Sent(monkeypatch)
    agenda.cycle()
    agenda.cycle(NOW + timedelta(minutes=1))
    assert agenda.by_title(title)[S.STATUS] == "Gagal Tayang" and sent.video_uploads == 1
    # The administrator sets the site's real limit (and restarts the program): at the next
    # full read the video, now over the limit, is converted to fit and sent again, once.
    (agenda.folder / "config.toml").write_text(
        wp_config(small.base_url, small.username, categories=(), max_upload_mb=1))
    agenda.cfg = config_module.load(agenda.folder / "config.toml")
    deadline, at = time.monotonic() + 60, NOW + timedelta(minutes=12)
    while agenda.by_title(title)[S.STATUS] != "Tayang" and time.monotonic() < deadline:
        agenda.cycle(at)
        at += timedelta(seconds=30)
        time.sleep(0.1)
    row = agenda.by_title(title)
    assert row[S.STATUS] == "Tayang", row[S.SYSTEM_NOTE]
    assert sent.video_uploads == 2
    [post] = Rest(small).posts()
    [uploaded] = [m for m in Rest(small).media() if m["media_type"] == "file"
                  or m["mime_type"].startswith("video/")]
    assert uploaded["media_details"]["filesize"] <= 1024 * 1024
    assert len(failures(agenda, row[S.ENTRY_ID])) == 1


# -- the check before sending -------------------------------------------------------------------

def test_a_file_over_max_upload_mb_is_refused_without_any_upload(roomy, tmp_path, monkeypatch):
    title = "Kunjungan Kerja Gubernur"
    agenda = Agenda(tmp_path / "office",
                    [approved(title, **{S.MEDIA: "foto/a.jpg foto/besar.jpg"})],
                    wp_config(roomy.base_url, roomy.username, categories=(), max_upload_mb=1))
    besar = noise_photo(agenda.folder / "media" / "foto" / "besar.jpg", (1600, 1150))
    assert 1024 * 1024 < besar.stat().st_size < 2560 * 1024
    sent = Sent(monkeypatch)
    agenda.cycle()
    row = agenda.by_title(title)
    note = row[S.SYSTEM_NOTE]
    assert row[S.STATUS] == "Gagal Tayang", note
    assert (f"besar.jpg' ({megabytes(besar.stat().st_size)} MB) melebihi batas unggah website "
            "1 MB, sehingga tidak diunggah. Perkecil fotonya.") in note
    assert "administrator dapat mengatur website.max_upload_mb" in note
    assert sent.uploads == 0                      # not even a.jpg, which fits, was sent
    assert not [r for r in sent.requests if r[0] != "GET"]
    agenda.cycle(NOW + timedelta(minutes=1))
    agenda.cycle(NOW + timedelta(minutes=12))
    assert sent.uploads == 0
    assert Rest(roomy).media() == []


def test_a_photo_is_measured_as_it_is_sent(roomy, tmp_path, monkeypatch):
    """A photo over 2560 px is scaled before upload: its size then is what counts."""
    agenda = Agenda(tmp_path / "office", [approved("A", **{S.MEDIA: "foto/lebar.jpg"}),
                                          approved("B", **{S.MEDIA: "foto/lebar2.jpg"})],
                    wp_config(roomy.base_url, roomy.username, categories=(), max_upload_mb=2))
    wide = noise_photo(agenda.folder / "media" / "foto" / "lebar.jpg", (2600, 1000), quality=97)
    wide2 = noise_photo(agenda.folder / "media" / "foto" / "lebar2.jpg", (3400, 1500), quality=97)
    assert wide.stat().st_size > 2 * 1024 * 1024 and wide2.stat().st_size > 2 * 1024 * 1024
    as_sent = tmp_path / "as-sent.jpg"          # what the photo pipeline makes of it
    write_photo(wide2, "image/jpeg", as_sent)
    assert 2 * 1024 * 1024 < as_sent.stat().st_size < wide2.stat().st_size
    sent = Sent(monkeypatch)
    agenda.cycle()
    assert agenda.by_title("A")[S.STATUS] == "Tayang", agenda.by_title("A")[S.SYSTEM_NOTE]
    row = agenda.by_title("B")
    assert row[S.STATUS] == "Gagal Tayang"
    # The note gives the size as it would be sent (scaled to 2560 px), not the original's.
    assert (f"lebar2.jpg' ({megabytes(as_sent.stat().st_size)} MB) melebihi batas unggah "
            "website 2 MB") in row[S.SYSTEM_NOTE]
    assert "Perkecil fotonya" in row[S.SYSTEM_NOTE]
    assert sent.uploads == 1
    [uploaded] = Rest(roomy).media()
    assert uploaded["media_details"]["width"] == 2560


# -- check: a limit above what the site accepts -------------------------------------------------

def _check(server, tmp_path, max_upload_mb):
    folder = tmp_path / f"office-{max_upload_mb}"
    agenda = Agenda(folder, [], wp_config(server.base_url, server.username, categories=(),
                                          max_upload_mb=max_upload_mb))
    publisher = open_publisher(agenda.cfg)
    assert publisher.max_upload_mb == max_upload_mb
    return publisher.check()


def test_check_warns_when_the_limit_is_above_what_the_site_says_it_accepts(small, tmp_path):
    plugin = small.wp_root / "wp-content" / "mu-plugins" / "editor-settings.php"
    plugin.parent.mkdir(exist_ok=True)
    plugin.write_text(EDITOR_SETTINGS_PLUGIN)
    try:
        answer = requests.get(small.rest_url("wp-block-editor/v1/settings"), auth=small.auth,
                              timeout=30).json()
        assert answer["maxUploadFileSize"] == 1024 * 1024      # PHP's 1M, as WordPress says
        [problem] = _check(small, tmp_path, 64)
        assert "accepts uploads of at most 1 MB" in problem
        assert "website.max_upload_mb = 64" in problem
        assert ("Set website.max_upload_mb to 1 or raise upload_max_filesize/post_max_size "
                "(and the web server's body limit") in problem
        assert _check(small, tmp_path, 1) == []
    finally:
        plugin.unlink()


def test_check_says_nothing_of_the_limit_where_the_site_cannot_tell(small, tmp_path):
    # WordPress itself has no REST route giving its upload limit; the web server's own body
    # limit is never visible (docs/wordpress.md).
    assert requests.get(small.rest_url("wp-block-editor/v1/settings"), auth=small.auth,
                        timeout=30).status_code == 404
    assert _check(small, tmp_path, 64) == []


# -- what counts as "too large" in WordPress's answers ------------------------------------------

def _answer(status: int, body: bytes, content_type: str = "application/json"):
    reply = requests.Response()
    reply.status_code, reply._content = status, body
    reply.headers["Content-Type"] = content_type
    return reply


@pytest.mark.parametrize("status, body, too_big", [
    (413, b"<html><body><h1>413 Request Entity Too Large</h1></body></html>", True),
    (413, b"", True),
    (400, b'{"code":"rest_upload_file_too_big","message":"This file is too big. Files must be '
          b'less than 1500 KB in size."}', True),
    (500, b'{"code":"rest_upload_unknown_error","message":"The uploaded file exceeds the '
          b'upload_max_filesize directive in php.ini."}', True),
    (500, b'{"code":"rest_upload_sideload_error","message":"x.mp4 exceeds the maximum upload '
          b'size for this site."}', True),
    (500, b'{"code":"rest_upload_sideload_error","message":"Sorry, you are not allowed to '
          b'upload this file type."}', False),
    (500, b'{"code":"internal_server_error","message":"There has been a critical error."}', False),
    (500, b"<html>Internal Server Error</html>", False),
    (502, b"<html>Bad Gateway</html>", False),
])
def test_which_answers_mean_too_large(status, body, too_big):
    from automation.publishers.wordpress import _error_code, _too_big

    reply = _answer(status, body)
    assert _too_big(reply, _error_code(reply)) is too_big
