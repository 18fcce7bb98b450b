"""/api/v1: the open data API (issue 17). Thin views: each calls one service and wraps its rows
in the response model that the OpenAPI document declares."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from spectree import Response as Responses

from matchmaker.api import schemas as S
from matchmaker.api.auth import ANY_SCOPE, authenticate_request, grant, requires
from matchmaker.api.problems import api_locale, from_exception
from matchmaker.api.spec import PROBLEM_STATUSES, api, document, problem_responses
from matchmaker.extensions import csrf, db
from matchmaker.models.api import API_SCOPES
from matchmaker.services import service_events as events
from matchmaker.services.api import own_data, public_data, tokens
from matchmaker.services.api import statistics as api_statistics
from matchmaker.services.operator.monitoring import dashboard
from matchmaker.web.recommendations.reasons import reason_text

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Only reads are served: nothing here takes a form, and the token, not a cookie, authenticates.
csrf.exempt(bp)

ERRORS = problem_responses(*PROBLEM_STATUSES)
DIRECTORY = "directory"  # tag of the endpoints answered with an ETag


bp.before_request(authenticate_request)


@bp.errorhandler(Exception)
def _problem(exc: Exception) -> Response:
    db.session.rollback()
    return from_exception(exc)


@bp.after_request
def _describe(response: Response) -> Response:
    """Every answer says what the token sees; directory pages get an ETag (If-None-Match ->
    304), and vary by token and language."""
    granted = g.get("api_grant")
    if granted is not None:
        response.headers["X-API-Scopes"] = " ".join(s for s in API_SCOPES if s in granted.scopes)
    if (rate := g.get("api_rate")) is not None:
        limit, window = rate
        response.headers["RateLimit-Limit"] = str(limit)
        response.headers["RateLimit-Remaining"] = str(window.remaining)
        if window.remaining == 0:
            response.headers["Retry-After"] = str(max(1, int(window.reset_time - time.time())))
    response.headers["Vary"] = "Authorization, Accept-Language"
    response.headers.setdefault("Cache-Control", "private, no-cache")
    view = current_app.view_functions.get(request.endpoint or "")
    if response.status_code == 200 and getattr(view, "api_conditional", False):
        response.add_etag()
        response.make_conditional(request)
    return response


def conditional(view: Any) -> Any:
    view.api_conditional = True
    return view


def _scopes() -> list[str]:
    return [s for s in API_SCOPES if s in grant().scopes]


def _after(query: Any) -> int:
    return int(query.cursor) if query.cursor else 0


def _next(cursor: int | None) -> str | None:
    return str(cursor) if cursor is not None else None


# --- the document and its page ---------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    return render_template("api/docs.html", spec=document())


# --- token -----------------------------------------------------------------------------------


def _with_locale(view: Any) -> Any:
    """Run the view in the caller's language (labels and titles it words)."""
    from functools import wraps

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(api_locale()):
            return view(*args, **kwargs)

    return wrapper


@bp.get("/token")
@api.validate(resp=Responses(HTTP_200=S.TokenInfo, **ERRORS), tags=["token"])
@requires(ANY_SCOPE)
@_with_locale
def token() -> S.TokenInfo:
    """What this token can see: its scopes, whose own data, its rate limit."""
    g_ = grant()
    return S.TokenInfo(
        scopes=_scopes(),  # type: ignore[arg-type]
        name=g_.name,
        can_see=[
            S.ScopeInfo(scope=s, description=str(tokens.SCOPE_LABELS[s]))  # type: ignore[arg-type]
            for s in _scopes()
        ],
        user_id=g_.user_id,
        rate_limit=S.RateLimit(limit_per_minute=g.api_rate[0], remaining=g.api_rate[1].remaining),
    )


# --- statistics and the event feed -----------------------------------------------------------


@bp.get("/statistics")
@api.validate(
    query=S.StatisticsQuery, resp=Responses(HTTP_200=S.StatisticsResponse, **ERRORS),
    tags=["statistics"],
)  # fmt: skip
@requires("statistics")
@_with_locale
def statistics() -> S.StatisticsResponse:
    """The operator console's monitoring figures for a period: per makerspace (each metric,
    by month where it is a time series) and per facility and instrument."""
    query: S.StatisticsQuery = request.context.query  # type: ignore[attr-defined]
    period = dashboard.Period.parse(
        query.start.isoformat() if query.start else None,
        query.end.isoformat() if query.end else None,
    )
    data = api_statistics.statistics(db.session, period, api_locale())
    return S.StatisticsResponse(scopes=_scopes(), data=S.StatisticsOut.model_validate(data))  # type: ignore[arg-type]


@bp.get("/events")
@api.validate(
    query=S.EventsQuery, resp=Responses(HTTP_200=S.EventsResponse, **ERRORS), tags=["statistics"]
)
@requires("statistics")
def service_events() -> S.EventsResponse:
    """Service events after the cursor, oldest first: each event exactly once across pages,
    however many arrive meanwhile. Keep the last next_cursor and ask again later."""
    query: S.EventsQuery = request.context.query  # type: ignore[attr-defined]
    page = events.events_since(db.session, _after(query), query.limit)
    return S.EventsResponse(
        scopes=_scopes(),  # type: ignore[arg-type]
        data=[
            S.EventOut(
                sequence=e.sequence, kind=e.kind,  # type: ignore[arg-type]
                occurred_at=e.occurred_at.isoformat(), startup_id=e.startup_id,
                facility_id=e.facility_id, subject_id=e.subject_id,
                amount=float(e.amount) if e.amount is not None else None,
            )
            for e in page.events
        ],
        next_cursor=str(page.cursor),
        has_more=len(page.events) == query.limit,
    )  # fmt: skip


# --- public directories, policies, disclosures -----------------------------------------------


def _page(model: Any, rows: list[dict[str, Any]], cursor: int | None) -> Any:
    return model(scopes=_scopes(), data=rows, next_cursor=_next(cursor))


Rows = tuple[list[dict[str, Any]], int | None]


def _add_page_endpoint(
    path: str, name: str, page: Any, rows: Callable[..., Rows], doc: str, *, own: bool
) -> None:
    """Serve ``page`` (a response model) at ``path``: what the service ``rows`` returns after
    the query's cursor, with the next page's cursor. A public directory page (scope
    ``public``) is answered with an ETag; a user's own page (scope ``own``) reads the rows of
    the token's user."""

    def view() -> Any:
        q = request.context.query  # type: ignore[attr-defined]
        whose = (_own_user(),) if own else ()
        found, cursor = rows(db.session, *whose, _after(q), q.limit)
        return _page(page, found, cursor)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    endpoint = requires("own")(view) if own else requires("public")(conditional(view))
    validated = api.validate(
        query=S.PageQuery,
        resp=Responses(HTTP_200=page, **ERRORS),
        tags=["own" if own else DIRECTORY],
    )(endpoint)
    bp.get(path)(validated)


# The pages of rows: (path, endpoint, response model, service, own data?, summary). A public
# directory's service reads (session, after, limit); an own page's (session, user, after, limit).
_PAGES: tuple[tuple[str, str, Any, Callable[..., Rows], bool, str], ...] = (
    ("/startups", "startups", S.StartupPage, public_data.startups, False,
     "Active startups, public profile fields only."),
    ("/mentors", "mentors", S.MentorPage, public_data.mentors, False,
     "Active mentors, public profile fields only (never their contacts)."),
    ("/funds", "funds", S.FundPage, public_data.funds, False,
     "Active funds and other investors, public fields only."),
    ("/facilities", "facilities", S.FacilityPage, public_data.facilities, False,
     "Active facilities (never their contact e-mail) and their instruments' ids."),
    ("/equipment", "equipment", S.EquipmentPage, public_data.equipment, False,
     "Bookable instruments with their free hours over the next seven days."),
    ("/me/sessions", "my_sessions", S.SessionPage, own_data.sessions, True,
     "The user's mentor sessions, as founder or as mentor."),
    ("/me/bookings", "my_bookings", S.BookingPage, own_data.bookings, True,
     "Equipment bookings the user made or their startups hold."),
    ("/me/pitches", "my_pitches", S.PitchPage, own_data.pitches, True,
     "Pitches the user's startups sent, with their stage in each fund's pipeline."),
)  # fmt: skip
for _path, _name, _model, _rows, _own, _doc in _PAGES:
    _add_page_endpoint(_path, _name, _model, _rows, _doc, own=_own)


@bp.get("/policies")
@api.validate(query=S.PageQuery, resp=Responses(HTTP_200=S.PolicyPage, **ERRORS), tags=[DIRECTORY])
@requires("public")
@conditional
@_with_locale
def published_policies() -> S.PolicyPage:
    """Published policies, worded in the caller's language."""
    q = request.context.query  # type: ignore[attr-defined]
    rows, cursor = public_data.published_policies(db.session, _after(q), q.limit, api_locale())
    return _page(S.PolicyPage, rows, cursor)


@bp.get("/disclosures")
@api.validate(
    query=S.DisclosureQuery, resp=Responses(HTTP_200=S.DisclosurePage, **ERRORS),
    tags=[DIRECTORY],
)  # fmt: skip
@requires("public")
@conditional
@_with_locale
def disclosures() -> S.DisclosurePage:
    """The public disclosure records (support each startup received), newest first."""
    q = request.context.query  # type: ignore[attr-defined]
    rows, cursor = public_data.disclosures(db.session, _after(q), q.limit, api_locale(), q.year)
    return _page(S.DisclosurePage, rows, cursor)


# --- a user's own data -----------------------------------------------------------------------


def _own_user() -> int:
    user_id = grant().user_id
    assert user_id is not None  # the database guarantees an own-scope token names a user
    return user_id


def _entity_name(kind: str, entity: Any) -> str:
    if kind == "mentor":
        return str(entity.user.display_name)
    return str(entity.name)


@bp.get("/me/recommendations")
@api.validate(resp=Responses(HTTP_200=S.RecommendationsResponse, **ERRORS), tags=["own"])
@requires("own")
@_with_locale
def my_recommendations() -> S.RecommendationsResponse:
    """The recommendations the user's pages show (mentors and funds for their startups,
    startups for their mentor profile), each with the engine's reasons."""
    rows = []
    for for_kind, for_id, match in own_data.recommendations(db.session, _own_user()):
        viewer = "startup" if for_kind == "startup" else "candidate"
        reasons = []
        for r in match.reasons:
            text = reason_text(r.code, r.params, viewer)
            if text:
                reasons.append(S.ReasonOut(code=r.code, text=text))
        rows.append(
            S.RecommendationOut(
                for_kind=for_kind, for_id=for_id, kind=match.kind, id=match.id,  # type: ignore[arg-type]
                name=_entity_name(match.kind, match.entity), score=float(match.score),
                reasons=reasons,
            )
        )  # fmt: skip
    return S.RecommendationsResponse(scopes=_scopes(), data=rows)  # type: ignore[arg-type]
