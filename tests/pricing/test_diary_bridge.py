"""The bridge from diaries to the optimiser on the demo city: the derived scenario is a
plain scenario with nothing hidden, and its figures add up to the planned trips."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from maasmix.errors import ScenarioError
from maasmix.feeds.demo import write_demo_city
from maasmix.feeds.demo.diary import demo_diary_frame
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand
from maasmix.pricing.demand.typed import demand_from_scenario, product_key
from maasmix.pricing.scenario import example_path, load_scenario, validate_scenario
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.objectives import optimise

PERSONS = 150


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_demo_city(root)
    demo_diary_frame(persons=PERSONS).to_csv(root / "demo_diary.csv", index=False)
    return root


def _scenario_data(**cost: Any) -> dict[str, Any]:
    data = yaml.safe_load(example_path("demo_diary").read_text(encoding="utf-8"))
    data["planning"]["cost"].update(cost)
    data["planning"]["cost"] = {k: v for k, v in data["planning"]["cost"].items() if v is not None}
    data["solver"] = {"name": "AUTO", "time_limit_s": 20}
    return data


@pytest.fixture(scope="module")
def derived(city: Path, tmp_path_factory: pytest.TempPathFactory) -> DerivedDemand:
    folder = tmp_path_factory.mktemp("scenario")
    for name in ("demo_city_gtfs.zip", "demo_city.osm.pbf", "demo_diary.csv"):
        (folder / name).symlink_to(city / name)
    shutil.copytree(city / "gbfs", folder / "gbfs")
    path = folder / "demo_diary.yaml"
    text = yaml.safe_dump(_scenario_data(scale=None), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return derive_demand(path, workers=0)


@pytest.mark.slow
def test_derived_scenario_optimises_like_its_stored_file(derived: DerivedDemand) -> None:
    assert derived.folder is not None
    stored = load_scenario(derived.folder / "demand.yaml")
    assert stored == derived.scenario
    a, b = optimise(derived.scenario), optimise(stored)
    assert a.solve.status == b.solve.status == "optimal"
    assert [(m.bundle, m.price_minor) for m in a.menu] == [
        (m.bundle, m.price_minor) for m in b.menu
    ]
    assert a.profit_minor == b.profit_minor


@pytest.mark.slow
def test_segment_sizes_and_usage_add_up_to_the_chosen_itineraries(
    derived: DerivedDemand, city: Path
) -> None:
    diary = pd.read_csv(city / "demo_diary.csv")
    people = diary.drop_duplicates("person_id")
    assert derived.folder is not None
    plans = sorted(derived.folder.glob("plans-*"))
    cands = pd.concat([pd.read_parquet(p) for d in plans for p in sorted(d.glob("*.parquet"))])
    cands = cands[cands["cand"] >= 0].set_index(["row", "cand"])
    trips = derived.trips
    rows = diary.assign(row=np.arange(len(diary)) + 2)  # CSV line numbers
    freq = rows.set_index("row")["trips_per_month"]
    weight = rows.set_index("row")["weight"]
    for sid, seg in derived.scenario.segments.items():
        size = people.loc[people["segment"] == sid, "weight"].sum()
        assert seg.size == pytest.approx(size)
        for product in ("", "transit:unlimited", "bike:60", "transit:unlimited+bike:300"):
            chosen = trips[(trips["segment"] == sid) & (trips["product"] == product)]
            picked = cands.loc[list(zip(chosen["row"], chosen["cand"], strict=True))]
            w = (weight[chosen["row"]] * freq[chosen["row"]]).to_numpy() * chosen["share"]
            for mode in ("transit", "bike", "scooter"):
                expect = float(w @ picked[f"units:{mode}"].to_numpy()) / size
                derived_usage = seg.derived[product].usage if product else None  # type: ignore[index]
                got = derived_usage[mode] if derived_usage else seg.usage[mode].payg  # type: ignore[index]
                assert got == pytest.approx(expect, abs=1e-5), (sid, product, mode)
            # CO2e: the chosen itineraries' grams, per traveller
            co2 = derived.emissions.set_index(["segment", "product"]).loc[(sid, product)]
            assert co2["kg"] == pytest.approx(float(w @ picked["co2e_g"].to_numpy()) / size / 1000)


@pytest.mark.slow
def test_mode_shift_moves_trips_without_losing_any(derived: DerivedDemand) -> None:
    shift = derived.mode_shift
    for (sid, product), rows in shift.groupby(["segment", "product"]):
        assert rows["change"].sum() == pytest.approx(0.0, abs=1e-6), (sid, product)
        assert rows["trips"].sum() == pytest.approx(rows["payg_trips"].sum())
    # unlimited transit moves trips to transit, never away from it
    t = shift[(shift["product"] == "transit:unlimited") & (shift["main"] == "transit")]
    assert (t["change"] >= 0).all() and t["change"].sum() > 0


def test_derived_figures_drive_utility_and_usage() -> None:
    data = yaml.safe_load(example_path("hand_check").read_text(encoding="utf-8"))
    seg = data["segments"]["residents"]
    seg["choice"].pop("taste")
    seg["derived"] = {
        "Transit": {"usage": {"transit": 30.0}, "value": 25.0},
        "Transit + Bike": {"usage": {"transit": 28.0, "bike": 90.0}, "value": 31.5},
    }
    scn = validate_scenario(data)
    (cls,) = demand_from_scenario(scn)
    beta = 0.05 / 100  # utils per cent
    transit = {"transit": math.inf}
    both = {"transit": math.inf, "bike": 60.0}
    assert cls.bundle_utility(transit, 7000.0) == pytest.approx(-1.0 + beta * (2500 - 7000))
    assert cls.bundle_utility(both, 8000.0) == pytest.approx(-1.0 + beta * (3150 - 8000))
    assert cls.usage_with("bike", both) == 90.0 and cls.usage_with("bike", transit) == 0.0
    assert cls.usage_with("transit", {}) == 20.0  # paying as you go: the typed usage
    inst = compile_instance(scn)
    b = [x.name for x in inst.bundles].index("Transit + Bike")
    assert inst.bundle_units[0, b].tolist() == [28.0, 90.0]
    assert product_key(both) == (("bike", 60.0), ("transit", math.inf))


def test_diary_segments_validate_what_they_need() -> None:
    data = _scenario_data()
    data["segments"]["students"]["usage"] = {"transit": {"payg": 3}}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert err.value.field == "segments.students.usage"
    data = _scenario_data()
    data.pop("planning")
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert err.value.field == "segments.commuters.diary"
    data = _scenario_data()
    data["planning"]["legs"][0]["mode"] = "tram"
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert err.value.field == "planning.legs.0.mode.tram"
    # a diary scenario cannot be optimised before it is planned
    scn = validate_scenario(_scenario_data())
    with pytest.raises(ScenarioError) as err:
        optimise(scn)
    assert err.value.field == "segments.commuters.diary"
    # derived figures must name a candidate bundle or an offer
    hand = yaml.safe_load(example_path("hand_check").read_text(encoding="utf-8"))
    hand["segments"]["residents"]["choice"].pop("taste")
    hand["segments"]["residents"]["derived"] = {"Nope": {"usage": {}, "value": 1.0}}
    with pytest.raises(ScenarioError) as err:
        demand_from_scenario(validate_scenario(hand))
    assert err.value.field == "segments.residents.derived.Nope"


@pytest.mark.slow
def test_values_are_the_persons_weighted_savings(derived: DerivedDemand) -> None:
    values = derived.values.set_index(["segment", "product"])
    persons = derived.persons
    for sid, seg in derived.scenario.segments.items():
        assert seg.derived is not None
        mine = persons[persons["segment"] == sid]
        payg = mine[mine["product"] == ""]
        assert (payg["value_minor"] == 0).all()
        assert payg["weight"].sum() == pytest.approx(seg.size)
        for product, figures in seg.derived.items():
            rows = mine[mine["product"] == product]
            mean = float(rows["weight"] @ rows["value_minor"]) / float(rows["weight"].sum())
            assert values.loc[(sid, product), "value_minor"] == pytest.approx(mean)
            assert figures.value == pytest.approx(mean / 100, abs=1e-6)  # EUR
            # an unlimited product never makes the trips' spending higher
            if "transit:unlimited" in product:
                spend = values.loc[(sid, product), "spend_minor"]
                assert spend <= values.loc[(sid, ""), "spend_minor"] + 1e-9


@pytest.mark.slow
def test_unlimited_transit_saves_exactly_the_fares_of_unchanged_transit_trips(
    derived: DerivedDemand, city: Path
) -> None:
    assert derived.folder is not None
    plans = sorted(derived.folder.glob("plans-*"))
    cands = pd.concat([pd.read_parquet(p) for d in plans for p in sorted(d.glob("*.parquet"))])
    cands = cands[cands["cand"] >= 0].set_index(["row", "cand"])
    diary = pd.read_csv(city / "demo_diary.csv").assign(row=lambda f: np.arange(len(f)) + 2)
    freq = diary.set_index("row")["trips_per_month"]
    person_of = diary.set_index("row")["person_id"]
    trips = derived.trips
    payg = trips[trips["product"] == ""].set_index("row")["cand"]
    with_t = trips[trips["product"] == "transit:unlimited"].set_index("row")["cand"]
    persons = derived.persons
    values = persons[persons["product"] == "transit:unlimited"].set_index("person_id")
    checked = 0
    for person, rows in diary.groupby("person_id")["row"]:
        if not all(payg[r] == with_t[r] for r in rows):
            continue  # a trip changed itinerary: the saving is more than the fares
        fares = sum(freq[r] * cands.loc[(r, payg[r]), "money:transit"] for r in rows)
        assert values.loc[person, "value_minor"] == pytest.approx(fares), person
        checked += fares > 0
    assert checked >= 10  # persons who ride transit and keep their itineraries
    # and nobody loses from unlimited transit
    assert (values["value_minor"] >= -1e-9).all()
    assert set(person_of) == set(values.index)


def test_generated_names_in_another_mode_order_name_the_same_bundle() -> None:
    data = yaml.safe_load(example_path("hand_check").read_text(encoding="utf-8"))
    data["candidates"] = {
        "prices": {"min": 70, "max": 90, "step": 10},
        "generate": {"levels": {"transit": [0, "unlimited"], "bike": [0, 60]}},
    }
    seg = data["segments"]["residents"]
    seg["choice"].pop("taste")
    seg["derived"] = {"bike:60+transit:unlimited": {"usage": {"bike": 55.0}, "value": 12.0}}
    (cls,) = demand_from_scenario(validate_scenario(data))
    assert cls.usage_with("bike", {"transit": math.inf, "bike": 60.0}) == 55.0


def test_identical_queries_are_planned_once_and_answered_alike(city: Path) -> None:
    from maasmix.engine.network import Network
    from maasmix.feeds.diaries import diary_from_frame
    from maasmix.pricing.demand.planning import plan_spec, plan_trips

    frame = demo_diary_frame(persons=4)
    twins = pd.concat([frame, frame.assign(person_id=frame["person_id"] + "b")])
    twins["trip_id"] = [f"t{i}" for i in range(len(twins))]
    diary = diary_from_frame(twins.reset_index(drop=True))
    net = Network.from_files(
        gtfs=[city / "demo_city_gtfs.zip"],
        osm=city / "demo_city.osm.pbf",
        gbfs=[city / "gbfs"],
        date="2026-03-10",
        use_cache=False,
    )
    spec = plan_spec(validate_scenario(_scenario_data()), net, "twins.csv")
    calls = []
    real = net.plan

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    net.plan = counting  # type: ignore[method-assign]
    cands, unplanned = plan_trips(net, diary.trips, spec)
    n = len(frame)
    assert len(calls) == n and not unplanned
    first = cands[cands["row"] <= n].drop(columns="row").reset_index(drop=True)
    second = cands[cands["row"] > n].drop(columns="row").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second)
