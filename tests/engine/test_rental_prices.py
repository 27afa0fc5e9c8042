"""Rental prices: the GBFS specification's own pricing-plan examples give the prices its text
states, and the Lillestrøm Bysykkel plans give their published prices."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from maasmix.engine.itinerary import Leg, Rental
from maasmix.engine.rental_prices import (
    RateSegment,
    RentalPlan,
    plan_for,
    plans_from_tables,
    price_leg,
    price_rental,
    price_rentals,
)
from maasmix.errors import QueryError
from maasmix.feeds.gbfs import load_gbfs
from maasmix.money import Money

FIXTURES = Path(__file__).parent.parent / "feeds" / "gbfs_fixtures"


def plans(folder: Path) -> dict[str, RentalPlan]:
    snapshot = load_gbfs(folder)
    return plans_from_tables(snapshot.pricing_plans, snapshot.pricing_segments)


# GBFS v2.3 gbfs.md, system_pricing_plans Example 1 ("plan2"): "The user does not pay more
# than the base price for the first 10 km. After 10 km the user pays $1 per km. After 25 km
# the user pays $0.50 per km and an additional $3 every 5 km, the extension price, in
# addition to $0.50 per km." Base price $2.00 (the plan's price). Each figure below follows
# from that sentence, a started kilometre (or 5 km block) being charged.
PLAN2_BY_KM = [
    (0.0, 200),
    (5.0, 200),
    (10.0, 200),  # the first 10 km are included
    (10.5, 300),  # the 11th kilometre has started
    (11.0, 300),
    (24.9, 1700),  # 15 km at $1
    (25.0, 1700),
    (30.0, 2250),  # + 5 km at $0.50 + one started 5 km block at $3
    (31.0, 2600),  # + 6 km at $0.50 + two blocks
    (47.5, 4350),  # + 23 km at $0.50 + five blocks
]


@pytest.mark.parametrize("version", ["v2_3", "v3_0"])
@pytest.mark.parametrize(("km", "cents"), PLAN2_BY_KM)
def test_spec_example_per_km(version: str, km: float, cents: int) -> None:
    plan = plans(FIXTURES / version)["plan2"]
    assert plan.currency == "USD" and plan.price_minor == 200
    price = price_rental(plan, duration_s=1800, distance_m=km * 1000)
    assert price.total == Money(cents, "USD")
    assert price.per_min == Money(0, "USD")


# Example 2 ("plan3"): "$3 unlock fee, $0.25 per kilometer and 0.50 per minute. Both of
# these rates happen concurrently and are not dependent on one another."
@pytest.mark.parametrize("version", ["v2_3", "v3_0"])
@pytest.mark.parametrize(
    ("minutes", "km", "cents"),
    [(10, 2.5, 300 + 10 * 50 + 3 * 25), (12.5, 4.0, 300 + 13 * 50 + 4 * 25), (0.2, 0.1, 375)],
)
def test_spec_example_per_minute_and_km(
    version: str, minutes: float, km: float, cents: int
) -> None:
    plan = plans(FIXTURES / version)["plan3"]
    price = price_rental(plan, duration_s=minutes * 60, distance_m=km * 1000)
    assert price.total == Money(cents, "CAD")
    assert price.base.amount_minor + price.per_min.amount_minor + price.per_km.amount_minor == cents


# GBFS v3.1-RC Example 1 (written here as segments, our loader reads 2.x/3.0): "The user is
# charged $2 for the first half-hour (base price). For the second half-hour, the user is
# charged $3 more. Beyond one hour, the user is charged $0.10 more per min." Reservation:
# reservation_price_per_min 0.15.
HALF_HOURS = RentalPlan(
    plan_id="plan2",
    name="Half hours",
    currency="USD",
    price_minor=200,
    segments=(
        RateSegment("per_min", start=30, rate_minor=300, interval=0, end=60),
        RateSegment("per_min", start=60, rate_minor=10, interval=1),
    ),
    reservation_per_min_minor=15.0,
)


@pytest.mark.parametrize(
    ("minutes", "cents"),
    [(20, 200), (30, 200), (30.5, 500), (45, 500), (60, 500), (61, 510), (75.5, 660)],
)
def test_spec_example_half_hours(minutes: float, cents: int) -> None:
    assert price_rental(HALF_HOURS, minutes * 60).total == Money(cents, "USD")


def test_reservation_price() -> None:
    price = price_rental(HALF_HOURS, 20 * 60, reserved_s=5 * 60)
    assert price.reservation == Money(5 * 15, "USD")
    assert price.total == Money(200 + 75, "USD")
    flat = RentalPlan("f", "flat", "EUR", 100, reservation_flat_minor=50)
    assert price_rental(flat, 60, reserved_s=1).total == Money(150, "EUR")
    assert price_rental(flat, 60).total == Money(100, "EUR")


def test_vectorised_equals_one_by_one() -> None:
    rng = np.random.default_rng(7)
    minutes = rng.uniform(0, 120, 200)
    km = rng.uniform(0, 50, 200)
    for plan in [*plans(FIXTURES / "v2_3").values(), HALF_HOURS]:
        many = price_rentals(plan, minutes * 60, km * 1000)
        one = [
            price_rental(plan, m * 60, k * 1000).total.amount_minor
            for m, k in zip(minutes, km, strict=True)
        ]
        assert many.tolist() == one


def test_lillestrom_plans(dataset: Callable[..., Path]) -> None:
    folder = dataset("gbfs-lillestrom-bysykkel")
    published = json.loads((folder / "system_pricing_plans.json").read_text())["data"]["plans"]
    got = plans(folder)
    assert set(got) == {p["plan_id"] for p in published}
    for p in published:
        plan = got[p["plan_id"]]
        assert plan.currency == p["currency"] == "NOK"
        assert plan.price_minor == round(p["price"] * 100)
        # the overtime fees are only in the free-text description: no segments to charge
        assert plan.segments == () and "60 minutter" in plan.description
        for minutes in (5, 59, 180):
            assert price_rental(plan, minutes * 60).total == Money(round(p["price"] * 100), "NOK")


def test_lillestrom_overtime_as_segments(dataset: Callable[..., Path]) -> None:
    """The plans' free text, transcribed as segments: "if the ride lasts more than 60
    minutes, a fee of 20.0 NOK is charged for the first half hour, and 40.0 NOK for every
    started half hour after that"."""
    plan = plans(dataset("gbfs-lillestrom-bysykkel"))[
        "YLS:PricingPlan:867E4558-77E3-4608-8941-0C667E924280"
    ]
    assert plan.name == "3-dagerskort" and "20.0 NOK" in plan.description
    overtime = replace(
        plan,
        segments=(
            RateSegment("per_min", start=60, rate_minor=2000, interval=0, end=90),
            RateSegment("per_min", start=90, rate_minor=4000, interval=30),
        ),
    )
    base = plan.price_minor
    for minutes, nok in [(59, 0), (60, 0), (61, 20), (90, 20), (91, 60), (120, 60), (121, 100)]:
        assert price_rental(overtime, minutes * 60).total == Money(base + nok * 100, "NOK")


def test_price_of_a_rental_leg() -> None:
    leg = Leg(
        mode="SCOOTER",
        from_stop_id="v1",
        from_name="",
        from_lat=0.0,
        from_lon=0.0,
        to_stop_id="",
        to_name="",
        to_lat=0.0,
        to_lon=0.01,
        start_s=1000,
        end_s=1000 + 600,
        distance_m=2500.0,
        from_kind="VEHICLERENTAL",
        to_kind="NORMAL",
        rental=Rental("sys", "Sys", "def456", "scooter", "electric", pricing_plan_id="plan3"),
    )
    got = price_leg(plans(FIXTURES / "v3_0"), leg)
    assert got.total == Money(300 + 10 * 50 + 3 * 25, "CAD")
    with pytest.raises(QueryError):
        price_leg({}, leg)


def test_bad_rental_input() -> None:
    with pytest.raises(QueryError) as info:
        price_rental(HALF_HOURS, -1)
    assert info.value.parameter == "duration_s"
    with pytest.raises(QueryError):
        price_rentals(HALF_HOURS, [60, float("nan")])
    with pytest.raises(QueryError) as info:
        plan_for({"a": HALF_HOURS}, "b")
    assert info.value.parameter == "pricing_plan_id" and "has: a" in str(info.value)
