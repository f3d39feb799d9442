"""Every change of a row's memory that `decide` does not make: first sight, recovery, numbers
and the outcomes of the shell's outside effects (automation/core/transitions.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from automation.core import schema as S
from automation.core import transitions as T
from automation.core.numbering import Numbering
from automation.core.workflow import Action, Event, Memory, PostRef
from tests.support.core import NOW, WITA, complete_cells, make_entry

POST = PostRef(entry_id="ABC", slug="rapat-abc", post_id="101", url="https://x.go.id/rapat-abc/",
                 fingerprint="f1", live=True)


def test_a_new_row_starts_with_an_empty_memory():
    assert T.first_sight(make_entry()) == Memory()


def test_a_copy_keeps_saying_where_it_came_from():
    copy = replace(make_entry(), entry_id="", copied_from=7)
    memory = T.first_sight(copy)
    assert "salinan baris 7" in memory.origin_note and memory.approvals == {}
    assert not T.known_before(copy)


def test_a_row_showing_program_cells_was_known_before():
    assert not T.known_before(make_entry(complete_cells(**{S.ENTRY_ID: "ABC"})))  # only an ID
    assert T.known_before(make_entry(complete_cells(**{S.ENTRY_ID: "ABC",
                                                        S.STATUS: "Menunggu Paraf Kadis"})))
    assert not T.known_before(make_entry(complete_cells(**{S.ENTRY_ID: None,
                                                            S.STATUS: "Tayang"})))   # no ID


def test_recovery_takes_the_post_and_the_archive_cells_from_the_sheet():
    entry = make_entry(complete_cells(**{
        S.ENTRY_ID: "ABC", S.AGENDA_NUMBER: "0004/2026", S.STATUS: "Diarsipkan",
        S.PUBLISHED_AT: datetime(2026, 11, 20, 10, 0, tzinfo=WITA),
        S.ARCHIVE_NUMBER: "400/0002/X/XI/2026", S.ARCHIVE_LOCATION: "Lemari",
        S.ARCHIVED_AT: datetime(2026, 11, 21, 9, 0, tzinfo=WITA)}))
    memory = T.recovered(entry, POST, [], NOW)
    assert memory.agenda_number == "0004/2026" and memory.post == POST and memory.version == 1
    assert memory.published_at == datetime(2026, 11, 20, 10, 0, tzinfo=WITA)
    assert memory.archive_number == "400/0002/X/XI/2026" and memory.archive_location == "Lemari"
    assert memory.archived_at == datetime(2026, 11, 21, 9, 0, tzinfo=WITA)
    assert not T.wants_archive_number(memory)


def test_a_withdrawn_post_the_site_forgot_is_known_from_the_sheet():
    entry = make_entry(complete_cells(**{S.ENTRY_ID: "ABC", S.STATUS: "Ditarik",
                                         S.WEBSITE_URL: "https://x.go.id/berita/rapat-abc/"}),
                       ditolak=True)
    memory = T.recovered(entry, None, [], NOW)
    assert memory.post == PostRef("ABC", "rapat-abc", "https://x.go.id/berita/rapat-abc/",
                                  "rapat-abc", "", live=False)


def test_recovery_neither_announces_nor_reminds_the_wait_again():
    entry = make_entry(complete_cells(**{S.ENTRY_ID: "ABC", S.STATUS: "Menunggu Paraf Kadis"}))
    history = [Event("ABC", "Diterima", datetime(2026, 11, 27, 8, 0, tzinfo=WITA), "0001/2026"),
               Event("ABC", "Lengkap", datetime(2026, 11, 27, 8, 30, tzinfo=WITA), "0001/2026")]
    memory = T.recovered(entry, None, history, NOW)
    assert memory.waiting_step == memory.reminded == "Paraf Kadis#1"
    assert memory.waiting_since == datetime(2026, 11, 27, 8, 30, tzinfo=WITA)
    assert memory.events == {"Diterima#0", "Lengkap#0"}


def test_an_agenda_number_only_for_a_row_with_a_title_and_none_yet():
    entry = make_entry()
    assert T.wants_agenda_number(entry, Memory())
    assert not T.wants_agenda_number(entry, Memory(agenda_number="0001/2026"))
    assert not T.wants_agenda_number(make_entry(complete_cells(**{S.TITLE: None})), Memory())
    numbered = T.with_agenda_number(Memory(), 17, 2026, Numbering())
    assert numbered.agenda_number == "0017/2026"


@pytest.mark.parametrize("published, expected", [
    (datetime(2026, 11, 30, 23, 59, tzinfo=WITA), ("400.14.5.6/0003/DKISP/XI/2026",
                                                   "Lemari Arsip Siaran Pers 2026 / Map November")),
    (datetime(2027, 1, 1, 0, 1, tzinfo=WITA), ("400.14.5.6/0003/DKISP/I/2027",
                                               "Lemari Arsip Siaran Pers 2027 / Map Januari")),
])
def test_the_archive_number_counts_in_the_month_of_the_first_publication(published, expected):
    memory = Memory(post=POST, first_published_at=published)
    assert T.wants_archive_number(memory)
    assert T.archive_year_month(memory, NOW) == (published.year, published.month)
    got = T.with_archive_number(memory, 3, Numbering(), NOW)
    assert (got.archive_number, got.archive_location) == expected


def test_the_slug_is_chosen_once():
    assert T.with_slug(Memory(), "a").slug == "a"
    assert T.with_slug(Memory(slug="a"), "b").slug == "a"


def test_a_first_publication_and_an_update():
    first = T.acted(Memory(publish_error="x"), Action.PUBLISH, POST, NOW)
    assert (first.version, first.publish_error, first.first_published_at, first.published_at) == (
        1, "", NOW, NOW)
    later = NOW + timedelta(hours=1)
    same = T.acted(first, Action.UPDATE, POST, later)
    assert same.version == 1 and same.published_at == later and same.first_published_at == NOW
    updated = T.acted(first, Action.UPDATE, replace(POST, fingerprint="f2"), later)
    assert updated.version == 2


def test_a_withdrawal_counts_and_keeps_the_post():
    memory = T.acted(Memory(post=POST, version=1), Action.WITHDRAW, replace(POST, live=False), NOW)
    assert memory.withdrawals == 1 and memory.post.live is False and memory.version == 1


@pytest.mark.parametrize("action, verb", [(Action.PUBLISH, "menayangkan"),
                                          (Action.UPDATE, "menayangkan"),
                                          (Action.WITHDRAW, "menarik")])
def test_a_failure_says_what_failed_and_that_it_is_retried(action, verb):
    memory = T.act_failed(Memory(), action, "Website menolak (HTTP 500).")
    assert memory.publish_error == (f"Gagal {verb} berita: Website menolak (HTTP 500). Program "
                                    "mencoba lagi pada siklus berikutnya.")


NOTE = "Video 'liputan.mp4' (80 MB) melebihi batas unggah website 64 MB."


@pytest.mark.parametrize("action, verb", [(Action.PUBLISH, "menayangkan"),
                                          (Action.UPDATE, "memperbarui")])
def test_a_refusal_is_remembered_with_what_was_refused_and_says_what_to_do(action, verb):
    memory = T.act_refused(Memory(publish_error="Gagal menayangkan berita: x"), action, NOTE,
                           "64MB:f1")
    assert memory.refused == "64MB:f1" and memory.publish_error == ""
    assert memory.refusal == (f"Gagal {verb} berita: {NOTE} Program tidak mengirimnya lagi "
                              "sampai berkasnya diganti lalu diparaf ulang, atau batas unggah "
                              "diubah administrator.")
    assert "mencoba lagi" not in memory.refusal


def test_a_failure_after_a_refusal_keeps_the_refusal_and_a_publication_forgets_it():
    refused = T.act_refused(Memory(), Action.PUBLISH, NOTE, "64MB:f1")
    failed = T.act_failed(refused, Action.PUBLISH, "Website tidak dapat dihubungi.")
    assert failed.refused == "64MB:f1" and failed.publish_error
    done = T.acted(failed, Action.PUBLISH, POST, NOW)
    assert (done.refused, done.refusal, done.publish_error) == ("", "", "")


def test_cleared_ticks_are_forgotten():
    assert T.ticks_cleared(Memory(clearing=("Paraf Kadis",))).clearing == ()
