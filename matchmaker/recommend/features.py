"""Pair features (startup, candidate) and the default two-sided score.

All features are in [0, 1]; 0.5 means "not stated / unknown" so a missing field neither helps nor
hurts. The two sides are scored separately and combined with a harmonic mean, so a candidate must
be good for the startup (``serves``) *and* the startup must fit what the candidate says it wants
(``fits``): one-sided enthusiasm is not a match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matchmaker import vocab

UNKNOWN = 0.5

# Order matters only for the learned ranker file; names are the contract.
FEATURE_NAMES: tuple[str, ...] = (
    "dense",  # cosine of the two profile texts
    "lexical",  # TF-IDF cosine of the two texts
    "history_top3",  # mean of the 3 best cosines of the startup to portfolio / past mentees
    "history_max",
    "history_sector_share",  # share of portfolio / mentees sharing a sector with the startup
    "sector_overlap",  # Jaccard with stated sectors (0.5 if none stated)
    "topic_overlap",  # mentoring topics asked vs offered (mentors)
    "stage_fit",
    "history_round_share",  # share of portfolio at the round being raised
    "ticket_fit",
    "instrument_fit",
    "location_match",
    "language_match",
    "popularity",  # log of portfolio size / mentee count, scaled to the largest
    "activity",  # log of recency-weighted deals / sessions, scaled to the most active
    "activity_long",  # the same with a one-year half-life, scaled to the largest history
    "stage_activity",  # same, counting only companies about as old as the startup
    "round_activity",  # recent deals (one-year half-life) at the round the startup is raising
    "momentum",  # deal rate of the last half year against the two years before, r / (1 + r)
    "co_occurrence",  # backed or mentored the same startups as the startup's current backers
    "neighbour_vote",  # share of the startup's nearest startups (by text) tied to the candidate
    "capacity_left",
    "expertise_named",  # the startup's own words name a specific expertise the mentor names
    "founder_rating",  # founders' ratings of the mentor, shrunk toward the scale's middle
)

# Default weights of the "serves the startup" side. They favour evidence from behaviour (recent
# activity, recent activity with companies of the startup's age, co-investment, history) over text,
# because candidate descriptions are often empty and stated interests are cheap; on investment data
# recent activity is the strongest single predictor of who acts next. Text still separates
# candidates with similar records.
#
# A candidate the startup's own description names ("backed by SV Angel") is not scored at all: it
# is an existing tie, shown as such and excluded from recommendations (``Recommender.named``).
SERVES_WEIGHTS: Mapping[str, float] = {
    "activity": 0.28,
    "stage_activity": 0.24,
    "co_occurrence": 0.10,
    "neighbour_vote": 0.10,
    "momentum": 0.10,
    "history_top3": 0.08,
    "history_max": 0.03,
    "popularity": 0.05,
    "dense": 0.07,
    "lexical": 0.06,
    "topic_overlap": 0.04,
    "history_sector_share": 0.02,
    "capacity_left": 0.03,
    # Small: ratings are few, self-selected and mostly kind, so they order candidates that are
    # otherwise close rather than override evidence of fit. Centred (see ``CENTRED``): a
    # candidate without ratings, and every evaluation bundle (no ratings), scores exactly as
    # without this feature.
    "founder_rating": 0.06,
    # Large, and centred: a founder whose own words name what a mentor says they know ("XRD",
    # "GMP", "专利") has told us the fit, which outweighs that mentor's lack of past mentees;
    # where nothing specific is shared (UNKNOWN) the score is exactly as without it, so ranking
    # investors, or mentors without stated expertise, is unchanged. At full evidence the nudge is
    # 0.7 * 0.5 = 0.35 on the [0, 1] serves side, and the match also counts on the fits side (the
    # mentor stated that expertise: ``pairing.stated_preferences``): together enough to lift a
    # new specialist into the top 3 of the startup that names its expertise, past generalists
    # whose edge is a busy record.
    "expertise_named": 0.7,
}

# Features that enter the serves side as a nudge ``weight * (value - UNKNOWN)`` added to the
# weighted mean instead of as one more term of it: UNKNOWN then changes nothing at all (a term of
# the mean would shift every score and, through the harmonic mean, the order).
CENTRED: frozenset[str] = frozenset({"founder_rating", "expertise_named"})

# Founders' ratings: a 1-5 scale whose middle is 3; PRIOR_RATINGS imaginary middling ratings
# pull a small count toward the middle (one 5-star review must not beat twenty 4.6s).
RATING_LOW, RATING_HIGH = 1.0, 5.0
PRIOR_RATINGS = 3.0


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = {x.casefold() for x in a}, {x.casefold() for x in b}
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def stated_overlap(asked: Sequence[str], offered: Sequence[str]) -> float:
    """Jaccard when both sides state something, UNKNOWN otherwise."""
    if not asked or not offered:
        return UNKNOWN
    return jaccard(asked, offered)


def stage_fit(ask_round: str | None, stages: Sequence[str]) -> float:
    """1 inside the stated rounds, decaying with distance outside, UNKNOWN if either is unknown."""
    if not ask_round or not stages:
        return UNKNOWN
    if ask_round in stages:
        return 1.0
    ask = vocab.ordinal(vocab.ROUNDS, ask_round)
    known = [o for o in (vocab.ordinal(vocab.ROUNDS, s) for s in stages) if o is not None]
    if ask is None or not known:
        return 0.0
    return 0.5 ** min(abs(ask - o) for o in known)


def ticket_fit(
    amount: float | None,
    currency: str | None,
    low: float | None,
    high: float | None,
    range_currency: str | None,
) -> float:
    """1 inside [low, high]; exp(-|log(amount / nearest bound)|) outside; UNKNOWN if unstated."""
    if amount is None or amount <= 0 or (low is None and high is None):
        return UNKNOWN
    if currency and range_currency and currency != range_currency:
        return UNKNOWN  # no exchange rates in the engine; do not pretend
    if low is not None and amount < low:
        return math.exp(-abs(math.log(amount / max(low, 1e-9))))
    if high is not None and amount > high:
        return math.exp(-abs(math.log(amount / max(high, 1e-9))))
    return 1.0


def membership(value: str | None, allowed: Sequence[str]) -> float:
    if not value or not allowed:
        return UNKNOWN
    return 1.0 if value in allowed else 0.0


def location_match(location: str, places: Sequence[str]) -> float:
    """1 if any place names the startup's city/region (substring, case-insensitive)."""
    loc = location.casefold().strip()
    places = [p.casefold().strip() for p in places if p and p.strip()]
    if not loc or not places:
        return UNKNOWN
    return 1.0 if any(p in loc or loc in p for p in places) else 0.0


def expertise_named(specificity: float) -> float:
    """UNKNOWN when nothing specific is shared, up to 1 for a word only this mentor names."""
    return UNKNOWN + (1.0 - UNKNOWN) * min(1.0, max(0.0, specificity))


def founder_rating(count: int, mean: float | None) -> float:
    """The Bayesian average of the ratings toward the scale's middle, mapped to [0, 1];
    UNKNOWN without ratings (no rating is not a poor rating)."""
    if count <= 0 or mean is None or not math.isfinite(mean):
        return UNKNOWN
    middle = (RATING_LOW + RATING_HIGH) / 2
    mean = min(RATING_HIGH, max(RATING_LOW, mean))
    shrunk = (PRIOR_RATINGS * middle + count * mean) / (PRIOR_RATINGS + count)
    return (shrunk - RATING_LOW) / (RATING_HIGH - RATING_LOW)


def scaled_log(count: float, largest: float) -> float:
    if count <= 0 or largest <= 0:
        return 0.0
    return min(1.0, math.log1p(count) / math.log1p(largest))


def harmonic(a: float, b: float) -> float:
    a, b = max(a, 1e-6), max(b, 1e-6)
    return 2 * a * b / (a + b)


def serves_score(f: Mapping[str, float], weights: Mapping[str, float] = SERVES_WEIGHTS) -> float:
    """How much the candidate can do for the startup: a weighted mean of evidence, nudged by
    the ``CENTRED`` features (kept in [0, 1])."""
    total = sum(w for name, w in weights.items() if name not in CENTRED)
    mean = (
        sum(w * f.get(name, 0.0) for name, w in weights.items() if name not in CENTRED) / total
        if total > 0
        else UNKNOWN
    )
    if not CENTRED.intersection(weights):
        return mean
    nudge = sum(
        w * (f.get(name, UNKNOWN) - UNKNOWN) for name, w in weights.items() if name in CENTRED
    )
    return min(1.0, max(0.0, mean + nudge))


def fits_score(f: Mapping[str, float], stated: Sequence[str]) -> float:
    """How well the startup fits what the candidate wants, stated or revealed by its history.

    Stated preferences (sectors, rounds, ticket, instrument, region, languages) count when the
    candidate states them; its history (what it actually backed or mentored) always counts,
    scaled into [0.5, 1] so that no history is neutral rather than disqualifying.
    """
    parts = [f[name] for name in stated]
    revealed = 0.5 + 0.5 * min(
        1.0,
        max(0.0, 0.7 * f.get("history_top3", 0.0) + 0.3 * f.get("history_sector_share", 0.0)) / 0.6,
    )
    parts.append(revealed)
    return sum(parts) / len(parts)


def two_sided_score(
    f: Mapping[str, float], stated: Sequence[str], weights: Mapping[str, float] = SERVES_WEIGHTS
) -> float:
    return harmonic(serves_score(f, weights), fits_score(f, stated))
