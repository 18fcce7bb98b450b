"""Public directories (no sign-in needed): search, filters, pages and detail pages.

Detail pages render the sections other areas add, listed in ``web.navigation.SECTIONS``
(e.g. "request a session", "similar startups").
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.services.accounts import directory as service
from matchmaker.web.forms import id_arg, int_arg
from matchmaker.web.navigation import detail_sections

bp = Blueprint("directory", __name__)


def _code(name: str, vocabulary: vocab.Labels) -> str:
    value = request.args.get(name, "").strip()
    return value if value in vocabulary else ""


def _filters() -> service.Filters:
    args = request.args
    max_price: Decimal | None = None
    try:
        raw = args.get("max_price", "").strip()
        max_price = Decimal(raw) if raw else None
        if max_price is not None and (not max_price.is_finite() or max_price < 0):
            max_price = None
    except InvalidOperation:
        max_price = None
    return service.Filters(
        q=args.get("q", "").strip()[:100],
        sector=_code("sector", vocab.SECTORS),
        location=args.get("location", "").strip()[:60],
        voucher_eligible=args.get("voucher") == "1",
        max_price=max_price,
        facility_id=id_arg("facility"),
    )


def _page_number() -> int:
    return int_arg("page", 1, 99999) or 1


def _list(search: Any, template: str, filters: service.Filters, **extra: Any) -> str:
    page = search(
        db.session,
        filters,
        page=_page_number(),
        page_size=int(current_app.config["PAGE_SIZE"]),
        viewer=current_user,
    )
    return render_template(template, page=page, filters=filters, **extra)


def _detail(template: str, page_name: str, entity: Any, **extra: Any) -> str:
    return render_template(
        template,
        entity=entity,
        sections=detail_sections(page_name, entity, current_user),
        **extra,
    )


@bp.get("/startups")
def startups() -> str:
    filters = _filters()
    filters.stage = _code("stage", vocab.STAGES)
    return _list(service.search_startups, "directory/startups.html", filters)


@bp.get("/startups/<int:startup_id>")
def startup(startup_id: int) -> str:
    entity = service.startup_detail(db.session, startup_id, current_user)
    return _detail("directory/startup.html", "startup", entity)


@bp.get("/mentors")
def mentors() -> str:
    filters = _filters()
    filters.kind = _code("kind", vocab.MENTOR_KINDS)
    return _list(service.search_mentors, "directory/mentors.html", filters)


@bp.get("/mentors/<int:mentor_id>")
def mentor(mentor_id: int) -> str:
    entity = service.mentor_detail(db.session, mentor_id, current_user)
    return _detail("directory/mentor.html", "mentor", entity)


@bp.get("/investors")
def investors() -> str:
    filters = _filters()
    filters.type = _code("type", vocab.INVESTOR_TYPES)
    filters.stage = _code("stage", vocab.ROUNDS)
    return _list(service.search_investors, "directory/investors.html", filters)


@bp.get("/investors/<int:investor_id>")
def investor(investor_id: int) -> str:
    entity = service.investor_detail(db.session, investor_id, current_user)
    return _detail("directory/investor.html", "investor", entity)


@bp.get("/facilities")
def facilities() -> str:
    filters = _filters()
    filters.kind = _code("kind", vocab.FACILITY_KINDS)
    return _list(service.search_facilities, "directory/facilities.html", filters)


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int) -> str:
    entity = service.facility_detail(db.session, facility_id, current_user)
    return _detail("directory/facility.html", "facility", entity)


@bp.get("/equipment")
def equipment() -> str:
    filters = _filters()
    filters.category = _code("category", vocab.EQUIPMENT_CATEGORIES)
    return _list(
        service.search_equipment,
        "directory/equipment.html",
        filters,
        facility_options=service.facility_choices(db.session),
    )


@bp.get("/equipment/<int:equipment_id>")
def equipment_detail(equipment_id: int) -> str:
    entity = service.equipment_detail(db.session, equipment_id, current_user)
    return _detail("directory/equipment_detail.html", "equipment", entity)
