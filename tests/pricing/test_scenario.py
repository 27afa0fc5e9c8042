"""Scenario files: examples load, errors name file, line and field, the schema is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maasmix.errors import ScenarioError, ScenarioMissingError
from maasmix.money import rate_to_minor, to_minor
from maasmix.pricing.demand.typed import DemandClass, demand_from_scenario
from maasmix.pricing.scenario import (
    example_names,
    example_path,
    load_scenario,
    parse_scenario,
    scenario_json_schema,
)
from maasmix.pricing.scenario.candidates import candidate_bundles

SCHEMA = Path(__file__).resolve().parents[2] / "pricing" / "schema" / "scenario.schema.json"


def test_examples_load() -> None:
    assert {"demo_city", "hand_check"} <= set(example_names())
    demo = load_scenario(example_path("demo_city"))
    assert demo.currency == "EUR" and demo.sources
    assert len(candidate_bundles(demo)) == 11
    classes = demand_from_scenario(demo)
    assert all(isinstance(c, DemandClass) for c in classes)
    # commuters: 2 latent classes; occasional: 3 mixed-logit draws
    assert len(classes) == 2 + 1 + 3 + 1
    sizes = {c.segment: 0.0 for c in classes}
    for c in classes:
        sizes[c.segment] += c.size
    assert sizes == pytest.approx({s: seg.size for s, seg in demo.segments.items()})


def test_schema_file_is_up_to_date() -> None:
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == scenario_json_schema(), "regenerate pricing/schema/scenario.schema.json"


def test_money_conversion() -> None:
    assert to_minor(49.0, "EUR") == 4900
    assert to_minor(0.1 + 0.2, "EUR") == 30
    assert to_minor(500, "JPY") == 500
    assert rate_to_minor(0.045, "EUR") == pytest.approx(4.5)


def test_bad_value_names_line_and_field() -> None:
    text = (example_path("hand_check")).read_text(encoding="utf-8")
    bad = text.replace("payg: 3.00", "payg: -3.00")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(bad, file="s.yaml")
    err = info.value
    assert err.file == "s.yaml"
    assert err.field == "modes.transit.payg"
    line = next(i for i, ln in enumerate(bad.splitlines(), 1) if "payg: -3.00" in ln)
    assert err.row == line


def test_unknown_mode_is_integrity_error_with_line() -> None:
    text = (example_path("hand_check")).read_text(encoding="utf-8")
    bad = text.replace("taste: {transit: 0.1, bike: 0.01}", "taste: {transit: 0.1, boat: 0.01}")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(bad, file="s.yaml")
    assert info.value.field == "segments.residents.choice.taste.boat"
    assert info.value.row == next(i for i, ln in enumerate(bad.splitlines(), 1) if "boat" in ln)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario("name: [unclosed\n", file="x.yaml")
    assert info.value.row is not None
    with pytest.raises(ScenarioMissingError):
        load_scenario(tmp_path / "nope.yaml")


def test_class_weights_must_sum_to_one() -> None:
    text = (example_path("demo_city")).read_text(encoding="utf-8")
    bad = text.replace("{name: convenience, weight: 0.4", "{name: convenience, weight: 0.3")
    with pytest.raises(ScenarioError, match="sum"):
        parse_scenario(bad)


def test_generated_candidates_and_ladder() -> None:
    from maasmix.pricing.scenario.candidates import ladder_pairs

    demo = load_scenario(example_path("demo_city"))
    bundles = candidate_bundles(demo)
    names = [b.name for b in bundles]
    assert "transit:unlimited+bike:300+scooter:60" in names
    assert "Urban (Whim-like)" in names
    assert "transit:unlimited+bike:300" not in names  # same content as the listed bundle
    assert all(len(b.prices) == 21 and b.prices[0] == 2000 for b in bundles)
    pairs = ladder_pairs(bundles)
    big = names.index("transit:unlimited+bike:unlimited+scooter:60")
    assert all((big, j) in pairs for j in range(len(bundles)) if j != big)
