"""Browser security headers on every response (pages, redirects, errors, JSON, static files) and
session cookies that are Secure over HTTPS and always in production; templates that the
Content-Security-Policy can serve (no inline script, event handler or style attribute)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

ROOT = Path(__file__).resolve().parents[2]
ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    out = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def _assert_protected(response: TestResponse, what: str) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (what, name)
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), what
    csp = _directives(response)
    assert csp.get("default-src") == "'self'", what
    assert csp.get("script-src") == "'self'", what  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp.get("style-src") == "'self'", what
    assert csp.get("frame-ancestors") == "'none'", what
    assert csp.get("object-src") == "'none'", what
    assert csp.get("base-uri") == "'self'", what
    assert csp.get("form-action") == "'self'", what
    assert "unsafe" not in response.headers["Content-Security-Policy"], what


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(EMBEDDING_MODEL="hashing", PROPAGATE_EXCEPTIONS=False)

    @app.get("/test-only/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    return app


def test_every_kind_of_response_carries_the_headers(client: FlaskClient) -> None:
    responses = {
        "page": client.get("/"),
        "login page": client.get("/auth/login"),
        "redirect to sign-in": client.get("/operator/"),
        "404 page": client.get("/no/such/page"),
        "404 json": client.get("/api/no-such-thing"),
        "405": client.get("/auth/language"),
        "500 page": client.get("/test-only/boom"),
        "static css": client.get("/static/app.css"),
        "static js": client.get("/static/js/usage_chart.js"),
        "vendor js": client.get("/static/vendor/bootstrap.bundle.min.js"),
    }
    assert responses["page"].status_code == 200
    assert responses["redirect to sign-in"].status_code == 302
    assert responses["404 page"].status_code == 404
    assert responses["404 json"].is_json
    assert responses["405"].status_code == 405
    assert responses["500 page"].status_code == 500
    assert responses["static js"].status_code == 200
    for what, response in responses.items():
        _assert_protected(response, what)
        assert "Strict-Transport-Security" not in response.headers, what  # plain HTTP
        response.close()


def test_a_csrf_failure_carries_the_headers(make_app: Callable[..., Flask]) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/auth/language", data={"locale": "en"})
    assert response.status_code == 400
    _assert_protected(response, "csrf error")


def test_hsts_over_https_or_when_every_url_is_https(
    client: FlaskClient, make_app: Callable[..., Flask]
) -> None:
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    behind_proxy = make_app(PREFERRED_URL_SCHEME="https").test_client().get("/")
    assert "max-age=" in behind_proxy.headers["Strict-Transport-Security"]


def _session_cookie(response: TestResponse) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_session_cookie_is_secure_over_https_httponly_and_lax(client: FlaskClient) -> None:
    plain = _session_cookie(client.post("/auth/language", data={"locale": "en"}))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain
    assert "Secure" not in plain  # a development server on http://localhost keeps working
    https = _session_cookie(
        client.post("/auth/language", data={"locale": "zh_CN"}, base_url="https://localhost")
    )
    assert "Secure" in https and "HttpOnly" in https and "SameSite=Lax" in https


def test_session_cookie_is_always_secure_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(TESTING=False, DEBUG=False)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    cookie = _session_cookie(app.test_client().post("/auth/language", data={"locale": "en"}))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=|\bstyle=['"]|<style\b""", re.I)


def test_templates_have_no_inline_script_handler_or_style() -> None:
    """The CSP refuses them, so they would silently do nothing: behaviour goes in static/js/,
    looks in app.css."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
            problems += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
        if "javascript:" in text.lower():
            problems.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert not problems, problems
