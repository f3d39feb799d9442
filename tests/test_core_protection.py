"""The approval-protection verdict of SPEC rule 7: automation.core.protection (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from automation.core import schema as S
from automation.core.protection import (
    FIX, Editors, Protection, Span, Verdict, judge_protections, unreadable_note,
)

SA = "Robot@Agenda.iam.gserviceaccount.com"
KADIS, KABID = "kadis@dinas.go.id", "kabid@dinas.go.id"
STAFF, OWNER = "staf@dinas.go.id", "pemilik@dinas.go.id"
HEADER = ["No. Agenda", "Judul Berita", S.PARAF_KADIS, S.PARAF_KABID, "Status"]
LAYOUT = {S.normalise_header(h): i for i, h in enumerate(HEADER)}
KADIS_COL, KABID_COL = 2, 3
SHEET_ID = 7
EDITORS = {S.PARAF_KADIS: [KADIS], S.PARAF_KABID: [KABID]}


def column(col: int, sheet_id: int = SHEET_ID, users: list[str] | None = None,
           **extra: Any) -> dict:
    """A protection of one whole column as `init` makes it, in Google's JSON."""
    rng: dict[str, Any] = {"startColumnIndex": col, "endColumnIndex": col + 1}
    if sheet_id:
        rng["sheetId"] = sheet_id
    return {"range": rng, "editors": {"users": users if users is not None else [SA]}, **extra}


def good() -> list[dict]:
    return [column(KADIS_COL, users=[KADIS, SA]), column(KABID_COL, users=[KABID, SA])]


def judge(protections: list[dict], *, sheet_id: int = SHEET_ID, grid_rows: int | None = 1000,
          layout: dict[str, int] | None = None, columns=(S.PARAF_KADIS, S.PARAF_KABID),
          editors: dict | None = None, owner: str | None = None) -> Verdict:
    return judge_protections([Protection.from_google(p) for p in protections],
                             sheet_id=sheet_id, grid_rows=grid_rows,
                             layout=LAYOUT if layout is None else layout,
                             approval_columns=columns,
                             editors=EDITORS if editors is None else editors,
                             service_account=SA, owner=owner)


def not_protected(header: str) -> str:
    return (f"Kolom '{header}' tidak dilindungi, sehingga siapa pun yang dapat menyunting "
            f"Buku Agenda dapat mencentangnya; berita belum ditayangkan. {FIX}")


def widened(header: str, who: str) -> str:
    return (f"Kolom '{header}' dapat diubah oleh orang selain pejabat yang ditetapkan "
            f"({who}); berita belum ditayangkan. {FIX}")


# ----------------------------------------------------------------------------- the exact notes

def test_fix_text_is_unchanged():
    assert FIX == "Administrator perlu menjalankan `init` atau memperbaiki perlindungan kolom."


def test_the_right_protections_are_trusted():
    verdict = judge(good())
    assert verdict == Verdict((), False)
    assert verdict.trusted and verdict.note == ""


def test_no_protection_at_all():
    verdict = judge([])
    assert verdict.notes == (not_protected(S.PARAF_KADIS), not_protected(S.PARAF_KABID))
    assert verdict.note == f"{not_protected(S.PARAF_KADIS)} {not_protected(S.PARAF_KABID)}"
    assert not verdict.trusted and not verdict.needs_owner


def test_warning_only():
    protections = good()
    protections[1]["warningOnly"] = True
    assert judge(protections).notes == (
        f"Perlindungan kolom '{S.PARAF_KABID}' hanya berupa peringatan, sehingga siapa pun "
        f"dapat mencentangnya; berita belum ditayangkan. {FIX}",)


def test_a_warning_beside_a_firm_protection_is_judged_by_the_firm_one():
    warning = column(KABID_COL, users=[STAFF, SA], warningOnly=True)
    assert judge(good() + [warning]).trusted
    assert judge([good()[0], warning, column(KABID_COL, users=[KABID, STAFF, SA])]).notes == (
        widened(S.PARAF_KABID, STAFF),)


def test_editors_hidden_from_the_service_account():
    protections = good()
    del protections[0]["editors"]
    assert judge(protections).notes == (
        f"Akun layanan {SA} bukan editor perlindungan kolom '{S.PARAF_KADIS}', sehingga tidak "
        "dapat memastikan siapa yang boleh mencentang; berita belum ditayangkan. Administrator "
        "perlu menambahkan akun layanan itu sebagai editor perlindungan kolom tersebut atau "
        "menjalankan `init`.",)


def test_a_missing_approval_column():
    layout = {k: v for k, v in LAYOUT.items() if k != S.normalise_header(S.PARAF_KABID)}
    assert judge(good(), layout=layout).notes == (
        f"Kolom '{S.PARAF_KABID}' tidak ditemukan sehingga perlindungannya tidak dapat "
        f"diperiksa; berita belum ditayangkan. {FIX}",)


def test_unreadable_note():
    assert unreadable_note("Google tidak menjawab") == (
        "Perlindungan kolom paraf tidak dapat diperiksa (Google tidak menjawab); berita belum "
        "ditayangkan. Dicoba lagi pada siklus berikutnya.")


# ----------------------------------------------------------------------------- coverage

@pytest.mark.parametrize("rows, grid_rows, covered", [
    ({}, 1000, True),                                       # unbounded: the whole column
    ({"startRowIndex": 1}, 1000, True),                     # below the header
    ({"startRowIndex": 1}, None, True),
    ({"startRowIndex": 2}, 1000, False),                    # row 2 left open
    ({"endRowIndex": 1000}, 1000, True),                    # to the grid's last row
    ({"startRowIndex": 1, "endRowIndex": 1200}, 1000, True),
    ({"endRowIndex": 999}, 1000, False),                    # the last row left open
    ({"endRowIndex": 1000}, None, False),                   # the grid's size unknown
])
def test_rows_covered(rows, grid_rows, covered):
    p = column(KADIS_COL, users=[KADIS, SA])
    p["range"].update(rows)
    verdict = judge([p], grid_rows=grid_rows, columns=(S.PARAF_KADIS,))
    assert verdict.trusted is covered
    if not covered:
        assert verdict.notes == (not_protected(S.PARAF_KADIS),)


@pytest.mark.parametrize("rng, covered", [
    ({"sheetId": SHEET_ID, "startColumnIndex": 2, "endColumnIndex": 3}, True),
    ({"sheetId": SHEET_ID, "startColumnIndex": 0, "endColumnIndex": 5}, True),
    ({"sheetId": SHEET_ID, "startColumnIndex": 2}, True),          # to the right edge
    ({"sheetId": SHEET_ID, "endColumnIndex": 3}, True),            # from column A
    ({"sheetId": SHEET_ID}, True),                                 # the whole worksheet
    ({"sheetId": SHEET_ID, "startColumnIndex": 3, "endColumnIndex": 4}, False),
    ({"sheetId": SHEET_ID, "startColumnIndex": 1, "endColumnIndex": 2}, False),
    ({"sheetId": SHEET_ID, "endColumnIndex": 2}, False),           # end is exclusive
    ({"sheetId": 8, "startColumnIndex": 2, "endColumnIndex": 3}, False),   # another worksheet
    ({"startColumnIndex": 2, "endColumnIndex": 3}, False),         # sheetId 0: the first one
    ({}, False),
])
def test_columns_covered(rng, covered):
    p = {"range": rng, "editors": {"users": [KADIS, SA]}}
    assert judge([p], columns=(S.PARAF_KADIS,)).trusted is covered


def test_a_hole_in_the_column_uncovers_it_and_one_elsewhere_does_not():
    p = column(KADIS_COL, users=[KADIS, SA])
    p["range"] = {"sheetId": SHEET_ID}
    p["unprotectedRanges"] = [{"sheetId": SHEET_ID, "startColumnIndex": 4,
                               "endColumnIndex": 5}]
    assert judge([p], columns=(S.PARAF_KADIS,)).trusted
    p["unprotectedRanges"].append({"sheetId": SHEET_ID, "startRowIndex": 40,
                                   "endRowIndex": 41, "startColumnIndex": 2,
                                   "endColumnIndex": 3})
    assert judge([p], columns=(S.PARAF_KADIS,)).notes == (not_protected(S.PARAF_KADIS),)


def test_a_partial_protection_does_not_count_even_beside_a_warning():
    partial = column(KADIS_COL, users=[KADIS, SA])
    partial["range"]["startRowIndex"] = 5
    warning = column(KADIS_COL, users=[KADIS, SA], warningOnly=True)
    assert judge([partial], columns=(S.PARAF_KADIS,)).notes == (not_protected(S.PARAF_KADIS),)
    assert "hanya berupa peringatan" in judge([partial, warning], columns=(S.PARAF_KADIS,)).note


# ----------------------------------------------------------------------------- Google's defaults

def test_missing_defaults_are_zero_unbounded_empty_and_false():
    assert Protection.from_google({}) == Protection(Span(0, 0, None, 0, None), (), False, None)
    assert Protection.from_google({"range": {}, "editors": {}}) == Protection(
        editors=Editors((), (), False))
    assert Span.from_google({"sheetId": 3, "startRowIndex": 1, "endRowIndex": 9,
                             "startColumnIndex": 2, "endColumnIndex": 4}) == Span(3, 1, 9, 2, 4)
    assert Protection.from_google({"range": {"endColumnIndex": 1}, "warningOnly": True,
                                   "unprotectedRanges": [{}],
                                   "editors": {"groups": ["g@x"], "domainUsersCanEdit": True}}
                                  ) == Protection(Span(end_column=1), (Span(),), True,
                                                  Editors((), ("g@x",), True))


def test_column_a_of_the_first_worksheet_without_any_index():
    # Google's JSON for column A of sheetId 0: only the end index is there
    p = {"range": {"endColumnIndex": 1}, "editors": {"users": [KADIS, SA]}}
    verdict = judge([p], sheet_id=0, layout={S.normalise_header(S.PARAF_KADIS): 0},
                    columns=(S.PARAF_KADIS,))
    assert verdict.trusted


def test_whole_sheet_protection_with_an_empty_range():
    whole = {"range": {}, "editors": {"users": [SA]}}
    assert judge([whole], sheet_id=0).trusted
    assert judge([whole]).notes == (not_protected(S.PARAF_KADIS),
                                    not_protected(S.PARAF_KABID))    # it is sheet 0, not 7
    assert judge([{"editors": {"users": [SA]}}], sheet_id=0).trusted   # no `range` at all


def test_shown_but_empty_editors_leave_nobody_else():
    assert judge([{"range": {}, "editors": {}}], sheet_id=0).trusted


# ----------------------------------------------------------------------------- who may edit

def test_extra_editors_are_named_lower_case_sorted_then_groups_then_domain():
    p = column(KADIS_COL, users=[KADIS, "Zed@x.id", "ani@x.id", SA])
    p["editors"].update(groups=["Tim@x.id"], domainUsersCanEdit=True)
    assert judge([p, good()[1]]).notes == (
        widened(S.PARAF_KADIS, "ani@x.id, zed@x.id, grup Tim@x.id, semua pengguna domain"),)


def test_allowed_editors_match_whatever_their_case():
    protections = [column(KADIS_COL, users=[KADIS.upper(), SA.lower()]),
                   column(KABID_COL, users=[KABID, SA.upper()])]
    assert judge(protections, editors={S.PARAF_KADIS: [KADIS], S.PARAF_KABID: [KABID.upper()]}
                 ).trusted


def test_an_official_of_another_column_is_an_extra_editor():
    assert judge([column(KADIS_COL, users=[KADIS, KABID, SA]), good()[1]]).notes == (
        widened(S.PARAF_KADIS, KABID),)


def test_one_clean_firm_protection_is_enough_else_the_fewest_extras_are_named():
    wide = column(KADIS_COL, users=[KADIS, STAFF, "b@x.id", SA])
    assert judge([wide, good()[0]], columns=(S.PARAF_KADIS,)).trusted
    narrow = column(KADIS_COL, users=[KADIS, STAFF, SA])
    assert judge([wide, narrow], columns=(S.PARAF_KADIS,)).notes == (
        widened(S.PARAF_KADIS, STAFF),)


def test_a_column_without_configured_officials_allows_the_service_account_alone():
    assert judge([column(KADIS_COL)], columns=(S.PARAF_KADIS,), editors={}).trusted
    assert judge([column(KADIS_COL, users=[KADIS, SA])], columns=(S.PARAF_KADIS,),
                 editors={}).notes == (widened(S.PARAF_KADIS, KADIS),)


# ----------------------------------------------------------------------------- the owner

def test_the_owner_is_needed_only_when_every_firm_protection_names_someone_else():
    assert not judge(good()).needs_owner
    assert not judge([]).needs_owner
    protections = good()
    protections[0]["editors"]["users"].append(OWNER)
    verdict = judge(protections)
    assert verdict.needs_owner
    assert verdict.notes == (widened(S.PARAF_KADIS, OWNER),)      # as if the owner were unknown


def test_the_owner_among_the_editors_is_recognised():
    protections = good()
    protections[0]["editors"]["users"].append(OWNER.upper())
    assert judge(protections, owner=OWNER) == Verdict((), False)
    assert judge(protections, owner=OWNER.upper()) == Verdict((), False)


def test_the_owner_does_not_excuse_anyone_else():
    protections = good()
    protections[0]["editors"]["users"] += [OWNER, STAFF]
    assert judge(protections).notes == (widened(S.PARAF_KADIS, f"{OWNER}, {STAFF}"),)
    assert judge(protections, owner=OWNER) == Verdict((widened(S.PARAF_KADIS, STAFF),), False)


def test_another_owner_changes_nothing():
    protections = good()
    protections[1]["editors"]["users"].append(STAFF)
    assert judge(protections, owner=OWNER) == Verdict((widened(S.PARAF_KABID, STAFF),), False)


def test_no_owner_is_needed_for_problems_the_owner_cannot_explain():
    protections = good()
    protections[0]["warningOnly"] = True
    del protections[1]["editors"]
    verdict = judge(protections)
    assert not verdict.needs_owner and len(verdict.notes) == 2


# ----------------------------------------------------------------------------- several columns

def test_several_approval_columns_are_judged_in_their_order():
    header = HEADER + ["Paraf Kasi"]
    layout = {S.normalise_header(h): i for i, h in enumerate(header)}
    columns = ("Paraf Kasi", S.PARAF_KADIS, S.PARAF_KABID)
    protections = good() + [column(5, users=["kasi@x.id", SA])]
    assert judge(protections, layout=layout, columns=columns,
                 editors={**EDITORS, "Paraf Kasi": ["kasi@x.id"]}).trusted
    protections[1]["editors"]["users"].append(STAFF)
    verdict = judge(protections, layout=layout, columns=columns, editors=EDITORS)
    assert verdict.notes == (widened("Paraf Kasi", "kasi@x.id"), widened(S.PARAF_KABID, STAFF))
    assert verdict.needs_owner


def test_one_protection_over_several_columns_serves_each_with_its_own_officials():
    both = {"range": {"sheetId": SHEET_ID, "startColumnIndex": 2, "endColumnIndex": 4},
            "editors": {"users": [KADIS, KABID, SA]}}
    assert judge([both]).notes == (widened(S.PARAF_KADIS, KABID), widened(S.PARAF_KABID, KADIS))
    assert judge([both], editors={S.PARAF_KADIS: [KADIS, KABID],
                                  S.PARAF_KABID: [KABID, KADIS]}).trusted


def test_approval_headers_are_found_trimmed_and_case_insensitively():
    header = ["No. Agenda", "Judul Berita", "  paraf  KADIS ", "PARAF KABID"]
    layout = {S.normalise_header(h): i for i, h in enumerate(header)}
    assert judge(good(), layout=layout).trusted
