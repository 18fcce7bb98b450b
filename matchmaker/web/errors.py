"""Error pages and JSON errors in the user's language; the session is rolled back on 500.

Also where SQLite's "database is locked" is kept from users: requests that may write take the
write lock at the start of each transaction (``web.transactions``), so they wait for it rather
than fail; one that still waits past the busy timeout is a translated 503 asking to try again,
never a 500.
"""

from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from matchmaker.database import is_database_locked
from matchmaker.extensions import db, login_manager
from matchmaker.i18n import gettext as _
from matchmaker.services.errors import ServiceError
from matchmaker.web.redirects import safe_next


def _wants_json() -> bool:
    """API calls (``/api/`` anywhere in the path, e.g. ``/funding/api/...``) and requests whose
    Accept header prefers JSON to HTML; ``*/*`` (a browser, curl) gets HTML."""
    if "/api/" in request.path:
        return True
    preferred = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return preferred == "application/json"


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Sign in"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("The upload is too large"),
        422: _("The input could not be accepted"),
        429: _("Too many attempts; please wait a moment"),
        500: _("Something went wrong on our side"),
        503: _("The site is busy right now; please try again in a moment"),
    }


def _render(status: int, message: str | None = None):
    title = _titles().get(status, _("Error"))
    if _wants_json():
        return jsonify(error=title, message=message or title), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _unauthorized() -> ResponseReturnValue:
    """An anonymous request for a page that needs a signed-in user (Flask-Login's handler).

    A script gets 401 and a JSON error it can act on (a 302 to an HTML sign-in page is
    useless to it); a browser is sent to sign in and brought back to a GET page afterwards.
    """
    message = str(login_manager.login_message or _("Please sign in to see this page."))
    if _wants_json():
        return _render(401, message)
    flash(message, login_manager.login_message_category)
    back = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None
    return redirect(url_for("auth.login", next=back) if back else url_for("auth.login"))


def register(app: Flask) -> None:
    login_manager.unauthorized_handler(_unauthorized)

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

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError):
        if not is_database_locked(exc):
            raise exc  # a real fault: Flask logs it and answers with the 500 page
        db.session.rollback()
        app.logger.warning(
            "database is locked past the busy timeout: %s %s", request.method, request.path
        )
        response, status = _render(503)
        return response, status, {"Retry-After": "2"}

    @app.errorhandler(500)
    def _server_error(exc: Exception):
        db.session.rollback()
        return _render(500)
