"""Issue 11's concurrency suite, service level: 200 attempts per rule, in waves of 20 threads that
each hold their own connection, all of a wave released at once. Each wave is one contest (a slot,
a request, a voucher, an address), so each rule is raced ten times over; the ground truth is read
back with SQL. Expected: exactly one winner where one may win, never over a limit, and no error
other than a clear refusal (``ServiceError``). Runs on SQLite and, with
MATCHMAKER_TEST_DATABASE_URL, on PostgreSQL (where the row locks and constraints do the work).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import (
    MatchOutcome,
    Notification,
    User,
    utcnow,
)
from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.models.funding import Introduction
from matchmaker.models.mentoring import MentorSession
from matchmaker.services.accounts import users
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings import reserve
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.services.funding import introductions
from matchmaker.services.mentoring import answering, requesting
from matchmaker.timezones import wall_clock
from tests.factories import make_investor, make_user
from tests.integration.race import (
    WIDTH,
    Attempt,
    by_label,
    crashes,
    equipment_open_daily,
    equipment_slot,
    make_mentor_with_slots,
    mentor_day_slots,
    open_requests,
    quick_founders,
    race,
)

pytestmark = pytest.mark.db

ROUNDS = 10  # contests per rule; ROUNDS * WIDTH = 200 attempts
ATTEMPTS = ROUNDS * WIDTH


def _only_refusals(outcomes, *kinds: str) -> None:  # type: ignore[no-untyped-def]
    assert not crashes(outcomes), crashes(outcomes)[:3]
    assert {o.kind for o in outcomes if not o.ok} <= set(kinds), Counter(o.kind for o in outcomes)


# --- arranging ---------------------------------------------------------------------------------


def _accept(session_id: int, starts: datetime):  # type: ignore[no-untyped-def]
    return lambda s, u: answering.accept_request(s, u, session_id, starts)


def _scheduled_by_mentor(db_session: Session) -> Counter[int]:
    db_session.rollback()
    return Counter(
        db_session.scalars(
            sa.select(MentorSession.mentor_id).where(MentorSession.status == "scheduled")
        )
    )


# --- equipment and vouchers --------------------------------------------------------------------


def test_equipment_slot_one_winner_per_slot(
    app: Flask, database_url: str, db_session: Session
) -> None:
    equipment_id = equipment_open_daily(db_session)
    people = quick_founders(db_session, WIDTH)
    waves = []
    for r in range(ROUNDS):
        start, end = equipment_slot(2 + r, 10)
        waves.append(
            [
                Attempt(
                    user.id,
                    lambda s, u, sid=startup.id, a=start, b=end: reserve.create_booking(
                        s, u, WantedSlot(equipment_id, sid, a, b)
                    ),
                    label=r,
                )
                for user, startup in people
            ]
        )
    outcomes = race(app, database_url, waves)
    assert len(outcomes) == ATTEMPTS
    _only_refusals(outcomes, "Conflict")
    assert [sum(o.ok for o in group) for group in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(EquipmentBooking.id))) == ROUNDS


def test_overlapping_equipment_slots_one_winner(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """Different but overlapping slots (offsets of 0, 30 and 60 minutes on a 2-hour booking)."""
    equipment_id = equipment_open_daily(db_session)
    people = quick_founders(db_session, WIDTH)
    waves = []
    for r in range(ROUNDS):
        start, end = equipment_slot(2 + r, 10, 120)
        wave = []
        for i, (user, startup) in enumerate(people):
            shift = timedelta(minutes=30 * (i % 3))
            wave.append(
                Attempt(
                    user.id,
                    lambda s, u, sid=startup.id, a=start + shift, b=end + shift: (
                        reserve.create_booking(s, u, WantedSlot(equipment_id, sid, a, b))
                    ),
                    label=r,
                )
            )
        waves.append(wave)
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert [sum(o.ok for o in group) for group in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    rows = db_session.execute(
        sa.select(EquipmentBooking.starts_at, EquipmentBooking.ends_at).order_by(
            EquipmentBooking.starts_at
        )
    ).all()
    assert len(rows) == ROUNDS
    assert all(a[1] <= b[0] for a, b in zip(rows, rows[1:], strict=False))


def test_voucher_never_overspent(app: Flask, database_url: str, db_session: Session) -> None:
    """Each round: a voucher worth three bookings, twenty bookings of different slots at once."""
    operator = make_user(db_session, "operator")
    people = quick_founders(db_session, ROUNDS)
    waves = []
    voucher_ids = []
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for r, (user, startup) in enumerate(people):
            equipment_id = equipment_open_daily(db_session)
            voucher = vouchers.issue_voucher(
                db_session,
                operator,
                startup_id=startup.id,
                amount=Decimal("900"),
                valid_from=wall_clock(utcnow()).date(),
                valid_until=wall_clock(utcnow()).date() + timedelta(days=30),
                categories=["testing"],
            )
            voucher_ids.append(voucher.id)
            wave = []
            for i in range(WIDTH):
                start, end = equipment_slot(2 + i // 10, 8 + i % 10)
                wave.append(
                    Attempt(
                        user.id,
                        lambda s, u, e=equipment_id, sid=startup.id, a=start, b=end, v=voucher.id: (
                            reserve.create_booking(
                                s,
                                u,
                                WantedSlot(e, sid, a, b),
                                voucher_id=v,
                                voucher_amount=Decimal("300"),
                            )
                        ),
                        label=r,
                    )
                )
            waves.append(wave)
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict", "Invalid")
    assert [sum(o.ok for o in group) for group in by_label(outcomes).values()] == [3] * ROUNDS
    db_session.rollback()
    balances = db_session.scalars(sa.select(Voucher.balance).where(Voucher.id.in_(voucher_ids)))
    assert list(balances) == [Decimal("0")] * ROUNDS


# --- mentoring ---------------------------------------------------------------------------------


def test_mentor_slot_one_session_per_slot(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """Each round: twenty startups asked for the same slot; the mentor accepts all at once."""
    people = quick_founders(db_session, WIDTH)
    (slot,) = mentor_day_slots(1)
    waves = []
    mentor_users = []
    for r in range(ROUNDS):
        mentor = make_mentor_with_slots(db_session, [slot])
        mentor_users.append(mentor.user_id)
        ids = open_requests(db_session, mentor, [(u, s, slot) for u, s in people])
        waves.append([Attempt(mentor.user_id, _accept(i, slot), label=r) for i in ids])
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert all(o.ok or "just been taken" in o.detail for o in outcomes)
    assert [sum(o.ok for o in group) for group in by_label(outcomes).values()] == [1] * ROUNDS
    assert sorted(_scheduled_by_mentor(db_session).values()) == [1] * ROUNDS


def test_mentor_capacity_never_exceeded(app: Flask, database_url: str, db_session: Session) -> None:
    """Each round: a mentor with room for 3 sessions that month accepts 20 requests (20 different
    slots of one day) at once: exactly 3 are scheduled."""
    capacity = 3
    people = quick_founders(db_session, WIDTH)
    slots = mentor_day_slots(WIDTH)
    waves = []
    for r in range(ROUNDS):
        mentor = make_mentor_with_slots(db_session, slots, capacity=capacity)
        ids = open_requests(
            db_session, mentor, [(u, s, slot) for (u, s), slot in zip(people, slots, strict=True)]
        )
        waves.append(
            [
                Attempt(mentor.user_id, _accept(i, slot), label=r)
                for i, slot in zip(ids, slots, strict=True)
            ]
        )
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert all(o.ok or "fully booked" in o.detail for o in outcomes), Counter(
        o.detail for o in outcomes
    )
    assert [sum(o.ok for o in g) for g in by_label(outcomes).values()] == [capacity] * ROUNDS
    assert sorted(_scheduled_by_mentor(db_session).values()) == [capacity] * ROUNDS


def test_double_accept_has_one_outcome(app: Flask, database_url: str, db_session: Session) -> None:
    """A double-clicked accept: twenty accepts of one request at once, ten requests in turn."""
    people = quick_founders(db_session, ROUNDS)
    slots = mentor_day_slots(ROUNDS)
    mentor = make_mentor_with_slots(db_session, slots)
    ids = open_requests(
        db_session, mentor, [(u, s, slot) for (u, s), slot in zip(people, slots, strict=True)]
    )
    waves = [
        [Attempt(mentor.user_id, _accept(i, slot), label=i) for _ in range(WIDTH)]
        for i, slot in zip(ids, slots, strict=True)
    ]
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert [sum(o.ok for o in g) for g in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    assert (
        db_session.scalar(
            sa.select(sa.func.count(MatchOutcome.id)).where(MatchOutcome.outcome == "accepted")
        )
        == ROUNDS
    )
    notified = Counter(
        db_session.scalars(
            sa.select(Notification.link).where(Notification.kind == "mentoring.accepted")
        )
    )
    assert sorted(notified.values()) == [1] * ROUNDS
    assert _scheduled_by_mentor(db_session) == {mentor.id: ROUNDS}


def test_withdraw_racing_accept_one_side_wins(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """Each round: ten requests, each withdrawn by its founder while the mentor accepts it. Exactly
    one of the two succeeds, and the session ends the way the winner was told."""
    pairs = WIDTH // 2
    waves = []
    requests: list[tuple[int, int]] = []  # (session id, mentor id)
    for r in range(ROUNDS):
        people = quick_founders(db_session, pairs)
        slots = mentor_day_slots(pairs)
        mentor = make_mentor_with_slots(db_session, slots)
        ids = open_requests(
            db_session, mentor, [(u, s, sl) for (u, s), sl in zip(people, slots, strict=True)]
        )
        requests += [(i, mentor.id) for i in ids]
        wave = []
        for i, (user, _), slot in zip(ids, people, slots, strict=True):
            wave.append(Attempt(mentor.user_id, _accept(i, slot), label=(r, i, "accept")))
            wave.append(
                Attempt(
                    user.id,
                    lambda s, u, sid=i: requesting.withdraw_request(s, u, sid),
                    label=(r, i, "withdraw"),
                )
            )
        waves.append(wave)
    outcomes = race(app, database_url, waves)
    assert len(outcomes) == ATTEMPTS
    _only_refusals(outcomes, "Conflict")
    won = {o.label[1]: o.label[2] for o in outcomes if o.ok}
    per_session = Counter(o.label[1] for o in outcomes if o.ok)
    assert set(per_session.values()) == {1} and len(per_session) == len(requests)
    db_session.rollback()
    status = dict(
        db_session.execute(
            sa.select(MentorSession.id, MentorSession.status).where(
                MentorSession.id.in_([i for i, _ in requests])
            )
        ).all()
    )
    expected = {"accept": "scheduled", "withdraw": "withdrawn"}
    assert all(status[i] == expected[won[i]] for i, _ in requests)
    accepted_links = set(
        db_session.scalars(
            sa.select(Notification.link).where(Notification.kind == "mentoring.accepted")
        )
    )
    withdrawn_links = set(
        db_session.scalars(
            sa.select(Notification.link).where(Notification.kind == "mentoring.withdrawn")
        )
    )
    assert not accepted_links & withdrawn_links  # nobody was told both


def test_duplicate_requests_leave_one_open(
    app: Flask, database_url: str, db_session: Session
) -> None:
    """Each round: one founder sends the same request twenty times at once."""
    people = quick_founders(db_session, ROUNDS)
    (slot,) = mentor_day_slots(1)
    mentor = make_mentor_with_slots(db_session, [slot])
    waves = [
        [
            Attempt(
                user.id,
                lambda s, u, sid=startup.id: requesting.request_session(
                    s,
                    u,
                    mentor_id=mentor.id,
                    startup_id=sid,
                    topic="technology",
                    goal="Review our test plan",
                    slot_starts=[slot],
                ),
                label=startup.id,
            )
            for _ in range(WIDTH)
        ]
        for user, startup in people
    ]
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert all(o.ok or "already has an open request" in o.detail for o in outcomes)
    assert [sum(o.ok for o in g) for g in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    open_per_startup = Counter(
        db_session.scalars(
            sa.select(MentorSession.startup_id).where(MentorSession.status == "requested")
        )
    )
    assert sorted(open_per_startup.values()) == [1] * ROUNDS


def test_database_refuses_a_second_open_request(db_session: Session) -> None:
    """The one-open-request rule holds for a writer that skips the service."""
    ((founder, startup),) = quick_founders(db_session, 1)
    slots = mentor_day_slots(2)
    mentor = make_mentor_with_slots(db_session, slots)
    open_requests(db_session, mentor, [(founder, startup, slots[0])])
    with pytest.raises(sa.exc.IntegrityError):
        open_requests(db_session, mentor, [(founder, startup, slots[1])])
    db_session.rollback()


# --- introductions and sign-up -----------------------------------------------------------------


def test_introduction_accept_once(app: Flask, database_url: str, db_session: Session) -> None:
    """Each round: the investor accepts a pending introduction twenty times at once."""
    partner = make_user(db_session, "investor")
    investor = make_investor(db_session, partner)
    people = quick_founders(db_session, ROUNDS)
    intros = [
        Introduction(
            startup_id=startup.id,
            investor_id=investor.id,
            requested_by_side="startup",
            requested_by_id=user.id,
            startup_accepted_at=utcnow(),
            startup_accepted_by_id=user.id,
        )
        for user, startup in people
    ]
    db_session.add_all(intros)
    db_session.commit()
    waves = [
        [
            Attempt(
                partner.id,
                lambda s, u, iid=intro.id: introductions.accept_introduction(s, u, iid),
                label=intro.id,
            )
            for _ in range(WIDTH)
        ]
        for intro in intros
    ]
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert [sum(o.ok for o in g) for g in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    assert set(db_session.scalars(sa.select(Introduction.status))) == {"accepted"}
    assert (
        db_session.scalar(
            sa.select(sa.func.count(MatchOutcome.id)).where(MatchOutcome.outcome == "introduced")
        )
        == ROUNDS
    )


def test_duplicate_sign_up_one_account(app: Flask, database_url: str, db_session: Session) -> None:
    """Each round: twenty sign-ups for one address at once (spelt with different case)."""
    waves = []
    for r in range(ROUNDS):
        address = f"twin{r}@race.example.com"
        spellings = [address.upper() if i % 2 else address for i in range(WIDTH)]
        waves.append(
            [
                Attempt(
                    None,
                    lambda s, u, e=email: users.register_user(
                        s, email=e, password="password123", display_name="Twin", locale="en"
                    ),
                    label=address,
                )
                for email in spellings
            ]
        )
    outcomes = race(app, database_url, waves)
    _only_refusals(outcomes, "Conflict")
    assert [sum(o.ok for o in g) for g in by_label(outcomes).values()] == [1] * ROUNDS
    db_session.rollback()
    assert (
        db_session.scalar(
            sa.select(sa.func.count(User.id)).where(User.email.like("twin%@race.example.com"))
        )
        == ROUNDS
    )
