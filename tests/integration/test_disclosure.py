# ruff: noqa: E501 - rows of test data read better one per line
"""What the disclosure lists, the repeated-support flags and near-duplicate profiles."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SupportRecord
from matchmaker.services.errors import Forbidden, Invalid
from matchmaker.services.operator import disclosure
from matchmaker.services.operator.policy_center.seed_policies import seed_policies
from matchmaker.services.recommendations import indexing
from matchmaker.services.recommendations.engine_settings import EngineSettings
from tests.factories import make_equipment, make_facility, make_mentor, make_startup, make_user


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def test_every_source_is_disclosed(app: Flask, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    a = make_startup(db_session, founder, name="A")
    mentor = make_mentor(db_session)
    xrd = make_equipment(db_session, make_facility(db_session), name="XRD")
    voucher = Voucher(code="SECRET-CODE", startup_id=a.id, amount=Decimal(5000),
                      balance=Decimal(4700), valid_from=date(2026, 1, 2), valid_until=date(2026, 12, 31),
                      note="internal")  # fmt: skip
    db_session.add(voucher)
    db_session.flush()
    db_session.add_all([
        SupportRecord(startup_id=a.id, kind="subsidy", amount=Decimal(50000), granted_on=date(2026, 2, 1),
                      description="首期", note="PRIVATE"),
        MentorSession(mentor_id=mentor.id, startup_id=a.id, topic="legal_ip", status="completed",
                      goal="PRIVATE GOAL", starts_at=datetime(2026, 3, 1, 10), ends_at=datetime(2026, 3, 1, 11)),
        MentorSession(mentor_id=mentor.id, startup_id=a.id, topic="strategy", status="declined"),
        EquipmentBooking(equipment_id=xrd.id, startup_id=a.id, user_id=founder.id, status="completed",
                         starts_at=datetime(2026, 3, 5, 9), ends_at=datetime(2026, 3, 5, 10),
                         price=Decimal(300), voucher_id=voucher.id, voucher_amount=Decimal(300),
                         voucher_state="redeemed", purpose="PRIVATE PURPOSE"),
        EquipmentBooking(equipment_id=xrd.id, startup_id=a.id, user_id=founder.id, status="completed",
                         starts_at=datetime(2026, 3, 6, 9), ends_at=datetime(2026, 3, 6, 10),
                         price=Decimal(300)),  # paid without a voucher: not support
    ])  # fmt: skip
    db_session.commit()
    with app.test_request_context():
        items = disclosure.disclosed_support(db_session, locale="en")
    got = sorted((i.kind, i.what, i.amount, i.day) for i in items)
    assert got == [
        ("booking", "XRD", Decimal("300.00"), date(2026, 3, 5)),
        ("session", "Legal and IP", None, date(2026, 3, 1)),
        ("subsidy", "首期", Decimal("50000.00"), date(2026, 2, 1)),
        ("voucher", "Innovation voucher", Decimal("5000.00"), date(2026, 1, 2)),
    ]
    text = repr(items)
    for secret in ("SECRET-CODE", "PRIVATE", "internal"):
        assert secret not in text
    summary = disclosure.summarise(items)
    assert summary[0].total_amount == Decimal("55300.00")
    assert summary[0].counts == {"booking": 1, "session": 1, "subsidy": 1, "voucher": 1}


def test_repeated_support_is_flagged(app: Flask, db_session: Session) -> None:
    seed_policies(db_session)
    operator = make_user(db_session, "operator")
    a, b = make_startup(db_session, name="A"), make_startup(db_session, name="B")
    import sqlalchemy as sa

    from matchmaker.models.operator import Policy

    subsidy = db_session.scalar(sa.select(Policy).where(Policy.slug == "cq-micro-startup-subsidy"))
    with app.test_request_context():
        for startup, day in ((a, 1), (a, 2), (b, 3)):
            disclosure.record_support(
                db_session, operator, disclosure.SupportGrant(
                    startup_id=startup.id, kind="subsidy", granted_on=date(2026, 1, day),
                    amount=Decimal(50000), policy_id=subsidy.id,
                ),
            )  # fmt: skip
        disclosure.record_support(
            db_session,
            operator,
            disclosure.SupportGrant(startup_id=b.id, kind="loan", granted_on=date(2026, 1, 5)),
        )
        repeated = disclosure.repeated_support(disclosure.disclosed_support(db_session))
    assert [(r.startup_name, r.kind, len(r.items), r.same_measure) for r in repeated] == [
        ("A", "subsidy", 2, True)
    ]


def test_record_support_refuses_bad_input(app: Flask, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    operator = make_user(db_session, "operator")
    startup = make_startup(db_session)
    with app.test_request_context():
        with pytest.raises(Forbidden):
            disclosure.record_support(
                db_session,
                founder,
                disclosure.SupportGrant(
                    startup_id=startup.id, kind="subsidy", granted_on=date(2026, 1, 1)
                ),
            )
        with pytest.raises(Invalid):
            disclosure.record_support(
                db_session,
                operator,
                disclosure.SupportGrant(
                    startup_id=startup.id, kind="gift", granted_on=date(2026, 1, 1)
                ),
            )
        with pytest.raises(Invalid):
            disclosure.record_support(
                db_session, operator, disclosure.SupportGrant(
                    startup_id=startup.id, kind="loan", granted_on=date(2026, 1, 1),
                    amount=Decimal(-1),
                ),
            )  # fmt: skip


@pytest.mark.parametrize("method", ["embedding", "tfidf"])
def test_near_duplicate_profiles(app: Flask, db_session: Session, method: str) -> None:
    text = "High-nickel cathode materials for solid-state e-bike batteries, XRD tested"
    first = make_startup(db_session, name="Lanli Materials", one_liner="Cathodes", description=text)
    second = make_startup(
        db_session, name="Lanli Materials Co", one_liner="Cathodes", description=text
    )
    farm = make_startup(
        db_session, name="Green Farm", one_liner="Hydroponic lettuce",
        description="Vertical farming of leafy greens for Chongqing supermarkets.",
    )  # fmt: skip
    settings = EngineSettings.from_app(app)
    model = settings.embedding_model

    def near() -> disclosure.NearDuplicates:
        return disclosure.near_duplicate_startups(db_session, method=method, embedding_model=model)

    if method == "embedding":
        # The page compares the vectors the job worker stored after each save; it embeds none.
        assert near().not_compared == [first, second, farm]
        for startup in (first, farm):
            indexing.embed_profile(db_session, settings, "startup", startup.id)
        assert near().pairs == [] and near().not_compared == [second]
        indexing.embed_profile(db_session, settings, "startup", second.id)
    found = near()
    assert [(p.first.name, p.second.name, p.method) for p in found.pairs] == [
        ("Lanli Materials", "Lanli Materials Co", method)
    ]
    assert found.not_compared == []
