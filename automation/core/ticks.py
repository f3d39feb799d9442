"""What counts as a tick (SPEC section 2)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TICK_WORDS = ("✓", "✔", "v", "y", "ya", "ok", "setuju", "paraf", "true", "1")
# "FALSE" as text is what the template's own TRUE/FALSE dropdown leaves in some spreadsheet
# programs, and 0 is how LibreOffice may save an unticked box: plainly unticked. Any other
# text gets a note (SPEC section 2).
NOT_TICKED_WORDS = ("", "false", "0")


@dataclass(frozen=True)
class Tick:
    ticked: bool
    odd_text: str | None = None      # non-empty text that is not a tick: the note quotes it


def read_tick(value: object, words: tuple[str, ...] = DEFAULT_TICK_WORDS) -> Tick:
    if value is None:
        return Tick(False)
    if isinstance(value, bool):
        return Tick(value)
    if isinstance(value, (int, float)):
        # A number typed into a tick cell: 1 is in the default words, other numbers are odd.
        text = str(int(value)) if float(value).is_integer() else str(value)
    else:
        text = str(value).strip()
    folded = text.casefold()
    if folded in words:
        return Tick(True)
    if folded in NOT_TICKED_WORDS:
        return Tick(False)
    return Tick(False, odd_text=text)
