"""Innovation voucher pages: the operator issues, founders and facilities read their ledgers
(exportable to CSV and Excel). Part of the ``facilities`` blueprint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.accounts.dashboard import member_startups
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings import equipment_setup
from matchmaker.services.facilities.equipment_availability import local_today
from matchmaker.web.facilities import forms
from matchmaker.web.facilities.access import is_facility_manager
from matchmaker.web.facilities.blueprint import bp
from matchmaker.web.facilities.downloads import requested_file

if TYPE_CHECKING:
    from matchmaker.models.bookings import Voucher


@bp.get("/vouchers")
@login_required
def voucher_list() -> str:
    return render_template(
        "facilities/vouchers.html",
        vouchers=vouchers.listed_vouchers(db.session, current_user),
        my_startups=member_startups(db.session, current_user),
        managed=equipment_setup.managed_facilities(db.session, current_user)
        if is_facility_manager()
        else [],
    )


@bp.route("/vouchers/issue", methods=["GET", "POST"])
@login_required
def issue_voucher() -> str | WerkzeugResponse:
    if not current_user.is_operator:
        abort(403)
    form = forms.VoucherForm()
    form.startup_id.choices = [(s.id, s.name) for s in vouchers.startups_to_issue_to(db.session)]
    if request.method == "GET":
        form.valid_from.data = local_today()
        form.valid_until.data = local_today() + timedelta(days=365)
    if form.validate_on_submit():
        try:
            voucher = vouchers.issue_voucher(
                db.session,
                current_user,
                startup_id=form.startup_id.data,
                amount=form.amount.data,
                valid_from=form.valid_from.data,
                valid_until=form.valid_until.data,
                categories=form.categories.data or [],
                note=form.note.data or "",
            )
        except ServiceError as exc:
            field = getattr(form, exc.field or "", None) or form.amount
            field.errors = [*field.errors, str(exc.message)]
        else:
            flash(_("Voucher %(code)s issued.", code=voucher.code), "success")
            return redirect(url_for(".voucher_list"))
    return render_template("facilities/issue_voucher.html", form=form), (
        422 if form.errors else 200
    )  # type: ignore[return-value]


@bp.get("/vouchers/startup/<int:startup_id>")
@login_required
def startup_ledger(startup_id: int) -> str | Response:
    try:
        startup = vouchers.ledger_startup(db.session, current_user, startup_id)
    except ServiceError:
        abort(404)
    return _ledger_page(
        startup.name,
        vouchers.startup_ledger(db.session, startup_id),
        f"vouchers-startup-{startup_id}",
        lambda: vouchers.startup_vouchers(db.session, startup_id),
        endpoint=".startup_ledger",
        args={"startup_id": startup_id},
    )


@bp.get("/vouchers/facility/<int:facility_id>")
@login_required
def facility_ledger(facility_id: int) -> str | Response:
    try:
        facility = vouchers.ledger_facility(db.session, current_user, facility_id)
    except ServiceError:
        abort(404)
    return _ledger_page(
        facility.name,
        vouchers.facility_ledger(db.session, facility_id),
        f"vouchers-facility-{facility_id}",
        list,
        endpoint=".facility_ledger",
        args={"facility_id": facility_id},
    )


def _ledger_page(
    owner: str,
    lines: list[vouchers.LedgerLine],
    filename: str,
    held_vouchers: Callable[[], list[Voucher]],
    *,
    endpoint: str,
    args: dict[str, int],
) -> str | Response:
    """A ledger (of a startup's or a facility's vouchers) as a page, or as the file the request
    asks for; ``held_vouchers``, read only for the page, are listed with their balances."""
    exported = requested_file(
        filename, lambda: vouchers.ledger_csv(lines), lambda: vouchers.ledger_xlsx(lines)
    )
    if exported is not None:
        return exported
    return render_template(
        "facilities/ledger.html",
        title=_("Voucher ledger of %(name)s", name=owner),
        lines=lines,
        vouchers=held_vouchers(),
        endpoint=endpoint,
        args=args,
    )
