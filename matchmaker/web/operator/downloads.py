"""File responses of the operator pages (spreadsheets, CSV), named safely for every browser."""

from __future__ import annotations

from flask import Response

from matchmaker.filenames import attachment_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """``data`` as an attachment called ``filename``."""
    return Response(data, mimetype=mimetype, headers=attachment_headers(filename))
