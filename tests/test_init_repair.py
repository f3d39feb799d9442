"""`init` on an existing .xlsx agenda adds what `check` sends the administrator to it for
(a missing `Riwayat`, missing optional columns), keeps every other byte, and refuses, saying
what to change, what only a person can fix. It never creates a missing media folder."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from automation.agenda.cells import column_letter
from automation.agenda.xlsx_store import XlsxAgenda
from automation.ports import RowWrite
from automation.core import schema as S
from tests.support.config import config_toml
from tests.support.workspace import WITA, Agenda, approved, row

ROOT = Path(__file__).resolve().parent.parent


def main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def values(path: Path) -> dict[str, list[list]]:
    """Every worksheet's cell values as calamine reads them."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names}


def check_line(output: str, item: str) -> str:
    found = [line for line in output.splitlines() if line.split(None, 1)[-1].startswith(item)]
    assert len(found) == 1, output
    return found[0]


def without(agenda: Agenda, header: str) -> None:
    """The agenda as it was before the program knew `header` (its column deleted)."""
    book = openpyxl.load_workbook(agenda.path)
    ws = book["Buku Agenda"]
    ws.delete_cols([c.value for c in ws[1]].index(header) + 1)
    book.save(agenda.path)


@pytest.fixture
def office(tmp_path: Path) -> Agenda:
    return Agenda(tmp_path, [approved("Gubernur Resmikan Jembatan"), row("Rapat Koordinasi")])


def test_a_deleted_riwayat_is_named_by_check_and_added_back_by_init(office):
    office.cycle()
    book = openpyxl.load_workbook(office.path)
    del book[S.HISTORY_SHEET]
    book.save(office.path)
    before = parts(office.path)

    checked = main("check", cwd=office.folder)
    assert checked.returncode == 1
    assert check_line(checked.stdout, "Worksheets").startswith("PROBLEM")
    assert "'Riwayat'" in check_line(checked.stdout, "Worksheets")
    assert "init" in check_line(checked.stdout, "Worksheets")

    done = main("init", cwd=office.folder)
    assert done.returncode == 0, done.stderr
    assert "Riwayat" in done.stdout

    checked = main("check", cwd=office.folder)
    assert check_line(checked.stdout, "Worksheets").startswith("OK"), checked.stdout
    book = openpyxl.load_workbook(office.path)
    assert [c.value for c in book[S.HISTORY_SHEET][1]] == list(S.HISTORY_HEADERS)
    assert book[S.HISTORY_SHEET]["A1"].font.b
    after = parts(office.path)
    # The agenda worksheet and every other part keep their bytes; only the parts that
    # register the new worksheet (and styles, for its bold header) change.
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/styles.xml"}
    assert len(set(after) - set(before)) == 1

    again = main("init", cwd=office.folder)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert parts(office.path) == after
    # The program goes on writing its history there.
    office.edit("Rapat Koordinasi", **{S.PARAF_KADIS: True})
    office.cycle()
    assert any(h["Peristiwa"] == S.PARAF_KADIS for h in office.history())


def test_a_missing_pratinjau_is_added_right_of_the_last_header_keeping_every_cell(office):
    without(office, S.PREVIEW)
    book = openpyxl.load_workbook(office.path)
    ws = book["Buku Agenda"]
    last = ws.max_column
    ws.cell(row=1, column=last + 1, value="Catatan Kantor").data_type = "s"
    ws.cell(row=2, column=last + 1, value="milik kantor").data_type = "s"
    ws.cell(row=3, column=last + 2, value="coretan tanpa judul").data_type = "s"
    book.save(office.path)
    report = office.cycle()              # the program works without the optional column
    assert not report.write_error
    assert office.by_title("Gubernur Resmikan Jembatan")[S.STATUS] == "Tayang"
    before_values, before = values(office.path), office.path.read_bytes()

    done = main("init", cwd=office.folder)
    assert done.returncode == 0, done.stderr
    assert "'Pratinjau'" in done.stdout

    after_values = values(office.path)
    agenda = after_values["Buku Agenda"]
    # A column with something below an empty header is someone's: the next one is taken.
    where = last + 2
    assert agenda[0][where] == S.PREVIEW
    agenda[0][where] = ""
    trimmed = [r[:len(before_values["Buku Agenda"][0])] for r in agenda]
    assert trimmed == before_values["Buku Agenda"]
    assert all(v == "" for r in agenda for v in r[len(before_values["Buku Agenda"][0]):])
    assert {n: v for n, v in after_values.items() if n != "Buku Agenda"} == \
        {n: v for n, v in before_values.items() if n != "Buku Agenda"}
    header = openpyxl.load_workbook(office.path)["Buku Agenda"].cell(row=1, column=where + 1)
    assert header.font.b                          # looks like the other program headers

    repaired = office.path.read_bytes()
    again = main("init", cwd=office.folder)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert office.path.read_bytes() == repaired
    assert repaired != before
    assert check_line(main("check", cwd=office.folder).stdout, "Headers").startswith("OK")


def test_check_does_not_call_a_missing_optional_column_a_problem(office):
    without(office, S.PREVIEW)
    store = XlsxAgenda(office.path, "Buku Agenda", office.folder / "backup", WITA)
    assert store.check() == []
    checked = main("check", cwd=office.folder)
    assert check_line(checked.stdout, "Headers").startswith("OK"), checked.stdout


def test_init_on_an_agenda_missing_both_adds_both_in_one_write(office):
    without(office, S.PREVIEW)
    book = openpyxl.load_workbook(office.path)
    del book[S.HISTORY_SHEET]
    book.save(office.path)
    store = XlsxAgenda(office.path, "Buku Agenda", office.folder / "backup", WITA)
    added = store.repair(S.agenda_columns(office.cfg.approval.columns))
    assert len(added) == 2
    assert (office.folder / "backup" / office.path.name).exists()
    assert store.repair(S.agenda_columns(office.cfg.approval.columns)) == []
    assert S.PREVIEW in store.read().header
    assert store.history() == []


def test_what_only_a_person_can_fix_is_refused_naming_header_and_row(office):
    book = openpyxl.load_workbook(office.path)
    ws = book["Buku Agenda"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=1, column=headers.index(S.SOURCE) + 1).value = "Sumber"
    ws.cell(row=1, column=ws.max_column + 1, value=" status ").data_type = "s"
    del book[S.HISTORY_SHEET]
    book.save(office.path)
    before = office.path.read_bytes()

    done = main("init", cwd=office.folder)
    assert done.returncode == 1
    assert "'Sumber Berita'" in done.stderr and "row 1" in done.stderr
    assert "'Status'" in done.stderr and "2 times" in done.stderr
    assert "left untouched" in done.stderr
    assert office.path.read_bytes() == before       # Riwayat is not added either


def test_a_missing_agenda_worksheet_is_refused_naming_it(office):
    book = openpyxl.load_workbook(office.path)
    book["Buku Agenda"].title = "Agenda 2026"
    book.save(office.path)
    before = office.path.read_bytes()
    done = main("init", cwd=office.folder)
    assert done.returncode == 1
    assert "'Buku Agenda'" in done.stderr and "'Agenda 2026'" in done.stderr
    assert "agenda.worksheet" in done.stderr
    assert office.path.read_bytes() == before
    checked = main("check", cwd=office.folder)
    assert "rename" in check_line(checked.stdout, "Worksheets")


def test_a_riwayat_spelled_differently_is_refused_not_doubled(office):
    book = openpyxl.load_workbook(office.path)
    book[S.HISTORY_SHEET].title = "Sementara"    # openpyxl would number a case twin
    book["Sementara"].title = "riwayat"
    book.save(office.path)
    before = office.path.read_bytes()
    checked = main("check", cwd=office.folder)
    assert "'riwayat'" in check_line(checked.stdout, "Worksheets")
    assert "rename" in check_line(checked.stdout, "Worksheets")
    done = main("init", cwd=office.folder)
    assert done.returncode == 1 and "'riwayat'" in done.stderr and "rename" in done.stderr
    assert office.path.read_bytes() == before


def test_init_never_creates_a_missing_media_folder(tmp_path):
    (tmp_path / "config.toml").write_text(config_toml(media={"base_dir": "share/media"}))
    done = main("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "buku_agenda.xlsx").exists()
    assert not (tmp_path / "share").exists()
    warning = [line for line in done.stderr.splitlines() if "media folder" in line]
    assert warning and "does not exist" in warning[0] and "mount" in warning[0]
    assert str(tmp_path / "share" / "media") in warning[0]
    assert (tmp_path / "state").is_dir()

    (tmp_path / "share" / "media").mkdir(parents=True)
    again = main("init", cwd=tmp_path)
    assert again.returncode == 0 and "media folder" not in again.stderr


def test_until_init_adds_an_optional_column_writes_to_it_are_left_out(office):
    without(office, S.PREVIEW)
    office.cycle()
    entry_id = office.by_title("Rapat Koordinasi")[S.ENTRY_ID]
    store = XlsxAgenda(office.path, "Buku Agenda", office.folder / "backup", WITA)
    report = store.write([RowWrite(entry_id, 3, {S.PREVIEW: "pratinjau/0002-2026-v1.pdf",
                                                 S.SYSTEM_NOTE: "dicek"})], [])
    assert report.written == (entry_id,)
    assert office.by_title("Rapat Koordinasi")[S.SYSTEM_NOTE] == "dicek"
    assert S.PREVIEW not in store.read().header


def test_repair_lists_every_problem_a_person_must_fix_and_changes_nothing(office):
    from automation.agenda.xlsx_store import NeedsPerson
    book = openpyxl.load_workbook(office.path)
    ws = book["Buku Agenda"]
    headers = [c.value for c in ws[1]]
    for header in (S.TITLE, S.RECEIVER):
        ws.cell(row=1, column=headers.index(header) + 1).value = None
    ws.cell(row=1, column=ws.max_column + 1, value=S.ENTRY_ID).data_type = "s"
    book.save(office.path)
    before = office.path.read_bytes()
    store = XlsxAgenda(office.path, "Buku Agenda", office.folder / "backup", WITA)
    with pytest.raises(NeedsPerson) as refused:
        store.repair(S.agenda_columns(office.cfg.approval.columns))
    problems = refused.value.problems
    assert len(problems) == 3
    assert any(f"'{S.TITLE}'" in p and "row 1" in p for p in problems)
    assert any(f"'{S.RECEIVER}'" in p and "row 1" in p for p in problems)
    doubled = next(p for p in problems if f"'{S.ENTRY_ID}'" in p)
    first = column_letter(headers.index(S.ENTRY_ID))
    assert "2 times" in doubled and f"{first}1" in doubled
    assert f"{column_letter(len(headers))}1" in doubled
    assert office.path.read_bytes() == before
