"""``flask eval BUNDLE_DIR``: bundle import into a fresh database and the metrics it prints."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from matchmaker import migrate
from matchmaker.database import make_engine
from matchmaker.models import (
    FundingAsk,
    Investor,
    MatchOutcome,
    Mentor,
    MentorMentee,
    PortfolioEntry,
)
from matchmaker.services.recommendations import profiles
from matchmaker.services.recommendations.bundle_import import import_bundle, map_round

EN = {
    "startups": [
        ("s1", "Volt", "Battery cathode materials for e-bikes", ["Energy"]),
        ("s2", "Anode", "Silicon anode for electric vehicles", ["Energy"]),
        ("s3", "Payly", "Payments API for online shops", ["Fintech"]),
        ("s4", "Ledger", "Accounting software for small business", ["Fintech"]),
        ("s5", "Cellx", "Solid-state battery cells", ["Energy"]),
    ],
    "candidates": [
        ("c1", "Green Capital", "Clean energy and batteries"),
        ("c2", "Fin Ventures", "Fintech and payments"),
        ("c3", "Generalist", ""),
    ],
    "history": [("s1", "c1", "2010-03-01", "seed"), ("s3", "c2", "2010-05-01", "angel")],
    "queries": [("s2", "c1", "2013-01-01", "Series A"), ("s4", "c2", "2013-02-01", "")],
}
ZH = {
    "startups": [
        ("s1", "锂电科技", "高镍正极材料与电池研发", ["新能源"]),
        ("s2", "硅负极", "电动汽车硅碳负极材料", ["新能源"]),
        ("s3", "支付宝宝", "面向网店的在线支付接口", ["金融科技"]),
        ("s4", "小账本", "小微企业记账软件", ["金融科技"]),
    ],
    "candidates": [
        ("c1", "绿能导师", "新能源电池材料专家"),
        ("c2", "金融导师", "金融科技与支付"),
    ],
    "history": [("s1", "c1", "2019-03-01", "天使轮"), ("s3", "c2", "2019-05-01", "")],
    "queries": [("s2", "c1", "2021-01-01", "A轮"), ("s4", "c2", "2021-02-01", "种子轮")],
}


def write_bundle(folder: Path, data: dict, *, task: str, language: str) -> Path:
    folder.mkdir(parents=True)
    kind = "investor" if task == "investors" else "mentor"
    (folder / "manifest.json").write_text(
        json.dumps({"name": folder.name, "task": task, "language": language, "split": "t"}),
        encoding="utf-8",
    )
    with (folder / "startups.jsonl").open("w", encoding="utf-8") as fh:
        for sid, name, desc, sectors in data["startups"]:
            row = {"id": sid, "name": name, "description": desc, "sectors": sectors}
            row |= {"location": "", "stage": "", "founded": "2015"}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "candidates.jsonl").open("w", encoding="utf-8") as fh:
        for cid, name, desc in data["candidates"]:
            row = {"id": cid, "name": name, "kind": kind, "description": desc}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    for name in ("history", "queries"):
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["startup_id", "candidate_id", "date", "round"])
            w.writerows(data[name])
    return folder


@pytest.mark.parametrize(
    ("data", "task", "language"),
    [(EN, "investors", "en"), (ZH, "mentors", "zh"), (ZH, "investors", "zh")],
)
def test_eval_json_shape(
    runner: FlaskCliRunner, tmp_path: Path, data: dict, task: str, language: str
) -> None:
    bundle = write_bundle(tmp_path / f"tiny-{language}", data, task=task, language=language)
    result = runner.invoke(args=["eval", str(bundle), "--json", "--embedding-model", "hashing"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)  # exactly one JSON object, nothing else
    assert out["bundle"] == f"tiny-{language}"
    keys = {"recall@10", "ndcg@10", "mrr"}
    assert set(out["engine"]) == keys
    assert set(out["baselines"]) == {"random", "popularity", "tfidf", "dense"}
    assert all(set(v) == keys for v in out["baselines"].values())
    # Two candidates per query at most and 10 slots: every relevant one is retrieved.
    assert out["engine"]["recall@10"] == 1.0
    assert 0 < out["engine"]["mrr"] <= 1.0
    cmp = out["vs_best_baseline"]
    assert cmp["best_baseline"] in out["baselines"] and cmp["level"] == 0.95
    assert cmp["ci_low"] <= cmp["diff"] <= cmp["ci_high"]
    assert out["calibration"]["method"] in ("default", "popularity", "fitted")


def test_eval_table_and_bad_bundle(runner: FlaskCliRunner, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "tiny", EN, task="investors", language="en")
    result = runner.invoke(args=["eval", str(bundle), "--embedding-model", "hashing"])
    assert result.exit_code == 0, result.output
    assert "popularity" in result.output and "engine / best baseline" in result.output
    (tmp_path / "empty").mkdir()
    bad = runner.invoke(args=["eval", str(tmp_path / "empty")])
    assert bad.exit_code != 0 and "manifest.json" in bad.output


def test_import_maps_history_and_keeps_queries_out_of_candidates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        bundle = import_bundle(
            session, write_bundle(tmp_path / "b", EN, task="investors", language="en")
        )
        green = session.get(Investor, bundle.candidate_ids["c1"])
        assert green is not None
        assert [(e.company, e.round, e.year) for e in green.portfolio] == [("Volt", "seed", 2010)]
        s2 = bundle.startup_ids["s2"]
        assert all(e.startup_id != s2 for e in session.query(PortfolioEntry))  # query stays out
        outcomes = [
            (o.candidate_id, o.outcome, o.created_at.date()) for o in session.query(MatchOutcome)
        ]
        assert (green.id, "invested", date(2010, 3, 1)) in outcomes and len(outcomes) == 2
        profile = profiles.load_profiles(session, "investor", [green.id])[green.id]
        assert profile.portfolio[0].date == date(2010, 3, 1)  # recency finer than the year
        asks = {a.startup_id: a.round for a in session.query(FundingAsk)}
        assert asks == {s2: "a"}  # s4's query has no round: no ask
        assert bundle.relevant == {
            s2: {green.id},
            bundle.startup_ids["s4"]: {bundle.candidate_ids["c2"]},
        }
    engine.dispose()
    url2 = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url2)
    engine = make_engine(url2)
    with Session(engine) as session:
        bundle = import_bundle(
            session, write_bundle(tmp_path / "m", ZH, task="mentors", language="zh")
        )
        mentor = session.get(Mentor, bundle.candidate_ids["c1"])
        assert mentor is not None and mentor.user.display_name == "绿能导师"
        assert [r.startup_id for r in session.query(MentorMentee)] == [
            bundle.startup_ids["s1"],
            bundle.startup_ids["s3"],
        ]
    engine.dispose()


def test_round_labels() -> None:
    assert map_round("Series A") == "a"
    assert map_round("A轮") == "a"
    assert map_round("天使轮") == "angel"
    assert map_round("种子轮") == "seed"
    assert map_round("Pre-A") == "pre_a"
    assert map_round("series-c") == "b_plus"
    assert map_round("") is None
    assert map_round("grant") is None
