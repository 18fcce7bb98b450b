"""Mentoring housekeeping jobs."""

from __future__ import annotations

import logging

from matchmaker.extensions import db
from matchmaker.services.mentoring import requesting
from matchmaker.services.mentoring.notices import session_path

log = logging.getLogger(__name__)


def expire_mentoring_requests() -> None:
    """Periodic: expire requests unanswered past their deadline (each request's deadline was
    set from MENTORING_REQUEST_TTL_HOURS when it was asked or last answered). No request here
    to build an address from: the founders' notices link to the session's path."""
    count = requesting.expire_requests(db.session, link_for=session_path)
    if count:
        log.info("%d mentoring request(s) expired", count)
