"""LibreOffice, headless, as tests run it: with a private profile, so that it works beside a
LibreOffice someone has open, and converting one file at a time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def convert(source: Path, to: str, folder: Path) -> Path:
    """`source` converted by LibreOffice to `to` (a filter such as "csv" or "html") in
    `folder`; the file it made."""
    profile = (folder / "lo-profile").as_uri()     # private: works beside an open LibreOffice
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", to,
                    "--outdir", str(folder), str(source)],
                   check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = folder / f"{source.stem}.{to.split(':')[0]}"
    assert out.exists(), f"LibreOffice made no {to} of {source.name}"
    return out
