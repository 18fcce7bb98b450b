"""A scheduled session ends one way: cancelled or moved (up to ``CHANGE_NOTICE_HOURS`` before
it starts), held (completed, once it has ended) or missed (a no-show, once it has started).

Either side may do each of these. The rules every status change shares (the state machine, row
locks, who is who) are in ``sessions``; where the session happens and the dispute of a no-show
are in ``meetings``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext as _ln
from matchmaker.models import MentorMentee, User
from matchmaker.models.mentoring import MentorSession, SessionStatus, Side
from matchmaker.models.mentors import MenteeSource
from matchmaker.services.errors import Invalid
from matchmaker.services.mentoring.availability import Slot
from matchmaker.services.mentoring.notices import (
    SessionLink,
    commit_and_send,
    session_path,
    tell_both_sides,
    tell_other_side,
)
from matchmaker.services.mentoring.sessions import (
    CHANGE_NOTICE_HOURS,
    bookable_slot,
    check_capacity,
    close,
    lock_mentor,
    lock_session,
    now_or_utcnow,
    record_outcome,
    refuse,
    require_party,
)
from matchmaker.services.transactions import use_case


def _lock_scheduled(
    session: Session, user: User, session_id: int, action: Any
) -> tuple[MentorSession, Side]:
    """The scheduled session ``user`` acts on, locked, and the user's side in it; refuses a
    stranger (403) and a session that is no longer scheduled (409)."""
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.SCHEDULED:
        raise refuse(ms, action)
    return ms, side


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
    link_for: SessionLink = session_path,
) -> MentorSession:
    """Either side calls a scheduled session off (with notice); the other side is told."""
    now = now_or_utcnow(now)
    ms, side = _lock_scheduled(session, user, session_id, _l("cancel"))
    _within_policy(ms, now)
    close(ms, SessionStatus.CANCELLED, _l("cancel"), now=now, by=user)
    ms.cancel_note = (note or "").strip()[:2000]
    sent = tell_other_side(
        session, ms, side, "mentoring.cancelled", link_for=link_for, name=user.display_name
    )
    commit_and_send(session, sent)
    return ms


def _moved(ms: MentorSession, slot: Slot) -> MentorSession:
    """The scheduled session that replaces ``ms`` at ``slot``: the same request, linked back."""
    return MentorSession(
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


@use_case
def reschedule_session(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """Move a scheduled session to another free slot: the old one becomes ``rescheduled`` and a
    new scheduled session (linked to it) holds the new slot."""
    now = now_or_utcnow(now)
    ms, side = _lock_scheduled(session, user, session_id, _l("reschedule"))
    _within_policy(ms, now)
    if starts_at == ms.starts_at:
        raise Invalid(_l("Pick a different time."), field="slot")
    lock_mentor(session, ms.mentor_id)
    slot = bookable_slot(session, ms.mentor, starts_at, now=now, exclude_session_id=ms.id)
    check_capacity(session, ms.mentor, slot.starts_at, exclude_session_id=ms.id)
    close(ms, SessionStatus.RESCHEDULED, _l("reschedule"), now=now, by=user)
    new = _moved(ms, slot)
    session.add(new)
    session.flush()
    sent = tell_other_side(
        session, new, side, "mentoring.rescheduled", link_for=link_for, name=user.display_name
    )
    commit_and_send(session, sent)
    return new


@use_case
def complete_session(
    session: Session,
    user: User,
    session_id: int,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """Either side records that the session took place (once it has ended). The startup becomes
    one of the mentor's mentees, which the engine reads."""
    now = now_or_utcnow(now)
    # _lock_scheduled refuses anyone who is not the mentor or a founder of the startup.
    ms, _side = _lock_scheduled(session, user, session_id, _l("complete"))
    if ms.ends_at is not None and ms.ends_at > now:
        raise Invalid(_l("The session has not ended yet."))
    close(ms, SessionStatus.COMPLETED, _l("complete"), now=now, by=user)
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
    sent = tell_both_sides(session, ms, "mentoring.completed", link_for=link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def mark_no_show(
    session: Session,
    user: User,
    session_id: int,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """Either side says the other did not come (once the session has started); the side marked
    absent may dispute it once (``meetings.dispute_no_show``)."""
    now = now_or_utcnow(now)
    ms, side = _lock_scheduled(session, user, session_id, _l("mark as a no-show"))
    if ms.starts_at is not None and ms.starts_at > now:
        raise Invalid(_l("The session has not started yet."))
    close(ms, SessionStatus.NO_SHOW, _l("mark as a no-show"), now=now, by=user)
    # Whoever marks it says the other side did not come; the notice names the absent party.
    ms.absent_side = Side.FOUNDER if side == Side.MENTOR else Side.MENTOR
    record_outcome(session, ms, "no_show")
    absent = ms.startup.name if ms.absent_side == Side.FOUNDER else ms.mentor.name
    sent = tell_other_side(session, ms, side, "mentoring.no_show", link_for=link_for, absent=absent)
    commit_and_send(session, sent)
    return ms
