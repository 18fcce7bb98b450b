"""Investors by fit, the same on every page a founder sees (issue 13 item 4, issue 16 item 5).

The funds are the demo's twenty, written out as the demo writes them; the engine runs (hashing
embedder, so no model loads). Round, ticket, instrument, region and sector filter through one
function: the dashboard, the pathway and the ask page never disagree, and before an ask exists
the startup's round and stated funding need stand in for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.demo.tables import INVESTORS
from matchmaker.models import FundingAsk, Investor, Startup, User
from matchmaker.models.investors import InvestorType
from matchmaker.services.api import own_data
from matchmaker.services.funding.matching import investor_fits, need_for
from matchmaker.services.recommendations import engines
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_startup, make_user

WAN = 10_000
LIANGJIANG_FUND = "两江新区产业引导基金"  # Pre-A to B, ¥20 M - ¥100 M
SEED_GUIDANCE_FUND = "重庆市科技创业种子投资引导基金"
RURAL_BANK = "重庆农村商业银行·科技支行"
INTL_BANK = "Chongqing Tech Finance Bank (International Desk)"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app(EMBEDDING_MODEL="hashing")
    engines.forget_engines()


@pytest.fixture
def funds(db_session: Session) -> dict[str, int]:
    """The demo investors (profiles only: no members, no portfolio)."""
    out = {}
    for spec in INVESTORS:
        low, high = spec["ticket"]
        investor = Investor(
            name=spec["name"],
            type=spec["type"],
            thesis=spec["thesis"],
            sectors=list(spec["sectors"]),
            stages=list(spec["stages"]),
            ticket_min=Decimal(low),
            ticket_max=Decimal(high),
            currency=spec.get("currency", "CNY"),
            instruments=list(spec["instruments"]),
            regions=list(spec["regions"]),
            location=spec["location"],
            co_investment_requirements=spec.get("co_investment_requirements", ""),
            loan_products=spec.get("loan_products", ""),
        )
        db_session.add(investor)
        db_session.flush()
        out[spec["name"]] = investor.id
    db_session.commit()
    return out


def _founder_startup(db_session: Session, locale: str = "en", **fields: object) -> Startup:
    founder = make_user(db_session, "founder", locale=locale, email="founder@example.com")
    values: dict[str, object] = {
        "name": "星火传感",
        "one_liner": "工业传感器与边缘计算模组",
        "description": "为汽车零部件工厂提供振动传感器和边缘计算网关，需要种子轮资金完成样机。",
        "sectors": ["electronic_information"],
        "stage": "prototype",
        "funding_round": "none",
        "location": "重庆两江新区",
        "funding_need_amount": Decimal(300 * WAN),  # a ¥3 M seed need
        "funding_need_currency": "CNY",
    }
    values.update(fields)
    return make_startup(db_session, founder, **values)


def _ask(db_session: Session, startup: Startup, **fields: object) -> FundingAsk:
    values: dict[str, object] = {
        "round": "seed",
        "amount": Decimal(300 * WAN),
        "currency": "CNY",
        "instrument": "equity",
    }
    values.update(fields)
    ask = FundingAsk(startup_id=startup.id, **values)
    db_session.add(ask)
    db_session.commit()
    return ask


def _panel_investors(html: str, testid: str = "reco-investors") -> set[int]:
    """Investor ids linked inside one dashboard group (up to the next group)."""
    start = html.index(f'data-testid="{testid}"')
    end = html.find('data-testid="reco-', start + 10)
    chunk = html[start : end if end > 0 else len(html)]
    return {int(i) for i in re.findall(r'href="/investors/(\d+)"', chunk)}


def _ask_page_investors(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'name="investor_ids" value="(\d+)"', html)}


def _fitting(db_session: Session, startup_id: int, ask: FundingAsk | None) -> set[int]:
    db_session.expire_all()
    startup = db_session.get(Startup, startup_id)
    assert startup is not None
    need = need_for(startup, ask)
    investors = db_session.query(Investor).all()
    return {i.id for i in investors if investor_fits(i, need, startup)}


def test_before_an_ask_the_stated_need_filters_dashboard_and_pathway(
    client: FlaskClient, auth, db_session: Session, funds: dict[str, int]
) -> None:
    startup = _founder_startup(db_session)
    fitting = _fitting(db_session, startup.id, None)
    assert funds[LIANGJIANG_FUND] not in fitting  # Pre-A, ¥20 M minimum: not for ¥3 M seed
    assert funds[SEED_GUIDANCE_FUND] in fitting
    auth.login("founder@example.com")

    dashboard = client.get("/").get_data(as_text=True)
    shown = _panel_investors(dashboard)
    assert shown and shown <= fitting
    assert funds[LIANGJIANG_FUND] not in shown
    # The reason says what stood in for the ask: the need the founder stated.
    assert "Your stated funding need fits their ticket size: 3,000,000" in dashboard

    html = client.get(f"/pathway/{startup.id}").get_data(as_text=True)
    found = re.search(
        r'data-testid="suggestion-investor">.*?href="/investors/(\d+)"', html, re.DOTALL
    )
    assert found is not None and int(found.group(1)) in fitting


def test_dashboard_never_recommends_a_fund_the_ask_page_rejects(
    app: Flask,
    client: FlaskClient,
    auth,
    db_session: Session,
    funds: dict[str, int],
    command_caller: Caller,
) -> None:
    # Raising an angel round of ¥6 M: the ¥0.5-2 M angels and ¥10 M+ VCs are out by ticket.
    startup = _founder_startup(db_session, funding_round="seed")
    ask = _ask(db_session, startup, round="angel", amount=Decimal(600 * WAN))
    auth.login("founder@example.com")
    on_ask_page = _ask_page_investors(client.get(f"/funding/asks/{ask.id}").get_data(as_text=True))
    assert on_ask_page == _fitting(db_session, startup.id, ask)
    shown = _panel_investors(client.get("/").get_data(as_text=True))
    assert shown and shown <= on_ask_page
    # The open data API's "own recommendations" are the dashboard's funds, by the same filter.
    founder_id = db_session.scalar(sa.select(User.id).where(User.email == "founder@example.com"))
    assert founder_id is not None
    with app.app_context():
        own = own_data.recommendations(db_session, founder_id, caller=command_caller)
    by_api = {m.id for _, _, m in own if m.kind == "investor"}
    assert by_api and by_api <= on_ask_page


@pytest.mark.parametrize(
    ("instrument", "round_", "amount", "location", "expected", "not_expected"),
    [
        # A startup subsidy: the seed guidance fund grants from ¥50,000.
        ("grant", "seed", 20 * WAN, "重庆渝北区", {SEED_GUIDANCE_FUND}, {RURAL_BANK}),
        # A convertible at angel: both Chongqing banks lend convertibly; no equity-only VC.
        ("convertible", "angel", 300 * WAN, "重庆渝中区", {RURAL_BANK, INTL_BANK}, set()),
        # A plain loan: banks, never an equity-only fund.
        ("debt", "seed", 15 * WAN, "重庆渝中区", {RURAL_BANK}, {SEED_GUIDANCE_FUND}),
        # 投贷联动: the guidance fund and the bank that link loans to an equity round.
        (
            "investment_loan",
            "pre_a",
            800 * WAN,
            "重庆两江新区",
            {SEED_GUIDANCE_FUND, RURAL_BANK},
            {"嘉陵创新创业投资基金"},
        ),
    ],
)
def test_grants_and_debt_find_guidance_funds_and_banks(
    client: FlaskClient,
    auth,
    db_session: Session,
    funds: dict[str, int],
    instrument: str,
    round_: str,
    amount: int,
    location: str,
    expected: set[str],
    not_expected: set[str],
) -> None:
    startup = _founder_startup(db_session, location=location)
    ask = _ask(db_session, startup, round=round_, amount=Decimal(amount), instrument=instrument)
    auth.login("founder@example.com")
    html = client.get(f"/funding/asks/{ask.id}").get_data(as_text=True)
    names = {n for n, i in funds.items() if i in _ask_page_investors(html)}
    assert expected <= names
    assert not names & not_expected
    equity_only = {spec["name"] for spec in INVESTORS if set(spec["instruments"]) == {"equity"}}
    assert not names & equity_only


def test_investment_loan_is_its_own_instrument_in_both_languages(
    client: FlaskClient, auth, db_session: Session, funds: dict[str, int]
) -> None:
    startup = _founder_startup(db_session, locale="zh_CN", location="重庆两江新区")
    auth.login("founder@example.com")
    form = client.get(f"/funding/startups/{startup.id}/asks/new").get_data(as_text=True)
    assert re.search(r'<option value="investment_loan">投贷联动</option>', form)
    assert '<option value="equity_debt">股债结合</option>' in form
    response = client.post(
        f"/funding/startups/{startup.id}/asks/new",
        data={
            "round": "pre_a",
            "amount": "8000000",
            "currency": "CNY",
            "instrument": "investment_loan",
            "use_of_funds": "样机量产",
            "traction": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert RURAL_BANK in html and SEED_GUIDANCE_FUND in html
    assert "投贷联动" in html  # the instrument the fund offers, in the founder's words
    # The same founder reading English sees the English name of the instrument.
    founder = db_session.get(User, startup.members[0].user_id)
    assert founder is not None
    founder.locale = "en"
    db_session.commit()
    form = client.get(f"/funding/startups/{startup.id}/asks/new").get_data(as_text=True)
    assert (
        '<option value="investment_loan">Investment-loan linkage (equity round plus linked loan)'
        "</option>" in form
    )


def test_investor_types_are_the_vocabulary_codes() -> None:
    """``InvestorType`` names the codes ``vocab.INVESTOR_TYPES`` labels, no more, no fewer."""
    assert set(InvestorType) == set(vocab.INVESTOR_TYPES)
