"""Render the pictures of a Pratinjau and a Lembar Arsip used in docs/panduan-staf.md.

    .venv/bin/python docs/render_pratinjau_pictures.py [--out docs/img] [--dpi 60]

The program's own renderer (`automation.pratinjau.render`) makes both PDFs from the realistic
page the tests use (`tests/support/pratinjau.py`: phone photos, one stored sideways, an iPhone
HEIC, a real video's poster frame); poppler rasterises each first page (`pdftoppm -png`) at
phone size (60 dpi: 496 x 702 px). Nothing is drawn on or moved; colours are reduced so the
files stay small:

    docs/img/pratinjau.png       the Pratinjau an official gets with the request for paraf
    docs/img/lembar-arsip.png    the Lembar Arsip the Kasi prints and files

Needs, besides the project's venv: poppler (`apt-get install poppler-utils`). The tests do
not run this.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from automation.pratinjau.page import ARSIP, PRATINJAU  # noqa: E402
from automation.pratinjau.render import render  # noqa: E402
from tests.support.pratinjau import realistic_page  # noqa: E402

PICTURES = ((PRATINJAU, "pratinjau.png"), (ARSIP, "lembar-arsip.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: install poppler-utils", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pratinjau-pictures-") as scratch:
        folder = Path(scratch)
        for kind, name in PICTURES:
            pdf = folder / f"{kind}.pdf"
            render(realistic_page(folder / kind, kind=kind), pdf)
            stem = folder / kind
            subprocess.run(["pdftoppm", "-r", str(args.dpi), "-png", "-f", "1", "-l", "1",
                            "-singlefile", str(pdf), str(stem)], check=True)
            with Image.open(f"{stem}.png") as page:
                # octree keeps the state colours (green, orange) that median cut shifts
                small = page.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                                     dither=Image.Dither.NONE)
            target = args.out / name
            small.save(target, optimize=True)
            print(f"{target} ({small.width} x {small.height}, {target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
