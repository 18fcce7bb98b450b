"""What the home page shows: public figures and each role's own profiles."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    Investor,
    InvestorMember,
    MentorProfile,
    Startup,
    StartupMember,
    User,
)


@dataclass
class Overview:
    startups: list[Startup] = field(default_factory=list)
    mentor_profile: MentorProfile | None = None
    investors: list[Investor] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def public_stats(session: Session) -> dict[str, int]:
    def count(model: type, *where: sa.ColumnExpressionArgument[bool]) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return {
        "startups": count(Startup, Startup.is_active),
        "mentors": count(MentorProfile, MentorProfile.is_active),
        "investors": count(Investor, Investor.is_active),
        "facilities": count(Facility, Facility.is_active),
        "equipment": count(Equipment, Equipment.is_active),
    }


def overview_for(session: Session, user: User) -> Overview:
    """The profiles ``user`` owns, by role, loaded in a fixed number of queries."""
    overview = Overview()
    overview.startups = list(
        session.scalars(
            sa.select(Startup)
            .join(StartupMember)
            .where(StartupMember.user_id == user.id)
            .order_by(Startup.name)
        )
    )
    overview.mentor_profile = session.scalar(
        sa.select(MentorProfile).where(MentorProfile.user_id == user.id)
    )
    overview.investors = list(
        session.scalars(
            sa.select(Investor)
            .join(InvestorMember)
            .where(InvestorMember.user_id == user.id)
            .order_by(Investor.name)
        )
    )
    overview.facilities = list(
        session.scalars(
            sa.select(Facility)
            .join(FacilityManager)
            .where(FacilityManager.user_id == user.id)
            .options(selectinload(Facility.equipment))
            .order_by(Facility.name)
        )
    )
    if user.is_operator:
        overview.counts = public_stats(session)
        overview.counts["users"] = session.scalar(sa.select(sa.func.count(User.id))) or 0
    return overview
