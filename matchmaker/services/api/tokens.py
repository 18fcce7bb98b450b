"""API tokens (issue 17): operators issue named, scoped, revocable tokens; requests present them.

Scopes: ``statistics`` (the monitoring figures and the service-event feed), ``public`` (the
directories, published policies and disclosure records) and ``own`` (one user's own
recommendations, sessions, bookings and pitches; such a token names that user).

The secret is shown once, at creation; only its SHA-256 is stored. Authenticating stamps
``last_used_at`` (to the minute). The per-token rate limit is the API layer's (``api/auth.py``),
on the rate-limit store every worker shares (``matchmaker.ratelimit``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import User, utcnow
from matchmaker.models.api import API_SCOPES, ApiToken
from matchmaker.services.errors import Forbidden, Invalid, NotFound

SECRET_PREFIX = "mm_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for
LAST_USED_RESOLUTION = timedelta(minutes=1)
SCOPE_LABELS = {
    "statistics": _l("Read statistics and the service-event feed"),
    "public": _l("Read public directories, policies and disclosures"),
    "own": _l("Read one user's own recommendations, sessions, bookings and pitches"),
}


class Unauthenticated(Forbidden):
    """No token, an unknown one or a revoked one."""

    status = 401


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


@dataclass(frozen=True)
class Grant:
    """What one request may see: the token, its scopes, and whose own data."""

    token_id: int
    name: str
    scopes: tuple[str, ...]
    user_id: int | None
    rate_key: str  # names the token's rate-limit counter (unique, unlike a reused row id)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _require_operator(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_operator):
        raise Forbidden(_l("Only operators can do this."))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(
        session.scalars(
            sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def issue_token(
    session: Session,
    actor: Any,
    name: str,
    scopes: list[str],
    user_email: str | None = None,
) -> IssuedToken:
    """A new token; ``user_email`` names the user whose own data an ``own`` token reads."""
    _require_operator(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(_l("Give the token a name of at most 80 characters."), field="name")
    chosen = [s for s in API_SCOPES if s in set(scopes or [])]
    if not chosen or len(chosen) != len(set(scopes)):
        raise Invalid(_l("Choose at least one scope."), field="scopes")
    user_id = None
    email = (user_email or "").strip().casefold()
    if "own" in chosen:
        user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if not email or user is None or not user.is_active:
            raise Invalid(
                _l("A token for a user's own data needs the e-mail of an active user."),
                field="user_email",
            )
        user_id = user.id
    elif email:
        raise Invalid(_l("Only a token with the own-data scope names a user."), field="user_email")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=secret[: len(SECRET_PREFIX) + 6],
        secret_hash=hash_secret(secret),
        scopes=chosen,
        user_id=user_id,
        created_by_id=actor.id,
    )
    session.add(token)
    session.commit()
    return IssuedToken(token, secret)


def revoke_token(session: Session, actor: Any, token_id: int) -> ApiToken:
    """Revoked at once: the next request with it is refused (revoking twice changes nothing)."""
    _require_operator(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


def authenticate(session: Session, secret: str | None, *, now: datetime | None = None) -> Grant:
    """The grant of a presented secret; raises ``Unauthenticated`` (401) for a missing, unknown
    or revoked token. ``last_used_at`` is written at most once a minute per token, so reading the
    API does not turn every request into a write on the application's database."""
    if not secret:
        raise Unauthenticated(_l("Send an API token: Authorization: Bearer <token>."))
    token = session.scalar(sa.select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated(_l("This API token is unknown or has been revoked."))
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return Grant(token.id, token.name, tuple(token.scopes), token.user_id, token.secret_hash)
