"""Running the real program for the kill-at-every-step tests, through tests/support/killer.py."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLER = Path(__file__).resolve().with_name("killer.py")   # run as a script


class Runs:
    """Runs of the real program in one workspace, remembered for the failure message."""

    def __init__(self, folder: Path, env: dict[str, str], cwd: Path = ROOT,
                 trace_args: tuple[str, ...] = ()):
        self.folder, self.cwd, self.trace_args = folder, cwd, trace_args
        self.env = {**os.environ, **env}
        self.done: list[tuple[str, subprocess.CompletedProcess]] = []

    def _run(self, what: str, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, *args], cwd=self.cwd, env=self.env,
                              capture_output=True, text=True, timeout=120)
        self.done.append((what, done))
        return done

    def _program(self, *args: str) -> list[str]:
        return [*args, "--config", str(self.folder / "config.toml"), "once"]

    def once(self) -> subprocess.CompletedProcess:
        return self._run("once", str(ROOT / "main.py"), *self._program())

    def check(self) -> subprocess.CompletedProcess:
        return self._run("check", str(ROOT / "main.py"), "--config",
                         str(self.folder / "config.toml"), "check")

    def killed(self, step: str, n: int) -> subprocess.CompletedProcess:
        return self._run(f"killed {step} #{n}", str(KILLER), step, str(n), "--",
                         *self._program())

    def traced(self, out: Path) -> subprocess.CompletedProcess:
        return self._run("traced", str(KILLER), "--trace", str(out), "--",
                         *self._program(*self.trace_args))

    def report(self) -> str:
        """Every run's exit code, the last run's output and the stderr of each run."""
        if not self.done:
            return "no run yet"
        codes = ", ".join(f"{what}: exit {d.returncode}" for what, d in self.done)
        what, last = self.done[-1]
        out = [f"runs: {codes}", f"--- stdout of the last run ({what}):\n{last.stdout[-3000:]}"]
        out += [f"--- stderr of run {i} ({w}):\n{d.stderr[-4000:]}"
                for i, (w, d) in enumerate(self.done, start=1) if d.stderr.strip()]
        return "\n".join(out)

    def must(self, done: subprocess.CompletedProcess) -> None:
        assert done.returncode == 0, "a normal run failed"


@dataclass(frozen=True)
class KillPoint:
    step: str                # before:DOTTED or after:DOTTED
    n: int                   # the N-th call of DOTTED
    request: str = ""        # for a call that makes a request: which one, e.g. "POST /media"

    @property
    def dotted(self) -> str:
        return self.step.partition(":")[2]

    def __str__(self) -> str:
        when, _, dotted = self.step.partition(":")
        short = ".".join(dotted.split(".")[-2:])
        return f"{when} {short} #{self.n}" + (f" ({self.request})" if self.request else "")
