"""Index publishing, measured across real processes (docs/benchmarks.md, "Index publishing").

Starts N single-process gunicorn web servers (gunicorn.conf.py, each on its own port, so every
process can be asked) and one ``flask worker`` on a fresh demo database, then measures:

- the first ``/search`` of each web process after it answers (the engine and query model are
  loaded by the post-fork warm-up, not by the request);
- the time from a profile save (commit + ``profile_changed``, what every use case does) to every
  web process showing the edit, ``--edits`` times;
- the RSS of each web process (and how much of it is file-backed, i.e. the mmap'd index).

    python scripts/bench_index_publishing.py --webs 2 --edits 5
    python scripts/bench_index_publishing.py --database-url postgresql+psycopg://... --model hashing
    python scripts/bench_index_publishing.py --database-url postgresql+psycopg://... \
        --model hashing --data-dir <folder> --edit-timeout 1800

``--data-dir``: a database and data folder prepared earlier (``scripts/bench_http.py --prepare
--scale N --data-dir <folder>`` builds one with N profiles per kind, its index under
``<folder>/indexes``) instead of a fresh demo database.

Everything runs on 127.0.0.1 and stops at the end.
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
import time
from pathlib import Path

import requests
import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(PROJECT / "scripts"))

from bench_http import process_memory  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss(pid: int) -> tuple[float, float]:
    """(RSS, file-backed part) in MB of the process ``pid``."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("RssFile", 0.0)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _shows(url: str, token: str, mentor_id: int) -> bool:
    reply = requests.get(
        f"{url}/search",
        params={"q": token, "kind": "mentor"},
        timeout=60,
        headers={"Connection": "close"},
    )
    reply.raise_for_status()
    return f"/mentors/{mentor_id}" in reply.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--model", default="use-multilingual-v3")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--data-dir",
        help="serve this prepared folder (its indexes/) and --database-url as they are",
    )
    parser.add_argument(
        "--edit-timeout", type=float, default=120.0, help="seconds to wait for an edit to show"
    )
    args = parser.parse_args()
    if args.data_dir and not args.database_url:
        parser.error("--data-dir needs the --database-url it was prepared with")

    work = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-publish-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update(
        {
            "MATCHMAKER_DATABASE_URL": url,
            "MATCHMAKER_SECRET_KEY": secrets.token_hex(32),
            "MATCHMAKER_INDEX_DIR": str(work / "indexes"),
            # A prepared folder was built with the project's models (bench_http.py): the same
            # scoring artifacts, or the first publication rebuilds every kind.
            "MATCHMAKER_MODEL_DIR": str(PROJECT / "models" if args.data_dir else work / "models"),
            "MATCHMAKER_UPLOAD_DIR": str(work / "uploads"),
            "MATCHMAKER_QUEUE_DATABASE": str(work / "jobs.sqlite3"),
            "MATCHMAKER_EMBEDDING_MODEL": args.model,
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    flask = [str(BIN / "flask"), "--app", "matchmaker"]
    if not args.data_dir:
        for step in (["db", "upgrade"], ["demo-data"], ["index", "build", "--quiet"]):
            subprocess.run(flask + step, env=env, cwd=PROJECT, check=True, capture_output=True)
    os.environ.update(env)  # this process saves the edits, as a web process would

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import Mentor
    from matchmaker.services.accounts import profile_events

    app = create_app()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        worker = subprocess.Popen(
            flask + ["worker", "--no-periodic"],
            env=env,
            cwd=PROJECT,
            stdout=(work / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(worker)
        webs = []
        for n in range(args.webs):
            port = _port()
            proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--config",
                    "gunicorn.conf.py",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                env=env,
                cwd=PROJECT,
                stdout=(work / f"web{n}.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            procs.append(proc)
            webs.append((f"http://127.0.0.1:{port}", proc))
        first_search = []
        for web_url, _ in webs:
            while True:
                try:
                    if requests.get(web_url + "/auth/login", timeout=60).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            started = time.perf_counter()
            requests.get(web_url + "/search", params={"q": "XRD testing"}, timeout=60)
            first_search.append(time.perf_counter() - started)
        with app.app_context():
            mentor_id = int(db.session.scalar(sa.select(Mentor.id).order_by(Mentor.id).limit(1)))
            # Warm the worker (a long-running one is): one save that changes nothing.
            profile_events.profile_changed("mentor", mentor_id)
        worker_log = work / "worker.log"
        while True:  # until a publication job has run
            parts = worker_log.read_text(errors="replace").split("Executing matchmaker.jobs.index")
            if len(parts) > 2 and "publish_indexes" in parts[-1] and "executed in" in parts[-1]:
                break
            time.sleep(0.2)
        visible = []
        for n in range(args.edits):
            token = f"quasicrystal{n}zz{secrets.token_hex(3)}"
            with app.app_context():
                row = db.session.get(Mentor, mentor_id)
                assert row is not None
                row.expertise = f"{row.expertise} {token}"
                db.session.commit()
                saved = time.perf_counter()
                profile_events.profile_changed("mentor", mentor_id)
            pending = [w for w, _ in webs]
            while pending and time.perf_counter() - saved < args.edit_timeout:
                pending = [w for w in pending if not _shows(w, token, mentor_id)]
            visible.append(time.perf_counter() - saved)
            if pending:
                print(f"edit {n}: not shown by {len(pending)} process(es) in {args.edit_timeout} s")
        # Workers a master replaced (it follows new versions) finish their requests and leave
        # within the graceful timeout: measure the ones that serve.
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and any(len(_children(p.pid)) > 1 for _, p in webs):
            time.sleep(0.5)
        rss = []
        unique = []
        for _, proc in webs:
            for child in _children(proc.pid):
                try:
                    rss.append(_rss(child))
                    unique.append(process_memory(child).uss)
                except OSError:  # left meanwhile
                    continue
        load = os.getloadavg()
        print(f"model {args.model}, {args.webs} web processes, database {url.split(':')[0]}")
        print("first /search per process (s):", ", ".join(f"{s:.2f}" for s in first_search))
        print(
            "edit -> every process shows it (s):",
            ", ".join(f"{s:.2f}" for s in visible),
            f"median {statistics.median(visible):.2f}, max {max(visible):.2f}",
        )
        print(
            "RSS per web worker (MB, of which file-backed):",
            ", ".join(f"{a:.0f} ({f:.0f})" for a, f in rss),
        )
        print(
            "USS per web worker (MB, pages no other process maps):",
            ", ".join(f"{u:.0f}" for u in unique),
        )
        embeds = (work / "worker.log").read_text().count("embedded 1 mentor text(s)")
        web_embeds = sum(
            (work / f"web{n}.log").read_text().count("embedded") for n in range(args.webs)
        )
        print(
            f"mentor embeddings by the worker: {embeds};"
            f" profile embeddings by web processes: {web_embeds}"
        )
        published = re.findall(
            r"published index version \d+ under .*?, ([\d.]+) s,", worker_log.read_text()
        )
        print("publications by the worker (s):", ", ".join(published) or "none")
        print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
