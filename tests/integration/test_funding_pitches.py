"""Founder side of funding: asks, the stated-preference filter, pitches and the weekly limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.extensions import db
from matchmaker.models import FundingAsk, Notification
from matchmaker.models.funding import Pitch
from matchmaker.services.errors import Conflict, Forbidden, Invalid, RateLimited
from matchmaker.services.funding import asks, pitches
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_investor, make_startup, make_user


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.test_request_context():
        yield db.session


def _ask(db_session: Session, startup_id: int, **fields: object) -> FundingAsk:
    values: dict[str, object] = {
        "round": "seed",
        "amount": Decimal("3000000"),
        "currency": "CNY",
        "instrument": "equity",
        "use_of_funds": "Pilot line",
        "traction": "3 paying customers",
    }
    values.update(fields)
    ask = FundingAsk(startup_id=startup_id, **values)
    db_session.add(ask)
    db_session.commit()
    return ask


def test_save_ask_validates_and_refuses_strangers(session: Session, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    stranger = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    data = asks.AskInput(round="seed", amount="2500000", currency="CNY", instrument="grant")
    ask = asks.save_ask(session, founder, data, startup_id=startup.id)
    assert ask.amount == Decimal("2500000.00") and ask.instrument == "grant"
    for bad, field in [
        (asks.AskInput("none", "1", "CNY", "equity"), "round"),
        (asks.AskInput("seed", "-5", "CNY", "equity"), "amount"),
        (asks.AskInput("seed", "abc", "CNY", "equity"), "amount"),
        (asks.AskInput("seed", "5", "XXX", "equity"), "currency"),
        (asks.AskInput("seed", "5", "CNY", "tokens"), "instrument"),
    ]:
        with pytest.raises(Invalid) as err:
            asks.save_ask(session, founder, bad, startup_id=startup.id)
        assert err.value.field == field
    with pytest.raises(Forbidden):
        asks.save_ask(session, stranger, data, startup_id=startup.id)
    with pytest.raises(Forbidden):
        asks.save_ask(session, stranger, data, ask_id=ask.id)
    db_session.rollback()  # end the read snapshot taken before the service committed
    assert db_session.scalar(sa.select(sa.func.count(FundingAsk.id))) == 1


@pytest.mark.parametrize("use_engine", [False, True])
def test_recommendations_only_where_the_ask_meets_stated_preferences(
    session: Session, db_session: Session, use_engine: bool, web_caller: Caller
) -> None:
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder, sectors=["new_energy"], location="Chongqing")
    fits = make_investor(db_session, name="Fits Capital")
    make_investor(db_session, name="Late Stage", stages=["a", "b_plus"])
    make_investor(db_session, name="Big Tickets", ticket_min=Decimal("50000000"), ticket_max=None)
    make_investor(db_session, name="Bio Only", sectors=["biotechnology"])
    make_investor(db_session, name="Debt Only", instruments=["debt"])
    make_investor(
        db_session,
        name="Bank Of Chongqing",
        type="bank",
        instruments=[],
        stages=[],
        loan_products="IP-pledge loans up to 5M CNY",
    )
    guidance = make_investor(
        db_session,
        name="Liangjiang Guidance Fund",
        type="government_guidance_fund",
        instruments=[],
        co_investment_requirements="Co-invests 1:1 with a lead VC",
    )
    ask = _ask(db_session, startup.id)
    names = [
        m.investor.name
        for m in asks.recommend_investors_for_ask(
            session, session.get(FundingAsk, ask.id), use_engine=use_engine, caller=web_caller
        )
    ]
    assert set(names) == {"Fits Capital", "Liangjiang Guidance Fund"}
    matches = {
        m.investor.id: m
        for m in asks.recommend_investors_for_ask(
            session, session.get(FundingAsk, ask.id), use_engine=use_engine, caller=web_caller
        )
    }
    codes = {r.code for r in matches[fits.id].fit}
    assert {"shared_sectors", "stage_fit", "ticket_fit", "instrument_fit"} <= codes
    assert "guidance_fund_terms" in {r.code for r in matches[guidance.id].fit}

    # A bank loan ask now fits the bank (instrument fit by institution type) and not the VCs.
    debt_ask = _ask(db_session, startup.id, instrument="debt", amount=Decimal("2000000"))
    session.rollback()
    names = {
        m.investor.name
        for m in asks.recommend_investors_for_ask(
            session, session.get(FundingAsk, debt_ask.id), use_engine=use_engine, caller=web_caller
        )
    }
    assert names == {"Debt Only", "Bank Of Chongqing"}


def test_send_pitches_notifies_fund_and_never_twice(session: Session, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    partner = make_user(db_session, "investor")
    startup = make_startup(db_session, founder)
    fund = make_investor(db_session, partner)
    ask = _ask(db_session, startup.id)
    [pitch] = pitches.send_pitches(session, founder, ask.id, [fund.id], message="Hello")
    assert pitch.stage == "new" and [h.to_stage for h in pitch.history] == ["new"]
    db_session.rollback()
    kinds = db_session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == partner.id)
    ).all()
    assert kinds == ["funding.pitch_received"]
    with pytest.raises(Conflict):
        pitches.send_pitches(session, founder, ask.id, [fund.id])
    # The database itself refuses a second pitch of the same ask to the same investor.
    db_session.add(Pitch(ask_id=ask.id, startup_id=startup.id, investor_id=fund.id))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_only_the_team_pitches_and_closed_asks_cannot(
    session: Session, db_session: Session
) -> None:
    founder = make_user(db_session, "founder")
    stranger = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    fund = make_investor(db_session)
    ask = _ask(db_session, startup.id)
    with pytest.raises(Forbidden):
        pitches.send_pitches(session, stranger, ask.id, [fund.id])
    closed = _ask(db_session, startup.id, is_open=False)
    with pytest.raises(Invalid):
        pitches.send_pitches(session, founder, closed.id, [fund.id])
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(Pitch.id))) == 0


def test_weekly_limit_holds(session: Session, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    funds = [make_investor(db_session).id for _ in range(4)]
    ask = _ask(db_session, startup.id)
    pitches.send_pitches(session, founder, ask.id, funds[:2], weekly_limit=3)
    with pytest.raises(RateLimited):
        pitches.send_pitches(session, founder, ask.id, funds[2:], weekly_limit=3)
    db_session.rollback()
    assert pitches.pitches_this_week(db_session, startup.id) == 2
    pitches.send_pitches(session, founder, ask.id, funds[2:3], weekly_limit=3)
    with pytest.raises(RateLimited):
        pitches.send_pitches(session, founder, ask.id, funds[3:], weekly_limit=3)
    db_session.rollback()
    assert pitches.pitches_this_week(db_session, startup.id) == 3


def test_weekly_limit_holds_under_concurrent_sends(
    app: Flask, db_session: Session, database_url: str
) -> None:
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    funds = [make_investor(db_session).id for _ in range(8)]
    ask_id, founder_id, user_type = _ask(db_session, startup.id).id, founder.id, type(founder)
    barrier = threading.Barrier(8, timeout=30)
    results: list[str] = []

    def send(fund_id: int) -> None:
        engine = make_engine(database_url)
        with app.test_request_context(), Session(engine) as s:
            user = s.get(user_type, founder_id)
            barrier.wait()
            try:
                pitches.send_pitches(s, user, ask_id, [fund_id], weekly_limit=3)
                results.append("ok")
            except RateLimited:
                results.append("limited")
        engine.dispose()

    threads = [threading.Thread(target=send, args=(f,)) for f in funds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results.count("ok") == 3 and results.count("limited") == 5
    db_session.rollback()
    assert pitches.pitches_this_week(db_session, startup.id) == 3
