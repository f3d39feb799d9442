"""Run the real program and kill it with SIGKILL at one chosen step (tests of SPEC rule 1).

Usage (from the repository root, or with it on PYTHONPATH):

    python tests/support/killer.py STEP N -- ARGS...
    python tests/support/killer.py --trace FILE -- ARGS...

STEP is `before:DOTTED` or `after:DOTTED`, DOTTED a function by dotted path, e.g.
`automation.ledger.Ledger.begin` or `os.replace`. The runner wraps that function, then calls
`automation.cli.main(ARGS)` in this process: on the N-th call of the function the process
kills itself (SIGKILL, no clean-up of any kind) just before, or just after, the real call.
When the N-th call never comes the program runs to its end and the runner exits with its exit
code, so a caller raises N until that happens.

`--trace FILE` wraps every function of `WATCHED` instead, kills nothing, and writes to FILE
(JSON) the order in which the kill points were passed: `["before:DOTTED#1", "after:DOTTED#1",
...]`. A test uses it to learn how many calls each step has, and where each lies in the cycle.

Production code has no hook for any of this: the wrapping happens here, from outside.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
# Run as a script, this folder is first on sys.path: its modules (config, core, ...) must shadow
# nothing, and the program is imported from the repository root.
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

# Every step that writes something outside the process: the ledger, the website, the sheet.
WATCHED = (
    "automation.ledger.Ledger.remember",
    "automation.ledger.Ledger.allocate",
    "automation.ledger.Ledger.begin",
    "automation.ledger.Ledger.finish",
    "automation.ledger.Ledger.mark_written",
    "automation.ledger.Ledger.set_pending_id",
    "automation.ledger.Ledger.confirm_ids",
    "automation.publishers.static_site.StaticSite.publish",
    "automation.publishers.static_site.StaticSite.withdraw",
    "automation.publishers.wordpress.WordPress._call",      # every request to WordPress
    "automation.agenda.xlsx_store.XlsxAgenda._replace",
    "automation.google_api.GoogleHTTPClient.request",        # every Sheets/Drive request
    "os.replace",
)


def resolve(dotted: str) -> tuple[Any, str, Any]:
    """(owner, attribute name, raw attribute) for a dotted path: module[.Class...].name."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        name = parts[-1]
        if inspect.isclass(owner):
            raw = inspect.getattr_static(owner, name)
        else:
            raw = getattr(owner, name)
        return owner, name, raw
    raise SystemExit(f"killer.py: cannot import {dotted!r}")


def wrap(dotted: str, around: Callable[[Callable[..., Any], tuple, dict], Any]) -> None:
    """Replace `dotted` by a function that hands every call to `around(real, args, kwargs)`."""
    owner, name, raw = resolve(dotted)
    if not callable(raw) and not isinstance(raw, (staticmethod, classmethod)):
        raise SystemExit(f"killer.py: {dotted!r} is not a function")
    kind = type(raw) if isinstance(raw, (staticmethod, classmethod)) else None
    real = raw.__func__ if kind else raw

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return around(real, args, kwargs)

    setattr(owner, name, kind(wrapper) if kind else wrapper)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(step: str, n: int) -> None:
    when, _, dotted = step.partition(":")
    if when not in ("before", "after") or not dotted:
        raise SystemExit(f"killer.py: STEP must be before:DOTTED or after:DOTTED, not {step!r}")
    calls = 0

    def around(real: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        nonlocal calls
        calls += 1
        if calls != n:
            return real(*args, **kwargs)
        if when == "before":
            die()
        try:
            return real(*args, **kwargs)
        finally:
            die()       # returned or raised: the real call has happened

    wrap(dotted, around)


def trace(points: list[str]) -> None:
    calls = dict.fromkeys(WATCHED, 0)
    for dotted in WATCHED:
        try:
            resolve(dotted)
        except (SystemExit, AttributeError):
            # Renamed or gone: the trace simply has no such step (a test checks coverage).
            print(f"killer.py: {dotted} not found, not traced", file=sys.stderr)
            continue

        def around(real: Callable[..., Any], args: tuple, kwargs: dict,
                   dotted: str = dotted) -> Any:
            calls[dotted] += 1
            number = calls[dotted]
            points.append(f"before:{dotted}#{number}")
            try:
                return real(*args, **kwargs)
            finally:
                points.append(f"after:{dotted}#{number}")

        wrap(dotted, around)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        raise SystemExit(__doc__)
    cut = argv.index("--")
    ours, program_args = argv[:cut], argv[cut + 1:]
    points: list[str] = []
    if len(ours) == 2 and ours[0] == "--trace":
        trace(points)
    elif len(ours) == 2:
        arm(ours[0], int(ours[1]))
    else:
        raise SystemExit(__doc__)

    from automation.cli import main as program

    code = program(program_args)
    if ours[0] == "--trace":
        Path(ours[1]).write_text(json.dumps(points), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
