"""``time_limit_s`` covers the whole solve: preparing the model counts against it."""

from __future__ import annotations

import time
from typing import Any

import pytest

import maasmix.pricing.solve.objectives as objectives
from maasmix.pricing import SolverOptions, load_scenario, optimise
from maasmix.pricing.scenario import example_path


def test_model_building_counts_against_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    real_build, real_solve = objectives.build_model, objectives.solve_model
    given: list[float] = []

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.4)
        return real_build(*args, **kwargs)

    def spy_solve(model: Any, *, time_limit_s: float, **kwargs: Any) -> Any:
        given.append(time_limit_s)
        return real_solve(model, time_limit_s=time_limit_s, **kwargs)

    monkeypatch.setattr(objectives, "build_model", slow_build)
    monkeypatch.setattr(objectives, "solve_model", spy_solve)
    scenario = load_scenario(example_path("hand_check"))
    result = optimise(scenario, options=SolverOptions(name="CBC", time_limit_s=5.0))
    assert result.feasible
    (limit,) = given
    assert limit <= 5.0 - 0.4  # the solver got what building left of the 5 s
    assert limit >= objectives.MIN_SOLVE_S


def test_the_solver_always_gets_a_moment() -> None:
    assert objectives._left(1.0, time.perf_counter() - 10.0) == objectives.MIN_SOLVE_S
