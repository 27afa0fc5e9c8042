"""Transit fares of a journey: GTFS Fares v1 and the core of Fares v2, pure computation.

How a leg gets its price
------------------------
1. The feed's fare tables (`maasmix.feeds.fares.read_fares`) are compiled once with
   `compile_fares` into lookups: stop -> zone and areas (a platform without its own
   takes its parent station's), route -> agency and networks, fares by origin and
   destination zone, leg rules, products, transfer rules, timeframes.
2. The transit legs of an itinerary become `FareLeg` records (route, agency, boarding
   and alighting stop, every stop passed, departure and arrival in seconds of the
   service day). `FareLeg.from_leg` takes a `maasmix.engine.itinerary.Leg`;
   `maasmix.engine.router.TransitRouter.fare_legs` also fills the stops passed from the
   compiled timetable, so ``contains_id`` rules see every zone ridden through.
   Walking, cycling and rental legs are not priced here (see
   `maasmix.engine.rental_prices`).
3. `price_legs` (or `price_journey`) returns a `Fare`: the fare products used, each
   listed once with the legs that ride on it (OpenTripPlanner's ``fareProducts``), and
   per leg the ids of the product uses it rides on and the amount bought at that leg
   (a product's price is charged at the first leg that uses it; a transfer product's at
   the leg after the transfer). Totals are per currency, never added across currencies.

Fares v1 (``fare_attributes`` + ``fare_rules``)
    The rows of a fare_id with the same (route_id, origin_id, destination_id) form one
    rule whose contains zones are all their ``contains_id`` values (the specification:
    "all contains_id zones must be matched"); rules that differ only in their route are
    one rule for all those routes (a blank route_id: any route). A run of consecutive
    legs may ride on one fare when one of its rules matches: the first boarding zone is
    its origin and the last alighting zone its destination (blank: any zone); every
    route ridden is among its routes; the zones passed through (every stop of the run)
    are its contains zones (exactly; or among them with ``compile_fares(...,
    contains="subset")``); the run has no more transfers than ``transfers`` allows
    (blank: unlimited); and the last boarding is at most ``transfer_duration`` seconds
    after the first (blank: no limit). A fare without any fare_rules row applies to
    every route of its agency (to every route when it names none). The journey's fare
    is the cheapest split of its legs into such runs (dynamic programming over the
    legs, exact).
Fares v2 (``fare_products``, ``fare_leg_rules``, ``fare_transfer_rules``, ...)
    A leg matches a leg rule when its route's network, its boarding stop's areas, its
    alighting stop's areas and its departure/arrival times (within a timeframe of the
    group whose service runs, when the caller names the active services) agree with the
    rule. A blank id in a rule means "any" when the feed has ``rule_priority`` (then
    only the matching rules of the highest priority count) and "any not named by
    another rule" without it, as the specification says. The rider category is the
    caller's, else the feed's default category (``is_default_fare_category``), else
    products without a category; among the fare media (all, or the one asked for) the
    cheapest product is used. Transfers: a leg following a leg of group A may be
    priced by the transfer rule from A to its group when the chain's transfer count and
    duration limit allow it (the duration is measured from the first leg of the chain,
    with ``duration_limit_type`` choosing departure or arrival of each end); every
    combination of transfer rules used or not is tried and the cheapest kept (a rider
    may always buy a new ticket instead; beyond 10 transit legs they are applied
    greedily left to right); ``fare_transfer_type`` 0 charges A plus the rule's
    product (the next leg rides on A's use and the rule's), 1 charges A, the rule's
    product and B (the next leg rides on the rule's product and its own B), 2 replaces
    the chain's products by the rule's product alone (riding on it from the chain's
    first leg). A chain goes on while transfer rules apply, whatever the transfer type.

No I/O happens here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from maasmix import defaults
from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.timetable import CompiledTimetable
from maasmix.errors import QueryError
from maasmix.feeds.fares import FareTables
from maasmix.money import Money

__all__ = [
    "CompiledFares",
    "Fare",
    "FareLeg",
    "FareProductUse",
    "LegFare",
    "compile_fares",
    "journey_fare_legs",
    "price_journey",
    "price_legs",
    "trip_index",
]


@dataclass(frozen=True)
class FareLeg:
    """A transit leg as fare rules see it.

    ``stop_ids`` are every stop of the ride in order, boarding and alighting stops
    included (empty: only ``from_stop_id`` and ``to_stop_id`` are known); times are
    seconds after the service day's midnight. ``agency_id`` None: the route's agency.
    """

    route_id: str
    from_stop_id: str
    to_stop_id: str
    start_s: int
    end_s: int
    stop_ids: tuple[str, ...] = ()
    agency_id: str | None = None

    @classmethod
    def from_leg(cls, leg: Leg) -> FareLeg:
        """The fare record of a transit `Leg` (stops passed: its ``intermediate_stops``)."""
        if not leg.is_transit or leg.route_id is None:
            raise QueryError(f"a {leg.mode} leg has no transit fare", parameter="legs")
        passed = tuple(call.stop_id for call in leg.intermediate_stops)
        return cls(
            route_id=leg.route_id,
            from_stop_id=leg.from_stop_id,
            to_stop_id=leg.to_stop_id,
            start_s=int(leg.start_s),
            end_s=int(leg.end_s),
            stop_ids=(leg.from_stop_id, *passed, leg.to_stop_id),
            agency_id=leg.agency_id,
        )

    def all_stops(self) -> tuple[str, ...]:
        """Every stop known to be on the ride, boarding and alighting included."""
        return self.stop_ids or (self.from_stop_id, self.to_stop_id)


@dataclass(frozen=True)
class FareProductUse:
    """One use of a fare product: its price and the legs (indices) that ride on it.

    ``use_id`` is unique within a `Fare`; ``legs`` index the legs passed to
    `price_legs` (or ``journey.legs`` for `price_journey`).
    """

    use_id: str
    product_id: str
    name: str
    amount: Money
    legs: tuple[int, ...]
    rider_category_id: str = ""
    fare_media_id: str = ""


@dataclass(frozen=True)
class LegFare:
    """What one leg rides on: product use ids, and the amount charged at this leg."""

    leg: int
    product_uses: tuple[str, ...]
    charged: tuple[Money, ...]


@dataclass(frozen=True)
class Fare:
    """The fare of a journey's transit legs.

    ``products``: each product use once; ``legs``: one `LegFare` per priced leg, in
    order; ``totals``: one `Money` per currency (sorted by currency); ``unpriced``: legs
    no fare rule applies to (their price is unknown, not zero); ``system``:
    ``"fares_v1"``, ``"fares_v2"`` or ``""`` (the feed publishes no fares).
    """

    products: tuple[FareProductUse, ...]
    legs: tuple[LegFare, ...]
    totals: tuple[Money, ...]
    unpriced: tuple[int, ...]
    system: str
    rider_category_id: str = ""

    @property
    def complete(self) -> bool:
        """Whether every transit leg has a price."""
        return not self.unpriced

    def total(self, currency: str) -> Money:
        """The total in ``currency`` (zero when nothing is charged in it)."""
        for money in self.totals:
            if money.currency == currency:
                return money
        return Money(0, currency)

    def leg_amounts(self) -> dict[int, tuple[Money, ...]]:
        """``{leg index: amounts charged at that leg}``."""
        return {lf.leg: lf.charged for lf in self.legs}


# ------------------------------------------------------------------------ compiled


@dataclass(frozen=True)
class _V1Fare:
    fare_id: str
    price: int
    currency: str
    transfers: int
    duration_s: int
    agency_id: str
    has_rules: bool


@dataclass(frozen=True)
class _V1Rule:
    """One rule of a fare: an (origin, destination) pair ("" = any), the contains zones
    of its rows, and the routes it names (empty: any route)."""

    fare: _V1Fare
    origin: str
    destination: str
    contains: frozenset[str]
    routes: frozenset[str]


@dataclass(frozen=True)
class _LegRule:
    leg_group_id: str
    network_id: str
    from_area_id: str
    to_area_id: str
    from_timeframe: str
    to_timeframe: str
    product_id: str
    priority: int


@dataclass(frozen=True)
class _Product:
    product_id: str
    name: str
    rider_category_id: str
    fare_media_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class _TransferRule:
    from_group: str
    to_group: str
    count: int
    limit_s: int
    limit_type: int
    transfer_type: int
    product_id: str


@dataclass(frozen=True)
class CompiledFares:
    """Fare lookups of one feed, built by `compile_fares` (see the module docstring)."""

    stop_zone: Mapping[str, str]
    stop_areas: Mapping[str, frozenset[str]]
    route_agency: Mapping[str, str]
    route_networks: Mapping[str, frozenset[str]]
    v1_by_pair: Mapping[tuple[str, str], tuple[_V1Rule, ...]]
    v1_fares: tuple[_V1Fare, ...]
    leg_rules: tuple[_LegRule, ...]
    products: Mapping[str, tuple[_Product, ...]]
    transfer_rules: tuple[_TransferRule, ...]
    timeframes: Mapping[str, tuple[tuple[int, int, str], ...]]
    rider_categories: Mapping[str, str]
    default_rider_category: str
    fare_media: frozenset[str]
    has_rule_priority: bool
    listed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    contains: str = "exact"

    @property
    def has_v1(self) -> bool:
        """Whether Fares v1 are published."""
        return bool(self.v1_fares)

    @property
    def has_v2(self) -> bool:
        """Whether Fares v2 leg rules are published."""
        return bool(self.leg_rules)

    def rider_category(self, rider_category_id: str | None) -> str:
        """The category used for ``rider_category_id`` (None: the default; "" none).

        Raises
        ------
        QueryError
            (parameter ``rider_category``) the feed has no such category.
        """
        if rider_category_id is None or rider_category_id == "":
            return self.default_rider_category
        if rider_category_id not in self.rider_categories:
            known = ", ".join(sorted(self.rider_categories)) or "none"
            raise QueryError(
                f"unknown rider category {rider_category_id!r} (the feed has: {known})",
                parameter="rider_category",
            )
        return rider_category_id


def compile_fares(tables: FareTables, *, contains: str = defaults.FARE_CONTAINS) -> CompiledFares:
    """Lookups for pricing journeys from the typed fare tables of one feed.

    ``contains``: how Fares v1 ``contains_id`` zones are read, ``"exact"`` (the
    specification: a rule applies when the zones ridden through are exactly its
    contains zones) or ``"subset"`` (when they are among them: the reading of feeds that
    list a ticket's valid zones, such as HSL's AB/ABC/ABCD tickets).

    Raises
    ------
    QueryError
        (parameter ``contains``) another value.
    """
    if contains not in ("exact", "subset"):
        raise QueryError(
            f"contains must be 'exact' or 'subset', got {contains!r}", parameter="contains"
        )
    stops = tables.stops
    zone = dict(zip(stops["stop_id"], stops["zone_id"], strict=True))
    parent = dict(zip(stops["stop_id"], stops["parent_station"], strict=True))
    stop_zone = {
        s: (z or zone.get(parent.get(s, ""), "")) for s, z in zone.items() if z or parent.get(s)
    }
    stop_zone = {s: z for s, z in stop_zone.items() if z}
    areas_of: dict[str, set[str]] = defaultdict(set)
    for area, stop in zip(tables.stop_areas["area_id"], tables.stop_areas["stop_id"], strict=True):
        areas_of[stop].add(area)
    stop_areas = {}
    for s in set(areas_of) | {s for s, p in parent.items() if p in areas_of}:
        stop_areas[s] = frozenset(areas_of.get(s, set()) | areas_of.get(parent.get(s, ""), set()))
    route_agency = dict(zip(tables.routes["route_id"], tables.routes["agency_id"], strict=True))
    nets: dict[str, set[str]] = defaultdict(set)
    rn = tables.route_networks
    for route, net in zip(rn["route_id"], rn["network_id"], strict=True):
        nets[route].add(net)
    route_networks = {r: frozenset(n) for r, n in nets.items()}

    # Fares v1: rows with the same (route, origin, destination) form one rule (their
    # contains zones together); rules with the same (origin, destination, contains) are
    # merged over their routes (a blank route in any of them: every route).
    fares: list[_V1Fare] = []
    v1_rules: list[_V1Rule] = []
    rules_by_fare = {fid: g for fid, g in tables.rules.groupby("fare_id", sort=False)}
    for row in tables.attributes.itertuples(index=False):
        g = rules_by_fare.get(row.fare_id)
        fare = _V1Fare(
            fare_id=str(row.fare_id),
            price=int(row.price_minor),
            currency=str(row.currency),
            transfers=int(row.transfers),
            duration_s=int(row.transfer_duration_s),
            agency_id=str(row.agency_id),
            has_rules=g is not None,
        )
        fares.append(fare)
        if g is None:
            v1_rules.append(_V1Rule(fare, "", "", frozenset(), frozenset()))
            continue
        zones_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for route, o, d, c in zip(
            g["route_id"], g["origin_id"], g["destination_id"], g["contains_id"], strict=True
        ):
            zones_of[(route, o, d)].update({c} if c else set())
        routes_of: dict[tuple[str, str, frozenset[str]], set[str]] = defaultdict(set)
        for (route, o, d), zone_set in zones_of.items():
            routes_of[(o, d, frozenset(zone_set))].add(route)
        for (o, d, contained), routes in routes_of.items():
            named: frozenset[str] = frozenset() if "" in routes else frozenset(routes)
            v1_rules.append(_V1Rule(fare, o, d, contained, named))
    by_pair: dict[tuple[str, str], list[_V1Rule]] = defaultdict(list)
    for rule in v1_rules:
        by_pair[(rule.origin, rule.destination)].append(rule)

    lr = tables.leg_rules
    leg_rules = tuple(
        _LegRule(
            leg_group_id=str(r.leg_group_id),
            network_id=str(r.network_id),
            from_area_id=str(r.from_area_id),
            to_area_id=str(r.to_area_id),
            from_timeframe=str(r.from_timeframe_group_id),
            to_timeframe=str(r.to_timeframe_group_id),
            product_id=str(r.fare_product_id),
            priority=int(r.rule_priority),
        )
        for r in lr.itertuples(index=False)
    )
    products: dict[str, list[_Product]] = defaultdict(list)
    for p in tables.products.itertuples(index=False):
        products[str(p.fare_product_id)].append(
            _Product(
                product_id=str(p.fare_product_id),
                name=str(p.fare_product_name),
                rider_category_id=str(p.rider_category_id),
                fare_media_id=str(p.fare_media_id),
                amount=int(p.amount_minor),
                currency=str(p.currency),
            )
        )
    transfer_rules = tuple(
        _TransferRule(
            from_group=str(t.from_leg_group_id),
            to_group=str(t.to_leg_group_id),
            count=int(t.transfer_count),
            limit_s=int(t.duration_limit_s),
            limit_type=int(t.duration_limit_type),
            transfer_type=int(t.fare_transfer_type),
            product_id=str(t.fare_product_id),
        )
        for t in tables.transfer_rules.itertuples(index=False)
    )
    frames: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for t in tables.timeframes.itertuples(index=False):
        frames[str(t.timeframe_group_id)].append((int(t.start_s), int(t.end_s), str(t.service_id)))
    rc = tables.rider_categories
    categories = dict(zip(rc["rider_category_id"], rc["rider_category_name"], strict=True))
    default_ids = rc.loc[rc["is_default"].to_numpy(dtype=bool), "rider_category_id"].tolist()
    listed = {
        "network": frozenset(n for n in lr["network_id"] if n),
        "from_area": frozenset(a for a in lr["from_area_id"] if a),
        "to_area": frozenset(a for a in lr["to_area_id"] if a),
        "from_group": frozenset(t.from_group for t in transfer_rules if t.from_group),
        "to_group": frozenset(t.to_group for t in transfer_rules if t.to_group),
    }
    return CompiledFares(
        stop_zone=stop_zone,
        stop_areas=stop_areas,
        route_agency=route_agency,
        route_networks=route_networks,
        v1_by_pair={k: tuple(v) for k, v in by_pair.items()},
        v1_fares=tuple(fares),
        leg_rules=leg_rules,
        products={k: tuple(v) for k, v in products.items()},
        transfer_rules=transfer_rules,
        timeframes={k: tuple(v) for k, v in frames.items()},
        rider_categories=categories,
        default_rider_category=str(default_ids[0]) if default_ids else defaults.RIDER_CATEGORY,
        fare_media=frozenset(tables.media["fare_media_id"]),
        has_rule_priority=tables.has_rule_priority,
        listed=listed,
        contains=contains,
    )


# ------------------------------------------------------------------------ pricing


def price_journey(
    fares: CompiledFares,
    journey: Journey,
    *,
    rider_category: str | None = None,
    fare_media: str | None = None,
    active_services: Iterable[str] | None = None,
    timetable: CompiledTimetable | None = None,
    trips: Mapping[str, int] | None = None,
) -> Fare:
    """The fare of ``journey``'s transit legs; leg indices in the result index ``journey.legs``.

    With ``timetable`` (the one the journey was found on, and optionally its
    `trip_index`) the stops passed come from it (see `journey_fare_legs`); without,
    from each leg's ``intermediate_stops``.
    """
    positions = [i for i, leg in enumerate(journey.legs) if leg.is_transit]
    if timetable is not None:
        records = journey_fare_legs(timetable, journey, trips=trips)
    else:
        records = [FareLeg.from_leg(journey.legs[i]) for i in positions]
    return price_legs(
        fares,
        records,
        rider_category=rider_category,
        fare_media=fare_media,
        active_services=active_services,
        positions=positions,
    )


def price_legs(
    fares: CompiledFares,
    legs: Sequence[FareLeg],
    *,
    rider_category: str | None = None,
    fare_media: str | None = None,
    active_services: Iterable[str] | None = None,
    positions: Sequence[int] | None = None,
    system: str = "auto",
) -> Fare:
    """The fare of consecutive transit legs (one itinerary), in order of travel.

    Parameters
    ----------
    rider_category
        A Fares v2 rider_category_id; None: the feed's default (see the module).
    fare_media
        A Fares v2 fare_media_id; None: the cheapest medium for each product.
    active_services
        service_ids running on the day (for timeframes); None: every timeframe's
        service is taken as running.
    positions
        Index reported for each leg (default 0, 1, ...).
    system
        ``"auto"`` (Fares v2 when the feed has leg rules, else v1), ``"v1"`` or ``"v2"``.

    Raises
    ------
    QueryError
        Unknown rider category (parameter ``rider_category``), fare medium
        (``fare_media``) or ``system``.
    """
    pos = list(range(len(legs))) if positions is None else list(positions)
    if len(pos) != len(legs):
        raise QueryError("one position per leg is needed", parameter="positions")
    if system not in ("auto", "v1", "v2"):
        raise QueryError(f"unknown fare system {system!r} (auto, v1, v2)", parameter="system")
    category = fares.rider_category(rider_category)
    if fare_media is not None and fare_media not in fares.fare_media:
        known = ", ".join(sorted(fares.fare_media)) or "none"
        raise QueryError(
            f"unknown fare medium {fare_media!r} (the feed has: {known})", parameter="fare_media"
        )
    use_v2 = fares.has_v2 if system == "auto" else system == "v2"
    if not legs:
        return Fare((), (), (), (), "fares_v2" if use_v2 else "fares_v1", category)
    if use_v2:
        services = None if active_services is None else frozenset(active_services)
        return _price_v2(fares, legs, pos, category, fare_media, services)
    if not fares.has_v1:
        return Fare((), (), (), tuple(pos), "", category)
    return _price_v1(fares, legs, pos)


def _totals(uses: Iterable[FareProductUse]) -> tuple[Money, ...]:
    sums: dict[str, int] = defaultdict(int)
    for use in uses:
        sums[use.amount.currency] += use.amount.amount_minor
    return tuple(Money(v, c) for c, v in sorted(sums.items()))


def _result(
    uses: list[FareProductUse], pos: list[int], unpriced: list[int], system: str, category: str
) -> Fare:
    by_leg: dict[int, list[str]] = defaultdict(list)
    charged: dict[int, list[Money]] = defaultdict(list)
    for use in uses:
        for leg in use.legs:
            by_leg[leg].append(use.use_id)
        charged[use.legs[0]].append(use.amount)
    leg_fares = tuple(
        LegFare(p, tuple(by_leg[p]), tuple(charged.get(p, ()))) for p in pos if p in by_leg
    )
    return Fare(tuple(uses), leg_fares, _totals(uses), tuple(unpriced), system, category)


# ------------------------------------------------------------------------ Fares v1


def _v1_candidates(fares: CompiledFares, origin: str, dest: str) -> list[_V1Rule]:
    out: list[_V1Rule] = []
    keys = {(origin, dest), (origin, ""), ("", dest), ("", "")}
    for key in keys:
        out.extend(fares.v1_by_pair.get(key, ()))
    return out


def _v1_run_fare(
    fares: CompiledFares, legs: Sequence[FareLeg], i: int, j: int, zones: set[str]
) -> _V1Fare | None:
    """The cheapest fare for riding legs i..j (inclusive) on one ticket, or None."""
    first, last = legs[i], legs[j]
    origin = fares.stop_zone.get(first.from_stop_id, "")
    dest = fares.stop_zone.get(last.to_stop_id, "")
    transfers = j - i
    span = last.start_s - first.start_s
    routes = {leg.route_id for leg in legs[i : j + 1]}
    subset = fares.contains == "subset"
    best: _V1Fare | None = None
    for rule in _v1_candidates(fares, origin, dest):
        fare = rule.fare
        if best is not None and fare.price >= best.price:
            continue
        if fare.transfers >= 0 and transfers > fare.transfers:
            continue
        if fare.duration_s >= 0 and span > fare.duration_s:
            continue
        if rule.routes and not routes <= rule.routes:
            continue
        if rule.contains and not (zones <= rule.contains if subset else zones == rule.contains):
            continue
        if not fare.has_rules and fare.agency_id:
            agencies = {
                leg.agency_id or fares.route_agency.get(leg.route_id, "") for leg in legs[i : j + 1]
            }
            if agencies != {fare.agency_id}:
                continue
        best = fare
    return best


def _price_v1(fares: CompiledFares, legs: Sequence[FareLeg], pos: list[int]) -> Fare:
    n = len(legs)
    # best[k]: (legs left unpriced, minor units) of the cheapest split of legs[:k]; an
    # unpriced leg weighs more than any price, so a fare covering it always wins
    best: list[tuple[int, int]] = [(0, 0)] + [(n + 1, 0)] * n
    choice: list[tuple[int, _V1Fare | None]] = [(0, None)] * (n + 1)
    leg_zones = [
        {fares.stop_zone[s] for s in leg.all_stops() if s in fares.stop_zone} for leg in legs
    ]
    for j in range(n):
        # leg j unpriced, after the best split of legs[:j]
        best[j + 1] = (best[j][0] + 1, best[j][1])
        choice[j + 1] = (j, None)
        zones: set[str] = set()
        for i in range(j, -1, -1):
            zones |= leg_zones[i]
            fare = _v1_run_fare(fares, legs, i, j, set(zones))
            if fare is None:
                continue
            cost = (best[i][0], best[i][1] + fare.price)
            if cost <= best[j + 1]:  # a tie goes to the longer run (fewer tickets)
                best[j + 1] = cost
                choice[j + 1] = (i, fare)
    uses: list[FareProductUse] = []
    unpriced: list[int] = []
    k = n
    while k > 0:
        i, fare = choice[k]
        if fare is None:
            unpriced.append(pos[k - 1])
        else:
            covered = tuple(pos[i:k])
            uses.append(
                FareProductUse(
                    use_id=f"{fare.fare_id}@{covered[0]}",
                    product_id=fare.fare_id,
                    name=fare.fare_id,
                    amount=Money(fare.price, fare.currency),
                    legs=covered,
                )
            )
        k = i
    uses.reverse()
    unpriced.reverse()
    return _result(uses, pos, unpriced, "fares_v1", "")


# ------------------------------------------------------------------------ Fares v2


def _match_id(
    rule_value: str, leg_values: frozenset[str], listed: frozenset[str], prio: bool
) -> bool:
    if rule_value:
        return rule_value in leg_values
    return prio or not (leg_values & listed)


def _in_timeframe(
    fares: CompiledFares, group: str, t: int, services: frozenset[str] | None
) -> bool:
    if not group:
        return True
    for start, end, service in fares.timeframes.get(group, ()):
        if services is not None and service not in services:
            continue
        if start <= t % 86400 < end or start <= t < end:
            return True
    return False


def _leg_rules(
    fares: CompiledFares, leg: FareLeg, services: frozenset[str] | None
) -> list[_LegRule]:
    nets = fares.route_networks.get(leg.route_id, frozenset())
    from_areas = fares.stop_areas.get(leg.from_stop_id, frozenset())
    to_areas = fares.stop_areas.get(leg.to_stop_id, frozenset())
    prio = fares.has_rule_priority
    hits = [
        r
        for r in fares.leg_rules
        if _match_id(r.network_id, nets, fares.listed["network"], prio)
        and _match_id(r.from_area_id, from_areas, fares.listed["from_area"], prio)
        and _match_id(r.to_area_id, to_areas, fares.listed["to_area"], prio)
        and _in_timeframe(fares, r.from_timeframe, leg.start_s, services)
        and _in_timeframe(fares, r.to_timeframe, leg.end_s, services)
    ]
    if prio and hits:
        top = max(r.priority for r in hits)
        hits = [r for r in hits if r.priority == top]
    return hits


def _product(
    fares: CompiledFares, product_id: str, category: str, media: str | None
) -> _Product | None:
    """The cheapest row of ``product_id`` for the rider category and medium, or None."""
    rows = [
        p
        for p in fares.products.get(product_id, ())
        if (p.rider_category_id in ("", category))
        and (media is None or p.fare_media_id in ("", media))
    ]
    return min(rows, key=lambda p: p.amount) if rows else None


def _transfer_rule(fares: CompiledFares, from_group: str, to_group: str) -> list[_TransferRule]:
    listed_from, listed_to = fares.listed["from_group"], fares.listed["to_group"]
    return [
        t
        for t in fares.transfer_rules
        if (t.from_group == from_group or (not t.from_group and from_group not in listed_from))
        and (t.to_group == to_group or (not t.to_group and to_group not in listed_to))
    ]


def _within(rule: _TransferRule, first: FareLeg, nxt: FareLeg) -> bool:
    if rule.limit_s < 0:
        return True
    start = first.start_s if rule.limit_type in (0, 1) else first.end_s
    end = nxt.end_s if rule.limit_type in (0, 3) else nxt.start_s
    return end - start <= rule.limit_s


@dataclass
class _Chain:
    first: int
    group: str
    transfers: int
    use: int  # index into uses of the chain's product use


_EXHAUSTIVE_V2_LEGS = 10
"""Up to this many transit legs every combination of transfer rules used or not is tried
(2^(legs-1) evaluations); beyond, transfers are applied greedily left to right."""


def _v2_options(
    fares: CompiledFares,
    leg: FareLeg,
    category: str,
    media: str | None,
    services: frozenset[str] | None,
) -> list[tuple[int, str, _Product]]:
    """(amount, leg group, product) of every leg rule matching ``leg``, cheapest first."""
    options = []
    for rule in _leg_rules(fares, leg, services):
        product = _product(fares, rule.product_id, category, media)
        if product is not None:
            options.append((product.amount, rule.leg_group_id, product))
    options.sort(key=lambda o: o[0])
    return options


def _v2_evaluate(
    fares: CompiledFares,
    legs: Sequence[FareLeg],
    pos: list[int],
    options: list[list[tuple[int, str, _Product]]],
    category: str,
    media: str | None,
    allow: Sequence[bool],
) -> tuple[list[FareProductUse], list[int]]:
    """Product uses and unpriced legs when leg j may continue a chain iff ``allow[j]``."""
    uses: list[FareProductUse | None] = []
    unpriced: list[int] = []
    chain: _Chain | None = None

    def new_use(product: _Product, covered: tuple[int, ...]) -> int:
        uses.append(
            FareProductUse(
                use_id=f"{product.product_id}@{covered[0]}",
                product_id=product.product_id,
                name=product.name,
                amount=Money(product.amount, product.currency),
                legs=covered,
                rider_category_id=product.rider_category_id,
                fare_media_id=product.fare_media_id,
            )
        )
        return len(uses) - 1

    def extend(k: int, leg_pos: int) -> None:
        use = uses[k]
        assert use is not None
        uses[k] = FareProductUse(
            use.use_id,
            use.product_id,
            use.name,
            use.amount,
            (*use.legs, leg_pos),
            use.rider_category_id,
            use.fare_media_id,
        )

    for j, leg in enumerate(legs):
        if not options[j]:
            unpriced.append(pos[j])
            chain = None
            continue
        applied = False
        if chain is not None and allow[j]:
            for _amount, group, product in options[j]:
                for tr in _transfer_rule(fares, chain.group, group):
                    same = tr.from_group == tr.to_group and tr.from_group != ""
                    if same and tr.count >= 0 and chain.transfers + 1 > tr.count:
                        continue
                    if not _within(tr, legs[chain.first], leg):
                        continue
                    extra = (
                        _product(fares, tr.product_id, category, media) if tr.product_id else None
                    )
                    if tr.product_id and extra is None:
                        continue
                    if tr.transfer_type == 2:
                        if extra is None:
                            continue
                        uses[chain.use] = None
                        chain.use = new_use(extra, tuple(pos[chain.first : j + 1]))
                    else:
                        if tr.transfer_type == 0:
                            extend(chain.use, pos[j])  # the next leg rides on A's use
                        if extra is not None:
                            new_use(extra, (pos[j - 1], pos[j]))
                        if tr.transfer_type == 1:
                            new_use(product, (pos[j],))
                    chain.transfers += 1
                    chain.group = group
                    applied = True
                    break
                if applied:
                    break
        if not applied:
            _amount, group, product = options[j][0]
            chain = _Chain(first=j, group=group, transfers=0, use=new_use(product, (pos[j],)))
    return [u for u in uses if u is not None], unpriced


def _price_v2(
    fares: CompiledFares,
    legs: Sequence[FareLeg],
    pos: list[int],
    category: str,
    media: str | None,
    services: frozenset[str] | None,
) -> Fare:
    """The cheapest use of the transfer rules: every combination of transfers taken or
    not (up to `_EXHAUSTIVE_V2_LEGS` legs), by (unpriced legs, amount, product uses)."""
    options = [_v2_options(fares, leg, category, media, services) for leg in legs]
    n = len(legs)
    if not fares.transfer_rules or n < 2:
        choices: list[tuple[bool, ...]] = [(True,) * n]
    elif n > _EXHAUSTIVE_V2_LEGS:
        choices = [(True,) * n]
    else:
        choices = [
            (False, *((mask >> k) & 1 == 1 for k in range(n - 1))) for mask in range(2 ** (n - 1))
        ]
        choices.reverse()  # all transfers first: on a tie, the fewest tickets win
    best: tuple[tuple[int, int, int], list[FareProductUse], list[int]] | None = None
    for allow in choices:
        uses, unpriced = _v2_evaluate(fares, legs, pos, options, category, media, allow)
        key = (len(unpriced), sum(u.amount.amount_minor for u in uses), len(uses))
        if best is None or key < best[0]:
            best = (key, uses, unpriced)
    assert best is not None
    return _result(best[1], pos, best[2], "fares_v2", category)


# ------------------------------------------------------------------------ journeys


def trip_index(timetable: CompiledTimetable) -> dict[str, int]:
    """``{trip_key: compiled trip index}`` of ``timetable`` (build once, pass around)."""
    return {str(k): i for i, k in enumerate(timetable.trip_keys)}


def journey_fare_legs(
    timetable: CompiledTimetable,
    journey: Journey,
    *,
    trips: Mapping[str, int] | None = None,
) -> list[FareLeg]:
    """`FareLeg`s of a journey's transit legs with every stop passed, from ``timetable``.

    The ride's stops are read from the compiled trip (found by ``trip_key`` in
    ``trips``, a `trip_index` of the timetable, built here when None); a leg whose trip
    is not in the timetable keeps its boarding and alighting stops only.
    """
    lookup = trip_index(timetable) if trips is None else trips
    out: list[FareLeg] = []
    for leg in journey.legs:
        if not leg.is_transit:
            continue
        record = FareLeg.from_leg(leg)
        trip = lookup.get(str(leg.trip_key)) if leg.trip_key is not None else None
        if trip is not None:
            stops, arr, dep = timetable.trip_stop_times(trip)
            ids = timetable.stop_ids[stops]
            board = np.flatnonzero((ids == leg.from_stop_id) & (dep == leg.start_s))
            alight = np.flatnonzero((ids == leg.to_stop_id) & (arr == leg.end_s))
            if len(board) and len(alight) and alight[-1] > board[0]:
                passed = tuple(str(s) for s in ids[board[0] : alight[-1] + 1])
                record = FareLeg(
                    record.route_id,
                    record.from_stop_id,
                    record.to_stop_id,
                    record.start_s,
                    record.end_s,
                    passed,
                    record.agency_id,
                )
        out.append(record)
    return out
