"""What happens when a profile changed: wired once by the app factory, not decided here.

A use case calls ``profile_changed(kind, entity_id)`` *after* its commit. That hands the change to
the one handler the process was wired with: ``create_app`` wires the job that queues the
engine's embedding (``jobs.indexing.queue_embedding``: embed the new text once, publish a new
index version; the web process itself does no index work). Before any app is built (a script
that only imports the services) nothing is queued and the periodic index refresh catches up.
Tests route the changes to a handler of their own for the length of a ``with handled_by(...)``
block (in their own thread only: nothing global to undo). A handler that fails (a queue that is
down) neither undoes nor fails the user's change: it is logged, and the periodic refresh
catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

log = logging.getLogger(__name__)

PROFILE_KINDS = ("startup", "mentor", "investor", "equipment")

ProfileChangeHandler = Callable[[str, int], None]


def _nothing_wired(kind: str, entity_id: int) -> None:
    log.debug("no profile change handler wired: %s %s waits for the index refresh", kind, entity_id)


_wired: ProfileChangeHandler = _nothing_wired
# A handler of the caller's own (tests), for the current thread or task only.
_substitute: ContextVar[ProfileChangeHandler | None] = ContextVar(
    "profile_change_handler", default=None
)


def wire(handler: ProfileChangeHandler) -> None:
    """Make ``handler(kind, entity_id)`` what every later profile change does (``create_app``
    wires the same job for every app, so building a second app changes nothing)."""
    global _wired
    _wired = handler


@contextmanager
def handled_by(handler: ProfileChangeHandler) -> Iterator[None]:
    """Send this thread's profile changes to ``handler`` instead of the wired one until the
    block ends (jobs run at once in tests, so their changes count too)."""
    token = _substitute.set(handler)
    try:
        yield
    finally:
        _substitute.reset(token)


def profile_changed(kind: str, entity_id: int) -> None:
    """Announce that the ``kind`` profile ``entity_id`` was created, changed or (de)activated.
    Call it after the commit."""
    if kind not in PROFILE_KINDS:
        raise ValueError(f"unknown profile kind {kind!r}")
    handler = _substitute.get() or _wired
    try:
        handler(kind, entity_id)
    except Exception:  # a stale index must not turn a saved profile into an error page
        log.exception("could not pass on the change of %s %s", kind, entity_id)
