"""HTTP serving benchmark: gunicorn -w 4 (gunicorn.conf.py) on a database, several pages in one run.

    .venv/bin/python scripts/bench_http.py --prepare --seconds 15 --clients 8,32 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

``--prepare`` empties the database (PostgreSQL: drops the public schema; SQLite: a new file),
migrates it, loads the demo data and builds the index (``flask index build``), so the run starts
from what ``make run`` serves after its first build. Then gunicorn starts with 4 workers on a free
port of 127.0.0.1, every client thread signs in through the real form (the demo founder; the
demo investor for the deal flow), and each page is driven by N clients for the given seconds,
one page after the other, for each N. Printed per page: requests, errors, req/s, p50 and p95,
then the resident memory of each worker. Only 127.0.0.1 is contacted; every loop is bounded in
time; the server is always stopped.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
WORKERS = 4


@dataclass
class PageResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, env: dict[str, str]) -> None:
    """A fresh database with the demo data and a built index."""
    from matchmaker import migrate
    from matchmaker.database import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    migrate.upgrade(url)
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "matchmaker"]
    subprocess.run([*flask, "demo-data"], env=env, check=True, cwd=PROJECT)
    subprocess.run([*flask, "index", "build"], env=env, check=True, cwd=PROJECT)


def demo_ids(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from matchmaker.database import make_engine
    from matchmaker.demo import DEMO_LOGINS
    from matchmaker.models import StartupMember, User

    engine = make_engine(url)
    with engine.connect() as conn:
        founder = conn.scalar(sa.select(User.id).where(User.email == DEMO_LOGINS["founder"]))
        startup = conn.scalar(
            sa.select(StartupMember.startup_id)
            .where(StartupMember.user_id == founder)
            .order_by(StartupMember.startup_id)
            .limit(1)
        )
    engine.dispose()
    if startup is None:
        raise SystemExit("no demo data: run with --prepare")
    return {"startup": int(startup)}


def _loopback_is_secure(http: requests.Session) -> None:
    """The app marks its cookies Secure (as in production); a browser still sends them to
    http://127.0.0.1 (a loopback origin counts as secure), and so must this client."""
    for cookie in http.cookies:
        cookie.secure = False


def sign_in(base: str, email: str, password: str) -> requests.Session:
    http = requests.Session()
    page = http.get(base + "/auth/login", timeout=60)
    _loopback_is_secure(http)
    match = CSRF.search(page.text)
    token = (match.group(1) or match.group(2)) if match else ""
    reply = http.post(
        base + "/auth/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if reply.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {reply.status_code}")
    _loopback_is_secure(http)
    return http


def drive(sessions: list[requests.Session], url: str, seconds: float) -> PageResult:
    """Each session requests ``url`` in a loop until the time is up (bounded: no new request
    starts after the deadline; each has a 60 s timeout)."""
    result = PageResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(http: requests.Session) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                ok = http.get(url, timeout=60, allow_redirects=False).status_code == 200
            except requests.RequestException:
                ok = False
            took = time.perf_counter() - started
            with lock:
                if ok:
                    result.latencies.append(took)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def worker_rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    out = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        out.append(kb / 1024)
    return sorted(out)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--prepare", action="store_true", help="fresh demo database and index")
    parser.add_argument("--seconds", type=float, default=15.0, help="per page and client count")
    parser.add_argument("--clients", default="8,32", help="comma-separated client counts")
    parser.add_argument("--warmup", type=int, default=2, help="requests per page per worker first")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]

    from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD

    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    env = {
        **os.environ,
        "MATCHMAKER_DATABASE_URL": args.database_url,
        "MATCHMAKER_SECRET_KEY": secrets.token_hex(32),
        "MATCHMAKER_RATELIMIT_ENABLED": "false",  # every client signs in from 127.0.0.1
        "MATCHMAKER_DATA_DIR": str(folder),
        "MATCHMAKER_INDEX_DIR": str(folder / "indexes"),
        "MATCHMAKER_MODEL_DIR": str(PROJECT / "models"),
        "MATCHMAKER_QUEUE_DATABASE": str(folder / "jobs.sqlite3"),
        "MATCHMAKER_RATELIMIT_DATABASE": str(folder / "ratelimits.sqlite3"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "WEB_CONCURRENCY": str(WORKERS),
    }
    if args.prepare:
        prepare(args.database_url, env)
    ids = demo_ids(args.database_url)
    pages = [
        ("directory /startups", "founder", "/startups"),
        ("founder dashboard /", "founder", "/"),
        (f"startup page /startups/{ids['startup']}", "founder", f"/startups/{ids['startup']}"),
        ("/search?q=battery", "founder", "/search?q=battery+materials"),
        (f"pathway /pathway/{ids['startup']}", "founder", f"/pathway/{ids['startup']}"),
        ("investor deal flow", "investor", "/funding/deal-flow"),
    ]
    port = _free_port()
    env["PORT"] = str(port)
    env["HOST"] = "127.0.0.1"
    base = f"http://127.0.0.1:{port}"
    log = (folder / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(600):  # at most a minute for the workers to answer
            try:
                if requests.get(base + "/auth/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer")
        most = max(levels)
        sessions = {
            role: [sign_in(base, DEMO_LOGINS[role], DEMO_PASSWORD) for _ in range(most)]
            for role in ("founder", "investor")
        }
        started = time.perf_counter()
        for _, role, path in pages:  # warm every worker (model, index, caches)
            for http in sessions[role][: WORKERS * args.warmup]:
                http.get(base + path, timeout=120)
        print(f"warm-up: {time.perf_counter() - started:.1f} s")
        print(f"load average before: {os.getloadavg()}")
        rows = []
        for n in levels:
            for name, role, path in pages:
                r = drive(sessions[role][:n], base + path, args.seconds)
                rate = len(r.latencies) / args.seconds
                rows.append(
                    f"| {name} | {n} | {len(r.latencies)} | {r.errors} | {rate:.1f} | "
                    f"{percentile(r.latencies, 50) * 1000:.0f} | "
                    f"{percentile(r.latencies, 95) * 1000:.0f} |"
                )
                print(rows[-1], flush=True)
        rss = worker_rss_mb(server.pid)
        print()
        print("| page | clients | requests | errors | req/s | p50 ms | p95 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))
        print()
        print("RSS per worker (MB): " + ", ".join(f"{m:.0f}" for m in rss))
        print(f"load average after: {os.getloadavg()}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
