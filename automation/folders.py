"""Small file-system checks shared by adapters."""

from __future__ import annotations

import secrets
from pathlib import Path


def ensure_writable(folder: Path) -> None:
    """Create `folder` if needed and prove a file can be written in it (OSError if not)."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".tmp-check-{secrets.token_hex(4)}"
    probe.write_bytes(b"")
    probe.unlink()
