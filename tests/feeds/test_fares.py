"""Typed fare tables: every value checked against the published files, read independently."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from maasmix.errors import FeedFormatError, FeedIntegrityError
from maasmix.feeds.fares import read_fares
from maasmix.feeds.gtfs import load_gtfs

TINY = Path(__file__).parent / "gtfs_fixtures" / "tiny"


def raw_rows(zip_path: Path, name: str) -> list[dict[str, str]]:
    """A member of a GTFS zip read with the csv module (no maasmix code)."""
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(name).decode("utf-8-sig")
    return [
        {k.strip(): (v or "").strip() for k, v in r.items()}
        for r in csv.DictReader(io.StringIO(text))
    ]


def test_bart_prices_equal_fare_attributes(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-bay-area", "bart.zip")
    tables = read_fares(load_gtfs(path))
    raw = raw_rows(path, "fare_attributes.txt")
    assert len(tables.attributes) == len(raw) == 170
    got = dict(zip(tables.attributes["fare_id"], tables.attributes["price_minor"], strict=True))
    for row in raw:
        assert got[row["fare_id"]] == int(Decimal(row["price"]) * 100)
    assert set(tables.attributes["currency"]) == {"USD"}
    assert (tables.attributes["transfers"] == -1).all()  # blank: unlimited
    assert len(tables.rules) == len(raw_rows(path, "fare_rules.txt")) == 2304
    features = tables.features()
    assert features.fares_v1 and features.zones and not features.fares_v2
    assert not features.contains and not features.route_rules


def test_caltrain_zone_rules_and_durations(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-bay-area", "caltrain.zip")
    tables = read_fares(load_gtfs(path))
    raw = {r["fare_id"]: r for r in raw_rows(path, "fare_attributes.txt")}
    for row in tables.attributes.itertuples():
        assert row.transfer_duration_s == int(raw[row.fare_id]["transfer_duration"])
        assert row.price_minor == int(Decimal(raw[row.fare_id]["price"]) * 100)
    assert tables.features().route_rules
    rules = raw_rows(path, "fare_rules.txt")
    assert len(tables.rules) == len(rules)
    assert set(tables.rules["origin_id"]) == {r["origin_id"] for r in rules}


def test_trimet_contains_and_agency(dataset: Callable[..., Path]) -> None:
    path = dataset("gtfs-portland-trimet", "trimet-2routes.zip")
    tables = read_fares(load_gtfs(path))
    assert set(tables.attributes["agency_id"]) == {"TRIMET"}
    assert set(tables.attributes["transfer_duration_s"]) == {9000}
    assert tables.features().contains
    br = tables.rules[tables.rules["fare_id"] == "BR"]
    assert sorted(br["contains_id"]) == ["B", "R"]


def test_ctran_fares_v2(dataset: Callable[..., Path]) -> None:
    path = dataset("fares-v2-ctran", "ctran-flex.zip")
    with pytest.warns(Warning):
        feed = load_gtfs(path)
    tables = read_fares(feed)
    products = raw_rows(path, "fare_products.txt")
    assert len(tables.products) == len(products) == 14
    for got, row in zip(tables.products.itertuples(), products, strict=True):
        assert got.fare_product_id == row["fare_product_id"]
        assert got.amount_minor == int(Decimal(row["amount"]) * 100)
        assert got.rider_category_id == row["rider_category_id"]
        assert got.fare_media_id == row["fare_media_id"]
    cats = tables.rider_categories.set_index("rider_category_id")["is_default"]
    assert cats.to_dict() == {"ADULT": True, "HONORED_CITIZEN": False, "YOUTH": False}
    transfer = raw_rows(path, "fare_transfer_rules.txt")[0]
    rule = tables.transfer_rules.iloc[0]
    assert rule["transfer_count"] == int(transfer["transfer_count"]) == -1
    assert rule["duration_limit_s"] == int(transfer["duration_limit"]) == 9000
    assert rule["duration_limit_type"] == int(transfer["duration_limit_type"])
    assert rule["fare_transfer_type"] == int(transfer["fare_transfer_type"]) == 0
    assert set(tables.route_networks["network_id"]) == {"LOCAL"}
    assert len(tables.route_networks) == len(raw_rows(path, "routes.txt"))
    f = tables.features()
    assert f.fares_v2 and f.networks and f.rider_categories and f.fare_media and f.transfers
    assert not f.fares_v1 and not f.timeframes and not f.rule_priority


# ----------------------------------------------------------------------------- bad input


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def error_of(folder: Path) -> tuple[str, str | None, int | None, str | None]:
    with pytest.raises((FeedFormatError, FeedIntegrityError)) as info:
        read_fares(load_gtfs(folder))
    e = info.value
    return type(e).__name__, e.file, e.row, e.field


def test_tiny_fares_load(tiny: Path) -> None:
    write(tiny, "fare_rules.txt", "fare_id,origin_id,destination_id\nF,A,B\n")
    tables = read_fares(load_gtfs(tiny))
    assert tables.attributes["price_minor"].tolist() == [250]
    assert tables.stops.set_index("stop_id").loc["S3", "zone_id"] == "B"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "fare_rules.txt",
            "fare_id,origin_id\nF,A\nNOPE,B\n",
            ("FeedIntegrityError", "fare_rules.txt", 3, "fare_id"),
        ),
        (
            "fare_rules.txt",
            "fare_id,route_id\nF,R9\n",
            ("FeedIntegrityError", "fare_rules.txt", 2, "route_id"),
        ),
        (
            "fare_attributes.txt",
            "fare_id,price,currency_type,payment_method,transfers\nF,2.5,EURO,0,\n",
            ("FeedFormatError", "fare_attributes.txt", 2, "currency_type"),
        ),
        (
            "fare_attributes.txt",
            "fare_id,price,currency_type,payment_method,transfers\nF,abc,EUR,0,\n",
            ("FeedFormatError", "fare_attributes.txt", 2, "price"),
        ),
        (
            "fare_attributes.txt",
            "fare_id,price,currency_type,payment_method,transfers\nF,1,EUR,0,\nF,2,EUR,0,\n",
            ("FeedIntegrityError", "fare_attributes.txt", 3, "fare_id"),
        ),
        (
            "fare_attributes.txt",
            "fare_id,price,currency_type,payment_method,transfers\nF,1,EUR,0,5\n",
            ("FeedFormatError", "fare_attributes.txt", 2, "transfers"),
        ),
    ],
)
def test_bad_fares_v1(
    tiny: Path, name: str, text: str, expected: tuple[str, str, int, str]
) -> None:
    write(tiny, name, text)
    assert error_of(tiny) == expected


V2 = {
    "rider_categories.txt": "rider_category_id,rider_category_name,is_default_fare_category\n"
    "ADULT,Adult,1\n",
    "fare_media.txt": "fare_media_id,fare_media_name,fare_media_type\nCASH,Cash,0\n",
    "fare_products.txt": "fare_product_id,fare_product_name,rider_category_id,fare_media_id,"
    "amount,currency\nSINGLE,Single,ADULT,CASH,2.00,EUR\n",
    "fare_leg_rules.txt": "leg_group_id,network_id,fare_product_id\nALL,,SINGLE\n",
    "fare_transfer_rules.txt": "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,"
    "duration_limit_type,fare_transfer_type\nALL,ALL,-1,3600,1,0\n",
}


def test_tiny_fares_v2_load(tiny: Path) -> None:
    for name, text in V2.items():
        write(tiny, name, text)
    tables = read_fares(load_gtfs(tiny))
    assert tables.products["amount_minor"].tolist() == [200]
    assert tables.transfer_rules["duration_limit_s"].tolist() == [3600]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "fare_products.txt",
            "fare_product_id,fare_product_name,rider_category_id,fare_media_id,amount,currency\n"
            "SINGLE,Single,CHILD,CASH,2.00,EUR\n",
            ("FeedIntegrityError", "fare_products.txt", 2, "rider_category_id"),
        ),
        (
            "fare_leg_rules.txt",
            "leg_group_id,network_id,fare_product_id\nALL,,DOUBLE\n",
            ("FeedIntegrityError", "fare_leg_rules.txt", 2, "fare_product_id"),
        ),
        (
            "fare_leg_rules.txt",
            "leg_group_id,network_id,fare_product_id\nALL,METRO,SINGLE\n",
            ("FeedIntegrityError", "fare_leg_rules.txt", 2, "network_id"),
        ),
        (
            "fare_transfer_rules.txt",
            "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,"
            "fare_transfer_type\nALL,ALL,-1,3600,1,3\n",
            ("FeedFormatError", "fare_transfer_rules.txt", 2, "fare_transfer_type"),
        ),
        (
            "fare_transfer_rules.txt",
            "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,"
            "fare_transfer_type\nALL,ALL,-1,3600,,0\n",
            ("FeedFormatError", "fare_transfer_rules.txt", 2, "duration_limit_type"),
        ),
        (
            "fare_transfer_rules.txt",
            "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,"
            "fare_transfer_type\nALL,NONE,,3600,1,0\n",
            ("FeedIntegrityError", "fare_transfer_rules.txt", 2, "to_leg_group_id"),
        ),
    ],
)
def test_bad_fares_v2(
    tiny: Path, name: str, text: str, expected: tuple[str, str, int, str]
) -> None:
    for other, content in V2.items():
        write(tiny, other, content)
    write(tiny, name, text)
    assert error_of(tiny) == expected
