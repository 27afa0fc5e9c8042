"""Money and emissions of door-to-door itineraries, and choosing itineraries with money.

`Network.plan(..., bundle=, rider_category=, money=)` (see `maasmix.engine.network`)
runs the planner (`maasmix.engine.planner.plan`) and attaches to every itinerary an
`ItineraryMoney`, one entry per leg (`LegMoney`):

- transit legs: the fare of the network's fare tables (`NetworkFares`, one
  `CompiledFares` per GTFS feed, compiled with the network and cached with it); legs of
  one feed are priced together (transfers between them count), each feed's ids
  without the ``label:`` prefix the merged network gives them. A fare product use is
  listed once per itinerary (`ItineraryMoney.products`, OTP's ``fareProducts``) and each
  leg lists the use ids it rides on; its price is charged at its first leg;
- rental legs: the GBFS pricing plan of the vehicle (its own, else its type's default)
  for the ride's minutes and kilometres (`maasmix.engine.rental_prices`);
- walking and own-bike legs cost nothing;
- under a `TravellerBundle` each leg splits into out-of-pocket and covered parts
  (`maasmix.engine.bundle_prices.apply_bundle`, legs in travel order); without one the
  out-of-pocket part is the price;
- CO2e per leg and in total: leg distance x the factor of its mode and propulsion
  (`maasmix.engine.emissions`).

Totals are per currency (never added across currencies). A leg no fare rule or pricing
plan prices is *unpriced*: its price is unknown, not zero, and the itinerary is not
``complete`` (unless the bundle covers it whole, e.g. unlimited transit).

Choosing with money (``money=True``, implied by a bundle): the answer is the Pareto set
over (arrival — departure for arrive-by —, out-of-pocket cost per currency, transfers)
of the planner's candidates, ordered by arrival, at most ``num_itineraries``, after the
itineraries the planner always keeps (the lowest out-of-pocket cost among them, see
`maasmix.engine.plan_selection`). An
itinerary with an unknown out-of-pocket cost counts as infinitely dear. Fares are not
evaluated inside the RAPTOR search; its candidates are the best arrival per number of
rides for every access/egress mode combination (walk, own bike, each rental kind), plus
McRAPTOR's walking trade-offs, and every candidate is priced exactly before filtering
(see docs/money.md for what this can miss).
"""

from __future__ import annotations

import math
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from maasmix import defaults
from maasmix.engine.bundle_prices import (
    PricedLeg,
    TravellerBundle,
    apply_bundle,
    rental_leg_priced,
)
from maasmix.engine.emissions import LegEmission, leg_distance_m, leg_emission
from maasmix.engine.fares import (
    CompiledFares,
    FareLeg,
    FareProductUse,
    compile_fares,
    journey_fare_legs,
    price_legs,
    trip_index,
)
from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.rental_prices import RentalPlan, plans_from_tables
from maasmix.errors import QueryError
from maasmix.money import Money

if TYPE_CHECKING:
    from maasmix.engine.network import CompiledNetwork, Network
    from maasmix.engine.planner import Plan
    from maasmix.engine.rentals import RentalSystem
    from maasmix.feeds.emission_factors import EmissionFactors
    from maasmix.feeds.fares import FareTables

__all__ = [
    "FARE_CONTAINS_MODES",
    "ItineraryMoney",
    "LegMoney",
    "NetworkFares",
    "Pricer",
    "compile_network_fares",
    "fare_contains_by_feed",
    "fare_text",
    "plan_with_money",
]

FARE_CONTAINS_MODES = ("exact", "subset")
"""How a feed's Fares v1 ``contains_id`` zones are read (see `maasmix.engine.fares`)."""


@dataclass(frozen=True)
class NetworkFares:
    """The compiled fare tables of a network's GTFS feeds.

    ``feeds``: ``{label: CompiledFares or None}`` in feed order (None: the feed's fare
    files could not be read, its legs are unpriced); ``prefixed``: whether the merged
    network prefixes every id with ``label:`` (more than one feed); ``contains``: the
    ``contains_id`` reading used per feed.
    """

    feeds: Mapping[str, CompiledFares | None]
    prefixed: bool
    contains: Mapping[str, str] = field(default_factory=dict)

    @property
    def rider_categories(self) -> frozenset[str]:
        """Every Fares v2 rider_category_id of every feed."""
        out: set[str] = set()
        for fares in self.feeds.values():
            if fares is not None:
                out |= set(fares.rider_categories)
        return frozenset(out)

    def split(self, ident: str) -> tuple[str, str]:
        """(feed label, the feed's own id) of a merged-network id."""
        if not self.prefixed:
            return next(iter(self.feeds), ""), ident
        label, sep, local = ident.partition(":")
        if sep and label in self.feeds:
            return label, local
        return "", ident


def fare_contains_by_feed(
    labels: Sequence[str], fare_contains: str | Mapping[str, str] | None
) -> dict[str, str]:
    """``{feed label: "exact" | "subset"}``: a string for every feed, or a mapping by
    feed label (file stem, e.g. ``{"hsl": "subset"}``); unnamed feeds get
    `maasmix.defaults.FARE_CONTAINS`.

    Raises
    ------
    QueryError
        (parameter ``fare_contains``) an unknown reading or feed label.
    """
    if fare_contains is None or isinstance(fare_contains, str):
        value = defaults.FARE_CONTAINS if fare_contains is None else fare_contains
        chosen = dict.fromkeys(labels, value)
    else:
        unknown = sorted(set(fare_contains) - set(labels))
        if unknown:
            raise QueryError(
                f"no feed labelled {unknown[0]!r} (feeds: {', '.join(labels)})",
                parameter="fare_contains",
            )
        chosen = {label: fare_contains.get(label, defaults.FARE_CONTAINS) for label in labels}
    for label, value in chosen.items():
        if value not in FARE_CONTAINS_MODES:
            raise QueryError(
                f"{label}: contains must be exact or subset, got {value!r}",
                parameter="fare_contains",
            )
    return chosen


def compile_network_fares(
    tables: Mapping[str, FareTables | None], contains: Mapping[str, str]
) -> NetworkFares:
    """`NetworkFares` of the feeds' typed fare tables (``{label: tables or None}``)."""
    feeds = {
        label: None if t is None else compile_fares(t, contains=contains.get(label, "exact"))
        for label, t in tables.items()
    }
    return NetworkFares(feeds, prefixed=len(feeds) > 1, contains=dict(contains))


@dataclass(frozen=True)
class LegMoney:
    """Money and emissions of one leg (``leg`` indexes ``journey.legs``).

    ``price``: the amounts charged at this leg (empty: nothing); ``priced``: False when
    no fare rule or pricing plan gives its price (unknown, not zero); ``fare_products``:
    the product use ids the leg rides on; ``out_of_pocket`` / ``covered``: what the
    traveller pays and what the bundle covers (``rule`` says which rule);
    ``co2e_g``: grams CO2e (``distance_m`` / 1000 x ``g_per_pkm``; None when no factor
    exists for the leg's mode, e.g. a route_type outside the GTFS list).
    """

    leg: int
    price: tuple[Money, ...]
    priced: bool
    fare_products: tuple[str, ...]
    out_of_pocket: tuple[Money, ...]
    covered: tuple[Money, ...]
    rule: str
    co2e_g: float | None
    g_per_pkm: float | None
    distance_m: float
    pricing_plan_id: str | None = None


@dataclass(frozen=True)
class ItineraryMoney:
    """Money and emissions of one itinerary.

    ``products``: each fare product use once (its ``legs`` index ``journey.legs``);
    ``totals``, ``out_of_pocket``, ``covered``: per currency, sorted by code;
    ``unpriced``: indices of legs whose price is unknown; ``complete``: whether the
    out-of-pocket total is exact (no unpriced leg left to pay); ``co2e_g``: grams CO2e
    of the legs that have a factor (``co2e_complete``: all of them).
    """

    legs: tuple[LegMoney, ...]
    products: tuple[FareProductUse, ...]
    totals: tuple[Money, ...]
    out_of_pocket: tuple[Money, ...]
    covered: tuple[Money, ...]
    unpriced: tuple[int, ...]
    complete: bool
    co2e_g: float
    bundle: str | None = None
    rider_category: str | None = None
    co2e_complete: bool = True

    @property
    def status(self) -> str:
        """``priced``, ``free``, ``unpriced`` (no leg's price known) or
        ``partly-unpriced`` (``totals`` holds the priced legs only); never free when a
        leg is unpriced."""
        if self.complete:
            return "priced" if self.totals else "free"
        return "partly-unpriced" if self.totals else "unpriced"


def fare_text(amounts: Iterable[Money], unpriced: int) -> str:
    """A total as shown to people: ``"2.80 EUR"``, ``"free"``, ``"unpriced"`` (no price
    known), ``"2.80 EUR + 1 leg unpriced"``."""
    known = " + ".join(str(m) for m in amounts)
    if not unpriced:
        return known or "free"
    if not known:
        return "unpriced"
    return f"{known} + {unpriced} leg{'s' if unpriced > 1 else ''} unpriced"


def _sum(items: Iterable[Money]) -> tuple[Money, ...]:
    sums: dict[str, int] = defaultdict(int)
    for m in items:
        sums[m.currency] += m.amount_minor
    return tuple(Money(v, c) for c, v in sorted(sums.items()))


class _NetCache:
    """Per compiled network: the trip index of its timetable."""

    def __init__(self, cn: CompiledNetwork) -> None:
        self.trips = trip_index(cn.timetable)


_CACHES: weakref.WeakKeyDictionary[CompiledNetwork, _NetCache] = weakref.WeakKeyDictionary()
_PLANS: weakref.WeakKeyDictionary[Network, dict[str, tuple[object, dict[str, RentalPlan]]]] = (
    weakref.WeakKeyDictionary()
)
"""Per network, per GBFS system: (the snapshot priced, its plans), re-read on refresh."""


def _net_cache(cn: CompiledNetwork) -> _NetCache:
    cache = _CACHES.get(cn)
    if cache is None:
        cache = _NetCache(cn)
        _CACHES[cn] = cache
    return cache


def _strip(record: FareLeg, fares: NetworkFares) -> FareLeg:
    def local(ident: str | None) -> str | None:
        return None if ident is None else fares.split(ident)[1]

    return FareLeg(
        route_id=fares.split(record.route_id)[1],
        from_stop_id=fares.split(record.from_stop_id)[1],
        to_stop_id=fares.split(record.to_stop_id)[1],
        start_s=record.start_s,
        end_s=record.end_s,
        stop_ids=tuple(fares.split(s)[1] for s in record.stop_ids),
        agency_id=local(record.agency_id),
    )


_TransitParts = tuple[
    dict[int, tuple[Money, ...]],
    dict[int, tuple[str, ...]],
    list[FareProductUse],
    set[int],
    dict[int, PricedLeg],
]


class Pricer:
    """Prices itineraries of one network for one traveller (bundle, rider category).

    Raises
    ------
    QueryError
        (parameter ``rider_category``) a rider category no feed of the network has.
    """

    def __init__(
        self,
        net: Network,
        bundle: TravellerBundle | None = None,
        rider_category: str | None = None,
        factors: EmissionFactors | None = None,
        rentals: Sequence[RentalSystem] | None = None,
    ) -> None:
        self.net = net
        self.cn = net.compiled
        self.fares: NetworkFares | None = getattr(self.cn, "fares", None)
        self.bundle = bundle
        self.factors = factors if factors is not None else net.emission_factors
        if rider_category is not None and rider_category != "":
            known = self.fares.rider_categories if self.fares is not None else frozenset()
            if rider_category not in known:
                shown = ", ".join(sorted(known)) or "none"
                raise QueryError(
                    f"unknown rider category {rider_category!r} (the network's fares have: "
                    f"{shown})",
                    parameter="rider_category",
                )
        self.rider_category = rider_category or None
        self._rentals = {r.system_id: r for r in (net.rentals if rentals is None else rentals)}

    # ------------------------------------------------------------------ pieces

    def _rental_plans(self, system_id: str) -> dict[str, RentalPlan]:
        system = self._rentals.get(system_id)
        if system is None:
            return {}
        snap = system.snapshot
        per_net = _PLANS.setdefault(self.net, {})
        cached = per_net.get(system_id)
        if cached is not None and cached[0] is snap:
            return cached[1]
        plans = plans_from_tables(snap.pricing_plans, snap.pricing_segments)
        per_net[system_id] = (snap, plans)
        return plans

    def _transit(
        self, journey: Journey
    ) -> tuple[
        dict[int, tuple[Money, ...]],
        dict[int, tuple[str, ...]],
        list[FareProductUse],
        set[int],
        dict[int, PricedLeg],
    ]:
        """Per transit leg index: charged amounts, use ids; the uses; unpriced legs; and
        the bundle records."""
        charged: dict[int, tuple[Money, ...]] = {}
        uses_of: dict[int, tuple[str, ...]] = {}
        products: list[FareProductUse] = []
        unpriced: set[int] = set()
        records_out: dict[int, PricedLeg] = {}
        positions = [i for i, leg in enumerate(journey.legs) if leg.is_transit]
        if not positions:
            return charged, uses_of, products, unpriced, records_out
        fares = self.fares
        if fares is None:
            return charged, uses_of, products, set(positions), records_out
        records = journey_fare_legs(self.cn.timetable, journey, trips=_net_cache(self.cn).trips)
        by_feed: dict[str, list[tuple[int, FareLeg]]] = defaultdict(list)
        for at, rec in zip(positions, records, strict=True):
            by_feed[fares.split(rec.route_id)[0]].append((at, _strip(rec, fares)))
        for label, items in by_feed.items():
            feed = fares.feeds.get(label)
            pos = [p for p, _ in items]
            legs = [r for _, r in items]
            if feed is None:
                unpriced |= set(pos)
                continue
            category = self.rider_category if self.rider_category in feed.rider_categories else None
            fare = price_legs(feed, legs, rider_category=category, positions=pos)
            tag = f"{label}:" if fares.prefixed else ""
            for use in fare.products:
                products.append(
                    FareProductUse(
                        use_id=tag + use.use_id,
                        product_id=tag + use.product_id,
                        name=use.name,
                        amount=use.amount,
                        legs=use.legs,
                        rider_category_id=use.rider_category_id,
                        fare_media_id=use.fare_media_id,
                    )
                )
            for lf in fare.legs:
                charged[lf.leg] = lf.charged
                uses_of[lf.leg] = tuple(tag + u for u in lf.product_uses)
            unpriced |= set(fare.unpriced)
            for p, rec in items:
                if p in fare.unpriced:
                    continue
                amounts = charged.get(p, ())
                if len({m.currency for m in amounts}) > 1:
                    continue  # several currencies at one leg: no bundle record
                currency = (
                    amounts[0].currency
                    if amounts
                    else (fare.totals[0].currency if fare.totals else None)
                )
                if currency is None:
                    continue
                networks = feed.route_networks.get(rec.route_id, frozenset())
                areas = feed.stop_areas.get(rec.from_stop_id, frozenset()) | feed.stop_areas.get(
                    rec.to_stop_id, frozenset()
                )
                agency = rec.agency_id or feed.route_agency.get(rec.route_id, "")
                records_out[p] = PricedLeg(
                    kind="transit",
                    price=Money(sum(m.amount_minor for m in amounts), currency),
                    network_ids=networks | {tag + n for n in networks},
                    area_ids=areas | {tag + a for a in areas},
                    agency_id=agency,
                )
        return charged, uses_of, products, unpriced, records_out

    # ------------------------------------------------------------------ public

    def price(self, journey: Journey) -> ItineraryMoney:
        """Money and emissions of ``journey`` (see the module docstring)."""
        charged, uses_of, products, unpriced, records = self._transit(journey)
        plan_ids: dict[int, str | None] = {}
        for i, leg in enumerate(journey.legs):
            if leg.rental is None:
                continue
            plan_ids[i] = leg.rental.pricing_plan_id
            plans = self._rental_plans(leg.rental.system_id)
            plan = plans.get(leg.rental.pricing_plan_id or "")
            if plan is None:
                unpriced.add(i)
                continue
            try:
                rec = rental_leg_priced(plans, leg)
            except QueryError:  # a form factor no bundle kind names ("other")
                unpriced.add(i)
                continue
            records[i] = rec
            charged[i] = (rec.price,)
        order = sorted(records)
        covered_by: dict[int, tuple[tuple[Money, ...], tuple[Money, ...], str]] = {}
        if self.bundle is not None and order:
            cost = apply_bundle(self.bundle, [records[i] for i in order])
            for i, lc in zip(order, cost.legs, strict=True):
                covered_by[i] = ((lc.out_of_pocket,), (lc.covered,), lc.rule)
        if self.bundle is not None:
            cover_all = self.bundle.transit_all
            for i in list(unpriced):
                leg = journey.legs[i]
                if leg.is_transit and (
                    cover_all or (leg.agency_id and self._agency_covered(leg.agency_id))
                ):
                    unpriced.discard(i)
                    covered_by[i] = ((), (), "unlimited transit")
        emissions = [self._emission(leg, i) for i, leg in enumerate(journey.legs)]
        legs: list[LegMoney] = []
        for i in range(len(journey.legs)):
            price = charged.get(i, ())
            oop, cov, rule = covered_by.get(i, (price, (), ""))
            e = emissions[i]
            distance = e.distance_m if e is not None else leg_distance_m(journey.legs[i])
            legs.append(
                LegMoney(
                    leg=i,
                    price=price,
                    priced=i not in unpriced,
                    fare_products=uses_of.get(i, ()),
                    out_of_pocket=oop,
                    covered=tuple(m for m in cov if m.amount_minor),
                    rule=rule,
                    co2e_g=e.grams if e is not None else None,
                    g_per_pkm=e.g_per_pkm if e is not None else None,
                    distance_m=distance,
                    pricing_plan_id=plan_ids.get(i),
                )
            )
        return ItineraryMoney(
            legs=tuple(legs),
            products=tuple(products),
            totals=_sum(m for lm in legs for m in lm.price),
            out_of_pocket=_sum(m for lm in legs for m in lm.out_of_pocket),
            covered=_sum(m for lm in legs for m in lm.covered),
            unpriced=tuple(sorted(unpriced)),
            complete=not unpriced,
            co2e_g=float(sum(e.grams for e in emissions if e is not None)),
            bundle=self.bundle.name if self.bundle is not None else None,
            rider_category=self.rider_category,
            co2e_complete=all(e is not None for e in emissions),
        )

    def _emission(self, leg: Leg, index: int) -> LegEmission | None:
        try:
            return leg_emission(self.factors, leg, index)
        except QueryError:  # no factor for the mode
            return None

    def _agency_covered(self, agency_id: str) -> bool:
        assert self.bundle is not None
        local = self.fares.split(agency_id)[1] if self.fares is not None else agency_id
        return agency_id in self.bundle.transit_agencies or local in self.bundle.transit_agencies

    def cost_key(self, journey: Journey) -> dict[str, float]:
        """Out-of-pocket minor units per currency (``{"?": inf}`` when unknown)."""
        m = self.price(journey)
        if not m.complete:
            return {"?": math.inf}
        return {x.currency: float(x.amount_minor) for x in m.out_of_pocket}

    def choose(self, candidates: list[Journey], arrive_by: bool) -> list[int]:
        """Indices of the candidates Pareto-optimal over (arrival, out-of-pocket cost,
        transfers), by arrival; identical keys keep the one with least walking."""
        keys = []
        for j in candidates:
            cost = self.cost_key(j)
            keys.append((-j.departure_s if arrive_by else j.arrival_s, cost, j.transfers))
        order = sorted(
            range(len(candidates)),
            key=lambda i: (keys[i][0], keys[i][2], sum(keys[i][1].values()), candidates[i].walk_s),
        )
        keep: list[int] = []
        for i in order:
            if not any(_dominates(keys[k], keys[i]) for k in keep):
                keep.append(i)
        return keep


def _cheaper_or_equal(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Whether cost ``a`` is at most ``b`` in every currency."""
    return all(a.get(cur, 0.0) <= b.get(cur, 0.0) for cur in set(a) | set(b))


def _dominates(
    a: tuple[int, Mapping[str, float], int], b: tuple[int, Mapping[str, float], int]
) -> bool:
    """``a`` is no worse than ``b`` in arrival, cost and transfers (ties dominate: the
    first of equal keys is kept)."""
    return a[0] <= b[0] and a[2] <= b[2] and _cheaper_or_equal(a[1], b[1])


def plan_with_money(
    net: Network,
    origin: tuple[float, float],
    destination: tuple[float, float],
    when: Any,
    *,
    arrive_by: bool = False,
    modes: Any = None,
    bundle: TravellerBundle | None = None,
    rider_category: str | None = None,
    money: bool | None = None,
    **options: Any,
) -> Plan:
    """`maasmix.engine.planner.plan` with money and emissions on every itinerary.

    ``money`` (default: True when a bundle is given) chooses the Pareto set over
    (arrival, out-of-pocket cost, transfers) instead of (arrival, transfers, walking).

    Raises
    ------
    QueryError
        As `maasmix.engine.planner.plan`; an unknown rider category (``rider_category``);
        ``bundle`` not a `TravellerBundle` (``bundle``).
    """
    from maasmix.engine.planner import plan

    if bundle is not None and not isinstance(bundle, TravellerBundle):
        raise QueryError("must be a TravellerBundle", parameter="bundle")
    rentals = tuple(net.rentals)  # one read: the plan and its prices see the same snapshots
    pricer = Pricer(net, bundle, rider_category, rentals=rentals)
    by_money = bundle is not None if money is None else bool(money)
    result = plan(
        net,
        origin,
        destination,
        when,
        arrive_by=arrive_by,
        modes=modes,
        choose=pricer.choose if by_money else None,
        cost=pricer.cost_key if by_money else None,
        rentals=rentals,
        **options,
    )
    result.money = [pricer.price(j) for j in result.itineraries]
    result.bundle = bundle.name if bundle is not None else None
    result.rider_category = pricer.rider_category
    result.by_money = by_money
    return result
