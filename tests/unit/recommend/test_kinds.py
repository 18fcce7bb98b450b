"""Profile kinds are a closed set: strings from outside become kinds at the edge or are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker.recommend.calibration import Calibration, CalibrationInvalid
from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.kinds import KINDS, PAIR_KINDS, pair_kind, profile_kind
from matchmaker.recommend.ranking import Recommender


def test_kinds_are_what_the_engine_ranks() -> None:
    assert KINDS == ("startup", "mentor", "investor", "equipment")
    assert PAIR_KINDS == ("mentor", "investor")
    assert profile_kind("equipment") == "equipment"
    assert pair_kind("mentor") == "mentor"
    for bad in ("mentors", "Mentor", "portfolio", ""):
        with pytest.raises(ValueError, match="kind"):
            profile_kind(bad)
    with pytest.raises(ValueError, match="mentor or investor"):
        pair_kind("startup")


def test_the_engine_refuses_an_unknown_kind_from_outside() -> None:
    rec = Recommender(HashingEmbedder(dim=32))
    with pytest.raises(ValueError, match="unknown profile kind 'mentors'"):
        rec.sync("mentors", [])
    with pytest.raises(ValueError):
        rec.remove("portfolio", 1)


def test_a_calibration_file_for_another_kind_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "calibration-mentor.json"
    Calibration("mentor", "default", {"activity": 1.0}).save(path)
    assert Calibration.load(path).kind == "mentor"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data | {"kind": "equipment"}), encoding="utf-8")
    with pytest.raises(CalibrationInvalid, match="equipment"):
        Calibration.load(path)
