"""`maasmix feeds inspect` on every shared dataset prints the figures of its SOURCE.md profile."""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app

runner = CliRunner()

GTFS_FILES = [
    ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
    ("gtfs-bay-area", "bart.zip"),
    ("gtfs-bay-area", "caltrain.zip"),
    ("gtfs-portland-trimet", "trimet-2routes.zip"),
    ("gtfs-cairns", "cairns_gtfs.zip"),
    ("gtfs-sao-paulo", "spo_gtfs.zip"),
    ("fares-v2-ctran", "ctran-flex.zip"),
    pytest.param("gtfs-milan", "milano_small_gtfs.zip", marks=pytest.mark.slow),
]
GBFS_FOLDERS = [
    "gbfs-bay-area-baywheels",
    "gbfs-helsinki-hsl",
    "gbfs-lillestrom-bysykkel",
    "gbfs-oslo-tier",
]
OSM_FILES = [
    ("osm-bay-area-west-oakland", "West-Oakland.osm.pbf"),
    ("osm-helsinki", "Helsinki.osm.pbf"),
    ("osm-sao-paulo", "spo_osm.pbf"),
    ("osm-portland", "portland-central-filtered.osm.pbf"),
    pytest.param("osm-milan", "milan_italy_small.osm.pbf", marks=pytest.mark.slow),
]


def _inspect(source: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["feeds", "inspect", str(source), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _gtfs_profile(source_md: Path, file_name: str) -> dict[str, Any]:
    """The ``  - key: value`` bullets under ``- FILE:`` in a SOURCE.md Profile section."""
    profile: dict[str, Any] = {}
    inside = False
    for line in source_md.read_text(encoding="utf-8").splitlines():
        if line.startswith("- "):
            inside = line.strip() == f"- {file_name}:"
        elif inside and line.startswith("  - "):
            key, _, value = line[4:].partition(": ")
            try:
                profile[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                profile[key] = value
    assert profile, f"no profile for {file_name} in {source_md}"
    return profile


@pytest.mark.parametrize(("folder", "file_name"), GTFS_FILES)
def test_gtfs_inspect_matches_source_profile(dataset: Any, folder: str, file_name: str) -> None:
    summary = _inspect(dataset(folder, file_name))
    profile = _gtfs_profile(dataset(folder, "SOURCE.md"), file_name)
    assert summary["kind"] == "gtfs"
    for key in ("stops", "routes", "trips", "stop_times_rows", "frequencies_rows"):
        assert summary[key] == profile[key], key
    assert summary["service_date_range"] == profile["service_date_range"]
    assert summary["calendar_dates_only"] == profile["calendar_dates_only"]
    assert {str(k): v for k, v in summary["routes_by_type"].items()} == profile["route_types"]
    with zipfile.ZipFile(dataset(folder, file_name)) as archive:
        assert set(summary["files"]) <= {Path(n).name for n in archive.namelist()}


@pytest.mark.parametrize("folder", GBFS_FOLDERS)
def test_gbfs_inspect_matches_source_profile(dataset: Any, folder: str) -> None:
    summary = _inspect(dataset(folder))
    text = dataset(folder, "SOURCE.md").read_text(encoding="utf-8")
    counts = {
        name: int(n) for name, n in re.findall(r"'(stations|bikes|geofencing_zones)': (\d+)", text)
    }
    assert summary["kind"] == "gbfs"
    assert summary["stations"] == counts.get("stations", 0)
    assert summary["free_floating_vehicles"] == counts.get("bikes", 0)
    assert summary["geofencing_zones"] == counts.get("geofencing_zones", 0)


@pytest.mark.parametrize(("folder", "file_name"), OSM_FILES)
def test_osm_inspect_matches_source_profile(dataset: Any, folder: str, file_name: str) -> None:
    summary = _inspect(dataset(folder, file_name))
    text = dataset(folder, "SOURCE.md").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith(f"- {file_name}:"))
    highway_ways = int(re.search(r"highway=(\d+)", line).group(1))  # type: ignore[union-attr]
    assert summary["kind"] == "osm"
    assert summary["osm"]["highway_ways_read"] == highway_ways
    assert summary["walk"]["edges"] > 0 and summary["bike"]["edges"] > 0


def test_human_output_is_a_table(dataset: Any) -> None:
    result = runner.invoke(app, ["feeds", "inspect", str(dataset("gbfs-lillestrom-bysykkel"))])
    assert result.exit_code == 0
    assert "stations" in result.stdout and "2.2" in result.stdout


def test_bad_inputs_exit_2_with_a_readable_message(tmp_path: Path) -> None:
    truncated = tmp_path / "broken.zip"
    truncated.write_bytes(b"PK\x03\x04 not really a zip")
    bad_json = tmp_path / "gbfs"
    bad_json.mkdir()
    (bad_json / "system_information.json").write_text('{"data": {', encoding="utf-8")
    for source, words in [
        (tmp_path / "missing.zip", "no such file"),
        (truncated, "broken.zip"),
        (bad_json, "invalid JSON"),
    ]:
        result = runner.invoke(app, ["feeds", "inspect", str(source)])
        assert result.exit_code == 2, result.output
        assert words in result.stderr
        assert "Traceback" not in result.output


def test_station_information_alone_is_read_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    stations = [{"station_id": "A", "name": "Alpha", "lat": 45.0, "lon": 9.0, "capacity": 4}]
    doc = {"last_updated": 1709625600, "ttl": 60, "version": "2.3", "data": {"stations": stations}}
    (folder / "station_information.json").write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["feeds", "inspect", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["kind"], summary["stations"]) == ("gbfs", 1)
    assert summary["system"]["system_id"] == "registry"
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "only station_information.json" in warned[0]
