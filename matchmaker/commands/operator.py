"""``flask operator ...``: seed the policy center from the seed documents."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.extensions import db

group = AppGroup("operator", help="Operator console: policies.")


@group.command("seed-policies")
@click.option("--draft", is_flag=True, help="Add them unpublished.")
def seed_policies_command(draft: bool) -> None:
    """Add (or update) the support measures of the two seed documents as policies."""
    from matchmaker.services.operator.policy_center.seed_policies import seed_policies

    count = seed_policies(db.session, publish=not draft)
    click.echo(f"{count} policies seeded ({'draft' if draft else 'published'})")


def register(app: Flask) -> None:
    app.cli.add_command(group)
