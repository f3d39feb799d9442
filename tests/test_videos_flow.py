"""Videos end to end on the static site: HEVC from an iPhone and oversized H.264 are converted
once, in the background, and published as H.264/AAC MP4 with a poster (SPEC section 10)."""

from __future__ import annotations

import shutil
import signal
import time
from contextlib import closing

import pytest

from automation.core import schema as S
from automation.ledger import Ledger
from automation.media.files import MIB
from tests.support.config import config_toml
from tests.support.kill_runs import Runs
from tests.support.videos import probe, video_file
from tests.support.workspace import NOW, Agenda, approved


def until_published(agenda: Agenda, title: str, limit: float = 60.0):
    """Cycles, as `run` makes them, until the row is live (conversions run between them)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        agenda.cycle(NOW)
        if agenda.by_title(title)[S.STATUS] == "Tayang":
            return agenda.by_title(title)
        time.sleep(0.2)
    raise AssertionError(f"not published: {agenda.by_title(title)}")


def test_an_iphone_video_is_converted_and_published_with_a_poster(tmp_path):
    agenda = Agenda(tmp_path, [approved("Video Rapat", **{S.MEDIA: "video/rapat.mov"})])
    (tmp_path / "media" / "video").mkdir(parents=True)
    shutil.copy(video_file("hevc", seconds=2, size="320x240"), tmp_path / "media/video/rapat.mov")

    agenda.cycle(NOW)
    waiting = agenda.by_title("Video Rapat")
    assert waiting[S.STATUS] != "Tayang"
    assert "sedang disiapkan untuk website" in waiting[S.SYSTEM_NOTE]

    done = until_published(agenda, "Video Rapat")
    assert "disiapkan" not in (done[S.SYSTEM_NOTE] or "")
    [post] = agenda.site_posts()
    [video] = post.glob("*.mp4")
    facts = probe(video)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert not list(post.glob("*.mov"))
    html = (post / "index.html").read_text()
    assert f'src="{video.name}"' in html and "poster=" in html
    [poster] = post.glob("*poster*.jpg")
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("step", [
    "after:automation.media.conversions.Conversions._begin",    # ffmpeg left running alone
    "before:automation.media.conversions.Conversions._finish",  # it ended; nothing taken yet
    "before:automation.media.ffmpeg.poster",                    # taken, no poster yet
    "after:automation.media.conversions.Conversions._record_result",  # done, journal not told
])
def test_killed_during_a_conversion_the_next_runs_finish_it_with_one_post(tmp_path, step):
    agenda = Agenda(tmp_path, [approved("Video Rapat", **{S.MEDIA: "video/rapat.mov"})])
    (tmp_path / "media" / "video").mkdir(parents=True)
    shutil.copy(video_file("hevc", seconds=3, size="640x360"), tmp_path / "media/video/rapat.mov")
    runs = Runs(tmp_path, {}, cwd=tmp_path)
    if "_begin" not in step:
        assert runs.once().returncode == 0, runs.report()   # the conversion starts
    deadline = time.monotonic() + 60
    # A run that reaches the step is killed there; one before it (still converting) is not.
    while (killed := runs.killed(step, 1)).returncode == 0:
        assert time.monotonic() < deadline, runs.report()
        time.sleep(0.3)
    assert killed.returncode == -signal.SIGKILL, runs.report()
    deadline = time.monotonic() + 60
    while agenda.by_title("Video Rapat")[S.STATUS] != "Tayang":
        assert time.monotonic() < deadline, runs.report()
        time.sleep(0.3)
        assert runs.once().returncode == 0, runs.report()
    [post] = agenda.site_posts()
    [video] = post.glob("*.mp4")
    assert probe(video).duration == pytest.approx(3.0, abs=0.1)
    assert probe(video).video_codec == "h264"
    cache = tmp_path / "state" / "video"
    assert not list(cache.glob("*.part.mp4")), sorted(p.name for p in cache.iterdir())
    assert runs.once().returncode == 0
    assert agenda.site_posts() == [post]
    # Converted once: the killed program's ffmpeg finished its work and was taken.
    with closing(Ledger(tmp_path / "state" / "ledger.sqlite3")) as ledger:
        [(_, state, job)] = ledger.conversions("queued", "running", "done", "failed")
    assert (state, job["attempt"], job["failures"]) == ("done", 1, 0)


def test_a_video_converting_holds_back_no_other_row(tmp_path):
    agenda = Agenda(tmp_path, [approved("Video Panjang", **{S.MEDIA: "video/panjang.mov"}),
                               approved("Foto Saja", **{S.MEDIA: "foto/a.jpg"})])
    (tmp_path / "media" / "video").mkdir(parents=True)
    shutil.copy(video_file("hevc", seconds=6, size="1280x720"),
                tmp_path / "media/video/panjang.mov")
    agenda.cycle(NOW)           # starts the conversion, and goes on
    assert agenda.by_title("Foto Saja")[S.STATUS] == "Tayang"
    assert "sedang disiapkan" in agenda.by_title("Video Panjang")[S.SYSTEM_NOTE]
    until_published(agenda, "Video Panjang")
    assert len(agenda.site_posts()) == 2


def test_a_1080p_video_over_a_small_limit_is_made_to_fit_with_a_poster(tmp_path):
    agenda = Agenda(tmp_path, [approved("Video Besar", **{S.MEDIA: "video/besar.mp4"})],
                    config_toml(website={"max_upload_mb": 1}, media={"max_file_mb": 50}))
    (tmp_path / "media" / "video").mkdir(parents=True)
    big = video_file("h264", seconds=3, size="1920x1080", rate="8M")
    assert big.stat().st_size > 2 * MIB
    shutil.copy(big, tmp_path / "media/video/besar.mp4")
    until_published(agenda, "Video Besar")
    [post] = agenda.site_posts()
    [video] = post.glob("*.mp4")
    assert video.stat().st_size <= MIB
    facts = probe(video)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert max(facts.width, facts.height) <= 1920 and min(facts.width, facts.height) <= 1080
    assert (post / "besar-poster.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_video_that_cannot_fit_even_converted_is_incomplete_with_the_fix(tmp_path):
    agenda = Agenda(tmp_path, [approved("Video Lama", **{S.MEDIA: "video/lama.mov"})],
                    config_toml(website={"max_upload_mb": 1}))
    (tmp_path / "media" / "video").mkdir(parents=True)
    shutil.copy(video_file("hevc", seconds=40, size="160x120", audio=True),
                tmp_path / "media/video/lama.mov")
    agenda.cycle(NOW)
    row = agenda.by_title("Video Lama")
    assert row[S.STATUS] == "Belum Lengkap"
    assert ("Video 'lama.mov' (40 detik) tidak muat dalam batas unggah website 1 MB, meskipun "
            "dikecilkan. Perpendek videonya menjadi paling lama 19 detik") in row[S.SYSTEM_NOTE]
    assert not (tmp_path / "state" / "video").exists()      # nothing converted for nothing


def test_an_iphone_video_reaches_wordpress_converted_with_its_poster(wordpress, tmp_path,
                                                                     monkeypatch):
    from tests.test_wordpress import Rest, office
    monkeypatch.setenv("WP_TEST_PASSWORD", wordpress.app_password)
    wordpress.create_category("Berita")
    agenda = office(tmp_path, wordpress, [approved("Video Rapat", **{
        S.MEDIA: "video/rapat.mov"})])
    shutil.copy(video_file("hevc", seconds=2, size="320x240"),
                agenda.folder / "media/video/rapat.mov")
    until_published(agenda, "Video Rapat")
    rest = Rest(wordpress)
    [post] = rest.posts()
    media = {m["mime_type"]: m for m in rest.media()}
    assert set(media) == {"video/mp4", "image/jpeg"}
    uploaded = wordpress.uploads_dir / media["video/mp4"]["media_details"].get(
        "file", media["video/mp4"]["source_url"].split("/uploads/")[1])
    assert probe(uploaded).video_codec == "h264"
    content = post["content"]["raw"]
    assert f'poster="{media["image/jpeg"]["source_url"]}"' in content
    assert post["featured_media"] == media["image/jpeg"]["id"]   # no photo: the poster
