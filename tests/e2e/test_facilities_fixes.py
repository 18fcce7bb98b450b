"""Issue 15 defects that lived in the browser: the weekday boxes of a weekly window (item 4),
a refused booking keeping the founder's input and telling the true reason (item 12), and the
English navbar at a common laptop width with its bell and favicon (item 16)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import utcnow
from matchmaker.models.bookings import AvailabilityWindow, EquipmentBooking
from matchmaker.timezones import to_utc, wall_clock
from tests.e2e.browser import sign_in
from tests.factories import make_equipment, make_facility, make_startup, make_user

pytestmark = pytest.mark.e2e


def test_weekdays_mon_to_fri_publish_and_a_refused_booking_keeps_its_input(
    page: Any, db_session: Session
) -> None:
    manager = make_user(db_session, "facility_manager", locale="zh_CN")
    founder = make_user(db_session, "founder", locale="zh_CN")
    other = make_user(db_session, "founder", locale="zh_CN")
    startup = make_startup(db_session, founder, name="澜锂新材料")
    other_startup = make_startup(db_session, other, name="Other")
    eq = make_equipment(db_session, make_facility(db_session, manager), name="XRD")
    eq_id = eq.id

    # Item 4: Monday to Friday only (the browser refused it while every box was `required`).
    sign_in(page, manager.email)
    page.goto(f"/facilities/manage/equipment/{eq_id}")
    assert page.locator("input[name=weekdays][required]").count() == 0
    for day in range(5):
        page.check(f"input[name=weekdays][value='{day}']")
    page.fill("#start_time", "08:00")
    page.fill("#end_time", "20:00")
    page.click("[data-testid=publish-window]")
    assert "每周开放时段已发布" in page.inner_text("main")
    assert db_session.query(AvailabilityWindow).filter_by(equipment_id=eq_id).count() == 5
    # The same window again: refused, with the reason, nothing saved.
    page.check("input[name=weekdays][value='0']")
    page.fill("#start_time", "09:00")
    page.fill("#end_time", "10:00")
    page.click("[data-testid=publish-window]")
    assert "重叠" in page.inner_text("[data-testid=window-form]")
    assert db_session.query(AvailabilityWindow).filter_by(equipment_id=eq_id).count() == 5

    # Item 12: the founder's own booking holds 10:00-12:00 on a weekday three days or more ahead.
    day = wall_clock(utcnow()).date() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    start = to_utc(datetime.combine(day, time(10)))
    db_session.add(
        EquipmentBooking(equipment_id=eq_id, startup_id=startup.id, user_id=founder.id,
                         starts_at=start, ends_at=start + timedelta(hours=2), status="confirmed")
    )  # fmt: skip
    db_session.commit()
    sign_in(page, founder.email)
    page.goto(f"/facilities/equipment/{eq_id}")
    form = page.locator("[data-testid=booking-form]")
    form.locator("#day").fill(day.isoformat())
    form.locator("#start").fill("11:00")
    form.locator("#minutes").fill("60")
    form.locator("#purpose").fill("正极材料XRD物相分析")
    form.locator("[data-testid=book-submit]").click()
    assert "您的企业在该时段已有此设备的预约" in page.inner_text("main")
    assert form.locator("#purpose").input_value() == "正极材料XRD物相分析"
    assert form.locator("#day").input_value() == day.isoformat()
    # Someone else books 14:00 while the founder looks at the page: now it is "just taken".
    page.goto(f"/facilities/equipment/{eq_id}")
    form.locator("#day").fill(day.isoformat())
    form.locator("#start").fill("14:00")
    form.locator("#minutes").fill("60")
    form.locator("#purpose").fill("第二次")
    later = to_utc(datetime.combine(day, time(14)))
    db_session.add(
        EquipmentBooking(equipment_id=eq_id, startup_id=other_startup.id, user_id=other.id,
                         starts_at=later, ends_at=later + timedelta(hours=1), status="confirmed",
                         created_at=utcnow() + timedelta(seconds=2))
    )  # fmt: skip
    db_session.commit()
    form.locator("[data-testid=book-submit]").click()
    assert "该时段刚刚被预约" in page.inner_text("main")
    assert form.locator("#purpose").input_value() == "第二次"


def test_english_navbar_fits_1366_with_svg_bell_and_favicon(page: Any, db_session: Session) -> None:
    operator = make_user(db_session, "operator", "founder", "facility_manager", locale="en")
    page.set_viewport_size({"width": 1366, "height": 800})
    sign_in(page, operator.email)
    page.goto("/")
    sizes = page.evaluate(
        "() => ({doc: document.documentElement.scrollWidth, view: window.innerWidth,"
        " search: (document.querySelector('nav input[type=search]') || {offsetWidth: -1})"
        ".offsetWidth})"
    )
    assert sizes["doc"] <= sizes["view"], sizes
    assert sizes["search"] == -1 or sizes["search"] >= 160, sizes
    bell = page.locator("[data-testid=notifications]")
    assert bell.locator("svg").count() == 1
    assert "🔔" not in bell.inner_text()
    response = page.request.get("/favicon.ico")
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
