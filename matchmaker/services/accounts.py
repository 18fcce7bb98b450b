"""Accounts: registration, sign-in checks, password and language changes."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import User, utcnow
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound

SELF_SERVICE_ROLES = ("founder", "mentor", "investor", "facility_manager")
MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def register_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str = "zh_CN",
    roles: Iterable[str] = ("founder",),
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
        session.commit()
    except IntegrityError as exc:
        # The unique index decides, not a look-up before the insert: two sign-ups racing for
        # one address cannot both win.
        session.rollback()
        raise Conflict(
            _l("An account with this e-mail address already exists."), field="email"
        ) from exc
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
    session.rollback()  # end the read before the slow check
    if row is None or not row.is_active or not check_password_hash(row.password_hash, password):
        return None
    session.execute(
        sa.update(User)
        .where(User.id == row.id)
        .values(last_seen_at=utcnow(), updated_at=User.updated_at)
    )
    session.commit()
    return session.get(User, row.id)


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
    session.commit()


def sign_out(session: Session, user: User) -> None:
    """End every session of ``user``: a copied session or remember-me cookie is dead afterwards.

    Signing out on one device signs out the others too; that is the price of a cookie that
    cannot be replayed after sign-out (the cookie itself cannot be revoked, only its version).
    """
    user.end_sessions()
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in vocab.UI_LOCALES:
        raise Invalid(_l("Unknown language."), field="locale")
    user.locale = locale
    session.commit()


def load_user_for_session(session: Session, cookie_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>.<session_version>"``; a stale version means signed out."""
    user_id, _, version = cookie_id.partition(".")
    if not user_id.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def set_user_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Operators suspend or restore accounts (moderation)."""
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
    session.commit()
    return user
