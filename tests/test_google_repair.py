"""`init` on an existing Google agenda repairs what `check` asks it for (a deleted `Riwayat`, a
missing optional column such as `Pratinjau`), keeps every cell of data, does it once, and
refuses with the precise change to make what only a person can fix. Against the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.agenda.cells import column_letter
from automation.agenda.google_init import init_google, store_of
from automation.core import schema as S
from automation.ports import RowWrite
from tests.fakes.google import SERVICE_ACCOUNT, FakeGoogle
from tests.support.google_workspace import GoogleAgenda
from tests.support.workspace import NOW, approved, row

SHEET = "Buku Agenda"


@pytest.fixture
def office(fake: FakeGoogle, credentials: Path, tmp_path: Path) -> GoogleAgenda:
    """A prepared agenda (init), two rows logged and taken in by a cycle."""
    office = GoogleAgenda(tmp_path / "ws", [row("Berita Satu"), approved("Berita Dua")], fake=fake)
    office.take_in(NOW)
    return office


def everything(office: GoogleAgenda, sheet: str = SHEET) -> list[list]:
    """A worksheet's cells as entered (formulas as text)."""
    return office.fake.values(office.spreadsheet_id, "'" + sheet + "'", render="FORMULA")


def run_init(office: GoogleAgenda) -> tuple[int, str, str]:
    out: list[str] = []
    err: list[str] = []
    code = init_google(office.cfg, out=out.append, err=err.append)
    return code, "\n".join(out), "\n".join(err)


def sheet_id(office: GoogleAgenda, title: str) -> int:
    return office.fake.sheet_properties(office.spreadsheet_id, title)["sheetId"]


def drop_column(office: GoogleAgenda, header: str) -> None:
    """The owner deletes a column (as an agenda made before that column existed)."""
    col = office.headers().index(header)
    office.fake.apply(office.spreadsheet_id, [{"deleteDimension": {"range": {
        "sheetId": sheet_id(office, SHEET), "dimension": "COLUMNS", "startIndex": col,
        "endIndex": col + 1}}}])


def widen(office: GoogleAgenda, columns: int) -> None:
    """The owner adds empty columns at the right end of the agenda's grid."""
    size = office.fake.sheet_properties(office.spreadsheet_id, SHEET)["gridProperties"]["columnCount"]
    office.fake.apply(office.spreadsheet_id, [{"insertDimension": {"range": {
        "sheetId": sheet_id(office, SHEET), "dimension": "COLUMNS", "startIndex": size,
        "endIndex": size + columns}}}])


def test_a_deleted_riwayat_is_reported_by_check_and_put_back_by_init(office: GoogleAgenda) -> None:
    fake, sid = office.fake, office.spreadsheet_id
    assert [h[S.ENTRY_ID] for h in office.history()]          # the cycle wrote to it
    before, protections = everything(office), fake.protected_ranges(sid, SHEET)
    fake.apply(sid, [{"deleteSheet": {"sheetId": sheet_id(office, S.HISTORY_SHEET)}}])

    problems = store_of(office.cfg).check()
    assert len(problems) == 1
    assert f"worksheet '{S.HISTORY_SHEET}' is missing" in problems[0]
    assert "python main.py init" in problems[0]

    code, out, err = run_init(office)
    assert (code, err) == (0, "")
    assert f"worksheet '{S.HISTORY_SHEET}' added" in out
    assert store_of(office.cfg).check() == []
    assert fake.values(sid, f"'{S.HISTORY_SHEET}'!1:1") == [list(S.HISTORY_HEADERS)]
    (guard,) = fake.protected_ranges(sid, S.HISTORY_SHEET)
    assert set(guard["range"]) == {"sheetId"} and SERVICE_ACCOUNT in guard["editors"]["users"]
    assert everything(office) == before                        # the agenda: every cell kept
    assert fake.protected_ranges(sid, SHEET) == protections

    fake.clear_log()
    assert run_init(office)[0] == 0
    assert fake.sheets_writes == 0                             # nothing more to do
    office.cycle(NOW.replace(hour=10))                         # the program carries on
    office.edit("Berita Satu", **{S.PARAF_KADIS: True})
    office.cycle(NOW.replace(hour=11))
    assert "Paraf Kadis" in [h["Peristiwa"] for h in office.history()]


def test_init_adds_a_missing_pratinjau_column_at_the_end_and_only_once(office: GoogleAgenda) -> None:
    fake, sid = office.fake, office.spreadsheet_id
    drop_column(office, S.PREVIEW)
    headers = office.headers()
    assert S.PREVIEW not in headers
    before = everything(office)
    assert store_of(office.cfg).check() == []                  # optional: not a problem

    code, out, err = run_init(office)
    assert (code, err) == (0, "")
    assert f"'{S.PREVIEW}' added after the last column" in out
    after = everything(office)
    assert after[0] == before[0] + [S.PREVIEW]                 # appended, nothing moved
    assert after[1:] == before[1:]                             # every data cell as it was
    col = len(headers)
    guard = [p for p in fake.protected_ranges(sid, SHEET)
             if p["range"].get("startColumnIndex", 0) == col]
    assert len(guard) == 1 and guard[0]["description"].startswith(S.PREVIEW)
    assert fake.dimension_properties(sid, SHEET)[col]["pixelSize"] > 0
    assert store_of(office.cfg).check() == []

    fake.clear_log()
    code, out, _ = run_init(office)
    assert code == 0 and "already prepared; nothing changed" in out
    assert fake.sheets_writes == 0
    assert everything(office) == after


def test_the_new_column_goes_right_of_cells_in_use_without_a_header(office: GoogleAgenda) -> None:
    """An office note typed right of the last header stays where it is, under no header."""
    fake, sid = office.fake, office.spreadsheet_id
    drop_column(office, S.PREVIEW)
    width = len(office.headers())
    widen(office, 1)
    note = f"'{SHEET}'!{column_letter(width)}3"
    fake.edit(sid, note, [["catatan kantor"]], input="RAW")
    before = everything(office)
    assert run_init(office)[0] == 0
    header = everything(office)[0]
    assert header[width] == "" and header[width + 1] == S.PREVIEW
    assert fake.cell(sid, note).value == "catatan kantor"
    assert everything(office)[1:] == before[1:]


def test_before_init_a_missing_optional_column_is_simply_not_written(office: GoogleAgenda) -> None:
    fake, sid = office.fake, office.spreadsheet_id
    drop_column(office, S.PREVIEW)
    store = store_of(office.cfg)
    sheet = store.read()
    id_col = sheet.header.index(S.ENTRY_ID)
    entry_id = sheet.rows[0][id_col]
    report = store.write([RowWrite(entry_id, 2, {S.PREVIEW: "https://pratinjau/",
                                                 S.SYSTEM_NOTE: "dicek"})], [])
    assert report.written == (entry_id,)
    assert fake.cell(sid, f"'{SHEET}'!{column_letter(sheet.header.index(S.SYSTEM_NOTE))}2"
                     ).value == "dicek"
    assert S.PREVIEW not in office.headers()


@pytest.mark.parametrize("change, expected", [
    ("missing", f"add a column headed '{S.SOURCE}' in row 1"),
    ("duplicated", f"header '{S.STATUS}' is in columns"),
])
def test_what_only_a_person_can_fix_is_refused_precisely_and_nothing_changes(
        office: GoogleAgenda, change: str, expected: str) -> None:
    fake, sid = office.fake, office.spreadsheet_id
    fake.apply(sid, [{"deleteSheet": {"sheetId": sheet_id(office, S.HISTORY_SHEET)}}])
    headers = office.headers()
    if change == "missing":
        drop_column(office, S.SOURCE)
    else:
        widen(office, 1)
        fake.edit(sid, f"'{SHEET}'!{column_letter(len(headers))}1", [[S.STATUS]], input="RAW")
    before, version = everything(office), fake.drive_file(sid)["version"]
    problems = "\n".join(store_of(office.cfg).check())
    assert (S.SOURCE if change == "missing" else S.STATUS) in problems

    fake.clear_log()
    for _ in range(2):                        # the same answer each time: no loop, no change
        code, out, err = run_init(office)
        assert code == 1 and expected in err and "Nothing was changed" in err
        assert "run init again" in err
    if change == "duplicated":
        status = [column_letter(i) for i, h in enumerate(everything(office)[0]) if h == S.STATUS]
        assert f"columns {', '.join(status)}: rename or remove all but one" in err
    assert fake.sheets_writes == 0
    assert everything(office) == before and fake.drive_file(sid)["version"] == version
    with pytest.raises(Exception):            # not even the missing Riwayat was added
        fake.sheet_properties(sid, S.HISTORY_SHEET)
