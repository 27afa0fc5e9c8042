"""maasmix.engine: routing on compact numpy arrays; no file or network I/O.

The transit router (RAPTOR family) in one class, `TransitRouter`::

    from maasmix.engine import TransitRouter
    router = TransitRouter.from_gtfs("milano_small_gtfs.zip", "20141020")
    router.earliest_arrivals("11", "08:00")
    router.journeys("11", "200", "08:00")

Modules: `timetable` (the compiled arrays), `footpaths`, `raptor` and `mcraptor` (the
searches), `itinerary` (journeys and legs), `paths` (rebuilding journeys from a
search), `router` (the public face); money and emissions: `fares` (transit fares),
`rental_prices` (GBFS pricing plans), `bundle_prices` (a traveller's subscription),
`emissions` (g CO2e per leg).
"""

from maasmix.engine.fares import (
    CompiledFares,
    Fare,
    FareLeg,
    FareProductUse,
    LegFare,
    compile_fares,
    price_journey,
    price_legs,
)
from maasmix.engine.footpaths import Footpaths, build_footpaths, walk_seconds
from maasmix.engine.itinerary import Journey, Leg, transit_mode
from maasmix.engine.raptor import INF, RaptorResult, one_to_all, point_to_point, range_query
from maasmix.engine.router import TransitRouter
from maasmix.engine.timetable import CompiledTimetable, compile_timetable

__all__ = [
    "INF",
    "CompiledFares",
    "CompiledTimetable",
    "Fare",
    "FareLeg",
    "FareProductUse",
    "Footpaths",
    "Journey",
    "Leg",
    "LegFare",
    "RaptorResult",
    "TransitRouter",
    "build_footpaths",
    "compile_fares",
    "compile_timetable",
    "one_to_all",
    "point_to_point",
    "price_journey",
    "price_legs",
    "range_query",
    "transit_mode",
    "walk_seconds",
]
