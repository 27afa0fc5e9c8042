"""What a traveller's subscription bundle changes: out-of-pocket cost and covered part per leg.

A `TravellerBundle` describes the subscription inline:

- unlimited transit on every network (``transit_all``) or on some networks, areas
  (a leg boarding or alighting at a stop of the area) or agencies;
- the first N minutes of each rental ride free (``free_minutes_per_ride``, by kind);
- a remaining allowance this month of rental minutes (``minutes_left``) or rides
  (``rides_left``, by kind, transit included), used up leg by leg in travel order;
- a percentage discount on a kind (``discount_percent``), applied to what is still to
  pay after the rules above.

Kinds are ``"transit"`` and the rental form factors ``"bicycle"``, ``"scooter"``,
``"moped"``, ``"car"``; the key ``"rental"`` applies to every rental kind. An allowance
of ``math.inf`` is unlimited.

Legs come as `PricedLeg` records: the pay-as-you-go price of the leg (a transit leg's
share from `maasmix.engine.fares.Fare`, a rental's `maasmix.engine.rental_prices`
price) plus what the rules need (networks, areas and agency of a transit leg; the
plan, duration and distance of a rental). Free or allowed minutes cover the plan's
base price and its per-minute charges for those minutes; per-km charges stay to pay.
So with 30 free minutes a 25-minute ride costs nothing and a 40-minute ride on a plan
charging per minute costs 10 minutes at the plan's rate. Amounts stay integer minor
units; currencies are never added. No I/O happens here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from maasmix.engine.fares import CompiledFares, Fare, FareLeg
from maasmix.engine.itinerary import Leg
from maasmix.engine.rental_prices import RentalPlan, plan_for, price_rental
from maasmix.errors import QueryError
from maasmix.money import Money

__all__ = [
    "RENTAL_KINDS",
    "BundleCost",
    "LegCost",
    "PricedLeg",
    "TravellerBundle",
    "apply_bundle",
    "rental_kind",
    "rental_leg_priced",
    "rental_priced_leg",
    "transit_priced_legs",
]

RENTAL_KINDS = frozenset({"bicycle", "scooter", "moped", "car"})
"""Kinds of rented vehicle a bundle rule can name (plus ``"rental"`` for all of them)."""

KINDS = RENTAL_KINDS | {"transit", "rental"}

_FORM_KIND = {
    "bicycle": "bicycle",
    "cargo_bicycle": "bicycle",
    "scooter": "scooter",
    "scooter_standing": "scooter",
    "scooter_seated": "scooter",
    "moped": "moped",
    "car": "car",
}


def rental_kind(form_factor: str) -> str | None:
    """The bundle kind of a GBFS form factor (``"bicycle"`` for ``cargo_bicycle``, ...);
    None for one no rule names (``"other"``)."""
    return _FORM_KIND.get(form_factor)


def _check_kinds(values: Mapping[str, float], name: str) -> None:
    for kind, value in values.items():
        if kind not in KINDS:
            raise QueryError(
                f"unknown kind {kind!r} in {name} (kinds: {', '.join(sorted(KINDS))})",
                parameter="bundle",
            )
        if not (value >= 0) or (math.isinf(value) and name == "discount_percent"):
            raise QueryError(f"{name}[{kind}] must be >= 0, got {value!r}", parameter="bundle")
        if name == "discount_percent" and value > 100:
            raise QueryError(f"discount_percent[{kind}] must be <= 100", parameter="bundle")


@dataclass(frozen=True)
class TravellerBundle:
    """A traveller's subscription (see the module docstring); all rules optional."""

    name: str = ""
    transit_all: bool = False
    transit_networks: frozenset[str] = frozenset()
    transit_areas: frozenset[str] = frozenset()
    transit_agencies: frozenset[str] = frozenset()
    free_minutes_per_ride: Mapping[str, float] = field(default_factory=dict)
    minutes_left: Mapping[str, float] = field(default_factory=dict)
    rides_left: Mapping[str, float] = field(default_factory=dict)
    discount_percent: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_kinds(self.free_minutes_per_ride, "free_minutes_per_ride")
        _check_kinds(self.minutes_left, "minutes_left")
        _check_kinds(self.rides_left, "rides_left")
        _check_kinds(self.discount_percent, "discount_percent")
        if "transit" in self.free_minutes_per_ride or "transit" in self.minutes_left:
            raise QueryError("minutes rules apply to rentals, not transit", parameter="bundle")


@dataclass(frozen=True)
class PricedLeg:
    """A leg with its pay-as-you-go ``price``.

    ``kind``: ``"transit"`` or a rental kind. Transit legs: ``network_ids``,
    ``area_ids`` (of the boarding and alighting stops), ``agency_id``. Rental legs:
    ``plan``, ``duration_s`` and ``distance_m`` of the ride.
    """

    kind: str
    price: Money
    network_ids: frozenset[str] = frozenset()
    area_ids: frozenset[str] = frozenset()
    agency_id: str = ""
    plan: RentalPlan | None = None
    duration_s: float = 0.0
    distance_m: float = 0.0


@dataclass(frozen=True)
class LegCost:
    """One leg under the bundle: ``out_of_pocket`` + ``covered`` = ``price``; ``rule`` says why."""

    leg: int
    price: Money
    out_of_pocket: Money
    covered: Money
    rule: str


@dataclass(frozen=True)
class BundleCost:
    """The legs under the bundle, totals per currency, and the allowances left afterwards."""

    bundle: str
    legs: tuple[LegCost, ...]
    out_of_pocket: tuple[Money, ...]
    covered: tuple[Money, ...]
    minutes_left: Mapping[str, float]
    rides_left: Mapping[str, float]

    def total_out_of_pocket(self, currency: str) -> Money:
        """Out-of-pocket total in ``currency`` (zero when nothing is paid in it)."""
        return next((m for m in self.out_of_pocket if m.currency == currency), Money(0, currency))


def _sum(items: Iterable[Money]) -> tuple[Money, ...]:
    sums: dict[str, int] = defaultdict(int)
    for m in items:
        sums[m.currency] += m.amount_minor
    return tuple(Money(v, c) for c, v in sorted(sums.items()))


def _key(pool: Mapping[str, float], kind: str) -> str | None:
    if kind in pool and pool[kind] > 0:
        return kind
    if kind in RENTAL_KINDS and "rental" in pool and pool["rental"] > 0:
        return "rental"
    return None


def _rule(pool: Mapping[str, float], kind: str) -> float:
    if kind in pool:
        return pool[kind]
    if kind in RENTAL_KINDS:
        return pool.get("rental", 0.0)
    return 0.0


def _rental_covered(leg: PricedLeg, minutes: float) -> int:
    """Minor units covered when the first ``minutes`` of a rental are free."""
    if leg.plan is None:
        raise QueryError("a rental leg needs its pricing plan for a minutes rule", parameter="legs")
    full = price_rental(leg.plan, leg.duration_s, leg.distance_m)
    part = price_rental(leg.plan, min(leg.duration_s, minutes * 60.0), 0.0)
    return min(full.base.amount_minor + part.per_min.amount_minor, leg.price.amount_minor)


def apply_bundle(bundle: TravellerBundle, legs: Sequence[PricedLeg]) -> BundleCost:
    """Out-of-pocket and covered amounts of each leg under ``bundle``, in travel order.

    Raises
    ------
    QueryError
        A leg of an unknown kind, or a rental leg without its plan under a minutes rule.
    """
    minutes_left = dict(bundle.minutes_left)
    rides_left = dict(bundle.rides_left)
    out: list[LegCost] = []
    for i, leg in enumerate(legs):
        if leg.kind not in KINDS - {"rental"}:
            raise QueryError(f"unknown leg kind {leg.kind!r}", parameter="legs")
        price = leg.price.amount_minor
        covered = 0
        rules: list[str] = []
        if leg.kind == "transit":
            if (
                bundle.transit_all
                or (leg.network_ids & bundle.transit_networks)
                or (leg.area_ids & bundle.transit_areas)
                or (leg.agency_id and leg.agency_id in bundle.transit_agencies)
            ):
                covered, rules = price, ["unlimited transit"]
        else:
            free = _rule(bundle.free_minutes_per_ride, leg.kind)
            if free > 0:
                covered = _rental_covered(leg, free)
                rules.append(f"{free:g} free minutes per ride")
            key = _key(minutes_left, leg.kind)
            if key is not None and covered < price:
                ride_min = leg.duration_s / 60.0
                beyond_free = max(ride_min - free, 0.0)
                use = min(beyond_free, minutes_left[key])
                if use > 0:
                    covered = max(covered, _rental_covered(leg, free + use))
                    minutes_left[key] -= use
                    rules.append(f"{use:g} allowance minutes")
        if covered < price:
            key = _key(rides_left, leg.kind)
            if key is not None:
                rides_left[key] -= 1
                covered = price
                rules.append("allowance ride")
        discount = _rule(bundle.discount_percent, leg.kind)
        if covered < price and discount > 0:
            to_pay = price - covered
            covered += to_pay - round(to_pay * (100.0 - discount) / 100.0)
            rules.append(f"{discount:g} % discount")
        cur = leg.price.currency
        out.append(
            LegCost(
                i, leg.price, Money(price - covered, cur), Money(covered, cur), ", ".join(rules)
            )
        )
    return BundleCost(
        bundle=bundle.name,
        legs=tuple(out),
        out_of_pocket=_sum(c.out_of_pocket for c in out),
        covered=_sum(c.covered for c in out),
        minutes_left=minutes_left,
        rides_left=rides_left,
    )


def transit_priced_legs(
    fares: CompiledFares, fare: Fare, legs: Sequence[FareLeg]
) -> list[PricedLeg]:
    """One `PricedLeg` per fare leg: the amount charged at it (`Fare.leg_amounts`), with
    its route's networks and agency and its stops' areas from ``fares``.

    ``fare`` must come from `maasmix.engine.fares.price_legs` on ``legs`` with the
    default positions. A leg charged in several currencies is refused (`QueryError`).
    """
    amounts = fare.leg_amounts()
    currency = fare.totals[0].currency if fare.totals else "USD"
    out = []
    for i, leg in enumerate(legs):
        charged = amounts.get(i, ())
        if len({m.currency for m in charged}) > 1:
            raise QueryError("a leg charged in several currencies", parameter="legs")
        price = Money(
            sum(m.amount_minor for m in charged), charged[0].currency if charged else currency
        )
        out.append(
            PricedLeg(
                kind="transit",
                price=price,
                network_ids=fares.route_networks.get(leg.route_id, frozenset()),
                area_ids=fares.stop_areas.get(leg.from_stop_id, frozenset())
                | fares.stop_areas.get(leg.to_stop_id, frozenset()),
                agency_id=leg.agency_id or fares.route_agency.get(leg.route_id, ""),
            )
        )
    return out


def rental_priced_leg(
    plan: RentalPlan, duration_s: float, distance_m: float = 0.0, *, form_factor: str = "bicycle"
) -> PricedLeg:
    """The `PricedLeg` of a rental ride on ``plan`` (GBFS form factor -> kind)."""
    kind = _FORM_KIND.get(form_factor)
    if kind is None:
        raise QueryError(f"no bundle kind for form factor {form_factor!r}", parameter="form_factor")
    price = price_rental(plan, duration_s, distance_m).total
    return PricedLeg(kind, price, plan=plan, duration_s=duration_s, distance_m=distance_m)


def rental_leg_priced(plans: Mapping[str, RentalPlan], leg: Leg) -> PricedLeg:
    """The `PricedLeg` of a rented-vehicle `Leg` (its plan among ``plans``, its
    duration and ``distance_m``, its vehicle's form factor).

    Raises
    ------
    QueryError
        Not a rental leg, or its pricing plan is not among ``plans``.
    """
    if leg.rental is None:
        raise QueryError(f"a {leg.mode} leg is not a rental", parameter="legs")
    plan = plan_for(plans, leg.rental.pricing_plan_id)
    return rental_priced_leg(
        plan,
        float(leg.duration_s),
        float(leg.distance_m or 0.0),
        form_factor=leg.rental.form_factor,
    )
