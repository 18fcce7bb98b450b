"""The founder's equipment card on the dashboard (``founder_bookings_panel``): the soonest
pending or confirmed bookings not yet over, of the user's startups only, and the balance of
their vouchers still valid on the makerspace's today; its statements are built once and bound
to the user and the time of each call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.services.facilities.bookings.queries import founder_bookings_panel
from tests.factories import make_equipment, make_facility, make_startup, make_user

NOW = datetime(2026, 6, 10, 4, 0)  # noon in the makerspace's zone


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.test_request_context():
        yield db.session


def _book(session: Session, equipment_id: int, startup_id: int, user_id: int, hours: int,
          status: str = "pending") -> int:  # fmt: skip
    booking = EquipmentBooking(
        equipment_id=equipment_id, startup_id=startup_id, user_id=user_id, status=status,
        starts_at=NOW + timedelta(hours=hours), ends_at=NOW + timedelta(hours=hours + 1),
    )  # fmt: skip
    session.add(booking)
    session.commit()
    return booking.id


def _voucher(session: Session, code: str, startup_id: int, balance: str, until: date) -> None:
    session.add(
        Voucher(code=code, startup_id=startup_id, amount=Decimal(1000), balance=Decimal(balance),
                valid_from=date(2026, 1, 1), valid_until=until)
    )  # fmt: skip
    session.commit()


def test_soonest_live_bookings_and_valid_balance_of_the_users_startups_only(
    session: Session, db_session: Session
) -> None:
    founder, other = make_user(db_session, "founder"), make_user(db_session, "founder")
    mine, theirs = make_startup(db_session, founder), make_startup(db_session, other)
    equipment = make_equipment(db_session, make_facility(db_session))
    ids = [_book(db_session, equipment.id, mine.id, founder.id, h) for h in (30, 2, 10, 50)]
    _book(db_session, equipment.id, mine.id, founder.id, -5)  # over
    _book(db_session, equipment.id, mine.id, founder.id, 60, status="declined")
    _book(db_session, equipment.id, theirs.id, other.id, 1)  # another startup's
    _voucher(db_session, "V-TODAY", mine.id, "300", date(2026, 6, 10))  # valid through today
    _voucher(db_session, "V-LATER", mine.id, "200.50", date(2026, 12, 31))
    _voucher(db_session, "V-OLD", mine.id, "999", date(2026, 6, 9))  # expired
    _voucher(db_session, "V-THEIRS", theirs.id, "999", date(2026, 12, 31))
    user = session.get(User, founder.id)
    assert user is not None
    panel = founder_bookings_panel(session, user, now=NOW, limit=3)
    assert [b.id for b in panel.upcoming] == [ids[1], ids[2], ids[0]]
    assert panel.upcoming[0].equipment.name == equipment.name
    assert panel.balance == Decimal("500.50")
    # Another user and another time through the same statements: their own values.
    stranger = session.get(User, other.id)
    assert stranger is not None
    later = founder_bookings_panel(session, stranger, now=NOW + timedelta(days=365))
    assert later.upcoming == [] and later.balance == Decimal("0")
    assert [b.id for b in founder_bookings_panel(session, user, now=NOW, limit=5).upcoming] == [
        ids[1], ids[2], ids[0], ids[3]
    ]  # fmt: skip
