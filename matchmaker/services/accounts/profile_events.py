"""Who wants to know when a profile changed (the recommendation indexes, for one).

A use case calls ``profile_changed(kind, entity_id)`` *after* its commit. That queues the engine's
job (``jobs.indexing.embed_profile``: embed the new text once, publish a new index version; the
web process itself does no index work), then tells the listeners registered with
``on_profile_changed``. Neither a queue that is down nor a failing listener undoes or fails the
user's change: they are logged, and the periodic index refresh catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

PROFILE_KINDS = ("startup", "mentor", "investor", "equipment")

ProfileListener = Callable[[str, int], None]

_LISTENERS: list[ProfileListener] = []


def on_profile_changed(listener: ProfileListener) -> ProfileListener:
    """Register ``listener(kind, entity_id)`` (usable as a decorator; idempotent)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def remove_listener(listener: ProfileListener) -> None:
    """Undo ``on_profile_changed`` (tests use it to detach their listeners)."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def profile_changed(kind: str, entity_id: int) -> None:
    """Tell every listener that the ``kind`` profile ``entity_id`` was created, changed or
    (de)activated. Call it after the commit."""
    if kind not in PROFILE_KINDS:
        raise ValueError(f"unknown profile kind {kind!r}")
    _queue_embedding(kind, entity_id)
    for listener in list(_LISTENERS):
        try:
            listener(kind, entity_id)
        except Exception:  # a stale index must not turn a saved profile into an error page
            log.exception("profile listener %r failed for %s %s", listener, kind, entity_id)


def _queue_embedding(kind: str, entity_id: int) -> None:
    import flask

    if not flask.has_app_context():  # a script without an app: the periodic refresh catches up
        return
    from matchmaker.jobs import indexing
    from matchmaker.queue import enqueue

    try:
        enqueue(indexing.embed_profile, kind, entity_id)
    except Exception:
        log.exception("could not queue the embedding of %s %s", kind, entity_id)
