"""How long saving a profile form takes now that the engine work runs in the job worker
(issue 16, item 12: saving forms took 1.3-4.7 s and creating a fund 8.9 s when each save
re-embedded and re-indexed inside the request). docs/benchmarks.md, "Form saves".

The app runs in this process (Flask's test client, the default embedding model, a fresh SQLite
demo database with its index published) with the real job queue and no worker: a save only
enqueues its embedding job, as in production. A directory page is timed in the same run.

    python scripts/bench_forms.py --repeats 10
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from matchmaker import create_app, migrate
from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
from matchmaker.extensions import db
from matchmaker.services.recommendations import engine_settings, engines

STARTUP = {
    "name": "Bench Robotics", "one_liner": "Arms for labs", "sectors": "new_energy",
    "stage": "prototype", "funding_round": "seed", "location": "Chongqing", "team_size": "5",
    "founded_on": "2024-01-01", "languages": "zh", "funding_need_amount": "1000000",
    "funding_need_currency": "CNY", "funding_need_note": "Seed", "website": "https://example.com",
}  # fmt: skip
FUND = {
    "type": "vc", "thesis": "Energy storage and materials", "sectors": "new_energy",
    "stages": "seed", "ticket_min": "1000000", "ticket_max": "5000000", "currency": "CNY",
    "instruments": "equity", "regions": "Chongqing", "location": "Chongqing",
    "website": "https://example.com", "co_investment_requirements": "", "loan_products": "",
}  # fmt: skip


def _sign_in(client: FlaskClient, role: str) -> None:
    client.post("/auth/logout")
    response = client.post(
        "/auth/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, f"sign-in as {role}: {response.status_code}"


def _time(repeats: int, request: Callable[[int], int], expected: int) -> list[float]:
    """Milliseconds per call; every call must answer ``expected`` (a save: its redirect)."""
    out = []
    for i in range(repeats):
        started = time.perf_counter()
        status = request(i)
        out.append((time.perf_counter() - started) * 1000)
        assert status == expected, f"answered {status}, not {expected}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        app = create_app({
            "SECRET_KEY": "bench-forms-secret-of-at-least-32-chars", "DATABASE_URL": url,
            "SQLALCHEMY_ENGINES": {"default": url}, "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False, "DATA_DIR": tmp,
            "QUEUE_DATABASE": str(Path(tmp) / "jobs.sqlite3"),
            "RATELIMIT_DATABASE": str(Path(tmp) / "ratelimits.sqlite3"),
        })  # fmt: skip
        with app.app_context():
            load_demo_data(db.session)
            engines.build_indexes(db.session, engine_settings.EngineSettings.from_app(app))
        client = app.test_client()
        _sign_in(client, "founder")
        page = client.get("/me/")
        assert page.status_code == 200
        startup_id = int(page.get_data(as_text=True).split("/me/startups/")[1].split("/")[0])

        def edit_startup(i: int) -> int:
            form = {**STARTUP, "description": f"Robot arms for battery labs, revision {i}."}
            return client.post(f"/me/startups/{startup_id}/edit", data=form).status_code

        rows = {
            "directory page GET /startups": _time(
                args.repeats, lambda i: client.get("/startups").status_code, 200
            ),
            "edit startup profile (POST)": _time(args.repeats, edit_startup, 302),
        }  # fmt: skip
        _sign_in(client, "investor")

        def new_fund(i: int) -> int:
            form = {**FUND, "name": f"Bench Fund {i}"}
            return client.post("/me/investors/new", data=form).status_code

        rows["create a fund (POST)"] = _time(args.repeats, new_fund, 302)
    print(f"{'request':34} {'p50 ms':>8} {'max ms':>8}  (n={args.repeats}, in-process, SQLite)")
    for name, times in rows.items():
        print(f"{name:34} {statistics.median(times):8.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
