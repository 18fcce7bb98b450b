"""The job queue: jobs reach it only when their transaction commits, and run once on a worker.

On the SQLite queue by default, on Redis when MATCHMAKER_TEST_REDIS_URL is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db, queue
from matchmaker.jobs.indexing import calibrate_rankers, publish_capacity
from matchmaker.jobs.mail import send_notification_email
from matchmaker.jobs.mentoring import expire_mentoring_requests
from matchmaker.models import Notification, User, utcnow
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.outbox import OutboxEmail
from matchmaker.queue import enqueue_after_commit
from matchmaker.recommend.calibration import Calibration
from matchmaker.services import notifications
from matchmaker.services.recommendations import engines
from tests.factories import PASSWORD, make_investor, make_mentor, make_startup, make_user
from tests.integration.jobs_support import queue_app, queue_settings, running_worker, watch
from tests.integration.test_mentoring_support import make_world, put_session

pytestmark = pytest.mark.db
__all__ = ["queue_app"]  # the fixture, imported for pytest


def _outbox(session: Session) -> list[OutboxEmail]:
    return list(session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def _notify(user: User, name: str) -> list[Notification]:
    """Flushed (not committed) notifications in the app's session."""
    rows = notifications.notify(db.session, [user.id], "welcome", name=name)
    db.session.flush()
    return rows


def _pending(app: Flask) -> int:
    return int(queue.bound(app).huey.pending_count())


def test_a_job_queued_in_a_transaction_that_rolls_back_never_runs(queue_app, db_session):
    rolled_back = make_user(db_session, email="rolled-back@example.com")
    kept = make_user(db_session, email="kept@example.com")
    with queue_app.app_context():
        [row] = _notify(rolled_back, "Rolled back")
        enqueue_after_commit(db.session, send_notification_email, row.id)
        assert _pending(queue_app) == 0  # waiting for the commit
        db.session.rollback()
        assert _pending(queue_app) == 0
        # Later transactions of the same session do not bring it back.
        [row] = _notify(kept, "Kept")
        enqueue_after_commit(db.session, send_notification_email, row.id)
        db.session.commit()
    assert _pending(queue_app) == 1

    events = watch(queue_app)
    with running_worker(queue_app):
        events.wait_for(send_notification_email)
    # One queue, in order: had the rolled-back job been queued, it would have run first.
    assert [e.recipients for e in _outbox(db_session)] == ["kept@example.com"]
    assert events.count(send_notification_email, "executing") == 1


def test_a_job_queued_in_a_savepoint_that_rolls_back_is_dropped(queue_app, db_session):
    user = make_user(db_session)
    with queue_app.app_context():
        outer_id = _notify(user, "Outer")[0].id
        enqueue_after_commit(db.session, send_notification_email, outer_id)
        savepoint = db.session.begin_nested()
        inner = _notify(user, "Inner")
        enqueue_after_commit(db.session, send_notification_email, inner[0].id)
        savepoint.rollback()
        db.session.commit()
        ids = [task.args[0] for task in queue.bound().huey.pending()]
    assert ids == [outer_id]


def test_a_job_queued_after_commit_runs_exactly_once_on_a_worker(queue_app, db_session):
    user = make_user(db_session, email="ada@example.com", locale="en")
    with queue_app.app_context():
        rows = _notify(user, "Ada")
        db.session.commit()
        notifications.send_after_commit(db.session, rows)  # after the commit: queued at once
    assert _pending(queue_app) == 1

    events = watch(queue_app)
    with running_worker(queue_app, threads=2):
        events.wait_for(send_notification_email)
    assert _pending(queue_app) == 0
    assert events.count(send_notification_email, "executing") == 1
    [email] = _outbox(db_session)
    assert email.recipients == "ada@example.com"
    assert email.subject == "[Matchmaker] Welcome to Matchmaker, Ada."


def test_request_expiry_is_a_periodic_job_that_expires_stale_requests(queue_app, db_session):
    with queue_app.test_request_context(headers={"Accept-Language": "en"}):
        world = make_world(db_session)
        stale = put_session(db_session, world, "requested")
        other = make_startup(db_session, world.founder)
        fresh = put_session(db_session, world, "requested", starts=world.slots[1], startup=other)
    stale_id, fresh_id = stale.id, fresh.id
    db_session.execute(
        sa.update(MentorSession)
        .where(MentorSession.id == stale_id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db_session.commit()  # PostgreSQL: the test session has a real transaction

    jobs = queue.bound(queue_app)
    # The worker's scheduler starts it every quarter of an hour, and not in between.
    assert expire_mentoring_requests in jobs.periodic_due(datetime(2026, 12, 1, 9, 45))
    assert expire_mentoring_requests not in jobs.periodic_due(datetime(2026, 12, 1, 9, 46))

    events = watch(queue_app)
    with queue_app.app_context():
        jobs.enqueue(expire_mentoring_requests)  # what the scheduler does when it is due
    with running_worker(queue_app):
        events.wait_for(expire_mentoring_requests)
        events.wait_for(send_notification_email)  # the founder is told, by e-mail too

    db_session.expire_all()
    assert db_session.get(MentorSession, stale_id).status == "expired"
    assert db_session.get(MentorSession, fresh_id).status == "requested"
    [email] = _outbox(db_session)
    assert email.recipients == world.founder.email
    assert "expired" in email.subject


def test_an_unregistered_job_is_refused(queue_app):
    def not_a_job() -> None:
        raise AssertionError("never runs")

    with queue_app.app_context(), pytest.raises(LookupError, match="not a registered job"):
        queue.bound().enqueue(not_a_job)


def test_capacity_figures_are_published_every_minute_by_a_worker(queue_app):
    """The job runs in the worker's app context (a no-op while every kind is small)."""
    jobs = queue.bound(queue_app)
    assert publish_capacity in jobs.periodic_due(datetime(2026, 12, 1, 9, 46))
    with queue_app.app_context():
        publish_capacity()  # the whole job, as the worker runs it


def test_the_ranking_weights_are_calibrated_every_night_by_a_worker(
    make_app: Callable[..., Flask], db_session: Session, tmp_path: Path
) -> None:
    """What ``flask calibrate`` does, scheduled: the worker writes each kind's weights to
    ``MODEL_DIR``, for the next index version to carry to every web process."""
    app = make_app(
        **queue_settings(tmp_path),
        EMBEDDING_MODEL="hashing",
        INDEX_DIR=str(tmp_path / "ix"),
        MODEL_DIR=str(tmp_path / "models"),
    )
    jobs = queue.bound(app)
    assert calibrate_rankers in jobs.periodic_due(datetime(2026, 12, 1, 3, 30))
    assert calibrate_rankers not in jobs.periodic_due(datetime(2026, 12, 1, 15, 30))
    make_startup(db_session)
    make_investor(db_session)
    events = watch(app)
    try:
        with app.app_context():
            jobs.enqueue(calibrate_rankers)  # what the scheduler does when it is due
        with running_worker(app):
            events.wait_for(calibrate_rankers)
        for kind in ("investor", "mentor"):
            # No dated history on this platform: the default weights stay.
            assert Calibration.load(tmp_path / "models" / f"calibration-{kind}.json").method == (
                "default"
            )
    finally:
        engines.forget_engines()
        jobs.huey.flush()


def test_a_sign_in_queues_no_index_work(queue_app: Flask, db_session: Session) -> None:
    """Signing in wrote the user's timestamp, which the mentor change check read: with 4
    workers every login made each of them reload, re-embed and re-index the mentors. Now a
    sign-in changes nothing a profile is made of, and queues no job."""
    mentor = make_mentor(db_session)
    user = db_session.get(User, mentor.user_id)
    assert user is not None
    changed = (mentor.updated_at, user.updated_at)
    jobs = queue.bound(queue_app)
    assert jobs.huey.pending_count() == 0
    reply = queue_app.test_client().post(
        "/auth/login", data={"email": user.email, "password": PASSWORD}
    )
    assert reply.status_code == 302
    assert jobs.huey.pending_count() == 0 and jobs.huey.scheduled_count() == 0
    db_session.expire_all()
    assert (mentor.updated_at, user.updated_at) == changed
    assert user.last_seen_at is not None
