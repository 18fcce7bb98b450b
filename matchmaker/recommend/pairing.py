"""Features, hard filters and scores for (startup, mentor|investor) pairs, computed in batch
(reasons: ``pair_reasons``).

Both directions (mentors for a startup, startups for a mentor) go through ``score_pairs`` so a
pair gets the same score whichever side asks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend import features as F
from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.history import momentum, recent_weight, stage_weight
from matchmaker.recommend.hybrid import effective_dense_weight
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.pair_reasons import pair_reasons
from matchmaker.recommend.reasons import Reason, shared
from matchmaker.recommend.texts import InvestorProfile, MentorProfile, StartupProfile

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.calibration import Calibration
    from matchmaker.recommend.corpus import Corpus
    from matchmaker.recommend.expertise import ExpertiseTerms
    from matchmaker.recommend.expertise_meaning import CrossLanguageTerms
    from matchmaker.recommend.history import Relation
    from matchmaker.recommend.learn import LearnedRanker


@dataclass(frozen=True)
class ScoredPair:
    candidate_id: int
    startup_id: int
    score: float
    features: dict[str, float]
    reasons: tuple[Reason, ...]


def refuses(startup: StartupProfile, candidate: Any) -> bool:
    """True when the candidate side would turn the startup down (or cannot take it now)."""
    if not startup.active or not candidate.active:
        return True
    if isinstance(candidate, InvestorProfile):
        return bool(
            candidate.stages and startup.ask_round and startup.ask_round not in candidate.stages
        )
    if isinstance(candidate, MentorProfile):
        return not candidate.accepting_requests or candidate.capacity_left == 0
    return False


def stated_preferences(
    startup: StartupProfile, c: Any, features: Mapping[str, float] | None = None
) -> list[str]:
    """Features that express what the candidate says it wants, where it says so. With the pair's
    ``features``: a mentor's stated expertise that the startup's words name (a mentor who says
    "XRD" wants the startups that need XRD)."""
    out = []
    if c.sectors and startup.sectors:
        out.append("sector_overlap")
    if c.languages and startup.languages:
        out.append("language_match")
    if isinstance(c, InvestorProfile):
        if c.stages and startup.ask_round:
            out.append("stage_fit")
        if (c.ticket_min is not None or c.ticket_max is not None) and startup.ask_amount:
            out.append("ticket_fit")
        if c.instruments and startup.ask_instrument:
            out.append("instrument_fit")
        if c.regions and startup.location:
            out.append("location_match")
    elif (
        isinstance(c, MentorProfile)
        and features is not None
        and features.get("expertise_named", F.UNKNOWN) > F.UNKNOWN
    ):
        out.append("expertise_named")
    return out


# TF-IDF cosines of two company descriptions run at about a fifth of MiniLM's cosines of the same
# pairs (dev-yc-crunchbase portfolios: 90th percentile 0.063 against 0.35); this brings them near
# the scale the history weights were set on, without one shared rare term saturating them.
LEXICAL_TO_DENSE = 4.0
LONG_HALF_LIFE_YEARS = 1.0


def _history(
    corpus: Corpus,
    kind: PairKind,
    startup: StartupProfile,
    s_vec: NDArray[np.float32],
    cand_ids: Sequence[int],
    s_text: str,
    trust: float,
) -> list[tuple[list[Relation], NDArray[np.float32]]]:
    """Each candidate's relations (minus the startup itself) and their similarity to the startup:
    the embedding cosine, blended with the TF-IDF cosine (scaled) as far as ``trust`` says the
    model cannot read the startup's text (Chinese for an English-only model)."""
    per = [
        [r for r in corpus.relations[kind].get(c, []) if r.startup_id != startup.id]
        for c in cand_ids
    ]
    flat = [r for rels in per for r in rels]
    sims = corpus.relation_vectors(flat) @ s_vec if flat else np.zeros(0, dtype=np.float32)
    if flat and trust < 1.0:
        lexical = np.minimum(1.0, LEXICAL_TO_DENSE * corpus.relation_lexical(flat, s_text))
        sims = (trust * sims + (1.0 - trust) * lexical).astype(np.float32)
    out, start = [], 0
    for rels in per:
        out.append((rels, sims[start : start + len(rels)]))
        start += len(rels)
    return out


def _history_top(
    history: Sequence[tuple[Sequence[Relation], NDArray[np.float32]]],
) -> tuple[list[float], list[float]]:
    """Per candidate: the sum of its 3 best cosines and its best cosine (0 without history),
    for all candidates at once. Sums are float32 in the order of the best three, as the
    one-candidate-at-a-time ``np.sort(sims)[::-1][:3].sum()`` gives them."""
    lens = np.fromiter((len(sims) for _, sims in history), dtype=np.int64, count=len(history))
    if not len(history) or not lens.any():
        zeros = [0.0] * len(history)
        return zeros, list(zeros)
    flat = np.concatenate([sims for _, sims in history]).astype(np.float32, copy=False)
    rows = np.repeat(np.arange(len(history)), lens)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(lens) - lens, lens)
    mat = np.full((len(history), int(lens.max())), -np.inf, dtype=np.float32)
    mat[rows, cols] = flat
    width = min(3, mat.shape[1])
    top = -np.sort(-mat, axis=1)[:, :width]
    top[np.isneginf(top)] = 0.0
    total = np.zeros(len(history), dtype=np.float32)
    for j in range(width):
        total = total + top[:, j]
    best = np.where(lens > 0, top[:, 0], np.float32(0.0))
    return total.tolist(), best.tolist()


@dataclass
class _Request:
    """What every candidate of one ``score_pairs`` call is compared with: the startup's side,
    computed once per request."""

    corpus: Corpus
    kind: PairKind
    startup: StartupProfile
    trust: float
    lexical: Mapping[int, float]
    latest: float
    max_size: int
    max_recent: float
    s_age: float | None
    backed_by: Counter[int]
    votes: Mapping[int, float]
    expertise: ExpertiseTerms | None
    across: CrossLanguageTerms | None  # the same, across languages (``expertise_meaning``)
    s_sectors: set[str]
    folded_sectors: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)

    def folded(self, sectors: tuple[str, ...]) -> frozenset[str]:
        """Casefolded sectors of a relation, once per distinct sector tuple in the request."""
        out = self.folded_sectors.get(sectors)
        if out is None:
            out = self.folded_sectors[sectors] = frozenset(x.casefold() for x in sectors)
        return out


def _co_backed(corpus: Corpus, kind: PairKind, startup_id: int, backers: set[int]) -> Counter[int]:
    """Startup -> how many of the startup's backers back it."""
    backed_by: Counter[int] = Counter()
    for b in backers:
        for r in corpus.relations[kind].get(b, []):
            if r.startup_id is not None and r.startup_id != startup_id:
                backed_by[r.startup_id] += 1
    return backed_by


def score_pairs(
    corpus: Corpus,
    kind: PairKind,
    startup: StartupProfile,
    s_vec: NDArray[np.float32],
    candidates: Sequence[Any],
    dense: Sequence[float],
    lexical: Mapping[int, float],
    s_text: str,
    c_texts: Mapping[int, str],
    *,
    ranker: LearnedRanker | None = None,
    calibration: Calibration | None = None,
    explain: bool = True,
) -> list[ScoredPair]:
    """Score ``candidates`` (all of ``kind``) for ``startup``; refusals must be filtered before.

    The score is the learned ranker's if given, else the calibration's, else the default
    two-sided score. With ``explain=False`` reasons are left empty (they are the costly part).
    """
    max_size, max_recent, latest = corpus.stats(kind)
    backers = corpus.linked[kind].get(startup.id, set())
    backed_by = _co_backed(corpus, kind, startup.id, backers)
    # 1 where the embedding model reads the startup's text; less for Chinese it cannot read, whose
    # cosines are then mostly noise at a high level (0.4-0.7 between unrelated Chinese texts).
    trust = effective_dense_weight(1.0, s_text, reads_cjk(corpus.embedder))
    history = _history(corpus, kind, startup, s_vec, [c.id for c in candidates], s_text, trust)
    top3, best = _history_top(history)
    votes = corpus.neighbour_votes(kind, startup.id, s_vec)
    expertise = corpus.expertise() if kind == "mentor" else None
    across = corpus.expertise_across() if kind == "mentor" else None
    s_sectors = {x.casefold() for x in startup.sectors}
    s_age = None if startup.founded_year is None else max(0.0, latest - startup.founded_year - 0.5)
    request = _Request(
        corpus=corpus,
        kind=kind,
        startup=startup,
        trust=trust,
        lexical=lexical,
        latest=latest,
        max_size=max_size,
        max_recent=max_recent,
        s_age=s_age,
        backed_by=backed_by,
        votes=votes,
        expertise=expertise,
        across=across,
        s_sectors=s_sectors,
    )
    out = []
    for c, d, (rels, sims), t3, mx in zip(candidates, dense, history, top3, best, strict=True):
        f = _features(request, c, d, rels, t3, mx)
        stated = stated_preferences(startup, c, f)
        if ranker is not None:
            score = ranker.score(f)
        elif calibration is not None:
            score = calibration.score(f, stated)
        else:
            score = F.two_sided_score(f, stated)
        reasons = (
            pair_reasons(
                corpus,
                kind,
                startup,
                c,
                f,
                rels,
                sims,
                backers,
                s_text,
                c_texts.get(c.id, ""),
                s_vec,
            )
            if explain
            else ()
        )
        out.append(ScoredPair(c.id, startup.id, score, f, reasons))
    return out


def _features(
    request: _Request, c: Any, d: float, rels: Sequence[Relation], t3: float, mx: float
) -> dict[str, float]:
    """The features of one pair: closeness, the candidate's record, then its stated terms."""
    corpus, kind, startup, latest = request.corpus, request.kind, request.startup, request.latest
    max_size, max_recent, s_sectors = request.max_size, request.max_recent, request.s_sectors
    f: dict[str, float] = {
        "dense": request.trust * max(0.0, float(d)),
        "lexical": request.lexical.get(c.id, 0.0),
    }
    f["history_top3"] = max(0.0, t3 / 3.0)
    f["history_max"] = max(0.0, mx)
    f["history_sector_share"] = (
        sum(1 for r in rels if not s_sectors.isdisjoint(request.folded(r.sectors))) / len(rels)
        if rels and s_sectors
        else 0.0
    )
    f["sector_overlap"] = F.stated_overlap(startup.sectors, c.sectors)
    f["language_match"] = (
        F.UNKNOWN
        if not (startup.languages and c.languages)
        else float(bool(shared(startup.languages, c.languages)))
    )
    known_rounds = [r.round for r in rels if r.round]
    f["history_round_share"] = (
        sum(1 for x in known_rounds if x == startup.ask_round) / len(known_rounds)
        if startup.ask_round and known_rounds
        else F.UNKNOWN
    )
    f["popularity"] = F.scaled_log(len(rels), max_size)
    recent = (
        corpus.activity(kind, c.id)  # cached: the usual case, nothing excluded
        if len(rels) == len(corpus.relations[kind].get(c.id, ()))
        else recent_weight(rels, latest)
    )
    f["activity"] = F.scaled_log(recent, max_recent)
    # A slower clock for markets where the long-run record predicts better than last quarter
    # (weight 0 by default; ``calibration`` decides from the platform's own history).
    f["activity_long"] = F.scaled_log(recent_weight(rels, latest, LONG_HALF_LIFE_YEARS), max_size)
    # Revealed round preference: recent deals at the round being raised (0 if not asked).
    at_round = [r for r in rels if r.round and r.round == startup.ask_round]
    f["round_activity"] = (
        F.scaled_log(recent_weight(at_round, latest, LONG_HALF_LIFE_YEARS), max_size)
        if at_round
        else 0.0
    )
    f["stage_activity"] = F.scaled_log(stage_weight(rels, latest, request.s_age), max_recent)
    f["momentum"] = momentum(rels, latest)
    backed_by = request.backed_by
    co = sum(backed_by[r.startup_id] for r in rels if r.startup_id is not None) if backed_by else 0
    f["co_occurrence"] = min(1.0, math.log1p(co) / math.log1p(5))
    f["neighbour_vote"] = request.trust * request.votes.get(c.id, 0.0)
    _stated_terms(f, startup, c, request)
    return f


def _stated_terms(f: dict[str, float], startup: StartupProfile, c: Any, request: _Request) -> None:
    """Add to ``f`` what the candidate states: an investor's rounds, tickets and instruments, a
    mentor's topics, capacity, ratings and expertise (UNKNOWN for the other side's)."""
    if isinstance(c, InvestorProfile):
        f["topic_overlap"] = F.UNKNOWN
        f["stage_fit"] = F.stage_fit(startup.ask_round, c.stages)
        f["ticket_fit"] = F.ticket_fit(
            startup.ask_amount, startup.ask_currency, c.ticket_min, c.ticket_max, c.currency
        )
        f["instrument_fit"] = F.membership(startup.ask_instrument, c.instruments)
        f["location_match"] = F.location_match(startup.location, c.regions)
        f["capacity_left"] = F.UNKNOWN
        f["founder_rating"] = F.UNKNOWN
        f["expertise_named"] = F.UNKNOWN
    else:
        f["topic_overlap"] = F.stated_overlap(startup.mentoring_topics, c.topics)
        f["stage_fit"] = f["ticket_fit"] = f["instrument_fit"] = F.UNKNOWN
        f["location_match"] = F.location_match(startup.location, [c.location])
        left, cap = c.capacity_left, c.capacity_per_month
        f["capacity_left"] = F.UNKNOWN if left is None or not cap else left / cap
        f["founder_rating"] = F.founder_rating(c.rating_count, c.rating_mean)
        # The founder's words name the mentor's expertise in its own words or, across
        # languages, in words meaning the same: the evidence adds up.
        same, across = request.expertise, request.across
        f["expertise_named"] = (
            F.expertise_named(
                same.match(startup, c.id)[0]
                + (across.match(startup, c.id)[0] if across is not None else 0.0)
            )
            if same is not None
            else F.UNKNOWN
        )
