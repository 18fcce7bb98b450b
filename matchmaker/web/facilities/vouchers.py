"""Innovation voucher pages: the operator issues, founders and facilities read their ledgers
(exportable to CSV and Excel). Part of the ``facilities`` blueprint."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.filenames import attachment_headers
from matchmaker.models import Facility, Startup
from matchmaker.models.bookings import Voucher
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import booking_setup, vouchers
from matchmaker.services.facilities.equipment_availability import local_today
from matchmaker.web.facilities import forms
from matchmaker.web.facilities.views import _is_manager, _my_startups, bp

# -- vouchers ---------------------------------------------------------------------------------


def _ledger_response(lines: list[vouchers.LedgerLine], name: str) -> Response | None:
    fmt = request.args.get("format")
    if fmt == "csv":
        return Response(
            vouchers.ledger_csv(lines),
            mimetype="text/csv",
            headers=attachment_headers(f"{name}.csv"),
        )
    if fmt == "xlsx":
        return Response(
            vouchers.ledger_xlsx(lines),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=attachment_headers(f"{name}.xlsx"),
        )
    return None


@bp.get("/vouchers")
@login_required
def voucher_list() -> str:
    if current_user.is_operator:
        rows = db.session.scalars(
            sa.select(Voucher).order_by(Voucher.created_at.desc()).limit(500)
        ).all()
    else:
        ids = [s.id for s in _my_startups()]
        rows = db.session.scalars(
            sa.select(Voucher).where(Voucher.startup_id.in_(ids)).order_by(Voucher.id)
        ).all()
    startups = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Startup).where(Startup.id.in_({v.startup_id for v in rows}))
        )
    }
    return render_template(
        "facilities/vouchers.html",
        vouchers=rows,
        startups=startups,
        my_startups=_my_startups(),
        managed=booking_setup.managed_facilities(db.session, current_user)
        if _is_manager()
        else [],
    )


@bp.route("/vouchers/issue", methods=["GET", "POST"])
@login_required
def issue_voucher() -> str | WerkzeugResponse:
    if not current_user.is_operator:
        abort(403)
    form = forms.VoucherForm()
    form.startup_id.choices = [
        (s.id, s.name)
        for s in db.session.scalars(
            sa.select(Startup).where(Startup.is_active.is_(True)).order_by(Startup.name)
        )
    ]
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
    startup = db.session.get(Startup, startup_id)
    if startup is None:
        abort(404)
    if not (current_user.is_operator or startup.has_member(current_user)):
        abort(404)
    lines = vouchers.startup_ledger(db.session, startup_id)
    exported = _ledger_response(lines, f"vouchers-startup-{startup_id}")
    if exported is not None:
        return exported
    return render_template(
        "facilities/ledger.html",
        title=_("Voucher ledger of %(name)s", name=startup.name),
        lines=lines,
        vouchers=vouchers.startup_vouchers(db.session, startup_id),
        endpoint=".startup_ledger",
        args={"startup_id": startup_id},
    )


@bp.get("/vouchers/facility/<int:facility_id>")
@login_required
def facility_ledger(facility_id: int) -> str | Response:
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        abort(404)
    if not (current_user.is_operator or facility.has_manager(current_user)):
        abort(404)
    lines = vouchers.facility_ledger(db.session, facility_id)
    exported = _ledger_response(lines, f"vouchers-facility-{facility_id}")
    if exported is not None:
        return exported
    return render_template(
        "facilities/ledger.html",
        title=_("Voucher ledger of %(name)s", name=facility.name),
        lines=lines,
        vouchers=[],
        endpoint=".facility_ledger",
        args={"facility_id": facility_id},
    )
