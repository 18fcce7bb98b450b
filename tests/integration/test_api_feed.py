"""The service-event feed: every event exactly once across pages while new events arrive, one
event per fact whatever path writes it, and (on PostgreSQL) sequence order = commit order, so a
transaction that commits late never slips behind a cursor already handed out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.models.api import ServiceEvent
from matchmaker.models.bookings import EquipmentBooking, Voucher, VoucherEntry
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SupportRecord
from matchmaker.services.api import tokens
from tests.factories import make_equipment, make_facility, make_mentor, make_startup, make_user


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing", API_RATE_LIMIT_PER_MINUTE=1000)


class Makerspace:
    """Makes one fact of each kind on demand, through the ORM as the areas' services do."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.operator = make_user(session, "operator")
        self.startup = make_startup(session)
        self.mentor = make_mentor(session)
        self.equipment = make_equipment(session, make_facility(session))
        self.voucher = Voucher(code="V-FEED", startup_id=self.startup.id, amount=Decimal("9000"),
                               balance=Decimal("9000"), valid_from=date(2026, 1, 1),
                               valid_until=date(2026, 12, 31))  # fmt: skip
        session.add(self.voucher)
        session.commit()
        self.n = 0

    def support(self) -> None:
        self.session.add(
            SupportRecord(startup_id=self.startup.id, kind="subsidy", amount=Decimal("100"),
                          granted_on=date(2026, 2, 1), created_by_id=self.operator.id)
        )  # fmt: skip
        self.session.commit()

    def session_held(self) -> None:
        """Requested first, completed later: the event comes with the status change."""
        self.n += 1
        start = datetime(2026, 3, 1, 2) + timedelta(days=self.n)
        s = MentorSession(mentor_id=self.mentor.id, startup_id=self.startup.id,
                          status="scheduled", topic="technology", starts_at=start,
                          ends_at=start + timedelta(hours=1))  # fmt: skip
        self.session.add(s)
        self.session.commit()
        s.status = "completed"
        self.session.commit()

    def booking_completed(self) -> None:
        self.n += 1
        start = datetime(2026, 3, 1, 2) + timedelta(days=self.n)
        b = EquipmentBooking(equipment_id=self.equipment.id, startup_id=self.startup.id,
                             user_id=self.operator.id, starts_at=start,
                             ends_at=start + timedelta(hours=1), status="confirmed")  # fmt: skip
        self.session.add(b)
        self.session.commit()
        b.status = "completed"
        b.completed_at = b.ends_at
        self.session.commit()
        b.purpose = "edited after completion"  # not a new fact
        self.session.commit()

    def voucher_redeemed(self) -> None:
        self.session.add(
            VoucherEntry(voucher_id=self.voucher.id, kind="redeem", amount=Decimal("10"),
                         balance_after=Decimal("0"), facility_id=self.equipment.facility_id)
        )  # fmt: skip
        self.session.commit()

    def one_of_each(self) -> None:
        self.support()
        self.session_held()
        self.booking_completed()
        self.voucher_redeemed()


def _page(client: FlaskClient, token: str, cursor: str | None, limit: int) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    answer = client.get(f"/api/v1/events{query}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def test_every_event_exactly_once_while_new_ones_arrive(app: Flask, db_session: Session) -> None:
    space = Makerspace(db_session)
    token = tokens.issue_token(db_session, space.operator, "platform", ["statistics"]).secret
    client = app.test_client()
    for _ in range(3):
        space.one_of_each()
    seen: list[int] = []
    kinds: list[str] = []
    cursor = None
    for round_ in range(12):
        page = _page(client, token, cursor, limit=3)
        seen += [e["sequence"] for e in page["data"]]
        kinds += [e["kind"] for e in page["data"]]
        cursor = page["next_cursor"]
        if round_ < 6:
            space.one_of_each()  # new events between pages
    while (page := _page(client, token, cursor, limit=3))["data"]:
        seen += [e["sequence"] for e in page["data"]]
        kinds += [e["kind"] for e in page["data"]]
        cursor = page["next_cursor"]
    assert page["has_more"] is False and page["next_cursor"] == cursor  # polling again is safe
    stored = db_session.scalars(sa.select(ServiceEvent.sequence).order_by(ServiceEvent.sequence))
    assert seen == list(stored)  # every event, once, in order
    assert len(seen) == 9 * 4
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "support_recorded": 9, "session_held": 9, "booking_completed": 9, "voucher_redeemed": 9
    }  # fmt: skip


def test_a_fact_written_twice_is_one_event(app: Flask, db_session: Session) -> None:
    space = Makerspace(db_session)
    space.booking_completed()
    booking = db_session.scalars(sa.select(EquipmentBooking)).one()
    booking.status = "no_show"
    db_session.commit()
    booking.status = "completed"
    db_session.commit()
    events = db_session.scalars(sa.select(ServiceEvent)).all()
    assert [(e.kind, e.source_id, e.facility_id) for e in events] == [
        ("booking_completed", booking.id, space.equipment.facility_id)
    ]


def test_a_late_commit_never_falls_behind_the_cursor(
    app: Flask, db_session: Session, database_url: str
) -> None:
    """Two writers: the first takes its number and waits; the second must wait for its commit,
    so a reader never sees number 2 without number 1."""
    engine = make_engine(database_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("SQLite has one writer at a time: the race cannot happen there")
    space = Makerspace(db_session)
    first, second = Session(engine), Session(engine)
    first.add(SupportRecord(startup_id=space.startup.id, kind="subsidy",
                            granted_on=date(2026, 2, 1)))  # fmt: skip
    first.flush()  # number taken, not committed
    done = threading.Event()

    def second_writer() -> None:
        second.add(SupportRecord(startup_id=space.startup.id, kind="award",
                                 granted_on=date(2026, 2, 2)))  # fmt: skip
        second.commit()
        done.set()

    worker = threading.Thread(target=second_writer)
    worker.start()
    assert not done.wait(1.0), "the second writer must wait for the first one's commit"
    first.commit()
    worker.join(10)
    assert done.is_set()
    rows = db_session.execute(
        sa.select(ServiceEvent.sequence, ServiceEvent.kind).order_by(ServiceEvent.sequence)
    ).all()
    assert [k for _, k in rows] == ["support_recorded", "support_recorded"]
    assert rows[0][0] < rows[1][0]
    first.close()
    second.close()
    engine.dispose()
