"""Onboarding and editing of one's own profiles: startups, mentor profile, funds, facilities.

Thin views: a form parses the request, one service use case saves (and checks permissions:
``Forbidden``/``NotFound`` reach the global error pages as 403/404), and a refusal with a field
is shown next to that field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.services.accounts import dashboard, memberships
from matchmaker.services.accounts import profiles as service
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.web.accounts.profile_forms import (
    ContactChannelsForm,
    EquipmentForm,
    FacilityForm,
    InvestorForm,
    MemberForm,
    MentorForm,
    PortfolioForm,
    StartupForm,
    form_values,
)

bp = Blueprint("profiles", __name__, url_prefix="/me")

T = TypeVar("T")


def _attempt(form: FlaskForm, use_case: Callable[[], T]) -> T | None:
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


def _succeeds(form: FlaskForm, use_case: Callable[[], object]) -> bool:
    """``_attempt`` for a use case that returns nothing: did it go through?"""

    def run() -> bool:
        use_case()
        return True

    return _attempt(form, run) is not None


def _saved() -> None:
    flash(_("Your changes have been saved."), "success")


def _invited() -> None:
    # The same words whether or not an account uses the address (no way to probe for accounts).
    flash(
        _(
            "If an account uses this e-mail address, its owner has been invited. "
            "They become a member once they accept."
        ),
        "success",
    )


def _me_link() -> str:
    return url_for("profiles.onboarding", _external=True)


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
    if form.validate_on_submit() and _succeeds(
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
        _saved()
        return redirect(url_for("profiles.onboarding"))
    return _onboarding(form), 422


# --- invitations (the invitee) --------------------------------------------------------------


@bp.post(
    "/invitations/<any(startup, investor):kind>/<int:invitation_id>/<any(accept, decline):answer>"
)
@login_required
def answer_invitation(kind: str, invitation_id: int, answer: str) -> Response:
    """Only the account using the invited address may answer (anyone else gets a 404)."""
    try:
        if answer == "accept":
            memberships.accept_invitation(
                db.session, current_user, kind, invitation_id, link=_me_link()
            )
        else:
            memberships.decline_invitation(db.session, current_user, kind, invitation_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
    else:
        if answer == "accept":
            flash(_("Welcome aboard: you are now a member."), "success")
        else:
            flash(_("Invitation declined."), "info")
    return redirect(url_for("profiles.onboarding"))


# --- startups -----------------------------------------------------------------------------


def _render_startup(form: StartupForm, startup: Any = None, member_form: Any = None) -> str:
    invitations = (
        memberships.open_invitations(db.session, current_user, "startup", startup.id)
        if startup is not None
        else []
    )
    return render_template(
        "profiles/startup_form.html",
        form=form,
        startup=startup,
        member_form=member_form or MemberForm(formdata=None),
        invitations=invitations,
        withdraw_endpoint="profiles.withdraw_startup_invitation",
    )


@bp.route("/startups/new", methods=["GET", "POST"])
@login_required
def new_startup() -> str | Response:
    form = StartupForm()
    if form.validate_on_submit():
        values = form_values(form, service.STARTUP_FIELDS)
        startup = _attempt(form, lambda: service.create_startup(db.session, current_user, values))
        if startup is not None:
            flash(_("Your startup has been created."), "success")
            return redirect(url_for("profiles.edit_startup", startup_id=startup.id))
    return _render_startup(form)


@bp.route("/startups/<int:startup_id>/edit", methods=["GET", "POST"])
@login_required
def edit_startup(startup_id: int) -> str | Response:
    startup = service.editable_startup(db.session, current_user, startup_id)
    form = StartupForm(obj=startup)
    if form.validate_on_submit():
        values = form_values(form, service.STARTUP_FIELDS)
        if _attempt(
            form, lambda: service.update_startup(db.session, current_user, startup_id, values)
        ):
            _saved()
            return redirect(url_for("profiles.edit_startup", startup_id=startup_id))
    return _render_startup(form, startup)


@bp.post("/startups/<int:startup_id>/members")
@login_required
def add_startup_member(startup_id: int) -> str | Response:
    """Invite someone to the team (an invitation, not an addition: see ``memberships``)."""
    startup = service.editable_startup(db.session, current_user, startup_id)
    member_form = MemberForm()
    if member_form.validate_on_submit():
        email, title = member_form.email.data or "", member_form.title.data or ""
        invited = _attempt(
            member_form,
            lambda: (
                memberships.invite_startup_member(
                    db.session, current_user, startup_id, email, title, link=_me_link()
                )
                or True
            ),
        )
        if invited:
            _invited()
            return redirect(url_for("profiles.edit_startup", startup_id=startup_id))
    return _render_startup(StartupForm(formdata=None, obj=startup), startup, member_form)


@bp.post("/startups/<int:startup_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_startup_invitation(startup_id: int, invitation_id: int) -> Response:
    back = url_for("profiles.edit_startup", startup_id=startup_id)
    return _withdraw("startup", startup_id, invitation_id, back)


def _withdraw(kind: str, owner_id: int, invitation_id: int, back: str) -> Response:
    try:
        memberships.withdraw_invitation(db.session, current_user, kind, owner_id, invitation_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The invitation has been withdrawn."), "info")
    return redirect(back)


@bp.post("/startups/<int:startup_id>/members/<int:user_id>/remove")
@login_required
def remove_startup_member(startup_id: int, user_id: int) -> Response:
    try:
        memberships.remove_startup_member(db.session, current_user, startup_id, user_id)
    except Invalid as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The team member has been removed."), "success")
    return redirect(url_for("profiles.edit_startup", startup_id=startup_id))


# --- mentor profile -----------------------------------------------------------------------


@bp.route("/mentor", methods=["GET", "POST"])
@login_required
def edit_mentor() -> str | Response:
    if not (current_user.has_role("mentor") or current_user.is_operator):
        abort(403)
    mentor = service.mentor_profile_of(db.session, current_user)
    form = MentorForm(obj=mentor)
    if form.validate_on_submit():
        values = form_values(form, service.MENTOR_FIELDS)
        if _attempt(form, lambda: service.save_mentor_profile(db.session, current_user, values)):
            _saved()
            return redirect(url_for("profiles.onboarding"))
    return render_template("profiles/mentor_form.html", form=form, mentor=mentor)


@bp.route("/mentors/<int:mentor_id>/edit", methods=["GET", "POST"])
@login_required
def edit_mentor_profile(mentor_id: int) -> str | Response:
    """Operators (or the mentor) edit a given mentor profile."""
    mentor = service.editable_mentor(db.session, current_user, mentor_id)
    form = MentorForm(obj=mentor)
    if form.validate_on_submit():
        values = form_values(form, service.MENTOR_FIELDS)
        if _attempt(
            form,
            lambda: service.save_mentor_profile(
                db.session, current_user, values, mentor_id=mentor_id
            ),
        ):
            _saved()
            return redirect(url_for("directory.mentor", mentor_id=mentor_id))
    return render_template("profiles/mentor_form.html", form=form, mentor=mentor)


# --- investors ----------------------------------------------------------------------------


def _investor_form(investor: Any = None) -> InvestorForm:
    form = InvestorForm(obj=investor)
    if investor is not None and not form.is_submitted():
        form.regions.data = ", ".join(investor.regions)
    return form


def _render_investor(
    form: InvestorForm,
    investor: Any = None,
    member_form: Any = None,
    portfolio_form: Any = None,
) -> str:
    invitations = (
        memberships.open_invitations(db.session, current_user, "investor", investor.id)
        if investor is not None
        else []
    )
    return render_template(
        "profiles/investor_form.html",
        form=form,
        investor=investor,
        member_form=member_form or MemberForm(formdata=None),
        portfolio_form=portfolio_form or PortfolioForm(formdata=None),
        invitations=invitations,
        withdraw_endpoint="profiles.withdraw_investor_invitation",
    )


@bp.route("/investors/new", methods=["GET", "POST"])
@login_required
def new_investor() -> str | Response:
    form = _investor_form()
    if form.validate_on_submit():
        values = form.values(service.INVESTOR_FIELDS)
        investor = _attempt(form, lambda: service.create_investor(db.session, current_user, values))
        if investor is not None:
            flash(_("The fund has been created."), "success")
            return redirect(url_for("profiles.edit_investor", investor_id=investor.id))
    return _render_investor(form)


@bp.route("/investors/<int:investor_id>/edit", methods=["GET", "POST"])
@login_required
def edit_investor(investor_id: int) -> str | Response:
    investor = service.editable_investor(db.session, current_user, investor_id)
    form = _investor_form(investor)
    if form.validate_on_submit():
        values = form.values(service.INVESTOR_FIELDS)
        if _attempt(
            form, lambda: service.update_investor(db.session, current_user, investor_id, values)
        ):
            _saved()
            return redirect(url_for("profiles.edit_investor", investor_id=investor_id))
    return _render_investor(form, investor)


def _investor_page_form(investor: Any) -> InvestorForm:
    form = InvestorForm(formdata=None, obj=investor)
    form.regions.data = ", ".join(investor.regions)
    return form


@bp.post("/investors/<int:investor_id>/portfolio")
@login_required
def add_portfolio_entry(investor_id: int) -> str | Response:
    investor = service.editable_investor(db.session, current_user, investor_id)
    portfolio_form = PortfolioForm()
    if portfolio_form.validate_on_submit():
        values = form_values(portfolio_form, service.PORTFOLIO_FIELDS)
        values["sector"] = values.get("sector") or ""
        values["round"] = values.get("round") or ""
        if _attempt(
            portfolio_form,
            lambda: service.add_portfolio_entry(db.session, current_user, investor_id, values),
        ):
            flash(_("The portfolio company has been added."), "success")
            return redirect(url_for("profiles.edit_investor", investor_id=investor_id))
    return _render_investor(_investor_page_form(investor), investor, None, portfolio_form)


@bp.route("/portfolio/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_portfolio_entry(entry_id: int) -> str | Response:
    entry = service.editable_portfolio_entry(db.session, current_user, entry_id)
    form = PortfolioForm(obj=entry)
    if form.validate_on_submit():
        values = form_values(form, service.PORTFOLIO_FIELDS)
        if _attempt(
            form, lambda: service.update_portfolio_entry(db.session, current_user, entry_id, values)
        ):
            _saved()
            return redirect(url_for("profiles.edit_investor", investor_id=entry.investor_id))
    return render_template("profiles/portfolio_form.html", form=form, entry=entry)


@bp.post("/portfolio/<int:entry_id>/remove")
@login_required
def remove_portfolio_entry(entry_id: int) -> Response:
    entry = service.editable_portfolio_entry(db.session, current_user, entry_id)
    investor_id = entry.investor_id
    service.remove_portfolio_entry(db.session, current_user, entry_id)
    flash(_("The portfolio company has been removed."), "success")
    return redirect(url_for("profiles.edit_investor", investor_id=investor_id))


@bp.post("/investors/<int:investor_id>/members")
@login_required
def add_investor_member(investor_id: int) -> str | Response:
    """Invite someone to the fund (an invitation, not an addition: see ``memberships``)."""
    investor = service.editable_investor(db.session, current_user, investor_id)
    member_form = MemberForm()
    if member_form.validate_on_submit():
        email, title = member_form.email.data or "", member_form.title.data or ""
        invited = _attempt(
            member_form,
            lambda: (
                memberships.invite_investor_member(
                    db.session, current_user, investor_id, email, title, link=_me_link()
                )
                or True
            ),
        )
        if invited:
            _invited()
            return redirect(url_for("profiles.edit_investor", investor_id=investor_id))
    return _render_investor(_investor_page_form(investor), investor, member_form)


@bp.post("/investors/<int:investor_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_investor_invitation(investor_id: int, invitation_id: int) -> Response:
    back = url_for("profiles.edit_investor", investor_id=investor_id)
    return _withdraw("investor", investor_id, invitation_id, back)


@bp.post("/investors/<int:investor_id>/members/<int:user_id>/remove")
@login_required
def remove_investor_member(investor_id: int, user_id: int) -> Response:
    try:
        memberships.remove_investor_member(db.session, current_user, investor_id, user_id)
    except Invalid as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The member has been removed."), "success")
    return redirect(url_for("profiles.edit_investor", investor_id=investor_id))


# --- facilities and equipment -------------------------------------------------------------


@bp.route("/facilities/new", methods=["GET", "POST"])
@login_required
def new_facility() -> str | Response:
    form = FacilityForm()
    if form.validate_on_submit():
        values = form_values(form, service.FACILITY_FIELDS)
        facility = _attempt(form, lambda: service.create_facility(db.session, current_user, values))
        if facility is not None:
            flash(_("The facility has been created. Now add its equipment."), "success")
            return redirect(url_for("profiles.edit_facility", facility_id=facility.id))
    return render_template("profiles/facility_form.html", form=form, facility=None)


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@login_required
def edit_facility(facility_id: int) -> str | Response:
    facility = service.editable_facility(db.session, current_user, facility_id)
    form = FacilityForm(obj=facility)
    if form.validate_on_submit():
        values = form_values(form, service.FACILITY_FIELDS)
        if _attempt(
            form, lambda: service.update_facility(db.session, current_user, facility_id, values)
        ):
            _saved()
            return redirect(url_for("profiles.edit_facility", facility_id=facility_id))
    return render_template("profiles/facility_form.html", form=form, facility=facility)


@bp.route("/facilities/<int:facility_id>/equipment/new", methods=["GET", "POST"])
@login_required
def new_equipment(facility_id: int) -> str | Response:
    facility = service.editable_facility(db.session, current_user, facility_id)
    form = EquipmentForm()
    if form.validate_on_submit():
        values = form_values(form, service.EQUIPMENT_FIELDS)
        if _attempt(
            form, lambda: service.add_equipment(db.session, current_user, facility_id, values)
        ):
            flash(_("The instrument has been added."), "success")
            return redirect(url_for("profiles.edit_facility", facility_id=facility_id))
    return render_template(
        "profiles/equipment_form.html", form=form, facility=facility, equipment=None
    )


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_equipment(equipment_id: int) -> str | Response:
    equipment = service.editable_equipment(db.session, current_user, equipment_id)
    form = EquipmentForm(obj=equipment)
    if form.validate_on_submit():
        values = form_values(form, service.EQUIPMENT_FIELDS)
        if _attempt(
            form, lambda: service.update_equipment(db.session, current_user, equipment_id, values)
        ):
            _saved()
            return redirect(url_for("profiles.edit_facility", facility_id=equipment.facility_id))
    return render_template(
        "profiles/equipment_form.html", form=form, facility=equipment.facility, equipment=equipment
    )


@bp.post("/equipment/<int:equipment_id>/active")
@login_required
def set_equipment_active(equipment_id: int) -> Response:
    active = request.form.get("active") == "1"
    equipment = service.set_equipment_active(db.session, current_user, equipment_id, active)
    if active:
        flash(_("The instrument is bookable again."), "success")
    else:
        flash(_("The instrument has been taken out of service."), "info")
    return redirect(url_for("profiles.edit_facility", facility_id=equipment.facility_id))
