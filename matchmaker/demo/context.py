"""What the core dataset hands to area modules (DemoContext), what loading reports (DemoResult),
and the constants that make the dataset reproducible."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    Investor,
    Mentor,
    Startup,
    User,
)

SEED = 2026
# Every date in the dataset is an offset from this day, never from "today", so two loads are
# identical and the data looks recent for a demo in late 2026.
ANCHOR = date(2026, 11, 1)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (public on purpose: printed by demo-logins)
DEMO_LOGINS: dict[str, str] = {
    "founder": "demo.founder@example.com",
    "mentor": "demo.mentor@example.com",
    "investor": "demo.investor@example.com",
    "facility_manager": "demo.facilities@example.com",
    "operator": "demo.operator@example.com",
}


def days_before(days: int, hour: int = 10) -> datetime:
    """A naive UTC timestamp ``days`` before the anchor (columns store naive UTC)."""
    return datetime.combine(ANCHOR - timedelta(days=days), time(hour=hour))


@dataclass
class DemoContext:
    """The core dataset, for area modules' ``load_area(session, ctx)``.

    The objects belong to the session passed to ``load_area`` and are committed. ``rng`` is
    seeded per area (from the area's module name), so adding an area never changes the data of
    another. ``password_hash`` is DEMO_PASSWORD's hash, for any extra account an area creates.
    """

    rng: random.Random
    anchor: date
    password_hash: str
    users_by_role: dict[str, list[User]] = field(default_factory=dict)
    demo_users: dict[str, User] = field(default_factory=dict)
    startups: list[Startup] = field(default_factory=list)
    funding_asks: list[FundingAsk] = field(default_factory=list)
    mentors: list[Mentor] = field(default_factory=list)
    investors: list[Investor] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    equipment: list[Equipment] = field(default_factory=list)

    @property
    def equipment_by_category(self) -> dict[str, list[Equipment]]:
        grouped: dict[str, list[Equipment]] = {}
        for item in self.equipment:
            grouped.setdefault(item.category, []).append(item)
        return grouped


@dataclass
class DemoResult:
    """Row counts per table after loading, the areas that ran, and how long it took."""

    counts: dict[str, int]
    areas: list[str]
    seconds: float

    def summary(self) -> str:
        filled = {name: count for name, count in self.counts.items() if count}
        width = max(map(len, filled), default=0)
        lines = [f"demo data loaded in {self.seconds:.1f} s"]
        lines += [f"  {name:<{width}}  {count:>5}" for name, count in filled.items()]
        if self.areas:
            lines.append("  areas: " + ", ".join(self.areas))
        lines.append("demo logins: flask --app matchmaker demo-logins")
        return "\n".join(lines)
