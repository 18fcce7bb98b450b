"""Performance-based post-subsidies and the annual reward ranking (/operator/subsidies,
operators only): the rule of a year, the computed amounts with their evidence, an Excel file
and a printable report. The figures come from ``services.operator.evaluation.subsidies``;
nothing here computes."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import StringField
from wtforms.validators import Length

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import ServiceError
from matchmaker.services.operator.evaluation import subsidies, subsidy_sheet
from matchmaker.web.access import operators_only
from matchmaker.web.forms import show_refusal
from matchmaker.web.operator.downloads import XLSX, download

bp = Blueprint("subsidies", __name__, url_prefix="/operator/subsidies")
bp.before_request(operators_only)

# Years a URL may name: outside them there can be no rule (the service refuses to save one).
YEAR_RANGE = (subsidies.MIN_YEAR, subsidies.MAX_YEAR)


class SubsidyRuleForm(FlaskForm):
    # Numbers are read as text and checked by the service, whose refusals are translated and
    # name the field (the same check for the form, imports and any future caller).
    year = StringField(_l("Year"), validators=[Length(max=10)])
    rate_per_hour = StringField(_l("CNY per hour used"), validators=[Length(max=30)])
    rate_per_voucher_yuan = StringField(
        _l("CNY per voucher yuan redeemed"), validators=[Length(max=30)]
    )
    cap_per_instrument = StringField(_l("Cap per instrument (CNY)"), validators=[Length(max=30)])
    cap_per_facility = StringField(_l("Cap per facility (CNY)"), validators=[Length(max=30)])
    min_utilisation_percent = StringField(
        _l("Minimum utilisation (%)"), validators=[Length(max=30)]
    )
    reward_count = StringField(_l("Facilities rewarded"), validators=[Length(max=30)])
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def values(self) -> dict[str, Any]:
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}

    def fill(self, rule: Any) -> None:
        self.year.data = rule.year
        for name in ("rate_per_hour", "rate_per_voucher_yuan", "cap_per_instrument",
                     "cap_per_facility", "min_utilisation_percent"):  # fmt: skip
            value = getattr(rule, name)
            getattr(self, name).data = "" if value is None else f"{value.normalize():f}"
        self.reward_count.data = str(rule.reward_count)
        self.note.data = rule.note


def _year(year: int) -> int:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        abort(404)
    return year


@bp.get("/", endpoint="index")
def index() -> str:
    form = SubsidyRuleForm()
    form.year.data = date.today().year
    form.reward_count.data = "3"
    form.min_utilisation_percent.data = "0"
    return render_template(
        "operator/subsidies.html", form=form, rules=subsidies.rules(db.session), report=None
    )


@bp.post("/")
def save() -> tuple[str, int] | WerkzeugResponse:
    form = SubsidyRuleForm()
    if form.validate_on_submit():
        try:
            rule = subsidies.save_rule(db.session, current_user, form.values())
        except ServiceError as exc:
            show_refusal(form, exc)
        else:
            flash(_("The subsidy rule of %(year)d is saved.", year=rule.year), "success")
            return redirect(url_for("subsidies.year", year=rule.year))
    return render_template(
        "operator/subsidies.html", form=form, rules=subsidies.rules(db.session), report=None
    ), 422


@bp.get("/<int:year>")
def year(year: int) -> str:
    report = subsidies.compute(db.session, _year(year))
    form = SubsidyRuleForm()
    form.fill(report.rule)
    return render_template(
        "operator/subsidies.html", form=form, rules=subsidies.rules(db.session), report=report
    )


@bp.get("/<int:year>/print")
def printable(year: int) -> str:
    report = subsidies.compute(db.session, _year(year))
    return render_template("operator/subsidies_print.html", report=report)


@bp.get("/<int:year>.xlsx")
def xlsx(year: int) -> Response:
    report = subsidies.compute(db.session, _year(year))
    return download(subsidy_sheet.report_xlsx(report), f"subsidies-{year}.xlsx", XLSX)
