"""Funding pages: the blueprint with all its pages, and what funding adds to other pages (menu
items, the dashboard panel, the sections on a fund's and a startup's page).

The pages live by side, each adding its routes to ``bp`` (``blueprint``): ``ask_pages`` (the
founder's asks and pitches), ``deal_pages`` (a fund's deal flow, deals and the conversation on a
pitch) and ``introduction_pages``. Thin views: parse, call one service, render or redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import url_for

from matchmaker.extensions import db
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.funding import introductions, overview

# The page modules add their routes to ``bp`` when imported: importing them here means the app
# factory, which registers ``views.bp``, gets every funding page.
from matchmaker.web.funding import ask_pages, deal_pages, introduction_pages  # noqa: F401
from matchmaker.web.funding.blueprint import bp
from matchmaker.web.panels import DashboardPanel, NavItem

if TYPE_CHECKING:
    from matchmaker.models import Investor, Startup

__all__ = ["bp", "dashboard_panels", "investor_section", "nav_items", "startup_section"]


# --- navigation, dashboard, detail pages -----------------------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.has_role("founder"):
        items.append(NavItem(url_for("funding.index"), str(_l("Funding"))))
    if user.has_role("investor"):
        items.append(NavItem(url_for("funding.deal_flow"), str(_l("Deal flow"))))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (user.has_role("founder") or user.has_role("investor")):
        return []
    return [DashboardPanel("funding/_panel.html", overview.dashboard_counts(db.session, user), 40)]


def investor_section(investor: Investor, user: Any) -> list[DashboardPanel]:
    """On a fund's page: a founder with an open ask may pitch it or ask for an introduction."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("founder"):
        return []
    asks = overview.open_asks_for_member(db.session, user)
    if not asks:
        return []
    return [DashboardPanel("funding/_investor_section.html", {"investor": investor, "asks": asks})]


def startup_section(startup: Startup, user: Any) -> list[DashboardPanel]:
    """On a startup's page: a fund member may ask for an introduction."""
    if not getattr(user, "is_authenticated", False):
        return []
    investors, existing = introductions.funds_facing(db.session, user, startup.id)
    if not investors:
        return []
    return [
        DashboardPanel(
            "funding/_startup_section.html",
            {"startup": startup, "investors": investors, "existing": existing},
        )
    ]
