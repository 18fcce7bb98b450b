"""The funding blueprint and what its pages share: times in Beijing time, the engine's reason
wording, a refusal shown on the form it answers, and the settings the pages read.

The pages add their routes to ``bp``: ``ask_pages`` (a founder's asks and pitches),
``deal_pages`` (a fund's deal flow, deals and the conversation on a pitch) and
``introduction_pages``; ``views`` imports them all for the app factory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.i18n import gettext as _
from matchmaker.services.funding import pitches
from matchmaker.services.mentoring import availability
from matchmaker.timezones import DEFAULT_ZONE
from matchmaker.web.recommendations.reasons import reason_text

bp = Blueprint("funding", __name__, url_prefix="/funding")

Page = str | WerkzeugResponse | tuple[str, int]  # a form page again comes with its 4xx status

BEIJING = DEFAULT_ZONE  # pitch meetings are set in Beijing time


@bp.app_template_filter("funding_time")
def funding_time(moment: datetime | None) -> str:
    """A stored (naive UTC) time in Beijing time, as on the mentoring and facility pages."""
    if moment is None:
        return ""
    local = availability.to_local(moment, BEIJING).strftime("%Y-%m-%d %H:%M")
    return _("%(when)s (Beijing time)", when=local)


@bp.app_template_global("funding_reason")
def funding_reason(reason: Any, viewer: str = "startup") -> str | None:
    """The engine's wording of a reason (``web.recommendations.reasons``); None for the funding
    area's own codes, which ``funding/_macros.html`` words."""
    try:
        return reason_text(reason.code, dict(reason.params), viewer)
    except (KeyError, TypeError, ValueError):
        return None


def engine_on() -> bool:
    """Whether the pages rank with the engine (``FUNDING_USE_ENGINE``, on by default)."""
    return bool(current_app.config.get("FUNDING_USE_ENGINE", True))


def weekly_limit() -> int:
    """Pitches a startup may send in a rolling week (``FUNDING_PITCHES_PER_WEEK``)."""
    default = pitches.DEFAULT_PITCHES_PER_WEEK
    return int(current_app.config.get("FUNDING_PITCHES_PER_WEEK", default))
