"""The demo dataset: size, coverage of every vocabulary, realism, determinism, the demo logins,
the refusal to load twice, the CLI command and the extension point for other areas."""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

import matchmaker.demo as demo
from matchmaker import migrate, vocab
from matchmaker.database import make_engine
from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoContext, DemoResult, load_demo_data
from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    FundingAsk,
    Investor,
    InvestorMember,
    Mentor,
    MentorMentee,
    PortfolioEntry,
    Startup,
    StartupMember,
    User,
)

pytestmark = pytest.mark.db

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def loaded(db_session: Session) -> DemoResult:
    result = load_demo_data(db_session)
    assert result is not None
    db_session.expire_all()
    return result


def _all(session: Session, model: Any) -> list[Any]:
    return list(session.scalars(sa.select(model).order_by(*model.__mapper__.primary_key)))


def _count(session: Session, model: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_counts_meet_the_minimums(loaded: DemoResult, db_session: Session) -> None:
    assert _count(db_session, Startup) >= 60
    assert _count(db_session, Mentor) >= 40
    assert _count(db_session, Investor) >= 20
    assert _count(db_session, Facility) >= 8
    assert _count(db_session, Equipment) >= 50
    assert _count(db_session, MentorMentee) >= 20
    assert _count(db_session, FundingAsk) >= 15
    assert _count(db_session, User) >= 150
    assert loaded.counts["startups"] == _count(db_session, Startup)
    # Its speed is no test's business (a shared machine makes a timed test flaky); `make run`
    # prints the seconds with the summary.
    summary = loaded.summary()
    assert "startups" in summary and "equipment" in summary and "demo-logins" in summary


def test_every_vocabulary_is_covered_and_every_code_is_valid(
    loaded: DemoResult, db_session: Session
) -> None:
    startups = _all(db_session, Startup)
    mentors = _all(db_session, Mentor)
    investors = _all(db_session, Investor)
    equipment = _all(db_session, Equipment)
    facilities = _all(db_session, Facility)
    asks = _all(db_session, FundingAsk)

    assert {c for s in startups for c in s.sectors} == set(vocab.SECTORS)
    assert {s.stage for s in startups} == set(vocab.STAGES)
    assert {s.funding_round for s in startups} == set(vocab.ROUNDS)
    assert {m.kind for m in mentors} == set(vocab.MENTOR_KINDS)
    assert {i.type for i in investors} == set(vocab.INVESTOR_TYPES)
    assert {f.kind for f in facilities} == set(vocab.FACILITY_KINDS)
    assert {e.category for e in equipment} == set(vocab.EQUIPMENT_CATEGORIES)
    assert {e.booking_mode for e in equipment} == set(vocab.BOOKING_MODES)
    assert {m.kind for m in mentors if m.is_active} == set(vocab.MENTOR_KINDS)

    def valid(codes: list[str], vocabulary: vocab.Labels) -> bool:
        return bool(codes) and set(codes) <= set(vocabulary)

    for s in startups:
        assert valid(s.founder_backgrounds, vocab.FOUNDER_BACKGROUNDS), s.name
        assert valid(s.languages, vocab.LANGUAGES), s.name
        assert valid(s.mentoring_topics, vocab.MENTORING_TOPICS), s.name
        assert valid(s.services_needed, vocab.CHAIN_SERVICES), s.name
    for m in mentors:
        assert valid(m.sectors, vocab.SECTORS) and valid(m.languages, vocab.LANGUAGES)
        assert valid(m.mentoring_topics, vocab.MENTORING_TOPICS)
    for i in investors:
        assert valid(i.stages, vocab.ROUNDS) and valid(i.instruments, vocab.INSTRUMENTS)
        assert set(i.sectors) <= set(vocab.SECTORS) and i.currency in vocab.CURRENCIES
    for a in asks:
        assert a.round in vocab.ROUNDS and a.instrument in vocab.INSTRUMENTS and a.amount > 0


def test_investors_have_realistic_tickets_and_portfolios_with_co_investment(
    loaded: DemoResult, db_session: Session
) -> None:
    investors = _all(db_session, Investor)
    for investor in investors:
        # The core writes 3-8 entries; areas may add deals their demo closes (funding: invested).
        assert len(investor.portfolio) >= 3, investor.name
        assert investor.ticket_min is not None and investor.ticket_max is not None
        assert investor.ticket_min <= investor.ticket_max
        assert investor.members, investor.name
    by_type: dict[str, list[Investor]] = {}
    for investor in investors:
        by_type.setdefault(investor.type, []).append(investor)
    wan = 10_000
    assert all(50 * wan <= i.ticket_min and i.ticket_max <= 300 * wan for i in by_type["angel"])
    assert all(i.ticket_min >= 1000 * wan for i in by_type["vc"])
    assert all(i.co_investment_requirements for i in by_type["government_guidance_fund"])
    assert all(i.loan_products and "debt" in i.instruments for i in by_type["bank"])
    assert any("15万" in i.loan_products for i in by_type["bank"])
    assert all("crowdfunding" in i.instruments for i in by_type["crowdfunding"])

    linked = Counter(
        db_session.scalars(
            sa.select(PortfolioEntry.startup_id).where(PortfolioEntry.startup_id.is_not(None))
        )
    )
    assert len(linked) >= 15
    assert sum(1 for n in linked.values() if n >= 2) >= 5  # co-investment exists
    assert any(a.instrument == "debt" and a.amount == 150_000 for a in _all(db_session, FundingAsk))


def test_profiles_are_bilingual_distinct_and_free_of_placeholders(
    loaded: DemoResult, db_session: Session
) -> None:
    startups = _all(db_session, Startup)
    users = _all(db_session, User)
    mentors = _all(db_session, Mentor)

    chinese = [s for s in startups if CJK.search(s.description)]
    assert len(chinese) > len(startups) / 2  # most profiles in Chinese...
    assert len(startups) - len(chinese) >= 12  # ...and a good share in English
    assert any(CJK.search(m.expertise) for m in mentors)
    assert sum(1 for m in mentors if not CJK.search(m.expertise)) >= 8
    locales = Counter(u.locale for u in users)
    assert set(locales) == set(vocab.UI_LOCALES) and locales["zh_CN"] > locales["en"] >= 20

    # No copy-paste: every startup has its own name, one-liner and description.
    for field in ("name", "one_liner", "description"):
        values = [getattr(s, field) for s in startups]
        assert len(set(values)) == len(values), field
    assert len({u.display_name for u in users}) == len(users)
    assert any(s.name.startswith("重庆") and s.name.endswith("有限公司") for s in startups)

    texts: list[str] = [
        *(f"{s.name} {s.one_liner} {s.description} {s.funding_need_note}" for s in startups),
        *(f"{m.headline} {m.expertise} {m.organisation}" for m in mentors),
        *(f"{i.name} {i.thesis} {i.loan_products}" for i in _all(db_session, Investor)),
        *(f"{p.company} {p.description}" for p in _all(db_session, PortfolioEntry)),
        *(f"{e.name} {e.model_specs} {e.description}" for e in _all(db_session, Equipment)),
        *(f"{a.use_of_funds} {a.traction}" for a in _all(db_session, FundingAsk)),
        *(u.display_name for u in users),
    ]
    joined = "\n".join(texts).lower()
    for banned in ("lorem", "ipsum", "dolor sit", "faker", "placeholder", "todo", "{", "}"):
        assert banned not in joined, banned


def test_mentors_have_capacities_some_paused_and_past_mentees(
    loaded: DemoResult, db_session: Session
) -> None:
    mentors = _all(db_session, Mentor)
    assert all(1 <= m.capacity_per_month <= 10 for m in mentors)
    paused = [m for m in mentors if not m.accepting_requests]
    assert 2 <= len(paused) <= 8
    with_mentees = set(db_session.scalars(sa.select(MentorMentee.mentor_id)))
    assert len(with_mentees) >= 20
    for user in _all(db_session, User):
        assert user.display_name.strip() and user.locale in vocab.UI_LOCALES
        assert user.roles and set(user.roles) <= set(vocab.ROLES)


def test_dates_are_recent_relative_to_the_anchor(loaded: DemoResult, db_session: Session) -> None:
    anchor = demo.ANCHOR
    for startup in _all(db_session, Startup):
        assert startup.founded_on is not None
        assert (anchor - startup.founded_on).days in range(0, 8 * 366)
        assert startup.created_at.date() <= anchor
    assert max(u.last_seen_at.date() for u in _all(db_session, User)) <= anchor
    years = [p.year for p in _all(db_session, PortfolioEntry)]
    assert min(years) >= 2015 and max(years) <= anchor.year


def test_demo_accounts_have_what_their_role_needs(loaded: DemoResult, db_session: Session) -> None:
    users = {
        role: db_session.scalar(sa.select(User).where(User.email == email))
        for role, email in DEMO_LOGINS.items()
    }
    assert set(users) == {"founder", "mentor", "investor", "facility_manager", "operator"}
    for role, user in users.items():
        assert user is not None and role in user.roles and user.is_active
    assert users["operator"].is_operator

    membership = db_session.scalar(
        sa.select(StartupMember).where(StartupMember.user_id == users["founder"].id)
    )
    assert membership is not None and membership.startup.description
    assert db_session.scalar(
        sa.select(FundingAsk).where(FundingAsk.startup_id == membership.startup_id)
    )
    assert db_session.scalar(sa.select(Mentor).where(Mentor.user_id == users["mentor"].id))
    fund = db_session.scalar(
        sa.select(Investor)
        .join(InvestorMember)
        .where(InvestorMember.user_id == users["investor"].id)
    )
    assert fund is not None and len(fund.portfolio) >= 3
    assert any(p.startup_id == membership.startup_id for p in fund.portfolio)
    facility = db_session.scalar(
        sa.select(Facility)
        .join(FacilityManager)
        .where(FacilityManager.user_id == users["facility_manager"].id)
    )
    assert facility is not None and len(facility.equipment) >= 5


def test_demo_logins_sign_in_with_the_demo_password(
    loaded: DemoResult, client: FlaskClient, db_session: Session
) -> None:
    for email in DEMO_LOGINS.values():
        response = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        name = db_session.scalar(sa.select(User.display_name).where(User.email == email))
        # A light page that needs a signed-in user and shows the name (the dashboard would run
        # the recommendation engine, which is not what this test is about).
        page = client.get("/auth/password")
        assert page.status_code == 200, email
        assert name is not None and name in page.get_data(as_text=True)
        client.post("/auth/logout")
    # Any other demo account shares the password (one hash for all, computed once).
    other = db_session.scalar(sa.select(User).where(User.email.not_in(DEMO_LOGINS.values())))
    assert other is not None
    response = client.post("/auth/login", data={"email": other.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    client.post("/auth/logout")
    wrong = client.post("/auth/login", data={"email": other.email, "password": "wrong-pass"})
    assert wrong.status_code == 200


def _table_counts(session: Session) -> dict[str, int]:
    session.expire_all()
    models = (User, Startup, Mentor, Investor, PortfolioEntry, Equipment, FundingAsk)
    return {m.__tablename__: _count(session, m) for m in models}


def test_loading_again_writes_nothing_unless_forced_into_a_database_without_demo(
    loaded: DemoResult, db_session: Session
) -> None:
    before = _table_counts(db_session)
    assert load_demo_data(db_session) is None
    # The demo accounts are there already: even force does not write a second copy.
    assert load_demo_data(db_session, force=True) is None
    assert _table_counts(db_session) == before


def test_force_loads_into_a_database_that_has_other_users(db_session: Session) -> None:
    db_session.add(User(email="someone@example.com", password_hash="x", display_name="Someone"))
    db_session.commit()
    assert load_demo_data(db_session) is None
    assert _count(db_session, Startup) == 0
    result = load_demo_data(db_session, force=True)
    assert result is not None and _count(db_session, Startup) >= 60


def test_cli_demo_data_loads_once(app: Flask, runner: FlaskCliRunner, db_session: Session) -> None:
    # `flask` (FlaskGroup) pushes an app context for every command; the test runner does not.
    with app.app_context():
        first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "startups" in first.output and "mentor_profiles" in first.output
    assert _count(db_session, Startup) >= 60
    with app.app_context():
        second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "not loaded" in second.output
    logins = runner.invoke(args=["demo-logins"])
    assert DEMO_PASSWORD in logins.output and DEMO_LOGINS["facility_manager"] in logins.output


def _fingerprint(session: Session) -> str:
    """A digest of the content (not the ids, not the password salts) of the core tables."""
    session.expire_all()
    startups = {s.id: s.name for s in session.scalars(sa.select(Startup))}
    users = {u.id: u.email for u in session.scalars(sa.select(User))}
    investors = {i.id: i.name for i in session.scalars(sa.select(Investor))}
    facilities = {f.id: f.name for f in session.scalars(sa.select(Facility))}
    mentors = {m.id: users[m.user_id] for m in session.scalars(sa.select(Mentor))}

    def money(value: Any) -> str:
        return "" if value is None else f"{value:.2f}"

    rows: list[tuple[Any, ...]] = []
    rows += sorted(
        (u.email, u.display_name, u.locale, tuple(u.roles), str(u.created_at), str(u.last_seen_at))
        for u in session.scalars(sa.select(User))
    )
    rows += sorted(
        (s.name, s.one_liner, s.description, tuple(s.sectors), s.stage, s.funding_round,
         s.location, s.team_size, str(s.founded_on), tuple(s.languages),
         tuple(s.mentoring_topics), tuple(s.services_needed), money(s.funding_need_amount))
        for s in session.scalars(sa.select(Startup))
    )  # fmt: skip
    rows += sorted(
        (startups[m.startup_id], users[m.user_id], m.title)
        for m in session.scalars(sa.select(StartupMember))
    )
    rows += sorted(
        (users[m.user_id], m.kind, m.headline, m.expertise, tuple(m.sectors),
         m.organisation, m.capacity_per_month, m.accepting_requests)
        for m in session.scalars(sa.select(Mentor))
    )  # fmt: skip
    rows += sorted(
        (i.name, i.type, i.thesis, money(i.ticket_min), money(i.ticket_max), tuple(i.stages))
        for i in session.scalars(sa.select(Investor))
    )
    rows += sorted(
        (investors[p.investor_id], p.company, p.description, p.round, p.year,
         startups.get(p.startup_id or 0, ""))
        for p in session.scalars(sa.select(PortfolioEntry))
    )  # fmt: skip
    rows += sorted(
        (investors[m.investor_id], users[m.user_id], m.title)
        for m in session.scalars(sa.select(InvestorMember))
    )
    rows += sorted(
        (facilities[e.facility_id], e.name, e.model_specs, money(e.price_per_hour), e.booking_mode)
        for e in session.scalars(sa.select(Equipment))
    )
    rows += sorted(
        (mentors[m.mentor_id], startups[m.startup_id], str(m.since), m.source)
        for m in session.scalars(sa.select(MentorMentee))
    )
    rows += sorted(
        (startups[a.startup_id], a.round, money(a.amount), a.instrument, a.is_open, a.traction)
        for a in session.scalars(sa.select(FundingAsk))
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_two_loads_into_two_fresh_databases_are_identical(
    db_session: Session, tmp_path: Path
) -> None:
    assert load_demo_data(db_session) is not None
    first = _fingerprint(db_session)

    # A second, fresh database of its own (SQLite, so a PostgreSQL run also compares dialects).
    url = f"sqlite:///{tmp_path / 'second.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as other:
            assert load_demo_data(other) is not None
            second = _fingerprint(other)
    finally:
        engine.dispose()
    assert first == second


def test_area_modules_get_the_context_with_a_generator_of_their_own(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = demo.area_loaders()
    names = [name for name, _ in real]
    assert names == sorted(names) and "core" not in names
    seen: list[DemoContext] = []

    def load_area(session: Session, ctx: DemoContext) -> None:
        seen.append(ctx)
        # An area adds rows of its own with what the core created.
        session.add(
            FundingAsk(startup_id=ctx.startups[1].id, round="seed", amount=1, use_of_funds="x")
        )

    monkeypatch.setattr(demo, "area_loaders", lambda: [("zz_area", load_area)])
    result = load_demo_data(db_session)
    assert result is not None and result.areas == ["zz_area"]
    (ctx,) = seen
    assert ctx.rng.random() == random.Random("2026:zz_area").random()
    assert ctx.anchor == demo.ANCHOR
    assert set(ctx.demo_users) == set(DEMO_LOGINS)
    assert set(ctx.users_by_role) == set(vocab.ROLES)
    assert len(ctx.startups) >= 60 and len(ctx.mentors) >= 40 and len(ctx.investors) >= 20
    assert len(ctx.facilities) >= 8 and len(ctx.equipment) >= 50 and ctx.funding_asks
    assert set(ctx.equipment_by_category) == set(vocab.EQUIPMENT_CATEGORIES)
    assert check_password_hash(ctx.password_hash, DEMO_PASSWORD)
    assert db_session.scalar(sa.select(FundingAsk).where(FundingAsk.use_of_funds == "x"))
