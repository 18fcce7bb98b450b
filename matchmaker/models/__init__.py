"""The ORM, one module per area. Importing this package registers every table on ``Base``.

Each area's module is listed by name (an area that adds one, with its Alembic migration, adds it
to that list); the foundation's classes are also importable from here.
"""

from __future__ import annotations

from matchmaker.models import (  # noqa: F401 (each area's tables, registered on Base)
    annual_reports,
    api,
    bookings,
    embeddings,
    funding,
    memberships,
    mentoring,
    operator,
    outbox,
    subsidies,
)
from matchmaker.models.base import Base, CodeList, has_any_code, has_code, utcnow
from matchmaker.models.facilities import Equipment, Facility, FacilityManager
from matchmaker.models.investors import Investor, InvestorMember, PortfolioEntry
from matchmaker.models.mentors import Mentor, MentorMentee
from matchmaker.models.notifications import Notification
from matchmaker.models.outcomes import MatchOutcome
from matchmaker.models.startups import FundingAsk, Startup, StartupMember
from matchmaker.models.users import User

__all__ = [
    "Base",
    "CodeList",
    "Equipment",
    "Facility",
    "FacilityManager",
    "FundingAsk",
    "Investor",
    "InvestorMember",
    "MatchOutcome",
    "Mentor",
    "MentorMentee",
    "Notification",
    "PortfolioEntry",
    "Startup",
    "StartupMember",
    "User",
    "has_any_code",
    "has_code",
    "utcnow",
]
