from __future__ import annotations

import numpy as np

from matchmaker.recommend.pairing import _history, _history_top, score_pairs
from matchmaker.recommend.ranking import Recommender


def _one_at_a_time(sims: np.ndarray) -> tuple[float, float]:
    """The per-candidate path ``score_pairs`` used before it was batched."""
    top = np.sort(sims)[::-1][:3] if len(sims) else sims
    return max(0.0, float(top.sum()) / 3.0), max(0.0, float(top[0])) if len(top) else 0.0


def test_batched_history_top_equals_the_per_candidate_path_exactly() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        lengths = rng.integers(0, 9, size=int(rng.integers(0, 40)))
        history = []
        for n in lengths:
            sims = rng.uniform(-0.3, 1.0, size=n).astype(np.float32)
            if n > 2 and rng.random() < 0.3:
                sims[1] = sims[0]  # ties
            history.append(([], sims))
        top3, best = _history_top(history)
        for (_, sims), t3, mx in zip(history, top3, best, strict=True):
            assert (max(0.0, t3 / 3.0), max(0.0, mx)) == _one_at_a_time(sims)


def test_score_pairs_history_features_equal_the_per_candidate_path(
    recommender: Recommender,
) -> None:
    corpus = recommender.corpus
    for kind in ("investor", "mentor"):
        cands = list(corpus.profiles[kind].values())
        for s in corpus.profiles["startup"].values():
            s_vec = corpus.vector("startup", s.id, s)
            s_text = corpus.text("startup", s)
            dense = (corpus.index(kind).get_vectors([c.id for c in cands]) @ s_vec).tolist()
            lexical = corpus.lexical[kind].scores(s_text, [c.id for c in cands])
            batch = score_pairs(corpus, kind, s, s_vec, cands, dense, lexical, s_text, {})
            history = _history(corpus, kind, s, s_vec, [c.id for c in cands])
            for (_, sims), pair in zip(history, batch, strict=True):
                top3, best = _one_at_a_time(sims)
                assert pair.features["history_top3"] == top3
                assert pair.features["history_max"] == best
