"""The web layer: thin blueprints that parse a request, call one service and render."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, send_from_directory

from matchmaker.extensions import db, login_manager


def register(app: Flask) -> None:
    """Wire the web layer into ``app``: sign-in, every area's blueprints, errors, helpers."""
    from matchmaker.services.accounts.users import load_user_for_session
    from matchmaker.web import errors, i18n, transactions
    from matchmaker.web.forms import IdConverter, refuse_control_characters
    from matchmaker.web.navigation import register_template_globals

    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    from matchmaker.i18n import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")

    @login_manager.user_loader
    def _load_user(cookie_id: str):
        return load_user_for_session(db.session, cookie_id)

    i18n.init_app(app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    errors.register(app)
    transactions.register(app)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for /favicon.ico on every page whatever the <link> says; a 404 each time.
        return send_from_directory(
            app.static_folder or "static", "favicon.ico", mimetype="image/vnd.microsoft.icon",
            max_age=7 * 24 * 3600,
        )  # fmt: skip

    app.before_request(refuse_control_characters)
    register_template_globals(app)


def _blueprints() -> tuple[Blueprint, ...]:
    """Every area's blueprints, in one list to read (imported here, when the app is built)."""
    from matchmaker import api
    from matchmaker.web import main
    from matchmaker.web.accounts import auth, directory, notifications, profiles

    # The managers' and the voucher pages add their routes to the facilities blueprint.
    from matchmaker.web.facilities import manage, resource_map, vouchers  # noqa: F401
    from matchmaker.web.facilities import views as facilities
    from matchmaker.web.funding import views as funding
    from matchmaker.web.mentoring import views as mentoring
    from matchmaker.web.operator import (
        admin,
        api_tokens,
        disclosure,
        outbox,
        pathway,
        policy_center,
        policy_eligibility,
        subsidies,
    )
    from matchmaker.web.operator import views as operator
    from matchmaker.web.recommendations import views as recommendations

    return (
        auth.bp,
        main.bp,
        profiles.bp,
        directory.bp,
        notifications.bp,
        admin.bp,
        recommendations.bp,
        mentoring.bp,
        funding.bp,
        facilities.bp,
        operator.bp,
        policy_center.policies_bp,
        disclosure.disclosure_bp,
        pathway.pathway_bp,
        outbox.bp,
        policy_eligibility.bp,
        subsidies.bp,
        resource_map.bp,
        api_tokens.bp,
        api.bp,
    )

