"""Every POST form, fuzzed: hostile input never gets a 500, and a refused post stores nothing.

The world is the demo dataset (every role, with its startup, fund, sessions, bookings...), loaded
once for the module. Each POST route of ``app.url_map`` has a spec below: the role that can reach
it, the ids of its URL and a valid form. Two passes per route:

- every payload class (empty, 1 MB, NUL and other control characters, emoji and RTL, HTML/JS,
  SQL metacharacters, NaN/inf/negative/huge numbers, bad dates, 20-digit ids) in every field at
  once;
- hypothesis: one field at a time, with the payload classes and random text around them.

"Refused" means a status other than a redirect, or a redirect with an error flashed; then the
row count of every table must be unchanged. ``test_every_post_route_is_fuzzed`` fails when a
POST route has no spec, so the coverage cannot shrink silently.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.database import make_engine
from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
from matchmaker.extensions import db
from matchmaker.models import (
    Base,
    Equipment,
    FacilityManager,
    FundingAsk,
    InvestorMember,
    Mentor,
    PortfolioEntry,
    StartupMember,
    User,
)
from matchmaker.models.bookings import (
    AvailabilityException,
    AvailabilityWindow,
    EquipmentBooking,
    EquipmentTraining,
    WaitlistEntry,
)
from matchmaker.models.funding import Introduction, Pitch
from matchmaker.models.mentoring import MentorSession, WeeklySlot
from matchmaker.models.operator import Policy
from tests.conftest import _empty_all_tables, app_settings
from tests.factories import make_user

MB = "x" * (1024 * 1024)
PAYLOADS: dict[str, str] = {
    "empty": "",
    "1mb": MB,
    "nul": "abc\x00def",
    "control": "a\x01\x07\x1b\x1fb",
    "emoji_rtl": "🚀👩🏽‍🔬🇨🇳 \u202eمرحبا\u202c עברית",
    "html_js": '<script>alert("x")</script>"><img src=x onerror=alert(1)>',
    "sql": "' OR 1=1; DROP TABLE users; --",
    "nan": "NaN",
    "inf": "-Infinity",
    "negative": "-1",
    "huge": "1e309",
    "id20": "12345678901234567890",
    "superscript": "²",
    "bad_date": "2026-02-30",
    "bad_time": "25:61",
    "bad_datetime": "9999-99-99T99:99",
}
REFUSAL_FLASHES = {"danger", "warning", "error"}
TODAY = date.today()


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    ids: dict[str, int]
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    engine: Any = None

    def client(self, role: str) -> FlaskClient:
        if role not in self.clients:
            client = self.app.test_client()
            if role != "anonymous":
                email = DEMO_LOGINS.get(role) or f"fuzz.{role}@example.com"
                response = client.post(
                    "/auth/login", data={"email": email, "password": DEMO_PASSWORD}
                )
                assert response.status_code == 302, role
            self.clients[role] = client
        return self.clients[role]

    def counts(self) -> tuple[int, ...]:
        tables = [t.name for t in Base.metadata.sorted_tables]
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
        with self.engine.connect() as conn:
            return tuple(conn.exec_driver_sql(sql).one())


def _first(session: Session, query: Any) -> int:
    value = session.scalar(query.limit(1))
    assert value is not None, str(query)
    return int(value)


def _ids(session: Session) -> dict[str, int]:
    users = {
        role: _first(session, sa.select(User.id).where(User.email == email))
        for role, email in DEMO_LOGINS.items()
    }
    founder, investor, mentor_user, manager = (
        users["founder"], users["investor"], users["mentor"], users["facility_manager"]
    )  # fmt: skip
    startup = _first(
        session, sa.select(StartupMember.startup_id).where(StartupMember.user_id == founder)
    )
    fund = _first(
        session, sa.select(InvestorMember.investor_id).where(InvestorMember.user_id == investor)
    )
    mentor = _first(session, sa.select(Mentor.id).where(Mentor.user_id == mentor_user))
    facility = _first(
        session, sa.select(FacilityManager.facility_id).where(FacilityManager.user_id == manager)
    )
    equipment = _first(session, sa.select(Equipment.id).where(Equipment.facility_id == facility))
    # Rows of their own for the routes that delete or deactivate, so the world stays usable.
    spare_user = make_user(session, "founder", email="fuzz.spare@example.com")
    password_user = make_user(session, "founder", email="fuzz.password@example.com")
    password_user.set_password(DEMO_PASSWORD)
    ask = session.scalar(sa.select(FundingAsk.id).where(FundingAsk.startup_id == startup))
    if ask is None:
        row = FundingAsk(startup_id=startup, round="seed", amount=1000000, currency="CNY")
        session.add(row)
        session.flush()
        ask = row.id
    starts = datetime.combine(TODAY + timedelta(days=3), time(2))
    waitlist = WaitlistEntry(
        equipment_id=equipment, startup_id=startup, user_id=founder,
        starts_at=starts, ends_at=starts + timedelta(hours=1),
    )  # fmt: skip
    session.add_all([waitlist, EquipmentTraining(
        equipment_id=equipment, user_id=spare_user.id, valid_until=TODAY + timedelta(days=90)
    )])  # fmt: skip
    spare_entry = PortfolioEntry(investor_id=fund, company="Spare Co", description="")
    session.add(spare_entry)
    session.add(StartupMember(startup_id=startup, user_id=spare_user.id, title="Spare"))
    session.add(InvestorMember(investor_id=fund, user_id=spare_user.id, title="Spare"))
    session.commit()
    booking_query = sa.select(EquipmentBooking.id).where(EquipmentBooking.equipment_id.in_(
        sa.select(Equipment.id).where(Equipment.facility_id == facility)
    ))  # fmt: skip
    return {
        **{f"user_{role}": uid for role, uid in users.items()},
        "startup": startup,
        "fund": fund,
        "mentor": mentor,
        "facility": facility,
        "equipment": equipment,
        "ask": ask,
        "spare_user": spare_user.id,
        "spare_entry": spare_entry.id,
        "portfolio_entry": _first(
            session, sa.select(PortfolioEntry.id).where(PortfolioEntry.investor_id == fund)
        ),
        "pitch": _first(session, sa.select(Pitch.id).where(Pitch.investor_id == fund)),
        "intro": _first(session, sa.select(Introduction.id)),
        "session": _first(
            session, sa.select(MentorSession.id).where(MentorSession.mentor_id == mentor)
        ),
        "weekly_slot": _first(
            session, sa.select(WeeklySlot.id).where(WeeklySlot.mentor_id == mentor)
        ),
        "booking": _first(session, booking_query.order_by(EquipmentBooking.id.desc())),
        "window": _first(
            session,
            sa.select(AvailabilityWindow.id).where(AvailabilityWindow.equipment_id == equipment),
        ),
        "exception": _first(session, sa.select(AvailabilityException.id)),
        "training": _first(
            session,
            sa.select(EquipmentTraining.id).where(EquipmentTraining.user_id == spare_user.id),
        ),
        "waitlist": waitlist.id,
        "policy": _first(session, sa.select(Policy.id)),
    }


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[World]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                **app_settings(database_url, Path(tmp)),
                "EMBEDDING_MODEL": "hashing",
                "FUNDING_USE_ENGINE": False,
                "OPERATOR_PATHWAY_ENGINE": False,
            }
        )
        engine = make_engine(database_url)
        if engine.dialect.name == "sqlite":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        with app.app_context(), Session(engine) as session:
            assert load_demo_data(session) is not None
            ids = _ids(session)
        made = World(app=app, ids=ids, engine=engine)
        try:
            yield made
        finally:
            with app.app_context():
                for bound in db.engines.values():
                    bound.dispose()
            engine.dispose()
            _empty_all_tables(database_url)


# --- what each POST route is ----------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    role: str
    url: dict[str, str]  # URL argument -> world id name (or a literal prefixed with "=")
    data: dict[str, Any]  # a valid form; every key is fuzzed
    # Fields whose refusal the view reports on a page it renders after a redirect (flash),
    # or posts that legitimately store nothing even on success.
    notes: str = ""


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


STARTUP = {
    "name": "Fuzz Robotics", "one_liner": "Arms", "description": "We build arms.",
    "sectors": "new_energy", "stage": "prototype", "funding_round": "seed",
    "location": "Chongqing", "team_size": "5", "founded_on": "2024-01-01",
    "languages": "zh", "funding_need_amount": "1000000", "funding_need_currency": "CNY",
    "funding_need_note": "Seed", "website": "https://example.com",
}  # fmt: skip
MENTOR = {
    "kind": "technical_expert", "headline": "Expert", "expertise": "XRD",
    "sectors": "new_energy", "languages": "zh", "organisation": "CQU",
    "location": "Chongqing", "timezone": "Asia/Shanghai", "capacity_per_month": "4",
    "accepting_requests": "y",
}  # fmt: skip
INVESTOR = {
    "name": "Fuzz Fund", "type": "vc", "thesis": "Energy", "sectors": "new_energy",
    "stages": "seed", "ticket_min": "1000", "ticket_max": "2000", "currency": "CNY",
    "instruments": "equity", "regions": "Chongqing", "location": "Chongqing",
    "website": "https://example.com", "co_investment_requirements": "", "loan_products": "",
}  # fmt: skip
FACILITY = {
    "name": "Fuzz Lab", "kind": "university_lab", "description": "Lab", "address": "Road 1",
    "location": "Chongqing", "opening_hours": "9-18", "contact_email": "lab@example.com",
}  # fmt: skip
EQUIPMENT = {
    "name": "Fuzz XRD", "category": "testing", "model_specs": "D8", "description": "XRD",
    "price_per_hour": "300", "voucher_eligible": "y", "booking_mode": "instant",
}  # fmt: skip
POLICY = {
    "title_zh": "政策", "title_en": "Policy", "issuer_zh": "", "issuer_en": "",
    "document_number": "1", "kind": "subsidy", "summary_zh": "", "summary_en": "",
    "full_text_zh": "", "full_text_en": "", "sectors": "new_energy", "locations": "Chongqing",
    "max_company_age_years": "5", "max_team_size": "50", "benefit_amount": "100000",
    "benefit_currency": "CNY", "deadline": _day(60),
}  # fmt: skip
ASK = {
    "round": "seed", "amount": "3000000", "currency": "CNY", "instrument": "equity",
    "use_of_funds": "Pilot", "traction": "3 customers", "is_open": "y",
}  # fmt: skip
MEMBER = {"email": "fuzz.spare@example.com", "title": "CTO"}
SLOT = {"startup_id": "startup", "day": _day(400), "start": "10:00", "minutes": "60"}

SPECS: dict[str, Spec] = {
    # accounts
    "auth.register": Spec(
        "anonymous",
        {},
        {
            "display_name": "Fuzz",
            "email": "fuzz.new@example.com",
            "password": "password123",
            "confirm": "password123",
            "roles": "founder",
            "locale": "en",
        },
    ),
    "auth.login": Spec("anonymous", {}, {"email": "nobody@example.com", "password": "x"}),
    "auth.logout": Spec("anonymous", {}, {"next": "/"}),
    "auth.change_password": Spec(
        "password",
        {},
        {
            "current_password": "wrong-password",
            "new_password": "password456",
            "confirm": "password456",
        },
        notes="a wrong current password: a fuzzed success would sign the client out",
    ),
    "auth.set_language": Spec("founder", {}, {"locale": "en", "next": "/"}),
    "admin.set_user_active": Spec("operator", {"user_id": "spare_user"}, {"active": "1"}),
    "admin.set_profile_active": Spec(
        "operator", {"kind": "=startup", "entity_id": "startup"}, {"active": "1"}
    ),
    "notifications.mark_read": Spec("founder", {}, {"id": "1", "link": "/"}),
    # profiles
    "profiles.new_startup": Spec("founder", {}, STARTUP),
    "profiles.edit_startup": Spec("founder", {"startup_id": "startup"}, STARTUP),
    "profiles.add_startup_member": Spec("founder", {"startup_id": "startup"}, MEMBER),
    "profiles.remove_startup_member": Spec(
        "founder", {"startup_id": "startup", "user_id": "spare_user"}, {}
    ),
    "profiles.withdraw_startup_invitation": Spec(
        "founder", {"startup_id": "startup", "invitation_id": "=1"}, {}
    ),
    "profiles.answer_invitation": Spec(
        "founder", {"kind": "=startup", "invitation_id": "=1", "answer": "=accept"}, {}
    ),
    "profiles.save_contact_channels": Spec(
        "founder",
        {},
        {"phone": "+86 138 0000 0000", "share_phone": "y", "wechat_id": "fuzz_founder"},
    ),
    "profiles.edit_mentor": Spec("mentor", {}, MENTOR),
    "profiles.edit_mentor_profile": Spec("mentor", {"mentor_id": "mentor"}, MENTOR),
    "profiles.new_investor": Spec("investor", {}, INVESTOR),
    "profiles.edit_investor": Spec("investor", {"investor_id": "fund"}, INVESTOR),
    "profiles.add_portfolio_entry": Spec(
        "investor",
        {"investor_id": "fund"},
        {
            "company": "Volt",
            "description": "Cells",
            "sector": "new_energy",
            "round": "seed",
            "year": "2023",
        },
    ),
    "profiles.edit_portfolio_entry": Spec(
        "investor",
        {"entry_id": "portfolio_entry"},
        {
            "company": "Volt",
            "description": "Cells",
            "sector": "new_energy",
            "round": "seed",
            "year": "2023",
        },
    ),
    "profiles.remove_portfolio_entry": Spec("investor", {"entry_id": "spare_entry"}, {}),
    "profiles.add_investor_member": Spec("investor", {"investor_id": "fund"}, MEMBER),
    "profiles.remove_investor_member": Spec(
        "investor", {"investor_id": "fund", "user_id": "spare_user"}, {}
    ),
    "profiles.withdraw_investor_invitation": Spec(
        "investor", {"investor_id": "fund", "invitation_id": "=1"}, {}
    ),
    "profiles.new_facility": Spec("facility_manager", {}, FACILITY),
    "profiles.edit_facility": Spec("facility_manager", {"facility_id": "facility"}, FACILITY),
    "profiles.new_equipment": Spec("facility_manager", {"facility_id": "facility"}, EQUIPMENT),
    "profiles.edit_equipment": Spec("facility_manager", {"equipment_id": "equipment"}, EQUIPMENT),
    "profiles.set_equipment_active": Spec(
        "facility_manager", {"equipment_id": "equipment"}, {"active": "1"}
    ),
    # mentoring
    "mentoring.request_session": Spec(
        "founder",
        {"mentor_id": "mentor"},
        {
            "startup_id": "startup",
            "topic": "technology",
            "goal": "Review our XRD plan",
            "slots": f"{_day(30)}T10:00",
            "follow_up_of": "",
        },
    ),
    "mentoring.save_settings": Spec(
        "mentor",
        {},
        {
            "timezone": "Asia/Shanghai",
            "capacity_per_month": "4",
            "accepting_requests": "y",
        },
    ),
    "mentoring.add_weekly": Spec(
        "mentor",
        {},
        {
            "weekday": "2",
            "start_time": "09:00",
            "duration_minutes": "60",
        },
    ),
    "mentoring.add_opening": Spec(
        "mentor",
        {},
        {
            "starts_at": f"{_day(20)}T09:00",
            "duration_minutes": "60",
        },
    ),
    "mentoring.add_blackout": Spec("mentor", {}, {"day": _day(25), "note": "Away"}),
    "mentoring.remove_availability": Spec(
        "mentor", {"kind": "=weekly", "entry_id": "weekly_slot"}, {}
    ),
    "mentoring.session_action": Spec(
        "mentor",
        {"session_id": "session", "action": "=review"},
        {
            "rating": "5",
            "notes": "Good",
            "follow_up_actions": "Ship",
            "wants_follow_up": "y",
        },
    ),
    "mentoring.issue_calendar_token": Spec("mentor", {}, {}),
    "mentoring.revoke_calendar_token": Spec("mentor", {}, {}),
    "mentoring.office_hours": Spec(
        "operator",
        {},
        {
            "day": _day(7),
            "topic": "strategy",
            "startups": "startup",
            "mentors": "mentor",
            "action": "preview",
        },
    ),
    # funding
    "funding.new_ask": Spec("founder", {"startup_id": "startup"}, ASK),
    "funding.edit_ask": Spec("founder", {"ask_id": "ask"}, ASK),
    "funding.send_pitch": Spec(
        "founder",
        {"ask_id": "ask"},
        {
            "investor_ids": "fund",
            "message": "Hello",
        },
    ),
    "funding.add_note": Spec("investor", {"pitch_id": "pitch"}, {"body": "Looks good"}),
    "funding.set_meeting": Spec(
        "investor",
        {"pitch_id": "pitch"},
        {
            "starts_at": f"{_day(30)}T10:00",
            "minutes": "60",
            "place": "Room 1",
            "url": "https://meet.example/x",
        },
    ),
    "funding.post_pitch_message": Spec(
        "investor", {"pitch_id": "pitch"}, {"kind": "question", "body": "Gross margin?"}
    ),
    "funding.move": Spec(
        "investor",
        {"pitch_id": "pitch"},
        {
            "to_stage": "passed",
            "pass_reason": "too_early",
        },
    ),
    "funding.request_intro": Spec(
        "investor",
        {},
        {
            "startup_id": "startup",
            "investor_id": "fund",
            "side": "investor",
            "message": "Hi",
        },
    ),
    "funding.answer_intro": Spec("investor", {"intro_id": "intro", "answer": "=decline"}, {}),
    # facilities
    "facilities.book": Spec(
        "founder",
        {"equipment_id": "equipment"},
        {
            **SLOT,
            "weeks": "1",
            "voucher_id": "0",
            "purpose": "XRD",
        },
    ),
    "facilities.join_waitlist": Spec("founder", {"equipment_id": "equipment"}, SLOT),
    "facilities.propose": Spec(
        "founder",
        {},
        {
            "need": "XRD of cathode powder",
            "category": "testing",
            "startup_id": "startup",
        },
    ),
    "facilities.cancel": Spec("facility_manager", {"booking_id": "booking"}, {}),
    "facilities.approve": Spec("facility_manager", {"booking_id": "booking"}, {}),
    "facilities.decline": Spec("facility_manager", {"booking_id": "booking"}, {"reason": "Full"}),
    "facilities.check_in": Spec("facility_manager", {"booking_id": "booking"}, {}),
    "facilities.record_usage": Spec(
        "facility_manager", {"booking_id": "booking"}, {"actual_minutes": "30"}
    ),
    "facilities.no_show": Spec("facility_manager", {"booking_id": "booking"}, {}),
    "facilities.accept_offer": Spec("founder", {"entry_id": "waitlist"}, {"voucher_id": "0"}),
    "facilities.leave_waitlist": Spec("founder", {"entry_id": "waitlist"}, {}),
    "facilities.add_window": Spec(
        "facility_manager",
        {"equipment_id": "equipment"},
        {
            "weekdays": "5",
            "start_time": "09:00",
            "end_time": "12:00",
        },
    ),
    "facilities.delete_window": Spec("facility_manager", {"window_id": "window"}, {"next": ""}),
    "facilities.add_exception": Spec(
        "facility_manager",
        {"equipment_id": "equipment"},
        {
            "kind": "blackout",
            "day": _day(40),
            "start_time": "09:00",
            "end_day": "",
            "end_time": "12:00",
            "note": "Service",
        },
    ),
    "facilities.delete_exception": Spec(
        "facility_manager", {"exception_id": "exception"}, {"next": ""}
    ),
    "facilities.save_rules": Spec(
        "facility_manager",
        {"equipment_id": "equipment"},
        {
            "booking_mode": "instant",
            "min_minutes": "30",
            "max_minutes": "240",
            "granularity_minutes": "30",
            "buffer_minutes": "0",
            "lead_time_minutes": "60",
            "horizon_days": "60",
            "weekly_quota_hours": "10",
            "cancel_notice_hours": "24",
        },
    ),
    "facilities.grant_training": Spec(
        "facility_manager",
        {"equipment_id": "equipment"},
        {
            "email": "fuzz.spare@example.com",
            "valid_until": _day(90),
        },
    ),
    "facilities.revoke_training": Spec("facility_manager", {"training_id": "training"}, {}),
    "facilities.issue_voucher": Spec(
        "operator",
        {},
        {
            "startup_id": "startup",
            "amount": "500",
            "valid_from": _day(0),
            "valid_until": _day(90),
            "categories": "testing",
            "note": "Q3",
        },
    ),
    # operator
    "operator.new_policy": Spec("operator", {}, POLICY),
    "operator.edit_policy": Spec("operator", {"policy_id": "policy"}, POLICY),
    "operator.publish_policy": Spec("operator", {"policy_id": "policy"}, {"publish": "1"}),
    "operator.seed": Spec("operator", {}, {}),
    # Queues the annual report's job (run at once here); the year is in the query string.
    "operator.request_report": Spec("operator", {"year": "=2026"}, {}),
    "operator.residency": Spec("operator", {"startup_id": "startup"}, {"resident": "1"}),
    "operator.new_support": Spec(
        "operator",
        {},
        {
            "startup_id": "startup",
            "kind": "subsidy",
            "policy_id": "0",
            "amount": "1000",
            "granted_on": _day(-1),
            "description": "Grant",
            "note": "Internal",
        },
    ),
    "operator.import_page": Spec("operator", {}, {"kind": "startup"}),
    "api_tokens.create": Spec(
        "operator", {}, {"name": "City BI", "scopes": "statistics", "user_email": ""}
    ),
    "api_tokens.revoke": Spec("operator", {"token_id": "=1"}, {}),
    "resource_map.facility_location": Spec(
        "facility_manager",
        {"facility_id": "facility"},
        {"district": "渝北区", "latitude": "29.6", "longitude": "106.5"},
    ),
    "subsidies.save": Spec(
        "operator",
        {},
        {
            "year": "2025",
            "rate_per_hour": "100",
            "rate_per_voucher_yuan": "0.3",
            "cap_per_instrument": "20000",
            "cap_per_facility": "50000",
            "min_utilisation_percent": "10",
            "reward_count": "3",
            "note": "Rule",
        },
    ),
    "operator.confirm_import": Spec(
        "operator",
        {},
        {
            "kind": "startup",
            "token": "0" * 32,
            "filename": "a.csv",
        },
    ),
}
ID_FIELDS = {"startup_id": "startup", "investor_ids": "fund", "investor_id": "fund",
             "startups": "startup", "mentors": "mentor"}  # fmt: skip


def _post_routes(app: Flask) -> dict[str, str]:
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
    }


def _url(world: World, endpoint: str, spec: Spec) -> str:
    values = {
        name: (ref[1:] if ref.startswith("=") else world.ids[ref]) for name, ref in spec.url.items()
    }
    with world.app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _valid(world: World, spec: Spec) -> dict[str, Any]:
    data = dict(spec.data)
    for name, ref in ID_FIELDS.items():
        if data.get(name) == ref:
            data[name] = str(world.ids[ref])
    return data


@dataclass
class Outcome:
    status: int
    refused: bool


def _post(world: World, spec: Spec, url: str, data: dict[str, Any], what: str) -> Outcome:
    client = world.client(spec.role)  # "password": an account of its own (fuzz.password@)
    before = world.counts()
    try:
        response = client.post(url, data=data)
    except Exception as exc:  # TESTING propagates errors: report them like a 500
        raise AssertionError(f"500 ({type(exc).__name__}: {exc}) on {url} with {what}") from exc
    assert response.status_code != 500, f"500 on {url} with {what}"
    with client.session_transaction() as state:
        flashes = state.pop("_flashes", [])
    # Success is a redirect (post/redirect/get), or 201 where the page shows a secret once (a new
    # API token) and must not redirect it through the session.
    succeeded = response.status_code in (201, 302)
    refused = not succeeded or any(c in REFUSAL_FLASHES for c, _ in flashes)
    if refused:
        assert world.counts() == before, f"refused ({response.status_code}) but stored: {what}"
    return Outcome(response.status_code, refused)


# --- the tests ----------------------------------------------------------------------------------


def test_every_post_route_is_fuzzed(world: World) -> None:
    routes = _post_routes(world.app)
    missing = sorted(set(routes) - set(SPECS))
    assert not missing, f"POST routes without a fuzz spec: {missing}"
    stale = sorted(set(SPECS) - set(routes))
    assert not stale, f"fuzz specs for routes that no longer exist: {stale}"
    covered = sorted(set(routes) & set(SPECS))
    print(f"fuzzed {len(covered)} POST routes: {', '.join(covered)}")
    assert len(covered) >= 60


@pytest.mark.parametrize("endpoint", sorted(SPECS))
def test_every_payload_in_every_field(world: World, endpoint: str) -> None:
    spec = SPECS[endpoint]
    url = _url(world, endpoint, spec)
    valid = _valid(world, spec)
    fields = list(valid) or ["unexpected"]
    for name, payload in PAYLOADS.items():
        _post(world, spec, url, {**valid, **dict.fromkeys(fields, payload)}, f"{name} everywhere")


def _payloads() -> st.SearchStrategy[str]:
    fixed = st.sampled_from(list(PAYLOADS.values()))
    hostile = st.text(
        alphabet=st.characters(
            codec="utf-8", categories=("Cc", "Cf", "Lo", "Nd", "No", "P", "S", "Zs")
        ),
        max_size=40,
    )
    numbers = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )
    mixed = st.tuples(fixed, hostile).map(lambda pair: pair[1] + pair[0][:100] + pair[1])
    return st.one_of(fixed, hostile, numbers, mixed)


@pytest.mark.parametrize("endpoint", sorted(SPECS))
def test_one_field_at_a_time(world: World, endpoint: str) -> None:
    spec = SPECS[endpoint]
    url = _url(world, endpoint, spec)
    valid = _valid(world, spec)
    fields = list(valid) or ["unexpected"]

    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(name=st.sampled_from(fields), payload=_payloads())
    def run(name: str, payload: str) -> None:
        _post(world, spec, url, {**valid, name: payload}, f"{name}={payload[:80]!r}")

    run()


def test_refusals_say_why_in_the_users_language(world: World) -> None:
    """The three 500s of issue 11 (NUL on PostgreSQL, NaN amounts, 20-digit id filters) are
    now refusals a user can read, in their language, with nothing stored."""
    founder, investor, operator = (world.client(r) for r in ("founder", "investor", "operator"))
    before = world.counts()
    startup_url = f"/me/startups/{world.ids['startup']}/edit"
    for locale, words in (("en", "invisible control characters"), ("zh_CN", "不可见的控制字符")):
        founder.post("/auth/language", data={"locale": locale})
        response = founder.post(startup_url, data={**STARTUP, "description": "a\x00b"})
        assert response.status_code == 400 and words in response.get_data(as_text=True)
        response = founder.get("/startups?q=a%00b")
        assert response.status_code == 400 and words in response.get_data(as_text=True)
    fund_url = f"/me/investors/{world.ids['fund']}/edit"
    for locale, words, too_large in (
        ("en", "Enter a number (not NaN or infinity)", "This number is too large"),
        ("zh_CN", "不能是 NaN", "数字太大"),
    ):
        investor.post("/auth/language", data={"locale": locale})
        for bad in ("NaN", "sNaN", "Infinity", "-inf", "1e20"):
            response = investor.post(fund_url, data={**INVESTOR, "ticket_min": bad})
            assert response.status_code in (200, 422), bad
            expected = too_large if bad == "1e20" else words  # issue 16: a number too large
            assert expected in response.get_data(as_text=True), bad
    huge = "12345678901234567890"
    for client, url in (
        (founder, f"/facilities?facility={huge}"),
        (founder, "/facilities?facility=²"),
        (founder, "/startups?page=²"),
        (operator, f"/admin/users?page={huge}"),
        (founder, f"/facilities/?facility_id={huge}"),
        (founder, "/facilities/?max_price=NaN"),
        (investor, f"/funding/deal-flow?investor_id={huge}"),
        (operator, f"/operator/reports?facility_id={huge}&year={huge}"),
        (operator, f"/operator/support/new?startup_id={huge}"),
        (operator, f"/disclosure/?year={huge}"),
    ):
        assert client.get(url).status_code == 200, url
    for url in (f"/startups/{huge}", f"/facilities/bookings/{huge}", f"/policies/{huge}"):
        assert founder.get(url).status_code == 404, url  # no route matches, not a 500
    assert world.counts() == before
