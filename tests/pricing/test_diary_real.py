"""Diary planning on a real feed: Helsinki (HSL GTFS + city bikes + OSM), synthetic diary.

One module-scoped run plans 200 round-trip legs of `box_diary_frame` against the 31
generated transit x bike bundles (deterministic choice: ``cost.scale`` omitted, so a
trip takes its cheapest itinerary; only a monthly allowance may split a trip's
occurrences between itineraries, listed with their ``share``), in-process; the other
tests copy its folder or run again beside it and compare:

- the derived usage per segment, product and mode is the sum over the chosen
  itineraries (read back from the stored chunk files) of weight x trips per month x
  share x units, over the segment's size; bike units start and end at GBFS stations, transit
  units are one per itinerary with a transit leg;
- 1 and 2 Dask workers give the same demand as planning in-process;
- a resumed run (chunk files removed, or a real interrupt) equals an uninterrupted one;
- the optimiser's result on the derived scenario, on the stored ``demand.yaml`` and on a
  plain scenario typed from the derived numbers is the same;
- unchanged inputs read the stored demand; a changed diary is planned again.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from maasmix.errors import FeedWarning
from maasmix.feeds.demo.diary import box_diary_frame
from maasmix.feeds.diaries import read_diary
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand, store_folder
from maasmix.pricing.scenario import Scenario, load_scenario, validate_scenario
from maasmix.pricing.solve.objectives import optimise
from tests.pricing._scenarios import helsinki_diary_scenario

pytestmark = pytest.mark.slow

BOX = (24.9360, 60.1650, 24.9525, 60.1785)  # (west, south, east, north), central Helsinki
PERSONS = 100  # 200 trips (out and back)
CHUNK_TRIPS = 50  # 4 chunks
SYSTEM_ID = "HSL_FI_Helsinki"
MODES = ("transit", "bike")


@dataclass(frozen=True)
class Run:
    """A planned scenario: its folder, scenario file and dict, and the derived demand."""

    folder: Path
    scenario_path: Path
    data: dict[str, Any]
    demand: DerivedDemand
    gtfs: Path
    osm: Path
    gbfs: Path


def _write(folder: Path, data: dict[str, Any], diary: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    diary.to_csv(folder / "diary.csv", index=False)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The reference run: in-process (workers=0), fresh, stored beside the scenario."""
    gtfs = dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")
    osm = dataset("osm-helsinki", "Helsinki.osm.pbf")
    gbfs = dataset("gbfs-helsinki-hsl")
    data = helsinki_diary_scenario(gtfs, osm, gbfs, CHUNK_TRIPS)
    folder = tmp_path_factory.mktemp("hel")
    path = _write(folder, data, box_diary_frame(BOX, persons=PERSONS, seed=3))
    demand = derive_demand(path, workers=0, fresh=True)
    return Run(folder, path, data, demand, gtfs, osm, gbfs)


def _candidates(demand: DerivedDemand) -> pd.DataFrame:
    """Every stored candidate (all chunk files of the run's plans folder)."""
    assert demand.folder is not None
    plans = sorted(demand.folder.glob("plans-*"))
    assert len(plans) == 1, plans
    files = sorted(plans[0].glob("chunk-*.parquet"))
    assert len(files) == -(-2 * PERSONS // CHUNK_TRIPS)
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame[frame["cand"] >= 0]


def _product(names: Any, **levels: str) -> str:
    """The product name that includes exactly ``levels`` (names like ``a:1+b:unlimited``)."""
    want = {f"{m}:{v}" for m, v in levels.items()}
    found = {str(n) for n in names if set(str(n).split("+")) == want}
    assert len(found) == 1, (want, found)
    return found.pop()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst / "scenario.yaml"


def _same(a: DerivedDemand, b: DerivedDemand) -> None:
    """The derived demand of two runs is identical (tables and derived scenario)."""
    pd.testing.assert_frame_equal(a.usage, b.usage)
    pd.testing.assert_frame_equal(a.mode_shift, b.mode_shift)
    pd.testing.assert_frame_equal(a.emissions, b.emissions)
    pd.testing.assert_frame_equal(a.trips, b.trips)
    assert a.scenario.model_dump(mode="json") == b.scenario.model_dump(mode="json")


def test_shape_of_the_run(run: Run) -> None:
    s = run.demand.summary
    assert s["trips"] == 2 * PERSONS
    assert s["products"] == 32  # pay as you go + 31 candidate bundles
    assert s["chunks"] == 4 and s["chunks_resumed"] == 0
    assert s["trips_planned_now"] == 2 * PERSONS
    for sid in ("residents", "visitors"):
        derived = run.demand.scenario.segments[sid].derived
        assert derived is not None and len(derived) == 31
        assert _product(derived, transit="unlimited", bike="unlimited") in derived


def test_usage_is_the_sum_of_the_chosen_itineraries(run: Run) -> None:
    demand = run.demand
    cands = _candidates(demand).set_index(["row", "cand"])
    diary = read_diary(run.folder / "diary.csv").trips.set_index("row")
    chosen = demand.trips.join(
        cands[[f"units:{m}" for m in MODES] + ["combination"]],
        on=["row", "cand"],
        rsuffix="_stored",
    )
    assert chosen["combination_stored"].notna().all()
    assert (chosen["combination"] == chosen["combination_stored"]).all()
    chosen = chosen.join(diary[["weight", "trips_per_month", "person_id"]], on="row")
    usage = demand.usage.set_index(["segment", "product", "mode"])["per_traveller"]
    n_products = 0
    for (sid, product), group in chosen.groupby(["segment", "product"]):
        n_products += 1
        seg_rows = diary[diary["segment"] == sid]
        planned = set(cands.index.get_level_values("row")) & set(seg_rows.index)
        assert set(group["row"]) == planned  # every planned trip takes itineraries
        shares = group.groupby("row")["share"].sum()
        assert shares.to_numpy() == pytest.approx(1.0, abs=1e-6)  # ... all of its occurrences
        size = seg_rows.drop_duplicates("person_id")["weight"].sum()
        seg = demand.scenario.segments[sid]
        for m in MODES:
            expected = float(
                (
                    group["weight"]
                    * group["trips_per_month"]
                    * group["share"]
                    * group[f"units:{m}"]
                ).sum()
                / size
            )
            assert usage[(sid, product, m)] == pytest.approx(expected, rel=1e-9, abs=1e-7)
            if product == "":
                assert seg.usage is not None
                typed = seg.usage[m].payg
            else:
                assert seg.derived is not None
                typed = seg.derived[str(product)].usage.get(m, 0.0)
            assert typed == pytest.approx(expected, abs=1e-5)
        assert seg.size == pytest.approx(size, abs=1e-5)
    assert n_products == 2 * 32
    # free bike minutes never make anyone ride less
    unlimited_bike = _product(usage.index.get_level_values("product"), bike="unlimited")
    for sid in ("residents", "visitors"):
        assert usage[(sid, unlimited_bike, "bike")] >= usage[(sid, "", "bike")]
    assert usage[("residents", "", "bike")] > 0


def test_transit_units_are_one_per_itinerary_with_transit(run: Run) -> None:
    cands = _candidates(run.demand)
    has_transit = cands["combination"].str.contains("TRANSIT")
    assert has_transit.any() and (~has_transit).any()
    assert (cands.loc[has_transit, "units:transit"] == 1.0).all()
    assert (cands.loc[~has_transit, "units:transit"] == 0.0).all()
    has_rental = cands["combination"].str.contains("BICYCLE_RENTAL")
    assert (cands.loc[has_rental, "units:bike"] > 0).all()
    assert (cands.loc[~has_rental, "units:bike"] == 0.0).all()


def test_bike_legs_start_and_end_at_gbfs_stations(run: Run) -> None:
    """Replan the trips that have an itinerary riding city bikes (the chosen ones among
    them): the same itineraries come back; every leg counted as ``bike`` is a rental of
    the HSL system from and to stations of the snapshot, its minutes are the stored bike
    units; the transit unit is 1 exactly when the itinerary has a transit leg."""
    from maasmix.engine.network import Network
    from maasmix.pricing.demand.planning import plan_spec

    info = json.loads((run.gbfs / "station_information.json").read_text(encoding="utf-8"))
    stations = {str(s["station_id"]) for s in info["data"]["stations"]}
    cands = _candidates(run.demand)
    rows = sorted(set(cands.loc[cands["units:bike"] > 0, "row"]))
    chosen = run.demand.trips.join(
        cands.set_index(["row", "cand"])["units:bike"], on=["row", "cand"]
    )
    chosen_biking = set(chosen.loc[chosen["units:bike"] > 0, "row"])
    assert chosen_biking and len(rows) >= 5, "too few itineraries ride a city bike"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=[run.gtfs],
            osm=run.osm,
            gbfs=[run.gbfs],
            date="2022-02-22",
            fare_contains="subset",
        )
    scn = load_scenario(run.scenario_path)
    spec = plan_spec(scn, net, "diary.csv")
    diary = read_diary(run.folder / "diary.csv").trips.set_index("row")
    midnight = dt.datetime.combine(net.date, dt.time())
    by_row = cands.set_index(["row", "cand"])
    rides = 0
    for row in rows:
        t = diary.loc[row]
        modes = spec.modes
        if t["mode_today"] != "bicycle":
            modes = tuple(m for m in spec.modes if m != "BICYCLE")
        plan = net.plan(
            (float(t["origin_lat"]), float(t["origin_lon"])),
            (float(t["destination_lat"]), float(t["destination_lon"])),
            midnight + dt.timedelta(seconds=int(t["time_s"])),
            arrive_by=bool(t["arrive_by"]),
            modes=modes,
            money=False,
            num_itineraries=spec.num_itineraries,
            assume_available=spec.assume_available,
        )
        for cand, journey in enumerate(plan.itineraries):
            stored = by_row.loc[(row, cand)]
            assert journey.combination == stored["combination"]
            bike = [leg for leg in journey.legs if spec.mapping.mode_of(leg) == "bike"]
            for leg in bike:
                assert leg.rental is not None and leg.rental.system_id == SYSTEM_ID
                assert leg.rental.from_station_id in stations
                assert leg.rental.to_station_id in stations
                rides += 1
            minutes = sum(leg.duration_s for leg in bike) / 60.0
            assert stored["units:bike"] == pytest.approx(minutes)
            transit = any(leg.is_transit for leg in journey.legs)
            assert stored["units:transit"] == (1.0 if transit else 0.0)
    assert rides >= len(rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_dask_workers_give_identical_demand(run: Run, workers: int, tmp_path: Path) -> None:
    path = _write(tmp_path, run.data, box_diary_frame(BOX, persons=PERSONS, seed=3))
    demand = derive_demand(path, workers=workers, fresh=True)
    assert demand.summary["workers"] == workers
    assert demand.summary["chunks_resumed"] == 0
    _same(demand, run.demand)


def test_resume_after_lost_chunks_equals_uninterrupted(run: Run, tmp_path: Path) -> None:
    path = _copy(run.folder, tmp_path / "copy")
    folder = store_folder(path)
    (plans,) = folder.glob("plans-*")
    chunks = sorted(plans.glob("chunk-*.parquet"))
    for f in (chunks[1], chunks[3]):
        f.unlink()  # unfinished chunks have no file
    (folder / "summary.json").unlink()
    demand = derive_demand(path, workers=0)
    assert demand.summary.get("loaded") is not True
    assert demand.summary["chunks_resumed"] == 2
    assert demand.summary["trips_planned_now"] == 2 * CHUNK_TRIPS
    _same(demand, run.demand)


def test_resume_after_interrupt_equals_uninterrupted(run: Run, tmp_path: Path) -> None:
    path = _write(tmp_path, run.data, box_diary_frame(BOX, persons=PERSONS, seed=3))
    seen: list[int] = []

    def interrupt(done: int, total: int) -> None:
        seen.append(done)
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        derive_demand(path, workers=0, on_progress=interrupt)
    assert seen == [0, CHUNK_TRIPS]
    folder = store_folder(path)
    assert not (folder / "summary.json").exists()
    (plans,) = folder.glob("plans-*")
    assert len(list(plans.glob("chunk-*.parquet"))) == 1
    demand = derive_demand(path, workers=0)
    assert demand.summary["chunks_resumed"] == 1
    assert demand.summary["trips_planned_now"] == 2 * PERSONS - CHUNK_TRIPS
    _same(demand, run.demand)


def _outcome(scenario: Scenario) -> dict[str, Any]:
    result = optimise(scenario).to_dict()
    result.pop("solve")
    return result


def test_bridge_adds_no_hidden_modelling(run: Run) -> None:
    demand = run.demand
    assert demand.folder is not None
    stored = load_scenario(demand.folder / "demand.yaml")
    # a plain scenario typed by hand from the derived numbers
    data = {k: v for k, v in run.data.items() if k != "planning"}
    usage = demand.usage.set_index(["segment", "product", "mode"])["per_traveller"]
    diary = read_diary(run.folder / "diary.csv").trips
    segments: dict[str, Any] = {}
    for sid, seg in run.data["segments"].items():
        derived = demand.scenario.segments[sid].derived
        assert derived is not None
        persons = diary[diary["segment"] == sid].drop_duplicates("person_id")
        segments[sid] = {
            "size": round(float(persons["weight"].sum()), 6),
            "usage": {m: {"payg": round(float(usage[(sid, "", m)]), 6)} for m in MODES},
            "derived": {
                name: {
                    "usage": {m: round(float(usage[(sid, name, m)]), 6) for m in MODES},
                    "value": fig.value,
                }
                for name, fig in derived.items()
            },
            "choice": seg["choice"],
        }
    data["segments"] = segments
    typed = validate_scenario(yaml.safe_load(yaml.safe_dump(data, sort_keys=False)))
    reference = _outcome(demand.scenario)
    assert reference["feasible"] and reference["menu"]
    assert _outcome(stored) == reference
    assert _outcome(typed) == reference


def test_unchanged_inputs_read_the_stored_demand(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(run.folder, tmp_path / "copy")
    import maasmix.pricing.demand.diaries as dd

    def no_planning(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("planned although nothing changed")

    with monkeypatch.context() as m:
        m.setattr(dd, "plan_chunks", no_planning)
        loaded = derive_demand(path, workers=0)
    assert loaded.summary["loaded"] is True
    _same(loaded, run.demand)
    # a changed diary (the first half of its persons) is planned again
    diary = pd.read_csv(path.parent / "diary.csv", dtype=str, keep_default_na=False)
    keep = diary["person_id"].isin(diary["person_id"].unique()[: PERSONS // 2])
    diary[keep].to_csv(path.parent / "diary.csv", index=False)
    again = derive_demand(path, workers=0)
    assert again.summary.get("loaded") is not True
    assert again.summary["trips"] == PERSONS
    assert again.summary["trips_planned_now"] == PERSONS
    assert again.summary["chunks_resumed"] == 0
    assert len(list(store_folder(path).glob("plans-*"))) == 2


def test_fresh_plans_again(run: Run, tmp_path: Path) -> None:
    """``fresh=True`` plans every trip again: no stored chunk is resumed."""
    path = _copy(run.folder, tmp_path / "copy")
    demand = derive_demand(path, workers=0, fresh=True)
    assert demand.summary.get("loaded") is not True
    assert demand.summary["chunks_resumed"] == 0
    assert demand.summary["trips_planned_now"] == 2 * PERSONS
    _same(demand, run.demand)
