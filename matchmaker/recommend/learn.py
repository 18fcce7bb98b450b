"""A learned ranker: logistic regression on outcome rows, stored as plain JSON.

Outcome rows are (features of a recommended pair, 1 if it led somewhere — a session held, an
investment — else 0). The file holds coefficients, intercept, the standardisation, feature names
and training metrics; loading it is ``json.loads`` plus validation, never unpickling. The engine
uses it only when it exists, matches the current feature names and was trained on enough rows;
otherwise the default two-sided weights apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from matchmaker.recommend.durable import read_versioned_json, write_json_atomically
from matchmaker.recommend.kinds import PairKind, pair_kind

RANKER_FORMAT = 1


class RankerInvalid(Exception):  # noqa: N818 - reads as "the ranker is invalid"
    """The ranker file is unreadable, malformed or does not match the engine's features."""


@dataclass(frozen=True)
class LearnedRanker:
    kind: PairKind
    feature_names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    n_train: int
    metrics: dict[str, float] = field(default_factory=dict)
    trained_at: str = ""
    format_version: int = RANKER_FORMAT

    def score(self, features: Mapping[str, float]) -> float:
        """Probability that the pair leads somewhere (missing features count as their mean)."""
        z = self.intercept
        for name, c, m, s in zip(self.feature_names, self.coef, self.mean, self.scale, strict=True):
            z += c * (features.get(name, m) - m) / s
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def save(self, path: Path | str) -> None:
        """Write atomically (temporary file, fsync, rename) so readers never see half a file."""
        write_json_atomically(path, asdict(self))

    @classmethod
    def load(cls, path: Path | str) -> LearnedRanker:
        data = read_versioned_json(path, RANKER_FORMAT, "ranker", RankerInvalid)
        try:
            ranker = cls(
                kind=pair_kind(str(data["kind"])),
                feature_names=tuple(str(x) for x in data["feature_names"]),
                coef=tuple(float(x) for x in data["coef"]),
                intercept=float(data["intercept"]),
                mean=tuple(float(x) for x in data["mean"]),
                scale=tuple(float(x) for x in data["scale"]),
                n_train=int(data["n_train"]),
                metrics={str(k): float(v) for k, v in dict(data.get("metrics", {})).items()},
                trained_at=str(data.get("trained_at", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerInvalid(f"{path}: malformed ranker: {exc}") from exc
        n = len(ranker.feature_names)
        if not (len(ranker.coef) == len(ranker.mean) == len(ranker.scale) == n) or any(
            s <= 0 or not math.isfinite(s) for s in ranker.scale
        ):
            raise RankerInvalid(f"{path}: inconsistent ranker arrays")
        return ranker


def train_ranker(
    kind: PairKind,
    rows: Sequence[tuple[Mapping[str, float], int]],
    feature_names: Sequence[str],
    *,
    c: float = 1.0,
    seed: int = 0,
    holdout: float = 0.2,
) -> LearnedRanker:
    """Fit a logistic regression; AUC and accuracy are measured on a held-out share of rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score

    if not rows:
        raise ValueError("no training rows")
    names = tuple(feature_names)
    x = np.array([[float(f.get(n, 0.0)) for n in names] for f, _ in rows], dtype=np.float64)
    y = np.array([int(label) for _, label in rows], dtype=np.int64)
    if len(set(y.tolist())) < 2:
        raise ValueError("training rows need both positive and negative labels")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # constant features: keep them harmless
    z = (x - mean) / scale
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_test = int(len(y) * holdout)
    test, train = order[:n_test], order[n_test:]
    metrics: dict[str, float] = {"n": float(len(y)), "positives": float(y.sum())}
    if n_test >= 10 and len(set(y[test].tolist())) == 2 and len(set(y[train].tolist())) == 2:
        probe = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
        probe.fit(z[train], y[train])
        metrics["auc"] = float(roc_auc_score(y[test], probe.predict_proba(z[test])[:, 1]))
        metrics["accuracy"] = float(accuracy_score(y[test], probe.predict(z[test])))
    model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
    model.fit(z, y)
    return LearnedRanker(
        kind=kind,
        feature_names=names,
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        n_train=len(y),
        metrics=metrics,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def load_usable_ranker(
    path: Path | str,
    kind: PairKind,
    feature_names: Sequence[str],
    *,
    min_rows: int = 200,
) -> LearnedRanker | None:
    """The ranker at ``path`` if present, valid, for ``kind``, on these features and trained on
    at least ``min_rows`` rows; otherwise None (use default weights). Invalid files raise."""
    if not Path(path).is_file():
        return None
    ranker = LearnedRanker.load(path)
    if ranker.kind != kind or ranker.n_train < min_rows:
        return None
    if set(ranker.feature_names) - set(feature_names):
        return None
    return ranker


def ranker_info(ranker: LearnedRanker) -> dict[str, Any]:
    return {"kind": ranker.kind, "n_train": ranker.n_train, **ranker.metrics}
