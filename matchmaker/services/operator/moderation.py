"""Operator moderation: find accounts, suspend and restore them, (de)activate any profile."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    Investor,
    Mentor,
    Startup,
    StartupMember,
    User,
    has_code,
)
from matchmaker.services.accounts import users
from matchmaker.services.accounts.directory import Page, keyword_condition, paginate
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

MODERATED_KINDS: dict[str, type[Any]] = {
    "startup": Startup,
    "mentor": Mentor,
    "investor": Investor,
    "facility": Facility,
    "equipment": Equipment,
}


def _need_operator(actor: User) -> None:
    if not actor.is_operator:
        raise Forbidden(_l("Only operators can do this."))


def list_users(
    session: Session,
    actor: User,
    *,
    q: str = "",
    role: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = 25,
) -> Page[User]:
    """Accounts matching a keyword (name or e-mail), a role and a status (active/suspended)."""
    _need_operator(actor)
    stmt = sa.select(User)
    conditions: list[sa.ColumnExpressionArgument[bool] | None] = [
        keyword_condition(q, User.display_name, User.email)
    ]
    if role:
        if role not in vocab.ROLES:
            raise Invalid(_l("Choose a value from the list."), field="role")
        conditions.append(has_code(User.roles, role))
    if status == "active":
        conditions.append(User.is_active)
    elif status == "suspended":
        conditions.append(sa.not_(User.is_active))
    real = [c for c in conditions if c is not None]
    if real:
        stmt = stmt.where(*real)
    return paginate(session, stmt, page, page_size, (User.display_name, User.id))


@use_case
def set_user_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Suspend or restore an account. A suspended mentor also leaves the mentor directory; a
    refusal (an operator suspending themself) ends the transaction before it is raised."""
    user = users.set_user_active(session, actor, user_id, active)
    # Startups hidden with the suspension leave the search index too.
    hidden = (
        []
        if active
        else list(
            session.scalars(
                sa.select(Startup.id)
                .join(StartupMember, StartupMember.startup_id == Startup.id)
                .where(StartupMember.user_id == user.id, Startup.is_active.is_(False))
            )
        )
    )
    mentor_id = session.scalar(sa.select(Mentor.id).where(Mentor.user_id == user.id))
    # End this read transaction first: on SQLite an open reader blocks the index jobs' writes.
    commit(session)
    for startup_id in hidden:
        profile_changed("startup", startup_id)
    if mentor_id is not None:
        profile_changed("mentor", mentor_id)
    return user


def set_profile_active(
    session: Session, actor: User, kind: str, entity_id: int, active: bool
) -> Any:
    """Deactivate or reactivate any startup, mentor, investor, facility or instrument."""
    _need_operator(actor)
    model = MODERATED_KINDS.get(kind)
    if model is None:
        raise NotFound(_l("Page not found"))
    options = [selectinload(Facility.equipment)] if model is Facility else []
    entity = session.get(model, entity_id, options=options)
    if entity is None:
        raise NotFound(_l("Page not found"))
    entity.is_active = active
    commit(session)
    if model is Facility:
        # Its instruments leave (or re-enter) the equipment directory with it.
        for equipment in entity.equipment:
            profile_changed("equipment", equipment.id)
    else:
        profile_changed(kind, entity_id)
    return entity
