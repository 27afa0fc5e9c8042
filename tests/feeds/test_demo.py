"""`feeds.demo.write_demo_city`: determinism, format conformance, and round trips.

The demo city is written once per module (and twice more for the determinism tests);
its GTFS zip is checked with gtfs-kit and against the GTFS Schedule required files and
columns, its OSM file with pyosmium, its GBFS folder against the v2.3 required fields,
and all three are read back through `feeds.gtfs`, `feeds.gbfs` and `feeds.osm`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import zipfile
import zoneinfo
from pathlib import Path
from typing import Any

import gtfs_kit as gk
import numpy as np
import osmium
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from maasmix.feeds.demo import SERVICE_DATE, DemoCity, write_demo_city

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> DemoCity:
    return write_demo_city(tmp_path_factory.mktemp("demo") / "city", seed=7)


@pytest.fixture(scope="module")
def gtfs_tables(city: DemoCity) -> dict[str, pd.DataFrame]:
    """Every GTFS table as strings, blanks kept as ``""``."""
    with zipfile.ZipFile(city.gtfs_zip) as zf:
        return {
            name[:-4]: pd.read_csv(io.BytesIO(zf.read(name)), dtype=str, keep_default_na=False)
            for name in zf.namelist()
        }


@pytest.fixture(scope="module")
def gbfs(city: DemoCity) -> dict[str, dict[str, Any]]:
    """Every GBFS file of the demo, parsed, keyed by feed name."""
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(city.gbfs_dir.glob("*.json"))}


@pytest.fixture(scope="module")
def osm_objects(city: DemoCity) -> tuple[dict[int, tuple[float, float]], list[Any]]:
    """(node id -> (lat, lon), [(way id, node refs, tags)]) read with pyosmium."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for obj in osmium.FileProcessor(str(city.osm_pbf)):
        if isinstance(obj, osmium.osm.Node):
            nodes[obj.id] = (obj.location.lat, obj.location.lon)
        elif isinstance(obj, osmium.osm.Way):
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
    return nodes, ways


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def _seconds(times: pd.Series) -> np.ndarray:
    """GTFS ``HH:MM:SS`` strings (hours may exceed 23) -> int seconds, vectorised."""
    parts = times.str.split(":", expand=True).astype(np.int64).to_numpy()
    return parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2]


def _components(n: int, u: Any, v: Any, connection: str = "weak") -> int:
    graph = coo_matrix((np.ones(len(u)), (np.asarray(u), np.asarray(v))), shape=(n, n))
    count, _ = connected_components(graph, directed=True, connection=connection)
    return int(count)


# --------------------------------------------------------------------------- the city


def test_demo_city_describes_what_was_written(city: DemoCity) -> None:
    assert city.name == "Demo City"
    assert city.timezone == "Europe/Helsinki"
    assert city.currency == "EUR"
    assert city.centre == (60.17, 24.94)
    assert city.service_date == SERVICE_DATE
    assert city.service_date.weekday() == 1  # a Tuesday
    assert city.gtfs_zip.is_file() and city.osm_pbf.is_file()
    assert (city.gbfs_dir / "gbfs.json").is_file()
    assert city.osm_pbf.name.endswith(".osm.pbf")
    with pytest.raises(AttributeError):
        city.name = "x"  # type: ignore[misc]


def test_same_seed_is_byte_identical_and_other_seed_differs(city: DemoCity, tmp_path: Path) -> None:
    root = city.gtfs_zip.parent
    again = write_demo_city(str(tmp_path / "again"), seed=7)  # a str path works too
    assert again.counts == city.counts
    assert _files(tmp_path / "again") == _files(root)

    other = write_demo_city(tmp_path / "other", seed=8)
    first, second = _files(root), _files(tmp_path / "other")
    assert first.keys() == second.keys()
    for name in ("demo_city_gtfs.zip", "demo_city.osm.pbf", "gbfs/free_bike_status.json"):
        assert first[name] != second[name], name
    # the structure does not depend on the seed, only positions and timetables do
    for key in ("osm_nodes", "osm_ways", "gtfs_stops", "gtfs_routes", "gbfs_stations"):
        assert other.counts[key] == city.counts[key]


def test_zip_entries_have_fixed_timestamps(city: DemoCity) -> None:
    with zipfile.ZipFile(city.gtfs_zip) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(2026, 1, 1, 0, 0, 0)}


# --------------------------------------------------------------------------- GTFS

#: GTFS Schedule required columns of the files the demo writes (conditionally required
#: ones that apply to this feed included: stop_name/lat/lon for stops and stations,
#: route_short_name, arrival/departure_time for timepoints).
GTFS_REQUIRED = {
    "agency": ["agency_name", "agency_url", "agency_timezone"],
    "stops": ["stop_id", "stop_name", "stop_lat", "stop_lon"],
    "routes": ["route_id", "route_short_name", "route_type"],
    "trips": ["route_id", "service_id", "trip_id"],
    "stop_times": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
    "calendar": [
        "service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "start_date", "end_date",
    ],
    "calendar_dates": ["service_id", "date", "exception_type"],
    "frequencies": ["trip_id", "start_time", "end_time", "headway_secs"],
    "shapes": ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
    "transfers": ["from_stop_id", "to_stop_id", "transfer_type"],
    "fare_attributes": ["fare_id", "price", "currency_type", "payment_method", "transfers"],
    "fare_rules": ["fare_id"],
    "feed_info": ["feed_publisher_name", "feed_publisher_url", "feed_lang"],
}  # fmt: skip


def test_gtfs_has_required_files_and_columns(gtfs_tables: dict[str, pd.DataFrame]) -> None:
    assert set(gtfs_tables) == set(GTFS_REQUIRED)
    for name, columns in GTFS_REQUIRED.items():
        table = gtfs_tables[name]
        assert len(table) > 0, name
        missing = [c for c in columns if c not in table.columns]
        assert not missing, (name, missing)
        # blank allowed: non-timepoint times; fare transfers ("" = unlimited)
        may_be_blank = {"arrival_time", "departure_time", "transfers"}
        blank = [c for c in columns if c not in may_be_blank and (table[c] == "").any()]
        assert not blank, (name, blank)
    # ids are unique and references resolve
    assert gtfs_tables["stops"]["stop_id"].is_unique
    assert gtfs_tables["trips"]["trip_id"].is_unique
    assert set(gtfs_tables["trips"]["route_id"]) <= set(gtfs_tables["routes"]["route_id"])
    assert set(gtfs_tables["trips"]["shape_id"]) <= set(gtfs_tables["shapes"]["shape_id"])
    assert set(gtfs_tables["stop_times"]["trip_id"]) == set(gtfs_tables["trips"]["trip_id"])
    assert set(gtfs_tables["stop_times"]["stop_id"]) <= set(gtfs_tables["stops"]["stop_id"])
    assert set(gtfs_tables["frequencies"]["trip_id"]) <= set(gtfs_tables["trips"]["trip_id"])
    services = set(gtfs_tables["calendar"]["service_id"])
    assert set(gtfs_tables["trips"]["service_id"]) == services == {"WD", "WE"}
    assert not gtfs_tables["stop_times"].duplicated(["trip_id", "stop_sequence"]).any()


def test_gtfs_reads_with_gtfs_kit(city: DemoCity) -> None:
    feed = gk.read_feed(city.gtfs_zip, dist_units="km")
    assert feed.agency["agency_timezone"].tolist() == ["Europe/Helsinki"]
    assert len(feed.routes) == city.counts["gtfs_routes"] == 7
    assert sorted(feed.routes["route_type"].tolist()) == [0, 0, 3, 3, 3, 3, 3]
    assert len(feed.stops) == city.counts["gtfs_stops"]
    assert len(feed.trips) == city.counts["gtfs_trips"]
    assert len(feed.stop_times) == city.counts["gtfs_stop_times"]
    assert len(feed.frequencies) == city.counts["gtfs_frequencies"]
    assert feed.shapes["shape_id"].nunique() == city.counts["gtfs_shapes"]
    # frequencies: T1 only, both exact_times flavours
    assert set(feed.trips.loc[feed.trips["trip_id"].isin(feed.frequencies["trip_id"]), "route_id"])
    assert set(feed.frequencies["exact_times"]) == {0, 1}
    exact = feed.frequencies[feed.frequencies["exact_times"] == 1]
    assert set(exact["headway_secs"]) == {450}
    assert set(exact["start_time"]) == {"07:00:00"} and set(exact["end_time"]) == {"19:00:00"}
    # times past midnight
    assert _seconds(feed.stop_times["departure_time"].dropna()).max() > 24 * 3600
    assert (feed.frequencies["end_time"] == "25:00:00").any()
    # the service date is an ordinary weekday; holidays run the weekend service
    date = city.service_date.strftime("%Y%m%d")
    assert date in feed.get_dates()
    assert set(gk.get_active_services(feed, date)) == {"WD"}
    assert set(gk.get_active_services(feed, "20260106")) == {"WE"}
    assert set(gk.get_active_services(feed, "20260314")) == {"WE"}  # a Saturday
    assert len(feed.get_trips(date)) > 1000
    quality = gk.assess_quality(feed).set_index("indicator")["value"]
    assert quality["assessment"] == "good feed"


def test_gtfs_timetable_is_plausible(gtfs_tables: dict[str, pd.DataFrame]) -> None:
    st = gtfs_tables["stop_times"].copy()
    st["seq"] = st["stop_sequence"].astype(int)
    st = st.sort_values(["trip_id", "seq"])
    # exactly one non-timepoint stop per bus-30 trip, with blank times
    blank = st[st["arrival_time"] == ""]
    assert (blank["departure_time"] == "").all()
    assert set(blank["timepoint"]) == {"0"}
    assert set(blank["trip_id"].str.split("-").str[0]) == {"30"}
    assert blank["trip_id"].is_unique
    assert set(st.loc[st["arrival_time"] != "", "timepoint"]) == {"1"}
    first_last = pd.concat([st.groupby("trip_id").head(1), st.groupby("trip_id").tail(1)])
    assert (first_last["arrival_time"] != "").all()
    # times never run backwards within a trip; departure >= arrival
    timed = st[st["arrival_time"] != ""].copy()
    arr = _seconds(timed["arrival_time"])
    dep = _seconds(timed["departure_time"])
    assert (dep >= arr).all()
    same_trip = timed["trip_id"].to_numpy()[1:] == timed["trip_id"].to_numpy()[:-1]
    assert (arr[1:][same_trip] >= dep[:-1][same_trip]).all()
    # weekday service runs 05:00 to past midnight
    first = st.groupby("trip_id").head(1)
    wd = first[first["trip_id"].str.contains("-WD-")]
    starts = _seconds(wd["departure_time"])
    assert starts.min() == 5 * 3600
    assert starts.max() > 24 * 3600
    # stops every ~400 m along each trip
    stops = gtfs_tables["stops"].set_index("stop_id")
    one_trip = st[st["trip_id"] == st["trip_id"].iloc[0]]
    lat = stops.loc[one_trip["stop_id"], "stop_lat"].astype(float).to_numpy()
    lon = stops.loc[one_trip["stop_id"], "stop_lon"].astype(float).to_numpy()
    gaps = _haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    assert 350 < float(np.median(gaps)) < 450
    assert gaps.min() > 150 and gaps.max() < 500


def test_gtfs_station_transfers_and_fares(gtfs_tables: dict[str, pd.DataFrame]) -> None:
    stops = gtfs_tables["stops"]
    station = stops[stops["location_type"] == "1"]
    assert station["stop_name"].tolist() == ["Central Square"]
    platforms = stops[stops["parent_station"] == station["stop_id"].iloc[0]]
    assert len(platforms) == 2 and set(platforms["platform_code"]) == {"1", "2"}
    transfers = gtfs_tables["transfers"]
    assert set(transfers["from_stop_id"]) == set(platforms["stop_id"])
    assert set(transfers["transfer_type"]) == {"2"}
    assert set(transfers["min_transfer_time"]) == {"120"}
    # Fares v1: zone A 3.10 EUR for 80 min; any trip touching zone B dearer
    fares = gtfs_tables["fare_attributes"].set_index("fare_id")
    assert fares.loc["A", "price"] == "3.10" and fares.loc["A", "currency_type"] == "EUR"
    assert fares.loc["A", "transfer_duration"] == "4800"
    assert fares.loc["A", "transfers"] == ""  # unlimited transfers within the validity
    assert float(fares.loc["AB", "price"]) > float(fares.loc["A", "price"])
    rules = gtfs_tables["fare_rules"]
    pairs = set(zip(rules["origin_id"], rules["destination_id"], strict=True))
    assert pairs == {("A", "A"), ("A", "B"), ("B", "A"), ("B", "B")}
    zones = stops.loc[stops["location_type"] == "0", "zone_id"]
    assert set(zones) == {"A", "B"}
    # zone A is the centre
    centre = platforms.iloc[0]
    assert set(platforms["zone_id"]) == {"A"}
    far = _haversine_m(
        float(centre["stop_lat"]),
        float(centre["stop_lon"]),
        stops.loc[zones.index, "stop_lat"].astype(float),
        stops.loc[zones.index, "stop_lon"].astype(float),
    )
    assert (far[zones == "A"] < 2050).all() and (far[zones == "B"] > 1950).all()


# --------------------------------------------------------------------------- OSM


def test_osm_reads_back_with_pyosmium(
    city: DemoCity, osm_objects: tuple[dict[int, tuple[float, float]], list[Any]]
) -> None:
    nodes, ways = osm_objects
    assert len(nodes) == city.counts["osm_nodes"] == 31 * 31 + 4
    assert len(ways) == city.counts["osm_ways"]
    assert all(i > 0 for i in nodes) and all(w[0] > 0 for w in ways)
    for way_id, refs, _tags in ways:
        assert len(refs) >= 2, way_id
        assert all(r in nodes for r in refs), way_id
    highways = [(refs, tags) for _, refs, tags in ways if "highway" in tags]
    kinds = {tags["highway"] for _, tags in highways}
    assert kinds == {"primary", "secondary", "residential", "footway", "pedestrian"}
    assert sum(tags.get("oneway") == "yes" for _, tags in highways) == 2
    park = [tags for _, _, tags in ways if tags.get("leisure") == "park"]
    assert park == [{"leisure": "park", "name": "Demo Park"}]
    # the one-way pair runs in opposite directions
    oneway = [refs for refs, tags in highways if tags.get("oneway") == "yes"]
    (_, lon_a0), (_, lon_a1) = nodes[oneway[0][0]], nodes[oneway[0][-1]]
    (_, lon_b0), (_, lon_b1) = nodes[oneway[1][0]], nodes[oneway[1][-1]]
    assert (lon_a1 - lon_a0) * (lon_b1 - lon_b0) < 0
    # the whole street grid is one connected component, and spans about 6 km
    ids = sorted({r for refs, _ in highways for r in refs})
    index = {n: k for k, n in enumerate(ids)}
    u = [index[a] for refs, _ in highways for a in refs[:-1]]
    v = [index[b] for refs, _ in highways for b in refs[1:]]
    assert _components(len(ids), u, v) == 1
    lats = np.array([nodes[n][0] for n in ids])
    lons = np.array([nodes[n][1] for n in ids])
    width = _haversine_m(60.17, lons.min(), 60.17, lons.max())
    height = _haversine_m(lats.min(), 24.94, lats.max(), 24.94)
    assert 5900 < width < 6100 and 5900 < height < 6100


def test_osm_objects_have_fixed_metadata(city: DemoCity) -> None:
    seen = set()
    for obj in osmium.FileProcessor(str(city.osm_pbf)):
        assert isinstance(obj, osmium.osm.Node | osmium.osm.Way)
        seen.add((obj.version, obj.timestamp, obj.changeset))
    assert seen == {(1, dt.datetime(2025, 12, 1, tzinfo=dt.UTC), 1)}


# --------------------------------------------------------------------------- GBFS 2.3

#: Required fields of the GBFS v2.3 files the demo writes (MobilityData/gbfs v2.3 gbfs.md),
#: conditionally required ones that apply included (vehicle_types_available because
#: vehicle_types.json exists; num_docks_available for docked stations; vehicle_type_id
#: and current_range_meters for motorised free-floating vehicles; max_range_meters for
#: motorised types).
GBFS_REQUIRED: dict[str, tuple[str, list[str]]] = {
    "system_information": ("", ["system_id", "language", "name", "timezone"]),
    "vehicle_types": ("vehicle_types", ["vehicle_type_id", "form_factor", "propulsion_type"]),
    "station_information": ("stations", ["station_id", "name", "lat", "lon"]),
    "station_status": (
        "stations",
        [
            "station_id", "num_bikes_available", "vehicle_types_available",
            "num_docks_available", "is_installed", "is_renting", "is_returning",
            "last_reported",
        ],
    ),
    "free_bike_status": (
        "bikes",
        ["bike_id", "lat", "lon", "is_reserved", "is_disabled", "vehicle_type_id",
         "current_range_meters"],
    ),
    "system_pricing_plans": (
        "plans", ["plan_id", "name", "currency", "price", "is_taxable", "description"]
    ),
}  # fmt: skip


def test_gbfs_files_have_v23_required_fields(city: DemoCity, gbfs: dict[str, Any]) -> None:
    expected = {
        "gbfs", "system_information", "vehicle_types", "station_information",
        "station_status", "free_bike_status", "system_pricing_plans", "geofencing_zones",
    }  # fmt: skip
    assert set(gbfs) == expected
    snapshot = int(
        dt.datetime.combine(
            city.service_date, dt.time(8), tzinfo=zoneinfo.ZoneInfo(city.timezone)
        ).timestamp()
    )
    for name, doc in gbfs.items():
        assert set(doc) == {"last_updated", "ttl", "version", "data"}, name
        assert doc["version"] == "2.3"
        assert doc["last_updated"] == snapshot
        assert isinstance(doc["ttl"], int) and doc["ttl"] >= 0
    for name, (array, fields) in GBFS_REQUIRED.items():
        data = gbfs[name]["data"]
        records = [data] if not array else data[array]
        assert records, name
        for record in records:
            missing = [f for f in fields if f not in record]
            assert not missing, (name, missing)
    # gbfs.json: language "en" listing every other file by its base name
    discovery = gbfs["gbfs"]["data"]
    assert list(discovery) == ["en"] == [gbfs["system_information"]["data"]["language"]]
    listed = {f["name"]: f["url"] for f in discovery["en"]["feeds"]}
    assert set(listed) == expected - {"gbfs"}
    for url in listed.values():
        assert (city.gbfs_dir / url).is_file()
    assert gbfs["system_information"]["data"]["timezone"] == city.timezone


def test_gbfs_values_are_consistent(gbfs: dict[str, Any]) -> None:
    types = {t["vehicle_type_id"]: t for t in gbfs["vehicle_types"]["data"]["vehicle_types"]}
    assert {(t["form_factor"], t["propulsion_type"]) for t in types.values()} == {
        ("bicycle", "human"),
        ("bicycle", "electric_assist"),
        ("scooter_standing", "electric"),
    }
    for t in types.values():
        if t["propulsion_type"] != "human":
            assert t["max_range_meters"] > 0
    plans = {p["plan_id"]: p for p in gbfs["system_pricing_plans"]["data"]["plans"]}
    assert {t["default_pricing_plan_id"] for t in types.values()} == set(plans)
    assert {p["currency"] for p in plans.values()} == {"EUR"}
    scooter_plan = plans[types["scooter"]["default_pricing_plan_id"]]
    assert scooter_plan["price"] == 1.0
    assert scooter_plan["per_min_pricing"] == [{"start": 0, "rate": 0.22, "interval": 1}]
    bike_plan = plans[types["bike"]["default_pricing_plan_id"]]
    assert bike_plan["price"] == 0.0 and bike_plan["per_min_pricing"][0]["start"] == 30

    info = gbfs["station_information"]["data"]["stations"]
    status = gbfs["station_status"]["data"]["stations"]
    assert len(info) == 25
    assert [s["station_id"] for s in info] == [s["station_id"] for s in status]
    assert len({s["station_id"] for s in info}) == 25
    for si, ss in zip(info, status, strict=True):
        assert 10 <= si["capacity"] <= 30
        by_type = {v["vehicle_type_id"]: v["count"] for v in ss["vehicle_types_available"]}
        assert set(by_type) == {"bike", "ebike"}
        assert sum(by_type.values()) == ss["num_bikes_available"]
        used = (
            ss["num_bikes_available"]
            + ss["num_bikes_disabled"]
            + ss["num_docks_available"]
            + ss["num_docks_disabled"]
        )
        assert used == si["capacity"]
        assert min(ss["num_docks_available"], ss["num_bikes_available"]) >= 0

    bikes = gbfs["free_bike_status"]["data"]["bikes"]
    assert len(bikes) == 80
    assert len({b["bike_id"] for b in bikes}) == 80
    for b in bikes:
        assert b["vehicle_type_id"] == "scooter"
        assert 0 < b["current_range_meters"] <= types["scooter"]["max_range_meters"]
        assert 0 <= b["current_fuel_percent"] <= 1
        assert b["last_reported"] <= gbfs["free_bike_status"]["last_updated"]


def _clockwise(ring: list[list[float]]) -> bool:
    xs, ys = np.array(ring).T
    return float(np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1])) < 0


def test_gbfs_geofencing_no_parking_zone(gbfs: dict[str, Any]) -> None:
    zones = gbfs["geofencing_zones"]["data"]["geofencing_zones"]
    assert zones["type"] == "FeatureCollection"
    by_name = {f["properties"]["name"]: f for f in zones["features"]}
    assert set(by_name) == {"Central Square", "Demo Park"}
    for feature in zones["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                assert _clockwise(ring)  # v2.3: limitation areas are clockwise
        for rule in feature["properties"]["rules"]:
            assert {"ride_allowed", "ride_through_allowed"} <= set(rule)
    (rule,) = by_name["Central Square"]["properties"]["rules"]
    assert rule["ride_allowed"] is False and rule["ride_through_allowed"] is True
    (slow,) = by_name["Demo Park"]["properties"]["rules"]
    assert slow["ride_allowed"] is True and slow["maximum_speed_kph"] == 10
    # the no-parking zone covers the centre, and no scooter is parked in it
    ring = np.array(by_name["Central Square"]["geometry"]["coordinates"][0][0])
    lon_lo, lat_lo = ring.min(axis=0)
    lon_hi, lat_hi = ring.max(axis=0)
    assert lat_lo < 60.17 < lat_hi and lon_lo < 24.94 < lon_hi
    for b in gbfs["free_bike_status"]["data"]["bikes"]:
        assert not (lat_lo <= b["lat"] <= lat_hi and lon_lo <= b["lon"] <= lon_hi)


# --------------------------------------------------------------------------- round trips


def test_round_trip_gtfs_loader(city: DemoCity) -> None:
    from maasmix.feeds.gtfs import load_gtfs

    feed = load_gtfs(city.gtfs_zip)
    summary = feed.summary()
    assert feed.timezone == city.timezone
    assert summary["stops"] == city.counts["gtfs_stops"]
    assert summary["stops_by_location_type"] == {"0": city.counts["gtfs_stops"] - 1, "1": 1}
    assert summary["routes"] == city.counts["gtfs_routes"]
    assert summary["trips"] == city.counts["gtfs_trips"]
    assert summary["stop_times_rows"] == city.counts["gtfs_stop_times"]
    assert summary["frequencies_rows"] == city.counts["gtfs_frequencies"]
    assert summary["service_date_range"] == ["20260101", "20261231"]
    assert summary["active_service_dates"] == 365
    assert feed.service_ids_on(city.service_date) == {"WD"}

    day = feed.service_day(city.service_date)
    today = day.trips[day.trips["day_offset"] == 0]
    assert len(today) == city.counts["gtfs_trip_runs_on_service_date"]
    assert (day.trips["day_offset"] == -1).any()  # Monday's trips past midnight
    assert day.stop_times["departure_s"].max() > 24 * 3600
    # the non-timepoint stop was interpolated between its neighbours
    st = day.stop_times
    interp = st.index[st["timepoint"] == 0]
    assert len(interp) > 0
    k = interp[0]
    assert st.loc[k - 1, "departure_s"] <= st.loc[k, "arrival_s"] <= st.loc[k + 1, "arrival_s"]
    assert st.loc[k - 1, "trip_key"] == st.loc[k, "trip_key"] == st.loc[k + 1, "trip_key"]


def test_round_trip_gbfs_loader(city: DemoCity) -> None:
    from maasmix.feeds.gbfs import load_gbfs

    snap = load_gbfs(city.gbfs_dir / "gbfs.json")
    summary = snap.summary()
    assert snap.version == "2.3"
    assert snap.system.timezone == city.timezone
    assert summary["stations"] == city.counts["gbfs_stations"]
    assert summary["docked_vehicles"] == city.counts["gbfs_station_bikes"]
    assert summary["free_floating_vehicles"] == city.counts["gbfs_free_vehicles"]
    assert summary["vehicle_types"] == city.counts["gbfs_vehicle_types"]
    assert summary["pricing_plans"] == city.counts["gbfs_pricing_plans"]
    assert summary["geofencing_zones"] == city.counts["gbfs_geofencing_zones"]
    expected = dt.datetime.combine(city.service_date, dt.time(8)).replace(
        tzinfo=zoneinfo.ZoneInfo(city.timezone)
    )
    assert snap.system.last_updated == expected
    plans = snap.pricing_plans.set_index("plan_id")
    assert plans.loc["scooter_single", "price_cents"] == 100
    assert set(plans["currency"]) == {"EUR"}
    zones = snap.geofencing_zones
    no_parking = zones[zones["name"] == "Central Square"].iloc[0]
    assert not no_parking["ride_start_allowed"] and not no_parking["ride_end_allowed"]
    assert no_parking["ride_through_allowed"]
    assert no_parking["geometry"].contains(_point(city.centre))
    # a folder works as well as its gbfs.json
    assert load_gbfs(city.gbfs_dir).summary()["stations"] == summary["stations"]


def _point(latlon: tuple[float, float]) -> Any:
    from shapely.geometry import Point

    return Point(latlon[1], latlon[0])


def test_round_trip_osm_loader(city: DemoCity) -> None:
    from maasmix.feeds.osm import load_osm

    network = load_osm(city.osm_pbf)
    assert network.ways_read == city.counts["osm_ways"]
    assert network.highway_ways_read == city.counts["osm_highway_ways"]
    assert network.routable_ways == city.counts["osm_highway_ways"]
    assert network.missing_segments == 0
    assert len(network.walk.nodes) == 31 * 31  # every intersection is walkable
    # walking reaches the park paths; cycling is barred from them and from Market Street
    assert {"footway", "pedestrian"} <= set(network.walk.edges["highway"])
    assert not {"footway", "pedestrian"} & set(network.bike.edges["highway"])
    for graph in (network.walk, network.bike):
        n = len(graph.nodes)
        u, v = graph.edges["u"].to_numpy(), graph.edges["v"].to_numpy()
        assert _components(n, u, v, "strong") == 1
    # Central Square is on both graphs, within a metre
    for graph in (network.walk, network.bike):
        _, distance = graph.nearest_node(*city.centre)
        assert distance < 1.0
    assert math.isclose(network.walk.street_length_m, 373_000, rel_tol=0.01)
