"""gunicorn settings for `make run` and production: `gunicorn --config gunicorn.conf.py`.

Web workers are stateless (the database, stored embeddings and index files are shared), so they
scale with the CPUs: 2 x CPUs processes of 4 threads each, unless WEB_CONCURRENCY says otherwise.
Each process builds its own app (no preload): engines and queue connections are never shared
across a fork. What is read-only and the same in every worker is loaded once by the master
before it forks (``on_starting``): the libraries' code, the query model's weights and the
Chinese word dictionary; the workers share those pages instead of holding a copy each.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import tempfile
from pathlib import Path

# One math thread per web worker. torch, numpy's BLAS and faiss read these when they are first
# imported (in each worker, after the fork: there is no preload), so they are set here, before
# anything imports them. Each library otherwise starts one thread per core in every worker: 4
# workers on 2 cores ran 8 busy torch threads that fought for the CPUs, and OMP_NUM_THREADS=1
# alone gave 2.4-6.4x the throughput of the recommendation pages (issue 12). A web request
# encodes one short query; parallelism comes from the workers, not from threads inside one.
# Set a variable yourself to override it; the job worker (not started by gunicorn) keeps
# every core for batch embedding.
_ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
for _variable, _value in _ONE_THREAD.items():
    os.environ.setdefault(_variable, _value)

wsgi_app = "matchmaker:create_app()"
# HOST/PORT as Procfile runners (honcho, foreman) pass them; behind a proxy bind to 127.0.0.1.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
# Long work is the job worker's; a request that takes this long is stuck.
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# The proxy in front (nginx, a load balancer) sets X-Forwarded-*; trust it only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: object) -> None:
    """Before the first fork: load what every worker would load the same and never change.

    Shared pages count in each worker's RSS but exist once (see PSS/USS in docs/benchmarks.md).
    Nothing here opens a connection, a file the workers write, or a thread pool (torch is not
    loaded: a sentence-transformers model is left to each worker, as forking torch's thread
    pools is unsafe); the app itself is still built in each worker. MATCHMAKER_PRELOAD=0 turns
    this off."""
    if os.environ.get("MATCHMAKER_PRELOAD", "1") == "0":
        return
    import matchmaker.cli  # noqa: F401 - the modules create_app imports, once
    import matchmaker.jobs  # noqa: F401
    import matchmaker.web  # noqa: F401
    from matchmaker.recommend import lexical
    from matchmaker.recommend.embedding import DEFAULT_MODEL, HASHING_MODEL, USE_MODEL
    from matchmaker.services.recommendations import engine_settings, engine_state

    lexical.tokenize("预加载 warm up")  # imports and initialises jieba's dictionary (~65 MB)
    model = os.environ.get("MATCHMAKER_EMBEDDING_MODEL") or DEFAULT_MODEL
    if all(part.strip() in (USE_MODEL, HASHING_MODEL) for part in model.split("+")):
        embedder = engine_settings.get_embedder(model)
        embedder.encode(["warm up"])  # pure numpy: fork-safe
        # Its 65 MB token table from a shared read-only file: a worker's RSS counts only the
        # rows its queries read.
        data = os.environ.get("MATCHMAKER_DATA_DIR") or tempfile.gettempdir()
        engine_state.map_query_model(embedder, Path(data) / "model-cache")
    # Keep the collector from touching (and so copying) every object loaded so far.
    gc.freeze()


def when_ready(server: object) -> None:
    """After the listening sockets are bound, before the first fork: load the current published
    index version once here, so that every worker starts with it (shared pages, no load of its
    own: at 100,000 profiles per kind a load costs half a minute and gigabytes per process).
    Connections made meanwhile wait in the listen backlog and are answered once the workers
    start. Then the master follows newer versions the same way: a thread loads each one once,
    and the master reloads itself (SIGHUP, gunicorn's graceful reload): new workers fork with
    the new version, the old ones finish their requests and leave. Workers never load a version
    of their own, which at 100,000 profiles per kind left each one holding 4.6 GB of private
    memory after the first edit. Only with a model the master may hold (numpy USE, hashing): a
    sentence-transformers model would bring torch's thread pools into the fork, and its workers
    follow versions themselves. The app is built only to read its settings; it opens no
    connection. MATCHMAKER_PRELOAD_ENGINE=0 (or MATCHMAKER_PRELOAD=0) turns this off."""
    if "0" in (os.environ.get("MATCHMAKER_PRELOAD"), os.environ.get("MATCHMAKER_PRELOAD_ENGINE")):
        return
    from matchmaker.recommend.embedding import DEFAULT_MODEL, HASHING_MODEL, USE_MODEL
    from matchmaker.services.recommendations import engine_state

    model = os.environ.get("MATCHMAKER_EMBEDDING_MODEL") or DEFAULT_MODEL
    if not all(part.strip() in (USE_MODEL, HASHING_MODEL) for part in model.split("+")):
        return
    from matchmaker import create_app

    log = logging.getLogger("gunicorn.error")
    try:
        app = create_app()
        version = engine_state.preload(app, master_follows=True)
    except Exception:  # a worker loads it anyway: never keep the server from starting
        log.exception("preloading the index version failed")
        return
    if version is not None:
        log.info("preloaded index version %d for every worker", version)
    engine_state.follow_in_master(app, _reload_workers)
    del app
    gc.collect()  # the app built to read the settings is gone; nothing else is garbage
    gc.freeze()


def _reload_workers(version: int, whole: bool) -> None:
    """The master holds index ``version`` (``engine_state.follow_in_master``), newly loaded
    (``whole``) or with new deltas applied: fork new workers with it and retire the old ones,
    by gunicorn's own graceful reload."""
    logging.getLogger("gunicorn.error").info(
        "index version %d %s: replacing the workers with ones that serve it",
        version,
        "loaded" if whole else "edited by deltas",
    )
    if whole:
        # Frozen objects are never collected: the version before is among them. (A delta leaves
        # little garbage, and a full collection at 100,000s of profiles takes seconds.)
        gc.unfreeze()
        gc.collect()
    gc.freeze()  # what the master holds stays untouched by the collector in every worker
    os.kill(os.getpid(), signal.SIGHUP)


def post_worker_init(worker: object) -> None:
    """torch may have been imported before the variables above took effect (a preloaded app):
    pin its intra-op pool to one thread as well, without importing torch when nothing did."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    # Load the served index version and the query model before this worker accepts requests,
    # so its first /search is fast (services/recommendations/engine_state.py); bounded well below
    # the worker timeout (a slower load finishes in the background).
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "app_context"):
        from matchmaker.services.recommendations.engine_state import warm_up

        warm_up(app).join(timeout=40)
