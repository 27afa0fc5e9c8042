"""Fares of journeys: real feeds against their published files (read here with csv), and
small synthetic feeds with exact answers for each Fares v2 feature."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from maasmix.engine import TransitRouter
from maasmix.engine.fares import (
    CompiledFares,
    FareLeg,
    compile_fares,
    price_journey,
    price_legs,
)
from maasmix.errors import QueryError
from maasmix.feeds.fares import read_fares
from maasmix.feeds.gtfs import load_gtfs
from maasmix.money import Money

TINY = Path(__file__).parent.parent / "feeds" / "gtfs_fixtures" / "tiny"


def raw(zip_path: Path, name: str) -> list[dict[str, str]]:
    """A member of a GTFS zip read with the csv module (no maasmix code)."""
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(name).decode("utf-8-sig")
    rows = csv.DictReader(io.StringIO(text))
    return [{k.strip(): (v or "").strip() for k, v in r.items()} for r in rows]


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


# ----------------------------------------------------------------------------- BART


@pytest.fixture(scope="module")
def bart(dataset: Callable[..., Path]) -> tuple[TransitRouter, CompiledFares, Path]:
    path = dataset("gtfs-bay-area", "bart.zip")
    router = TransitRouter.from_gtfs(path, "20180601", use_cache=False)
    return router, compile_fares(read_fares(load_gtfs(path))), path


BART_PAIRS = [
    ("RICH", "SFIA"),
    ("DUBL", "EMBR"),
    ("ANTC", "MLBR"),
    ("FRMT", "RICH"),
    ("12TH", "DALY"),
    ("PITT", "WARM"),
    ("DUBL", "RICH"),
    ("SSAN", "SSAN"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("origin", "destination"), BART_PAIRS)
def test_bart_origin_destination_prices(
    bart: tuple[TransitRouter, CompiledFares, Path], origin: str, destination: str
) -> None:
    router, fares, path = bart
    zone = {r["stop_id"]: r["zone_id"] for r in raw(path, "stops.txt")}
    price = {r["fare_id"]: cents(r["price"]) for r in raw(path, "fare_attributes.txt")}
    od = {(r["origin_id"], r["destination_id"]): r["fare_id"] for r in raw(path, "fare_rules.txt")}
    if origin == destination:
        fare = price_legs(fares, [FareLeg("01", origin, destination, 8 * 3600, 8 * 3600 + 60)])
        assert fare.totals == (Money(price[od[(zone[origin], zone[origin])]], "USD"),)
        return
    journeys = router.journeys(origin, destination, "08:00")
    assert journeys
    expected = price[od[(zone[origin], zone[destination])]]
    for journey in journeys:
        fare = router.price(journey, fares)
        assert fare.complete and fare.system == "fares_v1"
        assert fare.totals == (Money(expected, "USD"),)
        # all rides on one ticket: one product use listing every transit leg
        transit = [i for i, leg in enumerate(journey.legs) if leg.is_transit]
        assert len(fare.products) == 1 and fare.products[0].legs == tuple(transit)
        assert [lf.leg for lf in fare.legs] == transit
        assert fare.legs[0].charged == (Money(expected, "USD"),)
        assert all(lf.charged == () for lf in fare.legs[1:])
        assert price_journey(fares, journey, timetable=router.timetable) == fare


# ----------------------------------------------------------------------------- Caltrain


@pytest.mark.slow
@pytest.mark.parametrize(
    ("origin", "destination"),
    [("70011", "70261"), ("70011", "70171"), ("70262", "70012"), ("70141", "70211")],
)
def test_caltrain_zone_fares(dataset: Callable[..., Path], origin: str, destination: str) -> None:
    path = dataset("gtfs-bay-area", "caltrain.zip")
    router = TransitRouter.from_gtfs(path, "20180601", use_cache=False)
    fares = compile_fares(read_fares(load_gtfs(path)))
    zone = {r["stop_id"]: r["zone_id"] for r in raw(path, "stops.txt")}
    price = {r["fare_id"]: cents(r["price"]) for r in raw(path, "fare_attributes.txt")}
    rules = raw(path, "fare_rules.txt")
    journeys = router.journeys(origin, destination, "07:00")
    assert journeys
    for journey in journeys:
        routes = {leg.route_id for leg in journey.legs if leg.is_transit}
        # the fares whose rules list the zone pair for every route ridden
        ok = [
            f
            for f in price
            if all(
                any(
                    r["fare_id"] == f
                    and r["route_id"] == route
                    and r["origin_id"] == zone[origin]
                    and r["destination_id"] == zone[destination]
                    for r in rules
                )
                for route in routes
            )
        ]
        assert ok
        fare = router.price(journey, fares)
        assert fare.totals == (Money(min(price[f] for f in ok), "USD"),)


# ----------------------------------------------------------------------------- TriMet


@pytest.mark.slow
def test_trimet_transfer_within_transfer_duration(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-portland-trimet", "trimet-2routes.zip")
    router = TransitRouter.from_gtfs(path, "20211025", use_cache=False)
    fares = compile_fares(read_fares(load_gtfs(path)))
    zone = {r["stop_id"]: r["zone_id"] for r in raw(path, "stops.txt")}
    attrs = {r["fare_id"]: r for r in raw(path, "fare_attributes.txt")}
    rules = raw(path, "fare_rules.txt")
    duration = {int(a["transfer_duration"]) for a in attrs.values()}
    assert duration == {9000}

    def expected(legs: list[FareLeg]) -> int:
        """Cheapest fare whose origin zone is the first boarding's and whose contains
        zones equal the zones ridden, within the transfer duration; else one per leg."""
        visited = {zone[s] for leg in legs for s in (leg.from_stop_id, leg.to_stop_id)}
        span = legs[-1].start_s - legs[0].start_s
        best = None
        for fid, a in attrs.items():
            mine = [r for r in rules if r["fare_id"] == fid]
            if {r["origin_id"] for r in mine} != {zone[legs[0].from_stop_id]}:
                continue
            if {r["contains_id"] for r in mine} != visited or span > int(a["transfer_duration"]):
                continue
            best = cents(a["price"]) if best is None else min(best, cents(a["price"]))
        if best is not None:
            return best
        return sum(expected([leg]) for leg in legs) if len(legs) > 1 else -1

    # MAX Green Line (zone R) from Gateway, then the streetcar (zone B) to NW Northrup
    journeys = router.journeys("8347", "10776", "08:00")
    two = [j for j in journeys if j.rides == 2]
    assert two, [j.legs for j in journeys]
    journey = two[0]
    legs = router.fare_legs(journey)
    assert [zone[leg.from_stop_id] for leg in legs] == ["R", "B"]
    fare = router.price(journey, fares)
    assert fare.totals == (Money(expected(legs), "USD"),) == (Money(250, "USD"),)
    assert len(fare.products) == 1 and fare.products[0].product_id == "RB"
    # the same rides with the second boarding 9000 s + 1 after the first: two fares
    late = [legs[0], replace(legs[1], start_s=legs[0].start_s + 9001, end_s=legs[0].start_s + 9601)]
    fare = price_legs(fares, late)
    assert fare.totals == (Money(expected(late), "USD"),) == (Money(500, "USD"),)
    assert [p.product_id for p in fare.products] == ["R", "B"]
    # exactly at the limit still rides on one ticket
    edge = [legs[0], replace(legs[1], start_s=legs[0].start_s + 9000, end_s=legs[0].start_s + 9600)]
    assert price_legs(fares, edge).totals == (Money(250, "USD"),)


# ----------------------------------------------------------------------------- C-TRAN


@pytest.fixture(scope="module")
def ctran(dataset: Callable[..., Path]) -> tuple[CompiledFares, Path, list[str]]:
    path = dataset("fares-v2-ctran", "ctran-flex.zip")
    with pytest.warns(Warning):
        feed = load_gtfs(path)
    routes = [r["route_id"] for r in raw(path, "routes.txt")]
    return compile_fares(read_fares(feed)), path, routes


def test_ctran_products_per_rider_category(
    ctran: tuple[CompiledFares, Path, list[str]],
) -> None:
    fares, path, routes = ctran
    products = raw(path, "fare_products.txt")
    default = next(r for r in raw(path, "rider_categories.txt") if r["is_default_fare_category"])
    leg = [FareLeg(routes[0], "a", "b", 9 * 3600, 9 * 3600 + 900)]
    for category in ("ADULT", "HONORED_CITIZEN", "YOUTH", None):
        wanted = category or default["rider_category_id"]
        cheapest = min(cents(p["amount"]) for p in products if p["rider_category_id"] == wanted)
        fare = price_legs(fares, leg, rider_category=category)
        assert fare.system == "fares_v2" and fare.rider_category_id == wanted
        assert fare.totals == (Money(cheapest, "USD"),)
        assert fare.products[0].rider_category_id == wanted
    # YOUTH has no product on fare medium 1 (Ticket): the leg cannot be priced
    fare = price_legs(fares, leg, rider_category="YOUTH", fare_media="1")
    assert fare.unpriced == (0,) and not fare.complete


def test_ctran_transfer_rule(ctran: tuple[CompiledFares, Path, list[str]]) -> None:
    fares, path, routes = ctran
    rule = raw(path, "fare_transfer_rules.txt")[0]
    limit = int(rule["duration_limit"])
    assert rule["fare_transfer_type"] == "0" and rule["transfer_count"] == "-1"
    assert rule["duration_limit_type"] == "1"  # departure of one leg to departure of the next
    t0 = 8 * 3600
    legs = [
        FareLeg(routes[0], "a", "b", t0, t0 + 1200),
        FareLeg(routes[1], "c", "d", t0 + 3600, t0 + 4200),
        FareLeg(routes[2], "e", "f", t0 + limit, t0 + limit + 600),  # at the limit
        FareLeg(routes[3], "g", "h", t0 + limit + 1, t0 + limit + 900),  # a new ticket
    ]
    fare = price_legs(fares, legs)
    assert [p.legs for p in fare.products] == [(0, 1, 2), (3,)]
    assert fare.totals == (Money(250, "USD"),)
    assert fare.legs[1].product_uses == fare.legs[0].product_uses
    assert fare.legs[1].charged == ()


def test_unknown_rider_category_and_medium(ctran: tuple[CompiledFares, Path, list[str]]) -> None:
    fares, _path, routes = ctran
    leg = [FareLeg(routes[0], "a", "b", 0, 600)]
    with pytest.raises(QueryError) as info:
        price_legs(fares, leg, rider_category="SENIOR")
    assert info.value.parameter == "rider_category" and "ADULT" in str(info.value)
    with pytest.raises(QueryError) as info:
        price_legs(fares, leg, fare_media="gold")
    assert info.value.parameter == "fare_media"


# ----------------------------------------------------------------------------- synthetic v2


def tiny_fares(tmp_path: Path, files: dict[str, str]) -> CompiledFares:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    (folder / "fare_attributes.txt").unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return compile_fares(read_fares(load_gtfs(folder)))


PRODUCTS = (
    "fare_product_id,fare_product_name,amount,currency\n"
    "BUS,Bus,2.00,EUR\nTRAM,Tram,3.00,EUR\nCITY,City,1.50,EUR\nNIGHT,Night,5.00,EUR\n"
    "PASS,Transfer pass,0.50,EUR\nCOMBO,Bus and tram,4.00,EUR\n"
    "DISC,Transfer discount,-0.50,EUR\n"
)
NETWORKS = "route_id,network_id\nR1,bus\nR2,tram\n"


def test_rule_priority_and_areas(tmp_path: Path) -> None:
    fares = tiny_fares(
        tmp_path,
        {
            "fare_products.txt": PRODUCTS,
            "route_networks.txt": NETWORKS,
            "areas.txt": "area_id,area_name\ncentre,Centre\n",
            "stop_areas.txt": "area_id,stop_id\ncentre,ST1\ncentre,S2\n",
            "fare_leg_rules.txt": "leg_group_id,network_id,from_area_id,to_area_id,"
            "fare_product_id,rule_priority\n"
            "bus,bus,,,BUS,0\ncity,,centre,centre,CITY,1\ntram,tram,,,TRAM,0\n",
        },
    )
    # S1 is a platform of ST1, so it is in the centre area too
    assert fares.stop_areas["S1"] == frozenset({"centre"})
    inside = price_legs(fares, [FareLeg("R1", "S1", "S2", 0, 300)])
    assert [p.product_id for p in inside.products] == ["CITY"]  # priority 1 beats 0
    outside = price_legs(fares, [FareLeg("R1", "S1", "S3", 0, 300)])
    assert [p.product_id for p in outside.products] == ["BUS"]
    tram = price_legs(fares, [FareLeg("R2", "S3", "S4", 0, 300)])
    assert tram.totals == (Money(300, "EUR"),)


def test_blank_network_without_rule_priority_means_other_networks(tmp_path: Path) -> None:
    fares = tiny_fares(
        tmp_path,
        {
            "fare_products.txt": PRODUCTS,
            "route_networks.txt": NETWORKS,
            "fare_leg_rules.txt": "leg_group_id,network_id,fare_product_id\n"
            "tram,tram,TRAM\nother,,BUS\n",
        },
    )
    # the tram network is listed, so the blank rule does not apply to tram legs
    assert [
        p.product_id for p in price_legs(fares, [FareLeg("R2", "S1", "S2", 0, 60)]).products
    ] == ["TRAM"]
    assert [
        p.product_id for p in price_legs(fares, [FareLeg("R1", "S1", "S2", 0, 60)]).products
    ] == ["BUS"]


def test_timeframes(tmp_path: Path) -> None:
    fares = tiny_fares(
        tmp_path,
        {
            "fare_products.txt": PRODUCTS,
            "timeframes.txt": "timeframe_group_id,start_time,end_time,service_id\n"
            "night,00:00:00,05:00:00,WK\nnight,22:00:00,24:00:00,WK\n",
            "fare_leg_rules.txt": "leg_group_id,network_id,from_timeframe_group_id,"
            "fare_product_id,rule_priority\nnight,,night,NIGHT,1\nday,,,BUS,0\n",
        },
    )
    day = price_legs(fares, [FareLeg("R1", "S1", "S2", 12 * 3600, 12 * 3600 + 60)])
    night = price_legs(fares, [FareLeg("R1", "S1", "S2", 23 * 3600, 23 * 3600 + 60)])
    after_midnight = price_legs(fares, [FareLeg("R1", "S1", "S2", 25 * 3600, 25 * 3600 + 60)])
    assert day.totals == (Money(200, "EUR"),)
    assert night.totals == after_midnight.totals == (Money(500, "EUR"),)
    # the timeframe's service does not run: only the day fare is left
    other_day = price_legs(
        fares, [FareLeg("R1", "S1", "S2", 23 * 3600, 23 * 3600 + 60)], active_services={"EXTRA"}
    )
    assert other_day.totals == (Money(200, "EUR"),)


@pytest.mark.parametrize(
    ("transfer_type", "product", "total", "uses"),
    [
        ("0", "PASS", 250, [("BUS", (0, 1)), ("PASS", (0, 1))]),
        ("1", "DISC", 450, [("BUS", (0,)), ("DISC", (0, 1)), ("TRAM", (1,))]),
        # A + AB + B with a positive AB costs more than two tickets: the rider buys two
        ("1", "PASS", 500, [("BUS", (0,)), ("TRAM", (1,))]),
        ("2", "COMBO", 400, [("COMBO", (0, 1))]),
        ("0", "", 200, [("BUS", (0, 1))]),
    ],
)
def test_fare_transfer_types(
    tmp_path: Path, transfer_type: str, product: str, total: int, uses: list[tuple[str, tuple]]
) -> None:
    fares = tiny_fares(
        tmp_path,
        {
            "fare_products.txt": PRODUCTS,
            "route_networks.txt": NETWORKS,
            "fare_leg_rules.txt": "leg_group_id,network_id,fare_product_id\n"
            "bus,bus,BUS\ntram,tram,TRAM\n",
            "fare_transfer_rules.txt": "from_leg_group_id,to_leg_group_id,duration_limit,"
            f"duration_limit_type,fare_transfer_type,fare_product_id\n"
            f"bus,tram,1800,1,{transfer_type},{product}\n",
        },
    )
    legs = [FareLeg("R1", "S1", "S2", 0, 600), FareLeg("R2", "S2", "S3", 900, 1500)]
    fare = price_legs(fares, legs)
    assert fare.totals == (Money(total, "EUR"),)
    assert [(p.product_id, p.legs) for p in fare.products] == uses
    # the transfer comes 1801 s after the first departure: two separate fares
    late = [legs[0], FareLeg("R2", "S2", "S3", 1801, 2400)]
    assert price_legs(fares, late).totals == (Money(500, "EUR"),)


def test_transfer_count(tmp_path: Path) -> None:
    fares = tiny_fares(
        tmp_path,
        {
            "fare_products.txt": PRODUCTS,
            "fare_leg_rules.txt": "leg_group_id,network_id,fare_product_id\nall,,BUS\n",
            "fare_transfer_rules.txt": "from_leg_group_id,to_leg_group_id,transfer_count,"
            "fare_transfer_type\nall,all,1,0\n",
        },
    )
    legs = [FareLeg("R1", "S1", "S2", 60 * i, 60 * i + 30) for i in range(3)]
    fare = price_legs(fares, legs)
    # one transfer is free, the second starts a new ticket
    assert [p.legs for p in fare.products] == [(0, 1), (2,)]
    assert fare.totals == (Money(400, "EUR"),)


def test_no_fares_published(tmp_path: Path) -> None:
    fares = tiny_fares(tmp_path, {})
    fare = price_legs(fares, [FareLeg("R1", "S1", "S2", 0, 60)])
    assert fare.system == "" and fare.unpriced == (0,) and fare.totals == ()


# ----------------------------------------------------------------------------- synthetic v1

V1_ATTRIBUTES = (
    "fare_id,price,currency_type,payment_method,transfers,transfer_duration\n"
    "AB,2.80,EUR,0,,4800\nB,1.50,EUR,0,0,\nR2,1.00,EUR,0,,\n"
)
V1_RULES = (
    "fare_id,route_id,origin_id,destination_id,contains_id\nAB,,,,A\nAB,,,,B\nB,,B,B,\nR2,R2,,,\n"
)


def test_v1_rules_by_row_group(tmp_path: Path) -> None:
    """Rows of one fare with the same (route, origin, destination) are one rule: AB needs
    zones A and B together; R2 (route R2, any zones) and B (origin and destination B)
    are separate rules."""
    fares = tiny_fares(tmp_path, {"fare_attributes.txt": V1_ATTRIBUTES, "fare_rules.txt": V1_RULES})
    a_then_ab = [
        FareLeg("R1", "S1", "S2", 0, 300, ("S1", "S2")),
        FareLeg("R1", "S2", "S3", 600, 900, ("S2", "S3")),
    ]
    fare = price_legs(fares, a_then_ab)
    # the first leg alone has no fare, but both together ride on one AB ticket
    assert fare.complete and [(p.product_id, p.legs) for p in fare.products] == [("AB", (0, 1))]
    assert fare.totals == (Money(280, "EUR"),)
    # within zone B the B fare is cheaper; on route R2 the route fare is cheapest
    assert price_legs(fares, [FareLeg("R1", "S3", "S4", 0, 60)]).totals == (Money(150, "EUR"),)
    assert price_legs(fares, [FareLeg("R2", "S1", "S4", 0, 60)]).totals == (Money(100, "EUR"),)
    # zone A only: exactly {A} is no rule's contains set, but {A} is among AB's zones
    only_a = [FareLeg("R1", "S1", "S2", 0, 60)]
    assert price_legs(fares, only_a).unpriced == (0,)
    subset = compile_fares(read_fares(load_gtfs(tmp_path / "tiny")), contains="subset")
    assert price_legs(subset, only_a).totals == (Money(280, "EUR"),)
    # beyond AB's transfer_duration: two tickets (AB for the A+B leg; none for zone A)
    late = [a_then_ab[0], replace(a_then_ab[1], start_s=4801, end_s=5000)]
    fare = price_legs(fares, late)
    assert fare.unpriced == (0,) and [p.legs for p in fare.products] == [(1,)]
    with pytest.raises(QueryError):
        compile_fares(read_fares(load_gtfs(tmp_path / "tiny")), contains="some")


@pytest.mark.slow
def test_helsinki_zone_tickets(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")
    router = TransitRouter.from_gtfs(path, "20220222", use_cache=False)
    tables = read_fares(load_gtfs(path))
    exact, subset = compile_fares(tables), compile_fares(tables, contains="subset")
    price = {r["fare_id"]: cents(r["price"]) for r in raw(path, "fare_attributes.txt")}
    zone = {r["stop_id"]: r["zone_id"] for r in raw(path, "stops.txt")}
    # Kamppi area (zone A) to a zone B stop, and within zone A
    pairs = [("1111601", "1291170"), ("1301143", "1020241")]
    for origin, destination in pairs:
        journey = router.journeys(origin, destination, "08:00")[0]
        ridden = {zone[s] for leg in router.fare_legs(journey) for s in leg.all_stops()}
        fare = router.price(journey, subset)
        # the cheapest ticket whose zones include every zone ridden
        valid = [f for f in price if f.isalpha() and ridden <= set(f)]
        assert fare.complete
        assert fare.totals == (Money(min(price[f] for f in valid), "EUR"),)
        assert len(fare.products) == 1
        if ridden == {"A", "B"}:
            assert router.price(journey, exact) == fare
        else:
            assert not router.price(journey, exact).complete
