"""The funding fit check behind the founder's investor lists (issue 12): the engine's candidates
are checked first and every other fund is read only when they could make the list; the answer
is remembered per process while the engine state and the startup's need stay the same and this
process commits no write, and at most KEEP_SECONDS (another worker's edit)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Investor, PortfolioEntry, Startup
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.services.funding import asks, fund_fit
from matchmaker.services.funding.matching import fit_reasons, fit_score, investor_fits, need_for
from matchmaker.services.recommendations import (
    engine_settings,
    engines,
    freshness,
    served_engine,
)
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_investor, make_mentor, make_startup


@pytest.fixture
def served(make_app: Any, db_session: Session, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A published version over a seed-stage startup, six funds that fit it, two that do not
    (wrong stage) and a few mentors (so the version pins its load prices)."""
    startup = make_startup(db_session, name="Anode Works", funding_need_amount=Decimal(3000000))
    fitting = [make_investor(db_session, name=f"Fund {c}") for c in "ABCDEF"]
    others = [make_investor(db_session, name=f"Late {c}", stages=["c"]) for c in "XY"]
    for i in range(3):
        make_mentor(db_session, capacity_per_month=1, headline=f"Battery scientist {i}")
    app = make_app(
        EMBEDDING_MODEL=HASHING_MODEL,
        INDEX_DIR=str(tmp_path / "idx"),
        MODEL_DIR=str(tmp_path / "m"),
    )
    with app.app_context():
        settings = engine_settings.EngineSettings.from_app(app)
        assert engines.build_indexes(db.session, settings, show_progress=False).version
    yield {"app": app, "startup": startup.id, "fitting": fitting, "others": others}
    engines.forget_engines()


def _listed(app: Flask, startup_id: int, limit: int = 3) -> list[tuple[int, float]]:
    request = Caller.web_request(app)
    with app.test_request_context("/"):
        assert engines.serving_engine_for(db.session, caller=request).answers_stable
        startup = db.session.get(Startup, startup_id)
        _, matches = asks.recommend_investors_for_startup(
            db.session, startup, limit=limit, caller=request
        )
        return [(m.investor.id, m.score) for m in matches]


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the fit check ran (the rest were remembered answers). The clock stands
    still, so only what the test changes ends a remembered answer."""
    now = served_engine.clock()
    monkeypatch.setattr(served_engine, "clock", lambda: now)
    runs: list[int] = []
    fitting = fund_fit._fitting

    def spy(*args: Any) -> Any:
        runs.append(1)
        return fitting(*args)

    monkeypatch.setattr(fund_fit, "_fitting", spy)
    return runs


def test_remembered_until_this_process_writes_or_the_need_changes(
    served: dict[str, Any], db_session: Session, computed: list[int]
) -> None:
    app, startup_id = served["app"], served["startup"]
    first = _listed(app, startup_id)
    assert len(first) == 3 and _listed(app, startup_id) == first
    assert len(computed) == 1  # the second load was remembered

    top = db_session.get(Investor, first[0][0])
    top.stages = ["c"]  # no longer fits a seed round
    db_session.commit()
    after_edit = _listed(app, startup_id)
    assert top.id not in [i for i, _ in after_edit] and len(computed) == 2

    db_session.add(PortfolioEntry(investor_id=after_edit[0][0], company="Cathode Co"))
    db_session.commit()
    _listed(app, startup_id)
    assert len(computed) == 3  # a portfolio entry is a fit fact (portfolio_neighbour)

    db_session.execute(sa.delete(PortfolioEntry).where(PortfolioEntry.company == "Cathode Co"))
    db_session.commit()
    assert _listed(app, startup_id) == after_edit and len(computed) == 4

    db_session.commit()  # a transaction that wrote nothing changes nothing
    _listed(app, startup_id)
    assert len(computed) == 4

    startup = db_session.get(Startup, startup_id)
    startup.location = "Beijing"  # every fund here invests in Chongqing only
    db_session.commit()
    assert _listed(app, startup_id) == [] and len(computed) == 5


def test_another_workers_edit_is_read_within_keep_seconds(
    served: dict[str, Any],
    db_session: Session,
    computed: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, startup_id = served["app"], served["startup"]
    first = _listed(app, startup_id)
    # A write this process's ORM did not make (another worker's): not seen at once...
    db_session.connection().execute(
        sa.text("UPDATE investors SET stages = '|c|' WHERE id = :id"), {"id": first[0][0]}
    )
    db_session.commit()
    assert _listed(app, startup_id) == first and len(computed) == 1
    # ...but within KEEP_SECONDS.
    later = served_engine.clock() + freshness.KEEP_SECONDS
    monkeypatch.setattr(served_engine, "clock", lambda: later)
    assert first[0][0] not in [i for i, _ in _listed(app, startup_id)]
    assert len(computed) == 2


def _every_fund_checked(app: Flask, startup_id: int, limit: int) -> list[tuple[int, float]]:
    """The list as it was computed before: every active fund read and checked."""
    with app.test_request_context("/"):
        startup = db.session.get(Startup, startup_id)
        need = need_for(startup, None)
        answer = fund_fit._engine_candidates(
            db.session, startup_id, max(limit * 3, 30), Caller.web_request(app)
        )
        engine, named = answer or ({}, frozenset())
        rows = []
        for investor in db.session.scalars(sa.select(Investor).where(Investor.is_active)):
            backer = any(e.startup_id == startup_id for e in investor.portfolio)
            if investor.id in named or backer or not investor_fits(investor, need, startup):
                continue
            match = engine.get(investor.id)
            fit = fit_reasons(investor, need, startup)
            score = 1.0 + float(match.score) if match is not None else fit_score(fit)
            rows.append((investor.id, score, investor.name))
        rows.sort(key=lambda r: (-r[1], r[2]))
        return [(i, s) for i, s, _ in rows[:limit]]


def test_engine_candidates_first_give_the_same_list_without_reading_every_fund(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, startup_id = served["app"], served["startup"]
    reads: list[str] = []
    active_funds = fund_fit._active_funds

    def spy(session: Session, startup_id: int, **which: Any) -> Any:
        reads.append("candidates" if which.get("only") is not None else "every other fund")
        return active_funds(session, startup_id, **which)

    monkeypatch.setattr(fund_fit, "_active_funds", spy)
    for limit in (1, 3, 6, 8):
        reads.clear()
        assert _listed(app, startup_id, limit) == _every_fund_checked(app, startup_id, limit)
        if limit <= 3:
            assert reads == ["candidates"], reads
    # Fewer candidates fit than asked for (8 of 6): every other fund is read as well.
    assert reads == ["candidates", "every other fund"], reads


def test_without_the_engine_the_newest_funds_are_read_up_to_a_bound(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = served["app"]
    newest = max(f.id for f in served["fitting"])
    with app.app_context():
        startup = db.session.get(Startup, served["startup"])
        need = need_for(startup, None)
        every = fund_fit.ranked_funds(
            db.session, startup, need, 10, use_engine=False, caller=Caller.offline(app)
        )
        assert {f.investor_id for f in every} == {f.id for f in served["fitting"]}
        # At 100,000 funds reading every one took 46 s: past the bound, the newest are read.
        monkeypatch.setattr(fund_fit, "OTHER_FUNDS_READ", 3)
        read = fund_fit.ranked_funds(
            db.session, startup, need, 10, use_engine=False, caller=Caller.offline(app)
        )
    assert {f.investor_id for f in read} <= {newest, newest - 1, newest - 2}
    assert newest in {f.investor_id for f in read}


def test_a_fund_that_recorded_an_investment_in_the_startup_is_never_listed(
    served: dict[str, Any], db_session: Session
) -> None:
    """A current backer (its portfolio links the startup) is shown as such, not recommended:
    the engine leaves it out, and so does the fit check's own read of the other funds, with
    the engine or without it."""
    app, startup_id = served["app"], served["startup"]
    backer = served["fitting"][0]
    db_session.add(PortfolioEntry(investor_id=backer.id, company="Anode Works",
                                  startup_id=startup_id, round="seed", year=2025))  # fmt: skip
    db_session.commit()
    listed = {i for i, _ in _listed(app, startup_id, limit=10)}
    assert listed == {f.id for f in served["fitting"][1:]}
    with app.app_context():
        startup = db.session.get(Startup, startup_id)
        without = fund_fit.ranked_funds(
            db.session, startup, need_for(startup, None), 10, use_engine=False,
            caller=Caller.offline(app),
        )  # fmt: skip
    assert {f.investor_id for f in without} == listed
