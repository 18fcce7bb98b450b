"""Performance-based post-subsidies against a hand-built year of records, at the rule's
boundaries: an instrument cap and a facility cap reached, a facility that misses the minimum
utilisation, one exactly at it, fen rounding, the local-day edge of the year, and records that
must not count (cancelled, voucher only held). Then the operator pages: the rule form refuses
bad input in both languages and stores nothing, the Excel file and the printable report carry
the same figures, and only operators get in."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, Startup, User
from matchmaker.models.bookings import AvailabilityException, EquipmentBooking, Voucher
from matchmaker.models.subsidies import SubsidyRule
from matchmaker.services.operator.evaluation import subsidies
from tests.factories import make_equipment, make_facility, make_startup, make_user

LISTED = datetime(2024, 1, 1)
RULE = {
    "year": "2025",
    "rate_per_hour": "100",
    "rate_per_voucher_yuan": "0.5",
    "cap_per_instrument": "3000",
    "cap_per_facility": "3200",
    "min_utilisation_percent": "10",
    "reward_count": "1",
    "note": "",
}


def _open(session: Session, eq: Equipment, start: datetime, hours: int) -> None:
    session.add(
        AvailabilityException(
            equipment_id=eq.id, kind="opening", starts_at=start,
            ends_at=start + timedelta(hours=hours),
        )
    )  # fmt: skip
    session.commit()


def _booking(
    session: Session,
    eq: Equipment,
    startup: Startup,
    user: User,
    starts_at: datetime,
    minutes: int,
    *,
    status: str = "completed",
    price: str = "0",
    voucher: Voucher | None = None,
    voucher_amount: str = "0",
    voucher_state: str = "none",
) -> EquipmentBooking:
    booking = EquipmentBooking(
        equipment_id=eq.id, startup_id=startup.id, user_id=user.id, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes), status=status, price=Decimal(price),
        voucher_id=voucher.id if voucher else None, voucher_amount=Decimal(voucher_amount),
        voucher_state=voucher_state, actual_minutes=minutes if status == "completed" else None,
    )  # fmt: skip
    session.add(booking)
    session.commit()
    return booking


def _equipment(session: Session, facility: Any, name: str) -> Equipment:
    eq = make_equipment(session, facility, name=name)
    eq.created_at = LISTED  # listed long before the year: all of its open time counts
    session.commit()
    return eq


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    s = db_session
    founder = make_user(s, "founder")
    s1, s2, s3 = (make_startup(s, founder, name=n) for n in ("Alpha", "Beta", "Gamma"))
    voucher = Voucher(
        code="V-2025", startup_id=s1.id, amount=Decimal("5000"), balance=Decimal("0"),
        valid_from=LISTED.date(), valid_until=datetime(2026, 1, 1).date(),
    )  # fmt: skip
    s.add(voucher)
    s.commit()

    # A: two instruments; the first reaches the instrument cap, the sum the facility cap.
    a = make_facility(s, name="A Lab")
    a1, a2 = _equipment(s, a, "A1 SEM"), _equipment(s, a, "A2 XRD")
    _open(s, a1, datetime(2025, 3, 1), 100)
    _open(s, a2, datetime(2025, 4, 1), 50)
    # 20 h with 2,000 redeemed, and 10 h: 3,000 + 1,000 = 4,000 before the 3,000 cap.
    _booking(s, a1, s1, founder, datetime(2025, 3, 1, 1), 1200, price="6000",
             voucher=voucher, voucher_amount="2000", voucher_state="redeemed")  # fmt: skip
    _booking(s, a1, s2, founder, datetime(2025, 3, 3, 1), 600, price="3000")
    # 00:30 local on 1 January 2025 (16:30 UTC the day before) is in the year...
    _booking(s, a2, s1, founder, datetime(2024, 12, 31, 16, 30), 90, price="450",
             voucher=voucher, voucher_amount="333.33", voucher_state="redeemed")  # fmt: skip
    # ...23:30 local on 31 December 2024 is not; nor a cancelled booking, nor a held voucher
    # on a booking that was not completed.
    _booking(s, a2, s3, founder, datetime(2024, 12, 31, 15, 30), 60, price="300")
    _booking(s, a2, s3, founder, datetime(2025, 4, 2), 120, status="cancelled", price="600")
    _booking(s, a2, s3, founder, datetime(2025, 4, 3), 120, status="confirmed", price="600",
             voucher=voucher, voucher_amount="600", voucher_state="held")  # fmt: skip

    # B: 10 h used of 200 h open = 5 %: below the 10 % minimum.
    b = make_facility(s, name="B Lab")
    b1 = _equipment(s, b, "B1 Printer")
    _open(s, b1, datetime(2025, 5, 1), 200)
    _booking(s, b1, s3, founder, datetime(2025, 5, 2), 600, price="1000")

    # C: 10 h used of 100 h open = exactly 10 %: qualifies.
    c = make_facility(s, name="C Lab")
    c1 = _equipment(s, c, "C1 Lathe")
    _open(s, c1, datetime(2025, 6, 1), 100)
    _booking(s, c1, s2, founder, datetime(2025, 6, 2), 600, price="800")

    operator = make_user(s, "operator", email="op@example.com")
    return {"a": a.id, "b": b.id, "c": c.id, "operator": operator, "founder": founder}


def _save_rule(app: Flask, operator: User) -> None:
    from matchmaker.extensions import db

    with app.test_request_context():
        actor = db.session.get(User, operator.id)
        subsidies.save_rule(db.session, actor, RULE)


def test_figures_at_the_rule_boundaries(app: Flask, world: dict[str, Any]) -> None:
    from matchmaker.extensions import db

    _save_rule(app, world["operator"])
    with app.test_request_context():
        report = subsidies.compute(db.session, 2025)
        by_id = {f.facility_id: f for f in report.facilities}
        a, b, c = by_id[world["a"]], by_id[world["b"]], by_id[world["c"]]

        a1, a2 = a.instruments
        assert (a1.bookings, a1.hours_used, a1.startups_served) == (2, Decimal("30.00"), 2)
        assert a1.vouchers_redeemed == Decimal("2000.00")
        assert (a1.from_hours, a1.from_vouchers) == (Decimal("3000.00"), Decimal("1000.00"))
        assert a1.before_cap == Decimal("4000.00")
        assert (a1.amount, a1.capped) == (Decimal("3000"), True)
        # 1.5 h x 100 = 150; 333.33 x 0.5 = 166.665 -> 166.67 (half up, to the fen)
        assert (a2.bookings, a2.hours_used) == (1, Decimal("1.50"))
        assert a2.from_vouchers == Decimal("166.67")
        assert (a2.amount, a2.capped) == (Decimal("316.67"), False)
        assert a.hours_open == Decimal("150")
        assert a.utilisation == Decimal("21.0")  # 31.5 / 150
        assert a.startups_served == 2
        assert a.before_cap == Decimal("3316.67")
        assert (a.amount, a.capped, a.qualifies) == (Decimal("3200"), True, True)
        assert sorted(e.minutes for e in a.evidence) == [90, 600, 1200]

        assert b.utilisation == Decimal("5.0")
        assert (b.qualifies, b.amount, b.rank) == (False, Decimal("0"), None)
        assert any("10" in str(r) and "5.0" in str(r) for r in b.reasons)

        assert c.utilisation == Decimal("10.0")
        assert (c.qualifies, c.amount, c.capped) == (True, Decimal("1000.00"), False)

        # Ranked by the service delivered before caps (A 4,316.67 over C 1,000); one reward.
        assert [(f.name, f.rank, f.rewarded) for f in report.ranking] == [
            ("A Lab", 1, True),
            ("C Lab", 2, False),
        ]
        assert report.total == Decimal("4200.00")
        assert all(isinstance(f.amount, Decimal) for f in report.facilities)


def _login(client: FlaskClient, email: str) -> None:
    response = client.post("/auth/login", data={"email": email, "password": "password123"})
    assert response.status_code == 302


def test_rule_form_refuses_bad_input_in_both_languages(
    client: FlaskClient, db_session: Session, world: dict[str, Any]
) -> None:
    _login(client, "op@example.com")
    bad = {**RULE, "min_utilisation_percent": "150"}
    response = client.post("/operator/subsidies/", data=bad)
    assert response.status_code == 422
    assert "Enter a number between 0 and 100." in response.get_data(as_text=True)
    client.post("/auth/language", data={"locale": "zh_CN"})
    response = client.post("/operator/subsidies/", data={**RULE, "rate_per_hour": "NaN"})
    assert response.status_code == 422
    assert "请输入" in response.get_data(as_text=True)
    response = client.post("/operator/subsidies/", data={**RULE, "cap_per_facility": "0"})
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count(SubsidyRule.id))) == 0


def test_pages_excel_and_print_carry_the_figures(
    client: FlaskClient, db_session: Session, world: dict[str, Any]
) -> None:
    _login(client, world["founder"].email)
    assert client.get("/operator/subsidies/").status_code == 403
    client.post("/auth/logout")
    _login(client, "op@example.com")
    client.post("/auth/language", data={"locale": "en"})
    response = client.post("/operator/subsidies/", data=RULE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/operator/subsidies/2025")
    page = client.get("/operator/subsidies/2025").get_data(as_text=True)
    assert "¥3,200.00" in page and "Cap reached" in page and "Not eligible" in page
    # Saving the same year again updates the one rule (no second row).
    client.post("/operator/subsidies/", data={**RULE, "reward_count": "2"})
    assert db_session.scalar(sa.select(sa.func.count(SubsidyRule.id))) == 1

    printed = client.get("/operator/subsidies/2025/print").get_data(as_text=True)
    assert "¥4,200.00" in printed and "data-print" in printed

    xlsx = client.get("/operator/subsidies/2025.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Rule", "Facilities", "Instruments", "Evidence"]
    facilities = list(book["Facilities"].iter_rows(values_only=True))
    assert facilities[0][0] == "Rank" and facilities[0][10] == "Subsidy (CNY)"
    rows = {r[1]: r for r in facilities[1:]}
    assert rows["A Lab"][10] == 3200 and rows["A Lab"][11] == "Yes"
    assert rows["C Lab"][10] == 1000 and rows["C Lab"][11] == "Yes"  # two rewards now
    assert rows["B Lab"][0] is None and rows["B Lab"][10] == 0
    assert len(list(book["Evidence"].iter_rows())) == 1 + 5
    assert client.get("/operator/subsidies/2031").status_code == 404


def test_running_year_counts_open_hours_only_until_today(
    app: Flask, db_session: Session, world: dict[str, Any]
) -> None:
    from matchmaker.extensions import db
    from matchmaker.services.facilities.equipment_availability import local_today
    from matchmaker.timezones import to_utc

    today = local_today()
    if (today.month, today.day) >= (12, 30):
        pytest.skip("no whole day left in this year after tomorrow")
    lab = make_facility(db_session, name="D Lab")
    d1 = _equipment(db_session, lab, "D1 Mill")
    # Open for a day from the day after tomorrow: time that has not come yet.
    later = to_utc(datetime.combine(today + timedelta(days=2), datetime.min.time()))
    _open(db_session, d1, later, 24)
    with app.test_request_context():
        actor = db.session.get(User, world["operator"].id)
        subsidies.save_rule(db.session, actor, {**RULE, "year": str(today.year)})
        report = subsidies.compute(db.session, today.year)
        (d,) = [f for f in report.facilities if f.name == "D Lab"]
        assert report.last == today
        assert d.hours_open == 0
