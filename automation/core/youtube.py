"""YouTube links in `Tautan Media` (SPEC section 10): embedded in the post, never downloaded.

The forms phones and browsers share: `youtube.com/watch?v=ID` (also `m.` and `music.`),
`youtu.be/ID`, `youtube.com/shorts/ID`, `/embed/ID` and `/live/ID`, with or without a scheme
and with any extra parameters (`&t=`, `?si=`).
"""

from __future__ import annotations

import re
from typing import Sequence
from urllib.parse import parse_qs, urlsplit

# The privacy-enhanced player: it sets no cookie until the video is played. The static site's
# Content-Security-Policy allows exactly this origin as a frame source.
PLAYER = "https://www.youtube-nocookie.com"
_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
          "youtube-nocookie.com", "www.youtube-nocookie.com"}
_PATHS = ("shorts", "embed", "live", "v")


def video_id(link: str) -> str | None:
    """The video's 11-character ID when `link` is a YouTube video link, else None."""
    text = link.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    found: str | None = None
    if host == "youtu.be" and segments:
        found = segments[0]
    elif host in _HOSTS:
        if segments == ["watch"]:
            found = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in _PATHS:
            found = segments[1]
    return found if found and _ID.match(found) else None


def split_embeds(links: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(YouTube video IDs, the other links), each in the order given, IDs without repeats."""
    ids: dict[str, None] = {}
    rest = []
    for link in links:
        found = video_id(link)
        if found:
            ids.setdefault(found, None)
        else:
            rest.append(link)
    return tuple(ids), tuple(rest)


def watch_url(video_id: str) -> str:
    """The video's page on YouTube (`video_id` as `video_id` gives it: URL-safe)."""
    return f"https://www.youtube.com/watch?v={video_id}"


def player_url(video_id: str) -> str:
    """The video in the privacy-enhanced player, for an iframe."""
    return f"{PLAYER}/embed/{video_id}"
