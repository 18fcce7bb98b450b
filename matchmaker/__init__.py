"""Matchmaker: the application factory. Nothing else runs at import."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

from matchmaker.config import (
    check_secret_key,
    data_folders,
    defaults,
    secret_key_from_environment,
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``MATCHMAKER_*`` environment, then ``test_config``.

    Migrations are not run here (``flask --app matchmaker db upgrade`` does that), and no secret
    is ever written to disk: outside debug and testing a missing SECRET_KEY stops the start.
    """
    # templates/ is the top-level folder of the checkout; matchmaker/templates links to it so
    # that the wheel carries the templates as package data and an installed app renders pages.
    # Flask is imported here, not at the top: ``import matchmaker.recommend`` (the engine, used by
    # scripts and workers that serve no page) must not load the web framework.
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True, template_folder="templates")
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env("MATCHMAKER")
    if (raw_key := secret_key_from_environment(os.environ)) is not None:
        app.config["SECRET_KEY"] = raw_key  # the text itself, never its JSON reading
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config.from_mapping(data_folders(app.config))

    if app.config["SECRET_KEY"] in (None, "", b""):
        _use_ephemeral_secret(app)
    else:
        check_secret_key(app.config["SECRET_KEY"])
    app.config.setdefault("SQLALCHEMY_ENGINES", {"default": app.config["DATABASE_URL"]})

    from matchmaker import extensions, jobs, web
    from matchmaker.cli import register_commands
    from matchmaker.jobs.indexing import queue_embedding
    from matchmaker.services import service_events
    from matchmaker.services.accounts import profile_events
    from matchmaker.services.recommendations import engine_settings
    from matchmaker.web import security

    _configure_logging(app)
    extensions.init_app(app)
    # The engine's settings, built once from the finished configuration; callers hand them over.
    engine_settings.bind(app)
    # Every process (web, job worker, CLI) writes the open data feed's events in the same
    # transaction as the fact they record.
    service_events.install()
    jobs.register(app)
    # A profile save (any process) queues its embedding; the services only announce the change.
    profile_events.wire(queue_embedding)
    web.register(app)
    security.register(app)
    register_commands(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Our loggers (``matchmaker.*``) write at LOG_LEVEL to Flask's handler (stderr).

    Without a level they inherit WARNING from the root logger, and the INFO lines that matter
    in development (e-mail without SMTP, jobs run) went nowhere.
    """
    app.logger.setLevel(app.config["LOG_LEVEL"])  # app.logger is "matchmaker", with its handler


def _use_ephemeral_secret(app: Flask) -> None:
    """Debug, tests and command-line tools get a random in-memory key; a server never does.

    CLI commands (migrations, demo data, indexes, evaluation) issue no cookies, so they may run
    without a configured key; but if such an app is asked to serve a request outside debug, it
    refuses, so production cannot run on a key that changes with every process.
    """
    if not (app.debug or app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true"):
        raise RuntimeError(
            "MATCHMAKER_SECRET_KEY is not set: refusing to start without a secret key "
            "(set it in the environment, or use --debug for local development)."
        )
    app.config["SECRET_KEY"] = os.urandom(32).hex()
    if app.debug or app.testing:
        return

    @app.before_request
    def _refuse_to_serve() -> None:
        raise RuntimeError("MATCHMAKER_SECRET_KEY is not set: refusing to serve requests.")
