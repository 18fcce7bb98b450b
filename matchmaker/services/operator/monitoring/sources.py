"""Where the operator's figures read the other areas' tables.

Mentoring, funding and facilities each own their tables; the operator console only reads them,
through these names, so what it reads from each area is listed in one place. Every area is
always installed, so each returns its class (typed ``Any``: the figures build their queries on
whichever class they are given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matchmaker.models.bookings import EquipmentBooking, Voucher, VoucherEntry
from matchmaker.models.funding import Introduction, Pitch, PitchStageChange
from matchmaker.models.mentoring import MentorSession, SessionReview
from matchmaker.services.facilities.utilisation import usage_report


def mentor_session_model() -> Any:
    return MentorSession


def session_review_model() -> Any:
    return SessionReview


def pitch_model() -> Any:
    return Pitch


def pitch_stage_change_model() -> Any:
    return PitchStageChange


def introduction_model() -> Any:
    return Introduction


def booking_model() -> Any:
    return EquipmentBooking


def voucher_model() -> Any:
    return Voucher


def voucher_entry_model() -> Any:
    return VoucherEntry


def usage_report_function() -> Callable[..., Any]:
    """The facilities area's ``services.facilities.utilisation.usage_report`` (hours open, booked,
    used per instrument), so the operator's utilisation is the same figure the facility reports."""
    return usage_report
