"""A published version's profile snapshot (JSON, no pickle) gives back the very profiles."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from matchmaker.recommend import texts as T
from matchmaker.services.recommendations.indexing import decode_profiles, encode_profiles


def test_profiles_round_trip_with_dates_tuples_and_shared_codes() -> None:
    profiles = {
        "startup": {
            1: T.StartupProfile(id=1, name="锂电科技", sectors=("new_energy",), ask_amount=3e6),
            2: T.StartupProfile(id=2, name="Volt", sectors=("new_energy", "new_materials")),
        },
        "mentor": {
            5: T.MentorProfile(
                id=5,
                name="张律师",
                expertise="专利申请" * 20,  # longer than a shared code
                past_mentee_ids=(1, 2),
                past_mentee_dates=(date(2024, 3, 1), None),
            )
        },
        "investor": {
            9: T.InvestorProfile(
                id=9,
                name="Fund",
                stages=("seed",),
                portfolio=(
                    T.PortfolioCompany("Cells", sectors=("new_energy",), date=date(2023, 5, 2)),
                ),
            )
        },
        "equipment": {3: T.EquipmentProfile(id=3, name="XRD", keywords=("XRD", "衍射"))},
    }
    encoded = encode_profiles(profiles)
    # The very JSON of ``dataclasses.asdict``: a version's digest is of these bytes, so another
    # encoding of the same profiles would make the next build publish everything again.
    assert json.loads(encoded) == {
        kind: [_json(asdict(p)) for p in rows.values()] for kind, rows in profiles.items()
    }
    decoded = decode_profiles(encoded)
    assert {kind: {p.id: p for p in rows} for kind, rows in decoded.items()} == profiles
    first, second = decoded["startup"]
    assert first.sectors[0] is second.sectors[0]  # one shared string, not a copy per profile


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value
