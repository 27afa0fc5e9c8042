"""Planning a diary's identical queries once (`maasmix.pricing.demand.jobs.query_groups`)
changes no answer: on the real Helsinki diary scenario (HSL GTFS + OSM + city bikes,
31 transit x bike bundles) the derived usage, each product's value, the mode shift, the
emissions and the chosen itineraries equal those of a run that plans every trip alone,
one `plan_trips` call per trip (the reference, written here).

The sample: 30 trips of `box_diary_frame` plus copies of some of them asking the same
query (other persons, weights and trips per month), one of them arrive-by, spread over
chunks so that a copy and its original are in different chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from maasmix.feeds.demo.diary import box_diary_frame
from maasmix.pricing.demand import diaries as dd
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand
from maasmix.pricing.demand.jobs import NetworkArgs, PlanRun, query_groups
from maasmix.pricing.demand.planning import PlanSpec, plan_trips
from tests.pricing._scenarios import helsinki_diary_scenario

BOX = (24.9360, 60.1650, 24.9525, 60.1785)
PERSONS = 15  # 30 trips
COPIES = 8  # trips asked again by other persons
CHUNK_TRIPS = 7


def _diary() -> pd.DataFrame:
    """30 trips, then copies of 8 of them by new persons (same query, other weights)."""
    frame = box_diary_frame(BOX, persons=PERSONS, seed=5)
    picked = frame.iloc[[0, 3, 4, 9, 16, 17, 22, 29]].copy()
    assert len(picked) == COPIES
    picked["person_id"] = [f"copy{i}" for i in range(COPIES)]
    picked["trip_id"] = [f"copy{i}-1" for i in range(COPIES)]
    picked["weight"] = np.linspace(3.0, 17.0, COPIES)
    picked["trips_per_month"] = np.linspace(2.0, 30.0, COPIES)
    # one arrive-by trip, and its copy: a query of its own
    frame.loc[frame.index[5], ["departure_time", "arrival_time"]] = ["", "12:30:00"]
    again = frame.iloc[[5]].copy()
    again["person_id"], again["trip_id"], again["weight"] = "copy-arr", "copy-arr-1", 7.0
    return pd.concat([frame, picked, again], ignore_index=True)


def _reference_chunks(
    args: NetworkArgs, spec: PlanSpec, trips: pd.DataFrame, folder: Path, **_: Any
) -> PlanRun:
    """The reference: every trip planned alone, one `plan_trips` call each."""
    started = time.perf_counter()
    network = args.build()
    frames, unplanned = [], []
    for i in range(len(trips)):
        frame, missing = plan_trips(network, trips.iloc[[i]], spec)
        frames.append(frame)
        unplanned += missing
    candidates = pd.concat(frames, ignore_index=True)
    return PlanRun(
        candidates=candidates,
        unplanned=unplanned,
        chunks=len(trips),
        chunks_resumed=0,
        trips_planned=len(trips),
        seconds=time.perf_counter() - started,
        workers=0,
        queries=len(trips),
    )


def _scenario(dataset: Callable[..., Path], folder: Path) -> Path:
    data = helsinki_diary_scenario(
        dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
        dataset("osm-helsinki", "Helsinki.osm.pbf"),
        dataset("gbfs-helsinki-hsl"),
        CHUNK_TRIPS,
    )
    folder.mkdir(parents=True, exist_ok=True)
    _diary().to_csv(folder / "diary.csv", index=False)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[DerivedDemand, DerivedDemand]:
    """(grouped, reference): the same scenario derived both ways, in-process."""
    root = tmp_path_factory.mktemp("grouping")
    grouped = derive_demand(_scenario(dataset, root / "grouped"), workers=0, fresh=True)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(dd, "plan_chunks", _reference_chunks)
        reference = derive_demand(_scenario(dataset, root / "reference"), workers=0, fresh=True)
    return grouped, reference


@pytest.mark.slow
def test_grouped_planning_equals_planning_every_trip_alone(
    runs: tuple[DerivedDemand, DerivedDemand],
) -> None:
    grouped, reference = runs
    s = grouped.summary
    assert s["trips"] == 2 * PERSONS + COPIES + 1
    assert s["searches"] == 2 * PERSONS  # every copy answered by its original's search
    assert reference.summary["searches"] == 2 * PERSONS + COPIES + 1
    assert s["trips_planned_now"] == s["trips"]
    assert s["itineraries"] == reference.summary["itineraries"]
    assert s["products"] == 32
    pd.testing.assert_frame_equal(grouped.usage, reference.usage)
    pd.testing.assert_frame_equal(grouped.values, reference.values)
    pd.testing.assert_frame_equal(grouped.persons, reference.persons)
    pd.testing.assert_frame_equal(grouped.mode_shift, reference.mode_shift)
    pd.testing.assert_frame_equal(grouped.emissions, reference.emissions)
    pd.testing.assert_frame_equal(grouped.trips, reference.trips)
    assert grouped.scenario.model_dump(mode="json") == reference.scenario.model_dump(mode="json")
    # the copies are evaluated: they have itineraries and values like their originals
    copies = grouped.persons[grouped.persons["person_id"].str.startswith("copy")]
    assert set(copies["person_id"]) == {f"copy{i}" for i in range(COPIES)} | {"copy-arr"}
    assert (grouped.values["value_minor"] != 0).any()


def _trips(**columns: list[Any]) -> pd.DataFrame:
    n = len(columns["origin_lat"])
    base: dict[str, list[Any]] = {
        "row": list(range(n)),
        "origin_lon": [24.94] * n,
        "destination_lat": [60.17] * n,
        "destination_lon": [24.95] * n,
        "time_s": [28_800] * n,
        "arrive_by": [False] * n,
        "mode_today": ["transit"] * n,
        "rider_category": [None] * n,
    }
    return pd.DataFrame(base | columns)


def _spec(modes: tuple[str, ...]) -> Any:
    class Spec:  # only ``modes`` is read
        pass

    spec = Spec()
    spec.modes = modes  # type: ignore[attr-defined]
    return spec


def test_query_groups_point_at_the_first_trip_of_each_query() -> None:
    lat = [60.16, 60.16, 60.165, 60.16, 60.16, 60.16, 60.16]
    trips = _trips(
        origin_lat=lat,
        time_s=[28_800, 28_800, 28_800, 28_860, 28_800, 28_800, 28_800],
        arrive_by=[False, False, False, False, True, False, False],
        mode_today=["transit", "walk", "transit", "transit", "transit", "car", "transit"],
        rider_category=[None, None, None, None, None, None, "senior"],
    )
    bike = ("WALK", "TRANSIT", "BICYCLE")
    # another latitude, minute, direction, own car or rider category: a query of its own
    assert query_groups(trips, _spec(bike)).tolist() == [0, 0, 2, 3, 4, 5, 6]
    own_bike = _trips(origin_lat=[60.16] * 3, mode_today=["transit", "bicycle", "bicycle"])
    assert query_groups(own_bike, _spec(bike)).tolist() == [0, 1, 1]
    # without BICYCLE in the modes the own bike changes nothing
    assert query_groups(own_bike, _spec(("WALK", "TRANSIT"))).tolist() == [0, 0, 0]
    assert query_groups(own_bike.iloc[:0], _spec(bike)).tolist() == []
