"""The test WordPress itself (tests/support/wordpress_server.py) and the network guard."""

from __future__ import annotations

import io
import os
import socket
import time

import pytest
import requests
from PIL import Image

from tests.support.network_guard import NetworkRefused
from tests.support.wordpress_server import WordPressServer


def jpeg(width: int = 40, height: int = 30, noise: bool = False) -> bytes:
    """A JPEG; with noise it barely compresses (about 1.2 bytes a pixel)."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), "red")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def create_post(wp: WordPressServer, auth: tuple[str, str], **fields) -> requests.Response:
    fields.setdefault("title", "Gubernur Resmikan Jembatan Sungai Kayan")
    return requests.post(wp.rest_url("wp/v2/posts"), auth=auth, json=fields, timeout=30)


def upload_jpeg(wp: WordPressServer, data: bytes, filename: str = "foto.jpg") -> requests.Response:
    """The raw-body upload: the file is the whole body, its name in Content-Disposition."""
    return requests.post(
        wp.rest_url("wp/v2/media"),
        auth=wp.auth,
        data=data,
        headers={
            "Content-Type": "image/jpeg",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
        timeout=60,
    )


# --- the WordPress server ---------------------------------------------------------------------


def test_rest_api_answers_on_an_empty_site(wordpress):
    assert wordpress.base_url.startswith("http://127.0.0.1:")
    for kind in ("posts", "pages", "media"):
        response = requests.get(wordpress.rest_url(f"wp/v2/{kind}"), auth=wordpress.auth,
                                params={"status": "any"} if kind != "media" else {}, timeout=30)
        assert response.status_code == 200
        assert response.json() == [], kind


def test_site_timezone_is_the_offices(wordpress):
    response = requests.get(wordpress.rest_url("wp/v2/settings"), auth=wordpress.auth, timeout=30)
    assert response.status_code == 200
    assert response.json()["timezone"] == "Asia/Makassar"


def test_administrator_publishes(wordpress):
    response = create_post(wordpress, wordpress.auth, status="publish", slug="jembatan")
    assert response.status_code == 201
    assert response.json()["status"] == "publish"
    assert response.json()["link"] == f"{wordpress.base_url}/jembatan/"


def test_author_publishes_own_post(wordpress):
    auth = (wordpress.author_username, wordpress.author_password)
    response = create_post(wordpress, auth, status="publish")
    assert response.status_code == 201
    assert response.json()["status"] == "publish"


def test_contributor_writes_drafts_but_cannot_publish(wordpress):
    auth = (wordpress.contributor_username, wordpress.contributor_password)
    refused = create_post(wordpress, auth, status="publish")
    assert refused.status_code == 403
    assert refused.json()["code"] == "rest_cannot_publish"
    draft = create_post(wordpress, auth, status="draft")
    assert draft.status_code == 201


@pytest.mark.parametrize(
    "who", ["wrong password", "unknown user", "another user's password"]
)
def test_bad_credentials_get_401(wordpress, who):
    auth = {
        "wrong password": (wordpress.username, "abcd efgh ijkl mnop qrst uvwx"),
        "unknown user": ("tidak-ada", wordpress.app_password),
        "another user's password": (wordpress.username, wordpress.author_password),
    }[who]
    assert create_post(wordpress, auth, status="publish").status_code == 401


def test_public_page_shows_the_post(wordpress):
    title = "Gubernur Resmikan Jembatan Sungai Kayan II"
    created = create_post(wordpress, wordpress.auth, status="publish", title=title,
                          slug="jembatan-kayan", content="<p>Isi siaran pers.</p>")
    assert created.status_code == 201
    page = requests.get(f"{wordpress.base_url}/jembatan-kayan/", timeout=30)
    assert page.status_code == 200
    assert title in page.text  # rendered by the theme, not an empty page
    assert "Isi siaran pers." in page.text


def test_raw_body_jpeg_upload(wordpress):
    data = jpeg()
    response = upload_jpeg(wordpress, data)
    assert response.status_code == 201, response.text
    media = response.json()
    assert media["mime_type"] == "image/jpeg"
    assert media["source_url"].startswith(f"{wordpress.base_url}/wp-content/uploads/")
    served = requests.get(media["source_url"], timeout=30)
    assert served.status_code == 200
    assert served.content == data


def test_raw_body_video_upload(wordpress):
    # WordPress reads a video's metadata with getID3, which Debian links in from elsewhere.
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048
    response = requests.post(
        wordpress.rest_url("wp/v2/media"),
        auth=wordpress.auth,
        data=mp4,
        headers={"Content-Type": "video/mp4",
                 "Content-Disposition": 'attachment; filename="liputan.mp4"'},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    assert response.json()["mime_type"] == "video/mp4"


def test_create_category(wordpress):
    category = wordpress.create_category("Pemerintahan")
    response = requests.get(wordpress.rest_url(f"wp/v2/categories/{category}"), timeout=30)
    assert response.json()["name"] == "Pemerintahan"
    with pytest.raises(RuntimeError, match="term_exists"):
        wordpress.create_category("Pemerintahan")


def test_reset_returns_to_the_installed_site(wordpress):
    post = create_post(wordpress, wordpress.auth, status="publish").json()
    media = upload_jpeg(wordpress, jpeg()).json()
    category = wordpress.create_category("Pemerintahan")
    assert any(wordpress.uploads_dir.iterdir())

    wordpress.reset()

    for route in (f"wp/v2/posts/{post['id']}", f"wp/v2/media/{media['id']}",
                  f"wp/v2/categories/{category}"):
        assert requests.get(wordpress.rest_url(route), auth=wordpress.auth,
                            timeout=30).status_code == 404, route
    assert not wordpress.uploads_dir.exists()
    # Same credentials afterwards.
    assert create_post(wordpress, wordpress.auth, status="publish").status_code == 201


def test_second_server_runs_beside_with_its_own_upload_limit(wordpress):
    # Noise does not compress: about 2.3 MB, over a 1 MB limit and far under the default one.
    big = jpeg(1600, 1200, noise=True)
    with WordPressServer(upload_limit_mb=1) as small:
        assert small.base_url != wordpress.base_url
        assert small.directory != wordpress.directory
        refused = upload_jpeg(small, big)
        assert refused.status_code == 413  # as a front web server's body limit answers
        assert upload_jpeg(small, jpeg()).status_code == 201
        assert upload_jpeg(wordpress, big).status_code == 201
        small_directory = small.directory
    assert not small_directory.exists()
    assert requests.get(wordpress.rest_url("wp/v2/posts"), timeout=30).status_code == 200


# --- the network guard --------------------------------------------------------------------------


def _socket_connect(family: int, address: tuple) -> None:
    with socket.socket(family) as sock:
        sock.connect(address)


def _socket_connect_ex(family: int, address: tuple) -> None:
    with socket.socket(family) as sock:
        sock.connect_ex(address)


@pytest.mark.parametrize(
    "connect",
    [
        lambda: socket.create_connection(("10.255.255.1", 80), timeout=5),
        lambda: _socket_connect(socket.AF_INET, ("10.255.255.1", 80)),
        lambda: _socket_connect_ex(socket.AF_INET, ("10.255.255.1", 80)),
        lambda: _socket_connect(socket.AF_INET6, ("2001:db8::1", 80)),
        lambda: socket.create_connection(("example.com", 80), timeout=5),
        lambda: requests.get("http://10.255.255.1/", timeout=5),
    ],
    ids=["create_connection", "connect", "connect_ex", "ipv6", "host name", "requests"],
)
def test_guard_refuses_other_addresses_before_connecting(connect):
    # NetworkRefused is raised only by the guard, before the real connect or DNS lookup.
    started = time.monotonic()
    with pytest.raises(NetworkRefused, match="must not touch the network"):
        connect()
    assert time.monotonic() - started < 0.5


def test_guard_lets_loopback_and_unix_sockets_through(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=5).close()
        socket.create_connection(("localhost", server.getsockname()[1]), timeout=5).close()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s"))
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(tmp_path / "s"))
