"""The operator console (/operator: operators only): pathways, monitoring, reports, policies,
support records, import and export. The public policy center, the disclosure page and the
pathway are blueprints of their own (policy_center, disclosure and pathway modules)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import ngettext
from matchmaker.models.operator import Policy
from matchmaker.services import exports
from matchmaker.services.errors import ServiceError
from matchmaker.services.operator import console as console_reads
from matchmaker.services.operator import disclosure
from matchmaker.services.operator.evaluation import generated_reports, scores
from matchmaker.services.operator.imports import bulk_import, import_columns, import_files
from matchmaker.services.operator.monitoring import dashboard
from matchmaker.services.operator.policy_center import policies, support_checks
from matchmaker.services.operator.policy_center.seed_policies import seed_policies
from matchmaker.services.recommendations import pathway
from matchmaker.services.recommendations.engine_settings import EngineSettings
from matchmaker.services.recommendations.engines import engine_status
from matchmaker.web.access import operators_only
from matchmaker.web.forms import id_arg, int_arg, show_refusal
from matchmaker.web.i18n import current_locale
from matchmaker.web.operator.downloads import XLSX, download
from matchmaker.web.operator.forms import (
    ActionForm,
    ConfirmImportForm,
    ImportForm,
    PolicyForm,
    SupportForm,
)
from matchmaker.web.operator.pathway import stuck_days as _stuck_days
from matchmaker.web.panels import DashboardPanel, NavItem
from matchmaker.web.recommendations.caller import engine_caller

bp = Blueprint("operator", __name__, url_prefix="/operator")
bp.before_request(operators_only)

Page = str | WerkzeugResponse | tuple[str, int]


# --- console home, pathways, monitoring, performance, reports ------------------------------


@bp.get("/", endpoint="index")
def console() -> str:
    rows = pathway.overview(db.session, stuck_days=_stuck_days(), locale=current_locale())
    return render_template(
        "operator/index.html",
        startups=len(rows),
        stuck=sum(1 for r in rows if r.stuck_reasons),
        policies=len(policies.published_policies(db.session)),
        engine=engine_status(db.session, caller=engine_caller()),
    )


@bp.get("/pathways")
def pathways() -> str:
    stuck_only = request.args.get("stuck") == "1"
    rows = pathway.overview(
        db.session, stuck_only=stuck_only, stuck_days=_stuck_days(), locale=current_locale()
    )
    return render_template(
        "operator/pathways.html",
        rows=rows,
        chain=pathway.CHAIN,
        stuck_only=stuck_only,
        stuck_days=_stuck_days(),
    )


def _period() -> dashboard.Period:
    """The period the query string asks for; a bad one is said and the default shown instead."""
    try:
        return dashboard.Period.parse(request.args.get("start"), request.args.get("end"))
    except ServiceError as exc:
        flash(str(exc.message), "danger")
        return dashboard.Period.parse(None, None)


@bp.get("/monitoring")
def monitoring_page() -> str:
    period = _period()
    metrics = dashboard.collect(db.session, period, current_locale())
    return render_template("operator/monitoring.html", period=period, metrics=metrics)


@bp.get("/performance")
def performance() -> str:
    period = _period()
    return render_template(
        "operator/performance.html",
        period=period,
        groups=[
            (_("Mentors"), scores.MENTOR_FORMULA, scores.mentor_scores(db.session, period)),
            (_("Investors"), scores.INVESTOR_FORMULA, scores.investor_scores(db.session, period)),
            (_("Facilities"), scores.FACILITY_FORMULA, scores.facility_scores(db.session, period)),
        ],
    )


def _report_key() -> generated_reports.ReportKey:
    """The report the query string names (``?year=&facility_id=``), in the page's language."""
    year = int_arg("year", 1900, 9999) or date.today().year
    return generated_reports.ReportKey.of(year, id_arg("facility_id"), current_locale())


def _report_url(key: generated_reports.ReportKey) -> str:
    return url_for("operator.reports", year=key.year, facility_id=key.facility_id)


@bp.get("/reports")
def reports() -> str:
    page = generated_reports.report_page(db.session, _report_key())
    return render_template("operator/report.html", page=page, form=ActionForm())


@bp.post("/reports")
def request_report() -> WerkzeugResponse:
    """Generate the report (the first time or again) on the job queue; the page waits for it."""
    key = _report_key()
    if ActionForm().validate_on_submit():
        if generated_reports.request_report(db.session, current_user, key):
            flash(_("The report is being generated; this page shows it when it is ready."), "info")
        else:
            flash(_("This report is already being generated."), "info")
    return redirect(_report_url(key))


@bp.get("/reports/<int:year>.xlsx")
def report_xlsx(year: int) -> WerkzeugResponse:
    key = generated_reports.ReportKey.of(year, id_arg("facility_id"), current_locale())
    workbook = generated_reports.report_workbook(db.session, key)
    if workbook is None:
        flash(_("This report has not been generated yet: generate it first."), "warning")
        return redirect(_report_url(key))
    suffix = f"-facility-{key.facility_id}" if key.facility_id else ""
    return download(workbook, f"evaluation-{year}{suffix}.xlsx", XLSX)


# --- policies (operators) ------------------------------------------------------------------


def _policy_link(policy_id: int) -> str:
    """Where a notification of the policy's first publication points: its public page."""
    return url_for("policies.detail", policy_id=policy_id)


@bp.get("/policies")
def policy_list() -> str:
    return render_template(
        "operator/policies.html", policies=policies.all_policies(db.session), form=ActionForm()
    )


def _save_policy(form: PolicyForm, policy_id: int | None = None) -> Policy | None:
    """Save the policy form (a new policy, or ``policy_id``'s); None when the service refused
    (the refusal is shown on the form)."""
    try:
        policy = policies.save_policy(
            db.session,
            current_user,
            form.values(),
            policy_id=policy_id,
            publish=bool(form.publish.data),
            policy_link=_policy_link,
        )
    except ServiceError as exc:
        show_refusal(form, exc)
        return None
    flash(_("The policy is saved."), "success")
    return policy


@bp.route("/policies/new", methods=["GET", "POST"])
def new_policy() -> Page:
    form = PolicyForm()
    if form.validate_on_submit() and (policy := _save_policy(form)) is not None:
        return redirect(url_for("policies.detail", policy_id=policy.id))
    return render_template("operator/policy_form.html", form=form, policy=None)


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
def edit_policy(policy_id: int) -> Page:
    policy = policies.get_policy(db.session, policy_id)
    form = PolicyForm(obj=policy)
    if request.method == "GET":
        form.locations.data = ", ".join(policy.locations)
        form.publish.data = policy.is_published
    if form.validate_on_submit() and _save_policy(form, policy_id) is not None:
        return redirect(url_for("operator.policy_list"))
    return render_template("operator/policy_form.html", form=form, policy=policy)


@bp.post("/policies/<int:policy_id>/publish")
def publish_policy(policy_id: int) -> WerkzeugResponse:
    if ActionForm().validate_on_submit():
        publish = request.form.get("publish") == "1"
        policies.set_published(
            db.session, current_user, policy_id, publish, policy_link=_policy_link
        )
        flash(_("Published.") if publish else _("Withdrawn from the policy center."), "success")
    return redirect(url_for("operator.policy_list"))


@bp.post("/policies/seed")
def seed() -> WerkzeugResponse:
    if ActionForm().validate_on_submit():
        count = seed_policies(db.session)
        flash(
            ngettext(
                "%(num)d support measure from the seed documents is published.",
                "%(num)d support measures from the seed documents are published.",
                count,
            ),
            "success",
        )
    return redirect(url_for("operator.policy_list"))


@bp.post("/residency/<int:startup_id>")
def residency(startup_id: int) -> WerkzeugResponse:
    if ActionForm().validate_on_submit():
        resident = request.form.get("resident") == "1"
        policies.set_residency(db.session, current_user, startup_id, resident)
        flash(_("Residency updated."), "success")
    return redirect(url_for("pathway.show", startup_id=startup_id))


# --- support records and duplicate check ---------------------------------------------------


@bp.route("/support/new", methods=["GET", "POST"])
def new_support() -> Page:
    startups = console_reads.active_startups(db.session)
    form = SupportForm(startups, policies.all_policies(db.session))
    if request.method == "GET" and id_arg("startup_id"):
        form.startup_id.data = id_arg("startup_id")
    warnings: list[support_checks.SupportWarning] = []
    if form.validate_on_submit():
        try:
            support_checks.record_checked_support(
                db.session,
                current_user,
                disclosure.SupportGrant(
                    startup_id=form.startup_id.data,
                    kind=form.kind.data or "",
                    granted_on=form.granted_on.data,
                    amount=form.amount.data,
                    policy_id=form.policy_id.data or None,
                    description=form.description.data or "",
                    note=form.note.data or "",
                ),
                override_reason=form.override_reason.data or "",
                locale=current_locale(),
            )
        except support_checks.SupportNeedsReason as exc:
            warnings = exc.warnings
            show_refusal(form, exc)
        except ServiceError as exc:
            show_refusal(form, exc)
        else:
            flash(_("The support is recorded and disclosed."), "success")
            return redirect(url_for("disclosure.index"))
    status = 422 if warnings else 200
    return (
        render_template("operator/support_form.html", form=form, warnings=warnings),
        status,
    )


@bp.get("/duplicates")
def duplicates() -> str:
    items = disclosure.disclosed_support(db.session, locale=current_locale())
    method = "tfidf" if request.args.get("method") == "tfidf" else "embedding"
    return render_template(
        "operator/duplicates.html",
        repeated=disclosure.repeated_support(items),
        near=disclosure.near_duplicate_startups(
            db.session,
            method=method,
            embedding_model=EngineSettings.from_app(current_app).embedding_model,
        ),
    )


# --- import and export ---------------------------------------------------------------------


def _upload_dir() -> str:
    return str(current_app.config["UPLOAD_DIR"])


@bp.route("/import", methods=["GET", "POST"])
def import_page() -> Page:
    form = ImportForm()
    result = None
    confirm = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = upload.filename or "upload"
        try:
            result = bulk_import.preview(db.session, form.kind.data or "", data, filename)
        except ServiceError as exc:
            show_refusal(form, exc)
        else:
            if result.valid:
                token = import_files.store_upload(_upload_dir(), data, filename)
                confirm = ConfirmImportForm(
                    formdata=None, kind=result.kind, token=token, filename=filename
                )
    return render_template(
        "operator/import.html",
        form=form,
        result=result,
        confirm=confirm,
        kinds=import_columns.IMPORT_KINDS,
    )


@bp.post("/import/confirm")
def confirm_import() -> Page:
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data or ""
    try:
        data = import_files.load_upload(_upload_dir(), token)
        done = bulk_import.run_import(
            db.session,
            current_user,
            form.kind.data or "",
            data,
            form.filename.data or "",
            import_again=bool(form.import_again.data),
        )
    except ServiceError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("operator.import_page"))
    import_files.discard_upload(_upload_dir(), token)
    flash(ngettext("%(num)d row imported.", "%(num)d rows imported.", done.count), "success")
    return redirect(url_for("operator.import_page"))


@bp.get("/import/template/<kind>.<fmt>")
def import_template(kind: str, fmt: str) -> Response:
    if kind not in import_columns.IMPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    header, *rows = import_columns.template_rows(kind, current_locale())
    if fmt == "csv":
        return download(exports.to_csv(header, rows), f"{kind}-template.csv", "text/csv")
    return download(exports.to_xlsx([(kind, header, rows)]), f"{kind}-template.xlsx", XLSX)


@bp.get("/export/<kind>.<fmt>")
def export(kind: str, fmt: str) -> Response:
    if kind not in exports.EXPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = exports.table(db.session, kind, current_locale())
    if fmt == "csv":
        return download(exports.to_csv(header, rows), f"{kind}s.csv", "text/csv")
    return download(exports.to_xlsx([(kind, header, rows)]), f"{kind}s.xlsx", XLSX)


# --- navigation, panels and sections ------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    items = [NavItem(url_for("policies.index"), _("Policies"))]
    if getattr(user, "is_authenticated", False):
        if user.is_operator:
            items.append(NavItem(url_for("operator.index"), _("Operator console")))
        elif user.has_role("founder"):
            items.append(NavItem(url_for("pathway.mine"), _("My pathway")))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if getattr(user, "is_authenticated", False) and user.is_operator:
        rows = pathway.overview(db.session, stuck_only=True, stuck_days=_stuck_days())
        return [DashboardPanel("operator/_panel.html", {"stuck": rows[:5], "count": len(rows)}, 40)]
    return []


def startup_section(startup: Any, user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (user.is_operator or startup.has_member(user)):
        return []
    return [
        DashboardPanel(
            "operator/_startup_section.html",
            {"startup": startup, "step": pathway.CHAIN[pathway.position(startup)]},
            20,
        )
    ]
