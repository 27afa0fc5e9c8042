"""The scenario JSON Schema is as strict as `validate_scenario` wherever a JSON Schema can
say it: at each stated bound (max, max + 1; min, min - 1; read from the schema for the
numbers of `NUMBERS`, with hypothesis drawing others) both accept or both refuse, the
currency enum is the list `maasmix.money` accepts, and the shipped examples are
schema-valid. What remains for the validator alone (references between modes, offers,
segments and operators, unique names within a list, class weights summing to 1, a grid's
max below its min, sizes) is listed in `SEMANTIC_CASES`."""

from __future__ import annotations

import copy
import itertools
import json
import string
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from maasmix.errors import ScenarioError
from maasmix.money import currency_codes, is_currency
from maasmix.pricing.scenario import EXAMPLES, example_path, validate_scenario

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "pricing" / "schema" / "scenario.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def _as_json(path: Path) -> dict[str, Any]:
    """A YAML scenario as a JSON body would carry it (dates as ISO strings)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return out


BASE = _as_json(example_path("hand_check"))


def _with(path: str, value: Any) -> dict[str, Any]:
    """``BASE`` with the dotted ``path`` set to ``value`` (list indexes as digits)."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def _schema_ok(data: dict[str, Any]) -> bool:
    return VALIDATOR.is_valid(data)


def _code_error(data: dict[str, Any]) -> ScenarioError | None:
    try:
        validate_scenario(data, file="test")
    except ScenarioError as exc:
        return exc
    return None


_PLANNING = {"network": {"date": "2026-01-05"}, "cost": {"value_of_time": 12.0}}
_CLASS = {"name": "all", "weight": 1.0}
_GRID = {"min": 10, "max": 20, "step": 5}
_DIARY_SEGMENT = {"diary": "trips.csv", "choice": {"price_sensitivity": 0.05}}

#: (dotted path, value, accepted): each bound the schema states, on both sides.
BOUNDS: list[tuple[str, Any, bool]] = [
    ("name", "n" * 80, True),
    ("name", "n" * 81, False),
    ("name", "", False),
    ("currency", "JPY", True),
    ("currency", "KWD", True),
    ("currency", "", False),
    ("currency", "eur", False),
    ("currency", "XAU", False),
    ("currency", "EURO", False),
    ("extra", 1, False),
    ("modes", {}, False),
    ("segments", {}, False),
    ("modes.transit.operator", "o" * 80, True),
    ("modes.transit.operator", "o" * 81, False),
    ("modes.transit.payg", 0, True),
    ("modes.transit.payg", -0.01, False),
    ("modes.transit.payg", 10**400, False),
    ("modes.transit.payg", 1.7976931348623157e308, True),
    ("segments.residents.choice.asc", -(10**400), False),
    ("segments.residents.choice.taste.bike", 10**309, False),
    ("candidates.listed.0.includes.transit", 10**309, False),
    ("policy.menu_size", 10**30, True),
    ("modes.transit.unit", "day", True),
    ("modes.transit.unit", "hour", False),
    ("maas.name", "m" * 80, True),
    ("maas.name", "m" * 81, False),
    ("maas.cost_per_subscriber", -1, False),
    ("segments.residents.size", 0, False),
    ("segments.residents.size", 0.5, True),
    ("segments.residents.choice.price_sensitivity", 0, False),
    ("segments.residents.choice.price_sensitivity", 1e-9, True),
    ("segments.residents.usage.bike.payg", -1, False),
    ("segments.residents.mixed", {"draws": 50}, True),
    ("segments.residents.mixed", {"draws": 51}, False),
    ("segments.residents.mixed", {"draws": 2}, True),
    ("segments.residents.mixed", {"draws": 1}, False),
    ("segments.residents.mixed", {"draws": 5, "asc_sd": -0.1}, False),
    ("segments.residents.classes", [_CLASS], True),
    ("segments.residents.classes", [{**_CLASS, "weight": 0}], False),
    ("segments.residents.classes", [{**_CLASS, "weight": 1.000001}], False),
    ("segments.residents.classes", [{**_CLASS, "name": "c" * 81}], False),
    ("candidates.prices", None, False),
    ("candidates", {"listed": [{"name": "T", "includes": {}, "prices": _GRID}]}, True),
    ("candidates", {"listed": [{"name": "T", "includes": {}, "prices": None}]}, False),
    ("candidates", {"listed": [{"name": "T", "includes": {}}], "prices": _GRID}, True),
    ("candidates", {"generate": {"levels": {}, "prices": _GRID}}, True),
    ("candidates", {"generate": {"levels": {}}, "prices": _GRID}, True),
    ("candidates", {"generate": {"levels": {}}, "prices": None}, False),
    ("candidates.prices.step", 0, False),
    ("candidates.prices.min", -1, False),
    ("candidates.listed.0.name", "b" * 80, True),
    ("candidates.listed.0.name", "b" * 81, False),
    ("candidates.listed.0.includes.bike", "unlimited", True),
    ("candidates.listed.0.includes.bike", "all", False),
    ("candidates.listed.0.includes.bike", -1, False),
    ("candidates", {"prices": BASE["candidates"]["prices"], "listed": []}, False),
    ("candidates", {"prices": BASE["candidates"]["prices"]}, False),
    ("candidates", {"generate": {"levels": {"bike": [0, 60]}}}, False),
    (
        "candidates",
        {"generate": {"levels": {"bike": [0, 60]}, "prices": {"min": 1, "max": 2, "step": 1}}},
        True,
    ),
    ("policy.menu_size", 0, True),
    ("policy.menu_size", -1, False),
    ("policy.operator_floor", {"amount": 0}, True),
    ("policy.operator_floor", "all", False),
    ("policy.subsidy.instruments", [{"kind": "mode_share", "modes": ["bike"], "share": 1}], True),
    (
        "policy.subsidy.instruments",
        [{"kind": "mode_share", "modes": ["bike"], "share": 1.01}],
        False,
    ),
    ("policy.subsidy.instruments", [{"kind": "mode_share", "modes": [], "share": 0.5}], False),
    ("policy.subsidy.instruments", [{"kind": "per_subscriber", "amount": 1}], True),
    ("policy.subsidy.instruments", [{"amount": 1}], False),
    ("policy.subsidy.instruments", [{"modes": ["bike"], "share": 0.5}], False),
    ("policy.subsidy.budget", -1, False),
    ("objective.min_uptake", 1, True),
    ("objective.min_uptake", 1.01, False),
    ("objective.kind", "max_fun", False),
    ("frontier.points", 200, True),
    ("frontier.points", 201, False),
    ("frontier.points", 2, True),
    ("frontier.points", 1, False),
    ("solver.threads", 1, True),
    ("solver.threads", 0, False),
    ("solver.time_limit_s", 0, False),
    ("solver.name", "GUROBI", False),
    ("limits.max_candidates", 2000, True),
    ("limits.max_candidates", -1, False),
    ("limits.max_price", -0.5, False),
    ("planning", _PLANNING, True),
    ("segments.residents", _DIARY_SEGMENT, False),
    ("segments.commuters", _DIARY_SEGMENT, False),
    ("planning", {**_PLANNING, "legs": [{"legs": "transit", "mode": "transit"}]}, True),
    ("planning", {**_PLANNING, "legs": [{"legs": "walk", "ignore": True}]}, True),
    ("planning", {**_PLANNING, "legs": [{"legs": "walk", "ignore": False}]}, False),
    ("planning", {**_PLANNING, "legs": [{"legs": "walk", "mode": "bike", "ignore": True}]}, False),
    (
        "planning",
        {**_PLANNING, "legs": [{"legs": "bicycle", "mode": "bike", "ignore": False}]},
        True,
    ),
    ("planning", {**_PLANNING, "legs": [{"legs": "walk", "mode": None, "ignore": True}]}, True),
    ("planning", {**_PLANNING, "legs": [{"legs": "walk", "mode": None, "ignore": False}]}, False),
    ("planning", {**_PLANNING, "num_itineraries": 30}, True),
    ("planning", {**_PLANNING, "num_itineraries": 31}, False),
    ("planning", {**_PLANNING, "chunk_trips": 100_000}, True),
    ("planning", {**_PLANNING, "chunk_trips": 100_001}, False),
    ("planning", {**_PLANNING, "chunk_trips": 0}, False),
    ("planning", {**_PLANNING, "car": {"cost_per_km": 0.2, "speed_kmh": 130}}, True),
    ("planning", {**_PLANNING, "car": {"cost_per_km": 0.2, "speed_kmh": 130.5}}, False),
    ("planning", {**_PLANNING, "car": {"cost_per_km": 0.2, "detour": 3.01}}, False),
    ("planning", {**_PLANNING, "car": {"cost_per_km": 0.2, "access_min": 61}}, False),
    ("planning", {**_PLANNING, "cost": {"value_of_time": 12.0, "walk_weight": 0.99}}, False),
    ("planning", {**_PLANNING, "network": {"date": "2026-02-30"}}, False),
]


@pytest.mark.parametrize(
    ("path", "value", "accepted"), BOUNDS, ids=[f"{p}={str(v)[:20]}" for p, v, _ in BOUNDS]
)
def test_schema_and_validator_agree_at_each_bound(path: str, value: Any, accepted: bool) -> None:
    data = _with(path, value)
    error = _code_error(data)
    assert _schema_ok(data) is accepted
    assert (error is None) is accepted, error


#: (dotted path, value, field named by the validator): schema-valid scenarios only the
#: validator refuses, each for a reason a JSON Schema cannot state.
SEMANTIC_CASES: list[tuple[str, Any, str]] = [
    ("segments.residents.usage.taxi", {"payg": 1}, "segments.residents.usage.taxi"),
    ("candidates.listed.1.name", "Transit", "candidates.listed"),
    ("candidates.prices", {"min": 90, "max": 70, "step": 10}, "candidates.prices.max"),
    ("segments.residents.classes", [{**_CLASS, "weight": 0.5}], "segments.residents.classes"),
    ("policy.surplus_floors", {"nobody": 0}, "policy.surplus_floors.nobody"),
    ("policy.operator_floors", {"TaxiCo": "none"}, "policy.operator_floors.TaxiCo"),
    ("candidates.prices.step", 0.0001, "candidates.prices"),
]


@pytest.mark.parametrize(("path", "value", "field"), SEMANTIC_CASES)
def test_what_only_the_validator_refuses(path: str, value: Any, field: str) -> None:
    data = _with(path, value)
    assert _schema_ok(data)
    error = _code_error(data)
    assert error is not None
    assert error.field == field


def test_currency_enum_is_the_money_list() -> None:
    """The enum is `maasmix.money.currency_codes`, which is exactly what `is_currency`
    accepts among all three-letter codes (so the two cannot drift apart)."""
    assert SCHEMA["properties"]["currency"]["enum"] == list(currency_codes())
    letters = string.ascii_uppercase
    accepted = [
        "".join(code) for code in itertools.product(letters, repeat=3) if is_currency("".join(code))
    ]
    assert accepted == list(currency_codes())
    assert {"EUR", "JPY", "KWD", "BRL"} <= set(accepted)
    assert "XAU" not in accepted


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_examples_are_schema_valid(name: str) -> None:
    data = _as_json(example_path(name))
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert errors == []
    assert validate_scenario(data, file=name).name == data["name"]


_TYPED = BASE["segments"]["residents"]
#: Which segments are typed, diary or derived ones, stated in the schema too (the
#: ``planning`` block a diary needs is one object away: semantic).
SEGMENT_KINDS: list[tuple[Any, bool]] = [
    ({**_TYPED, "size": None}, False),
    ({k: v for k, v in _TYPED.items() if k != "usage"}, False),
    ({**_TYPED, "usage": None}, False),
    ({**_TYPED, "derived": {"Transit": {"usage": {"transit": 24}, "value": 10}}}, False),
    (
        {
            **_TYPED,
            "choice": {"price_sensitivity": 0.05},
            "derived": {"Transit": {"usage": {"transit": 24}, "value": 10}},
        },
        True,
    ),
    ({**_TYPED, "classes": [_CLASS], "mixed": {"draws": 3}}, False),
    ({**_TYPED, "classes": None, "mixed": {"draws": 3}}, True),
    ({**_DIARY_SEGMENT, "size": 10}, False),
    ({**_DIARY_SEGMENT, "usage": {}}, False),
    ({**_DIARY_SEGMENT, "derived": {}}, False),
    ({**_DIARY_SEGMENT, "choice": {"price_sensitivity": 0.05, "taste": {"bike": 1}}}, False),
    ({**_DIARY_SEGMENT, "size": None, "usage": None, "choice": {"price_sensitivity": 1}}, True),
]


@pytest.mark.parametrize(("segment", "accepted"), SEGMENT_KINDS)
def test_schema_and_validator_agree_on_segment_kinds(segment: Any, accepted: bool) -> None:
    data = _with("segments.residents", segment)
    if "diary" in segment:
        data["planning"] = _PLANNING
    error = _code_error(data)
    assert _schema_ok(data) is accepted
    assert (error is None) is accepted, error


def _bound_values(prop: dict[str, Any]) -> list[float]:
    """Each numeric bound the schema states for ``prop``, and its neighbours."""
    options = [prop, *prop.get("anyOf", [])]
    bounds = [
        float(option[key])
        for option in options
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        if key in option
    ]
    near = [b + d for b in bounds for d in (-1.0, -1e-9, 0.0, 1e-9, 1.0)]
    return near or [0.0, -1.0, 1.0]


def _property(model: str, name: str) -> dict[str, Any]:
    prop: dict[str, Any] = SCHEMA["$defs"][model]["properties"][name]
    return prop


#: (dotted path in the base scenario with a planning block, $defs model, property): the
#: numbers drawn below (size limits and price grids left out: their refusals are sizes).
NUMBERS: list[tuple[str, str, str]] = [
    ("frontier.points", "FrontierSpec", "points"),
    ("solver.threads", "SolverSpec", "threads"),
    ("solver.time_limit_s", "SolverSpec", "time_limit_s"),
    ("solver.relative_gap", "SolverSpec", "relative_gap"),
    ("objective.min_uptake", "Objective", "min_uptake"),
    ("policy.menu_size", "Policy", "menu_size"),
    ("maas.cost_per_subscriber", "MaaSOperator", "cost_per_subscriber"),
    ("modes.transit.payg", "Mode", "payg"),
    ("modes.bike.marginal_cost", "Mode", "marginal_cost"),
    ("segments.residents.size", "Segment", "size"),
    ("segments.residents.choice.price_sensitivity", "ChoiceModel", "price_sensitivity"),
    ("segments.residents.usage.bike.bundle", "ModeUsage", "bundle"),
    ("segments.residents.mixed.draws", "MixedDraws", "draws"),
    ("segments.residents.mixed.asc_sd", "MixedDraws", "asc_sd"),
    ("planning.num_itineraries", "Planning", "num_itineraries"),
    ("planning.chunk_trips", "Planning", "chunk_trips"),
    ("planning.cost.walk_weight", "GeneralisedCost", "walk_weight"),
    ("planning.cost.scale", "GeneralisedCost", "scale"),
    ("planning.car.speed_kmh", "CarOption", "speed_kmh"),
    ("planning.car.detour", "CarOption", "detour"),
    ("planning.car.access_min", "CarOption", "access_min"),
    ("policy.subsidy.budget", "Subsidy", "budget"),
]


def _agree_at(path: str, value: Any) -> None:
    """The base scenario (with a planning block and mixed draws) with ``value`` at ``path``
    is accepted by both the schema and the validator, or refused by both."""
    scenario = copy.deepcopy(BASE)
    scenario["planning"] = {**_PLANNING, "car": {"cost_per_km": 0.2}}
    scenario["segments"]["residents"]["mixed"] = {"draws": 3}
    *parents, last = path.split(".")
    node: Any = scenario
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    error = _code_error(scenario)
    assert _schema_ok(scenario) is (error is None), (path, value, error)


@pytest.mark.parametrize(("path", "model", "name"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_schema_and_validator_agree_at_each_stated_number_bound(
    path: str, model: str, name: str
) -> None:
    """Every numeric bound the schema states (read from it) and its neighbours."""
    for value in _bound_values(_property(model, name)):
        _agree_at(path, value)
        if value == int(value):
            _agree_at(path, int(value))


@pytest.mark.parametrize(("path", "model", "name"), NUMBERS, ids=[n[0] for n in NUMBERS])
@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(value=st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6) | st.none())
def test_schema_and_validator_agree_on_any_number(
    path: str, model: str, name: str, value: float | None
) -> None:
    """Any number (or null) at any of `NUMBERS`: accepted or refused together."""
    _agree_at(path, value)
