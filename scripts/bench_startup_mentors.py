"""The startup page's mentor ranking, timed in-process on the demo data as a web worker serves it.

Loads the demo data into a throw-away SQLite database, builds and publishes the indexes, loads the
published version as a served (frozen) engine, then times ``Recommender.mentors_for_startup``
(what the startup page's mentor list calls) for every active demo startup, twice: the first
round is each startup's first request, the second repeats them (caches warm). Run it with one math
thread, as ``gunicorn.conf.py`` sets for web workers:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 \\
        .venv/bin/python scripts/bench_startup_mentors.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path


def _summary(label: str, millis: list[float]) -> str:
    ordered = sorted(millis)
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    return (
        f"{label}: {len(ordered)} startups, mentors_for_startup ms"
        f" p50 {statistics.median(ordered):.1f} p95 {p95:.1f} max {ordered[-1]:.1f}"
    )


def main() -> int:
    import sqlalchemy as sa

    from matchmaker import create_app, migrate
    from matchmaker.demo import load_demo_data
    from matchmaker.extensions import db
    from matchmaker.models import Startup
    from matchmaker.services.recommendations import engine_settings, engines, served_engine

    with tempfile.TemporaryDirectory(prefix="matchmaker-page-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite3'}"
        migrate.upgrade(url)
        config = {
            "DATABASE_URL": url,
            "SQLALCHEMY_ENGINES": {"default": url},
            "INDEX_DIR": str(Path(tmp) / "indexes"),
            "MODEL_DIR": str(Path(tmp) / "models"),
            "SECRET_KEY": "x" * 40,
            "TESTING": True,
        }
        app = create_app(config)
        with app.app_context():
            load_demo_data(db.session)
            settings = engine_settings.EngineSettings.from_app(app)
            started = time.perf_counter()
            version = engines.build_indexes(db.session, settings, show_progress=False).version
            print(f"index build and publication: {time.perf_counter() - started:.1f} s")
            assert version is not None
            started = time.perf_counter()
            rec = served_engine.load_version(settings, version).recommender
            print(f"version load (served engine): {time.perf_counter() - started:.2f} s")
            ids = db.session.scalars(sa.select(Startup.id).where(Startup.is_active)).all()
            for label in ("first request", "repeated"):
                millis = []
                for sid in ids:
                    started = time.perf_counter()
                    rec.mentors_for_startup(sid, k=3)
                    millis.append((time.perf_counter() - started) * 1000)
                print(_summary(label, millis))
            engines.forget_engines()
    return 0


if __name__ == "__main__":
    sys.exit(main())
