"""What the browser tests do the same way: sign in through the real form."""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD


def sign_in(page: Any, email: str) -> None:
    """Sign out, then sign in as ``email`` through the login form; returns once the page the
    sign-in redirects to has loaded."""
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
