"""The check a calibration is measured on (``calibration``, step 1): a time split *inside* the
history, and the pair features of every target startup against every candidate not already tied
to it, computed by a copy of the engine that keeps only the relations before the cutoff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend import features as F
from matchmaker.recommend.history import decimal_year
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.texts import InvestorProfile, MentorProfile

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.ranking import Recommender

# Serves-side features the calibration may weigh (all in [0, 1]).
TUNABLE: tuple[str, ...] = (
    "activity",
    "activity_long",
    "stage_activity",
    "round_activity",
    "momentum",
    "co_occurrence",
    "neighbour_vote",
    "history_top3",
    "history_max",
    "history_sector_share",
    "popularity",
    "dense",
    "lexical",
    "topic_overlap",
    "capacity_left",
)

# -- the time split inside the history ------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    cutoff: float
    past: list[Any]  # candidate profiles with only the relations before the cutoff
    targets: dict[int, set[int]]  # startup id -> candidates it tied to at or after the cutoff
    rounds: dict[int, str]  # startup id -> the round of its first target relation, where known


def _dated(profile: Any) -> list[tuple[int, float, str | None]]:
    """(startup id, decimal year, round) of each dated relation of a candidate."""
    if isinstance(profile, InvestorProfile):
        out = []
        for e in profile.portfolio:
            when = decimal_year(e.year, e.date)
            if e.startup_id is not None and when is not None:
                out.append((e.startup_id, when, e.round))
        return out
    if isinstance(profile, MentorProfile):
        dates = list(profile.past_mentee_dates) + [None] * len(profile.past_mentee_ids)
        return [
            (sid, when, None)
            for sid, day in zip(profile.past_mentee_ids, dates, strict=False)
            if day is not None and (when := decimal_year(None, day)) is not None
        ]
    raise TypeError(f"no history on {type(profile).__name__}")


def _before(profile: Any, cutoff: float) -> Any:
    """The profile as it was before ``cutoff`` (undated relations are kept: they are old)."""
    if isinstance(profile, InvestorProfile):
        kept = tuple(
            e
            for e in profile.portfolio
            if (w := decimal_year(e.year, e.date)) is None or w < cutoff
        )
        return replace(profile, portfolio=kept)
    dates = list(profile.past_mentee_dates) + [None] * len(profile.past_mentee_ids)
    pairs = [
        (sid, day)
        for sid, day in zip(profile.past_mentee_ids, dates, strict=False)
        if day is None or (decimal_year(None, day) or 0.0) < cutoff
    ]
    return replace(
        profile,
        past_mentee_ids=tuple(s for s, _ in pairs),
        past_mentee_dates=tuple(d for _, d in pairs),
    )


def split_history(
    candidates: Sequence[Any], startup_ids: set[int], target_share: float = 0.2
) -> Split | None:
    """The latest ``target_share`` of dated relations (to platform startups) as targets.

    None when there are too few dated relations to say anything."""
    rels = [
        (c.id, sid, w, rnd) for c in candidates for sid, w, rnd in _dated(c) if sid in startup_ids
    ]
    if len(rels) < 20:
        return None
    times = sorted(r[2] for r in rels)
    cutoff = times[min(len(times) - 1, int(len(times) * (1.0 - target_share)))]
    if cutoff <= times[0]:
        return None
    targets: dict[int, set[int]] = defaultdict(set)
    rounds: dict[int, str] = {}
    for cid, sid, w, rnd in sorted(rels, key=lambda r: r[2]):
        if w >= cutoff:
            targets[sid].add(cid)
            if rnd and sid not in rounds:
                rounds[sid] = rnd  # what the startup was raising: its ask at the time
    return Split(cutoff, [_before(c, cutoff) for c in candidates], dict(targets), rounds)


# -- the check: features of every target startup against every candidate ---------------------------


@dataclass
class Check:
    """Feature tensors of the check: per target startup, its candidates' features and labels."""

    x: NDArray[np.float64]  # (queries, candidates, features), padded with 0
    fits: NDArray[np.float64]  # (queries, candidates)
    # (queries, candidates): the default nudge of the centred features (``features.CENTRED``:
    # founder ratings, named expertise), which the default and fitted scorers keep as set
    nudge: NDArray[np.float64]
    labels: NDArray[np.bool_]  # (queries, candidates)
    valid: NDArray[np.bool_]  # (queries, candidates): False for padding
    order: NDArray[np.int64]  # (queries, candidates): candidate ids, for tie-breaking
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, rows: NDArray[np.int64]) -> Check:
        return Check(
            self.x[rows], self.fits[rows], self.nudge[rows], self.labels[rows], self.valid[rows],
            self.order[rows], self.names,
        )  # fmt: skip


def build_check(
    past: Recommender,
    kind: PairKind,
    targets: Mapping[int, set[int]],
    rounds: Mapping[int, str] | None = None,
) -> Check | None:
    from matchmaker.recommend.pairing import refuses, stated_preferences

    pool = past.corpus.profiles[kind]
    startups = past.corpus.profiles["startup"]
    rows: list[tuple[list[list[float]], list[float], list[float], list[bool], list[int]]] = []
    for sid in sorted(targets):
        s = startups.get(sid)
        if s is None:
            continue
        # The startup as it was when raising that round: its current ask is of another time
        # (and on an evaluation bundle it comes from the held-out relations).
        s = replace(s, ask_round=(rounds or {}).get(sid))
        ties = past.existing_ties(kind, s)
        cands = [i for i in sorted(pool) if i not in ties and not refuses(s, pool[i])]
        relevant = targets[sid] & set(cands)
        if not relevant or not cands:
            continue
        pairs = past.pair_features(kind, s, cands, explain=False)
        feats = [[p.features.get(n, 0.0) for n in TUNABLE] for p in pairs]
        fits = [
            F.fits_score(p.features, stated_preferences(s, pool[p.candidate_id], p.features))
            for p in pairs
        ]
        nudges = [
            sum(
                F.SERVES_WEIGHTS[n] * (p.features.get(n, F.UNKNOWN) - F.UNKNOWN)
                for n in F.CENTRED
                if n in F.SERVES_WEIGHTS
            )
            for p in pairs
        ]
        rows.append((feats, fits, nudges, [p.candidate_id in relevant for p in pairs], cands))
    if not rows:
        return None
    q, c = len(rows), max(len(r[4]) for r in rows)
    check = Check(
        np.zeros((q, c, len(TUNABLE))),
        np.zeros((q, c)),
        np.zeros((q, c)),
        np.zeros((q, c), dtype=bool),
        np.zeros((q, c), dtype=bool),
        np.zeros((q, c), dtype=np.int64),
        TUNABLE,
    )
    for i, (feats, fits, nudges, labels, ids) in enumerate(rows):
        n = len(ids)
        check.x[i, :n] = feats
        check.fits[i, :n] = fits
        check.nudge[i, :n] = nudges
        check.labels[i, :n] = labels
        check.valid[i, :n] = True
        check.order[i, :n] = ids
    return check
