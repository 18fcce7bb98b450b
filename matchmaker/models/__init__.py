"""The ORM, one module per area. Importing this package registers every table on ``Base``.

The foundation's names are imported explicitly below; every other module of this package (each
later area's, with its own Alembic migration) is imported automatically, so an area adds its
tables without editing this file.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from matchmaker.models.base import Base, CodeList, has_any_code, has_code, utcnow
from matchmaker.models.facilities import Equipment, Facility, FacilityManager
from matchmaker.models.investors import Investor, InvestorMember, PortfolioEntry
from matchmaker.models.mentors import MentorMentee, MentorProfile
from matchmaker.models.notifications import Notification
from matchmaker.models.outcomes import MatchOutcome
from matchmaker.models.startups import FundingAsk, Startup, StartupMember
from matchmaker.models.users import User

for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

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
    "MentorMentee",
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
