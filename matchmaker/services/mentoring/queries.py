"""What the mentoring pages show: a founder's requests and sessions, a mentor's inbox, one
session as its viewer may see it, dashboard counts and the engine's reasons for a match.

Read-only; every status change lives in the use-case modules named in ``sessions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, Startup, User, utcnow
from matchmaker.models.mentoring import MentorSession, SessionReview, SessionStatus, Side
from matchmaker.services.accounts import dashboard
from matchmaker.services.errors import Forbidden, NotFound
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.availability import Slot
from matchmaker.services.mentoring.sessions import (
    CHANGE_NOTICE_HOURS,
    OPEN_STATUSES,
    founder_startups,
    load_session,
    side_of,
)
from matchmaker.services.recommendations import bridge
from matchmaker.services.recommendations.engine_settings import Caller

_LIST_OPTIONS = (
    selectinload(MentorSession.mentor).selectinload(MentorProfile.user),
    selectinload(MentorSession.startup),
    selectinload(MentorSession.proposals),
    selectinload(MentorSession.reviews),
)


def _by_stage(
    rows: Sequence[MentorSession],
) -> tuple[list[MentorSession], list[MentorSession], list[MentorSession]]:
    """Sessions split into open requests, upcoming sessions (soonest first) and the rest (past),
    each keeping the order of ``rows`` otherwise."""
    requested: list[MentorSession] = []
    upcoming: list[MentorSession] = []
    past: list[MentorSession] = []
    for ms in rows:
        if ms.status == SessionStatus.REQUESTED:
            requested.append(ms)
        elif ms.status == SessionStatus.SCHEDULED:
            upcoming.append(ms)
        else:
            past.append(ms)
    upcoming.sort(key=lambda m: m.starts_at or datetime.max)
    return requested, upcoming, past


@dataclass
class RequestPage:
    mentor: MentorProfile
    startups: list[Startup]  # the user's startups, to request for
    slots: list[Slot]  # the mentor's free slots
    receiving: bool  # whether the mentor takes requests now (else the form says why not)


def request_page(session: Session, user: User, mentor_id: int) -> RequestPage:
    """What the request form shows: an active mentor (NotFound otherwise) and the user's
    startups (Forbidden without one: only founders request sessions)."""
    mentor = session.get(MentorProfile, mentor_id, options=[selectinload(MentorProfile.user)])
    if mentor is None or not mentor.is_active:
        raise NotFound(_l("This mentor does not exist."))
    startups = founder_startups(session, user)
    if not startups:
        raise Forbidden(_l("Create your startup's profile before requesting a session."))
    return RequestPage(
        mentor=mentor,
        startups=startups,
        slots=availability.free_slots(session, mentor),
        receiving=availability.receiving_requests(session, mentor),
    )


@dataclass
class FounderOverview:
    startups: list[Startup]
    open_requests: list[MentorSession] = field(default_factory=list)
    upcoming: list[MentorSession] = field(default_factory=list)
    past: list[MentorSession] = field(default_factory=list)


def founder_overview(session: Session, user: User) -> FounderOverview:
    """The user's startups' sessions: open requests, upcoming (soonest first) and past."""
    startups = founder_startups(session, user)
    if not startups:
        return FounderOverview(startups=startups)
    rows = session.scalars(
        sa.select(MentorSession)
        .where(MentorSession.startup_id.in_([s.id for s in startups]))
        .options(*_LIST_OPTIONS)
        .order_by(MentorSession.created_at.desc(), MentorSession.id.desc())
    ).all()
    open_requests, upcoming, past = _by_stage(rows)
    return FounderOverview(startups, open_requests, upcoming, past)


@dataclass
class MentorInbox:
    mentor: MentorProfile
    pending: list[MentorSession] = field(default_factory=list)
    upcoming: list[MentorSession] = field(default_factory=list)
    past: list[MentorSession] = field(default_factory=list)
    used_this_month: int = 0


def mentor_inbox(session: Session, user: User) -> MentorInbox:
    """The mentor's sessions (NotFound without a mentor profile): requests, upcoming (soonest
    first) and past, with the sessions used this month."""
    mentor = availability.mentor_for_user(session, user)
    rows = session.scalars(
        sa.select(MentorSession)
        .where(MentorSession.mentor_id == mentor.id)
        .options(*_LIST_OPTIONS)
        .order_by(MentorSession.created_at.desc(), MentorSession.id.desc())
    ).all()
    pending, upcoming, past = _by_stage(rows)
    return MentorInbox(
        mentor, pending, upcoming, past, availability.sessions_in_month(session, mentor)
    )


def match_reasons(
    session: Session, startup_id: int, mentor_id: int, *, caller: Caller
) -> list[Any]:
    """The engine's reasons for this startup-mentor match, or [] when the engine cannot rank.
    ``caller``: who asks the engine (a view: ``Caller.web_request``)."""
    try:
        matches = bridge.recommend_mentors(session, startup_id, limit=50, caller=caller)
    except Exception:  # noqa: BLE001 - the inbox works without the engine
        # A read, not a use case: a statement that failed inside the engine leaves a
        # PostgreSQL transaction aborted, and the page still has rows to read.
        session.rollback()
        return []
    for match in matches:
        if getattr(match, "id", None) == mentor_id:
            return list(getattr(match, "reasons", []) or [])
    return []


@dataclass
class SessionView:
    ms: MentorSession
    side: str | None
    own_review: SessionReview | None
    other_reviewed: bool
    free_slots: list[Slot]
    # What a scheduled session allows now, so the page offers only actions that can succeed
    # (the services refuse the others with the same rules).
    can_change: bool = False  # cancel or move: more than CHANGE_NOTICE_HOURS before the start
    has_started: bool = False  # a no-show can be marked
    has_ended: bool = False  # it can be marked completed


def session_view(session: Session, user: User, session_id: int) -> SessionView:
    """A session as ``user`` may see it: its parties, or operators; anyone else gets 404."""
    ms = load_session(session, session_id)
    side = side_of(ms, user)
    if side is None and not user.is_operator:
        raise NotFound(_l("This mentoring session does not exist."))
    reviews = list(ms.reviews)
    own = next((r for r in reviews if r.author_id == user.id), None)
    slots: list[Slot] = []
    if ms.status in OPEN_STATUSES and side is not None:
        slots = availability.free_slots(session, ms.mentor, exclude_session_id=ms.id)
    now = utcnow()
    starts, ends = ms.starts_at, ms.ends_at
    return SessionView(
        ms=ms,
        side=side,
        own_review=own,
        other_reviewed=any(r.author_id != user.id for r in reviews),
        free_slots=slots,
        can_change=starts is not None and starts - now >= timedelta(hours=CHANGE_NOTICE_HOURS),
        has_started=starts is not None and starts <= now,
        has_ended=ends is None or ends <= now,
    )


def pending_counts(session: Session, user: User) -> dict[str, int]:
    """For the dashboard: requests waiting for this user, and upcoming sessions."""
    counts = {"mentor_pending": 0, "founder_waiting": 0, "upcoming": 0, "to_review": 0}
    # The panels' shared reads (founder_startups' and the profile's queries, once per request).
    mentor = dashboard.mentor_profile_of(session, user)
    startup_ids = [s.id for s in dashboard.active_member_startups(session, user)]
    conditions = []
    if mentor is not None:
        conditions.append(MentorSession.mentor_id == mentor.id)
    if startup_ids:
        conditions.append(MentorSession.startup_id.in_(startup_ids))
    if not conditions:
        return counts
    rows = session.execute(
        sa.select(
            MentorSession.mentor_id,
            MentorSession.startup_id,
            MentorSession.status,
            MentorSession.awaiting,
        ).where(
            sa.or_(*conditions),
            MentorSession.status.in_((SessionStatus.REQUESTED, SessionStatus.SCHEDULED)),
        )
    ).all()
    for mentor_id, startup_id, status, awaiting in rows:
        if status == SessionStatus.SCHEDULED:
            counts["upcoming"] += 1
        elif mentor is not None and mentor_id == mentor.id and awaiting == Side.MENTOR:
            counts["mentor_pending"] += 1
        elif startup_id in startup_ids and awaiting == Side.FOUNDER:
            counts["founder_waiting"] += 1
    return counts


AT_CAPACITY = _l(
    "You are at capacity this month: no new startups are suggested until a session frees up "
    "or you raise your monthly limit in your availability settings."
)
NO_MATCH_YET = _l("No startup matches your profile yet.")


def deal_flow_state(session: Session, mentor: MentorProfile) -> tuple[bool, Any]:
    """Whether to suggest startups to a mentor, and what an empty list says. A fully booked
    mentor is not sent more startups this month, and is told why rather than "no match"."""
    if availability.at_capacity(session, mentor):
        return False, AT_CAPACITY
    return True, NO_MATCH_YET
