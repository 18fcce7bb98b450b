"""Command line: ``flask --app matchmaker <command>`` (or the ``matchmaker`` script). Thin:
each command parses its options and calls a service or the engine."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from matchmaker.extensions import db


@click.group("db", help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from matchmaker import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is up to date")


@db_group.command("current")
def db_current() -> None:
    from matchmaker import migrate

    migrate.current_heads(current_app.config["DATABASE_URL"])


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--head", default="head", show_default=True)
@click.option("--branch", default=None, help="Start a new branch label (one per area).")
def db_revision(message: str, head: str, branch: str | None) -> None:
    """Autogenerate a migration from the models (development)."""
    from matchmaker import migrate

    migrate.revision(current_app.config["DATABASE_URL"], message, head=head, branch=branch)


@click.command("demo-data")
@click.option("--force", is_flag=True, help="Load even if the database already has users.")
def demo_data(force: bool) -> None:
    """Load the deterministic bilingual demo dataset into an empty database."""
    from matchmaker.demo import load_demo_data

    result = load_demo_data(db.session, force=force)
    if result is None:
        click.echo("the database already has data: demo data not loaded (use --force)")
        return
    click.echo(result.summary())


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo accounts (one per role)."""
    from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD

    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS.items():
        click.echo(f"  {role:<18} {email}")


@click.command("create-operator")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_operator(email: str, name: str, password: str) -> None:
    """Create an operator account (operators cannot sign up on the web)."""
    from matchmaker.services.accounts import users
    from matchmaker.services.errors import ServiceError

    try:
        users.register_user(
            db.session,
            email=email,
            password=password,
            display_name=name,
            roles=["operator"],
            allow_operator=True,
        )
    except ServiceError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"operator {email} created")


def register_commands(app: Flask) -> None:
    """The foundation's commands, then each area's (``matchmaker/commands/``)."""
    from matchmaker.commands import jobs, mentoring, operator, recommend

    for command in (db_group, demo_data, demo_logins, create_operator):
        app.cli.add_command(command)
    for area in (recommend, mentoring, operator, jobs):
        area.register(app)


def main() -> None:
    """The ``matchmaker`` console script: the same commands without ``--app``."""
    from matchmaker import create_app

    cli = FlaskGroup(create_app=create_app)
    sys.exit(cli.main())
