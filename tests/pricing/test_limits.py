"""The scenario size limits are the user's: a scenario's ``limits:`` section, Python's
``limits.override``; only a service caps them (``limits.capped``) and says so."""

from __future__ import annotations

from typing import Any

import pytest

from maasmix.errors import ScenarioError
from maasmix.pricing.scenario import limits, validate_scenario
from maasmix.pricing.scenario.limits import ScenarioLimits
from maasmix.pricing.solve.objectives import optimise


def fine_grid(step: float = 0.05, top: float = 200.0, **extra: Any) -> dict[str, Any]:
    """One bundle priced from EUR 40 to ``top`` in steps of ``step``."""
    return {
        "name": "fine grid",
        "currency": "EUR",
        "modes": {"transit": {"operator": "T", "unit": "trip", "payg": 3.0, "wholesale": 2.0}},
        "segments": {
            "residents": {
                "size": 1000,
                "usage": {"transit": {"payg": 20, "bundle": 24}},
                "choice": {"price_sensitivity": 0.1, "asc": 0.0, "taste": {"transit": 0.1}},
            }
        },
        "candidates": {
            "prices": {"min": 40, "max": top, "step": step},
            "listed": [{"name": "Transit", "includes": {"transit": "unlimited"}}],
        },
        "policy": {"menu_size": 1, "operator_floor": "none"},
        **extra,
    }


def test_a_five_cent_grid_over_a_few_hundred_euros_passes_by_default() -> None:
    scn = validate_scenario(fine_grid())
    assert limits.estimate(scn).max_levels == 3_201
    result = optimise(scn)
    assert result.solve.status == "optimal"
    # V = 2.4 - 0.1 p, margin p - 48: the best price on a 5-cent grid
    assert result.menu[0].price_minor == 5_830


def test_an_absurd_grid_is_refused_with_the_ways_to_raise_the_limit() -> None:
    with pytest.raises(ScenarioError) as err:
        validate_scenario(fine_grid(step=0.001, top=1_000))
    msg = str(err.value)
    assert "960001 prices, more than 10000 (scenario limit max_price_levels" in msg
    assert "`limits: {max_price_levels: N}` in the scenario" in msg
    assert "`--limit max_price_levels=N`" in msg
    assert err.value.field == "candidates.prices"


def test_the_scenario_raises_and_lowers_its_own_limits() -> None:
    big = {"max_price_levels": 10**6, "max_price_options": 10**6, "max_model_cells": 10**7}
    scn = validate_scenario(fine_grid(step=0.001, top=1_000, limits=big))
    assert limits.for_scenario(scn).max_price_levels == 1_000_000
    assert limits.estimate(scn).max_levels == 960_001
    with pytest.raises(ScenarioError, match="more than 100 "):
        validate_scenario(fine_grid(limits={"max_price_levels": 100}))
    with pytest.raises(ScenarioError) as err:
        validate_scenario(fine_grid(limits={"max_price_levls": 100}))
    assert err.value.field == "limits.max_price_levls"


def test_python_override_is_scoped() -> None:
    with (
        limits.override(max_price_levels=100),
        pytest.raises(ScenarioError, match="3201 prices, more than 100 "),
    ):
        validate_scenario(fine_grid())
    validate_scenario(fine_grid())


def test_a_service_caps_what_a_scenario_asks_for_and_says_so() -> None:
    cap = ScenarioLimits(max_price_levels=5_000)
    with limits.capped(cap, "deployment setting X"):
        assert limits.capped_at() == cap
        with pytest.raises(ScenarioError) as err:
            validate_scenario(fine_grid(limits={"max_price_levels": 50_000}))
        assert err.value.field == "limits.max_price_levels"
        assert "above this service's cap of 5000 for max_price_levels" in str(err.value)
        assert "deployment setting X" in str(err.value)
        # lowering is always allowed, and a grid beyond the cap names the cap
        with pytest.raises(ScenarioError, match="more than 100 "):
            validate_scenario(fine_grid(limits={"max_price_levels": 100}))
        with limits.override(max_price_levels=5_000), pytest.raises(ScenarioError) as err:
            validate_scenario(fine_grid(step=0.01))
        assert "this service's cap; deployment setting X" in str(err.value)
    assert limits.capped_at() is None
    validate_scenario(fine_grid(limits={"max_price_levels": 50_000}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_price_levels=5000", ("max_price_levels", 5000)),
        ("max-model-cells = 200000", ("max_model_cells", 200000)),
        ("max_price=2.5e6", ("max_price", 2_500_000.0)),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, float]) -> None:
    assert limits.parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_levels=5", "NAME one of max_price, max_price_levels"),
        ("max_price_levels", "expected NAME=VALUE"),
        ("max_price_levels=many", "not a number"),
        ("max_price_levels=-1", "not a number >= 0"),
        ("max_price_levels=2.5", "not a whole number"),
    ],
)
def test_parse_assignment_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        limits.parse_assignment(text)
