"""Service time: clock times past 24:00, service dates, and the instants they stand for.

Inside `maasmix.engine` a time is int32 seconds after the service day's midnight, where
"midnight" is noon minus 12 h as GTFS defines it (so a service day that contains a DST
change still counts its clock from the day's noon). At every boundary times become
timezone-aware datetimes in the agency's timezone; an unknown timezone is an error,
never a silent UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from maasmix.errors import QueryError

__all__ = [
    "MAX_QUERY_TIME_S",
    "format_clock",
    "parse_clock",
    "parse_service_date",
    "service_datetime",
    "timezone_of",
]

MAX_QUERY_TIME_S = 48 * 3600
"""Latest time of day a query may name: 48:00:00 (trips of a service day may run past 24:00)."""

_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_SECONDS = re.compile(r"[0-9]{1,6}")


def parse_clock(value: str | int, *, parameter: str = "time") -> int:
    """Seconds after the service day's midnight from ``"HH:MM[:SS]"`` or whole seconds.

    Hours may exceed 23 (up to 48:00:00); digits are ASCII only. An int (or a string of
    ASCII digits) is taken as seconds.

    Raises
    ------
    QueryError
        Not such a time, or outside 0 .. 48 h (naming ``parameter``).
    """
    if isinstance(value, bool):
        raise QueryError(f"not a time: {value!r}", parameter=parameter)
    if isinstance(value, int):
        seconds = int(value)
    else:
        text = str(value).strip()
        match = _CLOCK.fullmatch(text)
        if match:
            h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
            if m >= 60 or s >= 60:
                raise QueryError(
                    f"not a time (minutes and seconds < 60): {value!r}", parameter=parameter
                )
            seconds = h * 3600 + m * 60 + s
        elif _SECONDS.fullmatch(text):
            seconds = int(text)
        else:
            raise QueryError(
                f"not a time (HH:MM[:SS] or seconds): {_shorten(value)!r}", parameter=parameter
            )
    if not 0 <= seconds <= MAX_QUERY_TIME_S:
        raise QueryError(
            f"time must lie within 00:00:00 .. 48:00:00 of the service day, got {seconds} s",
            parameter=parameter,
        )
    return seconds


def format_clock(seconds: int) -> str:
    """Seconds after midnight as ``"HH:MM:SS"`` (hours may exceed 23; negative gets "-")."""
    sign = "-" if seconds < 0 else ""
    s = abs(int(seconds))
    return f"{sign}{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def parse_service_date(value: dt.date | str, *, parameter: str = "date") -> dt.date:
    """A `datetime.date` from a date or a ``"YYYYMMDD"`` / ``"YYYY-MM-DD"`` string.

    Raises
    ------
    QueryError
        Not such a date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text.isascii():
        for fmt in ("%Y%m%d", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise QueryError(f"not a date (YYYYMMDD): {_shorten(value)!r}", parameter=parameter)


def timezone_of(name: str) -> ZoneInfo:
    """The IANA timezone ``name``.

    Raises
    ------
    ValueError
        Not an IANA timezone name.
    """
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA timezone: {name!r}") from None


def service_datetime(date: dt.date, timezone: str, seconds: int) -> dt.datetime:
    """The instant ``seconds`` after the service day's midnight (noon minus 12 h), in
    ``timezone``."""
    tz = timezone_of(timezone)
    noon = dt.datetime.combine(date, dt.time(12), tzinfo=tz)
    utc = noon.astimezone(dt.UTC) + dt.timedelta(seconds=int(seconds) - 43200)
    return utc.astimezone(tz)


def _shorten(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
