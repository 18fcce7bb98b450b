"""Answering a request: the mentor accepts, declines, proposes other times or asks a question;
the founder answers the question or picks one of the mentor's times.

While a session is ``requested``, ``MentorSession.awaiting`` says whose move it is; each move that
passes the turn gives the other side a fresh answer window. The rules every status change shares
(the state machine, row locks, who is who) are in ``sessions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Notification, User
from matchmaker.models.mentoring import MentorSession, SessionStatus, Side, SlotProposal
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.availability import Slot
from matchmaker.services.mentoring.notices import (
    SessionLink,
    commit_and_send,
    session_path,
    tell,
)
from matchmaker.services.mentoring.sessions import (
    DECLINE_REASONS,
    DEFAULT_REQUEST_TTL_HOURS,
    SLOT_TAKEN,
    check_capacity,
    close,
    lock_mentor,
    lock_session,
    now_or_utcnow,
    parse_slots,
    record_outcome,
    refuse,
    require_side,
    transition,
    when_text,
)
from matchmaker.services.transactions import use_case


def _lock_open_request(
    session: Session, session_id: int, user: User, side: Side, action: Any, now: datetime
) -> MentorSession:
    """The open request ``user`` moves on as ``side`` (its mentor, or a founder), locked
    (``lock_session``); refuses anyone else (403) and a request that is no longer open or has
    run past its deadline (409: the expiry job may not have closed it yet)."""
    ms = lock_session(session, session_id)
    require_side(ms, user, side)
    if ms.status != SessionStatus.REQUESTED:
        raise refuse(ms, action)
    if ms.expires_at is not None and ms.expires_at <= now:
        raise Conflict(_l("This request has expired."))
    return ms


def _pass_turn(
    session: Session,
    ms: MentorSession,
    side: Side,
    kind: str,
    deadline: datetime,
    link_for: SessionLink,
) -> list[Notification]:
    """An open request now waits on ``side``, who has until ``deadline`` to answer and is told
    by ``kind``; returns the notifications to send once the caller has committed."""
    ms.awaiting = side
    ms.expires_at = deadline
    return tell(session, ms, side, kind, link_for=link_for)


def _schedule(session: Session, ms: MentorSession, slot: Slot, action: Any) -> None:
    """Give ``ms`` the slot: the request is accepted (an outcome for the engine). The caller
    holds the session's row and the mentor's (``lock_session``, ``lock_mentor``), so the slot
    and capacity checks below cannot be raced."""
    if availability.slot_taken(session, ms.mentor_id, slot.starts_at, slot.ends_at):
        raise Conflict(SLOT_TAKEN)
    check_capacity(session, ms.mentor, slot.starts_at, exclude_session_id=ms.id)
    transition(ms, SessionStatus.SCHEDULED, action)
    ms.starts_at = slot.starts_at
    ms.ends_at = slot.ends_at
    ms.expires_at = None
    record_outcome(session, ms, "accepted")


def _slot_to_accept(
    session: Session, ms: MentorSession, starts_at: datetime, now: datetime
) -> Slot:
    """The slot the mentor accepts at ``starts_at``: one of their free slots, or a time the
    founder proposed that has since left the mentor's availability but is still unbooked."""
    if starts_at <= now:
        raise Invalid(_l("That time is in the past."), field="slot")
    slot = availability.find_free_slot(session, ms.mentor, starts_at, now=now)
    if slot is not None:
        return slot
    proposed = {p.starts_at: p for p in ms.proposals if p.proposed_by == Side.FOUNDER}
    if starts_at in proposed:
        # The founder's time, no longer in the mentor's availability (edited since, or a
        # blackout day): the mentor may still agree to it unless another session holds it.
        p = proposed[starts_at]
        if availability.slot_taken(session, ms.mentor_id, p.starts_at, p.ends_at):
            raise Conflict(SLOT_TAKEN)
        return Slot(ms.mentor_id, p.starts_at, p.ends_at)
    raise Invalid(_l("The mentor does not offer that time."), field="slot")


def _chosen_slot(session: Session, ms: MentorSession, starts_at: datetime, now: datetime) -> Slot:
    """The slot the founder takes at ``starts_at``: one the mentor proposed, still free."""
    if starts_at not in {p.starts_at for p in ms.proposals if p.proposed_by == Side.MENTOR}:
        raise Invalid(_l("Pick one of the times the mentor proposed."), field="slot")
    if starts_at <= now:
        raise Invalid(_l("That time is in the past."), field="slot")
    slot = availability.find_free_slot(session, ms.mentor, starts_at, now=now)
    if slot is None:
        raise Conflict(SLOT_TAKEN)
    return slot


@use_case
def accept_request(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The mentor accepts, at one of the founder's proposed times or one of their own free slots."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.MENTOR, _l("accept"), now)
    lock_mentor(session, ms.mentor_id)
    _schedule(session, ms, _slot_to_accept(session, ms, starts_at, now), _l("accept"))
    when = when_text(ms.starts_at)
    sent = tell(session, ms, Side.FOUNDER, "mentoring.accepted", link_for=link_for, when=when)
    commit_and_send(session, sent)
    return ms


@use_case
def decline_request(
    session: Session,
    user: User,
    session_id: int,
    *,
    reason: str,
    note: str = "",
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The mentor says no, with one of ``DECLINE_REASONS`` and an optional note."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.MENTOR, _l("decline"), now)
    if reason not in DECLINE_REASONS:
        raise Invalid(_l("Pick a reason from the list."), field="reason")
    close(ms, SessionStatus.DECLINED, _l("decline"), now=now, by=user)
    ms.decline_reason = reason
    ms.decline_note = (note or "").strip()[:2000]
    record_outcome(session, ms, "declined")
    sent = tell(session, ms, Side.FOUNDER, "mentoring.declined", link_for=link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def propose_times(
    session: Session,
    user: User,
    session_id: int,
    slot_starts: Sequence[datetime],
    *,
    now: datetime | None = None,
    ttl_hours: int = DEFAULT_REQUEST_TTL_HOURS,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The mentor offers other times (their free slots); the founder then picks one within
    ``ttl_hours``. A second proposal replaces the mentor's first; the founder's own times stay."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.MENTOR, _l("propose times for"), now)
    slots = parse_slots(session, ms.mentor, slot_starts, now=now)
    ms.proposals = [p for p in ms.proposals if p.proposed_by == Side.FOUNDER] + [
        SlotProposal(starts_at=s.starts_at, ends_at=s.ends_at, proposed_by=Side.MENTOR)
        for s in slots
    ]
    deadline = now + timedelta(hours=ttl_hours)
    sent = _pass_turn(session, ms, Side.FOUNDER, "mentoring.times_proposed", deadline, link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def ask_for_info(
    session: Session,
    user: User,
    session_id: int,
    question: str,
    *,
    now: datetime | None = None,
    ttl_hours: int = DEFAULT_REQUEST_TTL_HOURS,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The mentor asks the founder a question before deciding (the founder has ``ttl_hours`` to
    answer); a new question clears the previous answer."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.MENTOR, _l("ask about"), now)
    question = (question or "").strip()
    if not question:
        raise Invalid(_l("Write your question."), field="question")
    ms.info_question = question[:2000]
    ms.info_answer = ""
    deadline = now + timedelta(hours=ttl_hours)
    sent = _pass_turn(session, ms, Side.FOUNDER, "mentoring.info_requested", deadline, link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def answer_info(
    session: Session,
    user: User,
    session_id: int,
    answer: str,
    *,
    now: datetime | None = None,
    ttl_hours: int = DEFAULT_REQUEST_TTL_HOURS,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The founder answers the mentor's question; the turn goes back to the mentor, who has
    ``ttl_hours`` to decide."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.FOUNDER, _l("answer"), now)
    answer = (answer or "").strip()
    if not answer:
        raise Invalid(_l("Write your answer."), field="answer")
    if not ms.info_question:
        raise Conflict(_l("The mentor has not asked a question."))
    ms.info_answer = answer[:2000]
    deadline = now + timedelta(hours=ttl_hours)
    sent = _pass_turn(session, ms, Side.MENTOR, "mentoring.info_answered", deadline, link_for)
    commit_and_send(session, sent)
    return ms


@use_case
def choose_proposed_time(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The founder takes one of the times the mentor proposed: the session is scheduled."""
    now = now_or_utcnow(now)
    ms = _lock_open_request(session, session_id, user, Side.FOUNDER, _l("schedule"), now)
    lock_mentor(session, ms.mentor_id)
    _schedule(session, ms, _chosen_slot(session, ms, starts_at, now), _l("schedule"))
    when = when_text(ms.starts_at)
    sent = tell(session, ms, Side.MENTOR, "mentoring.time_chosen", link_for=link_for, when=when)
    commit_and_send(session, sent)
    return ms
