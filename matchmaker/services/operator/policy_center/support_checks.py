"""Recording support a startup received, checked first: the same policy recorded twice, a rule
of the policy the startup does not meet, the policy's cap passed. A record that breaks a check
is saved only with the operator's reason (kept in its internal note)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Startup, User
from matchmaker.models.operator import Policy, SupportRecord
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.operator import disclosure
from matchmaker.services.operator.policy_center.policies import is_resident, require_operator
from matchmaker.services.operator.policy_center.policy_rules import check_policy
from matchmaker.services.transactions import use_case


@dataclass(frozen=True)
class SupportWarning:
    """Why a support record looks wrong: ``duplicate``, ``not_eligible`` or ``over_cap``."""

    code: str
    message: Any


class SupportNeedsReason(Invalid):
    """The record breaks a check: it is saved only with the operator's reason."""

    def __init__(self, warnings: Sequence[SupportWarning]) -> None:
        super().__init__(
            _l("Check the warnings: give a reason to record this support anyway."),
            field="override_reason",
        )
        self.warnings = list(warnings)


def support_warnings(
    session: Session,
    *,
    startup: Startup,
    policy: Policy | None,
    amount: Decimal | None,
    granted_on: date,
    locale: str | None = None,
) -> list[SupportWarning]:
    """What is wrong with recording this support, checked before anything is saved: the same
    policy already recorded for the startup, a rule of the policy the startup does not meet
    (on the day it was granted; the application deadline is not one: grants come after it),
    and the policy's cap passed by this amount plus what was already granted under it."""
    if policy is None:
        return []
    out: list[SupportWarning] = []
    earlier = session.execute(
        sa.select(SupportRecord.granted_on, SupportRecord.amount, SupportRecord.currency).where(
            SupportRecord.startup_id == startup.id, SupportRecord.policy_id == policy.id
        )
    ).all()
    title = policy.title(locale)
    if earlier:
        out.append(
            SupportWarning(
                "duplicate",
                _l(
                    "%(startup)s already received support under “%(policy)s” (%(day)s).",
                    startup=startup.name,
                    policy=title,
                    day=", ".join(sorted(r.granted_on.isoformat() for r in earlier)),
                ),
            )
        )
    eligibility = check_policy(
        policy, startup, resident=is_resident(session, startup), today=granted_on, locale=locale
    )
    for check in eligibility.missing:
        if check.rule == "deadline":
            continue
        out.append(
            SupportWarning(
                "not_eligible",
                _l("Not eligible for “%(policy)s”: %(why)s", policy=title, why=check.message),
            )
        )
    if amount is not None and policy.benefit_amount is not None:
        before = sum(
            (r.amount for r in earlier if r.amount is not None and r.currency == "CNY"),
            Decimal(0),
        )
        if policy.benefit_currency == "CNY" and before + amount > policy.benefit_amount:
            out.append(
                SupportWarning(
                    "over_cap",
                    _l(
                        "%(total)s yuan would pass the cap of %(cap)s yuan of “%(policy)s” "
                        "(%(before)s yuan granted before).",
                        total=f"{before + amount:,.2f}",
                        cap=f"{policy.benefit_amount:,.2f}",
                        policy=title,
                        before=f"{before:,.2f}",
                    ),
                )
            )
    return out


@use_case
def record_checked_support(
    session: Session,
    actor: User,
    grant: disclosure.SupportGrant,
    *,
    override_reason: str = "",
    locale: str | None = None,
) -> SupportRecord:
    """Record support (it is published at once) after the duplicate, eligibility and cap checks.

    With a warning and no reason nothing is saved (``SupportNeedsReason`` lists the warnings);
    with a reason the record is saved and the reason kept in its internal note. The startup's
    row is locked first, so two operators recording for one startup are checked one after the
    other (SQLite: ``begin_write``).
    """
    require_operator(actor)
    begin_write(session)
    startup = session.scalar(
        sa.select(Startup).where(Startup.id == grant.startup_id).with_for_update(of=Startup)
    )
    if startup is None:
        raise NotFound(_l("No such startup."))
    policy = session.get(Policy, grant.policy_id) if grant.policy_id else None
    warnings = support_warnings(
        session,
        startup=startup,
        policy=policy,
        amount=grant.amount,
        granted_on=grant.granted_on,
        locale=locale,
    )
    reason = (override_reason or "").strip()
    if warnings and not reason:
        raise SupportNeedsReason(warnings)
    if warnings:
        listed = "; ".join(str(w.message) for w in warnings)
        grant = replace(grant, note=f"{grant.note.strip()}\n[{listed}] {reason}".strip())
    return disclosure.record_support(session, actor, grant)
