"""What counts as a tick (SPEC section 2): automation.core.ticks.read_tick."""

from __future__ import annotations

from datetime import datetime

import pytest

from automation.core.ticks import DEFAULT_TICK_WORDS, Tick, read_tick

SPEC_WORDS = ("✓", "✔", "v", "y", "ya", "ok", "setuju", "paraf", "true", "1")


def test_default_words_are_exactly_the_spec_list():
    assert tuple(DEFAULT_TICK_WORDS) == SPEC_WORDS


@pytest.mark.parametrize("word", SPEC_WORDS)
def test_every_spec_word_is_a_tick(word):
    assert read_tick(word) == Tick(True)


@pytest.mark.parametrize("word", SPEC_WORDS)
@pytest.mark.parametrize("dress", [
    str.upper, str.title, lambda w: f"  {w}  ", lambda w: f"\t{w}\n", lambda w: f"\u00a0{w.upper()}\u00a0",
])
def test_tick_words_ignore_case_and_surrounding_whitespace(word, dress):
    tick = read_tick(dress(word))
    assert tick.ticked is True
    assert tick.odd_text is None


@pytest.mark.parametrize("value, ticked", [(True, True), (False, False)])
def test_booleans_are_checkboxes(value, ticked):
    assert read_tick(value) == Tick(ticked)


@pytest.mark.parametrize("value", [None, "", "   ", "\n"])
def test_empty_cells_are_unticked_without_a_note(value):
    assert read_tick(value) == Tick(False)


@pytest.mark.parametrize("value", [1, 1.0])
def test_the_number_one_is_a_tick(value):
    assert read_tick(value) == Tick(True)


@pytest.mark.parametrize("value", [0, 0.0, "0"])
def test_the_number_zero_is_not_a_tick(value):
    assert read_tick(value).ticked is False


@pytest.mark.parametrize("value, quoted", [(2, "2"), (-1, "-1"), (1.5, "1.5"), (10.0, "10"),
                                           (2026, "2026")])
def test_other_numbers_are_odd_and_quoted(value, quoted):
    assert read_tick(value) == Tick(False, odd_text=quoted)


@pytest.mark.parametrize("text", ["sudah", "belum", "OKE", "yes", "setuju?", "✗", "v v", "ya ya",
                                  "Paraf Kadis", "Ｙａ"])
def test_odd_text_is_not_a_tick_and_is_quoted_for_the_note(text):
    tick = read_tick(text)
    assert tick.ticked is False
    assert tick.odd_text == text


def test_odd_text_is_quoted_trimmed():
    assert read_tick("  sudah dibaca \n") == Tick(False, odd_text="sudah dibaca")


def test_a_date_in_a_tick_cell_is_odd():
    tick = read_tick(datetime(2026, 11, 27, 14, 5))
    assert tick.ticked is False
    assert tick.odd_text and "2026" in tick.odd_text


@pytest.mark.parametrize("text", ["false", "FALSE", " False "])
def test_unticked_checkbox_text_is_unticked_without_a_note(text):
    # How an unticked checkbox / TRUE-FALSE dropdown can come back as text.
    assert read_tick(text) == Tick(False)


@pytest.mark.parametrize("text", ["x", "X", "tidak", "no", "n", "-", "belum"])
def test_words_people_type_to_mean_no_still_get_a_note(text):
    # SPEC section 2: any other non-empty text is not a tick AND Catatan Sistem says so
    # ('x' in particular is often typed to mean a tick).
    tick = read_tick(text)
    assert tick.ticked is False
    assert tick.odd_text == text


def test_configured_words_replace_the_defaults():
    words = ("sah", "acc")
    assert read_tick("SAH", words) == Tick(True)
    assert read_tick(" Acc ", words) == Tick(True)
    assert read_tick("ya", words) == Tick(False, odd_text="ya")
    assert read_tick(True, words) == Tick(True)
    assert read_tick(1, words) == Tick(False, odd_text="1")


def test_tick_is_immutable():
    tick = read_tick("ya")
    with pytest.raises(AttributeError):
        tick.ticked = False  # type: ignore[misc]
