"""WordPress section of the benchmark (`bench/run.py` calls it at the end; not part of the tests).

Starts real WordPress sites on loopback (tests/support/wordpress_server.py: MariaDB + PHP's built-in
server, Debian packages) and measures `python main.py --config ... once` as a subprocess,
through the same launcher as bench/run.py (so the peak RSS is the child's own):

1. `approval-to-live, 5 photos`  a row with five camera-like 1600x1067 JPEGs, registered by
   a first cycle, then both paraf ticked: the wall time of the cycle that makes it `Tayang`
   (and of the same row with the photos saved as HEIC, which are converted to JPEG),
   and every HTTP request the program sent to WordPress, counted from outside the program by a
   small loopback reverse proxy between the two (bodies streamed both ways). The same cycle is
   run again straight to WordPress (site reset, fresh workspace), for the time without proxy.
2. `200 MB video upload`  the same flow for a row with a 200 MiB MP4 on a second site whose
   upload limit is 256 MB, and for a row with a 2 MiB MP4 as reference: the peak RSS growth
   attributable to the upload (target: under 64 MB) and the wall time of the upload.

All generated data lives in one temporary folder, removed at the end (unless --keep).

    .venv/bin/python bench/wordpress.py [--video-mb 200] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from PIL import Image  # noqa: E402

import automation.media.files  # noqa: E402,F401  (registers the HEIF opener)

from automation import config as config_module  # noqa: E402
from automation.agenda.template import build_workbook  # noqa: E402
from automation.core import schema as S  # noqa: E402
from automation.ports import RowWrite  # noqa: E402
from bench.run import Child, _photo, _summary_line, person_writes, run_child, statuses  # noqa: E402
from tests.support.config import config_toml  # noqa: E402
from tests.support.wordpress_server import (  # noqa: E402
    DEBIAN_PACKAGES, WordPressServer, missing_requirements)

TARGET_GROWTH_MB = 64
PASSWORD_ENV = "WP_BENCH_PASSWORD"
CATEGORY = "Berita"
MIB = 2**20
# A complete `ftyp` box (24 bytes, brand mp42), as the program and WordPress sniff it.
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


TEXT = (
    "TANJUNG SELOR – Gubernur Kalimantan Utara meresmikan Jembatan Sungai Kayan, Jumat (27/11).\n\n"
    "Kegiatan ini diikuti 240 peserta dari berbagai perangkat daerah dan unsur masyarakat. "
    "Gubernur berharap jembatan ini mempercepat pemerataan pembangunan hingga ke wilayah "
    "perbatasan. Pemerintah Provinsi Kalimantan Utara telah menganggarkan Rp120 miliar untuk "
    "pembangunannya.\n\n"
    "\"Kami ingin layanan publik semakin dekat dengan warga,\" ujar Gubernur. Turut hadir "
    "Forkopimda, pimpinan OPD, camat, serta tokoh adat setempat. (humas)"
)


# --- the workspace ---------------------------------------------------------------------------

def write_video(path: Path, size: int, seed: int) -> None:
    """An MP4 signature followed by pseudo-random bytes, written 1 MiB at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(MP4_HEADER)
        left = size - len(MP4_HEADER)
        while left > 0:
            n = min(MIB, left)
            out.write(rng.randbytes(n))
            left -= n


def build_office(folder: Path, url: str, username: str, media: list[str],
                 max_file_mb: int = 256) -> Path:
    """A workspace whose agenda has one complete row (not yet approved) linking `media`
    (files the caller puts under folder/media)."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.toml"
    config_path.write_text(config_toml(
        website={"backend": "wordpress", "url": url, "username": username,
                 "password_env": PASSWORD_ENV, "categories": {"Siaran Pers": CATEGORY}},
        media={"max_file_mb": max_file_mb}), encoding="utf-8")
    cfg = config_module.load(config_path)
    book = build_workbook(cfg.approval.columns, cfg.agenda.news_types, cfg.agenda.worksheet)
    sheet = book[cfg.agenda.worksheet]
    headers = [c.value for c in sheet[1]]
    values = {
        S.RECEIVED: (datetime.now() - timedelta(hours=1)).replace(microsecond=0),
        S.TITLE: "Gubernur Resmikan Jembatan Sungai Kayan di Tanjung Selor",
        S.NEWS_TYPE: "Siaran Pers", S.SOURCE: "Biro Administrasi Pimpinan", S.TEXT: TEXT,
        S.MEDIA: "\n".join(media),
        S.CAPTION: "PERESMIAN : Gubernur Kaltara menggunting pita Jembatan Sungai Kayan.",
        S.RECEIVER: "Rahmawati",
    }
    for header, value in values.items():
        cell = sheet.cell(row=2, column=headers.index(header) + 1, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
    book.save(cfg.agenda.path)
    return config_path


def the_row(config_path: Path) -> dict:
    _, rows = statuses(config_path)
    assert len(rows) == 1, f"{len(rows)} rows in the agenda"
    return rows[0]


def approve(config_path: Path) -> None:
    """Both paraf ticked, as Kadis and Kabid would, on the row the first cycle registered."""
    row = the_row(config_path)
    person_writes(config_path, [RowWrite(str(row[S.ENTRY_ID]), row["_row"],
                                         {S.PARAF_KADIS: True, S.PARAF_KABID: True})])


# --- counting requests from outside --------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "host", "content-length"}


class _Body:
    """The request body, read from the client socket as the upstream request sends it;
    `len` gives requests the Content-Length (no chunked encoding, which php -S lacks)."""

    def __init__(self, stream, length: int):
        self.stream, self.len, self._left = stream, length, length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self.stream.read(self._left if size is None or size < 0 else min(size, self._left))
        self._left -= len(data)
        return data


def route_of(path: str) -> str:
    """/wp-json/wp/v2/posts/12?context=edit -> /wp/v2/posts/<id>"""
    route = urlsplit(path).path
    route = route[len("/wp-json"):] if route.startswith("/wp-json/") else route
    return re.sub(r"/\d+(?=/|$)", "/<id>", route)


class CountingProxy:
    """A loopback reverse proxy in front of WordPress that records each request (method,
    route, status, bytes sent up, seconds until the answer was passed on)."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.seen: list[tuple[str, str, int, int, float]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"     # one request per connection, as php -S does

            def _forward(self) -> None:
                start = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    reply = requests.request(
                        self.command, proxy.upstream + self.path, headers=headers,
                        data=_Body(self.rfile, length) if length else None,
                        stream=True, allow_redirects=False, timeout=(10, 900))
                except requests.RequestException as err:
                    self.send_error(502, f"upstream: {type(err).__name__}")
                    proxy._record(self.command, self.path, 502, length, start)
                    return
                with reply:
                    self.send_response(reply.status_code)
                    for k, v in reply.raw.headers.items():
                        if k.lower() not in HOP_BY_HOP or k.lower() == "content-length":
                            self.send_header(k, v)
                    self.end_headers()
                    for chunk in reply.raw.stream(64 * 1024, decode_content=False):
                        self.wfile.write(chunk)
                proxy._record(self.command, self.path, reply.status_code, length, start)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, method: str, path: str, status: int, sent: int, start: float) -> None:
        with self._lock:
            self.seen.append((method, route_of(path), status, sent, time.perf_counter() - start))

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def summary(self) -> str:
        """`GET /wp/v2/posts 1, POST /wp/v2/media 5 (2.10 s, 1.9 MB up), ...` in first-seen order."""
        counts: Counter[str] = Counter()
        secs: dict[str, float] = defaultdict(float)
        sent: dict[str, int] = defaultdict(int)
        codes: dict[str, set[int]] = defaultdict(set)
        for method, route, status, up, took in self.seen:
            key = f"{method} {route}"
            counts[key] += 1
            secs[key] += took
            sent[key] += up
            codes[key].add(status)
        parts = []
        for key, n in counts.items():
            extra = [f"{secs[key]:.2f} s"]
            if sent[key] >= 100_000:
                extra.append(f"{sent[key] / 1e6:.1f} MB up")
            if codes[key] - {200, 201}:
                extra.append("HTTP " + "/".join(str(c) for c in sorted(codes[key])))
            parts.append(f"{key} {n} ({', '.join(extra)})")
        return ", ".join(parts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the cases -------------------------------------------------------------------------------

Row = tuple[str, str, str, str, str]      # case, wall s, peak MB, requests, notes


def _cycle(config_path: Path, logs: Path, label: str) -> Child:
    child = run_child(["--config", str(config_path), "once"], logs, label)
    if child.code != 0:
        raise SystemExit(f"{label}: `once` failed (exit {child.code}):\n{child.stderr[-3000:]}")
    return child


def _live(config_path: Path) -> tuple[bool, str]:
    row = the_row(config_path)
    status = row.get(S.STATUS)
    return status == "Tayang", f"{status}" + ("" if status == "Tayang" else f": {row.get(S.SYSTEM_NOTE)}")


def approval_to_live(tmp: Path, logs: Path, seed: int, table: list[Row], note,
                     failed: list[str]) -> list[str]:
    rng = random.Random(seed)
    shared = tmp / "photos"
    names = [f"foto/peresmian-{n}.jpg" for n in range(1, 6)]
    for name in names:
        _photo(shared / name, rng)
    photo_bytes = sum((shared / n).stat().st_size for n in names)
    # The same photos as an iPhone saves them (HEIC): published as JPEG, so converted first.
    heic_shared, heic_names = tmp / "photos-heic", [n.replace(".jpg", ".heic") for n in names]
    for name, heic_name in zip(names, heic_names):
        (heic_shared / heic_name).parent.mkdir(parents=True, exist_ok=True)
        with Image.open(shared / name) as image:
            image.save(heic_shared / heic_name, format="HEIF", quality=85)

    def office(folder: Path, url: str, username: str, photos: list[str] = names,
               source: Path = shared) -> Path:
        config_path = build_office(folder, url, username, photos)
        shutil.copytree(source, folder / "media", dirs_exist_ok=True)
        return config_path

    verdicts = []
    note("starting WordPress (upload limit 64 MB) ...")
    start = time.perf_counter()
    with WordPressServer() as wp:
        table.append(("(setup) start WordPress", f"{time.perf_counter() - start:.1f}", "-", "-",
                      f"{wp.base_url}; MariaDB + php -S (one worker, no opcache)"))
        wp.create_category(CATEGORY)
        os.environ[PASSWORD_ENV] = wp.app_password
        requests.get(wp.rest_url("wp/v2/posts"), timeout=30).raise_for_status()   # warm

        proxy = CountingProxy(wp.base_url)
        try:
            config_path = office(tmp / "office-photos", proxy.url, wp.username)
            note("approval-to-live: registering cycle ...")
            setup = _cycle(config_path, logs, "wp-photos-setup")
            registered = len(proxy.seen)
            table.append(("(setup) register cycle, 5 photos", f"{setup.wall:.2f}",
                          f"{setup.peak_mb:.0f}", str(registered),
                          f"{the_row(config_path).get(S.STATUS)}; {proxy.summary() or 'no requests'}"))
            approve(config_path)
            proxy.clear()
            note("approval-to-live: one `once` cycle after both paraf, through the counting proxy ...")
            case = _cycle(config_path, logs, "wp-photos")
            live, status = _live(config_path)
            table.append(("approval-to-live, 5 photos", f"{case.wall:.2f}", f"{case.peak_mb:.0f}",
                          str(len(proxy.seen)),
                          f"{status}; {photo_bytes / 1e6:.1f} MB of photos; {proxy.summary()}"))
            counted = len(proxy.seen)
        finally:
            proxy.close()

        def straight(label: str, photos: list[str], source: Path) -> tuple[Child, bool, str]:
            """The same row on a reset site, without the proxy."""
            wp.reset()
            wp.create_category(CATEGORY)
            config_path = office(tmp / f"office-{label}", wp.base_url, wp.username, photos,
                                 source)
            _cycle(config_path, logs, f"wp-{label}-setup")
            approve(config_path)
            note(f"approval-to-live: {label}, straight to WordPress (no proxy) ...")
            child = _cycle(config_path, logs, f"wp-{label}")
            return (child, *_live(config_path))

        direct, live_direct, status_direct = straight("photos-direct", names, shared)
        table.append(("approval-to-live, 5 photos, direct", f"{direct.wall:.2f}",
                      f"{direct.peak_mb:.0f}", "-",
                      f"{status_direct}; no proxy, site reset; {_summary_line(direct.stdout)}"))
        heic, live_heic, status_heic = straight("photos-heic", heic_names, heic_shared)
        table.append(("approval-to-live, 5 HEIC photos, direct", f"{heic.wall:.2f}",
                      f"{heic.peak_mb:.0f}", "-",
                      f"{status_heic}; {heic.wall / direct.wall:.2f} x the same row with JPEGs "
                      "(each photo converted to JPEG before upload)"))
    if not (live and live_direct and live_heic):
        failed.append("approval-to-live: the row did not become Tayang")
    verdicts.append(f"approval-to-live, 5 photos: {'Tayang' if live and live_direct else 'NOT Tayang'} "
                    f"after {direct.wall:.2f} s (direct) / {case.wall:.2f} s (proxied), "
                    f"{counted} HTTP requests to WordPress")
    return verdicts


def video_upload(tmp: Path, logs: Path, seed: int, video_mb: int, table: list[Row], note,
                 failed: list[str]) -> list[str]:
    limit = max(256, video_mb + 16)
    media = tmp / "video-media"
    _photo(media / "foto/peresmian-1.jpg", random.Random(seed))
    note(f"writing a {video_mb} MiB video in 1 MiB chunks ...")
    write_video(media / "video/kecil.mp4", 2 * MIB, seed)
    write_video(media / f"video/besar-{video_mb}.mp4", video_mb * MIB, seed + 1)

    def office(folder: Path, url: str, username: str, video: str) -> Path:
        config_path = build_office(folder, url, username, ["foto/peresmian-1.jpg", video],
                                   max_file_mb=limit)
        shutil.copytree(media, folder / "media", copy_function=os.link)   # hard links: no copy
        return config_path

    note(f"starting WordPress (upload limit {limit} MB) ...")
    start = time.perf_counter()
    with WordPressServer(upload_limit_mb=limit) as wp:
        table.append((f"(setup) start WordPress, {limit} MB limit", f"{time.perf_counter() - start:.1f}",
                      "-", "-", wp.base_url))
        wp.create_category(CATEGORY)
        os.environ[PASSWORD_ENV] = wp.app_password
        requests.get(wp.rest_url("wp/v2/posts"), timeout=30).raise_for_status()

        results: dict[str, Child] = {}
        for label, video, size in (("small", "video/kecil.mp4", 2 * MIB),
                                   ("big", f"video/besar-{video_mb}.mp4", video_mb * MIB)):
            wp.reset()
            wp.create_category(CATEGORY)
            config_path = office(tmp / f"office-video-{label}", wp.base_url, wp.username, video)
            note(f"video {size // MIB} MiB: registering cycle (hashes the file) ...")
            setup = _cycle(config_path, logs, f"wp-video-{label}-setup")
            table.append((f"(setup) register cycle, {size // MIB} MiB video", f"{setup.wall:.2f}",
                          f"{setup.peak_mb:.0f}", "-", f"{the_row(config_path).get(S.STATUS)}"))
            approve(config_path)
            note(f"video {size // MIB} MiB: one `once` cycle after both paraf (uploads) ...")
            case = _cycle(config_path, logs, f"wp-video-{label}")
            live, status = _live(config_path)
            results[label] = case
            uploads = sorted((p for p in wp.uploads_dir.rglob("*.mp4")), key=lambda p: p.stat().st_size)
            on_site = uploads[-1].stat().st_size if uploads else 0
            name = ("200 MB video upload" if video_mb == 200 else f"{video_mb} MB video upload") \
                if label == "big" else "2 MiB video (reference)"
            table.append((name, f"{case.wall:.2f}", f"{case.peak_mb:.0f}", "-",
                          f"{status}; {size / 1e6:.1f} MB file, {on_site / 1e6:.1f} MB on the site; "
                          + _summary_line(case.stdout)))
            if not live:
                failed.append(f"video {size // MIB} MiB: the row did not become Tayang")
                break
    small, big = results.get("small"), results.get("big")
    if small is None or big is None:
        return ["video upload: a cycle did not reach Tayang (see the table)"]
    growth = big.peak_mb - small.peak_mb
    upload_s = big.wall - small.wall
    verdict = (f"within the {TARGET_GROWTH_MB} MB target" if growth < TARGET_GROWTH_MB
               else f"MISSES the {TARGET_GROWTH_MB} MB target by {growth - TARGET_GROWTH_MB:.0f} MB")
    return [f"{video_mb} MiB video: peak RSS {big.peak_mb:.0f} MB vs {small.peak_mb:.0f} MB with a 2 MiB "
            f"video: growth {growth:.0f} MB, {verdict}",
            f"{video_mb} MiB video: cycle wall {big.wall:.2f} s, {upload_s:.2f} s more than with a "
            f"2 MiB video ({video_mb * MIB / 1e6 / upload_s:.0f} MB/s over loopback)"
            if upload_s > 0 else f"{video_mb} MiB video: cycle wall {big.wall:.2f} s"]


def print_table(rows: list[Row]) -> None:
    head = ("case", "wall s", "peak MB", "requests", "notes")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(head[:4], widths)) + "  " + head[4])
    print("  ".join("-" * w for w in widths) + "  " + "-" * 5)
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r[:4], widths))) + "  " + r[4])


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-mb", type=int, default=200, help="size of the big video in MiB (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)

    def note(msg: str) -> None:
        print(f"[bench wordpress] {msg}", file=sys.stderr, flush=True)

    missing = missing_requirements()
    if missing:
        print(f"WordPress benchmark skipped: it needs the Debian packages {DEBIAN_PACKAGES}; "
              f"missing: {', '.join(missing)}")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="agenda-bench-wp-"))
    logs = tmp / "logs"
    logs.mkdir()
    table: list[Row] = []
    saved_password = os.environ.get(PASSWORD_ENV)
    verdicts: list[str] = []
    failed: list[str] = []
    try:
        verdicts += approval_to_live(tmp, logs, args.seed, table, note, failed)
        verdicts += video_upload(tmp, logs, args.seed, args.video_mb, table, note, failed)
        base = run_child(["--help"], logs, "wp-baseline")
        table.append(("(baseline) main.py --help", f"{base.wall:.2f}", f"{base.peak_mb:.0f}", "-",
                      "interpreter start + imports only"))
    finally:
        print_table(table)
        print()
        for line in verdicts + failed:
            print(line)
        if saved_password is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = saved_password
        if args.keep:
            print(f"WordPress benchmark data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
