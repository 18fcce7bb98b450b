"""Demo data of the operator console: the seed policies, makerspace residencies and support
granted under those policies (with one deliberate double grant for the duplicate check)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from matchmaker.demo.context import DemoContext, days_before
from matchmaker.models.operator import StartupResidency, SupportRecord
from matchmaker.services.operator.policy_center.seed_policies import apply_seed_policies


def load_area(session: Session, ctx: DemoContext) -> None:
    policies = {p.slug: p for p in apply_seed_policies(session)}
    session.flush()
    operator = next(iter(ctx.users_by_role.get("operator", [])), None)
    operator_id = operator.id if operator is not None else None
    rng = ctx.rng
    residents = []
    for startup in ctx.startups:
        # Most founders on the platform are hosted in the makerspace; some only use its services.
        if rng.random() < 0.7:
            since = ctx.anchor - timedelta(days=rng.randint(30, 900))
            session.add(StartupResidency(startup_id=startup.id, since=since))
            residents.append(startup)
    subsidy = policies["cq-micro-startup-subsidy"]
    loan = policies["cq-micro-startup-loan"]
    seed_credit = policies["cq-seed-interest-free-credit"]
    granted = 0
    for startup in residents:
        if (
            startup.team_size > 20
            or "重庆" not in startup.location
            and "Chongqing" not in startup.location
        ):
            continue
        roll = rng.random()
        if roll < 0.35:
            amount = Decimal(rng.choice([20000, 30000, 50000]))
            session.add(
                _record(
                    startup.id, "subsidy", subsidy.id, amount, rng.randint(20, 330), operator_id
                )
            )
            granted += 1
        if roll < 0.15:
            session.add(
                _record(
                    startup.id, "loan", loan.id, Decimal(150000), rng.randint(10, 300), operator_id
                )
            )
        elif roll > 0.9:
            amount = Decimal(rng.choice([100000, 200000]))
            session.add(
                _record(
                    startup.id, "loan", seed_credit.id, amount, rng.randint(10, 300), operator_id
                )
            )
        if granted == 3:
            # The same subsidy granted twice: what the duplicate check is for.
            session.add(_record(startup.id, "subsidy", subsidy.id, Decimal(50000), 12, operator_id))
            granted += 1


def _record(
    startup_id: int, kind: str, policy_id: int, amount: Decimal, days: int, operator_id: int | None
) -> SupportRecord:
    return SupportRecord(
        startup_id=startup_id,
        kind=kind,
        policy_id=policy_id,
        amount=amount,
        granted_on=days_before(days).date(),
        created_at=days_before(days),
        created_by_id=operator_id,
    )
