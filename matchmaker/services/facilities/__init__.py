"""Shared facilities: equipment availability, bookings and proposals, vouchers, utilisation, the
resource map.
"""
