"""Load a service day once and compile it through the disk cache: the I/O side of routing.

`maasmix.engine` computes on arrays and reads nothing. This module does the reading for
it: it opens a GTFS source once (one download, one content hash), parses the date once,
takes the `ServiceDay` from the cache or the feed, raises `NoServiceError` (naming the
feed's service period, without reading the feed again) when no trip runs that day, and
hands the day to the compiler the caller passes in (e.g. `engine.compile_timetable`),
caching what it returns under a key of the content hash, the date, the compiler's kind
and version and its parameters.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from maasmix.errors import NoServiceError
from maasmix.feeds.cache import DiskCache, make_key
from maasmix.feeds.gtfs._read import ResolvedSource, Source, resolve_source
from maasmix.feeds.gtfs.feed import load_service_day
from maasmix.feeds.gtfs.service_day import ServiceDay
from maasmix.servicetime import parse_service_date

__all__ = ["load_compiled"]

T = TypeVar("T")


def load_compiled(
    source: Source | ResolvedSource,
    date: dt.date | str,
    compile_day: Callable[[ServiceDay], T],
    *,
    kind: str,
    version: int,
    params: Mapping[str, Any],
    result_type: type[T],
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> T:
    """``compile_day(service day of date)``, cached on disk by input content.

    Parameters
    ----------
    source
        GTFS zip, folder, URL or zip bytes (or an already `ResolvedSource`).
    date
        The service date (`datetime.date`, "YYYYMMDD" or "YYYY-MM-DD").
    compile_day
        Turns the `ServiceDay` into the compiled structure.
    kind, version, params
        Name and format version of the compiled structure and the parameters it was
        built with: all part of the cache key.
    result_type
        What ``compile_day`` returns; a cache entry of another type is rebuilt.
    cache_dir, use_cache
        Where entries live (default `maasmix.feeds.cache.default_cache_dir`); with
        ``use_cache=False`` nothing is read from or written to disk.

    Raises
    ------
    NoServiceError
        No trip runs on ``date``.
    QueryError
        ``date`` is not a date.
    FeedError
        The feed cannot be read.
    """
    day = parse_service_date(date)
    opened = resolve_source(source)

    def build() -> T:
        service_day = load_service_day(opened, day, cache_dir=cache_dir, use_cache=use_cache)
        if service_day.trips.empty:
            raise NoServiceError(day, service_day.service_period, feed=opened.label)
        return compile_day(service_day)

    if not use_cache:
        return build()
    key = make_key(opened.content, kind, {"date": day.isoformat(), **params}, version)
    value = DiskCache(cache_dir).get_or_build(key, build)
    return value if isinstance(value, result_type) else build()
