"""Demo mentoring: weekly slots for every mentor, a history of completed and declined sessions
with reviews and outcomes, and the demo founder's open request and upcoming session."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from matchmaker.demo.context import DemoContext, days_before
from matchmaker.models import Mentor, MentorMentee, Startup
from matchmaker.models.mentoring import (
    MentorSession,
    SessionReview,
    SessionStatus,
    Side,
    SlotProposal,
    WeeklySlot,
)
from matchmaker.models.mentors import MenteeSource
from matchmaker.services.mentoring.sessions import record_outcome

GOALS = [
    "我们想梳理天使轮融资的节奏和估值逻辑。",
    "Review our pilot-production plan and the supplier shortlist.",
    "请帮我们看看专利布局是否覆盖了核心工艺。",
    "We need feedback on pricing for our first industrial customers.",
    "希望了解如何申请市级科技型中小企业补贴。",
]
FOLLOW_UPS = [
    "Send the cap table draft before the next call.",
    "整理三家潜在客户的访谈记录。",
    "Prepare a one-page technical roadmap.",
]


def _founders(startup: Startup) -> list[int]:
    return [m.user_id for m in startup.members]


def _add_slots(session: Session, ctx: DemoContext, mentor: Mentor) -> None:
    days = ctx.rng.sample(range(5), k=2)
    for day in sorted(days):
        session.add(
            WeeklySlot(
                mentor_id=mentor.id,
                weekday=day,
                start_minute=ctx.rng.choice([9, 10, 14, 15, 16]) * 60,
                duration_minutes=60,
            )
        )


def _completed(
    session: Session,
    ctx: DemoContext,
    mentor: Mentor,
    startup: Startup,
    days_ago: int,
) -> None:
    starts = days_before(days_ago, hour=ctx.rng.choice([2, 6, 8]))
    rating = ctx.rng.choice([3, 4, 4, 5, 5])
    ms = MentorSession(
        mentor_id=mentor.id,
        startup_id=startup.id,
        requested_by_id=_founders(startup)[0] if startup.members else None,
        status=SessionStatus.COMPLETED,
        awaiting=Side.NOBODY,
        topic=ctx.rng.choice(mentor.mentoring_topics or ["strategy"]),
        goal=ctx.rng.choice(GOALS),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        closed_at=starts + timedelta(hours=1),
        created_at=starts - timedelta(days=5),
        updated_at=starts + timedelta(hours=1),
    )
    # The outcome is written first: the session points at it from its first insert.
    outcome = record_outcome(session, ms, "completed")
    outcome.rating, outcome.created_at = rating, starts + timedelta(hours=2)
    session.flush()
    ms.outcome_id = outcome.id
    session.add(ms)
    session.flush()
    if startup.members:
        session.add(
            SessionReview(
                session_id=ms.id,
                author_id=_founders(startup)[0],
                side=Side.FOUNDER,
                rating=rating,
                follow_up_actions=ctx.rng.choice(FOLLOW_UPS),
                created_at=starts + timedelta(hours=3),
            )
        )
    session.add(
        SessionReview(
            session_id=ms.id,
            author_id=mentor.user_id,
            side=Side.MENTOR,
            rating=ctx.rng.choice([4, 5]),
            notes="Strong technical team; needs a sharper go-to-market.",
            created_at=starts + timedelta(hours=4),
        )
    )
    if session.get(MentorMentee, (mentor.id, startup.id)) is None:
        session.add(
            MentorMentee(
                mentor_id=mentor.id,
                startup_id=startup.id,
                since=starts.date(),
                source=MenteeSource.PLATFORM,
            )
        )


def _declined(session: Session, ctx: DemoContext, mentor: Mentor, startup: Startup) -> None:
    created = days_before(ctx.rng.randint(5, 80))
    ms = MentorSession(
        mentor_id=mentor.id,
        startup_id=startup.id,
        requested_by_id=_founders(startup)[0],
        status=SessionStatus.DECLINED,
        awaiting=Side.NOBODY,
        topic=ctx.rng.choice(mentor.mentoring_topics or ["strategy"]),
        goal=ctx.rng.choice(GOALS),
        decline_reason="no_time",
        closed_at=created + timedelta(days=1),
        created_at=created,
        updated_at=created + timedelta(days=1),
    )
    session.add(ms)
    record_outcome(session, ms, "declined").created_at = created + timedelta(days=1)


def _open_request(
    session: Session,
    *,
    mentor_id: int,
    startup_id: int,
    requested_by_id: int | None,
    topic: str,
    goal: str,
    wanted: datetime,
) -> None:
    """A request waiting for the mentor, at one time the founder proposed."""
    session.add(
        MentorSession(
            mentor_id=mentor_id,
            startup_id=startup_id,
            requested_by_id=requested_by_id,
            status=SessionStatus.REQUESTED,
            awaiting=Side.MENTOR,
            topic=topic,
            goal=goal,
            created_at=days_before(1),
            updated_at=days_before(1),
            proposals=[
                SlotProposal(
                    starts_at=wanted,
                    ends_at=wanted + timedelta(hours=1),
                    proposed_by=Side.FOUNDER,
                )
            ],
        )
    )


def _demo_accounts_sessions(
    session: Session, ctx: DemoContext, mentors: list[Mentor], startups: list[Startup]
) -> None:
    """The demo founder and demo mentor: a past session, an upcoming one and open requests."""
    founder = ctx.demo_users.get("founder")
    demo_mentor_user = ctx.demo_users.get("mentor")
    own = [s for s in startups if founder is not None and founder.id in _founders(s)]
    demo_mentor = next(
        (m for m in mentors if demo_mentor_user and m.user_id == demo_mentor_user.id), None
    )
    if not own or demo_mentor is None:
        return
    startup = own[0]
    _completed(session, ctx, demo_mentor, startup, 10)
    upcoming = datetime.combine(ctx.anchor + timedelta(days=45), time(hour=6))
    session.add(
        MentorSession(
            mentor_id=demo_mentor.id,
            startup_id=startup.id,
            requested_by_id=founder.id if founder else None,
            status=SessionStatus.SCHEDULED,
            awaiting=Side.NOBODY,
            topic="fundraising",
            goal=GOALS[0],
            starts_at=upcoming,
            ends_at=upcoming + timedelta(hours=1),
            created_at=days_before(2),
            updated_at=days_before(1),
        )
    )
    other = next((m for m in mentors if m.id != demo_mentor.id), None)
    if other is not None:
        _open_request(
            session,
            mentor_id=other.id,
            startup_id=startup.id,
            requested_by_id=founder.id if founder else None,
            topic="legal_ip",
            goal=GOALS[2],
            wanted=datetime.combine(ctx.anchor + timedelta(days=50), time(hour=7)),
        )
    # A request waiting in the demo mentor's inbox, from another startup.
    asker = next((s for s in startups if s.id != startup.id), None)
    if asker is not None:
        _open_request(
            session,
            mentor_id=demo_mentor.id,
            startup_id=asker.id,
            requested_by_id=_founders(asker)[0],
            topic=ctx.rng.choice(demo_mentor.mentoring_topics or ["strategy"]),
            goal=GOALS[1],
            wanted=datetime.combine(ctx.anchor + timedelta(days=52), time(hour=8)),
        )


def load_area(session: Session, ctx: DemoContext) -> None:
    """Mentors' weekly slots, a history of sessions (completed ones feed the engine) and the demo
    accounts' own sessions; commits."""
    mentors = [m for m in ctx.mentors if m.is_active]
    startups = [s for s in ctx.startups if s.is_active and s.members]
    if not mentors or not startups:
        return
    for mentor in mentors:
        _add_slots(session, ctx, mentor)
    # History: completed sessions (feeding the engine) and a few declined requests.
    for i in range(min(40, len(startups) * 2)):
        mentor = ctx.rng.choice(mentors)
        startup = ctx.rng.choice(startups)
        if i % 5 == 4:
            _declined(session, ctx, mentor, startup)
        else:
            _completed(session, ctx, mentor, startup, ctx.rng.randint(3, 120))
    _demo_accounts_sessions(session, ctx, mentors, startups)
    session.commit()
