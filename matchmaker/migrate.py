"""Alembic driven from code, so that the app, the CLI and the tests migrate the same way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (all heads: each area's branch of migrations)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=False)


def revision(
    database_url: str, message: str, *, head: str = "head", branch: str | None = None
) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(
        alembic_config(database_url),
        message=message,
        autogenerate=True,
        head=head,
        branch_label=branch,
    )
