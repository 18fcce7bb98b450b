"""The open data API (/api/v1, issue 17): versioned JSON for the city's monitoring platform,
alliances and BI tools. ``bp`` is registered explicitly by ``matchmaker.web.register``."""

from __future__ import annotations

from matchmaker.api.views import bp

__all__ = ["bp"]
