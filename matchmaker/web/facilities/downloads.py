"""Tables the facilities pages also give as files: the same URL with ``?format=csv`` or
``?format=xlsx``, named safely for every browser."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request

from matchmaker.filenames import attachment_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def requested_file(name: str, csv: Callable[[], str], xlsx: Callable[[], bytes]) -> Response | None:
    """The page's table as the file the request asks for, ``<name>.csv`` or ``<name>.xlsx``
    (made only then); None when the page itself is asked for."""
    fmt = request.args.get("format")
    if fmt == "csv":
        return Response(csv(), mimetype="text/csv", headers=attachment_headers(f"{name}.csv"))
    if fmt == "xlsx":
        return Response(xlsx(), mimetype=XLSX, headers=attachment_headers(f"{name}.xlsx"))
    return None
