"""feeds.gbfs: real feeds (1.0, 2.2, 2.3), 2.3 == 3.0 normalisation, discovery, errors."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from maasmix.feeds import (
    FeedFormatError,
    FeedIntegrityError,
    FeedMissingError,
    FeedVersionError,
    FeedWarning,
)
from maasmix.feeds.gbfs import GbfsSnapshot, load_gbfs
from maasmix.feeds.gbfs._source import gbfs_folder
from maasmix.feeds.inspect import detect_kind, inspect_source

FIXTURES = Path(__file__).parent / "gbfs_fixtures"
V23, V30 = FIXTURES / "v2_3", FIXTURES / "v3_0"
T0 = 1640887163  # fixtures' base last_updated (see gbfs_fixtures/README.md)
TABLES = [
    "stations",
    "vehicles",
    "vehicle_types",
    "pricing_plans",
    "pricing_segments",
    "geofencing_zones",
    "geofencing_global_rules",
]


def _raw(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _copy(src: Path, tmp_path: Path, name: str = "feed") -> Path:
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _edit(folder: Path, file: str, change: Callable[[dict[str, Any]], None]) -> Path:
    path = folder / file
    doc = _raw(path)
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _assert_same_tables(a: GbfsSnapshot, b: GbfsSnapshot) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


# --- real feeds: figures from each folder's SOURCE.md ------------------------------------


def test_bay_wheels_profile(dataset: Callable[..., Path]) -> None:
    folder = dataset("gbfs-bay-area-baywheels")
    snap = load_gbfs(folder)
    summary = snap.summary()
    # gbfs-bay-area-baywheels/SOURCE.md Profile: station_information 496 stations,
    # station_status 496, free_bike_status 720 bikes; no version field; no gbfs.json,
    # vehicle_types, pricing or geofencing.
    assert summary["version"] == "1.0"
    assert summary["stations"] == 496
    assert summary["vehicles"] == 720
    assert summary["free_floating_vehicles"] == 720
    assert summary["vehicle_types"] == 0
    assert summary["pricing_plans"] == 0
    assert summary["geofencing_zones"] == 0
    assert summary["files_read"] == [
        "system_information",
        "station_information",
        "station_status",
        "free_bike_status",
    ]
    # No vehicle_types.json: the spec assumes human-powered bicycles.
    assert summary["free_floating_by_form_factor"] == {"bicycle": 720}
    assert summary["system"]["operator"] == "Lyft, Inc"
    status = _raw(folder / "station_status.json")["data"]["stations"]
    assert summary["docked_vehicles"] == sum(s["num_bikes_available"] for s in status)
    # SOURCE.md quirk: lat/lon and fusion_lat/fusion_lon disagree; lat/lon are read.
    bikes = _raw(folder / "free_bike_status.json")["data"]["bikes"]
    assert snap.vehicles["lat"].tolist() == [b["lat"] for b in bikes]
    assert snap.vehicles["lon"].tolist() == [b["lon"] for b in bikes]
    # 1.x booleans are 0/1 integers.
    assert snap.stations["is_renting"].dtype == "boolean"
    assert str(snap.stations["last_reported"].dt.tz) == "UTC"
    assert snap.system.last_updated.tzinfo == ZoneInfo("America/Los_Angeles")


def test_helsinki_profile(dataset: Callable[..., Path]) -> None:
    folder = dataset("gbfs-helsinki-hsl")
    snap = load_gbfs(folder)  # gbfs.json lists foreign file: paths -> found by file name
    # gbfs-helsinki-hsl/SOURCE.md Profile: GBFS v1.0, 10 stations, no free_bike_status,
    # vehicle_types or pricing; gbfs.json data={'en': ...}.
    summary = snap.summary()
    assert summary["version"] == "1.0"
    assert summary["stations"] == 10
    assert summary["vehicles"] == 0
    assert (summary["vehicle_types"], summary["pricing_plans"]) == (0, 0)
    assert summary["files_read"] == [
        "gbfs",
        "system_information",
        "station_information",
        "station_status",
    ]
    assert snap.system.language == "en"
    assert snap.system.ttl_s == 60
    station = snap.stations.set_index("station_id").loc["004"]
    assert (station["num_vehicles_available"], station["is_renting"]) == (11, False)
    assert station["capacity"] == 14


def test_lillestrom_profile(dataset: Callable[..., Path]) -> None:
    snap = load_gbfs(dataset("gbfs-lillestrom-bysykkel", "gbfs.json"))
    # gbfs-lillestrom-bysykkel/SOURCE.md Profile: GBFS 2.2, 6 stations, 1 vehicle type,
    # 2 pricing plans (sesongkort NOK 50, 3-dagerskort NOK 10); gbfs.json data={'nb': ...}.
    summary = snap.summary()
    assert summary["version"] == "2.2"
    assert summary["stations"] == 6
    assert summary["vehicle_types"] == 1
    assert summary["pricing_plans"] == 2
    assert summary["geofencing_zones"] == 0
    assert snap.system.language == "nb"  # no "en" offered: the first language
    plans = snap.pricing_plans.set_index("name")
    assert plans.loc["sesongkort", "price_cents"] == 5000
    assert plans.loc["3-dagerskort", "price_cents"] == 1000
    assert set(plans["currency"]) == {"NOK"}
    # Overtime fees are only in free text (SOURCE.md note): no rate segments.
    assert snap.pricing_segments.empty
    assert "40.0 NOK" in plans.loc["sesongkort", "description"]
    by_type = snap.stations.set_index("station_id")["vehicles_by_type"]
    assert by_type["YLS:VehicleSharingParkingArea:3"] == {"YLS:VehicleType:CityBike": 10}
    assert snap.system.ttl_s == 15  # the minimum over the files (gbfs.json, vehicle_types)


def test_oslo_tier_geofencing(dataset: Callable[..., Path]) -> None:
    folder = dataset("gbfs-oslo-tier")
    # SOURCE.md quirk: gbfs.json lists only geofencing_zones; system_information is beside it.
    with pytest.warns(FeedWarning, match="does not list the required system_information"):
        snap = load_gbfs(folder)
    # gbfs-oslo-tier/SOURCE.md Profile: GBFS 2.3, geofencing_zones 363, no stations/vehicles.
    summary = snap.summary()
    assert summary["version"] == "2.3"
    assert summary["geofencing_zones"] == 363
    assert (summary["stations"], summary["vehicles"]) == (0, 0)
    assert snap.system.operator == "Tier"
    features = _raw(folder / "geofencing_zones.json")["data"]["geofencing_zones"]["features"]
    rules = [r for f in features for r in f["properties"]["rules"]]
    zones = snap.geofencing_zones
    assert len(zones) == len(rules)  # one row per zone and rule
    assert zones["ride_start_allowed"].tolist() == [r["ride_allowed"] for r in rules]
    assert zones["ride_end_allowed"].tolist() == [r["ride_allowed"] for r in rules]
    assert zones["maximum_speed_kph"].notna().sum() == sum("maximum_speed_kph" in r for r in rules)
    assert {g.geom_type for g in zones["geometry"]} == {"MultiPolygon"}
    assert zones["geometry"].iloc[0].bounds[0] == pytest.approx(10.6, abs=0.5)  # lon first
    assert zones["vehicle_type_ids"].iloc[0] == (
        "YTI:VehicleType:escooter_oslo",
        "YTI:VehicleType:ebicycle_oslo",
    )
    # 2.x has no global rules: the spec's default, no restriction, is made explicit.
    assert snap.geofencing_global_rules[
        ["ride_start_allowed", "ride_through_allowed"]
    ].values.tolist() == [[True, True]]


# --- one system written as 2.3 and as 3.0 -------------------------------------------------


def test_v23_and_v30_fixtures_normalise_equal() -> None:
    a, b = load_gbfs(V23), load_gbfs(V30)
    assert (a.version, b.version) == ("2.3", "3.0")
    _assert_same_tables(a, b)
    assert a.system.name == b.system.name == "Example Bike Rental"
    assert a.system.last_updated == b.system.last_updated
    assert a.summary() | {"version": "", "files_read": []} == b.summary() | {
        "version": "",
        "files_read": [],
    }


def test_fixture_values() -> None:
    snap = load_gbfs(V30)
    stations = snap.stations.set_index("station_id")
    assert stations.loc["station12", "vehicles_by_type"] == {"abc123": 2, "def456": 4}
    assert stations["is_renting"].tolist() == [True, True, False]
    assert stations.loc["pga", "last_reported"] == pd.Timestamp(T0 - 40, unit="s", tz="UTC")
    vehicles = snap.vehicles.set_index("vehicle_id")
    docked = vehicles.loc["987fd100-b822-4347-86a4-b3eef8ca8b53"]
    assert docked["station_id"] == "86" and pd.isna(docked["lat"]) and pd.isna(docked["lon"])
    assert docked["current_range_m"] == 6543.0 and docked["pricing_plan_id"] == "plan3"
    types = snap.vehicle_types.set_index("vehicle_type_id")
    assert types.loc["def456", "max_range_m"] == 12345.0
    assert types.loc["def456", "max_permitted_speed_kph"] == 25.0
    assert types.loc["abc123", "pricing_plan_ids"] == ("plan2", "plan3")
    plans = snap.pricing_plans.set_index("plan_id")
    assert plans.loc["plan3", ["currency", "price_cents"]].tolist() == ["CAD", 300]
    segments = snap.pricing_segments
    assert segments[segments["plan_id"] == "plan2"][
        ["start", "rate_cents", "interval"]
    ].values.tolist() == [[10, 100, 1], [25, 50, 1], [25, 300, 5]]
    assert segments["end"].tolist()[:2] == [25, pd.NA]
    zone = snap.geofencing_zones.iloc[0]
    assert zone["name"] == "NE 24th/NE Knott" and zone["vehicle_type_ids"] == ("def456",)
    assert zone["geometry"].geom_type == "MultiPolygon" and len(zone["geometry"].geoms) == 2
    assert zone["start"] == pd.Timestamp(1593878400, unit="s", tz="UTC")
    without_rules = snap.geofencing_zones.iloc[2]
    assert without_rules["zone_id"] == "zone-1" and pd.isna(without_rules["ride_start_allowed"])
    summary = snap.summary()
    assert summary["free_floating_by_form_factor"] == {"bicycle": 1, "scooter_standing": 1}
    assert summary["docked_vehicles"] == 9
    json.dumps(summary)  # JSON-ready


def _rfc3339(posix: int) -> str:
    return dt.datetime.fromtimestamp(posix, dt.UTC).isoformat()


def _loc(text: str) -> list[dict[str, str]]:
    return [{"text": text, "language": "nb"}]


def _to_v3(src: Path, dst: Path) -> None:
    """Rewrite a GBFS 2.x folder as GBFS 3.0 (the renames this loader maps back)."""
    dst.mkdir()
    for path in src.glob("*.json"):
        doc, name = _raw(path), path.stem
        doc["version"] = "3.0"
        doc["last_updated"] = _rfc3339(doc["last_updated"])
        data = doc["data"]

        if name == "gbfs":
            feeds = next(iter(data.values()))["feeds"]
            doc["data"] = {
                "feeds": [{"name": f["name"], "url": f"{f['name']}.json"} for f in feeds]
            }
        elif name == "system_information":
            data["languages"] = [data.pop("language")]
            data["name"] = _loc(data["name"])
        elif name == "station_information":
            for s in data["stations"]:
                s["name"] = _loc(s["name"])
        elif name == "station_status":
            for s in data["stations"]:
                s["num_vehicles_available"] = s.pop("num_bikes_available")
                s["last_reported"] = _rfc3339(s["last_reported"])
        elif name == "system_pricing_plans":
            for p in data["plans"]:
                p["name"], p["description"] = _loc(p["name"]), _loc(p["description"])
        (dst / path.name).write_text(json.dumps(doc), encoding="utf-8")


def test_real_feed_converted_to_v30_normalises_equal(
    dataset: Callable[..., Path], tmp_path: Path
) -> None:
    src = dataset("gbfs-lillestrom-bysykkel")
    _to_v3(src, tmp_path / "v3")
    a, b = load_gbfs(src), load_gbfs(tmp_path / "v3")
    assert b.version == "3.0"
    _assert_same_tables(a, b)
    assert b.system.name == a.system.name == "Lillestrøm bysykkel"


# --- language, ttl ------------------------------------------------------------------------


def test_v30_language_choice() -> None:
    assert load_gbfs(V30).stations["name"].iloc[0] == "Parking garage A"  # languages[0]
    french = load_gbfs(V30, language="fr")
    assert french.system.language == "fr"
    assert french.system.name == "Location de vélos"
    assert french.stations["name"].tolist()[:2] == ["Garage A", "SE Belmont et SE 10e"]
    assert french.pricing_plans["name"].tolist() == ["Aller simple", "Tarif simple"]
    with pytest.raises(FeedMissingError, match="available: en, fr") as err:
        load_gbfs(V30, language="de")
    assert err.value.file is not None and err.value.file.endswith("system_information.json")


def test_v2_language_choice(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    _edit(folder, "gbfs.json", lambda d: d["data"].update({"nb": d["data"]["en"]}))
    _edit(folder, "gbfs.json", lambda d: d["data"].update({"aa": d["data"].pop("en")}))
    assert load_gbfs(folder).system.language == "nb"  # no "en": the first offered
    assert load_gbfs(folder, language="aa").system.language == "aa"
    with pytest.raises(FeedMissingError, match="'fr' is not published; available: nb, aa"):
        load_gbfs(folder, language="fr")
    _edit(folder, "gbfs.json", lambda d: d["data"].update({"en": d["data"]["nb"]}))
    assert load_gbfs(folder).system.language == "en"  # "en" preferred when offered


def test_ttl_and_expires_at() -> None:
    snap = load_gbfs(V30)
    chicago = ZoneInfo("America/Chicago")
    assert snap.system.ttl_s == 60  # station_status and vehicle_status
    newest = dt.datetime.fromtimestamp(T0 + 30, chicago)  # vehicle_status
    assert snap.system.last_updated == newest
    assert snap.system.last_updated.tzinfo == chicago
    assert snap.expires_at == newest + dt.timedelta(seconds=60)
    ttls = {f.name: f.ttl_s for f in snap.files}
    assert ttls["gbfs"] == 300 and ttls["vehicle_types"] == 3600
    assert load_gbfs(V23).expires_at == snap.expires_at


# --- auto-discovery over http -------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 in a thread: (folder, base URL)."""
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _serve_v2(root: Path, base: str) -> None:
    """The 2.3 fixture under /en/ and a French copy under /fr/, one gbfs.json at the root."""
    names = [p.stem for p in V23.glob("*.json") if p.stem != "gbfs"]
    shutil.copytree(V23, root / "en")
    shutil.copytree(V23, root / "fr")
    _edit(root / "fr", "system_information.json", lambda d: d["data"].update(
        {"name": "Location de vélos", "language": "fr"}))  # fmt: skip
    gbfs = _raw(V23 / "gbfs.json")
    gbfs["data"] = {
        lang: {"feeds": [{"name": n, "url": f"{base}/{lang}/{n}.json"} for n in names]}
        for lang in ("en", "fr")
    }
    (root / "gbfs.json").write_text(json.dumps(gbfs), encoding="utf-8")


def test_auto_discovery_over_http(http_root: tuple[Path, str]) -> None:
    root, base = http_root
    _serve_v2(root, base)
    snap = load_gbfs(f"{base}/gbfs.json")
    _assert_same_tables(snap, load_gbfs(V23))
    assert snap.files[0].source == f"{base}/gbfs.json"
    assert all(f.source.startswith(f"{base}/en/") for f in snap.files[1:])
    assert load_gbfs(f"{base}/gbfs.json", language="fr").system.name == "Location de vélos"
    with pytest.raises(FeedMissingError, match="available: en, fr"):
        load_gbfs(f"{base}/gbfs.json", language="de")


def test_http_v30_relative_urls_and_missing_feeds(http_root: tuple[Path, str]) -> None:
    root, base = http_root
    shutil.copytree(V30, root / "v3")  # gbfs.json lists relative URLs
    _assert_same_tables(load_gbfs(f"{base}/v3/gbfs.json"), load_gbfs(V30))
    (root / "v3" / "geofencing_zones.json").unlink()  # optional: may 404
    with pytest.warns(FeedWarning, match="optional feed geofencing_zones.*HTTP 404"):
        snap = load_gbfs(f"{base}/v3/gbfs.json")
    assert snap.geofencing_zones.empty and snap.geofencing_global_rules.empty
    (root / "v3" / "system_information.json").unlink()  # required
    with pytest.raises(FeedMissingError, match="system_information") as err:
        load_gbfs(f"{base}/v3/gbfs.json")
    assert err.value.file == f"{base}/v3/system_information.json"
    with pytest.raises(FeedMissingError, match="HTTP 404"):
        load_gbfs(f"{base}/nowhere/gbfs.json")


# --- bad inputs: the specific error with file / row / field ------------------------------


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    path = folder / "station_information.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6] + ","  # a stray comma on line 7
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FeedFormatError, match="invalid JSON") as err:
        load_gbfs(folder)
    assert err.value.file == str(path)
    assert err.value.row in (7, 8)


def test_missing_system_information(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    for name in ("gbfs.json", "system_information.json"):
        (folder / name).unlink()
    with pytest.raises(FeedMissingError, match="system_information") as err:
        load_gbfs(folder)
    assert err.value.file == str(folder / "system_information.json")


def test_station_status_without_station_information(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    (folder / "gbfs.json").unlink()
    (folder / "station_information.json").unlink()
    with pytest.raises(FeedMissingError, match="station_information is missing") as err:
        load_gbfs(folder)
    assert err.value.file == str(folder / "station_status.json")


def test_listed_station_information_unreadable(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    (folder / "station_information.json").unlink()
    with pytest.raises(FeedMissingError, match="required feed station_information"):
        load_gbfs(folder)


def test_latitude_not_a_number(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    path = _edit(
        folder, "station_information.json", lambda d: d["data"]["stations"][2].update(lat="N45")
    )
    with pytest.raises(FeedFormatError, match="expected a number, got 'N45'") as err:
        load_gbfs(folder)
    assert (err.value.file, err.value.row, err.value.field) == (
        str(path),
        2,
        "data.stations[2].lat",
    )


def test_numbers_as_strings_are_read_with_a_warning(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(folder, "station_information.json", lambda d: d["data"]["stations"][0].update(lat="12.5"))
    with pytest.warns(FeedWarning, match="1 value.* written as strings"):
        snap = load_gbfs(folder)
    assert snap.stations["lat"].iloc[0] == 12.5


def test_out_of_range_latitude(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    _edit(folder, "free_bike_status.json", lambda d: d["data"]["bikes"][0].update(lat=123.0))
    with pytest.raises(FeedFormatError, match="outside") as err:
        load_gbfs(folder)
    assert (err.value.row, err.value.field) == (0, "data.bikes[0].lat")


def test_file_version_contradicts_gbfs_json(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    shutil.copy(V23 / "station_status.json", folder / "station_status.json")  # 2.3 in 3.0
    with pytest.raises(FeedVersionError, match=r"GBFS 2\.3 file in a GBFS 3\.0 dataset") as err:
        load_gbfs(folder)
    assert (err.value.file, err.value.field) == (str(folder / "station_status.json"), "version")


def test_v2_field_names_in_a_v3_file(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(
        folder, "vehicle_status.json", lambda d: d["data"].update(bikes=d["data"].pop("vehicles"))
    )
    with pytest.raises(FeedVersionError, match=r"'bikes' is not a GBFS 3\.0 name") as err:
        load_gbfs(folder)
    assert err.value.field == "data.bikes"


def test_minor_version_mix_is_warned(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    _edit(folder, "vehicle_types.json", lambda d: d.update(version="2.2"))
    with pytest.warns(FeedWarning, match="GBFS 2.2 file in a GBFS 2.3 dataset"):
        load_gbfs(folder)


def test_duplicate_station_id(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    path = _edit(
        folder,
        "station_information.json",
        lambda d: d["data"]["stations"][2].update(station_id="pga"),
    )
    with pytest.raises(FeedIntegrityError, match="duplicate ID 'pga'") as err:
        load_gbfs(folder)
    assert (err.value.file, err.value.row, err.value.field) == (
        str(path),
        2,
        "data.stations[2].station_id",
    )


def test_duplicate_vehicle_id(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)

    def dup(doc: dict[str, Any]) -> None:
        doc["data"]["bikes"][2]["bike_id"] = doc["data"]["bikes"][1]["bike_id"]

    path = _edit(folder, "free_bike_status.json", dup)
    with pytest.raises(FeedIntegrityError) as err:
        load_gbfs(folder)
    assert (err.value.file, err.value.row, err.value.field) == (
        str(path),
        2,
        "data.bikes[2].bike_id",
    )


def test_unknown_vehicle_type(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(
        folder,
        "vehicle_status.json",
        lambda d: d["data"]["vehicles"][1].update(vehicle_type_id="zzz"),
    )
    with pytest.raises(FeedIntegrityError, match="unknown vehicle_type_id 'zzz'") as err:
        load_gbfs(folder)
    assert (err.value.row, err.value.field) == (1, "data.vehicles[1].vehicle_type_id")


def test_orphan_station_status_is_dropped(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(
        folder, "station_information.json", lambda d: d["data"]["stations"].pop(1)
    )  # station12 only in station_status now
    with pytest.warns(FeedWarning, match="1 station.* not in station_information.*station12"):
        snap = load_gbfs(folder)
    assert snap.stations["station_id"].tolist() == ["pga", "86"]


def test_null_coordinates_are_dropped_and_counted(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(folder, "station_information.json", lambda d: d["data"]["stations"][0].update(lat=None))

    def no_position(doc: dict[str, Any]) -> None:
        del doc["data"]["vehicles"][0]["lat"]  # free-floating: unusable
        doc["data"]["vehicles"][2]["lon"] = None

    _edit(folder, "vehicle_status.json", no_position)
    with pytest.warns(FeedWarning) as record:
        snap = load_gbfs(folder)
    messages = [str(w.message) for w in record]
    assert any("1 station(s) without coordinates" in m and "pga" in m for m in messages)
    assert any("2 free-floating vehicle(s) without coordinates" in m for m in messages)
    assert snap.stations["station_id"].tolist() == ["station12", "86"]
    assert snap.vehicles["station_id"].tolist() == ["86"]  # the docked one stays


def test_sub_cent_rates_are_rounded_with_a_warning(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)

    def rates(doc: dict[str, Any]) -> None:
        doc["data"]["plans"][1]["per_min_pricing"][0]["rate"] = 0.055
        doc["data"]["plans"][1]["price"] = "1.50"  # 2.x allowed decimal strings

    _edit(folder, "system_pricing_plans.json", rates)
    with pytest.warns(FeedWarning, match="1 amount.* rounded half-even"):
        snap = load_gbfs(folder)
    per_min = snap.pricing_segments[snap.pricing_segments["kind"] == "per_min"]
    assert per_min["rate_cents"].tolist() == [6]
    assert snap.pricing_plans["price_cents"].tolist() == [200, 150]


def test_timestamp_without_offset(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)
    _edit(
        folder,
        "station_status.json",
        lambda d: d["data"]["stations"][1].update(last_reported="2021-12-30T11:58:43"),
    )
    with pytest.raises(FeedFormatError, match="no UTC offset") as err:
        load_gbfs(folder)
    assert (err.value.row, err.value.field) == (1, "data.stations[1].last_reported")


def test_wrong_boolean_and_unknown_timezone(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    _edit(
        folder, "station_status.json", lambda d: d["data"]["stations"][0].update(is_renting="yes")
    )
    with pytest.raises(FeedFormatError, match="expected a boolean") as err:
        load_gbfs(folder)
    assert err.value.field == "data.stations[0].is_renting"
    folder = _copy(V23, tmp_path, "tz")
    _edit(folder, "system_information.json", lambda d: d["data"].update(timezone="Mars/Olympus"))
    with pytest.raises(FeedFormatError, match="unknown IANA timezone") as err:
        load_gbfs(folder)
    assert err.value.field == "data.timezone"


def test_v2_folder_language_and_bom(tmp_path: Path) -> None:
    folder = _copy(V23, tmp_path)
    (folder / "gbfs.json").unlink()  # a folder of files: the language is system_information's
    path = folder / "station_information.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with pytest.warns(FeedWarning, match="byte-order mark"):
        assert load_gbfs(folder).system.language == "en"
    with (
        pytest.warns(FeedWarning, match="byte-order mark"),
        pytest.raises(FeedMissingError, match="'fr' is not published; available: en"),
    ):
        load_gbfs(folder, language="fr")


def test_v3_geofencing_rules_need_v3_names(tmp_path: Path) -> None:
    folder = _copy(V30, tmp_path)

    def v2_rule(doc: dict[str, Any]) -> None:
        rule = doc["data"]["geofencing_zones"]["features"][0]["properties"]["rules"][1]
        del rule["ride_start_allowed"], rule["ride_end_allowed"]
        rule["ride_allowed"] = True

    _edit(folder, "geofencing_zones.json", v2_rule)
    with pytest.raises(FeedVersionError, match=r"'ride_allowed' is a GBFS 2\.x rule field") as err:
        load_gbfs(folder)
    assert err.value.row == 0
    assert err.value.field == "data.geofencing_zones.features[0].properties.rules[1].ride_allowed"
    folder = _copy(V30, tmp_path, "no_global_rules")
    _edit(folder, "geofencing_zones.json", lambda d: d["data"].pop("global_rules"))
    with pytest.raises(FeedMissingError, match="global_rules"):
        load_gbfs(folder)


def test_missing_source() -> None:
    with pytest.raises(FeedMissingError, match="no such file"):
        load_gbfs("/nonexistent/gbfs")


# ------------------------------------------------------- station_information alone


def _stations_only(folder: Path, *extra: str) -> Path:
    """A folder of station_information.json (two stations) and the ``extra`` files."""
    folder.mkdir(parents=True)
    stations = [
        {"station_id": "A", "name": "Alpha", "lat": 45.0, "lon": 9.0, "capacity": 10},
        {"station_id": "B", "name": "Beta", "lat": 45.01, "lon": 9.01, "capacity": 8},
    ]
    for name in ("station_information", *extra):
        body = {"stations": stations if name == "station_information" else []}
        doc = {"last_updated": 1709625600, "ttl": 60, "version": "2.3", "data": body}
        (folder / f"{name}.json").write_text(json.dumps(doc))
    return folder


def test_station_information_alone_is_one_detection(tmp_path: Path) -> None:
    folder = _stations_only(tmp_path / "registry")
    assert gbfs_folder(folder) == "stations-only"
    assert detect_kind(folder) == "gbfs"
    with pytest.warns(FeedWarning, match="only station_information.json") as caught:
        summary = inspect_source(folder)
    assert len(caught) == 1
    assert summary["kind"] == "gbfs" and summary["stations"] == 2
    assert summary["system"]["system_id"] == "registry"
    assert summary["system"]["timezone"] == "Etc/UTC"  # alone; a network gives its own
    with pytest.warns(FeedWarning):
        snap = load_gbfs(folder)
    assert snap.system.timezone_assumed
    assert snap.system.last_updated == dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC)
    # with a status file (and no system_information) it is neither: load_gbfs refuses it
    status = _stations_only(tmp_path / "half", "station_status")
    assert gbfs_folder(status) is None
    with pytest.raises(FeedFormatError, match="neither GTFS"):
        detect_kind(status)
    with pytest.raises(FeedMissingError, match="system_information"):
        load_gbfs(status)


def test_snapshot_in_another_timezone_keeps_its_instants(tmp_path: Path) -> None:
    with pytest.warns(FeedWarning):
        snap = load_gbfs(_stations_only(tmp_path / "registry"))
    local = snap.in_timezone("America/Los_Angeles")
    assert local.system.timezone == "America/Los_Angeles"
    assert local.system.last_updated == snap.system.last_updated
    assert local.system.last_updated.isoformat() == "2024-03-05T00:00:00-08:00"
    assert [f.last_updated.isoformat() for f in local.files] == ["2024-03-05T00:00:00-08:00"] * 2
    assert local.expires_at == snap.expires_at
    pd.testing.assert_frame_equal(local.stations, snap.stations)
