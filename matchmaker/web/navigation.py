"""What each area adds to the pages it does not own, listed here by name.

The menu, the dashboard and the detail pages (a startup, a mentor, an investor, a facility, an
instrument) show links and panels from several areas. Each area's views define plain functions
that receive the signed-in (or anonymous) user and return what that user should see; the tables
below say which functions are asked, in which order. To add a link, a panel or a section, write
the function next to the area's views and name it here.
"""

from __future__ import annotations

from collections.abc import Callable, KeysView, Mapping
from typing import Any

from flask import Flask
from flask_login import current_user

from matchmaker.web.facilities import resource_map
from matchmaker.web.facilities import views as facilities
from matchmaker.web.funding import views as funding
from matchmaker.web.mentoring import views as mentoring
from matchmaker.web.operator import views as operator
from matchmaker.web.panels import DashboardPanel, NavItem
from matchmaker.web.recommendations import views as recommendations

NavProvider = Callable[[Any], list[NavItem]]
PanelProvider = Callable[[Any], list[DashboardPanel]]
SectionProvider = Callable[[Any, Any], list[DashboardPanel]]

# The menu's area links, in this order.
NAV: tuple[NavProvider, ...] = (
    facilities.nav_items,
    funding.nav_items,
    mentoring.nav_items,
    operator.nav_items,
    resource_map.nav_items,
)

# The dashboard's panels (then shown by each panel's ``order``).
PANELS: tuple[PanelProvider, ...] = (
    facilities.dashboard_panels,
    funding.dashboard_panels,
    mentoring.dashboard_panels,
    operator.dashboard_panels,
    recommendations.dashboard_panels,
)

# Each detail page's sections: ``provider(entity, user)`` (then shown by each panel's ``order``).
SECTIONS: Mapping[str, tuple[SectionProvider, ...]] = {
    "startup": (
        funding.startup_section,
        operator.startup_section,
        recommendations.startup_sections,
    ),
    "mentor": (mentoring.mentor_section,),
    "investor": (funding.investor_section,),
    "facility": (facilities.facility_section, resource_map.facility_section),
    "equipment": (facilities.equipment_section,),
}


def nav_items(user: Any) -> list[NavItem]:
    return [item for provider in NAV for item in provider(user)]


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    panels = [panel for provider in PANELS for panel in provider(user)]
    return sorted(panels, key=lambda p: p.order)


def detail_sections(page: str, entity: Any, user: Any) -> list[DashboardPanel]:
    """The sections of detail page ``page`` (a key of ``SECTIONS``) about ``entity``."""
    panels = [p for provider in SECTIONS.get(page, ()) for p in provider(entity, user)]
    return sorted(panels, key=lambda p: p.order)


def register_template_globals(app: Flask) -> None:
    """``area_nav_items()`` (the menu's area links) and ``url_endpoints()`` for the templates."""

    def area_nav_items() -> list[NavItem]:
        return nav_items(current_user)

    def url_endpoints() -> KeysView[str]:
        # A live view, not a copy: templates only ask ``in`` of it, several times a page.
        return app.view_functions.keys()

    app.jinja_env.globals.update(area_nav_items=area_nav_items, url_endpoints=url_endpoints)
