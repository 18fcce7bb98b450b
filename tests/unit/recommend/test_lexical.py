"""The lexical leg carries Chinese and explains itself with matched terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.recommend.lexical import (
    SAVED_FILES,
    LexicalIndex,
    LexicalUnreadable,
    texts_digest,
    tokenize,
)

PROFILES = {
    1: "张律师。知识产权律师，专利代理人，专利申请与诉讼",
    2: "李会计。财务顾问，税务筹划",
    3: "Bob Battery. Cathode materials and battery testing",
    4: "王工程师。电池材料与检测",
}


def fitted() -> LexicalIndex:
    index = LexicalIndex()
    index.fit(list(PROFILES), list(PROFILES.values()))
    return index


def test_tokenize_mixes_words_jieba_and_bigrams() -> None:
    tokens = tokenize("专利律师 for Batteries")
    assert {"专利", "律师", "battery"} <= set(tokens)
    assert "~利律" in tokens  # bigram across jieba's boundary, for recall
    assert "for" not in tokens


def test_chinese_query_finds_the_chinese_lawyer_first() -> None:
    index = fitted()
    results = index.search("专利律师", 3)
    assert results[0][0] == 1
    assert all(i != 2 for i, _ in results), "the accountant shares no term"
    assert set(index.matched_terms("专利律师", PROFILES[1])) == {"专利", "律师"}


def test_english_query_and_plural_folding() -> None:
    index = fitted()
    assert index.search("batteries testing", 1)[0][0] == 3
    assert "battery" in index.matched_terms("batteries", PROFILES[3])


def test_matched_terms_only_lists_shared_terms() -> None:
    index = fitted()
    terms = index.matched_terms("电池检测 cathode", PROFILES[4])
    assert terms and all(t in PROFILES[4].lower() for t in terms)
    assert "cathode" not in terms


def test_upsert_and_remove_without_refit() -> None:
    index = fitted()
    index.upsert(5, "赵律师，专利律师")
    assert index.search("专利律师", 1)[0][0] in {1, 5}
    assert 5 in index and len(index) == 5
    index.remove(1)
    assert 1 not in index
    assert index.search("专利律师", 1)[0][0] == 5
    assert index.scores("专利律师", [2, 5])[2] == 0.0


def test_empty_corpus_and_empty_query() -> None:
    index = LexicalIndex()
    index.fit([1], [""])
    assert index.search("anything", 3) == []
    assert fitted().search("", 3) == []


# Profiles in the style of the demo data: every one is written with the same business words.
GENERIC_WORDS = {"企业", "公司", "有限公司", "科技", "技术", "产品", "服务", "负责", "协议", "生产"}
GENERIC_WORDS |= {"我们", "提供", "平台", "开发", "团队", "客户", "市场", "工艺", "批次"}
GENERIC_WORDS |= {"company", "product", "service", "team", "customer", "platform", "provide"}
EQUIPMENT = {
    10: "X射线衍射仪（XRD）. Bruker D8. 粉末和薄膜物相分析，电池正极材料常用。我们提供专业服务",
    11: "高低温湿热试验箱. 温湿度循环试验，适用于企业电子产品和电池模组生产批次检验。",
    12: "50升中试发酵罐. 微生物发酵工艺开发，为企业提供中试生产服务，团队负责技术协议。",
    13: "场发射扫描电镜（SEM）. 材料表面形貌观察，能谱分析。科技公司 product service team",
    14: "3D printer. Our company provides a product prototyping service platform for customers",
}
STARTUP = (
    "重庆澜锂新材料科技有限公司. 高镍三元正极材料的包覆改性。创始人此前在国际知名企业负责研发，"
    "团队掌握包覆工艺，产品批次一致性好，已与电池企业签订协议，进入小批量生产。"
    "We provide our customers a product platform and service team."
)


def equipment_index() -> LexicalIndex:
    index = LexicalIndex()
    index.fit(list(EQUIPMENT), list(EQUIPMENT.values()))
    return index


def test_generic_business_words_never_match_or_explain() -> None:
    index = equipment_index()
    tokens = set(tokenize(STARTUP))
    assert not tokens & GENERIC_WORDS
    assert not {t for t in tokens if t.startswith("~") and t[1:] in GENERIC_WORDS}
    for text in EQUIPMENT.values():
        terms = index.matched_terms(STARTUP, text)
        assert not set(terms) & GENERIC_WORDS, terms
    # The fermenter shares only business words with the battery startup: no lexical match.
    assert index.scores(STARTUP, [12]).get(12, 0.0) == 0.0


def test_chinese_need_ranks_the_right_instrument_first() -> None:
    index = equipment_index()
    assert index.search("下周需要做XRD物相分析，大约3小时", 1)[0][0] == 10
    assert index.search(STARTUP, 1)[0][0] == 10  # 正极 材料 电池, not 企业 生产 批次
    assert set(index.matched_terms("下周需要做XRD物相分析，大约3小时", EQUIPMENT[10])) == {
        "xrd",
        "物相",
        "分析",
    }


def test_a_saved_index_loads_with_the_same_rows_weights_and_reasons(tmp_path: Path) -> None:
    index = fitted()
    files = index.save(tmp_path / "lexical")
    assert sorted(files) == sorted(SAVED_FILES)
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.ids() == index.ids()
    for query in ("专利律师", "batteries testing", "电池检测", "tax"):
        assert loaded.search(query, 4) == index.search(query, 4)
        assert loaded.scores(query) == index.scores(query)
        assert loaded.matched_terms(query, PROFILES[1]) == index.matched_terms(query, PROFILES[1])
    # Transforming a new text reads the saved vocabulary and weights, not a refit.
    assert (
        loaded.transform(["专利 battery 审计"]) != index.transform(["专利 battery 审计"])
    ).nnz == 0


def test_a_loaded_index_takes_edits_like_a_fitted_one(tmp_path: Path) -> None:
    index = fitted()
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    for edited in (index, loaded):
        edited.upsert(2, "专利代理 and tax")
        edited.upsert(5, "电池 patent")
        edited.remove(3)
    assert loaded.ids() == index.ids() == [1, 2, 4, 5]
    assert loaded.search("专利", 4) == index.search("专利", 4)
    assert loaded.search("battery", 4) == [] == index.search("battery", 4)


def test_an_unfitted_index_saves_and_loads(tmp_path: Path) -> None:
    index = LexicalIndex()
    index.fit([7, 8], ["", "  "])
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.ids() == [7, 8] and loaded.search("anything", 3) == []


def test_an_inconsistent_or_missing_saved_index_is_refused(tmp_path: Path) -> None:
    fitted().save(tmp_path / "lexical")
    (tmp_path / "lexical" / "vocabulary.json").write_text('["only", "two"]', encoding="utf-8")
    with pytest.raises(LexicalUnreadable):
        LexicalIndex.load(tmp_path / "lexical")
    with pytest.raises(LexicalUnreadable):
        LexicalIndex.load(tmp_path / "nothing-here")


def test_the_digest_names_the_texts_an_index_was_fitted_on() -> None:
    index = fitted()
    assert index.texts_digest == texts_digest(PROFILES)
    assert texts_digest(dict(reversed(PROFILES.items()))) == index.texts_digest  # order-free
    assert texts_digest({**PROFILES, 2: "李会计。审计"}) != index.texts_digest  # same ids
    index.upsert(2, "李会计。审计")
    assert index.texts_digest is None  # edited: no longer "fitted on" any set of texts


@pytest.mark.parametrize("loaded", [False, True], ids=["fitted", "loaded"])
def test_a_query_is_weighted_exactly_as_sklearn_transforms_it(tmp_path: Path, loaded: bool) -> None:
    """Texts are weighed without sklearn's validation (``_transform_one``); the weights must
    be sklearn's: repeated words (sublinear tf), unknown words, no known word."""
    index = fitted()
    if loaded:
        index.save(tmp_path / "lexical")
        index = LexicalIndex.load(tmp_path / "lexical")
    queries = ("专利律师 专利 专利", "batteries testing battery", "unknown words", "", "税务")
    for query in queries:
        ours = index.transform([query])
        theirs = index._vectorizer.transform([query])
        assert ours.shape == theirs.shape
        assert ours.toarray() == pytest.approx(theirs.toarray(), abs=1e-6)


def test_an_upsert_with_a_new_word_is_found_by_it_and_keeps_the_other_rows() -> None:
    """An edit's word the fit never saw gets a column (weighted as a word of one row): the
    edited row is found by it at once, every other row answers as before."""
    index = fitted()
    before = index.scores("专利 battery")
    edited = index.ids()[0]
    index.upsert(edited, "zygomorphic pollination 专利")
    assert [i for i, _ in index.search("zygomorphic", 3)] == [edited]
    after = index.scores("专利 battery")
    for item_id, score in before.items():
        if item_id != edited:
            assert after[item_id] == pytest.approx(score, abs=1e-6)
    index.remove(edited)
    assert edited not in index and index.search("zygomorphic", 3) == []


def test_a_query_scores_every_row_as_the_sparse_cosine_does() -> None:
    """``query`` reads the query's columns with numpy; its scores, its top rows and the scores
    of given ids must be the cosine of the query's row to each row, also after edits (a new
    row, a removed one, a new word)."""
    index = fitted()
    index.upsert(5, "电池检测 battery cathode 专利")
    index.remove(2)
    index.upsert(6, "zygomorphic battery")
    ids = index.ids()
    matrix = index._full()
    assert matrix.shape[0] == len(ids)
    for text in ("专利律师 电池", "battery testing", "zygomorphic", "unknown words", ""):
        expected = (matrix @ index.transform([text]).T).toarray().ravel()
        query = index.query(text)
        every = {i: float(s) for i, s in zip(ids, expected, strict=True)}
        assert query.scores([*ids, 99]) == pytest.approx(every if expected.any() else {})
        assert query.scores() == pytest.approx({i: s for i, s in every.items() if s > 0})
        best = sorted(((i, s) for i, s in every.items() if s > 0), key=lambda kv: (-kv[1], kv[0]))
        top = query.top(2)
        assert [i for i, _ in top] == [i for i, _ in best[:2]]
        assert [s for _, s in top] == pytest.approx([s for _, s in best[:2]])
