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
from matchmaker.services.accounts.profile_rows import OwnedRows
from matchmaker.services.accounts.profile_values import (
    apply_values,
    check_codes,
    check_money,
    checked_values,
    editable_by,
    need_role,
    require_text,
)
from matchmaker.services.errors import Invalid
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


def investor_with_team(investor_id: int) -> sa.Select[Investor]:
    """The fund with its members' accounts and its portfolio (its edit and detail pages)."""
    return (
        sa.select(Investor)
        .where(Investor.id == investor_id)
        .options(
            selectinload(Investor.members).selectinload(InvestorMember.user),
            selectinload(Investor.portfolio),
        )
    )


def editable_investor(session: Session, actor: User, investor_id: int) -> Investor:
    """The fund with its members and portfolio, if ``actor`` is a member or an operator."""
    return editable_by(
        actor,
        session.scalar(investor_with_team(investor_id)),
        Investor.has_member,
        missing=_l("No such investor."),
        refused=_l("Only the fund's members can edit it."),
    )


@use_case
def create_investor(session: Session, actor: User, values: Mapping[str, Any]) -> Investor:
    """An investor adds a fund or institution and becomes its first member."""
    need_role(actor, Role.INVESTOR)
    data = checked_values(values, INVESTOR_FIELDS, _validate_investor, required=("name", "type"))
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
    data = checked_values(values, INVESTOR_FIELDS, lambda d: _validate_investor(d, investor))
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


PORTFOLIO: OwnedRows[Investor, PortfolioEntry] = OwnedRows(
    model=PortfolioEntry,
    fields=PORTFOLIO_FIELDS,
    required=("company",),
    validate=_validate_portfolio,
    editable_owner=editable_investor,
    owner_id=lambda entry: entry.investor_id,
    rows_of=lambda investor: investor.portfolio,
    announced=lambda entry: ("investor", entry.investor_id),  # a fund is matched with its portfolio
    missing=_l("No such portfolio entry."),
)


# A fund's portfolio entries are rows it owns: added, edited, removed (and found for editing) by
# whoever may edit the fund, each change re-indexing the fund.
add_portfolio_entry = use_case(PORTFOLIO.add)
editable_portfolio_entry = PORTFOLIO.editable
update_portfolio_entry = use_case(PORTFOLIO.update)
remove_portfolio_entry = use_case(PORTFOLIO.remove)
