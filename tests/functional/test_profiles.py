"""Onboarding and profile editing through HTTP: every form saves good input, refuses bad input
without saving anything, and every edit route refuses the wrong user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    Investor,
    InvestorMember,
    Mentor,
    PortfolioEntry,
    Startup,
    StartupMember,
)
from matchmaker.models.memberships import InvestorInvitation, StartupInvitation
from matchmaker.services.accounts import profile_events
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


def _count(db_session: Session, model: type) -> int:
    db_session.rollback()  # end the read snapshot
    return db_session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def events() -> Any:
    seen: list[tuple[str, int]] = []

    def listener(kind: str, entity_id: int) -> None:
        seen.append((kind, entity_id))

    with profile_events.handled_by(listener):
        yield seen


STARTUP_FORM = {
    "name": "Cathode Labs",
    "one_liner": "Solid-state cathodes",
    "description": "高镍正极材料研发",
    "sectors": ["new_energy", "new_materials"],
    "stage": "prototype",
    "funding_round": "seed",
    "location": "Chongqing",
    "team_size": "6",
    "founded_on": "2024-03-01",
    "founder_backgrounds": ["returnee"],
    "languages": ["zh", "en"],
    "mentoring_topics": ["fundraising"],
    "services_needed": ["testing"],
    "funding_need_amount": "5000000",
    "funding_need_currency": "CNY",
    "funding_need_note": "Pilot line",
    "website": "https://cathode.example.com",
}


def _startup_form(**overrides: Any) -> dict[str, Any]:
    return {**STARTUP_FORM, **overrides}


# --- anonymous and onboarding -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/me/",
        "/me/startups/new",
        "/me/startups/1/edit",
        "/me/mentor",
        "/me/investors/new",
        "/me/investors/1/edit",
        "/me/facilities/new",
        "/me/facilities/1/edit",
        "/me/facilities/1/equipment/new",
        "/me/equipment/1/edit",
        "/me/portfolio/1/edit",
        "/me/mentors/1/edit",
    ],
)
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_anonymous_post_is_sent_to_login(client: FlaskClient, db_session: Session) -> None:
    response = client.post("/me/startups/new", data=_startup_form())
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _count(db_session, Startup) == 0


def test_onboarding_shows_each_role(client: FlaskClient, auth: Any, db_session: Session) -> None:
    user = make_user(
        db_session, "founder", "mentor", "investor", "facility_manager", email="all@example.com"
    )
    make_startup(db_session, user, name="My Own Startup")
    make_investor(db_session, user, name="My Own Fund")
    make_facility(db_session, user, name="My Own Lab")
    auth.login("all@example.com")
    page = client.get("/me/").get_data(as_text=True)
    for text in ("My Own Startup", "My Own Fund", "My Own Lab", "Create my mentor profile"):
        assert text in page
    assert "/me/startups/new" in page and "/me/investors/new" in page


def test_onboarding_founder_only(client: FlaskClient, auth: Any, db_session: Session) -> None:
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    page = client.get("/me/").get_data(as_text=True)
    assert 'data-testid="onboarding-startups"' in page
    assert 'data-testid="onboarding-investors"' not in page
    assert 'data-testid="onboarding-mentor"' not in page


# --- startups -----------------------------------------------------------------------------


def test_create_startup(client: FlaskClient, auth: Any, db_session: Session, events: Any) -> None:
    user = make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    assert client.get("/me/startups/new").status_code == 200
    response = client.post("/me/startups/new", data=_startup_form())
    assert response.status_code == 302
    db_session.rollback()
    startup = db_session.scalar(sa.select(Startup))
    assert startup is not None
    assert startup.name == "Cathode Labs"
    assert startup.sectors == ["new_energy", "new_materials"]
    assert startup.team_size == 6 and startup.founded_on.isoformat() == "2024-03-01"
    assert startup.funding_need_amount == Decimal("5000000")
    assert startup.services_needed == ["testing"] and startup.founder_backgrounds == ["returnee"]
    assert startup.description == "高镍正极材料研发"
    members = db_session.scalars(sa.select(StartupMember)).all()
    assert [m.user_id for m in members] == [user.id]
    assert events == [("startup", startup.id)]


def test_optional_amount_left_empty_is_no_error(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    """A browser sends an empty number input as "": that is no amount, not a bad number."""
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    form = _startup_form(funding_need_amount="", funding_need_note="")
    assert client.post("/me/startups/new", data=form).status_code == 302
    db_session.rollback()
    startup = db_session.scalar(sa.select(Startup))
    assert startup is not None and startup.funding_need_amount is None


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"name": ""}, "name"),
        ({"sectors": []}, "sectors"),
        ({"sectors": ["not_a_sector"]}, "sectors"),
        ({"stage": "unicorn"}, "stage"),
        ({"team_size": "0"}, "team_size"),
        ({"team_size": "many"}, "team_size"),
        ({"funding_need_amount": "-5"}, "funding_need_amount"),
        ({"founded_on": "2999-01-01"}, "founded_on"),
        ({"website": "not a url"}, "website"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_create_startup_bad_input_saves_nothing(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    events: Any,
    overrides: dict[str, Any],
    field_error: str,
) -> None:
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    response = client.post("/me/startups/new", data=_startup_form(**overrides))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert "invalid-feedback" in page
    assert _count(db_session, Startup) == 0
    assert _count(db_session, StartupMember) == 0
    assert events == []


def test_startup_error_is_translated(client: FlaskClient, auth: Any, db_session: Session) -> None:
    make_user(db_session, "founder", email="f@example.com", locale="zh_CN")
    auth.login("f@example.com")
    page = client.post("/me/startups/new", data=_startup_form(sectors=[])).get_data(as_text=True)
    assert "请至少选择一个行业" in page
    assert "未保存" in page


def test_edit_startup(client: FlaskClient, auth: Any, db_session: Session, events: Any) -> None:
    user = make_user(db_session, "founder", email="f@example.com")
    startup = make_startup(db_session, user, name="Old Name")
    auth.login("f@example.com")
    page = client.get(f"/me/startups/{startup.id}/edit").get_data(as_text=True)
    assert "Old Name" in page
    response = client.post(
        f"/me/startups/{startup.id}/edit", data=_startup_form(name="New Name", stage="pilot")
    )
    assert response.status_code == 302
    db_session.rollback()  # end the read snapshot
    startup = db_session.get(Startup, startup.id)
    assert startup.name == "New Name" and startup.stage == "pilot"
    assert events == [("startup", startup.id)]


def test_edit_startup_bad_input_changes_nothing(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    user = make_user(db_session, "founder", email="f@example.com")
    startup = make_startup(db_session, user, name="Old Name")
    auth.login("f@example.com")
    response = client.post(
        f"/me/startups/{startup.id}/edit", data=_startup_form(name="New", team_size="-1")
    )
    assert response.status_code == 200 and "Nothing was saved" in response.get_data(as_text=True)
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Startup, startup.id).name == "Old Name"


def test_edit_startup_permissions(client: FlaskClient, auth: Any, db_session: Session) -> None:
    owner = make_user(db_session, "founder")
    startup = make_startup(db_session, owner, name="Theirs")
    make_user(db_session, "founder", email="other@example.com")
    auth.login("other@example.com")
    assert client.get(f"/me/startups/{startup.id}/edit").status_code == 403
    response = client.post(f"/me/startups/{startup.id}/edit", data=_startup_form(name="Hacked"))
    assert response.status_code == 403
    assert client.get("/me/startups/9999/edit").status_code == 404
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Startup, startup.id).name == "Theirs"


def test_non_founder_cannot_create_startup(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    make_user(db_session, "mentor", email="m@example.com")
    auth.login("m@example.com")
    assert client.post("/me/startups/new", data=_startup_form()).status_code == 403
    assert _count(db_session, Startup) == 0


def test_operator_can_edit_any_startup(client: FlaskClient, auth: Any, db_session: Session) -> None:
    startup = make_startup(db_session, make_user(db_session, "founder"))
    make_user(db_session, "operator", email="op@example.com")
    auth.login("op@example.com")
    response = client.post(f"/me/startups/{startup.id}/edit", data=_startup_form(name="Fixed"))
    assert response.status_code == 302
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Startup, startup.id).name == "Fixed"


def test_startup_team_members(client: FlaskClient, auth: Any, db_session: Session) -> None:
    owner = make_user(db_session, "founder", email="f@example.com")
    mate = make_user(db_session, "founder", email="mate@example.com", display_name="Mate")
    startup = make_startup(db_session, owner)
    auth.login("f@example.com")
    url = f"/me/startups/{startup.id}/members"
    response = client.post(url, data={"email": "MATE@example.com", "title": "CTO"})
    assert response.status_code == 302
    assert _count(db_session, StartupMember) == 1  # invited, not joined
    # Malformed address or title: an error and nothing saved.
    for bad in ({"email": "not-an-email"}, {"email": "a@example.com", "title": "x" * 81}):
        response = client.post(url, data=bad)
        assert response.status_code == 200
        assert "invalid-feedback" in response.get_data(as_text=True)
    assert _count(db_session, StartupInvitation) == 1
    auth.logout()
    auth.login("mate@example.com")
    [invitation_id] = db_session.scalars(sa.select(StartupInvitation.id)).all()
    response = client.post(f"/me/invitations/startup/{invitation_id}/accept")
    assert response.status_code == 302
    assert _count(db_session, StartupMember) == 2
    # The teammate can now edit, and can be removed; the last member cannot.
    assert client.get(f"/me/startups/{startup.id}/edit").status_code == 200
    auth.logout()
    auth.login("f@example.com")
    response = client.post(f"/me/startups/{startup.id}/members/{mate.id}/remove")
    assert response.status_code == 302
    assert _count(db_session, StartupMember) == 1
    client.post(f"/me/startups/{startup.id}/members/{owner.id}/remove")
    assert _count(db_session, StartupMember) == 1


def test_startup_members_permissions(client: FlaskClient, auth: Any, db_session: Session) -> None:
    owner = make_user(db_session, "founder")
    startup = make_startup(db_session, owner)
    make_user(db_session, "founder", email="other@example.com")
    auth.login("other@example.com")
    url = f"/me/startups/{startup.id}/members"
    assert client.post(url, data={"email": "other@example.com"}).status_code == 403
    assert client.post(f"{url}/{owner.id}/remove").status_code == 403
    assert _count(db_session, StartupMember) == 1


# --- mentor profile -----------------------------------------------------------------------

MENTOR_FORM = {
    "kind": "technical_expert",
    "headline": "电池材料专家",
    "expertise": "XRD, electrochemistry",
    "sectors": ["new_energy"],
    "languages": ["zh"],
    "mentoring_topics": ["technology"],
    "organisation": "Chongqing University",
    "location": "Chongqing",
    "timezone": "Asia/Shanghai",
    "capacity_per_month": "6",
    "accepting_requests": "y",
}


def test_mentor_creates_and_edits_profile(
    client: FlaskClient, auth: Any, db_session: Session, events: Any
) -> None:
    user = make_user(db_session, "mentor", email="m@example.com")
    auth.login("m@example.com")
    assert client.get("/me/mentor").status_code == 200
    assert client.post("/me/mentor", data=MENTOR_FORM).status_code == 302
    db_session.rollback()
    mentor = db_session.scalar(sa.select(Mentor))
    assert mentor.user_id == user.id and mentor.capacity_per_month == 6
    assert mentor.accepting_requests is True and mentor.headline == "电池材料专家"
    data = {**MENTOR_FORM, "capacity_per_month": "0"}
    del data["accepting_requests"]  # an unchecked box is not sent
    assert client.post("/me/mentor", data=data).status_code == 302
    db_session.rollback()  # end the read snapshot
    db_session.rollback()
    mentor = db_session.scalar(sa.select(Mentor))
    assert mentor.capacity_per_month == 0 and mentor.accepting_requests is False
    assert _count(db_session, Mentor) == 1
    assert events == [("mentor", mentor.id), ("mentor", mentor.id)]


@pytest.mark.parametrize(
    "overrides",
    [
        {"capacity_per_month": "61"},
        {"capacity_per_month": "-1"},
        {"capacity_per_month": ""},
        {"kind": "wizard"},
        {"headline": ""},
        {"sectors": []},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_mentor_bad_input_saves_nothing(
    client: FlaskClient, auth: Any, db_session: Session, overrides: dict[str, Any]
) -> None:
    make_user(db_session, "mentor", email="m@example.com")
    auth.login("m@example.com")
    response = client.post("/me/mentor", data={**MENTOR_FORM, **overrides})
    assert response.status_code == 200
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert _count(db_session, Mentor) == 0


def test_mentor_edit_bad_input_changes_nothing(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    user = make_user(db_session, "mentor", email="m@example.com")
    make_mentor(db_session, user, capacity_per_month=4)
    auth.login("m@example.com")
    client.post("/me/mentor", data={**MENTOR_FORM, "capacity_per_month": "100"})
    db_session.rollback()  # end the read snapshot
    assert db_session.scalar(sa.select(Mentor)).capacity_per_month == 4


def test_mentor_page_needs_mentor_role(client: FlaskClient, auth: Any, db_session: Session) -> None:
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    assert client.get("/me/mentor").status_code == 403
    assert client.post("/me/mentor", data=MENTOR_FORM).status_code == 403
    assert _count(db_session, Mentor) == 0


def test_mentor_edits_only_own_profile(client: FlaskClient, auth: Any, db_session: Session) -> None:
    other = make_mentor(db_session, headline="Other mentor")
    make_user(db_session, "mentor", email="m@example.com")
    auth.login("m@example.com")
    client.post("/me/mentor", data=MENTOR_FORM)
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Mentor, other.id).headline == "Other mentor"
    assert _count(db_session, Mentor) == 2


# --- investors ----------------------------------------------------------------------------

INVESTOR_FORM = {
    "name": "重庆天使基金",
    "type": "government_guidance_fund",
    "thesis": "Early-stage hardware",
    "sectors": ["new_energy"],
    "stages": ["seed", "angel"],
    "ticket_min": "1000000",
    "ticket_max": "5000000",
    "currency": "CNY",
    "instruments": ["equity", "grant"],
    "regions": "Chongqing， Chengdu、西南",
    "location": "Chongqing",
    "website": "",
    "co_investment_requirements": "Match 1:1 with a private lead",
    "loan_products": "",
}


def test_create_and_edit_investor(
    client: FlaskClient, auth: Any, db_session: Session, events: Any
) -> None:
    user = make_user(db_session, "investor", email="i@example.com")
    auth.login("i@example.com")
    assert client.get("/me/investors/new").status_code == 200
    assert client.post("/me/investors/new", data=INVESTOR_FORM).status_code == 302
    db_session.rollback()
    investor = db_session.scalar(sa.select(Investor))
    assert investor.regions == ["Chongqing", "Chengdu", "西南"]
    assert investor.ticket_min == Decimal("1000000") and investor.instruments == ["equity", "grant"]
    assert investor.co_investment_requirements.startswith("Match")
    assert db_session.scalar(sa.select(InvestorMember.user_id)) == user.id
    page = client.get(f"/me/investors/{investor.id}/edit").get_data(as_text=True)
    assert "Chongqing, Chengdu, 西南" in page
    data = {**INVESTOR_FORM, "ticket_max": "9000000", "regions": "Chongqing"}
    assert client.post(f"/me/investors/{investor.id}/edit", data=data).status_code == 302
    db_session.rollback()  # end the read snapshot
    investor = db_session.get(Investor, investor.id)
    assert investor.ticket_max == Decimal("9000000") and investor.regions == ["Chongqing"]
    assert events == [("investor", investor.id)] * 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"ticket_min": "5000000", "ticket_max": "1000000"},
        {"ticket_min": "-1"},
        {"type": "loan_shark"},
        {"name": ""},
        {"instruments": ["magic"]},
        {"stages": ["z"]},
        {"regions": "a|b"},
    ],
)
def test_investor_bad_input_saves_nothing(
    client: FlaskClient, auth: Any, db_session: Session, overrides: dict[str, Any]
) -> None:
    make_user(db_session, "investor", email="i@example.com")
    auth.login("i@example.com")
    response = client.post("/me/investors/new", data={**INVESTOR_FORM, **overrides})
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert _count(db_session, Investor) == 0
    assert _count(db_session, InvestorMember) == 0


def test_ticket_range_error_on_edit(client: FlaskClient, auth: Any, db_session: Session) -> None:
    user = make_user(db_session, "investor", email="i@example.com")
    investor = make_investor(db_session, user)
    auth.login("i@example.com")
    data = {**INVESTOR_FORM, "ticket_min": "9", "ticket_max": "1"}
    page = client.post(f"/me/investors/{investor.id}/edit", data=data).get_data(as_text=True)
    assert "cannot be larger than the maximum" in page
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Investor, investor.id).ticket_min == Decimal("1000000")


def test_investor_permissions(client: FlaskClient, auth: Any, db_session: Session) -> None:
    investor = make_investor(db_session, make_user(db_session, "investor"), name="Theirs")
    entry_id = investor.portfolio[0].id
    make_user(db_session, "investor", email="other@example.com")
    auth.login("other@example.com")
    assert client.get(f"/me/investors/{investor.id}/edit").status_code == 403
    assert client.post(f"/me/investors/{investor.id}/edit", data=INVESTOR_FORM).status_code == 403
    assert (
        client.post(f"/me/investors/{investor.id}/portfolio", data={"company": "X"}).status_code
        == 403
    )
    assert client.get(f"/me/portfolio/{entry_id}/edit").status_code == 403
    assert client.post(f"/me/portfolio/{entry_id}/remove").status_code == 403
    assert (
        client.post(
            f"/me/investors/{investor.id}/members", data={"email": "other@example.com"}
        ).status_code
        == 403
    )
    assert client.get("/me/investors/9999/edit").status_code == 404
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Investor, investor.id).name == "Theirs"
    assert _count(db_session, PortfolioEntry) == 1
    assert _count(db_session, InvestorMember) == 1


def test_non_investor_cannot_create_fund(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    assert client.post("/me/investors/new", data=INVESTOR_FORM).status_code == 403
    assert _count(db_session, Investor) == 0


def test_portfolio_add_edit_remove(
    client: FlaskClient, auth: Any, db_session: Session, events: Any
) -> None:
    user = make_user(db_session, "investor", email="i@example.com")
    investor = make_investor(db_session, user)
    auth.login("i@example.com")
    url = f"/me/investors/{investor.id}/portfolio"
    data = {"company": "Sodium Co", "sector": "new_energy", "round": "a", "year": "2022"}
    assert client.post(url, data=data).status_code == 302
    assert _count(db_session, PortfolioEntry) == 2
    for bad in ({"company": ""}, {"company": "X", "year": "1700"}, {"company": "X", "round": "q"}):
        response = client.post(url, data=bad)
        assert response.status_code == 200
        assert "invalid-feedback" in response.get_data(as_text=True)
    assert _count(db_session, PortfolioEntry) == 2
    db_session.rollback()
    entry = db_session.scalar(
        sa.select(PortfolioEntry).where(PortfolioEntry.company == "Sodium Co")
    )
    assert client.get(f"/me/portfolio/{entry.id}/edit").status_code == 200
    response = client.post(
        f"/me/portfolio/{entry.id}/edit", data={**data, "company": "Sodium Cells"}
    )
    assert response.status_code == 302
    response = client.post(f"/me/portfolio/{entry.id}/edit", data={**data, "year": "abc"})
    assert response.status_code == 200
    db_session.rollback()  # end the read snapshot
    assert db_session.get(PortfolioEntry, entry.id).company == "Sodium Cells"
    assert client.post(f"/me/portfolio/{entry.id}/remove").status_code == 302
    assert _count(db_session, PortfolioEntry) == 1
    assert events == [("investor", investor.id)] * 3


def test_investor_members(client: FlaskClient, auth: Any, db_session: Session) -> None:
    user = make_user(db_session, "investor", email="i@example.com")
    partner = make_user(db_session, "investor", email="p@example.com")
    investor = make_investor(db_session, user)
    auth.login("i@example.com")
    url = f"/me/investors/{investor.id}/members"
    assert client.post(url, data={"email": "p@example.com", "title": "VP"}).status_code == 302
    assert client.post(url, data={"email": "ghost@example.com"}).status_code == 302
    assert _count(db_session, InvestorMember) == 1
    page = client.get(f"/me/investors/{investor.id}/edit").get_data(as_text=True)
    assert "p@example.com" in page and "ghost@example.com" in page  # pending, as typed
    auth.logout()
    auth.login("p@example.com")
    [invitation_id] = db_session.scalars(
        sa.select(InvestorInvitation.id).where(InvestorInvitation.email == "p@example.com")
    ).all()
    assert client.post(f"/me/invitations/investor/{invitation_id}/accept").status_code == 302
    assert _count(db_session, InvestorMember) == 2
    assert client.post(f"{url}/{partner.id}/remove").status_code == 302
    assert _count(db_session, InvestorMember) == 1


# --- facilities and equipment -------------------------------------------------------------

FACILITY_FORM = {
    "name": "西南材料测试中心",
    "kind": "university_lab",
    "description": "Materials characterisation",
    "address": "174 Shazheng St",
    "location": "Chongqing",
    "opening_hours": "Mon-Fri",
    "contact_email": "lab@example.com",
}

EQUIPMENT_FORM = {
    "name": "扫描电子显微镜",
    "category": "testing",
    "model_specs": "Zeiss Sigma 300",
    "description": "SEM imaging",
    "price_per_hour": "450.50",
    "voucher_eligible": "y",
    "booking_mode": "approval",
}


def test_facility_and_equipment(
    client: FlaskClient, auth: Any, db_session: Session, events: Any
) -> None:
    user = make_user(db_session, "facility_manager", email="fm@example.com")
    auth.login("fm@example.com")
    assert client.post("/me/facilities/new", data=FACILITY_FORM).status_code == 302
    db_session.rollback()
    facility = db_session.scalar(sa.select(Facility))
    assert facility.name == "西南材料测试中心"
    assert db_session.scalar(sa.select(FacilityManager.user_id)) == user.id
    assert client.get(f"/me/facilities/{facility.id}/equipment/new").status_code == 200
    response = client.post(f"/me/facilities/{facility.id}/equipment/new", data=EQUIPMENT_FORM)
    assert response.status_code == 302
    db_session.rollback()
    equipment = db_session.scalar(sa.select(Equipment))
    assert equipment.price_per_hour == Decimal("450.50") and equipment.voucher_eligible
    assert equipment.booking_mode == "approval" and not equipment.training_required
    data = {**EQUIPMENT_FORM, "price_per_hour": "500", "training_required": "y"}
    assert client.post(f"/me/equipment/{equipment.id}/edit", data=data).status_code == 302
    assert (
        client.post(f"/me/equipment/{equipment.id}/active", data={"active": "0"}).status_code == 302
    )
    db_session.rollback()  # end the read snapshot
    equipment = db_session.get(Equipment, equipment.id)
    assert equipment.price_per_hour == Decimal("500") and equipment.training_required
    assert equipment.is_active is False
    page = client.get(f"/me/facilities/{facility.id}/edit").get_data(as_text=True)
    assert "扫描电子显微镜" in page
    data = {**FACILITY_FORM, "name": "Renamed lab"}
    assert client.post(f"/me/facilities/{facility.id}/edit", data=data).status_code == 302
    assert events == [("equipment", equipment.id)] * 4


@pytest.mark.parametrize(
    "overrides",
    [{"name": ""}, {"kind": "garage"}, {"contact_email": "nope"}],
)
def test_facility_bad_input_saves_nothing(
    client: FlaskClient, auth: Any, db_session: Session, overrides: dict[str, Any]
) -> None:
    make_user(db_session, "facility_manager", email="fm@example.com")
    auth.login("fm@example.com")
    response = client.post("/me/facilities/new", data={**FACILITY_FORM, **overrides})
    assert response.status_code == 200 and "Nothing was saved" in response.get_data(as_text=True)
    assert _count(db_session, Facility) == 0
    assert _count(db_session, FacilityManager) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"price_per_hour": "-1"},
        {"price_per_hour": ""},
        {"price_per_hour": "cheap"},
        {"category": "magic"},
        {"booking_mode": "whenever"},
        {"name": ""},
    ],
)
def test_equipment_bad_input_saves_nothing(
    client: FlaskClient, auth: Any, db_session: Session, overrides: dict[str, Any]
) -> None:
    user = make_user(db_session, "facility_manager", email="fm@example.com")
    facility = make_facility(db_session, user)
    equipment = make_equipment(db_session, facility, name="Kept")
    auth.login("fm@example.com")
    data = {**EQUIPMENT_FORM, **overrides}
    response = client.post(f"/me/facilities/{facility.id}/equipment/new", data=data)
    assert response.status_code == 200 and "Nothing was saved" in response.get_data(as_text=True)
    response = client.post(f"/me/equipment/{equipment.id}/edit", data=data)
    assert response.status_code == 200
    assert _count(db_session, Equipment) == 1
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Equipment, equipment.id).name == "Kept"


def test_facility_permissions(client: FlaskClient, auth: Any, db_session: Session) -> None:
    facility = make_facility(db_session, make_user(db_session, "facility_manager"), name="Theirs")
    equipment = make_equipment(db_session, facility, name="Their XRD")
    make_user(db_session, "facility_manager", email="other@example.com")
    auth.login("other@example.com")
    assert client.get(f"/me/facilities/{facility.id}/edit").status_code == 403
    assert client.post(f"/me/facilities/{facility.id}/edit", data=FACILITY_FORM).status_code == 403
    assert client.get(f"/me/facilities/{facility.id}/equipment/new").status_code == 403
    assert (
        client.post(f"/me/facilities/{facility.id}/equipment/new", data=EQUIPMENT_FORM).status_code
        == 403
    )
    assert client.get(f"/me/equipment/{equipment.id}/edit").status_code == 403
    assert (
        client.post(f"/me/equipment/{equipment.id}/active", data={"active": "0"}).status_code == 403
    )
    assert client.get("/me/facilities/9999/edit").status_code == 404
    assert client.get("/me/equipment/9999/edit").status_code == 404
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Facility, facility.id).name == "Theirs"
    assert db_session.get(Equipment, equipment.id).is_active
    assert _count(db_session, Equipment) == 1


def test_non_manager_cannot_create_facility(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    make_user(db_session, "founder", email="f@example.com")
    auth.login("f@example.com")
    assert client.post("/me/facilities/new", data=FACILITY_FORM).status_code == 403
    assert _count(db_session, Facility) == 0


def test_forms_render_in_chinese(client: FlaskClient, auth: Any, db_session: Session) -> None:
    user = make_user(
        db_session,
        "founder",
        "mentor",
        "investor",
        "facility_manager",
        email="a@example.com",
        locale="zh_CN",
    )
    investor = make_investor(db_session, user)
    facility = make_facility(db_session, user)
    auth.login("a@example.com")
    for path, text in [
        ("/me/", "我的资料"),
        ("/me/startups/new", "新能源"),
        ("/me/mentor", "技术专家"),
        (f"/me/investors/{investor.id}/edit", "政府引导基金"),
        (f"/me/facilities/{facility.id}/equipment/new", "检验检测"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.get_data(as_text=True), path


def test_operator_edits_a_mentor_profile(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    mentor = make_mentor(db_session, headline="Old headline")
    make_user(db_session, "mentor", email="m@example.com")
    make_user(db_session, "operator", email="op@example.com")
    url = f"/me/mentors/{mentor.id}/edit"
    auth.login("m@example.com")
    assert client.get(url).status_code == 403
    assert client.post(url, data=MENTOR_FORM).status_code == 403
    auth.logout()
    auth.login("op@example.com")
    assert f'href="{url}"' in client.get(f"/mentors/{mentor.id}").get_data(as_text=True)
    assert client.post(url, data={**MENTOR_FORM, "capacity_per_month": "99"}).status_code == 200
    assert client.post(url, data={**MENTOR_FORM, "headline": "Fixed"}).status_code == 302
    assert client.get("/me/mentors/9999/edit").status_code == 404
    db_session.rollback()  # end the read snapshot
    assert db_session.get(Mentor, mentor.id).headline == "Fixed"
    assert _count(db_session, Mentor) == 1
