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
            history = _history(corpus, kind, s, s_vec, [c.id for c in cands], s_text, 1.0)
            for (_, sims), pair in zip(history, batch, strict=True):
                top3, best = _one_at_a_time(sims)
                assert pair.features["history_top3"] == top3
                assert pair.features["history_max"] == best


class _EnglishOnlyEmbedder:
    """Stands in for an English-only model on Chinese: every text gets nearly the same vector."""

    model_id = "english-only-test"
    reads_cjk = False
    dim = 8

    def encode(self, texts, *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:  # noqa: ANN001
        out = np.ones((len(texts), self.dim), dtype=np.float32)
        out[:, 0] += np.array([len(t) % 3 for t in texts], dtype=np.float32) * 0.01
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_history_similarity_falls_back_to_words_the_model_cannot_read() -> None:
    from datetime import date

    from matchmaker.recommend.texts import InvestorProfile, PortfolioCompany, StartupProfile

    startups = [
        StartupProfile(id=1, name="锂新", description="固态电池正极材料，高镍三元正极涂层"),
        StartupProfile(id=2, name="电芯", description="锂电池正极材料涂层与固态电池"),
        StartupProfile(id=3, name="农感", description="智慧农业土壤传感器与农户应用"),
    ]
    day = date(2024, 1, 1)
    investors = [
        InvestorProfile(
            id=10, name="甲基金", portfolio=(PortfolioCompany("电芯", startup_id=2, date=day),)
        ),
        InvestorProfile(
            id=11, name="乙基金", portfolio=(PortfolioCompany("农感", startup_id=3, date=day),)
        ),
        # A portfolio company that is not on the platform is compared by its words too.
        InvestorProfile(
            id=12,
            name="丙基金",
            portfolio=(PortfolioCompany("正极科技", description="固态电池正极材料", date=day),),
        ),
    ]
    rec = Recommender.from_profiles(_EnglishOnlyEmbedder(), startups=startups, investors=investors)
    by_id = {r.id: r.features for r in rec.investors_for_startup(1, k=3)}
    assert by_id[10]["history_max"] > by_id[11]["history_max"]
    assert by_id[12]["history_max"] > by_id[11]["history_max"]
    assert by_id[10]["dense"] < 0.5, "cosines the model cannot mean are discounted"
