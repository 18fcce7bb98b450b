"""/search and "propose a booking" on one bilingual engine (issue 13 item 6, issue 15 item 14).

The instruments are the demo's catalogue (Chinese- and English-described), embedded by the
default multilingual model: an English need finds the Chinese-described instrument and the other
way round, each with a reason; the proposal offers the earliest free slot before the deadline
the need states ("before 10 December", "12月10日之前").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.demo.tables import FACILITIES
from matchmaker.models import Equipment, utcnow
from matchmaker.models.bookings import AvailabilityWindow
from matchmaker.services.recommendations import engine_settings, engines
from matchmaker.timezones import wall_clock
from tests.factories import make_facility, make_startup, make_user

MONTHS = "January February March April May June July August September October November December"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app(EMBEDDING_MODEL="use-multilingual-v3")
    engines.forget_engines()


@pytest.fixture
def catalogue(app: Flask, db_session: Session) -> dict[str, int]:
    """Every demo instrument in one lab, open 08:00-18:00 every day, no training needed."""
    lab = make_facility(
        db_session, name="Demo lab", manager=make_user(db_session, "facility_manager")
    )
    ids = {}
    for facility in FACILITIES:
        for name, category, specs, description, price, voucher, _training, mode in facility[
            "equipment"
        ]:
            eq = Equipment(
                facility=lab,
                name=name,
                category=category,
                model_specs=specs,
                description=description,
                price_per_hour=Decimal(price),
                voucher_eligible=voucher,
                training_required=False,
                booking_mode=mode,
            )
            db_session.add(eq)
            db_session.flush()
            ids[name] = eq.id
            for weekday in range(7):
                db_session.add(
                    AvailabilityWindow(
                        equipment_id=eq.id, weekday=weekday, start_time=time(8), end_time=time(18)
                    )
                )
    db_session.commit()
    with app.app_context():
        from matchmaker.extensions import db

        engines.build_indexes(
            db.session, engine_settings.EngineSettings.from_app(app), show_progress=False
        )
    return ids


def _search_hits(client: FlaskClient, q: str, language: str) -> list[tuple[str, str]]:
    """(name, reasons text) of each result, in order."""
    html = client.get(
        "/search",
        query_string={"q": q, "kind": "equipment"},
        headers={"Accept-Language": language},
    ).get_data(as_text=True)
    hits = []
    for block in re.split(r'data-testid="match"', html)[1:]:
        name = re.search(r'<a href="/equipment/\d+" class="fw-semibold">([^<]+)</a>', block)
        assert name is not None
        hits.append((name.group(1).strip(), block[:2000]))
    return hits


# Needs in one language, the instrument described in the other, the reason in the reader's.
CROSS_LINGUAL = [
    ("salt spray corrosion test chamber", "en", "盐雾试验箱", "Similar in meaning: 盐雾试验箱"),
    (
        "scanning electron microscope",
        "en",
        "场发射扫描电镜（SEM）",
        "Similar in meaning: 场发射扫描电镜",
    ),
    ("桌面数控铣床", "zh", "Desktop CNC mill", "含义相近：Desktop CNC mill"),
]


def test_search_finds_the_instrument_described_in_the_other_language(
    client: FlaskClient, catalogue: dict[str, int]
) -> None:
    for need, language, instrument, reason in CROSS_LINGUAL:
        hits = _search_hits(client, need, language)
        top3 = [name for name, _ in hits[:3]]
        assert instrument in top3, (need, top3)
        assert reason in dict(hits)[instrument], need


def _deadline(days_ahead: int) -> date:
    return wall_clock(utcnow()).date() + timedelta(days=days_ahead)


def test_propose_a_booking_finds_it_before_the_deadline_with_the_earliest_slot(
    client: FlaskClient, auth, db_session: Session, catalogue: dict[str, int]
) -> None:
    founder = make_user(db_session, "founder", email="founder@example.com")
    startup = make_startup(db_session, founder)
    auth.login("founder@example.com")
    deadline = _deadline(6)
    month = MONTHS.split()[deadline.month - 1]
    for need in (
        f"salt spray corrosion test chamber, 2 hours, before {deadline.day} {month}",
        f"salt spray corrosion test chamber，2小时，{deadline.month}月{deadline.day}日之前",
    ):
        _check_proposal(client, startup.id, need, deadline)


def _check_proposal(client: FlaskClient, startup_id: int, need: str, deadline: date) -> None:
    html = client.post(
        "/facilities/propose", data={"need": need, "category": "", "startup_id": startup_id}
    ).get_data(as_text=True)

    parsed = re.search(r'data-testid="parsed-need">(.*?)</p>', html, re.DOTALL)
    assert parsed is not None
    assert "120 minutes" in parsed.group(1)
    assert deadline.isoformat() in parsed.group(1)  # the window ends at the deadline

    proposals = html.split('data-testid="proposal"')[1:]
    assert proposals
    first = proposals[0]
    assert "盐雾试验箱" in first
    assert "Similar in meaning: 盐雾试验箱" in first
    slots = re.findall(
        r'name="day" value="(\d{4}-\d{2}-\d{2})">\s*'
        r'<input type="hidden" name="start" value="(\d{2}:\d{2})"',
        first,
    )
    assert slots
    day, start = slots[0]
    begins = datetime.combine(date.fromisoformat(day), time.fromisoformat(start))
    assert begins.date() < deadline
    # The earliest: the lab is open 08:00-18:00 every day and nothing is booked, so the first
    # slot is today's next bookable start or tomorrow at 08:00.
    local_now = wall_clock(utcnow())
    assert begins.date() <= local_now.date() + timedelta(days=1)
