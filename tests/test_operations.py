"""What an administrator sees operating the program: `run`'s log, `check`'s lines, who holds
the lock, commands that work when pasted, and a dry run that leaves nothing behind."""

from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation import cli
from automation.core import schema as S
from tests.support.workspace import Agenda, approved, row

ROOT = Path(__file__).resolve().parent.parent
WITA = ZoneInfo("Asia/Makassar")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `folder`: relative name -> (size, mtime in ns)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.stat()
            found[str(path.relative_to(folder))] = (info.st_size if path.is_file() else 0,
                                                     info.st_mtime_ns)
    return found


@pytest.fixture
def office(tmp_path):
    return Agenda(tmp_path / "kantor", [approved("Gubernur Resmikan Jembatan"),
                                        row("Rapat Koordinasi")])


# -- once --dry-run ------------------------------------------------------------------------------

def test_a_dry_run_on_a_fresh_workspace_leaves_nothing_behind(office):
    before, agenda = listing(office.folder), office.path.read_bytes()
    assert not office.cfg.state_dir.exists()
    done = main("--config", str(office.folder / "config.toml"), "once", "--dry-run", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "[dry run]" in done.stdout and "Gubernur Resmikan Jembatan" in done.stdout
    assert listing(office.folder) == before           # no state, log, ledger, lock, site
    assert office.path.read_bytes() == agenda


def test_a_dry_run_reads_the_ledger_but_does_not_change_it(office):
    assert main("once", cwd=office.folder).returncode == 0
    office.edit("Rapat Koordinasi", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    state = office.cfg.state_dir
    before = {name: (state / name).read_bytes() for name in ("ledger.sqlite3", "agenda.lock")}
    agenda = office.path.read_bytes()
    done = main("once", "--dry-run", cwd=office.folder)
    assert done.returncode == 0, done.stderr
    # Planned from the real ledger: the row published before is not planned again.
    assert "Rapat Koordinasi" in done.stdout and "Gubernur Resmikan Jembatan" not in done.stdout
    assert {n: (state / n).read_bytes() for n in before} == before
    assert office.path.read_bytes() == agenda
    assert not (state / "agenda.lock.owner").exists()


# -- commands printed for a person ---------------------------------------------------------------

def _printed(stdout: str, command: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines()
            if "main.py" in line and line.rstrip().endswith(f" {command}")]


@pytest.mark.parametrize("where", ["inside the project", "elsewhere"])
def test_the_commands_the_demo_prints_work_when_pasted(tmp_path, where):
    cwd = ROOT if where == "inside the project" else tmp_path
    target = tmp_path / "demo-ws" if cwd == ROOT else Path("demo-ws")
    done = main("demo", str(target), cwd=cwd)
    assert done.returncode == 0, done.stderr
    [once] = _printed(done.stdout, "once")
    assert "--config" in once
    assert os.path.abspath(os.path.join(cwd, shlex.split(once)[0])) == os.path.abspath(sys.executable)
    if cwd == ROOT and Path(sys.executable).is_relative_to(ROOT):
        assert once.startswith(str(Path(sys.executable).relative_to(ROOT)) + " main.py ")
    pasted = subprocess.run(shlex.split(once), cwd=cwd, capture_output=True, text=True,
                            timeout=300)
    assert pasted.returncode == 0, pasted.stderr
    [check] = _printed(done.stdout, "check")
    assert subprocess.run(shlex.split(check), cwd=cwd, capture_output=True,
                          timeout=300).returncode == 0


def test_command_line_uses_this_interpreter_and_the_config_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    line = cli.command_line("once", config="demo ws/config.toml")
    words = shlex.split(line)
    assert os.path.abspath(words[0]) == os.path.abspath(sys.executable)
    assert words[1:] == ["main.py", "--config", "demo ws/config.toml", "once"]
    assert shlex.split(cli.command_line("check", config="config.toml"))[1:] == ["main.py", "check"]
    monkeypatch.chdir(tmp_path)
    words = shlex.split(cli.command_line("run"))
    assert words[1] == str(ROOT / "main.py") and Path(words[0]).is_absolute()


def test_adapter_messages_get_commands_that_work_here(office, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = cli._pasteable("run `python main.py init` (it adds what is missing)", office.cfg)
    expected = cli.command_line("init", config=office.cfg.source)
    assert text == f"run `{expected}` (it adds what is missing)"


# -- check -----------------------------------------------------------------------------------------

def test_check_prints_a_line_per_item_and_creates_nothing(office):
    before = listing(office.folder)
    done = main("check", cwd=office.folder)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "All well."
    assert all(re.match(r"(OK|PROBLEM) +\S", line) for line in lines[:-1]), lines
    items = [re.match(r"\S+ +([^:]+):", line).group(1) for line in lines[:-1]]
    order = ["Configuration", "Agenda", "Worksheets", "Headers", "Media", "Videos", "Pratinjau",
             "Website", "Notifications", "Heartbeat", "Service"]
    assert [next(o for o in order if i.startswith(o)) for i in items] == order
    assert "no `run` is active" in done.stdout
    videos = next(line for line in lines if line.split()[1] == "Videos:")
    assert videos.startswith("OK") and "ffmpeg version" in videos
    assert not office.cfg.state_dir.exists()           # no state folder, log, ledger, lock
    after = listing(office.folder)
    after.pop("site", None)         # the static site's check proves it can write its folder
    assert after == before


def test_check_names_each_problem_on_its_line_and_fails(office):
    config = office.folder / "config.toml"
    config.write_text(config.read_text().replace('base_dir = "media"', 'base_dir = "hilang"'))
    office.path.unlink()
    done = main("check", cwd=office.folder)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    agenda = next(line for line in lines if " Agenda " in line)
    assert agenda.startswith("PROBLEM") and "does not exist" in agenda
    # The fix it names is a command that works from here, config and all.
    assert "`python main.py init`" not in agenda and "main.py init`" in agenda
    assert any(line.startswith("PROBLEM") and "hilang" in line for line in lines)
    assert next(line for line in lines if "Website" in line).startswith("OK")
    assert "problems" in lines[-1] and "check" in lines[-1]


@POSIX
def test_run_announces_itself_and_a_second_instance_and_check_say_who_runs(office):
    runner = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run"], cwd=office.folder,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    owner = office.cfg.state_dir / "agenda.lock.owner"
    try:
        deadline = time.monotonic() + 60
        while office.by_title("Gubernur Resmikan Jembatan")[S.STATUS] != "Tayang":
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.2)
        assert owner.exists()
        second = main("once", cwd=office.folder)
        assert second.returncode == 1 and "already running" in second.stderr
        assert f"PID {runner.pid}" in second.stderr and "(run)" in second.stderr
        check = main("check", cwd=office.folder)
        service = next(line for line in check.stdout.splitlines() if " Service:" in line)
        assert service.startswith("OK") and f"PID {runner.pid}" in service
        assert "a `run` is active" in service
    finally:
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert not owner.exists()
    banner = next(line for line in err.splitlines() if "starting buku-agenda" in line)
    for part in ("config config.toml", "buku_agenda.xlsx", "media", "site", "every 30 s",
                 "state", f"PID {runner.pid}"):
        assert part in banner, part
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WITA INFO ", banner), banner
    log = (office.cfg.state_dir / "logs" / "agenda.log").read_text(encoding="utf-8")
    assert "starting buku-agenda" in log and " WITA " in log.splitlines()[0]
    # Afterwards nobody holds the lock, and check says so.
    check = main("check", cwd=office.folder)
    assert "no `run` is active now" in check.stdout


# -- pieces ----------------------------------------------------------------------------------------

def test_log_times_are_office_time_with_the_zone():
    formatter = cli.OfficeTimeFormatter(cli.LOG_FORMAT, WITA)
    record = logging.LogRecord("automation", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 1, 7, 4, 5, tzinfo=timezone.utc).timestamp()
    assert formatter.format(record) == "2026-12-01 15:04:05 WITA INFO automation: hello"


def test_idle_cycles_give_one_line_every_few_minutes():
    notes = cli.IdleNotes(WITA, every=300)
    start = datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)
    said = []
    for n in range(40):                     # a cycle every 30 s for 20 minutes, all idle
        said.append(notes.seen(True, start + timedelta(seconds=30 * n), 30.0 * n))
    lines = [s for s in said if s]
    assert len(lines) == 3               # at 5, 10 and 15 minutes
    assert lines[0] == "idle: agenda unchanged, 11 cycles since 15:00 WITA"
    assert notes.seen(False, start + timedelta(minutes=20), 1200.0) is None   # work: reset
    assert notes.seen(True, start + timedelta(minutes=21), 1230.0) is None
