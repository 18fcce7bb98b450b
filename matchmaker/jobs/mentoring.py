"""Mentoring housekeeping jobs."""

from __future__ import annotations

import logging

from matchmaker.extensions import db
from matchmaker.services.mentoring import requesting

log = logging.getLogger(__name__)


def expire_mentoring_requests() -> None:
    """Periodic: expire requests unanswered past MENTORING_REQUEST_TTL_HOURS."""
    count = requesting.expire_requests(db.session)
    if count:
        log.info("%d mentoring request(s) expired", count)
