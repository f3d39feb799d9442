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

import hashlib
import html
import ipaddress
import json
import logging
import re
import tempfile
from contextlib import nullcontext
from dataclasses import replace
from datetime import timezone
from pathlib import Path
from typing import Any, ContextManager
from urllib.parse import urlsplit

import lxml.html
import requests

from automation.core import youtube
from automation.html_safety import page_body, page_post
from automation.media.files import MIB, megabytes
from automation.ports import AdapterError, MediaFile, Post, PostRef, UploadRefused
from automation.publishers.photos import needs_work, published, write_photo

log = logging.getLogger(__name__)

MARKER = re.compile(r"<!-- buku-agenda (\{.*?\}) -->")
TIMEOUT = (10, 120)              # connect, read (seconds)
UPLOAD_TIMEOUT = (10, 900)       # a large video over a slow office line
ADMIN = "Administrator perlu memeriksanya."
# The Gutenberg plugin's route (WordPress 5.8+ with it active; WordPress itself, 6.1 at least,
# has none): the block editor's settings, `maxUploadFileSize` among them (bytes).
EDITOR_SETTINGS = "/wp-json/wp-block-editor/v1/settings"
# What WordPress says when a file is too large for it (PHP's limits, as WordPress words them).
TOO_BIG = re.compile(r"exceeds the maximum upload size|upload_max_filesize|post_max_size|"
                     r"too (big|large)", re.IGNORECASE)


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
                 categories: dict[str, str] | None = None, password_env: str = "WP_APP_PASSWORD",
                 max_upload_mb: int = 64):
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
        # `website.max_upload_mb`: no larger file is sent (the site would refuse it anyway).
        self.max_upload_mb = max_upload_mb

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
        self._refuse_oversized(post)    # a post with a file too large sends none of its files
        # Each file with its video's poster (None for a photo or a video without one).
        uploaded = [(self._upload(post, media), self._poster(post, media)) for media in post.media]
        photos = [m for m, _ in uploaded if m["media_type"] == "image"]
        featured = photos or [p for _, p in uploaded if p]     # a video's poster, if no photo
        fields = {
            "title": html.escape(post.title, quote=False),
            "content": self._content(post, uploaded),
            "status": self.post_status,
            "featured_media": featured[0]["id"] if featured else 0,
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
        kept = {m["id"] for pair in uploaded for m in pair if m}
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
        accepted = self._site_upload_limit()
        if accepted is not None and self.max_upload_mb * MIB > accepted:
            fits = accepted // MIB
            problems.append(
                f"WordPress at {self.url} accepts uploads of at most {_mb(accepted)} MB (PHP's "
                f"upload_max_filesize/post_max_size), less than website.max_upload_mb = "
                f"{self.max_upload_mb}: larger files would be sent and refused. "
                + (f"Set website.max_upload_mb to {fits} or raise" if fits else "Raise")
                + " upload_max_filesize/post_max_size (and the web server's body limit, e.g. "
                f"nginx client_max_body_size) to at least {self.max_upload_mb} MB")
        return problems

    def _site_upload_limit(self) -> int | None:
        """The largest upload the site says it accepts (bytes), where it can tell: the block
        editor settings route of the Gutenberg plugin (WordPress itself has no REST route
        for it). None when the site does not say. A front web server's own body limit
        (nginx client_max_body_size) is never visible; see docs/wordpress.md."""
        try:
            reply = self.session.get(self.url + EDITOR_SETTINGS, timeout=TIMEOUT,
                                     params={"_fields": "maxUploadFileSize"})
            value = reply.json().get("maxUploadFileSize") if reply.status_code == 200 else None
        except (requests.RequestException, ValueError, AttributeError):
            return None
        # 0: the user may not upload (said above); a bool is no size.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return None
        return int(value)

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
        """The file in the media library: found by its slug, or uploaded (streamed). A file
        larger than `max_upload_mb` as it would be sent is `UploadRefused`, never sent."""
        found = self._find_upload(post, media)
        if found:
            return found
        slug = _media_slug(post, media)
        text = post.caption if media.kind == "photo" else ""
        params = {"slug": slug, "title": html.escape(post.title, quote=False),
                  "alt_text": text or post.title, "caption": html.escape(text, quote=False)}
        shown = published(media)
        with tempfile.TemporaryDirectory() as folder:
            source = media.path
            if media.kind == "photo" and needs_work(source, media.mime):
                source = Path(folder) / shown.name
                write_photo(media.path, media.mime, source)
            size = source.stat().st_size         # what is sent: the photo as published
            if size > self.max_upload_mb * MIB:
                raise self._refused(media, size)
            headers = {"Content-Type": shown.mime,
                       "Content-Disposition": f'attachment; filename="{_ascii_name(shown.name)}"'}
            with open(source, "rb") as body:     # streamed from disk, never read whole
                try:
                    return self._call("POST", "/media", params=params, data=body, headers=headers,
                                      ok=(201,), timeout=UPLOAD_TIMEOUT,
                                      too_large=replace(media, size=size))
                except _Unsure:
                    found = self._find_upload(post, media)
                    if found:
                        return found
                    raise AdapterError(f"uploading {media.name} did not finish",
                                       f"Unggahan '{media.name}' ke website terputus.") from None

    def _find_upload(self, post: Post, media: MediaFile) -> dict[str, Any] | None:
        """The file as an earlier attempt uploaded it, if it did."""
        found = self._call("GET", "/media", params={"slug": _media_slug(post, media),
                                                     "context": "edit"})
        return found[0] if found else None

    def _refuse_oversized(self, post: Post) -> None:
        """`UploadRefused` for the first file of `post` that is sent as it is (a video, a photo
        the pipeline leaves alone) and is larger than `max_upload_mb`, unless an earlier
        attempt uploaded it: a post with a file too large sends none of its files. (A photo
        the pipeline rewrites is measured once written, in `_upload`.)"""
        limit = self.max_upload_mb * MIB
        for media in post.media:
            if media.size <= limit or (media.kind == "photo" and needs_work(media.path,
                                                                            media.mime)):
                continue
            if self._find_upload(post, media) is None:
                raise self._refused(media, media.size)

    def _refused(self, media: MediaFile, size: int, status: int | None = None,
                 code: str = "") -> UploadRefused:
        """What is said of a file too large for the site: over `max_upload_mb` and not sent
        (`status` None), or refused by the site with `status`."""
        limit = self.max_upload_mb
        what, fix = (("Video", "Perpendek videonya, atau unggah ke YouTube lalu tempel "
                      "tautannya di Tautan Media.") if media.kind == "video"
                     else ("Foto", "Perkecil fotonya."))
        size_mb = f"{size / MIB:.1f} MB"
        if status is None:
            return UploadRefused(
                f"{media.name} ({size_mb}) is larger than website.max_upload_mb = {limit} MB: "
                "not uploaded",
                f"{what} '{media.name}' ({megabytes(size)} MB) melebihi batas unggah website "
                f"{limit} MB, sehingga tidak diunggah. {fix} Bila website sebenarnya menerima "
                "berkas yang lebih besar, administrator dapat mengatur website.max_upload_mb "
                "sesuai batas unggah website itu.")
        return UploadRefused(
            f"WordPress refused the upload of {media.name} ({size_mb}) as too large: {status} "
            f"{code or '(no error code)'}; website.max_upload_mb = {limit} MB is above what the "
            "site accepts",
            f"{what} '{media.name}' ({megabytes(size)} MB) ditolak website karena melebihi batas "
            f"unggah website. {fix} Administrator: atur website.max_upload_mb (kini {limit} MB) "
            "sesuai batas unggah website yang sebenarnya, agar berkas yang lebih besar sudah "
            "dikecilkan atau ditolak sebelum diunggah.")

    def _poster(self, post: Post, media: MediaFile) -> dict[str, Any] | None:
        """The poster frame of a video, uploaded as an image of its own."""
        if media.kind != "video" or media.poster is None:
            return None
        poster = MediaFile(name=f"{Path(media.name).stem}-poster.jpg", path=media.poster,
                           kind="photo", mime="image/jpeg", size=media.poster.stat().st_size,
                           sha256=hashlib.sha256(media.poster.read_bytes()).hexdigest())
        return self._upload(post, poster)

    def _content(self, post: Post,
                 uploaded: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> str:
        photos = [m for m, _ in uploaded if m["media_type"] == "image"]
        videos = [(m, poster) for m, poster in uploaded if m["media_type"] != "image"]
        parts = []
        if photos:
            parts.append(_image_block(photos[0], post.caption or ""))
        parts.append(to_blocks(post.body_html))
        if len(photos) > 1:
            inner = "".join(_image_block(p, "") for p in photos[1:])
            parts.append('<!-- wp:gallery {"linkTo":"none"} -->\n<figure class="wp-block-gallery '
                         f'has-nested-images columns-default is-cropped">{inner}</figure>\n'
                         "<!-- /wp:gallery -->")
        parts += [_embed_block(video_id) for video_id in post.embeds]   # YouTube: not uploaded
        for video, poster in videos:
            url = html.escape(video["source_url"])
            frame = f' poster="{html.escape(poster["source_url"])}"' if poster else ""
            parts.append(f'<!-- wp:video {{"id":{video["id"]}}} -->\n<figure class="wp-block-video">'
                         f'<video controls{frame} preload="metadata" src="{url}"></video></figure>\n'
                         "<!-- /wp:video -->")
        marker = {"id": post.entry_id, "fp": post.fingerprint,
                  "media": [m["id"] for pair in uploaded for m in pair if m]}
        parts.append(f"<!-- buku-agenda {json.dumps(marker, separators=(',', ':'))} -->")
        return "\n\n".join(parts)

    # -- HTTP ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), unsure: bool = False,
              missing_ok: bool = False, timeout: tuple[int, int] = TIMEOUT,
              too_large: MediaFile | None = None, **kwargs: Any) -> Any:
        """`too_large`: the file this request uploads (its size as sent), so that an answer
        saying it is too large for the site is `UploadRefused`."""
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
        if too_large is not None and _too_big(reply, code):
            raise self._refused(too_large, too_large.size, reply.status_code, code)
        raise AdapterError(f"WordPress {method} {path}: {reply.status_code} {code}",
                           f"Website menjawab dengan kesalahan {reply.status_code}"
                           + (f" saat mengunggah '{too_large.name}'." if too_large else "."))


def _differs(current: dict[str, Any], wanted: dict[str, Any], key: str) -> bool:
    if key == "categories":
        return sorted(current.get(key) or []) != sorted(wanted[key])
    return current.get(key) != wanted[key]


def _error_code(reply: requests.Response) -> str:
    try:
        return str(reply.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _too_big(reply: requests.Response, code: str) -> bool:
    """Whether an upload's answer says the file is too large for the site: 413 from the web
    server (whatever its body, HTML too), or WordPress saying so."""
    if reply.status_code == 413 or code == "rest_upload_file_too_big":
        return True
    if reply.status_code == 500 or code in ("rest_upload_sideload_error",
                                            "rest_upload_unknown_error"):
        try:
            message = str(reply.json().get("message", ""))
        except (ValueError, AttributeError):
            return False
        return bool(TOO_BIG.search(message))
    return False


def _mb(size: int) -> str:
    """`1`, `1.5`: a size in MB for the administrator."""
    return f"{size / MIB:.1f}".removesuffix(".0")


def _media_slug(post: Post, media: MediaFile) -> str:
    """A file's slug in the media library: its row's ID and its hash, so it is found again."""
    return f"ba-{post.entry_id.lower()}-{media.sha256[:16]}"


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


_EMBED_CLASSES = "wp-embed-aspect-16-9 wp-has-aspect-ratio"


def _embed_block(video_id: str) -> str:
    """A YouTube video (SPEC section 10) as the block editor's own embed block: WordPress
    shows the player through oEmbed, or the link where it cannot reach YouTube."""
    url = youtube.watch_url(video_id)
    attrs = {"url": url, "type": "video", "providerNameSlug": "youtube", "responsive": True,
             "className": _EMBED_CLASSES}
    return (f"<!-- wp:embed {_block_attributes(attrs)} -->\n"
            '<figure class="wp-block-embed is-type-video is-provider-youtube '
            f'wp-block-embed-youtube {_EMBED_CLASSES}"><div class="wp-block-embed__wrapper">\n'
            f"{html.escape(url)}\n</div></figure>\n<!-- /wp:embed -->")


def _block_attributes(attrs: dict[str, Any]) -> str:
    """Block attributes as WordPress writes them in the block comment
    (`serialize_block_attributes`): nothing in them can end the comment or open a tag."""
    text = json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("--", "\\u002d\\u002d"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text


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
