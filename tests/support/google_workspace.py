"""The workspace of tests.support.workspace.Agenda with its agenda in a Google spreadsheet.

Same public API as `Agenda`, so that the behaviour tests run on both stores. The spreadsheet
lives in a FakeGoogle (the loopback stand-in of Sheets and Drive) and is prepared with
`init_google`, as an office would; media stay in the local folder and the website is static.
Cells are read and typed through the fake's test API, as the owner typing in the browser:
ticks as TRUE/FALSE (USER_ENTERED), text RAW (so '=...' stays text), date-times as serials.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from automation import config as config_module
from automation.agenda.cells import column_letter, from_serial, to_serial
from automation.agenda.google_init import init_google
from automation.core import schema as S
from tests.fakes.google import FakeGoogle
from tests.support.config import config_toml
from tests.support.workspace import CONFIG, OfficeWorkspace


def google_config(config: str, spreadsheet_id: str, require_protection: bool = False) -> str:
    """`config` (config_toml text) with its agenda in the spreadsheet instead of the .xlsx."""
    tables = tomllib.loads(config)
    assert "path" in tables.get("agenda", {}), "config without [agenda] path"
    return config_toml(tables, agenda={"path": None, "backend": "google",
                                       "spreadsheet_id": spreadsheet_id,
                                       "credentials_file": "credentials.json"},
                       approval={"require_protection": require_protection})


class SpreadsheetSnapshot:
    """Stands where `Agenda.path` is read as bytes: everything in the spreadsheet, and its
    Drive version, so that "nothing was written" compares as it does for the file."""

    def __init__(self, agenda: GoogleAgenda):
        self.agenda = agenda

    def read_bytes(self) -> bytes:
        fake, sid = self.agenda.fake, self.agenda.spreadsheet_id
        sheets = {name: fake.values(sid, f"{_quote(name)}", render="FORMULA")
                  for name in (self.agenda.cfg.agenda.worksheet, S.HISTORY_SHEET)}
        return json.dumps({"version": fake.drive_file(sid)["version"], "sheets": sheets},
                          sort_keys=True, default=str).encode()


class GoogleAgenda(OfficeWorkspace):
    def __init__(self, folder: Path, rows: list[dict[str, Any]], config: str = CONFIG, *,
                 fake: FakeGoogle, require_protection: bool = False):
        """`fake` must be running and AGENDA_GOOGLE_API_BASE point at it (monkeypatch)."""
        self.folder, self.fake = folder, fake
        folder.mkdir(parents=True, exist_ok=True)
        self.spreadsheet_id = fake.add_spreadsheet("Buku Agenda Humas", ["Sheet1"],
                                                   time_zone="Asia/Makassar")
        (folder / "credentials.json").write_text(json.dumps(fake.service_account_info()))
        (folder / "config.toml").write_text(
            google_config(config, self.spreadsheet_id, require_protection), encoding="utf-8")
        for name, colour in (("a.jpg", "red"), ("b.jpg", "green"), ("c.jpg", "blue")):
            self.photo(f"foto/{name}", colour)
        self.cfg = config_module.load(folder / "config.toml")
        assert init_google(self.cfg, out=lambda _: None) == 0
        self.put_rows(rows)

    @property
    def path(self) -> SpreadsheetSnapshot:
        return SpreadsheetSnapshot(self)

    # -- the sheet as people see it --------------------------------------------------------
    @property
    def _sheet(self) -> str:
        return _quote(self.cfg.agenda.worksheet)

    def _grid(self, sheet: str, dates: tuple[str, ...]) -> tuple[list[str], list[list[Any]]]:
        """Header and data rows (blank rows kept), padded; date-time columns as datetimes."""
        values = self.fake.values(self.spreadsheet_id, sheet)
        headers = list(values[0]) if values else []
        out = []
        for raw in values[1:]:
            cells = [None if v == "" else v for v in raw] + [None] * (len(headers) - len(raw))
            for c, h in enumerate(headers):
                if h in dates and isinstance(cells[c], (int, float)) \
                        and not isinstance(cells[c], bool):
                    cells[c] = from_serial(cells[c])
            out.append(cells[:len(headers)])
        return headers, out

    def headers(self) -> list[str]:
        return self._grid(self._sheet, ())[0]

    def rows(self) -> list[dict[str, Any]]:
        headers, grid = self._grid(self._sheet, S.DATE_HEADERS)
        return [dict(zip(headers, v)) for v in grid if any(x not in (None, "") for x in v)]

    def history(self) -> list[dict[str, Any]]:
        headers, grid = self._grid(_quote(S.HISTORY_SHEET), ("Waktu",))
        return [dict(zip(headers, v)) for v in grid if any(v)]

    def _type(self, cells: dict[tuple[int, int], Any]) -> None:
        """Type values in cells ({(row, column): value}) as the owner would, pasting a block at
        a time: ticks as TRUE/FALSE (USER_ENTERED), text RAW so it stays text, even '=...',
        date-times as serials; None empties a cell. Cells not given are left alone."""
        if not cells:
            return
        r0, r1 = min(r for r, _ in cells), max(r for r, _ in cells)
        c0, c1 = min(c for _, c in cells), max(c for _, c in cells)
        blocks: dict[str, list[list[Any]]] = {
            option: [[None] * (c1 - c0 + 1) for _ in range(r0, r1 + 1)]
            for option in ("RAW", "USER_ENTERED")}
        for (r, c), value in cells.items():
            if isinstance(value, bool):
                option, value = "USER_ENTERED", "TRUE" if value else "FALSE"
            elif isinstance(value, (datetime, date)):
                option, value = "USER_ENTERED", to_serial(value)
            else:
                option, value = "RAW", "" if value is None else value
            blocks[option][r - r0][c - c0] = value
        for option, block in blocks.items():
            if any(v is not None for line in block for v in line):
                self.fake.edit(self.spreadsheet_id, f"{self._sheet}!{column_letter(c0)}{r0}:"
                               f"{column_letter(c1)}{r1}", block, input=option)

    def put_rows(self, rows: list[dict[str, Any]], start: int = 2) -> None:
        headers = self.headers()
        self._type({(n, headers.index(header)): value
                    for n, values in enumerate(rows, start=start)
                    for header, value in values.items()})

    def edit(self, title: str, **cells: Any) -> None:
        headers, grid = self._grid(self._sheet, ())
        for n, values in enumerate(grid, start=2):
            if values[headers.index(S.TITLE)] == title:
                self._type({(n, headers.index(header)): value for header, value in cells.items()})
                return
        raise AssertionError(f"no row titled {title!r}")

    def rearrange(self, order: list[int | None]) -> None:
        """Rewrite the data rows in a new order (indexes into the current rows; None = blank).

        The cells are moved as they are (RAW: ticks stay booleans, dates serials, text text),
        like cut and paste; rows left over at the bottom are emptied."""
        values = self.fake.values(self.spreadsheet_id, self._sheet)
        width = max(len(values[0]), *(len(r) for r in values)) if values else 0
        current = [r + [""] * (width - len(r)) for r in values[1:]]
        new = [current[i] if i is not None else [""] * width for i in order]
        new += [[""] * width] * max(0, len(current) - len(new))
        if new:
            self.fake.edit(self.spreadsheet_id,
                           f"{self._sheet}!A2:{column_letter(width - 1)}{len(new) + 1}", new,
                           input="RAW")


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"
