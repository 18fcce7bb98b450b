"""Defects of issue 15 in the facilities and operator services, each pinned by a test:
overlapping windows, usage before the start, stale requests, expired training, utilisation
before an instrument existed, the voucher chart's issue dates and the annual workbook."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.extensions import queue
from matchmaker.models import Equipment, Notification, utcnow
from matchmaker.models.bookings import (
    AvailabilityWindow,
    EquipmentBooking,
    Voucher,
    VoucherEntry,
)
from matchmaker.services.errors import Invalid
from matchmaker.services.facilities import utilisation, vouchers
from matchmaker.services.facilities.bookings import equipment_setup, lifecycle
from matchmaker.services.operator.evaluation import evaluation_reports
from matchmaker.services.operator.monitoring import dashboard
from tests.factories import make_equipment, make_facility, make_startup, make_user
from tests.integration.test_bookings import (  # noqa: F401 (fixtures)
    Lab,
    book,
    ctx_fixture,
    lab_fixture,
    local_slot,
)


def _windows(session: Session, equipment_id: int) -> list[tuple[int, time, time]]:
    rows = session.execute(
        sa.select(
            AvailabilityWindow.weekday, AvailabilityWindow.start_time, AvailabilityWindow.end_time
        )
        .where(AvailabilityWindow.equipment_id == equipment_id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_overlapping_or_repeated_window_is_refused_and_nothing_is_saved(
    db_session: Session, ctx: None
) -> None:
    manager = make_user(db_session, "facility_manager")
    eq = make_equipment(db_session, make_facility(db_session, manager=manager))
    equipment_setup.add_weekly_window(
        db_session, manager, eq.id, [0, 1, 2, 3, 4], time(9), time(12)
    )
    before = _windows(db_session, eq.id)
    with pytest.raises(Invalid, match="already published"):
        equipment_setup.add_weekly_window(db_session, manager, eq.id, [0], time(9), time(12))
    # Friday and Saturday: Friday overlaps, so Saturday is not saved either.
    with pytest.raises(Invalid, match="overlaps 09:00–12:00"):
        equipment_setup.add_weekly_window(db_session, manager, eq.id, [4, 5], time(11), time(14))
    assert _windows(db_session, eq.id) == before
    # Back to back is fine (12:00 is where the morning ends).
    equipment_setup.add_weekly_window(db_session, manager, eq.id, [4], time(12), time(14))
    assert (4, time(12), time(14)) in _windows(db_session, eq.id)


def test_database_refuses_a_repeated_window(db_session: Session, ctx: None) -> None:
    manager = make_user(db_session, "facility_manager")
    eq = make_equipment(db_session, make_facility(db_session, manager=manager))
    db_session.add(
        AvailabilityWindow(equipment_id=eq.id, weekday=0, start_time=time(9), end_time=time(12))
    )
    db_session.commit()
    db_session.add(
        AvailabilityWindow(equipment_id=eq.id, weekday=0, start_time=time(9), end_time=time(12))
    )
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    if db_session.get_bind().dialect.name == "postgresql":
        # The exclusion constraint: overlap, not only repetition.
        db_session.add(
            AvailabilityWindow(
                equipment_id=eq.id, weekday=0, start_time=time(11), end_time=time(13)
            )
        )
        with pytest.raises(IntegrityError):
            db_session.commit()
        db_session.rollback()


def test_check_in_and_usage_refused_before_the_start(db_session: Session, lab: Lab) -> None:
    operator = make_user(db_session, "operator")
    today = utcnow().date()
    v = vouchers.issue_voucher(
        db_session, operator, startup_id=lab.startup_id, amount=Decimal("1000"),
        valid_from=today, valid_until=today + timedelta(days=30), categories=["testing"],
    )  # fmt: skip
    b = book(db_session, lab, local_slot(2, 10), voucher_id=v.id)
    with pytest.raises(Invalid, match="once it has started"):
        lifecycle.check_in(db_session, lab.manager, b.id)
    with pytest.raises(Invalid, match="once it has started"):
        lifecycle.record_usage(db_session, lab.manager, b.id, 60)
    db_session.expire_all()
    assert db_session.get(EquipmentBooking, b.id).status == "confirmed"  # type: ignore[union-attr]
    assert db_session.get(Voucher, v.id).balance == Decimal("700")  # type: ignore[union-attr]
    assert not db_session.scalar(sa.select(VoucherEntry.id).where(VoucherEntry.kind == "redeem"))
    done = lifecycle.record_usage(db_session, lab.manager, b.id, 60, now=b.starts_at)
    assert done.status == "completed" and done.voucher_state == "redeemed"


def test_stale_request_expires_releases_voucher_and_cannot_be_approved(
    app: Flask, db_session: Session, lab: Lab
) -> None:
    from matchmaker.jobs import facilities as facility_jobs

    eq = db_session.get(Equipment, lab.equipment_id)
    assert eq is not None
    eq.booking_mode = "approval"
    db_session.commit()
    operator = make_user(db_session, "operator")
    today = utcnow().date()
    v = vouchers.issue_voucher(
        db_session, operator, startup_id=lab.startup_id, amount=Decimal("1000"),
        valid_from=today, valid_until=today + timedelta(days=30), categories=["testing"],
    )  # fmt: skip
    stale = book(db_session, lab, local_slot(2, 10), voucher_id=v.id)
    fresh = book(db_session, lab, local_slot(3, 10))
    later = stale.starts_at + timedelta(minutes=1)
    with pytest.raises(Invalid, match="can no longer be approved"):
        lifecycle.approve_booking(db_session, lab.manager, stale.id, now=later)
    assert lifecycle.expire_requests(db_session, now=later) == 1
    db_session.expire_all()
    assert db_session.get(EquipmentBooking, stale.id).status == "expired"  # type: ignore[union-attr]
    assert db_session.get(EquipmentBooking, fresh.id).status == "pending"  # type: ignore[union-attr]
    assert db_session.get(Voucher, v.id).balance == Decimal("1000")  # type: ignore[union-attr]
    assert db_session.scalar(
        sa.select(Notification.id).where(
            Notification.user_id == lab.founder.id,
            Notification.kind == "facilities.booking_expired",
        )
    )
    assert lifecycle.expire_requests(db_session, now=later) == 0  # nothing twice
    # The worker's scheduler runs it every quarter of an hour, like the mentoring expiry.
    jobs = queue.bound(app)
    assert facility_jobs.expire_booking_requests in jobs.periodic_due(datetime(2026, 12, 1, 9, 45))


def test_already_expired_training_is_refused(db_session: Session, lab: Lab) -> None:
    with pytest.raises(Invalid, match="already expired"):
        equipment_setup.grant_training(
            db_session, lab.manager, lab.equipment_id, lab.founder.email, date(2020, 1, 1)
        )
    row = equipment_setup.grant_training(
        db_session, lab.manager, lab.equipment_id, lab.founder.email,
        utcnow().date() + timedelta(days=90),
    )  # fmt: skip
    assert row.id


def test_utilisation_counts_open_hours_from_the_listing_day(db_session: Session, ctx: None) -> None:
    manager = make_user(db_session, "facility_manager")
    facility = make_facility(db_session, manager=manager)
    # Listed on Monday 2026-03-02 (local), open Mondays 09:00-17:00; report over Q1 2026.
    listed = datetime(2026, 3, 2, 1, 0)  # 09:00 in Chongqing
    eq = make_equipment(db_session, facility, created_at=listed)
    db_session.add(
        AvailabilityWindow(equipment_id=eq.id, weekday=0, start_time=time(9), end_time=time(17))
    )
    founder = make_user(db_session)
    startup = make_startup(db_session, owner=founder)
    db_session.add(
        EquipmentBooking(
            equipment_id=eq.id, startup_id=startup.id, user_id=founder.id,
            starts_at=datetime(2026, 3, 9, 1), ends_at=datetime(2026, 3, 9, 5),
            status="completed", price=Decimal(0), actual_minutes=240,
        )
    )  # fmt: skip
    db_session.commit()
    report = utilisation.usage_report(db_session, [eq], date(2026, 1, 1), date(2026, 3, 31))
    # Mondays from March 2: 2, 9, 16, 23, 30 = 5 x 8 h (not the 13 Mondays of the quarter).
    assert report.rows[0].hours_open == Decimal("40.00")
    assert report.rows[0].utilisation == Decimal("10.0")


def test_voucher_chart_counts_issue_on_the_issue_date(app: Flask, db_session: Session) -> None:
    founder = make_user(db_session)
    startup = make_startup(db_session, owner=founder)
    facility = make_facility(db_session)
    # The record was written (imported) in June; the ledger says it was issued in January.
    voucher = Voucher(
        code="V-IMPORTED", startup_id=startup.id, amount=Decimal(5000), balance=Decimal(3000),
        valid_from=date(2026, 1, 10), valid_until=date(2026, 12, 31),
        created_at=datetime(2026, 6, 1),
    )  # fmt: skip
    db_session.add(voucher)
    db_session.flush()
    db_session.add_all(
        [
            VoucherEntry(voucher_id=voucher.id, kind="issue", amount=Decimal(5000),
                         balance_after=Decimal(5000), created_at=datetime(2026, 1, 10)),
            VoucherEntry(voucher_id=voucher.id, facility_id=facility.id, kind="redeem",
                         amount=Decimal(2000), balance_after=Decimal(3000),
                         created_at=datetime(2026, 2, 20)),
        ]
    )  # fmt: skip
    db_session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        period = dashboard.Period(date(2026, 1, 1), date(2026, 6, 30))
        metric = {m.key: m for m in dashboard.collect(db_session, period, "en")}["vouchers"]
    series = {str(d.label): d.data for d in metric.datasets}
    assert series["Issued (yuan)"] == [5000.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert series["Redeemed (yuan)"] == [0.0, 2000.0, 0.0, 0.0, 0.0, 0.0]
    issued = redeemed = 0.0
    for i, r in zip(series["Issued (yuan)"], series["Redeemed (yuan)"], strict=True):
        issued, redeemed = issued + i, redeemed + r
        assert redeemed <= issued  # no month redeems what was not issued yet


def test_annual_workbook_monthly_sheet_scores_and_labels(app: Flask, db_session: Session) -> None:
    founder = make_user(db_session)
    make_startup(db_session, owner=founder, created_at=datetime(2026, 2, 1))
    manager = make_user(db_session, "facility_manager")
    facility = make_facility(db_session, manager=manager, name="Lab")
    eq = make_equipment(db_session, facility, name="XRD", created_at=datetime(2025, 12, 1))
    db_session.add(
        AvailabilityWindow(equipment_id=eq.id, weekday=0, start_time=time(9), end_time=time(17))
    )
    startup = make_startup(db_session, owner=founder)
    db_session.add(
        EquipmentBooking(
            equipment_id=eq.id, startup_id=startup.id, user_id=founder.id,
            starts_at=datetime(2026, 3, 9, 1), ends_at=datetime(2026, 3, 9, 5),
            status="completed", price=Decimal(0), actual_minutes=240,
        )
    )  # fmt: skip
    db_session.commit()
    for locale, monthly_name, category in (("en", "Monthly", "Inspection and testing"),
                                           ("zh_CN", "按月", "检验检测")):  # fmt: skip
        with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
            report = evaluation_reports.makerspace_report(db_session, 2026, locale)
            book = load_workbook(BytesIO(evaluation_reports.report_xlsx(report)))
            one = evaluation_reports.facility_report(db_session, 2026, facility.id, locale)
            equipment_book = load_workbook(BytesIO(evaluation_reports.report_xlsx(one)))
        rows = list(book[monthly_name].iter_rows(values_only=True))
        months = [f"2026-{m:02d}" for m in range(1, 13)]
        assert list(rows[0]) == [rows[0][0], rows[0][1], *months]  # no overflow column
        for row in rows[1:]:
            assert all(isinstance(v, int | float) for v in row[2:])
        # Counts by sector and stage are not under month headers.
        titles = {r[0] for r in rows[1:]}
        assert not any("sector" in str(t).lower() or "行业" in str(t) for t in titles)
        scores_sheet = book["Facilities" if locale == "en" else "共享设施"]
        scores = list(scores_sheet.iter_rows(values_only=True))
        assert all(isinstance(v, int | float) or v is None for v in scores[1][1:-1])
        equipment_rows = list(equipment_book.worksheets[-1].iter_rows(values_only=True))
        assert equipment_rows[1][1] == category
