"""Where a warm page's time goes: cProfile of N requests to one page, in-process.

    .venv/bin/python scripts/bench_profile_page.py --database-url postgresql+psycopg://... \\
        --index-dir /tmp/bench-http-xxxx/indexes --path / --requests 30

Signs in as a demo user through the real login form (Flask's test client), requests the page
a few times to warm the engine (index version, capacity figures, caches), then profiles
``--requests`` more and prints the top functions by cumulative and by own time. Use it on a
database prepared by ``scripts/bench_http.py --prepare`` (its index folder is printed in the
run's log). Nothing is written to the database but the login.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def warm_app(database_url: str, index_dir: str) -> Flask:
    """The app as a web worker runs it (one math thread) on ``database_url`` and ``index_dir``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # as gunicorn.conf.py sets for web workers

    from matchmaker import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SQLALCHEMY_ENGINES": {"default": database_url},
            "INDEX_DIR": index_dir,
            "MODEL_DIR": str(PROJECT / "models"),
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "profile-" + "x" * 40,
        }
    )


def signed_in_client(app: Flask, role: str) -> FlaskClient:
    """A test client signed in as the demo ``role`` through the real login form."""
    from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD

    client = app.test_client()
    page = client.get("/auth/login")
    match = CSRF.search(page.get_data(as_text=True))
    token = (match.group(1) or match.group(2)) if match else ""
    reply = client.post(
        "/auth/login",
        data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD, "csrf_token": token},
    )
    if reply.status_code != 302:
        raise SystemExit(f"sign-in as {role} failed: {reply.status_code}")
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument(
        "--path", default="/", help="a {n} in it becomes a new number on every request"
    )
    parser.add_argument("--role", default="founder", help="demo login (founder, investor, ...)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    app = warm_app(args.database_url, args.index_dir)
    client = signed_in_client(app, args.role)
    numbers = itertools.count()

    def path() -> str:  # as bench_http.drive: a query no cache has seen
        return args.path.replace("{n}", str(next(numbers)))

    for _ in range(5):
        status = client.get(path()).status_code
        if status != 200:
            raise SystemExit(f"{args.path} answered {status}")
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(path())
    plain = (time.perf_counter() - started) / args.requests
    print(
        f"{args.path}: {plain * 1000:.1f} ms per request (not profiled, {args.requests} requests)"
    )
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        client.get(path())
    profile.disable()
    took = (time.perf_counter() - started) / args.requests
    print(f"{args.path}: {took * 1000:.1f} ms per request (profiled, {args.requests} requests)")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
