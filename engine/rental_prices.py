"""Rental prices from GBFS ``system_pricing_plans``: base price plus per-minute and per-km segments.

The specification (GBFS 2.2 to 3.x, ``plans[].per_min_pricing`` / ``per_km_pricing``):
the total is ``price`` plus every segment of both arrays. A segment is charged ``rate``
at its ``start`` minute/kilometre (inclusive) and again every ``interval`` after it, up
to but not including its ``end`` (none: until the trip ends); ``interval`` 0 charges
the rate once. A charge falls due as soon as the trip goes beyond the point where it
starts ("per started interval"): a ride of ``x`` minutes pays a segment once for every
``k >= 0`` with ``start + k * interval < min(x, end)``. So a 10.0 km ride on a plan
"$1 per km from km 10" pays nothing extra, a 10.2 km ride pays $1 and an 11.5 km ride
$2. Segments stack: overlapping segments are all charged.

A reservation before the ride (GBFS 3.1 ``reservation_price_per_min`` or
``reservation_price_flat_rate``) is charged when a reservation time is given and the
plan has such a price; the unlock fee is the plan's ``price`` (the specification: "the
base price that is charged only once per trip (typically the price for unlocking)").

Amounts are integer minor units of the plan's currency (as `maasmix.feeds.gbfs`
normalises them: ``price_cents``, ``rate_cents``). No I/O happens here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.engine.itinerary import Leg
from maasmix.errors import QueryError
from maasmix.money import Money

__all__ = [
    "RateSegment",
    "RentalPlan",
    "RentalPrice",
    "plan_for",
    "plans_from_tables",
    "price_leg",
    "price_rental",
    "price_rentals",
]


@dataclass(frozen=True)
class RateSegment:
    """One segment: ``kind`` ``"per_min"`` or ``"per_km"``; minutes/km; rate in minor units."""

    kind: str
    start: int
    rate_minor: int
    interval: int
    end: int | None = None

    def charges(self, amount: float) -> int:
        """How many times the rate is charged for a ride of ``amount`` minutes/km."""
        limit = amount if self.end is None else min(amount, float(self.end))
        if limit <= self.start:
            return 0
        if self.interval == 0:
            return 1
        return math.ceil((limit - self.start) / self.interval)

    def charges_array(self, amount: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """`charges` for an array of rides."""
        limit = amount if self.end is None else np.minimum(amount, float(self.end))
        over = limit - self.start
        if self.interval == 0:
            return (over > 0).astype(np.int64)
        return np.where(over > 0, np.ceil(over / self.interval), 0).astype(np.int64)


@dataclass(frozen=True)
class RentalPlan:
    """A pricing plan: ``price_minor`` once per ride, then the ``segments``.

    ``reservation_per_min_minor`` (minor units a minute, may be fractional) or
    ``reservation_flat_minor`` price a reservation before the ride.
    """

    plan_id: str
    name: str
    currency: str
    price_minor: int
    segments: tuple[RateSegment, ...] = ()
    reservation_per_min_minor: float = 0.0
    reservation_flat_minor: int = 0
    description: str = ""


@dataclass(frozen=True)
class RentalPrice:
    """The price of one ride: ``total`` = ``base`` + ``per_min`` + ``per_km`` + ``reservation``.

    ``minutes`` and ``km`` are what was priced (ride time in minutes, distance in km).
    """

    plan_id: str
    total: Money
    base: Money
    per_min: Money
    per_km: Money
    reservation: Money
    minutes: float
    km: float


def plans_from_tables(plans: pd.DataFrame, segments: pd.DataFrame) -> dict[str, RentalPlan]:
    """``{plan_id: RentalPlan}`` from a `GbfsSnapshot`'s ``pricing_plans`` and
    ``pricing_segments`` (columns as documented in `maasmix.feeds.gbfs.snapshot`)."""
    by_plan: dict[str, list[RateSegment]] = {}
    for s in segments.itertuples(index=False):
        end = None if pd.isna(s.end) else int(s.end)
        by_plan.setdefault(str(s.plan_id), []).append(
            RateSegment(str(s.kind), int(s.start), int(s.rate_cents), int(s.interval), end)
        )
    out = {}
    for p in plans.itertuples(index=False):
        pid = str(p.plan_id)
        out[pid] = RentalPlan(
            plan_id=pid,
            name="" if p.name is None else str(p.name),
            currency=str(p.currency),
            price_minor=int(p.price_cents),
            segments=tuple(by_plan.get(pid, ())),
            description="" if p.description is None else str(p.description),
        )
    return out


def _check(duration_s: float, distance_m: float, reserved_s: float) -> None:
    for name, value in (
        ("duration_s", duration_s),
        ("distance_m", distance_m),
        ("reserved_s", reserved_s),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise QueryError(f"{name} must be a finite number >= 0, got {value!r}", parameter=name)


def price_rental(
    plan: RentalPlan, duration_s: float, distance_m: float = 0.0, *, reserved_s: float = 0.0
) -> RentalPrice:
    """The price of one ride of ``duration_s`` seconds and ``distance_m`` metres on ``plan``.

    ``reserved_s``: seconds the vehicle was reserved before the ride (0: no reservation).

    Raises
    ------
    QueryError
        A negative or non-finite duration, distance or reservation time.
    """
    _check(duration_s, distance_m, reserved_s)
    minutes, km = duration_s / 60.0, distance_m / 1000.0
    per = {"per_min": 0, "per_km": 0}
    for seg in plan.segments:
        per[seg.kind] += seg.charges(minutes if seg.kind == "per_min" else km) * seg.rate_minor
    reservation = 0
    if reserved_s > 0:
        reservation = plan.reservation_flat_minor + round(
            plan.reservation_per_min_minor * math.ceil(reserved_s / 60.0)
        )
    cur = plan.currency
    total = plan.price_minor + per["per_min"] + per["per_km"] + reservation
    return RentalPrice(
        plan_id=plan.plan_id,
        total=Money(total, cur),
        base=Money(plan.price_minor, cur),
        per_min=Money(per["per_min"], cur),
        per_km=Money(per["per_km"], cur),
        reservation=Money(reservation, cur),
        minutes=minutes,
        km=km,
    )


def price_rentals(
    plan: RentalPlan,
    duration_s: npt.ArrayLike,
    distance_m: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Totals (int64 minor units of ``plan.currency``) of many rides, vectorised.

    Raises
    ------
    QueryError
        Arrays of different lengths, or a negative or non-finite value.
    """
    minutes = np.asarray(duration_s, dtype=np.float64) / 60.0
    km = (
        np.zeros_like(minutes)
        if distance_m is None
        else np.asarray(distance_m, dtype=np.float64) / 1000.0
    )
    if minutes.shape != km.shape:
        raise QueryError("duration_s and distance_m differ in length", parameter="distance_m")
    for name, values in (("duration_s", minutes), ("distance_m", km)):
        if values.size and not (np.isfinite(values).all() and (values >= 0).all()):
            raise QueryError(f"{name} must be finite numbers >= 0", parameter=name)
    total = np.full(minutes.shape, plan.price_minor, dtype=np.int64)
    for seg in plan.segments:
        total += seg.charges_array(minutes if seg.kind == "per_min" else km) * seg.rate_minor
    return total


def plan_for(
    plans: Mapping[str, RentalPlan], plan_id: str | None, *, parameter: str = "pricing_plan_id"
) -> RentalPlan:
    """``plans[plan_id]``, or a `QueryError` naming the plans the system publishes."""
    if plan_id is None or plan_id not in plans:
        known = ", ".join(sorted(plans)) or "none"
        raise QueryError(
            f"no pricing plan {plan_id!r} (the system has: {known})", parameter=parameter
        )
    return plans[plan_id]


def price_leg(plans: Mapping[str, RentalPlan], leg: Leg) -> RentalPrice:
    """The price of a rented-vehicle `Leg`: its ``rental.pricing_plan_id`` among ``plans``,
    its duration (``end_s - start_s``) and its ``distance_m`` (0 when unknown).

    Raises
    ------
    QueryError
        The leg is not a rental, or its plan is not among ``plans``.
    """
    if leg.rental is None:
        raise QueryError(f"a {leg.mode} leg is not a rental", parameter="legs")
    plan = plan_for(plans, leg.rental.pricing_plan_id)
    return price_rental(plan, float(leg.duration_s), float(leg.distance_m or 0.0))
