"""Accounts and roles."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.models.base import Base, CodeList, TimestampMixin, utcnow


class Role(StrEnum):
    """What an account is for; ``User.roles`` holds these codes (their labels are
    ``vocab.ROLES``). A ``Role`` is a ``str``, so it compares equal to the stored code."""

    FOUNDER = "founder"
    MENTOR = "mentor"
    INVESTOR = "investor"
    FACILITY_MANAGER = "facility_manager"
    OPERATOR = "operator"


def new_session_version() -> str:
    return secrets.token_hex(8)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    # The mentor directory's and the operator's user list's order (see ix_startups_name_id).
    __table_args__ = (sa.Index("ix_users_display_name_id", "display_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh_CN")
    roles: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    wechat_id: Mapped[str | None] = mapped_column(sa.String(60))
    # Each channel is shown to the other side of an accepted introduction only with its own
    # consent (e-mail always is: it is how the account was registered for contact).
    share_phone: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    share_wechat: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie's identity (the remember-me cookie's too): changing it signs out
    # every session of this user, as CTFd binds sessions to the password hash. It changes on a
    # password change, a sign-out, a suspension and a restore (``end_sessions``).
    session_version: Mapped[str] = mapped_column(sa.String(32), default=new_session_version)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # Secret of the private calendar feed URL; None until the user asks for a feed, and
    # replaced when they revoke it.
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Not a column: the count of unread notifications, loaded by the statement that loads the
    # signed-in user of a request (``services.notifications.with_unread_count``) so the
    # navbar's badge costs no statement of its own. None when loaded otherwise.
    unread_notifications: Mapped[int | None] = query_expression()

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every cookie issued so far stale: a fresh random version, never a fixed one
        (a shared value such as "suspended" would let an old cookie come back to life)."""
        self.session_version = new_session_version()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role | str) -> bool:
        return role in self.roles

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


def links_user(links: Iterable[Any], user: User) -> bool:
    """Whether one of ``links`` (a team's or fund's member rows, a facility's manager rows)
    belongs to ``user``; compared by id, so any loaded copy of the user answers alike."""
    return any(link.user_id == user.id for link in links)
