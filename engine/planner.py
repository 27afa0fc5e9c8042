"""Door-to-door planning: `plan` from a coordinate to a coordinate on a `Network`.

Mode set (``modes``; default: every mode the network has): ``WALK``, ``BICYCLE`` (own
bike), ``TRANSIT``, ``BICYCLE_RENTAL``, ``SCOOTER_RENTAL``, ``MOPED_RENTAL`` (shared
vehicles of the GBFS systems, docked and free-floating). The plan combines them:

- street only: walk; own bike; a rented vehicle (walk to it, ride, park or return, walk);
- transit, whose access and egress are timed sets of stops (as RAPTOR's access/egress
  legs in OpenTripPlanner), so the transit part stays exact: walking both ways; own bike
  to the first stop (parked there); own bike on board when every ride takes bikes
  (``bikes_allowed=1``, searched on those trips only) and ridden on from the last stop;
  a rented vehicle as the first mile, the last mile, or both.

Street searches are bounded Dijkstra (`engine.access`); the transit part is RAPTOR
(`engine.raptor`), forward for depart-at; arrive-by runs the same kernel on the
time-reversed timetable (`engine.reversal`) to find the latest departure for each
number of rides, then rebuilds that journey forward. Depart-at walk + transit + walk also
runs McRAPTOR (walking as a criterion, the access walk counted from the start and the
egress walk in its pruning) from and to the `MC_MAX_STOPS` nearest stops each way.

Shared rides follow the geofencing of the planned time exactly on the streets' geometry
(`engine.geofencing`); a free-floating vehicle with too little range for a ride gives way
to the next usable one (`engine.vehicle_range`).

`plan` runs these steps, one module each:

1. `engine.plan_query`: options, validation, both points snapped to the streets, the
   street fields searched from them on demand (`Query`);
2. `engine.plan_access`: street-only journeys, and the access/egress sets transit is
   searched between (walking, own bike, rentals as first or last mile);
3. `engine.plan_rentals`: walk -> ride -> walk chains through each rental group;
4. `engine.plan_transit`: RAPTOR/McRAPTOR between each pair of sets;
5. `engine.plan_assembly`: legs placed in time, transit legs drawn in full;
6. `engine.plan_selection`: which candidates are returned;
7. `engine.plan_notices`: what the caller should know about the answer.

The answer (`Plan`) always holds the earliest arrival (latest departure for arrive-by),
the fewest transfers, the least walking and, with money, the lowest out-of-pocket cost;
the places left up to ``num_itineraries`` go to the rest of the Pareto set over (arrival
or departure, transfers, walking time), then the best itinerary of each mode
combination (the rule: `engine.plan_selection`); ordered by arrival. A rented or own
vehicle is never a transfer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from maasmix.engine.itinerary import Journey
from maasmix.engine.plan_access import access_egress_pairs, street_only
from maasmix.engine.plan_assembly import combination, finish
from maasmix.engine.plan_filters import filter_chain
from maasmix.engine.plan_notices import notices
from maasmix.engine.plan_query import (
    MODES,
    PlanOptions,
    Query,
    check_point,
    parse_modes,
    service_seconds,
)
from maasmix.engine.plan_rentals import rental_groups
from maasmix.engine.plan_selection import Cost, feasible, protected, ranked, select
from maasmix.engine.plan_transit import transit_candidates
from maasmix.errors import QueryError
from maasmix.servicetime import service_datetime

if TYPE_CHECKING:
    from maasmix.engine.network import Network
    from maasmix.engine.plan_money import ItineraryMoney
    from maasmix.engine.rentals import RentalSystem
    from maasmix.feeds.gtfs_rt import Alert

__all__ = ["MODES", "Plan", "PlanOptions", "parse_modes", "plan", "service_seconds"]


@dataclass
class Plan:
    """Itineraries of one door-to-door query, and what the caller should know.

    Attributes
    ----------
    itineraries : list[Journey]
        Ordered by arrival; each has a ``combination`` (``"WALK+TRANSIT+WALK"``, ...).
    notices : list[str]
        Facts about the answer: crow-fly streets, the age of each GBFS snapshot against
        the planned time, stations without live status.
    money : list[ItineraryMoney]
        One per itinerary (same order) when planned by `Network.plan`: prices, bundle
        split and CO2e (`maasmix.engine.plan_money`); ``bundle`` the bundle applied,
        ``rider_category`` the one asked for, ``by_money`` whether the Pareto set was
        over (arrival, out-of-pocket cost, transfers).
    filtered : list[tuple[str, Journey]]
        The itineraries the filter chain removed from those that could have been
        returned (the Pareto set and the best of each mode combination, or those a
        ``choose`` function picks), each with the tag of the filter that removed it
        (`maasmix.engine.plan_filters`), in the order they would have filled places;
        as candidates: street legs not drawn yet (`Leg.drawn`), transit legs without
        their shape, walks not merged.
    realtime_time : datetime | None
        When the GTFS-Realtime snapshot the plan ran on was built (None: the plain
        schedule); each transit leg's ``realtime`` says what is live about it.
    alerts : list[Alert]
        The service alerts on the itineraries' legs, once each.
    """

    origin: tuple[float, float]
    destination: tuple[float, float]
    when: dt.datetime
    arrive_by: bool
    modes: tuple[str, ...]
    itineraries: list[Journey]
    notices: list[str] = field(default_factory=list)
    streets: str = "osm"
    money: list[ItineraryMoney] = field(default_factory=list)
    bundle: str | None = None
    rider_category: str | None = None
    by_money: bool = False
    filtered: list[tuple[str, Journey]] = field(default_factory=list)
    realtime_time: dt.datetime | None = None
    alerts: list[Alert] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.itineraries)

    def to_geodataframe(self) -> Any:
        """One row per leg (GeoDataFrame, EPSG:4326): itinerary, leg, mode, times,
        distance, from/to, route, rental system, and the leg's LineString."""
        import geopandas as gpd
        import shapely

        rows = []
        for i, journey in enumerate(self.itineraries):
            for j, leg in enumerate(journey.legs):
                coords = list(leg.geometry) or [
                    (leg.from_lon, leg.from_lat),
                    (leg.to_lon, leg.to_lat),
                ]
                if len(coords) == 1:
                    coords = coords * 2
                rows.append(
                    {
                        "itinerary": i,
                        "leg": j,
                        "combination": journey.combination,
                        "mode": leg.mode,
                        "start": service_datetime(journey.date, journey.timezone, leg.start_s),
                        "end": service_datetime(journey.date, journey.timezone, leg.end_s),
                        "duration_s": leg.duration_s,
                        "distance_m": leg.distance_m,
                        "from_name": leg.from_name,
                        "to_name": leg.to_name,
                        "route": leg.route_short_name,
                        "rental_system": leg.rental.system_id if leg.rental else None,
                        "geometry": shapely.LineString(coords),
                    }
                )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def plan(
    net: Network,
    origin: tuple[float, float],
    destination: tuple[float, float],
    when: dt.datetime | str,
    *,
    arrive_by: bool = False,
    modes: Iterable[str] | str | None = None,
    choose: Callable[[list[Journey], bool], list[int]] | None = None,
    cost: Cost | None = None,
    rentals: Sequence[RentalSystem] | None = None,
    **options: Any,
) -> Plan:
    """Door-to-door itineraries (see the module docstring).

    Parameters
    ----------
    origin, destination
        (lat, lon) in WGS84 degrees.
    when
        Departure (or, with ``arrive_by``, the latest arrival): a datetime (naive: in
        the network's timezone) or an ISO 8601 string, within the network's service day
        (00:00 to 48:00).
    modes
        Mode names (`MODES`, or ``RENTAL`` for every shared mode), a list or a
        comma-separated string; None: all.
    choose
        ``choose(candidates, arrive_by)`` -> indices of the candidates to return, in
        order, replacing the Pareto choice (money: `maasmix.engine.plan_money`) for
        the places the protected itineraries leave (`maasmix.engine.plan_selection`).
    cost
        Out-of-pocket cost of a candidate (minor units per currency): when given, the
        cheapest itinerary is protected too.
    rentals
        The GBFS systems planned with; None: ``net.rentals`` read once, so a refresh
        replacing that list during the plan changes nothing half-way.
    options
        `PlanOptions` fields.

    Raises
    ------
    QueryError
        A coordinate out of range or outside the network, an unknown mode, a time
        outside the service day, a bad option (``parameter`` names it).
    """
    o = check_point(origin, "from")
    d = check_point(destination, "to")
    chosen = parse_modes(modes)
    try:
        opt = PlanOptions(**options)
    except TypeError as exc:
        raise QueryError(str(exc), parameter="options") from None
    if opt.max_transfers < 0 or opt.num_itineraries < 1:
        raise QueryError("max_transfers must be >= 0 and num_itineraries >= 1", parameter="options")
    if not opt.max_link_m >= 0:
        raise QueryError("max_link_m must be >= 0 metres", parameter="max_link_m")
    when_s, moment = service_seconds(net, when, arrive_by)
    # 1. the query: both points snapped, street fields searched on demand
    q = Query(net, o, d, opt, rentals=tuple(net.rentals) if rentals is None else tuple(rentals))
    q.moment = moment
    # 2. street only: walk, own bike, a rented vehicle all the way
    groups = rental_groups(q, chosen)
    candidates = street_only(q, chosen, groups, when_s, arrive_by)
    # 3. transit between each pair of access and egress sets
    walk_in = walk_out = None
    if "TRANSIT" in chosen:
        pairs = access_egress_pairs(q, chosen, groups)
        walk_in, walk_out = pairs[0].access, pairs[0].egress
        candidates += transit_candidates(q, pairs, when_s, arrive_by)
    # 4. the best on each criterion kept, the filter chain, the rest up to the cap
    candidates = feasible(candidates, when_s, arrive_by)
    keep = protected(candidates, arrive_by, cost)
    order = choose(candidates, arrive_by) if choose is not None else ranked(candidates, arrive_by)
    flagged: dict[int, str] = {}
    if opt.filters:
        flagged = filter_chain(
            candidates,
            keep,
            arrive_by=arrive_by,
            when_s=when_s,
            tt=q.tt,
            walk_in=walk_in,
            walk_out=walk_out,
        )
    chosen_idx = select(keep, order, opt.num_itineraries, flagged)
    # 5. the chosen itineraries' transit legs drawn in full, ordered by arrival
    itineraries = sorted((finish(q, candidates[i]) for i in chosen_idx), key=_by_arrival)
    filtered = [
        (flagged[i], replace(candidates[i], combination=combination(candidates[i])))
        for i in order
        if i in flagged
    ]
    return Plan(
        origin=o,
        destination=d,
        when=moment,
        arrive_by=arrive_by,
        modes=chosen,
        itineraries=itineraries,
        notices=notices(q, moment, chosen, itineraries, when_s, arrive_by),
        streets="crow-fly" if q.crow else "osm",
        filtered=filtered,
        realtime_time=q.live.snapshot.time if q.live.snapshot.is_live else None,
        alerts=_alerts(itineraries),
    )


def _alerts(itineraries: list[Journey]) -> list[Alert]:
    """Every alert on the itineraries' legs, once, in order of appearance."""
    seen: dict[str, Alert] = {}
    for j in itineraries:
        for leg in j.legs:
            for alert in leg.realtime.alerts if leg.realtime is not None else ():
                seen.setdefault(alert.alert_id, alert)
    return list(seen.values())


def _by_arrival(j: Journey) -> tuple[int, int, int, int]:
    return (j.arrival_s, -j.departure_s, j.transfers, j.walk_s)
