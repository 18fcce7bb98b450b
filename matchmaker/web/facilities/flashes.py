"""What the facilities pages flash after a use case: its refusal, what became of a booking and
what a voucher leaves to pay."""

from __future__ import annotations

from flask import flash

from matchmaker.i18n import gettext as _
from matchmaker.models.bookings import BookingStatus, EquipmentBooking
from matchmaker.services.errors import ServiceError


def flash_refusal(exc: ServiceError) -> None:
    """The service's reason, in the user's language."""
    flash(str(exc.message), "danger")


def flash_amount_due(booking: EquipmentBooking) -> None:
    """A voucher that covers part of the price: say what is still owed, at once."""
    if booking.voucher_id and booking.amount_due > 0:
        flash(
            _(
                "The voucher covers %(covered)s CNY of %(price)s CNY: %(due)s CNY is still to "
                "be paid to the facility.",
                covered=booking.voucher_amount,
                price=booking.price,
                due=booking.amount_due,
            ),
            "warning",
        )


def flash_booked(booking: EquipmentBooking) -> None:
    """A booking just made: confirmed, or waiting for the facility's approval; and what its
    voucher leaves to pay."""
    if booking.status == BookingStatus.CONFIRMED:
        flash(_("Booked: your slot is confirmed."), "success")
    else:
        flash(_("Requested: the facility will approve or decline your booking."), "info")
    flash_amount_due(booking)
