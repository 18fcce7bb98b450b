"""Helpers for the concurrency suites (no tests here): a bounded pool of racing threads and fast
arrangement of many accounts.

``race`` runs attempts in *waves*: ``width`` worker threads, each with its own engine (one
connection, so the pool never holds more than ``width`` connections: PostgreSQL allows 100 for
every test database on the server), signed-in user loaded first, then all released at once by a
barrier, so the attempts of one wave really run together. A wave is one contest (one slot, one
request, one address); the next wave starts when every attempt of the previous one has returned.
Bounded by count, never by time: the only timeout is a guard against a deadlocked barrier.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker import timezones
from matchmaker.database import make_engine
from matchmaker.models import Mentor, Startup, StartupMember, User, utcnow
from matchmaker.models.bookings import AvailabilityWindow
from matchmaker.models.mentoring import MentorSession, OneOffOpening, SlotProposal
from matchmaker.services.errors import ServiceError
from matchmaker.timezones import to_utc, wall_clock
from tests.factories import PASSWORD, make_equipment, make_facility, make_user

WIDTH = 20  # racing threads (and connections) at once
BARRIER_GUARD_SECONDS = 300  # a broken run fails instead of hanging; never reached when healthy
_seq = itertools.count(1)

Action = Callable[[Session, Any], Any]  # (session, the signed-in User or None) -> result


@dataclass(frozen=True)
class Attempt:
    user_id: int | None  # None: an anonymous visitor (sign-up)
    action: Action
    label: Any = None  # what the attempt contends for (to group outcomes)


@dataclass(frozen=True)
class Outcome:
    label: Any
    kind: str  # "ok", a ServiceError class name ("Conflict", "Invalid"...), or "crash"
    detail: str

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def race(
    app: Flask, database_url: str, waves: Sequence[Sequence[Attempt]], *, width: int = WIDTH
) -> list[Outcome]:
    """Run every wave's attempts at once, one wave after the other; outcomes in attempt order.

    A ``ServiceError`` is a refusal the user sees (409/422...); anything else is a ``crash`` (a
    500 in a web request), which the suites assert never happens.
    """
    if any(len(wave) > width for wave in waves):
        raise ValueError("a wave has more attempts than racing threads")
    results: list[list[Outcome | None]] = [[None] * len(wave) for wave in waves]
    barrier = threading.Barrier(width, timeout=BARRIER_GUARD_SECONDS)

    def run(attempt: Attempt, session: Session) -> Outcome:
        user = session.get(User, attempt.user_id) if attempt.user_id is not None else None
        session.commit()  # the read of the user is over: the attempt starts afresh
        barrier.wait()
        try:
            value = attempt.action(session, user)
        except ServiceError as exc:
            session.rollback()
            return Outcome(attempt.label, type(exc).__name__, str(exc.message))
        except Exception as exc:  # noqa: BLE001 - the suites count these as server errors
            session.rollback()
            return Outcome(attempt.label, "crash", repr(exc))
        return Outcome(attempt.label, "ok", str(getattr(value, "id", value)))

    def worker(k: int) -> None:
        engine = make_engine(database_url, pool_size=1, max_overflow=0)
        try:
            for w, wave in enumerate(waves):
                if k >= len(wave):
                    barrier.wait()
                    continue
                with (
                    app.test_request_context(headers={"Accept-Language": "en"}),
                    Session(engine) as session,
                ):
                    results[w][k] = run(wave[k], session)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [o for wave in results for o in wave]
    if any(o is None for o in flat):
        raise AssertionError("an attempt never reported (broken barrier?)")
    return [o for o in flat if o is not None]


def by_label(outcomes: Sequence[Outcome]) -> dict[Any, list[Outcome]]:
    groups: dict[Any, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.label, []).append(o)
    return groups


def crashes(outcomes: Sequence[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.kind == "crash"]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return generate_password_hash(PASSWORD)


def quick_users(session: Session, n: int, *roles: str, prefix: str = "racer") -> list[User]:
    """``n`` accounts in one commit, sharing one password hash (hashing is the slow part)."""
    users = [
        User(
            email=f"{prefix}{next(_seq)}@race.example.com",
            display_name=f"{prefix.title()} {i}",
            locale="en",
            roles=list(roles or ("founder",)),
            password_hash=_password_hash(),
        )
        for i in range(n)
    ]
    session.add_all(users)
    session.commit()
    return users


def quick_founders(session: Session, n: int, prefix: str = "founder") -> list[tuple[User, Startup]]:
    """``n`` founders, each the only member of a startup of their own."""
    users = quick_users(session, n, "founder", prefix=prefix)
    startups = []
    for user in users:
        startup = Startup(
            name=f"{user.display_name} Labs",
            one_liner="Solid-state battery cathodes",
            description="High-nickel cathode materials.",
            sectors=["new_energy"],
            stage="prototype",
            funding_round="seed",
            location="Chongqing",
            team_size=3,
            languages=["zh", "en"],
        )
        startup.members.append(StartupMember(user=user, title="CEO"))
        startups.append(startup)
    session.add_all(startups)
    session.commit()
    return list(zip(users, startups, strict=True))


# --- arranging mentors and instruments ---------------------------------------------------------

MENTOR_ZONE = "Asia/Shanghai"


def equipment_open_daily(db_session: Session) -> int:
    """An instant-booking instrument open 08:00-20:00 (local) every day; its id."""
    facility = make_facility(db_session, manager=make_user(db_session, "facility_manager"))
    equipment = make_equipment(db_session, facility)
    db_session.add_all(
        AvailabilityWindow(
            equipment_id=equipment.id, weekday=d, start_time=time(8), end_time=time(20)
        )
        for d in range(7)
    )
    db_session.commit()
    return equipment.id


def equipment_slot(days: int, hour: int, minutes: int = 60) -> tuple[datetime, datetime]:
    day = wall_clock(utcnow()).date() + timedelta(days=days)
    start = to_utc(datetime.combine(day, time(hour)))
    return start, start + timedelta(minutes=minutes)


def mentor_day_slots(n: int, *, days_ahead: int = 3, minutes: int = 30) -> list[datetime]:
    """``n`` consecutive slots (UTC) within one local day of the mentor, so in one month."""
    day = timezones.to_local(utcnow(), MENTOR_ZONE).date() + timedelta(days=days_ahead)
    midnight = datetime.combine(day, time())
    return [
        timezones.to_utc(midnight + timedelta(minutes=minutes * k), MENTOR_ZONE) for k in range(n)
    ]


def make_mentor_with_slots(
    db_session: Session, slots: list[datetime], *, capacity: int = 100, minutes: int = 30
) -> Mentor:
    (user,) = quick_users(db_session, 1, "mentor", prefix="mentor")
    mentor = Mentor(
        user=user,
        kind="technical_expert",
        headline="Battery materials",
        mentoring_topics=["technology"],
        timezone=MENTOR_ZONE,
        capacity_per_month=capacity,
    )
    db_session.add(mentor)
    db_session.flush()
    db_session.add_all(
        OneOffOpening(mentor_id=mentor.id, starts_at=s, ends_at=s + timedelta(minutes=minutes))
        for s in slots
    )
    db_session.commit()
    return mentor


def open_requests(
    db_session: Session,
    mentor: Mentor,
    asks: list[tuple[User, Startup, datetime]],
    *,
    minutes: int = 30,
) -> list[int]:
    """Open requests written directly (the request use case is raced on its own below)."""
    rows = [
        MentorSession(
            mentor_id=mentor.id,
            startup_id=startup.id,
            requested_by_id=founder.id,
            status="requested",
            awaiting="mentor",
            topic="technology",
            goal="Review our test plan",
            expires_at=utcnow() + timedelta(hours=72),
            proposals=[
                SlotProposal(
                    starts_at=s, ends_at=s + timedelta(minutes=minutes), proposed_by="founder"
                )
            ],
        )
        for founder, startup, s in asks
    ]
    db_session.add_all(rows)
    db_session.commit()
    return [r.id for r in rows]
