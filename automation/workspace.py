"""Wiring: the adapters a configuration names, opened together for a cycle or a check."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from automation.config import Config
from automation.core.entry import Rules
from automation.ledger import Ledger
from automation.ports import AgendaStore, MediaSource, Publisher


@dataclass
class Workspace:
    config: Config
    store: AgendaStore
    media: MediaSource
    publisher: Publisher
    ledger: Ledger
    rules: Rules

    def close(self) -> None:
        self.ledger.close()


def rules_of(config: Config) -> Rules:
    return Rules(approval_columns=config.approval.columns, news_types=config.agenda.news_types,
                 tick_words=config.agenda.tick_words)


def open_store(config: Config) -> AgendaStore:
    if config.agenda.backend == "xlsx":
        from automation.agenda.xlsx_store import XlsxAgenda
        return XlsxAgenda(config.agenda.path, config.agenda.worksheet,
                          backup_dir=config.state_dir / "backup")
    raise NotImplementedError("agenda.backend = \"google\" is not available in this version; "
                              "use \"xlsx\"")


def open_workspace(config: Config, ledger_path: Path | None = None) -> Workspace:
    if config.media.backend != "local":
        raise NotImplementedError("media.backend = \"drive\" is not available in this version; "
                                  "use \"local\"")
    from automation.media.local import LocalFolder
    store, publisher = open_store(config), open_publisher(config)
    ledger = Ledger(ledger_path or config.state_dir / "ledger.sqlite3")
    return Workspace(
        config=config,
        store=store,
        media=LocalFolder(config.media.base_dir, config.media.max_file_mb, cache=ledger),
        publisher=publisher,
        ledger=ledger,
        rules=rules_of(config),
    )


def open_publisher(config: Config) -> Publisher:
    site = config.website
    if site.backend == "wordpress":
        from automation.publishers.wordpress import WordPress
        return WordPress(site.url, site.username, os.environ.get(site.password_env),
                         site.post_status, site.categories, site.password_env)
    from automation.publishers.static_site import StaticSite
    return StaticSite(site.output_dir, site.url)
