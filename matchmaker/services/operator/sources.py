"""Where the operator's figures read the other areas' tables.

Mentoring, funding and facilities each own their tables; the operator console only reads
them. ``area_model`` finds a model class if that area's module is installed, so that a metric,
an activity source or a disclosure source exists exactly when its table does (and is left out,
not faked, otherwise).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def area_model(module: str, name: str) -> Any | None:
    """``matchmaker.models.<module>.<name>``, or None when that area has not landed."""
    try:
        return getattr(import_module(f"matchmaker.models.{module}"), name)
    except (ImportError, AttributeError):
        return None


def mentor_session_model() -> Any | None:
    return area_model("mentoring", "MentorSession")


def session_review_model() -> Any | None:
    return area_model("mentoring", "SessionReview")


def pitch_model() -> Any | None:
    return area_model("funding", "Pitch")


def introduction_model() -> Any | None:
    return area_model("funding", "Introduction")


def booking_model() -> Any | None:
    return area_model("bookings", "EquipmentBooking")


def voucher_model() -> Any | None:
    return area_model("bookings", "Voucher")


def voucher_entry_model() -> Any | None:
    return area_model("bookings", "VoucherEntry")


def availability_window_model() -> Any | None:
    return area_model("bookings", "AvailabilityWindow")


def usage_report_function() -> Any | None:
    """The facilities area's ``services.facilities.utilisation.usage_report`` (hours open, booked,
    used per instrument), so the operator's utilisation is the same figure the facility reports."""
    try:
        return import_module("matchmaker.services.facilities.utilisation").usage_report
    except (ImportError, AttributeError):
        return None
