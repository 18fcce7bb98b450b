"""A fund's recommended startups (the deal flow, issue 12): the engine's picks are read and
judged first and every other startup only when they could make the list; the list is the same
as judging every active startup with its latest open ask, as the deal flow did before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import FundingAsk, Investor, Startup, User
from matchmaker.models.funding import Pitch
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.services.funding import deal_flow
from matchmaker.services.funding.matching import ask_satisfies, fit_reasons, fit_score
from matchmaker.services.recommendations import engine_settings, engines
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_investor, make_startup, make_user

START = datetime(2026, 1, 1)


def _ask(session: Session, startup: Startup, days: int, **fields: Any) -> None:
    values: dict[str, Any] = {"round": "seed", "amount": Decimal("2000000"), "instrument": "equity"}
    values.update(fields)
    session.add(
        FundingAsk(startup_id=startup.id, created_at=START + timedelta(days=days), **values)
    )
    session.commit()


@pytest.fixture
def served(make_app: Any, db_session: Session, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fund (Chongqing, seed to pre-A, 1-10M CNY, equity) with a published version over
    startups whose latest open ask it accepts and startups it must leave out for each reason."""
    partner = make_user(db_session, "investor")
    fund = make_investor(db_session, partner, name="Yangtze Seed")
    founder = make_user(db_session, "founder")
    topics = ["cathodes", "anodes", "electrolytes", "separators", "recycling", "sodium cells"]
    for i, topic in enumerate(topics * 2):
        startup = make_startup(db_session, founder, name=f"Fits {i}", one_liner=f"Battery {topic}")
        _ask(db_session, startup, i, amount=Decimal(1000000 + 500000 * i))
    # A ticket in another currency neither fits nor excludes.
    _ask(db_session, make_startup(db_session, founder, name="Dollar"), 1, currency="USD",
         amount=Decimal("50000000"))  # fmt: skip
    # Left out: the round, the ticket, the region, the sector, the instrument.
    _ask(db_session, make_startup(db_session, founder, name="Late"), 1, round="series_c")
    _ask(db_session, make_startup(db_session, founder, name="Big"), 1, amount=Decimal("5e7"))
    _ask(db_session, make_startup(db_session, founder, name="Far", location="Beijing"), 1)
    _ask(db_session, make_startup(db_session, founder, name="Bio", sectors=["biotechnology"]), 1)
    _ask(db_session, make_startup(db_session, founder, name="Loan"), 1, instrument="debt")
    # The latest open ask decides: an older fitting one does not count, an older unfit one
    # does not spoil a fitting latest one, a closed one is not open.
    newer_unfit = make_startup(db_session, founder, name="Newer unfit")
    _ask(db_session, newer_unfit, 1)
    _ask(db_session, newer_unfit, 2, round="series_c")
    newer_fit = make_startup(db_session, founder, name="Newer fit")
    _ask(db_session, newer_fit, 1, round="series_c")
    _ask(db_session, newer_fit, 2)
    closed = make_startup(db_session, founder, name="Closed latest")
    _ask(db_session, closed, 1)
    _ask(db_session, closed, 2, round="series_c", is_open=False)
    # No open ask, inactive, already pitched.
    make_startup(db_session, founder, name="No ask")
    _ask(db_session, make_startup(db_session, founder, name="Gone", is_active=False), 1)
    pitched = make_startup(db_session, founder, name="Pitched")
    _ask(db_session, pitched, 1)
    ask_id = db_session.scalar(sa.select(FundingAsk.id).where(FundingAsk.startup_id == pitched.id))
    db_session.add(Pitch(startup_id=pitched.id, ask_id=ask_id, investor_id=fund.id))
    db_session.commit()
    app = make_app(
        EMBEDDING_MODEL=HASHING_MODEL,
        INDEX_DIR=str(tmp_path / "idx"),
        MODEL_DIR=str(tmp_path / "m"),
    )
    with app.app_context():
        settings = engine_settings.EngineSettings.from_app(app)
        assert engines.build_indexes(db.session, settings, show_progress=False).version
    yield {"app": app, "partner": partner.id, "fund": fund.id}
    engines.forget_engines()


def _recommended(
    app: Flask, partner_id: int, limit: int, **filters: Any
) -> list[tuple[str, float]]:
    with app.test_request_context("/"):
        flow = deal_flow.deal_flow(
            db.session,
            db.session.get(User, partner_id),
            None,
            deal_flow.DealFilters(**filters),
            recommend_limit=limit,
            caller=Caller.web_request(app),
        )
        return [(d.startup.name, d.score) for d in flow.recommended]


def _every_startup_judged(
    app: Flask, fund_id: int, limit: int, **filters: Any
) -> list[tuple[str, float]]:
    """The list as it was computed before: every active startup and every open ask read."""
    with app.test_request_context("/"):
        session = db.session
        fund = session.get(Investor, fund_id)
        assert fund is not None
        engine = deal_flow._engine_startups(session, fund_id, limit * 3, Caller.web_request(app))
        pitched = set(
            session.scalars(sa.select(Pitch.startup_id).where(Pitch.investor_id == fund_id))
        )
        latest: dict[int, FundingAsk] = {}
        for ask in session.scalars(
            sa.select(FundingAsk)
            .where(FundingAsk.is_open)
            .order_by(FundingAsk.created_at, FundingAsk.id)
        ):
            latest[ask.startup_id] = ask
        wanted = deal_flow.DealFilters(**filters)
        rows = []
        for startup in session.scalars(sa.select(Startup).where(Startup.is_active)):
            ask = latest.get(startup.id)
            if startup.id in pitched or ask is None:
                continue
            if not ask_satisfies(fund, ask, startup) or not wanted.admits(startup, ask):
                continue
            match = engine.get(startup.id)
            score = fit_score(fit_reasons(fund, ask, startup))
            rows.append((startup.name, score + (1.0 + match.score if match else 0.0)))
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows[:limit]


def test_engine_picks_first_give_the_same_list_without_reading_every_startup(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, partner, fund = served["app"], served["partner"], served["fund"]
    reads: list[str] = []
    open_deals = deal_flow._open_deals

    def spy(session: Session, lens: Any, **which: Any) -> Any:
        reads.append("picks" if which.get("only") is not None else "every other startup")
        return open_deals(session, lens, **which)

    monkeypatch.setattr(deal_flow, "_open_deals", spy)
    for limit in (1, 3, 10, 30):
        reads.clear()
        listed = _recommended(app, partner, limit)
        assert listed == _every_startup_judged(app, fund, limit)
        if limit == 1:
            assert reads == ["picks"], reads  # the engine's best pick fits: nothing else read
    # Fewer picks than asked for: every other startup is read as well, and the list names
    # exactly the startups whose latest open ask the fund accepts.
    assert reads == ["picks", "every other startup"], reads
    names = {name for name, _ in listed}
    assert names == {f"Fits {i}" for i in range(12)} | {"Dollar", "Newer fit", "Closed latest"}
    for filters in ({"round": "seed"}, {"ticket_min": Decimal("4000000")}, {"location": "x"}):
        assert _recommended(app, partner, 5, **filters) == _every_startup_judged(
            app, fund, 5, **filters
        )
