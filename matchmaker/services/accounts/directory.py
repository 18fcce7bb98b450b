"""Public directories: keyword search, filters and pages over the active profiles.

Keyword search is a case-insensitive LIKE over the name and description-like columns, which
works for Chinese text too (no word splitting needed for a substring). Every listing loads what
its cards show with ``selectinload`` so a page costs a fixed number of queries. Operators also
see deactivated profiles (the templates mark them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    Investor,
    Mentor,
    Startup,
    User,
    has_code,
)
from matchmaker.services.accounts.facility_profiles import facility_with_equipment
from matchmaker.services.accounts.investor_profiles import investor_with_team
from matchmaker.services.accounts.profiles import startup_with_team
from matchmaker.services.errors import NotFound

T = TypeVar("T")


# Counting stops here: past it a directory says "more than 10,000" and a visitor narrows the
# list with the filters. An exact count reads every matching row on every page view (66 ms
# of a 200 ms directory page at 100,000 startups); this one reads at most 10,001.
COUNT_CAP = 10_000


@dataclass
class Page(Generic[T]):
    """One page of results; ``number`` counts from 1. ``more``: there are more than ``total``
    (``COUNT_CAP``) results, and ``pages`` covers the first ``total`` of them."""

    items: list[T]
    number: int
    pages: int
    total: int
    more: bool = False

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
    with the total counted up to ``COUNT_CAP`` by one extra query."""
    capped = stmt.order_by(None).limit(COUNT_CAP + 1).subquery()
    counted = session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0
    total = min(counted, COUNT_CAP)
    pages = max(1, math.ceil(total / page_size))
    number = min(max(1, number), pages)
    items = list(
        session.scalars(stmt.order_by(*order_by).limit(page_size).offset((number - 1) * page_size))
    )
    return Page(items=items, number=number, pages=pages, total=total, more=counted > COUNT_CAP)


def _where(
    stmt: sa.Select[Any], *conditions: sa.ColumnExpressionArgument[bool] | None
) -> sa.Select[Any]:
    real = [c for c in conditions if c is not None]
    return stmt.where(*real) if real else stmt


Condition = sa.ColumnExpressionArgument[bool]


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One public directory: what it lists and how a visitor's ``Filters`` narrow it.

    Every filter left empty means "any"; ``codes`` and ``code_lists`` name the column that a
    filter attribute's code must equal or be one of; ``place`` reads the location filter."""

    select: sa.Select[Any]
    visible: Condition  # what a visitor who is not an operator sees
    keywords: tuple[Any, ...]  # the columns one of which must contain each keyword
    order_by: tuple[Any, ...]
    place: Callable[[str], sa.ColumnElement[bool]]
    codes: Mapping[str, Any] = field(default_factory=dict)
    code_lists: Mapping[str, Any] = field(default_factory=dict)
    more: Callable[[Filters], Iterable[Condition | None]] = lambda _: ()

    def search(
        self,
        session: Session,
        filters: Filters,
        *,
        page: int = 1,
        page_size: int = 12,
        viewer: Any = None,
    ) -> Page[T]:
        """Page ``page`` of what matches ``filters`` (operators also see hidden profiles)."""
        stmt = _where(
            self.select,
            None if _is_operator(viewer) else self.visible,
            keyword_condition(filters.q, *self.keywords),
            *(column == getattr(filters, name) for name, column in self.codes.items()
              if getattr(filters, name)),
            *(has_code(column, getattr(filters, name)) for name, column in self.code_lists.items()
              if getattr(filters, name)),
            self.place(filters.location) if filters.location else None,
            *self.more(filters),
        )  # fmt: skip
        return paginate(session, stmt, page, page_size, self.order_by)


def _place_in(column: Any) -> Callable[[str], sa.ColumnElement[bool]]:
    return lambda text: _contains(column, text)


STARTUPS: Listing[Startup] = Listing(
    select=sa.select(Startup),
    visible=Startup.is_active,
    keywords=(Startup.name, Startup.one_liner, Startup.description, Startup.location),
    order_by=(Startup.name, Startup.id),
    place=_place_in(Startup.location),
    codes={"stage": Startup.stage},
    code_lists={"sector": Startup.sectors},
)
# A suspended account's mentor profile is hidden like an inactive one.
MENTORS: Listing[Mentor] = Listing(
    select=sa.select(Mentor)
    .join(User, User.id == Mentor.user_id)
    .options(selectinload(Mentor.user)),
    visible=sa.and_(Mentor.is_active, User.is_active),
    keywords=(
        User.display_name,
        Mentor.headline,
        Mentor.expertise,
        Mentor.organisation,
        Mentor.location,
    ),
    order_by=(User.display_name, Mentor.id),
    place=_place_in(Mentor.location),
    codes={"kind": Mentor.kind},
    code_lists={"sector": Mentor.sectors},
)
# A fund's place is its location or one of the regions it invests in.
INVESTORS: Listing[Investor] = Listing(
    select=sa.select(Investor),
    visible=Investor.is_active,
    keywords=(Investor.name, Investor.thesis, Investor.location, Investor.regions),
    order_by=(Investor.name, Investor.id),
    place=lambda text: sa.or_(
        _contains(Investor.location, text), _contains(Investor.regions, text)
    ),
    codes={"type": Investor.type},
    code_lists={"sector": Investor.sectors, "stage": Investor.stages},
)
# Equipment is loaded for the facilities' cards.
FACILITIES: Listing[Facility] = Listing(
    select=sa.select(Facility).options(selectinload(Facility.equipment)),
    visible=Facility.is_active,
    keywords=(Facility.name, Facility.description, Facility.address, Facility.location),
    order_by=(Facility.name, Facility.id),
    place=_place_in(Facility.location),
    codes={"kind": Facility.kind},
)
# The instruments of a hidden facility are hidden too; an instrument is where its facility is.
EQUIPMENT: Listing[Equipment] = Listing(
    select=sa.select(Equipment)
    .join(Facility, Facility.id == Equipment.facility_id)
    .options(selectinload(Equipment.facility)),
    visible=sa.and_(Equipment.is_active, Facility.is_active),
    keywords=(Equipment.name, Equipment.model_specs, Equipment.description, Facility.name),
    order_by=(Equipment.name, Equipment.id),
    place=_place_in(Facility.location),
    codes={"category": Equipment.category, "facility_id": Equipment.facility_id},
    more=lambda f: (
        Equipment.voucher_eligible if f.voucher_eligible else None,
        Equipment.price_per_hour <= f.max_price if f.max_price is not None else None,
    ),
)

search_startups = STARTUPS.search
search_mentors = MENTORS.search
search_investors = INVESTORS.search
search_facilities = FACILITIES.search
search_equipment = EQUIPMENT.search


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
    startup = session.scalar(startup_with_team(startup_id))
    owned = startup is not None and any(m.user_id == _viewer_id(viewer) for m in startup.members)
    return _visible(startup, viewer, owned, _l("No such startup."))


def mentor_detail(session: Session, mentor_id: int, viewer: Any = None) -> Mentor:
    """The mentor profile, if it and its account are active (or it is the viewer's own,
    or the viewer is an operator); else ``NotFound``."""
    mentor = session.scalar(
        sa.select(Mentor).where(Mentor.id == mentor_id).options(selectinload(Mentor.user))
    )
    owned = mentor is not None and mentor.user_id == _viewer_id(viewer)
    if mentor is not None and not mentor.user.is_active and not _is_operator(viewer):
        raise NotFound(_l("No such mentor."))
    return _visible(mentor, viewer, owned, _l("No such mentor."))


def investor_detail(session: Session, investor_id: int, viewer: Any = None) -> Investor:
    """The fund with its members and portfolio, if active or the viewer is a member or
    an operator; else ``NotFound``."""
    investor = session.scalar(investor_with_team(investor_id))
    owned = investor is not None and any(m.user_id == _viewer_id(viewer) for m in investor.members)
    return _visible(investor, viewer, owned, _l("No such investor."))


def facility_detail(session: Session, facility_id: int, viewer: Any = None) -> Facility:
    """The facility with its equipment, if active or the viewer manages it or is an
    operator; else ``NotFound``."""
    facility = session.scalar(facility_with_equipment(facility_id))
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
