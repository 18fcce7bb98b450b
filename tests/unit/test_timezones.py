"""The one time-zone module: stored naive UTC <-> wall-clock times, the makerspace's zone."""

from __future__ import annotations

from datetime import datetime

from matchmaker import timezones


def test_the_makerspace_zone_is_the_default_and_the_fallback() -> None:
    assert timezones.zone().key == timezones.DEFAULT_ZONE == "Asia/Shanghai"
    assert timezones.zone("Not/AZone").key == timezones.DEFAULT_ZONE
    assert timezones.zone("Europe/Berlin").key == "Europe/Berlin"


def test_utc_and_wall_clock_round_trip() -> None:
    stored = datetime(2026, 3, 29, 1, 30)  # naive UTC; Berlin moves to summer time at 01:00 UTC
    beijing = timezones.to_local(stored)
    offset = beijing.utcoffset()
    assert (beijing.hour, beijing.minute) == (9, 30)
    assert offset is not None and offset.total_seconds() == 8 * 3600
    assert timezones.wall_clock(stored) == datetime(2026, 3, 29, 9, 30)
    assert timezones.wall_clock(stored, "Europe/Berlin") == datetime(2026, 3, 29, 3, 30)
    assert timezones.to_utc(datetime(2026, 3, 29, 9, 30)) == stored
    assert timezones.to_utc(datetime(2026, 3, 29, 3, 30), "Europe/Berlin") == stored


def test_only_known_zones_are_valid() -> None:
    assert timezones.is_valid_zone("Asia/Tokyo")
    assert not timezones.is_valid_zone("Asia/Atlantis")
    assert not timezones.is_valid_zone("")
