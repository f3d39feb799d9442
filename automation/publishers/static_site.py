"""The embedded static website: one folder per post, an index page and a JSON catalogue.

Layout of `output_dir`:

    index.html            live posts, newest first
    posts.json            the site's own record of every post, live or withdrawn
    <slug>/index.html     one post, with its photos and videos beside it

Every change is built aside and swapped in with renames, so a reader (or a crash) never sees
half a post. One writer per site is assumed (the program runs one instance per state folder):
leftovers of an interrupted run (`.tmp-*`, `.old-*`) are swept at the next write.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import unicodedata
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from automation.core.calendar import format_datetime
from automation.folders import ensure_writable
from automation.media.documents import sanitize_html
from automation.publishers.photos import copy_photo
from automation.ports import AdapterError, MediaFile, Post, PostRef

OFFICE = "Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara"
CATALOGUE = "posts.json"
INDEX = "index.html"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,100}$")
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
    """A `Publisher` writing plain HTML files that any web server (or a browser) can show."""

    def __init__(self, output_dir: Path, base_url: str = ""):
        self._dir = Path(output_dir).absolute()
        self._base_url = base_url.strip().rstrip("/")
        # Links between pages: a web server maps `slug/` to its index.html, a file:// browser
        # shows a folder listing instead, so local sites link to the file itself.
        self._index_link = "" if self._base_url else INDEX
        self._records: dict[str, dict[str, Any]] = {}
        self._stamp: tuple[int, int] | None = None   # (mtime_ns, size) of the loaded catalogue
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
                    self._write_index(self._catalogue())
                except OSError as exc:
                    raise _write_error(exc) from exc

    def find(self, entry_id: str) -> PostRef | None:
        record = self._catalogue().get(entry_id)
        return _ref(record) if record else None

    def publish(self, post: Post, existing: PostRef | None) -> PostRef:
        _check_slug(post.slug)
        records = self._catalogue()
        known = records.get(post.entry_id)
        # The catalogue is where the page really is, so it wins over the caller's memory;
        # either way an update lands in the folder (and URL) the post already has.
        slug = _check_slug(known["slug"] if known else existing.slug if existing else post.slug)
        self._claim(slug, post.entry_id)
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
        records = self._catalogue()
        record = records.get(ref.entry_id)
        slug = _check_slug(record["slug"] if record else ref.slug)
        self._claim(slug, ref.entry_id)
        if record is None:
            # The catalogue was lost: remember the post from the caller's reference.
            record = {
                "entry_id": ref.entry_id, "slug": slug, "post_id": slug, "url": ref.url,
                "fingerprint": ref.fingerprint, "title": "", "published_at": None,
                "timezone": None, "news_type": "", "source": "", "agenda_number": "",
                "thumbnail": None,
            }
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._sweep()
            if (self._dir / slug).exists():
                self._discard(self._dir / slug)
            record = {**record, "live": False}
            self._save({**records, ref.entry_id: record})
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
            self._catalogue()
        except AdapterError as exc:
            problems.append(
                f"{exc} Restore {CATALOGUE} from a backup, or move it away to start a new "
                "catalogue (post folders stay; a post published again reuses its folder)."
            )
        return problems

    # --- catalogue ---------------------------------------------------------------------------

    def _catalogue(self) -> dict[str, dict[str, Any]]:
        """The catalogue by entry_id, read again only when the file changed on disk."""
        path = self._dir / CATALOGUE
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):     # nothing published yet
            self._records, self._stamp = {}, None
            return self._records
        except OSError as exc:
            raise _catalogue_error(exc) from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(path.read_bytes())
                self._records = {record["entry_id"]: record for record in data["posts"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise _catalogue_error(exc) from exc
            self._stamp = stamp
        return self._records

    def _claim(self, slug: str, entry_id: str) -> None:
        """Refuse a slug that another entry's post already uses (it would be overwritten)."""
        for record in self._catalogue().values():
            if record["slug"] == slug and record["entry_id"] != entry_id:
                raise AdapterError(
                    f"Slug {slug!r} already belongs to entry {record['entry_id']!r}.",
                    f"Alamat halaman '{slug}' sudah dipakai berita lain di website "
                    f"(ID Sistem {record['entry_id']}). Hubungi admin sistem.",
                )

    def _save(self, records: dict[str, dict[str, Any]]) -> None:
        """Write posts.json, then the index page it drives; the cache follows the disk."""
        path = self._dir / CATALOGUE
        # One post per line: readable, and dumped by json's fast C encoder (indent is not).
        lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records.values())
        data = f'{{"version": 1, "posts": [\n{lines}\n]}}\n'

        _write_atomic(path, data.encode("utf-8"))
        stat = path.stat()
        self._records, self._stamp = records, (stat.st_mtime_ns, stat.st_size)
        if self._batched:
            self._index_due = True
        else:
            self._write_index(records)

    def _write_index(self, records: dict[str, dict[str, Any]]) -> None:
        _write_atomic(self._dir / INDEX, self._render_index(records).encode("utf-8"))

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
        folder = self._dir / f".tmp-{slug}-{secrets.token_hex(4)}"
        folder.mkdir()
        try:
            # No media name can become index.html: .html is never a media extension.
            photos, videos, taken = [], [], set()
            for media in post.media:
                name = safe_file_name(media, taken)
                taken.add(name)
                if media.kind == "photo":
                    copy_photo(media.path, folder / name)
                    photos.append(name)
                else:
                    shutil.copyfile(media.path, folder / name)
                    videos.append({"file": name, "mime": media.mime})
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
                body=sanitise_body(post.body_html),
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
                "title": record["title"],
                "href": f"{record['slug']}/{self._index_link}",
                "thumbnail": (f"{record['slug']}/{record['thumbnail']}"
                              if record["thumbnail"] else None),
                "date_text": format_datetime(published, weekday=True),
                "date_iso": published.isoformat(),
                "news_type": record["news_type"],
                "source": record["source"],
            }
            for published, record in live
        ]
        return _ENV.get_template("index.html").render(
            items=items,
            url=f"{self._base_url}/" if self._base_url else "",
            home=self._index_link or "./",
        )

    # --- folders -----------------------------------------------------------------------------

    def _swap_in(self, built: Path, target: Path) -> None:
        """Put `built` where `target` is, replacing the old folder with two renames."""
        old = self._dir / f".old-{target.name}-{secrets.token_hex(4)}"
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
        aside = self._dir / f".old-{folder.name}-{secrets.token_hex(4)}"
        os.replace(folder, aside)
        shutil.rmtree(aside, ignore_errors=True)

    def _sweep(self) -> None:
        """Remove leftovers of an interrupted earlier write."""
        for path in self._dir.iterdir():
            if path.name.startswith(_TEMP_PREFIXES):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def sanitise_body(html: str) -> Markup:
    """The body HTML reduced to the allowlist; only then is it trusted by the templates."""
    return Markup(sanitize_html(html))


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


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a part."""
    temporary = path.with_name(f".tmp-{path.name}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


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


def _catalogue_error(exc: Exception) -> AdapterError:
    return AdapterError(
        f"The site catalogue {CATALOGUE} cannot be read: {exc}.",
        f"Katalog website ({CATALOGUE}) tidak dapat dibaca: {exc}. Hubungi admin sistem.",
    )
