"""Helpers shared by the mentoring tests (no tests here): a founder, a mentor with openings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from matchmaker.models import Mentor, Startup, User, utcnow
from matchmaker.models.mentoring import MentorSession, OneOffOpening, SlotProposal
from tests.factories import make_mentor, make_startup, make_user


def hour_from_now(hours: int) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def open_slot(session: Session, mentor: Mentor, starts: datetime, minutes: int = 60):
    session.add(
        OneOffOpening(
            mentor_id=mentor.id, starts_at=starts, ends_at=starts + timedelta(minutes=minutes)
        )
    )
    session.commit()
    return starts


@dataclass
class World:
    founder: User
    startup: Startup
    mentor_user: User
    mentor: Mentor
    stranger: User
    slots: list[datetime]


def make_world(session: Session, *, n_slots: int = 4, first_hour: int = 72) -> World:
    founder = make_user(session, "founder")
    startup = make_startup(session, founder)
    mentor_user = make_user(session, "mentor")
    mentor = make_mentor(session, mentor_user)
    stranger = make_user(session, "founder", "mentor")
    slots = [open_slot(session, mentor, hour_from_now(first_hour + 2 * i)) for i in range(n_slots)]
    return World(founder, startup, mentor_user, mentor, stranger, slots)


def put_session(
    session: Session,
    w: World,
    status: str,
    *,
    starts: datetime | None = None,
    awaiting: str = "mentor",
    startup: Startup | None = None,
) -> MentorSession:
    """A session in any state, written directly (to test transitions out of that state)."""
    starts = starts if starts is not None else w.slots[0]
    holds_time = status not in ("requested", "declined", "expired", "withdrawn")
    ms = MentorSession(
        mentor_id=w.mentor.id,
        startup_id=(startup or w.startup).id,
        requested_by_id=w.founder.id,
        status=status,
        awaiting=awaiting if status == "requested" else "",
        topic="technology",
        goal="Review our XRD test plan",
        starts_at=starts if holds_time else None,
        ends_at=starts + timedelta(hours=1) if holds_time else None,
        expires_at=utcnow() + timedelta(hours=72) if status == "requested" else None,
        proposals=[
            SlotProposal(
                starts_at=starts, ends_at=starts + timedelta(hours=1), proposed_by="founder"
            )
        ],
    )
    session.add(ms)
    session.commit()
    return ms
