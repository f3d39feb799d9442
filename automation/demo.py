"""`demo [DIR]`: a self-contained workspace with sample rows in several states, one cycle run."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw

from automation import config as config_module
from automation.agenda.template import build_workbook
from automation.core import schema as S
from automation.cycle import Cycle
from automation.workspace import open_workspace

CONFIG = """\
# Demo configuration: an .xlsx agenda, media from a local folder, a static website folder.
timezone = "Asia/Makassar"
poll_interval_seconds = 30
state_dir = "state"

[agenda]
backend = "xlsx"
path = "buku_agenda.xlsx"

[media]
backend = "local"
base_dir = "media"

[website]
backend = "static"
output_dir = "site"
"""

LITERASI_MD = """\
**TANJUNG SELOR** – Dinas Komunikasi, Informatika, Statistik dan Persandian (DKISP) Provinsi
Kalimantan Utara menggelar pelatihan literasi digital bagi aparatur sipil negara, Kamis (26/11).

Pelatihan diikuti 120 peserta dari berbagai perangkat daerah. Materi meliputi:

- keamanan akun dan kata sandi,
- mengenali berita bohong (hoaks),
- etika bermedia sosial bagi ASN.

"ASN harus menjadi teladan dalam bermedia sosial," ujar Kepala DKISP. (humas)
"""

JEMBATAN = """\
TANJUNG SELOR – Gubernur Kalimantan Utara meresmikan Jembatan Sungai Kayan II, Jumat (27/11). \
Jembatan sepanjang 480 meter ini menghubungkan Tanjung Selor dengan Tanjung Palas.

Gubernur berharap jembatan ini mempercepat arus barang dan jasa serta membuka akses layanan \
kesehatan dan pendidikan bagi warga di seberang sungai. (humas)"""

# (title, type, source, text, media, caption, receiver, kadis, kabid, ditolak, leader note, filed)
ROWS = [
    ("Gubernur Kaltara Resmikan Jembatan Sungai Kayan II", "Kegiatan Pimpinan",
     "Biro Administrasi Pimpinan", JEMBATAN, "2026-11-27-jembatan/",
     "PERESMIAN : Gubernur Kaltara menggunting pita Jembatan Sungai Kayan II, Jumat (27/11).",
     "Rahmawati", True, True, False, "", False),
    ("DKISP Gelar Pelatihan Literasi Digital bagi ASN", "Kegiatan OPD", "DKISP Kaltara",
     "naskah/literasi-digital.md", "foto/pelatihan-literasi.jpg",
     "PELATIHAN : Peserta literasi digital di Tanjung Selor, Kamis (26/11).", "Andi Saputra",
     True, False, False, "", False),
    ("Pengumuman Seleksi Terbuka Jabatan Pimpinan Tinggi Pratama", "Pengumuman", "BKD Kaltara",
     "Panitia seleksi membuka pendaftaran hingga 10 Desember 2026.", "", "", "Andi Saputra",
     False, False, False, "", False),
    ("Video Banjir di Tanjung Selor Dipastikan Hoaks", "Klarifikasi Hoaks", "BPBD Kaltara",
     "Beredar video banjir yang diklaim terjadi di Tanjung Selor hari ini.",
     "foto/banjir-tangkapan-layar.png", "", "Rahmawati", False, False, True,
     "Tunggu konfirmasi resmi BPBD sebelum dimuat.", False),
    ("Sosialisasi Pajak Kendaraan Bermotor", "Berita Daerah", "Bapenda Kaltara",
     "Bapenda mengingatkan batas akhir pemutihan pajak.", "foto/pelatihan-literasi.jpg", "",
     "Rahmawati", False, False, False, "", False),
    ("Wagub Kaltara Buka Pameran UMKM Akhir Tahun", "Kegiatan Pimpinan",
     "Biro Administrasi Pimpinan",
     "TANJUNG SELOR – Wakil Gubernur membuka pameran UMKM akhir tahun di Gedung Gadis. (humas)",
     "foto/pameran-umkm.jpg", "PAMERAN : Wagub Kaltara meninjau stan UMKM.", "Andi Saputra",
     "ya", "ya", False, "", True),
]


def _photo(path: Path, title: str, hue: int) -> None:
    """A plain generated picture standing in for a real event photo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (1600, 1067))
    draw = ImageDraw.Draw(img)
    for y in range(1067):
        shade = int(120 + 100 * y / 1067)
        draw.line([(0, y), (1600, y)], fill=((hue + shade) % 256, shade, 255 - shade // 2))
    draw.rectangle([80, 820, 1520, 1000], fill=(255, 255, 255))
    draw.text((110, 880), title, fill=(20, 20, 20), font_size=56)
    img.save(path, "JPEG", quality=85)


def create_workspace(folder: Path) -> Path:
    """Write config, media, documents and the agenda with sample rows; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    media = folder / "media"
    for n in range(1, 4):
        _photo(media / "2026-11-27-jembatan" / f"jembatan-{n}.jpg", f"Jembatan Sungai Kayan II ({n})", 40 * n)
    _photo(media / "foto" / "pelatihan-literasi.jpg", "Pelatihan Literasi Digital", 90)
    _photo(media / "foto" / "pameran-umkm.jpg", "Pameran UMKM Akhir Tahun", 150)
    Image.new("RGB", (800, 600), (200, 200, 210)).save(media / "foto" / "banjir-tangkapan-layar.png")
    (media / "naskah").mkdir(parents=True, exist_ok=True)
    (media / "naskah" / "literasi-digital.md").write_text(LITERASI_MD, encoding="utf-8")

    cfg = config_module.load(config_path)
    book = build_workbook(cfg.approval.columns, cfg.agenda.news_types, cfg.agenda.worksheet)
    sheet = book[cfg.agenda.worksheet]
    headers = [c.value for c in sheet[1]]
    for n, row in enumerate(ROWS, start=2):
        values = dict(zip((S.TITLE, S.NEWS_TYPE, S.SOURCE, S.TEXT, S.MEDIA, S.CAPTION, S.RECEIVER,
                           S.PARAF_KADIS, S.PARAF_KABID, S.REJECTED, S.LEADER_NOTE, S.PAPER_FILED), row))
        for header, value in values.items():
            cell = sheet.cell(row=n, column=headers.index(header) + 1)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"      # staff text is never a formula
    book.save(cfg.agenda.path)
    return config_path


def run_demo(folder: Path, now: datetime) -> int:
    from automation.cli import command_line

    given = folder                  # as the person typed it: the commands printed use it
    folder = folder.resolve()
    if (folder / "config.toml").exists():
        print(f"{folder} already holds a demo; running one more cycle on it.")
    else:
        create_workspace(folder)
        print(f"Created a demo workspace in {folder}")
    cfg = config_module.load(folder / "config.toml")
    ws = open_workspace(cfg)
    try:
        report = Cycle(ws, now).run()
    finally:
        ws.close()
    for row in report.changed:
        print("  " + row.line())
    print()
    print(f"Agenda (open it in Excel or LibreOffice): {cfg.agenda.path}")
    print(f"Website (open in a browser):           {(cfg.website.output_dir / 'index.html').as_uri()}")
    print(f"Pratinjau and Lembar Arsip (PDF):      {cfg.agenda.path.parent / cfg.preview.dir}")
    print(f"Ledger and logs:                       {cfg.state_dir}")
    config = given / "config.toml"
    print("Tick 'Paraf Kabid' on the second row, save, and run")
    print(f"    {command_line('once', config=config)}")
    print("to see it published; check everything the configuration names with")
    print(f"    {command_line('check', config=config)}")
    sys.stdout.flush()
    return 0
