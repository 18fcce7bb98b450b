"""Asking for a session: a founder's request (one to three of the mentor's free slots), its
withdrawal, and the expiry of requests nobody answered in time.

The answers to a request are in ``answering``; the rules every status change shares (the state
machine, row locks, who is who) are in ``sessions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, Notification, Startup, User
from matchmaker.models.mentoring import MentorSession, SessionStatus, Side, SlotProposal
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.notices import (
    SessionLink,
    commit_and_send,
    session_path,
    tell,
)
from matchmaker.services.mentoring.sessions import (
    ALREADY_REQUESTED,
    DEFAULT_REQUEST_TTL_HOURS,
    close,
    lock_mentor,
    lock_session,
    now_or_utcnow,
    parse_slots,
    record_outcome,
    require_side,
)
from matchmaker.services.transactions import use_case


def _checked_goal(topic: str, goal: str) -> str:
    """The request's goal, trimmed; refuses a topic outside the list and an empty or overlong
    goal (each next to its field)."""
    if topic not in vocab.MENTORING_TOPICS:
        raise Invalid(_l("Pick a topic from the list."), field="topic")
    goal = (goal or "").strip()
    if not goal:
        raise Invalid(_l("Say what you want out of the session."), field="goal")
    if len(goal) > 2000:
        raise Invalid(_l("Keep the goal under 2000 characters."), field="goal")
    return goal


def _check_mentor_receives(
    session: Session, mentor: MentorProfile, startup: Startup, now: datetime
) -> None:
    """Refuse when the mentor paused requests, is fully booked this month, or already has an
    open request from this startup (the caller holds the mentor's row, so this cannot race)."""
    if not mentor.accepting_requests:
        raise Invalid(_l("This mentor is not accepting requests at the moment."))
    if availability.at_capacity(session, mentor, now):
        raise Invalid(_l("This mentor is fully booked this month."))
    open_request = session.scalar(
        sa.select(MentorSession.id).where(
            MentorSession.mentor_id == mentor.id,
            MentorSession.startup_id == startup.id,
            MentorSession.status == SessionStatus.REQUESTED,
        )
    )
    if open_request is not None:
        raise Conflict(ALREADY_REQUESTED)


def _follow_up_of(session: Session, startup: Startup, follow_up_of_id: int | None) -> int | None:
    """The earlier session a request continues; it must be one of the same startup's."""
    if follow_up_of_id is None:
        return None
    earlier = session.get(MentorSession, follow_up_of_id)
    if earlier is None or earlier.startup_id != startup.id:
        raise Invalid(_l("A follow-up must continue one of your own sessions."))
    return earlier.id


@use_case
def request_session(
    session: Session,
    user: User,
    *,
    mentor_id: int,
    startup_id: int,
    topic: str,
    goal: str,
    slot_starts: Sequence[datetime],
    follow_up_of_id: int | None = None,
    now: datetime | None = None,
    ttl_hours: int = DEFAULT_REQUEST_TTL_HOURS,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """A founder asks a mentor for a session, proposing one to three of the mentor's free slots.

    The mentor then has ``ttl_hours`` (the caller reads ``MENTORING_REQUEST_TTL_HOURS``) to
    answer before the request expires."""
    now = now_or_utcnow(now)
    begin_write(session)
    mentor = lock_mentor(session, mentor_id)
    if mentor is None or not mentor.is_active:
        raise NotFound(_l("This mentor does not exist."))
    startup = session.get(Startup, startup_id)
    if startup is None or not startup.has_member(user):
        raise Forbidden(_l("You can only request sessions for your own startup."))
    if mentor.user_id == user.id:
        raise Invalid(_l("You cannot request a session with yourself."))
    goal = _checked_goal(topic, goal)
    _check_mentor_receives(session, mentor, startup, now)
    slots = parse_slots(session, mentor, slot_starts, now=now)
    ms = MentorSession(
        mentor_id=mentor.id,
        startup_id=startup.id,
        requested_by_id=user.id,
        status=SessionStatus.REQUESTED,
        awaiting=Side.MENTOR,
        topic=topic,
        goal=goal,
        expires_at=now + timedelta(hours=ttl_hours),
        follow_up_of_id=_follow_up_of(session, startup, follow_up_of_id),
        proposals=[
            SlotProposal(starts_at=s.starts_at, ends_at=s.ends_at, proposed_by=Side.FOUNDER)
            for s in slots
        ],
    )
    session.add(ms)
    session.flush()
    sent = tell(session, ms, Side.MENTOR, "mentoring.requested", link_for=link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def withdraw_request(
    session: Session,
    user: User,
    session_id: int,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """A founder takes back an open request (even one waiting on the founder's own answer)."""
    now = now_or_utcnow(now)
    ms = lock_session(session, session_id)
    require_side(ms, user, Side.FOUNDER)
    close(ms, SessionStatus.WITHDRAWN, _l("withdraw"), now=now, by=user)
    sent = tell(session, ms, Side.MENTOR, "mentoring.withdrawn", link_for=link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def expire_requests(
    session: Session, *, now: datetime | None = None, link_for: SessionLink = session_path
) -> int:
    """Expire every request unanswered past its deadline; returns how many expired."""
    now = now_or_utcnow(now)
    begin_write(session)
    overdue = session.scalars(
        sa.select(MentorSession)
        .where(MentorSession.status == SessionStatus.REQUESTED, MentorSession.expires_at <= now)
        .order_by(MentorSession.id)
        # Locked rows are re-checked after the wait: a request accepted meanwhile is skipped.
        .with_for_update(of=MentorSession, key_share=True)
        .execution_options(populate_existing=True)
        .options(
            selectinload(MentorSession.mentor).selectinload(MentorProfile.user),
            selectinload(MentorSession.startup).selectinload(Startup.members),
        )
    ).all()
    sent: list[Notification] = []
    for ms in overdue:
        close(ms, SessionStatus.EXPIRED, _l("expire"), now=now, by=None)
        record_outcome(session, ms, "expired")
        sent += tell(session, ms, Side.FOUNDER, "mentoring.expired", link_for=link_for)
    commit_and_send(session, sent)
    return len(overdue)
