"""Calendar files: one ``.ics`` per event and a private per-user feed.

Areas that schedule things (mentoring sessions, pitch meetings, equipment bookings) turn them into
``CalendarEvent``s; ``services/calendar_feed.py`` gathers a user's into the feed. The feed URL
carries a secret token that the user can revoke (a new token makes the old URL useless).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from icalendar import Alarm, Calendar, Event
from sqlalchemy.orm import Session

from matchmaker.models import User, utcnow


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable across updates so calendar apps replace rather than duplicate
    summary: str
    start: datetime  # naive UTC, as stored
    end: datetime
    description: str = ""
    location: str = ""
    status: str = "CONFIRMED"  # or TENTATIVE / CANCELLED
    url: str = ""  # a video-call link, when the event has one
    # Minutes before the start at which calendar apps remind the attendee (a VALARM); 0: none.
    reminder_minutes: int = 0


def render_ics(events: Iterable[CalendarEvent], name: str = "Matchmaker") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Matchmaker//matchmaker//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for e in events:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.start.replace(tzinfo=UTC))
        ev.add("dtend", e.end.replace(tzinfo=UTC))
        ev.add("summary", e.summary)
        if e.description:
            ev.add("description", e.description)
        if e.location:
            ev.add("location", e.location)
        if e.url:
            ev.add("url", e.url)
        ev.add("status", e.status)
        if e.reminder_minutes > 0 and e.status != "CANCELLED":
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(minutes=-e.reminder_minutes))
            where = " · ".join(part for part in (e.location, e.url) if part)
            alarm.add("description", f"{e.summary} · {where}" if where else e.summary)
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()


def issue_feed_token(session: Session, user: User) -> str:
    """A new secret feed token; any earlier feed URL stops working."""
    user.calendar_token = secrets.token_urlsafe(32)
    user.updated_at = utcnow()
    session.commit()
    return user.calendar_token


def revoke_feed_token(session: Session, user: User) -> None:
    user.calendar_token = None
    session.commit()


def user_for_feed_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(sa.select(User).where(User.calendar_token == token))
    return user if user is not None and user.is_active else None
