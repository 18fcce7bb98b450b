"""CPU cost per request of the recommendation pages beside the directory page, in-process.

    PYTHONPATH=. .venv/bin/python scripts/bench_page_cost.py \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/test_h2 \\
        --index-dir /tmp/bench-http-xxxx/indexes --requests 50 [--profile /]

Throughput on a shared machine moves with everyone else's load; the CPU a request costs this
process does not (much). One warm app (demo data on PostgreSQL, a built index: prepare both with
``scripts/bench_http.py --prepare``), Flask's test client signed in as the demo founder (the demo
investor for the deal flow), a few warm-up requests per page, then ``--requests`` rounds in which
every page is requested once, the directory first: the pages share the same minutes of machine
load. Printed per page: CPU ms per request (``time.process_time``, median and mean), wall ms,
SQL statements per request (median; a request that refreshes capacity figures runs more), the
CPU the PostgreSQL server process spent on it (mean; read from /proc, so PostgreSQL must run on
this machine) and the ratio of its median CPU to the directory's. Search is measured with one
query asked again and with a new query each time (nothing embedded or remembered for it). The
pathway is measured twice: as served (its picks remembered between loads) and with nothing
remembered (the first load of a startup's pathway in a worker, or a load after an edit).
``--profile PATH`` then profiles that page's requests (cProfile, CPU time; ``{n}`` in PATH
counts them, as in the new-query search) and prints the top functions. Nothing is written to
the database but the logins.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "scripts"))


@dataclass
class PageCost:
    name: str
    role: str
    path: str
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    database_cpu: float = 0.0
    # Seconds an answer is remembered on this page (``freshness.KEEP_SECONDS``); 0: nothing
    # is remembered, so every request pays what the first load of a startup's page pays.
    keep_seconds: float | None = None
    requested: int = 0

    def next_path(self) -> str:
        """The path of this page's next request: ``{n}`` in it counts requests, so that each
        asks something new (a search query nothing has embedded or remembered yet)."""
        self.requested += 1
        return self.path.format(n=self.requested)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--requests", type=int, default=50, help="measured rounds (every page)")
    parser.add_argument("--warmup", type=int, default=5, help="requests per page first")
    parser.add_argument("--profile", metavar="PATH", help="then cProfile this page's requests")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    import sqlalchemy as sa
    from bench_http import demo_ids
    from bench_profile_page import signed_in_client, warm_app

    from matchmaker.extensions import db
    from matchmaker.services.recommendations import freshness

    startup = demo_ids(args.database_url)["startup"]
    pages = [
        PageCost("directory /startups", "founder", "/startups"),
        PageCost("founder dashboard /", "founder", "/"),
        PageCost(f"startup page /startups/{startup}", "founder", f"/startups/{startup}"),
        PageCost("/search?q=battery+materials", "founder", "/search?q=battery+materials"),
        PageCost("/search, a new query each time", "founder", "/search?q=battery+materials+{n}"),
        PageCost(f"pathway /pathway/{startup}", "founder", f"/pathway/{startup}"),
        PageCost("pathway, nothing remembered", "founder", f"/pathway/{startup}", keep_seconds=0),
        PageCost("investor deal flow", "investor", "/funding/deal-flow"),
    ]
    app = warm_app(args.database_url, args.index_dir)
    clients = {role: signed_in_client(app, role) for role in {p.role for p in pages}}
    executed = [0]

    def count(*_: object) -> None:
        executed[0] += 1

    backends: set[int] = set()  # PostgreSQL server processes of this app's connections

    def note_backend(dbapi_connection: object, record: object) -> None:
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if pid:
            backends.add(pid)

    def database_cpu() -> float:
        return sum(_process_cpu(pid) for pid in backends)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        sa.event.listen(db.engine, "connect", note_backend)
        db.engine.dispose()  # the warm-up opens the connections again, and they are noted
    for page in tqdm(pages, desc="warm-up", unit="page"):
        for _ in range(args.warmup):
            path = page.next_path()
            status = clients[page.role].get(path).status_code
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
    load_before = os.getloadavg()
    keep = freshness.KEEP_SECONDS
    for _ in tqdm(range(args.requests), desc="rounds", unit="round"):
        for page in pages:
            freshness.KEEP_SECONDS = keep if page.keep_seconds is None else page.keep_seconds
            executed[0] = 0
            server = database_cpu()
            cpu, wall = time.process_time(), time.perf_counter()
            clients[page.role].get(page.next_path())
            page.cpu.append(time.process_time() - cpu)
            page.wall.append(time.perf_counter() - wall)
            page.database_cpu += database_cpu() - server
            page.statements.append(executed[0])
    freshness.KEEP_SECONDS = keep
    print(f"load average before {load_before}, after {os.getloadavg()}")
    directory = statistics.median(pages[0].cpu)
    print(
        "| page | CPU ms p50 | CPU ms mean | wall ms p50 | statements | PostgreSQL CPU ms | "
        "CPU x directory |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    for page in pages:
        cpu = statistics.median(page.cpu)
        print(
            f"| {page.name} | {cpu * 1000:.1f} | {statistics.fmean(page.cpu) * 1000:.1f} | "
            f"{statistics.median(page.wall) * 1000:.1f} | "
            f"{statistics.median(page.statements):.0f} | "
            f"{page.database_cpu / len(page.cpu) * 1000 if backends else float('nan'):.1f} | "
            f"{cpu / directory:.2f} |"
        )
    if args.profile:
        chosen = next((p for p in pages if p.path == args.profile), None)
        chosen = chosen or PageCost(args.profile, "founder", args.profile)
        client = clients[chosen.role]
        profile = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
        profile.enable()
        for _ in tqdm(range(args.requests), desc=f"profile {args.profile}", unit="req"):
            client.get(chosen.next_path())
        profile.disable()
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
