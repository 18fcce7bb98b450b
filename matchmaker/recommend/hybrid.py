"""Free-text retrieval over one kind: dense and lexical legs fused, explained with matched terms.

Used by ``Recommender.search``, ``equipment_for_need`` and ``similar_startups``: there is no
second side to satisfy, so the score is a weighted sum of cosine similarities.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.kinds import ProfileKind
from matchmaker.recommend.reasons import SIMILAR_MEANING_MIN, Reason, Recommendation

# Kinds whose profiles name things a need names (instruments, expertise) in short phrases, and
# how many leading candidates of each leg are re-scored by their best phrase.
PHRASE_KINDS = frozenset({"equipment", "mentor"})
PHRASE_RESCORED = 15
# Below this cosine a phrase is only loosely related ("创业补贴" to "fundraising pitch" 0.47) and
# the whole profile's cosine stands; the phrase naming the need is mostly above it (demo
# instruments across languages: 0.51-0.91, scripts/eval_crosslingual.py).
PHRASE_MATCH_MIN = 0.5
# Dense weight on text the embedding model cannot read (Chinese for an English-only model).
NON_READER_DENSE_WEIGHT = 0.2
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from matchmaker.recommend.corpus import Corpus


def found_ids(found: NDArray[np.int64]) -> list[int]:
    """Ids from an index search result, without the -1 padding."""
    return [int(i) for i in np.asarray(found).ravel().tolist() if i >= 0]


def cjk_share(text: str) -> float:
    """Fraction of the letters of ``text`` that are CJK characters."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _CJK.match(ch)) / len(letters)


def effective_dense_weight(dense_weight: float, text: str, model_reads_cjk: bool) -> float:
    """The dense leg's weight for ``text``: lowered, in proportion to its Chinese, when the
    model cannot read Chinese (its cosines there are noise; the lexical leg still reads it)."""
    if model_reads_cjk:
        return dense_weight
    share = cjk_share(text)
    return dense_weight * (1 - share) + min(dense_weight, NON_READER_DENSE_WEIGHT) * share


def hybrid_search(
    corpus: Corpus,
    kind: ProfileKind,
    q: NDArray[np.float32],
    text: str,
    k: int,
    allowed: frozenset[int] | None,
    dense_weight: float,
    per_leg: int,
    *,
    explain: bool = True,
) -> list[Recommendation]:
    """Top ``k`` of ``kind`` for ``text`` (embedded as ``q``) among ``allowed`` (None: all).

    Candidates are the union of both legs' top ``per_leg``; reasons are computed only for the
    ``k`` returned, because matched terms cost a tokenisation of each profile. ``explain``
    False: no reasons, for a caller that keeps only some of the results and explains those
    (``explain_matches``).
    """
    index = corpus.index(kind)
    if len(index) == 0 or (allowed is not None and not allowed):
        return []
    if allowed is not None and len(allowed) >= len(index):
        allowed = None  # everything allowed: an unfiltered search is faster
    n = max(k, per_leg)
    ids = set(found_ids(index.search(q, min(n, len(index)), allowed_ids=allowed)[1]))
    words = corpus.lexical[kind].query(text)
    ids.update(i for i, _ in words.top(n) if allowed is None or i in allowed)
    if not ids:
        return []
    order = sorted(ids)
    dense = np.clip(index.get_vectors(order) @ q, 0.0, 1.0).tolist()
    lexical = words.scores(order)
    reads = reads_cjk(corpus.embedder)
    weight = effective_dense_weight(dense_weight, text, reads)

    def fused(i: int, d: float) -> float:
        return weight * d + (1 - weight) * lexical.get(i, 0.0)

    if kind in PHRASE_KINDS and model_reads(corpus, text):
        # The best phrase of a profile can stand for it where it is closer to the need than the
        # whole text is. Only for the leading candidates (by the fused score and by the dense
        # score alone, so that hits in the other language, with no shared word, are among
        # them). Phrase vectors come with the published index version (built by the worker).
        by_fused = sorted(range(len(order)), key=lambda j: -fused(order[j], dense[j]))
        by_dense = sorted(range(len(order)), key=lambda j: -dense[j])
        lead = sorted(set(by_fused[:PHRASE_RESCORED]) | set(by_dense[:PHRASE_RESCORED]))
        best = corpus.phrase_similarity(q, kind, [order[j] for j in lead])
        for j, p in zip(lead, best, strict=True):
            if p >= PHRASE_MATCH_MIN:
                dense[j] = max(dense[j], min(1.0, p))
    recs = []
    for i, d in zip(order, dense, strict=True):
        lx = lexical.get(i, 0.0)
        recs.append(Recommendation(kind, i, fused(i, d), (), {"dense": d, "lexical": lx}))
    recs.sort(key=lambda r: (-r.score, r.id))
    return explain_matches(corpus, kind, text, recs[:k], q) if explain else recs[:k]


def explain_matches(
    corpus: Corpus,
    kind: ProfileKind,
    text: str,
    recs: Sequence[Recommendation],
    q: NDArray[np.float32],
) -> list[Recommendation]:
    """Each result with its reason: shared words if there are any; otherwise its phrase
    closest in meaning to the need (in either language: "场发射扫描电镜" for "scanning electron
    microscope"), if the model reads the need's language and the phrase is close enough."""
    profiles = corpus.profiles[kind]
    reasons: dict[int, Reason] = {}
    for rec in recs:
        if rec.features["lexical"] > 0:
            terms = corpus.lexical[kind].matched_terms(text, corpus.text(kind, profiles[rec.id]))
            if terms:
                reasons[rec.id] = Reason("matched_terms", {"terms": terms})
    unexplained = [rec.id for rec in recs if rec.id not in reasons]
    if unexplained and model_reads(corpus, text):
        phrases = corpus.closest_phrases(q, [profiles[i] for i in unexplained], SIMILAR_MEANING_MIN)
        for i, phrase in zip(unexplained, phrases, strict=True):
            if phrase:
                reasons[i] = Reason("similar_meaning", {"phrase": phrase})
    return [replace(rec, reasons=(reasons[rec.id],) if rec.id in reasons else ()) for rec in recs]


def model_reads(corpus: Corpus, text: str) -> bool:
    """Whether the embedding model's vector of ``text`` means something (not Chinese text for
    an English-only model)."""
    return reads_cjk(corpus.embedder) or cjk_share(text) < 0.5
