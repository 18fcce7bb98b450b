"""Mentoring: mentors' availability, session requests and their lifecycle, meetings, ratings,
office hours.
"""
