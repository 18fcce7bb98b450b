"""The public disclosure page (/disclosure, 公示): support granted to startups, as a page or CSV."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services import exports
from matchmaker.services.operator import disclosure
from matchmaker.web.forms import int_arg
from matchmaker.web.i18n import current_locale
from matchmaker.web.operator.downloads import download

disclosure_bp = Blueprint("disclosure", __name__, url_prefix="/disclosure")


@disclosure_bp.get("/", endpoint="index")
def disclosure_index() -> str | Response:
    year = int_arg("year", 1900, 9999)
    kind = request.args.get("kind") or None
    query = request.args.get("q", "")
    items = disclosure.disclosed_support(
        db.session, locale=current_locale(), year=year, kind=kind, query=query
    )
    if request.args.get("format") == "csv":
        header = [
            _("Date"),
            _("Startup"),
            _("Kind of support"),
            _("What"),
            _("Amount"),
            _("Currency"),
        ]
        return download(
            exports.to_csv(header, disclosure.export_rows(items, current_locale())),
            "disclosure.csv",
            "text/csv",
        )
    return render_template(
        "disclosure/index.html",
        items=items,
        summary=disclosure.summarise(items),
        kinds=disclosure.SUPPORT_KIND_LABELS,
        year=year,
        kind=kind,
        q=query,
    )


@disclosure_bp.app_template_global("support_kind_label")
def support_kind_label(kind: str) -> str:
    return vocab.label(disclosure.SUPPORT_KIND_LABELS, kind, current_locale())
