"""Short phrases of profiles (``texts.profile_phrases``: an instrument's name, a mentor's
expertise clause) and their vectors: what a short need or a startup is closest to in meaning,
across languages where no word is shared (``PhraseVectors``, part of ``corpus.Corpus``). The
single words of mentors' expertise and founders' descriptions are phrases too
(``expertise_meaning.expertise_words``): their vectors match expertise across languages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from matchmaker.recommend import texts as T
from matchmaker.recommend.expertise_meaning import expertise_words
from matchmaker.recommend.kinds import ProfileKind

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.embedding import Embedder
    from matchmaker.recommend.index import VectorIndex

log = logging.getLogger(__name__)

# Vectors of the short phrases of every profile (``texts.profile_phrases``), keyed by their text
# (``phrase_key``): computed by the builder, published with the version, never embedded while
# serving. Not in ``texts`` because it is the engine's bookkeeping, not a profile template.
PHRASE: Literal["phrase"] = "phrase"
PHRASE_TEMPLATE_VERSION = "phrase-v1"


@lru_cache(maxsize=32_768)
def phrase_key(text: str) -> int:
    """The id of a phrase's vector: its content (60 bits), so a phrase shared by profiles, or
    unchanged by an edit, has one vector. Cached: a search page keys the phrases of every
    candidate it rescores, and they are mostly the same ones."""
    return int(T.content_hash(text, "", PHRASE_TEMPLATE_VERSION)[:15], 16)


def phrase_texts(profiles: Iterable[Any]) -> dict[int, str]:
    """``phrase_key`` -> phrase of every phrase of ``profiles`` (any kinds), and of their
    expertise words."""
    return {
        phrase_key(t): t for p in profiles for t in (*T.profile_phrases(p), *expertise_words(p))
    }


class _CorpusState(Protocol):
    """What ``PhraseVectors`` reads and writes of the ``Corpus`` it is part of."""

    embedder: Embedder
    frozen: bool
    profiles: dict[ProfileKind, dict[int, Any]]
    hashes: dict[str, dict[int, str]]
    _phrases_unvectored: set[int]

    def index(self, kind: str) -> VectorIndex: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...

    def _hash(self, kind: str, text: str) -> str: ...


class PhraseVectors:
    """Phrase lookups of ``Corpus`` (a mixin: the phrase index is the corpus's)."""

    def closest_phrase(
        self: _CorpusState, q: NDArray[np.float32], profile: Any, minimum: float
    ) -> str | None:
        """The phrase of ``profile`` (``texts.profile_phrases``) closest in meaning to the vector
        ``q``, if its cosine reaches ``minimum`` (vectors: see ``_phrase_matrix``)."""
        return PhraseVectors.closest_phrases(self, q, [profile], minimum)[0]

    def closest_phrases(
        self: _CorpusState, q: NDArray[np.float32], profiles: Sequence[Any], minimum: float
    ) -> list[str | None]:
        """``closest_phrase`` of each of ``profiles``, with one lookup of all their vectors (a
        search page explains a few dozen results)."""
        phrases = [T.profile_phrases(p) for p in profiles]
        flat = [t for ts in phrases for t in ts]
        if not flat:
            return [None] * len(profiles)
        sims = (_phrase_matrix(self, flat) @ q).tolist()
        out: list[str | None] = []
        start = 0
        for ts in phrases:
            own = sims[start : start + len(ts)]
            start += len(ts)
            best = max(range(len(ts)), key=own.__getitem__, default=None)
            out.append(ts[best] if best is not None and own[best] >= minimum else None)
        return out

    def phrase_vectors(self: _CorpusState, phrases: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of ``phrases``, one row each (see ``_phrase_matrix``: zero rows for phrases
        a frozen corpus has no vector for)."""
        return _phrase_matrix(self, phrases)

    def phrase_similarity(
        self: _CorpusState, q: NDArray[np.float32], kind: ProfileKind, ids: Sequence[int]
    ) -> list[float]:
        """Per profile of ``kind``: the best cosine of ``q`` to one of its short phrases (an
        instrument's name, a mentor's expertise clause; 0 without phrases).

        A short need ("XRD", "工程仿真工作站") is closer to the phrase that names it than to a
        whole profile, whose vector averages every other thing the profile says; across
        languages, where no word is shared, this is the only evidence."""
        phrases = [T.profile_phrases(self.profiles[kind][i]) for i in ids]
        flat = [p for ps in phrases for p in ps]
        if not flat:
            return [0.0] * len(ids)
        sims = (_phrase_matrix(self, flat) @ q).tolist()
        out, start = [], 0
        for ps in phrases:
            out.append(max(sims[start : start + len(ps)], default=0.0))
            start += len(ps)
        return out


def _phrase_matrix(corpus: _CorpusState, phrases: Sequence[str]) -> NDArray[np.float32]:
    """Vectors of ``phrases`` (one row each) from the phrase index.

    Frozen (serving a published version): a phrase without a stored vector is a zero row
    (similarity 0), logged once per phrase, never embedded: a request embeds only its
    query. Otherwise (offline use, evaluation, tests) missing phrases are embedded and
    added to the index."""
    index = corpus.index(PHRASE)
    keys = [phrase_key(p) for p in phrases]
    todo = {k: p for k, p in zip(keys, phrases, strict=True) if k not in index}
    if todo and not corpus.frozen:
        ids = list(todo)
        index.add(np.array(ids, dtype=np.int64), corpus.embed([todo[k] for k in ids]))
        corpus.hashes[PHRASE].update({k: corpus._hash(PHRASE, todo[k]) for k in ids})
        todo = {}
    out = np.zeros((len(phrases), corpus.embedder.dim), dtype=np.float32)
    have = [row for row, k in enumerate(keys) if k not in todo]
    if have:
        out[have] = index.get_vectors([keys[row] for row in have])
    new = todo.keys() - corpus._phrases_unvectored
    if new:
        corpus._phrases_unvectored.update(new)
        log.warning(
            "%d phrase(s) without a published vector count as unrelated (e.g. %r)",
            len(new),
            todo[next(iter(new))],
        )
    return out
