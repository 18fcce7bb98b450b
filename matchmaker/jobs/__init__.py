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
from matchmaker.jobs import mail, mentoring

# Request expiry is also checked whenever a request is acted on; this run closes the overdue ones
# and tells the founders, so a quarter of an hour late is soon enough.
MENTORING_EXPIRY_SCHEDULE = crontab(minute="*/15")


def register(app: Flask) -> None:
    """Register every job on ``app``'s queue."""
    jobs = queue.bound(app)
    jobs.register(
        mail.send_notification_email,
        retries=int(app.config["MAIL_RETRIES"]),
        retry_delay=int(app.config["MAIL_RETRY_DELAY_SECONDS"]),
    )
    jobs.register_periodic(mentoring.expire_mentoring_requests, MENTORING_EXPIRY_SCHEDULE)
