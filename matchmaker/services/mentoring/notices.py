"""Whom a mentoring use case tells about a session, with which names, and how it sends them.

A session has two sides: its startup's founders and its mentor. Founders read the mentor's name,
the mentor the startup's (the texts are in ``services/notification_messages.py``). Every
notification links to the session's page; the caller says how to write that link
(``link_for``): a view passes one built by ``url_for``, a job keeps ``session_path``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.models import Notification
from matchmaker.models.mentoring import MentorSession, Side
from matchmaker.services import notifications
from matchmaker.services.mentoring.sessions import (
    conflict_message,
    founder_ids,
    other_side_ids,
    when_text,
)
from matchmaker.services.transactions import commit

SessionLink = Callable[[int], str]  # a session's id -> the link to its page


def session_path(session_id: int) -> str:
    """The session page's path: the link of a notice written outside a request (a job)."""
    return f"/mentoring/sessions/{session_id}"


def tell(
    session: Session,
    ms: MentorSession,
    side: Side,
    kind: str,
    *,
    link_for: SessionLink,
    **params: Any,
) -> list[Notification]:
    """Notify one side of ``ms`` (its founders, or its mentor) of ``kind``, naming the other
    party: ``mentor`` for the founders, ``startup`` for the mentor."""
    link = link_for(ms.id)
    if side == Side.FOUNDER:
        return notifications.notify(
            session, founder_ids(ms), kind, link=link, mentor=ms.mentor.name, **params
        )
    return notifications.notify(
        session, [ms.mentor.user_id], kind, link=link, startup=ms.startup.name, **params
    )


def tell_other_side(
    session: Session,
    ms: MentorSession,
    side: Side,
    kind: str,
    *,
    link_for: SessionLink,
    **params: Any,
) -> list[Notification]:
    """Tell the side opposite ``side`` about a change ``side`` made to ``ms``; the text says
    when the session is (``when``)."""
    return notifications.notify(
        session,
        other_side_ids(ms, side),
        kind,
        link=link_for(ms.id),
        when=when_text(ms.starts_at),
        **params,
    )


def tell_both_sides(
    session: Session, ms: MentorSession, kind: str, *, link_for: SessionLink, **params: Any
) -> list[Notification]:
    """Tell the founders and the mentor of ``ms``, each naming the other party (``name``)."""
    link = link_for(ms.id)
    return notifications.notify(
        session, founder_ids(ms), kind, link=link, name=ms.mentor.name, **params
    ) + notifications.notify(
        session, [ms.mentor.user_id], kind, link=link, name=ms.startup.name, **params
    )


def commit_and_send(session: Session, sent: list[Notification]) -> None:
    """Commit the use case (a broken uniqueness rule becomes its ``Conflict``), then mail the
    notifications it added; nothing is mailed for a refused write."""
    commit(session, conflict_for=conflict_message)
    notifications.send_after_commit(session, sent)
