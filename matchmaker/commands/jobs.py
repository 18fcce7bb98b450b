"""``flask --app matchmaker worker``: run the job queue's consumer (queued and periodic jobs)."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask.logging import default_handler

from matchmaker.extensions import queue


@click.command("worker")
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at the same time in this process.",
)
@click.option("--no-periodic", is_flag=True, help="Leave the periodic jobs to another worker.")
@with_appcontext
def worker(threads: int, no_periodic: bool) -> None:
    """Run queued jobs and the periodic ones until SIGTERM or SIGINT.

    SIGTERM, what process managers (systemd, honcho, Kubernetes) send, lets running jobs finish
    (huey's default would abandon them); SIGINT stops at once, SIGHUP restarts.

    Start one per machine or more: with MATCHMAKER_REDIS_URL they all share one queue; without
    it they share the SQLite queue file of this machine. Periodic jobs are enqueued by every
    worker that schedules them, so run exactly one worker without --no-periodic.
    """
    # huey logs what it runs and why a job failed; show it next to our own log lines.
    huey_log = logging.getLogger("huey")
    huey_log.setLevel(current_app.config["LOG_LEVEL"])
    huey_log.addHandler(default_handler)
    jobs = queue.bound()
    storage = "Redis" if current_app.config.get("REDIS_URL") else jobs.huey.storage.filename
    click.echo(f"job worker: {threads} thread(s), queue on {storage}")
    # max_delay: an idle consumer polls the SQLite queue at least 4 times a second (huey's
    # default backs off to 10 s): a profile save's job, whose delta every web process then
    # serves, starts at once. Redis storage blocks on the queue instead of polling.
    consumer = jobs.consumer(
        workers=threads,
        worker_type="thread",
        periodic=not no_periodic,
        graceful_signal="TERM",
        max_delay=0.25,
    )
    consumer.run()


def register(app: Flask) -> None:
    app.cli.add_command(worker)
