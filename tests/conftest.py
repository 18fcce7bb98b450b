"""Fixtures shared by every test (flaskr style): app, client, runner, auth, db_session, factories.

The schema is built once per test session with the real Alembic migrations, on SQLite by default
or on the database in MATCHMAKER_TEST_DATABASE_URL (PostgreSQL in CI). After each test every table
is emptied, so tests are isolated even when they commit from several threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from matchmaker import create_app, migrate
from matchmaker.database import make_engine
from matchmaker.extensions import db
from matchmaker.models import Base
from matchmaker.services.recommendations.engine_settings import Caller

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    migrate.upgrade(url)
    yield url


def _empty_all_tables(url: str) -> None:
    engine = make_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
        else:
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
    engine.dispose()


def app_settings(database_url: str, folder: Path) -> dict[str, Any]:
    """The settings every test app starts from; its files (indexes, models, uploads) go under
    ``folder``, never into the source tree."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-of-at-least-32-characters",
        "DATABASE_URL": database_url,
        "SQLALCHEMY_ENGINES": {"default": database_url},
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_DATABASE": str(folder / "ratelimits.sqlite3"),
        "INDEX_DIR": str(folder / "indexes"),
        "MODEL_DIR": str(folder / "models"),
        "UPLOAD_DIR": str(folder / "uploads"),
        "SERVER_NAME": "localhost",
        # Jobs run at once, in the caller, with their own app context and session; the queue's
        # own tests (tests/integration/test_jobs_*.py) turn this off and run a real worker.
        "QUEUE_IMMEDIATE": True,
    }


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return app_settings(database_url, tmp_path)


@pytest.fixture
def make_app(app_config: dict[str, Any], database_url: str) -> Iterator[Callable[..., Flask]]:
    """Apps with settings of the test's own; their engines are closed and tables emptied after."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        made.append(create_app({**app_config, **overrides}))
        return made[-1]

    yield factory

    def clean_up() -> None:
        for app in made:
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()
        _empty_all_tables(database_url)

    # In a worker thread: Playwright's sync API keeps an asyncio loop running in this thread, and
    # flask-sqlalchemy-lite's async app-context teardown refuses to run under a running loop.
    worker = threading.Thread(target=clean_up)
    worker.start()
    worker.join()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    # No app context stays pushed during the test: each request gets its own, as in production
    # (a shared context would share ``g`` and the ORM session between requests).
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask, database_url: str) -> Iterator[Session]:
    """A session of the test's own, for arranging data and checking what requests wrote.

    On SQLite it autocommits each statement: a test session that held a transaction open would
    keep reading an old snapshot and block (or be refused) the app's writes. PostgreSQL reads
    committed data at every statement anyway, and services called with this session need real
    transactions there (savepoints).
    """
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with Session(engine) as session:
        yield session
    engine.dispose()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, email: str, password: str = "password123"):  # type: ignore[no-untyped-def]
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):  # type: ignore[no-untyped-def]
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


# Who a test that calls the engine's services directly is to the engine: services never guess
# it from Flask, so the test says what a view or a command would.


@pytest.fixture
def web_caller(app: Flask) -> Caller:
    """A web request of the test's ``app`` (for calls inside ``app.test_request_context()``):
    only loads; a missing version is queued (run at once by the immediate queue)."""
    return Caller.web_request(app)


@pytest.fixture
def command_caller(app: Flask) -> Caller:
    """A command of the test's ``app`` (for calls inside ``app.app_context()``): may build an
    index on the spot, with the app's bound settings."""
    return Caller.offline(app)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an asyncio loop running in the main
    thread until the session ends, and Flask app contexts cannot be torn down under it."""
    e2e = [item for item in items if "/e2e/" in str(item.path)]
    items[:] = [item for item in items if "/e2e/" not in str(item.path)] + e2e


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many browser tests ran, so a green run cannot hide that no page was driven."""
    outcomes = {
        outcome: sum("/e2e/" in report.nodeid for report in terminalreporter.stats.get(outcome, []))
        for outcome in ("passed", "failed", "error", "skipped")
    }
    if any(outcomes.values()):
        counts = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
        terminalreporter.write_line(f"browser tests (headless Chromium): {counts}")
