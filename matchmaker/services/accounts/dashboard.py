"""What the home page shows: public figures and each role's own profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    Investor,
    InvestorMember,
    Mentor,
    Startup,
    StartupMember,
    User,
)
from matchmaker.services.accounts import profiles


@dataclass
class Overview:
    """The profiles a user owns, by role (and, for operators, the site's counts)."""

    startups: list[Startup] = field(default_factory=list)
    mentor_profile: Mentor | None = None
    investors: list[Investor] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def public_stats(session: Session) -> dict[str, int]:
    """How many active startups, mentors, investors, facilities and instruments there are."""

    def count(model: type, *where: sa.ColumnExpressionArgument[bool]) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return {
        "startups": count(Startup, Startup.is_active),
        "mentors": count(Mentor, Mentor.is_active),
        "investors": count(Investor, Investor.is_active),
        "facilities": count(Facility, Facility.is_active),
        "equipment": count(Equipment, Equipment.is_active),
    }


# The dashboard's panels (one per area) each need the user's startups and mentor profile: read
# once per transaction and shared through the session, forgotten at its end or at any flush.
_MEMO = "dashboard_memo"


@sa.event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, flush_context: Any) -> None:
    session.info.pop(_MEMO, None)


def _memo(session: Session, key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    transaction = session.get_transaction()
    memo = session.info.get(_MEMO)
    if memo is None or memo[0] is not transaction:
        memo = (transaction, {})
        session.info[_MEMO] = memo
    values: dict[tuple[Any, ...], Any] = memo[1]
    if key not in values:
        values[key] = load()
    return values[key]


def _owned_ids(session: Session, user: User) -> dict[str, list[int]]:
    """Ids of what ``user`` owns, per kind, in one statement: most users own one or two kinds,
    and the profiles of a kind they own none of are then not queried at all."""

    def ids(kind: str, column: Any, where: Any) -> sa.Select[Any]:
        return sa.select(sa.literal_column(f"'{kind}'", sa.String), column).where(where)

    def load() -> dict[str, list[int]]:
        owned: dict[str, list[int]] = {"startup": [], "mentor": [], "investor": [], "facility": []}
        rows = session.execute(
            sa.union_all(
                ids("startup", StartupMember.startup_id, StartupMember.user_id == user.id),
                ids("mentor", Mentor.id, Mentor.user_id == user.id),
                ids("investor", InvestorMember.investor_id, InvestorMember.user_id == user.id),
                ids("facility", FacilityManager.facility_id, FacilityManager.user_id == user.id),
            )
        )
        for kind, item_id in rows:
            owned[kind].append(int(item_id))
        return owned

    return cast(dict[str, list[int]], _memo(session, ("owned", user.id), load))


def member_startups(session: Session, user: User) -> list[Startup]:
    """Every startup ``user`` is on the team of (active or not), by name; one query per
    transaction, whichever dashboard panels ask, none when they are on no team."""

    def load() -> list[Startup]:
        ids = _owned_ids(session, user)["startup"]
        if not ids:
            return []
        return list(
            session.scalars(
                sa.select(Startup).where(Startup.id.in_(ids)).order_by(Startup.name, Startup.id)
            )
        )

    return list(_memo(session, ("startups", user.id), load))


def active_member_startups(session: Session, user: User) -> list[Startup]:
    """The active ones of ``member_startups`` (same memo, no extra query)."""
    return [s for s in member_startups(session, user) if s.is_active]


def mentor_profile_of(session: Session, user: User) -> Mentor | None:
    """``profiles.mentor_profile_of`` for the dashboard's panels: one query per transaction,
    none when the user owns no mentor profile."""
    return cast(
        Mentor | None,
        _memo(
            session,
            ("mentor", user.id),
            lambda: (
                profiles.mentor_profile_of(session, user)
                if _owned_ids(session, user)["mentor"]
                else None
            ),
        ),
    )


def active_funds_of(session: Session, user: User, limit: int) -> list[Investor]:
    """The active funds ``user`` is a member of, by name, at most ``limit``; one query per
    transaction, none when they are in no fund."""

    def load() -> list[Investor]:
        ids = _owned_ids(session, user)["investor"]
        if not ids:
            return []
        return list(
            session.scalars(
                sa.select(Investor)
                .where(Investor.id.in_(ids), Investor.is_active)
                .order_by(Investor.name, Investor.id)
            )
        )

    return list(_memo(session, ("funds", user.id), load))[:limit]


def overview_for(session: Session, user: User) -> Overview:
    """The profiles ``user`` owns, by role, loaded in a fixed number of queries."""
    overview = Overview()
    overview.startups = member_startups(session, user)
    overview.mentor_profile = mentor_profile_of(session, user)
    owned = _owned_ids(session, user)
    if owned["investor"]:
        overview.investors = list(
            session.scalars(
                sa.select(Investor)
                .where(Investor.id.in_(owned["investor"]))
                .order_by(Investor.name)
            )
        )
    if owned["facility"]:
        overview.facilities = list(
            session.scalars(
                sa.select(Facility)
                .where(Facility.id.in_(owned["facility"]))
                .options(selectinload(Facility.equipment))
                .order_by(Facility.name)
            )
        )
    if user.is_operator:
        overview.counts = public_stats(session)
        overview.counts["users"] = session.scalar(sa.select(sa.func.count(User.id))) or 0
    return overview
