"""Unchanged rows cost nothing (issue 10): a row whose cells, files and remembered state are
as they were when its decision last asked for nothing is not looked at again, and nothing
that should happen to it is missed: an edit, a replaced photo, a wait passing the standard,
a changed configuration, a copy of it; an incomplete row is looked at again once what it
lacked may have come."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from PIL import Image

from automation import config as config_module
from automation.core import schema as S
from tests.support.workspace import NOW, Agenda, approved, row

T = [NOW + timedelta(minutes=m) for m in range(0, 90)]


def settled_office(tmp_path, n: int = 12) -> Agenda:
    rows = [approved(f"Berita {i}") for i in range(n)]
    agenda = Agenda(tmp_path, rows)
    agenda.cycle(T[0])                 # published
    agenda.cycle(T[11])                # the Kasi's filing is overdue: noted
    assert agenda.cycle(T[12]).changed == []     # asks for nothing: settled
    return agenda


def test_a_cycle_after_one_edit_looks_at_that_row_only(tmp_path):
    agenda = settled_office(tmp_path)
    agenda.edit("Berita 3", **{S.LEADER_NOTE: "Catatan baru"})
    report = agenda.cycle(T[13])
    assert report.rows == 12 and report.planned == 1
    agenda.edit("Berita 5", **{S.CAPTION: "Keterangan diganti"})    # an edit after paraf
    report = agenda.cycle(T[14])
    assert report.planned == 1
    got = agenda.by_title("Berita 5")
    assert got[S.PARAF_KADIS] is False and "mohon paraf ulang" in got[S.SYSTEM_NOTE]
    assert agenda.by_title("Berita 4")[S.PARAF_KADIS] is True


def test_a_row_written_once_is_settled_by_that_write(tmp_path):
    """What a cycle writes is what the next read gives back: statuses as text, times in whole
    seconds in the office's zone, so none of these rows is looked at again."""
    agenda = Agenda(tmp_path, [row("Ditolak", **{S.REJECTED: True}),
                               approved("Diarsip", **{S.PAPER_FILED: True}),
                               approved("Tayang"), row("Lain")])
    agenda.cycle(T[0] + timedelta(seconds=5, microseconds=600_000))
    assert [agenda.by_title(t)[S.STATUS] for t in ("Ditolak", "Diarsip", "Tayang")] == [
        "Ditolak", "Diarsipkan", "Tayang"]
    agenda.edit("Lain", **{S.LEADER_NOTE: "Catatan baru"})
    report = agenda.cycle(T[1])
    assert report.rows == 4 and report.planned == 1


def test_a_settled_row_whose_photo_is_replaced_is_looked_at(tmp_path):
    agenda = Agenda(tmp_path, [approved("Foto Diganti", **{S.MEDIA: "foto/b.jpg"}),
                               approved("Lain")])
    agenda.cycle(T[0])
    agenda.cycle(T[11])
    agenda.cycle(T[12])
    agenda.photo("foto/b.jpg", "yellow")
    report = agenda.cycle(T[23])       # the periodic full read
    assert report.planned == 1
    assert agenda.by_title("Foto Diganti")[S.PARAF_KADIS] is False


def test_a_settled_wait_still_passes_the_standard(tmp_path):
    agenda = Agenda(tmp_path, [row("Menunggu"), approved("Diarsip", **{S.PAPER_FILED: True})])
    agenda.cycle(T[0])                 # written, and settled: until the standard passes
    agenda.edit("Diarsip", **{S.LEADER_NOTE: "Sudah disimpan"})
    assert agenda.cycle(T[2]).planned == 1
    report = agenda.cycle(T[8])
    assert report.planned == 1
    assert "Melewati standar 7 menit" in agenda.by_title("Menunggu")[S.SYSTEM_NOTE]


def test_a_changed_configuration_unsettles_every_row(tmp_path):
    agenda = settled_office(tmp_path, n=3)
    path = agenda.folder / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert '[agenda]\npath = "buku_agenda.xlsx"\n' in text
    path.write_text(text.replace('[agenda]\npath = "buku_agenda.xlsx"\n',
                                 '[agenda]\npath = "buku_agenda.xlsx"\n'
                                 'news_types = ["Siaran Pers", "Pengumuman"]\n'), encoding="utf-8")
    agenda.cfg = config_module.load(path)
    assert agenda.cycle(T[30]).planned == 3


def test_another_time_zone_unsettles_every_row(tmp_path):
    # The same wall times mean other moments: every wait is measured anew.
    agenda = settled_office(tmp_path, n=3)
    path = agenda.folder / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert 'timezone = "Asia/Makassar"\n' in text
    path.write_text(text.replace('timezone = "Asia/Makassar"', 'timezone = "Asia/Jakarta"'),
                    encoding="utf-8")
    agenda.cfg = config_module.load(path)
    assert agenda.cycle(T[30]).planned == 3


def test_a_copy_of_a_settled_row_is_flagged_on_both(tmp_path):
    agenda = settled_office(tmp_path, n=2)
    original = agenda.by_title("Berita 1")
    agenda.put_rows([{h: v for h, v in original.items() if h in
                      (S.TITLE, S.NEWS_TYPE, S.SOURCE, S.TEXT, S.MEDIA, S.RECEIVER,
                       S.ENTRY_ID)}], start=4)
    report = agenda.cycle(T[30])
    assert report.planned == 2
    notes = [r[S.SYSTEM_NOTE] or "" for r in agenda.rows() if r[S.TITLE] == "Berita 1"]
    assert all("ID Sistem" in n or "salinan" in n for n in notes)


def settled_incomplete(tmp_path, media: str) -> Agenda:
    agenda = Agenda(tmp_path, [row("Foto Menyusul", **{S.MEDIA: media}), row("Lain")])
    agenda.cycle(T[0])
    assert agenda.by_title("Foto Menyusul")[S.STATUS] == "Belum Lengkap"
    agenda.cycle(T[11])                # both waits passed the standard: noted
    assert agenda.cycle(T[12]).changed == []
    return agenda


@pytest.mark.parametrize("media", ["foto/menyusul.jpg",          # into a folder that exists
                                   "foto/2026-12/menyusul.jpg",  # with its folder, made then
                                   "liputan/menyusul.jpg"])      # a folder next to foto/
def test_an_incomplete_row_is_read_again_only_once_its_photo_arrives(tmp_path, media):
    agenda = settled_incomplete(tmp_path, media)
    assert agenda.cycle(T[23]).planned == 0      # the periodic full read: nothing to look at
    agenda.photo(media)
    assert agenda.cycle(T[34]).planned == 1
    got = agenda.by_title("Foto Menyusul")
    assert got[S.STATUS] == "Menunggu Paraf Kadis" and "menyusul.jpg" not in (
        got[S.SYSTEM_NOTE] or "")


def test_an_incomplete_row_is_read_again_when_the_media_settings_change(tmp_path):
    agenda = settled_incomplete(tmp_path, "foto/besar.jpg")
    big = agenda.folder / "media" / "foto" / "besar.jpg"
    Image.frombytes("RGB", (1500, 1500), random.Random(5).randbytes(1500 * 1500 * 3)).save(
        big, "JPEG", quality=95)
    assert big.stat().st_size > 2 * 1024 * 1024
    agenda.cycle(T[23])
    assert "melebihi batas 2 MB" in agenda.by_title("Foto Menyusul")[S.SYSTEM_NOTE]
    agenda.cycle(T[24])
    assert agenda.cycle(T[35]).planned == 0
    path = agenda.folder / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("max_file_mb = 2",
                                                             "max_file_mb = 20"), encoding="utf-8")
    agenda.cfg = config_module.load(path)
    assert agenda.cycle(T[46]).planned == 2
    assert agenda.by_title("Foto Menyusul")[S.STATUS] == "Menunggu Paraf Kadis"
