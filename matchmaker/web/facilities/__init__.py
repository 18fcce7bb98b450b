"""Shared-facilities pages: equipment, bookings, managers' pages, vouchers, the resource map."""
