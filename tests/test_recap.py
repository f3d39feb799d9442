"""The monthly recap core (SPEC section 7) on a hand-built November 2026.

Every expected figure is worked out by hand in the comments; the step definitions and the
percentile are the ones in the docstring of `automation.core.recap`.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from automation.core.recap import (
    ARCHIVING, GONE, INPUT, RECEIVING, Counts, Overdue, make_recap, merge_events, percentile_90,
)
from automation.core.workflow import Event
from tests.support.core import WITA

KADIS, KABID = "Paraf Kadis", "Paraf Kabid"


def at(day: int, hh: int, mm: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=WITA)


def events(entry_id: str, *pairs: tuple[datetime, str]) -> list[Event]:
    return [Event(entry_id, name, when) for when, name in pairs]


# Step minutes per entry, in SOP order (Penerimaan, Kadis, Kabid, Input, Pengarsipan).
MONTH = [
    # A: the plain path. 2, 8, 3, 1, 16. Written out of order on purpose.
    *events("A", (at(3, 9, 14), "Tayang"), (at(3, 9, 0), "Diterima"),
            (at(3, 9, 30), "Diarsipkan"), (at(3, 9, 13), KABID), (at(3, 9, 2), "Lengkap"),
            (at(3, 9, 10), KADIS)),
    # B: complete at once, slow Kabid, no archive yet. 0, 5, 15, 6, -.
    *events("B", (at(5, 10, 0), "Diterima"), (at(5, 10, 0), "Lengkap"), (at(5, 10, 5), KADIS),
            (at(5, 10, 20), KABID), (at(5, 10, 26), "Tayang")),
    # C: the Kabid rejects (twice: counted once); the rejection ends the Kabid step and
    # there are no later steps. 4, 3, 23 (08:07 -> 08:30), -, -.
    *events("C", (at(10, 8, 0), "Diterima"), (at(10, 8, 4), "Lengkap"), (at(10, 8, 7), KADIS),
            (at(10, 8, 30), "Ditolak"), (at(11, 9, 0), "Ditolak")),
    # D: edited after publication and approved again; first occurrences count, the second
    # round (14:00 on) changes nothing. 1, 5, 2, 1, 6.
    *events("D", (at(12, 13, 0), "Diterima"), (at(12, 13, 1), "Lengkap"), (at(12, 13, 6), KADIS),
            (at(12, 13, 8), KABID), (at(12, 13, 9), "Tayang"), (at(12, 13, 15), "Diarsipkan"),
            (at(12, 14, 0), "Paraf Diulang"), (at(12, 14, 30), KADIS),
            (at(12, 14, 40), KABID), (at(12, 14, 41), "Diperbarui")),
    # E: received and published in October, archived and withdrawn in November; its row is
    # gone from the agenda. Only the archive step ends in November: 30 Oct 15:06 ->
    # 2 Nov 08:00 = 2 days 16 h 54 min = 2*1440 + 16*60 + 54 = 3894 minutes.
    *events("E", (at(30, 15, 0, 10), "Diterima"), (at(30, 15, 1, 10), "Lengkap"),
            (at(30, 15, 3, 10), KADIS), (at(30, 15, 5, 10), KABID),
            (at(30, 15, 6, 10), "Tayang"), (at(2, 8, 0), "Diarsipkan"),
            (at(4, 9, 0), "Ditarik")),
    # F: received on the last evening of the month; complete only in December, so its
    # first step (23:58 -> 00:03 = 5) counts in December.
    *events("F", (at(30, 23, 58), "Diterima"), (at(1, 0, 3, 12), "Lengkap"),
            (at(1, 0, 5, 12), KADIS)),
    # G: 3, 2, 10, 1, 44.
    *events("G", (at(20, 8, 0), "Diterima"), (at(20, 8, 3), "Lengkap"), (at(20, 8, 5), KADIS),
            (at(20, 8, 15), KABID), (at(20, 8, 16), "Tayang"), (at(20, 9, 0), "Diarsipkan")),
]

ROWS = {
    "A": ("Siaran Pers", "Biro Adpim"),
    "B": ("Siaran Pers", "Dinas Kesehatan"),
    "C": ("Kegiatan OPD", "Dinas Kesehatan"),
    "D": ("Pengumuman", "Biro Adpim"),
    "F": ("Siaran Pers", "Dinas Kesehatan"),
    "G": ("Kegiatan Pimpinan", "Biro Adpim"),
}

STEPS = (RECEIVING, KADIS, KABID, INPUT, ARCHIVING)


@pytest.fixture(scope="module")
def november():
    shuffled = list(MONTH)
    random.Random(2026).shuffle(shuffled)        # the input order must not matter
    return make_recap(shuffled, ROWS, 2026, 11)


def test_counts_of_the_month(november):
    # received: first Diterima in November: A B C D F G (E was October) = 6
    # published: first Tayang in November: A B D G (E was October) = 4
    # rejected: C, once although it has two Ditolak = 1; withdrawn: E = 1
    assert november.totals == Counts(received=6, published=4, rejected=1, withdrawn=1)


def test_counts_by_type_and_source_most_received_first(november):
    # Siaran Pers: A (rec, pub), B (rec, pub), F (rec) = 3, 2, 0, 0
    # Kegiatan OPD: C (rec, rej); Kegiatan Pimpinan: G; Pengumuman: D; E's row is gone.
    assert list(november.by_type.items()) == [
        ("Siaran Pers", Counts(3, 2, 0, 0)),
        ("Kegiatan OPD", Counts(1, 0, 1, 0)),
        ("Kegiatan Pimpinan", Counts(1, 1, 0, 0)),
        ("Pengumuman", Counts(1, 1, 0, 0)),
        (GONE, Counts(0, 0, 0, 1)),
    ]
    # Biro Adpim: A D G, all received and published; Dinas Kesehatan: B (pub), C (rej), F.
    assert list(november.by_source.items()) == [
        ("Biro Adpim", Counts(3, 3, 0, 0)),
        ("Dinas Kesehatan", Counts(3, 1, 1, 0)),
        (GONE, Counts(0, 0, 0, 1)),
    ]


def test_step_figures(november):
    figures = {f.step: f for f in november.figures}
    assert november.steps == STEPS and [f.step for f in november.figures] == list(STEPS)

    # Penerimaan: A2 B0 C4 D1 G3 (F ends in December) -> [0,1,2,3,4], n = 5 (odd)
    # median 2; p90: h = 0.9*4 = 3.6 -> x3 + 0.6*(x4-x3) = 3 + 0.6*1 = 3.6; all <= 7
    f = figures[RECEIVING]
    assert (f.n, f.median, f.within) == (5, 2, 1.0)
    assert f.p90 == pytest.approx(3.6)

    # Kadis: A8 B5 C3 D5 G2 -> [2,3,5,5,8]; median 5; p90 = 5 + 0.6*(8-5) = 6.8; 4 of 5
    f = figures[KADIS]
    assert (f.n, f.median, f.within) == (5, 5, 0.8)
    assert f.p90 == pytest.approx(6.8)

    # Kabid: A3 B15 C23 (ended by Ditolak) D2 G10 -> [2,3,10,15,23]; median 10;
    # p90 = 15 + 0.6*(23-15) = 19.8; 2 of 5 within
    f = figures[KABID]
    assert (f.n, f.median, f.within) == (5, 10, 0.4)
    assert f.p90 == pytest.approx(19.8)

    # Input: A1 B6 D1 G1 (C rejected: none) -> [1,1,1,6], n = 4 (even)
    # median (1+1)/2 = 1; p90: h = 0.9*3 = 2.7 -> x2 + 0.7*(x3-x2) = 1 + 0.7*5 = 4.5
    f = figures[INPUT]
    assert (f.n, f.median, f.within) == (4, 1, 1.0)
    assert f.p90 == pytest.approx(4.5)

    # Pengarsipan: A16 D6 E3894 G44 -> [6,16,44,3894]; median (16+44)/2 = 30;
    # p90 = 44 + 0.7*(3894-44) = 44 + 2695 = 2739; 1 of 4 within (D)
    f = figures[ARCHIVING]
    assert (f.n, f.median, f.within) == (4, 30, 0.25)
    assert f.p90 == pytest.approx(2739)


def test_minutes_per_entry_and_overdue_cases(november):
    minutes = {e.entry_id: e.minutes for e in november.entries}
    # In order of receipt: E (October) A B C D G F.
    assert [e.entry_id for e in november.entries] == ["E", "A", "B", "C", "D", "G", "F"]
    assert minutes["A"] == (2, 8, 3, 1, 16)
    assert minutes["C"] == (4, 3, 23, None, None)       # rejected: no later steps
    assert minutes["D"] == (1, 5, 2, 1, 6)              # first occurrences only
    assert minutes["E"] == (None, None, None, None, 3894)
    assert minutes["F"] == (None,) * 5                  # listed: received this month
    e = next(e for e in november.entries if e.entry_id == "E")
    assert (e.news_type, e.source, e.received_at) == (GONE, GONE, at(30, 15, 0, 10))
    # Over 7 minutes, entry by entry in that order.
    assert november.overdue == (
        Overdue("E", ARCHIVING, 3894), Overdue("A", KADIS, 8), Overdue("A", ARCHIVING, 16),
        Overdue("B", KABID, 15), Overdue("C", KABID, 23), Overdue("G", KABID, 10),
        Overdue("G", ARCHIVING, 44),
    )


def test_a_step_counts_in_the_month_it_ends():
    december = make_recap(MONTH, ROWS, 2026, 12)
    # F: received 30 Nov 23:58 (counted in November), complete 1 Dec 00:03 -> 5 minutes in
    # December; its Kadis tick follows 2 minutes later. Nothing else happened in December.
    assert december.totals == Counts()
    assert [e.entry_id for e in december.entries] == ["F"]
    assert december.entries[0].minutes == (5, 2, None, None, None)
    assert [(f.n, f.median) for f in december.figures] == [(1, 5), (1, 2), (0, None),
                                                          (0, None), (0, None)]
    assert december.figures[0].p90 == 5 and december.figures[2].p90 is None
    assert december.figures[2].within is None


def test_an_approval_given_before_its_step_began_takes_no_time():
    # The Kabid ticked (09:05) before the Kadis (09:09): the Kabid step begins at 09:09 with
    # its tick already there, so 0 minutes, and the input runs from 09:09: 09:10 - 09:09 = 1.
    # The Kadis step, 09:02 -> 09:09 = 7, is within the standard (<= 7).
    recap = make_recap(events("H", (at(6, 9, 0), "Diterima"), (at(6, 9, 2), "Lengkap"),
                              (at(6, 9, 5), KABID), (at(6, 9, 9), KADIS),
                              (at(6, 9, 10), "Tayang")), {"H": ("Galeri", "Humas")}, 2026, 11)
    assert recap.entries[0].minutes == (2, 7, 0, 1, None)
    assert recap.overdue == () and recap.figures[1].within == 1.0


def test_only_the_last_approval_step_ends_at_a_rejection():
    # Three approval columns; Kadis (08:01) and Kabid (08:03) approve, then the row is
    # rejected: the step of the last column, Sekdis, ends there: 08:03 -> 08:09 = 6.
    # Nothing after it.
    columns = (KADIS, KABID, "Paraf Sekdis")
    recap = make_recap(events("J", (at(9, 8, 0), "Diterima"), (at(9, 8, 0), "Lengkap"),
                              (at(9, 8, 1), KADIS), (at(9, 8, 3), KABID),
                              (at(9, 8, 9), "Ditolak")), {}, 2026, 11, columns)
    assert recap.steps == (RECEIVING, *columns, INPUT, ARCHIVING)
    assert recap.entries[0].minutes == (0, 1, 2, 6, None, None)
    assert recap.by_type == {GONE: Counts(received=1, rejected=1)}


def test_an_event_in_both_the_ledger_and_riwayat_counts_once():
    # The ledger keeps fractions of a second, Riwayat whole seconds: the same Tayang.
    tayang = at(3, 9, 15).replace(second=59)
    ledger = [Event("A", "Tayang", tayang.replace(microsecond=700000), "0001/2026", "", "0")]
    riwayat = [Event("A", "Tayang", tayang, "0001/2026"),
               Event("A", "Diarsipkan", at(3, 9, 20), "0001/2026"),
               Event("A", "Lengkap", "bukan tanggal", "0001/2026")]
    merged = merge_events(ledger, riwayat)
    assert merged == [ledger[0], riwayat[1]]
    assert make_recap(merged, {}, 2026, 11).entries[0].agenda_number == "0001/2026"


def test_an_entry_is_numbered_by_the_first_of_its_events_that_names_a_number():
    recap = make_recap([Event("A", "Diterima", at(3, 9, 0)),
                        Event("A", "Lengkap", at(3, 9, 1), "0001/2026"),
                        Event("A", "Tayang", at(3, 9, 2), "0002/2026")], {}, 2026, 11)
    assert recap.entries[0].agenda_number == "0001/2026"


def test_the_90th_percentile_definition():
    assert percentile_90([]) is None
    assert percentile_90([4.0]) == 4.0
    # [1, 2]: h = 0.9 -> 1 + 0.9*1 = 1.9; [1, 2, 3]: h = 1.8 -> 2 + 0.8*1 = 2.8
    assert percentile_90([2, 1]) == pytest.approx(1.9)
    assert percentile_90([3, 1, 2]) == pytest.approx(2.8)
