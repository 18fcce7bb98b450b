"""Shared-facilities housekeeping jobs."""

from __future__ import annotations

import logging

from matchmaker.extensions import db
from matchmaker.services.facilities.bookings import lifecycle

log = logging.getLogger(__name__)


def expire_booking_requests() -> None:
    """Periodic: expire booking requests still pending at their start time."""
    count = lifecycle.expire_requests(db.session)
    if count:
        log.info("%d booking request(s) expired", count)
