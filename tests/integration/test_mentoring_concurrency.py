"""Parallel accepts of one mentor slot, each in its own thread, engine and session: exactly one
wins and the others are told the slot is taken. Runs on SQLite (serialised by ``begin_write``)
and on PostgreSQL (the mentor's row lock, with the partial unique index and the exclusion
constraint behind it), with MATCHMAKER_TEST_DATABASE_URL. The 200-attempt suites of every rule
are ``test_concurrency_services.py`` and ``test_concurrency_http.py``."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.models import MatchOutcome, User
from matchmaker.models.mentoring import MentorSession
from matchmaker.services.errors import ServiceError
from matchmaker.services.mentoring import answering, requesting
from tests.factories import make_startup, make_user
from tests.integration.test_mentoring_support import make_world

pytestmark = pytest.mark.db

WORKERS = 8


def _race(app: Flask, database_url: str, user_id: int, jobs: list[tuple[str, int, object]]):
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int, action: str, session_id: int, starts: object) -> None:
        engine = make_engine(database_url)
        try:
            with (
                app.test_request_context(headers={"Accept-Language": "en"}),
                Session(engine) as session,
            ):
                user = session.get(User, user_id)
                barrier.wait()
                try:
                    answering.accept_request(session, user, session_id, starts)  # type: ignore[arg-type]
                    results[i] = ("ok", session_id)
                except ServiceError as exc:
                    results[i] = (type(exc).__name__, str(exc.message))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return results


def test_parallel_accepts_of_one_slot_exactly_one_wins(
    app: Flask, database_url: str, db_session: Session
) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        w = make_world(db_session, n_slots=2)
        slot = w.slots[0]
        request_ids = []
        for _ in range(WORKERS):
            founder = make_user(db_session, "founder")
            startup = make_startup(db_session, founder)
            ms = requesting.request_session(
                db_session,
                founder,
                mentor_id=w.mentor.id,
                startup_id=startup.id,
                topic="technology",
                goal="Test plan review",
                slot_starts=[slot],
            )
            request_ids.append(ms.id)
        mentor_user_id = w.mentor_user.id

    results = _race(
        app, database_url, mentor_user_id, [("accept", rid, slot) for rid in request_ids]
    )

    winners = [r for r in results if r and r[0] == "ok"]
    losers = [r for r in results if r and r[0] != "ok"]
    assert len(winners) == 1, results
    assert len(losers) == WORKERS - 1, results
    assert all(kind == "Conflict" and "just been taken" in msg for kind, msg in losers)
    db_session.rollback()
    scheduled = db_session.scalars(
        sa.select(MentorSession).where(
            MentorSession.mentor_id == w.mentor.id, MentorSession.status == "scheduled"
        )
    ).all()
    assert [s.starts_at for s in scheduled] == [slot]
    assert (
        db_session.scalar(
            sa.select(sa.func.count(MatchOutcome.id)).where(MatchOutcome.outcome == "accepted")
        )
        == 1
    )


def test_parallel_founders_choosing_one_proposed_time_exactly_one_wins(
    app: Flask, database_url: str, db_session: Session
) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        w = make_world(db_session, n_slots=2)
        slot = w.slots[1]
        jobs = []
        founders = []
        for _ in range(WORKERS // 2):
            founder = make_user(db_session, "founder")
            startup = make_startup(db_session, founder)
            ms = requesting.request_session(
                db_session,
                founder,
                mentor_id=w.mentor.id,
                startup_id=startup.id,
                topic="technology",
                goal="Pricing",
                slot_starts=[w.slots[0]],
            )
            answering.propose_times(db_session, w.mentor_user, ms.id, [slot])
            founders.append(founder.id)
            jobs.append(("choose", ms.id, slot))

    # Each founder acts on their own request, so each thread signs in as a different user.
    threads_results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def worker(i: int) -> None:
        engine = make_engine(database_url)
        try:
            with (
                app.test_request_context(headers={"Accept-Language": "en"}),
                Session(engine) as session,
            ):
                user = session.get(User, founders[i])
                barrier.wait()
                try:
                    answering.choose_proposed_time(session, user, jobs[i][1], slot)  # type: ignore[arg-type]
                    threads_results[i] = ("ok", "")
                except ServiceError as exc:
                    threads_results[i] = (type(exc).__name__, str(exc.message))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    results = threads_results
    assert sum(1 for r in results if r and r[0] == "ok") == 1, results
    assert all(
        r[0] == "Conflict" and "just been taken" in r[1] for r in results if r and r[0] != "ok"
    ), results
    assert None not in results
