"""The office's WordPress site as the publisher (`website.backend = "wordpress"`).

Talks to the REST API with an Application Password. A post is made the way the website
operator would make it: photos uploaded to the media library (the first one as featured
image with `Keterangan Foto` as caption, the others as a gallery), videos embedded, the text
as block-editor markup, the category from `[website.categories]`, the date in WITA. Every
text and the body go through `automation.html_safety` first, as for the static site.

Exactly once: each post carries a marker comment with its row's `ID Sistem`, each uploaded
file a slug made of that ID and the file's hash, so a post or a file is always looked up
before it is made, also after a request that timed out with its outcome unknown.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import re
import tempfile
from contextlib import nullcontext
from datetime import timezone
from pathlib import Path
from typing import Any, ContextManager
from urllib.parse import urlsplit

import lxml.html
import requests

from automation.html_safety import page_body, page_post
from automation.ports import AdapterError, MediaFile, Post, PostRef
from automation.publishers.photos import needs_work, published, write_photo

log = logging.getLogger(__name__)

MARKER = re.compile(r"<!-- buku-agenda (\{.*?\}) -->")
TIMEOUT = (10, 120)              # connect, read (seconds)
UPLOAD_TIMEOUT = (10, 900)       # a large video over a slow office line
ADMIN = "Administrator perlu memeriksanya."


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Unsure(Exception):
    """A request whose outcome is unknown (timeout, broken connection): look before retrying."""


class WordPress:
    """`Publisher` for a WordPress site (6.x) through its REST API."""

    def __init__(self, url: str, username: str, password: str | None, post_status: str = "publish",
                 categories: dict[str, str] | None = None, password_env: str = "WP_APP_PASSWORD"):
        self.url = url.rstrip("/")
        if not (self.url.startswith("https://") or is_loopback(self.url)):
            # The Application Password would travel in clear text.
            raise AdapterError(
                f"website.url {self.url} is not https: refusing to send the WordPress password "
                "over plain http (only loopback addresses may use http)",
                "Alamat website harus memakai https. " + ADMIN)
        if not password:
            raise AdapterError(
                f"the WordPress Application Password is missing: set the environment variable "
                f"{password_env} for the account that runs the program",
                "Kata sandi aplikasi WordPress belum dipasang di server. " + ADMIN)
        self.api = f"{self.url}/wp-json/wp/v2"
        self.post_status = post_status
        self.categories = categories or {}
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.headers["User-Agent"] = "buku-agenda-website"
        self._category_list: list[dict[str, Any]] | None = None   # looked up once per cycle

    # -- Publisher -----------------------------------------------------------------------------
    def batch(self) -> ContextManager[None]:
        return nullcontext()          # WordPress keeps its own listings

    def find(self, entry_id: str) -> PostRef | None:
        found = self._find(entry_id)
        return self._ref(found, entry_id) if found else None

    def publish(self, post: Post, existing: PostRef | None) -> PostRef:
        post = page_post(post)          # no control character reaches the post or its media
        current = self._get_post(existing.post_id) if existing else self._find(post.entry_id)
        categories = self._category_ids(post.news_type)
        previous = _marker(current)["media"] if current else []
        uploaded = [self._upload(post, media) for media in post.media]
        photos = [m for m in uploaded if m["media_type"] == "image"]
        fields = {
            "title": html.escape(post.title, quote=False),
            "content": self._content(post, uploaded),
            "status": self.post_status,
            "featured_media": photos[0]["id"] if photos else 0,
            "date_gmt": post.published_at.astimezone(timezone.utc).replace(tzinfo=None)
                        .isoformat(timespec="seconds"),
        }
        if categories:         # none mapped: WordPress puts it in its default category
            fields["categories"] = categories
        if current is None:
            current = self._create(post, fields)
        else:
            current = self._call("POST", f"/posts/{current['id']}", json=fields,
                                 params={"context": "edit"})
        current = self._repair(current, fields)
        kept = {m["id"] for m in uploaded}
        for media_id in previous:
            if media_id not in kept:       # replaced by an edit: no orphans in the library
                self._call("DELETE", f"/media/{media_id}", params={"force": "true"}, ok=(200, 404, 410))
        return self._ref(current, post.entry_id)

    def withdraw(self, ref: PostRef) -> PostRef:
        """Back to draft: off the public site, kept for the editors."""
        current = self._call("POST", f"/posts/{ref.post_id}", json={"status": "draft"},
                             params={"context": "edit"})
        return self._ref(current, ref.entry_id)

    def check(self) -> list[str]:
        problems = []
        try:
            me = self._call("GET", "/users/me", params={"context": "edit"})
        except AdapterError as err:
            return [f"WordPress at {self.url}: {err}. Check website.url, website.username and "
                    "the Application Password (Users > Profile > Application Passwords)."]
        caps = me.get("capabilities", {})
        for cap, why in (("publish_posts", "publish posts"), ("upload_files", "upload media"),
                         ("edit_published_posts", "update published posts"),
                         ("delete_posts", "delete replaced media")):
            if not caps.get(cap):
                problems.append(f"WordPress user '{me.get('slug')}' may not {why}: give it the "
                                "Editor role (or Author for its own posts)")
        for news_type, wanted in self.categories.items():
            try:
                self._category_ids(news_type)
            except AdapterError:
                problems.append(f"category '{wanted}' (for Jenis Berita '{news_type}') does not "
                                "exist in WordPress: create it, or fix [website.categories]")
        return problems

    # -- posts ---------------------------------------------------------------------------------
    def _find(self, entry_id: str) -> dict[str, Any] | None:
        posts = self._call("GET", "/posts", params={
            "search": entry_id, "status": "any", "context": "edit", "per_page": 20})
        mine = [p for p in posts if _marker(p).get("id") == entry_id]
        return min(mine, key=lambda p: p["id"]) if mine else None

    def _get_post(self, post_id: str) -> dict[str, Any] | None:
        """The post as it is now; None if someone deleted it (then it is made anew)."""
        return self._call("GET", f"/posts/{post_id}", params={"context": "edit"}, missing_ok=True)

    def _create(self, post: Post, fields: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._call("POST", "/posts", json={**fields, "slug": post.slug},
                              params={"context": "edit"}, ok=(201,), unsure=True)
        except _Unsure as err:
            # It may have been made before the answer was lost: look before anything else.
            found = self._find(post.entry_id)
            if found is None:
                raise AdapterError(f"creating post {post.slug} failed: {err}",
                                   "Website tidak menjawab saat berita dibuat.") from None
            log.info("post for %s was created although the answer was lost", post.entry_id)
            return found

    def _repair(self, current: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """WordPress changes some things silently: drops unknown categories, zeroes an unknown
        featured image. Set them again once, and say so if they still do not stick."""
        wrong = {k: fields[k] for k in ("categories", "featured_media")
                 if k in fields and _differs(current, fields, k)}
        if not wrong:
            return current
        log.warning("post %s came back with %s changed; setting them again", current["id"], list(wrong))
        current = self._call("POST", f"/posts/{current['id']}", json=wrong, params={"context": "edit"})
        still = [k for k in wrong if _differs(current, wrong, k)]
        if still:
            raise AdapterError(f"post {current['id']}: WordPress keeps changing {still}",
                               "Website tidak menyimpan kategori atau foto utama berita. " + ADMIN)
        return current

    def _ref(self, post: dict[str, Any], entry_id: str) -> PostRef:
        live = post["status"] != "draft" or self.post_status == "draft"
        return PostRef(entry_id=entry_id, slug=post["slug"], url=post["link"],
                       post_id=str(post["id"]), fingerprint=_marker(post).get("fp", ""), live=live)

    def _category_ids(self, news_type: str) -> list[int]:
        wanted = self.categories.get(news_type)
        if not wanted:
            return []
        if self._category_list is None:
            self._category_list, page = [], 1
            while True:
                batch = self._call("GET", "/categories", params={
                    "per_page": 100, "page": page, "_fields": "id,name,slug"})
                self._category_list += batch
                if len(batch) < 100:
                    break
                page += 1
        for category in self._category_list:
            if wanted.casefold() in (category["slug"].casefold(),
                                     html.unescape(category["name"]).casefold()):
                return [category["id"]]
        raise AdapterError(
            f"category '{wanted}' for Jenis Berita '{news_type}' does not exist in WordPress",
            f"Kategori website '{wanted}' untuk Jenis Berita '{news_type}' tidak ada di "
            "WordPress. " + ADMIN)

    # -- media ---------------------------------------------------------------------------------
    def _upload(self, post: Post, media: MediaFile) -> dict[str, Any]:
        """The file in the media library: found by its slug, or uploaded (streamed)."""
        slug = f"ba-{post.entry_id.lower()}-{media.sha256[:16]}"
        found = self._call("GET", "/media", params={"slug": slug, "context": "edit"})
        if found:
            return found[0]
        text = post.caption if media.kind == "photo" else ""
        params = {"slug": slug, "title": html.escape(post.title, quote=False),
                  "alt_text": text or post.title, "caption": html.escape(text, quote=False)}
        shown = published(media)
        with tempfile.TemporaryDirectory() as folder:
            source = media.path
            if media.kind == "photo" and needs_work(source, media.mime):
                source = Path(folder) / shown.name
                write_photo(media.path, media.mime, source)
            headers = {"Content-Type": shown.mime,
                       "Content-Disposition": f'attachment; filename="{_ascii_name(shown.name)}"'}
            with open(source, "rb") as body:     # streamed from disk, never read whole
                try:
                    return self._call("POST", "/media", params=params, data=body, headers=headers,
                                      ok=(201,), timeout=UPLOAD_TIMEOUT, too_large=media)
                except _Unsure:
                    found = self._call("GET", "/media", params={"slug": slug, "context": "edit"})
                    if found:
                        return found[0]
                    raise AdapterError(f"uploading {media.name} did not finish",
                                       f"Unggahan '{media.name}' ke website terputus.") from None

    def _content(self, post: Post, uploaded: list[dict[str, Any]]) -> str:
        photos = [m for m in uploaded if m["media_type"] == "image"]
        videos = [m for m in uploaded if m["media_type"] != "image"]
        parts = []
        if photos:
            parts.append(_image_block(photos[0], post.caption or ""))
        parts.append(to_blocks(post.body_html))
        if len(photos) > 1:
            inner = "".join(_image_block(p, "") for p in photos[1:])
            parts.append('<!-- wp:gallery {"linkTo":"none"} -->\n<figure class="wp-block-gallery '
                         f'has-nested-images columns-default is-cropped">{inner}</figure>\n'
                         "<!-- /wp:gallery -->")
        for video in videos:
            url = html.escape(video["source_url"])
            parts.append(f'<!-- wp:video {{"id":{video["id"]}}} -->\n<figure class="wp-block-video">'
                         f'<video controls preload="metadata" src="{url}"></video></figure>\n'
                         "<!-- /wp:video -->")
        marker = {"id": post.entry_id, "fp": post.fingerprint, "media": [m["id"] for m in uploaded]}
        parts.append(f"<!-- buku-agenda {json.dumps(marker, separators=(',', ':'))} -->")
        return "\n\n".join(parts)

    # -- HTTP ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), unsure: bool = False,
              missing_ok: bool = False, timeout: tuple[int, int] = TIMEOUT,
              too_large: MediaFile | None = None, **kwargs: Any) -> Any:
        try:
            reply = self.session.request(method, self.api + path, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as err:
            if unsure or too_large is not None:
                raise _Unsure(str(err)) from None
            raise AdapterError(f"WordPress {method} {path}: {type(err).__name__}",
                               "Website tidak dapat dihubungi. Program mencoba lagi; jika "
                               "berlanjut, " + ADMIN.lower()) from None
        if missing_ok and reply.status_code in (404, 410):
            return None
        if reply.status_code in ok:
            return reply.json() if reply.content else None
        code = _error_code(reply)
        if reply.status_code == 401 or code in ("rest_cannot_create", "rest_cannot_edit",
                                                "rest_cannot_publish", "rest_forbidden"):
            raise AdapterError(f"WordPress refused {method} {path}: {reply.status_code} {code}",
                               "Website menolak akses program (kata sandi aplikasi salah atau "
                               "hak akses pengguna kurang). " + ADMIN)
        if too_large is not None and (reply.status_code in (413, 500) or code in (
                "rest_upload_file_too_big", "rest_upload_sideload_error", "rest_upload_unknown_error")):
            megabytes = too_large.size / 1024 / 1024
            raise AdapterError(
                f"WordPress refused upload of {too_large.name} ({megabytes:.0f} MB): "
                f"{reply.status_code} {code}",
                f"Berkas '{too_large.name}' ({megabytes:.0f} MB) ditolak website, kemungkinan "
                "melebihi batas unggah website. Perkecil berkasnya, atau minta administrator "
                "menaikkan batas unggah.")
        raise AdapterError(f"WordPress {method} {path}: {reply.status_code} {code}",
                           f"Website menjawab dengan kesalahan {reply.status_code}.")


def _differs(current: dict[str, Any], wanted: dict[str, Any], key: str) -> bool:
    if key == "categories":
        return sorted(current.get(key) or []) != sorted(wanted[key])
    return current.get(key) != wanted[key]


def _error_code(reply: requests.Response) -> str:
    try:
        return str(reply.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _marker(post: dict[str, Any] | None) -> dict[str, Any]:
    raw = ((post or {}).get("content") or {}).get("raw", "")
    found = MARKER.search(raw)
    if not found:
        return {}
    try:
        return json.loads(found.group(1))
    except ValueError:
        return {}


def _ascii_name(name: str) -> str:
    """A file name safe inside a quoted header value."""
    return re.sub(r'[^A-Za-z0-9._-]+', "-", name).strip("-") or "berkas"


def _image_block(media: dict[str, Any], caption: str) -> str:
    url = html.escape(media["source_url"])
    alt = html.escape(media.get("alt_text") or "")
    figcaption = (f'<figcaption class="wp-element-caption">{html.escape(caption)}</figcaption>'
                  if caption else "")
    return (f'<!-- wp:image {{"id":{media["id"]},"sizeSlug":"large"}} -->\n'
            f'<figure class="wp-block-image size-large"><img src="{url}" alt="{alt}" '
            f'class="wp-image-{media["id"]}"/>{figcaption}</figure>\n<!-- /wp:image -->')


_BLOCKS = {"p": "paragraph", "ul": "list", "ol": "list", "blockquote": "quote", "table": "table"}


def to_blocks(body_html: str) -> str:
    """Sanitised body HTML (`page_body`) as block-editor markup: one block per top-level
    element."""
    clean = page_body(body_html)
    if not clean.strip():
        return ""
    blocks = []
    for node in lxml.html.fragments_fromstring(clean):
        if isinstance(node, str):
            if node.strip():
                blocks.append(f"<!-- wp:paragraph -->\n<p>{html.escape(node.strip())}</p>\n"
                              "<!-- /wp:paragraph -->")
            continue
        markup = lxml.html.tostring(node, encoding="unicode", with_tail=False)
        tail = node.tail
        tag = node.tag
        if tag in ("h2", "h3", "h4"):
            level = int(tag[1])
            node.set("class", "wp-block-heading")
            markup = lxml.html.tostring(node, encoding="unicode", with_tail=False)
            blocks.append(f'<!-- wp:heading {{"level":{level}}} -->\n{markup}\n<!-- /wp:heading -->')
        elif tag == "table":
            blocks.append(f'<!-- wp:table -->\n<figure class="wp-block-table">{markup}</figure>\n'
                          "<!-- /wp:table -->")
        elif tag in _BLOCKS:
            name = _BLOCKS[tag]
            attrs = ' {"ordered":true}' if tag == "ol" else ""
            blocks.append(f"<!-- wp:{name}{attrs} -->\n{markup}\n<!-- /wp:{name} -->")
        else:   # inline content at the top level: a paragraph of its own
            blocks.append(f"<!-- wp:paragraph -->\n<p>{markup}</p>\n<!-- /wp:paragraph -->")
        if tail and tail.strip():
            blocks.append(f"<!-- wp:paragraph -->\n<p>{html.escape(tail.strip())}</p>\n"
                          "<!-- /wp:paragraph -->")
    return "\n\n".join(blocks)
