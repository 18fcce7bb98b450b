"""Token auth for the API: every documented endpoint names the scope it needs; the blueprint's
``before_request`` resolves the bearer token (401), counts it against its rate limit (429) and
checks the scope (403) before any query is validated or run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from matchmaker.extensions import db
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services import api_tokens
from matchmaker.services.errors import Forbidden

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
    limit = int(current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT))
    grant = api_tokens.authenticate(db.session, _bearer(), limit_per_minute=limit)
    g.api_grant = grant
    if scope != ANY_SCOPE and scope not in grant.scopes:
        raise Forbidden(
            _l("This token cannot read this: it needs the “%(scope)s” scope.", scope=scope)
        )


def grant() -> api_tokens.Grant:
    granted: api_tokens.Grant = g.api_grant
    return granted
