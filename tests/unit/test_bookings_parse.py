"""Reading a duration and a time window from a need in English or Chinese."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from matchmaker.services.facilities.bookings.need_parsing import (
    DEFAULT_MINUTES,
    need_subject,
    parse_duration,
    parse_need,
    parse_window,
)
from matchmaker.timezones import wall_clock

NOW = datetime(2026, 11, 18, 2, 0)  # Wednesday 10:00 in Shanghai


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("need XRD phase analysis of a cathode powder, about 3 hours, next week", 180),
        ("下周需要做XRD物相分析，大约3小时", 180),
        ("需要三个小时的测试", 180),
        ("两个半小时", 150),
        ("约1.5h", 90),
        ("90 minutes on the SEM", 90),
        ("45分钟", 45),
        ("half a day of CNC time", 240),
        ("需要半天", 240),
        ("a full day of printing", 480),
        ("two hours tomorrow", 120),
        ("十二小时", 720),
        ("XRD please", None),
    ],
)
def test_durations(text: str, minutes: int | None) -> None:
    assert parse_duration(text) == minutes


def _local_days(window: tuple[datetime, datetime]) -> tuple[str, str]:
    start, end = window
    return wall_clock(start).date().isoformat(), wall_clock(end).date().isoformat()


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("next week", ("2026-11-23", "2026-11-30")),
        ("下周需要做XRD物相分析", ("2026-11-23", "2026-11-30")),
        ("tomorrow afternoon", ("2026-11-19", "2026-11-20")),
        ("明天", ("2026-11-19", "2026-11-20")),
        ("后天", ("2026-11-20", "2026-11-21")),
        ("this week", ("2026-11-18", "2026-11-23")),
        ("本周", ("2026-11-18", "2026-11-23")),
        ("next month", ("2026-12-01", "2027-01-01")),
        ("within 2 weeks", ("2026-11-18", "2026-12-02")),
        ("两周内", ("2026-11-18", "2026-12-02")),
        ("3天内", ("2026-11-18", "2026-11-21")),
    ],
)
def test_windows(text: str, days: tuple[str, str]) -> None:
    window = parse_window(text, NOW)
    assert window is not None
    assert _local_days(window) == days


def test_defaults_when_absent() -> None:
    need = parse_need("XRD please", NOW)
    assert need.minutes == DEFAULT_MINUTES and not need.minutes_given
    assert not need.window_given
    assert need.window_start == NOW and need.window_end == NOW + timedelta(days=14)


def test_window_never_starts_in_the_past() -> None:
    need = parse_need("this week, 2 hours", NOW)
    assert need.window_start == NOW and need.minutes == 120


@pytest.mark.parametrize(
    ("text", "days"),
    [
        # A deadline runs from today; "before"/之前/前 excludes the day, "by"/为止 includes it.
        ("12月10日之前", ("2026-11-18", "2026-12-10")),
        ("SEM成像，2小时，12月10日之前完成", ("2026-11-18", "2026-12-10")),
        ("12月10号前", ("2026-11-18", "2026-12-10")),
        ("2026年12月10日前", ("2026-11-18", "2026-12-10")),
        ("12月10日为止", ("2026-11-18", "2026-12-11")),
        ("2026-12-10之前", ("2026-11-18", "2026-12-10")),
        ("before 10 December", ("2026-11-18", "2026-12-10")),
        ("salt spray test before the 10th of Dec.", ("2026-11-18", "2026-12-10")),
        ("by December 10", ("2026-11-18", "2026-12-11")),
        ("no later than 2026-12-10", ("2026-11-18", "2026-12-11")),
        ("下周三前", ("2026-11-18", "2026-11-25")),  # NOW is a Wednesday: next week's
        ("周五之前", ("2026-11-18", "2026-11-20")),
        ("本周五前", ("2026-11-18", "2026-11-20")),
        ("before next Wednesday", ("2026-11-18", "2026-11-25")),
        ("by Friday", ("2026-11-18", "2026-11-21")),
        # A date already past this year is next year's.
        ("1月5日之前", ("2026-11-18", "2027-01-05")),
    ],
)
def test_deadlines(text: str, days: tuple[str, str]) -> None:
    window = parse_window(text, NOW)
    assert window is not None, text
    assert _local_days(window) == days


def test_a_deadline_in_a_full_need() -> None:
    need = parse_need("scanning electron microscope, 2 hours, 12月10日之前", NOW)
    assert need.window_given and need.minutes == 120
    assert _local_days((need.window_start, need.window_end))[1] == "2026-12-10"


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("scanning electron microscope, 2 hours, 12月10日之前", "scanning electron microscope"),
        (
            "need XRD phase analysis of a cathode powder, about 3 hours, next week",
            "need XRD phase analysis of a cathode powder",
        ),
        ("下周三前做盐雾试验，大约3小时", "做盐雾试验"),
        (
            "salt spray corrosion test chamber before 10 December",
            "salt spray corrosion test chamber",
        ),
        ("by Friday, 90 minutes", "by Friday, 90 minutes"),  # nothing else: the whole text
    ],
)
def test_the_subject_leaves_out_when_and_how_long(text: str, subject: str) -> None:
    assert need_subject(text) == subject
