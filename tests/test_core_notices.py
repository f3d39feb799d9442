"""Who is told what (pure): `automation.core.notices.for_row` over the SOP's moments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from automation.core import schema as S
from automation.core.entry import Rules
from automation.core.notices import OfficeHours, after_notices, for_row, role_of
from automation.core.ticks import DEFAULT_TICK_WORDS
from tests.support.core import (
    AGENDA, ARCHIVE_LOCATION, ARCHIVE_NUMBER, NEWS_TYPES, NOW, RULES, URL, Website, WITA,
    complete_cells, fresh_memory, later, make_entry, run_cycle,
)

HOURS = OfficeHours()
LINK = "https://docs.google.com/spreadsheets/d/abc/edit"
TITLE = complete_cells()[S.TITLE]


def told(cycle, entry, now=NOW, rules=RULES, hours=HOURS):
    """(key, roles) of every notice of both decisions of a shell-like cycle."""
    found = []
    for decision in (cycle.first, cycle.final) if cycle.action else (cycle.final,):
        found += for_row(entry, decision, now, rules, hours, LINK)
    return found


def test_role_of_an_approval_column():
    assert role_of("Paraf Kadis") == "kadis"
    assert role_of("paraf  Sekdis") == "sekdis"
    assert role_of("Persetujuan") == "persetujuan"


def test_a_complete_row_tells_the_first_official_and_says_where_to_look():
    entry = make_entry()
    (notice,) = told(run_cycle(entry, fresh_memory()), entry)
    assert notice.roles == ("kadis",) and notice.key == "menunggu:Paraf Kadis#1"
    assert notice.subject == f"Menunggu Paraf Kadis: {TITLE}"
    for part in (TITLE, AGENDA, "Paraf Kadis", "standar 7 menit", LINK):
        assert part in notice.text


def test_after_the_kadis_ticks_the_kabid_is_told():
    entry = make_entry()
    first = run_cycle(entry, fresh_memory())
    ticked = make_entry(kadis=True)
    (notice,) = told(run_cycle(ticked, first.memory, now=later(3)), ticked, later(3))
    assert notice.roles == ("kabid",) and notice.key == "menunggu:Paraf Kabid#1"


def test_an_incomplete_row_tells_no_official():
    entry = make_entry(complete_cells(**{S.TITLE: "Judul", S.SOURCE: None}))
    cycle = run_cycle(entry, fresh_memory())
    assert cycle.final.status == "Belum Lengkap"
    assert told(cycle, entry) == []


def test_a_row_approved_at_once_is_published_and_petugas_and_kasi_get_the_archive_place():
    entry = make_entry(kadis=True, kabid=True)
    cycle = run_cycle(entry, fresh_memory())
    notices = told(cycle, entry)
    assert [(n.key, n.roles) for n in notices] == [("Tayang#0", ("petugas", "kasi"))]
    text = notices[0].text
    for part in (URL, ARCHIVE_NUMBER, ARCHIVE_LOCATION, AGENDA, "Arsip Fisik"):
        assert part in text


def test_a_failed_publication_tells_the_administrator_with_the_cause():
    entry = make_entry(kadis=True, kabid=True)
    cycle = run_cycle(entry, fresh_memory(), site=Website(error="Server website tidak menjawab."))
    notices = told(cycle, entry)
    assert [n.roles for n in notices] == [("admin",)]
    assert "Server website tidak menjawab." in notices[0].text


def test_rejection_tells_the_petugas_with_the_leaders_note():
    cells = complete_cells(**{S.LEADER_NOTE: "Tunggu konfirmasi BPBD"})
    entry = make_entry(cells, ditolak=True)
    (notice,) = told(run_cycle(entry, fresh_memory()), entry)
    assert notice.roles == ("petugas",) and "Tunggu konfirmasi BPBD" in notice.text


def test_withdrawal_tells_petugas_and_kasi():
    entry = make_entry(kadis=True, kabid=True)
    published = run_cycle(entry, fresh_memory()).memory
    rejected = make_entry(kadis=True, kabid=True, ditolak=True)
    cycle = run_cycle(rejected, published, now=later(5))
    notices = told(cycle, rejected, later(5))
    assert [(n.key.split("#")[0], n.roles) for n in notices] == [("Ditarik", ("petugas", "kasi"))]


def test_a_new_approval_round_asks_again():
    entry = make_entry(kadis=True)
    first = run_cycle(entry, fresh_memory())
    edited = make_entry(complete_cells(**{S.TITLE: "Judul Baru"}), kadis=True)
    cycle = run_cycle(edited, first.memory, now=later(2))
    assert cycle.final.status == "Menunggu Paraf Kadis"
    keys = [n.key for n in told(cycle, edited, later(2))]
    assert keys == ["menunggu:Paraf Kadis#2"]


# ---- reminders: one per wait that outlasts the standard, in office hours only ---------------

FRIDAY_MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=WITA)       # 27 Nov 2026 is a Friday


def waited(minutes, start=FRIDAY_MORNING, rules=RULES):
    entry = make_entry()
    first = run_cycle(entry, fresh_memory(), now=start)
    now = start.replace(minute=0) + (later(minutes) - NOW)
    return entry, run_cycle(entry, first.memory, now=now), now


@pytest.mark.parametrize("minutes, reminded", [(7, False), (8, True), (60, True)])
def test_a_reminder_comes_only_after_the_standard(minutes, reminded):
    entry, cycle, now = waited(minutes)
    notices = [n for n in told(cycle, entry, now) if n.key.startswith("pengingat:")]
    assert bool(notices) == reminded
    if reminded:
        (n,) = notices
        assert n.roles == ("kadis",) and n.key == "pengingat:Paraf Kadis#1"
        assert "sejak 27 November 2026, 09:00 WITA" in n.text and "standar 7 menit" in n.text


@pytest.mark.parametrize("start, reminded", [
    (datetime(2026, 11, 27, 15, 50, tzinfo=WITA), False),   # due 15:58 but checked at 16:05
    (datetime(2026, 11, 28, 9, 0, tzinfo=WITA), False),     # Saturday
    (datetime(2026, 11, 30, 7, 0, tzinfo=WITA), True),      # Monday: due 07:08, checked 08:00
])
def test_reminders_wait_for_office_hours(start, reminded):
    entry = make_entry()
    first = run_cycle(entry, fresh_memory(), now=start)
    now = start.replace(hour=16, minute=5) if start.hour == 15 else (
        start.replace(hour=8) if start.hour == 7 else start.replace(minute=30))
    notices = [n for n in told(run_cycle(entry, first.memory, now=now), entry, now)
               if n.key.startswith("pengingat:")]
    assert bool(notices) == reminded


def test_the_kasi_is_reminded_to_file_the_paper_and_the_petugas_to_complete_a_row():
    entry = make_entry(kadis=True, kabid=True)
    published = run_cycle(entry, fresh_memory(), now=FRIDAY_MORNING).memory
    now = FRIDAY_MORNING.replace(minute=30)
    notices = told(run_cycle(entry, published, now=now), entry, now)
    assert [(n.key, n.roles) for n in notices] == [("pengingat:Arsip Fisik#1", ("kasi",))]
    assert "naskah fisik diarsipkan Kasi" in notices[0].text

    incomplete = make_entry(complete_cells(**{S.SOURCE: None}))
    memory = run_cycle(incomplete, fresh_memory(), now=FRIDAY_MORNING).memory
    notices = told(run_cycle(incomplete, memory, now=now), incomplete, now)
    assert [(n.key, n.roles) for n in notices] == [("pengingat:Belum Lengkap#1", ("petugas",))]


def test_a_third_official_column_has_its_own_role():
    rules = Rules(("Paraf Kadis", "Paraf Kabid", "Paraf Sekdis"), NEWS_TYPES, DEFAULT_TICK_WORDS)
    entry = make_entry(rules=rules, kadis=True, kabid=True)
    (notice,) = told(run_cycle(entry, fresh_memory(), rules=rules), entry, rules=rules)
    assert notice.roles == ("sekdis",)


def test_the_step_a_row_waits_at_keeps_its_start_across_cycles():
    entry = make_entry()
    first = run_cycle(entry, fresh_memory())
    again = run_cycle(entry, first.memory, now=later(5))
    assert again.memory.waiting_since == first.memory.waiting_since == NOW
    ticked = make_entry(kadis=True)
    moved = run_cycle(ticked, again.memory, now=later(6))
    assert moved.memory.waiting_step == "Paraf Kabid#1" and moved.memory.waiting_since == later(6)


def test_each_notice_is_given_once_so_unchanged_rows_cost_nothing():
    entry = make_entry()
    first = run_cycle(entry, fresh_memory(), now=FRIDAY_MORNING)
    assert [n.key for n in told(first, entry, FRIDAY_MORNING)] == ["menunggu:Paraf Kadis#1"]
    later_on = FRIDAY_MORNING.replace(minute=3)
    assert told(run_cycle(entry, first.memory, now=later_on), entry, later_on) == []

    overdue_at = FRIDAY_MORNING.replace(minute=30)
    cycle = run_cycle(entry, first.memory, now=overdue_at)
    reminders = told(cycle, entry, overdue_at)
    assert [n.key for n in reminders] == ["pengingat:Paraf Kadis#1"]
    memory = after_notices(cycle.memory, reminders)
    assert memory.reminded == "Paraf Kadis#1"
    again = FRIDAY_MORNING.replace(minute=45)
    assert told(run_cycle(entry, memory, now=again), entry, again) == []
    assert after_notices(cycle.memory, []) == cycle.memory


def test_a_wait_overdue_for_days_is_not_reminded_of_any_more():
    entry = make_entry()
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=WITA)
    first = run_cycle(entry, fresh_memory(), now=monday)
    thursday, friday = monday.replace(day=26), monday.replace(day=27, minute=1)
    assert [n.key for n in told(run_cycle(entry, first.memory, now=thursday), entry, thursday)] \
        == ["pengingat:Paraf Kadis#1"]
    assert told(run_cycle(entry, first.memory, now=friday), entry, friday) == []


# -- when a row that nobody touches may still change --------------------------------------------

def test_a_row_waiting_within_the_standard_is_looked_at_again_when_it_passes_it():
    from automation.core.notices import recheck_at
    from automation.core.workflow import Memory as _Memory
    since = NOW
    memory = _Memory(waiting_step="Paraf Kadis#1", waiting_since=since)
    assert recheck_at(memory, since + timedelta(minutes=3), RULES, notifying=False) == \
        since + timedelta(minutes=7, seconds=1)
    # past it, with nobody to remind: nothing changes with time any more
    assert recheck_at(memory, since + timedelta(minutes=8), RULES, notifying=False) is None
    # owed a reminder: every cycle, until it is queued (office hours), then never
    later = since + timedelta(minutes=8)
    assert recheck_at(memory, later, RULES, notifying=True) == later
    reminded = _Memory(waiting_step="Paraf Kadis#1", waiting_since=since, reminded="Paraf Kadis#1")
    assert recheck_at(reminded, later, RULES, notifying=True) is None
    assert recheck_at(memory, since + timedelta(days=5), RULES, notifying=True) is None
    assert recheck_at(_Memory(), later, RULES, notifying=True) is None


# -- the page a notice carries (SPEC section 9) ---------------------------------------------------

def test_the_official_asked_for_paraf_gets_the_pratinjau_of_the_version_asked_about():
    from automation.core.entry import Content
    from automation.pratinjau.page import PRATINJAU
    from tests.support.core import content_of

    entry = make_entry()
    version = content_of(entry).fingerprint
    cycle = run_cycle(entry, fresh_memory())
    (kadis,) = for_row(entry, cycle.final, NOW, RULES, HOURS, LINK, fingerprint=version)
    assert kadis.attachment == (PRATINJAU, version)
    assert kadis.reference == f"pratinjau:{version}"
    # Not told the version (and no tick binds one yet): the entry's newest Pratinjau.
    (unknown,) = told(cycle, entry)
    assert unknown.attachment == (PRATINJAU, "") and unknown.reference == "pratinjau:"

    # The Kabid is asked about the version the Kadis's tick binds.
    ticked = make_entry(kadis=True)
    (kabid,) = told(run_cycle(ticked, cycle.memory, now=later(3)), ticked, later(3))
    assert kabid.attachment == (PRATINJAU, content_of(ticked).fingerprint)

    # An edit after the tick: a new round, and the notice of it carries the new version.
    edited = make_entry(complete_cells(**{S.TITLE: "Judul Baru"}), kadis=True)
    new = content_of(edited).fingerprint
    assert new != version
    again = run_cycle(edited, run_cycle(ticked, cycle.memory, now=later(3)).memory,
                      content=Content(new), now=later(5))
    (round2,) = for_row(edited, again.final, later(5), RULES, HOURS, LINK, fingerprint=new)
    assert round2.key == "menunggu:Paraf Kadis#2" and round2.attachment == (PRATINJAU, new)


def test_publication_carries_the_lembar_arsip_of_the_published_version():
    from automation.pratinjau.page import ARSIP

    entry = make_entry(kadis=True, kabid=True)
    cycle = run_cycle(entry, fresh_memory())
    (live,) = told(cycle, entry)
    assert live.roles == ("petugas", "kasi")
    assert live.attachment == (ARSIP, cycle.memory.post.fingerprint)
    assert live.reference == f"arsip:{cycle.memory.post.fingerprint}"

    # Diperbarui: the sheet made again for the new version.
    from automation.core import transitions

    edited = make_entry(complete_cells(**{S.TITLE: "Judul Baru"}), kadis=True, kabid=True)
    voided = run_cycle(edited, cycle.memory, now=later(5))           # ticks asked to be cleared
    cleared = make_entry(complete_cells(**{S.TITLE: "Judul Baru"}))
    memory = run_cycle(cleared, transitions.ticks_cleared(voided.memory), now=later(6)).memory
    updated = run_cycle(edited, memory, now=later(7))
    (notice,) = [n for n in told(updated, edited, later(7)) if n.key.startswith("Diperbarui")]
    assert notice.attachment == (ARSIP, updated.memory.post.fingerprint)
    assert updated.memory.post.fingerprint != cycle.memory.post.fingerprint


def test_reminders_carry_the_page_of_their_step_and_other_notices_none():
    from automation.pratinjau.page import ARSIP, PRATINJAU

    entry, cycle, now = waited(30)
    (reminder,) = [n for n in told(cycle, entry, now) if n.key.startswith("pengingat:")]
    assert reminder.attachment == (PRATINJAU, "")

    published = run_cycle(make_entry(kadis=True, kabid=True), fresh_memory(),
                          now=FRIDAY_MORNING).memory
    now = FRIDAY_MORNING.replace(minute=30)
    entry = make_entry(kadis=True, kabid=True)
    (filing,) = told(run_cycle(entry, published, now=now), entry, now)
    assert filing.attachment == (ARSIP, published.post.fingerprint)

    incomplete = make_entry(complete_cells(**{S.SOURCE: None}))
    memory = run_cycle(incomplete, fresh_memory(), now=FRIDAY_MORNING).memory
    (data,) = told(run_cycle(incomplete, memory, now=now), incomplete, now)
    assert data.attachment is None and data.reference is None

    rejected = make_entry(ditolak=True)
    (notice,) = told(run_cycle(rejected, fresh_memory()), rejected)
    assert notice.attachment is None


def test_a_reference_reads_back():
    from automation.core.notices import Notice, parse_reference

    notice = Notice("k", ("kadis",), "s", "t", ("pratinjau", "3f9a21c7"))
    assert parse_reference(notice.reference) == ("pratinjau", "3f9a21c7")
    assert parse_reference("arsip:") == ("arsip", "")
