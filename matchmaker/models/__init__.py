"""The ORM, one module per area. Importing this package registers every table on ``Base``.

Later areas (mentoring, funding, bookings, operator) add their own modules here and import them
below, each with its own Alembic migration.
"""

from __future__ import annotations

from matchmaker.models.base import Base, CodeList, has_any_code, has_code, utcnow
from matchmaker.models.facilities import Equipment, Facility, FacilityManager
from matchmaker.models.investors import Investor, InvestorMember, PortfolioEntry
from matchmaker.models.mentors import MentorProfile
from matchmaker.models.notifications import Notification
from matchmaker.models.startups import Startup, StartupMember
from matchmaker.models.users import User

__all__ = [
    "Base",
    "CodeList",
    "Equipment",
    "Facility",
    "FacilityManager",
    "Investor",
    "InvestorMember",
    "MentorProfile",
    "Notification",
    "PortfolioEntry",
    "Startup",
    "StartupMember",
    "User",
    "has_any_code",
    "has_code",
    "utcnow",
]
