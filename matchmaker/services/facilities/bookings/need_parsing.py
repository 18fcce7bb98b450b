"""Reading a need in words: a duration and a time window from English or Chinese text.

``parse_need`` uses a few robust patterns ("about 3 hours", "90 min", "half a day", "3小时",
"三个小时", "半天"; "next week", "tomorrow", "下周", "明天", "within 2 weeks", "两周内", and
deadlines: "12月10日之前", "before 10 December", "下周三前", "by Friday"); what it cannot find
gets a default (one hour, the next 14 days). ``need_subject`` is the need without those phrases,
what the engine ranks instruments on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from matchmaker.models import utcnow
from matchmaker.timezones import to_utc, wall_clock

DEFAULT_MINUTES = 60
DEFAULT_WINDOW_DAYS = 14

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9, "十": 10, "半": 0.5}  # fmt: skip
_EN_WORDS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "half": 0.5}  # fmt: skip


def _cn_number(text: str) -> float | None:
    """Numbers up to 99 in Chinese characters ("三", "十二", "两个半" -> 2.5)."""
    text = text.replace("个", "")
    half = text.endswith("半") and len(text) > 1
    if half:
        text = text[:-1]
    if not text or any(ch not in _CN_DIGITS for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    else:
        value = _CN_DIGITS[text]
    return value + (0.5 if half else 0)


def _number(text: str) -> float | None:
    text = text.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    if text in _EN_WORDS:
        return float(_EN_WORDS[text])
    return _cn_number(text)


_NUM = (
    r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+个?半?"
    r"|one|two|three|four|five|six|seven|eight|an?|half)"
)
_DURATION_PATTERNS: Sequence[tuple[str, float]] = (
    (_NUM + r"\s*(?:hours?|hrs?|h)\b", 60),
    (_NUM + r"\s*(?:minutes?|mins?)\b", 1),
    (_NUM + r"\s*(?:个)?(?:小时|钟头)", 60),
    (_NUM + r"\s*分钟", 1),
)


@dataclass(frozen=True)
class ParsedNeed:
    """A need in words read for booking: its duration and window, and whether each was said."""

    text: str
    minutes: int
    window_start: datetime  # UTC
    window_end: datetime
    minutes_given: bool
    window_given: bool
    # What is needed, without the when and how long: the engine ranks instruments on this, so
    # "2 hours, 12月10日之前" cannot match an instrument whose text shares "10" or "hours".
    subject: str = ""


def parse_duration(text: str) -> int | None:
    """Minutes the need names ("about 3 hours", "90 min", "半天", "三个小时"); None if none."""
    lowered = text.lower()
    if re.search(r"half\s+a\s+day|半天", lowered):
        return 240
    if re.search(r"\b(?:a|one|full|whole)\s+day\b|一天|整天|全天", lowered):
        return 480
    for pattern, factor in _DURATION_PATTERNS:
        m = re.search(pattern, lowered)
        if m:
            value = _number(m.group(1))
            if value and value > 0:
                return int(round(value * factor))
    return None


_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAYS_EN = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_EN = r"(" + "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True)) + r")\b"
# "before" excludes the named day; "by", "until", "no later than" include it. Chinese 之前/以前/
# 前 read as "before", 之内/以内/为止/截止 as "by".
_BEFORE_EN = r"\b(before|by|until|till|no later than|not later than|due)\s+"
_ZH_DATE = r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
_ZH_WEEKDAY = r"(下下|下|本|这|这个)?\s*(?:周|星期|礼拜)([一二三四五六日天])"
_ZH_BEFORE = r"\s*(之前|以前|前|为止|截止|之内|以内)"
_ZH_INCLUSIVE = ("为止", "截止", "之内", "以内")


def _deadline_day(text: str, today: date) -> tuple[date, bool] | None:
    """The day a deadline names and whether that day is still allowed ("by" vs "before")."""
    lowered = text.lower()

    def upcoming(month: int, day: int, year: int | None) -> date | None:
        try:
            found = date(year or today.year, month, day)
        except ValueError:
            return None
        if year is None and found < today:
            found = found.replace(year=found.year + 1)
        return found

    def weekday(index: int, weeks_ahead: int | None) -> date:
        monday = today - timedelta(days=today.weekday())
        if weeks_ahead is None:  # "before Friday": the next one to come
            ahead = (index - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
        return monday + timedelta(days=7 * weeks_ahead + index)

    # Chinese: "12月10日之前", "2026年12月10日前", "下周三前", "周五之前".
    m = re.search(_ZH_DATE + _ZH_BEFORE, text)
    if m:
        year = int(m.group(1)) if m.group(1) else None
        found = upcoming(int(m.group(2)), int(m.group(3)), year)
        if found is not None:
            return found, m.group(4) in _ZH_INCLUSIVE
    m = re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _ZH_BEFORE, text)
    if m:
        found = upcoming(int(m.group(2)), int(m.group(3)), int(m.group(1)))
        if found is not None:
            return found, m.group(4) in _ZH_INCLUSIVE
    m = re.search(_ZH_WEEKDAY + _ZH_BEFORE, text)
    if m:
        weeks = {"下下": 2, "下": 1, "本": 0, "这": 0, "这个": 0}.get(m.group(1) or "")
        return weekday(_WEEKDAYS_ZH[m.group(2)], weeks), m.group(3) in _ZH_INCLUSIVE
    # English: "before 10 December", "by Dec 10", "before 2026-12-10", "by next Wednesday".
    m = re.search(
        _BEFORE_EN + r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH, lowered
    )
    if m:
        found = upcoming(_MONTHS[m.group(3)], int(m.group(2)), None)
        if found is not None:
            return found, m.group(1) != "before"
    m = re.search(_BEFORE_EN + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b", lowered)
    if m:
        found = upcoming(_MONTHS[m.group(2)], int(m.group(3)), None)
        if found is not None:
            return found, m.group(1) != "before"
    m = re.search(_BEFORE_EN + r"(\d{4})-(\d{1,2})-(\d{1,2})\b", lowered)
    if m:
        found = upcoming(int(m.group(3)), int(m.group(4)), int(m.group(2)))
        if found is not None:
            return found, m.group(1) != "before"
    m = re.search(_BEFORE_EN + r"(next\s+|this\s+)?" + _WEEKDAY_EN, lowered)
    if m:
        weeks = {"next": 1, "this": 0}.get((m.group(2) or "").strip())
        return weekday(_WEEKDAYS_EN[m.group(3)], weeks), m.group(1) != "before"
    return None


def parse_window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period a need names, as UTC bounds (facility-local days). A deadline ("12月10日之前",
    "before 10 December", "下周三前", "by Friday") runs from today to that day."""
    lowered = text.lower()
    today = wall_clock(now).date()
    monday = today - timedelta(days=today.weekday())

    def days(first: date, count: int) -> tuple[datetime, datetime]:
        return (
            to_utc(datetime.combine(first, time())),
            to_utc(datetime.combine(first + timedelta(days=count), time())),
        )

    deadline = _deadline_day(text, today)
    if deadline is not None:
        day, inclusive = deadline
        count = (day - today).days + (1 if inclusive else 0)
        if count > 0:
            return days(today, count)

    if re.search(r"day after tomorrow|后天", lowered):
        return days(today + timedelta(days=2), 1)
    if re.search(r"\btomorrow\b|明天|明日", lowered):
        return days(today + timedelta(days=1), 1)
    if re.search(r"\btoday\b|今天|今日", lowered):
        return days(today, 1)
    if re.search(r"next week|下周|下星期|下个星期|下礼拜", lowered):
        return days(monday + timedelta(days=7), 7)
    if re.search(r"this week|本周|这周|这个星期|本星期", lowered):
        return days(today, (monday + timedelta(days=7) - today).days)
    if re.search(r"next month|下个月|下月", lowered):
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return days(first, (following - first).days)
    m = re.search(r"within\s+" + _NUM + r"\s+weeks?|" + _NUM + r"\s*(?:周|个星期|星期)内", lowered)
    if m:
        value = _number(m.group(1) or m.group(2))
        if value:
            return days(today, int(value * 7))
    m = re.search(r"within\s+" + _NUM + r"\s+days?|" + _NUM + r"\s*天内", lowered)
    if m:
        value = _number(m.group(1) or m.group(2))
        if value:
            return days(today, int(value))
    return None


# Phrases that say when or how long, removed from the need before ranking instruments.
_SCHEDULE_PHRASES = re.compile(
    "|".join(
        [
            _ZH_DATE + _ZH_BEFORE,
            r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}" + _ZH_BEFORE,
            _ZH_WEEKDAY + _ZH_BEFORE,
            _BEFORE_EN + r"(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH,
            _BEFORE_EN + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?\b",
            _BEFORE_EN + r"\d{4}-\d{1,2}-\d{1,2}\b",
            _BEFORE_EN + r"(?:next\s+|this\s+)?" + _WEEKDAY_EN,
            *(pattern for pattern, _ in _DURATION_PATTERNS),
            r"half\s+a\s+day|半天|\b(?:a|one|full|whole)\s+day\b|一天|整天|全天",
            r"day after tomorrow|后天|\btomorrow\b|明天|明日|\btoday\b|今天|今日",
            r"next week|下周|下星期|下个星期|下礼拜|this week|本周|这周|这个星期|本星期",
            r"next month|下个月|下月",
            r"within\s+" + _NUM + r"\s+(?:weeks?|days?)|" + _NUM + r"\s*(?:周|个星期|星期|天)内",
            r"\b(?:about|around|approximately|roughly)\b|大约|大概|左右|约",
        ]
    ),
    re.IGNORECASE,
)


def need_subject(text: str) -> str:
    """``text`` without the phrases that say when or how long ("about 3 hours", "next week",
    "12月10日之前"), i.e. what the founder needs; the whole text if nothing else is left."""
    subject = _SCHEDULE_PHRASES.sub(" ", text)
    subject = re.sub(r"\s*[,，;；、。]+\s*(?=[,，;；、。]|$)", "", subject)
    subject = re.sub(r"\s+", " ", subject).strip(" ,，;；、。")
    return subject if re.search(r"\w", subject) else text.strip()


def parse_need(text: str, now: datetime | None = None) -> ParsedNeed:
    """How long and when the need says, with the defaults for what it does not say (one hour;
    the next 14 days); a window named in the past starts now."""
    now = now or utcnow()
    minutes = parse_duration(text)
    window = parse_window(text, now)
    start, end = window or (now, now + timedelta(days=DEFAULT_WINDOW_DAYS))
    return ParsedNeed(
        text=text.strip(),
        minutes=minutes or DEFAULT_MINUTES,
        window_start=max(start, now),
        window_end=end,
        minutes_given=minutes is not None,
        window_given=window is not None,
        subject=need_subject(text),
    )
