"""Onboarding and editing of one's own profiles: the profiles page, contact channels,
answering invitations, startups and the mentor profile (funds are ``investor_profiles``,
facilities ``facility_profiles``).

Thin views: a form parses the request, one service use case saves (and checks permissions:
``Forbidden``/``NotFound`` reach the global error pages as 403/404), and a refusal with a field
is shown next to that field.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.models.users import Role
from matchmaker.services.accounts import dashboard, memberships
from matchmaker.services.accounts import profiles as service
from matchmaker.services.errors import Conflict

# The fund and facility pages add their routes to the same blueprint (``profile_pages.bp``):
# importing them here puts every /me page on the blueprint the app registers.
from matchmaker.web.accounts import facility_profiles, investor_profiles  # noqa: F401
from matchmaker.web.accounts.profile_forms import (
    ContactChannelsForm,
    MentorForm,
    StartupForm,
)
from matchmaker.web.accounts.profile_pages import (
    ProfileEditor,
    TeamPages,
    bp,
    flash_outcome,
    flash_saved,
    profiles_link,
    render_team_page,
    saved,
    succeeds,
)


@bp.get("/", endpoint="onboarding")
@login_required
def onboarding_page() -> str:
    return _onboarding()


def _onboarding(contact_form: ContactChannelsForm | None = None) -> str:
    overview = dashboard.overview_for(db.session, current_user)
    invitations = memberships.invitations_for(db.session, current_user)
    if contact_form is None:
        contact_form = ContactChannelsForm(
            formdata=None,
            phone=current_user.phone or "",
            wechat_id=current_user.wechat_id or "",
            share_phone=current_user.share_phone,
            share_wechat=current_user.share_wechat,
        )
    return render_template(
        "profiles/onboarding.html",
        overview=overview,
        invitations=invitations,
        contact_form=contact_form,
    )


@bp.post("/contacts")
@login_required
def save_contact_channels() -> tuple[str, int] | Response:
    """Phone and WeChat ID, each with its own consent to be shared in accepted introductions."""
    form = ContactChannelsForm()
    if form.validate_on_submit() and succeeds(
        form,
        lambda: service.update_contact_channels(
            db.session,
            current_user,
            phone=form.phone.data or "",
            wechat_id=form.wechat_id.data or "",
            share_phone=bool(form.share_phone.data),
            share_wechat=bool(form.share_wechat.data),
        ),
    ):
        flash_saved()
        return redirect(url_for("profiles.onboarding"))
    return _onboarding(form), 422


# --- invitations (the invitee) --------------------------------------------------------------


@bp.post(
    "/invitations/<any(startup, investor):kind>/<int:invitation_id>/<any(accept, decline):answer>"
)
@login_required
def answer_invitation(kind: str, invitation_id: int, answer: str) -> Response:
    """Only the account using the invited address may answer (anyone else gets a 404)."""
    if answer == "accept":
        flash_outcome(
            lambda: memberships.accept_invitation(
                db.session, current_user, kind, invitation_id, link=profiles_link()
            ),
            _("Welcome aboard: you are now a member."),
            refusals=(Conflict,),
        )
    else:
        flash_outcome(
            lambda: memberships.decline_invitation(db.session, current_user, kind, invitation_id),
            _("Invitation declined."),
            "info",
            refusals=(Conflict,),
        )
    return redirect(url_for("profiles.onboarding"))


# --- startups -----------------------------------------------------------------------------


def _render_startup(form: StartupForm, startup: Any = None, member_form: Any = None) -> str:
    return render_team_page("profiles/startup_form.html", "startup", form, startup, member_form)


STARTUP_PAGES = ProfileEditor(
    kind="startup",
    fields=service.STARTUP_FIELDS,
    form=lambda startup: StartupForm(obj=startup),
    render=_render_startup,
    editable=service.editable_startup,
    create=service.create_startup,
    update=service.update_startup,
    created=lambda: _("Your startup has been created."),
)
STARTUP_PAGES.register("startups")
TeamPages(
    editor=STARTUP_PAGES,
    page_form=lambda startup: StartupForm(formdata=None, obj=startup),
    invite=memberships.invite_startup_member,
    remove=memberships.remove_startup_member,
    removed=lambda: _("The team member has been removed."),
).register("startups")


# --- mentor profile -----------------------------------------------------------------------


@bp.route("/mentor", methods=["GET", "POST"])
@login_required
def edit_mentor() -> str | Response:
    if not (current_user.has_role(Role.MENTOR) or current_user.is_operator):
        abort(403)
    mentor = service.mentor_profile_of(db.session, current_user)
    form = MentorForm(obj=mentor)
    if saved(
        form,
        service.MENTOR_FIELDS,
        lambda values: service.save_mentor_profile(db.session, current_user, values),
    ):
        flash_saved()
        return redirect(url_for("profiles.onboarding"))
    return render_template("profiles/mentor_form.html", form=form, mentor=mentor)


@bp.route("/mentors/<int:mentor_id>/edit", methods=["GET", "POST"])
@login_required
def edit_mentor_profile(mentor_id: int) -> str | Response:
    """Operators (or the mentor) edit a given mentor profile."""
    mentor = service.editable_mentor(db.session, current_user, mentor_id)
    form = MentorForm(obj=mentor)
    if saved(
        form,
        service.MENTOR_FIELDS,
        lambda values: service.save_mentor_profile(
            db.session, current_user, values, mentor_id=mentor_id
        ),
    ):
        flash_saved()
        return redirect(url_for("directory.mentor", mentor_id=mentor_id))
    return render_template("profiles/mentor_form.html", form=form, mentor=mentor)
