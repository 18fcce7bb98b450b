"""What one translated message costs inside a request: Flask-Babel's accessors against
``matchmaker.i18n``'s, which find the request's catalog once per locale (issue 12; a
recommendation page renders 50-150 messages and vocabulary labels). docs/benchmarks.md,
"Seventh pass".

    .venv/bin/python scripts/bench_i18n.py --calls 20000

Both run in the same process, in the same request context (Chinese), one after the other;
printed: microseconds per call.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import flask_babel

from matchmaker import create_app, i18n
from matchmaker.web.i18n import current_locale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-i18n-"))
    app = create_app(
        {
            "SECRET_KEY": "k" * 64,
            "DATABASE_URL": "sqlite://",  # no statement runs
            "QUEUE_DATABASE": str(folder / "jobs.sqlite3"),
            "UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    ways: list[tuple[str, Callable[[], object]]] = [
        ("flask_babel.get_locale()", flask_babel.get_locale),
        ("matchmaker.i18n.locale()", i18n.locale),
        ("current_locale() (labels)", current_locale),
        ("flask_babel.gettext()", lambda: flask_babel.gettext("Sign in")),
        ("matchmaker.i18n.gettext()", lambda: i18n.gettext("Sign in")),
    ]
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert i18n.gettext("Sign in") == flask_babel.gettext("Sign in") != "Sign in"
        for name, call in ways:
            started = time.perf_counter()
            for _ in range(args.calls):
                call()
            print(f"{name}: {(time.perf_counter() - started) / args.calls * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
