"""Engine jobs: embed a changed profile once, build and publish index versions, calibrate the
ranking weights.

A job runs in its app's context; it hands the engine that app's settings (bound once by
``create_app``) and queue explicitly, so the services read no Flask state."""

from __future__ import annotations

import logging

from flask import current_app

from matchmaker.extensions import db, queue
from matchmaker.queue import enqueue
from matchmaker.recommend import store
from matchmaker.services.recommendations import capacity, engines, indexing
from matchmaker.services.recommendations.engine_settings import Caller, EngineSettings

log = logging.getLogger(__name__)


def embed_profile(kind: str, profile_id: int) -> None:
    """After a profile save: embed its text (unless stored already), publish the edit as a
    delta that serving processes apply within seconds, then queue a publication of the next
    version (which takes minutes at 100,000s of profiles per kind)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = EngineSettings.from_app(app)
    indexing.embed_profile(db.session, settings, kind, profile_id)
    indexing.publish_delta(db.session, settings, kind, profile_id)
    indexing.request_publish(app)


def queue_embedding(kind: str, profile_id: int) -> None:
    """What a profile save does after its commit (``create_app`` wires it into
    ``profile_events``): queue ``embed_profile`` on the current app's queue."""
    enqueue(embed_profile, kind, profile_id)


# How long a publication asked for during another one's build waits before it looks again.
BUILD_BUSY_RETRY_SECONDS = 15


def publish_indexes() -> None:
    """Build and publish a new index version if anything changed since the current one.

    While another build runs (minutes at 100,000s of profiles per kind) this one is put back
    on the queue for later instead of waiting for the lock: a waiting job would hold one of
    the worker's threads, and the saves' embedding jobs, whose deltas show an edit within
    seconds, would queue behind it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        report = indexing.build_and_publish(
            db.session,
            EngineSettings.from_app(app),
            wait=False,
            when_locked=lambda: indexing.publication_started(app),
        )
    except store.BuildInProgress:
        log.info("another index build is running: publishing in %d s", BUILD_BUSY_RETRY_SECONDS)
        queue.bound(app).enqueue_later(BUILD_BUSY_RETRY_SECONDS, publish_indexes)
        return
    if not report.published:
        log.info("index version unchanged: nothing to publish")


def refresh_indexes() -> None:
    """Periodic: publish what no save announced (rows changed by imports or by hand, a new
    model or scoring file); a no-op when the current version is up to date, or while another
    build runs (which reads the same rows; as ``publish_indexes``, this never holds a worker
    thread waiting for it)."""
    try:
        indexing.build_and_publish(db.session, EngineSettings.from_app(current_app), wait=False)
    except store.BuildInProgress:
        log.info("another index build is running: the next periodic refresh looks again")


def publish_capacity() -> None:
    """Periodic: the capacity figures of the big kinds, for every web process to take
    (``services.recommendations.capacity``); a no-op while every kind is small."""
    settings = EngineSettings.from_app(current_app)
    written = capacity.publish_capacity(db.session, settings.index_dir)
    if written:
        log.info("capacity figures published: %s", written)


def calibrate_rankers() -> None:
    """Periodic: re-choose the ranking weights from the platform's own relations, as ``flask
    calibrate`` does (a time split inside the history, the popularity prior as a floor). The
    weights are written to ``MODEL_DIR``; the next periodic refresh publishes them with an
    index version, which every web process then adopts."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for cal in engines.calibrate_engine(
        db.session, EngineSettings.from_app(app), caller=Caller.offline(app)
    ):
        log.info("%s ranking calibrated: %s on %d target startups", cal.kind, cal.method,
                 cal.n_targets)  # fmt: skip
