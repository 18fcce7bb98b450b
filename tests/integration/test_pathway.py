"""The pathway: position on the chain, next steps with matches, eligible policies, stuck
startups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk, MatchOutcome, utcnow
from matchmaker.models.operator import StartupResidency
from matchmaker.services.funding.matching import next_round
from matchmaker.services.operator.policy_center.seed_policies import seed_policies
from matchmaker.services.recommendations import bridge, pathway, pathway_steps
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_equipment, make_facility, make_mentor, make_startup, make_user


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.mark.parametrize(
    ("stage", "needs", "step"),
    [
        ("idea", [], "idea"),
        ("prototype", ["prototyping", "testing"], "prototype"),
        ("prototype", ["testing"], "testing"),
        ("pilot", [], "pilot_production"),
        ("market", [], "market"),
    ],
)
def test_position_on_the_chain(stage: str, needs: list[str], step: str) -> None:
    from matchmaker.models import Startup

    assert pathway.CHAIN[pathway.position(Startup(stage=stage, services_needed=needs))].code == step


def test_next_round() -> None:
    assert next_round("none") == "seed"
    assert next_round("a") == "b_plus"
    assert next_round("b_plus") is None


@pytest.mark.parametrize("use_engine", [True, False])
def test_pathway_page_data(
    app: Flask, db_session: Session, use_engine: bool, web_caller: Caller
) -> None:
    founder = make_user(db_session, "founder")
    startup = make_startup(
        db_session,
        founder,
        stage="prototype",
        services_needed=["testing"],
        founded_on=date.today() - timedelta(days=400),
        team_size=5,
    )
    mentor = make_mentor(db_session, mentoring_topics=["technology"])
    lab = make_facility(db_session, name="Materials Lab")
    xrd = make_equipment(db_session, lab, name="XRD", category="testing")
    db_session.add(StartupResidency(startup_id=startup.id))
    db_session.commit()
    seed_policies(db_session)
    with app.test_request_context():
        view = pathway_steps.build_pathway(
            db_session, startup, use_engine=use_engine, locale="en", caller=web_caller
        )
    assert view.current.code == "testing"
    statuses = {s.step.code: s.status for s in view.steps}
    assert statuses == {
        "idea": "done", "prototype": "done", "testing": "current",
        "pilot_production": "next", "market": "later",
    }  # fmt: skip
    testing = next(s for s in view.steps if s.step.code == "testing")
    assert testing.needed and testing.mentor is not None and testing.mentor.id == mentor.id
    assert testing.equipment is not None and testing.equipment.id == xrd.id
    assert testing.equipment.detail == "Materials Lab"
    if use_engine:  # plain values, which a served engine may keep past this session
        assert testing.mentor.entity is None and testing.equipment.entity is None
    assert testing.policy is not None  # R&D equipment deduction or innovation vouchers
    eligible = {e.policy.slug for e in view.eligible_policies}
    # resident, 5 people, in Chongqing, about a year old, prototype stage
    assert {"cq-micro-startup-subsidy", "cq-micro-startup-loan", "cq-seed-interest-free-credit",
            "cq-innovation-voucher"} <= eligible  # fmt: skip
    missing = {e.policy.slug: [c.rule for c in e.missing] for e in view.other_policies}
    assert missing["sc-researcher-keeps-position"] == ["founder_backgrounds"]
    assert missing["cq-listing-growth-voucher"] == ["stages"]
    assert view.engine_used is use_engine
    assert view.stuck_reasons == []  # just created


def test_each_step_gets_the_best_ranked_mentor_who_offers_its_topics(
    app: Flask, db_session: Session, web_caller: Caller
) -> None:
    startup = make_startup(db_session, make_user(db_session, "founder"))
    lawyer = make_mentor(db_session, kind="lawyer", mentoring_topics=["legal_ip"])
    marketer = make_mentor(db_session, kind="entrepreneur", mentoring_topics=["marketing"])
    asked = [("legal_ip",), ("marketing", "fundraising"), ("operations",)]
    with app.test_request_context():
        ranked = [
            m.id for m in bridge.recommend_mentors(db_session, startup.id, 20, caller=web_caller)
        ]
        picks = bridge.mentors_for_topics(db_session, startup.id, asked, caller=web_caller)
    assert sorted(ranked) == sorted([lawyer.id, marketer.id])
    # nobody offers operations: the best-ranked mentor, as before
    assert [m.id if m else None for m in picks] == [lawyer.id, marketer.id, ranked[0]]
    # The lawyer leaves the platform before the engine has heard of it: the database no
    # longer shows them, so each step takes the next pick instead of losing its mentor.
    lawyer.is_active = False
    db_session.commit()
    with app.test_request_context():
        picks = bridge.mentors_for_topics(db_session, startup.id, asked, caller=web_caller)
    assert [m.id if m else None for m in picks] == [marketer.id] * 3
    marketer.user.is_active = False
    db_session.commit()
    with app.test_request_context():
        picks = bridge.mentors_for_topics(db_session, startup.id, asked, caller=web_caller)
    assert picks == [None, None, None]


def test_stuck_startups(app: Flask, db_session: Session) -> None:
    old = utcnow() - timedelta(days=90)
    make_startup(db_session, name="Quiet", created_at=old, updated_at=old)
    busy = make_startup(db_session, name="Busy", created_at=old, updated_at=old)
    db_session.add(
        MatchOutcome(
            startup_id=busy.id, candidate_kind="mentor", candidate_id=1, outcome="accepted"
        )
    )
    make_startup(db_session, name="Unserved", services_needed=["pilot_production"])
    # testing is served by an active instrument; pilot production only by one whose facility
    # is closed, and by an inactive one
    make_equipment(db_session, make_facility(db_session), category="testing")
    closed = make_facility(db_session, is_active=False)
    make_equipment(db_session, closed, category="pilot_production")
    make_equipment(
        db_session, make_facility(db_session), category="pilot_production", is_active=False
    )
    make_startup(db_session, name="Served", services_needed=["testing"])
    asking = make_startup(db_session, name="Asking")
    db_session.add(FundingAsk(startup_id=asking.id, round="seed", amount=1000000))
    answered = make_startup(db_session, name="Answered")
    db_session.add(FundingAsk(startup_id=answered.id, round="seed", amount=1000000))
    db_session.add(
        MatchOutcome(
            startup_id=answered.id, candidate_kind="investor", candidate_id=1, outcome="meeting"
        )
    )
    db_session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        rows = {r.startup.name: r for r in pathway.overview(db_session, locale="en")}
        reasons = {name: [str(x) for x in r.stuck_reasons] for name, r in rows.items()}
        stuck_only = {r.startup.name for r in pathway.overview(db_session, stuck_only=True)}
    assert reasons["Quiet"] == ["No activity for 60 days."]
    assert reasons["Busy"] == []
    assert reasons["Unserved"] == [
        "Needs Pilot and small-batch production but no instrument offers it."
    ]
    assert reasons["Asking"] == ["Open funding ask without any investor contact."]
    assert reasons["Answered"] == []
    assert reasons["Served"] == []
    assert stuck_only == {"Quiet", "Unserved", "Asking"}
    assert isinstance(rows["Busy"].last_activity, datetime)
