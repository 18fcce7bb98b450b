"""Mentoring pages: the blueprint with all its pages, and what mentoring adds to other pages
(menu items, the dashboard panel, the section on a mentor's page).

The pages live by group, each adding its routes to ``bp`` (``blueprint``): ``request_pages``,
``session_pages``, ``availability_pages``, ``calendar_pages``, ``office_hours_pages``. Views parse
a form, call one use case and redirect; a refusal (``Invalid``/``Conflict``) re-renders the page
with the message and the error status, while ``Forbidden``/``NotFound`` go to the global error
pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import url_for

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.mentoring import availability, queries, ratings, sessions

# The page modules add their routes to ``bp`` when imported: importing them here means the app
# factory, which registers ``views.bp``, gets every mentoring page.
from matchmaker.web.mentoring import (  # noqa: F401
    availability_pages,
    calendar_pages,
    office_hours_pages,
    request_pages,
    session_pages,
)
from matchmaker.web.mentoring.blueprint import APP_ZONE, bp
from matchmaker.web.panels import DashboardPanel, NavItem

if TYPE_CHECKING:
    from matchmaker.models import Mentor

__all__ = ["bp", "dashboard_panels", "mentor_section", "nav_items"]

# --- navigation, dashboard, mentor page ---------------------------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.has_role("founder"):
        items.append(NavItem(url_for("mentoring.my_mentoring"), str(_("My mentoring"))))
    if user.has_role("mentor"):
        items.append(NavItem(url_for("mentoring.inbox"), str(_("Mentor inbox"))))
    if user.is_operator:
        items.append(NavItem(url_for("mentoring.office_hours"), str(_("Office hours"))))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (user.has_role("founder") or user.has_role("mentor")):
        return []
    counts = queries.pending_counts(db.session, user)
    return [
        DashboardPanel(
            "mentoring/_panel.html",
            {
                "counts": counts,
                "is_mentor": user.has_role("mentor"),
                "is_founder": user.has_role("founder"),
            },
            order=30,
        )
    ]


def mentor_section(mentor: Mentor, user: Any) -> list[DashboardPanel]:
    slots = availability.free_slots(db.session, mentor)[:5]
    can_request = bool(
        getattr(user, "is_authenticated", False)
        and user.id != mentor.user_id
        and sessions.founder_startups(db.session, user)
    )
    return [
        DashboardPanel(
            "mentoring/_mentor_section.html",
            {
                "mentor": mentor,
                "slots": slots,
                "receiving": availability.receiving_requests(db.session, mentor),
                "can_request": can_request,
                "zone": APP_ZONE,
                "rating": ratings.mentor_rating(db.session, mentor.id),
            },
            order=20,
        )
    ]
