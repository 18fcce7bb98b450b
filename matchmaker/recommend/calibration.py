"""Self-calibration of the two-sided score from the platform's own history, stored as JSON.

The default weights (``features.SERVES_WEIGHTS``) were set by hand on one English bundle and lean
on recency. Markets differ: on one, who invested last quarter is who invests next; on another,
the long-run record or text similarity says more. ``calibrate`` lets the data decide, with a time
split *inside the history* (it never sees anything held out for evaluation):

1. the latest ``target_share`` of dated relations are targets; a copy of the engine keeps only
   the earlier relations (portfolio entries, past mentees) and computes the pair features of
   every target startup against every candidate not already tied to it;
2. three scorers are measured on that check by nDCG@10: the default weights, the popularity
   prior alone, and weights fitted by coordinate ascent on nDCG@10 (measured by cross-validation
   over target startups, so the fitted weights are judged on startups they were not fitted on),
   shrunk toward the default weights by ``n / (n + prior_strength)`` for ``n`` target startups;
3. the best of the three is kept, the fitted weights only if their per-startup gain over the
   better fixed scorer has a paired bootstrap 90 % interval above 0 (a few dozen target startups
   make small gains noise). The popularity prior is one of them, so the chosen scorer is never
   worse than popularity on the check (the safe floor); with little history the shrinkage keeps
   the default weights.

The result is a ``Calibration``: weights, the method chosen and every metric of the check, written
atomically as plain JSON (no pickle), validated on load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matchmaker.recommend import features as F
from matchmaker.recommend.durable import read_versioned_json, write_json_atomically
from matchmaker.recommend.evaluation import paired_bootstrap
from matchmaker.recommend.history_check import TUNABLE, Check, build_check, split_history
from matchmaker.recommend.kinds import PairKind, pair_kind

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.ranking import Recommender

CALIBRATION_FORMAT = 1
POPULARITY_PRIOR: Mapping[str, float] = {"popularity": 1.0}
# Two-sided level of the paired bootstrap interval the fitted weights' gain must clear.
FIT_CONFIDENCE = 0.90
METHODS = ("default", "popularity", "fitted")


class CalibrationInvalid(Exception):  # noqa: N818 - reads as "the calibration is invalid"
    """The calibration file is unreadable, malformed or names unknown features."""


@dataclass(frozen=True)
class Calibration:
    """Serves-side weights chosen on the platform's own history, and the evidence for them.

    ``two_sided``: combine with the "fits" side by a harmonic mean (as the default score does);
    False only for the popularity prior, which is served exactly as measured.
    """

    kind: PairKind
    method: str
    weights: dict[str, float]
    two_sided: bool = True
    metrics: dict[str, float] = field(default_factory=dict)
    n_targets: int = 0
    cutoff: float | None = None
    created_at: str = ""
    note: str = ""
    format_version: int = CALIBRATION_FORMAT

    def score(self, f: Mapping[str, float], stated: Sequence[str]) -> float:
        if self.two_sided:
            return F.two_sided_score(f, stated, self.weights)
        return F.serves_score(f, self.weights)

    def save(self, path: Path | str) -> None:
        """Write atomically (temporary file, fsync, rename) so readers never see half a file."""
        write_json_atomically(path, asdict(self), sort_keys=True)

    @classmethod
    def load(cls, path: Path | str) -> Calibration:
        data = read_versioned_json(path, CALIBRATION_FORMAT, "calibration", CalibrationInvalid)
        try:
            cal = cls(
                kind=pair_kind(str(data["kind"])),
                method=str(data["method"]),
                weights={str(k): float(v) for k, v in dict(data["weights"]).items()},
                two_sided=bool(data.get("two_sided", True)),
                metrics={str(k): float(v) for k, v in dict(data.get("metrics", {})).items()},
                n_targets=int(data.get("n_targets", 0)),
                cutoff=None if data.get("cutoff") is None else float(data["cutoff"]),
                created_at=str(data.get("created_at", "")),
                note=str(data.get("note", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationInvalid(f"{path}: malformed calibration: {exc}") from exc
        check_weights(cal.weights, str(path))
        if cal.method not in METHODS:
            raise CalibrationInvalid(f"{path}: unknown method {cal.method!r}")
        return cal


def check_weights(weights: Mapping[str, float], where: str = "weights") -> None:
    unknown = set(weights) - set(F.FEATURE_NAMES)
    if unknown:
        raise CalibrationInvalid(f"{where}: unknown features {sorted(unknown)}")
    if not weights or any(not math.isfinite(w) or w < 0 for w in weights.values()):
        raise CalibrationInvalid(f"{where}: weights must be finite and non-negative")
    if sum(weights.values()) <= 0:
        raise CalibrationInvalid(f"{where}: weights sum to zero")


def default_calibration(kind: PairKind, note: str = "") -> Calibration:
    """The hand-set default weights (what the engine uses without a calibration)."""
    return Calibration(kind, "default", dict(F.SERVES_WEIGHTS), created_at=_now(), note=note)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _vector(weights: Mapping[str, float]) -> NDArray[np.float64]:
    w = np.array([weights.get(n, 0.0) for n in TUNABLE], dtype=np.float64)
    out: NDArray[np.float64] = w / w.sum()
    return out


def scores(check: Check, w: NDArray[np.float64], two_sided: bool) -> NDArray[np.float64]:
    serves: NDArray[np.float64] = check.x @ (w / w.sum())
    if not two_sided:
        return serves  # the popularity prior: served without the nudges, as measured
    serves = np.clip(serves + check.nudge, 0.0, 1.0)
    a, b = np.maximum(serves, 1e-6), np.maximum(check.fits, 1e-6)
    harmonic: NDArray[np.float64] = 2 * a * b / (a + b)
    return harmonic


def ndcg_at_10(check: Check, s: NDArray[np.float64]) -> float:
    """Mean binary nDCG@10 of ranking each query's candidates by ``s`` (ties by id)."""
    if not len(check):
        return 0.0
    return float(np.mean(ndcg_per_query(check, s)))


def ndcg_per_query(check: Check, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Binary nDCG@10 of each query of the check, ranked by ``s`` (ties by id)."""
    s = np.where(check.valid, s, -np.inf)
    order = np.lexsort((check.order, -s), axis=-1)[:, :10]
    gains = np.take_along_axis(check.labels, order, axis=1).astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    dcg = (gains * discounts[: gains.shape[1]]).sum(axis=1)
    n_rel = np.minimum(check.labels.sum(axis=1), 10)
    ideal = np.array([discounts[:n].sum() for n in n_rel])
    out: NDArray[np.float64] = dcg / np.maximum(ideal, 1e-12)
    return out


def fit_weights(
    check: Check, start: Mapping[str, float], *, passes: int = 4, min_gain: float = 1e-4
) -> NDArray[np.float64]:
    """Coordinate ascent on nDCG@10 (RankLib's method for linear rankers): one weight at a
    time, a few multiplicative and additive moves, keep a move only if it gains."""
    w = _vector(start)
    best = ndcg_at_10(check, scores(check, w, True))
    for _ in range(passes):
        improved = False
        for j in range(len(TUNABLE)):
            for move in (0.0, 0.5, 2.0, "+0.05", "+0.15"):
                trial = w.copy()
                trial[j] = trial[j] + float(move[1:]) if isinstance(move, str) else trial[j] * move
                if trial.sum() <= 0:
                    continue
                value = ndcg_at_10(check, scores(check, trial, True))
                if value > best + min_gain:
                    best, w, improved = value, trial / trial.sum(), True
        if not improved:
            break
    return w


def _shrunk(fitted: NDArray[np.float64], n: int, prior_strength: float) -> NDArray[np.float64]:
    lam = n / (n + prior_strength)
    return lam * fitted + (1.0 - lam) * _vector(F.SERVES_WEIGHTS)


def calibrate(
    rec: Recommender,
    kind: PairKind,
    *,
    target_share: float = 0.2,
    folds: int = 3,
    prior_strength: float = 30.0,
    seed: int = 0,
) -> Calibration:
    """Choose the serves-side weights of ``kind`` ("investor", "mentor") on ``rec``'s own
    history (see the module docstring). Only ``rec``'s profiles and relations are read."""
    from matchmaker.recommend.ranking import Recommender

    pool = list(rec.corpus.profiles[kind].values())
    split = split_history(pool, set(rec.corpus.profiles["startup"]), target_share)
    if split is None:
        return default_calibration(kind, "too little dated history")
    past = Recommender(rec.corpus.embedder, config=rec.config)
    # The same texts: reuse the vectors instead of embedding again.
    past.corpus.indexes = dict(rec.corpus.indexes)
    past.corpus.hashes = {k: dict(v) for k, v in rec.corpus.hashes.items()}
    past.sync("startup", rec.corpus.profiles["startup"].values())
    past.sync(kind, split.past)
    check = build_check(past, kind, split.targets, split.rounds)
    if check is None or len(check) < 5:
        return default_calibration(kind, "too few target startups")
    n = len(check)
    default_w, pop_w = _vector(F.SERVES_WEIGHTS), _vector(POPULARITY_PRIOR)
    metrics = {
        "targets": float(n),
        "candidates": float(check.valid.sum(axis=1).mean()),
        "ndcg_default": ndcg_at_10(check, scores(check, default_w, True)),
        "ndcg_popularity": ndcg_at_10(check, scores(check, pop_w, False)),
    }
    held = _cross_validated(check, folds, prior_strength, seed)
    metrics["ndcg_fitted_cv"] = float(held.mean())
    fitted = _shrunk(fit_weights(check, F.SERVES_WEIGHTS), n, prior_strength)
    metrics["ndcg_fitted_in_sample"] = ndcg_at_10(check, scores(check, fitted, True))
    # Fitted weights must beat the better fixed scorer by more than the check's noise: the
    # lower end of a paired bootstrap interval of the per-startup gain must be above 0 (on a
    # few dozen target startups a small mean gain is mostly which startups fell in the check).
    if metrics["ndcg_default"] > metrics["ndcg_popularity"]:
        fixed = ndcg_per_query(check, scores(check, default_w, True))
    else:
        fixed = ndcg_per_query(check, scores(check, pop_w, False))
    gain = paired_bootstrap(held.tolist(), fixed.tolist(), level=FIT_CONFIDENCE, seed=seed)
    metrics["fitted_gain_ci_low"] = gain["ci_low"]
    options = {
        "default": metrics["ndcg_default"],
        "popularity": metrics["ndcg_popularity"],
        "fitted": metrics["ndcg_fitted_cv"],
    }
    # The fitted weights must beat both fixed scorers, surely; ties go to the popularity prior.
    if options["fitted"] > max(options["default"], options["popularity"]) and gain["ci_low"] > 0.0:
        method = "fitted"
    elif options["popularity"] >= options["default"]:
        method = "popularity"
    else:
        method = "default"
    return Calibration(
        kind,
        method,
        _method_weights(method, fitted),
        two_sided=method != "popularity",
        metrics={k: round(v, 6) for k, v in metrics.items()},
        n_targets=n,
        cutoff=round(split.cutoff, 4),
        created_at=_now(),
    )


def _cross_validated(
    check: Check, folds: int, prior_strength: float, seed: int
) -> NDArray[np.float64]:
    """Each target startup's nDCG@10 under weights fitted without it (``folds``-fold)."""
    n = len(check)
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(n) % max(2, folds)
    held = np.zeros(n)
    for k in range(max(2, folds)):
        train, test = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        if not len(train) or not len(test):
            continue
        w = _shrunk(fit_weights(check.subset(train), F.SERVES_WEIGHTS), len(train), prior_strength)
        held[test] = ndcg_per_query(check.subset(test), scores(check.subset(test), w, True))
    return held


def _method_weights(method: str, fitted: NDArray[np.float64]) -> dict[str, float]:
    """The weights a calibration stores for the chosen ``method``."""
    if method == "fitted":
        weights = {
            name: round(float(v), 6) for name, v in zip(TUNABLE, fitted, strict=True) if v > 0
        }
        # The history has no ratings to fit them on: keep the hand-set nudge of the centred
        # features (``features.CENTRED``), which leaves the fitted order alone when unknown.
        weights.update({name: F.SERVES_WEIGHTS[name] for name in F.CENTRED})
    elif method == "popularity":
        weights = dict(POPULARITY_PRIOR)
    else:
        weights = dict(F.SERVES_WEIGHTS)
    return weights
