"""The candidate's side: startups for a mentor or an investor, each pair scored exactly as from
the startup's side (``pairing.score_pairs``), so a pair gets the same score whichever side asks.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from matchmaker.recommend.hybrid import found_ids as _ids
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.pairing import refuses, score_pairs
from matchmaker.recommend.reasons import Recommendation

if TYPE_CHECKING:
    from matchmaker.recommend.ranking import Recommender


def startups_for(
    rec: Recommender, kind: PairKind, cand_id: int, k: int, exclude: Collection[int]
) -> list[Recommendation]:
    """Startups the candidate fits, each scored as the same pair from the startup's side."""
    c = rec.profile(kind, cand_id)
    corpus, n = rec.corpus, rec.config.candidates_per_leg
    c_vec = corpus.vector(kind, cand_id, c)
    c_text = corpus.text(kind, c)
    startups = corpus.profiles["startup"]
    ids = set(_ids(corpus.index("startup").search(c_vec, n)[1]))
    ids.update(i for i, _ in corpus.lexical["startup"].search(c_text, n))
    linked = {r.startup_id for r in corpus.relations[kind].get(cand_id, [])}
    known = [i for i in linked if i is not None and i in corpus.index("startup")]
    if known:
        _, near = corpus.index("startup").search(
            corpus.index("startup").get_vectors(known), max(5, n // max(1, len(known)))
        )
        ids.update(_ids(near))
    skip = set(exclude) | linked
    lexical = corpus.lexical["startup"].scores(c_text, list(ids))
    recs = []
    for sid in sorted(ids - skip):
        s = startups.get(sid)
        if s is None or refuses(s, c) or cand_id in corpus.named(kind, s):
            continue  # a startup that names the candidate is already tied to it
        s_vec = corpus.vector("startup", sid, s)
        (pair,) = score_pairs(
            corpus,
            kind,
            s,
            s_vec,
            [c],
            [float(c_vec @ s_vec)],
            {cand_id: lexical.get(sid, 0.0)},
            corpus.text("startup", s),
            {cand_id: c_text},
            **rec._scorer(kind),
        )
        recs.append(Recommendation("startup", sid, pair.score, pair.reasons, pair.features))
    recs.sort(key=lambda r: (-r.score, r.id))
    return recs[:k]
