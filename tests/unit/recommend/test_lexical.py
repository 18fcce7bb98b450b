"""The lexical leg carries Chinese and explains itself with matched terms."""

from __future__ import annotations

from matchmaker.recommend.lexical import LexicalIndex, tokenize

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
