"""The profiles blueprint (``/me``) and what its pages share.

Its views live in ``profiles`` (onboarding, contacts, invitations, startups, mentor profile),
``investor_profiles`` and ``facility_profiles``; the app registers ``profiles.bp``, which
imports the other two so that their routes are on the blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.models import User
from matchmaker.services.accounts import memberships
from matchmaker.services.errors import Conflict, Invalid, ServiceError
from matchmaker.web.accounts.profile_forms import MemberForm, ProfileForm

bp = Blueprint("profiles", __name__, url_prefix="/me")

T = TypeVar("T")


class _Saved(Protocol):
    @property
    def id(self) -> int: ...


Profile = TypeVar("Profile", bound=_Saved)


def attempt(form: FlaskForm, use_case: Callable[[], T]) -> T | None:
    """Run ``use_case``; on a refusal show its message next to its field and return None.
    (The service has already rolled its transaction back.)"""
    try:
        return use_case()
    except (Invalid, Conflict) as exc:
        field = form[exc.field] if exc.field and exc.field in form else None
        if field is not None:
            field.errors = [*field.errors, str(exc.message)]
        else:
            form.form_errors.append(str(exc.message))
        return None


def succeeds(form: FlaskForm, use_case: Callable[[], object]) -> bool:
    """``attempt`` for a use case that returns nothing: did it go through?"""

    def run() -> bool:
        use_case()
        return True

    return attempt(form, run) is not None


def saved(
    form: ProfileForm, fields: tuple[str, ...], save: Callable[[dict[str, Any]], T]
) -> T | None:
    """What ``save`` returns for a valid submission of ``form`` (its ``fields``' values);
    None for a page that is only shown, invalid input, or a refusal (then shown on the form)."""
    if not form.validate_on_submit():
        return None
    values = form.values(fields)
    return attempt(form, lambda: save(values))


def flash_outcome(
    action: Callable[[], object],
    done: str,
    category: str = "success",
    refusals: tuple[type[ServiceError], ...] = (Invalid, Conflict),
) -> None:
    """Run a one-button ``action``: flash ``done``, or the refusal's message (there is no form
    to show it on)."""
    try:
        action()
    except refusals as exc:
        flash(str(exc.message), "danger")
    else:
        flash(done, category)


def flash_saved() -> None:
    """The one "saved" message of every profile form."""
    flash(_("Your changes have been saved."), "success")


def flash_invited() -> None:
    """What the inviter is told after an invitation, whatever happened (see ``memberships``)."""
    # The same words whether or not an account uses the address (no way to probe for accounts).
    flash(
        _(
            "If an account uses this e-mail address, its owner has been invited. "
            "They become a member once they accept."
        ),
        "success",
    )


def profiles_link() -> str:
    """The absolute address of one's profiles page, where invitations are answered."""
    return url_for("profiles.onboarding", _external=True)


def render_team_page(
    template: str, kind: str, form: ProfileForm, owner: Any, member_form: Any = None, **extra: Any
) -> str:
    """The edit page of a startup or fund (``kind``; a new one when ``owner`` is None), with
    its team, the invitation form and the invitations still open."""
    invitations = (
        memberships.open_invitations(db.session, current_user, kind, owner.id)
        if owner is not None
        else []
    )
    return render_template(
        template,
        form=form,
        member_form=member_form or MemberForm(formdata=None),
        invitations=invitations,
        withdraw_endpoint=f"profiles.withdraw_{kind}_invitation",
        **{kind: owner},
        **extra,
    )


def invited(member_form: MemberForm, invite: Callable[[str, str], None]) -> bool:
    """Did a valid invitation form go through ``invite(email, title)``? Tells the inviter so."""
    if not member_form.validate_on_submit():
        return False
    email, title = member_form.email.data or "", member_form.title.data or ""
    if not succeeds(member_form, lambda: invite(email, title)):
        return False
    flash_invited()
    return True


@dataclass(frozen=True)
class ProfileEditor(Generic[Profile]):
    """The new and edit pages of a profile that has its own edit page (a startup, a fund, a
    facility): a valid form goes to the service, then back to the edit page; a refusal is shown
    on the form. ``kind`` names the endpoints (``new_startup``, ``edit_startup``) and the id in
    the path (``startup_id``)."""

    kind: str
    fields: tuple[str, ...]
    form: Callable[[Profile | None], ProfileForm]  # bound to the request's data, if any
    render: Callable[..., str]  # (form, profile or None[, member form]) -> the page
    editable: Callable[[Session, User, int], Profile]
    create: Callable[[Session, User, dict[str, Any]], Profile]
    update: Callable[[Session, User, int, dict[str, Any]], Profile]
    created: Callable[[], str]  # what a creator is told (worded in the request's language)

    def register(self, plural: str) -> None:
        """Add ``/<plural>/new`` and ``/<plural>/<id>/edit`` (signed-in users) to ``bp``."""
        methods = ["GET", "POST"]
        bp.add_url_rule(
            f"/{plural}/new", f"new_{self.kind}", login_required(self.new_page), methods=methods
        )
        bp.add_url_rule(
            f"/{plural}/<int:{self.kind}_id>/edit",
            f"edit_{self.kind}",
            login_required(self.edit_page),
            methods=methods,
        )

    def back_to(self, profile_id: int) -> Response:
        """The profile's edit page."""
        path: dict[str, Any] = {f"{self.kind}_id": profile_id}
        return redirect(url_for(f"profiles.edit_{self.kind}", **path))

    def new_page(self) -> str | Response:
        form = self.form(None)
        created = saved(
            form, self.fields, lambda values: self.create(db.session, current_user, values)
        )
        if created is None:
            return self.render(form, None)
        flash(self.created(), "success")
        return self.back_to(created.id)

    def edit_page(self, **path: int) -> str | Response:
        profile_id = path[f"{self.kind}_id"]
        profile = self.editable(db.session, current_user, profile_id)
        form = self.form(profile)
        updated = saved(
            form,
            self.fields,
            lambda values: self.update(db.session, current_user, profile_id, values),
        )
        if updated is None:
            return self.render(form, profile)
        flash_saved()
        return self.back_to(profile_id)


@dataclass(frozen=True)
class TeamPages:
    """Who is on a startup's team or in a fund, changed from its edit page: invite someone
    (``add_<kind>_member``), withdraw an open invitation, remove a member."""

    editor: ProfileEditor[Any]
    page_form: Callable[[Any], ProfileForm]  # the profile's form, not bound to the request
    invite: Callable[..., None]  # (session, actor, owner id, email, title, *, link)
    remove: Callable[[Session, User, int, int], None]
    removed: Callable[[], str]  # what the remover is told

    def register(self, plural: str) -> None:
        kind, owner = self.editor.kind, f"/{plural}/<int:{self.editor.kind}_id>"
        for path, endpoint, view in (
            ("/members", f"add_{kind}_member", self.add_member),
            ("/invitations/<int:invitation_id>/withdraw", f"withdraw_{kind}_invitation",
             self.withdraw_invitation),
            ("/members/<int:user_id>/remove", f"remove_{kind}_member", self.remove_member),
        ):  # fmt: skip
            bp.add_url_rule(owner + path, endpoint, login_required(view), methods=["POST"])

    def _owner_id(self, path: dict[str, int]) -> int:
        return path[f"{self.editor.kind}_id"]

    def add_member(self, **path: int) -> str | Response:
        """An invitation, not an addition: see ``memberships``."""
        owner_id = self._owner_id(path)
        owner = self.editor.editable(db.session, current_user, owner_id)
        member_form = MemberForm()
        if invited(
            member_form,
            lambda email, title: self.invite(
                db.session, current_user, owner_id, email, title, link=profiles_link()
            ),
        ):
            return self.editor.back_to(owner_id)
        return self.editor.render(self.page_form(owner), owner, member_form)

    def withdraw_invitation(self, invitation_id: int, **path: int) -> Response:
        owner_id = self._owner_id(path)
        flash_outcome(
            lambda: memberships.withdraw_invitation(
                db.session, current_user, self.editor.kind, owner_id, invitation_id
            ),
            _("The invitation has been withdrawn."),
            "info",
            refusals=(Conflict,),
        )
        return self.editor.back_to(owner_id)

    def remove_member(self, user_id: int, **path: int) -> Response:
        owner_id = self._owner_id(path)
        flash_outcome(
            lambda: self.remove(db.session, current_user, owner_id, user_id),
            self.removed(),
            refusals=(Invalid,),
        )
        return self.editor.back_to(owner_id)
