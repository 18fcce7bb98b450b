"""Walk every GET route of the app as the signed-in user: pages, exports, feeds and JSON.

The routes come from ``app.url_map``, so a page added later is walked too. A URL argument is
filled from ``ids`` by its name (``startup_id`` -> ids["startup_id"]); one the caller has no
value for gets 1, which usually answers 404: still a response to look into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

# Routes that serve files of the code base, not data.
SKIPPED_ENDPOINTS = frozenset({"static"})


@dataclass(frozen=True)
class Visit:
    url: str
    status: int
    body: str


def get_urls(app: Flask, ids: Mapping[str, object]) -> list[str]:
    """One URL per GET route, its arguments filled from ``ids`` (1 when unknown)."""
    urls = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            values = {arg: ids.get(arg, 1) for arg in rule.arguments}
            urls.append(adapter.build(rule.endpoint, values, method="GET"))
    return sorted(set(urls))


def walk(client: FlaskClient, urls: Iterable[str]) -> list[Visit]:
    """Every URL's answer; a server error fails at once (it could hide a page's content)."""
    visits = []
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        # Binary answers (an icon, a spreadsheet) are read as text too, bytes that are no
        # UTF-8 replaced: a secret written in clear in them is still found.
        body = response.get_data().decode("utf-8", errors="replace")
        visits.append(Visit(url, response.status_code, body))
    return visits


def leaks(visits: Iterable[Visit], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(url, secret) for every secret found in a response."""
    secrets = list(secrets)
    return [(v.url, s) for v in visits for s in secrets if s in v.body]
