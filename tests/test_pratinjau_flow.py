"""When Pratinjau and Lembar Arsip are made, where they go and what the `Pratinjau` cell
links to (SPEC section 9), on a real .xlsx agenda with real PDFs read back with pypdf."""

from __future__ import annotations

import signal
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from automation import config as config_module
from automation.core import schema as S
from automation.ledger import Ledger
from automation.steps import previewing
from tests.support.config import config_toml
from tests.support.kill_runs import Runs
from tests.support.workspace import NOW, Agenda, approved, row

LATER = NOW + timedelta(minutes=5)
PAGES = config_toml(preview={"enabled": True})


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def pdfs(agenda: Agenda) -> list[str]:
    folder = agenda.folder / "pratinjau"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def journal(agenda: Agenda) -> list[tuple[str, str, str]]:
    with closing(Ledger(agenda.cfg.state_dir / "ledger.sqlite3")) as ledger:
        return [tuple(r) for r in ledger.db.execute(
            "SELECT action, slug, outcome FROM journal WHERE action IN ('pratinjau', 'arsip') "
            "ORDER BY seq")]


def test_a_complete_row_gets_its_pratinjau_beside_the_agenda_once(tmp_path):
    agenda = Agenda(tmp_path, [row("Gubernur Resmikan Jembatan")], PAGES)
    agenda.cycle(NOW)
    shown = agenda.by_title("Gubernur Resmikan Jembatan")
    assert shown[S.STATUS] == "Menunggu Paraf Kadis"
    assert shown[S.PREVIEW] == "pratinjau/0001-2026-v1.pdf"
    assert pdfs(agenda) == ["0001-2026-v1.pdf"]
    text = text_of(tmp_path / "pratinjau" / "0001-2026-v1.pdf")
    assert "Gubernur Resmikan Jembatan" in text and "0001/2026" in text
    assert "Menunggu" in text
    # Unchanged: never made again, across cycles and a new process's ledger alike.
    agenda.cycle(LATER)
    agenda.cycle(LATER + timedelta(minutes=20))
    assert pdfs(agenda) == ["0001-2026-v1.pdf"]
    assert journal(agenda) == [("pratinjau", "0001-2026-v1.pdf", "done")]


def test_an_incomplete_row_gets_none_and_a_dry_run_makes_none(tmp_path):
    agenda = Agenda(tmp_path, [row("Tanpa Naskah", **{S.TEXT: ""}), row("Lengkap")], PAGES)
    agenda.cycle(NOW, dry_run=True)
    assert pdfs(agenda) == []
    agenda.cycle(NOW)
    assert agenda.by_title("Tanpa Naskah")[S.PREVIEW] is None
    assert pdfs(agenda) == ["0002-2026-v1.pdf"]


def test_an_edit_after_a_tick_makes_a_new_version(tmp_path):
    agenda = Agenda(tmp_path, [row("A", **{S.PARAF_KADIS: True})], PAGES)
    agenda.cycle(NOW)
    first = text_of(tmp_path / "pratinjau" / "0001-2026-v1.pdf")
    assert "Dicentang" in first
    agenda.edit("A", **{S.TEXT: "Naskah yang sudah diperbaiki oleh petugas."})
    agenda.cycle(LATER)
    shown = agenda.by_title("A")
    assert shown[S.PREVIEW] == "pratinjau/0001-2026-v2.pdf"
    assert pdfs(agenda) == ["0001-2026-v1.pdf", "0001-2026-v2.pdf"]
    second = text_of(tmp_path / "pratinjau" / "0001-2026-v2.pdf")
    assert "Naskah yang sudah diperbaiki oleh petugas." in second
    versions = [line for line in (first, second) if "Versi" in line]
    assert len(versions) == 2 and first.split("Versi")[1][:10] != second.split("Versi")[1][:10]


def test_publication_makes_the_lembar_arsip_and_an_update_makes_it_again(tmp_path):
    agenda = Agenda(tmp_path, [approved("Gubernur Resmikan Jembatan")], PAGES)
    agenda.cycle(NOW)
    shown = agenda.by_title("Gubernur Resmikan Jembatan")
    assert shown[S.STATUS] == "Tayang"
    assert shown[S.PREVIEW] == "pratinjau/0001-2026-arsip.pdf"
    arsip = tmp_path / "pratinjau" / "0001-2026-arsip.pdf"
    text = text_of(arsip)
    assert shown[S.ARCHIVE_NUMBER] in text and shown[S.WEBSITE_URL] in text
    assert "Lemari Arsip Siaran Pers 2026" in text
    agenda.edit("Gubernur Resmikan Jembatan", **{S.TEXT: "Naskah diperbarui setelah tayang."})
    agenda.cycle(LATER)
    agenda.edit("Gubernur Resmikan Jembatan", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    agenda.cycle(LATER + timedelta(minutes=1))
    shown = agenda.by_title("Gubernur Resmikan Jembatan")
    assert shown[S.STATUS] == "Tayang" and shown[S.PREVIEW] == "pratinjau/0001-2026-arsip.pdf"
    assert "Naskah diperbarui setelah tayang." in text_of(arsip)
    kinds = [action for action, _, outcome in journal(agenda) if outcome == "done"]
    assert kinds.count("arsip") == 2


def test_a_page_that_cannot_be_made_holds_nothing_up_and_is_made_later(tmp_path):
    agenda = Agenda(tmp_path, [approved("A")], PAGES)
    (tmp_path / "pratinjau").write_text("a file where the folder should be")
    agenda.cycle(NOW)
    shown = agenda.by_title("A")
    assert shown[S.STATUS] == "Tayang"                     # published all the same
    (tmp_path / "pratinjau").unlink()
    agenda.cycle(LATER)
    assert pdfs(agenda) == ["0001-2026-arsip.pdf"]


@pytest.mark.parametrize("step", [
    "before:automation.pratinjau.pages.Pages.make",        # journaled, nothing made
    "after:automation.pratinjau.pages.Pages.make",         # made, not recorded
    "before:automation.ledger.Ledger.record_preview",
    "after:automation.ledger.Ledger.record_preview",       # recorded, the cell not written
])
def test_killed_while_making_a_page_one_file_per_version_and_no_half_file(tmp_path, step):
    agenda = Agenda(tmp_path, [row("A")], PAGES)
    runs = Runs(tmp_path, {}, cwd=tmp_path)
    assert runs.killed(step, 1).returncode == -signal.SIGKILL, runs.report()
    for _ in range(2):
        assert runs.once().returncode == 0, runs.report()
    assert pdfs(agenda) == ["0001-2026-v1.pdf"], runs.report()
    assert "0001/2026" in text_of(tmp_path / "pratinjau" / "0001-2026-v1.pdf")
    assert agenda.by_title("A")[S.PREVIEW] == "pratinjau/0001-2026-v1.pdf"
    assert [outcome for _, _, outcome in journal(agenda)][-1] == "done"


def test_many_new_rows_get_their_pages_over_a_few_cycles(tmp_path):
    count = previewing.PAGES_PER_CYCLE + 3
    agenda = Agenda(tmp_path, [row(f"Berita {i}") for i in range(count)], PAGES)
    agenda.cycle(NOW)
    assert len(pdfs(agenda)) == previewing.PAGES_PER_CYCLE
    shown = [r[S.PREVIEW] for r in agenda.rows()]
    assert shown.count(None) == 3                   # no link to a page not made yet
    agenda.cycle(NOW)                               # the file is unchanged: it goes on all the same
    assert len(pdfs(agenda)) == count
    assert all(r[S.PREVIEW] for r in agenda.rows())


def test_rows_published_and_filed_before_pages_existed_get_none(tmp_path):
    agenda = Agenda(tmp_path, [approved("Lama", **{S.PAPER_FILED: True}), row("Menunggu")])
    agenda.cycle(NOW)                               # pages off, as before the upgrade
    assert agenda.by_title("Lama")[S.STATUS] == "Diarsipkan"
    (tmp_path / "config.toml").write_text(PAGES, encoding="utf-8")
    agenda.cfg = config_module.load(tmp_path / "config.toml")
    agenda.cycle(LATER)
    assert pdfs(agenda) == ["0002-2026-v1.pdf"]
    assert agenda.by_title("Lama")[S.PREVIEW] is None
