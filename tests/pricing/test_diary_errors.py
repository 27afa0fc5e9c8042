"""Bad diary input: clear errors naming the file, the row and the field.

On the demo city (`maasmix.feeds.demo.write_demo_city`) with its synthetic diary and the
shipped ``demo_diary`` scenario: a missing column, a coordinate outside the network, an
unmapped leg type, a segment with no rows, a segment with both a diary and typed usage,
a missing network file, and ``maasmix bundles demand`` on a bad diary (exit 2, the
place named on stderr, no traceback). None of them plans a trip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from maasmix.api.cli import app
from maasmix.errors import DiaryError, ScenarioError
from maasmix.feeds.demo import write_demo_city, write_demo_diary
from maasmix.feeds.diaries import read_diary
from maasmix.pricing.demand.diaries import derive_demand
from maasmix.pricing.scenario import example_path, load_scenario

DIARY = "demo_diary.csv"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city's network files and a small demo diary (~220 trips)."""
    folder = tmp_path_factory.mktemp("demo-city")
    write_demo_city(folder)
    write_demo_diary(folder / DIARY, persons=120)
    return folder


@pytest.fixture
def demo(city: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo folder with the ``demo_diary`` scenario in it."""
    folder = tmp_path / "demo"
    shutil.copytree(city, folder)
    shutil.copyfile(example_path("demo_diary"), folder / "demo_diary.yaml")
    return folder


def _scenario(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((folder / "demo_diary.yaml").read_text(encoding="utf-8"))
    return data


def _write_scenario(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "demo_diary.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _diary(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / DIARY, dtype=str, keep_default_na=False)


def _write_diary(folder: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / DIARY, index=False)


def test_demo_diary_is_valid(demo: Path) -> None:
    diary = read_diary(demo / DIARY)
    assert set(diary.segments) == {"commuters", "students", "leisure"}
    assert load_scenario(demo / "demo_diary.yaml").planning is not None


@pytest.mark.parametrize("column", ["weight", "origin_lat", "person_id", "trips_per_month"])
def test_missing_column(demo: Path, column: str) -> None:
    _write_diary(demo, _diary(demo).drop(columns=[column]))
    with pytest.raises(DiaryError) as info:
        read_diary(demo / DIARY)
    err = info.value
    assert err.field == column
    assert err.file is not None and err.file.endswith(DIARY)
    assert err.row == 1  # the header line
    assert column in str(err) and DIARY in str(err)
    # the same error through the scenario
    with pytest.raises(DiaryError) as via:
        derive_demand(demo / "demo_diary.yaml", workers=0, store=False)
    assert via.value.field == column and via.value.row == 1


@pytest.mark.parametrize("end", ["origin", "destination"])
def test_coordinate_outside_the_network(demo: Path, end: str) -> None:
    frame = _diary(demo)
    i = 7  # CSV line 9 (header = line 1)
    frame.loc[i, f"{end}_lat"] = "61.5"  # ~150 km north of the demo city
    _write_diary(demo, frame)
    with pytest.raises(DiaryError) as info:
        derive_demand(demo / "demo_diary.yaml", workers=0, store=False)
    err = info.value
    assert err.field == f"{end}_lat"
    assert err.row == i + 2
    assert err.file is not None and err.file.endswith(DIARY)
    assert "outside the network" in str(err)
    assert f"line {i + 2}" in str(err) and f"field '{end}_lat'" in str(err)


def test_unmapped_leg_type_names_the_gbfs_system(demo: Path) -> None:
    system = json.loads((demo / "gbfs" / "system_information.json").read_text())["data"][
        "system_id"
    ]
    data = _scenario(demo)
    data["planning"]["legs"] = [
        {"legs": "transit", "mode": "transit"},
        {"legs": "bicycle_rental", "mode": "bike"},
        {"legs": "walk", "ignore": True},
        {"legs": "bicycle", "ignore": True},
        {"legs": "car", "ignore": True},
    ]  # scooter_rental neither mapped nor ignored
    path = _write_scenario(demo, data)
    with pytest.raises(ScenarioError) as info:
        derive_demand(path, workers=0, store=False)
    err = info.value
    assert err.field == "planning.legs"
    assert "scooter_rental" in str(err) and repr(system) in str(err)
    # ignoring them is enough to pass the check (then the typo below is the error)
    data["planning"]["legs"].append({"legs": "scooter_rental", "ignore": True})
    data["planning"]["network"]["gtfs"] = ["no_such_feed.zip"]
    with pytest.raises(ScenarioError) as later:
        derive_demand(_write_scenario(demo, data), workers=0, store=False)
    assert later.value.field == "planning.network.gtfs.0"


def test_segment_with_no_rows(demo: Path) -> None:
    data = _scenario(demo)
    data["segments"]["tourists"] = {
        "diary": DIARY,
        "choice": {"price_sensitivity": 0.1, "asc": -1.0},
    }
    path = _write_scenario(demo, data)
    with pytest.raises(DiaryError) as info:
        derive_demand(path, workers=0, store=False)
    err = info.value
    assert err.field == "segment"
    assert err.file is not None and err.file.endswith(DIARY)
    assert "'tourists'" in str(err)
    for sid in ("commuters", "students", "leisure"):
        assert sid in str(err)


def test_diary_and_usage_on_one_segment(demo: Path) -> None:
    data = _scenario(demo)
    data["segments"]["students"]["usage"] = {"transit": {"payg": 20, "bundle": 24}}
    path = _write_scenario(demo, data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.field == "segments.students.usage"
    assert err.file is not None and err.file.endswith("demo_diary.yaml")
    assert err.row is not None  # the YAML line


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("gtfs", ["missing_gtfs.zip"], "planning.network.gtfs.0"),
        ("osm", "missing.osm.pbf", "planning.network.osm"),
        ("gbfs", ["gbfs", "missing_gbfs"], "planning.network.gbfs.1"),
    ],
)
def test_missing_network_file(demo: Path, key: str, value: Any, field: str) -> None:
    data = _scenario(demo)
    data["planning"]["network"][key] = value
    path = _write_scenario(demo, data)
    with pytest.raises(ScenarioError) as info:
        derive_demand(path, workers=0, store=False)
    assert info.value.field == field
    assert "missing" in str(info.value)


def test_missing_diary_file(demo: Path) -> None:
    data = _scenario(demo)
    data["segments"]["leisure"]["diary"] = "no_such_diary.csv"
    path = _write_scenario(demo, data)
    with pytest.raises(ScenarioError) as info:
        derive_demand(path, workers=0, store=False)
    assert info.value.field == "segments.leisure.diary"


def test_cli_demand_on_a_bad_diary_exits_2(demo: Path) -> None:
    frame = _diary(demo)
    frame.loc[3, "weight"] = "heavy"  # CSV line 5
    _write_diary(demo, frame)
    result = CliRunner().invoke(
        app, ["bundles", "demand", str(demo / "demo_diary.yaml"), "--workers", "0"]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error:")  # no empty line left by a progress bar
    assert DIARY in result.stderr
    assert "line 5" in result.stderr and "field 'weight'" in result.stderr
    assert "Traceback" not in result.output
    assert not (demo / "demo_diary.demand" / "summary.json").exists()


def test_cli_demand_on_a_missing_column_exits_2(demo: Path) -> None:
    _write_diary(demo, _diary(demo).drop(columns=["destination_lon"]))
    result = CliRunner().invoke(
        app, ["bundles", "demand", str(demo / "demo_diary.yaml"), "--workers", "0"]
    )
    assert result.exit_code == 2, result.output
    assert DIARY in result.stderr and "field 'destination_lon'" in result.stderr
    assert "line 1" in result.stderr
