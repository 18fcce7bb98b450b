"""A real multi-process server for the HTTP concurrency suite (no tests here).

``live_server`` starts gunicorn (4 sync workers, so 4 processes really serve requests at once)
on 127.0.0.1 and a free port, against the test database, with its settings from ``MATCHMAKER_*``
variables as in production: CSRF on, a secret key, no rate limit on sign-in (the suite signs in
many users from one address). The fixture always stops the server, and shows its log when a test
failed. ``Browser`` is a user's ``requests`` session: it signs in through the real form and posts
forms with their CSRF token.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

PROJECT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 4
READY_PROBES = 600  # a bounded number of 0.1 s waits for the workers to answer (a minute)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    log: Path

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """gunicorn -w 4 on 127.0.0.1, serving the test database; stopped after the module."""
    with serve(database_url, tmp_path_factory.mktemp("live")) as server:
        yield server


@contextmanager
def serve(
    database_url: str, workdir: Path, settings: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """gunicorn -w 4 on a free port of 127.0.0.1; ``settings`` are extra ``MATCHMAKER_*``
    variables (the rate-limit suite turns the limits on). Always stopped on the way out."""
    port = _free_port()
    env = {
        **os.environ,
        "MATCHMAKER_DATABASE_URL": database_url,
        "MATCHMAKER_SECRET_KEY": secrets.token_hex(32),
        "MATCHMAKER_RATELIMIT_ENABLED": "false",
        "MATCHMAKER_RATELIMIT_DATABASE": str(workdir / "ratelimits.sqlite3"),
        "MATCHMAKER_INDEX_DIR": str(workdir / "indexes"),
        "MATCHMAKER_MODEL_DIR": str(workdir / "models"),
        "MATCHMAKER_UPLOAD_DIR": str(workdir / "uploads"),
        "MATCHMAKER_QUEUE_DATABASE": str(workdir / "jobs.sqlite3"),
        # The model-free embedder: a refused accept re-renders the session page with the match
        # reasons, and loading the real model in each worker is not what these races measure.
        "MATCHMAKER_EMBEDDING_MODEL": "hashing",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **(settings or {}),
    }
    env.pop("MATCHMAKER_TEST_DATABASE_URL", None)
    env.pop("MATCHMAKER_REDIS_URL", None)  # the local shared store unless a test asks for Redis
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "10",
                "--chdir",
                str(PROJECT),
                "matchmaker:create_app()",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, and only it
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log)
    try:
        for _ in range(READY_PROBES):
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}:\n{server.tail()}")
            try:
                if requests.get(server.url + "/auth/login", timeout=60).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or a worker still booting
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer:\n{server.tail()}")
        yield server
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        # Quick shutdown (the master stops its workers at once): every reply a test waits for
        # has arrived, and a graceful stop waited out its timeout on idle workers.
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group is this server's alone
            proc.wait(timeout=30)


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connections from a chosen loopback address (all of 127.0.0.0/8 is this machine)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """One visitor: a cookie jar, signed in (or not) through the real pages."""

    def __init__(self, base: str, source: str | None = None) -> None:
        self.base = base
        self.source = source
        self.http = requests.Session()
        if source is not None:  # another loopback address (127.0.0.2...): another visitor's IP
            adapter = _SourceAddressAdapter(source)
            self.http.mount("http://", adapter)
        # A fresh connection per request: gunicorn's worker may close an idle keep-alive
        # connection just as a reused one sends (a client-side race, not the server's answer).
        self.http.headers["Connection"] = "close"

    def _loopback_is_secure(self, reply: requests.Response) -> requests.Response:
        """A production app marks its cookies Secure; browsers still send them to
        http://127.0.0.1 (a loopback origin counts as secure), and so does this client."""
        for cookie in self.http.cookies:
            cookie.secure = False
        return reply

    def token(self, path: str) -> str:
        page = self._loopback_is_secure(self.http.get(self.base + path, timeout=60))
        assert page.status_code == 200, (path, page.status_code)
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, email: str, password: str = "password123") -> Browser:
        token = self.token("/auth/login")
        reply = self.post(
            "/auth/login", {"email": email, "password": password, "csrf_token": token}
        )
        assert reply.status_code == 302, (email, reply.status_code)
        return self

    def twin(self) -> Browser:
        """Another tab of the same signed-in user (its own connection, the same cookies)."""
        other = Browser(self.base, self.source)
        other.http.cookies.update(self.http.cookies)
        return other

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        reply = self.http.post(self.base + path, data=data, allow_redirects=False, timeout=120)
        return self._loopback_is_secure(reply)


@dataclass(frozen=True)
class Click:
    """One form submission of a wave: ``browser`` posts ``data`` to ``path``."""

    browser: Browser
    path: str
    data: dict[str, Any]
    label: Any = None


@dataclass(frozen=True)
class Reply:
    label: Any
    status: int
    location: str


def storm(waves: Sequence[Sequence[Click]]) -> list[Reply]:
    """Post every wave's clicks at once (one thread per click, released by a barrier), one wave
    after the other; replies in click order (status -1: the connection failed)."""
    replies: list[Reply] = []
    for wave in waves:
        barrier = threading.Barrier(len(wave), timeout=300)
        out: list[Reply | None] = [None] * len(wave)

        def fire(i: int, click: Click, out: list[Reply | None] = out, gate: Any = barrier) -> None:
            gate.wait()
            try:
                r = click.browser.post(click.path, click.data)
                out[i] = Reply(click.label, r.status_code, r.headers.get("Location", ""))
            except requests.RequestException as exc:
                out[i] = Reply(click.label, -1, repr(exc))

        threads = [threading.Thread(target=fire, args=(i, c)) for i, c in enumerate(wave)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert None not in out, "a click never returned"
        replies += [r for r in out if r is not None]
    return replies
