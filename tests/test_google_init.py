"""`init` for Google and the approval protections of SPEC rule 7, against the stand-in."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from automation import config as config_module
from automation.agenda.cells import column_letter
from automation.agenda.google_init import init_google, store_of
from automation.core import schema as S
from automation.ports import Event
from tests.fakes.google import OWNER, SERVICE_ACCOUNT, FakeGoogle
from tests.support.config import config_toml

KADIS, KABID, STAFF = "kadis@example.go.id", "kabid@example.go.id", "staf@example.go.id"
SHEET = "Buku Agenda"
HEADERS = [c.header for c in S.agenda_columns((S.PARAF_KADIS, S.PARAF_KABID))]
COL = {h: i for i, h in enumerate(HEADERS)}


@pytest.fixture
def sid(fake: FakeGoogle) -> str:
    return fake.add_spreadsheet("Buku Agenda Humas", ["Sheet1"], time_zone="Asia/Makassar")


def make_config(tmp_path: Path, fake: FakeGoogle, sid: str,
                require: bool = True) -> config_module.Config:
    (tmp_path / "credentials.json").write_text(json.dumps(fake.service_account_info()))
    text = config_toml(
        None, timezone="Asia/Makassar", state_dir="state",
        agenda={"backend": "google", "spreadsheet_id": sid, "credentials_file": "credentials.json"},
        approval={"require_protection": require,
                  "editors": {"Paraf Kadis": [KADIS], "Paraf Kabid": [KABID]}})
    (tmp_path / "config.toml").write_text(text)
    return config_module.load(tmp_path / "config.toml")


@pytest.fixture
def cfg(tmp_path: Path, fake: FakeGoogle, sid: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENDA_GOOGLE_API_BASE", fake.base_url)
    return make_config(tmp_path, fake, sid)


def protection_of(fake: FakeGoogle, sid: str, header: str) -> dict:
    col = COL[header]
    found = [p for p in fake.protected_ranges(sid, SHEET)
             if p["range"].get("startColumnIndex") == col]
    assert len(found) == 1
    return found[0]


def test_init_on_an_empty_spreadsheet_builds_everything(fake, sid, cfg, capsys) -> None:
    assert init_google(cfg) == 0
    assert SERVICE_ACCOUNT in capsys.readouterr().out
    writes = [r for r in fake.requests_log if r.api == "sheets" and r.kind == "write"]
    assert len(writes) == 1                                   # one batchUpdate for all of it
    assert fake.values(sid, f"'{SHEET}'!1:1") == [HEADERS]
    assert fake.values(sid, f"'{S.HISTORY_SHEET}'!1:1") == [list(S.HISTORY_HEADERS)]
    props = fake.sheet_properties(sid, SHEET)
    assert props["gridProperties"]["frozenRowCount"] == 1
    assert fake.sheet_properties(sid, S.HISTORY_SHEET)["gridProperties"]["frozenRowCount"] == 1
    letter = {h: column_letter(i) for h, i in COL.items()}
    for tick in (S.PARAF_KADIS, S.PARAF_KABID, S.REJECTED, S.PAPER_FILED):
        assert fake.cell(sid, f"'{SHEET}'!{letter[tick]}2").validation["condition"]["type"] == "BOOLEAN"
    choice = fake.cell(sid, f"'{SHEET}'!{letter[S.NEWS_TYPE]}5").validation["condition"]
    assert choice["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in choice["values"]] == list(cfg.agenda.news_types)
    for date_col in (S.RECEIVED, S.PUBLISHED_AT, S.ARCHIVED_AT):
        fmt = fake.cell(sid, f"'{SHEET}'!{letter[date_col]}3").format["numberFormat"]
        assert fmt["pattern"] == S.DATETIME_FORMAT
    assert fake.cell(sid, f"'{S.HISTORY_SHEET}'!A2").format["numberFormat"]["pattern"] == S.DATETIME_FORMAT
    dims = fake.dimension_properties(sid, SHEET)
    assert dims[COL[S.ENTRY_ID]]["hiddenByUser"] is True
    assert dims[COL[S.TITLE]]["pixelSize"] > dims[COL[S.PARAF_KADIS]]["pixelSize"]
    header_fill = fake.cell(sid, f"'{SHEET}'!{letter[S.STATUS]}1").format["backgroundColor"]
    assert header_fill != fake.cell(sid, f"'{SHEET}'!{letter[S.TITLE]}1").format["backgroundColor"]
    assert "backgroundColor" in fake.cell(sid, f"'{SHEET}'!{letter[S.STATUS]}9").format
    assert fake.cell(sid, f"'{SHEET}'!A1").formula is None
    rules = fake.conditional_formats(sid, SHEET)
    texts = {r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules}
    assert {"Tayang", "Ditolak", "Menunggu "} <= texts
    assert all(r["ranges"][0]["startColumnIndex"] == COL[S.STATUS] for r in rules)
    kadis = protection_of(fake, sid, S.PARAF_KADIS)
    assert {u.lower() for u in kadis["editors"]["users"]} == {KADIS, SERVICE_ACCOUNT, OWNER}
    assert {u.lower() for u in protection_of(fake, sid, S.STATUS)["editors"]["users"]} == \
        {SERVICE_ACCOUNT, OWNER}
    assert store_of(cfg).approval_trust() == ""


def test_a_second_init_changes_nothing(fake, sid, cfg) -> None:
    assert init_google(cfg) == 0
    before = (fake.values(sid, f"'{SHEET}'"), fake.protected_ranges(sid), fake.drive_file(sid)["version"])
    fake.clear_log()
    assert init_google(cfg) == 0
    assert fake.sheets_writes == 0
    assert (fake.values(sid, f"'{SHEET}'"), fake.protected_ranges(sid),
            fake.drive_file(sid)["version"]) == before


def test_only_the_official_can_tick_a_protected_approval_column(fake, sid, cfg) -> None:
    init_google(cfg)
    cell = f"'{SHEET}'!{column_letter(COL[S.PARAF_KABID])}2"
    with pytest.raises(Exception, match="protected"):
        fake.edit(sid, cell, [[True]], user=KADIS)
    with pytest.raises(Exception, match="protected"):
        fake.edit(sid, cell, [[True]], user=STAFF)
    fake.edit(sid, cell, [[True]], user=KABID)
    assert fake.cell(sid, cell).value is True
    fake.edit(sid, f"'{SHEET}'!{column_letter(COL[S.TITLE])}2", [["Judul"]], user=STAFF)


def test_riwayat_is_the_programs_to_write(fake, sid, cfg) -> None:
    init_google(cfg)
    for person in (STAFF, KADIS):
        with pytest.raises(Exception, match="protected"):
            fake.edit(sid, f"'{S.HISTORY_SHEET}'!A5", [["diubah"]], user=person)
    at = datetime(2026, 11, 27, 9, tzinfo=cfg.tz)
    store_of(cfg).write([], [Event("ABC", "Tayang", at, "0001/2026", "https://x/")],
                        recheck_history=False)
    assert fake.values(sid, f"'{S.HISTORY_SHEET}'!B2:D2") == [["ABC", "0001/2026", "Tayang"]]


def test_init_refuses_data_under_wrong_headers(fake, cfg, tmp_path) -> None:
    sid = fake.add_spreadsheet("Lain", [SHEET])
    fake.edit(sid, f"'{SHEET}'!A1", [["Judul", "Isi"], ["a", "b"]])
    cfg = make_config(tmp_path, fake, sid)
    fake.clear_log()
    assert init_google(cfg) == 1
    assert fake.sheets_writes == 0


# ----------------------------------------------------------------------------- approval_trust

def widen(fake: FakeGoogle, sid: str, header: str, **changes) -> None:
    p = protection_of(fake, sid, header)
    p.update(changes)
    fake.apply(sid, [{"updateProtectedRange": {"protectedRange": p, "fields": ",".join(changes)}}])


def test_trust_is_given_by_the_right_protections_in_one_read(fake, sid, cfg) -> None:
    init_google(cfg)
    store = store_of(cfg)
    fake.clear_log()
    store.read()
    assert store.approval_trust() == ""
    assert fake.sheets_reads == 1 and fake.sheets_writes == 0


@pytest.mark.parametrize("change, expected", [
    ("extra editor", f"selain pejabat yang ditetapkan ({STAFF})"),
    ("warning only", "hanya berupa peringatan"),
    ("missing", "tidak dilindungi"),
    ("service account left out", "bukan editor"),
])
def test_a_missing_or_widened_protection_is_named(fake, sid, cfg, change, expected) -> None:
    init_google(cfg)
    if change == "extra editor":
        widen(fake, sid, S.PARAF_KABID, editors={"users": [KABID, STAFF, SERVICE_ACCOUNT]})
    elif change == "warning only":
        widen(fake, sid, S.PARAF_KABID, warningOnly=True)
    elif change == "missing":
        fake.apply(sid, [{"deleteProtectedRange": {
            "protectedRangeId": protection_of(fake, sid, S.PARAF_KABID)["protectedRangeId"]}}])
    else:
        widen(fake, sid, S.PARAF_KABID, editors={"users": [KABID]})
    store = store_of(cfg)
    store.read()
    note = store.approval_trust()
    assert expected in note and "'Paraf Kabid'" in note and "berita belum ditayangkan" in note
    assert "Paraf Kadis" not in note
    assert store_of(cfg).check()                               # check reports it too


def test_without_require_protection_nothing_is_checked(fake, sid, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AGENDA_GOOGLE_API_BASE", fake.base_url)
    cfg = make_config(tmp_path, fake, sid, require=False)
    init_google(cfg)
    widen(fake, sid, S.PARAF_KABID, warningOnly=True)
    fake.clear_log()
    assert store_of(cfg).approval_trust() == ""
    assert fake.requests_log == []


def test_a_cycle_publishes_nothing_and_notes_every_waiting_row_when_widened(
        fake, sid, cfg, tmp_path) -> None:
    from tests.support.workspace import NOW, Agenda, approved, row

    init_google(cfg)
    local = Agenda(tmp_path / "ws", [])
    people = [approved("Berita Satu"), approved("Berita Dua"), row("Belum Diparaf")]
    fake.edit(sid, f"'{SHEET}'!A2", [[r.get(h, "") for h in HEADERS] for r in people])
    widen(fake, sid, S.PARAF_KADIS, editors={"users": [KADIS, STAFF, SERVICE_ACCOUNT]})
    local.cycle(NOW, store=lambda _: store_of(cfg))
    assert local.site_posts() == []
    grid = fake.values(sid, f"'{SHEET}'!A2:{column_letter(len(HEADERS) - 1)}4")
    notes = {r[COL[S.TITLE]]: r[COL[S.SYSTEM_NOTE]] if len(r) > COL[S.SYSTEM_NOTE] else ""
             for r in grid}
    for title in ("Berita Satu", "Berita Dua"):
        assert "Kolom 'Paraf Kadis' dapat diubah oleh orang selain pejabat" in notes[title]
    assert "Paraf Kadis" not in notes["Belum Diparaf"]
    statuses = {r[COL[S.TITLE]]: r[COL[S.STATUS]] for r in grid}
    assert "Tayang" not in statuses.values()
    # the protection is put right: the next cycle publishes both
    widen(fake, sid, S.PARAF_KADIS, editors={"users": [KADIS, SERVICE_ACCOUNT]})
    local.cycle(NOW.replace(minute=5), store=lambda _: store_of(cfg))
    assert len(local.site_posts()) == 2


# ----------------------------------------------------------------------------- Google's JSON omits defaults

def first_sheet_agenda(fake: FakeGoogle, tmp_path: Path, headers: list[str] | None = None):
    """An agenda on the spreadsheet's first worksheet (sheetId 0, which Google's JSON leaves
    out of every range on it), optionally with its header row typed already."""
    sid = fake.add_spreadsheet("Buku Agenda Kantor", [SHEET], time_zone="Asia/Makassar")
    if headers:
        fake.edit(sid, f"'{SHEET}'!A1", [headers], input="RAW")
    return sid, make_config(tmp_path, fake, sid)


def test_init_again_and_again_adds_no_protection_twice(fake, cfg, tmp_path) -> None:
    sid, cfg = first_sheet_agenda(fake, tmp_path)
    assert fake.sheet_properties(sid, SHEET)["sheetId"] == 0
    assert init_google(cfg) == 0
    wanted = [c for c in S.agenda_columns(cfg.approval.columns)
              if c.header in cfg.approval.columns or c.role is S.Role.PROGRAM]
    protections = fake.protected_ranges(sid, SHEET)
    assert len(protections) == len(wanted)
    (column_a,) = [p for p in protections if p["range"].get("startColumnIndex", 0) == 0]
    assert column_a["description"].startswith(S.AGENDA_NUMBER)
    for _ in range(2):
        fake.clear_log()
        assert init_google(cfg) == 0
        assert fake.sheets_writes == 0
        assert fake.protected_ranges(sid, SHEET) == protections


def test_trust_with_an_approval_column_in_column_a_of_the_first_worksheet(
        fake, cfg, tmp_path) -> None:
    headers = [S.PARAF_KADIS] + [h for h in HEADERS if h != S.PARAF_KADIS]
    sid, cfg = first_sheet_agenda(fake, tmp_path, headers)
    assert init_google(cfg) == 0
    kadis = [p for p in fake.protected_ranges(sid, SHEET)
             if p["range"].get("startColumnIndex", 0) == 0]
    assert len(kadis) == 1 and kadis[0]["range"] == {"sheetId": 0, "startColumnIndex": 0,
                                                     "endColumnIndex": 1}
    store = store_of(cfg)
    store.read()
    assert store.approval_trust() == ""
    assert store_of(cfg).check() == []
    fake.apply(sid, [{"updateProtectedRange": {"protectedRange": {
        **kadis[0], "editors": {"users": [KADIS, STAFF, SERVICE_ACCOUNT]}}, "fields": "editors"}}])
    store = store_of(cfg)
    store.read()
    note = store.approval_trust()
    assert f"Kolom '{S.PARAF_KADIS}' dapat diubah oleh orang selain pejabat" in note
    assert S.PARAF_KABID not in note


def test_a_reply_without_protections_or_ranges_is_read_as_google_means_it(
        fake, cfg, tmp_path) -> None:
    sid, cfg = first_sheet_agenda(fake, tmp_path, HEADERS)
    # no protections at all: the reply has no `protectedRanges`
    store = store_of(cfg)
    store.read()
    note = store.approval_trust()
    assert "Kolom 'Paraf Kadis' tidak dilindungi" in note and "Kolom 'Paraf Kabid'" in note
    # the whole first worksheet protected for the service account: `"range": {}`
    fake.apply(sid, [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": 0}, "editors": {"users": [SERVICE_ACCOUNT]}}}}])
    store = store_of(cfg)
    store.read()
    assert store.approval_trust() == ""
