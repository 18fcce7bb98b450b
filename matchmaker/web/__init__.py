"""The web layer: thin blueprints that parse a request, call one service and render."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from matchmaker.extensions import db, login_manager

# Each area's blueprint module exposes ``bp``; later areas append themselves here.
BLUEPRINT_MODULES = (
    "matchmaker.web.auth",
    "matchmaker.web.main",
    "matchmaker.web.profiles",
    "matchmaker.web.directory",
    "matchmaker.web.notifications",
    "matchmaker.web.admin",
)
OPTIONAL_BLUEPRINT_MODULES = (
    "matchmaker.web.recommendations",
    "matchmaker.web.mentoring",
    "matchmaker.web.funding",
    "matchmaker.web.facilities",
    "matchmaker.web.operator",
)


def register(app: Flask) -> None:
    from matchmaker.services.accounts import load_user_for_session
    from matchmaker.web import errors
    from matchmaker.web.forms import IdConverter, refuse_control_characters
    from matchmaker.web.i18n import register_template_helpers
    from matchmaker.web.navigation import register_template_globals

    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    from matchmaker.i18n import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")

    @login_manager.user_loader
    def _load_user(cookie_id: str):
        return load_user_for_session(db.session, cookie_id)

    app.url_map.converters["int"] = IdConverter  # before any route is added
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(name).bp)
    for name in OPTIONAL_BLUEPRINT_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)
    errors.register(app)
    app.before_request(refuse_control_characters)
    register_template_helpers(app)
    register_template_globals(app)
