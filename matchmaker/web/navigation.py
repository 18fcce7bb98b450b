"""Extension points for areas: navigation links and dashboard panels.

An area registers a provider at import; providers receive the signed-in user (or the anonymous
user) and return what that user should see. The foundation knows no area by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str


@dataclass(frozen=True)
class DashboardPanel:
    template: str  # a template under templates/, rendered with ``context``
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


NavProvider = Callable[[Any], list[NavItem]]
PanelProvider = Callable[[Any], list[DashboardPanel]]

SectionProvider = Callable[[Any, Any], list[DashboardPanel]]

NAV_PROVIDERS: list[NavProvider] = []
PANEL_PROVIDERS: list[PanelProvider] = []
SECTION_PROVIDERS: dict[str, list[SectionProvider]] = {}


def register_nav(provider: NavProvider) -> NavProvider:
    if provider not in NAV_PROVIDERS:
        NAV_PROVIDERS.append(provider)
    return provider


def register_panels(provider: PanelProvider) -> PanelProvider:
    if provider not in PANEL_PROVIDERS:
        PANEL_PROVIDERS.append(provider)
    return provider


def register_section(page: str, provider: SectionProvider) -> SectionProvider:
    """Add a section to a detail page (``"startup"``, ``"mentor"``, ``"investor"``,
    ``"facility"``, ``"equipment"``): ``provider(entity, user)`` returns the panels to show."""
    providers = SECTION_PROVIDERS.setdefault(page, [])
    if provider not in providers:
        providers.append(provider)
    return provider


def detail_sections(page: str, entity: Any, user: Any) -> list[DashboardPanel]:
    panels = [p for provider in SECTION_PROVIDERS.get(page, []) for p in provider(entity, user)]
    return sorted(panels, key=lambda p: p.order)


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    panels = [panel for provider in PANEL_PROVIDERS for panel in provider(user)]
    return sorted(panels, key=lambda p: p.order)


def register_template_globals(app: Flask) -> None:
    def area_nav_items() -> list[NavItem]:
        return [item for provider in NAV_PROVIDERS for item in provider(current_user)]

    def url_endpoints() -> set[str]:
        return set(app.view_functions)

    app.jinja_env.globals.update(area_nav_items=area_nav_items, url_endpoints=url_endpoints)
