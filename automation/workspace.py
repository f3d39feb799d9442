"""Wiring: the adapters a configuration names, opened together for a cycle or a check."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from automation.config import Config
from automation.core.entry import Rules
from automation.core.numbering import Numbering
from automation.ledger import Ledger
from automation.media.conversions import Conversions
from automation.pratinjau.pages import Pages
from automation.ports import AgendaStore, MediaSource, Publisher


@dataclass
class Workspace:
    config: Config
    store: AgendaStore
    media: MediaSource
    publisher: Publisher
    ledger: Ledger
    rules: Rules
    videos: Conversions
    pages: Pages

    def close(self) -> None:
        self.ledger.close()


# The longest text a cell holds: Excel's limit, and Google Sheets' (SPEC rule 9).
CELL_LIMITS = {"xlsx": 32_767, "google": 50_000}


def numbering_of(config: Config) -> Numbering:
    archive = config.archive
    return Numbering(agenda_format=config.agenda.agenda_number_format,
                     archive_format=archive.number_format, location_format=archive.location_format,
                     klasifikasi=archive.klasifikasi, unit=archive.unit)


def rules_of(config: Config) -> Rules:
    return Rules(approval_columns=config.approval.columns, news_types=config.agenda.news_types,
                 tick_words=config.agenda.tick_words, step_minutes=config.sla.step_minutes,
                 cell_limit=CELL_LIMITS[config.agenda.backend], numbering=numbering_of(config),
                 max_upload_mb=config.website.max_upload_mb)


def open_store(config: Config) -> AgendaStore:
    if config.agenda.backend == "xlsx":
        from automation.agenda.xlsx_store import XlsxAgenda
        return XlsxAgenda(config.agenda.path, config.agenda.worksheet,
                          backup_dir=config.state_dir / "backup", tz=config.tz)
    from automation.agenda.google_store import GoogleSheetAgenda
    return GoogleSheetAgenda(config.agenda.spreadsheet_id, config.agenda.worksheet,
                             config.agenda.credentials_file, config.tz,
                             approval_columns=config.approval.columns,
                             editors=config.approval.editors,
                             require_protection=config.approval.require_protection)


def open_workspace(config: Config, ledger_path: Path | None = None) -> Workspace:
    store, publisher = open_store(config), open_publisher(config)
    ledger = Ledger(ledger_path or config.state_dir / "ledger.sqlite3")
    media: MediaSource
    if config.media.backend == "drive":
        from automation.media.drive import DriveFolder
        media = DriveFolder(config.agenda.credentials_file, config.state_dir / "media-cache",
                            config.media.max_file_mb, cache=ledger)
    else:
        from automation.media.local import LocalFolder
        media = LocalFolder(config.media.base_dir, config.media.max_file_mb, cache=ledger)
    return Workspace(
        config=config,
        store=store,
        media=media,
        publisher=publisher,
        ledger=ledger,
        rules=rules_of(config),
        videos=Conversions(config.state_dir / "video", ledger, config.website.max_upload_mb),
        pages=pages_of(config),
    )


def pages_of(config: Config) -> Pages:
    """.xlsx: `preview.dir` beside the agenda, linked relative to it; Google: the state
    folder, and the shared-drive folder `preview.drive_folder_id` when set (SPEC section 9)."""
    if config.agenda.backend == "xlsx":
        beside = config.agenda.path.parent
        return Pages(beside / config.preview.dir, relative_to=beside)
    shelf = None
    if config.preview.drive_folder_id:
        from automation.pratinjau.drive import DriveShelf
        shelf = DriveShelf(config.agenda.credentials_file, config.preview.drive_folder_id)
    return Pages(config.state_dir / "pratinjau", relative_to=None, shelf=shelf)


def open_publisher(config: Config) -> Publisher:
    site = config.website
    if site.backend == "wordpress":
        from automation.publishers.wordpress import WordPress
        return WordPress(site.url, site.username, os.environ.get(site.password_env),
                         site.post_status, site.categories, site.password_env,
                         max_upload_mb=site.max_upload_mb)
    from automation.publishers.static_site import StaticSite
    # Withdrawn posts' records stay out of the public output folder (their slugs are made of
    # their titles' words), in the state folder; created at the first withdrawal.
    return StaticSite(site.output_dir, site.url, private_dir=config.state_dir / "site")
