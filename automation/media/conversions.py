"""Videos made ready for the website: converted once per source version, in the background.

A video every browser plays and that fits `website.max_upload_mb` is published as it is,
with a poster frame. Any other is converted (`automation.media.videos` decides how) by an
ffmpeg process that runs beside the program: cycles go on publishing other rows meanwhile,
and the row waits, saying so, until its conversion is done (SPEC section 10).

Files, in `folder` (state_dir/video):

    <key>.<n>.part.mp4, <key>.<n>.progress, <key>.<n>.log    attempt n, while ffmpeg works
    <key>.mp4, <key>.jpg                                      the conversion and its poster
    <key>.json                                                written last: done
    poster-<sha256>.jpg                                       poster of a video kept as it is

The journal is the ledger's `conversions` table: queued, running (attempt, since when),
done or failed. Whatever instant the program is killed at, no half file is ever taken: a
part becomes `<key>.mp4` only after ffmpeg reported its end (`progress=end`, written after
the file is complete) and the result was probed; the rename is atomic. A conversion whose
ffmpeg outlived a killed program is adopted when it ends; one whose ffmpeg died too (its
progress file goes quiet) is started again.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from automation.folders import write_atomic
from automation.ledger import Ledger
from automation.media import ffmpeg
from automation.media.files import examine, video_facts
from automation.media.videos import (
    CannotFit, Conversion, conversion_for, duration_text, fits, too_large_after_conversion,
)
from automation.ports import AdapterError, MediaFile, VideoFacts

log = logging.getLogger(__name__)

QUIET = 90.0                # seconds without a progress report: that ffmpeg is gone
MAX_FAILURES = 3            # attempts that ended in an error before the row is told why
PREPARING = ("Video '{}' sedang disiapkan untuk website (diubah menjadi MP4 yang dapat diputar "
             "semua peramban). Berita tayang otomatis setelah selesai.")
FAILED = ("Video '{name}' tidak dapat diubah untuk website ({why}). Simpan ulang videonya "
          "sebagai MP4 (H.264), atau unggah ke YouTube lalu tempel tautannya di Tautan Media.")


@dataclass(frozen=True)
class Prepared:
    """One video as the website gets it, or why not yet (`waiting`) or not at all (`problem`);
    both notes in Indonesian."""

    file: MediaFile | None
    waiting: str = ""
    problem: str = ""


class Conversions:
    """`start=False` (a dry run): results are looked up, nothing is started or finished."""

    # ffmpeg processes this program started, by (key, attempt): their exit codes are known
    # at once; any other running conversion is judged by its files.
    _children: ClassVar[dict[tuple[str, int], subprocess.Popen]] = {}

    def __init__(self, folder: Path, ledger: Ledger, limit_mb: int, start: bool = True):
        self.folder, self.ledger, self.limit_mb, self.start = folder, ledger, limit_mb, start

    def read_only(self) -> Conversions:
        """The same results, looked up only (a dry run)."""
        return Conversions(self.folder, self.ledger, self.limit_mb, start=False)

    def prepare(self, media: MediaFile) -> Prepared:
        """The video as published: itself with a poster, its conversion once done, or why not."""
        facts = media.video
        assert facts is not None, "a video's facts come with it from the media source"
        try:
            conversion = conversion_for(media.name, facts, media.mime, media.size, self.limit_mb)
        except CannotFit as refused:
            return Prepared(None, problem=refused.note)
        if conversion is None:
            return Prepared(replace(media, poster=self._poster_as_is(media)))
        key = conversion.key(media.sha256)
        done = self._done(key, media)
        if done is not None:
            return Prepared(done)
        found = self.ledger.conversion(key)
        if found and found[0] == "failed":
            return Prepared(None, problem=found[1]["note"])
        if self.start and found and found[0] == "done":
            # Its result went away (the video folder cleared): converted again.
            log.warning("converted video %s is missing from %s: converting it again",
                        media.name, self.folder)
            (self.folder / f"{key}.json").unlink(missing_ok=True)   # it would say "done"
            self.ledger.drop_conversion(key)
            found = None
        if self.start and found is None:
            self.ledger.put_conversion(key, "queued", {
                "name": media.name, "source": str(media.path), "sha256": media.sha256,
                "conversion": asdict(conversion), "duration": facts.duration,
                "limit_mb": self.limit_mb, "attempt": 0, "failures": 0})
            log.info("video %s needs converting (%s, %dx%d, %s): queued", media.name,
                     facts.video_codec, facts.width, facts.height, duration_text(facts.duration))
            self.pump()
        return Prepared(None, waiting=PREPARING.format(media.name))

    def pump(self) -> None:
        """Finish what ended, start what waits (one conversion at a time), say how far the
        running one is. Cheap when nothing is converting: one query."""
        if not self.start:
            return
        running = False
        for key, state, job in self.ledger.conversions("running", "queued"):
            try:
                if state == "running":
                    running = self._advance(key, job) or running
                elif not running:
                    self._begin(key, job)
                    running = True
            except (OSError, AdapterError) as err:
                # ffmpeg gone, the folder not writable, a result that cannot be taken: a
                # failed attempt of this video's, never a cycle that cannot run.
                self._failed(key, job, str(err))

    # -- one conversion ------------------------------------------------------------------------

    def _begin(self, key: str, job: dict[str, Any]) -> None:
        source = Path(job["source"])
        if not source.is_file():
            # Out of reach now (an unmounted share, a cache copy removed): no fault of the
            # video's. Forgotten, so that the row asks anew with where its file is then.
            log.warning("video %s for conversion is not at %s now: asked for again later",
                        job["name"], source)
            self.ledger.drop_conversion(key)
            return
        attempt = job["attempt"] + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sweep(key)
        part, progress = f"{key}.{attempt}.part.mp4", f"{key}.{attempt}.progress"
        command = ffmpeg.conversion_command(source, Conversion(**job["conversion"]), part,
                                            progress)
        # Journaled before the process exists: a kill in between leaves a quiet attempt,
        # which is started again.
        self.ledger.put_conversion(key, "running", {**job, "attempt": attempt,
                                                    "started": time.time()})
        with open(self.folder / f"{key}.{attempt}.log", "wb") as errors:
            child = subprocess.Popen(command, cwd=self.folder, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=errors, **ffmpeg.DETACHED)
        ffmpeg.lower_priority(child.pid)
        self._children[(key, attempt)] = child
        log.info("converting video %s for the website (attempt %d, ffmpeg PID %d)",
                 job["name"], attempt, child.pid)

    def _advance(self, key: str, job: dict[str, Any]) -> bool:
        """Whether the conversion is still under way after looking at it."""
        attempt = job["attempt"]
        if (self.folder / f"{key}.json").is_file():
            # Finished, but the program was stopped before the journal said so.
            self.ledger.put_conversion(key, "done", job)
            self._sweep(key)
            return False
        report = self._progress(key, attempt)
        child = self._children.get((key, attempt))
        code = child.poll() if child is not None else None
        if report.get("progress") == "end" and (child is None or code is not None):
            self._children.pop((key, attempt), None)
            self._finish(key, job, code)
            return False
        if child is not None and code is not None:
            self._children.pop((key, attempt), None)
            if code < 0:        # killed by a signal (out of memory, shutdown): not the video's
                log.warning("conversion of %s (attempt %d) was killed (signal %d): starting it "
                            "again", job["name"], attempt, -code)
                self.ledger.put_conversion(key, "queued", job)
                return False
            self._failed(key, job, f"ffmpeg ended with code {code}: {self._errors(key, attempt)}")
            return False
        last = max([job["started"]] + [self._mtime(key, attempt, s) for s in ("progress", "log")])
        if child is None and time.time() - last > QUIET:
            # Started by a program that is gone, and its ffmpeg with it (no report since).
            log.warning("conversion of %s (attempt %d) was interrupted: starting it again",
                        job["name"], attempt)
            self.ledger.put_conversion(key, "queued", job)
            return False
        self._show_progress(job, report)
        return True

    def _finish(self, key: str, job: dict[str, Any], code: int | None) -> None:
        part = self.folder / f"{key}.{job['attempt']}.part.mp4"
        video = self.folder / f"{key}.mp4"
        # A program stopped right after taking the part has left it under its final name.
        if not part.is_file() and video.is_file():
            part = video
        # One read: the result probed and hashed (as media sources examine a file).
        examined = examine(part) if part.is_file() else {}
        facts = video_facts(examined) if examined.get("verdict") == "ok" else None
        if code not in (None, 0) or facts is None or facts.video_codec != "h264" \
                or facts.duration < job["duration"] * 0.9 - 0.5:
            self._failed(key, job, f"ffmpeg ended with code {code}, result {facts}: "
                                   f"{self._errors(key, job['attempt'])}")
            return
        size = part.stat().st_size
        if not fits(size, job["limit_mb"]):
            log.warning("conversion of %s is %d bytes, over the limit", job["name"], size)
            self.ledger.put_conversion(key, "failed", {**job, "note": too_large_after_conversion(
                job["name"], size, job["limit_mb"])})
            return
        os.replace(part, video)
        poster = self.folder / f"{key}.jpg"
        ffmpeg.poster(video, facts, poster)
        self._record_result(key, {"sha256": examined["sha256"], "size": size,
                                  "video": asdict(facts)})
        self.ledger.put_conversion(key, "done", {**job, "finished": time.time()})
        self._sweep(key)
        log.info("video %s converted for the website: %dx%d H.264, %.1f MB, in %s", job["name"],
                 facts.width, facts.height, size / 1e6,
                 duration_text(time.time() - job["started"]))

    def _record_result(self, key: str, result: dict[str, Any]) -> None:
        """`<key>.json`, written last: from here on the conversion is done."""
        write_atomic(self.folder / f"{key}.json", json.dumps(result).encode())

    def _failed(self, key: str, job: dict[str, Any], why: str) -> None:
        failures = job["failures"] + 1
        log.error("converting video %s failed (attempt %d): %s", job["name"], job["attempt"], why)
        if failures < MAX_FAILURES:
            self.ledger.put_conversion(key, "queued", {**job, "failures": failures})
        else:
            self.ledger.put_conversion(key, "failed", {**job, "failures": failures, "note":
                                                       FAILED.format(name=job["name"],
                                                                     why="ffmpeg gagal")})
        self._sweep(key)

    def _done(self, key: str, source: MediaFile) -> MediaFile | None:
        try:
            result = json.loads((self.folder / f"{key}.json").read_bytes())
            video = self.folder / f"{key}.mp4"
            if video.stat().st_size != result["size"]:
                return None
        except (OSError, ValueError, KeyError):
            return None
        poster = self.folder / f"{key}.jpg"
        return MediaFile(name=str(Path(source.name).with_suffix(".mp4")), path=video,
                         kind="video", mime="video/mp4", size=result["size"],
                         sha256=result["sha256"], video=VideoFacts(**result["video"]),
                         poster=poster if poster.is_file() else None)

    def _poster_as_is(self, media: MediaFile) -> Path | None:
        poster = self.folder / f"poster-{media.sha256[:32]}.jpg"
        if poster.is_file():
            return poster
        if not self.start:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        assert media.video is not None
        return poster if ffmpeg.poster(media.path, media.video, poster) else None

    # -- files -------------------------------------------------------------------------------

    def _progress(self, key: str, attempt: int) -> dict[str, str]:
        """The last whole report in ffmpeg's `-progress` file: `key=value` lines, each report
        ending with `progress=continue` or, the last one, `progress=end`."""
        try:
            text = (self.folder / f"{key}.{attempt}.progress").read_text("utf-8", "replace")
        except OSError:
            return {}
        last: dict[str, str] = {}
        report: dict[str, str] = {}
        for line in text.splitlines():
            name, _, value = line.partition("=")
            report[name.strip()] = value.strip()
            if name == "progress":
                last, report = report, {}
        return last

    def _show_progress(self, job: dict[str, Any], report: dict[str, str]) -> None:
        try:
            done = int(report["out_time_us"]) / 1e6
            speed = float(report.get("speed", "0x").rstrip("x") or 0)
        except (KeyError, ValueError):
            log.info("converting video %s: starting", job["name"])
            return
        total = max(job["duration"], 0.1)
        left = f", about {duration_text((total - done) / speed)} left" if speed > 0 else ""
        log.info("converting video %s: %d%% (%s of %s)%s", job["name"],
                 min(100, int(100 * done / total)), duration_text(done), duration_text(total),
                 left)

    def _errors(self, key: str, attempt: int) -> str:
        try:
            text = (self.folder / f"{key}.{attempt}.log").read_text("utf-8", "replace")
        except OSError:
            return ""
        return " / ".join(text.strip().splitlines()[-3:])

    def _mtime(self, key: str, attempt: int, suffix: str) -> float:
        try:
            return (self.folder / f"{key}.{attempt}.{suffix}").stat().st_mtime
        except OSError:
            return 0.0

    def _sweep(self, key: str) -> None:
        """Remove the files of this conversion's attempts that no ffmpeg of ours writes."""
        for path in self.folder.glob(f"{key}.*.*"):
            name = path.name
            attempt = name[len(key) + 1:].split(".", 1)[0]
            if attempt.isdigit() and (key, int(attempt)) not in self._children:
                try:
                    path.unlink()
                except OSError:     # held open (Windows): the next sweep takes it
                    pass

