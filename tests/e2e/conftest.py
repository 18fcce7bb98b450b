"""Browser tests: the real app served on a free localhost port, driven by Debian's chromium
through Playwright. Skipped where chromium is not installed (make test installs it), except where
MATCHMAKER_REQUIRE_BROWSER is set (CI): there a missing browser fails the run."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from matchmaker.services.recommendations.engine_settings import get_embedder

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def playwright_browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("MATCHMAKER_REQUIRE_BROWSER"):
            pytest.fail("Debian chromium is not installed and MATCHMAKER_REQUIRE_BROWSER is set")
        pytest.skip("Debian chromium is not installed")
    from playwright import sync_api  # a test dependency: missing it is an error, not a skip

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app in a background thread; yields its base URL."""
    app = make_app(SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    # The real embedding model, loaded before the browser starts clicking (as a long-running
    # server would have it), so no page waits for the model to load.
    get_embedder(app.config["EMBEDDING_MODEL"]).encode(["warm-up"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(playwright_browser: Any, live_server: str) -> Iterator[Any]:
    context = playwright_browser.new_context(
        base_url=live_server, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if os.environ.get("MATCHMAKER_E2E_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['MATCHMAKER_E2E_SCREENSHOTS']}/last.png", full_page=True)
    context.close()
