"""Onboarding and editing of funds: the fund, its portfolio and who is invited to it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.services.accounts import investor_profiles as service
from matchmaker.services.accounts import memberships
from matchmaker.services.errors import Invalid
from matchmaker.web.accounts.profile_forms import (
    InvestorForm,
    MemberForm,
    PortfolioForm,
    form_values,
)
from matchmaker.web.accounts.profile_pages import (
    attempt,
    bp,
    flash_invited,
    flash_saved,
    profiles_link,
    withdraw_invitation,
)


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
        investor = attempt(form, lambda: service.create_investor(db.session, current_user, values))
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
        if attempt(
            form,
            lambda: service.update_investor(db.session, current_user, investor_id, values),
        ):
            flash_saved()
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
        if attempt(
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
        if attempt(
            form,
            lambda: service.update_portfolio_entry(db.session, current_user, entry_id, values),
        ):
            flash_saved()
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
        invited = attempt(
            member_form,
            lambda: (
                memberships.invite_investor_member(
                    db.session, current_user, investor_id, email, title, link=profiles_link()
                )
                or True
            ),
        )
        if invited:
            flash_invited()
            return redirect(url_for("profiles.edit_investor", investor_id=investor_id))
    return _render_investor(_investor_page_form(investor), investor, member_form)


@bp.post("/investors/<int:investor_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_investor_invitation(investor_id: int, invitation_id: int) -> Response:
    back = url_for("profiles.edit_investor", investor_id=investor_id)
    return withdraw_invitation("investor", investor_id, invitation_id, back)


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
