"""The command line as the administrator and the acceptance runs use it (SPEC section 5)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from automation.core import schema as S
from tests.support.config import config_toml
from tests.support.workspace import Agenda, approved, row

ROOT = Path(__file__).resolve().parent.parent


def main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def office(tmp_path):
    return Agenda(tmp_path, [approved("Gubernur Resmikan Jembatan"), row("Rapat Koordinasi")])


def test_once_runs_a_cycle_and_prints_a_line_per_changed_row(office):
    done = main("once", cwd=office.folder)            # config.toml in the working directory
    assert done.returncode == 0, done.stderr
    assert "Gubernur Resmikan Jembatan" in done.stdout and "Tayang" in done.stdout
    assert "Menunggu Paraf Kadis" in done.stdout
    assert office.by_title("Gubernur Resmikan Jembatan")[S.STATUS] == "Tayang"


def test_dry_run_prints_the_plan_and_changes_nothing(office):
    before = office.path.read_bytes()
    done = main("--config", str(office.folder / "config.toml"), "once", "--dry-run", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "[dry run]" in done.stdout and "publish" in done.stdout
    assert office.path.read_bytes() == before
    assert not (office.folder / "site").exists()


def test_a_config_error_exits_2_naming_the_key(office):
    (office.folder / "config.toml").write_text(config_toml(None, agenda={"path": 5}))
    done = main("once", cwd=office.folder)
    assert done.returncode == 2 and "agenda.path" in done.stderr


def test_a_missing_header_stops_the_cycle_naming_it(office):
    book = openpyxl.load_workbook(office.path)
    sheet = book["Buku Agenda"]
    for cell in sheet[1]:
        if cell.value == S.SOURCE:
            cell.value = "Sumber"
    book.save(office.path)
    done = main("once", cwd=office.folder)
    assert done.returncode == 1
    assert "'Sumber Berita'" in done.stderr
    assert office.by_title("Gubernur Resmikan Jembatan")[S.STATUS] is None


def test_a_duplicated_header_stops_the_cycle_naming_it(office):
    book = openpyxl.load_workbook(office.path)
    sheet = book["Buku Agenda"]
    sheet.cell(row=1, column=sheet.max_column + 1, value=" status ")
    book.save(office.path)
    done = main("once", cwd=office.folder)
    assert done.returncode == 1 and "'Status'" in done.stderr


def test_init_creates_the_agenda_and_never_overwrites(tmp_path):
    (tmp_path / "config.toml").write_text(config_toml(None))
    first = main("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    agenda = tmp_path / "buku_agenda.xlsx"
    headers = [c.value for c in openpyxl.load_workbook(agenda)["Buku Agenda"][1]]
    assert headers == [c.header for c in S.COLUMNS]
    before = agenda.read_bytes()
    again = main("init", cwd=tmp_path)
    assert again.returncode == 0 and agenda.read_bytes() == before

    agenda.write_bytes(b"not a workbook")
    refused = main("init", cwd=tmp_path)
    assert refused.returncode == 1 and "left untouched" in refused.stderr
    assert agenda.read_bytes() == b"not a workbook"


def test_check_reports_each_problem_with_its_fix(office):
    assert main("check", cwd=office.folder).returncode == 0
    (office.folder / "config.toml").write_text(config_toml(media={"base_dir": "hilang"}))
    done = main("check", cwd=office.folder)
    assert done.returncode == 1 and "PROBLEM" in done.stdout and "hilang" in done.stdout


def test_demo_builds_a_workspace_and_publishes(tmp_path):
    done = main("demo", str(tmp_path / "demo"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Tayang" in done.stdout and "Diarsipkan" in done.stdout
    assert (tmp_path / "demo" / "site" / "index.html").exists()
    statuses = {r[S.STATUS] for r in _rows(tmp_path / "demo" / "buku_agenda.xlsx")}
    assert {"Tayang", "Menunggu Paraf Kabid", "Belum Lengkap", "Ditolak", "Diarsipkan"} <= statuses


def _rows(path: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)["Buku Agenda"]
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, v)) for v in sheet.iter_rows(min_row=2, values_only=True) if any(v)]


def test_a_second_instance_on_the_same_state_folder_is_refused(office):
    runner = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run"], cwd=office.folder,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while office.by_title("Gubernur Resmikan Jembatan")[S.STATUS] != "Tayang":
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.2)
        second = main("once", cwd=office.folder)
        assert second.returncode == 1 and "already running" in second.stderr
    finally:
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert "stopped" in err


def test_version_is_printed(office):
    import automation
    done = main("--version", cwd=office.folder)
    assert done.returncode == 0 and done.stdout.strip() == f"buku-agenda {automation.__version__}"
