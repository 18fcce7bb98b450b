"""Mentoring sessions in calendars: one ``.ics`` per session and the user's private feed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Mentor, User, utcnow
from matchmaker.models.mentoring import MentorSession, SessionStatus
from matchmaker.services import calendar
from matchmaker.services.calendar import CalendarEvent
from matchmaker.services.errors import Conflict, NotFound
from matchmaker.services.mentoring.sessions import founder_startups, load_session, side_of

FEED_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.COMPLETED, SessionStatus.CANCELLED)
FEED_PAST_DAYS = 90


REMINDER_MINUTES = 60  # the calendar app's reminder, which carries the place and the link


def event_for(ms: MentorSession) -> CalendarEvent:
    """The session as a calendar event, titled in the current language (the feed sets the
    account's language; a download the reader's)."""
    from flask_babel import get_locale, gettext

    if ms.starts_at is None or ms.ends_at is None:
        raise Conflict(_l("Only a scheduled session has a calendar file."))
    locale = str(get_locale() or "zh_CN")
    topic = vocab.label(vocab.MENTORING_TOPICS, ms.topic, locale)
    summary = gettext(
        "Mentoring: %(startup)s × %(mentor)s (%(topic)s)",
        startup=ms.startup.name,
        mentor=ms.mentor.name,
        topic=topic,
    )
    description = ms.goal
    if ms.meeting_url:
        description = f"{description}\n\n{gettext('Video link')}: {ms.meeting_url}".strip()
    return CalendarEvent(
        uid=f"mentor-session-{ms.id}@matchmaker",
        summary=summary,
        start=ms.starts_at,
        end=ms.ends_at,
        description=description,
        # The agreed place; without one, the mentor's city is the best hint there is.
        location=ms.meeting_place or ms.mentor.location or "",
        url=ms.meeting_url,
        status="CANCELLED" if ms.status == SessionStatus.CANCELLED else "CONFIRMED",
        reminder_minutes=REMINDER_MINUTES if ms.status == SessionStatus.SCHEDULED else 0,
    )


def session_ics(session: Session, user: User, session_id: int) -> bytes:
    """The ``.ics`` file of one scheduled (or held) session, for its mentor and founders."""
    ms = load_session(session, session_id)
    if side_of(ms, user) is None and not user.is_operator:
        raise NotFound(_l("This mentoring session does not exist."))
    if ms.status not in (SessionStatus.SCHEDULED, SessionStatus.COMPLETED) or ms.starts_at is None:
        raise Conflict(_l("Only a scheduled session has a calendar file."))
    return calendar.render_ics([event_for(ms)], name="Matchmaker")


def feed_events(session: Session, user: User) -> list[CalendarEvent]:
    """Feed provider: the user's sessions as mentor or founder, from 90 days ago on."""
    mentor_id = session.scalar(sa.select(Mentor.id).where(Mentor.user_id == user.id))
    startup_ids = [s.id for s in founder_startups(session, user)]
    conditions = []
    if mentor_id is not None:
        conditions.append(MentorSession.mentor_id == mentor_id)
    if startup_ids:
        conditions.append(MentorSession.startup_id.in_(startup_ids))
    if not conditions:
        return []
    rows = session.scalars(
        sa.select(MentorSession)
        .where(
            sa.or_(*conditions),
            MentorSession.status.in_(FEED_STATUSES),
            MentorSession.starts_at.is_not(None),
            MentorSession.starts_at >= utcnow() - timedelta(days=FEED_PAST_DAYS),
        )
        .options(
            selectinload(MentorSession.mentor).selectinload(Mentor.user),
            selectinload(MentorSession.startup),
        )
    ).all()
    return [event_for(ms) for ms in rows]
