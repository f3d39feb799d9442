"""The embedded static website: one folder per post, an index page and a JSON catalogue.

Layout of `output_dir` (public: the web server serves the whole folder):

    index.html            live posts, newest first
    posts.json            the site's own record of every live post
    <slug>/index.html     one post, with its photos and videos beside it

and of `private_dir` (the program's state folder, `state_dir/site`; never served):

    withdrawn.json        what finds a withdrawn post again: entry_id, slug, URL, fingerprint

A withdrawn post leaves nothing of its own under `output_dir`, hidden files and file names
included: its folder (page and media) goes, the index is rendered again at once, and its
record moves out of posts.json into the private withdrawn.json. Even a reduced record could
not stay public: the slug, and so the URL, is made of the title's words (`post_slug`).
`find` looks in posts.json, then in withdrawn.json; publishing a withdrawn post again puts
it back at the same slug and URL and takes its record out of withdrawn.json.

If the private folder is lost, a withdrawn post is simply not found (`find` gives None):
that is acceptable, as it is not live, and `post_slug` is deterministic, so a post published
again with an unchanged title lands at the same address. Live posts stay findable from
posts.json alone, beside the pages (SPEC rule 1).

A record is never missing from both files at once, whatever instant a run is stopped at: a
file that gains a record is written before the file that loses it. A record found in both is
live (posts.json wins) and is dropped from withdrawn.json by the next write.

Every text from a row goes through `automation.html_safety` first (`page_post`, `page_text`,
`page_body`): control characters a page, JSON or XML cannot hold are dropped and a Word line
break (vertical tab) becomes a line break.

Every change is built aside and swapped in with renames, so a reader (or a crash) never sees
half a post; the names set aside (`.tmp-*`, `.old-*`) carry no slug. One writer per site is
assumed (the program runs one instance per state folder): leftovers of an interrupted run
are swept at the next write.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import unicodedata
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from automation.core import youtube
from automation.core.calendar import format_datetime
from automation.folders import ensure_writable, write_atomic
from automation.html_safety import page_body, page_post, page_text
from automation.publishers.photos import published, write_photo
from automation.ports import AdapterError, MediaFile, Post, PostRef

OFFICE = "Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara"
# YouTube links in `Tautan Media` play in the privacy-enhanced player (no cookies until the
# visitor plays); a page's Content-Security-Policy allows frames from it only when the page
# has such an embed, every other page allows none.
CATALOGUE = "posts.json"
WITHDRAWN = "withdrawn.json"                        # in the private folder
INDEX = "index.html"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,100}$")
# What a withdrawn post's record keeps: enough for `find` and to come back at the same URL.
_WITHDRAWN_FIELDS = ("entry_id", "slug", "post_id", "url", "fingerprint")
_TEMP_PREFIXES = (".tmp-", ".old-")

# The web server picks the Content-Type from the extension, so a media file must never keep
# an extension a browser would run (.html, .svg, .js): only these survive, else the mime
# type decides.
_EXTENSION_FOR_MIME = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/avif": "avif", "image/heic": "heic", "image/heif": "heif", "image/bmp": "bmp",
    "image/tiff": "tif", "video/mp4": "mp4", "video/x-m4v": "m4v", "video/quicktime": "mov",
    "video/webm": "webm", "video/ogg": "ogv", "video/3gpp": "3gp", "video/x-matroska": "mkv",
    "video/x-msvideo": "avi", "video/mpeg": "mpeg",
}
_MEDIA_EXTENSIONS = set(_EXTENSION_FOR_MIME.values()) | {"jpeg", "tiff", "mpg"}
# Windows refuses these file names whatever the extension.
_RESERVED_STEMS = {"con", "prn", "aux", "nul"} | {
    f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)
}

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals["office"] = OFFICE


class StaticSite:
    """A `Publisher` writing plain HTML files that any web server (or a browser) can show.

    `private_dir` holds the records of withdrawn posts; it must not be under `output_dir`
    (`check` says so) and is created at its first write only."""

    def __init__(self, output_dir: Path, base_url: str = "", *, private_dir: Path):
        self._dir = Path(output_dir).absolute()
        self._private_dir = Path(private_dir).absolute()
        self._base_url = base_url.strip().rstrip("/")
        # Links between pages: a web server maps `slug/` to its index.html, a file:// browser
        # shows a folder listing instead, so local sites link to the file itself.
        self._index_link = "" if self._base_url else INDEX
        self._live = _RecordFile(self._dir / CATALOGUE)
        self._withdrawn = _RecordFile(self._private_dir / WITHDRAWN)
        self._batched = False                        # inside `batch()`: the index waits
        self._index_due = False                      # ... for this batch's publications

    # --- Publisher -------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Publications inside render the index page once, at the end: it lists every post,
        so rendering it per publication would make a cycle quadratic in the archive's size.
        The catalogue, which `find` relies on, is still written at each publication."""
        self._batched = True
        try:
            yield
        finally:
            self._batched = False
            if self._index_due or self._index_behind():
                self._index_due = False
                try:
                    self._write_index(self._live.read())
                except OSError as exc:
                    raise _write_error(exc) from exc

    def find(self, entry_id: str) -> PostRef | None:
        # posts.json first: a record in both files is live (a run stopped in between).
        record = self._live.read().get(entry_id) or self._withdrawn.read().get(entry_id)
        return _ref(record) if record else None

    def publish(self, post: Post, existing: PostRef | None) -> PostRef:
        _check_slug(post.slug)
        post = page_post(post)
        records = self._records()
        known = records.get(post.entry_id)
        # The records are where the page really is, so they win over the caller's memory;
        # either way an update lands in the folder (and URL) the post already has.
        slug = _check_slug(known["slug"] if known else existing.slug if existing else post.slug)
        self._claim(records, slug, post.entry_id)
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._sweep()
            built, thumbnail = self._build(post, slug)
            self._swap_in(built, self._dir / slug)
            record = {
                "entry_id": post.entry_id,
                "slug": slug,
                "post_id": slug,
                "url": self._url(slug),
                "fingerprint": post.fingerprint,
                "live": True,
                "title": post.title,
                "published_at": post.published_at.isoformat(),
                "timezone": getattr(post.published_at.tzinfo, "key", None),
                "news_type": post.news_type,
                "source": post.source,
                "agenda_number": post.agenda_number,
                "thumbnail": thumbnail,
            }
            self._save({**records, post.entry_id: record})
        except OSError as exc:
            raise _write_error(exc) from exc
        return _ref(record)

    def withdraw(self, ref: PostRef) -> PostRef:
        records = self._records()
        record = records.get(ref.entry_id)
        slug = _check_slug(record["slug"] if record else ref.slug)
        self._claim(records, slug, ref.entry_id)
        if record is None:
            # The records were lost: remember the post from the caller's reference.
            record = {"entry_id": ref.entry_id, "slug": slug, "post_id": slug, "url": ref.url,
                      "fingerprint": ref.fingerprint}
        record = _withdrawn(record)
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._sweep()
            if (self._dir / slug).exists():
                self._discard(self._dir / slug)
            # Not left to the end of a batch: the index must stop showing the title now.
            self._save({**records, ref.entry_id: record}, index_now=True)
            # Something set aside that could not be deleted (a file held open on Windows) may
            # hold this post's page: the withdrawal is not done until it is gone (retried;
            # the next write sweeps it again).
            leftover = next((p for p in self._dir.iterdir()
                             if p.name.startswith(_TEMP_PREFIXES)), None)
            if leftover is not None:
                raise OSError(errno.EBUSY, "a folder set aside could not be deleted",
                              str(leftover))
        except OSError as exc:
            raise _write_error(exc) from exc
        return _ref(record)

    def check(self) -> list[str]:
        problems = []
        if self._base_url:
            parsed = urlparse(self._base_url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                problems.append(
                    f"website.url {self._base_url!r} is not an http(s) address: set it to the "
                    "public address of the site (e.g. https://berita.example.go.id) or leave "
                    "it empty for file:// links."
                )
        if self._private_dir == self._dir or self._dir in self._private_dir.parents:
            problems.append(
                f"The state folder's site records ({self._private_dir}) are inside "
                f"website.output_dir {self._dir}, which the web server shows: move state_dir "
                "out of the site's folder."
            )
        try:
            ensure_writable(self._dir)
        except OSError as exc:
            problems.append(
                f"website.output_dir {self._dir} cannot be created or written ({exc}): create "
                "the folder and give the program's user write permission, or point output_dir "
                "to a writable folder."
            )
            return problems
        try:
            self._live.read()
        except AdapterError as exc:
            problems.append(
                f"{exc} Restore {CATALOGUE} from a backup, or move it away to start a new "
                "catalogue (post folders stay; a post published again reuses its folder)."
            )
        try:
            self._withdrawn.read()
        except AdapterError as exc:
            problems.append(
                f"{exc} Restore it from a backup, or move it away (withdrawn posts are then "
                "not found; one published again with the same title gets its old address)."
            )
        if self._private_dir.is_dir():         # created at its first write, not by a check
            try:
                ensure_writable(self._private_dir)
            except OSError as exc:
                problems.append(
                    f"{self._private_dir} cannot be written ({exc}): give the program's user "
                    "write permission to the state folder."
                )
        return problems

    # --- records -----------------------------------------------------------------------------

    def _records(self) -> dict[str, dict[str, Any]]:
        """Every post by entry_id, live or withdrawn; a record in both files is live."""
        return {**self._withdrawn.read(), **self._live.read()}

    @staticmethod
    def _claim(records: dict[str, dict[str, Any]], slug: str, entry_id: str) -> None:
        """Refuse a slug that another entry's post uses, live (it would be overwritten) or
        withdrawn (its address is kept for it)."""
        for record in records.values():
            if record["slug"] == slug and record["entry_id"] != entry_id:
                raise AdapterError(
                    f"Slug {slug!r} already belongs to entry {record['entry_id']!r}.",
                    f"Alamat halaman '{slug}' sudah dipakai berita lain di website "
                    f"(ID Sistem {record['entry_id']}). Hubungi admin sistem.",
                )

    def _save(self, records: dict[str, dict[str, Any]], index_now: bool = False) -> None:
        """Write every post's record where it belongs, then the index page posts.json drives.

        Live records go to posts.json, withdrawn ones (reduced to `_WITHDRAWN_FIELDS`) to the
        private withdrawn.json. A record moving between the two is first added, then removed:
        withdrawn.json gains, posts.json is written, withdrawn.json loses. A catalogue from an
        older version, which kept withdrawn records (and their titles) in posts.json, is
        cleaned this way by the next write."""
        live = {key: r for key, r in records.items() if r["live"]}
        withdrawn = {key: _withdrawn(r) for key, r in records.items() if not r["live"]}
        held = self._withdrawn.read()
        if any(held.get(key) != record for key, record in withdrawn.items()):
            held = {**held, **withdrawn}
            self._write_withdrawn(held)
        self._live.write(live)
        if held.keys() != withdrawn.keys():
            self._write_withdrawn(withdrawn)
        if self._batched and not index_now:
            self._index_due = True
        else:
            self._write_index(live)

    def _write_withdrawn(self, records: dict[str, dict[str, Any]]) -> None:
        self._private_dir.mkdir(parents=True, exist_ok=True)
        _sweep_temporaries(self._private_dir)
        self._withdrawn.write(records)

    def _write_index(self, records: dict[str, dict[str, Any]]) -> None:
        write_atomic(self._dir / INDEX, self._render_index(records).encode("utf-8"))

    def _index_behind(self) -> bool:
        """Whether the index page is older than the catalogue: a run stopped in a batch."""
        try:
            catalogue = (self._dir / CATALOGUE).stat().st_mtime_ns
        except OSError:                  # no site yet, or none reachable: nothing to catch up
            return False
        try:
            return (self._dir / INDEX).stat().st_mtime_ns < catalogue
        except FileNotFoundError:
            return True
        except OSError:
            return False

    # --- pages -------------------------------------------------------------------------------

    def _url(self, slug: str) -> str:
        if self._base_url:
            return f"{self._base_url}/{slug}/"
        return (self._dir / slug).as_uri() + "/"

    def _build(self, post: Post, slug: str) -> tuple[Path, str | None]:
        """Write the post's folder aside; returns it and the file name of the first photo."""
        folder = self._dir / f".tmp-{secrets.token_hex(8)}"     # no slug: see the docstring
        folder.mkdir()
        try:
            # No media name can become index.html: .html is never a media extension.
            photos, videos, taken = [], [], set()
            for media in post.media:
                name = safe_file_name(published(media), taken)
                taken.add(name)
                if media.kind == "photo":
                    write_photo(media.path, media.mime, folder / name)
                    photos.append(name)
                else:
                    shutil.copyfile(media.path, folder / name)
                    poster = None
                    if media.poster is not None:
                        poster = safe_file_name(replace(
                            media, name=f"{name.rsplit('.', 1)[0]}-poster.jpg",
                            mime="image/jpeg"), taken)
                        taken.add(poster)
                        shutil.copyfile(media.poster, folder / poster)
                    videos.append({"file": name, "mime": page_text(media.mime), "poster": poster})
            lead = photos[0] if photos else None
            html = _ENV.get_template("post.html").render(
                title=post.title,
                date_text=format_datetime(post.published_at, weekday=True),
                date_iso=post.published_at.isoformat(),
                news_type=post.news_type,
                source=post.source,
                caption=post.caption,
                lead=lead,
                gallery=photos[1:],
                videos=videos,
                embeds=[(youtube.player_url(v), youtube.watch_url(v)) for v in post.embeds],
                frame_src=youtube.PLAYER if post.embeds else None,
                body=Markup(page_body(post.body_html)),
                url=self._url(slug) if self._base_url else "",
                home="../" + self._index_link,
            )
            (folder / INDEX).write_bytes(html.encode("utf-8"))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder, lead

    def _render_index(self, records: dict[str, dict[str, Any]]) -> str:
        live = [(_published_at(r), r) for r in records.values() if r["live"]]
        live.sort(key=lambda pair: (pair[0], pair[1]["slug"]), reverse=True)
        items = [
            {
                # Cleaned again: a catalogue written by an older version may hold controls.
                "title": page_text(record["title"]),
                "href": f"{record['slug']}/{self._index_link}",
                "thumbnail": (f"{record['slug']}/{record['thumbnail']}"
                              if record["thumbnail"] else None),
                "date_text": format_datetime(published, weekday=True),
                "date_iso": published.isoformat(),
                "news_type": page_text(record["news_type"]),
                "source": page_text(record["source"]),
            }
            for published, record in live
        ]
        return _ENV.get_template("index.html").render(
            items=items,
            url=f"{self._base_url}/" if self._base_url else "",
            home=self._index_link or "./",
            frame_src=None,
        )

    # --- folders -----------------------------------------------------------------------------

    def _swap_in(self, built: Path, target: Path) -> None:
        """Put `built` where `target` is, replacing the old folder with two renames."""
        old = self._dir / f".old-{secrets.token_hex(8)}"
        had_old = target.exists()
        if had_old:
            os.replace(target, old)
        try:
            os.replace(built, target)
        except OSError:
            if had_old:
                os.replace(old, target)
            shutil.rmtree(built, ignore_errors=True)
            raise
        if had_old:
            # Best effort: a file held open (Windows) leaves it for the next sweep.
            shutil.rmtree(old, ignore_errors=True)

    def _discard(self, folder: Path) -> None:
        """Take a folder off the site at once (rename), then delete it."""
        aside = self._dir / f".old-{secrets.token_hex(8)}"
        os.replace(folder, aside)
        shutil.rmtree(aside, ignore_errors=True)

    def _sweep(self) -> None:
        """Remove leftovers of an interrupted earlier write."""
        _sweep_temporaries(self._dir)


class _RecordFile:
    """A JSON file of post records, by entry_id; read again only when it changed on disk.

    A missing file (or folder) holds no record; one that cannot be read is an AdapterError."""

    def __init__(self, path: Path):
        self.path = path
        self._records: dict[str, dict[str, Any]] = {}
        self._stamp: tuple[int, int] | None = None   # (mtime_ns, size) of the loaded file

    def read(self) -> dict[str, dict[str, Any]]:
        try:
            stat = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):     # nothing written yet
            self._records, self._stamp = {}, None
            return self._records
        except OSError as exc:
            raise _catalogue_error(self.path, exc) from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.path.read_bytes())
                self._records = {record["entry_id"]: record for record in data["posts"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise _catalogue_error(self.path, exc) from exc
            self._stamp = stamp
        return self._records

    def write(self, records: dict[str, dict[str, Any]]) -> None:
        """Replace the file atomically; the cache follows the disk."""
        # One post per line: readable, and dumped by json's fast C encoder (indent is not).
        lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records.values())
        data = f'{{"version": 1, "posts": [\n{lines}\n]}}\n'
        write_atomic(self.path, data.encode("utf-8"))
        stat = self.path.stat()
        self._records, self._stamp = dict(records), (stat.st_mtime_ns, stat.st_size)


def _sweep_temporaries(folder: Path) -> None:
    """Remove what an interrupted write left in `folder` (`.tmp-*`, `.old-*`)."""
    for path in folder.iterdir():
        if path.name.startswith(_TEMP_PREFIXES):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _withdrawn(record: dict[str, Any]) -> dict[str, Any]:
    """A withdrawn post's record: nothing of its content, only what finds it again."""
    return {**{field: record[field] for field in _WITHDRAWN_FIELDS}, "live": False}


def safe_file_name(media: MediaFile, taken: set[str]) -> str:
    """A lowercase `[a-z0-9._-]` name for `media`, not in `taken` (`foto.jpg`, `foto-2.jpg`)."""
    # Only the last path component counts, whichever separator the name uses.
    base = media.name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii").lower()
    stem = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")[:80] or "media"
    if stem in _RESERVED_STEMS:
        stem += "-file"
    extension = extension.lower()
    if extension not in _MEDIA_EXTENSIONS:
        extension = _EXTENSION_FOR_MIME.get(media.mime.lower(), "bin")
    name, number = f"{stem}.{extension}", 2
    while name in taken:
        name, number = f"{stem}-{number}.{extension}", number + 1
    return name


def _check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise ValueError(
            f"Invalid slug {slug!r}: use 1-101 characters a-z, 0-9 and '-', starting with a "
            "letter or digit."
        )
    return slug


def _published_at(record: dict[str, Any]) -> datetime:
    # An ISO offset alone would show as "UTC+08:00"; the zone name gives back "WITA".
    published = datetime.fromisoformat(record["published_at"])
    return published.astimezone(ZoneInfo(record["timezone"])) if record["timezone"] else published


def _ref(record: dict[str, Any]) -> PostRef:
    return PostRef(
        entry_id=record["entry_id"], slug=record["slug"], url=record["url"],
        post_id=record["post_id"], fingerprint=record["fingerprint"], live=record["live"],
    )


def _write_error(exc: OSError) -> AdapterError:
    reason = exc.strerror or str(exc)
    if exc.filename:
        reason = f"{reason} ({exc.filename})"
    return AdapterError(
        f"Could not write the static site: {reason}",
        f"Gagal menulis halaman website: {reason}. Periksa ruang disk dan izin folder situs.",
    )


def _catalogue_error(path: Path, exc: Exception) -> AdapterError:
    name = path.name if path.name == CATALOGUE else str(path)
    return AdapterError(
        f"The site catalogue {name} cannot be read: {exc}.",
        f"Katalog website ({name}) tidak dapat dibaca: {exc}. Hubungi admin sistem.",
    )
