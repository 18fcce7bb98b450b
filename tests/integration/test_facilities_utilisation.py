"""Utilisation figures on a hand-computed week, and the CSV and Excel exports."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, utcnow
from matchmaker.models.bookings import AvailabilityWindow
from matchmaker.services.facilities import utilisation, vouchers
from matchmaker.services.facilities.bookings import equipment_setup, lifecycle, reserve
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.timezones import to_utc, wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user
from tests.integration.test_bookings import ctx_fixture  # noqa: F401 (fixture)


def test_week_of_usage_hand_computed(db_session: Session, ctx: None) -> None:
    manager = make_user(db_session, "facility_manager")
    operator = make_user(db_session, "operator")
    facility = make_facility(db_session, manager=manager)
    eq = make_equipment(db_session, facility)  # 300 CNY/hour
    idle = make_equipment(db_session, facility, name="Idle SEM", price_per_hour=Decimal("500"))
    for item in (eq, idle):
        for d in range(5):  # Mon-Fri 09:00-17:00: 40 hours a week
            db_session.add(
                AvailabilityWindow(
                    equipment_id=item.id, weekday=d, start_time=time(9), end_time=time(17)
                )
            )
    db_session.commit()
    today = wall_clock(utcnow()).date()
    monday = today + timedelta(days=7 - today.weekday())

    def at(day: int, hour: int) -> datetime:
        return to_utc(datetime.combine(monday + timedelta(days=day), time(hour)))

    # Wednesday morning blackout (-4 h), Saturday one-off opening (+4 h): 40 hours open.
    equipment_setup.add_exception(
        db_session, manager, eq.id, kind="blackout", starts_at=at(2, 9), ends_at=at(2, 13)
    )
    equipment_setup.add_exception(
        db_session, manager, eq.id, kind="opening", starts_at=at(5, 10), ends_at=at(5, 14)
    )
    a_user, b_user = make_user(db_session), make_user(db_session)
    a, b = make_startup(db_session, owner=a_user), make_startup(db_session, owner=b_user)
    voucher = vouchers.issue_voucher(
        db_session, operator, startup_id=a.id, amount=Decimal("500"), valid_from=today,
        valid_until=today + timedelta(days=30), categories=["testing"],
    )  # fmt: skip

    def book(user, startup, start: datetime, end: datetime, **kw):  # type: ignore[no-untyped-def]
        return reserve.create_booking(
            db_session, user, WantedSlot(eq.id, startup.id, start, end), **kw
        )

    b1 = book(a_user, a, at(0, 9), at(0, 12), voucher_id=voucher.id)  # 3 h, 900, voucher 500
    b2 = book(b_user, b, at(1, 10), at(1, 12))  # 2 h, 600
    b3 = book(a_user, a, at(3, 14), at(3, 16))  # 2 h, no-show
    b4 = book(b_user, b, at(4, 9), at(4, 10))  # cancelled: not counted
    book(a_user, a, at(4, 13), at(4, 14))  # confirmed, not yet used: booked only
    lifecycle.record_usage(db_session, manager, b1.id, 150, now=at(0, 12))
    lifecycle.record_usage(db_session, manager, b2.id, 120, now=at(1, 12))
    lifecycle.mark_no_show(db_session, manager, b3.id, now=at(3, 15))
    lifecycle.cancel_booking(db_session, manager, b4.id)

    equipment = [db_session.get(Equipment, eq.id), db_session.get(Equipment, idle.id)]
    report = utilisation.usage_report(
        db_session,
        equipment,  # type: ignore[arg-type]
        monday,
        monday + timedelta(days=6),
    )
    row, idle_row = report.rows
    assert row.hours_open == Decimal("40.00")
    assert row.hours_booked == Decimal("8.00")  # 3 + 2 + 2 + 1
    assert row.hours_used == Decimal("4.50")  # 150 + 120 minutes
    assert row.utilisation == Decimal("11.2")  # 4.5 / 40 = 11.25 %, rounded half-even
    assert row.booking_rate == Decimal("20.0")
    assert row.startups_served == 2
    assert row.revenue == Decimal("1500.00")
    assert row.vouchers_redeemed == Decimal("500.00")
    assert (row.bookings, row.no_shows) == (4, 1)
    assert idle_row.hours_open == Decimal("40.00") and idle_row.hours_used == 0
    assert report.total.hours_open == Decimal("80.00")
    assert report.total.startups_served == 2
    assert report.daily_open[:7] == [16.0, 16.0, 12.0, 16.0, 16.0, 4.0, 0.0]
    assert report.daily_used[:2] == [2.5, 2.0]

    csv_text = utilisation.report_csv(report)
    assert "X-ray diffractometer,40.00,8.00,4.50,11.2,20.0,2,4,1,1500.00,500.00" in csv_text

    wb = load_workbook(io.BytesIO(utilisation.report_xlsx(report)))
    sheet = wb["Utilisation"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Instrument" and rows[1][4] == "Utilisation (%)"
    assert rows[2] == ("X-ray diffractometer", 40, 8, 4.5, 11.2, 20, 2, 4, 1, 1500, 500)
    assert rows[4][0] == "Total" and rows[4][1] == 80
    daily = list(wb["By day"].iter_rows(values_only=True))
    assert daily[1] == (monday.isoformat(), 16, 3, 2.5)
