"""Public directories: keyword search, filters and pages over the active profiles.

Keyword search is a case-insensitive LIKE over the name and description-like columns, which
works for Chinese text too (no word splitting needed for a substring). Every listing loads what
its cards show with ``selectinload`` so a page costs a fixed number of queries. Operators also
see deactivated profiles (the templates mark them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    Investor,
    InvestorMember,
    MentorProfile,
    Startup,
    StartupMember,
    User,
    has_code,
)
from matchmaker.services.errors import NotFound

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results; ``number`` counts from 1."""

    items: list[T]
    number: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass
class Filters:
    """What a directory visitor asked for. Empty values mean "any"."""

    q: str = ""
    sector: str = ""
    stage: str = ""
    kind: str = ""
    type: str = ""
    category: str = ""
    facility_id: int | None = None
    voucher_eligible: bool = False
    max_price: Decimal | None = None
    location: str = ""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    return sa.type_coerce(column, sa.String).ilike(f"%{_escape_like(text)}%", escape="\\")


def keyword_condition(text: str, *columns: Any) -> sa.ColumnElement[bool] | None:
    """Every whitespace-separated word must occur in one of ``columns`` (case-insensitive)."""
    words = [w for w in (text or "").split() if w][:8]
    if not words:
        return None
    return sa.and_(*(sa.or_(*(_contains(c, w) for c in columns)) for w in words))


def paginate(
    session: Session, stmt: sa.Select[Any], number: int, page_size: int, order_by: Any
) -> Page[Any]:
    """Page ``number`` (clamped to the pages there are) of ``stmt`` in ``order_by`` order,
    with the total counted by one extra query."""
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    total = total or 0
    pages = max(1, math.ceil(total / page_size))
    number = min(max(1, number), pages)
    items = list(
        session.scalars(stmt.order_by(*order_by).limit(page_size).offset((number - 1) * page_size))
    )
    return Page(items=items, number=number, pages=pages, total=total)


def _where(
    stmt: sa.Select[Any], *conditions: sa.ColumnExpressionArgument[bool] | None
) -> sa.Select[Any]:
    real = [c for c in conditions if c is not None]
    return stmt.where(*real) if real else stmt


def search_startups(
    session: Session, filters: Filters, *, page: int = 1, page_size: int = 12, viewer: Any = None
) -> Page[Startup]:
    """Active startups matching ``filters`` (operators also see hidden ones)."""
    stmt = sa.select(Startup)
    stmt = _where(
        stmt,
        None if _is_operator(viewer) else Startup.is_active,
        keyword_condition(
            filters.q, Startup.name, Startup.one_liner, Startup.description, Startup.location
        ),
        has_code(Startup.sectors, filters.sector) if filters.sector else None,
        Startup.stage == filters.stage if filters.stage else None,
        _contains(Startup.location, filters.location) if filters.location else None,
    )
    return paginate(session, stmt, page, page_size, (Startup.name, Startup.id))


def search_mentors(
    session: Session, filters: Filters, *, page: int = 1, page_size: int = 12, viewer: Any = None
) -> Page[MentorProfile]:
    """Mentors matching ``filters``; a suspended account's profile is hidden like an
    inactive one (operators see both)."""
    stmt = (
        sa.select(MentorProfile)
        .join(User, User.id == MentorProfile.user_id)
        .options(selectinload(MentorProfile.user))
    )
    stmt = _where(
        stmt,
        None if _is_operator(viewer) else sa.and_(MentorProfile.is_active, User.is_active),
        keyword_condition(
            filters.q,
            User.display_name,
            MentorProfile.headline,
            MentorProfile.expertise,
            MentorProfile.organisation,
            MentorProfile.location,
        ),
        has_code(MentorProfile.sectors, filters.sector) if filters.sector else None,
        MentorProfile.kind == filters.kind if filters.kind else None,
        _contains(MentorProfile.location, filters.location) if filters.location else None,
    )
    return paginate(session, stmt, page, page_size, (User.display_name, MentorProfile.id))


def search_investors(
    session: Session, filters: Filters, *, page: int = 1, page_size: int = 12, viewer: Any = None
) -> Page[Investor]:
    """Funds matching ``filters``; the place filter looks at the location and the regions."""
    stmt = sa.select(Investor)
    stmt = _where(
        stmt,
        None if _is_operator(viewer) else Investor.is_active,
        keyword_condition(
            filters.q, Investor.name, Investor.thesis, Investor.location, Investor.regions
        ),
        has_code(Investor.sectors, filters.sector) if filters.sector else None,
        Investor.type == filters.type if filters.type else None,
        has_code(Investor.stages, filters.stage) if filters.stage else None,
        _location_or_region(filters.location) if filters.location else None,
    )
    return paginate(session, stmt, page, page_size, (Investor.name, Investor.id))


def _location_or_region(text: str) -> sa.ColumnElement[bool]:
    return sa.or_(_contains(Investor.location, text), _contains(Investor.regions, text))


def search_facilities(
    session: Session, filters: Filters, *, page: int = 1, page_size: int = 12, viewer: Any = None
) -> Page[Facility]:
    """Facilities matching ``filters``, with their equipment loaded for the cards."""
    stmt = sa.select(Facility).options(selectinload(Facility.equipment))
    stmt = _where(
        stmt,
        None if _is_operator(viewer) else Facility.is_active,
        keyword_condition(
            filters.q, Facility.name, Facility.description, Facility.address, Facility.location
        ),
        Facility.kind == filters.kind if filters.kind else None,
        _contains(Facility.location, filters.location) if filters.location else None,
    )
    return paginate(session, stmt, page, page_size, (Facility.name, Facility.id))


def search_equipment(
    session: Session, filters: Filters, *, page: int = 1, page_size: int = 12, viewer: Any = None
) -> Page[Equipment]:
    """Instruments matching ``filters``; those of a hidden facility are hidden too."""
    stmt = (
        sa.select(Equipment)
        .join(Facility, Facility.id == Equipment.facility_id)
        .options(selectinload(Equipment.facility))
    )
    stmt = _where(
        stmt,
        None if _is_operator(viewer) else sa.and_(Equipment.is_active, Facility.is_active),
        keyword_condition(
            filters.q,
            Equipment.name,
            Equipment.model_specs,
            Equipment.description,
            Facility.name,
        ),
        Equipment.category == filters.category if filters.category else None,
        Equipment.facility_id == filters.facility_id if filters.facility_id else None,
        Equipment.voucher_eligible if filters.voucher_eligible else None,
        Equipment.price_per_hour <= filters.max_price if filters.max_price is not None else None,
        _contains(Facility.location, filters.location) if filters.location else None,
    )
    return paginate(session, stmt, page, page_size, (Equipment.name, Equipment.id))


def facility_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the active facilities, for the equipment filter's select."""
    rows = session.execute(
        sa.select(Facility.id, Facility.name).where(Facility.is_active).order_by(Facility.name)
    )
    return [(row.id, row.name) for row in rows]


# --- detail pages -------------------------------------------------------------------------


def _is_operator(viewer: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_operator)


def _visible(entity: Any, viewer: Any, owned: bool, message: Any) -> Any:
    if entity is None or not (entity.is_active or _is_operator(viewer) or owned):
        raise NotFound(message)
    return entity


def _viewer_id(viewer: Any) -> int | None:
    return viewer.id if getattr(viewer, "is_authenticated", False) else None


def startup_detail(session: Session, startup_id: int, viewer: Any = None) -> Startup:
    """The startup with its team, if active or the viewer is on it or an operator;
    else ``NotFound`` (a hidden profile looks like a missing one)."""
    startup = session.scalar(
        sa.select(Startup)
        .where(Startup.id == startup_id)
        .options(selectinload(Startup.members).selectinload(StartupMember.user))
    )
    owned = startup is not None and any(m.user_id == _viewer_id(viewer) for m in startup.members)
    return _visible(startup, viewer, owned, _l("No such startup."))


def mentor_detail(session: Session, mentor_id: int, viewer: Any = None) -> MentorProfile:
    """The mentor profile, if it and its account are active (or it is the viewer's own,
    or the viewer is an operator); else ``NotFound``."""
    mentor = session.scalar(
        sa.select(MentorProfile)
        .where(MentorProfile.id == mentor_id)
        .options(selectinload(MentorProfile.user))
    )
    owned = mentor is not None and mentor.user_id == _viewer_id(viewer)
    if mentor is not None and not mentor.user.is_active and not _is_operator(viewer):
        raise NotFound(_l("No such mentor."))
    return _visible(mentor, viewer, owned, _l("No such mentor."))


def investor_detail(session: Session, investor_id: int, viewer: Any = None) -> Investor:
    """The fund with its members and portfolio, if active or the viewer is a member or
    an operator; else ``NotFound``."""
    investor = session.scalar(
        sa.select(Investor)
        .where(Investor.id == investor_id)
        .options(
            selectinload(Investor.members).selectinload(InvestorMember.user),
            selectinload(Investor.portfolio),
        )
    )
    owned = investor is not None and any(m.user_id == _viewer_id(viewer) for m in investor.members)
    return _visible(investor, viewer, owned, _l("No such investor."))


def facility_detail(session: Session, facility_id: int, viewer: Any = None) -> Facility:
    """The facility with its equipment, if active or the viewer manages it or is an
    operator; else ``NotFound``."""
    facility = session.scalar(
        sa.select(Facility)
        .where(Facility.id == facility_id)
        .options(selectinload(Facility.equipment), selectinload(Facility.managers))
    )
    owned = facility is not None and any(m.user_id == _viewer_id(viewer) for m in facility.managers)
    return _visible(facility, viewer, owned, _l("No such facility."))


def equipment_detail(session: Session, equipment_id: int, viewer: Any = None) -> Equipment:
    """The instrument, if it and its facility are active (or the viewer manages the
    facility, or is an operator); else ``NotFound``."""
    equipment = session.scalar(
        sa.select(Equipment)
        .where(Equipment.id == equipment_id)
        .options(selectinload(Equipment.facility).selectinload(Facility.managers))
    )
    owned = equipment is not None and any(
        m.user_id == _viewer_id(viewer) for m in equipment.facility.managers
    )
    hidden_facility = equipment is not None and not equipment.facility.is_active
    if hidden_facility and not (owned or _is_operator(viewer)):
        raise NotFound(_l("No such instrument."))
    return _visible(equipment, viewer, owned, _l("No such instrument."))
