"""In a real browser, under the Content-Security-Policy (matchmaker/web/security.py): the main
pages of each role load without a CSP violation or console error, the scripts moved out of the
templates still work (charts, the investor form, the print button), and an injected inline
event handler does not run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import Equipment
from matchmaker.models.operator import Policy
from tests.e2e.browser import sign_in
from tests.factories import (
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The fast hashing embedder: these pages do not depend on the engine's quality."""
    return {**app_config, "EMBEDDING_MODEL": "hashing"}


# Records every CSP violation and uncaught error from the first moment of each document
# (Playwright injects this through the DevTools protocol: the page's CSP does not apply to it).
LISTEN = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('CSP ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def _watch(page: Any) -> list[str]:
    """Console errors and page errors of ``page`` (Chrome also logs each CSP refusal here)."""
    problems: list[str] = []
    page.add_init_script(LISTEN)

    def on_console(message: Any) -> None:
        url = message.location.get("url", "")
        # The browser asks for /favicon.ico on its own; the app has none (a 404, not a CSP matter).
        if message.type == "error" and not url.endswith("/favicon.ico"):
            problems.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    return problems


def _visit(page: Any, problems: list[str], url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    assert "Content-Security-Policy" in {k.title() for k in response.headers}, url
    problems.extend(f"{url}: {p}" for p in page.evaluate("window.__problems"))


@pytest.fixture
def people(db_session: Session) -> dict[str, Any]:
    operator = make_user(db_session, "operator", locale="zh_CN")
    founder = make_user(db_session, "founder", locale="zh_CN")
    investor_user = make_user(db_session, "investor", locale="en")
    mentor_user = make_user(db_session, "mentor", locale="en")
    manager = make_user(db_session, "facility_manager", locale="zh_CN")
    startup = make_startup(
        db_session, founder, location="重庆两江新区", services_needed=["testing"]
    )
    make_startup(db_session, name="第二家", sectors=["new_materials"])
    investor = make_investor(db_session, investor_user, type="bank")
    mentor = make_mentor(db_session, mentor_user)
    facility = make_facility(db_session, manager, name="两江材料检测中心")
    equipment = Equipment(facility=facility, name="XRD", category="testing")
    policy = Policy(
        title_en="Chongqing subsidy", title_zh="重庆补助", kind="subsidy",
        locations=["重庆"], is_published=True, published_at=datetime.now(UTC),
        full_text_en="Line one\nLine two", full_text_zh="第一行\n第二行",
    )  # fmt: skip
    db_session.add_all([equipment, policy])
    db_session.commit()
    return {
        "operator": operator.email, "founder": founder.email, "investor": investor_user.email,
        "mentor": mentor_user.email, "manager": manager.email, "startup": startup.id,
        "investor_id": investor.id, "mentor_id": mentor.id, "facility": facility.id,
        "equipment": equipment.id, "policy": policy.id,
    }  # fmt: skip


def test_main_pages_of_each_role_have_no_csp_violation(page: Any, people: dict[str, Any]) -> None:
    p = people
    pages: dict[str | None, list[str]] = {
        None: ["/", "/auth/login", "/auth/register", "/startups", "/mentors", "/investors",
               "/facilities", "/equipment", f"/equipment/{p['equipment']}", "/policies/",
               f"/policies/{p['policy']}"],
        "founder": ["/", f"/pathway/{p['startup']}", f"/startups/{p['startup']}",
                    f"/me/startups/{p['startup']}/edit", f"/mentors/{p['mentor_id']}",
                    f"/investors/{p['investor_id']}", "/funding/", "/facilities/",
                    "/mentoring/"],
        "investor": ["/", f"/me/investors/{p['investor_id']}/edit", "/funding/deal-flow"],
        "mentor": ["/", "/mentoring/inbox", "/mentoring/availability"],
        "manager": ["/facilities/manage", "/facilities/manage/usage",
                    f"/facilities/{p['facility']}"],
        "operator": ["/operator/", "/operator/monitoring", "/operator/reports",
                     "/operator/pathways", "/operator/import", "/operator/policies",
                     "/operator/policies/new", f"/pathway/{p['startup']}"],
    }  # fmt: skip
    problems = _watch(page)
    for role, urls in pages.items():
        if role is None:
            page.context.clear_cookies()
        else:
            sign_in(page, p[role])
        for url in urls:
            _visit(page, problems, url)
    assert not problems, "\n".join(problems)


def test_moved_scripts_still_work(page: Any, people: dict[str, Any]) -> None:
    problems = _watch(page)

    sign_in(page, people["manager"])
    _visit(page, problems, "/facilities/manage/usage")
    assert page.evaluate("!!Chart.getChart(document.getElementById('usage-chart'))")

    sign_in(page, people["operator"])
    _visit(page, problems, "/operator/monitoring")
    assert page.locator("canvas.metric-chart").count() > 0
    assert page.evaluate(
        "[...document.querySelectorAll('canvas.metric-chart')].every(c => !!Chart.getChart(c))"
    )
    _visit(page, problems, "/operator/reports")
    page.click("[data-testid=report-generate]")  # the test queue runs the job at once
    page.wait_for_selector("[data-testid=report]")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.click("[data-print]")
    assert page.evaluate("window.__printed === true")

    sign_in(page, people["investor"])
    _visit(page, problems, f"/me/investors/{people['investor_id']}/edit")
    loans = page.locator("[data-show-for=bank]")
    guidance = page.locator("[data-show-for=government_guidance_fund]")
    assert loans.is_visible() and not guidance.is_visible()  # a bank sees its loan products
    page.select_option("#type", "government_guidance_fund")
    assert guidance.is_visible() and not loans.is_visible()

    assert not problems, "\n".join(problems)


def test_an_injected_inline_handler_does_not_run(page: Any, people: dict[str, Any]) -> None:
    page.add_init_script(LISTEN)
    page.goto("/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<img id=probe src=/no-such-image onerror=\"window.__pwned = 1\">')"
    )
    page.wait_for_function("window.__problems.length > 0")
    assert page.evaluate("window.__pwned") is None
    assert any("script-src" in p for p in page.evaluate("window.__problems"))
