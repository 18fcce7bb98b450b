"""Where a meeting happens: a place, a video link, or both. Mentoring sessions and pitch meetings
are met the same way, so they check a link and word the two alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Invalid

MAX_PLACE = 200
MAX_URL = 500


def is_meeting_url(url: str) -> bool:
    """A video link a participant can open: http(s), with a host and no spaces."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def where_text(place: str, url: str) -> str:
    """The place and the link as one line (for notifications, reminders and calendars)."""
    return " · ".join(part for part in (place, url) if part)


def checked_place(place: str, url: str, *, place_field: str, url_field: str) -> tuple[str, str]:
    """The place and the link, stripped, if at least one is given and both are well formed;
    else ``Invalid`` on the form field at fault (``place_field`` / ``url_field``: each form names
    its two fields its own way)."""
    place, url = (place or "").strip(), (url or "").strip()
    if not place and not url:
        raise Invalid(_l("Give a place or a video link."), field=place_field)
    if len(place) > MAX_PLACE:
        raise Invalid(_l("Enter at most %(n)d characters.", n=MAX_PLACE), field=place_field)
    if url and (len(url) > MAX_URL or not is_meeting_url(url)):
        raise Invalid(_l("Enter a video link starting with https:// or http://."), field=url_field)
    return place, url
