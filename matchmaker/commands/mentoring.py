"""``flask --app matchmaker mentoring ...``: mentoring housekeeping (run from cron)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.extensions import db

mentoring_cli = AppGroup("mentoring", help="Mentoring sessions.")


@mentoring_cli.command("expire-requests")
def expire_requests() -> None:
    """Expire requests unanswered past MENTORING_REQUEST_TTL_HOURS (notifies the founders)."""
    from matchmaker.services.mentoring import requesting

    count = requesting.expire_requests(db.session)
    click.echo(f"{count} request(s) expired")


def register(app: Flask) -> None:
    app.cli.add_command(mentoring_cli)
