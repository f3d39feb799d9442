"""A real workspace for behaviour tests: config, .xlsx agenda, photos, ledger, static site.

Its config.toml is `CONFIG` unless a test gives its own (tests.support.config.config_toml).

Rows are read and edited by header text, as a person would find them, never by position.
"""

from __future__ import annotations

import shutil
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image

from automation import config as config_module
from automation.agenda.template import build_workbook
from automation.core import schema as S
from automation.cycle import Cycle, CycleReport
from automation.dry_run import dry_workspace
from automation.workspace import open_workspace
from tests.support.config import config_toml

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=WITA)

CONFIG = config_toml()                 # the workspace of every behaviour test


def row(title: str = "Gubernur Resmikan Jembatan", **cells: Any) -> dict[str, Any]:
    """A complete row; override or add cells by header name."""
    base = {
        S.TITLE: title, S.NEWS_TYPE: "Siaran Pers", S.SOURCE: "Biro Adpim",
        S.TEXT: "TANJUNG SELOR – Isi berita.\n\nParagraf kedua. (humas)",
        S.MEDIA: "foto/a.jpg", S.CAPTION: "PERESMIAN : Gubernur menggunting pita.",
        S.RECEIVER: "Rahmawati",
    }
    base.update(cells)
    return base


def approved(title: str = "Gubernur Resmikan Jembatan", **cells: Any) -> dict[str, Any]:
    return row(title, **{S.PARAF_KADIS: True, S.PARAF_KABID: True, **cells})


class OfficeWorkspace:
    """What every test workspace shares, whatever holds its agenda: photos, running the
    program, and the website and state folders it leaves. Subclasses give `folder`, `cfg`
    and `rows()`."""

    folder: Path
    cfg: Any

    def photo(self, relative: str, colour: str = "red", size=(640, 480)) -> Path:
        path = self.folder / "media" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(path, "JPEG")
        return path

    def by_title(self, title: str) -> dict[str, Any]:
        found = [r for r in self.rows() if r[S.TITLE] == title]
        assert len(found) == 1, f"{len(found)} rows titled {title!r}"
        return found[0]

    # -- running the program ---------------------------------------------------------------
    def cycle(self, now: datetime = NOW, dry_run: bool = False, store=None,
              media=None) -> CycleReport:
        """One cycle; `store`/`media` wrap an adapter to stand for a person or an outage."""
        with dry_workspace(self.cfg) if dry_run else closing(open_workspace(self.cfg)) as ws:
            if store is not None:
                ws.store = store(ws.store)
            if media is not None:
                ws.media = media(ws.media)
            return Cycle(ws, now).run()

    def take_in(self, now: datetime = NOW, **kw) -> CycleReport:
        """The first cycle over freshly logged rows.

        On a quota-limited store (Google) a row approved at first sight gets its `ID Sistem`
        saved by that cycle and is published by the next, so the next one runs too.
        """
        report = self.cycle(now, **kw)
        return self.cycle(now, **kw) if report.deferred else report

    def site_posts(self) -> list[Path]:
        site = self.cfg.website.output_dir
        return sorted(p.parent for p in site.glob("*/index.html")) if site.exists() else []

    def lose_state(self) -> None:
        shutil.rmtree(self.cfg.state_dir)


class Agenda(OfficeWorkspace):
    def __init__(self, folder: Path, rows: list[dict[str, Any]], config: str = CONFIG):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_text(config, encoding="utf-8")
        for name, colour in (("a.jpg", "red"), ("b.jpg", "green"), ("c.jpg", "blue")):
            self.photo(f"foto/{name}", colour)
        self.cfg = config_module.load(folder / "config.toml")
        book = build_workbook(self.cfg.approval.columns, self.cfg.agenda.news_types)
        book.save(self.path)
        self.put_rows(rows)

    @property
    def path(self) -> Path:
        return self.cfg.agenda.path

    # -- the sheet as people see it --------------------------------------------------------
    def _book(self):
        return openpyxl.load_workbook(self.path)

    def headers(self, ws) -> list[str]:
        return [c.value for c in ws[1]]

    def rows(self) -> list[dict[str, Any]]:
        book = self._book()
        ws = book[self.cfg.agenda.worksheet]
        headers = self.headers(ws)
        out = []
        for values in ws.iter_rows(min_row=2, values_only=True):
            if any(v not in (None, "") for v in values):
                out.append(dict(zip(headers, values)))
        return out

    def history(self) -> list[dict[str, Any]]:
        ws = self._book()[S.HISTORY_SHEET]
        headers = self.headers(ws)
        return [dict(zip(headers, v)) for v in ws.iter_rows(min_row=2, values_only=True) if any(v)]

    @staticmethod
    def _type(ws, row: int, column: int, value: Any) -> None:
        """Put a value in a cell as a person would: text stays text, even '=...'."""
        cell = ws.cell(row=row, column=column)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"

    def put_rows(self, rows: list[dict[str, Any]], start: int = 2) -> None:
        book = self._book()
        ws = book[self.cfg.agenda.worksheet]
        headers = self.headers(ws)
        for n, values in enumerate(rows, start=start):
            for header, value in values.items():
                self._type(ws, n, headers.index(header) + 1, value)
        book.save(self.path)

    def edit(self, title: str, **cells: Any) -> None:
        book = self._book()
        ws = book[self.cfg.agenda.worksheet]
        headers = self.headers(ws)
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=headers.index(S.TITLE) + 1).value == title:
                for header, value in cells.items():
                    self._type(ws, r, headers.index(header) + 1, value)
                book.save(self.path)
                return
        raise AssertionError(f"no row titled {title!r}")

    def rearrange(self, order: list[int | None]) -> None:
        """Rewrite the data rows in a new order (indexes into the current rows; None = blank)."""
        book = self._book()
        ws = book[self.cfg.agenda.worksheet]
        width = ws.max_column
        current = [[ws.cell(row=r, column=c).value for c in range(1, width + 1)]
                   for r in range(2, ws.max_row + 1)]
        ws.delete_rows(2, ws.max_row)
        for n, index in enumerate(order, start=2):
            values = current[index] if index is not None else [None] * width
            for c, value in enumerate(values, start=1):
                self._type(ws, n, c, value)
        book.save(self.path)
