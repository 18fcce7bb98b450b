"""Public directories (no sign-in needed): search, filters, pages and detail pages.

Detail pages render the sections other areas add, listed in ``web.navigation.SECTIONS``
(e.g. "request a session", "similar startups").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class _Directory:
    """One public directory's list and detail pages."""

    plural: str  # the list's path, endpoint and template (/startups, directory.startups)
    page_name: str  # the detail page's name in ``web.navigation.SECTIONS``, its id argument
    detail_endpoint: str  # and template
    search: Callable[..., service.Page[Any]]
    detail: Callable[[Session, int, Any], Any]
    codes: Mapping[str, vocab.Labels]  # filter attribute -> its vocabulary (query arg "stage"...)
    list_extra: Callable[[], dict[str, Any]] = dict

    def list_page(self) -> str:
        filters = _filters()
        for name, vocabulary in self.codes.items():
            setattr(filters, name, _code(name, vocabulary))
        page = self.search(
            db.session,
            filters,
            page=_page_number(),
            page_size=int(current_app.config["PAGE_SIZE"]),
            viewer=current_user,
        )
        return render_template(
            f"directory/{self.plural}.html", page=page, filters=filters, **self.list_extra()
        )

    def detail_page(self, **path: int) -> str:
        entity = self.detail(db.session, path[f"{self.page_name}_id"], current_user)
        return render_template(
            f"directory/{self.detail_endpoint}.html",
            entity=entity,
            sections=detail_sections(self.page_name, entity, current_user),
        )


_DIRECTORIES = (
    _Directory("startups", "startup", "startup", service.search_startups,
               service.startup_detail, {"stage": vocab.STAGES}),
    _Directory("mentors", "mentor", "mentor", service.search_mentors,
               service.mentor_detail, {"kind": vocab.MENTOR_KINDS}),
    _Directory("investors", "investor", "investor", service.search_investors,
               service.investor_detail, {"type": vocab.INVESTOR_TYPES, "stage": vocab.ROUNDS}),
    _Directory("facilities", "facility", "facility", service.search_facilities,
               service.facility_detail, {"kind": vocab.FACILITY_KINDS}),
    _Directory("equipment", "equipment", "equipment_detail", service.search_equipment,
               service.equipment_detail, {"category": vocab.EQUIPMENT_CATEGORIES},
               lambda: {"facility_options": service.facility_choices(db.session)}),
)  # fmt: skip
for _directory in _DIRECTORIES:
    bp.add_url_rule(
        f"/{_directory.plural}", _directory.plural, _directory.list_page, methods=["GET"]
    )
    bp.add_url_rule(
        f"/{_directory.plural}/<int:{_directory.page_name}_id>",
        _directory.detail_endpoint,
        _directory.detail_page,
        methods=["GET"],
    )
