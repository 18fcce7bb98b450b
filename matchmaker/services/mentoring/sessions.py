"""The mentoring session's state machine and what every status change shares.

    requested -> scheduled (accepted) | declined | expired | withdrawn
    scheduled -> completed | no_show | cancelled | rescheduled

The use cases live by idea: asking (``requesting``: request, withdraw, expire), answering
(``answering``: the mentor accepts, declines, proposes times or asks; the founder answers or
picks a time), a scheduled session's end (``scheduled``: cancel, reschedule, complete, no-show),
reviews (``reviews``) and office hours (``office_hours.publish_office_hours``). They all change
a status through ``transition`` here, lock rows with ``lock_session``/``lock_mentor``, check who
is who with ``require_*``, end a session with ``close``, write ``MatchOutcome`` rows for the
engine, and tell the other side and commit once through ``notices``.

While ``requested``, ``awaiting`` says whose move it is: the mentor's (decide) or the founder's
(answer a question, or pick one of the times the mentor proposed).

Concurrency: every state change opens its transaction with ``begin_write`` (on SQLite the
database's one write lock, which serialises them; ``lock_session`` begins with it) and then, for
PostgreSQL, locks the rows it decides on with ``SELECT ... FOR NO KEY UPDATE`` (a no-op on
SQLite): the session row (so a double-clicked accept, or a withdraw racing an accept, sees the
other's outcome and is refused), and the mentor's profile row wherever a rule spans several
sessions (the monthly capacity, one open request per startup and mentor, the mentor's free
slots). Locks are always taken in that order, session then mentor. The database has the last
word: the partial unique indexes ``uq_mentor_sessions_active_slot`` (one scheduled session per
mentor and start) and ``uq_mentor_sessions_open_request`` (one open request per startup and
mentor), and on PostgreSQL the exclusion constraint against overlapping sessions; a loser's
``IntegrityError`` becomes a ``Conflict`` with the rule's message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchmaker import timezones
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MatchOutcome, MentorProfile, Startup, StartupMember, User, utcnow
from matchmaker.models.mentoring import MentorSession, SessionStatus, Side
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.availability import Slot

DEFAULT_REQUEST_TTL_HOURS = 72
CHANGE_NOTICE_HOURS = 24  # cancel or reschedule no later than this before the start
MAX_PROPOSED_SLOTS = 3

TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.REQUESTED: frozenset(
        {
            SessionStatus.SCHEDULED,
            SessionStatus.DECLINED,
            SessionStatus.EXPIRED,
            SessionStatus.WITHDRAWN,
        }
    ),
    SessionStatus.SCHEDULED: frozenset(
        {
            SessionStatus.COMPLETED,
            SessionStatus.NO_SHOW,
            SessionStatus.CANCELLED,
            SessionStatus.RESCHEDULED,
        }
    ),
}
OPEN_STATUSES = (SessionStatus.REQUESTED, SessionStatus.SCHEDULED)

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


# --- helpers ----------------------------------------------------------------------------------


def request_ttl_hours(configured: str | int | None) -> int:
    """How long the other side has to answer a request, from the configured
    ``MENTORING_REQUEST_TTL_HOURS`` (read by the caller): at least one hour, the default when
    unset or not a number."""
    if configured is None:
        return DEFAULT_REQUEST_TTL_HOURS
    try:
        return max(1, int(configured))
    except (TypeError, ValueError):
        return DEFAULT_REQUEST_TTL_HOURS


def when_text(moment: datetime | None) -> str:
    """A time for a notification text, in Beijing time (the makerspace's zone): a notification
    is stored once, for readers in any zone."""
    if moment is None:
        return ""
    return timezones.to_local(moment).strftime("%Y-%m-%d %H:%M")


def status_label(status: str) -> Any:
    """The status in the reader's words (lazy: rendered in the language of the page)."""
    return STATUS_LABELS.get(status, status)


def refuse(ms: MentorSession, action: Any) -> Conflict:
    """The refusal of ``action`` on a session whose status does not allow it (to raise)."""
    return Conflict(
        _l(
            "You cannot %(action)s this session: it is %(status)s.",
            action=action,
            status=status_label(ms.status),
        )
    )


def transition(ms: MentorSession, new_status: SessionStatus, action: Any) -> None:
    """The one place a status changes; refuses every move the state machine does not allow."""
    if new_status not in TRANSITIONS.get(ms.status, frozenset()):
        raise refuse(ms, action)
    ms.status = new_status
    if new_status != SessionStatus.REQUESTED:
        ms.awaiting = Side.NOBODY


def close(
    ms: MentorSession,
    new_status: SessionStatus,
    action: Any,
    *,
    now: datetime,
    by: User | None,
) -> None:
    """End ``ms`` with ``new_status`` (through ``transition``), saying when and by whom (None:
    nobody acted, the request ran out of time)."""
    transition(ms, new_status, action)
    ms.closed_at = now
    if by is not None:
        ms.closed_by_id = by.id


_SESSION_OPTIONS = (
    selectinload(MentorSession.mentor).selectinload(MentorProfile.user),
    selectinload(MentorSession.startup).selectinload(Startup.members),
    selectinload(MentorSession.proposals),
)


def load_session(session: Session, session_id: int) -> MentorSession:
    """A session with its mentor, startup and proposals, for reading; NotFound if none."""
    ms = session.get(MentorSession, session_id, options=list(_SESSION_OPTIONS))
    if ms is None:
        raise NotFound(_l("This mentoring session does not exist."))
    return ms


def lock_session(session: Session, session_id: int) -> MentorSession:
    """The session to change: opens the use case's write transaction (``begin_write``) and
    locks the session's row until the commit (PostgreSQL). Read afresh: what a concurrent use
    case committed meanwhile is seen."""
    begin_write(session)
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


def lock_mentor(session: Session, mentor_id: int) -> MentorProfile | None:
    """Lock the mentor's profile row: the one row that serialises the rules spanning several of
    their sessions (capacity, free slots, one open request per startup)."""
    return session.get(
        MentorProfile,
        mentor_id,
        with_for_update={"key_share": True},
        populate_existing=True,
    )


def side_of(ms: MentorSession, user: User) -> Side | None:
    """``"mentor"``, ``"founder"`` or None for someone with no part in the session."""
    if ms.mentor.user_id == user.id:
        return Side.MENTOR
    if any(m.user_id == user.id for m in ms.startup.members):
        return Side.FOUNDER
    return None


_ONLY_SIDE: dict[Side, Any] = {
    Side.MENTOR: _l("Only the session's mentor can do this."),
    Side.FOUNDER: _l("Only the startup's founders can do this."),
}


def require_side(ms: MentorSession, user: User, side: Side) -> None:
    """Refuse (403) anyone but ``side`` of the session: its mentor, or a founder of its
    startup."""
    if side_of(ms, user) != side:
        raise Forbidden(_ONLY_SIDE[side])


def require_party(ms: MentorSession, user: User) -> Side:
    """The user's side in the session; refuses (403) anyone with no part in it."""
    side = side_of(ms, user)
    if side is None:
        raise Forbidden(_l("You have no part in this session."))
    return side


def founder_ids(ms: MentorSession) -> list[int]:
    """The users who speak for the session's startup (its members), to notify."""
    return [m.user_id for m in ms.startup.members]


def other_side_ids(ms: MentorSession, side: str) -> list[int]:
    """The users on the other side from ``side``, to tell about a change ``side`` made."""
    return founder_ids(ms) if side == Side.MENTOR else [ms.mentor.user_id]


def record_outcome(session: Session, ms: MentorSession, outcome: str) -> MatchOutcome:
    """A ``MatchOutcome`` row for the engine's training data (the startup-mentor pair)."""
    row = MatchOutcome(
        startup_id=ms.startup_id,
        candidate_kind="mentor",
        candidate_id=ms.mentor_id,
        outcome=outcome,
    )
    session.add(row)
    return row


def conflict_message(exc: IntegrityError) -> Any:
    """The rule a refused write broke, in the user's words. PostgreSQL names the index; SQLite
    names the columns of the open-request index (mentor_id, startup_id)."""
    text = str(exc.orig)
    if OPEN_REQUEST_INDEX in text or "mentor_sessions.startup_id" in text:
        return ALREADY_REQUESTED
    return SLOT_TAKEN


def now_or_utcnow(now: datetime | None) -> datetime:
    """The use case's clock: the ``now`` a test passes in, else the current UTC time."""
    return now or utcnow()


def bookable_slot(
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


def check_capacity(
    session: Session,
    mentor: MentorProfile,
    starts_at: datetime,
    exclude_session_id: int | None = None,
) -> None:
    """Refuse when the mentor's sessions in the month of ``starts_at`` (their zone's calendar
    month) already reach their monthly capacity; the caller holds the mentor's row."""
    used = availability.sessions_in_month(
        session, mentor, starts_at, exclude_session_id=exclude_session_id
    )
    if used >= mentor.capacity_per_month:
        raise Conflict(
            _l("The mentor's sessions for that month are fully booked."),
        )


def parse_slots(
    session: Session,
    mentor: MentorProfile,
    slot_starts: Sequence[datetime],
    *,
    now: datetime,
) -> list[Slot]:
    """One to ``MAX_PROPOSED_SLOTS`` distinct free slots of the mentor, or a refusal on the
    ``slots`` field saying which rule the choice broke."""
    unique = list(dict.fromkeys(slot_starts))
    if not unique:
        raise Invalid(_l("Pick at least one of the mentor's free times."), field="slots")
    if len(unique) > MAX_PROPOSED_SLOTS:
        raise Invalid(_l("Pick at most three times."), field="slots")
    return [bookable_slot(session, mentor, s, now=now, field="slots") for s in unique]


def founder_startups(session: Session, user: User) -> list[Startup]:
    """The active startups the user is a member of: those they may request sessions for."""
    return list(
        session.scalars(
            sa.select(Startup)
            .join(StartupMember)
            .where(StartupMember.user_id == user.id, Startup.is_active)
            .order_by(Startup.name)
        )
    )
