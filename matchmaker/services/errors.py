"""Errors a use case raises; the web layer shows ``message`` in the user's language."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal the user should understand. ``message`` is a lazy translatable string."""

    status = 400

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """Lost a race or broke a uniqueness rule: the database said no at commit."""

    status = 409


class Invalid(ServiceError):
    status = 422


class RateLimited(ServiceError):
    status = 429
