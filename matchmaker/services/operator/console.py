"""Small reads the operator pages need around their use cases: what a form offers to choose
from, and where a founder's pathway link leads."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import Facility, Startup, StartupMember, User


def active_startups(session: Session) -> list[Startup]:
    """Startups support can be recorded for (the active ones), by name."""
    return list(session.scalars(sa.select(Startup).where(Startup.is_active).order_by(Startup.name)))


def facilities_by_name(session: Session) -> list[Facility]:
    """Every facility (active or not: a report may cover a year it was open), by name."""
    return list(session.scalars(sa.select(Facility).order_by(Facility.name)))


def first_startup_id(session: Session, user: User) -> int | None:
    """The startup whose pathway ``/pathway`` opens for ``user``: of their teams, the one
    created first (lowest id), so the link always leads to the same page."""
    return session.scalar(
        sa.select(StartupMember.startup_id)
        .where(StartupMember.user_id == user.id)
        .order_by(StartupMember.startup_id)
        .limit(1)
    )
