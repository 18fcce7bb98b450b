"""Many founders try to take the same slot at once, each in its own session and thread:
exactly one wins, the others are told the slot is taken. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.models import utcnow
from matchmaker.models.bookings import AvailabilityWindow, EquipmentBooking, Voucher, VoucherEntry
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings import reserve
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.timezones import to_utc, wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user

WORKERS = 12


def _slot(days: int, hour: int, minutes: int = 60) -> tuple[datetime, datetime]:
    day = wall_clock(utcnow()).date() + timedelta(days=days)
    start = to_utc(datetime.combine(day, time(hour)))
    return start, start + timedelta(minutes=minutes)


# An attempt's keys that make its WantedSlot; the others are create_booking's options.
SLOT_FIELDS = ("equipment_id", "startup_id", "starts_at", "ends_at")


def _race(app: Flask, database_url: str, attempts: list[dict[str, object]]) -> list[object]:
    """Run ``create_booking`` for each attempt in its own thread and session, all at once."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def worker(i: int, kwargs: dict[str, object]) -> None:
        engine = make_engine(database_url)
        try:
            with (
                app.test_request_context(headers={"Accept-Language": "en"}),
                Session(engine) as session,
            ):
                user = session.get(type(kwargs["user"]), kwargs["user"].id)  # type: ignore[attr-defined]
                slot = WantedSlot(*(kwargs[k] for k in SLOT_FIELDS))  # type: ignore[arg-type]
                args = {k: v for k, v in kwargs.items() if k not in {"user", *SLOT_FIELDS}}
                barrier.wait()
                try:
                    b = reserve.create_booking(session, user, slot, **args)  # type: ignore[arg-type]
                    results[i] = ("ok", b.id)
                except ServiceError as exc:
                    results[i] = (type(exc).__name__, str(exc.message))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _arrange(db_session: Session, founders: int) -> tuple[int, list[tuple[object, int]]]:
    facility = make_facility(db_session, manager=make_user(db_session, "facility_manager"))
    equipment = make_equipment(db_session, facility)
    for d in range(7):
        db_session.add(
            AvailabilityWindow(
                equipment_id=equipment.id, weekday=d, start_time=time(8), end_time=time(20)
            )
        )
    db_session.commit()
    people = []
    for _ in range(founders):
        user = make_user(db_session, "founder")
        people.append((user, make_startup(db_session, owner=user).id))
    return equipment.id, people


def test_parallel_attempts_for_one_slot_exactly_one_wins(
    app: Flask, database_url: str, db_session: Session
) -> None:
    equipment_id, people = _arrange(db_session, WORKERS)
    start, end = _slot(3, 10, 120)
    attempts: list[dict[str, object]] = []
    for i, (user, startup_id) in enumerate(people):
        # Different but overlapping slots: the no-overlap rule, not just equality.
        offset = timedelta(minutes=30 * (i % 3))
        attempts.append(
            {
                "user": user,
                "equipment_id": equipment_id,
                "startup_id": startup_id,
                "starts_at": start + offset,
                "ends_at": end + offset,
            }
        )
    results = _race(app, database_url, attempts)
    winners = [r for r in results if r and r[0] == "ok"]  # type: ignore[index]
    losers = [r for r in results if r and r[0] != "ok"]  # type: ignore[index]
    assert len(winners) == 1
    assert len(losers) == WORKERS - 1
    assert all(r[0] == "Conflict" and "taken" in r[1] for r in losers)  # type: ignore[index]
    db_session.rollback()  # end the read snapshot taken while arranging
    count = db_session.scalar(sa.select(sa.func.count(EquipmentBooking.id)))
    assert count == 1


def test_database_refuses_overlap_even_without_the_check(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """PostgreSQL's exclusion constraint stops a writer that skips the service."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite serialises in the service")
    equipment_id, people = _arrange(db_session, 2)
    start, end = _slot(3, 10, 120)
    for user, startup_id in people:
        db_session.add(
            EquipmentBooking(
                equipment_id=equipment_id,
                startup_id=startup_id,
                user_id=user.id,  # type: ignore[attr-defined]
                starts_at=start,
                ends_at=end,
                status="confirmed",
            )
        )
        start += timedelta(minutes=60)
        end += timedelta(minutes=60)
    with pytest.raises(IntegrityError, match="ex_equipment_bookings_no_overlap"):
        db_session.commit()
    db_session.rollback()
    # A cancelled booking does not hold the time.
    user, startup_id = people[0]
    for status in ("cancelled", "confirmed"):
        db_session.add(
            EquipmentBooking(
                equipment_id=equipment_id,
                startup_id=startup_id,
                user_id=user.id,  # type: ignore[attr-defined]
                starts_at=start,
                ends_at=end,
                status=status,
            )
        )
    db_session.commit()


def test_voucher_is_never_overspent_under_concurrent_bookings(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """One voucher worth three bookings, twelve parallel bookings of different slots."""
    equipment_id, people = _arrange(db_session, 1)
    user, startup_id = people[0]
    operator = make_user(db_session, "operator")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        voucher = vouchers.issue_voucher(
            db_session,
            operator,
            startup_id=startup_id,
            amount=Decimal("900"),  # 3 x 300 (one hour at 300/hour)
            valid_from=wall_clock(utcnow()).date(),
            valid_until=wall_clock(utcnow()).date() + timedelta(days=30),
            categories=["testing"],
        )
    attempts = []
    for i in range(WORKERS):
        start, end = _slot(2 + i // 6, 8 + 2 * (i % 6))
        attempts.append(
            {
                "user": user,
                "equipment_id": equipment_id,
                "startup_id": startup_id,
                "starts_at": start,
                "ends_at": end,
                "voucher_id": voucher.id,
                "voucher_amount": Decimal("300"),
            }
        )
    results = _race(app, database_url, attempts)
    ok = [r for r in results if r and r[0] == "ok"]  # type: ignore[index]
    assert len(ok) == 3
    refused = [r for r in results if r and r[0] != "ok"]  # type: ignore[index]
    assert all("balance" in r[1] for r in refused)  # type: ignore[index]
    db_session.rollback()
    assert db_session.get(Voucher, voucher.id).balance == Decimal("0")  # type: ignore[union-attr]
    holds = db_session.scalars(sa.select(VoucherEntry).where(VoucherEntry.kind == "hold")).all()
    assert len(holds) == 3 and sum(h.amount for h in holds) == Decimal("900")
    assert sorted(h.balance_after for h in holds) == [Decimal("0"), Decimal("300"), Decimal("600")]


def test_balance_check_constraint(db_session: Session) -> None:
    startup = make_startup(db_session)
    db_session.add(
        Voucher(
            code="CXQ-X",
            startup_id=startup.id,
            amount=Decimal("10"),
            balance=Decimal("-1"),
            valid_from=utcnow().date(),
            valid_until=utcnow().date(),
        )
    )
    with pytest.raises(IntegrityError):
        db_session.commit()
