"""A scheduled session ends one way: cancelled or moved (up to ``CHANGE_NOTICE_HOURS`` before
it starts), held (completed, once it has ended) or missed (a no-show, once it has started).

Either side may do each of these. The rules every status change shares (the state machine, row
locks, who is who) are in ``sessions``; where the session happens and the dispute of a no-show
are in ``meetings``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext as _ln
from matchmaker.models import MentorMentee, Notification, User
from matchmaker.models.mentoring import MentorSession, SessionStatus, Side
from matchmaker.models.mentors import MenteeSource
from matchmaker.services import notifications
from matchmaker.services.errors import Invalid
from matchmaker.services.mentoring.sessions import (
    CHANGE_NOTICE_HOURS,
    bookable_slot,
    check_capacity,
    conflict_message,
    founder_ids,
    lock_mentor,
    lock_session,
    now_or_utcnow,
    other_side_ids,
    record_outcome,
    refuse,
    require_party,
    session_link,
    transition,
    when_text,
)
from matchmaker.services.transactions import commit, use_case


def _within_policy(ms: MentorSession, now: datetime) -> None:
    if ms.starts_at is not None and ms.starts_at - now < timedelta(hours=CHANGE_NOTICE_HOURS):
        raise Invalid(
            _ln(
                "Sessions can be cancelled or moved only up to %(num)d hour before they start.",
                "Sessions can be cancelled or moved only up to %(num)d hours before they start.",
                CHANGE_NOTICE_HOURS,
            )
        )


@use_case
def cancel_session(
    session: Session,
    user: User,
    session_id: int,
    *,
    note: str = "",
    now: datetime | None = None,
) -> MentorSession:
    """Either side calls a scheduled session off (with notice); the other side is told."""
    now = now_or_utcnow(now)
    begin_write(session)
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.SCHEDULED:
        raise refuse(ms, _l("cancel"))
    _within_policy(ms, now)
    transition(ms, SessionStatus.CANCELLED, _l("cancel"))
    ms.cancel_note = (note or "").strip()[:2000]
    ms.closed_by_id = user.id
    ms.closed_at = now
    sent = notifications.notify(
        session,
        other_side_ids(ms, side),
        "mentoring.cancelled",
        link=session_link(ms.id),
        name=user.display_name,
        when=when_text(ms.starts_at),
    )
    commit(session, conflict_for=conflict_message)
    notifications.send_after_commit(session, sent)
    return ms


@use_case
def reschedule_session(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
) -> MentorSession:
    """Move a scheduled session to another free slot: the old one becomes ``rescheduled`` and a
    new scheduled session (linked to it) holds the new slot."""
    now = now_or_utcnow(now)
    begin_write(session)
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.SCHEDULED:
        raise refuse(ms, _l("reschedule"))
    _within_policy(ms, now)
    if starts_at == ms.starts_at:
        raise Invalid(_l("Pick a different time."), field="slot")
    lock_mentor(session, ms.mentor_id)
    slot = bookable_slot(session, ms.mentor, starts_at, now=now, exclude_session_id=ms.id)
    check_capacity(session, ms.mentor, slot.starts_at, exclude_session_id=ms.id)
    transition(ms, SessionStatus.RESCHEDULED, _l("reschedule"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    new = MentorSession(
        mentor_id=ms.mentor_id,
        startup_id=ms.startup_id,
        requested_by_id=ms.requested_by_id,
        status=SessionStatus.SCHEDULED,
        awaiting=Side.NOBODY,
        source=ms.source,
        topic=ms.topic,
        goal=ms.goal,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        rescheduled_from_id=ms.id,
        follow_up_of_id=ms.follow_up_of_id,
    )
    session.add(new)
    session.flush()
    sent = notifications.notify(
        session,
        other_side_ids(ms, side),
        "mentoring.rescheduled",
        link=session_link(new.id),
        name=user.display_name,
        when=when_text(new.starts_at),
    )
    commit(session, conflict_for=conflict_message)
    notifications.send_after_commit(session, sent)
    return new


@use_case
def complete_session(
    session: Session, user: User, session_id: int, *, now: datetime | None = None
) -> MentorSession:
    """Either side records that the session took place (once it has ended). The startup becomes
    one of the mentor's mentees, which the engine reads."""
    now = now_or_utcnow(now)
    begin_write(session)
    ms = lock_session(session, session_id)
    require_party(ms, user)  # refuses anyone who is not the mentor or a founder of the startup
    if ms.status != SessionStatus.SCHEDULED:
        raise refuse(ms, _l("complete"))
    if ms.ends_at is not None and ms.ends_at > now:
        raise Invalid(_l("The session has not ended yet."))
    transition(ms, SessionStatus.COMPLETED, _l("complete"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    outcome = record_outcome(session, ms, "completed")
    if session.get(MentorMentee, (ms.mentor_id, ms.startup_id)) is None:
        session.add(
            MentorMentee(
                mentor_id=ms.mentor_id,
                startup_id=ms.startup_id,
                since=(ms.starts_at or now).date(),
                source=MenteeSource.PLATFORM,
            )
        )
    session.flush()
    ms.outcome_id = outcome.id
    recipients = founder_ids(ms) + [ms.mentor.user_id]
    sent: list[Notification] = []
    for uid in recipients:
        other = ms.startup.name if uid == ms.mentor.user_id else ms.mentor.name
        sent += notifications.notify(
            session, [uid], "mentoring.completed", link=session_link(ms.id), name=other
        )
    commit(session, conflict_for=conflict_message)
    notifications.send_after_commit(session, sent)
    return ms


@use_case
def mark_no_show(
    session: Session, user: User, session_id: int, *, now: datetime | None = None
) -> MentorSession:
    """Either side says the other did not come (once the session has started); the side marked
    absent may dispute it once (``meetings.dispute_no_show``)."""
    now = now_or_utcnow(now)
    begin_write(session)
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.SCHEDULED:
        raise refuse(ms, _l("mark as a no-show"))
    if ms.starts_at is not None and ms.starts_at > now:
        raise Invalid(_l("The session has not started yet."))
    transition(ms, SessionStatus.NO_SHOW, _l("mark as a no-show"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    # Whoever marks it says the other side did not come; the notice names the absent party.
    ms.absent_side = Side.FOUNDER if side == Side.MENTOR else Side.MENTOR
    record_outcome(session, ms, "no_show")
    sent = notifications.notify(
        session,
        other_side_ids(ms, side),
        "mentoring.no_show",
        link=session_link(ms.id),
        when=when_text(ms.starts_at),
        absent=ms.startup.name if ms.absent_side == Side.FOUNDER else ms.mentor.name,
    )
    commit(session, conflict_for=conflict_message)
    notifications.send_after_commit(session, sent)
    return ms
