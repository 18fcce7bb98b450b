"""Error pages and JSON errors in the user's language; the session is rolled back on 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from matchmaker.extensions import db
from matchmaker.services.errors import ServiceError


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("The upload is too large"),
        422: _("The input could not be accepted"),
        429: _("Too many attempts; please wait a moment"),
        500: _("Something went wrong on our side"),
    }


def _render(status: int, message: str | None = None):
    title = _titles().get(status, _("Error"))
    if _wants_json():
        return jsonify(error=title, message=message or title), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, CSRFError):
            return _render(400, _("This form has expired. Please reload the page and try again."))
        return _render(exc.code, exc.description if exc.code in (400, 409, 422) else None)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        db.session.rollback()
        return _render(exc.status, str(exc.message))

    @app.errorhandler(500)
    def _server_error(exc: Exception):
        db.session.rollback()
        return _render(500)
