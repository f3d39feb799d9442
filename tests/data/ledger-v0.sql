-- A ledger as release 0.1.0 leaves it (commit 73542d3, before schema versions: user_version 0),
-- dumped with sqlite3's iterdump. Made by that code, not by hand: an .xlsx workspace
-- (tests/agenda_workspace.py) with [notify.recipients] set but no channel tokens, run by
-- Service.tick at NOW (2026-11-27 09:00 WITA): "Gubernur Resmikan Jembatan" published,
-- "Pelatihan Literasi Digital" and "Rapat Koordinasi" waiting; at +3 min Paraf Kabid ticked
-- on the second row and the write-back failing (its Paraf Kabid and Tayang events stay
-- unwritten, the row published); at +5 min the media folder away (an outage); at +6 min the
-- agenda unreadable (last_error). Five notices queued, none sent. The workspace's folder
-- (/tmp/ledgergen/office) is written here as /srv/buku-agenda.
BEGIN TRANSACTION;
CREATE TABLE content_cache (entry_id TEXT PRIMARY KEY, key TEXT NOT NULL,
    stamp TEXT NOT NULL, fingerprint TEXT NOT NULL);
INSERT INTO "content_cache" VALUES('R3FDY6F3GR','a5e9b56ba2c1b38b40caa704ed5c336f2137b21347732da8a54da6ca1ee89881','[["/srv/buku-agenda/media/foto/a.jpg", 2154567, 5429, 1796112573951446956]]','3e96913b9fd876f79e0301f10f741e9534b90f6c13888d6c054db55764ba8671');
INSERT INTO "content_cache" VALUES('QGQVYFLVUK','2f8e1c24734a34413c48c025193b42979e8cd6b0b2c9f424ea45b181d1d5476d','[["/srv/buku-agenda/media/foto/a.jpg", 2154567, 5429, 1796112573951446956]]','7d02d920b8858d8be9cf416c43bf3f7894083e28a763f26b45a4330a803645a5');
INSERT INTO "content_cache" VALUES('ZNQ484LHVU','ca08a7a979c37429bfb3be573970dd39f8e8eed3400d48940ea35e83671e9b4b','[["/srv/buku-agenda/media/foto/a.jpg", 2154567, 5429, 1796112573951446956]]','3276c67167f677f8fbb63f59e30ad084ffab843d860b77ca5cf7cc22bc11ec54');
CREATE TABLE counters (kind TEXT, year INTEGER, last INTEGER NOT NULL,
    PRIMARY KEY (kind, year));
INSERT INTO "counters" VALUES('agenda',2026,3);
INSERT INTO "counters" VALUES('archive',2026,2);
CREATE TABLE entries (entry_id TEXT PRIMARY KEY, memory TEXT NOT NULL);
INSERT INTO "entries" VALUES('R3FDY6F3GR','{"agenda_number":"0001/2026","first_seen":"2026-11-27T09:00:00+08:00","approvals":{"Paraf Kadis":"3e96913b9fd876f79e0301f10f741e9534b90f6c13888d6c054db55764ba8671","Paraf Kabid":"3e96913b9fd876f79e0301f10f741e9534b90f6c13888d6c054db55764ba8671"},"round":1,"slug":"gubernur-resmikan-jembatan-r3fdy6f3gr","post":{"slug":"gubernur-resmikan-jembatan-r3fdy6f3gr","post_id":"gubernur-resmikan-jembatan-r3fdy6f3gr","url":"https://diskominfo.example.go.id/berita/gubernur-resmikan-jembatan-r3fdy6f3gr/","fingerprint":"3e96913b9fd876f79e0301f10f741e9534b90f6c13888d6c054db55764ba8671","live":true},"first_published_at":"2026-11-27T09:00:00+08:00","published_at":"2026-11-27T09:00:00+08:00","archive_number":"400.14.5.6/0001/DKISP/XI/2026","archive_location":"Lemari Arsip Siaran Pers 2026 / Map November","archived_at":null,"publish_error":"","version":1,"withdrawals":0,"origin_note":"","clearing":[],"events":["Diterima#0","Lengkap#0","Paraf Kabid#1","Paraf Kadis#1","Tayang#0"],"waiting_step":"Arsip Fisik#1","waiting_since":"2026-11-27T09:00:00+08:00","reminded":""}');
INSERT INTO "entries" VALUES('ZNQ484LHVU','{"agenda_number":"0002/2026","first_seen":"2026-11-27T09:00:00+08:00","approvals":{"Paraf Kadis":"3276c67167f677f8fbb63f59e30ad084ffab843d860b77ca5cf7cc22bc11ec54","Paraf Kabid":"3276c67167f677f8fbb63f59e30ad084ffab843d860b77ca5cf7cc22bc11ec54"},"round":1,"slug":"pelatihan-literasi-digital-znq484lhvu","post":{"slug":"pelatihan-literasi-digital-znq484lhvu","post_id":"pelatihan-literasi-digital-znq484lhvu","url":"https://diskominfo.example.go.id/berita/pelatihan-literasi-digital-znq484lhvu/","fingerprint":"3276c67167f677f8fbb63f59e30ad084ffab843d860b77ca5cf7cc22bc11ec54","live":true},"first_published_at":"2026-11-27T09:03:00+08:00","published_at":"2026-11-27T09:03:00+08:00","archive_number":"400.14.5.6/0002/DKISP/XI/2026","archive_location":"Lemari Arsip Siaran Pers 2026 / Map November","archived_at":null,"publish_error":"","version":1,"withdrawals":0,"origin_note":"","clearing":[],"events":["Diterima#0","Lengkap#0","Paraf Kabid#1","Paraf Kadis#1","Tayang#0"],"waiting_step":"Arsip Fisik#1","waiting_since":"2026-11-27T09:03:00+08:00","reminded":""}');
INSERT INTO "entries" VALUES('QGQVYFLVUK','{"agenda_number":"0003/2026","first_seen":"2026-11-27T09:00:00+08:00","approvals":{},"round":1,"slug":"","post":null,"first_published_at":null,"published_at":null,"archive_number":"","archive_location":"","archived_at":null,"publish_error":"","version":0,"withdrawals":0,"origin_note":"","clearing":[],"events":["Diterima#0","Lengkap#0"],"waiting_step":"Paraf Kadis#1","waiting_since":"2026-11-27T09:00:00+08:00","reminded":""}');
CREATE TABLE events (
    entry_id TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL, agenda_number TEXT NOT NULL,
    name TEXT NOT NULL, detail TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0,
    attempted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (entry_id, key));
INSERT INTO "events" VALUES('R3FDY6F3GR','Diterima#0','2026-11-27T09:00:00+08:00','0001/2026','Diterima','Dari Biro Adpim; petugas Rahmawati',1,1);
INSERT INTO "events" VALUES('R3FDY6F3GR','Lengkap#0','2026-11-27T09:00:00+08:00','0001/2026','Lengkap','Data dan berkas lengkap',1,1);
INSERT INTO "events" VALUES('R3FDY6F3GR','Paraf Kadis#1','2026-11-27T09:00:00+08:00','0001/2026','Paraf Kadis','Dicentang',1,1);
INSERT INTO "events" VALUES('R3FDY6F3GR','Paraf Kabid#1','2026-11-27T09:00:00+08:00','0001/2026','Paraf Kabid','Dicentang',1,1);
INSERT INTO "events" VALUES('ZNQ484LHVU','Diterima#0','2026-11-27T09:00:00+08:00','0002/2026','Diterima','Dari Biro Adpim; petugas Rahmawati',1,1);
INSERT INTO "events" VALUES('ZNQ484LHVU','Lengkap#0','2026-11-27T09:00:00+08:00','0002/2026','Lengkap','Data dan berkas lengkap',1,1);
INSERT INTO "events" VALUES('ZNQ484LHVU','Paraf Kadis#1','2026-11-27T09:00:00+08:00','0002/2026','Paraf Kadis','Dicentang',1,1);
INSERT INTO "events" VALUES('QGQVYFLVUK','Diterima#0','2026-11-27T09:00:00+08:00','0003/2026','Diterima','Dari Biro Adpim; petugas Rahmawati',1,1);
INSERT INTO "events" VALUES('QGQVYFLVUK','Lengkap#0','2026-11-27T09:00:00+08:00','0003/2026','Lengkap','Data dan berkas lengkap',1,1);
INSERT INTO "events" VALUES('R3FDY6F3GR','Tayang#0','2026-11-27T09:00:00+08:00','0001/2026','Tayang','Tayang di https://diskominfo.example.go.id/berita/gubernur-resmikan-jembatan-r3fdy6f3gr/; Nomor Arsip 400.14.5.6/0001/DKISP/XI/2026',1,1);
INSERT INTO "events" VALUES('ZNQ484LHVU','Paraf Kabid#1','2026-11-27T09:03:00+08:00','0002/2026','Paraf Kabid','Dicentang',0,1);
INSERT INTO "events" VALUES('ZNQ484LHVU','Tayang#0','2026-11-27T09:03:00+08:00','0002/2026','Tayang','Tayang di https://diskominfo.example.go.id/berita/pelatihan-literasi-digital-znq484lhvu/; Nomor Arsip 400.14.5.6/0002/DKISP/XI/2026',0,1);
CREATE TABLE file_facts (key TEXT PRIMARY KEY, facts TEXT NOT NULL);
INSERT INTO "file_facts" VALUES('folder-had-files|/srv/buku-agenda/media','{"seen": true}');
INSERT INTO "file_facts" VALUES('/srv/buku-agenda/media/foto/a.jpg|5429|1796112573951446956','{"verdict": "ok", "sha256": "4ea47e1662ffd7167e4f94ccd81f1429d3d5e6ae37fbde65e7b419b4dd280625", "kind": "photo", "mime": "image/jpeg"}');
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, action TEXT NOT NULL,
    slug TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT);
INSERT INTO "journal" VALUES(1,'R3FDY6F3GR','publish','gubernur-resmikan-jembatan-r3fdy6f3gr','2026-11-27T09:00:00+08:00','2026-11-27T09:00:00+08:00','done');
INSERT INTO "journal" VALUES(2,'ZNQ484LHVU','publish','pelatihan-literasi-digital-znq484lhvu','2026-11-27T09:03:00+08:00','2026-11-27T09:03:00+08:00','done');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('last_full_read','2026-11-27T09:00:00+08:00');
INSERT INTO "meta" VALUES('next_deadline','2026-11-27T09:07:01+08:00');
INSERT INTO "meta" VALUES('outage_since','2026-11-27T09:05:00+08:00');
INSERT INTO "meta" VALUES('outage','Folder media di server (/srv/buku-agenda/media) tidak dapat dibaca saat ini. Baris yang memerlukannya dibiarkan apa adanya dan diperiksa lagi setiap siklus.');
INSERT INTO "meta" VALUES('last_success','2026-11-27T09:05:00+08:00');
INSERT INTO "meta" VALUES('heartbeat_at','2026-11-27T09:05:00+08:00');
INSERT INTO "meta" VALUES('heartbeat_outage','2026-11-27T09:05:00+08:00');
INSERT INTO "meta" VALUES('last_error','buku_agenda.xlsx could not be read: the share is not mounted');
INSERT INTO "meta" VALUES('last_error_at','2026-11-27T09:06:00+08:00');
INSERT INTO "meta" VALUES('failing_since','2026-11-27T09:06:00+08:00');
CREATE TABLE notices (
    entry_id TEXT NOT NULL, key TEXT NOT NULL, address TEXT NOT NULL, queued_at TEXT NOT NULL,
    subject TEXT NOT NULL, text TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT, sent_at TEXT, gave_up INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    PRIMARY KEY (entry_id, key, address));
INSERT INTO "notices" VALUES('ZNQ484LHVU','menunggu:Paraf Kabid#1','wa:0812111','2026-11-27T01:00:00+00:00','Menunggu Paraf Kabid: Pelatihan Literasi Digital','Berita menunggu Paraf Kabid Anda (standar 7 menit).
Judul: Pelatihan Literasi Digital
No. Agenda: 0002/2026
Silakan buka Buku Agenda.',0,NULL,NULL,0,NULL);
INSERT INTO "notices" VALUES('QGQVYFLVUK','menunggu:Paraf Kadis#1','telegram:111','2026-11-27T01:00:00+00:00','Menunggu Paraf Kadis: Rapat Koordinasi','Berita menunggu Paraf Kadis Anda (standar 7 menit).
Judul: Rapat Koordinasi
No. Agenda: 0003/2026
Silakan buka Buku Agenda.',0,NULL,NULL,0,NULL);
INSERT INTO "notices" VALUES('R3FDY6F3GR','Tayang#0','wa:0813222','2026-11-27T01:00:00+00:00','Berita tayang: Gubernur Resmikan Jembatan','Berita tayang di website.
Judul: Gubernur Resmikan Jembatan
No. Agenda: 0001/2026
Tautan: https://diskominfo.example.go.id/berita/gubernur-resmikan-jembatan-r3fdy6f3gr/
Nomor Arsip: 400.14.5.6/0001/DKISP/XI/2026
Lokasi Arsip: Lemari Arsip Siaran Pers 2026 / Map November
Kasi: mohon simpan naskah fisik di lokasi itu dan centang ''Arsip Fisik''.
Silakan buka Buku Agenda.',0,NULL,NULL,0,NULL);
INSERT INTO "notices" VALUES('ZNQ484LHVU','Tayang#0','wa:0813222','2026-11-27T01:03:00+00:00','Berita tayang: Pelatihan Literasi Digital','Berita tayang di website.
Judul: Pelatihan Literasi Digital
No. Agenda: 0002/2026
Tautan: https://diskominfo.example.go.id/berita/pelatihan-literasi-digital-znq484lhvu/
Nomor Arsip: 400.14.5.6/0002/DKISP/XI/2026
Lokasi Arsip: Lemari Arsip Siaran Pers 2026 / Map November
Kasi: mohon simpan naskah fisik di lokasi itu dan centang ''Arsip Fisik''.
Silakan buka Buku Agenda.',0,NULL,NULL,0,NULL);
INSERT INTO "notices" VALUES('','gangguan:2026-11-27T09:05:00+08:00','telegram:999','2026-11-27T01:05:00+00:00','Sumber media/naskah tidak dapat dibaca','Folder media di server (/srv/buku-agenda/media) tidak dapat dibaca saat ini. Baris yang memerlukannya dibiarkan apa adanya dan diperiksa lagi setiap siklus.
Baris yang memerlukannya dibiarkan apa adanya (status, catatan, paraf) dan dicoba lagi setiap siklus. Server: vm. Jalankan ''check'' di server.',0,NULL,NULL,0,NULL);
CREATE TABLE pending_ids (signature TEXT PRIMARY KEY, entry_id TEXT NOT NULL);
CREATE INDEX events_unwritten ON events (written) WHERE written = 0;
CREATE INDEX notices_pending ON notices (sent_at) WHERE sent_at IS NULL;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('journal',2);
COMMIT;
