"""Office hours for a cohort: assign startups to mentors' slots on one day, maximising the total
match score.

Each startup gets at most one slot of the day and each slot goes to at most one startup (so a
startup meets a given mentor at most once): a rectangular assignment problem solved exactly with
``scipy.optimize.linear_sum_assignment`` on the score matrix. Scores come from the engine
(``services.recommendations.bridge``) when it is available, else from a plain overlap of topics,
sectors and languages. Publishing the (possibly adjusted) plan creates its sessions, already
scheduled, all or nothing (``publish_office_hours``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa
from scipy.optimize import linear_sum_assignment
from sqlalchemy.orm import Session, selectinload

from matchmaker import timezones, vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, Notification, Startup, User, utcnow
from matchmaker.models.mentoring import MentorSession, SessionSource, SessionStatus, Side
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import availability
from matchmaker.services.mentoring.availability import Slot
from matchmaker.services.mentoring.notices import (
    SessionLink,
    commit_and_send,
    session_path,
    tell_both_sides,
)
from matchmaker.services.mentoring.sessions import (
    bookable_slot,
    lock_mentor,
    now_or_utcnow,
    when_text,
)
from matchmaker.services.recommendations import bridge
from matchmaker.services.recommendations.engine_settings import Caller
from matchmaker.services.transactions import use_case


@dataclass(frozen=True)
class Assignment:
    row: int  # index of the startup
    col: int  # index of the slot
    score: float


def assign(scores: np.ndarray) -> list[Assignment]:
    """Optimal assignment of rows (startups) to columns (slots) maximising the summed score.

    Pairs with a score of zero or less are left out of the result: a meeting with no match is
    not worth a mentor's slot.
    """
    if scores.size == 0:
        return []
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return [
        Assignment(int(r), int(c), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if scores[r, c] > 0
    ]


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa_, sb = set(a), set(b)
    return len(sa_ & sb) / len(sa_ | sb) if sa_ and sb else 0.0


def similarity(startup: Startup, mentor: MentorProfile) -> float:
    """The fallback score in [0, 1]: topics weigh most, then sectors, then a shared language."""
    return round(
        0.5 * _jaccard(startup.mentoring_topics, mentor.mentoring_topics)
        + 0.35 * _jaccard(startup.sectors, mentor.sectors)
        + 0.15 * (1.0 if set(startup.languages) & set(mentor.languages) else 0.0)
        + 0.01,  # every pair is possible: ties broken by the solver, never left unassigned
        4,
    )


def engine_scores(
    session: Session,
    startup_ids: Sequence[int],
    mentor_ids: Sequence[int],
    *,
    caller: Caller,
) -> dict[tuple[int, int], float]:
    """Scores (startup, mentor) from the recommendation engine, asked as ``caller``; {} when it
    fails (the plan then falls back to the plain similarity)."""
    wanted = set(mentor_ids)
    out: dict[tuple[int, int], float] = {}
    for sid in startup_ids:
        try:
            matches = bridge.recommend_mentors(
                session, sid, limit=max(len(wanted), 1) * 20, rank_all=True, caller=caller
            )
        except Exception:  # noqa: BLE001 - fall back to the plain similarity
            # A read, not a use case: a statement that failed inside the engine leaves a
            # PostgreSQL transaction aborted, and the plan still has rows to read.
            session.rollback()
            return {}
        for m in matches:
            if m.id in wanted:
                out[(sid, m.id)] = float(m.score)
    return out


@dataclass
class PlanRow:
    slot: Slot
    mentor: MentorProfile
    startup: Startup | None
    score: float


@dataclass
class Plan:
    day: date
    startups: list[Startup]
    mentors: list[MentorProfile]
    rows: list[PlanRow]
    scores: dict[tuple[int, int], float]
    source: str  # "engine" or "similarity"

    @property
    def total(self) -> float:
        return round(sum(r.score for r in self.rows if r.startup is not None), 4)

    @property
    def unassigned(self) -> list[Startup]:
        taken = {r.startup.id for r in self.rows if r.startup is not None}
        return [s for s in self.startups if s.id not in taken]


def day_slots(session: Session, mentor: MentorProfile, day: date) -> list[Slot]:
    """The mentor's free slots on ``day`` (in the mentor's zone)."""
    start = timezones.to_utc(datetime.combine(day, time()), mentor.timezone)
    now = max(utcnow(), start)
    return [
        s
        for s in availability.free_slots(session, mentor, now=now, days=2)
        if timezones.to_local(s.starts_at, mentor.timezone).date() == day
    ]


def plan_office_hours(
    session: Session,
    day: date,
    startup_ids: Sequence[int],
    mentor_ids: Sequence[int],
    *,
    use_engine: bool = True,
    caller: Caller,
) -> Plan:
    """Preview: the optimal assignment of the chosen startups to the chosen mentors' free slots
    on ``day``. ``caller``: who asks the engine (a view: ``Caller.web_request``)."""
    startups = list(
        session.scalars(
            sa.select(Startup).where(Startup.id.in_(list(startup_ids))).order_by(Startup.name)
        )
    )
    mentors = list(
        session.scalars(
            sa.select(MentorProfile)
            .where(MentorProfile.id.in_(list(mentor_ids)))
            .options(selectinload(MentorProfile.user))
            .order_by(MentorProfile.id)
        )
    )
    slots: list[tuple[Slot, MentorProfile]] = [
        (slot, m) for m in mentors for slot in day_slots(session, m, day)
    ]
    engine = (
        engine_scores(session, [s.id for s in startups], [m.id for m in mentors], caller=caller)
        if use_engine
        else {}
    )
    scores: dict[tuple[int, int], float] = {}
    for s in startups:
        for m in mentors:
            raw = engine.get((s.id, m.id))
            scores[(s.id, m.id)] = (
                round(max(raw, 0.0) + 0.01, 4) if raw is not None else similarity(s, m)
            )
    matrix = np.array(
        [[scores[(s.id, m.id)] for _, m in slots] for s in startups], dtype=float
    ).reshape(len(startups), len(slots))
    chosen = {a.col: a for a in assign(matrix)}
    rows = [
        PlanRow(
            slot=slot,
            mentor=m,
            startup=startups[chosen[i].row] if i in chosen else None,
            score=chosen[i].score if i in chosen else 0.0,
        )
        for i, (slot, m) in enumerate(slots)
    ]
    return Plan(
        day=day,
        startups=startups,
        mentors=mentors,
        rows=rows,
        scores=scores,
        source="engine" if engine else "similarity",
    )


def tomorrow() -> date:
    """The day the planning form proposes (UTC)."""
    return (utcnow() + timedelta(days=1)).date()


def planning_choices(session: Session) -> tuple[list[Startup], list[MentorProfile]]:
    """Whom an operator can plan office hours for: active startups (by name) and active mentors
    (with their users, whose names label the choices)."""
    startups = list(
        session.scalars(sa.select(Startup).where(Startup.is_active).order_by(Startup.name))
    )
    mentors = list(
        session.scalars(
            sa.select(MentorProfile)
            .where(MentorProfile.is_active)
            .options(selectinload(MentorProfile.user))
            .order_by(MentorProfile.id)
        )
    )
    return startups, mentors


# --- publishing the plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeHoursBooking:
    """One line of the plan an operator publishes: this startup meets this mentor at this time."""

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
        lock_mentor(session, mentor_id)
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
        slot = bookable_slot(session, mentor, b.starts_at, now=now)
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
            status=SessionStatus.SCHEDULED,
            awaiting=Side.NOBODY,
            source=SessionSource.OFFICE_HOURS,
            topic=topic,
            goal=str(_l("Office hours")),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        session.add(ms)
        created.append(ms)
    session.flush()
    return created


@use_case
def publish_office_hours(
    session: Session,
    operator: User,
    bookings: Sequence[OfficeHoursBooking],
    *,
    topic: str = "strategy",
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> list[MentorSession]:
    """Create the (adjusted) office-hours assignment as scheduled sessions, all or nothing: one
    refused line (a slot no longer free, a startup in two places at once) publishes none."""
    now = now_or_utcnow(now)
    if not operator.is_operator:
        raise Forbidden(_l("Only operators can publish office hours."))
    if not bookings:
        raise Invalid(_l("There is nothing to publish."))
    if topic not in vocab.MENTORING_TOPICS:
        topic = "strategy"
    begin_write(session)
    created = _office_hours_sessions(session, operator, bookings, topic, now)
    sent: list[Notification] = []
    for ms in created:
        when = when_text(ms.starts_at)
        sent += tell_both_sides(session, ms, "mentoring.office_hours", link_for=link_for, when=when)
    commit_and_send(session, sent)
    return created
