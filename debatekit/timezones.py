"""Time zones: classes show times in their own zone; the database keeps UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

# The zones most classes using this unit are in come first in the picker.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Mexico_City",
    "America/Tijuana",
    "America/Monterrey",
    "America/Cancun",
    "Europe/London",
    "UTC",
)


@lru_cache(maxsize=1)
def timezone_choices() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group label, zones) pairs for an <optgroup> picker."""
    others = tuple(sorted(z for z in available_timezones() if "/" in z and z not in COMMON_ZONES and not z.startswith("Etc/")))
    return (("Common", COMMON_ZONES), ("All time zones", others))


def parse_utc(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def to_local(value: str | datetime | None, tz: str) -> datetime | None:
    moment = parse_utc(value) if isinstance(value, str) or value is None else value
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tz))


def local_input_to_utc(value: str, tz: str) -> str | None:
    """A <input type=datetime-local> value ('2026-03-02T15:30') in the class's
    zone -> ISO 8601 UTC. Raises ValueError for text that is not a date and time."""
    value = (value or "").strip()
    if not value:
        return None
    naive = datetime.fromisoformat(value)
    if naive.tzinfo is not None:
        naive = naive.replace(tzinfo=None)
    local = naive.replace(tzinfo=ZoneInfo(tz))
    try:
        moment = local.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31 23:00 in Chicago is past the year 9999 in UTC
        raise ValueError(f"{value!r} is out of range") from None
    return moment.replace(microsecond=0).isoformat()


def utc_to_local_input(value: str | None, tz: str) -> str:
    local = to_local(value, tz)
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""


def format_local(value: str | None, tz: str, with_zone: bool = True) -> str:
    """'Mon 2 Mar, 3:30 PM CST' (the class's zone), or '' for no time."""
    local = to_local(value, tz)
    if local is None:
        return ""
    text = local.strftime("%a %b %-d, %-I:%M %p")
    return f"{text} {local.tzname()}" if with_zone else text
