"""Engine jobs: embed a changed profile once, build and publish index versions.

A job runs in its app's context; it hands the engine that app's settings (bound once by
``create_app``) and queue explicitly, so the services read no Flask state."""

from __future__ import annotations

import logging

from flask import current_app

from matchmaker.extensions import db
from matchmaker.queue import enqueue
from matchmaker.services.recommendations import capacity, indexing
from matchmaker.services.recommendations.engine_settings import EngineSettings

log = logging.getLogger(__name__)


def embed_profile(kind: str, profile_id: int) -> None:
    """After a profile save: embed its text (unless stored already), then publish."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    indexing.embed_profile(db.session, EngineSettings.from_app(app), kind, profile_id)
    indexing.request_publish(app)


def queue_embedding(kind: str, profile_id: int) -> None:
    """What a profile save does after its commit (``create_app`` wires it into
    ``profile_events``): queue ``embed_profile`` on the current app's queue."""
    enqueue(embed_profile, kind, profile_id)


def publish_indexes() -> None:
    """Build and publish a new index version if anything changed since the current one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    indexing.publication_started(app)
    report = indexing.build_and_publish(db.session, EngineSettings.from_app(app))
    if not report.published:
        log.info("index version unchanged: nothing to publish")


def refresh_indexes() -> None:
    """Periodic: publish what no save announced (rows changed by imports or by hand, a new
    model or scoring file); a no-op when the current version is up to date."""
    indexing.build_and_publish(db.session, EngineSettings.from_app(current_app))


def publish_capacity() -> None:
    """Periodic: the capacity figures of the big kinds, for every web process to take
    (``services.recommendations.capacity``); a no-op while every kind is small."""
    settings = EngineSettings.from_app(current_app)
    written = capacity.publish_capacity(db.session, settings.index_dir)
    if written:
        log.info("capacity figures published: %s", written)
