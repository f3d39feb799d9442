"""The program as the office runs it on Google: `init`, then `once`, as subprocesses,
against the loopback stand-in of Sheets and Drive (AGENDA_GOOGLE_API_BASE)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from automation.agenda.cells import column_letter
from automation.core import schema as S
from tests.fakes.google import FakeGoogle
from tests.support.config import config_toml

ROOT = Path(__file__).resolve().parent.parent
KADIS, KABID = "kadis@example.go.id", "kabid@example.go.id"
HEADERS = [c.header for c in S.agenda_columns((S.PARAF_KADIS, S.PARAF_KABID))]
SHEET = "'Buku Agenda'"


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


def main(folder: Path, fake: FakeGoogle, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGENDA_GOOGLE_API_BASE": fake.base_url}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def rows(fake: FakeGoogle, sid: str) -> list[dict]:
    values = fake.values(sid, f"{SHEET}!A1:{column_letter(len(HEADERS) - 1)}")
    return [dict(zip(values[0], r + [None] * len(HEADERS))) for r in values[1:] if any(r)]


def test_init_then_once_publishes_within_the_request_budget(tmp_path):
    with FakeGoogle() as fake:
        sid = fake.add_spreadsheet("Buku Agenda Humas", ["Sheet1"], time_zone="Asia/Makassar")
        (tmp_path / "credentials.json").write_text(json.dumps(fake.service_account_info()))
        (tmp_path / "config.toml").write_text(config_toml(
            None, timezone="Asia/Makassar", state_dir="state",
            agenda={"backend": "google", "spreadsheet_id": sid,
                    "credentials_file": "credentials.json"},
            approval={"editors": {"Paraf Kadis": [KADIS], "Paraf Kabid": [KABID]}},
            media={"backend": "drive"},
            website={"output_dir": "site", "url": "https://diskominfo.example.go.id/berita"}))
        assert main(tmp_path, fake, "init").returncode == 0
        folder = fake.add_folder("Liputan Jembatan")
        for n, colour in enumerate(("red", "green"), start=1):
            fake.add_file(f"foto-{n}.jpg", jpeg(colour), "image/jpeg", parents=[folder])
        link = f"https://drive.google.com/drive/folders/{folder}"
        staff = {S.NEWS_TYPE: "Siaran Pers", S.SOURCE: "Biro Adpim", S.TEXT: "Isi berita.",
                 S.MEDIA: link, S.RECEIVER: "Rahmawati"}
        for n, title in enumerate(("Gubernur Resmikan Jembatan", "Rapat Koordinasi"), start=2):
            fake.edit(sid, f"{SHEET}!A{n}:{column_letter(len(HEADERS) - 1)}{n}",
                      [[{S.TITLE: title, **staff}.get(h, "") for h in HEADERS]])

        first = main(tmp_path, fake, "once")          # numbers the rows, gives them IDs
        assert first.returncode == 0, first.stderr
        assert {r[S.STATUS] for r in rows(fake, sid)} == {"Menunggu Paraf Kadis"}

        # The officials tick (as the owner here; protections are covered in test_google_init).
        for n in (2, 3):
            for tick in (S.PARAF_KADIS, S.PARAF_KABID):
                fake.edit(sid, f"{SHEET}!{column_letter(HEADERS.index(tick))}{n}", [[True]])
        fake.clear_log()
        done = main(tmp_path, fake, "once")
        assert done.returncode == 0, done.stderr
        published = rows(fake, sid)
        assert [r[S.STATUS] for r in published] == ["Tayang", "Tayang"]
        assert all(r[S.ARCHIVE_NUMBER] and r[S.WEBSITE_URL] for r in published)
        assert fake.sheets_reads <= 2 and fake.sheets_writes <= 2, (
            fake.sheets_reads, fake.sheets_writes)
        history = fake.values(sid, f"'{S.HISTORY_SHEET}'!A2:E")
        assert [r[3] for r in history].count("Tayang") == 2
        assert len(list((tmp_path / "site").glob("*/index.html"))) == 2

        fake.clear_log()
        idle = main(tmp_path, fake, "once")
        assert idle.returncode == 0 and "nothing to do" in idle.stdout
        assert fake.sheets_reads == 0 and fake.sheets_writes == 0 and fake.drive_requests == 1
