"""The lexical leg: TF-IDF over words that carries Chinese, with the matched terms as evidence.

Tokens are Latin words (lower-cased, light plural folding), jieba words for runs of CJK
characters, and CJK character bigrams. jieba gives readable terms for reasons ("专利", "律师");
bigrams catch what jieba segments differently in the query and the profile.

Incremental updates keep the fitted vocabulary and IDF: a new profile is transformed with them and
its row replaced. Words never seen at fit time are ignored until the next full ``fit``; that is the
price of not refitting on every edit.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import NDArray

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9][a-z0-9+#\-]*[a-z0-9+#]|[a-z0-9]")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Small on purpose: TF-IDF already discounts common words; these are the ones that make
# "matched terms" reasons look silly.
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "this",
        "to",
        "we",
        "with",
        "you",
        "your",
        "will",
        "can",
        "all",
        "more",
        "new",
        "who",
        "that",
        "which",
        "into",
        "over",
        "than",
        "also",
        "not",
        "de",
        "la",
        "的",
        "了",
        "和",
        "与",
        "及",
        "是",
        "在",
        "为",
        "对",
        "等",
        "我们",
        "一个",
        "有",
        "中",
        "或",
    ]
)


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _fold(word: str) -> str:
    # Cheap plural folding so "batteries" meets "battery" and "lawyers" meets "lawyer".
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text``: words for reasons plus CJK bigrams (prefixed ``~``)."""
    return list(_tokenize_cached(text))


@lru_cache(maxsize=65_536)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    # Profile texts are tokenised again for every explanation; jieba is the costly part.
    out: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        tok = match.group(0)
        if _IS_CJK.match(tok):
            out.extend(w for w in _jieba().lcut(tok) if w not in _STOP)
            out.extend("~" + tok[i : i + 2] for i in range(len(tok) - 1))
        elif tok not in _STOP and not (len(tok) == 1 and tok.isalpha()):
            out.append(_fold(tok))
    return tuple(out)


class LexicalIndex:
    """TF-IDF rows keyed by integer id, cosine search and matched-term explanations."""

    def __init__(self, *, min_df: int = 1, max_features: int | None = 200_000) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(
            analyzer=tokenize,
            sublinear_tf=True,
            min_df=min_df,
            max_features=max_features,
            dtype=np.float32,
        )
        self._fitted = False
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._rows: list[sp.csr_matrix] = []
        self._matrix: sp.csr_matrix | None = None
        self._idf: dict[str, float] = {}
        self._max_idf = 1.0
        self._query_cache: dict[str, sp.csr_matrix] = {}

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._row_of

    def fit(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Fit vocabulary and IDF on ``texts`` and index them (replaces everything)."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate ids")
        self._ids, self._row_of, self._rows, self._matrix = [], {}, [], None
        if not texts or not any(t.strip() for t in texts):
            self._fitted = False
            for item_id in ids:
                self._append(int(item_id), None)
            return
        matrix = self._vectorizer.fit_transform(texts).tocsr()
        self._fitted = True
        vocab = self._vectorizer.get_feature_names_out()
        self._idf = dict(zip(vocab.tolist(), self._vectorizer.idf_.tolist(), strict=True))
        self._max_idf = max(self._idf.values(), default=1.0)
        self._query_cache.clear()
        for i, item_id in enumerate(ids):
            self._append(int(item_id), matrix[i])
        self._matrix = matrix

    def _append(self, item_id: int, row: sp.csr_matrix | None) -> None:
        self._row_of[item_id] = len(self._ids)
        self._ids.append(item_id)
        self._rows.append(row if row is not None else self._empty_row())

    def _empty_row(self) -> sp.csr_matrix:
        width = len(self._idf) if self._fitted else 1
        return sp.csr_matrix((1, width), dtype=np.float32)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not self._fitted:
            return sp.csr_matrix((len(texts), 1), dtype=np.float32)
        return self._vectorizer.transform(texts).tocsr()

    def _query(self, text: str) -> sp.csr_matrix:
        # One request asks search() and scores() about the same query text; sklearn's transform
        # costs milliseconds of validation, so the last few queries are kept (vocabulary-bound).
        found = self._query_cache.get(text)
        if found is None:
            found = self.transform([text])
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = found
        return found

    def upsert(self, item_id: int, text: str) -> None:
        """Add or replace one row with the fitted vocabulary (no refit)."""
        row = self.transform([text])[0]
        item_id = int(item_id)
        if item_id in self._row_of:
            self._rows[self._row_of[item_id]] = row
        else:
            self._append(item_id, row)
        self._matrix = None

    def remove(self, item_id: int) -> None:
        pos = self._row_of.pop(int(item_id), None)
        if pos is None:
            return
        del self._ids[pos]
        del self._rows[pos]
        for i in range(pos, len(self._ids)):
            self._row_of[self._ids[i]] = i
        self._matrix = None

    def _full(self) -> sp.csr_matrix:
        if self._matrix is None:
            self._matrix = (
                sp.vstack(self._rows, format="csr") if self._rows else self._empty_row()[:0]
            )
        return self._matrix

    def scores(self, query: str, ids: Iterable[int] | None = None) -> dict[int, float]:
        """Cosine similarity of ``query`` to each indexed row (or only ``ids``)."""
        if not self._fitted or not self._ids:
            return {}
        q = self._query(query)
        if q.nnz == 0:
            return {}
        matrix = self._full()
        if ids is None:
            sims = np.asarray((matrix @ q.T).todense()).ravel()
            return {self._ids[i]: float(sims[i]) for i in np.flatnonzero(sims)}
        wanted = [i for i in ids if i in self._row_of]
        if not wanted:
            return {}
        rows = matrix[[self._row_of[i] for i in wanted]]
        sims = np.asarray((rows @ q.T).todense()).ravel()
        return {i: float(s) for i, s in zip(wanted, sims, strict=True)}

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (id, cosine) with a positive score, best first."""
        if not self._fitted or not self._ids or k <= 0:
            return []
        q = self._query(query)
        if q.nnz == 0:
            return []
        sims = np.asarray((self._full() @ q.T).todense()).ravel()
        # argpartition, not a dict of every non-zero row: common words touch most of the corpus.
        take = min(k, len(sims))
        top = np.argpartition(-sims, take - 1)[:take]
        pairs = [(self._ids[i], float(sims[i])) for i in top if sims[i] > 0]
        return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))

    def similarity_matrix(self, texts: Sequence[str], ids: Sequence[int]) -> NDArray[np.float32]:
        """(len(texts), len(ids)) cosine of each text to each indexed id (0 for unknown ids)."""
        out = np.zeros((len(texts), len(ids)), dtype=np.float32)
        if not self._fitted or not texts or not ids:
            return out
        known = [(j, self._row_of[i]) for j, i in enumerate(ids) if i in self._row_of]
        if not known:
            return out
        cols, rows = zip(*known, strict=True)
        sims = (self.transform(texts) @ self._full()[list(rows)].T).toarray()
        out[:, list(cols)] = sims
        return out

    def matched_terms(self, query: str, text: str, limit: int = 5) -> list[str]:
        """Readable terms ``query`` and ``text`` share, rarest first (bigrams only if no word)."""
        shared = set(tokenize(query)) & set(tokenize(text))
        words = [t for t in shared if not t.startswith("~")]
        # A bigram is news only if no shared word already contains it.
        bigrams = [
            t[1:] for t in shared if t.startswith("~") and not any(t[1:] in w for w in words)
        ]
        terms = words + bigrams
        max_idf = self._max_idf

        def rarity(term: str) -> float:
            return self._idf.get(term, self._idf.get("~" + term, max_idf))

        terms.sort(key=lambda t: (-rarity(t), t))
        return [t for t in terms if not _is_numeric(t)][:limit]


def _is_numeric(term: str) -> bool:
    try:
        return not math.isnan(float(term))
    except ValueError:
        return False
