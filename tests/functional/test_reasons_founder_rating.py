"""The founders' rating reason, worded in the reader's language (issue 16, item 4)."""

from __future__ import annotations

from flask import Flask


def test_founder_rating_reason_in_both_languages(app: Flask) -> None:
    from flask_babel import force_locale

    from matchmaker.recommend.reasons import Reason
    from matchmaker.web.recommendations.reasons import reason_texts

    rated = [Reason("founder_rating", {"mean": 4.83, "count": 6})]
    with app.test_request_context():
        with force_locale("en"):
            assert reason_texts(rated) == ["Rated 4.8 by 6 founders"]
            assert reason_texts(rated, viewer="candidate") == []  # the mentor's own rating
        with force_locale("zh_CN"):
            assert reason_texts(rated) == ["6 位创业者平均评分 4.8"]
