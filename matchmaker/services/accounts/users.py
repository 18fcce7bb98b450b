"""Accounts: registration, sign-in checks, password and language changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Startup, StartupMember, User, utcnow
from matchmaker.models.users import Role
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.facilities.bookings import lifecycle
from matchmaker.services.transactions import commit, use_case

SELF_SERVICE_ROLES = (Role.FOUNDER, Role.MENTOR, Role.INVESTOR, Role.FACILITY_MANAGER)
MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    """The form addresses are stored and compared in: trimmed, lower case."""
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account using ``email`` (in any case), active or not."""
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


@use_case
def register_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str = "zh_CN",
    roles: Iterable[str] = (Role.FOUNDER,),
    allow_operator: bool = False,
) -> User:
    """Create an account. Operators are made by operators (``allow_operator``), never by sign-up."""
    roles = list(dict.fromkeys(roles))
    allowed = set(vocab.ROLES) if allow_operator else set(SELF_SERVICE_ROLES)
    if not roles or not set(roles) <= allowed:
        raise Invalid(_l("Choose at least one valid role."), field="roles")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if locale not in vocab.UI_LOCALES:
        raise Invalid(_l("Unknown language."), field="locale")
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        locale=locale,
        roles=roles,
    )
    user.set_password(password)
    session.add(user)
    try:
        # The unique index decides, not a look-up before the insert: two sign-ups racing for
        # one address cannot both win.
        commit(session, _l("An account with this e-mail address already exists."))
    except Conflict as exc:
        exc.field = "email"  # shown next to the address on the sign-up form
        raise
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure).

    Nothing is locked while the password hash is checked (the slow part, on purpose): the read
    ends first. The sign-in time is then written by one short UPDATE in a transaction of its
    own, whose first statement is the write, so on SQLite it waits for the lock instead of
    failing on a stale read snapshot. It leaves ``updated_at`` alone: signing in changes no
    profile, and must not look like a change to anything that watches profiles.
    """
    row = session.execute(
        sa.select(User.id, User.password_hash, User.is_active).where(
            User.email == normalise_email(email)
        )
    ).one_or_none()
    # End the read before the slow check (a read-only transaction: nothing to commit).
    session.rollback()
    if row is None or not row.is_active or not check_password_hash(row.password_hash, password):
        return None
    session.execute(
        sa.update(User)
        .where(User.id == row.id)
        .values(last_seen_at=utcnow(), updated_at=User.updated_at)
    )
    commit(session)
    return session.get(User, row.id)


@use_case
def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Set a new password; the new session version signs out every other session."""
    if not user.check_password(current):
        raise Invalid(_l("The current password is not correct."), field="current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="new_password",
        )
    user.set_password(new)
    commit(session)


def sign_out(session: Session, user: User) -> None:
    """End every session of ``user``: a copied session or remember-me cookie is dead afterwards.

    Signing out on one device signs out the others too; that is the price of a cookie that
    cannot be replayed after sign-out (the cookie itself cannot be revoked, only its version).
    """
    user.end_sessions()
    commit(session)


@use_case
def set_locale(session: Session, user: User, locale: str) -> None:
    """Remember the interface language on the account."""
    if locale not in vocab.UI_LOCALES:
        raise Invalid(_l("Unknown language."), field="locale")
    user.locale = locale
    commit(session)


# The navbar's unread badge comes with the user: one statement for both. Built once, the id
# bound when it runs: ``Session.get`` builds its statement again on every call (0.40 against
# 0.27 ms a request, measured on 2,000 loads).
_USER_WITH_UNREAD_COUNT = (
    sa.select(User)
    .where(User.id == sa.bindparam("user_id"))
    .options(notifications.with_unread_count())
)


def load_user_for_session(session: Session, cookie_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>.<session_version>"``; a stale version means signed out."""
    user_id, _, version = cookie_id.partition(".")
    if not user_id.isdigit():
        return None
    user = session.scalar(_USER_WITH_UNREAD_COUNT, {"user_id": int(user_id)})
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


@use_case
def set_user_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Operators suspend or restore accounts (moderation).

    A suspension also hides the startups nobody active is left to run (they leave the public
    directory) and cancels the user's future equipment bookings, so their slots are free; all
    in one transaction. A restore does not re-show those startups by itself: an operator may
    have hidden one for another reason, so it is shown again from its page.
    """
    if not actor.is_operator:
        raise Forbidden(_l("Only operators can do this."))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    if user.id == actor.id:
        raise Invalid(_l("You cannot suspend your own account."))
    user.is_active = active
    # Both ways: a suspension ends the sessions, and a restore starts from a version no cookie
    # issued before it has ever carried.
    user.end_sessions()
    released: list[Any] = []
    if not active:
        session.flush()
        hidden = hide_unrun_startups(session, user)
        released = lifecycle.release_for_suspension(session, user, hidden)
    commit(session)
    if released:
        notifications.send_after_commit(session, released)
    return user


def hide_unrun_startups(session: Session, user: User) -> list[int]:
    """Hide (``is_active`` false) the active startups of ``user`` whose every member is now
    suspended; returns their ids. No commit."""
    ids = list(
        session.scalars(
            sa.select(Startup.id)
            .join(StartupMember, StartupMember.startup_id == Startup.id)
            .where(StartupMember.user_id == user.id, Startup.is_active.is_(True))
        )
    )
    hidden = []
    for startup_id in ids:
        still_run = session.scalar(
            sa.select(sa.func.count())
            .select_from(StartupMember)
            .join(User, User.id == StartupMember.user_id)
            .where(StartupMember.startup_id == startup_id, User.is_active.is_(True))
        )
        if not still_run:
            hidden.append(startup_id)
    if hidden:
        session.execute(
            sa.update(Startup)
            .where(Startup.id.in_(hidden))
            .values(is_active=False)
            .execution_options(synchronize_session="fetch")
        )
    return hidden


def sign_in_refusal(session: Session, email: str, password: str) -> Any:
    """Why a sign-in was refused, for the message: a suspended account is told so, but only to
    whoever knows its password (anyone else gets the same answer as for a wrong password)."""
    user = find_user_by_email(session, email)
    if user is not None and not user.is_active and user.check_password(password):
        return _l("Your account has been suspended. Please contact the makerspace operators.")
    return _l("Wrong e-mail address or password.")
