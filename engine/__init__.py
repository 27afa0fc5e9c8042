"""maasmix.engine: routing on compact numpy arrays; no file or network I/O.

The transit router (RAPTOR family) in one class, `TransitRouter`::

    from maasmix.engine import TransitRouter
    router = TransitRouter.from_gtfs("milano_small_gtfs.zip", "20141020")
    router.earliest_arrivals("11", "08:00")
    router.journeys("11", "200", "08:00")
"""

from maasmix.engine.footpaths import Footpaths, build_footpaths, haversine_m, walk_seconds
from maasmix.engine.journeys import Journey, Leg, hhmmss, transit_mode
from maasmix.engine.raptor import INF, RaptorResult, one_to_all, point_to_point, range_query
from maasmix.engine.router import DEFAULT_MAX_TRANSFERS, QueryError, TransitRouter, parse_time
from maasmix.engine.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_WALK_M,
    DEFAULT_WALK_SPEED,
    CompiledTimetable,
    compile_timetable,
)

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_TRANSFERS",
    "DEFAULT_MAX_WALK_M",
    "DEFAULT_WALK_SPEED",
    "INF",
    "CompiledTimetable",
    "Footpaths",
    "Journey",
    "Leg",
    "QueryError",
    "RaptorResult",
    "TransitRouter",
    "build_footpaths",
    "compile_timetable",
    "haversine_m",
    "hhmmss",
    "one_to_all",
    "parse_time",
    "point_to_point",
    "range_query",
    "transit_mode",
    "walk_seconds",
]
