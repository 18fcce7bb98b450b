"""Issue 15 defects over HTTP: recording support checks before saving (item 9), the disclosure
page linked from public pages (10), a partial voucher cover (11), suspension (13) and the same
import file uploaded twice (15)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, Startup, utcnow
from matchmaker.models.bookings import AvailabilityWindow, EquipmentBooking, Voucher
from matchmaker.models.operator import ImportBatch, Policy, SupportRecord
from matchmaker.timezones import wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def login(client: FlaskClient, user: Any, password: str = "password123") -> Any:
    client.post("/auth/logout")
    return client.post("/auth/login", data={"email": user.email, "password": password})


def _count(session: Session, column: Any) -> int:
    session.rollback()  # see what the requests committed
    return int(session.scalar(sa.select(sa.func.count(column))) or 0)


def test_support_is_checked_before_saving_and_needs_a_reason(
    client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator", locale="en")
    eligible = make_startup(db_session, name="Volt", sectors=["new_energy"], team_size=5)
    other = make_startup(db_session, name="Bio", sectors=["biotechnology"], team_size=5)
    policy = Policy(
        kind="subsidy", title_en="Startup subsidy", title_zh="创业补贴", sectors=["new_energy"],
        benefit_amount=Decimal(20000), is_published=True,
    )  # fmt: skip
    db_session.add(policy)
    db_session.commit()
    login(client, operator)

    def record(startup: Startup, amount: str, reason: str = "") -> Any:
        return client.post(
            "/operator/support/new",
            data={"startup_id": startup.id, "kind": "subsidy", "policy_id": policy.id,
                  "amount": amount, "granted_on": date.today().isoformat(),
                  "description": "x", "override_reason": reason},
        )  # fmt: skip

    assert record(eligible, "15000").status_code == 302  # nothing wrong: saved at once
    # The same policy twice, and past the 20,000 cap: warned, nothing saved.
    twice = record(eligible, "15000")
    page = twice.get_data(as_text=True)
    assert twice.status_code == 422 and 'data-testid="support-warnings"' in page
    assert "already received support under" in page and "cap of 20,000.00 yuan" in page
    # A startup that does not qualify, over the cap on its own.
    page = record(other, "30000").get_data(as_text=True)
    assert "Not eligible for" in page and "cap of 20,000.00 yuan" in page
    assert _count(db_session, SupportRecord.id) == 1
    # With a reason it is saved, and the reason kept in the internal note.
    assert record(other, "30000", reason="Board decision 2026-12").status_code == 302
    db_session.rollback()
    note = db_session.scalar(
        sa.select(SupportRecord.note).where(SupportRecord.startup_id == other.id)
    )
    assert note is not None and "Board decision 2026-12" in note and "Not eligible" in note


def test_public_pages_link_the_disclosure_page(client: FlaskClient) -> None:
    for url in ("/", "/policies/", "/startups"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/disclosure/"' in page, url


def test_partial_voucher_cover_tells_what_is_still_owed(
    client: FlaskClient, db_session: Session
) -> None:
    manager = make_user(db_session, "facility_manager", locale="zh_CN")
    founder = make_user(db_session, "founder", locale="zh_CN")
    startup = make_startup(db_session, owner=founder)
    eq = make_equipment(db_session, make_facility(db_session, manager=manager))  # 300 CNY/h
    for d in range(7):
        db_session.add(
            AvailabilityWindow(equipment_id=eq.id, weekday=d, start_time=time(8), end_time=time(20))
        )
    today = utcnow().date()
    until = today + timedelta(days=30)
    voucher = Voucher(code="CXQ-PART", startup_id=startup.id, amount=Decimal(500),
                      balance=Decimal(500), valid_from=today, valid_until=until,
                      categories=["testing"])  # fmt: skip
    db_session.add(voucher)
    db_session.commit()
    login(client, founder)
    day = (wall_clock(utcnow()).date() + timedelta(days=3)).isoformat()
    r = client.post(
        f"/facilities/equipment/{eq.id}/book",
        data={"startup_id": startup.id, "day": day, "start": "10:00", "minutes": 120,
              "weeks": 1, "voucher_id": voucher.id, "purpose": "XRD"},
        follow_redirects=True,
    )  # fmt: skip
    page = r.get_data(as_text=True)
    assert "创新券抵扣 600.00 元中的 500.00 元，仍需向设施支付 100.00 元" in page
    assert 'data-testid="booking-amount-due">100.00 CNY' in page


def test_suspension_tells_the_user_hides_the_startup_and_frees_the_slots(
    client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator", locale="en")
    founder = make_user(db_session, "founder", locale="en")
    startup = make_startup(db_session, owner=founder, name="Suspended Cells")
    eq = make_equipment(db_session, make_facility(db_session))
    start = datetime.combine(utcnow().date() + timedelta(days=5), time(2))
    future = EquipmentBooking(equipment_id=eq.id, startup_id=startup.id, user_id=founder.id,
                              starts_at=start, ends_at=start + timedelta(hours=2),
                              status="confirmed", price=Decimal(600))  # fmt: skip
    past = EquipmentBooking(equipment_id=eq.id, startup_id=startup.id, user_id=founder.id,
                            starts_at=start - timedelta(days=20),
                            ends_at=start - timedelta(days=20, hours=-2), status="completed",
                            price=Decimal(600), actual_minutes=120)  # fmt: skip
    db_session.add_all([future, past])
    db_session.commit()
    assert "Suspended Cells" in client.get("/startups").get_data(as_text=True)
    login(client, operator)
    assert client.post(f"/admin/users/{founder.id}/active", data={"active": "0"}).status_code == 302
    # The suspended founder is told so (not "wrong password") when the password is right.
    r = login(client, founder)
    page = client.get("/auth/login").get_data(as_text=True) if r.status_code == 302 else ""
    page = r.get_data(as_text=True) + page
    assert "您的账号已被停用" in page  # the sign-in page speaks the browser's language
    wrong = login(client, founder, password="not-the-password").get_data(as_text=True)
    assert "邮箱或密码错误" in wrong and "停用" not in wrong
    # The startup left the public directory; the future booking is cancelled, the past kept.
    assert "Suspended Cells" not in client.get("/startups").get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Startup, startup.id).is_active is False  # type: ignore[union-attr]
    rows = db_session.execute(sa.select(EquipmentBooking.id, EquipmentBooking.status)).all()
    statuses = {booking_id: status for booking_id, status in rows}
    assert statuses == {future.id: "cancelled", past.id: "completed"}


def _workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_same_import_file_twice_is_flagged_and_refused_unless_confirmed(
    client: FlaskClient, db_session: Session
) -> None:
    make_facility(db_session, name="Lab")
    login(client, make_user(db_session, "operator", locale="en"))
    data = _workbook(
        [["facility", "name", "category", "price_per_hour"], ["Lab", "SEM", "testing", "500"]]
    )

    def upload() -> str:
        page = client.post(
            "/operator/import",
            data={"kind": "equipment", "file": (io.BytesIO(data), "lab.xlsx")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        return page

    def confirm(page: str, **extra: str) -> Any:
        token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
        return client.post(
            "/operator/import/confirm",
            data={"kind": "equipment", "token": token, "filename": "lab.xlsx", **extra},
            follow_redirects=True,
        )

    first = upload()
    assert 'data-testid="import-duplicate"' not in first
    confirm(first)
    assert _count(db_session, Equipment.id) == 1
    second = upload()
    assert 'data-testid="import-duplicate"' in second and "already imported" in second
    refused = confirm(second).get_data(as_text=True)
    assert "This file was already imported" in refused
    assert _count(db_session, Equipment.id) == 1
    third = upload()
    confirm(third, import_again="y")
    assert _count(db_session, Equipment.id) == 2
    db_session.rollback()
    hashes = db_session.scalars(sa.select(ImportBatch.content_hash).order_by(ImportBatch.id)).all()
    assert len(hashes) == 2 and hashes[0] and hashes[1] is None
