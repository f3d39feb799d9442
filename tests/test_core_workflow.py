"""The workflow decision (SPEC section 3): every status, every rule, every Riwayat event.

`run_cycle` (tests/support/core.py) does what the shell does with one row: `decide`, act
through a fake website when asked, `decide` again with the memory the action produced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

import pytest

from automation.core import schema as S
from automation.core.calendar import format_datetime
from automation.core.entry import Rules
from automation.core.ticks import DEFAULT_TICK_WORDS
from automation.core import transitions
from automation.core.workflow import (
    CONTENT_CHANGED, Action, Event, EventName, Memory, Status, Waiting, attempt_key, decide,
    memory_from_json, memory_to_json,
)
from tests.support.core import (
    AGENDA, ARCHIVE_LOCATION, ARCHIVE_NUMBER, ENTRY_ID, MEDIA, NEWS_TYPES, NOW, RULES, URL, Website,
    complete_cells, content_of, fresh_memory, keys, later, make_entry, names, note, run_cycle,
)

CHANGED = "Naskah berubah setelah diparaf; mohon paraf ulang"
SEKDIS = Rules(("Paraf Kadis", "Paraf Kabid", "Paraf Sekdis"), NEWS_TYPES, DEFAULT_TICK_WORDS)
PROGRAM_CELLS = {"No. Agenda", "Status", "Tautan Website", "Waktu Tayang", "Nomor Arsip",
                 "Lokasi Arsip", "Waktu Arsip", "Catatan Sistem", "ID Sistem"}


def approved_entry(**ticks) -> object:
    return make_entry(**{"kadis": True, "kabid": True, **ticks})


def edited(**ticks):
    """The approved row after staff changed the headline."""
    cells = complete_cells(**{S.TITLE: "Gubernur Resmikan Jembatan Sungai Kayan II"})
    return make_entry(cells, **ticks)


def published_memory() -> Memory:
    """The memory after the approved row was published by one cycle."""
    cycle = run_cycle(approved_entry(), fresh_memory())
    assert cycle.final.status == "Tayang"
    return cycle.memory


def settle(entry, memory, content=None, now=NOW, rules=RULES, times=3, site=None):
    """Run several cycles; return the last cycle and every event recorded on the way."""
    events = []
    cycle = None
    for i in range(times):
        cycle = run_cycle(entry, memory, content, later(i) if now is NOW else now, rules, site)
        memory = cycle.memory
        events += cycle.events
    return cycle, events


# --- the literals -----------------------------------------------------------------------------

def test_status_and_note_literals_are_the_spec_strings():
    assert tuple(Status) == (
        "Belum Lengkap", "Ditolak", "Gagal Tayang", "Tayang", "Diarsipkan", "Ditarik")
    assert Waiting("Paraf Kadis") == "Menunggu Paraf Kadis"
    assert Waiting("Paraf Kabid") == "Menunggu Paraf Kabid"
    assert CONTENT_CHANGED == CHANGED
    assert tuple(EventName) == (
        "Diterima", "Lengkap", "Ditolak", "Tayang", "Diperbarui", "Ditarik", "Diarsipkan",
        "Gagal Tayang", "Paraf Diulang")


def test_event_key_joins_name_and_occurrence():
    assert Event(ENTRY_ID, "Paraf Kadis", NOW, AGENDA, "Dicentang", "2").key == "Paraf Kadis#2"


def test_the_decision_stamps_its_events_with_the_entry_its_number_and_now():
    entry = make_entry(kadis=True)
    decision = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert decision.events == (
        Event(ENTRY_ID, "Diterima", NOW, AGENDA,
              "Dari Biro Administrasi Pimpinan; petugas Siti Aminah", "0"),
        Event(ENTRY_ID, "Lengkap", NOW, AGENDA, "Data dan berkas lengkap", "0"),
        Event(ENTRY_ID, "Paraf Kadis", NOW, AGENDA, "Dicentang", "1"))


# --- a new row --------------------------------------------------------------------------------

def test_a_new_complete_row_waits_for_kadis():
    entry = make_entry()
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Menunggu Paraf Kadis"
    assert d.action is None and d.clear_ticks == ()
    assert names(d.events) == ["Diterima", "Lengkap"]
    assert d.events[0].detail == "Dari Biro Administrasi Pimpinan; petugas Siti Aminah"
    assert d.memory.first_seen == NOW
    assert d.memory.events == {"Diterima#0", "Lengkap#0"}
    assert d.cells == {
        "No. Agenda": AGENDA, "Status": "Menunggu Paraf Kadis", "Tautan Website": "",
        "Waktu Tayang": None, "Nomor Arsip": "", "Lokasi Arsip": "", "Waktu Arsip": None,
        "Catatan Sistem": "", "ID Sistem": ENTRY_ID, "Tanggal Terima": NOW,
    }


def test_decide_never_mutates_its_inputs():
    entry = approved_entry()
    memory = fresh_memory()
    before = (dict(entry.cells), memory)
    decide(entry, memory, content_of(entry), NOW, RULES)
    assert (dict(entry.cells), memory) == before


def test_decide_returns_only_program_cells_and_tanggal_terima():
    d = decide(make_entry(), fresh_memory(), content_of(make_entry()), NOW, RULES)
    assert set(d.cells) <= PROGRAM_CELLS | {"Tanggal Terima"}
    for case in (approved_entry(arsip=True), approved_entry(ditolak=True), make_entry(kadis="??")):
        cells = run_cycle(case, published_memory()).final.cells
        assert set(cells) <= PROGRAM_CELLS | {"Tanggal Terima"}


def test_tanggal_terima_is_filled_with_first_sight_only_when_empty():
    entry = make_entry()
    first = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert first.cells["Tanggal Terima"] == NOW
    again = decide(entry, first.memory, content_of(entry), later(30), RULES)
    assert again.cells["Tanggal Terima"] == NOW            # first sight, not now
    assert again.memory.first_seen == NOW


@pytest.mark.parametrize("received", [datetime(2026, 11, 26, 8, 0), "26/11/2026", "kemarin"])
def test_tanggal_terima_typed_by_staff_is_never_touched(received):
    entry = make_entry(complete_cells(**{S.RECEIVED: received}))
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert "Tanggal Terima" not in d.cells


def test_diterima_waits_for_an_agenda_number():
    entry = make_entry()
    d = decide(entry, Memory(), content_of(entry), NOW, RULES)
    assert names(d.events) == ["Lengkap"]
    assert d.cells["No. Agenda"] == ""
    d2 = decide(entry, replace(d.memory, agenda_number=AGENDA), content_of(entry), later(1), RULES)
    assert names(d2.events) == ["Diterima"]


def test_the_remembered_agenda_number_is_shown():
    entry = make_entry(complete_cells(**{S.AGENDA_NUMBER: "diketik staf"}))
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.cells["No. Agenda"] == AGENDA
    assert d.cells["ID Sistem"] == ENTRY_ID


# --- Belum Lengkap ----------------------------------------------------------------------------

def test_belum_lengkap_lists_every_problem():
    entry = make_entry(complete_cells(**{S.TITLE: "", S.SOURCE: None, S.NEWS_TYPE: "siaran pers"}),
                       kadis=True, kabid=True)
    extra = ("Berkas 'foto1.jpg' tidak ditemukan di folder media.",
             "Dokumen 'naskah.docx' tidak bisa dibaca.")
    content = content_of(entry, extra=extra)
    d = decide(entry, Memory(), content, NOW, RULES)
    assert d.status == "Belum Lengkap"
    assert d.action is None
    lines = note(d).splitlines()
    for problem in ("Kolom 'Judul Berita' wajib diisi.", "Kolom 'Sumber Berita' wajib diisi.",
                    "Jenis Berita 'siaran pers' tidak dikenal. Mungkin maksudnya 'Siaran Pers'.",
                    *extra):
        assert problem in lines
    assert len(lines) == 5
    assert "Lengkap" not in names(d.events)


@pytest.mark.parametrize("header", ["Judul Berita", "Jenis Berita", "Sumber Berita",
                                    "Naskah Berita", "Tautan Media", "Petugas Penerima"])
def test_each_missing_field_makes_the_row_incomplete_even_when_approved(header):
    entry = make_entry(complete_cells(**{header: ""}), kadis=True, kabid=True)
    cycle = run_cycle(entry, fresh_memory())
    assert cycle.final.status == "Belum Lengkap"
    assert cycle.action is None
    assert f"Kolom '{header}' wajib diisi." in note(cycle.final)


def test_a_media_problem_alone_makes_the_row_incomplete():
    entry = approved_entry()
    content = content_of(entry, extra=("'video1.mp4' bukan foto atau video yang sah.",))
    cycle = run_cycle(entry, fresh_memory(), content)
    assert cycle.final.status == "Belum Lengkap"
    assert cycle.action is None
    assert note(cycle.final) == "'video1.mp4' bukan foto atau video yang sah."


def test_lengkap_is_recorded_once_when_the_row_becomes_complete():
    broken = make_entry(complete_cells(**{S.MEDIA: ""}))
    d1 = decide(broken, fresh_memory(), content_of(broken), NOW, RULES)
    assert names(d1.events) == ["Diterima"]
    fixed = make_entry()
    d2 = decide(fixed, d1.memory, content_of(fixed), later(1), RULES)
    assert names(d2.events) == ["Lengkap"]
    d3 = decide(broken, d2.memory, content_of(broken), later(2), RULES)
    d4 = decide(fixed, d3.memory, content_of(fixed), later(3), RULES)
    assert d3.events == () and d4.events == ()
    assert d3.status == "Belum Lengkap" and d4.status == "Menunggu Paraf Kadis"


# --- waiting for the officials ----------------------------------------------------------------

def test_kadis_ticked_waits_for_kabid():
    entry = make_entry(kadis=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Menunggu Paraf Kabid"
    assert d.action is None
    assert "Paraf Kadis#1" in keys(d.events)
    paraf = next(e for e in d.events if e.name == "Paraf Kadis")
    assert paraf.detail == "Dicentang"
    assert d.memory.approvals == {"Paraf Kadis": content_of(entry).fingerprint}


def test_the_first_unticked_column_is_named_whatever_order_they_were_ticked_in():
    entry = make_entry(kabid=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Menunggu Paraf Kadis"
    assert "Paraf Kabid#1" in keys(d.events)
    assert d.action is None


@pytest.mark.parametrize("word", ["ya", "✓", "OK", " setuju ", "1", "Paraf"])
def test_tick_words_count_as_approval(word):
    cycle = run_cycle(make_entry(kadis=word, kabid=True), fresh_memory())
    assert cycle.action is Action.PUBLISH
    assert cycle.final.status == "Tayang"


def test_odd_tick_text_is_not_approval_and_is_noted():
    entry = make_entry(kadis=True, kabid="sudah dibaca")
    cycle = run_cycle(entry, fresh_memory())
    assert cycle.action is None
    assert cycle.final.status == "Menunggu Paraf Kabid"
    assert note(cycle.final).startswith("Isi kolom 'Paraf Kabid' (\"sudah dibaca\") bukan centang")
    assert "Paraf Kabid" not in names(cycle.events)


def test_odd_text_in_ditolak_and_arsip_fisik_is_noted_too():
    entry = make_entry(ditolak="tolak?", arsip="nanti")
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Menunggu Paraf Kadis"
    assert "'Ditolak' (\"tolak?\")" in note(d)
    assert "'Arsip Fisik' (\"nanti\")" in note(d)


def test_a_custom_third_approval_column():
    def entry(**ticks):
        return make_entry(complete_cells(**{k: v for k, v in ticks.items()}), rules=SEKDIS)
    two = entry(**{"Paraf Kadis": True, "Paraf Kabid": True})
    d = decide(two, fresh_memory(), content_of(two, SEKDIS), NOW, SEKDIS)
    assert d.status == "Menunggu Paraf Sekdis"
    assert d.action is None
    only_sekdis = entry(**{"Paraf Sekdis": "ya"})
    d = decide(only_sekdis, fresh_memory(), content_of(only_sekdis, SEKDIS), NOW, SEKDIS)
    assert d.status == "Menunggu Paraf Kadis"
    assert "Paraf Sekdis#1" in keys(d.events)
    three = entry(**{"Paraf Kadis": True, "Paraf Kabid": True, "Paraf Sekdis": True})
    cycle = run_cycle(three, fresh_memory(), content_of(three, SEKDIS), rules=SEKDIS)
    assert cycle.action is Action.PUBLISH
    assert cycle.final.status == "Tayang"
    assert Counter(names(cycle.events)) == Counter(
        ["Diterima", "Lengkap", "Paraf Kadis", "Paraf Kabid", "Paraf Sekdis", "Tayang"])


def test_a_single_approval_column():
    rules = Rules(("Paraf Kadis",), NEWS_TYPES, DEFAULT_TICK_WORDS)
    entry = make_entry(complete_cells(**{"Paraf Kadis": True}), rules=rules)
    assert run_cycle(entry, fresh_memory(), content_of(entry, rules), rules=rules).action is Action.PUBLISH
    bare = make_entry(complete_cells(), rules=rules)
    d = decide(bare, fresh_memory(), content_of(bare, rules), NOW, rules)
    assert d.status == "Menunggu Paraf Kadis"


# --- approved: publication --------------------------------------------------------------------

def test_approved_row_is_published_once_and_becomes_tayang():
    entry = approved_entry()
    site = Website()
    cycle = run_cycle(entry, fresh_memory(), site=site)
    assert cycle.first.action is Action.PUBLISH
    assert cycle.final.action is None                       # after the action: nothing more
    assert site.calls == [Action.PUBLISH]
    assert cycle.final.status == "Tayang"
    cells = cycle.final.cells
    assert cells["Tautan Website"] == URL
    assert cells["Waktu Tayang"] == NOW
    assert cells["Nomor Arsip"] == "400.14.5.6/0001/DKISP/XI/2026"
    assert cells["Lokasi Arsip"] == "Lemari Arsip Siaran Pers 2026 / Map November"
    assert cells["Waktu Arsip"] is None
    assert cells["Catatan Sistem"] == ""
    tayang = next(e for e in cycle.events if e.name == "Tayang")
    assert tayang.detail == f"Tayang di {URL}; Nomor Arsip {ARCHIVE_NUMBER}"


def test_before_the_action_the_sheet_keeps_its_status():
    entry = make_entry(complete_cells(**{S.STATUS: "Menunggu Paraf Kabid"}), kadis=True, kabid=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.action is Action.PUBLISH
    assert d.status == "Menunggu Paraf Kabid"


def test_the_whole_happy_path_records_each_event_exactly_once():
    memory, events = fresh_memory(), []
    steps = [make_entry(), make_entry(kadis=True), approved_entry(), approved_entry(),
             approved_entry(), approved_entry(arsip=True), approved_entry(arsip=True)]
    statuses = []
    for i, entry in enumerate(steps):
        cycle = run_cycle(entry, memory, now=later(i))
        memory = cycle.memory
        events += cycle.events
        statuses.append(cycle.final.status)
    assert statuses == ["Menunggu Paraf Kadis", "Menunggu Paraf Kabid", "Tayang", "Tayang",
                        "Tayang", "Diarsipkan", "Diarsipkan"]
    assert names(events) == ["Diterima", "Lengkap", "Paraf Kadis", "Paraf Kabid", "Tayang",
                             "Diarsipkan"]
    assert len(set(keys(events))) == len(events)


def test_a_published_row_is_stable():
    memory = published_memory()
    entry = approved_entry()
    for i in range(3):
        d = decide(entry, memory, content_of(entry), later(10 + i), RULES)
        assert d.action is None and d.events == () and d.clear_ticks == ()
        assert d.status == "Tayang"
        assert d.memory == memory
        assert d.cells["Waktu Tayang"] == NOW


def test_arsip_fisik_archives_once():
    memory = published_memory()
    entry = approved_entry(arsip=True)
    first = run_cycle(entry, memory, now=later(60))
    assert first.final.status == "Diarsipkan"
    assert first.action is None
    assert first.memory.archived_at == later(60)
    assert first.final.cells["Waktu Arsip"] == later(60)
    [event] = first.events
    assert event.name == "Diarsipkan"
    assert event.detail == f"Naskah disimpan di {ARCHIVE_LOCATION}"
    second = run_cycle(entry, first.memory, now=later(120))
    assert second.final.status == "Diarsipkan"
    assert second.memory.archived_at == later(60)
    assert second.events == []
    # Unticked later: back to Tayang, the first archiving time is kept.
    third = run_cycle(approved_entry(), second.memory, now=later(180))
    assert third.final.status == "Tayang"
    assert third.final.cells["Waktu Arsip"] == later(60)
    fourth = run_cycle(entry, third.memory, now=later(240))
    assert fourth.events == [] and fourth.memory.archived_at == later(60)


def test_arsip_fisik_before_publication_is_noted_and_counts_once_published():
    waiting_row = make_entry(kadis=True, arsip=True)
    d = decide(waiting_row, fresh_memory(), content_of(waiting_row), NOW, RULES)
    assert d.status == "Menunggu Paraf Kabid"
    assert "'Arsip Fisik' dicentang sebelum berita tayang; dicatat setelah tayang." in note(d)
    assert d.memory.archived_at is None
    cycle = run_cycle(approved_entry(arsip=True), d.memory, now=later(5))
    assert cycle.action is Action.PUBLISH
    assert cycle.final.status == "Diarsipkan"
    assert cycle.memory.archived_at == later(5)
    assert "Arsip Fisik" not in note(cycle.final)
    assert names(cycle.events).count("Diarsipkan") == 1


def test_arsip_fisik_without_approval_does_not_archive_or_publish():
    entry = make_entry(arsip=True)
    cycle = run_cycle(entry, fresh_memory())
    assert cycle.action is None
    assert cycle.final.status == "Menunggu Paraf Kadis"
    assert cycle.final.cells["Waktu Arsip"] is None


# --- Ditolak / Ditarik ------------------------------------------------------------------------

@pytest.mark.parametrize("ticks", [{}, {"kadis": True}, {"kadis": True, "kabid": True}])
def test_ditolak_before_publication_never_publishes(ticks):
    entry = make_entry(complete_cells(**{S.LEADER_NOTE: "Foto kurang jelas"}), ditolak=True, **ticks)
    site = Website()
    cycle, events = settle(entry, fresh_memory(), site=site)
    assert cycle.final.status == "Ditolak"
    assert site.calls == []
    assert cycle.final.cells["Tautan Website"] == "" and cycle.final.cells["Nomor Arsip"] == ""
    rejected = [e for e in events if e.name == "Ditolak"]
    assert len(rejected) == 1
    assert rejected[0].detail == "Ditolak pimpinan: Foto kurang jelas"


def test_ditolak_overrides_an_incomplete_row():
    entry = make_entry(complete_cells(**{S.MEDIA: ""}), ditolak="ya")
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Ditolak"
    assert d.action is None
    assert "Kolom 'Tautan Media' wajib diisi." in note(d)


def test_ditolak_without_leader_note():
    entry = make_entry(ditolak=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert [e.detail for e in d.events if e.name == "Ditolak"] == ["Ditolak pimpinan"]


def test_unticking_ditolak_before_publication_resumes_the_flow():
    rejected = decide(approved_entry(ditolak=True), fresh_memory(),
                      content_of(approved_entry()), NOW, RULES)
    cycle = run_cycle(approved_entry(), rejected.memory, now=later(1))
    assert cycle.action is Action.PUBLISH
    assert cycle.final.status == "Tayang"


def test_ditolak_after_publication_withdraws_then_shows_ditarik():
    memory = published_memory()
    entry = make_entry(complete_cells(**{S.LEADER_NOTE: "Data keliru"}),
                       kadis=True, kabid=True, ditolak=True)
    site = Website()
    first = run_cycle(entry, memory, now=later(10), site=site)
    assert first.first.action is Action.WITHDRAW
    assert first.first.status == "Tayang"                 # still live until the action ran
    assert site.calls == [Action.WITHDRAW]
    assert first.final.status == "Ditarik"
    assert first.final.action is None
    assert first.memory.post.live is False and first.memory.withdrawals == 1
    # Withdrawn, not deleted: same URL and archive number stay on the row.
    assert first.final.cells["Tautan Website"] == URL
    assert first.final.cells["Nomor Arsip"] == ARCHIVE_NUMBER
    [withdrawn] = first.events
    assert withdrawn.name == "Ditarik"
    assert withdrawn.detail == "Berita ditarik dari website (menjadi draf): Data keliru"
    assert "Ditolak" not in names(first.events)
    again, events = settle(entry, first.memory, site=site)
    assert again.final.status == "Ditarik" and events == [] and site.calls == [Action.WITHDRAW]


def test_withdrawn_memory_alone_gives_ditarik():
    memory = published_memory()
    memory = replace(memory, post=replace(memory.post, live=False), withdrawals=1)
    entry = approved_entry(ditolak=True)
    d = decide(entry, memory, content_of(entry), later(10), RULES)
    assert d.status == "Ditarik" and d.action is None
    assert keys(d.events) == ["Ditarik#1"]


def test_ditolak_after_publication_wins_over_arsip_fisik():
    memory = published_memory()
    cycle = run_cycle(approved_entry(ditolak=True, arsip=True), memory, now=later(10))
    assert cycle.action is Action.WITHDRAW
    assert cycle.first.status == "Tayang"            # not archived while the withdrawal waits
    assert cycle.final.status == "Ditarik"
    assert "Diarsipkan" not in names(cycle.events)
    assert cycle.memory.archived_at is None


def test_unticking_ditolak_after_withdrawal_publishes_the_same_post_again():
    memory = published_memory()
    withdrawn = run_cycle(approved_entry(ditolak=True), memory, now=later(10)).memory
    site = Website()
    back = run_cycle(approved_entry(), withdrawn, now=later(20), site=site)
    assert back.first.action is Action.PUBLISH
    assert site.calls == [Action.PUBLISH]
    assert back.final.status == "Tayang"
    assert back.memory.post.live is True
    assert back.final.cells["Tautan Website"] == URL
    assert back.final.cells["Nomor Arsip"] == ARCHIVE_NUMBER
    assert back.memory.version == 1                      # same content: not an update
    assert back.final.cells["Waktu Tayang"] == later(20)
    assert keys(back.events) == ["Tayang#kembali1"]
    assert back.events[0].detail == f"Tayang lagi di {URL} (kembali ke-1)"
    _, events = settle(approved_entry(), back.memory)
    assert events == []


def test_a_second_withdrawal_and_return_are_recorded_separately():
    memory = published_memory()
    events = []
    for i, entry in enumerate([approved_entry(ditolak=True), approved_entry(),
                               approved_entry(ditolak=True), approved_entry()]):
        cycle = run_cycle(entry, memory, now=later(10 * (i + 1)))
        memory = cycle.memory
        events += cycle.events
    assert keys(events) == ["Ditarik#1", "Tayang#kembali1", "Ditarik#2", "Tayang#kembali2"]
    assert events[2].detail.endswith("(penarikan ke-1)")
    assert memory.withdrawals == 2


def test_unticking_ditolak_without_all_approvals_keeps_it_withdrawn():
    memory = published_memory()
    withdrawn = run_cycle(approved_entry(ditolak=True), memory, now=later(10)).memory
    entry = make_entry(kadis=True)
    cycle = run_cycle(entry, withdrawn, now=later(20))
    assert cycle.action is None
    assert cycle.final.status == "Menunggu Paraf Kabid"
    assert "Berita sudah ditarik dari website." in note(cycle.final)


# --- rule 2: approval binds content -----------------------------------------------------------

def test_content_change_after_ticks_clears_them_and_asks_again():
    d1 = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES)
    entry = edited(kadis=True, kabid=True)
    d = decide(entry, d1.memory, content_of(entry), later(1), RULES)
    assert d.clear_ticks == ("Paraf Kadis", "Paraf Kabid")   # every ticked approval column
    assert d.action is None
    assert d.status == "Menunggu Paraf Kadis"
    assert CHANGED in note(d).splitlines()[0]
    assert d.memory.round == 2
    assert d.memory.approvals == {}
    assert keys(d.events) == ["Paraf Diulang#2"]
    assert d.events[0].detail == "Isi berubah setelah diparaf; paraf dihapus (ulang ke-1)"


def test_only_ticked_approval_columns_are_cleared():
    d1 = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES)
    entry = edited(kadis=True, ditolak=False, arsip=True)
    d = decide(entry, d1.memory, content_of(entry), later(1), RULES)
    assert d.clear_ticks == ("Paraf Kadis",)


@pytest.mark.parametrize("header", ["Judul Berita", "Jenis Berita", "Sumber Berita",
                                    "Naskah Berita", "Tautan Media", "Keterangan Foto"])
def test_a_change_in_any_content_field_voids_the_approval(header):
    value = "Siaran Pers" if header == "Jenis Berita" else "diubah"
    d1 = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES)
    entry = make_entry(complete_cells(**{header: value}), kadis=True)
    d = decide(entry, d1.memory, content_of(entry), later(1), RULES)
    assert d.clear_ticks == ("Paraf Kadis",)
    assert "Paraf Diulang" in names(d.events)


@pytest.mark.parametrize("kw", [dict(document="naskah-v2"),
                                dict(media=(("foto1.jpg", "ff" * 32),))])
def test_a_changed_document_or_photo_voids_the_approval(kw):
    entry = make_entry(kadis=True)
    d1 = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    d = decide(entry, d1.memory, content_of(entry, **kw), later(1), RULES)
    assert d.clear_ticks == ("Paraf Kadis",)
    assert CHANGED in note(d)


@pytest.mark.parametrize("header, value", [(S.RECEIVER, "Budi"), (S.LEADER_NOTE, "oke"),
                                           (S.RECEIVED, datetime(2026, 11, 1))])
def test_other_fields_do_not_void_the_approval(header, value):
    d1 = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES)
    entry = make_entry(complete_cells(**{header: value}), kadis=True)
    d = decide(entry, d1.memory, content_of(entry), later(1), RULES)
    assert d.clear_ticks == () and d.events == ()
    assert d.status == "Menunggu Paraf Kabid"


def test_a_tick_first_seen_with_changed_content_binds_that_content():
    entry = edited(kadis=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.clear_ticks == ()
    assert d.memory.approvals == {"Paraf Kadis": content_of(entry).fingerprint}


def test_a_tick_taken_away_is_forgotten_and_a_new_tick_binds_the_new_content():
    d1 = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES)
    d2 = decide(make_entry(), d1.memory, content_of(make_entry()), later(1), RULES)
    assert d2.memory.approvals == {}
    entry = edited(kadis=True)
    d3 = decide(entry, d2.memory, content_of(entry), later(2), RULES)
    assert d3.clear_ticks == () and d3.status == "Menunggu Paraf Kabid"
    assert d3.events == ()          # Paraf Kadis#1 was already recorded this round


def test_after_a_reset_ticks_are_asked_again_and_then_publish_the_new_content():
    d1 = decide(approved_entry(), fresh_memory(), content_of(approved_entry()), NOW, RULES)
    # Caught before publication (e.g. the site refused last time): memory has both approvals.
    memory = replace(d1.memory)
    entry = edited(kadis=True, kabid=True)
    reset = decide(entry, memory, content_of(entry), later(1), RULES)
    assert reset.action is None and reset.clear_ticks == ("Paraf Kadis", "Paraf Kabid")
    # The shell wrote FALSE; the officials tick again.
    cleared = decide(edited(), reset.memory, content_of(entry), later(2), RULES)
    assert cleared.status == "Menunggu Paraf Kadis" and cleared.clear_ticks == ()
    assert CHANGED not in note(cleared)                  # the note was for the reset only
    cycle = run_cycle(edited(kadis=True, kabid=True), cleared.memory, now=later(3))
    assert cycle.action is Action.PUBLISH
    assert [e.key for e in cycle.events if e.name.startswith("Paraf")] == [
        "Paraf Kadis#2", "Paraf Kabid#2"]
    assert cycle.events[0].detail == "Dicentang (paraf ulang ke-1)"
    assert cycle.memory.post.fingerprint == content_of(edited()).fingerprint


def test_a_second_reset_is_a_new_round():
    memory = decide(make_entry(kadis=True), fresh_memory(), content_of(make_entry()), NOW, RULES).memory
    e2 = edited(kadis=True)
    d2 = decide(e2, memory, content_of(e2), later(1), RULES)
    d2b = decide(edited(kadis=True), decide(edited(), d2.memory, content_of(e2), later(2), RULES).memory,
                 content_of(e2), later(3), RULES)
    e3 = make_entry(complete_cells(**{S.TITLE: "Judul Ketiga"}), kadis=True)
    d3 = decide(e3, d2b.memory, content_of(e3), later(4), RULES)
    assert keys(d3.events) == ["Paraf Diulang#3"]
    assert d3.events[0].detail.endswith("(ulang ke-2)")
    assert d3.memory.round == 3


def test_content_change_on_a_published_row_keeps_the_old_version_online():
    memory = published_memory()
    entry = edited(kadis=True, kabid=True)
    site = Website()
    d = run_cycle(entry, memory, now=later(10), site=site)
    assert site.calls == []
    assert d.final.clear_ticks == ("Paraf Kadis", "Paraf Kabid")
    assert keys(d.events) == ["Paraf Diulang#2"]
    lines = note(d.final).splitlines()
    assert CHANGED in lines[0]
    assert any(URL in line and "Perubahan belum tayang" in line for line in lines)
    assert d.final.cells["Tautan Website"] == URL
    assert d.final.cells["Nomor Arsip"] == ARCHIVE_NUMBER
    assert d.memory.post.fingerprint == memory.post.fingerprint


def test_reapproval_of_a_published_edit_updates_the_same_post():
    memory = published_memory()
    reset = run_cycle(edited(kadis=True, kabid=True), memory, now=later(10)).memory
    waiting_row = run_cycle(edited(), reset, now=later(11)).memory
    site = Website()
    cycle = run_cycle(edited(kadis=True, kabid=True), waiting_row, now=later(20), site=site)
    assert cycle.first.action is Action.UPDATE
    assert site.calls == [Action.UPDATE]
    assert cycle.final.status == "Tayang"
    assert cycle.memory.version == 2
    assert cycle.final.cells["Tautan Website"] == URL
    assert cycle.final.cells["Nomor Arsip"] == ARCHIVE_NUMBER
    assert cycle.final.cells["Waktu Tayang"] == later(20)
    assert cycle.memory.first_published_at == NOW
    updated = [e for e in cycle.events if e.name == "Diperbarui"]
    assert [e.key for e in updated] == ["Diperbarui#v2"]
    assert updated[0].detail == f"Isi berita diperbarui di {URL} (perubahan ke-1)"
    assert "Tayang" not in names(cycle.events)
    _, events = settle(edited(kadis=True, kabid=True), cycle.memory, site=site)
    assert events == [] and site.calls == [Action.UPDATE]


def test_an_approved_edit_on_an_archived_row_updates_then_shows_diarsipkan():
    memory = run_cycle(approved_entry(arsip=True), published_memory(), now=later(5)).memory
    reset = run_cycle(edited(kadis=True, kabid=True, arsip=True), memory, now=later(10)).memory
    waiting_row = run_cycle(edited(arsip=True), reset, now=later(11)).memory
    cycle = run_cycle(edited(kadis=True, kabid=True, arsip=True), waiting_row, now=later(20))
    assert cycle.first.action is Action.UPDATE
    assert cycle.final.status == "Diarsipkan"
    assert cycle.memory.archived_at == later(5)


# --- rule 3: a tick removed after publication -------------------------------------------------

@pytest.mark.parametrize("ticks", [{"kadis": True}, {"kabid": True}, {}])
def test_a_tick_removed_after_publication_keeps_tayang_and_points_to_ditolak(ticks):
    memory = published_memory()
    site = Website()
    cycle = run_cycle(make_entry(**ticks), memory, now=later(10), site=site)
    assert cycle.final.status == "Tayang"
    assert cycle.action is None and site.calls == []
    assert "Ditolak" in note(cycle.final)
    assert cycle.final.cells["Tautan Website"] == URL
    assert cycle.events == []


def test_a_tick_given_back_after_publication_changes_nothing():
    memory = published_memory()
    unticked = run_cycle(make_entry(kadis=True), memory, now=later(10)).memory
    cycle = run_cycle(approved_entry(), unticked, now=later(20))
    assert cycle.action is None and cycle.events == []
    assert cycle.final.status == "Tayang"
    assert note(cycle.final) == (      # only the Kasi's filing is late, as before
        "Melewati standar 7 menit: menunggu naskah fisik diarsipkan Kasi sejak "
        f"{format_datetime(memory.waiting_since)}.")


# --- Gagal Tayang -----------------------------------------------------------------------------

ERROR = "Website tidak menjawab (batas waktu 30 detik)."


def test_a_failed_publication_is_gagal_tayang_and_retried_every_cycle():
    site = Website(error=ERROR)
    entry = approved_entry()
    first = run_cycle(entry, fresh_memory(), site=site)
    assert first.final.status == "Gagal Tayang"
    assert ERROR in note(first.final)
    assert first.final.action is Action.PUBLISH           # still wanted
    assert first.final.cells["Tautan Website"] == "" and first.final.cells["Nomor Arsip"] == ""
    failed = [e for e in first.events if e.name == "Gagal Tayang"]
    assert [e.key for e in failed] == ["Gagal Tayang#1.0"]
    assert ERROR in failed[0].detail
    second, events = settle(entry, first.memory, site=site)
    assert second.first.action is Action.PUBLISH
    assert second.final.status == "Gagal Tayang"
    assert site.calls == [Action.PUBLISH] * 4
    assert events == []                                   # once per round
    site.error = ""
    done = run_cycle(entry, second.memory, now=later(30), site=site)
    assert done.final.status == "Tayang"
    assert ERROR not in note(done.final) and note(done.final) == ""
    assert names(done.events) == ["Tayang"]


def test_the_remembered_error_alone_gives_gagal_tayang_with_the_publish_action():
    entry = approved_entry()
    memory = fresh_memory(publish_error=f"Gagal menayangkan berita: {ERROR}")
    d = decide(entry, memory, content_of(entry), NOW, RULES)
    assert d.status == "Gagal Tayang"
    assert d.action is Action.PUBLISH
    assert f"Gagal menayangkan berita: {ERROR}" in note(d).splitlines()


def test_a_failed_update_is_recorded_separately_from_the_first_failure():
    memory = published_memory()
    reset = run_cycle(edited(kadis=True, kabid=True), memory, now=later(10)).memory
    waiting_row = run_cycle(edited(), reset, now=later(11)).memory
    site = Website(error=ERROR)
    cycle = run_cycle(edited(kadis=True, kabid=True), waiting_row, now=later(20), site=site)
    assert cycle.first.action is Action.UPDATE and cycle.final.action is Action.UPDATE
    assert cycle.final.status == "Gagal Tayang"
    assert [e.key for e in cycle.events if e.name == "Gagal Tayang"] == ["Gagal Tayang#2.1"]
    assert cycle.final.cells["Tautan Website"] == URL     # the old version is still online


def test_gagal_tayang_is_not_recorded_for_a_round_that_never_tried():
    site = Website(error=ERROR)
    failing = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    reset = run_cycle(edited(kadis=True, kabid=True), failing, now=later(1), site=site)
    assert reset.action is None and site.calls == [Action.PUBLISH]
    assert keys(reset.events) == ["Paraf Diulang#2"]
    assert ERROR not in note(reset.final)


def test_a_new_round_that_fails_again_is_a_new_gagal_tayang_event():
    site = Website(error=ERROR)
    failing = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    reset = run_cycle(edited(kadis=True, kabid=True), failing, now=later(1), site=site).memory
    cleared = run_cycle(edited(), reset, now=later(2), site=site).memory
    again = run_cycle(edited(kadis=True, kabid=True), cleared, now=later(3), site=site)
    assert again.final.status == "Gagal Tayang"
    assert [e.key for e in again.events if e.name == "Gagal Tayang"] == ["Gagal Tayang#2.0"]


def test_a_failing_row_that_loses_a_tick_stops_trying():
    site = Website(error=ERROR)
    failing = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    cycle = run_cycle(make_entry(kadis=True), failing, now=later(1), site=site)
    assert cycle.action is None and site.calls == [Action.PUBLISH]
    assert cycle.final.status == "Menunggu Paraf Kabid"


def test_a_failed_withdrawal_keeps_the_post_live_and_retries():
    memory = published_memory()
    site = Website(error=ERROR)
    cycle = run_cycle(approved_entry(ditolak=True), memory, now=later(10), site=site)
    assert cycle.final.action is Action.WITHDRAW
    assert cycle.final.status == "Tayang"
    assert ERROR in note(cycle.final)
    again = run_cycle(approved_entry(ditolak=True), cycle.memory, now=later(11), site=site)
    assert again.first.action is Action.WITHDRAW
    site.error = ""
    done = run_cycle(approved_entry(ditolak=True), again.memory, now=later(12), site=site)
    assert done.final.status == "Ditarik" and ERROR not in note(done.final)


def test_a_rejection_after_a_failed_publication_drops_the_retry_note():
    site = Website(error=ERROR)
    failing = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    cycle = run_cycle(approved_entry(ditolak=True), failing, now=later(1), site=site)
    assert cycle.final.status == "Ditolak"
    assert cycle.action is None
    assert ERROR not in note(cycle.final)


# --- a file too large for the website: refused, not retried ----------------------------------

TOO_LARGE = ("Video 'video1.mp4' (1,5 MB) ditolak website karena melebihi batas unggah website. "
             "Perpendek videonya, atau unggah ke YouTube lalu tempel tautannya di Tautan Media.")
OTHER_VIDEO = (("foto1.jpg", "aa" * 32), ("video1.mp4", "cc" * 32))     # staff replaced it


@dataclass
class RefusingSite(Website):
    """A website that refuses the post's upload as too large (the publisher's UploadRefused),
    as the shell reports it: with the attempt's key (the content under the rules' limit)."""

    refusal: str = TOO_LARGE
    rules: Rules = RULES

    def act(self, action, memory, content, now):
        if not self.refusal:
            return super().act(action, memory, content, now)
        self.calls.append(action)
        memory = transitions.with_slug(memory, "gubernur-resmikan-jembatan-k7qpz2mx9a")
        return transitions.act_refused(memory, action, self.refusal,
                                       attempt_key(content.fingerprint, self.rules))


def test_a_refused_upload_is_gagal_tayang_once_and_not_sent_again():
    site = RefusingSite()
    entry = approved_entry()
    first = run_cycle(entry, fresh_memory(), site=site)
    assert first.action is Action.PUBLISH
    assert first.final.status == "Gagal Tayang"
    assert first.final.action is None                     # nothing is retried
    assert TOO_LARGE in note(first.final)
    assert "mencoba lagi" not in note(first.final)
    assert "sampai berkasnya diganti lalu diparaf ulang" in note(first.final)
    failed = [e for e in first.events if e.name == "Gagal Tayang"]
    assert len(failed) == 1 and TOO_LARGE in failed[0].detail
    later_cycles, events = settle(entry, first.memory, site=site, times=5)
    assert site.calls == [Action.PUBLISH]                 # one upload, however many cycles
    assert later_cycles.first.action is None and later_cycles.final.status == "Gagal Tayang"
    assert note(later_cycles.final) == note(first.final)
    assert events == []                                   # recorded once
    assert later_cycles.final.cells["Tautan Website"] == ""


def test_a_refusal_is_its_own_gagal_tayang_after_a_failure_of_the_same_round():
    site = RefusingSite(refusal="")
    site.error = ERROR
    failing = run_cycle(approved_entry(), fresh_memory(), site=site)
    site.error, site.refusal = "", TOO_LARGE
    refused = run_cycle(approved_entry(), failing.memory, now=later(1), site=site)
    assert refused.final.status == "Gagal Tayang" and refused.final.action is None
    assert ERROR not in note(refused.final) and TOO_LARGE in note(refused.final)
    assert [e.detail for e in refused.events if e.name == "Gagal Tayang"] == [
        refused.memory.refusal]


def test_replacing_the_refused_file_allows_one_new_attempt_once_approved_again():
    site = RefusingSite()
    refused = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    replaced = content_of(approved_entry(), media=OTHER_VIDEO)
    # A content change voids the approvals: nothing is sent until they are given again.
    reset = run_cycle(approved_entry(), refused, replaced, now=later(1), site=site)
    assert reset.action is None and reset.final.status == "Menunggu Paraf Kadis"
    assert TOO_LARGE not in note(reset.final)
    cleared = run_cycle(make_entry(), reset.memory, replaced, now=later(2), site=site).memory
    site.refusal = ""                                     # the new video fits
    done = run_cycle(approved_entry(), cleared, replaced, now=later(3), site=site)
    assert done.action is Action.PUBLISH and site.calls == [Action.PUBLISH] * 2
    assert done.final.status == "Tayang" and note(done.final) == ""
    assert done.memory.refused == "" and done.memory.refusal == ""


def test_the_same_file_refused_again_after_approval_again_is_not_sent():
    site = RefusingSite()
    refused = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    unticked = run_cycle(make_entry(kadis=True), refused, now=later(1), site=site)
    assert unticked.final.status == "Menunggu Paraf Kabid" and TOO_LARGE not in note(unticked.final)
    again = run_cycle(approved_entry(), unticked.memory, now=later(2), site=site)
    assert again.action is None and site.calls == [Action.PUBLISH]
    assert again.final.status == "Gagal Tayang" and TOO_LARGE in note(again.final)


def test_a_changed_upload_limit_allows_one_new_attempt():
    site = RefusingSite()
    entry = approved_entry()
    refused = run_cycle(entry, fresh_memory(), site=site)
    lower = replace(RULES, max_upload_mb=32)
    site.rules = lower
    retried = run_cycle(entry, refused.memory, now=later(1), rules=lower, site=site)
    assert retried.action is Action.PUBLISH and site.calls == [Action.PUBLISH] * 2
    assert retried.final.status == "Gagal Tayang" and retried.final.action is None
    # A new refusal, under another limit: told once more.
    assert [e.name for e in retried.events] == ["Gagal Tayang"]
    assert retried.events[0].key != [e for e in refused.events if e.name == "Gagal Tayang"][0].key
    quiet, events = settle(entry, retried.memory, rules=lower, site=site)
    assert site.calls == [Action.PUBLISH] * 2 and events == []
    site.refusal = ""
    done = run_cycle(entry, quiet.memory, now=later(30), rules=replace(RULES, max_upload_mb=16),
                     site=site)
    assert done.final.status == "Tayang"


def test_a_refused_update_keeps_the_old_version_online_and_the_row_not_archived():
    memory = published_memory()
    reset = run_cycle(edited(kadis=True, kabid=True, arsip=True), memory, now=later(10)).memory
    waiting_row = run_cycle(edited(arsip=True), reset, now=later(11)).memory
    site = RefusingSite()
    cycle = run_cycle(edited(kadis=True, kabid=True, arsip=True), waiting_row, now=later(20),
                      site=site)
    assert cycle.first.action is Action.UPDATE and cycle.final.action is None
    assert cycle.final.status == "Gagal Tayang"
    assert cycle.final.cells["Tautan Website"] == URL
    assert note(cycle.final).startswith("Gagal memperbarui berita: " + TOO_LARGE)
    assert f"Versi sebelumnya tetap tayang di {URL}." in note(cycle.final)
    again = run_cycle(edited(kadis=True, kabid=True, arsip=True), cycle.memory, now=later(21),
                      site=site)
    assert again.action is None and again.final.status == "Gagal Tayang"
    assert site.calls == [Action.UPDATE]


def test_a_refused_row_rejected_afterwards_is_ditolak_without_the_note():
    site = RefusingSite()
    refused = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    cycle = run_cycle(approved_entry(ditolak=True), refused, now=later(1), site=site)
    assert cycle.final.status == "Ditolak" and TOO_LARGE not in note(cycle.final)


def test_the_refusal_is_kept_by_the_ledger_and_an_older_memory_has_none():
    site = RefusingSite()
    refused = run_cycle(approved_entry(), fresh_memory(), site=site).memory
    assert refused.refused == attempt_key(content_of(approved_entry()).fingerprint, RULES)
    again = memory_from_json(memory_to_json(refused), ENTRY_ID)
    assert again == refused
    old = memory_to_json(fresh_memory()).replace(',"refused":"","refusal":""', "")
    assert "refused" not in old
    assert memory_from_json(old, ENTRY_ID) == fresh_memory()


# --- copies (rule 5) --------------------------------------------------------------------------

ORIGIN = ("Baris ini salinan baris 2 (ID Sistem sama); diberi ID Sistem baru dan diperlakukan "
          "sebagai berita baru. Paraf yang ikut tersalin tidak berlaku.")


def test_a_copy_keeps_saying_where_it_came_from():
    entry = make_entry()
    d = decide(entry, fresh_memory(origin_note=ORIGIN), content_of(entry), NOW, RULES)
    assert note(d).splitlines()[0] == ORIGIN
    later_d = decide(entry, d.memory, content_of(entry), later(5), RULES)
    assert ORIGIN in note(later_d)


def test_a_copy_loses_the_ticks_it_was_copied_with():
    copy = replace(approved_entry(), entry_id="NEWID23456", copied_from=2)
    site = Website()
    first = run_cycle(copy, fresh_memory(origin_note=ORIGIN), site=site)
    assert first.action is None and site.calls == []
    assert first.final.status == "Menunggu Paraf Kadis"
    assert first.final.cells["ID Sistem"] == "NEWID23456"
    assert not any(e.name.startswith("Paraf") for e in first.events)
    # Next cycle the row has its own ID; whether or not the ticks were cleared as asked,
    # the copied approval never counts.
    cleared = set(first.final.clear_ticks)
    assert cleared == {"Paraf Kadis", "Paraf Kabid"}
    nxt = make_entry(complete_cells(**{S.ENTRY_ID: "NEWID23456"}),
                     kadis=S.PARAF_KADIS not in cleared, kabid=S.PARAF_KABID not in cleared)
    second = run_cycle(nxt, first.memory, now=later(1), site=site)
    assert second.action is None and site.calls == []


def test_the_original_row_shows_its_duplicate_note():
    entry = replace(make_entry(), notes=("ID Sistem baris ini juga ada di baris 9 (baris tersalin); "
                                         "salinannya diberi ID Sistem baru.",))
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert "baris 9" in note(d)


# --- events are never written twice -----------------------------------------------------------

def test_events_already_in_memory_are_not_emitted_again():
    entry = approved_entry()
    known = frozenset({"Diterima#0", "Lengkap#0", "Paraf Kadis#1", "Paraf Kabid#1", "Tayang#0"})
    memory = published_memory()
    memory = replace(memory, approvals={}, events=known)       # as recovered from Riwayat
    d = decide(entry, memory, content_of(entry), later(10), RULES)
    assert d.events == ()
    assert d.memory.events == known


@pytest.mark.parametrize("key", ["Diterima#0", "Lengkap#0", "Paraf Kadis#1"])
def test_each_known_event_is_skipped_alone(key):
    entry = make_entry(kadis=True)
    d = decide(entry, fresh_memory(events=frozenset({key})), content_of(entry), NOW, RULES)
    assert key not in keys(d.events)
    assert len(keys(d.events)) == 2
    assert d.memory.events == {"Diterima#0", "Lengkap#0", "Paraf Kadis#1"}


def test_no_event_is_emitted_twice_in_one_decision():
    entry = approved_entry(ditolak=True)
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert len(keys(d.events)) == len(set(keys(d.events)))


def test_a_long_life_records_every_event_once():
    site = Website()
    memory, events = fresh_memory(), []
    story = [
        make_entry(), make_entry(kadis=True), approved_entry(), approved_entry(),
        edited(kadis=True, kabid=True), edited(), edited(kadis=True), edited(kadis=True, kabid=True),
        edited(kadis=True, kabid=True), edited(kadis=True, kabid=True, arsip=True),
        edited(kadis=True, kabid=True, arsip=True, ditolak=True), edited(kadis=True, kabid=True),
        edited(kadis=True, kabid=True, arsip=True), edited(kadis=True, kabid=True, arsip=True),
    ]
    statuses = []
    for i, entry in enumerate(story):
        cycle = run_cycle(entry, memory, now=later(i), site=site)
        memory = cycle.memory
        events += cycle.events
        statuses.append(cycle.final.status)
    assert statuses == [
        "Menunggu Paraf Kadis", "Menunggu Paraf Kabid", "Tayang", "Tayang",
        "Menunggu Paraf Kadis", "Menunggu Paraf Kadis", "Menunggu Paraf Kabid", "Tayang", "Tayang",
        "Diarsipkan", "Ditarik", "Tayang", "Diarsipkan", "Diarsipkan",
    ]
    assert site.calls == [Action.PUBLISH, Action.UPDATE, Action.WITHDRAW, Action.PUBLISH]
    assert Counter(keys(events)) == Counter({
        "Diterima#0": 1, "Lengkap#0": 1, "Paraf Kadis#1": 1, "Paraf Kabid#1": 1, "Tayang#0": 1,
        "Paraf Diulang#2": 1, "Paraf Kadis#2": 1, "Paraf Kabid#2": 1, "Diperbarui#v2": 1,
        "Diarsipkan#0": 1, "Ditarik#1": 1, "Tayang#kembali1": 1,
    })
    assert memory.events == set(keys(events))


# --- rule 2 when the clearing write does not land ---------------------------------------------

def test_ticks_that_were_to_be_cleared_do_not_approve_the_changed_content():
    memory = published_memory()
    entry = edited(kadis=True, kabid=True)
    reset = decide(entry, memory, content_of(entry), later(10), RULES)
    assert reset.clear_ticks == ("Paraf Kadis", "Paraf Kabid")
    # The sheet write failed: the row still shows both ticks next cycle.
    nxt = decide(entry, reset.memory, content_of(entry), later(11), RULES)
    assert nxt.action is None
    assert set(nxt.clear_ticks) == {"Paraf Kadis", "Paraf Kabid"}


# --- rule 2 when the content could not be read ------------------------------------------------

def test_an_unreadable_file_does_not_void_the_approvals():
    memory = published_memory()
    entry = approved_entry()
    outage = content_of(entry, media=MEDIA[:1],
                        extra=("Berkas 'video1.mp4' tidak bisa dibuka (folder media tidak terjangkau).",))
    during = decide(entry, memory, outage, later(10), RULES)
    assert during.clear_ticks == ()
    assert "Paraf Diulang" not in names(during.events)
    assert during.action is None
    after = run_cycle(entry, during.memory, now=later(20))
    assert after.action is None
    assert after.final.status == "Tayang"
    assert after.events == []


# --- recognising events after a lost ledger ----------------------------------------------------

def test_first_event_key_names_each_event_as_decide_keys_it_the_first_time():
    """A lost ledger is rebuilt from `Riwayat` with `first_event_key`: it must agree with decide."""
    from automation.core.workflow import first_event_key

    seen: dict[str, str] = {}

    def record(events):
        for e in events:
            seen.setdefault(e.name, e.key)

    failing = Website(error="server mati")
    first = run_cycle(approved_entry(), fresh_memory(), site=failing)
    record(first.events)
    published = run_cycle(approved_entry(arsip=True), first.memory, now=later(1))
    record(published.events)
    reset = run_cycle(edited(kadis=True, kabid=True, arsip=True), published.memory, now=later(2))
    record(reset.events)
    updated = run_cycle(edited(kadis=True, kabid=True, arsip=True),
                        run_cycle(edited(arsip=True), reset.memory, now=later(3)).memory, now=later(4))
    record(updated.events)
    withdrawn = run_cycle(edited(kadis=True, kabid=True, ditolak=True), updated.memory, now=later(5))
    record(withdrawn.events)
    rejected = run_cycle(make_entry(ditolak=True), fresh_memory(), now=later(6))
    record(rejected.events)

    assert set(seen) >= {"Diterima", "Lengkap", "Paraf Kadis", "Paraf Kabid", "Gagal Tayang",
                         "Tayang", "Diarsipkan", "Paraf Diulang", "Diperbarui", "Ditarik", "Ditolak"}
    for name, key in seen.items():
        assert first_event_key(name) == key, name


# --- rule 7: approvals that cannot be trusted publish nothing -------------------------------

HOLD = "Kolom 'Paraf Kabid' dapat diubah orang lain; berita belum ditayangkan."


def test_a_hold_publishes_nothing_and_says_why():
    d = decide(approved_entry(), fresh_memory(), content_of(approved_entry()), NOW, RULES, HOLD)
    assert d.action is None and HOLD in note(d)
    assert d.status == "Menunggu Paraf Kabid"


def test_a_hold_updates_nothing_but_still_lets_a_rejection_withdraw():
    memory = published_memory()
    changed = decide(edited(kadis=True, kabid=True), replace(memory, approvals={}),
                     content_of(edited()), later(5), RULES, HOLD)
    assert changed.action is None and HOLD in note(changed)
    rejected = decide(approved_entry(ditolak=True), memory, content_of(approved_entry()),
                      later(6), RULES, HOLD)
    assert rejected.action is Action.WITHDRAW


def test_without_a_hold_the_same_row_publishes():
    d = decide(approved_entry(), fresh_memory(), content_of(approved_entry()), NOW, RULES, "")
    assert d.action is Action.PUBLISH


# -- SPEC rule 9: what the program writes fits the cell -------------------------------------

def test_notes_that_fit_are_kept_whole():
    from automation.core.workflow import fit_notes
    assert fit_notes(["a", "b", "a"], 100) == "a\nb"


@pytest.mark.parametrize("limit", [32_767, 50_000, 300])
def test_many_notes_are_cut_to_the_cell_and_say_how_many_more(limit):
    from automation.core.workflow import fit_notes
    notes = [f"Foto 'acara/foto-{n:03d}.jpg' rusak atau tidak utuh. Salin ulang foto aslinya."
             for n in range(1000)]
    text = fit_notes(notes, limit)
    assert len(text) <= limit
    lines = text.split("\n")
    shown = lines[:-1]
    assert shown == notes[:len(shown)]
    assert lines[-1] == f"… dan {1000 - len(shown)} masalah lain."
    # as many as fit: one more would not
    assert len("\n".join(notes[:len(shown) + 1] + [f"… dan {999 - len(shown)} masalah lain."])) > limit


def test_one_very_long_note_is_shortened():
    from automation.core.workflow import NOTE_LIMIT, fit_notes
    text = fit_notes(["x" * 40_000], 32_767)
    assert len(text) == NOTE_LIMIT and text.endswith("…")


# -- SPEC rule 4: a formula is the office's -------------------------------------------------

def test_tanggal_terima_holding_a_formula_that_shows_nothing_is_never_filled():
    entry = make_entry(complete_cells(**{S.RECEIVED: None}), formulas=[S.RECEIVED])
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert S.RECEIVED not in d.cells
    assert entry.formulas == {S.RECEIVED}


@pytest.mark.parametrize("header", [S.STATUS, S.SYSTEM_NOTE, S.AGENDA_NUMBER])
def test_no_cell_holding_a_formula_is_written(header):
    entry = make_entry(formulas=[header])
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert header not in d.cells


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?"])
@pytest.mark.parametrize("header", [S.NEWS_TYPE, S.TITLE, S.CAPTION])
def test_a_formula_error_in_a_staff_field_is_named(error, header):
    entry = make_entry(complete_cells(**{header: error}), formulas=[header])
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Belum Lengkap"
    assert f"Kolom '{header}' berisi galat {error}" in note(d)
    assert "wajib diisi" not in note(d) and "tidak dikenal" not in note(d)


def test_a_required_field_whose_formula_shows_nothing_says_so():
    entry = make_entry(complete_cells(**{S.SOURCE: None}), formulas=[S.SOURCE])
    d = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    assert d.status == "Belum Lengkap"
    assert "Kolom 'Sumber Berita' berisi rumus yang hasilnya kosong" in note(d)


def test_a_tick_given_by_a_formula_is_not_cleared_but_counts_for_nothing():
    entry = approved_entry()
    first = decide(entry, fresh_memory(), content_of(entry), NOW, RULES)
    changed = make_entry(complete_cells(**{S.TITLE: "Judul baru"}), kadis=True, kabid=True,
                         formulas=[S.PARAF_KADIS])
    d = decide(changed, first.memory, content_of(changed), later(5), RULES)
    assert d.clear_ticks == (S.PARAF_KABID,)
    assert d.action is None
    assert "Kolom 'Paraf Kadis' berisi rumus" in note(d)
    again = decide(changed, d.memory, content_of(changed), later(6), RULES)
    assert again.action is None and again.status == "Menunggu Paraf Kadis"


def test_a_memory_is_kept_as_json_and_read_back_the_same():
    from automation.core.workflow import PostRef, memory_from_json, memory_to_json
    memory = Memory(agenda_number="0001/2026", first_seen=NOW, approvals={"Paraf Kadis": "f1"},
                    round=2, slug="s", post=PostRef("E1", "s", "https://x/s/", "101", "f1", True),
                    first_published_at=NOW, published_at=NOW, archive_number="A",
                    archive_location="L", archived_at=NOW, version=1, clearing=("Paraf Kabid",),
                    events=frozenset({"Tayang#0", "Diterima#0"}), waiting_step="Arsip Fisik#1",
                    waiting_since=NOW, reminded="Arsip Fisik#1")
    assert memory_from_json(memory_to_json(memory), "E1") == memory
    # a ledger of release 0.1.0 lacks fields added since, and kept the post without its ID
    assert memory_from_json('{"agenda_number": "0002/2026", "post": null}', "E2") == Memory(
        agenda_number="0002/2026")
    old = memory_from_json('{"post": {"slug": "s", "post_id": "7", "url": "u", '
                           '"fingerprint": "f", "live": true}}', "E3")
    assert old.post == PostRef("E3", "s", "u", "7", "f", True)
