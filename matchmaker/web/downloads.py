"""File responses every area's pages share (an area's own tables as files are in its
``downloads`` module)."""

from __future__ import annotations

from flask import Response

from matchmaker.filenames import attachment_headers


def calendar_file(ics: str, name: str) -> Response:
    """One event as an iCalendar file that the browser saves as ``name`` (a booking, a pitch
    meeting, a mentoring session), never opens or sniffs; a subscribed feed is not a download."""
    return Response(ics, mimetype="text/calendar", headers=attachment_headers(name))
