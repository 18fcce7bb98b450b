"""Onboarding and editing of profiles: startups, mentor profiles, funds, facilities, equipment.

One function per use case; each takes the session first, checks that ``actor`` may do it (users
edit what is theirs, operators everything), validates, commits once and, after the commit, tells
``profile_events`` listeners so that derived indexes stay fresh. Values arrive as plain dicts
whose keys are model attributes; unknown keys are ignored, so a form can never set ``is_active``
or an id. Who is on a team or in a fund (invitations, leaving) is ``memberships``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    Investor,
    InvestorMember,
    MentorProfile,
    PortfolioEntry,
    Startup,
    StartupMember,
    User,
)
from matchmaker.models.mentoring import MAX_SESSIONS_PER_MONTH
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

MAX_MONEY = Decimal("100000000000000")  # Numeric(16, 2)
MAX_MENTOR_CAPACITY = MAX_SESSIONS_PER_MONTH  # the one limit, defined with the sessions

STARTUP_FIELDS = (
    "name", "one_liner", "description", "sectors", "stage", "funding_round", "location",
    "team_size", "founded_on", "founder_backgrounds", "languages", "mentoring_topics",
    "services_needed", "funding_need_amount", "funding_need_currency", "funding_need_note",
    "website",
)  # fmt: skip
MENTOR_FIELDS = (
    "kind", "headline", "expertise", "sectors", "languages", "mentoring_topics", "organisation",
    "location", "timezone", "capacity_per_month", "accepting_requests",
)  # fmt: skip
INVESTOR_FIELDS = (
    "name", "type", "thesis", "sectors", "stages", "ticket_min", "ticket_max", "currency",
    "instruments", "regions", "location", "website", "co_investment_requirements",
    "loan_products",
)  # fmt: skip
PORTFOLIO_FIELDS = ("company", "description", "sector", "round", "year")
FACILITY_FIELDS = (
    "name", "kind", "description", "address", "location", "opening_hours", "contact_email",
)  # fmt: skip
EQUIPMENT_FIELDS = (
    "name", "category", "model_specs", "description", "price_per_hour", "voucher_eligible",
    "training_required", "booking_mode",
)  # fmt: skip

# Which vocabulary each code field draws from, per model.
_SINGLE_CODES: dict[str, vocab.Labels] = {
    "stage": vocab.STAGES,
    "funding_round": vocab.ROUNDS,
    "funding_need_currency": vocab.CURRENCIES,
    "kind": vocab.MENTOR_KINDS,
    "type": vocab.INVESTOR_TYPES,
    "currency": vocab.CURRENCIES,
    "category": vocab.EQUIPMENT_CATEGORIES,
    "booking_mode": vocab.BOOKING_MODES,
}
_MULTI_CODES: dict[str, vocab.Labels] = {
    "sectors": vocab.SECTORS,
    "founder_backgrounds": vocab.FOUNDER_BACKGROUNDS,
    "languages": vocab.LANGUAGES,
    "mentoring_topics": vocab.MENTORING_TOPICS,
    "services_needed": vocab.CHAIN_SERVICES,
    "stages": vocab.ROUNDS,
    "instruments": vocab.INSTRUMENTS,
}


# --- shared checks ------------------------------------------------------------------------


def _pick(values: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    picked = {k: values[k] for k in allowed if k in values}
    for key, value in picked.items():
        if isinstance(value, str):
            picked[key] = value.strip()
    return picked


def _require_text(values: Mapping[str, Any], field: str) -> None:
    if field in values and not values[field]:
        raise Invalid(_l("This field is required."), field=field)


def _check_codes(values: dict[str, Any], single: Mapping[str, vocab.Labels] | None = None) -> None:
    single = _SINGLE_CODES if single is None else single
    for field, vocabulary in single.items():
        if field in values and values[field] not in vocabulary:
            raise Invalid(_l("Choose a value from the list."), field=field)
    for field, vocabulary in _MULTI_CODES.items():
        if field in values:
            codes = list(dict.fromkeys(values[field] or []))
            if any(code not in vocabulary for code in codes):
                raise Invalid(_l("Choose values from the list."), field=field)
            values[field] = codes


def _check_money(values: dict[str, Any], *fields: str, required: bool = False) -> None:
    for field in fields:
        if field not in values:
            continue
        amount = values[field]
        if amount is None:
            if required:
                raise Invalid(_l("This field is required."), field=field)
            continue
        if not isinstance(amount, Decimal):
            amount = Decimal(str(amount))
        if amount < 0 or amount >= MAX_MONEY:
            raise Invalid(_l("Enter an amount between 0 and 10^14."), field=field)
        values[field] = amount


def _apply(entity: Any, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        setattr(entity, key, value)


def _need_role(actor: User, role: str) -> None:
    if not (actor.has_role(role) or actor.is_operator):
        raise Forbidden(_l("Your account does not have the role needed for this."))


# --- startups -----------------------------------------------------------------------------


def _validate_startup(values: dict[str, Any]) -> None:
    _require_text(values, "name")
    _check_codes(values)
    _check_money(values, "funding_need_amount")
    if "team_size" in values and not (1 <= int(values["team_size"] or 0) <= 100000):
        raise Invalid(_l("Enter a team size of at least 1."), field="team_size")
    founded = values.get("founded_on")
    if founded is not None and founded > date.today():
        raise Invalid(_l("The founding date cannot be in the future."), field="founded_on")


def editable_startup(session: Session, actor: User, startup_id: int) -> Startup:
    """The startup with its members, if ``actor`` is one of them or an operator."""
    startup = session.scalar(
        sa.select(Startup)
        .where(Startup.id == startup_id)
        .options(selectinload(Startup.members).selectinload(StartupMember.user))
    )
    if startup is None:
        raise NotFound(_l("No such startup."))
    if not (actor.is_operator or startup.has_member(actor)):
        raise Forbidden(_l("Only the startup's team can edit it."))
    return startup


@use_case
def create_startup(session: Session, actor: User, values: Mapping[str, Any]) -> Startup:
    """A founder creates a startup and becomes its first team member."""
    _need_role(actor, "founder")
    data = _pick(values, STARTUP_FIELDS)
    if "name" not in data:
        raise Invalid(_l("This field is required."), field="name")
    _validate_startup(data)
    startup = Startup(**data)
    startup.members.append(StartupMember(user_id=actor.id, title=str(values.get("title") or "")))
    session.add(startup)
    commit(session)
    profile_changed("startup", startup.id)
    return startup


@use_case
def update_startup(
    session: Session, actor: User, startup_id: int, values: Mapping[str, Any]
) -> Startup:
    startup = editable_startup(session, actor, startup_id)
    data = _pick(values, STARTUP_FIELDS)
    _validate_startup(data)
    _apply(startup, data)
    commit(session)
    profile_changed("startup", startup.id)
    return startup


# --- mentors ------------------------------------------------------------------------------


def _validate_mentor(values: dict[str, Any]) -> None:
    _check_codes(values)
    if "capacity_per_month" in values:
        capacity = values["capacity_per_month"]
        if capacity is None or not (0 <= int(capacity) <= MAX_MENTOR_CAPACITY):
            raise Invalid(
                _l("Enter a number from 0 to %(n)d.", n=MAX_MENTOR_CAPACITY),
                field="capacity_per_month",
            )
    if "timezone" in values:
        from zoneinfo import available_timezones

        if values["timezone"] not in available_timezones():
            raise Invalid(_l("Unknown time zone."), field="timezone")
    if "accepting_requests" in values:
        values["accepting_requests"] = bool(values["accepting_requests"])


def mentor_profile_of(session: Session, user: User) -> MentorProfile | None:
    return session.scalar(sa.select(MentorProfile).where(MentorProfile.user_id == user.id))


def editable_mentor(session: Session, actor: User, mentor_id: int) -> MentorProfile:
    mentor = session.get(MentorProfile, mentor_id)
    if mentor is None:
        raise NotFound(_l("No such mentor."))
    if not (actor.is_operator or mentor.user_id == actor.id):
        raise Forbidden(_l("You can only edit your own mentor profile."))
    return mentor


@use_case
def save_mentor_profile(
    session: Session, actor: User, values: Mapping[str, Any], *, mentor_id: int | None = None
) -> MentorProfile:
    """Create or update a mentor profile: one's own, or (operators) the one ``mentor_id``."""
    mentor: MentorProfile | None
    if mentor_id is not None:
        mentor = editable_mentor(session, actor, mentor_id)
    else:
        _need_role(actor, "mentor")
        mentor = mentor_profile_of(session, actor)
    data = _pick(values, MENTOR_FIELDS)
    _validate_mentor(data)
    if mentor is None:
        if "kind" not in data:
            raise Invalid(_l("This field is required."), field="kind")
        mentor = MentorProfile(user_id=actor.id, **data)
        session.add(mentor)
    else:
        _apply(mentor, data)
    commit(session)
    profile_changed("mentor", mentor.id)
    return mentor


# --- investors ----------------------------------------------------------------------------


def _validate_investor(values: dict[str, Any], current: Investor | None = None) -> None:
    _require_text(values, "name")
    _check_codes(values)
    _check_money(values, "ticket_min", "ticket_max")
    if "regions" in values:
        values["regions"] = [r.strip() for r in values["regions"] or [] if r and r.strip()]
        if any("|" in r for r in values["regions"]):
            raise Invalid(_l("A region cannot contain the character |."), field="regions")
    low = values.get("ticket_min", current.ticket_min if current else None)
    high = values.get("ticket_max", current.ticket_max if current else None)
    if low is not None and high is not None and low > high:
        raise Invalid(
            _l("The minimum ticket cannot be larger than the maximum."), field="ticket_max"
        )


def editable_investor(session: Session, actor: User, investor_id: int) -> Investor:
    investor = session.scalar(
        sa.select(Investor)
        .where(Investor.id == investor_id)
        .options(
            selectinload(Investor.members).selectinload(InvestorMember.user),
            selectinload(Investor.portfolio),
        )
    )
    if investor is None:
        raise NotFound(_l("No such investor."))
    if not (actor.is_operator or investor.has_member(actor)):
        raise Forbidden(_l("Only the fund's members can edit it."))
    return investor


@use_case
def create_investor(session: Session, actor: User, values: Mapping[str, Any]) -> Investor:
    """An investor adds a fund or institution and becomes its first member."""
    _need_role(actor, "investor")
    data = _pick(values, INVESTOR_FIELDS)
    for field in ("name", "type"):
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    _validate_investor(data)
    investor = Investor(**data)
    investor.members.append(InvestorMember(user_id=actor.id, title=str(values.get("title") or "")))
    session.add(investor)
    commit(session)
    profile_changed("investor", investor.id)
    return investor


@use_case
def update_investor(
    session: Session, actor: User, investor_id: int, values: Mapping[str, Any]
) -> Investor:
    investor = editable_investor(session, actor, investor_id)
    data = _pick(values, INVESTOR_FIELDS)
    _validate_investor(data, investor)
    _apply(investor, data)
    commit(session)
    profile_changed("investor", investor.id)
    return investor


def _validate_portfolio(values: dict[str, Any]) -> None:
    _require_text(values, "company")
    if values.get("sector") and values["sector"] not in vocab.SECTORS:
        raise Invalid(_l("Choose a value from the list."), field="sector")
    if values.get("round") and values["round"] not in vocab.ROUNDS:
        raise Invalid(_l("Choose a value from the list."), field="round")
    year = values.get("year")
    if year is not None and not (1900 <= int(year) <= date.today().year + 1):
        raise Invalid(_l("Enter a valid year."), field="year")


@use_case
def add_portfolio_entry(
    session: Session, actor: User, investor_id: int, values: Mapping[str, Any]
) -> PortfolioEntry:
    investor = editable_investor(session, actor, investor_id)
    data = _pick(values, PORTFOLIO_FIELDS)
    if "company" not in data:
        raise Invalid(_l("This field is required."), field="company")
    _validate_portfolio(data)
    entry = PortfolioEntry(**data)
    investor.portfolio.append(entry)
    commit(session)
    profile_changed("investor", investor.id)
    return entry


def editable_portfolio_entry(session: Session, actor: User, entry_id: int) -> PortfolioEntry:
    entry = session.get(PortfolioEntry, entry_id)
    if entry is None:
        raise NotFound(_l("No such portfolio entry."))
    editable_investor(session, actor, entry.investor_id)
    return entry


@use_case
def update_portfolio_entry(
    session: Session, actor: User, entry_id: int, values: Mapping[str, Any]
) -> PortfolioEntry:
    entry = editable_portfolio_entry(session, actor, entry_id)
    data = _pick(values, PORTFOLIO_FIELDS)
    _validate_portfolio(data)
    _apply(entry, data)
    commit(session)
    profile_changed("investor", entry.investor_id)
    return entry


@use_case
def remove_portfolio_entry(session: Session, actor: User, entry_id: int) -> None:
    entry = editable_portfolio_entry(session, actor, entry_id)
    investor_id = entry.investor_id
    session.delete(entry)
    commit(session)
    profile_changed("investor", investor_id)


# --- facilities and equipment -------------------------------------------------------------


def _validate_facility(values: dict[str, Any]) -> None:
    _require_text(values, "name")
    if "kind" in values and values["kind"] not in vocab.FACILITY_KINDS:
        raise Invalid(_l("Choose a value from the list."), field="kind")


def editable_facility(session: Session, actor: User, facility_id: int) -> Facility:
    facility = session.scalar(
        sa.select(Facility)
        .where(Facility.id == facility_id)
        .options(selectinload(Facility.managers), selectinload(Facility.equipment))
    )
    if facility is None:
        raise NotFound(_l("No such facility."))
    if not (actor.is_operator or facility.has_manager(actor)):
        raise Forbidden(_l("Only the facility's managers can edit it."))
    return facility


@use_case
def create_facility(session: Session, actor: User, values: Mapping[str, Any]) -> Facility:
    """A facility manager registers a facility and becomes its manager."""
    _need_role(actor, "facility_manager")
    data = _pick(values, FACILITY_FIELDS)
    for field in ("name", "kind"):
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    _validate_facility(data)
    facility = Facility(**data)
    facility.managers.append(FacilityManager(user_id=actor.id))
    session.add(facility)
    commit(session)
    return facility


@use_case
def update_facility(
    session: Session, actor: User, facility_id: int, values: Mapping[str, Any]
) -> Facility:
    facility = editable_facility(session, actor, facility_id)
    data = _pick(values, FACILITY_FIELDS)
    _validate_facility(data)
    _apply(facility, data)
    commit(session)
    # Equipment is matched with its facility's place and description.
    _equipment_changed(e.id for e in facility.equipment)
    return facility


def _equipment_changed(ids: Iterable[int]) -> None:
    for equipment_id in ids:
        profile_changed("equipment", equipment_id)


def _validate_equipment(values: dict[str, Any]) -> None:
    _require_text(values, "name")
    _check_codes(values)
    _check_money(values, "price_per_hour", required=True)
    for flag in ("voucher_eligible", "training_required"):
        if flag in values:
            values[flag] = bool(values[flag])


@use_case
def add_equipment(
    session: Session, actor: User, facility_id: int, values: Mapping[str, Any]
) -> Equipment:
    facility = editable_facility(session, actor, facility_id)
    data = _pick(values, EQUIPMENT_FIELDS)
    for field in ("name", "category"):
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    _validate_equipment(data)
    equipment = Equipment(**data)
    facility.equipment.append(equipment)
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment


def editable_equipment(session: Session, actor: User, equipment_id: int) -> Equipment:
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    editable_facility(session, actor, equipment.facility_id)
    return equipment


@use_case
def update_equipment(
    session: Session, actor: User, equipment_id: int, values: Mapping[str, Any]
) -> Equipment:
    equipment = editable_equipment(session, actor, equipment_id)
    data = _pick(values, EQUIPMENT_FIELDS)
    _validate_equipment(data)
    _apply(equipment, data)
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment


@use_case
def set_equipment_active(
    session: Session, actor: User, equipment_id: int, active: bool
) -> Equipment:
    """A manager takes an instrument out of service (or back); it leaves the directory."""
    equipment = editable_equipment(session, actor, equipment_id)
    equipment.is_active = active
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment


# --- contact channels ------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")
_WECHAT = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{5,59}$")


@use_case
def update_contact_channels(
    session: Session,
    actor: User,
    *,
    phone: str,
    wechat_id: str,
    share_phone: bool,
    share_wechat: bool,
) -> User:
    """The account's phone and WeChat ID, each with its own consent to be shown to the other
    side of an accepted introduction (``introductions.contacts_of``). Nothing else shows them:
    no page, export, feed or notification reads these columns."""
    phone, wechat_id = (phone or "").strip(), (wechat_id or "").strip()
    if phone and not _PHONE.match(phone):
        raise Invalid(
            _l("Enter a phone number of digits, spaces and an optional +."), field="phone"
        )
    if wechat_id and not _WECHAT.match(wechat_id):
        raise Invalid(
            _l("A WeChat ID has 6 to 60 letters, digits, - or _, and starts with a letter."),
            field="wechat_id",
        )
    if share_phone and not phone:
        raise Invalid(_l("Enter the phone number you agree to share."), field="phone")
    if share_wechat and not wechat_id:
        raise Invalid(_l("Enter the WeChat ID you agree to share."), field="wechat_id")
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound(_l("This account does not exist."))
    user.phone, user.wechat_id = phone or None, wechat_id or None
    user.share_phone, user.share_wechat = bool(share_phone), bool(share_wechat)
    commit(session)
    return user
