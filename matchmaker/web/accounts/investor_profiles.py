"""Onboarding and editing of funds: the fund, its portfolio and who is invited to it."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.accounts import investor_profiles as service
from matchmaker.services.accounts import memberships
from matchmaker.web.accounts.profile_forms import InvestorForm, PortfolioForm
from matchmaker.web.accounts.profile_pages import (
    ProfileEditor,
    TeamPages,
    bp,
    flash_saved,
    render_team_page,
    saved,
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
    return render_team_page(
        "profiles/investor_form.html",
        "investor",
        form,
        investor,
        member_form,
        portfolio_form=portfolio_form or PortfolioForm(formdata=None),
    )


INVESTOR_PAGES = ProfileEditor(
    kind="investor",
    fields=service.INVESTOR_FIELDS,
    form=_investor_form,
    render=_render_investor,
    editable=service.editable_investor,
    create=service.create_investor,
    update=service.update_investor,
    created=lambda: _("The fund has been created."),
)
INVESTOR_PAGES.register("investors")
_back_to = INVESTOR_PAGES.back_to


def _investor_page_form(investor: Any) -> InvestorForm:
    form = InvestorForm(formdata=None, obj=investor)
    form.regions.data = ", ".join(investor.regions)
    return form


def _new_entry(investor_id: int, values: dict[str, Any]) -> Any:
    # "—" (no sector, no round) is stored as an empty code.
    values["sector"] = values.get("sector") or ""
    values["round"] = values.get("round") or ""
    return service.add_portfolio_entry(db.session, current_user, investor_id, values)


@bp.post("/investors/<int:investor_id>/portfolio")
@login_required
def add_portfolio_entry(investor_id: int) -> str | Response:
    investor = service.editable_investor(db.session, current_user, investor_id)
    portfolio_form = PortfolioForm()
    if saved(
        portfolio_form, service.PORTFOLIO_FIELDS, lambda values: _new_entry(investor_id, values)
    ):
        flash(_("The portfolio company has been added."), "success")
        return _back_to(investor_id)
    return _render_investor(_investor_page_form(investor), investor, None, portfolio_form)


@bp.route("/portfolio/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_portfolio_entry(entry_id: int) -> str | Response:
    entry = service.editable_portfolio_entry(db.session, current_user, entry_id)
    form = PortfolioForm(obj=entry)
    if saved(
        form,
        service.PORTFOLIO_FIELDS,
        lambda values: service.update_portfolio_entry(db.session, current_user, entry_id, values),
    ):
        flash_saved()
        return _back_to(entry.investor_id)
    return render_template("profiles/portfolio_form.html", form=form, entry=entry)


@bp.post("/portfolio/<int:entry_id>/remove")
@login_required
def remove_portfolio_entry(entry_id: int) -> Response:
    entry = service.editable_portfolio_entry(db.session, current_user, entry_id)
    investor_id = entry.investor_id
    service.remove_portfolio_entry(db.session, current_user, entry_id)
    flash(_("The portfolio company has been removed."), "success")
    return _back_to(investor_id)


TeamPages(
    editor=INVESTOR_PAGES,
    page_form=_investor_page_form,
    invite=memberships.invite_investor_member,
    remove=memberships.remove_investor_member,
    removed=lambda: _("The member has been removed."),
).register("investors")
