"""The lexical leg: TF-IDF over words that carries Chinese, with the matched terms as evidence.

Tokens are Latin words (lower-cased, light plural folding), jieba words for runs of CJK
characters, and CJK character bigrams. jieba gives readable terms for reasons ("专利", "律师");
bigrams catch what jieba segments differently in the query and the profile.

Incremental updates keep the fitted vocabulary and IDF: a new profile is transformed with them and
its row replaced. Words never seen at fit time are ignored until the next full ``fit``; that is the
price of not refitting on every edit.

A fitted index is saved to a folder (``save``/``load``: JSON and ``.npy``/``.npz`` files, no pickle)
so that a published index version carries it: a web process adopts it instead of tokenising every
profile again (minutes at 100,000 profiles per kind, most of it jieba).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import NDArray

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9][a-z0-9+#\-]*[a-z0-9+#]|[a-z0-9]")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Function words, plus the generic business vocabulary every profile on a makerspace platform
# uses (企业 公司 科技 产品 服务 生产 负责 协议 / company product service team ...). TF-IDF only
# discounts them, and on a few hundred profiles not enough: they matched a battery-cathode maker
# to a fermenter and made "matched terms" reasons out of 生产 and 企业. Domain words (电池 材料
# 正极 检测 XRD) are never here.
_STOP_EN = """
a an and are as at be by for from has have in is it its of on or our the their this to we with
you your will can all more new who that which into over than also not de la
i me my us they them he she his her was were been being do does did done so such very most
about after before between both each other some any only own same then there these those
what when where why how while per via using use used based through within across up out
company companies co corp inc ltd llc limited group business businesses enterprise
enterprises firm firms product products service services solution solutions platform
platforms team teams customer customers client clients market markets industry industries
provide provides providing offer offers help helps helping make makes making build builds
building develop develops developing development work works working experience year years
leading leader world global international technology technologies tech innovative innovation
high quality professional support including well first one two three
fund funds cny rmb usd million millions billion take takes taking focus focuses focused aim aims
region regions area areas
"""
_STOP_ZH = """
的 了 和 与 及 是 在 为 对 等 有 中 或 也 都 就 而 并 把 被 让 向 从 到 以 于 之 其 这 那
我 我们 你 您 你们 他们 她们 它们 一个 一些 一种 这个 这些 那些 此 该 各 每 所 所有 可以
能够 已经 已 正在 进行 通过 以及 以上 以下 左右 大约 约 多 较 更 最 很 非常 主要 相关 包括
其他 其中 方面 目前 未来 同时 并且 但是 但 如果 因为 所以 需要 提供 提升 实现 帮助 服务
企业 公司 有限公司 有限 集团 科技 技术 产品 平台 开发 研发 团队 客户 市场 行业 项目 业务
负责 协议 生产 工艺 批次 国际 国内 全国 知名 领先 专业 经验 合作 发展 管理 工作 创新 创业
中小企业 头部 优质 核心 相关 能力 资源 解决 方案 解决方案 阶段 一致性 情况 问题 数据 信息
签订 完成 获得 拥有 具有 成立 成功 优秀 高效 领域 方向 重点 支持 基础 系统 体系 机构 单位
中心 科技型 高新 新 高 大 小 年 月 日 天 周 下周 本周 小时 分钟
家 份 位 次 个 后 前 近 很好 好 做 做出 过 来 去 上 下 内 外
关注 目标 用于 万元 亿元 万 亿 元 地区 区域 人民币 美元
"""
_STOP = frozenset(_STOP_EN.split()) | frozenset(_STOP_ZH.split())


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def general_rarity(word: str) -> float:
    """How rare a Chinese word is in general Chinese: the log of jieba's dictionary corpus size
    over the word's count in it (a word the dictionary lacks counts once). Everyday words sit
    near 8-9.5 (大型 9.1, 销售 9.2, 大学 8.0), domain terms above 10 (专利 10.8, 临床 10.1, 储能
    15.8, 路演 14.2)."""
    jieba = _jieba()
    jieba.initialize()  # loads the dictionary once (tokenising does the same)
    return math.log(jieba.dt.total / max(1, jieba.dt.FREQ.get(word, 0)))


def dictionary_parts(word: str) -> list[str]:
    """The dictionary words inside a Chinese compound ("发明专利" -> 发明, 专利; jieba's search
    mode), without the compound itself, stopwords and single characters."""
    return [
        w for w in _jieba().cut_for_search(word) if w != word and len(w) >= 2 and w not in _STOP
    ]


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
            words = _jieba().lcut(tok)
            out.extend(w for w in words if w not in _STOP)
            # Bigrams only inside runs of content words: a bigram touching a stopword ("料的",
            # "司生") or made of one ("企业") is noise.
            content: list[bool] = []
            for w in words:
                content.extend([w not in _STOP] * len(w))
            out.extend(
                "~" + tok[i : i + 2]
                for i in range(len(tok) - 1)
                if content[i] and content[i + 1] and tok[i : i + 2] not in _STOP
            )
        elif tok not in _STOP and not (len(tok) == 1 and tok.isalpha()):
            out.append(_fold(tok))
    return tuple(out)


MAX_DF = 0.5  # fraction of rows above which a term is dropped from the index ...
MAX_DF_FROM = 50  # ... once the corpus has this many rows
REASON_MAX_DF = 0.4  # terms in more rows than this are not shown as matched terms ...
MAX_DF_FROM_REASONS = 10  # ... once the corpus has this many rows

# A saved index: what ``LexicalIndex.save`` writes and ``load`` reads (no pickle).
SAVED_FORMAT = 1
SAVED_FILES = ("lexical.json", "ids.npy", "vocabulary.json", "idf.npy", "matrix.npz")


class LexicalUnreadable(ValueError):
    """A saved lexical index is missing, of another format or inconsistent."""


# Bump when ``tokenize`` or ``_fold`` change what a text becomes: an index fitted by other code
# is then never adopted (``texts_digest``). Stopwords, jieba's version and the fit's parameters
# are part of the signature by themselves.
TOKENIZER_VERSION = 1
_MIN_DF = 1
_MAX_FEATURES = 200_000


@lru_cache(maxsize=1)
def _fit_signature() -> bytes:
    from importlib.metadata import version

    parts = (
        f"tokenizer {TOKENIZER_VERSION}",
        f"jieba {version('jieba')}",
        f"df {MAX_DF} {MAX_DF_FROM} {_MIN_DF} {_MAX_FEATURES} sublinear",
        " ".join(sorted(_STOP)),
    )
    return "\n".join(parts).encode()


def texts_digest(texts: Mapping[int, str]) -> str:
    """What a fit depends on: every (id, text), in id order, and the code that tokenises and
    weighs them (``_fit_signature``). An index fitted with the same digest is the same index."""
    h = hashlib.sha256(_fit_signature())
    for item_id in sorted(texts):
        text = texts[item_id]
        h.update(f"\n{item_id}:{len(text)}:{text}".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class LexicalQuery:
    """One query's cosine to every row of a ``LexicalIndex`` (``LexicalIndex.query``), read
    right away: it shares the index's row ids, which an edit changes."""

    ids: list[int]
    row_of: dict[int, int]
    sims: NDArray[np.float32] | None  # in ``ids`` order; None: no term of the query is known

    def top(self, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (id, cosine) with a positive score, best first."""
        sims = self.sims
        if sims is None or k <= 0:
            return []
        # argpartition, not a dict of every non-zero row: common words touch most of the corpus.
        take = min(k, len(sims))
        top = np.argpartition(-sims, take - 1)[:take].tolist()
        pairs = [(self.ids[i], float(sims[i])) for i in top if sims[i] > 0]
        return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))

    def scores(self, ids: Iterable[int] | None = None) -> dict[int, float]:
        """Cosine to each row (or only ``ids``; the zeros of those included, unknown ids left
        out); every row: only the positive ones."""
        sims = self.sims
        if sims is None:
            return {}
        if ids is None:
            return {self.ids[i]: float(sims[i]) for i in np.flatnonzero(sims).tolist()}
        return {i: float(sims[self.row_of[i]]) for i in ids if i in self.row_of}


class LexicalIndex:
    """TF-IDF rows keyed by integer id, cosine search and matched-term explanations."""

    def __init__(self, *, min_df: int = _MIN_DF, max_features: int | None = _MAX_FEATURES) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(
            analyzer=tokenize,
            sublinear_tf=True,
            min_df=min_df,
            max_features=max_features,
            dtype=np.float32,
        )
        self._fitted = False
        # ``texts_digest`` of the texts this index holds exactly as fitted (None after an edit).
        self.texts_digest: str | None = None
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        # The rows live in one CSR matrix (a row per id, in ``_ids`` order): a one-row matrix
        # per id costs about a kilobyte, i.e. hundreds of MB at 100,000s of rows.
        self._matrix: sp.csr_matrix | None = None
        self._idf: dict[str, float] = {}
        self._max_idf = 1.0
        self._reason_min_idf = 0.0
        self._query_cache: dict[str, sp.csr_matrix] = {}
        self._columns: sp.csc_matrix | None = None  # column view of the matrix, for search

    def __len__(self) -> int:
        return len(self._row_of)

    def ids(self) -> list[int]:
        return list(self._row_of)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._row_of

    def fit(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Fit vocabulary and IDF on ``texts`` and index them (replaces everything)."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate ids")
        self._ids, self._row_of, self._matrix = [], {}, None
        self._columns = None
        self._query_cache.clear()
        # Only the corpus's own parameters are in the digest's signature.
        usual = (self._vectorizer.min_df, self._vectorizer.max_features) == (_MIN_DF, _MAX_FEATURES)
        self.texts_digest = texts_digest(dict(zip(ids, texts, strict=True))) if usual else None
        if not texts or not any(t.strip() for t in texts):
            self._fitted = False
            self._adopt_rows([int(i) for i in ids], None)
            return
        # On a big corpus a term in most rows says nothing; a small one keeps every term (one
        # profile of three is not "common").
        self._vectorizer.set_params(max_df=MAX_DF if len(texts) >= MAX_DF_FROM else 1.0)
        matrix = self._vectorizer.fit_transform(texts).tocsr()
        self._fitted = True
        self._set_weights(len(texts))
        self._adopt_rows([int(i) for i in ids], matrix)

    def _set_weights(self, n: int) -> None:
        """The term weights of the fitted vectorizer over ``n`` texts, as reasons read them."""
        vocab = self._vectorizer.get_feature_names_out()
        self._idf = dict(zip(vocab.tolist(), self._vectorizer.idf_.tolist(), strict=True))
        self._max_idf = max(self._idf.values(), default=1.0)
        # smooth idf of a term in REASON_MAX_DF of the rows: below it a term is too common to
        # be shown as evidence.
        self._reason_min_idf = (
            math.log((1 + n) / (1 + REASON_MAX_DF * n)) + 1.0 if n >= MAX_DF_FROM_REASONS else 0.0
        )

    def _adopt_rows(self, ids: list[int], matrix: sp.csr_matrix | None) -> None:
        self._ids = ids
        self._row_of = {item_id: pos for pos, item_id in enumerate(ids)}
        if matrix is None:
            matrix = sp.csr_matrix((len(ids), self._width()), dtype=np.float32)
        self._matrix, self._columns = matrix, None

    def _width(self) -> int:
        return len(self._idf) if self._fitted else 1

    def _empty_row(self) -> sp.csr_matrix:
        return sp.csr_matrix((1, self._width()), dtype=np.float32)

    # -- saved form (a published index version carries it) -----------------------------------
    def save(self, folder: Path) -> list[str]:
        """Write this index under ``folder`` (created); returns the file names (``SAVED_FILES``),
        for the caller to fsync and checksum."""
        folder.mkdir(parents=True, exist_ok=True)
        vocabulary = self._vectorizer.get_feature_names_out().tolist() if self._fitted else []
        meta = {
            "format": SAVED_FORMAT,
            "fitted": self._fitted,
            "count": len(self._ids),
            "max_idf": self._max_idf,
            "reason_min_idf": self._reason_min_idf,
            "max_df": self._vectorizer.max_df,
            "texts_digest": self.texts_digest,
        }
        (folder / "lexical.json").write_text(json.dumps(meta), encoding="utf-8")
        np.save(folder / "ids.npy", np.array(self._ids, dtype=np.int64), allow_pickle=False)
        (folder / "vocabulary.json").write_text(
            json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8"
        )
        idf = self._vectorizer.idf_ if self._fitted else np.zeros(0)
        np.save(folder / "idf.npy", np.asarray(idf, dtype=np.float64), allow_pickle=False)
        sp.save_npz(folder / "matrix.npz", self._full(), compressed=False)
        return list(SAVED_FILES)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The index ``save`` wrote under ``folder`` (``LexicalUnreadable`` if it is not one)."""
        try:
            meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != SAVED_FORMAT:
                raise LexicalUnreadable(f"{folder}: not a lexical index of format {SAVED_FORMAT}")
            ids = np.load(folder / "ids.npy", allow_pickle=False)
            vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
            idf = np.load(folder / "idf.npy", allow_pickle=False).astype(np.float32)
            matrix = sp.load_npz(folder / "matrix.npz").tocsr().astype(np.float32, copy=False)
            fitted = bool(meta.get("fitted"))
            width = len(vocabulary) if fitted else 1
            if len(idf) != len(vocabulary) or matrix.shape != (len(ids), width):
                raise LexicalUnreadable(f"{folder}: vocabulary, weights and rows disagree")
            index = cls()
            index._vectorizer.set_params(max_df=meta.get("max_df", 1.0))
            if fitted:
                # What ``fit`` leaves on the vectorizer that ``transform`` reads: the vocabulary
                # and the idf weights (sklearn's public setter).
                index._vectorizer.vocabulary_ = {term: col for col, term in enumerate(vocabulary)}
                index._vectorizer.idf_ = idf
                index._idf = dict(zip(vocabulary, idf.tolist(), strict=True))
        except LexicalUnreadable:
            raise
        except Exception as exc:  # a damaged file fails in numpy, zipfile, json or sklearn
            raise LexicalUnreadable(f"{folder}: {exc}") from exc
        index._fitted = fitted
        index._max_idf = float(meta.get("max_idf", 1.0))
        index._reason_min_idf = float(meta.get("reason_min_idf", 0.0))
        digest = meta.get("texts_digest")
        index.texts_digest = digest if isinstance(digest, str) else None
        index._adopt_rows([int(i) for i in ids.tolist()], matrix)
        # The column view searches read, built now: where a version is loaded before the web
        # processes fork, they share it rather than each building a copy on its first search.
        index._columns = matrix.tocsc()
        return index

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not self._fitted or not texts:
            return sp.csr_matrix((len(texts), self._width()), dtype=np.float32)
        # Row by row, not sklearn's transform: that also checks its width against the fit's,
        # which an edit's new words have grown (``_grow_vocabulary``).
        return sp.vstack([self._transform_one(t) for t in texts], format="csr")

    def _query(self, text: str) -> sp.csr_matrix:
        # One request asks search() and scores() about the same query text; sklearn's transform
        # costs milliseconds of validation, so the last few queries are kept (vocabulary-bound).
        found = self._query_cache.get(text)
        if found is None:
            found = self._transform_one(text)
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = found
        return found

    def _transform_one(self, text: str) -> sp.csr_matrix:
        """``transform([text])``, computed here: sklearn's input validation costs about a
        millisecond per call, which every search paid once per kind for a handful of words.
        The same weights: sublinear tf (1 + log count) times idf, then l2 normalised, in
        column order (``test_lexical`` compares the two)."""
        if not self._fitted:
            return self.transform([text])
        vocabulary = self._vectorizer.vocabulary_
        counts: dict[int, int] = {}
        for token in tokenize(text):
            col = vocabulary.get(token)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = np.array(sorted(counts), dtype=np.int32)
        weights = np.array([1.0 + math.log(counts[c]) for c in cols.tolist()], dtype=np.float32)
        if len(cols):
            weights *= np.asarray(self._vectorizer.idf_, dtype=np.float32)[cols]
            weights /= np.float32(np.sqrt(np.dot(weights, weights)))
        return sp.csr_matrix(
            (weights, cols, np.array([0, len(cols)], dtype=np.int32)), shape=(1, self._width())
        )

    def upsert(self, item_id: int, text: str) -> None:
        """Add or replace one row without a refit: words the fit never saw get a column of
        their own, weighted as a word of one row, so an edit that brings a new word is found
        by it before the next refit (which weighs every word again)."""
        self._grow_vocabulary(text)
        row = self.transform([text])
        item_id = int(item_id)
        matrix = self._full()
        pos = self._row_of.get(item_id)
        if pos is None:
            self._row_of[item_id] = len(self._ids)
            self._ids.append(item_id)
            self._edited(sp.vstack([matrix, row], format="csr"))
        else:
            self._edited(sp.vstack([matrix[:pos], row, matrix[pos + 1 :]], format="csr"))

    def _grow_vocabulary(self, text: str) -> None:
        if not self._fitted:
            return
        vocabulary = self._vectorizer.vocabulary_
        new = [t for t in dict.fromkeys(tokenize(text)) if t not in vocabulary]
        if not new:
            return
        n = len(self._ids) + 1
        weight = math.log((1 + n) / 2) + 1.0  # sklearn's smooth idf of a word in one row
        for term in new:
            vocabulary[term] = len(vocabulary)
            self._idf[term] = weight
        self._vectorizer.idf_ = np.concatenate(
            [np.asarray(self._vectorizer.idf_, dtype=np.float32), np.full(len(new), weight)]
        ).astype(np.float32)
        self._max_idf = max(self._max_idf, weight)
        rows = self._full()  # the same entries, wider (its arrays are shared, not copied)
        self._edited(
            sp.csr_matrix(
                (rows.data, rows.indices, rows.indptr), shape=(rows.shape[0], len(vocabulary))
            )
        )
        self._query_cache.clear()  # rows of the old width

    def remove(self, item_id: int) -> None:
        pos = self._row_of.pop(int(item_id), None)
        if pos is None:
            return
        matrix = self._full()
        del self._ids[pos]
        for i in range(pos, len(self._ids)):
            self._row_of[self._ids[i]] = i
        self._edited(sp.vstack([matrix[:pos], matrix[pos + 1 :]], format="csr"))

    def _edited(self, matrix: sp.csr_matrix) -> None:
        # Slicing and stacking CSR blocks copies the arrays once (tens of milliseconds at
        # 100,000 rows), where a list of one-row matrices cost seconds to split and stack again.
        self.texts_digest = None
        self._matrix = matrix
        self._columns = None

    def warm(self) -> None:
        """Build the column view searches read now (after edits), not in the first search."""
        self._column_view()

    def _column_view(self) -> sp.csc_matrix:
        if self._columns is None:
            self._columns = self._full().tocsc()
        return self._columns

    def _full(self) -> sp.csr_matrix:
        if self._matrix is None:
            self._matrix = self._empty_row()[:0]
        return self._matrix

    def query(self, text: str) -> LexicalQuery:
        """The cosine of ``text`` to every row, for its top rows and its score on candidates
        found otherwise (the hybrid search asks both, and reads the query's columns once)."""
        if not self._fitted or not self._ids:
            return LexicalQuery(self._ids, self._row_of, None)
        q = self._query(text)
        if q.nnz == 0:
            return LexicalQuery(self._ids, self._row_of, None)
        # Only the query's columns are read (an inverted-index product), with numpy on the
        # column view's arrays: scipy's column slicing and product cost more than the
        # arithmetic at a query's few terms.
        columns = self._column_view()
        spans = list(
            zip(
                columns.indptr[q.indices].tolist(),
                columns.indptr[q.indices + 1].tolist(),
                q.data.tolist(),
                strict=True,
            )
        )
        rows = np.concatenate([columns.indices[a:b] for a, b, _ in spans])
        weights = np.concatenate([columns.data[a:b] * w for a, b, w in spans])
        sims = np.bincount(rows, weights=weights, minlength=len(self._ids)).astype(np.float32)
        return LexicalQuery(self._ids, self._row_of, sims)

    def scores(self, query: str, ids: Iterable[int] | None = None) -> dict[int, float]:
        """Cosine similarity of ``query`` to each indexed row (or only ``ids``)."""
        return self.query(query).scores(ids)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (id, cosine) with a positive score, best first."""
        return self.query(query).top(k)

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
        # Bigrams are a fallback when no word is shared: most of them straddle two words
        # ("验检" from 检验|检测) and read as noise next to real words.
        bigrams = (
            []
            if any(w not in _STOP for w in words)
            else [t[1:] for t in shared if t.startswith("~")]
        )
        terms = words + bigrams
        max_idf = self._max_idf

        def rarity(term: str) -> float:
            return self._idf.get(term, self._idf.get("~" + term, max_idf))

        terms.sort(key=lambda t: (-rarity(t), t))
        floor = self._reason_min_idf
        return [t for t in terms if t not in _STOP and not _is_numeric(t) and rarity(t) >= floor][
            :limit
        ]


def _is_numeric(term: str) -> bool:
    try:
        return not math.isnan(float(term))
    except ValueError:
        return False
