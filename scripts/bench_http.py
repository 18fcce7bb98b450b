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
import itertools
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
from typing import Any

import requests

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "scripts"))

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


def prepare(url: str, env: dict[str, str], scale: int = 0) -> None:
    """A fresh database with the demo data (grown to ``scale`` profiles per kind, if given)
    and a built index."""
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
    if scale:
        from bench_scale_data import grow

        started = time.perf_counter()
        took = grow(url, scale)
        print(f"grown to {scale} per kind in {time.perf_counter() - started:.1f} s: {took}")
    started = time.perf_counter()
    subprocess.run([*flask, "index", "build"], env=env, check=True, cwd=PROJECT)
    print(f"index build (flask index build): {time.perf_counter() - started:.1f} s", flush=True)


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
    starts after the deadline; each has a 60 s timeout). A ``{n}`` in ``url`` becomes a new
    number on every request (a query no worker has seen)."""
    result = PageResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    numbers = itertools.count()

    def client(http: requests.Session) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                target = url.replace("{n}", str(next(numbers)))
                ok = http.get(target, timeout=60, allow_redirects=False).status_code == 200
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


@dataclass(frozen=True)
class Memory:
    """One process's memory in MB: resident (shared pages counted whole), proportional (shared
    pages divided among the processes mapping them) and unique (pages only it maps)."""

    rss: float
    pss: float
    uss: float


def process_memory(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name.strip()] = int(rest.split()[0])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(fields["Rss"] / 1024, fields["Pss"] / 1024, uss / 1024)


def worker_memory(master: int) -> list[Memory]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted((process_memory(int(pid)) for pid in children), key=lambda m: m.rss)


def memory_line(master: int) -> str:
    workers = worker_memory(master)
    return (
        "per worker, MB: RSS "
        + ", ".join(f"{m.rss:.0f}" for m in workers)
        + "; PSS "
        + ", ".join(f"{m.pss:.0f}" for m in workers)
        + "; USS "
        + ", ".join(f"{m.uss:.0f}" for m in workers)
        + f"; master RSS {process_memory(master).rss:.0f}"
    )


def workers_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the master's current workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:  # a worker that just exited
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / ticks


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
    parser.add_argument(
        "--scale", type=int, default=0, help="with --prepare: grow to N profiles per kind"
    )
    parser.add_argument("--embedding-model", help="EMBEDDING_MODEL of the run (default: the app's)")
    parser.add_argument("--seconds", type=float, default=15.0, help="per page and client count")
    parser.add_argument("--clients", default="8,32", help="comma-separated client counts")
    parser.add_argument("--warmup", type=int, default=2, help="requests per page per worker first")
    parser.add_argument(
        "--restart",
        choices=("cold", "hup"),
        help="instead of the table: restart gunicorn while clients run (restart_under_load)",
    )
    parser.add_argument("--restart-after", type=float, default=5.0, help="seconds into the run")
    parser.add_argument(
        "--data-dir",
        help="serve this data folder (its indexes/, queue...) instead of a fresh temporary one:"
        " with a database prepared earlier, skips --prepare's build",
    )
    parser.add_argument(
        "--start-timeout", type=float, default=60.0, help="seconds to wait for the first answer"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]

    from matchmaker.demo import DEMO_LOGINS, DEMO_PASSWORD

    folder = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-http-"))
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
    if args.embedding_model:
        env["MATCHMAKER_EMBEDDING_MODEL"] = args.embedding_model
    if args.prepare:
        prepare(args.database_url, env, args.scale)
    ids = demo_ids(args.database_url)
    pages = [
        ("directory /startups", "founder", "/startups"),
        ("founder dashboard /", "founder", "/"),
        (f"startup page /startups/{ids['startup']}", "founder", f"/startups/{ids['startup']}"),
        ("/search?q=battery+materials", "founder", "/search?q=battery+materials"),
        ("/search, a new query each time", "founder", "/search?q=battery+materials+{n}"),
        (f"pathway /pathway/{ids['startup']}", "founder", f"/pathway/{ids['startup']}"),
        ("investor deal flow", "investor", "/funding/deal-flow"),
    ]
    port = _free_port()
    env["PORT"] = str(port)
    env["HOST"] = "127.0.0.1"
    base = f"http://127.0.0.1:{port}"
    log = (folder / "gunicorn.log").open("ab")
    servers = [start_server(env, log)]
    try:
        print(f"first answer after {wait_until_answering(base, args.start_timeout):.1f} s")
        most = max(levels)
        sessions = {
            role: [sign_in(base, DEMO_LOGINS[role], DEMO_PASSWORD) for _ in range(most)]
            for role in ("founder", "investor")
        }
        started = time.perf_counter()
        for _, role, path in pages:  # warm every worker (model, index, caches)
            for http in sessions[role][: WORKERS * args.warmup]:
                http.get(base + path.replace("{n}", "warm"), timeout=120)
        print(f"warm-up: {time.perf_counter() - started:.1f} s")
        print(f"load average before: {os.getloadavg()}")
        if args.restart:
            restart_under_load(args, env, log, servers, base, sessions["founder"], pages)
            print(f"load average after: {os.getloadavg()}")
            return
        rows = []
        for n in levels:
            for name, role, path in pages:
                # CPU per request of the web workers and of this load generator (which shares
                # the machine's cores): less sensitive to other load than req/s.
                server_cpu, client_cpu = workers_cpu_seconds(servers[-1].pid), time.process_time()
                r = drive(sessions[role][:n], base + path, args.seconds)
                server_cpu = workers_cpu_seconds(servers[-1].pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                done = max(1, len(r.latencies) + r.errors)
                rate = len(r.latencies) / args.seconds
                rows.append(
                    f"| {name} | {n} | {len(r.latencies)} | {r.errors} | {rate:.1f} | "
                    f"{percentile(r.latencies, 50) * 1000:.0f} | "
                    f"{percentile(r.latencies, 95) * 1000:.0f} | "
                    f"{server_cpu / done * 1000:.1f} | {client_cpu / done * 1000:.1f} |"
                )
                print(rows[-1], flush=True)
        memory = memory_line(servers[-1].pid)
        print()
        print(
            "| page | clients | requests | errors | req/s | p50 ms | p95 ms"
            " | workers' CPU ms/req | load generator's CPU ms/req |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))
        print()
        print(memory)
        print(f"load average after: {os.getloadavg()}")
    finally:
        for server in servers:
            stop_server(server)
        log.close()
        timeouts = (folder / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
        print(f"worker timeouts in the gunicorn log: {timeouts}")


def start_server(env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def wait_until_answering(base: str, seconds: float = 60.0) -> float:
    """Seconds until ``/auth/login`` answers 200 (bounded)."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            if requests.get(base + "/auth/login", timeout=5).status_code == 200:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not answer")


def _short(exc: Exception) -> str:
    """The innermost reason of a requests error, e.g. 'RemoteDisconnected'."""
    reason: BaseException = exc
    for _ in range(10):  # a chain of causes is short; never loop on a cycle
        inner = reason.__cause__ or reason.__context__
        if inner is None:
            break
        reason = inner
    return f"{type(exc).__name__} ({type(reason).__name__})"


def restart_under_load(
    args: argparse.Namespace,
    env: dict[str, str],
    log: Any,
    servers: list[subprocess.Popen[bytes]],
    base: str,
    founders: list[requests.Session],
    pages: list[tuple[str, str, str]],
) -> None:
    """``--restart cold``: stop gunicorn (SIGTERM) and start a new one on the same port while
    the clients run; ``--restart hup``: SIGHUP, gunicorn's own reload (new workers, cold, then
    the old ones leave). Clients cycle through the founder's pages; a refused connection while
    no server listens is retried after 0.2 s and counted apart. An error is any other failure:
    a non-200 answer, a reset connection or a 60 s timeout."""
    paths = [path.replace("{n}", "restart") for _, role, path in pages if role == "founder"]
    clients = founders[: max(int(n) for n in args.clients.split(","))]
    deadline = time.perf_counter() + args.seconds
    lock = threading.Lock()
    served: list[tuple[float, float]] = []  # (when it finished, latency)
    errors: list[str] = []
    refused = 0

    def client(http: requests.Session, offset: int) -> None:
        nonlocal refused
        turn = offset
        while time.perf_counter() < deadline:
            path = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            try:
                status = http.get(base + path, timeout=60, allow_redirects=False).status_code
            except requests.ConnectionError as exc:
                if "refused" in str(exc).lower():
                    with lock:
                        refused += 1
                    time.sleep(0.2)
                    turn -= 1  # the same page again once a server listens
                    continue
                with lock:
                    errors.append(f"{path}: {_short(exc)}")
                continue
            except requests.RequestException as exc:
                with lock:
                    errors.append(f"{path}: {_short(exc)}")
                continue
            now = time.perf_counter()
            with lock:
                if status == 200:
                    served.append((now, now - started))
                else:
                    errors.append(f"{path}: {status}")

    threads = [threading.Thread(target=client, args=(http, i)) for i, http in enumerate(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.restart_after)
    restarted = time.perf_counter()
    if args.restart == "hup":
        servers[-1].send_signal(signal.SIGHUP)
        answering = stopped = 0.0
    else:
        stop_server(servers[-1])
        stopped = time.perf_counter() - restarted
        servers.append(start_server(env, log))
        answering = wait_until_answering(base)
    for t in threads:
        t.join()
    after = [lat for when, lat in served if when > restarted]
    print(
        f"restart ({args.restart}) after {restarted - began:.1f} s of {args.seconds:.0f} s,"
        f" {len(clients)} clients over {len(paths)} founder pages"
    )
    if args.restart == "cold":
        print(
            f"old server stopped after {stopped:.1f} s (graceful: in-flight requests finish);"
            f" the new one answered {answering:.1f} s after its start"
        )
    print(
        f"served {len(served)} (after the restart: {len(after)}, p50"
        f" {percentile(after, 50) * 1000:.0f} ms, p95 {percentile(after, 95) * 1000:.0f} ms,"
        f" max {max(after, default=float('nan')) * 1000:.0f} ms);"
        f" errors {len(errors)}; refused while no server listened (retried) {refused}"
    )
    for line in errors[:20]:
        print("  error:", line)
    time.sleep(2)  # the new workers' memory once they served
    print(memory_line(servers[-1].pid))


if __name__ == "__main__":
    main()
