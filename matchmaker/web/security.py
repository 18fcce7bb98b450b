"""Browser security headers on every response, and cookies that only travel over HTTPS.

The Content-Security-Policy allows scripts and styles from our own origin only: no inline
``<script>``, no ``onclick=`` and no ``style=`` attribute in templates (behaviour lives in
``static/js/`` and reads its parameters from ``data-`` attributes; looks live in ``app.css``).
So a payload that slips past escaping still cannot run. Images may also be ``data:`` URIs
because Bootstrap's stylesheet draws its select arrows and close buttons with them.

Registered explicitly in ``create_app``; a view that needs a different value for one header sets
it itself (headers are only added when missing).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Django's default: full URLs (which carry ids and invitation tokens) stay on this site;
    # same-origin requests keep theirs, which Flask-WTF's HTTPS referrer check needs.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# One year, the minimum the HSTS preload list accepts; sent only over HTTPS (browsers ignore it
# on plain HTTP, and a development server on http://localhost must never be pinned to HTTPS).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def is_production(app: Flask) -> bool:
    return not (app.debug or app.testing)


def served_over_https(app: Flask) -> bool:
    """This request came over TLS, or the deployment says every URL is https (TLS ends at a
    proxy that does not tell us, so ``request.is_secure`` is False there)."""
    return request.is_secure or app.config.get("PREFERRED_URL_SCHEME") == "https"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask reads SESSION_COOKIE_SECURE once for all requests; a development server reached over
    both http:// and https:// should still mark the cookie Secure on its HTTPS responses."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app)) or request.is_secure


def register(app: Flask) -> None:
    """Add the headers to every response (errors and static files too) and secure the cookies."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if is_production(app):
        # A production server is reached over HTTPS (directly or through a proxy): a session
        # cookie sent over plain HTTP could be read on the network and replayed.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.session_interface = HttpsAwareSessionInterface()

    @app.after_request
    def _add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if served_over_https(app):
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response
