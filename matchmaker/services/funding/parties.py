"""The two parties of a pitch or an introduction: a startup and a fund, the members who answer for
each, and the notifications that tell them (every funding message names both parties)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.models import Investor, Notification, Startup
from matchmaker.models.funding import Pitch
from matchmaker.services import notifications
from matchmaker.services.errors import NotFound


def members(team: Startup | Investor, *, but: int | None = None) -> list[int]:
    """The user ids of the team's members, without ``but`` (the one who acted)."""
    return [m.user_id for m in team.members if m.user_id != but]


def pitch_parties(session: Session, pitch: Pitch, missing: Any) -> tuple[Startup, Investor]:
    """The pitch's startup and fund; ``NotFound(missing)`` when either is gone."""
    startup = session.get(Startup, pitch.startup_id)
    investor = session.get(Investor, pitch.investor_id)
    if startup is None or investor is None:
        raise NotFound(missing)
    return startup, investor


def notify_parties(
    session: Session,
    recipients: Iterable[int],
    kind: str,
    *,
    startup: Startup,
    investor: Investor,
    link: str = "",
    **params: Any,
) -> list[Notification]:
    """Add a ``kind`` notification for each recipient to the use case's transaction, with the
    startup's and the fund's names its message shows (``notification_messages``)."""
    return notifications.notify(
        session, recipients, kind, link=link, startup=startup.name, investor=investor.name, **params
    )
