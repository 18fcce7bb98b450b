"""Bulk import of mentors, investors, facilities and equipment from Excel or CSV files."""
