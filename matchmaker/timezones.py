"""Time zones: the makerspace's own zone and the conversions between stored and wall-clock times.

Every time is stored as naive UTC. People read and type wall-clock times: a mentor in the zone of
their profile, everything else (the facilities' opening hours and bookings, pitch meetings, the
times written into notifications, the pages' dates) in the makerspace's zone, ``DEFAULT_ZONE``.
A leaf module (standard library only), so models, config, services and views can all use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The makerspace's zone (Beijing time): the app's default (``BABEL_DEFAULT_TIMEZONE``) and the
# zone of facility hours and of every time that is not a mentor's own.
DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None = None) -> ZoneInfo:
    """The zone called ``name``; the makerspace's for none or an unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def to_local(moment: datetime, zone_name: str | None = None) -> datetime:
    """Naive UTC -> aware local time in ``zone_name`` (the makerspace's by default)."""
    return moment.replace(tzinfo=UTC).astimezone(zone(zone_name))


def wall_clock(moment: datetime, zone_name: str | None = None) -> datetime:
    """Naive UTC -> naive local wall-clock time, for comparing with other naive local times
    (a facility's weekly opening hours)."""
    return to_local(moment, zone_name).replace(tzinfo=None)


def to_utc(local: datetime, zone_name: str | None = None) -> datetime:
    """Naive local wall-clock time in ``zone_name`` (the makerspace's by default) -> naive UTC."""
    return local.replace(tzinfo=zone(zone_name)).astimezone(UTC).replace(tzinfo=None)


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows (a form's or an import's value)."""
    return name in _known_zones()


@cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the zone database on every call.
    return frozenset(available_timezones())
