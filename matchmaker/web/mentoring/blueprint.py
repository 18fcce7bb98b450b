"""The mentoring blueprint and what its pages share: times shown in a zone, slot keys read back
from a form, a refusal shown on the form it answers, and what the use cases take from the web
(the session's link, ``session_url``, and a request's answer window, ``request_ttl``).

The pages add their routes to ``bp``: ``request_pages`` (a founder's request, their overview,
the mentor's inbox), ``session_pages`` (one session and its actions), ``availability_pages``,
``calendar_pages`` and ``office_hours_pages``; ``views`` imports them all for the app factory.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Blueprint, current_app, flash, url_for
from flask_wtf import FlaskForm

from matchmaker import timezones
from matchmaker.extensions import db
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Conflict, Invalid, ServiceError
from matchmaker.services.mentoring import availability, queries, sessions
from matchmaker.web.i18n import current_locale
from matchmaker.web.recommendations.reasons import reason_texts

bp = Blueprint("mentoring", __name__)

APP_ZONE = timezones.DEFAULT_ZONE  # the zone of the founders' and operators' pages


@bp.app_template_filter("mentoring_time")
def mentoring_time(moment: datetime | None, zone: str | None = None) -> str:
    """A naive UTC time shown in ``zone`` in the reader's language, with the zone's name."""
    if moment is None:
        return ""
    tz = timezones.zone(zone or APP_ZONE)
    local = moment.replace(tzinfo=timezones.zone("UTC"))
    text = format_datetime(local, "yyyy-MM-dd EEE HH:mm", tzinfo=tz, locale=current_locale())
    return f"{text} ({tz.key})"


@bp.app_template_filter("mentoring_clock")
def mentoring_clock(moment: datetime | None, zone: str | None = None) -> str:
    """Only the wall-clock time (HH:MM) of a naive UTC time in ``zone``."""
    if moment is None:
        return ""
    return timezones.to_local(moment, zone or APP_ZONE).strftime("%H:%M")


def slot_choices(slots: list[availability.Slot], zone: str) -> list[tuple[str, str]]:
    """Slots as a form's choices: the slot's key, and its time in ``zone``."""
    return [(s.key, mentoring_time(s.starts_at, zone)) for s in slots]


def keys_to_times(keys: list[str] | None) -> list[datetime]:
    """Posted slot keys as datetimes; a malformed key is refused with a clear message."""
    out = []
    for key in keys or []:
        moment = availability.parse_slot_key(key)
        if moment is None:
            raise Invalid(_l("The mentor does not offer that time."), field="slots")
        out.append(moment)
    return out


def key_to_time(key: str | None, field: str = "slot") -> datetime:
    """One posted slot key as a datetime; a malformed key is refused next to ``field``."""
    moment = availability.parse_slot_key(key or "")
    if moment is None:
        raise Invalid(_l("The mentor does not offer that time."), field=field)
    return moment


def attach(form: FlaskForm, exc: ServiceError) -> None:
    """Show a refusal next to its field, or above the form. (The service that refused has
    already rolled its transaction back.)"""
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), str(exc.message)]
    else:
        flash(str(exc.message), "danger")


def status_of(exc: ServiceError) -> int:
    """The status of the re-rendered form: the refusal's own (400/409...) or 422."""
    return exc.status if isinstance(exc, Invalid | Conflict) else 422


def session_url(session_id: int) -> str:
    """The session page's address, built for this request: the link its notifications carry."""
    return url_for("mentoring.session_detail", session_id=session_id)


def request_ttl() -> int:
    """How many hours a request waits for its answer, as this app is configured."""
    return sessions.request_ttl_hours(current_app.config.get("MENTORING_REQUEST_TTL_HOURS"))


def reasons_for(startup_id: int, mentor_id: int) -> list[str]:
    """The engine's reasons for this match, in the reader's words (the mentor's view)."""
    return reason_texts(queries.match_reasons(db.session, startup_id, mentor_id), "candidate")
