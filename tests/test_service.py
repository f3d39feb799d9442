"""`run` as a service: stopping mid-cycle, failing cycles, the heartbeat (subprocesses)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from automation.core import schema as S
from tests.support.config import config_toml
from tests.support.workspace import Agenda, approved

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start_run(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run"], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def once(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "once"], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def test_sigterm_in_the_middle_of_a_cycle_loses_nothing_and_leaves_nothing_half_done(tmp_path):
    titles = [f"Berita Nomor {n:02d}" for n in range(40)]
    office = Agenda(tmp_path / "office", [approved(t, **{S.MEDIA: f"foto/{n}.jpg"})
                                          for n, t in enumerate(titles)])
    for n in range(40):     # big photos make each publication take a while (resized on copy)
        office.photo(f"foto/{n}.jpg", colour=(n * 6, 90, 160), size=(3000, 2200))
    runner = start_run(office.folder)
    site = office.cfg.website.output_dir
    try:
        deadline = time.monotonic() + 120
        while len(list(site.glob("*/index.html"))) < 3:
            assert time.monotonic() < deadline and runner.poll() is None, runner.stderr
            time.sleep(0.02)
    finally:
        runner.send_signal(signal.SIGTERM)
        _, err = runner.communicate(timeout=120)
    assert runner.returncode == 0, err
    assert "stop requested: leaving the remaining rows for the next cycle" in err
    assert err.rstrip().endswith("stopped")

    # Every post made before the stop is in the sheet, complete; nothing is half there.
    rows = office.rows()
    live = [r for r in rows if r[S.STATUS] == "Tayang"]
    posts = office.site_posts()
    assert 0 < len(posts) < 40, "the signal must arrive mid-cycle"
    assert {p.name for p in posts} == {r[S.WEBSITE_URL].rstrip("/").rsplit("/", 1)[-1]
                                       for r in live}
    assert all(r[S.ARCHIVE_NUMBER] and r[S.PUBLISHED_AT] for r in live)
    assert not list(site.rglob("*.tmp")) and not list(site.rglob(".*tmp*"))

    # The next run takes up the rest: each row once, archive numbers without gaps.
    done = once(office.folder)
    assert done.returncode == 0, done.stderr
    rows = office.rows()
    assert [r[S.STATUS] for r in rows] == ["Tayang"] * 40
    assert len(office.site_posts()) == 40
    numbers = sorted(int(re.search(r"/(\d{4})/", r[S.ARCHIVE_NUMBER]).group(1)) for r in rows)
    assert numbers == list(range(1, 41))
    history = Counter((h[S.ENTRY_ID], h["Peristiwa"]) for h in office.history())
    assert all(history[(r[S.ENTRY_ID], "Tayang")] == 1 for r in rows)


def test_a_cycle_that_cannot_run_never_ends_the_service(tmp_path):
    office = Agenda(tmp_path / "office", [approved("Jembatan")],
                    config=config_toml(poll_interval_seconds=1))
    good = office.path.read_bytes()
    office.path.write_bytes(b"this is not a workbook")        # someone saved garbage
    runner = start_run(office.folder)
    try:
        log = office.cfg.state_dir / "logs" / "agenda.log"
        deadline = time.monotonic() + 60
        while "cycle could not run" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.1)
        office.path.write_bytes(good)                          # and puts it right again
        while office.rows()[0][S.STATUS] != "Tayang":
            assert time.monotonic() < deadline + 60 and runner.poll() is None
            time.sleep(0.2)
    finally:
        runner.send_signal(signal.SIGTERM)
        _, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    sheet = {r[0]: r[1] for r in office._book()["Status Program"].iter_rows(values_only=True)}
    # What went wrong stays visible in the sheet for whoever looks, with the fix.
    assert "cannot be read as .xlsx" in sheet["Kesalahan terakhir"]
    assert "restore it from" in sheet["Kesalahan terakhir"]


def test_ctrl_c_stops_the_service_cleanly(tmp_path):
    office = Agenda(tmp_path / "office", [approved("Jembatan")])
    runner = start_run(office.folder)
    try:
        deadline = time.monotonic() + 60
        while office.rows()[0][S.STATUS] != "Tayang":
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.1)
    finally:
        runner.send_signal(signal.SIGINT)
        _, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert "signal 2 received" in err and err.rstrip().endswith("stopped")
    assert "Traceback" not in err
