"""The whole SOP on the embedded default (.xlsx, local media, static site), rule by rule."""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from automation.core import schema as S
from automation.ports import AdapterError
from tests.support.workspace import NOW, Agenda, approved, row

LATER = NOW + timedelta(minutes=5)

# Tests inherently about the .xlsx file (its bytes, its zip members) run on that store only.
XLSX_ONLY = pytest.mark.parametrize("store_kind", ["xlsx"])


@pytest.fixture
def agenda(tmp_path, make_agenda):
    return make_agenda(tmp_path / "office", [
        approved("Gubernur Resmikan Jembatan"),
        row("Pelatihan Literasi Digital", **{S.PARAF_KADIS: True}),
        row("Seleksi Terbuka", **{S.MEDIA: None}),
        row("Video Banjir Hoaks", **{S.REJECTED: True, S.LEADER_NOTE: "Tunggu BPBD"}),
        row("Rapat Koordinasi"),
    ])


def test_every_row_gets_its_status_and_the_approved_one_is_published(agenda):
    agenda.take_in()
    rows = {r[S.TITLE]: r for r in agenda.rows()}
    assert rows["Gubernur Resmikan Jembatan"][S.STATUS] == "Tayang"
    assert rows["Pelatihan Literasi Digital"][S.STATUS] == "Menunggu Paraf Kabid"
    assert rows["Seleksi Terbuka"][S.STATUS] == "Belum Lengkap"
    assert "Kolom 'Tautan Media' wajib diisi." in rows["Seleksi Terbuka"][S.SYSTEM_NOTE]
    assert rows["Video Banjir Hoaks"][S.STATUS] == "Ditolak"
    assert rows["Rapat Koordinasi"][S.STATUS] == "Menunggu Paraf Kadis"

    live = rows["Gubernur Resmikan Jembatan"]
    assert live[S.ARCHIVE_NUMBER] == "400.14.5.6/0001/DKISP/XI/2026"
    assert live[S.ARCHIVE_LOCATION] == "Lemari Arsip Siaran Pers 2026 / Map November"
    assert live[S.PUBLISHED_AT].replace(second=0) == NOW.replace(tzinfo=None)
    assert live[S.WEBSITE_URL].startswith("https://diskominfo.example.go.id/berita/")
    assert len(agenda.site_posts()) == 1
    numbers = [r[S.AGENDA_NUMBER] for r in agenda.rows()]
    assert numbers == [f"{n:04d}/2026" for n in range(1, 6)]
    assert all(r[S.ENTRY_ID] for r in agenda.rows())
    events = Counter((h[S.ENTRY_ID], h["Peristiwa"]) for h in agenda.history())
    assert max(events.values()) == 1
    assert events[(live[S.ENTRY_ID], "Tayang")] == 1
    assert events[(live[S.ENTRY_ID], "Paraf Kadis")] == 1


def test_a_second_cycle_changes_nothing_but_the_overdue_notes(agenda):
    agenda.take_in()
    before = agenda.rows(), agenda.history()
    report = agenda.cycle(NOW + timedelta(minutes=6))     # within the 7-minute standard
    assert report.idle
    report = agenda.cycle(LATER + timedelta(minutes=20))    # past the periodic full read
    assert not report.idle
    # Only the rows waiting for a person say so; nothing else changed.
    waiting = {"Pelatihan Literasi Digital": "Paraf Kabid dicentang",
               "Seleksi Terbuka": "data dilengkapi petugas",
               "Rapat Koordinasi": "Paraf Kadis dicentang",
               "Gubernur Resmikan Jembatan": "naskah fisik diarsipkan Kasi"}
    assert {c.title for c in report.changed} >= set(waiting)
    after = agenda.rows()
    for old, new in zip(before[0], after):
        title = new[S.TITLE]
        if title in waiting:
            assert f"Melewati standar 7 menit: menunggu {waiting[title]} sejak" in new[S.SYSTEM_NOTE]
            new = {**new, S.SYSTEM_NOTE: old[S.SYSTEM_NOTE]}
        assert new == old
    assert agenda.history() == before[1]
    report = agenda.cycle(LATER + timedelta(minutes=40))
    assert not report.idle and report.changed == []


@XLSX_ONLY    # the file's bytes and time stamp; on Google the Drive version (test_google_store)
def test_an_unchanged_file_is_not_even_read(agenda):
    agenda.cycle()
    stat = agenda.path.stat()
    # Garbage of the same size and time stamp: an idle cycle must not open the file.
    agenda.path.write_bytes(b"x" * stat.st_size)
    os.utime(agenda.path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert agenda.cycle(LATER).idle


def test_staff_and_official_cells_are_never_changed(agenda):
    people = [c.header for c in S.COLUMNS if c.role is not S.Role.PROGRAM and c.header != S.RECEIVED]
    before = [{h: r[h] for h in people} for r in agenda.rows()]
    agenda.cycle()
    agenda.cycle(LATER)
    assert [{h: r[h] for h in people} for r in agenda.rows()] == before


def test_tanggal_terima_is_filled_only_when_empty(tmp_path, make_agenda):
    given = NOW.replace(tzinfo=None) - timedelta(days=2)
    agenda = make_agenda(tmp_path, [row("A"), row("B", **{S.RECEIVED: given})])
    agenda.cycle()
    assert agenda.by_title("A")[S.RECEIVED] == NOW.replace(tzinfo=None)
    assert agenda.by_title("B")[S.RECEIVED] == given


def test_archive_paper_filed(agenda):
    agenda.cycle()
    agenda.edit("Gubernur Resmikan Jembatan", **{S.PAPER_FILED: True})
    agenda.cycle(LATER)
    live = agenda.by_title("Gubernur Resmikan Jembatan")
    assert live[S.STATUS] == "Diarsipkan"
    assert live[S.ARCHIVED_AT] == LATER.replace(tzinfo=None)
    agenda.cycle(LATER + timedelta(hours=1))
    assert agenda.by_title("Gubernur Resmikan Jembatan")[S.ARCHIVED_AT] == LATER.replace(tzinfo=None)


def test_paper_filed_before_publication_is_only_noted(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A", **{S.PAPER_FILED: True})])
    agenda.cycle()
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Menunggu Paraf Kadis"
    assert "Arsip Fisik" in a[S.SYSTEM_NOTE] and a[S.ARCHIVED_AT] is None


def test_archive_numbers_are_gapless_in_publication_order(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved(f"Berita {n}") for n in range(1, 4)]
                    + [row("Belum disetujui")])
    agenda.cycle()
    agenda.edit("Belum disetujui", **{S.PARAF_KADIS: "ya", S.PARAF_KABID: "✓"})
    agenda.cycle(LATER)
    numbers = sorted(r[S.ARCHIVE_NUMBER] for r in agenda.rows())
    assert numbers == [f"400.14.5.6/000{n}/DKISP/XI/2026" for n in range(1, 5)]


# -- rule 2: approval binds content ----------------------------------------------------------------

def test_edit_after_paraf_clears_ticks_and_publishes_nothing(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A", **{S.PARAF_KADIS: True})])
    agenda.cycle()
    agenda.edit("A", **{S.TEXT: "Isi yang diubah setelah paraf.", S.PARAF_KABID: True})
    agenda.cycle(LATER)
    a = agenda.by_title("A")
    assert a[S.PARAF_KADIS] is False and a[S.PARAF_KABID] is False
    assert "Naskah berubah setelah diparaf; mohon paraf ulang" in a[S.SYSTEM_NOTE]
    assert a[S.STATUS] == "Menunggu Paraf Kadis"
    assert agenda.site_posts() == []
    assert [h["Peristiwa"] for h in agenda.history()].count("Paraf Diulang") == 1


def test_replacing_a_photo_file_counts_as_a_content_change(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A", **{S.PARAF_KADIS: True})])
    agenda.cycle()
    agenda.photo("foto/a.jpg", "black", size=(700, 500))
    agenda.cycle(LATER + timedelta(minutes=20))
    assert agenda.by_title("A")[S.PARAF_KADIS] is False


def test_reapproval_after_publication_updates_the_same_post(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A")])
    agenda.take_in()
    first = agenda.by_title("A")
    agenda.edit("A", **{S.TEXT: "Naskah yang sudah diperbaiki."})
    agenda.cycle(LATER)
    waiting = agenda.by_title("A")
    assert waiting[S.PARAF_KADIS] is False
    assert waiting[S.STATUS] == "Menunggu Paraf Kadis"
    assert waiting[S.WEBSITE_URL] == first[S.WEBSITE_URL]
    page = agenda.site_posts()[0] / "index.html"
    assert "Isi berita" in page.read_text(encoding="utf-8")        # old version stays live

    agenda.edit("A", **{S.PARAF_KADIS: True, S.PARAF_KABID: True})
    later = LATER + timedelta(minutes=3)
    agenda.cycle(later)
    updated = agenda.by_title("A")
    assert updated[S.STATUS] == "Tayang"
    assert updated[S.WEBSITE_URL] == first[S.WEBSITE_URL]
    assert updated[S.ARCHIVE_NUMBER] == first[S.ARCHIVE_NUMBER]
    assert updated[S.PUBLISHED_AT] == later.replace(tzinfo=None)
    assert len(agenda.site_posts()) == 1
    assert "Naskah yang sudah diperbaiki." in page.read_text(encoding="utf-8")
    events = [h["Peristiwa"] for h in agenda.history()]
    assert events.count("Diperbarui") == 1 and events.count("Tayang") == 1


# -- rule 3 and withdrawal -------------------------------------------------------------------------

def test_tick_removed_after_publication_keeps_the_post(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A")])
    agenda.take_in()
    agenda.edit("A", **{S.PARAF_KABID: False})
    agenda.cycle(LATER)
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Tayang"
    assert "Ditolak" in a[S.SYSTEM_NOTE]
    assert len(agenda.site_posts()) == 1


def test_rejection_after_publication_withdraws_the_post(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A"), approved("B")])
    agenda.take_in()
    agenda.edit("A", **{S.REJECTED: True})
    agenda.cycle(LATER)
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Ditarik"
    assert a[S.ARCHIVE_NUMBER] == "400.14.5.6/0001/DKISP/XI/2026"
    assert len(agenda.site_posts()) == 1
    index = (agenda.cfg.website.output_dir / "index.html").read_text(encoding="utf-8")
    assert ">A<" not in index and ">B<" in index
    agenda.cycle(LATER + timedelta(minutes=20))
    assert [h["Peristiwa"] for h in agenda.history()].count("Ditarik") == 1


def test_rejected_before_publication_is_never_published(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A", **{S.REJECTED: "ya"})])
    agenda.cycle()
    assert agenda.by_title("A")[S.STATUS] == "Ditolak"
    assert agenda.site_posts() == []


# -- rule 5: rows move -----------------------------------------------------------------------------

def test_rows_sorted_inserted_and_deleted_between_cycles(agenda):
    agenda.take_in()
    before = {r[S.ENTRY_ID]: r for r in agenda.rows()}
    # Reverse the order, put a blank row and a new row in the middle, delete "Seleksi Terbuka".
    agenda.rearrange([4, 3, None, 1, 0])
    agenda.put_rows([row("Baris Baru")], start=4)
    agenda.cycle(LATER)
    after = {r[S.ENTRY_ID]: r for r in agenda.rows()}
    for entry_id, old in before.items():
        if old[S.TITLE] == "Seleksi Terbuka":
            assert entry_id not in after
            continue
        for header in (S.TITLE, S.AGENDA_NUMBER, S.STATUS, S.WEBSITE_URL, S.ARCHIVE_NUMBER):
            assert after[entry_id][header] == old[header]
    new = agenda.by_title("Baris Baru")
    assert new[S.AGENDA_NUMBER] == "0006/2026" and new[S.STATUS] == "Menunggu Paraf Kadis"
    assert len(agenda.site_posts()) == 1


class MovesRowsBeforeWriting:
    """A person sorting the sheet between the program's read and its write."""

    def __init__(self, store, agenda: Agenda, order: list[int | None]):
        self.store, self.agenda, self.order = store, agenda, order

    def __getattr__(self, name):
        return getattr(self.store, name)

    def write(self, writes, history, *rest):
        self.agenda.rearrange(self.order)
        return self.store.write(writes, history, *rest)


def test_rows_moved_between_read_and_write_get_their_own_values(agenda):
    agenda.cycle()           # every row has its ID now
    agenda.edit("Pelatihan Literasi Digital", **{S.PARAF_KABID: True})
    agenda.edit("Rapat Koordinasi", **{S.MEDIA: "foto/tidak-ada.jpg"})
    agenda.cycle(LATER, store=lambda s: MovesRowsBeforeWriting(s, agenda, [4, 1, 3, 0, 2]))
    assert agenda.by_title("Pelatihan Literasi Digital")[S.STATUS] == "Tayang"
    assert agenda.by_title("Rapat Koordinasi")[S.STATUS] == "Belum Lengkap"
    assert agenda.by_title("Gubernur Resmikan Jembatan")[S.STATUS] == "Tayang"
    assert agenda.by_title("Video Banjir Hoaks")[S.STATUS] == "Ditolak"
    for r in agenda.rows():
        if r[S.WEBSITE_URL]:
            assert r[S.ENTRY_ID].lower() in r[S.WEBSITE_URL]


def test_new_rows_moved_before_their_first_write_are_still_found(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A"), row("B"), row("C")])
    agenda.cycle(store=lambda s: MovesRowsBeforeWriting(s, agenda, [2, None, 0, 1]))
    ids = [r[S.ENTRY_ID] for r in agenda.rows()]
    assert all(ids) and len(set(ids)) == 3
    assert {r[S.TITLE]: r[S.AGENDA_NUMBER] for r in agenda.rows()} == {
        "A": "0001/2026", "B": "0002/2026", "C": "0003/2026"}


def test_someone_saving_between_read_and_write_keeps_their_edit(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A"), row("B")])

    class SavesMeanwhile(MovesRowsBeforeWriting):
        def write(self, writes, history, *rest):
            agenda.edit("B", **{S.CAPTION: "diketik saat program berjalan"})
            return self.store.write(writes, history, *rest)

    agenda.take_in(store=lambda s: SavesMeanwhile(s, agenda, []))
    assert agenda.by_title("B")[S.CAPTION] == "diketik saat program berjalan"
    assert agenda.by_title("A")[S.STATUS] == "Tayang"


def test_a_copied_row_is_flagged_and_becomes_a_new_entry(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A")])
    agenda.cycle()
    original = agenda.by_title("A")
    copy = dict(original)
    copy[S.TITLE] = "A (salinan)"
    agenda.put_rows([copy], start=3)
    agenda.cycle(LATER)
    a, b = agenda.by_title("A"), agenda.by_title("A (salinan)")
    assert a[S.ENTRY_ID] == original[S.ENTRY_ID] and b[S.ENTRY_ID] != a[S.ENTRY_ID]
    assert "baris 3" in a[S.SYSTEM_NOTE] and "salinan baris 2" in b[S.SYSTEM_NOTE]
    assert b[S.AGENDA_NUMBER] == "0002/2026"
    assert b[S.WEBSITE_URL] is None and b[S.ARCHIVE_NUMBER] is None
    assert b[S.PARAF_KADIS] is False and b[S.STATUS] == "Menunggu Paraf Kadis"
    assert a[S.STATUS] == "Tayang" and len(agenda.site_posts()) == 1


# -- rule 1 without the state folder ---------------------------------------------------------------

def test_a_lost_state_folder_is_recovered_from_the_sheet_and_the_site(agenda):
    agenda.cycle()
    before = agenda.rows()
    history = len(agenda.history())
    agenda.lose_state()
    agenda.edit("Pelatihan Literasi Digital", **{S.PARAF_KABID: True})
    agenda.cycle(LATER)
    after = {r[S.ENTRY_ID]: r for r in agenda.rows()}
    for old in before:
        new = after[old[S.ENTRY_ID]]
        assert new[S.AGENDA_NUMBER] == old[S.AGENDA_NUMBER]
        if old[S.STATUS] == "Tayang":
            assert new[S.WEBSITE_URL] == old[S.WEBSITE_URL]
            assert new[S.ARCHIVE_NUMBER] == old[S.ARCHIVE_NUMBER]
    assert agenda.by_title("Pelatihan Literasi Digital")[S.ARCHIVE_NUMBER] == \
        "400.14.5.6/0002/DKISP/XI/2026"
    assert len(agenda.site_posts()) == 2
    events = Counter((h[S.ENTRY_ID], h["Peristiwa"]) for h in agenda.history())
    assert max(events.values()) == 1, events
    assert len(agenda.history()) > history


# -- rule 6: bad input gets a clear note and harms nothing -----------------------------------------

def test_formula_looking_text_stays_text(tmp_path, make_agenda, store_kind):
    hostile = '=HYPERLINK("http://evil.example","klik")'
    agenda = make_agenda(tmp_path, [approved(hostile, **{S.NEWS_TYPE: "=1+1"})])
    agenda.cycle()
    r = agenda.by_title(hostile)
    assert r[S.STATUS] == "Belum Lengkap" and "'=1+1'" in r[S.SYSTEM_NOTE]
    if store_kind == "xlsx":    # xlsx-specific: no formula element in the worksheet's XML
        with zipfile.ZipFile(agenda.path) as z:
            assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    else:                       # the same on Google: no cell of the agenda holds a formula
        sheet = f"'{agenda.cfg.agenda.worksheet}'"
        formulas = agenda.fake.values(agenda.spreadsheet_id, sheet, render="FORMULA")
        values = agenda.fake.values(agenda.spreadsheet_id, sheet)
        assert formulas == values


def test_script_never_reaches_a_page(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved(
        "<script>alert(1)</script> Judul", **{
            S.TEXT: 'Teks <img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>',
            S.CAPTION: '"><script>alert(2)</script>', S.SOURCE: "<b onmouseover=alert(3)>Biro</b>"})])
    agenda.take_in()
    for page in (agenda.site_posts()[0] / "index.html", agenda.cfg.website.output_dir / "index.html"):
        tags = Tags()
        tags.feed(page.read_text(encoding="utf-8"))
        assert "script" not in [tag for tag, _ in tags.seen]
        for _, attrs in tags.seen:
            assert not [name for name, _ in attrs if name.startswith("on")]
            assert not [v for _, v in attrs if v and v.strip().lower().startswith("javascript:")]


class Tags(HTMLParser):
    """Every element a browser would build from a page, with its attributes."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, attrs))


@pytest.mark.parametrize("media, words", [
    ("../../etc/passwd", "di luar folder media"),
    ("foto/virus.jpg", "bukan foto atau video"),
    ("foto/kosong.jpg", "kosong"),
    ("foto/besar.jpg", "melebihi batas"),
    ("foto/tidak-ada.jpg", "tidak ditemukan"),
])
def test_bad_media_is_named_in_the_note(tmp_path, make_agenda, media, words):
    agenda = make_agenda(tmp_path, [approved("A", **{S.MEDIA: media}), approved("B")])
    (tmp_path / "media" / "foto" / "virus.jpg").write_bytes(b"MZ\x90\x00" + b"\x00" * 500)
    (tmp_path / "media" / "foto" / "kosong.jpg").write_bytes(b"")
    (tmp_path / "media" / "foto" / "besar.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(3 * 1024 * 1024))
    agenda.take_in()
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Belum Lengkap"
    assert words in a[S.SYSTEM_NOTE].lower() and media.split("/")[-1] in a[S.SYSTEM_NOTE]
    assert agenda.by_title("B")[S.STATUS] == "Tayang"
    assert len(agenda.site_posts()) == 1


def test_odd_text_in_a_tick_column_is_not_a_tick(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A", **{S.PARAF_KADIS: "nanti dulu", S.PARAF_KABID: True})])
    agenda.cycle()
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Menunggu Paraf Kadis"
    assert "nanti dulu" in a[S.SYSTEM_NOTE] and "bukan centang" in a[S.SYSTEM_NOTE]
    assert a[S.PARAF_KADIS] == "nanti dulu"


def test_every_problem_of_a_row_is_listed(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [row("A", **{S.NEWS_TYPE: "Berita Daerah", S.SOURCE: None,
                                           S.RECEIVER: None, S.MEDIA: "foto/tidak-ada.jpg"})])
    agenda.cycle()
    note = agenda.by_title("A")[S.SYSTEM_NOTE]
    for words in ("Berita Daerah", "'Sumber Berita' wajib", "'Petugas Penerima' wajib", "tidak-ada.jpg"):
        assert words in note


def test_publishing_failure_is_reported_and_retried(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A")])
    site = agenda.cfg.website.output_dir
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text("a file where the site folder should be")
    agenda.take_in()
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Gagal Tayang" and "Gagal menayangkan" in a[S.SYSTEM_NOTE]
    assert a[S.ARCHIVE_NUMBER] is None
    site.unlink()
    agenda.cycle(LATER)          # retried although the sheet did not change
    a = agenda.by_title("A")
    assert a[S.STATUS] == "Tayang" and a[S.ARCHIVE_NUMBER] == "400.14.5.6/0001/DKISP/XI/2026"
    events = [h["Peristiwa"] for h in agenda.history()]
    assert events.count("Gagal Tayang") == 1 and events.count("Tayang") == 1


def test_dry_run_writes_and_publishes_nothing(agenda):
    before = agenda.path.read_bytes()
    report = agenda.cycle(dry_run=True)
    assert any(r.action == "publish" for r in report.changed)
    assert agenda.path.read_bytes() == before
    assert agenda.site_posts() == []
    agenda.cycle()
    assert agenda.by_title("Gubernur Resmikan Jembatan")[S.AGENDA_NUMBER] == "0001/2026"


def test_static_site_catalogue_matches_the_sheet(agenda):
    agenda.take_in()
    catalogue = json.loads((agenda.cfg.website.output_dir / "posts.json").read_text())
    live = agenda.by_title("Gubernur Resmikan Jembatan")
    entries = catalogue if isinstance(catalogue, list) else list(catalogue.values()) \
        if "posts" not in catalogue else catalogue["posts"]
    assert [e["url"] for e in (entries.values() if isinstance(entries, dict) else entries)] == \
        [live[S.WEBSITE_URL]]


class UntrustedApprovals:
    """A store reporting that anyone could tick the approval columns (SPEC rule 7)."""

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        return getattr(self.store, name)

    def approval_trust(self):
        return "Kolom 'Paraf Kabid' dapat diubah siapa saja; berita belum ditayangkan."


def test_untrusted_approvals_publish_nothing_and_every_waiting_row_says_why(agenda):
    agenda.cycle(store=UntrustedApprovals)
    live = agenda.by_title("Gubernur Resmikan Jembatan")
    assert live[S.STATUS] != "Tayang" and "dapat diubah siapa saja" in live[S.SYSTEM_NOTE]
    assert agenda.site_posts() == []
    agenda.cycle(LATER)              # trusted again: published
    assert agenda.by_title("Gubernur Resmikan Jembatan")[S.STATUS] == "Tayang"


class DriveDown:
    """A media source that cannot reach one file for now (an outage, not a bad row)."""

    def __init__(self, media):
        self.media = media

    def __getattr__(self, name):
        return getattr(self.media, name)

    def collect(self, links):
        if "foto/b.jpg" in links:
            raise AdapterError("media unreachable", "Media tidak terjangkau.")
        return self.media.collect(links)


def test_media_out_of_reach_leaves_the_row_alone_and_others_go_on(tmp_path, make_agenda):
    agenda = make_agenda(tmp_path, [approved("A", **{S.MEDIA: "foto/b.jpg"}), approved("B")])
    agenda.take_in()
    # A's text is edited, so its files must be read again, but they are out of reach.
    agenda.edit("A", **{S.TEXT: "Isi yang diperbaiki"})
    agenda.edit("B", **{S.TEXT: "Isi baru"})
    report = agenda.cycle(LATER, media=DriveDown)
    a, b = agenda.by_title("A"), agenda.by_title("B")
    assert a[S.STATUS] == "Tayang" and a[S.PARAF_KADIS] is True       # untouched this cycle
    assert b[S.STATUS] == "Menunggu Paraf Kadis" and b[S.PARAF_KADIS] is False
    assert not report.idle
    agenda.cycle(LATER + timedelta(minutes=1))          # reachable again: not skipped as idle
    assert agenda.by_title("A")[S.PARAF_KADIS] is False  # now the edit is seen (rule 2)
