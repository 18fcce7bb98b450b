"""Issue 11's concurrency suite over HTTP: a real gunicorn server (4 worker processes) on
127.0.0.1 against the test database, users signed in through the real login form, forms posted
with their CSRF token, twenty at once per wave. No reply may be a server error (5xx or a dropped
connection); the ground truth is read back with SQL. Runs on SQLite and, with
MATCHMAKER_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import Mentor, Notification, Startup, StartupMember, User
from matchmaker.models.bookings import EquipmentBooking
from matchmaker.models.mentoring import MentorSession
from matchmaker.services.mentoring.availability import SLOT_KEY_FORMAT
from matchmaker.timezones import wall_clock
from tests.factories import PASSWORD
from tests.integration.live_server import Browser, Click, LiveServer, Reply, live_server, storm
from tests.integration.race import (
    equipment_open_daily,
    equipment_slot,
    make_mentor_with_slots,
    mentor_day_slots,
    open_requests,
    quick_founders,
    quick_users,
)

__all__ = ["live_server"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.db

WIDTH = 20  # clicks at once
ROUNDS = 5  # waves per scenario: 100 clicks, five contests


def _no_server_error(replies: list[Reply]) -> None:
    bad = [r for r in replies if r.status >= 500 or r.status < 0]
    assert not bad, bad[:3]


def _key(moment: datetime) -> str:
    return moment.strftime(SLOT_KEY_FORMAT)


def _signed_in(server: LiveServer, user: User) -> tuple[Browser, str]:
    """A browser signed in as ``user`` and a CSRF token valid for its session."""
    browser = Browser(server.url).login(user.email)
    return browser, browser.token("/mentoring/calendar")


def _founder_of(db_session: Session, n: int) -> tuple[User, list[Startup]]:
    """One founder who is a member of ``n`` startups (signs in once, acts for each)."""
    pairs = quick_founders(db_session, n)
    founder = pairs[0][0]
    for _, startup in pairs[1:]:
        db_session.add(StartupMember(startup_id=startup.id, user_id=founder.id, title="CEO"))
    db_session.commit()
    return founder, [s for _, s in pairs]


def _scheduled(db_session: Session) -> Counter[int]:
    db_session.rollback()
    return Counter(
        db_session.scalars(
            sa.select(MentorSession.mentor_id).where(MentorSession.status == "scheduled")
        )
    )


def _accept_clicks(
    server: LiveServer, mentor: Mentor, ids: list[int], slots: list[datetime], label: object
) -> list[Click]:
    browser, token = _signed_in(server, mentor.user)
    return [
        Click(
            browser.twin(),
            f"/mentoring/sessions/{i}/accept",
            {"slot": _key(s), "csrf_token": token},
            label,
        )
        for i, s in zip(ids, slots, strict=True)
    ]


def test_http_mentor_slot_one_session(live_server: LiveServer, db_session: Session) -> None:
    founder, startups = _founder_of(db_session, WIDTH)
    (slot,) = mentor_day_slots(1)
    waves = []
    for r in range(ROUNDS):
        mentor = make_mentor_with_slots(db_session, [slot])
        ids = open_requests(db_session, mentor, [(founder, s, slot) for s in startups])
        waves.append(_accept_clicks(live_server, mentor, ids, [slot] * WIDTH, r))
    replies = storm(waves)
    _no_server_error(replies)
    assert Counter(r.status for r in replies) == {302: ROUNDS, 409: ROUNDS * (WIDTH - 1)}
    assert sorted(_scheduled(db_session).values()) == [1] * ROUNDS


def test_http_mentor_capacity(live_server: LiveServer, db_session: Session) -> None:
    capacity = 3
    founder, startups = _founder_of(db_session, WIDTH)
    slots = mentor_day_slots(WIDTH)
    waves = []
    for r in range(ROUNDS):
        mentor = make_mentor_with_slots(db_session, slots, capacity=capacity)
        ids = open_requests(
            db_session, mentor, [(founder, s, sl) for s, sl in zip(startups, slots, strict=True)]
        )
        waves.append(_accept_clicks(live_server, mentor, ids, slots, r))
    replies = storm(waves)
    _no_server_error(replies)
    assert Counter(r.status for r in replies) == {
        302: ROUNDS * capacity,
        409: ROUNDS * (WIDTH - capacity),
    }
    assert sorted(_scheduled(db_session).values()) == [capacity] * ROUNDS


def test_http_double_accept(live_server: LiveServer, db_session: Session) -> None:
    founder, startups = _founder_of(db_session, ROUNDS)
    slots = mentor_day_slots(ROUNDS)
    mentor = make_mentor_with_slots(db_session, slots)
    ids = open_requests(
        db_session, mentor, [(founder, s, sl) for s, sl in zip(startups, slots, strict=True)]
    )
    browser, token = _signed_in(live_server, mentor.user)
    waves = [
        [
            Click(
                browser.twin(),
                f"/mentoring/sessions/{i}/accept",
                {"slot": _key(sl), "csrf_token": token},
                i,
            )
            for _ in range(WIDTH)
        ]
        for i, sl in zip(ids, slots, strict=True)
    ]
    replies = storm(waves)
    _no_server_error(replies)
    assert Counter(r.status for r in replies) == {302: ROUNDS, 409: ROUNDS * (WIDTH - 1)}
    assert _scheduled(db_session) == {mentor.id: ROUNDS}
    notified = Counter(
        db_session.execute(
            sa.select(Notification.link, Notification.user_id).where(
                Notification.kind == "mentoring.accepted"
            )
        ).all()
    )
    assert set(notified.values()) == {1}  # each founder told once per session
    assert len({link for link, _ in notified}) == ROUNDS


def test_http_withdraw_racing_accept(live_server: LiveServer, db_session: Session) -> None:
    pairs = WIDTH // 2
    founder, startups = _founder_of(db_session, pairs)
    founder_browser, founder_token = _signed_in(live_server, founder)
    slots = mentor_day_slots(pairs)
    waves = []
    all_ids = []
    for _ in range(ROUNDS):
        mentor = make_mentor_with_slots(db_session, slots)
        ids = open_requests(
            db_session, mentor, [(founder, s, sl) for s, sl in zip(startups, slots, strict=True)]
        )
        all_ids += ids
        accepts = _accept_clicks(live_server, mentor, ids, slots, None)
        wave = []
        for i, accept in zip(ids, accepts, strict=True):
            wave.append(Click(accept.browser, accept.path, accept.data, (i, "accept")))
            wave.append(
                Click(
                    founder_browser.twin(),
                    f"/mentoring/sessions/{i}/withdraw",
                    {"csrf_token": founder_token},
                    (i, "withdraw"),
                )
            )
        waves.append(wave)
    replies = storm(waves)
    _no_server_error(replies)
    assert {r.status for r in replies} <= {302, 409}
    winners = {r.label[0]: r.label[1] for r in replies if r.status == 302}
    assert sorted(winners) == sorted(all_ids)  # each session: exactly one 302 ...
    assert sum(r.status == 302 for r in replies) == len(all_ids)  # ... and only one
    db_session.rollback()
    status = dict(
        db_session.execute(
            sa.select(MentorSession.id, MentorSession.status).where(MentorSession.id.in_(all_ids))
        ).all()
    )
    expected = {"accept": "scheduled", "withdraw": "withdrawn"}
    assert {i: status[i] for i in all_ids} == {i: expected[winners[i]] for i in all_ids}


def test_http_duplicate_request(live_server: LiveServer, db_session: Session) -> None:
    founder, startups = _founder_of(db_session, ROUNDS)
    (slot,) = mentor_day_slots(1)
    mentor = make_mentor_with_slots(db_session, [slot])
    browser = Browser(live_server.url).login(founder.email)
    token = browser.token(f"/mentoring/request/{mentor.id}")
    waves = [
        [
            Click(
                browser.twin(),
                f"/mentoring/request/{mentor.id}",
                {
                    "startup_id": startup.id,
                    "topic": "technology",
                    "goal": "Review our test plan",
                    "slots": _key(slot),
                    "follow_up_of": "",
                    "csrf_token": token,
                },
                startup.id,
            )
            for _ in range(WIDTH)
        ]
        for startup in startups
    ]
    replies = storm(waves)
    _no_server_error(replies)
    assert Counter(r.status for r in replies) == {302: ROUNDS, 409: ROUNDS * (WIDTH - 1)}
    db_session.rollback()
    open_per_startup = Counter(
        db_session.scalars(
            sa.select(MentorSession.startup_id).where(MentorSession.status == "requested")
        )
    )
    assert sorted(open_per_startup.values()) == [1] * ROUNDS


def test_http_equipment_slot(live_server: LiveServer, db_session: Session) -> None:
    equipment_id = equipment_open_daily(db_session)
    people = quick_founders(db_session, WIDTH)
    signed = []
    for user, startup in people:
        browser = Browser(live_server.url).login(user.email)
        signed.append((browser, browser.token(f"/facilities/equipment/{equipment_id}"), startup))
    waves = []
    for r in range(ROUNDS):
        start, _ = equipment_slot(2 + r, 10)
        local = wall_clock(start)
        waves.append(
            [
                Click(
                    browser,
                    f"/facilities/equipment/{equipment_id}/book",
                    {
                        "startup_id": startup.id,
                        "day": local.strftime("%Y-%m-%d"),
                        "start": local.strftime("%H:%M"),
                        "minutes": 60,
                        "weeks": 1,
                        "voucher_id": 0,
                        "purpose": "",
                        "csrf_token": token,
                    },
                    r,
                )
                for browser, token, startup in signed
            ]
        )
    replies = storm(waves)
    _no_server_error(replies)
    # Success redirects to the booking; a refusal redirects with a flash or shows the form
    # again with the reason (409).
    assert {r.status for r in replies} <= {302, 409}
    booked = [r for r in replies if "/facilities/bookings/" in r.location]
    assert Counter(r.label for r in booked) == dict.fromkeys(range(ROUNDS), 1)
    db_session.rollback()
    per_day = Counter(
        wall_clock(s).date() for s in db_session.scalars(sa.select(EquipmentBooking.starts_at))
    )
    assert sorted(per_day.values()) == [1] * ROUNDS


def test_http_duplicate_sign_up(live_server: LiveServer, db_session: Session) -> None:
    waves = []
    for r in range(ROUNDS):
        address = f"http-twin{r}@race.example.com"
        wave = []
        for i in range(WIDTH):
            browser = Browser(live_server.url)
            token = browser.token("/auth/register")
            wave.append(
                Click(
                    browser,
                    "/auth/register",
                    {
                        "display_name": "Twin",
                        "email": address.upper() if i % 2 else address,
                        "password": "password123",
                        "confirm": "password123",
                        "roles": "founder",
                        "locale": "en",
                        "csrf_token": token,
                    },
                    address,
                )
            )
        waves.append(wave)
    replies = storm(waves)
    _no_server_error(replies)
    # The winner is signed in and sent on (302); the others see the form again with the reason.
    assert Counter(r.status for r in replies) == {302: ROUNDS, 200: ROUNDS * (WIDTH - 1)}
    db_session.rollback()
    assert (
        db_session.scalar(
            sa.select(sa.func.count(User.id)).where(User.email.like("http-twin%@race.example.com"))
        )
        == ROUNDS
    )


CROWD = 64  # issue 12's target: 64 sign-ins beside 64 bookings and 64 profile edits, at once


def _startup_form(startup: Startup, token: str, k: int) -> dict[str, object]:
    return {
        "name": startup.name,
        "one_liner": f"Solid-state battery cathodes, revision {k}",
        "description": "High-nickel cathode materials.",
        "sectors": "new_energy",
        "stage": "prototype",
        "funding_round": "seed",
        "location": "Chongqing",
        "team_size": 3,
        "languages": ["zh", "en"],
        "funding_need_currency": "CNY",
        "csrf_token": token,
    }


def test_http_sign_ins_beside_bookings_and_edits(
    live_server: LiveServer, db_session: Session
) -> None:
    """On SQLite every one of these once read first and wrote later, so a write landing in
    between failed it at once with "database is locked" (logins beside bookings: 180 of 180).
    Now writes take the lock up front and sign-in writes nothing while it reads: no 5xx."""
    equipment_id = equipment_open_daily(db_session)
    founder, startups = _founder_of(db_session, CROWD)
    visitors = quick_users(db_session, CROWD, "mentor", prefix="visitor")
    owner = Browser(live_server.url).login(founder.email)
    book_token = owner.token(f"/facilities/equipment/{equipment_id}")
    edit_token = owner.token(f"/me/startups/{startups[0].id}/edit")
    wave: list[Click] = []
    for k, startup in enumerate(startups):
        start, _ = equipment_slot(2 + k // 12, 8 + k % 12)
        local = wall_clock(start)
        booking = {
            "startup_id": startup.id,
            "day": local.strftime("%Y-%m-%d"),
            "start": local.strftime("%H:%M"),
            "minutes": 60,
            "weeks": 1,
            "voucher_id": 0,
            "purpose": "",
            "csrf_token": book_token,
        }
        path = f"/facilities/equipment/{equipment_id}/book"
        wave.append(Click(owner.twin(), path, booking, "book"))
        edit = f"/me/startups/{startup.id}/edit"
        wave.append(Click(owner.twin(), edit, _startup_form(startup, edit_token, k), "edit"))
    for visitor in visitors:
        browser = Browser(live_server.url)
        token = browser.token("/auth/login")
        form = {"email": visitor.email, "password": PASSWORD, "csrf_token": token}
        wave.append(Click(browser, "/auth/login", form, "login"))
    replies = storm([wave])
    _no_server_error(replies)
    assert Counter((r.label, r.status) for r in replies) == {
        ("book", 302): CROWD,
        ("edit", 302): CROWD,
        ("login", 302): CROWD,
    }
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(EquipmentBooking.id))) == CROWD
    revisions = db_session.scalars(
        sa.select(Startup.one_liner).where(Startup.id.in_([s.id for s in startups]))
    )
    assert sorted(revisions) == sorted(
        f"Solid-state battery cathodes, revision {k}" for k in range(CROWD)
    )
