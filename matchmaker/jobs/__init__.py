"""Queue jobs: thin functions that call one service with the job's own database session.

One module per area. ``register`` below is the one list of jobs, with their retry policies and
schedules; ``create_app`` calls it, so the web (which queues) and the worker (which runs) know
the same jobs. A service queues a job with ``matchmaker.queue.enqueue_after_commit``; the
worker is ``flask --app matchmaker worker``.
"""

from __future__ import annotations

from flask import Flask
from huey import crontab

from matchmaker.extensions import queue
from matchmaker.jobs import facilities, indexing, mail, mentoring, reports

# Request expiry is also checked whenever a request is acted on; this run closes the overdue ones
# and tells the founders, so a quarter of an hour late is soon enough.
MENTORING_EXPIRY_SCHEDULE = crontab(minute="*/15")
# Approving a request whose time has passed is refused anyway; this run frees the voucher value
# and tells the founder, so within a quarter of an hour of the start is soon enough.
BOOKING_EXPIRY_SCHEDULE = crontab(minute="*/15")
# Saves publish a new index version within seconds; this run catches what no save announced
# (rows changed by hand or by another tool, a new model, a new scoring file).
INDEX_REFRESH_SCHEDULE = crontab(minute="*/10")
# Mentors' sessions and instruments' free hours move with every booking; the web processes of a
# big platform take them from this run (``publish_capacity``), so once a minute.
CAPACITY_SCHEDULE = crontab(minute="*")
# Relations (portfolio entries, past mentees, outcomes) accrue over days and a calibration reads
# them all: once a night, in the platform's quiet hours (the server's local time).
CALIBRATION_SCHEDULE = crontab(hour="3", minute="30")


def register(app: Flask) -> None:
    """Register every job on ``app``'s queue."""
    jobs = queue.bound(app)
    jobs.register(
        mail.send_notification_email,
        retries=int(app.config["MAIL_RETRIES"]),
        retry_delay=int(app.config["MAIL_RETRY_DELAY_SECONDS"]),
    )
    jobs.register_periodic(mentoring.expire_mentoring_requests, MENTORING_EXPIRY_SCHEDULE)
    # Embedding retries: the model or the database may be briefly unavailable.
    jobs.register(indexing.embed_profile, retries=3, retry_delay=10)
    jobs.register(indexing.publish_indexes, retries=2, retry_delay=30)
    jobs.register_periodic(indexing.refresh_indexes, INDEX_REFRESH_SCHEDULE)
    jobs.register_periodic(indexing.publish_capacity, CAPACITY_SCHEDULE)
    jobs.register_periodic(indexing.calibrate_rankers, CALIBRATION_SCHEDULE)
    jobs.register_periodic(facilities.expire_booking_requests, BOOKING_EXPIRY_SCHEDULE)
    # No retries: a failed report is stored as failed and the operator's page offers to retry.
    jobs.register(reports.generate_annual_report)
