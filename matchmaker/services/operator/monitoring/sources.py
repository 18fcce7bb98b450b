"""The area models ``services.recommendations.pathway`` reads for a startup's latest activity.

Left only for that caller, which still asks for them through these names and checks for None
(every area is always installed: these never return None). The operator's own figures import
the models directly; once the pathway does too, this module goes.
"""

from __future__ import annotations

from typing import Any

from matchmaker.models.bookings import EquipmentBooking
from matchmaker.models.funding import Introduction, Pitch
from matchmaker.models.mentoring import MentorSession


def mentor_session_model() -> Any:
    return MentorSession


def pitch_model() -> Any:
    return Pitch


def introduction_model() -> Any:
    return Introduction


def booking_model() -> Any:
    return EquipmentBooking
