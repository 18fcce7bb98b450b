"""What an area adds to pages it does not own: menu links, dashboard panels, detail-page sections.

Plain values, so each area's views build them without importing the others; ``web/navigation.py``
lists, by name, which area functions are asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str


@dataclass(frozen=True)
class DashboardPanel:
    template: str  # a template under templates/, rendered with ``context``
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50  # panels of a page are shown by this order, lowest first
