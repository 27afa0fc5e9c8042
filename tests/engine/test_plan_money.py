"""Money and emissions on planned itineraries: exact answers on a synthetic city, facts on
real feeds (BART + Caltrain + Bay Wheels, Helsinki)."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from maasmix.engine.bundle_prices import TravellerBundle
from maasmix.engine.network import Network
from maasmix.engine.plan_money import Pricer, fare_contains_by_feed
from maasmix.errors import FeedWarning, QueryError
from maasmix.feeds.emission_factors import load_emission_factors
from maasmix.money import Money
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, lon_at, write_gbfs, write_street

WHEN = dt.datetime.combine(DATE, dt.time(7, 58))
FARE_MINOR = 250  # the synthetic bus fare, EUR cents
UNLOCK_MINOR = 100  # the synthetic bike plan: EUR 1.00 to unlock ...
RATE_MINOR = 20  # ... and EUR 0.20 per started minute


def write_gtfs(folder: Path) -> Path:
    """The synthetic city's bus (P at node 5 -> Q at node 25, 6 min, every 10 min from
    08:00) as a GTFS folder, with one flat Fares v1 fare of EUR 2.50."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "A,Synthetic Transit,https://example.org,Europe/Rome\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        f"P,Stop P,{LAT},{lon_at(5):.7f}\nQ,Stop Q,{LAT},{lon_at(25):.7f}\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        "B,A,B,Bus B,3\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nWK,1,1,1,1,1,1,1,20240101,20241231\n",
        "trips.txt": "route_id,service_id,trip_id\n" + "".join(f"B,WK,b{k}\n" for k in range(12)),
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        + "".join(
            f"b{k},08:{10 * k % 60:02d}:00,08:{10 * k % 60:02d}:00,P,1\n"
            f"b{k},08:{(10 * k + 6) % 60:02d}:00,08:{(10 * k + 6) % 60:02d}:00,Q,2\n"
            for k in range(6)
        ),
        "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\n"
        "F,2.50,EUR,0,\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def add_pricing(gbfs: Path, max_kph: float | None = None) -> Path:
    """Give the synthetic bikes a pricing plan: EUR 1.00 + EUR 0.20 per started minute
    (and, with ``max_kph``, that top speed)."""
    types = json.loads((gbfs / "vehicle_types.json").read_text())
    for vt in types["data"]["vehicle_types"]:
        vt["default_pricing_plan_id"] = "payg"
        if max_kph is not None:
            vt["max_permitted_speed"] = max_kph
    (gbfs / "vehicle_types.json").write_text(json.dumps(types))
    plans = {
        "last_updated": 1709625600,
        "ttl": 60,
        "version": "2.3",
        "data": {
            "plans": [
                {
                    "plan_id": "payg",
                    "name": "Pay as you go",
                    "currency": "EUR",
                    "price": 1.0,
                    "is_taxable": False,
                    "description": "EUR 1 to unlock, EUR 0.20 a minute",
                    "per_min_pricing": [{"start": 0, "rate": 0.2, "interval": 1}],
                }
            ]
        },
    }
    (gbfs / "system_pricing_plans.json").write_text(json.dumps(plans))
    return gbfs


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """Street + bus with its fare + docked bikes at nodes 0 and 30 with a pricing plan."""
    tmp = tmp_path_factory.mktemp("money")
    gbfs = add_pricing(write_gbfs(tmp / "gbfs", stations=[("A", 0, 5, 5), ("Z", 30, 5, 5)]))
    return Network.from_files(
        gtfs=write_gtfs(tmp / "gtfs"),
        osm=write_street(tmp / "street.osm"),
        gbfs=[gbfs],
        date=DATE,
        use_cache=False,
    )


P = (LAT, lon_at(5))
Q = (LAT, lon_at(25))

UNLIMITED = TravellerBundle(name="Unlimited transit", transit_all=True)


def _signature(plan):  # type: ignore[no-untyped-def]
    return sorted(j.combination for j in plan.itineraries)


def test_paid_bus_and_free_walk_both_pareto(city: Network) -> None:
    plan = city.plan(P, Q, WHEN, modes="WALK,TRANSIT", money=True)
    by = {j.combination: (j, m) for j, m in zip(plan.itineraries, plan.money, strict=True)}
    assert set(by) == {"WALK", "WALK+TRANSIT+WALK"}
    bus, bus_m = by["WALK+TRANSIT+WALK"]
    walk, walk_m = by["WALK"]
    # the walk is slower but free; the bus faster but EUR 2.50: both are kept
    ride = next(i for i, leg in enumerate(bus.legs) if leg.is_transit)
    assert bus.legs[ride].end_s == 8 * 3600 + 6 * 60  # the 08:00 bus
    assert bus.arrival_s < walk.arrival_s
    assert bus_m.totals == (Money(FARE_MINOR, "EUR"),) == bus_m.out_of_pocket
    assert walk_m.totals == () and walk_m.out_of_pocket == () and walk_m.complete
    assert bus_m.legs[ride].price == (Money(FARE_MINOR, "EUR"),)
    assert [u.product_id for u in bus_m.products] == ["F"]
    assert bus_m.products[0].legs == (ride,)
    assert bus_m.legs[ride].fare_products == (bus_m.products[0].use_id,)
    assert plan.bundle is None and plan.by_money


def test_unlimited_transit_makes_the_bus_free_and_drops_the_walk(city: Network) -> None:
    plan = city.plan(P, Q, WHEN, modes="WALK,TRANSIT", bundle=UNLIMITED)
    assert plan.bundle == "Unlimited transit" and plan.by_money
    # the bus is now free and faster: it dominates walking (same transfers, 0)
    assert _signature(plan) == ["WALK+TRANSIT+WALK"]
    (m,) = plan.money
    assert m.totals == (Money(FARE_MINOR, "EUR"),)
    assert m.out_of_pocket == (Money(0, "EUR"),)
    assert m.covered == (Money(FARE_MINOR, "EUR"),)
    ride = next(lm for lm in m.legs if lm.price)
    assert ride.rule == "unlimited transit"


def test_a_dearer_and_slower_option_is_not_kept(city: Network) -> None:
    # a later bus (dearer than walking? no: same price as the first bus and slower) never
    # appears; with money every kept pair is mutually non-dominated
    plan = city.plan(P, Q, WHEN, modes="WALK,TRANSIT", money=True, num_itineraries=10)
    keys = [
        (j.arrival_s, sum(x.amount_minor for x in m.out_of_pocket), j.transfers)
        for j, m in zip(plan.itineraries, plan.money, strict=True)
    ]
    for a in keys:
        for b in keys:
            if a != b:
                assert not all(x <= y for x, y in zip(a, b, strict=True))
    assert len([j for j in plan.itineraries if j.rides]) == 1


def test_without_money_the_choice_is_unchanged_and_priced(city: Network) -> None:
    plain = city.plan(P, Q, WHEN, modes="WALK,TRANSIT")
    assert not plain.by_money and len(plain.money) == len(plain.itineraries)
    assert all(m.complete for m in plain.money)


@pytest.mark.parametrize(("kph", "minutes", "to_pay_min"), [(7.7, 25, 0), (4.7, 40, 10)])
def test_free_minutes_per_ride_inside_a_plan(
    tmp_path: Path, kph: float, minutes: int, to_pay_min: int
) -> None:
    """A 3000 m ride between stations A and Z, the bike capped at ``kph`` (the leg
    includes pick-up and drop-off)."""
    gbfs = add_pricing(
        write_gbfs(tmp_path / "gbfs", stations=[("A", 0, 5, 5), ("Z", 30, 5, 5)]), kph
    )
    net = Network.from_files(
        gtfs=write_gtfs(tmp_path / "gtfs"),
        osm=write_street(tmp_path / "street.osm"),
        gbfs=[gbfs],
        date=DATE,
        use_cache=False,
    )
    bundle = TravellerBundle(name="30 free", free_minutes_per_ride={"bicycle": 30})
    o, d = (LAT, lon_at(0)), (LAT, lon_at(30))
    plan = net.plan(o, d, WHEN, modes="BICYCLE_RENTAL", bundle=bundle)
    j, m = next(
        (j, m)
        for j, m in zip(plan.itineraries, plan.money, strict=True)
        if any(leg.is_rental for leg in j.legs)
    )
    k = next(i for i, leg in enumerate(j.legs) if leg.is_rental)
    leg, lm = j.legs[k], m.legs[k]
    assert (minutes - 1) * 60 < leg.duration_s <= minutes * 60  # charged: `minutes` minutes
    assert lm.pricing_plan_id == "payg"
    assert lm.price == (Money(UNLOCK_MINOR + minutes * RATE_MINOR, "EUR"),)
    assert lm.out_of_pocket == (Money(to_pay_min * RATE_MINOR, "EUR"),)
    assert lm.covered == (Money(UNLOCK_MINOR + (minutes - to_pay_min) * RATE_MINOR, "EUR"),)
    assert m.out_of_pocket == (Money(to_pay_min * RATE_MINOR, "EUR"),)


def test_emissions_are_distance_times_factor(city: Network) -> None:
    factors = load_emission_factors()
    plan = city.plan(P, Q, WHEN, modes="WALK,TRANSIT,BICYCLE_RENTAL", num_itineraries=10)
    assert plan.itineraries
    for j, m in zip(plan.itineraries, plan.money, strict=True):
        total = 0.0
        for leg, lm in zip(j.legs, m.legs, strict=True):
            if leg.is_transit:
                key = ("bus", "any")
            elif leg.rental is not None:
                key = ("bicycle", "human")
            else:
                key = ("walk", "human")
            g = factors.factors[key]
            assert lm.g_per_pkm == g
            assert lm.co2e_g == pytest.approx(lm.distance_m / 1000.0 * g)
            total += lm.co2e_g
        assert m.co2e_g == pytest.approx(total)
    bus = next(m for j, m in zip(plan.itineraries, plan.money, strict=True) if j.rides)
    j = next(j for j in plan.itineraries if j.rides)
    ride = next(i for i, leg in enumerate(j.legs) if leg.is_transit)
    # the bus rides 2000 m between P and Q (straight, stop to stop)
    assert bus.legs[ride].distance_m == pytest.approx(2000.0, rel=0.01)


def test_bad_input(city: Network) -> None:
    with pytest.raises(QueryError) as info:
        city.plan(P, Q, WHEN, rider_category="nobody")
    assert info.value.parameter == "rider_category"
    with pytest.raises(QueryError) as info:
        city.plan(P, Q, WHEN, bundle="Unlimited")  # type: ignore[arg-type]
    assert info.value.parameter == "bundle"
    with pytest.raises(QueryError) as info:
        fare_contains_by_feed(["hsl"], {"hsl": "sometimes"})
    assert info.value.parameter == "fare_contains"
    with pytest.raises(QueryError):
        fare_contains_by_feed(["hsl"], {"bart": "subset"})
    assert fare_contains_by_feed(["a", "b"], {"b": "subset"}) == {"a": "exact", "b": "subset"}


def test_fares_are_cached_with_the_network(tmp_path: Path) -> None:
    gtfs = write_gtfs(tmp_path / "gtfs")
    first = Network.from_files(gtfs=gtfs, date=DATE, cache_dir=tmp_path / "c")
    again = Network.from_files(gtfs=gtfs, date=DATE, cache_dir=tmp_path / "c")
    assert again.compiled.fares is not None
    assert again.compiled.fares.feeds["gtfs"] is not None
    assert first.compiled.fares is not None
    assert again.compiled.fares.contains == {"gtfs": "exact"}
    subset = Network.from_files(
        gtfs=gtfs, date=DATE, cache_dir=tmp_path / "c", fare_contains="subset"
    )
    assert subset.compiled.fares is not None
    assert subset.compiled.fares.contains == {"gtfs": "subset"}


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def bay(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=[dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")],
            gbfs=[dataset("gbfs-bay-area-baywheels")],
            date="20190305",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


CIVIC_CENTER = (37.7793, -122.4193)
OAKLAND_12TH = (37.8044, -122.2712)


@pytest.mark.slow
def test_bay_area_bart_fare_and_unlimited_transit(
    bay: Network, dataset: Callable[..., Path]
) -> None:
    import csv
    import io
    import zipfile

    when = dt.datetime(2019, 3, 5, 8, 0)
    paid = bay.plan(CIVIC_CENTER, OAKLAND_12TH, when, money=True)
    free = bay.plan(CIVIC_CENTER, OAKLAND_12TH, when, bundle=UNLIMITED)
    with zipfile.ZipFile(dataset("gtfs-bay-area", "bart.zip")) as z:
        zone = {
            r["stop_id"]: r["zone_id"]
            for r in csv.DictReader(io.TextIOWrapper(z.open("stops.txt"), "utf-8-sig"))
        }
        attrs = {
            r["fare_id"]: r
            for r in csv.DictReader(io.TextIOWrapper(z.open("fare_attributes.txt"), "utf-8-sig"))
        }
        rules = list(csv.DictReader(io.TextIOWrapper(z.open("fare_rules.txt"), "utf-8-sig")))
    transit = [(j, m) for j, m in zip(paid.itineraries, paid.money, strict=True) if j.rides == 1]
    assert transit
    for j, m in transit:
        leg = next(leg for leg in j.legs if leg.is_transit)
        a = zone[leg.from_stop_id.removeprefix("bart:")]
        b = zone[leg.to_stop_id.removeprefix("bart:")]
        fare_id = next(
            r["fare_id"] for r in rules if r["origin_id"] == a and r["destination_id"] == b
        )
        cents = round(float(attrs[fare_id]["price"]) * 100)
        assert m.totals == (Money(cents, "USD"),) == m.out_of_pocket
    # free transit: every transit itinerary costs nothing out of pocket ...
    for j, m in zip(free.itineraries, free.money, strict=True):
        if j.rides and m.complete:
            assert all(x.amount_minor == 0 for x in m.out_of_pocket)
    # ... and the free street-only options that were Pareto-optimal for money are gone
    paid_streets = {j.combination for j in paid.itineraries if not j.rides}
    free_streets = {j.combination for j in free.itineraries if not j.rides}
    assert paid_streets and free_streets < paid_streets


@pytest.mark.slow
def test_helsinki_fares_subset_and_co2(dataset: Callable[..., Path], tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            date="20220222",
            cache_dir=tmp_path,
            fare_contains="subset",
        )
    plan = net.plan((60.1699, 24.9384), (60.1841, 24.9497), dt.datetime(2022, 2, 22, 8, 0))
    transit = [(j, m) for j, m in zip(plan.itineraries, plan.money, strict=True) if j.rides]
    assert transit
    for _, m in transit:
        assert m.complete and m.totals and all(x.currency == "EUR" for x in m.totals)
        assert m.co2e_g > 0 and math.isfinite(m.co2e_g)
    p = Pricer(net)
    assert p.fares is not None and p.fares.contains == {"helsinki_hsl_gtfs_2022-02": "subset"}


def test_arrive_by_with_money_keeps_the_later_dearer_departure_and_the_walk(
    city: Network,
) -> None:
    latest = dt.datetime.combine(DATE, dt.time(8, 30))
    plan = city.plan(P, Q, latest, modes="WALK,TRANSIT", arrive_by=True, money=True)
    by = {j.combination: (j, m) for j, m in zip(plan.itineraries, plan.money, strict=True)}
    assert set(by) == {"WALK", "WALK+TRANSIT+WALK"}
    bus, bus_m = by["WALK+TRANSIT+WALK"]
    walk, _ = by["WALK"]
    ride = next(leg for leg in bus.legs if leg.is_transit)
    assert ride.start_s == 8 * 3600 + 20 * 60  # the last bus arriving by 08:30 (08:26)
    assert bus.departure_s > walk.departure_s  # leaves later, but costs EUR 2.50
    assert bus_m.out_of_pocket == (Money(FARE_MINOR, "EUR"),)
    free = city.plan(P, Q, latest, modes="WALK,TRANSIT", arrive_by=True, bundle=UNLIMITED)
    assert _signature(free) == ["WALK+TRANSIT+WALK"]


def test_a_mode_without_emission_factor_is_unrated_not_an_error(city: Network) -> None:
    from maasmix.feeds.emission_factors import EmissionFactors

    walk_only = EmissionFactors(factors={("walk", "human"): 0.0})
    p = Pricer(city, factors=walk_only)
    plan = city.plan(P, Q, WHEN, modes="WALK,TRANSIT", money=True)
    bus = next(j for j in plan.itineraries if j.rides)
    m = p.price(bus)
    ride = next(i for i, leg in enumerate(bus.legs) if leg.is_transit)
    assert m.legs[ride].co2e_g is None and m.legs[ride].g_per_pkm is None
    assert not m.co2e_complete and m.co2e_g == 0.0
    assert m.totals == (Money(FARE_MINOR, "EUR"),)
