"""What a video needs before a website gets it (automation.media.videos), and the background
conversions that make it (automation.media.conversions), with the real ffmpeg."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from automation.ledger import Ledger
from automation.media import conversions as C
from automation.media.conversions import Conversions
from automation.media.files import MIB, examine, video_facts
from automation.media.videos import CannotFit, Conversion, conversion_for, parse_probe
from automation.ports import MediaFile, VideoFacts
from tests.support.videos import probe, video_file

HEVC_1080 = VideoFacts("hevc", "aac", 1920, 1080, 30.0, 0, "yuv420p")
H264_1080 = VideoFacts("h264", "aac", 1920, 1080, 30.0, 0, "yuv420p")

# What Debian's ffmpeg 5.1 prints for an iPhone video filmed upright, cover art included.
IPHONE_REPORT = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0042.MOV':
  Metadata:
    major_brand     : qt
    com.apple.quicktime.location.ISO6709: +02.8400+117.3700+012.000/
  Duration: 00:01:02.53, start: 0.000000, bitrate: 16940 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 1920x1080, 16698 kb/s, 29.98 fps, 30 tbr, 600 tbn (default)
    Metadata:
      handler_name    : Core Media Video
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 174 kb/s (default)
  Stream #0:2[0x3](und): Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 320x240, 90k tbr, 90k tbn (attached pic)
"""


# -- what ffmpeg says ------------------------------------------------------------------------

def test_an_iphone_report_is_read_stream_by_stream():
    assert parse_probe(IPHONE_REPORT) == VideoFacts(
        video_codec="hevc", audio_codec="aac", width=1920, height=1080, duration=62.53,
        rotation=270, pixel_format="yuv420p10le")


def test_cover_art_alone_is_no_video_and_a_report_without_duration_is_refused():
    art_only = IPHONE_REPORT.replace("Video: hevc", "Audio: hevc").replace("(default)\n    Side", "\n    Side")
    only_art = "\n".join(l for l in art_only.splitlines() if "Stream #0:0" not in l)
    assert parse_probe(only_art) is None
    assert parse_probe(IPHONE_REPORT.replace("Duration: 00:01:02.53", "Duration: N/A")) is None
    assert parse_probe("Invalid data found when processing input") is None


@pytest.mark.parametrize("kind, codec, audio", [("h264", "h264", "aac"), ("hevc", "hevc", "aac"),
                                                 ("vp9", "vp9", "opus")])
def test_real_files_are_probed_by_the_real_ffmpeg(kind, codec, audio):
    facts = probe(video_file(kind))
    assert (facts.video_codec, facts.audio_codec, facts.width, facts.height) == (codec, audio, 64, 48)
    assert facts.duration == pytest.approx(1.0, abs=0.05)


def test_a_phone_video_filmed_upright_reports_its_rotation_and_a_silent_one_no_sound():
    assert probe(video_file("h264", rotation=90)).rotation == 90
    assert probe(video_file("h264", audio=False)).audio_codec == ""


def test_a_damaged_video_gets_its_own_verdict(tmp_path):
    good = video_file("h264", seconds=2).read_bytes()
    cut = tmp_path / "terpotong.mp4"
    cut.write_bytes(good[:40])
    assert examine(cut)["verdict"] == "corrupt_video"
    whole = tmp_path / "utuh.mp4"
    whole.write_bytes(good)
    facts = examine(whole)
    assert facts["verdict"] == "ok" and video_facts(facts).video_codec == "h264"


# -- what a video needs ----------------------------------------------------------------------

def test_what_every_browser_plays_and_fits_is_published_as_it_is():
    assert conversion_for("a.mp4", H264_1080, "video/mp4", 20 * MIB, 64) is None
    webm = VideoFacts("vp9", "opus", 1920, 1080, 30.0)
    assert conversion_for("a.webm", webm, "video/webm", 20 * MIB, 64) is None


@pytest.mark.parametrize("facts, mime", [
    (HEVC_1080, "video/quicktime"),                                 # iPhone
    (H264_1080, "video/quicktime"),                                 # MOV: not every browser
    (replace(H264_1080, pixel_format="yuv420p10le"), "video/mp4"),  # 10-bit H.264
    (replace(H264_1080, audio_codec="pcm_s16le"), "video/mp4"),     # sound few browsers play
])
def test_what_not_every_browser_plays_is_converted(facts, mime):
    conversion = conversion_for("a", facts, mime, 20 * MIB, 64)
    assert conversion is not None and conversion.short_side == 1080
    assert conversion.audio_kbps == 128


def test_a_conversion_fits_the_limit_with_room_for_sound_and_rate_control():
    conversion = conversion_for("a.mp4", H264_1080, "video/mp4", 130 * MIB, 64)
    assert conversion is not None
    total_kbit = (conversion.video_kbps * (30 + 1) + conversion.audio_kbps * 30)
    assert total_kbit * 1000 / 8 <= 64 * MIB
    # Longer videos get smaller frames before they look blocky.
    long = conversion_for("a.mp4", replace(H264_1080, duration=600), "video/mp4", 900 * MIB, 64)
    assert long.short_side < 1080 and long.video_kbps >= 250


def test_a_small_video_is_never_made_larger_and_a_silent_one_gets_no_sound():
    small = VideoFacts("hevc", "", 640, 360, 5.0)
    assert conversion_for("a.mov", small, "video/quicktime", MIB, 64) == Conversion(360, 5000, 0)
    upright = VideoFacts("hevc", "aac", 1080, 1920, 5.0, 90)
    assert conversion_for("a.mov", upright, "video/quicktime", MIB, 64).short_side == 1080


def test_what_cannot_fit_even_converted_says_how_long_it_may_be():
    with pytest.raises(CannotFit) as refused:
        conversion_for("Pidato.mov", replace(HEVC_1080, duration=3600), "video/quicktime",
                       2000 * MIB, 64)
    assert refused.value.note == (
        "Video 'Pidato.mov' (60 menit) tidak muat dalam batas unggah website 64 MB, meskipun "
        "dikecilkan. Perpendek videonya menjadi paling lama 22 menit 14 detik, atau unggah ke "
        "YouTube lalu tempel tautannya di Tautan Media.")


def test_the_same_source_and_settings_always_name_the_same_result():
    conversion = Conversion(1080, 3000, 128)
    assert conversion.key("ab" * 32) == Conversion(1080, 3000, 128).key("ab" * 32)
    assert conversion.key("ab" * 32) != Conversion(720, 3000, 128).key("ab" * 32)
    assert conversion.key("ab" * 32) != conversion.key("cd" * 32)


# -- conversions, with the real ffmpeg ----------------------------------------------------------

def media_of(path: Path, name: str | None = None) -> MediaFile:
    facts = examine(path)
    return MediaFile(name=name or path.name, path=path, kind="video", mime=facts["mime"],
                     size=path.stat().st_size, sha256=facts["sha256"], video=video_facts(facts))


@pytest.fixture
def ledger(tmp_path):
    opened = Ledger(tmp_path / "ledger.sqlite3")
    yield opened
    for child in list(C.Conversions._children.values()):     # no ffmpeg outlives a test
        child.kill()
        child.wait()
    C.Conversions._children.clear()
    opened.close()


def ready(videos: Conversions, media: MediaFile, limit: float = 60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        videos.pump()
        prepared = videos.prepare(media)
        if prepared.file is not None or prepared.problem:
            return prepared
        time.sleep(0.1)
    raise AssertionError("conversion did not finish")


def only_state(ledger: Ledger) -> tuple[str, dict]:
    [(_, state, job)] = ledger.conversions("queued", "running", "done", "failed")
    return state, job


def test_an_hevc_video_is_converted_once_to_h264_with_a_poster(tmp_path, ledger):
    source = tmp_path / "IMG_0042.MOV"
    source.write_bytes(video_file("hevc", seconds=2, size="320x240").read_bytes())
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    media = media_of(source)

    first = videos.prepare(media)
    assert first.file is None and "IMG_0042.MOV" in first.waiting
    prepared = ready(videos, media)

    assert prepared.file.name == "IMG_0042.mp4" and prepared.file.mime == "video/mp4"
    facts = probe(prepared.file.path)
    assert (facts.video_codec, facts.audio_codec, facts.pixel_format) == ("h264", "aac", "yuv420p")
    assert prepared.file.video == facts and prepared.file.size == prepared.file.path.stat().st_size
    assert prepared.file.poster.read_bytes()[:3] == b"\xff\xd8\xff"
    # moov before mdat: a browser starts playing before the whole file has arrived
    data = prepared.file.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert only_state(ledger)[0] == "done"
    # Asked again (another row, a restart): the same file, nothing converted twice.
    again = Conversions(tmp_path / "video", ledger, limit_mb=64).prepare(media)
    assert again.file == prepared.file
    assert sorted(p.name for p in (tmp_path / "video").iterdir()) == sorted(
        [prepared.file.path.name, prepared.file.poster.name,
         prepared.file.path.with_suffix(".json").name])


def test_an_h264_video_over_the_limit_is_made_to_fit(tmp_path, ledger):
    big = video_file("h264", seconds=3, size="1920x1080", rate="8M")
    assert big.stat().st_size > 2 * MIB
    videos = Conversions(tmp_path / "video", ledger, limit_mb=1)
    prepared = ready(videos, media_of(big))
    assert prepared.file.size <= MIB
    facts = probe(prepared.file.path)
    assert facts.video_codec == "h264" and facts.duration == pytest.approx(3.0, abs=0.1)


def test_a_video_kept_as_it_is_gets_a_poster_only(tmp_path, ledger):
    clip = media_of(video_file("h264", seconds=2))
    prepared = Conversions(tmp_path / "video", ledger, limit_mb=64).prepare(clip)
    assert prepared.file == replace(clip, poster=prepared.file.poster)
    assert prepared.file.poster.read_bytes()[:3] == b"\xff\xd8\xff"
    assert ledger.conversions("queued", "running", "done", "failed") == []


def test_a_dry_run_starts_nothing(tmp_path, ledger):
    media = media_of(video_file("hevc"))
    dry = Conversions(tmp_path / "video", ledger, limit_mb=64).read_only()
    assert dry.prepare(media).waiting
    dry.pump()
    assert ledger.conversions("queued", "running", "done", "failed") == []
    assert not (tmp_path / "video").exists()


def test_one_conversion_at_a_time_in_the_order_asked(tmp_path, ledger):
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    first, second = media_of(video_file("hevc", seconds=2)), media_of(video_file("hevc", seconds=3))
    videos.prepare(first)
    videos.prepare(second)
    assert [s for _, s, _ in ledger.conversions("queued", "running")] == ["running", "queued"]
    assert len(C.Conversions._children) == 1
    ready(videos, second)
    assert [s for _, s, _ in ledger.conversions("done")] == ["done", "done"]


def test_a_conversion_whose_ffmpeg_outlived_the_program_is_adopted(tmp_path, ledger):
    """The program was killed: its ffmpeg goes on, and the next program takes its result."""
    media = media_of(video_file("hevc", seconds=4, size="1280x720"))
    Conversions(tmp_path / "video", ledger, limit_mb=64).prepare(media)
    orphans = dict(C.Conversions._children)
    C.Conversions._children.clear()              # what a new process knows of them: nothing
    try:
        prepared = ready(Conversions(tmp_path / "video", ledger, limit_mb=64), media)
    finally:
        for child in orphans.values():
            child.wait()
    assert only_state(ledger)[1]["attempt"] == 1     # not started again
    assert probe(prepared.file.path).video_codec == "h264"


def test_a_conversion_whose_ffmpeg_died_is_started_again(tmp_path, ledger, monkeypatch):
    monkeypatch.setattr(C, "QUIET", 1.0)
    media = media_of(video_file("hevc", seconds=4, size="1280x720"))
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    videos.prepare(media)
    [child] = C.Conversions._children.values()
    C.Conversions._children.clear()
    child.kill()                                 # SIGKILL, and the program gone too
    child.wait()
    part = next((tmp_path / "video").glob("*.1.part.mp4"), None)
    time.sleep(1.2)
    prepared = ready(Conversions(tmp_path / "video", ledger, limit_mb=64), media)
    assert only_state(ledger)[1]["attempt"] == 2
    assert probe(prepared.file.path).duration == pytest.approx(4.0, abs=0.1)
    assert part is None or not part.exists()         # the half file was swept, never taken


def test_a_conversion_that_keeps_failing_tells_the_row_why(tmp_path, ledger):
    source = tmp_path / "rusak.mov"
    source.write_bytes(video_file("hevc", seconds=2).read_bytes())
    media = media_of(source)
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 3])       # damaged after it was looked at
    prepared = ready(Conversions(tmp_path / "video", ledger, limit_mb=64), media)
    assert prepared.file is None
    assert prepared.problem == (
        "Video 'rusak.mov' tidak dapat diubah untuk website (ffmpeg gagal). Simpan ulang "
        "videonya sebagai MP4 (H.264), atau unggah ke YouTube lalu tempel tautannya di Tautan "
        "Media.")
    state, job = only_state(ledger)
    assert state == "failed" and job["failures"] == C.MAX_FAILURES
    assert not list((tmp_path / "video").glob("*.part.mp4"))


def test_a_video_too_long_for_the_limit_is_a_problem_at_once(tmp_path, ledger):
    media = media_of(video_file("hevc", seconds=2))
    long = replace(media, video=replace(media.video, duration=7200.0))
    prepared = Conversions(tmp_path / "video", ledger, limit_mb=64).prepare(long)
    assert "tidak muat dalam batas unggah website 64 MB" in prepared.problem
    assert ledger.conversions("queued", "running") == []


def test_a_video_filmed_upright_comes_out_upright(tmp_path, ledger):
    """A phone stores the frame on its side and a rotation to show it with: the conversion
    turns the frames, so every player shows it upright."""
    media = media_of(video_file("hevc", size="320x240", rotation=90))
    prepared = ready(Conversions(tmp_path / "video", ledger, limit_mb=64), media)
    facts = probe(prepared.file.path)
    assert (facts.width, facts.height, facts.rotation) == (240, 320, 0)


def test_a_video_out_of_reach_when_its_turn_comes_is_asked_for_again_not_failed(tmp_path, ledger):
    """An unmounted share or a removed cache copy is no fault of the video's (SPEC rule 8)."""
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    first = media_of(video_file("hevc", seconds=2))
    away = tmp_path / "share" / "IMG_0007.MOV"
    away.parent.mkdir()
    away.write_bytes(video_file("hevc", seconds=3).read_bytes())
    second = media_of(away)
    videos.prepare(first)
    videos.prepare(second)                       # queued behind the first
    data = away.read_bytes()
    away.unlink()
    ready(videos, first)
    videos.pump()                                # its turn: not there
    assert [s for _, s, _ in ledger.conversions("queued", "running", "failed")] == []
    away.write_bytes(data)                       # the share is back
    prepared = ready(videos, second)
    assert prepared.file is not None and not prepared.problem


def test_a_conversion_that_cannot_start_is_a_failed_attempt_not_a_stopped_cycle(tmp_path, ledger):
    (tmp_path / "video").write_text("a file where the folder should be")
    media = media_of(video_file("hevc", seconds=2))
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    assert videos.prepare(media).waiting                      # nothing raised
    videos.pump()
    state, job = only_state(ledger)
    assert state == "queued" and job["failures"] == 2
    (tmp_path / "video").unlink()                             # the administrator mends it
    assert ready(videos, media).file is not None


def test_an_ffmpeg_killed_by_a_signal_is_started_again_without_counting(tmp_path, ledger):
    media = media_of(video_file("hevc", seconds=3, size="1280x720"))
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    videos.prepare(media)
    [child] = C.Conversions._children.values()
    child.kill()                                  # out of memory, say: not the video's fault
    child.wait()
    videos.pump()
    state, job = only_state(ledger)
    assert state == "queued" and job["failures"] == 0         # started again by the next pump
    assert ready(videos, media).file is not None


def test_a_converted_video_whose_result_went_away_is_converted_again(tmp_path, ledger):
    media = media_of(video_file("hevc", seconds=2))
    videos = Conversions(tmp_path / "video", ledger, limit_mb=64)
    first = ready(videos, media).file
    first.path.unlink()                           # the video folder cleared
    assert videos.prepare(media).waiting
    assert only_state(ledger)[0] == "running"
    assert ready(videos, media).file.path.is_file()


def test_a_video_ffmpeg_cannot_read_in_time_is_out_of_reach_not_damaged(monkeypatch):
    from automation.media import ffmpeg
    monkeypatch.setattr(ffmpeg, "PROBE_TIMEOUT", 0.001)
    with pytest.raises(TimeoutError):             # an OSError: the sources treat it as an outage
        ffmpeg.probe(video_file("hevc", seconds=2))
