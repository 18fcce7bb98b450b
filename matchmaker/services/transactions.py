"""How a use case ends its one transaction: the one mechanism every service uses.

A use case does its reads and writes on the session it is given and then calls ``commit`` once.
The database settles races (unique indexes, no-overlap constraints, row locks): an
``IntegrityError`` at commit is rolled back and becomes ``Conflict`` with the use case's message.
A use case that refuses or fails part-way is wrapped in ``use_case``, so its transaction (and, on
SQLite, the write lock taken up front) ends at once instead of when the request ends.
Side effects (notifications, e-mail, index jobs) run after the commit:
``notifications.send_after_commit`` and ``queue.enqueue_after_commit``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Conflict

P = ParamSpec("P")
R = TypeVar("R")

CHANGE_CONFLICTS = _l("This change conflicts with existing data.")


def commit(
    session: Session,
    conflict: Any = CHANGE_CONFLICTS,
    *,
    conflict_for: Callable[[IntegrityError], Any] | None = None,
) -> None:
    """Commit the use case. A constraint the database enforced at commit rolls everything back
    and raises ``Conflict``: with ``conflict``, or with ``conflict_for(error)`` when the message
    depends on which constraint said no."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(conflict_for(exc) if conflict_for else conflict) from exc


def use_case(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a use case whose first argument is the session: when it raises (a refusal or a
    failure), the transaction is rolled back before the error leaves the service layer."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BaseException:
            session = args[0] if args else kwargs.get("session")
            if isinstance(session, Session):
                session.rollback()
            raise

    return wrapper
