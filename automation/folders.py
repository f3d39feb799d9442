"""Small file-system checks shared by adapters."""

from __future__ import annotations

import glob
import os
import secrets
import time
from pathlib import Path

ASIDE = ".tmp-"             # what a file being written is called until it is renamed


def ensure_writable(folder: Path) -> None:
    """Create `folder` if needed and prove a file can be written in it (OSError if not)."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".tmp-check-{secrets.token_hex(4)}"
    probe.write_bytes(b"")
    probe.unlink()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a part:
    written aside in the same folder (`.tmp-<name>-<random>`), flushed to disk, renamed."""
    aside = path.with_name(f"{ASIDE}{path.name}-{secrets.token_hex(4)}")
    try:
        with open(aside, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(aside, path)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise


def sweep_aside(path: Path, older_than: float) -> None:
    """Remove what `write_atomic` left of `path` in a run killed mid-write: its aside files
    older than `older_than` seconds (a younger one may be another process's, being written)."""
    try:
        for leftover in path.parent.glob(f"{ASIDE}{glob.escape(path.name)}-*"):
            try:
                if time.time() - leftover.stat().st_mtime > older_than:
                    leftover.unlink()
            except OSError:
                pass
    except OSError:
        pass
