"""Shared facilities: equipment availability, bookings (the ``bookings`` package: book, manage,
propose), vouchers, utilisation, the resource map.
"""
