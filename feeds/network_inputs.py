"""The I/O side of a door-to-door `maasmix.engine.Network`: read once, compile, cache.

`load_network_compiled` opens one or more GTFS feeds and an optional OSM extract, takes
the service day of each feed (through the service-day cache), merges them, reads the
street graphs, and hands both to the compiler the caller passes in, caching what it
returns on disk under a key of every input's content hash, the date, the compiler's kind,
version and parameters (`maasmix.feeds.cache`). The engine computes; this module reads.

Each feed is read once per build: its service day (on a service-day cache miss), its
shapes and its fare tables (`maasmix.feeds.network_fares`, read by the compiler the
caller passes) share one `GtfsFeed` through `load_feed`, so each repair warning of a
feed is given once. A URL is downloaded once per build: the fare tables take the
build's download (`resolve_once`), feed labels come from the URL itself.

Several feeds: the ids of each feed (stops, routes, trips, services) are prefixed with
the feed's file stem and a colon (``bart:12TH``) so that they cannot collide; a single
feed keeps its ids as they are. The feeds must share one timezone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from maasmix.errors import FeedIntegrityError, FeedWarning, NoServiceError
from maasmix.feeds._http import is_url
from maasmix.feeds.cache import DiskCache, content_hash, make_key
from maasmix.feeds.gtfs import GtfsFeed, ServiceDay, load_gtfs, load_service_day
from maasmix.feeds.gtfs._read import ResolvedSource, Source, resolve_source
from maasmix.feeds.gtfs.service_day import FeedPeriod
from maasmix.feeds.osm import StreetNetwork, load_osm
from maasmix.servicetime import parse_service_date

__all__ = [
    "load_feed",
    "load_network_compiled",
    "merge_service_days",
    "read_shapes",
    "resolve_once",
]

T = TypeVar("T")

_READ: ContextVar[dict[str, GtfsFeed] | None] = ContextVar("maasmix_feeds_read", default=None)
"""The feeds read by the network build under way (None: no build, every load reads)."""

_OPENED: ContextVar[dict[str, ResolvedSource] | None] = ContextVar(
    "maasmix_feeds_opened", default=None
)
"""The URL sources the network build under way downloaded, by URL (one download each)."""


def resolve_once(source: Source | ResolvedSource) -> ResolvedSource:
    """`resolve_source`, except that a URL already downloaded by the network build under
    way (`load_network_compiled`) is not downloaded again: a build fetches each URL once."""
    opened = _OPENED.get()
    if opened is not None and isinstance(source, str) and source in opened:
        return opened[source]
    return resolve_source(source)


def _feed_key(source: ResolvedSource) -> str:
    if isinstance(source.data, Path):
        return f"path:{source.data.resolve()}"
    return f"bytes:{source.content}"


def load_feed(source: Source | ResolvedSource) -> GtfsFeed:
    """`load_gtfs` (``source``), read once per `load_network_compiled` build: a second
    load of the same file, folder or bytes during the build gets the same `GtfsFeed`."""
    opened = resolve_source(source)
    read = _READ.get()
    if read is None:
        return load_gtfs(opened)
    key = _feed_key(opened)
    if key not in read:
        read[key] = load_gtfs(opened)
    return read[key]


@contextlib.contextmanager
def _reading_once(opened: Sequence[ResolvedSource] = ()) -> Iterator[None]:
    token = _READ.set({})
    urls = _OPENED.set({o.label: o for o in opened if is_url(o.label)})
    try:
        yield
    finally:
        _OPENED.reset(urls)
        _READ.reset(token)


def _prefix(frame: pd.DataFrame, columns: Sequence[str], prefix: str) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            values = out[column].astype(str)
            out[column] = (prefix + values).where(values != "", "")
    return out


def read_shapes(source: ResolvedSource) -> pd.DataFrame | None:
    """shapes.txt of a feed as ``shape_id``, ``lat``, ``lon`` in point order (None: no
    shapes.txt). Rows whose coordinates or sequence do not parse are dropped with a
    FeedWarning (shapes only draw transit legs)."""
    feed = load_feed(source)
    if "shapes" not in feed.tables:
        return None
    raw = feed.tables["shapes"]
    frame = pd.DataFrame(
        {
            "shape_id": raw["shape_id"].astype(str),
            "lat": pd.to_numeric(raw["shape_pt_lat"], errors="coerce"),
            "lon": pd.to_numeric(raw["shape_pt_lon"], errors="coerce"),
            "seq": pd.to_numeric(raw["shape_pt_sequence"], errors="coerce"),
        }
    )
    bad = frame[["lat", "lon", "seq"]].isna().any(axis=1) | ~frame["lat"].between(-90, 90)
    bad |= ~frame["lon"].between(-180, 180)
    if bad.any():
        warnings.warn(
            f"{source.label}: {int(bad.sum())} shapes.txt row(s) without usable coordinates "
            "or sequence dropped (transit legs of those shapes are drawn stop to stop)",
            FeedWarning,
            stacklevel=3,
        )
        frame = frame.loc[~bad]
    frame = frame.sort_values(["shape_id", "seq"], kind="stable")
    return frame[["shape_id", "lat", "lon"]].reset_index(drop=True)


def merge_service_days(days: Sequence[ServiceDay], labels: Sequence[str]) -> ServiceDay:
    """One `ServiceDay` of several feeds' days (ids prefixed ``label:`` when > 1 feed).

    Raises
    ------
    FeedIntegrityError
        The feeds are in different timezones.
    """
    if len(days) == 1:
        return days[0]
    zones = {d.timezone for d in days}
    if len(zones) > 1:
        raise FeedIntegrityError(
            f"feeds in different timezones cannot be merged: {', '.join(sorted(zones))}",
            file=", ".join(labels),
            field="agency_timezone",
        )
    parts: dict[str, list[pd.DataFrame]] = {
        k: [] for k in ("stops", "routes", "trips", "stop_times", "transfers", "shapes")
    }
    for day, label in zip(days, labels, strict=True):
        p = f"{label}:"
        parts["stops"].append(_prefix(day.stops, ["stop_id", "parent_station", "zone_id"], p))
        parts["routes"].append(_prefix(day.routes, ["route_id", "agency_id"], p))
        parts["trips"].append(
            _prefix(day.trips, ["trip_key", "trip_id", "route_id", "service_id", "shape_id"], p)
        )
        parts["stop_times"].append(_prefix(day.stop_times, ["trip_key", "stop_id"], p))
        parts["transfers"].append(_prefix(day.transfers, ["from_stop_id", "to_stop_id"], p))
        if day.shapes is not None:
            parts["shapes"].append(_prefix(day.shapes, ["shape_id"], p))
    merged = {k: pd.concat(v, ignore_index=True) for k, v in parts.items() if v}
    periods = [d.service_period for d in days if d.service_period is not None]
    period = (min(p[0] for p in periods), max(p[1] for p in periods)) if periods else None
    return ServiceDay(
        date=days[0].date,
        timezone=days[0].timezone,
        stops=merged["stops"],
        routes=merged["routes"],
        trips=merged["trips"],
        stop_times=merged["stop_times"].sort_values(["trip_key", "stop_sequence"]),
        transfers=merged["transfers"],
        service_period=period,
        shapes=merged.get("shapes"),
        feed_periods=tuple(
            FeedPeriod(label, d.service_period, len(d.trips))
            for d, label in zip(days, labels, strict=True)
        ),
    )


def _labels(opened: Sequence[ResolvedSource | str]) -> list[str]:
    """Feed labels from the sources' labels (`source_label`: nothing is downloaded)."""
    names = [o if isinstance(o, str) else o.label for o in opened]
    stems = [Path(n).name.removesuffix(".zip") or f"feed{i}" for i, n in enumerate(names)]
    seen: dict[str, int] = {}
    out = []
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f"{stem}{seen[stem]}")
    return out


def load_network_compiled(
    gtfs: Source | Sequence[Source],
    osm: str | os.PathLike[str] | None,
    date: dt.date | str,
    compile_inputs: Callable[[ServiceDay, StreetNetwork | None], T],
    *,
    kind: str,
    version: int,
    params: Mapping[str, Any],
    result_type: type[T],
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> T:
    """``compile_inputs(merged service day, street network or None)``, cached on disk.

    Raises
    ------
    NoServiceError
        No trip of any feed runs on ``date``.
    FeedError
        A feed or the OSM file cannot be read.
    """
    day = parse_service_date(date)
    sources = [gtfs] if isinstance(gtfs, str | bytes | os.PathLike) else list(gtfs)
    if not sources:
        raise FeedIntegrityError("no GTFS feed given", field="gtfs")
    opened = [resolve_source(s) for s in sources]
    labels = _labels(opened)
    osm_name = os.fspath(osm) if osm is not None else None

    def build() -> T:
        with _reading_once(opened):
            return build_once()

    def build_once() -> T:
        days = [
            dataclasses.replace(
                load_service_day(o, day, cache_dir=cache_dir, use_cache=use_cache, load=load_feed),
                shapes=read_shapes(o),
            )
            for o in opened
        ]
        merged = merge_service_days(days, labels)
        if merged.trips.empty:
            raise NoServiceError(
                day, merged.service_period, feed=", ".join(o.label for o in opened)
            )
        streets = None
        if osm_name is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FeedWarning)
                streets = load_osm(osm_name)
            for w in caught:  # re-emit once, after the build, attributed to the caller
                warnings.warn(str(w.message), FeedWarning, stacklevel=3)
        return compile_inputs(merged, streets)

    if not use_cache:
        return build()
    contents = [o.content for o in opened]
    if osm_name is not None:
        if not Path(osm_name).is_file():
            return build()  # load_osm raises the readable error
        contents.append(content_hash(osm_name))
    key = make_key(
        "+".join(contents), kind, {"date": day.isoformat(), "feeds": labels, **params}, version
    )
    value = DiskCache(cache_dir).get_or_build(key, build)
    return value if isinstance(value, result_type) else build()
