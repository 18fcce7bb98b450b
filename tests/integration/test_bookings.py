"""Booking rules and states: every rule refuses with a clear message; every transition."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import MatchOutcome, Notification, User, utcnow
from matchmaker.models.bookings import (
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
    WaitlistEntry,
)
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.facilities.bookings import equipment_setup, lifecycle, reserve, waitlist
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.timezones import to_utc, wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user


@pytest.fixture(name="ctx")
def ctx_fixture(app: Flask) -> Iterator[None]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@dataclass
class Lab:
    manager: User
    founder: User
    startup_id: int
    equipment_id: int


def local_slot(
    days_ahead: int, hour: int, minutes: int = 60, minute: int = 0
) -> tuple[datetime, datetime]:
    day = wall_clock(utcnow()).date() + timedelta(days=days_ahead)
    start = to_utc(datetime.combine(day, time(hour, minute)))
    return start, start + timedelta(minutes=minutes)


def open_every_day(session: Session, equipment_id: int, start: int = 8, end: int = 20) -> None:
    for d in range(7):
        session.add(
            AvailabilityWindow(
                equipment_id=equipment_id, weekday=d, start_time=time(start), end_time=time(end)
            )
        )
    session.commit()


@pytest.fixture(name="lab")
def lab_fixture(db_session: Session, ctx: None) -> Lab:
    manager = make_user(db_session, "facility_manager")
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, owner=founder)
    facility = make_facility(db_session, manager=manager)
    equipment = make_equipment(db_session, facility)
    open_every_day(db_session, equipment.id)
    return Lab(manager, founder, startup.id, equipment.id)


def book(
    session: Session, lab: Lab, slot: tuple[datetime, datetime], **kw: object
) -> EquipmentBooking:
    return reserve.create_booking(
        session,
        kw.pop("user", lab.founder),  # type: ignore[arg-type]
        WantedSlot(lab.equipment_id, lab.startup_id, *slot),
        **kw,  # type: ignore[arg-type]
    )


def test_instant_booking_is_confirmed_notifies_and_records_outcome(
    db_session: Session, lab: Lab
) -> None:
    b = book(db_session, lab, local_slot(2, 10, 120), purpose="XRD")
    assert b.status == "confirmed"
    assert b.price == Decimal("600.00")
    kinds = db_session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "facilities.booking_confirmed")
    ).all()
    assert sorted(kinds) == sorted([lab.founder.id, lab.manager.id])
    outcome = db_session.scalar(sa.select(MatchOutcome))
    assert outcome is not None and (outcome.candidate_kind, outcome.outcome) == (
        "equipment",
        "booked",
    )


def test_overlapping_booking_is_refused_as_slot_taken(db_session: Session, lab: Lab) -> None:
    book(db_session, lab, local_slot(2, 10, 120))
    other = make_user(db_session, "founder")
    other_startup = make_startup(db_session, owner=other)
    with pytest.raises(Conflict) as err:
        reserve.create_booking(
            db_session,
            other,
            WantedSlot(
                lab.equipment_id, other_startup.id, local_slot(2, 11)[0], local_slot(2, 12)[0]
            ),
        )
    assert "taken" in str(err.value.message)


@pytest.mark.parametrize(
    ("slot", "expected"),
    [
        (lambda: local_slot(-1, 10), "in the past"),
        (lambda: local_slot(2, 6), "not open"),
        (lambda: local_slot(2, 19, 120), "not open"),
        (lambda: local_slot(2, 10, 600), "at most 480 minutes"),
        (lambda: local_slot(2, 10, 15), "at least 30 minutes"),
        (lambda: local_slot(2, 10, 60, minute=10), "steps of 30 minutes"),
        (lambda: local_slot(90, 10), "at most 60 days ahead"),
    ],
)
def test_rules_refuse_with_clear_message(
    db_session: Session, lab: Lab, slot, expected: str
) -> None:
    with pytest.raises(Invalid) as err:
        book(db_session, lab, slot())
    assert expected in str(err.value.message)
    assert db_session.scalar(sa.select(sa.func.count(EquipmentBooking.id))) == 0


def test_lead_time_buffer_and_blackout(db_session: Session, lab: Lab) -> None:
    equipment_setup.save_rules(
        db_session, lab.manager, lab.equipment_id,
        min_minutes=30, max_minutes=240, granularity_minutes=30, buffer_minutes=30,
        lead_time_minutes=60 * 24 * 3, horizon_days=30, weekly_quota_hours=None,
        cancel_notice_hours=24, booking_mode="instant", training_required=False,
    )  # fmt: skip
    with pytest.raises(Invalid, match="ahead"):
        book(db_session, lab, local_slot(1, 10))
    book(db_session, lab, local_slot(5, 10))
    with pytest.raises(Conflict):  # within the 30-minute buffer after 11:00
        book(db_session, lab, local_slot(5, 11, 60, minute=0))
    book(db_session, lab, local_slot(5, 11, 60, minute=30))
    start, end = local_slot(6, 8, 12 * 60)
    equipment_setup.add_exception(
        db_session, lab.manager, lab.equipment_id, kind="blackout", starts_at=start, ends_at=end
    )
    with pytest.raises(Invalid, match="not open"):
        book(db_session, lab, local_slot(6, 10))


def test_one_off_opening_allows_booking_outside_windows(db_session: Session, lab: Lab) -> None:
    start, end = local_slot(3, 20, 120)
    with pytest.raises(Invalid):
        book(db_session, lab, (start, end))
    equipment_setup.add_exception(
        db_session, lab.manager, lab.equipment_id, kind="opening", starts_at=start, ends_at=end
    )
    # Opening 20:00-22:00 is merged with the 08:00-20:00 window: 19:00-21:00 is bookable.
    assert book(db_session, lab, local_slot(3, 19, 120)).status == "confirmed"


def test_weekly_quota(db_session: Session, lab: Lab) -> None:
    rules = BookingRules(equipment_id=lab.equipment_id, weekly_quota_hours=Decimal("3"))
    db_session.add(rules)
    db_session.commit()
    monday = wall_clock(utcnow()).date() + timedelta(days=7 - wall_clock(utcnow()).weekday())
    offset = (monday - wall_clock(utcnow()).date()).days
    book(db_session, lab, local_slot(offset, 9, 120))
    with pytest.raises(Invalid, match="weekly quota of 3"):
        book(db_session, lab, local_slot(offset + 1, 9, 120))
    book(db_session, lab, local_slot(offset + 1, 9, 60))
    book(db_session, lab, local_slot(offset + 7, 9, 180))  # the next week has its own quota


def test_training_gate_with_expiry(db_session: Session, lab: Lab) -> None:
    db_session.get(BookingRules, lab.equipment_id)
    from matchmaker.models import Equipment

    eq = db_session.get(Equipment, lab.equipment_id)
    assert eq is not None
    eq.training_required = True
    db_session.commit()
    with pytest.raises(Forbidden, match="training"):
        book(db_session, lab, local_slot(10, 10))
    equipment_setup.grant_training(
        db_session,
        lab.manager,
        lab.equipment_id,
        lab.founder.email,
        date.today() + timedelta(days=5),
    )
    with pytest.raises(Forbidden, match="training"):  # expired by the booking date
        book(db_session, lab, local_slot(10, 10))
    assert book(db_session, lab, local_slot(3, 10)).status == "confirmed"


def test_only_members_book_and_only_managers_manage(db_session: Session, lab: Lab) -> None:
    stranger = make_user(db_session, "founder")
    with pytest.raises(Forbidden):
        book(db_session, lab, local_slot(2, 10), user=stranger)
    b = book(db_session, lab, local_slot(2, 10))
    with pytest.raises(Forbidden):
        lifecycle.record_usage(db_session, stranger, b.id, 60)
    with pytest.raises(Forbidden):
        lifecycle.cancel_booking(db_session, stranger, b.id)
    with pytest.raises(Forbidden):
        equipment_setup.add_weekly_window(
            db_session, lab.founder, lab.equipment_id, [0], time(8), time(9)
        )


def test_approval_flow_and_illegal_transitions(db_session: Session, lab: Lab) -> None:
    from matchmaker.models import Equipment

    eq = db_session.get(Equipment, lab.equipment_id)
    assert eq is not None
    eq.booking_mode = "approval"
    db_session.commit()
    b = book(db_session, lab, local_slot(2, 10))
    assert b.status == "pending"
    assert db_session.scalar(
        sa.select(Notification).where(
            Notification.user_id == lab.manager.id,
            Notification.kind == "facilities.booking_requested",
        )
    )
    with pytest.raises(Invalid):
        lifecycle.record_usage(db_session, lab.manager, b.id, 60)
    with pytest.raises(Invalid):
        lifecycle.check_in(db_session, lab.manager, b.id)
    with pytest.raises(Invalid, match="reason"):
        lifecycle.decline_booking(db_session, lab.manager, b.id, "  ")
    assert lifecycle.approve_booking(db_session, lab.manager, b.id).status == "confirmed"
    with pytest.raises(Invalid):
        lifecycle.approve_booking(db_session, lab.manager, b.id)
    with pytest.raises(Invalid):
        lifecycle.decline_booking(db_session, lab.manager, b.id, "busy")
    with pytest.raises(Invalid, match="only after it started"):
        lifecycle.mark_no_show(db_session, lab.manager, b.id)
    with pytest.raises(Invalid, match="once it has started"):
        lifecycle.check_in(db_session, lab.manager, b.id, now=b.starts_at - timedelta(minutes=1))
    started = b.starts_at + timedelta(minutes=5)
    lifecycle.check_in(db_session, lab.manager, b.id, now=started)
    done = lifecycle.record_usage(db_session, lab.manager, b.id, 50, now=started)
    assert (done.status, done.actual_minutes) == ("completed", 50)
    for action in (
        lambda: lifecycle.cancel_booking(db_session, lab.founder, b.id),
        lambda: lifecycle.record_usage(db_session, lab.manager, b.id, 30, now=started),
        lambda: lifecycle.approve_booking(db_session, lab.manager, b.id),
    ):
        with pytest.raises(Invalid):
            action()
    outcomes = db_session.scalars(sa.select(MatchOutcome.outcome).order_by(MatchOutcome.id)).all()
    assert outcomes == ["booked", "completed"]


def test_decline_with_reason_notifies_founder(db_session: Session, lab: Lab) -> None:
    from matchmaker.models import Equipment

    eq = db_session.get(Equipment, lab.equipment_id)
    assert eq is not None
    eq.booking_mode = "approval"
    db_session.commit()
    b = book(db_session, lab, local_slot(2, 10))
    lifecycle.decline_booking(db_session, lab.manager, b.id, "Maintenance that day")
    note = db_session.scalar(
        sa.select(Notification).where(
            Notification.user_id == lab.founder.id,
            Notification.kind == "facilities.booking_declined",
        )
    )
    assert note is not None and note.params["reason"] == "Maintenance that day"
    # The declined booking no longer holds the time.
    assert book(db_session, lab, local_slot(2, 10)).status == "pending"


def test_no_show_after_start(db_session: Session, lab: Lab) -> None:
    b = book(db_session, lab, local_slot(2, 10))
    later = b.starts_at + timedelta(minutes=20)
    assert lifecycle.mark_no_show(db_session, lab.manager, b.id, now=later).status == "no_show"
    assert (
        db_session.scalar(sa.select(MatchOutcome.outcome).order_by(MatchOutcome.id.desc()))
        == "no_show"
    )


def test_cancel_policy_for_founder_not_manager(db_session: Session, lab: Lab) -> None:
    b = book(db_session, lab, local_slot(2, 10))
    late = b.starts_at - timedelta(hours=2)
    with pytest.raises(Invalid, match="24 hours"):
        lifecycle.cancel_booking(db_session, lab.founder, b.id, now=late)
    assert lifecycle.cancel_booking(db_session, lab.manager, b.id, now=late).status == "cancelled"
    b2 = book(db_session, lab, local_slot(3, 10))
    assert lifecycle.cancel_booking(db_session, lab.founder, b2.id).status == "cancelled"


def test_weekly_series_skips_conflicts_and_reports(db_session: Session, lab: Lab) -> None:
    other = make_user(db_session, "founder")
    other_startup = make_startup(db_session, owner=other)
    start, end = local_slot(3, 14, 120)
    wanted = WantedSlot(lab.equipment_id, lab.startup_id, start, end)
    taken = WantedSlot(lab.equipment_id, other_startup.id, start, end).weeks_later(1)
    reserve.create_booking(db_session, other, taken)
    report = reserve.create_series(db_session, lab.founder, wanted, weeks=10)
    booked_weeks = [int((b.starts_at - start).days / 7) for b in report.booked]
    skipped_weeks = [int((s - start).days / 7) for s, _e, _r in report.skipped]
    assert booked_weeks == [0, 2, 3, 4, 5, 6, 7, 8]
    assert skipped_weeks == [1, 9]  # taken; beyond the 60-day horizon
    reasons = [str(r) for _s, _e, r in report.skipped]
    assert "taken" in reasons[0] and "60 days" in reasons[1]
    assert all(b.series_id == report.series_id for b in report.booked)


def test_waitlist_offer_when_slot_frees(db_session: Session, lab: Lab) -> None:
    holder = book(db_session, lab, local_slot(3, 10, 120))
    other = make_user(db_session, "founder")
    other_startup = make_startup(db_session, owner=other)
    start, end = local_slot(3, 10, 60)
    wanted = WantedSlot(lab.equipment_id, other_startup.id, start, end)
    with pytest.raises(Conflict):
        reserve.create_booking(db_session, other, wanted)
    entry = waitlist.join_waitlist(db_session, other, wanted)
    with pytest.raises(Invalid, match="free"):
        waitlist.join_waitlist(
            db_session,
            other,
            WantedSlot(
                lab.equipment_id,
                other_startup.id,
                start + timedelta(days=1),
                end + timedelta(days=1),
            ),
        )
    lifecycle.cancel_booking(db_session, lab.founder, holder.id)
    db_session.expire_all()
    offered = db_session.get(WaitlistEntry, entry.id)
    assert offered is not None and offered.status == "offered"
    assert db_session.scalar(
        sa.select(Notification).where(
            Notification.user_id == other.id, Notification.kind == "facilities.waitlist_offer"
        )
    )
    b = reserve.accept_offer(db_session, other, entry.id)
    assert b.status == "confirmed" and b.startup_id == other_startup.id
    with pytest.raises(Invalid):
        reserve.accept_offer(db_session, other, entry.id)


def test_only_managers_remove_windows_and_exceptions(db_session: Session, lab: Lab) -> None:
    window = db_session.scalars(
        sa.select(AvailabilityWindow).where(AvailabilityWindow.equipment_id == lab.equipment_id)
    ).first()
    assert window is not None
    start, end = local_slot(4, 9, 120)
    blackout = equipment_setup.add_exception(
        db_session, lab.manager, lab.equipment_id, kind="blackout", starts_at=start, ends_at=end
    )
    with pytest.raises(Forbidden):
        equipment_setup.delete_window(db_session, lab.founder, window.id)
    with pytest.raises(Forbidden):
        equipment_setup.delete_exception(db_session, lab.founder, blackout.id)
    assert equipment_setup.delete_window(db_session, lab.manager, window.id) == lab.equipment_id
    assert (
        equipment_setup.delete_exception(db_session, lab.manager, blackout.id) == lab.equipment_id
    )
    assert db_session.get(AvailabilityWindow, window.id) is None
    with pytest.raises(NotFound):
        equipment_setup.delete_window(db_session, lab.manager, window.id)
