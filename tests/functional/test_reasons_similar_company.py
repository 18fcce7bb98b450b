"""The similar-company reason says in what the companies are similar, in the reader's language."""

from __future__ import annotations

from flask import Flask


def test_similar_company_reason_names_the_shared_sectors(app: Flask) -> None:
    from flask_babel import force_locale

    from matchmaker.recommend.reasons import Reason
    from matchmaker.web.recommendations.reasons import reason_texts

    with_sectors = [
        Reason(
            "portfolio_neighbour",
            {"company": "CellPack", "startup_id": 3, "sectors": ["new_energy"]},
        )
    ]
    plain = [Reason("past_mentee_neighbour", {"company": "CellPack", "startup_id": 3})]
    with app.test_request_context():
        with force_locale("en"):
            assert reason_texts(with_sectors) == [
                "Backed a similar company: CellPack (both in New energy)"
            ]
            assert reason_texts(with_sectors, viewer="candidate") == [
                "Similar to your portfolio company CellPack (both in New energy)"
            ]
            assert reason_texts(plain) == ["Mentored a similar startup: CellPack"]
        with force_locale("zh_CN"):
            assert reason_texts(with_sectors) == ["投资过相似企业：CellPack（同属新能源）"]
            assert reason_texts(plain, viewer="candidate") == ["与您辅导过的 CellPack 相似"]
