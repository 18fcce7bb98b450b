"""The shared-facilities pages over HTTP: permissions, forms, exports, feeds."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import utcnow
from matchmaker.models.bookings import (
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
    Voucher,
)
from matchmaker.timezones import wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def world(db_session: Session) -> dict[str, object]:
    manager = make_user(db_session, "facility_manager", locale="zh_CN")
    founder = make_user(db_session, "founder", locale="zh_CN")
    operator = make_user(db_session, "operator", locale="zh_CN")
    startup = make_startup(db_session, owner=founder)
    facility = make_facility(db_session, manager=manager)
    eq = make_equipment(db_session, facility)
    for d in range(7):
        db_session.add(
            AvailabilityWindow(equipment_id=eq.id, weekday=d, start_time=time(8), end_time=time(20))
        )
    db_session.commit()
    return {
        "manager": manager,
        "founder": founder,
        "operator": operator,
        "startup_id": startup.id,
        "equipment_id": eq.id,
        "facility_id": facility.id,
    }


def login(client: FlaskClient, user: object) -> None:
    client.post("/auth/logout")
    r = client.post("/auth/login", data={"email": user.email, "password": "password123"})  # type: ignore[attr-defined]
    assert r.status_code == 302


def day_ahead(n: int) -> str:
    return (wall_clock(utcnow()).date() + timedelta(days=n)).isoformat()


def book_form(
    world: dict[str, object], day: str, start: str = "10:00", **extra: object
) -> dict[str, object]:
    data: dict[str, object] = {
        "startup_id": world["startup_id"],
        "day": day,
        "start": start,
        "minutes": 120,
        "weeks": 1,
        "voucher_id": 0,
        "purpose": "XRD",
    }
    data.update(extra)
    return data


def test_founder_books_sees_it_and_gets_ics(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["founder"])
    page = client.get(f"/facilities/equipment/{world['equipment_id']}")
    assert page.status_code == 200 and b"free-slot" in page.data
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book", data=book_form(world, day_ahead(3))
    )
    assert r.status_code == 302 and "/facilities/bookings/" in r.location
    detail = client.get(r.location)
    assert "已确认".encode() in detail.data  # Chinese by default
    ics = client.get(r.location + ".ics")
    assert ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data
    feed = client.get(f"/facilities/equipment/{world['equipment_id']}/calendar.ics")
    assert b"X-ray diffractometer" in feed.data and b"Startup" not in feed.data
    assert client.get("/facilities/bookings").status_code == 200


def test_refused_booking_shows_translated_error_and_changes_nothing(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["founder"])
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, day_ahead(3), start="06:00"),
        follow_redirects=True,
    )
    assert "该时段设备未开放预约".encode() in r.data
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, day_ahead(3), minutes=""),
        follow_redirects=True,
    )
    assert r.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count(EquipmentBooking.id))) == 0


def test_slot_taken_message(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["founder"])
    client.post(
        f"/facilities/equipment/{world['equipment_id']}/book", data=book_form(world, day_ahead(3))
    )
    # The founder's own booking holds the time: said so (not "just taken"), input kept.
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, day_ahead(3), start="11:00", purpose="第二次测试"),
    )
    assert r.status_code == 409
    assert "您的企业在该时段已有此设备的预约".encode() in r.data
    assert "刚刚" not in r.data.decode() and 'value="第二次测试"' in r.data.decode()
    # Another startup, on a page shown before the first booking: "already booked before".
    other = make_user(db_session, "founder", locale="zh_CN")
    other_startup = make_startup(db_session, owner=other)
    login(client, other)
    db_session.execute(sa.update(EquipmentBooking).values(created_at=utcnow() - timedelta(hours=1)))
    db_session.commit()
    seen = (utcnow() - timedelta(minutes=10)).isoformat(timespec="seconds")
    data = {**book_form(world, day_ahead(3), start="11:00"), "startup_id": other_startup.id}
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book", data={**data, "seen_at": seen}
    )
    assert r.status_code == 409 and "您选择之前该时段已被他人预约".encode() in r.data
    # Shown after the first booking was made, then taken: that is "just taken".
    db_session.execute(sa.update(EquipmentBooking).values(created_at=utcnow()))
    db_session.commit()
    seen = (utcnow() - timedelta(seconds=30)).isoformat(timespec="seconds")
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book", data={**data, "seen_at": seen}
    )
    assert r.status_code == 409 and "该时段刚刚被预约".encode() in r.data


def test_series_report_lists_booked_and_skipped(
    client: FlaskClient, world: dict[str, object]
) -> None:
    login(client, world["founder"])
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, day_ahead(3), weeks=10),
    )
    assert r.status_code == 200
    assert b'data-testid="series-skipped"' in r.data
    assert "最多可提前 60 天预约".encode() in r.data


def test_only_managers_reach_management_pages(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["founder"])
    assert client.get("/facilities/manage").status_code == 403
    assert client.get(f"/facilities/manage/equipment/{world['equipment_id']}").status_code == 403
    assert client.get("/facilities/manage/usage").status_code == 403
    assert client.get("/facilities/vouchers/issue").status_code == 403
    assert client.get(f"/facilities/vouchers/facility/{world['facility_id']}").status_code == 404
    db_session.rollback()  # a fresh snapshot: the requests above wrote
    login(client, make_user(db_session, "facility_manager"))
    assert client.get(f"/facilities/manage/equipment/{world['equipment_id']}").status_code == 403


def test_manager_publishes_rules_and_windows(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["manager"])
    eid = world["equipment_id"]
    assert client.get(f"/facilities/manage/equipment/{eid}").status_code == 200
    r = client.post(
        f"/facilities/manage/equipment/{eid}/windows",
        data={"weekdays": ["5"], "start_time": "18:00", "end_time": "09:00"},
    )
    assert r.status_code == 422
    # Saturday and Sunday 09:00-12:00 overlap the published 08:00-20:00: refused, translated,
    # nothing saved (the weekend windows were saved silently before).
    r = client.post(
        f"/facilities/manage/equipment/{eid}/windows",
        data={"weekdays": ["5", "6"], "start_time": "09:00", "end_time": "12:00"},
    )
    assert r.status_code == 422 and "已发布的 08:00–20:00 重叠".encode() in r.data
    assert (
        db_session.scalar(
            sa.select(sa.func.count(AvailabilityWindow.id)).where(
                AvailabilityWindow.equipment_id == eid
            )
        )
        == 7
    )
    r = client.post(
        f"/facilities/manage/equipment/{eid}/windows",
        data={"weekdays": ["5", "6"], "start_time": "20:00", "end_time": "22:00"},
    )
    assert r.status_code == 302
    rules = {
        "booking_mode": "approval", "min_minutes": 60, "max_minutes": 30, "granularity_minutes": 30,
        "buffer_minutes": 15, "lead_time_minutes": 120, "horizon_days": 30,
        "weekly_quota_hours": "4", "cancel_notice_hours": 48,
    }  # fmt: skip
    r = client.post(f"/facilities/manage/equipment/{eid}/rules", data=rules)
    assert r.status_code == 422 and "最长时长不能短于最短时长".encode() in r.data
    rules["max_minutes"] = 240
    assert client.post(f"/facilities/manage/equipment/{eid}/rules", data=rules).status_code == 302
    db_session.rollback()  # end the snapshot: see what the requests wrote
    saved = db_session.get(BookingRules, eid)
    assert (
        saved is not None
        and saved.weekly_quota_hours == Decimal("4")
        and saved.buffer_minutes == 15
    )
    # The setup page shows the saved rules and mode in the rules form.
    page = client.get(f"/facilities/manage/equipment/{eid}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="buffer_minutes"[^>]*value="15"', page)
    assert re.search(r'<input[^>]*name="max_minutes"[^>]*value="240"', page)
    assert re.search(
        r'<option[^>]*selected[^>]*value="approval"|<option[^>]*value="approval"[^>]*selected', page
    )


def test_approval_inbox_usage_and_exports(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    from matchmaker.models import Equipment

    eq = db_session.get(Equipment, world["equipment_id"])
    assert eq is not None
    eq.booking_mode = "approval"
    db_session.commit()
    login(client, world["founder"])
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book", data=book_form(world, day_ahead(2))
    )
    booking_id = int(r.location.rsplit("/", 1)[1])
    assert client.post(f"/facilities/bookings/{booking_id}/approve").status_code == 302
    db_session.rollback()  # end the snapshot: see what the requests wrote
    assert db_session.get(EquipmentBooking, booking_id).status == "pending"  # type: ignore[union-attr]
    login(client, world["manager"])
    inbox = client.get("/facilities/manage")
    assert f"/facilities/bookings/{booking_id}".encode() in inbox.data
    client.post(f"/facilities/bookings/{booking_id}/approve")
    # Usage is recorded once the booking has started: move it to yesterday (time passes).
    moved = db_session.get(EquipmentBooking, booking_id)
    assert moved is not None
    moved.starts_at -= timedelta(days=3)
    moved.ends_at -= timedelta(days=3)
    db_session.commit()
    client.post(f"/facilities/bookings/{booking_id}/usage", data={"actual_minutes": 100})
    db_session.rollback()  # end the snapshot: see what the requests wrote
    b = db_session.get(EquipmentBooking, booking_id)
    assert b is not None and (b.status, b.actual_minutes) == ("completed", 100)
    page = client.get("/facilities/manage/usage")
    assert page.status_code == 200 and b"usage-chart" in page.data
    csv_text = client.get("/facilities/manage/usage?format=csv").data.decode()
    assert "X-ray diffractometer" in csv_text and ",1.67," in csv_text
    xlsx = client.get("/facilities/manage/usage?format=xlsx")
    wb = load_workbook(io.BytesIO(xlsx.data))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[2][0] == "X-ray diffractometer" and rows[2][3] == pytest.approx(1.67)


def test_operator_issues_voucher_and_founder_pays_with_it(
    client: FlaskClient, world: dict[str, object], db_session: Session
) -> None:
    login(client, world["operator"])
    today = wall_clock(utcnow()).date()
    bad = client.post(
        "/facilities/vouchers/issue",
        data={
            "startup_id": world["startup_id"],
            "amount": "-5",
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
        },
    )
    assert bad.status_code == 422
    r = client.post(
        "/facilities/vouchers/issue",
        data={
            "startup_id": world["startup_id"],
            "amount": "1000",
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=60)).isoformat(),
            "categories": ["testing"],
        },
    )
    assert r.status_code == 302
    db_session.rollback()
    voucher = db_session.scalar(sa.select(Voucher))
    assert voucher is not None
    login(client, world["founder"])
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, day_ahead(2), voucher_id=voucher.id),
    )
    assert r.status_code == 302
    ledger = client.get(f"/facilities/vouchers/startup/{world['startup_id']}")
    assert "冻结".encode() in ledger.data
    csv_text = client.get(
        f"/facilities/vouchers/startup/{world['startup_id']}?format=csv"
    ).data.decode()
    assert ",hold,600.00,400.00," in csv_text
    login(client, world["manager"])
    facility_csv = client.get(
        f"/facilities/vouchers/facility/{world['facility_id']}?format=csv"
    ).data.decode()
    assert ",hold,600.00," in facility_csv


def test_propose_page_offers_one_click_booking(
    client: FlaskClient, world: dict[str, object]
) -> None:
    login(client, world["founder"])
    r = client.post(
        "/facilities/propose",
        data={
            "need": "下周需要做XRD物相分析，大约3小时",
            "category": "",
            "startup_id": world["startup_id"],
        },
    )
    assert r.status_code == 200
    assert b'data-testid="book-proposal"' in r.data
    assert b'name="minutes" value="180"' in r.data


def test_dashboard_panels_and_nav(client: FlaskClient, world: dict[str, object]) -> None:
    login(client, world["founder"])
    page = client.get("/")
    assert b"/facilities/" in page.data
    login(client, world["manager"])
    page = client.get("/")
    assert b"/facilities/manage" in page.data


def test_english_error(client: FlaskClient, world: dict[str, object], db_session: Session) -> None:
    founder = world["founder"]
    login(client, founder)
    client.post("/auth/language", data={"locale": "en"})
    r = client.post(
        f"/facilities/equipment/{world['equipment_id']}/book",
        data=book_form(world, (datetime.now().date() - timedelta(days=2)).isoformat()),
        follow_redirects=True,
    )
    assert b"This time is in the past." in r.data
