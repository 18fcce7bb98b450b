"""Who a view (or an API endpoint) is to the engine, said by the view rather than read from Flask
by the services: a web request of this app, which only loads the served index (a missing
version is queued for a worker, never built while someone waits)."""

from __future__ import annotations

from flask import current_app

from matchmaker.services.recommendations.engine_settings import Caller


def engine_caller() -> Caller:
    """This request's caller: ``Caller.web_request`` with the real app (not the context proxy,
    which a background loader thread could not use)."""
    return Caller.web_request(current_app._get_current_object())  # type: ignore[attr-defined]
