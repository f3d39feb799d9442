"""The Google stand-in (tests/fakes/google/), driven by the real client libraries only:
gspread, google-auth and google-api-python-client, set up as production code sets them up."""

from __future__ import annotations

import io
import os
import time
from datetime import datetime

import google.auth.exceptions
import gspread
import pytest
import requests
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from tests.fakes.google import (FOLDER, OWNER, PROTECTED_MESSAGE, SERVICE_ACCOUNT, ApiError,
                               FakeGoogle)

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SHEET = "Buku Agenda"
DRIVE_READONLY = ["https://www.googleapis.com/auth/drive.readonly"]


def serial(day: str) -> int:
    """Sheets' serial number of a date (days since 1899-12-30)."""
    return (datetime.strptime(day, "%d/%m/%Y") - datetime(1899, 12, 30)).days


def loopback_http_client(base_url: str) -> type[gspread.HTTPClient]:
    """What AGENDA_GOOGLE_API_BASE does: both Google hosts replaced, paths unchanged. gspread
    wants a subclass of its HTTPClient (Worksheet checks with isinstance)."""

    class LoopbackHTTPClient(gspread.HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):  # type: ignore[no-untyped-def]
            for host in GOOGLE_HOSTS:
                if endpoint.startswith(host):
                    endpoint = base_url + endpoint[len(host):]
            return super().request(method, endpoint, *args, **kwargs)

    return LoopbackHTTPClient


@pytest.fixture
def agenda(fake: FakeGoogle) -> str:
    return fake.add_spreadsheet("Buku Agenda Humas", [SHEET, "Riwayat"], cols=22)


@pytest.fixture
def gc(fake: FakeGoogle) -> gspread.Client:
    return gspread.service_account_from_dict(
        fake.service_account_info(), http_client=loopback_http_client(fake.base_url))


def drive_service(fake: FakeGoogle, scopes: list[str] = DRIVE_READONLY):  # type: ignore[no-untyped-def]
    credentials = service_account.Credentials.from_service_account_info(
        fake.service_account_info(), scopes=scopes)
    return build("drive", "v3", credentials=credentials, static_discovery=True,
                 client_options={"api_endpoint": fake.base_url + "/drive/v3/"})


# ----------------------------------------------------------------------------- auth

def test_service_account_gets_a_token_through_token_uri(fake: FakeGoogle, agenda: str,
                                                          gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    assert sh.title == "Buku Agenda Humas"
    assert [ws.title for ws in sh.worksheets()] == [SHEET, "Riwayat"]
    assert fake.token_requests == 1
    assert {r.user for r in fake.requests_log if r.api == "sheets"} == {SERVICE_ACCOUNT}


def test_unknown_key_is_refused_with_refresh_error(fake: FakeGoogle, agenda: str) -> None:
    bad = gspread.service_account_from_dict(fake.service_account_info(valid=False),
                                            http_client=loopback_http_client(fake.base_url))
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        bad.open_by_key(agenda)
    assert [r.status for r in fake.requests_log] == [400]


def test_api_requests_need_a_bearer_token(fake: FakeGoogle, agenda: str) -> None:
    reply = requests.get(f"{fake.base_url}/v4/spreadsheets/{agenda}", timeout=5)
    assert reply.status_code == 401
    assert reply.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "invalid_token" in reply.headers["WWW-Authenticate"]


def test_expired_tokens_are_refreshed_by_the_client(fake: FakeGoogle, agenda: str,
                                                      gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    fake.expire_tokens()
    assert sh.worksheet(SHEET).get("A1") == [[]]
    assert fake.token_requests == 2
    assert [r.status for r in fake.requests_log if r.api == "sheets"][-3:] == [401, 200, 200]


def test_revoked_key_keeps_current_token_but_cannot_refresh(fake: FakeGoogle, agenda: str,
                                                             gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    fake.revoke_key()
    sh.worksheet(SHEET).get("A1")
    fake.expire_tokens()
    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid JWT Signature"):
        sh.worksheet(SHEET)


def test_scopes_are_enforced(fake: FakeGoogle, agenda: str) -> None:
    read_only = gspread.service_account_from_dict(
        fake.service_account_info(), scopes=gspread.auth.READONLY_SCOPES,
        http_client=loopback_http_client(fake.base_url))
    ws = read_only.open_by_key(agenda).worksheet(SHEET)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.update([["x"]], "A1")
    assert caught.value.code == 403 and "insufficient authentication scopes" in str(caught.value)


# ----------------------------------------------------------------------------- Sheets values

def test_values_render_options(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    fake.edit(agenda, f"'{SHEET}'!A1", [["No", "Tanggal", "Setuju", "Nilai"],
                                        ["7", "27/11/2026", "TRUE", "1.5"]])
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    unformatted = ws.get("A2:D2", value_render_option="UNFORMATTED_VALUE")
    assert unformatted == [[7, serial("27/11/2026"), True, 1.5]]
    # id_ID formats dates day first and writes a decimal comma
    assert ws.get("A2:D2") == [["7", "27/11/2026", "TRUE", "1,5"]]
    as_text = ws.get("B2", value_render_option="UNFORMATTED_VALUE",
                     date_time_render_option="FORMATTED_STRING")
    assert as_text == [["27/11/2026"]]


def test_trailing_empty_cells_and_rows_are_left_out(fake: FakeGoogle, agenda: str,
                                                    gc: gspread.Client) -> None:
    fake.edit(agenda, f"'{SHEET}'!A1", [["a", "", "c"], ["", "", ""], ["", "e"]])
    sh = gc.open_by_key(agenda)
    reply = sh.values_get(f"'{SHEET}'!A1:V", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert reply["range"] == "'Buku Agenda'!A1:V1000"
    assert reply["values"] == [["a", "", "c"], [], ["", "e"]]
    assert "values" not in sh.values_get("Riwayat!A1:B2")
    assert sh.values_get("Riwayat")["range"] == "Riwayat!A1:V1000"


def test_raw_keeps_text_user_entered_parses_it(fake: FakeGoogle, agenda: str,
                                               gc: gspread.Client) -> None:
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    typed = [["=1+1", "1/2026", "0012", "TRUE", '=IMPORTXML("http://x","//a")', "'=2+2"]]
    ws.batch_update([{"range": "A2:F2", "values": typed}], raw=True)
    assert ws.get("A2:F2", value_render_option="UNFORMATTED_VALUE") == typed
    assert fake.cell(agenda, f"'{SHEET}'!A2").formula is None

    ws.batch_update([{"range": "A3:F3", "values": typed}], raw=False)
    january = (datetime(2026, 1, 1) - datetime(1899, 12, 30)).days
    assert ws.get("A3:F3", value_render_option="UNFORMATTED_VALUE") == [
        [2, january, 12, True, "#NAME?", "=2+2"]]
    assert ws.get("A3:B3", value_render_option="FORMULA") == [["=1+1", january]]
    assert fake.cell(agenda, f"'{SHEET}'!E3").formula == typed[0][4]

    # a column formatted as plain text keeps what is typed, even with USER_ENTERED
    ws.format("K:K", {"numberFormat": {"type": "TEXT"}})
    ws.update([["0012", "=1+1"]], "K4:L4", raw=False)
    assert ws.get("K4:L4", value_render_option="UNFORMATTED_VALUE") == [["0012", 2]]


def test_booleans_round_trip(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    ws.update([[True, False, "TRUE"]], "H2:J2")
    assert ws.get("H2:J2", value_render_option="UNFORMATTED_VALUE") == [[True, False, "TRUE"]]
    assert ws.get("H2:J2") == [["TRUE", "FALSE", "TRUE"]]


def test_sheet_names_with_spaces_and_quotes(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    fake.add_worksheet(agenda, "Rekap 'Nov'")
    ws = gc.open_by_key(agenda).worksheet("Rekap 'Nov'")
    reply = ws.update([["x", 1]], "B2")
    assert reply["updatedRange"] == "'Rekap ''Nov'''!B2:C2"
    assert fake.values(agenda, "'Rekap ''Nov'''!B2:C2") == [["x", 1]]


def test_writes_outside_the_range_or_grid_fail(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        ws.update([["x"]], "W1")
    with pytest.raises(gspread.exceptions.APIError, match="but tried writing to row"):
        ws.update([["x"], ["y"]], "A1:A1")
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range"):
        ws.spreadsheet.values_get("'Nope'!A1")


def test_append_goes_under_the_table(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    fake.edit(agenda, f"'{SHEET}'!A1", [["No"], ["1"], ["2"]])
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    reply = ws.append_rows([[3, "=1+1"]], value_input_option="RAW")
    assert reply["tableRange"] == "'Buku Agenda'!A1:V3"
    assert reply["updates"]["updatedRange"] == "'Buku Agenda'!A4:B4"
    assert fake.values(agenda, f"'{SHEET}'!A4:B4") == [[3, "=1+1"]]
    ws.insert_rows([["1a"]], row=3)  # insertDimension, then an append at the new empty row
    assert fake.values(agenda, f"'{SHEET}'!A1:A5") == [["No"], [1], ["1a"], [2], [3]]
    assert fake.sheet_properties(agenda, SHEET)["gridProperties"]["rowCount"] == 1001


# ----------------------------------------------------------------------------- Sheets structure

def test_batch_update_requests_are_stored(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    sid = sh.worksheet(SHEET).id
    column = {"sheetId": sid, "startRowIndex": 1, "startColumnIndex": 7, "endColumnIndex": 8}
    sh.batch_update({"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
        {"updateDimensionProperties": {"range": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 20,
                                                 "endIndex": 22},
                                       "properties": {"hiddenByUser": True}, "fields": "hiddenByUser"}},
        {"setDataValidation": {"range": column, "rule": {"condition": {"type": "BOOLEAN"}}}},
        {"setDataValidation": {"range": {**column, "startColumnIndex": 6, "endColumnIndex": 7}, "rule": {
            "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Draf"},
                                                            {"userEnteredValue": "Tayang"}]},
            "strict": True, "showCustomUi": True}}},
        {"repeatCell": {"range": {**column, "startColumnIndex": 1, "endColumnIndex": 2},
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}},
                        "fields": "userEnteredFormat.numberFormat"}},
        {"addConditionalFormatRule": {"index": 0, "rule": {"ranges": [column], "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=$H2"}]},
            "format": {"backgroundColor": {"green": 1}}}}}},
    ]})
    assert fake.sheet_properties(agenda, SHEET)["gridProperties"]["frozenRowCount"] == 1
    assert fake.dimension_properties(agenda, SHEET) == {20: {"hiddenByUser": True}, 21: {"hiddenByUser": True}}
    assert fake.cell(agenda, f"'{SHEET}'!H1000").validation == {"condition": {"type": "BOOLEAN"}}
    assert fake.cell(agenda, f"'{SHEET}'!H1").validation is None
    assert fake.cell(agenda, f"'{SHEET}'!G2").validation["strict"] is True
    assert len(fake.conditional_formats(agenda, SHEET)) == 1
    fake.edit(agenda, f"'{SHEET}'!B2", [["27/11/2026"]])
    assert fake.values(agenda, f"'{SHEET}'!B2", render="FORMATTED_VALUE") == [["2026-11-27"]]
    # the same state, read back through the API
    meta = sh.fetch_sheet_metadata(params={"includeGridData": "true", "ranges": f"'{SHEET}'!G2:H2"})
    (sheet,) = meta["sheets"]
    cells = sheet["data"][0]["rowData"][0]["values"]
    assert cells[0]["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    assert cells[1]["dataValidation"] == {"condition": {"type": "BOOLEAN"}}


def test_batch_update_is_all_or_nothing(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    version = fake.drive_file(agenda)["version"]
    with pytest.raises(gspread.exceptions.APIError, match=r"requests\[1\].addSheet: A sheet with the name"):
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "Rekap"}}},
                                      {"addSheet": {"properties": {"title": "riwayat"}}}]})
    assert [ws.title for ws in sh.worksheets()] == [SHEET, "Riwayat"]
    assert fake.drive_file(agenda)["version"] == version


def test_protected_ranges(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    ws = sh.worksheet(SHEET)
    ws.add_protected_range("H2:H", editor_users_emails=[SERVICE_ACCOUNT, "kabid@example.go.id"],
                           description="Paraf Kabid")
    ws.add_protected_range("I2:I", editor_users_emails=["kadis@example.go.id"])
    ws.add_protected_range("J2:J", warning_only=True)
    kabid, kadis, warning = sh.list_protected_ranges(ws.id)
    assert kabid["editors"]["users"] == [SERVICE_ACCOUNT, "kabid@example.go.id", OWNER]
    assert kabid["requestingUserCanEdit"] is True and kabid["description"] == "Paraf Kabid"
    assert "editors" not in kadis and "requestingUserCanEdit" not in kadis  # hidden from non-editors
    assert warning["warningOnly"] is True
    assert fake.protected_ranges(agenda)[1]["editors"]["users"] == ["kadis@example.go.id", OWNER]

    with pytest.raises(gspread.exceptions.APIError, match="protected cell") as caught:
        ws.update([[True]], "I5")
    assert caught.value.code == 400
    ws.update([[True]], "H5")
    ws.update([[True]], "J5")  # warningOnly enforces nothing
    fake.edit(agenda, f"'{SHEET}'!I5", [[True]], user="kadis@example.go.id")
    with pytest.raises(ApiError, match=PROTECTED_MESSAGE[:30]):
        fake.edit(agenda, f"'{SHEET}'!H6", [[True]], user="staf@example.go.id")

    ws.delete_protected_range(kabid["protectedRangeId"])
    assert len(sh.list_protected_ranges(ws.id)) == 2
    with pytest.raises(gspread.exceptions.APIError, match="protected"):
        ws.delete_protected_range(kadis["protectedRangeId"])


def test_rows_inserted_and_deleted_move_cells_and_protections(fake: FakeGoogle, agenda: str,
                                                              gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    ws = sh.worksheet(SHEET)
    fake.edit(agenda, f"'{SHEET}'!A2", [["1"], ["2"], ["3"]])
    ws.add_protected_range("H3:H4", editor_users_emails=[SERVICE_ACCOUNT])
    sh.batch_update({"requests": [{"insertDimension": {"range": {
        "sheetId": ws.id, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}}]})
    assert fake.values(agenda, f"'{SHEET}'!A1:A5") == [[], [1], [], [2], [3]]
    protected = fake.protected_ranges(agenda)[0]["range"]
    assert (protected["startRowIndex"], protected["endRowIndex"]) == (3, 5)
    assert fake.sheet_properties(agenda, SHEET)["gridProperties"]["rowCount"] == 1001
    sh.batch_update({"requests": [{"deleteDimension": {"range": {
        "sheetId": ws.id, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}}]})
    assert fake.values(agenda, f"'{SHEET}'!A1:A3") == [[], [2], [3]]


def test_person_sorting_between_read_and_write(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    fake.edit(agenda, f"'{SHEET}'!A1", [["No", "Status"], ["1", "Draf"], ["2", "Draf"], ["3", "Draf"]])
    ws = gc.open_by_key(agenda).worksheet(SHEET)
    rows = ws.get("A2:B", value_render_option="UNFORMATTED_VALUE")
    assert rows[0] == [1, "Draf"]
    sort = {"sortRange": {"range": {"sheetId": ws.id, "startRowIndex": 1},
                          "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}]}}
    fake.before_request(lambda request: fake.apply(agenda, [sort]), match="sheets.write")
    ws.update([["Tayang"]], "B2")  # meant for No 1, which now sits on row 4
    assert fake.values(agenda, f"'{SHEET}'!A2:B4") == [[3, "Tayang"], [2, "Draf"], [1, "Draf"]]


# ----------------------------------------------------------------------------- faults, quotas, sharing

def test_rate_limit_surfaces_as_api_error_429(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    fake.rate_limit("sheets.read", retry_after=7)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        sh.worksheet(SHEET)
    assert caught.value.code == 429
    assert caught.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert caught.value.response.headers["Retry-After"] == "7"
    assert sh.worksheet(SHEET).title == SHEET  # only the next request was refused


def test_server_errors_and_slow_replies(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    fake.server_error("sheets", status=503)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        sh.worksheet(SHEET)
    assert caught.value.code == 503 and caught.value.error["status"] == "UNAVAILABLE"
    fake.slow(0.5, "sheets.read")
    gc.http_client.set_timeout(0.1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sh.worksheet(SHEET)


def test_sheets_quota_per_minute() -> None:
    with FakeGoogle(sheets_quota_per_minute=3) as fake:
        agenda = fake.add_spreadsheet(worksheets=[SHEET])
        gc = gspread.service_account_from_dict(fake.service_account_info(),
                                               http_client=loopback_http_client(fake.base_url))
        sh = gc.open_by_key(agenda)
        sh.worksheet(SHEET).update([["x"]], "A1")  # writes are counted apart
        sh.worksheet(SHEET)
        with pytest.raises(gspread.exceptions.APIError) as caught:
            sh.worksheet(SHEET)
        assert caught.value.code == 429 and "Read requests per minute per user" in str(caught.value)
        assert (fake.sheets_reads, fake.sheets_writes) == (4, 1)


def test_unshared_and_missing_spreadsheets(fake: FakeGoogle, gc: gspread.Client) -> None:
    private = fake.add_spreadsheet(shared=None)
    with pytest.raises(PermissionError):
        gc.open_by_key(private)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open_by_key("1nope")
    read_only = fake.add_spreadsheet(shared="reader")
    with pytest.raises(gspread.exceptions.APIError, match="does not have permission"):
        gc.open_by_key(read_only).sheet1.update([["x"]], "A1")


# ----------------------------------------------------------------------------- Drive

def test_drive_version_grows_with_every_change(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    drive = drive_service(fake)

    def version() -> int:
        reply = drive.files().get(fileId=agenda, fields="version,modifiedTime", supportsAllDrives=True).execute()
        assert set(reply) == {"version", "modifiedTime"}
        return int(reply["version"])  # a string in Drive's JSON

    ws = gc.open_by_key(agenda).worksheet(SHEET)
    seen = [version()]
    ws.update([["x"]], "A1")
    seen.append(version())
    ws.format("A1", {"textFormat": {"bold": True}})
    seen.append(version())
    ws.add_protected_range("H2:H", editor_users_emails=[SERVICE_ACCOUNT])
    seen.append(version())
    fake.edit(agenda, f"'{SHEET}'!B1", [["by hand"]])
    seen.append(version())
    assert seen == sorted(set(seen))
    ws.get("A1")
    assert version() == seen[-1]  # reads change nothing


def test_list_folder_in_name_order_with_paging(fake: FakeGoogle) -> None:
    media = fake.add_folder("Media Rilis")
    for name in ("b.jpg", "a.jpg", "C.jpg"):
        fake.add_file(name, b"x", "image/jpeg", [media])
    fake.add_file("old.jpg", b"x", "image/jpeg", [media], trashed=True)
    fake.add_folder("sub", [media], shared=None)
    elsewhere = fake.add_folder("Pribadi", shared=None)
    hidden = fake.add_file("secret.jpg", b"x", "image/jpeg", [elsewhere])
    drive = drive_service(fake)

    names, token = [], None
    while True:
        reply = drive.files().list(
            q=f"'{media}' in parents and trashed = false and mimeType != '{FOLDER}'",
            orderBy="name", pageSize=2, pageToken=token, fields="nextPageToken, files(id, name, size)",
            supportsAllDrives=True, includeItemsFromAllDrives=True).execute()
        names += [f["name"] for f in reply["files"]]
        assert all(set(f) == {"id", "name", "size"} for f in reply["files"])
        token = reply.get("nextPageToken")
        if not token:
            break
    assert names == ["a.jpg", "b.jpg", "C.jpg"]
    everything = drive.files().list(q=f"'{media}' in parents").execute()["files"]
    assert len(everything) == 5 and set(everything[0]) == {"kind", "id", "name", "mimeType"}
    with pytest.raises(HttpError) as caught:
        drive.files().get(fileId=hidden).execute()
    assert caught.value.status_code == 404 and caught.value.reason.startswith("File not found")
    assert caught.value.error_details[0]["reason"] == "notFound"


def test_download_in_chunks(fake: FakeGoogle) -> None:
    media = fake.add_folder("Media")
    content = os.urandom(300_001)
    photo = fake.add_file("foto.jpg", content, "image/jpeg", [media])
    empty = fake.add_file("kosong.txt", b"", "text/plain", [media])
    drive = drive_service(fake)
    meta = drive.files().get(fileId=photo, fields="size,md5Checksum,mimeType,parents,trashed").execute()
    assert meta["size"] == "300001" and meta["parents"] == [media] and meta["trashed"] is False

    for file_id, expected in ((photo, content), (empty, b"")):
        buffer = io.BytesIO()
        download = MediaIoBaseDownload(buffer, drive.files().get_media(fileId=file_id), chunksize=65536)
        done = False
        while not done:
            _, done = download.next_chunk()
        assert buffer.getvalue() == expected
    statuses = [r.status for r in fake.requests_log if r.kind == "media"]
    assert statuses == [206] * 5 + [416]
    assert drive.files().get_media(fileId=photo).execute() == content  # no Range: 200, all of it
    assert fake.requests_log[-1].status == 200


def test_export_google_doc_and_shortcuts(fake: FakeGoogle, agenda: str, gc: gspread.Client) -> None:
    fake.edit(agenda, f"'{SHEET}'!A1", [["No", "Tanggal"], ["1", "27/11/2026"]])
    assert gc.open_by_key(agenda).export(gspread.utils.ExportFormat.CSV) == b"No,Tanggal\r\n1,27/11/2026\r\n"
    media = fake.add_folder("Media")
    doc = fake.add_document("Naskah Rilis", "<html><body><p>Isi rilis</p></body></html>", [media])
    shortcut = fake.add_shortcut("Naskah (pintasan)", doc, [media])
    drive = drive_service(fake)
    assert drive.files().export(fileId=doc, mimeType="text/html").execute() == \
        b"<html><body><p>Isi rilis</p></body></html>"
    with pytest.raises(HttpError) as caught:
        drive.files().get_media(fileId=doc).execute()
    assert caught.value.status_code == 403 and caught.value.error_details[0]["reason"] == "fileNotDownloadable"
    details = drive.files().get(fileId=shortcut, fields="mimeType,shortcutDetails").execute()
    assert details["shortcutDetails"] == {"targetId": doc, "targetMimeType": "application/vnd.google-apps.document"}


def test_drive_errors(fake: FakeGoogle) -> None:
    media = fake.add_folder("Media")
    photo = fake.add_file("foto.jpg", b"jpeg", "image/jpeg", [media])
    drive = drive_service(fake)
    fake.drive_error("downloadQuotaExceeded", "drive.media")
    with pytest.raises(HttpError) as caught:
        drive.files().get_media(fileId=photo).execute()
    assert caught.value.status_code == 403
    assert caught.value.error_details[0] == {"message": "The download quota for this file has been exceeded.",
                                             "domain": "usageLimits", "reason": "downloadQuotaExceeded"}
    fake.drive_error("userRateLimitExceeded")
    with pytest.raises(HttpError) as caught:
        drive.files().list(q=f"'{media}' in parents").execute()
    assert caught.value.error_details[0]["reason"] == "userRateLimitExceeded"
    assert drive.files().get_media(fileId=photo).execute() == b"jpeg"


def test_drive_token_expiry_is_refreshed(fake: FakeGoogle) -> None:
    folder = fake.add_folder("Media")
    drive = drive_service(fake)
    drive.files().get(fileId=folder).execute()
    fake.expire_tokens()
    started = time.monotonic()
    assert drive.files().get(fileId=folder).execute()["mimeType"] == FOLDER
    assert fake.token_requests == 2 and time.monotonic() - started < 2


# ----------------------------------------------------------------------------- proto3 JSON, formulas

def test_replies_leave_out_defaults_as_google_json_does(fake: FakeGoogle, agenda: str,
                                                        gc: gspread.Client) -> None:
    """proto3: 0, false, "" and empty lists are not sent; oneof members and ListValues are."""
    sh = gc.open_by_key(agenda)
    first = sh.worksheet(SHEET)                       # sheetId 0
    first.add_protected_range("A1:A", editor_users_emails=[SERVICE_ACCOUNT])
    fake.edit(agenda, f"'{SHEET}'!B2", [[0, False, "", "x"]], input="RAW")
    meta = sh.fetch_sheet_metadata(params={
        "fields": "sheets(properties,protectedRanges,data(startRow,rowData(values(effectiveValue))))",
        "ranges": f"'{SHEET}'!A1:E2"})
    agenda_sheet, = meta["sheets"]
    props = agenda_sheet["properties"]
    # SheetProperties keep sheetId and index (gspread's Worksheet.id reads them)
    assert props["sheetId"] == 0 and props["index"] == 0
    assert "frozenRowCount" not in props["gridProperties"] and "hidden" not in props
    (protection,) = agenda_sheet["protectedRanges"]
    assert protection["range"] == {"endColumnIndex": 1}   # sheetId 0, columns 0.., rows 0.. omitted
    assert "warningOnly" not in protection
    data, = agenda_sheet["data"]
    assert "startRow" not in data
    row2 = data["rowData"][1]["values"]
    assert row2[1:4] == [{"effectiveValue": {"numberValue": 0}},
                         {"effectiveValue": {"boolValue": False}}, {}]
    riwayat = sh.fetch_sheet_metadata(params={"fields": "sheets(properties(sheetId,index),protectedRanges)"})
    assert "protectedRanges" not in riwayat["sheets"][1]       # no protections: no key at all
    # a values reply keeps every cell of its ListValue
    values = sh.values_get(f"'{SHEET}'!A2:E2", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert values["values"] == [["", 0, False, "", "x"]]
    colour = {"backgroundColor": {"red": 1, "green": 0, "blue": 0}}
    sh.batch_update({"requests": [{"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1},
                                                  "cell": {"userEnteredFormat": colour},
                                                  "fields": "userEnteredFormat.backgroundColor"}}]})
    cells = sh.fetch_sheet_metadata(params={"fields": "sheets(data(rowData(values(userEnteredFormat))))",
                                            "ranges": f"'{SHEET}'!A1"})
    assert cells["sheets"][0]["data"][0]["rowData"][0]["values"][0] == {
        "userEnteredFormat": {"backgroundColor": {"red": 1}}}


def test_formulas_keep_their_text_and_show_what_the_test_defined(fake: FakeGoogle, agenda: str,
                                                                 gc: gspread.Client) -> None:
    sh = gc.open_by_key(agenda)
    today = '=IF(O2="","",TODAY())'
    fake.define_formula(agenda, today, "")
    fake.edit(agenda, f"'{SHEET}'!B2", [[today, "=NA()", "=1+1"]])          # USER_ENTERED
    sh.batch_update({"requests": [{"updateCells": {
        "start": {"sheetId": 0, "rowIndex": 2, "columnIndex": 1},
        "rows": [{"values": [{"userEnteredValue": {"formulaValue": today}},
                             {"userEnteredValue": {"formulaValue": "=NA()"}}]}],
        "fields": "userEnteredValue"}}]})
    for a1, formula in (("B2", today), ("C2", "=NA()"), ("D2", "=1+1"), ("B3", today), ("C3", "=NA()")):
        assert fake.cell(agenda, f"'{SHEET}'!{a1}").formula == formula
    assert fake.values(agenda, f"'{SHEET}'!B2:D3") == [["", "#N/A", 2], ["", "#N/A"]]
    assert fake.values(agenda, f"'{SHEET}'!B2:C2", render="FORMULA") == [[today, "=NA()"]]
    meta = sh.fetch_sheet_metadata(params={
        "ranges": f"'{SHEET}'!A2:D2",
        "fields": "sheets(data(rowData(values(effectiveValue,userEnteredValue.formulaValue))))"})
    cells = meta["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[1] == {"userEnteredValue": {"formulaValue": today},
                        "effectiveValue": {"stringValue": ""}}
    assert cells[2]["effectiveValue"] == {"errorValue": {"type": "N_A",
                                                         "message": "Value not available."}}
    assert cells[3] == {"userEnteredValue": {"formulaValue": "=1+1"}, "effectiveValue": {"numberValue": 2}}
    # written over with a value (RAW), the formula is gone
    fake.edit(agenda, f"'{SHEET}'!D2", [["teks"]], input="RAW")
    assert fake.cell(agenda, f"'{SHEET}'!D2").formula is None
