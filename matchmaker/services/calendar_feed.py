"""A user's private calendar feed: every area's scheduled events for that user, in one ``.ics``.

The areas that schedule things each give their events for a user; ``FEEDS`` names them. A
calendar app fetches the feed with the secret token of its URL (``services/calendar.py`` issues
and revokes it) and without the user's cookie or language.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale
from sqlalchemy.orm import Session

from matchmaker.models import User
from matchmaker.services.calendar import CalendarEvent, render_ics
from matchmaker.services.facilities.bookings import queries
from matchmaker.services.funding import pitch_meetings
from matchmaker.services.mentoring import session_calendar

FeedProvider = Callable[[Session, User], list[CalendarEvent]]

# Mentoring sessions, pitch meetings, equipment bookings.
FEEDS: tuple[FeedProvider, ...] = (
    session_calendar.feed_events,
    pitch_meetings.feed_events,
    queries.user_feed_events,
)


def user_feed(session: Session, user: User) -> bytes:
    """The user's feed, by start time. The events' titles are written in the language of the
    user's account (the calendar app sends none)."""
    events: list[CalendarEvent] = []
    with force_locale(user.locale or "zh_CN"):
        for provider in FEEDS:
            events.extend(provider(session, user))
    return render_ics(
        sorted(events, key=lambda e: e.start), name=f"Matchmaker · {user.display_name}"
    )
