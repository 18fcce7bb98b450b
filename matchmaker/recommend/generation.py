"""Candidate generation for a startup: the union of the dense index's top-N, the lexical leg's
top-N, the candidates linked to the startup's nearest neighbours (startups and, for investors,
portfolio companies), the co-backers of its current backers and the most active candidates.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.hybrid import found_ids as _ids
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.texts import StartupProfile

# The relation legs keep at most this many times ``candidates_per_leg`` candidates each.
LINKED_PER_LEG_FACTOR = 4

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
    linked = corpus.linked[kind]
    # The relation legs count how many links point at each candidate and keep the most linked
    # ``LINKED_PER_LEG_FACTOR * n``: at 100,000s of profiles one startup may have thousands of
    # backers, and scoring all their co-backers took minutes per request. A company with more
    # backers than that is a crowd, not a syndicate: it adds no co-backers.
    cap = LINKED_PER_LEG_FACTOR * n
    near_links: Counter[int] = Counter()
    _, near = corpus.index("startup").search(s_vec, cfg.neighbour_startups + 1)
    for sid in _ids(near):
        if sid != s.id:
            near_links.update(linked.get(sid, ()))
    if kind == "investor" and len(corpus.index(PORTFOLIO)):
        _, entries = corpus.index(PORTFOLIO).search(s_vec, cfg.neighbour_startups)
        for key in _ids(entries):
            near_links.update(corpus.entry_owners.get(key, ()))
    co_links: Counter[int] = Counter()
    for backer in linked.get(s.id, ()):
        for rel in corpus.relations[kind].get(backer, []):
            backers = linked.get(rel.startup_id, ()) if rel.startup_id is not None else ()
            if len(backers) <= cap:
                co_links.update(backers)
    for links in (near_links, co_links):
        out.update(i for i, _ in sorted(links.items(), key=lambda kv: (-kv[1], kv[0]))[:cap])
    out.update(corpus.popular(kind, n // 2))
    return {i for i in out if i in pool}
