"""Who wants to know when a profile changed (the recommendation indexes, for one).

A use case calls ``profile_changed(kind, entity_id)`` *after* its commit; listeners registered
with ``on_profile_changed`` then refresh whatever they derive from the profile. A failing listener
is logged and never undoes or fails the user's change: indexes are rebuilt from the database
when stale anyway.
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
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def profile_changed(kind: str, entity_id: int) -> None:
    """Tell every listener that the ``kind`` profile ``entity_id`` was created, changed or
    (de)activated. Call it after the commit."""
    if kind not in PROFILE_KINDS:
        raise ValueError(f"unknown profile kind {kind!r}")
    for listener in list(_LISTENERS):
        try:
            listener(kind, entity_id)
        except Exception:  # a stale index must not turn a saved profile into an error page
            log.exception("profile listener %r failed for %s %s", listener, kind, entity_id)
