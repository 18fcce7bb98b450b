"""Recommendations as users see them: dashboard panels, startup-page sections, the search page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations import engines
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app(EMBEDDING_MODEL="hashing")
    engines.forget_engines()


@pytest.fixture
def world(db_session: Session) -> dict:
    founder = make_user(db_session, "founder", locale="en", email="founder@example.com")
    startup = make_startup(db_session, founder, name="Cathode Labs")
    other = make_startup(db_session, name="Anode Works", description="Silicon anodes for EV cells.")
    mentor_user = make_user(db_session, "mentor", locale="zh_CN", email="mentor@example.com")
    mentor = make_mentor(db_session, mentor_user)
    lawyer = make_mentor(
        db_session,
        kind="lawyer",
        headline="专利律师",
        expertise="专利申请、知识产权保护",
        sectors=["internet"],
        mentoring_topics=["legal_ip"],
    )
    partner = make_user(db_session, "investor", locale="en", email="partner@example.com")
    fund = make_investor(db_session, partner, name="Seed Battery Fund")
    lab = make_facility(db_session, name="Materials Lab")
    xrd = make_equipment(db_session, lab)
    db_session.add(
        FundingAsk(startup_id=startup.id, round="seed", amount=Decimal("3000000"), currency="CNY")
    )
    db_session.commit()
    return {
        "founder": founder,
        "startup": startup,
        "other": other,
        "mentor": mentor,
        "lawyer": lawyer,
        "fund": fund,
        "xrd": xrd,
    }


def test_founder_dashboard_recommends_mentors_investors_equipment(
    client: FlaskClient, auth, world: dict
) -> None:
    auth.login("founder@example.com")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="reco-founder"' in html
    assert "Recommended for Cathode Labs" in html
    assert f'href="/mentors/{world["mentor"].id}"' in html
    assert f'href="/investors/{world["fund"].id}"' in html
    assert f'href="/equipment/{world["xrd"].id}"' in html
    assert "Shared sectors: New energy, New materials" in html
    assert "Invests in your round: Seed" in html


def test_reasons_in_chinese(client: FlaskClient, auth, world: dict, db_session: Session) -> None:
    world["founder"].locale = "zh_CN"
    db_session.commit()
    auth.login("founder@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "共同领域：新能源、新材料" in html
    assert "投资于您所在的轮次：种子轮" in html


def test_mentor_and_investor_see_deal_flow(client: FlaskClient, auth, world: dict) -> None:
    auth.login("mentor@example.com")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="reco-mentor"' in html
    assert f'href="/startups/{world["startup"].id}"' in html
    auth.logout()
    auth.login("partner@example.com")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="reco-investor"' in html
    assert f'href="/startups/{world["startup"].id}"' in html
    assert "Raising a round you invest in: Seed" in html


def test_startup_page_sections(client: FlaskClient, auth, world: dict) -> None:
    url = f"/startups/{world['startup'].id}"
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="reco-similar"' in html
    assert f'href="/startups/{world["other"].id}"' in html
    assert 'data-testid="reco-for-startup"' not in html  # only for its members
    auth.login("partner@example.com")
    assert 'data-testid="reco-for-startup"' not in client.get(url).get_data(as_text=True)
    auth.logout()
    auth.login("founder@example.com")
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="reco-for-startup"' in html
    assert f'href="/mentors/{world["mentor"].id}"' in html


def test_search_page(client: FlaskClient, world: dict, app: Flask) -> None:
    with app.test_request_context():
        from flask import url_for

        assert url_for("search.index") == "/search"
    empty = client.get("/search")
    assert empty.status_code == 200 and 'data-testid="results"' not in empty.get_data(as_text=True)
    html = client.get("/search", query_string={"q": "XRD testing for a battery cathode"}).get_data(
        as_text=True
    )
    assert 'data-testid="results"' in html
    first = html.index('data-testid="match"')
    assert f'data-id="{world["xrd"].id}"' in html[first : first + 120]
    html = client.get("/search", query_string={"q": "专利律师", "kind": "mentor"}).get_data(
        as_text=True
    )
    assert f'href="/mentors/{world["lawyer"].id}"' in html
    assert f'href="/equipment/{world["xrd"].id}"' not in html
    assert "匹配词" in html  # reasons in the default language (Chinese)
    none = client.get("/search", query_string={"q": "zzzqqq"}).get_data(as_text=True)
    assert 'data-testid="empty"' in none


def test_engine_failure_does_not_break_the_dashboard(
    client: FlaskClient, auth, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine down")

    monkeypatch.setattr(reco, "recommend_mentors", broken)
    auth.login("founder@example.com")
    response = client.get("/")
    assert response.status_code == 200
    assert "Recommendations are unavailable right now." in response.get_data(as_text=True)


def test_reason_texts_in_both_languages(app: Flask) -> None:
    from flask_babel import force_locale

    from matchmaker.recommend.reasons import Reason
    from matchmaker.web.recommendations.reasons import reason_texts

    reasons = [
        Reason("shared_sectors", {"sectors": ["new_energy"]}),
        Reason("matched_terms", {"terms": ["过", "与销", "XRD", "正极"]}),
        Reason("free_capacity", {"left": 2}),
        Reason("not_a_code", {}),
        Reason("matched_terms", {"terms": ["过"]}),  # nothing readable left: dropped
    ]
    with app.test_request_context():
        with force_locale("en"):
            assert reason_texts(reasons, limit=10) == [
                "Shared sectors: New energy",
                "Matched phrases: XRD, 正极",
                "Sessions free this month: 2",
            ]
            assert reason_texts(reasons, viewer="candidate", limit=10)[-1] != (
                "Sessions free this month: 2"
            )
        with force_locale("zh_CN"):
            assert reason_texts(reasons, limit=2) == [
                "共同领域：新能源",
                "匹配词：XRD、正极",
            ]


def test_named_in_profile_reason_speaks_to_each_side(app: Flask) -> None:
    from flask_babel import force_locale

    from matchmaker.recommend.reasons import Reason
    from matchmaker.web.recommendations.reasons import reason_texts

    named = [Reason("named_in_profile", {"name": "红杉资本"})]
    with app.test_request_context():
        with force_locale("en"):
            assert reason_texts(named) == ["Named in your profile: 红杉资本"]
            assert reason_texts(named, viewer="candidate") == ["Their profile names you"]
        with force_locale("zh_CN"):
            assert reason_texts(named) == ["您的简介中提到：红杉资本"]
            assert reason_texts(named, viewer="candidate") == ["对方简介中提到了您"]


def test_on_record_reason_says_which_tie_to_each_side(app: Flask) -> None:
    from flask_babel import force_locale

    from matchmaker.recommend.reasons import Reason
    from matchmaker.web.recommendations.reasons import reason_texts

    fund = [Reason("on_record", {"kind": "investor"})]
    mentor = [Reason("on_record", {"kind": "mentor"})]
    with app.test_request_context():
        with force_locale("en"):
            assert reason_texts(fund) == ["Invested in your startup"]
            assert reason_texts(mentor) == ["Mentored your startup"]
            assert reason_texts(fund, viewer="candidate") == ["You invested in this startup"]
        with force_locale("zh_CN"):
            assert reason_texts(fund) == ["已投资您的项目"]
            assert reason_texts(mentor, viewer="candidate") == ["您曾辅导该项目"]
