"""The annual report's cost: the job's work beside the page that shows its result, in-process.

    PYTHONPATH=. .venv/bin/python scripts/bench_annual_report.py \\
        --database-url sqlite:////tmp/demo/matchmaker.sqlite3 --requests 20

On a database with the demo data (``flask db upgrade && flask demo-data``): computes the whole
makerspace's report of ``--year`` as the job does (``generated_reports.compute_report``: figures,
page data and workbook) ``--runs`` times, then asks for it through the page and runs the queued
job, then requests ``/operator/reports`` (which now only reads the stored report) and the
directory ``/startups`` ``--requests`` times each, alternating, signed in as the demo operator.
Printed: wall and CPU ms (median) and SQL statements per call. The report's row is written (the
request and the job's result); nothing else is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tqdm import tqdm

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "scripts"))


def _timed(call: Callable[[], object], statements: list[int]) -> tuple[float, float, int]:
    """(wall s, CPU s, statements) of one call."""
    before = statements[0]
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu, statements[0] - before


def _row(name: str, samples: list[tuple[float, float, int]]) -> str:
    wall, cpu, count = zip(*samples, strict=True)
    return (
        f"| {name} | {statistics.median(wall) * 1000:.1f} | {statistics.median(cpu) * 1000:.1f} "
        f"| {statistics.median(count):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--year", type=int, default=date.today().year)
    parser.add_argument("--runs", type=int, default=5, help="computations of the report")
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    args = parser.parse_args()

    import sqlalchemy as sa
    from bench_profile_page import CSRF, signed_in_client

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.services.operator.evaluation import generated_reports

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SQLALCHEMY_ENGINES": {"default": args.database_url},
            "INDEX_DIR": str(work / "indexes"),
            "QUEUE_DATABASE": str(work / "jobs.sqlite3"),
            "QUEUE_IMMEDIATE": True,  # the request's job runs here, after its commit
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench-" + "x" * 40,
        }
    )
    client = signed_in_client(app, "operator")
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    def key_in(locale: str) -> generated_reports.ReportKey:
        return generated_reports.ReportKey.of(args.year, None, locale)

    key = key_in("en")
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        computed = [
            _timed(lambda: generated_reports.compute_report(db.session, key), statements)
            for _ in tqdm(range(args.runs), desc="the job's work", unit="run")
        ]
        db.session.rollback()
    # Asked for through the page, as an operator does (the job runs at once here).
    page = client.get(f"/operator/reports?year={args.year}", headers={"Accept-Language": "en"})
    token = CSRF.search(page.get_data(as_text=True))
    reply = client.post(
        f"/operator/reports?year={args.year}",
        data={"csrf_token": (token.group(1) or token.group(2)) if token else ""},
        headers={"Accept-Language": "en"},
    )
    with app.app_context():  # in the operator's language (the demo operator's may be Chinese)
        shown = next(
            (
                report
                for locale in ("en", "zh_CN")
                if (report := generated_reports.report_page(db.session, key_in(locale)).report)
            ),
            None,
        )
    if shown is None or shown.status != "done":
        raise SystemExit(f"the report was not generated ({reply.status_code}): {shown}")
    pages: dict[str, list[tuple[float, float, int]]] = {"/startups": [], "/operator/reports": []}
    for _ in tqdm(range(args.requests), desc="pages", unit="round"):
        for path, samples in pages.items():
            url = f"{path}?year={args.year}" if path == "/operator/reports" else path
            samples.append(
                _timed(
                    lambda url=url: client.get(url, headers={"Accept-Language": "en"}), statements
                )
            )
    print(f"load average {os.getloadavg()}, {args.database_url.split(':')[0]}")
    print("| call | wall ms p50 | CPU ms p50 | statements |\n|---|---:|---:|---:|")
    print(_row("the report computed (the job's work)", computed))
    for path, samples in pages.items():
        print(_row(f"GET {path}", samples))


if __name__ == "__main__":
    main()
