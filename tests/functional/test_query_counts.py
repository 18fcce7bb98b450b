"""Bounded SQL per page (issue 12): the pages people load most run a number of statements that
does not grow with the data. One warm founder dashboard ran 257 statements on PostgreSQL (four
per instrument: bookings, booking rules, availability windows and exceptions) and the startup
page computed the equipment panel only to drop it. Each page is counted on the demo data, then
again after more instruments (with rules, opening hours, blackouts and bookings), startups,
mentors and investors are added: the count must stay the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
from matchmaker.extensions import db
from matchmaker.models import StartupMember, User, utcnow
from matchmaker.models.bookings import (
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
)
from matchmaker.services.facilities.bookings.queries import free_intervals_by_equipment
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations import engines, freshness
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

pytestmark = pytest.mark.db

# Per page, the most statements one warm request may run (the target: 15).
CEILING = {
    "founder /": 15,
    "founder /startups/<id>": 15,
    "founder /pathway/<id>": 15,
    "founder /search": 15,
    "founder /startups": 15,
    "investor /funding/deal-flow": 15,
}


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    reply = client.post("/auth/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD})
    assert reply.status_code == 302
    return client


def _pages(db_session: Session) -> list[tuple[str, str, str]]:
    founder = db_session.scalar(sa.select(User.id).where(User.email == DEMO_LOGINS["founder"]))
    startup = db_session.scalar(
        sa.select(StartupMember.startup_id)
        .where(StartupMember.user_id == founder)
        .order_by(StartupMember.startup_id)
        .limit(1)
    )
    return [
        ("founder /", "founder", "/"),
        ("founder /startups/<id>", "founder", f"/startups/{startup}"),
        ("founder /pathway/<id>", "founder", f"/pathway/{startup}"),
        ("founder /search", "founder", "/search?q=battery+materials"),
        ("founder /startups", "founder", "/startups"),
        ("investor /funding/deal-flow", "investor", "/funding/deal-flow"),
    ]


def _count_pages(app: Flask, pages: list[tuple[str, str, str]]) -> dict[str, int]:
    clients = {role: _signed_in(app, role) for role in ("founder", "investor")}
    counts = {}
    for name, role, path in pages:
        assert clients[role].get(path).status_code == 200, path  # warm: indexes, caches
        with counting() as statements:
            assert clients[role].get(path).status_code == 200, path
        counts[name] = len(statements)
    return counts


def _grow(db_session: Session, n: int = 12) -> None:
    """More of everything the pages read: instruments with rules, hours, blackouts, bookings."""
    facility = make_facility(db_session)
    person = make_user(db_session, "founder")
    booker = make_startup(db_session, person)
    soon = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    for k in range(n):
        equipment = make_equipment(db_session, facility, name=f"Spectrometer {k}")
        db_session.add(BookingRules(equipment_id=equipment.id, buffer_minutes=15))
        db_session.add_all(
            AvailabilityWindow(
                equipment_id=equipment.id, weekday=d, start_time=time(8), end_time=time(18)
            )
            for d in range(7)
        )
        db_session.add(
            AvailabilityException(
                equipment_id=equipment.id,
                kind="blackout",
                starts_at=soon + timedelta(days=1),
                ends_at=soon + timedelta(days=1, hours=4),
            )
        )
        db_session.add(
            EquipmentBooking(
                equipment_id=equipment.id,
                startup_id=booker.id,
                user_id=person.id,
                starts_at=soon + timedelta(hours=k % 6),
                ends_at=soon + timedelta(hours=k % 6 + 1),
                status="confirmed",
            )
        )
        make_startup(db_session, name=f"Cathode Works {k}")
        make_mentor(db_session)
        make_investor(db_session)
    db_session.commit()


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "computed"])
def test_statements_per_page_are_bounded_and_do_not_grow(
    make_app: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch, remembered: bool
) -> None:
    """Counted as served (a page's recommendations remembered for a few seconds) and with
    nothing remembered: a startup's first load in a worker, or a load after an edit."""
    if not remembered:
        monkeypatch.setattr(freshness, "KEEP_SECONDS", 0.0)
    load_demo_data(db_session)
    app = make_app(EMBEDDING_MODEL="hashing")
    pages = _pages(db_session)
    before = _count_pages(app, pages)
    _grow(db_session)
    after = _count_pages(app, pages)
    assert after == before, (before, after)
    over = {name: n for name, n in after.items() if n > CEILING[name]}
    assert not over, (over, after)


def _free_hours(app: Flask, equipment_id: int) -> float | None:
    with app.app_context():
        command = Caller.offline(app)
        pool = engines.engine_for(db.session, caller=command).corpus.profiles["equipment"]
        return pool[equipment_id].free_hours_next_14d  # type: ignore[no-any-return]


def test_capacity_is_read_once_until_a_write_changes_it(make_app: Any, db_session: Session) -> None:
    """The engine read every instrument's capacity (five statements) on each equipment
    recommendation, so the pathway paid it per chain step. It is now read once, and read again
    as soon as this process commits a booking."""
    load_demo_data(db_session)
    app = make_app(EMBEDDING_MODEL="hashing")
    need = "X-ray diffraction of battery cathode powders"
    command = Caller.offline(app)
    with app.app_context():
        first = reco.recommend_equipment(db.session, need, limit=3, caller=command)
    assert first
    target = first[0].id
    with app.app_context(), counting() as statements:
        again = reco.recommend_equipment(db.session, need, limit=3, caller=command)
    assert [m.id for m in again] == [m.id for m in first]
    assert len(statements) == 1, statements  # the instruments themselves, no capacity read
    before = _free_hours(app, target)
    assert before is not None and before > 1

    now = utcnow()
    free = free_intervals_by_equipment(
        db_session, [target], now, now + timedelta(days=14), from_lead_time=True
    )[target]
    start = next(s for s, e in free if e - s >= timedelta(hours=2))
    person = make_user(db_session, "founder")
    db_session.add(
        EquipmentBooking(
            equipment_id=target,
            startup_id=make_startup(db_session, person).id,
            user_id=person.id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status="confirmed",
        )
    )
    db_session.commit()
    with app.app_context():
        reco.recommend_equipment(db.session, need, limit=3, caller=command)
    after = _free_hours(app, target)
    assert after is not None and after < before, (before, after)
