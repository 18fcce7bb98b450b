"""The API's statistics equal the operator console's for the same period, on a hand-built
dataset: every metric total and chart series of /operator/monitoring, and the facility figures
counted by hand."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models.bookings import EquipmentBooking, Voucher, VoucherEntry
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SupportRecord
from matchmaker.services.api import tokens
from tests.factories import make_equipment, make_facility, make_mentor, make_startup, make_user

PERIOD = "start=2026-01-01&end=2026-03-31"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def _dataset(session: Session) -> dict[str, Any]:
    operator = make_user(session, "operator")
    a = make_startup(session, sectors=["new_energy"], stage="prototype",
                     created_at=datetime(2026, 1, 10))  # fmt: skip
    b = make_startup(session, sectors=["new_energy", "biotechnology"], stage="idea",
                     created_at=datetime(2026, 2, 15))  # fmt: skip
    make_startup(session, stage="idea", created_at=datetime(2026, 5, 1))  # after the period
    mentor = make_mentor(session)
    facility = make_facility(session)
    xrd = make_equipment(session, facility)
    held_at = datetime(2026, 1, 20, 2, 0)
    session.add_all([
        MentorSession(mentor_id=mentor.id, startup_id=a.id, status="completed", topic="technology",
                      created_at=datetime(2026, 1, 5), starts_at=held_at,
                      ends_at=held_at + timedelta(hours=1)),
        MentorSession(mentor_id=mentor.id, startup_id=b.id, status="requested", topic="funding",
                      created_at=datetime(2026, 2, 3)),
        SupportRecord(startup_id=a.id, kind="subsidy", amount=Decimal("5000"),
                      granted_on=date(2026, 2, 1), created_by_id=operator.id),
        SupportRecord(startup_id=b.id, kind="award", amount=Decimal("3000"),
                      granted_on=date(2026, 3, 10), created_by_id=operator.id),
        SupportRecord(startup_id=b.id, kind="award", amount=Decimal("9999"),
                      granted_on=date(2025, 12, 31), created_by_id=operator.id),  # before it
    ])  # fmt: skip
    voucher = Voucher(code="V-STAT", startup_id=a.id, amount=Decimal("1000"),
                      balance=Decimal("600"), valid_from=date(2026, 1, 1),
                      valid_until=date(2026, 12, 31), created_at=datetime(2026, 1, 2))  # fmt: skip
    session.add(voucher)
    booked = datetime(2026, 3, 2, 1, 0)
    booking = EquipmentBooking(
        equipment_id=xrd.id, startup_id=a.id, user_id=operator.id, starts_at=booked,
        ends_at=booked + timedelta(hours=2), status="completed", price=Decimal("600"),
        completed_at=booked + timedelta(hours=2), voucher=voucher,
        voucher_amount=Decimal("400"), voucher_state="redeemed",
    )  # fmt: skip
    session.add(booking)
    session.flush()
    session.add(
        VoucherEntry(voucher_id=voucher.id, kind="issue", amount=Decimal("1000"),
                     balance_after=Decimal("1000"), created_at=datetime(2026, 1, 2))
    )  # fmt: skip
    session.add(
        VoucherEntry(voucher_id=voucher.id, booking_id=booking.id, facility_id=facility.id,
                     kind="redeem", amount=Decimal("400"), balance_after=Decimal("600"),
                     created_at=datetime(2026, 2, 20))
    )  # fmt: skip
    session.commit()
    token = tokens.issue_token(session, operator, "bureau", ["statistics"]).secret
    return {"operator": operator, "token": token, "facility": facility, "xrd": xrd}


def _console_metrics(page: str) -> dict[str, dict[str, Any]]:
    """Each metric card of the monitoring page: its shown total and its chart data."""
    out = {}
    for key, card in re.findall(r'data-testid="metric-([a-z_]+)">(.*?)</div></div></div>', page,
                                re.S):  # fmt: skip
        total = re.search(r'data-testid="metric-total">([^<]*)<', card)
        chart = re.search(r'class="metric-data">(.*?)</script>', card, re.S)
        out[key] = {
            "total": total.group(1).strip() if total else None,
            "chart": json.loads(html.unescape(chart.group(1))) if chart else None,
        }
    return out


def _shown(total: float | None) -> str:
    """The monitoring template's number format."""
    return "–" if total is None else f"{total:,.1f}".removesuffix(".0")


def test_statistics_equal_the_console(app: Flask, db_session: Session) -> None:
    world = _dataset(db_session)
    client = app.test_client()
    client.post("/auth/login", data={"email": world["operator"].email, "password": "password123"})
    console = client.get(f"/operator/monitoring?{PERIOD}", headers={"Accept-Language": "en"})
    assert console.status_code == 200
    shown = _console_metrics(console.get_data(as_text=True))

    answer = client.get(
        f"/api/v1/statistics?{PERIOD}",
        headers={"Authorization": f"Bearer {world['token']}", "Accept-Language": "en"},
    )
    assert answer.status_code == 200
    data = answer.get_json()["data"]
    metrics = {m["key"]: m for m in data["metrics"]}

    assert set(metrics) == set(shown) and len(metrics) >= 8
    for key, metric in metrics.items():
        assert _shown(metric["total"]) == shown[key]["total"], key
        chart = shown[key]["chart"]
        if chart is not None:
            assert metric["labels"] == chart["labels"], key
            assert [d["data"] for d in metric["datasets"]] == [
                d["data"] for d in chart["datasets"]
            ], key
            assert [d["label"] for d in metric["datasets"]] == [
                d["label"] for d in chart["datasets"]
            ], key

    # And the figures are the ones counted by hand.
    assert data["months"] == ["2026-01", "2026-02", "2026-03"]
    assert metrics["new_startups"]["total"] == 2
    assert metrics["startups_by_stage"]["total"] == 2
    sessions = {d["label"]: d["data"] for d in metrics["mentor_sessions"]["datasets"]}
    assert sessions["Requested"] == [1, 1, 0] and sessions["Held"] == [1, 0, 0]
    assert metrics["support_records"]["total"] == 8000
    vouchers = {d["label"]: d["data"] for d in metrics["vouchers"]["datasets"]}
    assert metrics["vouchers"]["total"] == 400
    assert vouchers == {"Issued (yuan)": [1000, 0, 0], "Redeemed (yuan)": [0, 400, 0]}
    assert metrics["equipment_hours"]["total"] == 2.0
    (facility,) = data["facilities"]
    assert facility["id"] == world["facility"].id
    assert facility["hours_booked"] == 2.0 and facility["bookings"] == 1
    assert facility["startups_served"] == 1 and facility["vouchers_redeemed"] == 400
    assert facility["equipment"] == [
        {"id": world["xrd"].id, "hours_booked": 2.0, "utilisation": None}
    ]


def test_titles_follow_the_callers_language(app: Flask, db_session: Session) -> None:
    world = _dataset(db_session)
    client = app.test_client()

    def titles(language: str) -> list[str]:
        answer = client.get(
            f"/api/v1/statistics?{PERIOD}",
            headers={"Authorization": f"Bearer {world['token']}", "Accept-Language": language},
        )
        return [m["title"] for m in answer.get_json()["data"]["metrics"]]

    en, zh = titles("en"), titles("zh-CN")
    assert "New startups" in en and "New startups" not in zh and len(en) == len(zh)
