"""A pitch's meeting: the fund sets when and where (a place and/or a video link) once the deal
reaches "meeting"; both teams get it in their calendars (a single .ics and the private feed,
with a reminder alarm carrying the place and the link) and the founders are told."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import User, utcnow
from matchmaker.models.funding import Pitch, PitchStage
from matchmaker.services import calendar, meeting_places, notifications
from matchmaker.services.calendar import CalendarEvent
from matchmaker.services.errors import Conflict, Invalid, NotFound
from matchmaker.services.funding.asks import member_investor_ids, member_startup_ids
from matchmaker.services.funding.parties import members, notify_parties, pitch_parties
from matchmaker.services.funding.pipeline import _member_pitch
from matchmaker.services.transactions import commit, use_case
from matchmaker.timezones import to_local

MEETING_STAGES = (PitchStage.MEETING, PitchStage.DUE_DILIGENCE, PitchStage.TERM_SHEET)
REMINDER_MINUTES = 60
FEED_PAST_DAYS = 90


def where_text(pitch: Pitch) -> str:
    """The meeting's place and video link, as one line."""
    return meeting_places.where_text(pitch.meeting_place, pitch.meeting_url)


@use_case
def set_meeting(
    session: Session,
    user: User,
    pitch_id: int,
    *,
    starts_at: datetime | None,
    minutes: int,
    place: str,
    url: str,
    link: str = "",
    now: datetime | None = None,
) -> Pitch:
    """A fund member sets (or moves) the meeting; ``starts_at`` is naive UTC."""
    now = now or utcnow()
    if starts_at is None or starts_at <= now:
        raise Invalid(_l("Pick a time in the future."), field="starts_at")
    if not 15 <= minutes <= 480:
        raise Invalid(_l("A meeting lasts 15 to 480 minutes."), field="minutes")
    place, url = meeting_places.checked_place(place, url, place_field="place", url_field="url")
    user_id = user.id
    begin_write(session)
    pitch = _member_pitch(session, session.get(User, user_id), pitch_id, lock=True)
    if pitch.stage not in MEETING_STAGES:
        raise Conflict(_l("A meeting can be set once the deal has reached the meeting stage."))
    startup, investor = pitch_parties(session, pitch, _l("This deal does not exist."))
    pitch.meeting_starts_at = starts_at
    pitch.meeting_ends_at = starts_at + timedelta(minutes=minutes)
    pitch.meeting_place, pitch.meeting_url = place, url
    pitch.updated_at = utcnow()
    when = to_local(starts_at).strftime("%Y-%m-%d %H:%M")
    rows = notify_parties(
        session,
        members(startup, but=user_id),
        "funding.meeting_set",
        startup=startup,
        investor=investor,
        link=link,
        when=when,
        where=where_text(pitch),
    )
    commit(session)
    notifications.send_after_commit(session, rows)
    return pitch


def meeting_event(pitch: Pitch) -> CalendarEvent:
    """The meeting as a calendar event, titled in the current language."""
    from matchmaker.i18n import gettext

    if pitch.meeting_starts_at is None or pitch.meeting_ends_at is None:
        raise Conflict(_l("No meeting has been set for this pitch."))
    return CalendarEvent(
        uid=f"funding-meeting-{pitch.id}@matchmaker",
        summary=gettext(
            "Investor meeting: %(startup)s × %(investor)s",
            startup=pitch.startup.name,
            investor=pitch.investor.name,
        ),
        start=pitch.meeting_starts_at,
        end=pitch.meeting_ends_at,
        description=pitch.meeting_url,
        location=pitch.meeting_place,
        url=pitch.meeting_url,
        status="CANCELLED" if pitch.stage == PitchStage.PASSED else "CONFIRMED",
        reminder_minutes=REMINDER_MINUTES if pitch.stage != PitchStage.PASSED else 0,
    )


def pitch_for_either_side(session: Session, user: Any, pitch_id: int) -> Pitch:
    """The pitch for a member of its startup or of its fund; NotFound for anyone else."""
    pitch = session.get(Pitch, pitch_id)
    if pitch is None or (
        pitch.investor_id not in member_investor_ids(session, user)
        and pitch.startup_id not in member_startup_ids(session, user)
    ):
        raise NotFound(_l("This deal does not exist."))
    return pitch


def meeting_ics(session: Session, user: Any, pitch_id: int) -> bytes:
    """The pitch's meeting as an .ics file for either team (Conflict if none is set)."""
    pitch = pitch_for_either_side(session, user, pitch_id)
    return calendar.render_ics([meeting_event(pitch)])


def feed_events(session: Session, user: User) -> list[CalendarEvent]:
    """Feed provider: meetings of the user's startups and funds, from 90 days ago on."""
    funds, startups = member_investor_ids(session, user), member_startup_ids(session, user)
    if not funds and not startups:
        return []
    rows = session.scalars(
        sa.select(Pitch).where(
            sa.or_(Pitch.investor_id.in_(funds), Pitch.startup_id.in_(startups)),
            Pitch.meeting_starts_at.is_not(None),
            Pitch.meeting_starts_at >= utcnow() - timedelta(days=FEED_PAST_DAYS),
        )
    ).all()
    return [meeting_event(p) for p in rows]
