"""Reasons for a (startup, mentor|investor) pair, from the features ``pairing.score_pairs``
computed: the candidate's record (a past company like this startup, shared backers), stated terms
that fit, shared words, sectors, topics, languages and place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.expertise import mentor_expertise_text
from matchmaker.recommend.expertise_meaning import surface
from matchmaker.recommend.hybrid import cjk_share, model_reads
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.reasons import (
    NEIGHBOUR_ABOVE_TYPICAL,
    NEIGHBOUR_MIN_SIMILARITY,
    SIMILAR_MEANING_MIN,
    SIMILAR_PROFILE_MIN,
    Reason,
    shared,
)
from matchmaker.recommend.texts import (
    InvestorProfile,
    MentorProfile,
    StartupProfile,
    startup_own_words,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.corpus import Corpus
    from matchmaker.recommend.history import Relation

# "Well rated" worth telling a founder: the shrunk mean at 4 of 5 or above (three 5-star
# ratings, or about six at 4.5; one 5-star review is not enough).
RATED_WELL = 0.75


def pair_reasons(
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
    """Checkable facts about the pair (``reasons`` lists the codes), from what ``score_pairs``
    computed: ``f`` its features, ``rels``/``sims`` the candidate's record and its similarity."""
    # The candidate's record first: a past company like this startup, shared backers.
    record = (
        _neighbour_reason(corpus, kind, s, rels, sims, s_text),
        _partners_reason(corpus, kind, s, c, rels, backers, f["co_occurrence"]),
    )
    out = [r for r in record if r is not None]
    if isinstance(c, MentorProfile) and f["expertise_named"] > 0.5:
        out.extend(_expertise_meaning(corpus, s, c))
    sectors = shared(s.sectors, c.sectors)
    if sectors:
        out.append(Reason("shared_sectors", {"sectors": sectors}))
    if isinstance(c, MentorProfile):
        topics = shared(s.mentoring_topics, c.topics)
        if topics:
            out.append(Reason("shared_topics", {"topics": topics}))
    if isinstance(c, InvestorProfile):
        out.extend(_terms_reasons(s, c, f))
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


def _neighbour_reason(
    corpus: Corpus,
    kind: PairKind,
    s: StartupProfile,
    rels: Sequence[Relation],
    sims: NDArray[np.float32],
    s_text: str,
) -> Reason | None:
    """The company in the candidate's record most like this startup, if like enough."""
    # "Similar" must mean more similar than two unrelated startups look to this model (a
    # sepsis test and a smart-equipment maker sit at 0.48 for USE: not a reason to back it).
    floor = NEIGHBOUR_MIN_SIMILARITY
    if reads_cjk(corpus.embedder) or cjk_share(s_text) < 0.5:  # cosines, not TF-IDF blends
        floor = max(floor, corpus.typical_cosine("startup") + NEIGHBOUR_ABOVE_TYPICAL)
    if not len(sims) or float(sims.max()) < floor:
        return None
    best = rels[int(np.argmax(sims))]
    code = "portfolio_neighbour" if kind == "investor" else "past_mentee_neighbour"
    params: dict[str, Any] = {"company": best.label, "startup_id": best.startup_id}
    # Similar in what: the sectors the startup and that company both have, if any.
    in_common = shared(s.sectors, best.sectors)
    if in_common:
        params["sectors"] = in_common
    return Reason(code, params)


def _partners_reason(
    corpus: Corpus,
    kind: PairKind,
    s: StartupProfile,
    c: Any,
    rels: Sequence[Relation],
    backers: set[int],
    co_occurrence: float,
) -> Reason | None:
    """The startup's backers with whom the candidate has backed another company
    (``co_occurrence``, the pair's feature, says whether there are any)."""
    if not backers or co_occurrence <= 0:
        return None
    # From the candidate's companies to their backers (``linked``), not from every backer to
    # its relations: a startup with thousands of backers made this quadratic per request.
    theirs = {r.startup_id for r in rels if r.startup_id is not None and r.startup_id != s.id}
    linked = corpus.linked[kind]
    found: set[int] = set()
    for company in theirs:
        found |= backers & linked.get(company, set())
    found.discard(c.id)
    partners = sorted(found)
    if not partners:
        return None
    return Reason("co_investor" if kind == "investor" else "co_mentor", {"partners": partners})


def _expertise_meaning(corpus: Corpus, s: StartupProfile, c: MentorProfile) -> list[Reason]:
    """The founder's words that mean, in the other language, an expertise the mentor names
    ("专利" / "patent"), as each side wrote them."""
    pairs = corpus.expertise_across().match(s, c.id)[1]
    if not pairs:
        return []
    mine, theirs = startup_own_words(s), mentor_expertise_text(c)
    return [
        Reason(
            "expertise_meaning",
            {"pairs": [[surface(a, mine), surface(b, theirs)] for a, b in pairs[:3]]},
        )
    ]


def _terms_reasons(s: StartupProfile, c: InvestorProfile, f: Mapping[str, float]) -> list[Reason]:
    """Reasons from an investor's stated terms that fit the startup's ask."""
    out: list[Reason] = []
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
    return out
