"""Booking an instrument: ``reserve`` (one slot, a weekly series, an offered slot),
``lifecycle`` (what happens to a booking once made), ``waitlist``, ``slot_checks`` (the booking
rules), ``queries`` (what pages list), ``equipment_setup`` (what a manager publishes), and
``need_parsing`` with ``slot_proposals`` (a need in words to slots)."""
