"""Token auth for the API: every documented endpoint names the scope it needs; the blueprint's
``before_request`` resolves the bearer token (401), counts it against its rate limit (429) and
checks the scope (403) before any query is validated or run.

The per-token limit counts in the store every worker shares (``matchmaker.ratelimit``: Redis
when configured, else the machine's SQLite counter file; one atomic increment per hit), with a
fixed one-minute window. It is part of the API's contract, so it applies even where the site's
Flask-Limiter rules are switched off (RATELIMIT_ENABLED=False in tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from matchmaker.extensions import db
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.api import tokens
from matchmaker.services.errors import Forbidden, RateLimited

F = TypeVar("F", bound=Callable[..., Any])
ANY_SCOPE = "*"
DEFAULT_RATE_LIMIT = 120  # requests per token and minute


def requires(scope: str) -> Callable[[F], F]:
    """Mark a view as needing ``scope`` (``ANY_SCOPE``: any valid token)."""

    def mark(view: F) -> F:
        view.api_scope = scope  # type: ignore[attr-defined]
        return view

    return mark


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    return secret.strip() if kind.lower() == "bearer" and secret.strip() else None


def authenticate_request() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "api_scope", None)
    if scope is None:  # the document and its page are public
        return
    grant = tokens.authenticate(db.session, _bearer())
    limit = RateLimitItemPerMinute(
        int(current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT))
    )
    counter = _rate_limiter(current_app)
    allowed = counter.hit(limit, "api-token", grant.rate_key)
    g.api_rate = (limit.amount, counter.get_window_stats(limit, "api-token", grant.rate_key))
    if not allowed:
        raise RateLimited(
            _l("Too many requests with this token: at most %(n)d a minute.", n=limit.amount)
        )
    g.api_grant = grant
    if scope != ANY_SCOPE and scope not in grant.scopes:
        raise Forbidden(
            _l("This token cannot read this: it needs the “%(scope)s” scope.", scope=scope)
        )


def _rate_limiter(app: Flask) -> FixedWindowRateLimiter:
    """One per app, on the shared store's URI (set by ``matchmaker.ratelimit.configure``)."""
    counter = app.extensions.get("api_rate_limiter")
    if counter is None:
        uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        counter = FixedWindowRateLimiter(storage_from_string(uri))
        app.extensions["api_rate_limiter"] = counter
    return counter


def grant() -> tokens.Grant:
    granted: tokens.Grant = g.api_grant
    return granted
