"""Onboarding and editing of a founder's startups, a mentor's profile and an account's contacts.

One function per use case; each takes the session first, checks that ``actor`` may do it (users
edit what is theirs, operators everything: ``profile_values.editable_by``), validates
(``profile_values.checked_values``), commits once and, after the commit, announces the change
(``profile_events``) so that derived indexes stay fresh. Values arrive as plain dicts whose keys
are model attributes; unknown keys are ignored (``profile_values.pick``), so a form can never set
``is_active`` or an id. Rows a profile owns (portfolio entries, instruments) go through
``profile_rows``. Funds are ``investor_profiles``, facilities and their
equipment ``facility_profiles``; who is on a team or in a fund (invitations, leaving) is
``memberships``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, Startup, StartupMember, User
from matchmaker.models.users import Role
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.accounts.profile_values import (
    apply_values,
    check_codes,
    check_money,
    checked_values,
    editable_by,
    need_role,
    require_text,
)
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.mentoring.availability_settings import check_sessions_per_month
from matchmaker.services.transactions import commit, use_case
from matchmaker.timezones import is_valid_zone

STARTUP_FIELDS = (
    "name", "one_liner", "description", "sectors", "stage", "funding_round", "location",
    "team_size", "founded_on", "founder_backgrounds", "languages", "mentoring_topics",
    "services_needed", "funding_need_amount", "funding_need_currency", "funding_need_note",
    "website",
)  # fmt: skip
MENTOR_FIELDS = (
    "kind", "headline", "expertise", "sectors", "languages", "mentoring_topics", "organisation",
    "location", "timezone", "capacity_per_month", "accepting_requests",
)  # fmt: skip


# --- startups -----------------------------------------------------------------------------


def _validate_startup(values: dict[str, Any]) -> None:
    require_text(values, "name")
    check_codes(values)
    check_money(values, "funding_need_amount")
    if "team_size" in values and not (1 <= int(values["team_size"] or 0) <= 100000):
        raise Invalid(_l("Enter a team size of at least 1."), field="team_size")
    founded = values.get("founded_on")
    if founded is not None and founded > date.today():
        raise Invalid(_l("The founding date cannot be in the future."), field="founded_on")


def startup_with_team(startup_id: int) -> sa.Select[Startup]:
    """The startup with its members and their accounts (its edit and detail pages show them)."""
    return (
        sa.select(Startup)
        .where(Startup.id == startup_id)
        .options(selectinload(Startup.members).selectinload(StartupMember.user))
    )


def editable_startup(session: Session, actor: User, startup_id: int) -> Startup:
    """The startup with its members, if ``actor`` is one of them or an operator."""
    return editable_by(
        actor,
        session.scalar(startup_with_team(startup_id)),
        Startup.has_member,
        missing=_l("No such startup."),
        refused=_l("Only the startup's team can edit it."),
    )


@use_case
def create_startup(session: Session, actor: User, values: Mapping[str, Any]) -> Startup:
    """A founder creates a startup and becomes its first team member."""
    need_role(actor, Role.FOUNDER)
    data = checked_values(values, STARTUP_FIELDS, _validate_startup, required=("name",))
    startup = Startup(**data)
    startup.members.append(StartupMember(user_id=actor.id, title=str(values.get("title") or "")))
    session.add(startup)
    commit(session)
    profile_changed("startup", startup.id)
    return startup


@use_case
def update_startup(
    session: Session, actor: User, startup_id: int, values: Mapping[str, Any]
) -> Startup:
    """Edit a startup (its team or operators)."""
    startup = editable_startup(session, actor, startup_id)
    apply_values(startup, checked_values(values, STARTUP_FIELDS, _validate_startup))
    commit(session)
    profile_changed("startup", startup.id)
    return startup


# --- mentors ------------------------------------------------------------------------------


def _validate_mentor(values: dict[str, Any]) -> None:
    check_codes(values)
    if "capacity_per_month" in values:
        check_sessions_per_month(values["capacity_per_month"])
    if "timezone" in values and not is_valid_zone(values["timezone"]):
        raise Invalid(_l("Unknown time zone."), field="timezone")
    if "accepting_requests" in values:
        values["accepting_requests"] = bool(values["accepting_requests"])


def mentor_profile_of(session: Session, user: User) -> MentorProfile | None:
    """The user's mentor profile, active or not; None before they created one."""
    return session.scalar(sa.select(MentorProfile).where(MentorProfile.user_id == user.id))


def editable_mentor(session: Session, actor: User, mentor_id: int) -> MentorProfile:
    """The mentor profile ``mentor_id``, if it is ``actor``'s own or ``actor`` is an
    operator."""
    return editable_by(
        actor,
        session.get(MentorProfile, mentor_id),
        lambda mentor, user: mentor.user_id == user.id,
        missing=_l("No such mentor."),
        refused=_l("You can only edit your own mentor profile."),
    )


@use_case
def save_mentor_profile(
    session: Session, actor: User, values: Mapping[str, Any], *, mentor_id: int | None = None
) -> MentorProfile:
    """Create or update a mentor profile: one's own, or (operators) the one ``mentor_id``."""
    mentor: MentorProfile | None
    if mentor_id is not None:
        mentor = editable_mentor(session, actor, mentor_id)
    else:
        need_role(actor, Role.MENTOR)
        mentor = mentor_profile_of(session, actor)
    data = checked_values(values, MENTOR_FIELDS, _validate_mentor)
    if mentor is None:
        if "kind" not in data:
            raise Invalid(_l("This field is required."), field="kind")
        mentor = MentorProfile(user_id=actor.id, **data)
        session.add(mentor)
    else:
        apply_values(mentor, data)
    commit(session)
    profile_changed("mentor", mentor.id)
    return mentor


# --- contact channels ------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")
_WECHAT = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{5,59}$")


@use_case
def update_contact_channels(
    session: Session,
    actor: User,
    *,
    phone: str,
    wechat_id: str,
    share_phone: bool,
    share_wechat: bool,
) -> User:
    """The account's phone and WeChat ID, each with its own consent to be shown to the other
    side of an accepted introduction (``introductions.contacts_of``). Nothing else shows them:
    no page, export, feed or notification reads these columns."""
    phone, wechat_id = (phone or "").strip(), (wechat_id or "").strip()
    if phone and not _PHONE.match(phone):
        raise Invalid(
            _l("Enter a phone number of digits, spaces and an optional +."), field="phone"
        )
    if wechat_id and not _WECHAT.match(wechat_id):
        raise Invalid(
            _l("A WeChat ID has 6 to 60 letters, digits, - or _, and starts with a letter."),
            field="wechat_id",
        )
    if share_phone and not phone:
        raise Invalid(_l("Enter the phone number you agree to share."), field="phone")
    if share_wechat and not wechat_id:
        raise Invalid(_l("Enter the WeChat ID you agree to share."), field="wechat_id")
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound(_l("This account does not exist."))
    user.phone, user.wechat_id = phone or None, wechat_id or None
    user.share_phone, user.share_wechat = bool(share_phone), bool(share_wechat)
    commit(session)
    return user
