"""The mentoring session lifecycle: every status change of a ``MentorSession`` happens here.

    requested -> scheduled (accepted) | declined | expired | withdrawn
    scheduled -> completed | no_show | cancelled | rescheduled

While ``requested``, ``awaiting`` says whose move it is: the mentor's (decide) or the founder's
(answer a question, or pick one of the times the mentor proposed). Each use case commits once,
writes ``MatchOutcome`` rows for the engine, and mails its notifications after the commit.

Concurrency: every state change opens its transaction with ``begin_write`` (on SQLite the
database's one write lock, which serialises them) and then, for PostgreSQL, locks the rows it
decides on with ``SELECT ... FOR NO KEY UPDATE`` (a no-op on SQLite): the session row (so a
double-clicked accept, or a withdraw racing an accept, sees the other's outcome and is refused),
and the mentor's profile row wherever a rule spans several sessions (the monthly capacity, one
open request per startup and mentor, the mentor's free slots). Locks are always taken in that
order, session then mentor. The database has the last word: the partial unique indexes
``uq_mentor_sessions_active_slot`` (one scheduled session per mentor and start) and
``uq_mentor_sessions_open_request`` (one open request per startup and mentor), and on PostgreSQL
the exclusion constraint against overlapping sessions; a loser's ``IntegrityError`` becomes a
``Conflict`` with the rule's message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext as _ln
from matchmaker.models import (
    MatchOutcome,
    MentorMentee,
    MentorProfile,
    Notification,
    Startup,
    StartupMember,
    User,
    utcnow,
)
from matchmaker.models.mentoring import MentorSession, SessionReview, SlotProposal
from matchmaker.services import notifications
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.availability import Slot

DEFAULT_REQUEST_TTL_HOURS = 72
CHANGE_NOTICE_HOURS = 24  # cancel or reschedule no later than this before the start
MAX_PROPOSED_SLOTS = 3

TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"scheduled", "declined", "expired", "withdrawn"}),
    "scheduled": frozenset({"completed", "no_show", "cancelled", "rescheduled"}),
}
OPEN_STATUSES = ("requested", "scheduled")

STATUS_LABELS: dict[str, Any] = {
    "requested": _l("requested"),
    "scheduled": _l("scheduled"),
    "declined": _l("declined"),
    "expired": _l("expired"),
    "withdrawn": _l("withdrawn"),
    "completed": _l("completed"),
    "no_show": _l("no-show"),
    "cancelled": _l("cancelled"),
    "rescheduled": _l("rescheduled"),
}

DECLINE_REASONS: dict[str, Any] = {
    "no_time": _l("No time in the coming weeks"),
    "not_my_expertise": _l("Outside my expertise"),
    "too_early": _l("Too early for this startup"),
    "conflict_of_interest": _l("Conflict of interest"),
    "other": _l("Other reason"),
}

SLOT_TAKEN = _l("That slot has just been taken by another session. Please pick another time.")
ALREADY_REQUESTED = _l("Your startup already has an open request with this mentor.")
OPEN_REQUEST_INDEX = "uq_mentor_sessions_open_request"

notifications.register_messages(
    {
        "mentoring.requested": _l("%(startup)s requests a mentoring session with you."),
        "mentoring.accepted": _l(
            "%(mentor)s accepted your request: session on %(when)s (Beijing time)."
        ),
        "mentoring.declined": _l("%(mentor)s declined your mentoring request."),
        "mentoring.times_proposed": _l(
            "%(mentor)s proposed other times for your session; please pick one."
        ),
        "mentoring.info_requested": _l("%(mentor)s asks for more information about your request."),
        "mentoring.info_answered": _l("%(startup)s answered your question about their request."),
        "mentoring.time_chosen": _l(
            "%(startup)s picked a time: session on %(when)s (Beijing time)."
        ),
        "mentoring.withdrawn": _l("%(startup)s withdrew their mentoring request."),
        "mentoring.expired": _l("Your mentoring request to %(mentor)s expired without an answer."),
        "mentoring.cancelled": _l("%(name)s cancelled the session of %(when)s (Beijing time)."),
        "mentoring.rescheduled": _l("%(name)s moved your session to %(when)s (Beijing time)."),
        "mentoring.completed": _l("Your session with %(name)s is complete: please rate it."),
        "mentoring.no_show": _l(
            "The session of %(when)s (Beijing time) was marked as a no-show: %(absent)s did not "
            "come. If you were there, you can dispute it once on the session's page."
        ),
        "mentoring.follow_up_wanted": _l("%(startup)s would like a follow-up session."),
        "mentoring.office_hours": _l(
            "Office hours: a session on %(when)s (Beijing time) with %(name)s."
        ),
    }
)


# --- helpers ----------------------------------------------------------------------------------


def request_ttl_hours() -> int:
    """MENTORING_REQUEST_TTL_HOURS from the app's config (the default outside an app)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_REQUEST_TTL_HOURS
    value = current_app.config.get("MENTORING_REQUEST_TTL_HOURS")
    try:
        return max(1, int(value)) if value is not None else DEFAULT_REQUEST_TTL_HOURS
    except (TypeError, ValueError):
        return DEFAULT_REQUEST_TTL_HOURS


def session_link(session_id: int) -> str:
    from flask import has_request_context, url_for

    if has_request_context():
        return url_for("mentoring.session_detail", session_id=session_id)
    return f"/mentoring/sessions/{session_id}"


NOTIFICATION_ZONE = "Asia/Shanghai"  # notifications are stored once for readers in any zone


def _when(moment: datetime | None) -> str:
    """A time for a notification text, in Beijing time (the makerspace's zone)."""
    if moment is None:
        return ""
    return availability.to_local(moment, NOTIFICATION_ZONE).strftime("%Y-%m-%d %H:%M")


def status_label(status: str) -> Any:
    return STATUS_LABELS.get(status, status)


def _refuse(ms: MentorSession, action: Any) -> Conflict:
    return Conflict(
        _l(
            "You cannot %(action)s this session: it is %(status)s.",
            action=action,
            status=status_label(ms.status),
        )
    )


def _transition(ms: MentorSession, new_status: str, action: Any) -> None:
    """The one place a status changes; refuses every move the state machine does not allow."""
    if new_status not in TRANSITIONS.get(ms.status, frozenset()):
        raise _refuse(ms, action)
    ms.status = new_status
    if new_status != "requested":
        ms.awaiting = ""


_SESSION_OPTIONS = (
    selectinload(MentorSession.mentor).selectinload(MentorProfile.user),
    selectinload(MentorSession.startup).selectinload(Startup.members),
    selectinload(MentorSession.proposals),
)


def _load(session: Session, session_id: int) -> MentorSession:
    """A session with its mentor, startup and proposals, for reading."""
    ms = session.get(MentorSession, session_id, options=list(_SESSION_OPTIONS))
    if ms is None:
        raise NotFound(_l("This mentoring session does not exist."))
    return ms


def _lock(session: Session, session_id: int) -> MentorSession:
    """The session to change, its row locked until the commit (PostgreSQL; call after
    ``begin_write``). Read afresh: what a concurrent use case committed meanwhile is seen."""
    ms = session.get(
        MentorSession,
        session_id,
        options=list(_SESSION_OPTIONS),
        with_for_update={"key_share": True},
        populate_existing=True,
    )
    if ms is None:
        raise NotFound(_l("This mentoring session does not exist."))
    return ms


def _lock_mentor(session: Session, mentor_id: int) -> MentorProfile | None:
    """Lock the mentor's profile row: the one row that serialises the rules spanning several of
    their sessions (capacity, free slots, one open request per startup)."""
    return session.get(
        MentorProfile,
        mentor_id,
        with_for_update={"key_share": True},
        populate_existing=True,
    )


def side_of(ms: MentorSession, user: User) -> str | None:
    """``"mentor"``, ``"founder"`` or None for someone with no part in the session."""
    if ms.mentor.user_id == user.id:
        return "mentor"
    if any(m.user_id == user.id for m in ms.startup.members):
        return "founder"
    return None


def _as_mentor(ms: MentorSession, user: User) -> None:
    if side_of(ms, user) != "mentor":
        raise Forbidden(_l("Only the session's mentor can do this."))


def _as_founder(ms: MentorSession, user: User) -> None:
    if side_of(ms, user) != "founder":
        raise Forbidden(_l("Only the startup's founders can do this."))


def _as_party(ms: MentorSession, user: User) -> str:
    side = side_of(ms, user)
    if side is None:
        raise Forbidden(_l("You have no part in this session."))
    return side


def _founder_ids(ms: MentorSession) -> list[int]:
    return [m.user_id for m in ms.startup.members]


def _other_side(ms: MentorSession, side: str) -> list[int]:
    return _founder_ids(ms) if side == "mentor" else [ms.mentor.user_id]


def _outcome(session: Session, ms: MentorSession, outcome: str) -> MatchOutcome:
    row = MatchOutcome(
        startup_id=ms.startup_id,
        candidate_kind="mentor",
        candidate_id=ms.mentor_id,
        outcome=outcome,
    )
    session.add(row)
    return row


def _pass_turn(session: Session, ms: MentorSession, side: str, kind: str, now: datetime) -> None:
    """An open request now waits on ``side`` (who gets a fresh answer window), told by ``kind``."""
    ms.awaiting = side
    ms.expires_at = now + timedelta(hours=request_ttl_hours())
    if side == "founder":
        sent = notifications.notify(
            session, _founder_ids(ms), kind, link=session_link(ms.id), mentor=ms.mentor.name
        )
    else:
        sent = notifications.notify(
            session, [ms.mentor.user_id], kind, link=session_link(ms.id), startup=ms.startup.name
        )
    _commit(session, sent)


def _conflict_message(exc: IntegrityError) -> Any:
    """The rule a refused write broke, in the user's words. PostgreSQL names the index; SQLite
    names the columns of the open-request index (mentor_id, startup_id)."""
    text = str(exc.orig)
    if OPEN_REQUEST_INDEX in text or "mentor_sessions.startup_id" in text:
        return ALREADY_REQUESTED
    return SLOT_TAKEN


def _commit(session: Session, sent: Sequence[Notification]) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(_conflict_message(exc)) from exc
    notifications.send_after_commit(session, sent)


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _bookable_slot(
    session: Session,
    mentor: MentorProfile,
    starts_at: datetime,
    *,
    now: datetime,
    field: str = "slot",
    exclude_session_id: int | None = None,
) -> Slot:
    """The free slot starting at ``starts_at``, or a clear refusal saying why not."""
    if starts_at <= now:
        raise Invalid(_l("That time is in the past."), field=field)
    slot = availability.find_free_slot(
        session, mentor, starts_at, now=now, exclude_session_id=exclude_session_id
    )
    if slot is not None:
        return slot
    raise Invalid(_l("The mentor does not offer that time."), field=field)


def _check_capacity(
    session: Session,
    mentor: MentorProfile,
    starts_at: datetime,
    exclude_session_id: int | None = None,
) -> None:
    used = availability.sessions_in_month(
        session, mentor, starts_at, exclude_session_id=exclude_session_id
    )
    if used >= mentor.capacity_per_month:
        raise Conflict(
            _l("The mentor's sessions for that month are fully booked."),
        )


def _schedule(session: Session, ms: MentorSession, slot: Slot, action: Any) -> None:
    """Give ``ms`` the slot. The caller holds the session's row and the mentor's (``_lock``,
    ``_lock_mentor``), so the slot and capacity checks below cannot be raced."""
    if availability.slot_taken(session, ms.mentor_id, slot.starts_at, slot.ends_at):
        raise Conflict(SLOT_TAKEN)
    _check_capacity(session, ms.mentor, slot.starts_at, exclude_session_id=ms.id)
    _transition(ms, "scheduled", action)
    ms.starts_at = slot.starts_at
    ms.ends_at = slot.ends_at
    ms.expires_at = None


def _parse_slots(
    session: Session,
    mentor: MentorProfile,
    slot_starts: Sequence[datetime],
    *,
    now: datetime,
) -> list[Slot]:
    unique = list(dict.fromkeys(slot_starts))
    if not unique:
        raise Invalid(_l("Pick at least one of the mentor's free times."), field="slots")
    if len(unique) > MAX_PROPOSED_SLOTS:
        raise Invalid(_l("Pick at most three times."), field="slots")
    return [_bookable_slot(session, mentor, s, now=now, field="slots") for s in unique]


# --- founder: request --------------------------------------------------------------------------


def founder_startups(session: Session, user: User) -> list[Startup]:
    return list(
        session.scalars(
            sa.select(Startup)
            .join(StartupMember)
            .where(StartupMember.user_id == user.id, Startup.is_active)
            .order_by(Startup.name)
        )
    )


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
) -> MentorSession:
    """A founder asks a mentor for a session, proposing one to three of the mentor's free slots."""
    now = _now(now)
    begin_write(session)
    mentor = _lock_mentor(session, mentor_id)
    if mentor is None or not mentor.is_active:
        raise NotFound(_l("This mentor does not exist."))
    startup = session.get(Startup, startup_id)
    if startup is None or not startup.has_member(user):
        raise Forbidden(_l("You can only request sessions for your own startup."))
    if mentor.user_id == user.id:
        raise Invalid(_l("You cannot request a session with yourself."))
    if topic not in vocab.MENTORING_TOPICS:
        raise Invalid(_l("Pick a topic from the list."), field="topic")
    goal = (goal or "").strip()
    if not goal:
        raise Invalid(_l("Say what you want out of the session."), field="goal")
    if len(goal) > 2000:
        raise Invalid(_l("Keep the goal under 2000 characters."), field="goal")
    if not mentor.accepting_requests:
        raise Invalid(_l("This mentor is not accepting requests at the moment."))
    if availability.at_capacity(session, mentor, now):
        raise Invalid(_l("This mentor is fully booked this month."))
    open_request = session.scalar(
        sa.select(MentorSession.id).where(
            MentorSession.mentor_id == mentor.id,
            MentorSession.startup_id == startup.id,
            MentorSession.status == "requested",
        )
    )
    if open_request is not None:
        raise Conflict(ALREADY_REQUESTED)
    slots = _parse_slots(session, mentor, slot_starts, now=now)
    follow_up_of = None
    if follow_up_of_id is not None:
        follow_up_of = session.get(MentorSession, follow_up_of_id)
        if follow_up_of is None or follow_up_of.startup_id != startup.id:
            raise Invalid(_l("A follow-up must continue one of your own sessions."))
    ms = MentorSession(
        mentor_id=mentor.id,
        startup_id=startup.id,
        requested_by_id=user.id,
        status="requested",
        awaiting="mentor",
        topic=topic,
        goal=goal,
        expires_at=now + timedelta(hours=request_ttl_hours()),
        follow_up_of_id=follow_up_of.id if follow_up_of else None,
        proposals=[
            SlotProposal(starts_at=s.starts_at, ends_at=s.ends_at, proposed_by="founder")
            for s in slots
        ],
    )
    session.add(ms)
    session.flush()
    sent = notifications.notify(
        session,
        [mentor.user_id],
        "mentoring.requested",
        link=session_link(ms.id),
        startup=startup.name,
    )
    _commit(session, sent)
    return ms


# --- mentor: decide ----------------------------------------------------------------------------


def _require_open_request(ms: MentorSession, action: Any, now: datetime) -> None:
    if ms.status != "requested":
        raise _refuse(ms, action)
    if ms.expires_at is not None and ms.expires_at <= now:
        raise Conflict(_l("This request has expired."))


def accept_request(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
) -> MentorSession:
    """The mentor accepts, at one of the founder's proposed times or one of their own free slots."""
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_mentor(ms, user)
    _require_open_request(ms, _l("accept"), now)
    _lock_mentor(session, ms.mentor_id)
    proposed = {p.starts_at: p for p in ms.proposals if p.proposed_by == "founder"}
    if starts_at <= now:
        raise Invalid(_l("That time is in the past."), field="slot")
    slot = availability.find_free_slot(session, ms.mentor, starts_at, now=now)
    if slot is None and starts_at in proposed:
        # The founder's time, no longer in the mentor's availability (edited since, or a
        # blackout day): the mentor may still agree to it unless another session holds it.
        p = proposed[starts_at]
        if availability.slot_taken(session, ms.mentor_id, p.starts_at, p.ends_at):
            raise Conflict(SLOT_TAKEN)
        slot = Slot(ms.mentor_id, p.starts_at, p.ends_at)
    if slot is None:
        raise Invalid(_l("The mentor does not offer that time."), field="slot")
    _schedule(session, ms, slot, _l("accept"))
    _outcome(session, ms, "accepted")
    sent = notifications.notify(
        session,
        _founder_ids(ms),
        "mentoring.accepted",
        link=session_link(ms.id),
        mentor=ms.mentor.name,
        when=_when(ms.starts_at),
    )
    _commit(session, sent)
    return ms


def decline_request(
    session: Session,
    user: User,
    session_id: int,
    *,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_mentor(ms, user)
    if reason not in DECLINE_REASONS:
        raise Invalid(_l("Pick a reason from the list."), field="reason")
    _require_open_request(ms, _l("decline"), now)
    _transition(ms, "declined", _l("decline"))
    ms.decline_reason = reason
    ms.decline_note = (note or "").strip()[:2000]
    ms.closed_by_id = user.id
    ms.closed_at = now
    _outcome(session, ms, "declined")
    sent = notifications.notify(
        session,
        _founder_ids(ms),
        "mentoring.declined",
        link=session_link(ms.id),
        mentor=ms.mentor.name,
    )
    _commit(session, sent)
    return ms


def propose_times(
    session: Session,
    user: User,
    session_id: int,
    slot_starts: Sequence[datetime],
    *,
    now: datetime | None = None,
) -> MentorSession:
    """The mentor offers other times (their free slots); the founder then picks one."""
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_mentor(ms, user)
    _require_open_request(ms, _l("propose times for"), now)
    slots = _parse_slots(session, ms.mentor, slot_starts, now=now)
    ms.proposals = [p for p in ms.proposals if p.proposed_by == "founder"] + [
        SlotProposal(starts_at=s.starts_at, ends_at=s.ends_at, proposed_by="mentor") for s in slots
    ]
    _pass_turn(session, ms, "founder", "mentoring.times_proposed", now)
    return ms


def ask_for_info(
    session: Session, user: User, session_id: int, question: str, *, now: datetime | None = None
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_mentor(ms, user)
    question = (question or "").strip()
    if not question:
        raise Invalid(_l("Write your question."), field="question")
    _require_open_request(ms, _l("ask about"), now)
    ms.info_question = question[:2000]
    ms.info_answer = ""
    _pass_turn(session, ms, "founder", "mentoring.info_requested", now)
    return ms


# --- founder: respond, withdraw ---------------------------------------------------------------


def answer_info(
    session: Session, user: User, session_id: int, answer: str, *, now: datetime | None = None
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_founder(ms, user)
    answer = (answer or "").strip()
    if not answer:
        raise Invalid(_l("Write your answer."), field="answer")
    _require_open_request(ms, _l("answer"), now)
    if not ms.info_question:
        raise Conflict(_l("The mentor has not asked a question."))
    ms.info_answer = answer[:2000]
    _pass_turn(session, ms, "mentor", "mentoring.info_answered", now)
    return ms


def choose_proposed_time(
    session: Session,
    user: User,
    session_id: int,
    starts_at: datetime,
    *,
    now: datetime | None = None,
) -> MentorSession:
    """The founder takes one of the times the mentor proposed: the session is scheduled."""
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_founder(ms, user)
    _require_open_request(ms, _l("schedule"), now)
    _lock_mentor(session, ms.mentor_id)
    if starts_at not in {p.starts_at for p in ms.proposals if p.proposed_by == "mentor"}:
        raise Invalid(_l("Pick one of the times the mentor proposed."), field="slot")
    if starts_at <= now:
        raise Invalid(_l("That time is in the past."), field="slot")
    slot = availability.find_free_slot(session, ms.mentor, starts_at, now=now)
    if slot is None:
        raise Conflict(SLOT_TAKEN)
    _schedule(session, ms, slot, _l("schedule"))
    _outcome(session, ms, "accepted")
    sent = notifications.notify(
        session,
        [ms.mentor.user_id],
        "mentoring.time_chosen",
        link=session_link(ms.id),
        startup=ms.startup.name,
        when=_when(ms.starts_at),
    )
    _commit(session, sent)
    return ms


def withdraw_request(
    session: Session, user: User, session_id: int, *, now: datetime | None = None
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_founder(ms, user)
    _transition(ms, "withdrawn", _l("withdraw"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    sent = notifications.notify(
        session,
        [ms.mentor.user_id],
        "mentoring.withdrawn",
        link=session_link(ms.id),
        startup=ms.startup.name,
    )
    _commit(session, sent)
    return ms


def expire_requests(session: Session, *, now: datetime | None = None) -> int:
    """Expire every request unanswered past its deadline; returns how many expired."""
    now = _now(now)
    begin_write(session)
    overdue = session.scalars(
        sa.select(MentorSession)
        .where(MentorSession.status == "requested", MentorSession.expires_at <= now)
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
        _transition(ms, "expired", _l("expire"))
        ms.closed_at = now
        _outcome(session, ms, "expired")
        sent += notifications.notify(
            session,
            _founder_ids(ms),
            "mentoring.expired",
            link=session_link(ms.id),
            mentor=ms.mentor.name,
        )
    _commit(session, sent)
    return len(overdue)


# --- scheduled sessions: cancel, reschedule, complete, no-show ---------------------------------


def _within_policy(ms: MentorSession, now: datetime) -> None:
    if ms.starts_at is not None and ms.starts_at - now < timedelta(hours=CHANGE_NOTICE_HOURS):
        raise Invalid(
            _ln(
                "Sessions can be cancelled or moved only up to %(num)d hour before they start.",
                "Sessions can be cancelled or moved only up to %(num)d hours before they start.",
                CHANGE_NOTICE_HOURS,
            )
        )


def cancel_session(
    session: Session,
    user: User,
    session_id: int,
    *,
    note: str = "",
    now: datetime | None = None,
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    side = _as_party(ms, user)
    if ms.status != "scheduled":
        raise _refuse(ms, _l("cancel"))
    _within_policy(ms, now)
    _transition(ms, "cancelled", _l("cancel"))
    ms.cancel_note = (note or "").strip()[:2000]
    ms.closed_by_id = user.id
    ms.closed_at = now
    sent = notifications.notify(
        session,
        _other_side(ms, side),
        "mentoring.cancelled",
        link=session_link(ms.id),
        name=user.display_name,
        when=_when(ms.starts_at),
    )
    _commit(session, sent)
    return ms


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
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    side = _as_party(ms, user)
    if ms.status != "scheduled":
        raise _refuse(ms, _l("reschedule"))
    _within_policy(ms, now)
    if starts_at == ms.starts_at:
        raise Invalid(_l("Pick a different time."), field="slot")
    _lock_mentor(session, ms.mentor_id)
    slot = _bookable_slot(session, ms.mentor, starts_at, now=now, exclude_session_id=ms.id)
    _check_capacity(session, ms.mentor, slot.starts_at, exclude_session_id=ms.id)
    _transition(ms, "rescheduled", _l("reschedule"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    new = MentorSession(
        mentor_id=ms.mentor_id,
        startup_id=ms.startup_id,
        requested_by_id=ms.requested_by_id,
        status="scheduled",
        awaiting="",
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
        _other_side(ms, side),
        "mentoring.rescheduled",
        link=session_link(new.id),
        name=user.display_name,
        when=_when(new.starts_at),
    )
    _commit(session, sent)
    return new


def complete_session(
    session: Session, user: User, session_id: int, *, now: datetime | None = None
) -> MentorSession:
    """Either side records that the session took place (once it has ended)."""
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    _as_party(ms, user)  # refuses anyone who is not the mentor or a founder of the startup
    if ms.status != "scheduled":
        raise _refuse(ms, _l("complete"))
    if ms.ends_at is not None and ms.ends_at > now:
        raise Invalid(_l("The session has not ended yet."))
    _transition(ms, "completed", _l("complete"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    outcome = _outcome(session, ms, "completed")
    if session.get(MentorMentee, (ms.mentor_id, ms.startup_id)) is None:
        session.add(
            MentorMentee(
                mentor_id=ms.mentor_id,
                startup_id=ms.startup_id,
                since=(ms.starts_at or now).date(),
                source="platform",
            )
        )
    session.flush()
    ms.outcome_id = outcome.id
    recipients = _founder_ids(ms) + [ms.mentor.user_id]
    sent = []
    for uid in recipients:
        other = ms.startup.name if uid == ms.mentor.user_id else ms.mentor.name
        sent += notifications.notify(
            session, [uid], "mentoring.completed", link=session_link(ms.id), name=other
        )
    _commit(session, sent)
    return ms


def mark_no_show(
    session: Session, user: User, session_id: int, *, now: datetime | None = None
) -> MentorSession:
    now = _now(now)
    begin_write(session)
    ms = _lock(session, session_id)
    side = _as_party(ms, user)
    if ms.status != "scheduled":
        raise _refuse(ms, _l("mark as a no-show"))
    if ms.starts_at is not None and ms.starts_at > now:
        raise Invalid(_l("The session has not started yet."))
    _transition(ms, "no_show", _l("mark as a no-show"))
    ms.closed_by_id = user.id
    ms.closed_at = now
    # Whoever marks it says the other side did not come; the notice names the absent party.
    ms.absent_side = "founder" if side == "mentor" else "mentor"
    _outcome(session, ms, "no_show")
    sent = notifications.notify(
        session,
        _other_side(ms, side),
        "mentoring.no_show",
        link=session_link(ms.id),
        when=_when(ms.starts_at),
        absent=ms.startup.name if ms.absent_side == "founder" else ms.mentor.name,
    )
    _commit(session, sent)
    return ms


# --- after the session -------------------------------------------------------------------------


def review_session(
    session: Session,
    user: User,
    session_id: int,
    *,
    rating: int,
    notes: str = "",
    follow_up_actions: str = "",
    wants_follow_up: bool = False,
    public_comment: str = "",
    share_comment: bool = False,
) -> SessionReview:
    """One side's rating (1-5), private notes and follow-up actions for a completed session."""
    begin_write(session)
    ms = _lock(session, session_id)
    side = _as_party(ms, user)
    if ms.status != "completed":
        raise _refuse(ms, _l("review"))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid(_l("Give a rating from 1 to 5."), field="rating")
    existing = session.scalar(
        sa.select(SessionReview.id).where(
            SessionReview.session_id == ms.id, SessionReview.author_id == user.id
        )
    )
    if existing is not None:
        raise Conflict(_l("You have already reviewed this session."))
    review = SessionReview(
        session_id=ms.id,
        author_id=user.id,
        side=side,
        rating=rating,
        notes=(notes or "").strip()[:4000],
        follow_up_actions=(follow_up_actions or "").strip()[:4000],
        wants_follow_up=bool(wants_follow_up) and side == "founder",
        # Only founders' comments are shown (on the mentor's page), and only if they agreed.
        public_comment=(public_comment or "").strip()[:1000] if side == "founder" else "",
        share_comment=bool(share_comment) and side == "founder",
    )
    session.add(review)
    mentor_id = ms.mentor_id
    sent: list[Notification] = []
    if side == "founder":
        outcome = session.get(MatchOutcome, ms.outcome_id) if ms.outcome_id else None
        if outcome is not None and outcome.rating is None:
            outcome.rating = rating
        if review.wants_follow_up:
            sent = notifications.notify(
                session,
                [ms.mentor.user_id],
                "mentoring.follow_up_wanted",
                link=session_link(ms.id),
                startup=ms.startup.name,
            )
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(_l("You have already reviewed this session.")) from exc
    notifications.send_after_commit(session, sent)
    if side == "founder":
        # The mentor's rating is one of the engine's features: re-snapshot the profile (its
        # text, hence its vector, is unchanged, so nothing is re-embedded).
        profile_changed("mentor", mentor_id)
    return review


# --- office hours ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeHoursBooking:
    startup_id: int
    mentor_id: int
    starts_at: datetime


def _office_hours_sessions(
    session: Session,
    operator: User,
    bookings: Sequence[OfficeHoursBooking],
    topic: str,
    now: datetime,
) -> list[MentorSession]:
    seen_slots: set[tuple[int, datetime]] = set()
    seen_pairs: set[tuple[int, int]] = set()
    created: list[MentorSession] = []
    booked: list[tuple[int, datetime, datetime]] = []
    for mentor_id in sorted({b.mentor_id for b in bookings}):  # one order: no deadlock
        _lock_mentor(session, mentor_id)
    for b in bookings:
        if (b.mentor_id, b.starts_at) in seen_slots:
            raise Invalid(_l("A mentor's slot can be given to only one startup."))
        if (b.startup_id, b.mentor_id) in seen_pairs:
            raise Invalid(_l("A startup can meet each mentor only once."))
        seen_slots.add((b.mentor_id, b.starts_at))
        seen_pairs.add((b.startup_id, b.mentor_id))
        mentor = session.get(MentorProfile, b.mentor_id)
        startup = session.get(Startup, b.startup_id)
        if mentor is None or startup is None:
            raise NotFound(_l("A startup or mentor of this plan no longer exists."))
        slot = _bookable_slot(session, mentor, b.starts_at, now=now)
        for sid, s, e in booked:
            if sid == b.startup_id and s < slot.ends_at and slot.starts_at < e:
                raise Invalid(
                    _l("%(startup)s would be in two sessions at once.", startup=startup.name)
                )
        booked.append((b.startup_id, slot.starts_at, slot.ends_at))
        ms = MentorSession(
            mentor_id=mentor.id,
            startup_id=startup.id,
            requested_by_id=operator.id,
            status="scheduled",
            awaiting="",
            source="office_hours",
            topic=topic,
            goal=str(_l("Office hours")),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        session.add(ms)
        created.append(ms)
    session.flush()
    return created


def publish_office_hours(
    session: Session,
    operator: User,
    bookings: Sequence[OfficeHoursBooking],
    *,
    topic: str = "strategy",
    now: datetime | None = None,
) -> list[MentorSession]:
    """Create the (adjusted) office-hours assignment as scheduled sessions, all or nothing."""
    now = _now(now)
    if not operator.is_operator:
        raise Forbidden(_l("Only operators can publish office hours."))
    if not bookings:
        raise Invalid(_l("There is nothing to publish."))
    if topic not in vocab.MENTORING_TOPICS:
        topic = "strategy"
    begin_write(session)
    try:
        created = _office_hours_sessions(session, operator, bookings, topic, now)
    except ServiceError:
        session.rollback()
        raise
    sent: list[Notification] = []
    for ms in created:
        mentor = ms.mentor
        startup = ms.startup
        sent += notifications.notify(
            session,
            [mentor.user_id],
            "mentoring.office_hours",
            link=session_link(ms.id),
            when=_when(ms.starts_at),
            name=startup.name,
        )
        sent += notifications.notify(
            session,
            [m.user_id for m in startup.members],
            "mentoring.office_hours",
            link=session_link(ms.id),
            when=_when(ms.starts_at),
            name=mentor.name,
        )
    _commit(session, sent)
    return created
