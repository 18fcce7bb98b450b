"""Where a meeting happens: a place, a video link, or both. Mentoring sessions and pitch meetings
are met the same way, so they check a link and word the two alike."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_meeting_url(url: str) -> bool:
    """A video link a participant can open: http(s), with a host and no spaces."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def where_text(place: str, url: str) -> str:
    """The place and the link as one line (for notifications, reminders and calendars)."""
    return " · ".join(part for part in (place, url) if part)
