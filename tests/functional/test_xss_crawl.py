"""Stored XSS, crawled: with an HTML payload in every free-text column, no page renders it raw.

The demo dataset gives every role its startup, fund, sessions, bookings, policies and messages;
then every free-text column of every table (names, descriptions, notes, messages, titles, lists
of places...) is overwritten with a payload that breaks out of text and of quoted attributes.
Every GET route of ``app.url_map`` is then fetched with real ids, as each role and anonymously,
and no HTML page may contain the payload's raw markup; list and search pages are also fetched
with the payload in their filters (reflected XSS). Each column gets a payload of its own,
so a failure names the column that leaked and the page that leaked it.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
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
    StartupMember,
    User,
)
from matchmaker.models.base import CodeList
from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.models.funding import Pitch
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import Policy
from tests.conftest import _empty_all_tables, app_settings

# Columns that are not free text (codes, states, secrets, addresses the tests sign in with).
NOT_TEXT = {
    "email", "password_hash", "session_version", "calendar_token", "locale", "slug", "code",
    "stored_name", "timezone", "link",
}  # fmt: skip
MIN_LENGTH = 40  # shorter String columns hold codes (kind, stage, status, currency...)
ROLES = ["anonymous", *DEMO_LOGINS]
FILTERS = ("q", "location", "sector", "stage", "round", "category", "kind", "status", "role",
           "start", "end", "week", "day", "first", "last", "pipeline", "topic", "next")  # fmt: skip
RAW = re.compile(r"<svg onload=alert\((\d+)\)>|<script>alert\((\d+)\)</script>")


def payload(n: int, room: int | None) -> str:
    full = f"\"'><svg onload=alert({n})><script>alert({n})</script>"
    return full if room is None or room >= len(full) else f"<svg onload=alert({n})>"


def _text_columns() -> list[tuple[str, str, int | None, bool]]:
    """(table, column, length, is a list) of every free-text column."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name in NOT_TEXT or column.name.endswith("_id"):
                continue
            if column.name in ("regions", "locations") and isinstance(column.type, CodeList):
                found.append((table.name, column.name, None, True))
            elif type(column.type) in (sa.String, sa.Text):
                length = getattr(column.type, "length", None)
                if length is None or length >= MIN_LENGTH:
                    found.append((table.name, column.name, length, False))
    return found


@dataclass
class Crawl:
    app: Flask
    planted: dict[int, str]  # payload number -> "table.column"
    args: dict[str, list[Any]]


def _one(session: Session, query: Any) -> Any:
    return session.scalar(query.limit(1))


def _ids(session: Session) -> dict[str, list[Any]]:
    user = {
        role: _one(session, sa.select(User.id).where(User.email == email))
        for role, email in DEMO_LOGINS.items()
    }
    startup = _one(
        session, sa.select(StartupMember.startup_id).where(StartupMember.user_id == user["founder"])
    )
    fund = _one(
        session,
        sa.select(InvestorMember.investor_id).where(InvestorMember.user_id == user["investor"]),
    )
    mentor = _one(session, sa.select(Mentor.id).where(Mentor.user_id == user["mentor"]))
    facility = _one(
        session,
        sa.select(FacilityManager.facility_id).where(
            FacilityManager.user_id == user["facility_manager"]
        ),
    )
    equipment = _one(session, sa.select(Equipment.id).where(Equipment.facility_id == facility))
    booking = _one(
        session,
        sa.select(EquipmentBooking.id).where(EquipmentBooking.equipment_id == equipment),
    )
    founder_booking = _one(
        session, sa.select(EquipmentBooking.id).where(EquipmentBooking.startup_id == startup)
    )
    mentor_session = _one(
        session, sa.select(MentorSession.id).where(MentorSession.mentor_id == mentor)
    )
    founder_session = _one(
        session, sa.select(MentorSession.id).where(MentorSession.startup_id == startup)
    )
    pitch = _one(session, sa.select(Pitch.id).where(Pitch.investor_id == fund))
    ask = _one(session, sa.select(FundingAsk.id).where(FundingAsk.startup_id == startup))
    voucher_startup = _one(session, sa.select(Voucher.startup_id))
    return {
        "startup_id": [startup, voucher_startup],
        "investor_id": [fund],
        "mentor_id": [mentor],
        "facility_id": [facility],
        "equipment_id": [equipment],
        "booking_id": [booking, founder_booking],
        "session_id": [mentor_session, founder_session],
        "pitch_id": [pitch],
        "ask_id": [ask],
        "policy_id": [_one(session, sa.select(Policy.id))],
        "year": [2026],
        "user_id": [user["founder"]],
        "entry_id": [1],
    }


def _plant(session: Session) -> dict[int, str]:
    planted: dict[int, str] = {0: "query string"}
    for n, (table, column, length, is_list) in enumerate(_text_columns(), start=1):
        text = payload(n, length)
        value = f"|{text}|" if is_list else text
        session.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :v'), {"v": value})
        planted[n] = f"{table}.{column}"
    session.commit()
    return planted


@pytest.fixture(scope="module")
def crawl(database_url: str) -> Iterator[Crawl]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                **app_settings(database_url, Path(tmp)),
                "EMBEDDING_MODEL": "hashing",
            }
        )
        engine = make_engine(database_url)
        try:
            with app.app_context(), Session(engine) as session:
                assert load_demo_data(session) is not None
                args = _ids(session)
                planted = _plant(session)
            yield Crawl(app=app, planted=planted, args=args)
        finally:
            with app.app_context():
                for bound in db.engines.values():
                    bound.dispose()
            engine.dispose()
            _empty_all_tables(database_url)


def _get_urls(app: Flask, args: dict[str, list[Any]]) -> list[str]:
    urls: list[str] = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
                continue
            if rule.endpoint in ("operator.export", "operator.import_template"):
                continue  # downloads (CSV/Excel), not pages: tests/integration/test_exports_guard
            if rule.arguments - set(args):
                fixed = {"kind": "startup", "fmt": "csv", "token": "none"}
                if rule.arguments - set(args) - set(fixed):
                    raise AssertionError(f"no id for {rule.rule}: add it to _ids")
            values: dict[str, list[Any]] = {
                name: args.get(name) or [{"kind": "startup", "fmt": "csv", "token": "none"}[name]]
                for name in rule.arguments
            }
            combos: list[dict[str, Any]] = [{}]
            for name, options in values.items():
                combos = [{**c, name: o} for c in combos for o in options if o is not None]
            for combo in combos:
                urls.append(url_for(rule.endpoint, **combo))
            if not rule.arguments:  # list and search pages: the payload reflected from filters
                urls.append(url_for(rule.endpoint, **dict.fromkeys(FILTERS, payload(0, None))))
    return sorted(set(urls))


def _client(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        response = client.post(
            "/auth/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, role
    return client


def test_payloads_are_planted_in_every_text_column(crawl: Crawl) -> None:
    columns = set(crawl.planted.values())
    for expected in (
        "startups.name",
        "startups.description",
        "investors.regions",
        "operator_policies.locations",
        "users.display_name",
        "mentor_sessions.goal",
        "funding_fund_notes.body",
        "equipment.name",
        "facilities.address",
        "equipment_bookings.purpose",
        "vouchers.note",
    ):
        assert expected in columns  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_no_page_renders_a_stored_payload_raw(crawl: Crawl, role: str) -> None:
    client = _client(crawl.app, role)
    leaks: dict[str, set[str]] = {}
    pages = 0
    for url in _get_urls(crawl.app, crawl.args):
        response = client.get(url)
        assert response.status_code < 500, url
        if not response.mimetype.startswith("text/html"):
            continue
        pages += response.status_code == 200
        for match in RAW.finditer(response.get_data(as_text=True)):
            n = int(match.group(1) or match.group(2))
            leaks.setdefault(crawl.planted[n], set()).add(url)
    assert pages >= 10, pages  # the crawl reached real pages
    assert not leaks, "\n".join(f"{column}: {sorted(urls)}" for column, urls in leaks.items())
