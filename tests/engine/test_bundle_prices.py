"""What a subscription bundle changes per leg; a scenario's bundle as the traveller's bundle."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from maasmix.engine import TransitRouter
from maasmix.engine.bundle_prices import (
    PricedLeg,
    TravellerBundle,
    apply_bundle,
    rental_leg_priced,
    rental_priced_leg,
    transit_priced_legs,
)
from maasmix.engine.fares import compile_fares, price_legs
from maasmix.engine.itinerary import Leg, Rental
from maasmix.engine.rental_prices import plans_from_tables
from maasmix.errors import InputError, QueryError, ScenarioError
from maasmix.feeds.fares import read_fares
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.gtfs import load_gtfs
from maasmix.money import Money
from maasmix.pricing.scenario import example_path
from maasmix.pricing.scenario.traveller_bundle import load_traveller_bundle

FIXTURES = Path(__file__).parent.parent / "feeds" / "gbfs_fixtures"


@pytest.fixture(scope="module")
def plan3():  # type: ignore[no-untyped-def]
    """The GBFS specification's plan3: CAD 3.00 unlock, 0.50 a minute, 0.25 a km."""
    snapshot = load_gbfs(FIXTURES / "v2_3")
    return plans_from_tables(snapshot.pricing_plans, snapshot.pricing_segments)["plan3"]


@pytest.mark.parametrize(("minutes", "out_cents"), [(25, 0), (30, 0), (40, 10 * 50)])
def test_free_minutes_per_ride(plan3, minutes: int, out_cents: int) -> None:  # type: ignore[no-untyped-def]
    bundle = TravellerBundle(name="30 free", free_minutes_per_ride={"bicycle": 30})
    leg = rental_priced_leg(plan3, minutes * 60, form_factor="bicycle")
    cost = apply_bundle(bundle, [leg]).legs[0]
    assert cost.price == leg.price == Money(300 + minutes * 50, "CAD")
    assert cost.out_of_pocket == Money(out_cents, "CAD")  # 40 min: 10 minutes at 0.50
    assert cost.covered.amount_minor + cost.out_of_pocket.amount_minor == cost.price.amount_minor


def test_free_minutes_leave_per_km_charges(plan3) -> None:  # type: ignore[no-untyped-def]
    bundle = TravellerBundle(free_minutes_per_ride={"rental": 30})
    leg = rental_priced_leg(plan3, 20 * 60, 4000, form_factor="scooter_standing")
    assert leg.kind == "scooter"
    assert apply_bundle(bundle, [leg]).legs[0].out_of_pocket == Money(4 * 25, "CAD")


def test_minute_and_ride_allowances(plan3) -> None:  # type: ignore[no-untyped-def]
    rides = [rental_priced_leg(plan3, 40 * 60) for _ in range(3)]
    cost = apply_bundle(TravellerBundle(minutes_left={"bicycle": 50}), rides)
    assert [c.out_of_pocket.amount_minor for c in cost.legs] == [0, 30 * 50, 300 + 40 * 50]
    assert cost.minutes_left == {"bicycle": 0}
    cost = apply_bundle(TravellerBundle(rides_left={"rental": 2}), rides)
    assert [c.out_of_pocket.amount_minor for c in cost.legs] == [0, 0, 300 + 40 * 50]
    assert cost.rides_left == {"rental": 0}
    unlimited = apply_bundle(TravellerBundle(rides_left={"bicycle": math.inf}), rides)
    assert unlimited.out_of_pocket == (Money(0, "CAD"),)


@pytest.mark.parametrize(
    ("minutes", "out_cents", "left"),
    [(25, 0, 50.0), (40, 0, 40.0), (80, 0, 0.0), (90, 10 * 50, 0.0)],
)
def test_free_minutes_before_the_allowance(  # type: ignore[no-untyped-def]
    plan3, minutes: int, out_cents: int, left: float
) -> None:
    # the allowance pays only the minutes beyond the free ones: 25 minutes use none of it
    bundle = TravellerBundle(free_minutes_per_ride={"bicycle": 30}, minutes_left={"bicycle": 50})
    cost = apply_bundle(bundle, [rental_priced_leg(plan3, minutes * 60)])
    assert cost.legs[0].out_of_pocket == Money(out_cents, "CAD")
    assert cost.minutes_left == {"bicycle": left}


def test_unlimited_transit_leaves_rentals_to_pay(plan3) -> None:  # type: ignore[no-untyped-def]
    transit = PricedLeg(
        "transit",
        Money(250, "CAD"),
        network_ids=frozenset({"bart"}),
        area_ids=frozenset({"sf"}),
        agency_id="BART",
    )
    legs = [transit, rental_priced_leg(plan3, 10 * 60)]
    for bundle in (
        TravellerBundle(transit_all=True),
        TravellerBundle(transit_agencies=frozenset({"BART"})),
        TravellerBundle(transit_networks=frozenset({"bart"})),
        TravellerBundle(transit_areas=frozenset({"sf"})),
    ):
        cost = apply_bundle(bundle, legs)
        assert [c.out_of_pocket.amount_minor for c in cost.legs] == [0, 300 + 10 * 50]
        assert cost.legs[1].rule == ""
        assert cost.out_of_pocket == (Money(300 + 10 * 50, "CAD"),)


def test_rental_leg_under_a_bundle(plan3) -> None:  # type: ignore[no-untyped-def]
    leg = Leg(
        mode="BICYCLE",
        from_stop_id="st1",
        from_name="",
        from_lat=0.0,
        from_lon=0.0,
        to_stop_id="st2",
        to_name="",
        to_lat=0.0,
        to_lon=0.01,
        start_s=0,
        end_s=40 * 60,
        distance_m=0.0,
        from_kind="BIKESHARE",
        to_kind="BIKESHARE",
        rental=Rental("sys", "Sys", "abc123", "bicycle", "human", pricing_plan_id="plan3"),
    )
    priced = rental_leg_priced({"plan3": plan3}, leg)
    assert priced.kind == "bicycle" and priced.price == Money(300 + 40 * 50, "CAD")
    cost = apply_bundle(TravellerBundle(free_minutes_per_ride={"bicycle": 30}), [priced])
    assert cost.out_of_pocket == (Money(10 * 50, "CAD"),)
    with pytest.raises(QueryError):
        rental_leg_priced({}, leg)


def test_discount(plan3) -> None:  # type: ignore[no-untyped-def]
    leg = rental_priced_leg(plan3, 10 * 60, form_factor="scooter")
    cost = apply_bundle(TravellerBundle(discount_percent={"scooter": 25}), [leg]).legs[0]
    assert cost.out_of_pocket == Money(round((300 + 500) * 0.75), "CAD")
    assert "25 % discount" in cost.rule


@pytest.mark.slow
def test_unlimited_transit_makes_a_paid_journey_free(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-bay-area", "bart.zip")
    router = TransitRouter.from_gtfs(path, "20180601", use_cache=False)
    fares = compile_fares(read_fares(load_gtfs(path)))
    journey = next(j for j in router.journeys("DUBL", "RICH", "08:00") if j.rides == 2)
    legs = router.fare_legs(journey)
    fare = price_legs(fares, legs)
    paid = fare.totals[0]
    assert paid.amount_minor > 0
    priced = transit_priced_legs(fares, fare, legs)
    assert sum(p.price.amount_minor for p in priced) == paid.amount_minor
    none = apply_bundle(TravellerBundle(), priced)
    assert none.out_of_pocket == (paid,)
    for bundle in (
        TravellerBundle(name="all", transit_all=True),
        TravellerBundle(name="BART", transit_agencies=frozenset({"BART"})),
    ):
        cost = apply_bundle(bundle, priced)
        assert cost.bundle == bundle.name
        assert cost.out_of_pocket == (Money(0, "USD"),)
        assert cost.covered == (paid,)
        assert all(c.rule == "unlimited transit" for c in cost.legs)
    # an unlimited pass on another network covers nothing
    other = apply_bundle(TravellerBundle(transit_networks=frozenset({"muni"})), priced)
    assert other.out_of_pocket == (paid,)


def test_mixed_currencies_are_listed_apart(plan3) -> None:  # type: ignore[no-untyped-def]
    legs = [PricedLeg("transit", Money(250, "USD")), rental_priced_leg(plan3, 600)]
    cost = apply_bundle(TravellerBundle(), legs)
    assert cost.out_of_pocket == (Money(800, "CAD"), Money(250, "USD"))


def test_bad_bundle_descriptions() -> None:
    with pytest.raises(QueryError) as info:
        TravellerBundle(free_minutes_per_ride={"hovercraft": 30})
    assert info.value.parameter == "bundle"
    with pytest.raises(QueryError):
        TravellerBundle(discount_percent={"scooter": 120})
    with pytest.raises(QueryError):
        TravellerBundle(minutes_left={"transit": 10})
    with pytest.raises(QueryError):
        apply_bundle(TravellerBundle(), [PricedLeg("ufo", Money(1, "EUR"))])


# ----------------------------------------------------------------------------- scenarios


def test_scenario_bundle_by_name() -> None:
    found = load_traveller_bundle(example_path("demo_city"), "Urban (Whim-like)")
    assert found.bundle.transit_all
    assert found.bundle.minutes_left == {"bicycle": 300.0}
    assert found.currency == "EUR" and found.prices_minor[0] == 2000
    generated = load_traveller_bundle(
        example_path("demo_city"), "transit:unlimited+bike:300+scooter:60"
    )
    assert generated.bundle.minutes_left == {"bicycle": 300.0, "scooter": 60.0}


def test_unknown_bundle_name() -> None:
    with pytest.raises(QueryError) as info:
        load_traveller_bundle(example_path("demo_city"), "Gold")
    assert info.value.parameter == "bundle"
    assert "Urban (Whim-like)" in str(info.value)


def test_bundle_file_that_fails_validation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = example_path("hand_check").read_text(encoding="utf-8")
    bad.write_text(text.replace("currency: EUR", "currency: EURO"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_traveller_bundle(bad, "Transit")
    assert isinstance(info.value, InputError)
    assert info.value.file == str(bad) and info.value.field == "currency"
    with pytest.raises(ScenarioError):
        load_traveller_bundle(tmp_path / "missing.yaml", "Transit")
