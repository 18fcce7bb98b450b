"""RFC 9457 problem details for every refusal of the API, in the caller's language."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import ServiceError

SUPPORTED = ("zh_CN", "en")
TITLES = {
    400: _l("Bad request"),
    401: _l("Not authenticated"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}


class InvalidQuery(Exception):
    """A query that its model refused (spectree's validation errors, kept for ``errors``)."""

    def __init__(self, errors: Any) -> None:
        super().__init__("invalid query")
        self.errors = errors


def api_locale() -> str:
    """The caller's language from Accept-Language only (an API call carries no session)."""
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best in ("zh_CN", "zh"):
        return "zh_CN"
    return best or "zh_CN"


def problem(status: int, detail: Any, errors: list[dict[str, str]] | None = None) -> Response:
    locale = api_locale()
    with force_locale(locale):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": str(TITLES.get(status, TITLES[400])),
            "status": status,
            "detail": str(detail),
            "instance": request.path,
        }
    if errors is not None:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json"
    )
    response.headers["Content-Language"] = locale.replace("_", "-")
    return response


def _field_errors(raw: Any) -> list[dict[str, str]]:
    """One entry per refused parameter; the message in the caller's language (pydantic's own
    messages are English only)."""
    out = []
    with force_locale(api_locale()):
        message = str(_l("This value is not valid."))
    for e in raw if isinstance(raw, list) else []:
        if isinstance(e, dict):
            out.append({"field": ".".join(str(p) for p in e.get("loc", ())), "message": message})
    return out


def from_exception(exc: Exception) -> Response:
    if isinstance(exc, InvalidQuery):
        return problem(422, _l("Some query parameters are not valid."), _field_errors(exc.errors))
    if isinstance(exc, ServiceError):
        errors = [{"field": exc.field, "message": ""}] if exc.field else None
        if errors:
            with force_locale(api_locale()):
                errors[0]["message"] = str(exc.message)
        return problem(exc.status, exc.message, errors)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return problem(status, TITLES.get(status, _l("Bad request")))
    current_app.logger.exception("API request failed: %s", request.path)
    return problem(500, _l("Something went wrong on our side; please try again later."))
