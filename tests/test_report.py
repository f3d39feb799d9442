"""`report --month` end to end (SPEC section 7): real cycles on an .xlsx workspace make the
events, the command line makes the recap, and the recap is read back as a person opens it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from automation.core import schema as S
from tests.support.config import config_toml
from tests.support.workspace import WITA, Agenda, row

ROOT = Path(__file__).resolve().parent.parent
PENERIMAAN, KADIS, KABID = ("1. Penerimaan berita (Petugas)", "2. Paraf Kadis", "3. Paraf Kabid")
INPUT, ARSIP = "4. Input ke website (Operator)", "5. Pengarsipan (Kasi)"


def main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def at(day: int, hh: int, mm: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=WITA)


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Agenda:
    """A November worked through by real cycles (times WITA):

    3 Nov 09:00  A, B, C logged complete        Diterima + Lengkap          step 1: 0 each
          09:05  Kadis ticks A, B, C            Paraf Kadis                 step 2: 5 each
          09:15  Kabid ticks A (published at    Paraf Kabid, Tayang         A step 3: 10, 4: 0
                 once), C is rejected           Ditolak                     C step 3: 10
          09:18  Kabid ticks B (published)      Paraf Kabid, Tayang         B step 3: 13, 4: 0
          09:30  Kasi files A                   Diarsipkan                  A step 5: 15
    4 Nov 10:00  A rejected after publication   Ditarik (withdrawn)
    1 Dec 08:00  Kasi files B                   Diarsipkan: a December step
    """
    agenda = Agenda(tmp_path_factory.mktemp("report"), [
        row("Berita A"),
        row("Berita B", **{S.NEWS_TYPE: "Pengumuman", S.SOURCE: "Dinas Kesehatan"}),
        row("Berita C"),
    ])
    agenda.cycle(at(3, 9, 0))
    for title in ("Berita A", "Berita B", "Berita C"):
        agenda.edit(title, **{S.PARAF_KADIS: True})
    agenda.cycle(at(3, 9, 5))
    agenda.edit("Berita A", **{S.PARAF_KABID: True})
    agenda.edit("Berita C", **{S.REJECTED: True})
    agenda.cycle(at(3, 9, 15))
    agenda.edit("Berita B", **{S.PARAF_KABID: True})
    agenda.cycle(at(3, 9, 18))
    agenda.edit("Berita A", **{S.PAPER_FILED: True})
    agenda.cycle(at(3, 9, 30))
    agenda.edit("Berita A", **{S.REJECTED: True})
    agenda.cycle(at(4, 10, 0))
    agenda.edit("Berita B", **{S.PAPER_FILED: True})
    agenda.cycle(at(1, 8, 0, month=12))
    statuses = {r[S.TITLE]: r[S.STATUS] for r in agenda.rows()}
    assert statuses == {"Berita A": "Ditarik", "Berita B": "Diarsipkan", "Berita C": "Ditolak"}
    return agenda


def values(sheet) -> list[tuple]:
    """Every row as values, trailing empty cells dropped (what a person sees)."""
    out = []
    for cells in sheet.iter_rows(values_only=True):
        cells = list(cells)
        while cells and cells[-1] is None:
            cells.pop()
        out.append(tuple(cells))
    while out and not out[-1]:
        out.pop()
    return out


def table(sheet, title: str) -> dict[str, tuple]:
    """The table under a section title: first column -> the other columns (header included)."""
    rows = values(sheet)
    start = rows.index((title,)) + 1
    found = {}
    for cells in rows[start:]:
        if not cells or len(cells) == 1:         # a blank line or a note ends the table
            break
        found[cells[0]] = cells[1:]
    return found


@pytest.fixture(scope="module")
def november(office):
    """The November recap, run from elsewhere; what the agenda showed before it."""
    before = (values(openpyxl.load_workbook(office.path)["Buku Agenda"]), office.history())
    done = main("--config", str(office.folder / "config.toml"), "report", "--month", "2026-11",
                cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done, before


def copy_of(office: Agenda, folder: Path) -> Path:
    """The workspace copied, so a test can run the program on it without touching others'."""
    shutil.copytree(office.folder, folder)
    return folder


def test_the_command_says_where_the_recap_is_and_sums_it_up(office, november):
    path = office.folder / "reports" / "rekap-2026-11.xlsx"      # beside the config file
    lines = november[0].stdout.splitlines()
    assert lines[0] == (f"Recap of 2026-11 written to {path} and to worksheet 'Rekap' in "
                        "the agenda")
    assert lines[1] == "Releases: 3 received, 2 published, 1 rejected, 1 withdrawn."
    assert lines[2].startswith("Median minutes per step: Penerimaan berita (Petugas) 0.0, "
                               "Paraf Kadis 5.0, Paraf Kabid 10.0,")
    assert lines[3].endswith("4 step(s) over the standard (sheet 'Rincian').")
    assert len(lines) == 4


def test_summary_figures(office, november):
    book = openpyxl.load_workbook(office.folder / "reports" / "rekap-2026-11.xlsx")
    summary = book["Ringkasan"]
    assert summary["A1"].value == "Rekap Layanan Informasi Media Online – November 2026"
    assert table(summary, "Jumlah berita") == {
        "Uraian": ("Jumlah",), "Berita diterima": (3,), "Berita tayang": (2,),
        "Berita ditolak": (1,), "Berita ditarik dari website": (1,)}
    steps = table(summary, "Waktu tiap langkah SOP")
    assert steps["Langkah SOP"] == ("Jumlah kasus", "Median (menit)", "Persentil ke-90 (menit)",
                                    "Standar (menit)", "% dalam standar")
    assert steps[PENERIMAAN] == (3, 0, 0, 7, 100)           # 0, 0, 0
    assert steps[KADIS] == (3, 5, 5, 7, 100)                # 5, 5, 5
    # Kabid: A 10, C 10 (rejected), B 13 -> median 10; p90 h = 0.9*2 = 1.8 ->
    # 10 + 0.8*(13-10) = 12.4; none within 7
    assert steps[KABID] == (3, 10, 12.4, 7, 0)
    assert steps[INPUT] == (2, 0, 0, 7, 100)                # A 0, B 0
    assert steps[ARSIP] == (1, 15, 15, 7, 0)                # A 15; B's filing is December's
    # A: received, published, withdrawn; C: received, rejected; B: received, published.
    assert table(summary, "Menurut Jenis Berita") == {
        "Jenis Berita": ("Diterima", "Tayang", "Ditolak", "Ditarik"),
        "Siaran Pers": (2, 1, 1, 1), "Pengumuman": (1, 1, 0, 0), "Jumlah": (3, 2, 1, 1)}
    assert table(summary, "Menurut Sumber Berita") == {
        "Sumber Berita": ("Diterima", "Tayang", "Ditolak", "Ditarik"),
        "Biro Adpim": (2, 1, 1, 1), "Dinas Kesehatan": (1, 1, 0, 0), "Jumlah": (3, 2, 1, 1)}
    assert summary[f"C{_row_of(summary, KABID)}"].number_format == "0.0"


def _row_of(sheet, label: str) -> int:
    return next(c.row for c in sheet["A"] if c.value == label)


def test_charts_show_times_with_the_standard_share_within_and_types(office, november):
    summary = openpyxl.load_workbook(
        office.folder / "reports" / "rekap-2026-11.xlsx")["Ringkasan"]
    times, share, types = summary._charts
    steps_at = _row_of(summary, PENERIMAAN)

    def refs(chart) -> list[str]:
        return [s.val.numRef.f for s in chart.series]

    # Median, 90th percentile and the standard, per step: three series from the step table.
    assert refs(times) == [f"'Ringkasan'!${col}${steps_at}:${col}${steps_at + 4}"
                           for col in "CDE"]
    assert refs(share) == [f"'Ringkasan'!$F${steps_at}:$F${steps_at + 4}"]
    types_at = _row_of(summary, "Siaran Pers")
    assert refs(types) == [f"'Ringkasan'!${col}${types_at}:${col}${types_at + 1}"
                           for col in "BCDE"]


def test_detail_per_release_with_times_over_the_standard_in_red(office, november):
    detail = openpyxl.load_workbook(office.folder / "reports" / "rekap-2026-11.xlsx")["Rincian"]
    header = [c.value for c in detail[3]]
    assert header[:7] == ["No. Agenda", "Judul Berita", "Jenis Berita", "Sumber Berita",
                          "Status", "Diterima", "Tayang"]
    assert header[7:] == [f"{s} (menit)" for s in (PENERIMAAN, KADIS, KABID, INPUT, ARSIP)]
    rows = {r[1].value: r for r in detail.iter_rows(min_row=4) if r[1].value}
    assert list(rows) == ["Berita A", "Berita B", "Berita C"]          # in order of receipt
    a = rows["Berita A"]
    assert [c.value for c in a[:7]] == ["0001/2026", "Berita A", "Siaran Pers", "Biro Adpim",
                                        "Ditarik", "3 November 2026, 09:00 WITA",
                                        "3 November 2026, 09:15 WITA"]
    assert [c.value for c in a[7:]] == [0, 5, 10, 0, 15]
    assert [c.value for c in rows["Berita B"][7:]] == [0, 5, 13, 0, None]
    assert [c.value for c in rows["Berita C"][7:]] == [0, 5, 10, None, None]
    red = {(r, c.column - 8) for r, cells in rows.items() for c in cells[7:]
           if c.fill.fgColor.rgb.endswith("FFC7CE")}
    assert red == {("Berita A", 2), ("Berita A", 4), ("Berita B", 2), ("Berita C", 2)}
    assert detail.freeze_panes == "C4"


def test_the_agenda_gets_the_same_summary_as_plain_values(office, november):
    report = openpyxl.load_workbook(office.folder / "reports" / "rekap-2026-11.xlsx")
    agenda = openpyxl.load_workbook(office.path)
    assert "Rekap" in agenda.sheetnames
    assert values(agenda["Rekap"]) == values(report["Ringkasan"])
    assert not agenda["Rekap"]._charts
    rows, history = november[1]         # nothing else in the agenda changed
    assert values(agenda["Buku Agenda"]) == rows and office.history() == history


def test_riwayat_alone_gives_the_same_figures_when_the_ledger_is_lost(office, november,
                                                                        tmp_path):
    copy = copy_of(office, tmp_path / "kantor")
    shutil.rmtree(copy / "state")
    done = main("report", "--month", "2026-11", cwd=copy)
    assert done.returncode == 0, done.stderr
    before, after = (values(openpyxl.load_workbook(folder / "reports" / "rekap-2026-11.xlsx")
                            ["Ringkasan"]) for folder in (office.folder, copy))
    assert after[2:] == before[2:]          # row 2 says when it was made


def test_december_counts_the_filing_that_ended_in_december(office, tmp_path):
    copy = copy_of(office, tmp_path / "kantor")
    done = main("report", "--month", "2026-12", cwd=copy)
    assert done.returncode == 0, done.stderr
    summary = openpyxl.load_workbook(copy / "reports" / "rekap-2026-12.xlsx")["Ringkasan"]
    steps = table(summary, "Waktu tiap langkah SOP")
    # B: published 3 Nov 09:18, filed 1 Dec 08:00 = 27 days 22 h 42 min = 40242 minutes.
    assert steps[ARSIP] == (1, 40242, 40242, 7, 0)
    assert steps[KADIS][:3] == (0, None, None)
    assert "Releases: 0 received, 0 published, 0 rejected, 0 withdrawn." in done.stdout


@pytest.mark.parametrize("month", ["2026-13", "November", "2026-1"])
def test_a_bad_month_exits_2_saying_the_expected_form(office, month):
    done = main("report", "--month", month, cwd=office.folder)
    assert done.returncode == 2
    assert "--month must look like 2026-11" in done.stderr


def test_an_unreachable_agenda_exits_1(tmp_path):
    (tmp_path / "config.toml").write_text(config_toml(None, agenda={"path": "hilang.xlsx"}))
    done = main("report", "--month", "2026-11", cwd=tmp_path)
    assert done.returncode == 1 and "recap could not be made" in done.stderr
    assert not (tmp_path / "reports").exists()


def test_on_a_google_sheet_the_recap_goes_into_a_protected_rekap_worksheet(tmp_path, monkeypatch):
    from automation.report import make_report
    from tests.fakes.google import FakeGoogle
    from tests.support.google_workspace import GoogleAgenda

    with FakeGoogle() as fake:
        monkeypatch.setenv("AGENDA_GOOGLE_API_BASE", fake.base_url)
        agenda = GoogleAgenda(tmp_path / "kantor", [row("Berita A")], fake=fake)
        agenda.cycle(at(3, 9, 0))
        agenda.edit("Berita A", **{S.PARAF_KADIS: True})
        agenda.cycle(at(3, 9, 5))
        agenda.edit("Berita A", **{S.PARAF_KABID: True})
        agenda.cycle(at(3, 9, 15))
        assert agenda.by_title("Berita A")[S.STATUS] == "Tayang"

        fake.clear_log()
        result = make_report(agenda.cfg, 2026, 11, at(30, 17, 0))
        assert result.sheet_error in ("", None)
        summary = values(openpyxl.load_workbook(result.path)["Ringkasan"])
        rekap = fake.values(agenda.spreadsheet_id, "Rekap")
        # The same table, as plain values, in the agenda (numbers may come back as floats).
        assert [[str(c) for c in r if c not in ("", None)] for r in rekap][3:] == \
            [[str(c) for c in r if c is not None] for r in summary][3:]
        steps = table(openpyxl.load_workbook(result.path)["Ringkasan"], "Waktu tiap langkah SOP")
        assert steps[KADIS][:2] == (1, 5) and steps[KABID][:2] == (1, 10)
        # People can read the recap worksheet, not change it.
        with pytest.raises(Exception, match="protected"):
            fake.edit(agenda.spreadsheet_id, "Rekap!A1", [["diubah"]], user="staf@example.go.id")
        print(f"\nrequests of `report` on Google: {fake.sheets_reads} Sheets reads, "
              f"{fake.sheets_writes} writes")
