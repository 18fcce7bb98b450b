"""Unbound extension singletons, bound to an app in ``create_app``."""

from __future__ import annotations

import inspect

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf import CSRFProtect

from matchmaker.queue import JobQueue

db = SQLAlchemy()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mail = Mail()
queue = JobQueue()


def init_app(app: Flask) -> None:
    """Bind every extension to ``app``."""
    from matchmaker import mail as mail_settings
    from matchmaker import ratelimit
    from matchmaker.database import configure_dialects

    configure_dialects()
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        _prepare_sqlite_folder(url)
    db.init_app(app)
    _drop_async_teardown(app)
    csrf.init_app(app)
    ratelimit.configure(app)  # counters every worker shares (Redis, else a local SQLite file)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail_settings.configure(app)
    mail.init_app(app)
    queue.init_app(app)


def _drop_async_teardown(app: Flask) -> None:
    """Unregister Flask-SQLAlchemy-Lite's teardown for async sessions, which this app never
    opens. It is a coroutine, so Flask runs it through asgiref's ``async_to_sync``: a new thread
    and event loop at the end of every request, about a millisecond of CPU each time (more than
    serving a static file) only to find no session to close."""
    app.teardown_appcontext_funcs[:] = [
        f for f in app.teardown_appcontext_funcs if not inspect.iscoroutinefunction(f)
    ]


def _prepare_sqlite_folder(url: str) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
