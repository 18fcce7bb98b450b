"""In a real browser: a manager publishes availability, a founder has a booking proposed from a
need in Chinese and books the proposed slot with an innovation voucher, the manager approves
and records usage, and the utilisation page shows it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import utcnow
from matchmaker.models.bookings import EquipmentBooking, Voucher, VoucherEntry
from tests.e2e.browser import sign_in
from tests.factories import make_equipment, make_facility, make_startup, make_user

pytestmark = pytest.mark.e2e


def test_publish_propose_book_with_voucher_approve_and_report(
    page: Any, db_session: Session
) -> None:
    manager = make_user(db_session, "facility_manager", locale="zh_CN", email="lab@example.com")
    founder = make_user(db_session, "founder", locale="zh_CN", email="founder@example.com")
    startup = make_startup(db_session, founder, name="澜锂新材料")
    facility = make_facility(db_session, manager, name="两江材料检测中心")
    xrd = make_equipment(
        db_session,
        facility,
        name="X射线衍射仪 XRD",
        description="粉末XRD物相分析，适用于正极材料、催化剂。Powder XRD phase analysis.",
        booking_mode="approval",
    )
    make_equipment(
        db_session,
        facility,
        name="激光切割机",
        category="prototyping",
        description="亚克力、木板激光切割与雕刻。",
        price_per_hour=Decimal("120"),
    )
    today = utcnow().date()
    voucher = Voucher(
        code="CXQ-2026-E2E",
        startup_id=startup.id,
        amount=Decimal("2000"),
        balance=Decimal("2000"),
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=60),
        categories=["testing"],
    )
    db_session.add(voucher)
    db_session.flush()
    db_session.add(
        VoucherEntry(
            voucher_id=voucher.id, kind="issue", amount=voucher.amount, balance_after=voucher.amount
        )
    )
    db_session.commit()
    xrd_id = xrd.id

    # The manager publishes weekly availability: every day, 08:00-20:00.
    sign_in(page, manager.email)
    page.goto("/facilities/manage")
    page.click(f"[data-testid=setup-{xrd_id}]")
    for day in range(7):
        page.check(f"input[name=weekdays][value='{day}']")
    page.fill("#start_time", "08:00")
    page.fill("#end_time", "20:00")
    page.click("[data-testid=publish-window]")
    assert "每周开放时段已发布" in page.inner_text("main")
    assert "周一 08:00–20:00" in page.inner_text("[data-testid=windows]")

    # The founder describes the need in Chinese; the XRD comes first with its earliest slots.
    sign_in(page, founder.email)
    page.goto("/facilities/")
    page.fill("#need", "下周需要做XRD物相分析，大约3小时")
    page.click("[data-testid=propose-submit]")
    first = page.locator("[data-testid=proposal]").first
    assert "X射线衍射仪" in first.inner_text()
    slot_form = first.locator("form.proposal-slot").first
    assert "CXQ-2026-E2E" in slot_form.locator("select[name=voucher_id]").inner_text()
    slot_form.locator("[data-testid=book-proposal]").click()
    page.wait_for_url("**/facilities/bookings/*")
    assert page.inner_text("[data-testid=booking-status]") == "待审批"
    assert "CXQ-2026-E2E · 900.00" in page.inner_text("[data-testid=booking-voucher]")
    booking_url = page.url

    # The manager approves from the inbox, then records the usage.
    sign_in(page, manager.email)
    page.goto("/facilities/manage")
    page.locator("[data-testid=inbox-pending] [data-testid=approve]").first.click()
    assert "预约已批准" in page.inner_text("main")
    # Usage can be recorded once the booking has started: let its time come (move it to now).
    booking = db_session.scalar(sa.select(EquipmentBooking))
    assert booking is not None
    shift = booking.starts_at - utcnow() + timedelta(minutes=5)
    booking.starts_at -= shift
    booking.ends_at -= shift
    db_session.commit()
    page.goto(booking_url)
    assert page.inner_text("[data-testid=booking-status]") == "已确认"
    page.fill("#actual_minutes", "150")
    page.click("[data-testid=record-usage]")
    assert page.inner_text("[data-testid=booking-status]") == "已完成"
    assert "已兑付" in page.inner_text("[data-testid=booking-voucher]")

    # The utilisation page shows the usage, the startup served and the voucher redeemed.
    page.goto("/facilities/manage/usage")
    row = page.inner_text(f"[data-testid=usage-row-{xrd_id}]")
    cells = row.split("\t")
    assert cells[0] == "X射线衍射仪 XRD"
    assert cells[2] == "3.00" and cells[3] == "2.50"  # booked, used
    assert cells[5] == "1" and cells[8] == "900.00" and cells[9] == "900.00"
    assert page.locator("#usage-chart").is_visible()
    assert page.evaluate("typeof Chart") == "function"
