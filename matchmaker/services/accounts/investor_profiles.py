"""Funds and institutions: an investor onboards one, its members edit it and its portfolio.

Like every profile use case: the session first, ``actor`` checked (members edit their fund,
operators every fund), values checked (``profile_values``), one commit, then
``profile_changed`` so the recommendation indexes see the change. Who is in a fund is
``memberships``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Investor, InvestorMember, PortfolioEntry, User
from matchmaker.models.users import Role
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.accounts.profile_values import (
    apply_values,
    check_codes,
    check_money,
    need_role,
    pick,
    require_text,
)
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

INVESTOR_FIELDS = (
    "name", "type", "thesis", "sectors", "stages", "ticket_min", "ticket_max", "currency",
    "instruments", "regions", "location", "website", "co_investment_requirements",
    "loan_products",
)  # fmt: skip
PORTFOLIO_FIELDS = ("company", "description", "sector", "round", "year")


def _validate_investor(values: dict[str, Any], current: Investor | None = None) -> None:
    require_text(values, "name")
    check_codes(values)
    check_money(values, "ticket_min", "ticket_max")
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
    """The fund with its members and portfolio, if ``actor`` is a member or an operator."""
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
    need_role(actor, Role.INVESTOR)
    data = pick(values, INVESTOR_FIELDS)
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
    """Edit a fund; the ticket range is checked against the stored bound that is not
    being changed."""
    investor = editable_investor(session, actor, investor_id)
    data = pick(values, INVESTOR_FIELDS)
    _validate_investor(data, investor)
    apply_values(investor, data)
    commit(session)
    profile_changed("investor", investor.id)
    return investor


def _validate_portfolio(values: dict[str, Any]) -> None:
    require_text(values, "company")
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
    """Add a company to the fund's portfolio (its members or operators)."""
    investor = editable_investor(session, actor, investor_id)
    data = pick(values, PORTFOLIO_FIELDS)
    if "company" not in data:
        raise Invalid(_l("This field is required."), field="company")
    _validate_portfolio(data)
    entry = PortfolioEntry(**data)
    investor.portfolio.append(entry)
    commit(session)
    profile_changed("investor", investor.id)
    return entry


def editable_portfolio_entry(session: Session, actor: User, entry_id: int) -> PortfolioEntry:
    """The portfolio entry, if ``actor`` may edit its fund."""
    entry = session.get(PortfolioEntry, entry_id)
    if entry is None:
        raise NotFound(_l("No such portfolio entry."))
    editable_investor(session, actor, entry.investor_id)
    return entry


@use_case
def update_portfolio_entry(
    session: Session, actor: User, entry_id: int, values: Mapping[str, Any]
) -> PortfolioEntry:
    """Edit a portfolio entry (the fund's members or operators)."""
    entry = editable_portfolio_entry(session, actor, entry_id)
    data = pick(values, PORTFOLIO_FIELDS)
    _validate_portfolio(data)
    apply_values(entry, data)
    commit(session)
    profile_changed("investor", entry.investor_id)
    return entry


@use_case
def remove_portfolio_entry(session: Session, actor: User, entry_id: int) -> None:
    """Delete a portfolio entry; the fund is re-indexed without it."""
    entry = editable_portfolio_entry(session, actor, entry_id)
    investor_id = entry.investor_id
    session.delete(entry)
    commit(session)
    profile_changed("investor", investor_id)
