"""Features, hard filters and reasons for (startup, mentor|investor) pairs, computed in batch.

Both directions (mentors for a startup, startups for a mentor) go through ``score_pairs`` so a
pair gets the same score whichever side asks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend import features as F
from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.hybrid import cjk_share, effective_dense_weight, model_reads
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.reasons import (
    NEIGHBOUR_ABOVE_TYPICAL,
    NEIGHBOUR_MIN_SIMILARITY,
    SIMILAR_MEANING_MIN,
    SIMILAR_PROFILE_MIN,
    Reason,
    shared,
)
from matchmaker.recommend.texts import InvestorProfile, MentorProfile, StartupProfile

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.calibration import Calibration
    from matchmaker.recommend.corpus import Corpus, Relation
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
# "Well rated" worth telling a founder: the shrunk mean at 4 of 5 or above (three 5-star
# ratings, or about six at 4.5; one 5-star review is not enough).
RATED_WELL = 0.75


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
    backed_by: Counter[int] = Counter()  # startup -> how many of the startup's backers back it
    for b in backers:
        for r in corpus.relations[kind].get(b, []):
            if r.startup_id is not None and r.startup_id != startup.id:
                backed_by[r.startup_id] += 1
    # 1 where the embedding model reads the startup's text; less for Chinese it cannot read, whose
    # cosines are then mostly noise at a high level (0.4-0.7 between unrelated Chinese texts).
    trust = effective_dense_weight(1.0, s_text, reads_cjk(corpus.embedder))
    history = _history(corpus, kind, startup, s_vec, [c.id for c in candidates], s_text, trust)
    top3, best = _history_top(history)
    votes = corpus.neighbour_votes(kind, startup.id, s_vec)
    expertise = corpus.expertise() if kind == "mentor" else None
    s_sectors = {x.casefold() for x in startup.sectors}
    folded_sectors: dict[tuple[str, ...], frozenset[str]] = {}

    def folded(sectors: tuple[str, ...]) -> frozenset[str]:
        """Casefolded sectors of a relation, once per distinct sector tuple in the request."""
        out = folded_sectors.get(sectors)
        if out is None:
            out = folded_sectors[sectors] = frozenset(x.casefold() for x in sectors)
        return out

    s_age = None if startup.founded_year is None else max(0.0, latest - startup.founded_year - 0.5)
    out = []
    for c, d, (rels, sims), t3, mx in zip(candidates, dense, history, top3, best, strict=True):
        f: dict[str, float] = {
            "dense": trust * max(0.0, float(d)),
            "lexical": lexical.get(c.id, 0.0),
        }
        f["history_top3"] = max(0.0, t3 / 3.0)
        f["history_max"] = max(0.0, mx)
        f["history_sector_share"] = (
            sum(1 for r in rels if not s_sectors.isdisjoint(folded(r.sectors))) / len(rels)
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
            else corpus.recent_weight(rels, latest)
        )
        f["activity"] = F.scaled_log(recent, max_recent)
        # A slower clock for markets where the long-run record predicts better than last quarter
        # (weight 0 by default; ``calibration`` decides from the platform's own history).
        f["activity_long"] = F.scaled_log(
            corpus.recent_weight(rels, latest, LONG_HALF_LIFE_YEARS), max_size
        )
        # Revealed round preference: recent deals at the round being raised (0 if not asked).
        at_round = [r for r in rels if r.round and r.round == startup.ask_round]
        f["round_activity"] = (
            F.scaled_log(corpus.recent_weight(at_round, latest, LONG_HALF_LIFE_YEARS), max_size)
            if at_round
            else 0.0
        )
        f["stage_activity"] = F.scaled_log(corpus.stage_weight(rels, latest, s_age), max_recent)
        f["momentum"] = corpus.momentum(rels, latest)
        co = (
            sum(backed_by[r.startup_id] for r in rels if r.startup_id is not None)
            if backed_by
            else 0
        )
        f["co_occurrence"] = min(1.0, math.log1p(co) / math.log1p(5))
        f["neighbour_vote"] = trust * votes.get(c.id, 0.0)
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
            f["expertise_named"] = (
                F.expertise_named(expertise.match(startup, c.id)[0])
                if expertise is not None
                else F.UNKNOWN
            )
        stated = stated_preferences(startup, c, f)
        if ranker is not None:
            score = ranker.score(f)
        elif calibration is not None:
            score = calibration.score(f, stated)
        else:
            score = F.two_sided_score(f, stated)
        reasons = (
            _reasons(
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


def _reasons(
    corpus: Corpus,
    kind: PairKind,
    s: StartupProfile,
    c: Any,
    f: Mapping[str, float],
    rels: Sequence[Relation],
    sims: NDArray[np.float32],
    backers: set[int],
    s_text: str,
    c_text: str,
    s_vec: NDArray[np.float32],
) -> tuple[Reason, ...]:
    out: list[Reason] = []
    # "Similar" must mean more similar than two unrelated startups look to this model (a
    # sepsis test and a smart-equipment maker sit at 0.48 for USE: not a reason to back it).
    floor = NEIGHBOUR_MIN_SIMILARITY
    if reads_cjk(corpus.embedder) or cjk_share(s_text) < 0.5:  # cosines, not TF-IDF blends
        floor = max(floor, corpus.typical_cosine("startup") + NEIGHBOUR_ABOVE_TYPICAL)
    if len(sims) and float(sims.max()) >= floor:
        best = rels[int(np.argmax(sims))]
        code = "portfolio_neighbour" if kind == "investor" else "past_mentee_neighbour"
        params: dict[str, Any] = {"company": best.label, "startup_id": best.startup_id}
        # Similar in what: the sectors the startup and that company both have, if any.
        in_common = shared(s.sectors, best.sectors)
        if in_common:
            params["sectors"] = in_common
        out.append(Reason(code, params))
    if backers and f["co_occurrence"] > 0:
        theirs = {r.startup_id for r in rels if r.startup_id is not None}
        partners = sorted(
            b
            for b in backers
            if b != c.id
            and theirs
            & {r.startup_id for r in corpus.relations[kind].get(b, []) if r.startup_id != s.id}
        )
        if partners:
            out.append(
                Reason("co_investor" if kind == "investor" else "co_mentor", {"partners": partners})
            )
    sectors = shared(s.sectors, c.sectors)
    if sectors:
        out.append(Reason("shared_sectors", {"sectors": sectors}))
    if isinstance(c, MentorProfile):
        topics = shared(s.mentoring_topics, c.topics)
        if topics:
            out.append(Reason("shared_topics", {"topics": topics}))
    if isinstance(c, InvestorProfile):
        if f["stage_fit"] == 1.0:
            out.append(Reason("stage_fit", {"round": s.ask_round, "stages": list(c.stages)}))
        if f["ticket_fit"] == 1.0:
            out.append(
                Reason(
                    "ticket_fit",
                    {
                        "amount": s.ask_amount,
                        "currency": s.ask_currency,
                        "min": c.ticket_min,
                        "max": c.ticket_max,
                    },
                )
            )
        if f["instrument_fit"] == 1.0:
            out.append(Reason("instrument_fit", {"instrument": s.ask_instrument}))
    if f["lexical"] > 0:
        terms = corpus.lexical["startup"].matched_terms(s_text, c_text)
        if terms:
            out.append(Reason("matched_terms", {"terms": terms}))
    if (
        not any(r.code == "matched_terms" for r in out)
        and f["dense"] >= SIMILAR_PROFILE_MIN
        and model_reads(corpus, s_text)
    ):
        phrase = corpus.closest_phrase(s_vec, c, SIMILAR_MEANING_MIN)
        if phrase:
            out.append(Reason("similar_meaning", {"phrase": phrase}))
    if isinstance(c, MentorProfile) and f["founder_rating"] >= RATED_WELL and c.rating_mean:
        out.append(Reason("founder_rating", {"mean": c.rating_mean, "count": c.rating_count}))
    if f["location_match"] == 1.0:
        out.append(Reason("same_location", {"location": s.location}))
    langs = shared(s.languages, c.languages)
    if langs:
        out.append(Reason("shared_languages", {"languages": langs}))
    if isinstance(c, MentorProfile) and c.capacity_left:
        out.append(Reason("free_capacity", {"left": c.capacity_left}))
    return tuple(out)
