"""Funding through HTTP: asks and decks, pitching, the deal pages' privacy, contact leaks."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk
from matchmaker.models.funding import Pitch, PitchDeck
from tests.factories import make_investor, make_pdf, make_startup, make_user

PDF = make_pdf()


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(
        EMBEDDING_MODEL="hashing", PITCH_DECK_MAX_BYTES=4096, FUNDING_PITCHES_PER_WEEK=2
    )


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": email, "password": "password123"})
    assert response.status_code == 302


def _world(db_session: Session) -> dict[str, Any]:
    founder = make_user(
        db_session,
        "founder",
        email="founder@sparkcell.cn",
        phone="+86 138 0000 1111",
        wechat_id="spark_founder",
        share_phone=True,  # each channel is shared only with its owner's consent
        share_wechat=True,
    )
    partner = make_user(
        db_session,
        "investor",
        email="partner@fund.cn",
        phone="+86 139 2222 3333",
        wechat_id="fund_partner",
        share_phone=True,
        share_wechat=True,
    )
    rival = make_user(db_session, "investor", email="rival@other.cn")
    startup = make_startup(db_session, founder, name="SparkCell")
    fund = make_investor(db_session, partner, name="Fits Capital")
    other_fund = make_investor(db_session, rival, name="Other Fund")
    out = {"startup": startup.id, "fund": fund.id, "other_fund": other_fund.id}
    db_session.rollback()
    return out


def _ask_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "round": "seed",
        "amount": "3000000",
        "currency": "CNY",
        "instrument": "equity",
        "use_of_funds": "Pilot line",
        "traction": "3 paying customers",
        "is_open": "y",
    }
    data.update(overrides)
    return data


def _deck_files(upload_dir: str) -> list[Path]:
    folder = Path(upload_dir) / "pitch_decks"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_create_ask_with_deck_and_deck_access(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    response = client.post(
        f"/funding/startups/{w['startup']}/asks/new",
        data=_ask_form(deck=(io.BytesIO(PDF), "Deck Final.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ask = db_session.scalar(sa.select(FundingAsk))
    deck = db_session.scalar(sa.select(PitchDeck))
    assert ask is not None and deck is not None and deck.original_name == "Deck Final.pdf"
    files = _deck_files(app.config["UPLOAD_DIR"])
    assert [f.name for f in files] == [deck.stored_name] and "Deck" not in deck.stored_name
    got = client.get(f"/funding/asks/{ask.id}/deck")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"

    _login(client, "partner@fund.cn")  # not pitched yet: no access
    assert client.get(f"/funding/asks/{ask.id}/deck").status_code == 403
    _login(client, "founder@sparkcell.cn")
    assert (
        client.post(f"/funding/asks/{ask.id}/pitch", data={"investor_ids": [w["fund"]]}).status_code
        == 302
    )
    _login(client, "partner@fund.cn")
    assert client.get(f"/funding/asks/{ask.id}/deck").status_code == 200
    _login(client, "rival@other.cn")
    assert client.get(f"/funding/asks/{ask.id}/deck").status_code == 403
    db_session.rollback()  # a fresh snapshot before writing
    make_user(db_session, "operator", email="ops@makerspace.cn")
    _login(client, "ops@makerspace.cn")
    got = client.get(f"/funding/asks/{ask.id}/deck")
    assert got.status_code == 200 and got.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/auth/logout")
    assert client.get(f"/funding/asks/{ask.id}/deck").status_code == 302  # to sign-in


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Hello, this is a Word document", b"must be a PDF"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, b"is a program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, b"is a program"),
        (PDF + b"\x00" * 5000, b"too large"),
    ],
    ids=["not-pdf", "renamed-exe", "renamed-elf", "too-large"],
)
def test_bad_uploads_refused_and_nothing_stored(
    app: Flask, client: FlaskClient, db_session: Session, content: bytes, message: bytes
) -> None:
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    response = client.post(
        f"/funding/startups/{w['startup']}/asks/new",
        data=_ask_form(deck=(io.BytesIO(content), "deck.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and message in response.data
    assert db_session.scalar(sa.select(sa.func.count(FundingAsk.id))) == 0
    assert _deck_files(app.config["UPLOAD_DIR"]) == []


def test_bad_deck_on_edit_keeps_the_old_deck(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    client.post(
        f"/funding/startups/{w['startup']}/asks/new",
        data=_ask_form(deck=(io.BytesIO(PDF), "a.pdf")),
        content_type="multipart/form-data",
    )
    ask_id = db_session.scalar(sa.select(FundingAsk.id))
    before = _deck_files(app.config["UPLOAD_DIR"])
    response = client.post(
        f"/funding/asks/{ask_id}/edit",
        data=_ask_form(amount="9", deck=(io.BytesIO(b"MZ" + PDF), "b.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    db_session.rollback()
    assert db_session.get(FundingAsk, ask_id).amount == Decimal("3000000")  # type: ignore[union-attr]
    assert _deck_files(app.config["UPLOAD_DIR"]) == before


def test_upload_over_the_request_limit_gets_413(
    make_app,
    db_session: Session,  # type: ignore[no-untyped-def]
) -> None:
    app = make_app(MAX_CONTENT_LENGTH=2048)
    client = app.test_client()
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    response = client.post(
        f"/funding/startups/{w['startup']}/asks/new",
        data=_ask_form(deck=(io.BytesIO(PDF + b"\x00" * 4096), "deck.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_ask_form_errors_and_strangers(client: FlaskClient, db_session: Session) -> None:
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    response = client.post(
        f"/funding/startups/{w['startup']}/asks/new", data=_ask_form(amount="-3")
    )
    assert response.status_code == 422 and b"positive" in response.data
    _login(client, "partner@fund.cn")
    assert client.get(f"/funding/startups/{w['startup']}/asks/new").status_code == 403
    assert db_session.scalar(sa.select(sa.func.count(FundingAsk.id))) == 0


def _ask_and_pitch(client: FlaskClient, db_session: Session, w: dict[str, Any]) -> tuple[int, int]:
    _login(client, "founder@sparkcell.cn")
    client.post(f"/funding/startups/{w['startup']}/asks/new", data=_ask_form())
    ask_id = db_session.scalar(sa.select(FundingAsk.id))
    assert ask_id is not None
    page = client.get(f"/funding/asks/{ask_id}")
    assert b"Fits Capital" in page.data and b"New energy" in page.data
    client.post(f"/funding/asks/{ask_id}/pitch", data={"investor_ids": [w["fund"]]})
    db_session.rollback()
    pitch_id = db_session.scalar(sa.select(Pitch.id))
    assert pitch_id is not None
    return ask_id, pitch_id


def test_weekly_limit_over_http(client: FlaskClient, db_session: Session) -> None:
    w = _world(db_session)
    extra = [make_investor(db_session).id for _ in range(2)]
    db_session.rollback()
    ask_id, _ = _ask_and_pitch(client, db_session, w)
    response = client.post(
        f"/funding/asks/{ask_id}/pitch", data={"investor_ids": [w["other_fund"], *extra]}
    )
    assert response.status_code == 429 and b"2 pitches a week" in response.data
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(Pitch.id))) == 1


def test_pipeline_privacy_over_http(client: FlaskClient, db_session: Session) -> None:
    w = _world(db_session)
    ask_id, pitch_id = _ask_and_pitch(client, db_session, w)
    _login(client, "partner@fund.cn")
    flow = client.get("/funding/deal-flow")
    assert flow.status_code == 200 and b"SparkCell" in flow.data
    assert (
        client.post(
            f"/funding/deals/{pitch_id}/notes", data={"body": "SECRET-NOTE valuation too high"}
        ).status_code
        == 302
    )
    assert b"SECRET-NOTE" in client.get(f"/funding/deals/{pitch_id}").data
    bad = client.post(f"/funding/deals/{pitch_id}/stage", data={"to_stage": "invested"})
    assert bad.status_code == 422
    client.post(f"/funding/deals/{pitch_id}/stage", data={"to_stage": "reviewing"})
    client.post(
        f"/funding/deals/{pitch_id}/stage",
        data={"to_stage": "passed", "pass_reason": "portfolio_conflict"},
    )
    csv = client.get(f"/funding/deal-flow/{w['fund']}/pipeline.csv")
    assert csv.status_code == 200 and b"SparkCell" in csv.data and b"SECRET" not in csv.data

    _login(client, "rival@other.cn")
    assert client.get(f"/funding/deals/{pitch_id}").status_code == 404
    assert client.post(f"/funding/deals/{pitch_id}/notes", data={"body": "x"}).status_code == 404
    assert (
        client.post(f"/funding/deals/{pitch_id}/stage", data={"to_stage": "meeting"}).status_code
        == 404
    )
    assert client.get(f"/funding/deal-flow/{w['fund']}/pipeline.csv").status_code == 404
    assert client.get(f"/funding/deal-flow?investor_id={w['fund']}").status_code == 404
    rival_flow = client.get("/funding/deal-flow?pipeline=all").get_data(as_text=True)
    assert (
        f"/funding/deals/{pitch_id}" not in rival_flow
        and 'data-testid="incoming-pitch"' not in rival_flow
    )

    _login(client, "founder@sparkcell.cn")
    assert client.get(f"/funding/deals/{pitch_id}").status_code == 404
    for url in ("/funding/", f"/funding/asks/{ask_id}", "/funding/introductions", "/"):
        body = client.get(url).data
        assert b"SECRET" not in body
    ask_page = client.get(f"/funding/asks/{ask_id}").data
    assert b"avoid a conflict of interest" in ask_page and b"Not proceeding" in ask_page
    assert b"Conflicts with a portfolio company" not in ask_page  # the fund's own wording


def test_contacts_hidden_until_both_accept(client: FlaskClient, db_session: Session) -> None:
    w = _world(db_session)
    ask_id, pitch_id = _ask_and_pitch(client, db_session, w)
    _login(client, "partner@fund.cn")
    client.post(f"/funding/deals/{pitch_id}/stage", data={"to_stage": "reviewing"})
    client.post(f"/funding/deals/{pitch_id}/stage", data={"to_stage": "meeting"})
    from matchmaker.models.funding import Introduction

    db_session.rollback()
    intro_id = db_session.scalar(sa.select(Introduction.id))
    assert intro_id is not None
    client.post(f"/funding/introductions/{intro_id}/accept")  # the fund says yes first

    founder_urls = [
        "/",
        "/funding/",
        f"/funding/asks/{ask_id}",
        "/funding/introductions",
        "/funding/api/introductions",
        f"/investors/{w['fund']}",
    ]
    partner_urls = [
        "/",
        "/funding/deal-flow",
        f"/funding/deals/{pitch_id}",
        "/funding/introductions",
        "/funding/api/introductions",
        f"/funding/deal-flow/{w['fund']}/pipeline.csv",
        f"/startups/{w['startup']}",
    ]
    other = {
        "founder": ["partner@fund.cn", "+86 139 2222 3333", "fund_partner"],
        "partner": ["founder@sparkcell.cn", "+86 138 0000 1111", "spark_founder"],
    }

    def leaked(urls: list[str], contacts: list[str]) -> list[tuple[str, str]]:
        out = []
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            out += [(url, c) for c in contacts if c in body]
        return out

    assert leaked(partner_urls, other["partner"]) == []
    _login(client, "founder@sparkcell.cn")
    assert leaked(founder_urls, other["founder"]) == []
    client.post(f"/funding/introductions/{intro_id}/accept")
    api = client.get("/funding/api/introductions").get_json()
    assert api["introductions"][0]["status"] == "accepted"
    assert {c["wechat_id"] for c in api["introductions"][0]["contacts"]} == {"fund_partner"}
    page = client.get("/funding/introductions").get_data(as_text=True)
    assert all(c in page for c in other["founder"])
    _login(client, "partner@fund.cn")
    page = client.get("/funding/introductions").get_data(as_text=True)
    assert all(c in page for c in other["partner"])
    _login(client, "rival@other.cn")
    assert (
        leaked(
            ["/funding/introductions", "/funding/api/introductions"],
            [*other["founder"], *other["partner"]],
        )
        == []
    )


def test_investor_requests_intro_to_recommended_startup(
    client: FlaskClient, db_session: Session
) -> None:
    w = _world(db_session)
    _login(client, "founder@sparkcell.cn")
    client.post(f"/funding/startups/{w['startup']}/asks/new", data=_ask_form())
    _login(client, "partner@fund.cn")
    flow = client.get("/funding/deal-flow").get_data(as_text=True)
    assert 'data-testid="recommended-startup"' in flow and "SparkCell" in flow
    response = client.post(
        "/funding/introductions/request",
        data={"startup_id": w["startup"], "investor_id": w["fund"], "side": "investor"},
    )
    assert response.status_code == 302
    # Asking in another fund's name is refused.
    _login(client, "rival@other.cn")
    response = client.post(
        "/funding/introductions/request",
        data={"startup_id": w["startup"], "investor_id": w["fund"], "side": "investor"},
    )
    assert response.status_code == 404


def test_nav_and_dashboard_panel(client: FlaskClient, db_session: Session) -> None:
    _world(db_session)
    _login(client, "founder@sparkcell.cn")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/funding/"' in home and 'data-testid="funding-panel"' in home
    _login(client, "partner@fund.cn")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/funding/deal-flow"' in home


def test_detail_page_sections(client: FlaskClient, db_session: Session) -> None:
    w = _world(db_session)
    bank = make_investor(
        db_session,
        name="Chongqing Rural Bank",
        type="bank",
        instruments=["debt"],
        loan_products="IP-pledge loans up to 5M CNY",
    )
    bank_id = bank.id
    db_session.rollback()
    _login(client, "founder@sparkcell.cn")
    client.post(f"/funding/startups/{w['startup']}/asks/new", data=_ask_form(instrument="debt"))
    page = client.get(f"/investors/{bank_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="funding-investor-section"' in text
    assert "IP-pledge loans up to 5M CNY" in text
    ask_id = db_session.scalar(sa.select(FundingAsk.id))
    ask_page = client.get(f"/funding/asks/{ask_id}").get_data(as_text=True)
    assert "Chongqing Rural Bank" in ask_page and "Loan products" in ask_page
    _login(client, "partner@fund.cn")
    page = client.get(f"/startups/{w['startup']}")
    assert page.status_code == 200
    assert 'data-testid="funding-startup-section"' in page.get_data(as_text=True)
