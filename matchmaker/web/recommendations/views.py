"""Where users see the engine: dashboard panels, startup-page sections and the search page.

Thin: each provider calls one ``services.recommendations.bridge`` use case and turns its matches
into view-models (name, link, reasons already worded in the reader's language), so templates never
query. The blueprint is named ``search`` so the navbar's ``url_for('search.index')`` finds it.
An engine failure never breaks the page that hosts a panel: it is logged and the panel says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Startup
from matchmaker.services.accounts import dashboard
from matchmaker.services.funding import asks
from matchmaker.services.mentoring import queries
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations import freshness
from matchmaker.web.i18n import current_locale
from matchmaker.web.panels import DashboardPanel
from matchmaker.web.recommendations.caller import engine_caller
from matchmaker.web.recommendations.reasons import reason_texts

bp = Blueprint("search", __name__)

PANEL_SIZE = 3
DEAL_FLOW_SIZE = 5
SEARCH_SIZE = 20
SEARCH_KINDS = {
    "equipment": _l("Equipment"),
    "mentor": _l("Mentors"),
    "investor": _l("Investors"),
}


@dataclass(frozen=True)
class MatchView:
    kind: str
    id: int
    name: str
    url: str
    subtitle: str
    reasons: list[str]
    score: float


@dataclass
class MatchGroup:
    title: Any
    items: list[MatchView] = field(default_factory=list)
    empty: Any = ""
    more_url: str | None = None
    testid: str = ""
    failed: bool = False  # the engine or a read failed: the group says so


def _view(match: reco.Match, viewer: str) -> MatchView:
    e = match.entity
    if match.kind == "startup":
        url = url_for("directory.startup", startup_id=e.id)
        name, subtitle = e.name, e.one_liner or ""
    elif match.kind == "mentor":
        url = url_for("directory.mentor", mentor_id=e.id)
        name, subtitle = e.user.display_name, e.headline or ""
    elif match.kind == "investor":
        url = url_for("directory.investor", investor_id=e.id)
        name, subtitle = e.name, str(_label(vocab.INVESTOR_TYPES, e.type))
    else:
        url = url_for("directory.equipment_detail", equipment_id=e.id)
        name, subtitle = e.name, e.facility.name
    return MatchView(
        match.kind, match.id, name, url, subtitle, reason_texts(match.reasons, viewer), match.score
    )


def _tie_view(tie: reco.Tie) -> MatchView:
    if tie.kind == "mentor":
        url, subtitle = url_for("directory.mentor", mentor_id=tie.id), tie.headline
    else:
        url = url_for("directory.investor", investor_id=tie.id)
        subtitle = str(_label(vocab.INVESTOR_TYPES, tie.fund_type or ""))
    return MatchView(
        tie.kind, tie.id, tie.name, url, subtitle, reason_texts(tie.reasons, "startup"), 1.0
    )


def _label(vocabulary: vocab.Labels, code: str) -> str:

    return vocab.label(vocabulary, code, current_locale()) if code else ""


def _group(
    title: Any, viewer: str, fn: Callable[[], list[reco.Match]], empty: Any, testid: str
) -> MatchGroup:
    matches = reco.matches_or_none(db.session, fn)
    if matches is None:
        unavailable = _l("Recommendations are unavailable right now.")
        return MatchGroup(title, [], unavailable, None, testid, failed=True)
    return MatchGroup(title, [_view(m, viewer) for m in matches], empty, None, testid)


def _panel(title: Any, groups: list[MatchGroup], testid: str, *, order: int) -> DashboardPanel:
    """A panel of match groups (``recommendations/_panel.html``) on the dashboard or a startup's
    page; ``order`` places it among the other areas' panels."""
    return DashboardPanel(
        "recommendations/_panel.html",
        {"title": title, "groups": groups, "testid": testid},
        order=order,
    )


def need_text(startup: Startup) -> str:
    """What a startup needs from equipment, in words both legs of the engine read."""
    services = [
        " ".join(vocab.CHAIN_SERVICES[c])
        for c in startup.services_needed
        if c in vocab.CHAIN_SERVICES
    ]
    return ". ".join(p for p in (startup.one_liner, startup.description, *services) if p)


def investor_matches(startup: Startup, size: int) -> list[reco.Match]:
    """The ask page's investor list (one fit filter on round, ticket, instrument, region and
    sector, with the profile's need standing in before an ask exists), as panel matches."""
    use_engine = bool(current_app.config.get("FUNDING_USE_ENGINE", True))
    return asks.investor_recommendations(
        db.session, startup, size, use_engine=use_engine, caller=engine_caller()
    )


def startup_groups(
    startup: Startup, size: int = PANEL_SIZE, *, equipment: bool = True
) -> list[MatchGroup]:
    """The startup's mentor, investor (and equipment) groups, worded for the reader. Remembered
    with the served engine's answers (``bridge.remembered_for_startup``) for the same engine
    state and reader's language, while the startup's own rows (its need) and this process's
    writes stay the same, and at most ``KEEP_SECONDS`` (another worker's edit of a mentor or a
    fund: ``services.recommendations.freshness``): the dashboard and the startup page ask for
    the same groups on every load. A failed group is never remembered."""
    session = db.session

    def key() -> tuple[Any, ...]:
        own = freshness.startup_watermark(session, startup.id)
        return ("groups", size, equipment, current_locale(), own, freshness.local_writes())

    groups = reco.matches_or_none(
        session,
        lambda: reco.remembered_for_startup(
            session,
            startup.id,
            key,
            lambda: _startup_groups(startup, size, equipment=equipment),
            capacity=("mentor", "equipment") if equipment else ("mentor",),
            keep=lambda groups: not any(g.failed for g in groups),
            max_age=freshness.KEEP_SECONDS,
            caller=engine_caller(),
        ),
    )
    # The engine state could not be read: each group then says whether it failed.
    return _startup_groups(startup, size, equipment=equipment) if groups is None else groups


def _startup_groups(startup: Startup, size: int, *, equipment: bool) -> list[MatchGroup]:
    session = db.session
    groups = [
        _group(
            _l("Mentors"),
            "startup",
            lambda: reco.recommend_mentors(session, startup.id, size, caller=engine_caller()),
            _l("No mentor with free capacity matches yet."),
            "reco-mentors",
        ),
        _group(
            _l("Investors"),
            "startup",
            lambda: investor_matches(startup, size),
            _l("No investor matches your ask yet."),
            "reco-investors",
        ),
        _group(
            _l("Equipment"),
            "search",
            lambda: reco.recommend_equipment(
                session, need_text(startup), limit=size, caller=engine_caller()
            ),
            _l("No equipment matches your needs yet."),
            "reco-equipment",
        )
        if equipment
        else None,
    ]
    # Groups are computed as they are built: a page without the equipment group must not ask
    # for it (the startup page used to compute it, with every instrument's free hours, and
    # drop it).
    return [g for g in groups if g is not None]


# Ties the platform records (a fund's portfolio entry, a past mentee) or the startup's own
# description states ("backed by SV Angel"): shown as such, never recommended
# (``bridge.current_ties``).
CURRENT_TIES = (("investor", _l("Current backers")), ("mentor", _l("Current mentors")))


def current_ties_panels(startup: Startup, order: int) -> list[DashboardPanel]:
    """The founders' view of their recorded and named backers and mentors: one panel, or none
    when there is none (or the engine is unavailable: nothing to show, nothing wrong)."""
    ties = reco.matches_or_none(
        db.session, lambda: reco.current_ties(db.session, startup.id, caller=engine_caller())
    )
    groups = [
        MatchGroup(title, [_tie_view(t) for t in ties or () if t.kind == kind])
        for kind, title in CURRENT_TIES
    ]
    groups = [g for g in groups if g.items]
    if not groups:
        return []
    for g in groups:
        g.testid = f"current-{g.items[0].kind}s"
    title = groups[0].title if len(groups) == 1 else _l("Current backers and mentors")
    context = {"title": title, "groups": groups, "testid": "current-ties"}
    return [DashboardPanel("recommendations/_panel.html", context, order=order)]


def _user_startups(user: Any) -> list[Startup]:
    # The dashboard's shared read of the user's startups (one query for every panel).
    return dashboard.active_member_startups(db.session, user)[:2]


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    panels = []
    if user.has_role("founder"):
        for startup in _user_startups(user):
            panels.append(
                _panel(
                    _l("Recommended for %(name)s", name=startup.name),
                    startup_groups(startup),
                    "reco-founder",
                    order=20,
                )
            )
            panels.extend(current_ties_panels(startup, order=21))
    if user.has_role("mentor"):
        mentor = dashboard.mentor_profile_of(db.session, user)
        if mentor is not None and mentor.is_active:
            suggest, empty = queries.deal_flow_state(db.session, mentor)
            group = _group(
                _l("Startups you could help"),
                "candidate",
                lambda: (
                    reco.recommend_startups_for_mentor(
                        db.session, mentor.id, DEAL_FLOW_SIZE, caller=engine_caller()
                    )
                    if suggest
                    else []
                ),
                empty,
                "reco-deal-flow",
            )
            panels.append(_panel(_l("Deal flow"), [group], "reco-mentor", order=20))
    if user.has_role("investor"):
        funds = dashboard.active_funds_of(db.session, user, limit=2)
        for fund in funds:
            group = _group(
                _l("Startups for %(name)s", name=fund.name),
                "candidate",
                lambda fund_id=fund.id: reco.recommend_startups_for_investor(  # type: ignore[misc]
                    db.session, fund_id, DEAL_FLOW_SIZE, caller=engine_caller()
                ),
                _l("No startup matches your thesis yet."),
                "reco-deal-flow",
            )
            panels.append(_panel(_l("Deal flow"), [group], "reco-investor", order=20))
    return panels


def startup_sections(startup: Startup, user: Any) -> list[DashboardPanel]:
    panels = []
    member = getattr(user, "is_authenticated", False) and (
        startup.has_member(user) or user.is_operator
    )
    if member and startup.is_active:
        panels.append(
            _panel(
                _l("Recommended for this startup"),
                startup_groups(startup, equipment=False),
                "reco-for-startup",
                order=30,
            )
        )
        panels.extend(current_ties_panels(startup, order=31))
    similar = _group(
        _l("Similar startups"),
        "search",
        lambda: reco.similar_startups(db.session, startup.id, 5, caller=engine_caller()),
        _l("No similar startup yet."),
        "reco-similar",
    )
    panels.append(_panel(_l("Similar startups"), [similar], "reco-similar-panel", order=40))
    return panels


def _kinds(values: Sequence[str]) -> list[str]:
    kinds = [k for k in values if k in SEARCH_KINDS]
    return kinds or list(SEARCH_KINDS)


@bp.get("/search")
def index() -> str:
    """Free-text search across equipment, mentors and investors, with reasons."""
    q = (request.args.get("q") or "").strip()[:300]
    kinds = _kinds(request.args.getlist("kind"))
    results: list[MatchView] | None = []
    if q:
        matches = reco.matches_or_none(
            db.session,
            lambda: reco.search(db.session, q, kinds, SEARCH_SIZE, caller=engine_caller()),
        )
        results = None if matches is None else [_view(m, "search") for m in matches]
    return render_template(
        "recommendations/search.html",
        q=q,
        kinds=kinds,
        kind_labels=SEARCH_KINDS,
        results=results,
        examples=[_l("XRD testing for a battery cathode"), _l("patent lawyer")],
    )
