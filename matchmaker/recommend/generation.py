"""Candidate generation for a startup: the union of the dense index's top-N, the lexical leg's
top-N, the candidates linked to the startup's nearest neighbours (startups and, for investors,
portfolio companies), the co-backers of its current backers and the most active candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.hybrid import found_ids as _ids
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.texts import StartupProfile

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from matchmaker.recommend.ranking import Recommender


def generate_candidates(
    rec: Recommender, kind: PairKind, s: StartupProfile, s_vec: NDArray[np.float32], s_text: str
) -> set[int]:
    """Ids of ``kind`` worth scoring for the startup ``s`` (every one in a small pool)."""
    cfg, corpus = rec.config, rec.corpus
    pool = corpus.profiles[kind]
    n = cfg.candidates_per_leg
    if len(pool) <= 2 * n:
        return set(pool)  # small pools: every candidate gets scored
    out = set(_ids(corpus.index(kind).search(s_vec, n)[1]))
    out.update(i for i, _ in corpus.lexical[kind].search(s_text, n))
    _, near = corpus.index("startup").search(s_vec, cfg.neighbour_startups + 1)
    for sid in _ids(near):
        if sid != s.id:
            out.update(corpus.linked[kind].get(sid, ()))
    if kind == "investor" and len(corpus.index(PORTFOLIO)):
        _, entries = corpus.index(PORTFOLIO).search(s_vec, cfg.neighbour_startups)
        for key in _ids(entries):
            out.update(corpus.entry_owners.get(key, ()))
    for backer in corpus.linked[kind].get(s.id, ()):
        for rel in corpus.relations[kind].get(backer, []):
            if rel.startup_id is not None:
                out.update(corpus.linked[kind].get(rel.startup_id, ()))
    out.update(corpus.popular(kind, n // 2))
    return {i for i in out if i in pool}
