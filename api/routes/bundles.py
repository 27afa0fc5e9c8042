"""HTTP routes: bundle design (optimise, frontier, schema, examples).

Bodies carry a scenario as JSON (the same structure as the YAML file). A bad scenario
answers 422 problem+json naming the field; an infeasible one 409 problem+json with the
conflicting constraint groups.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from maasmix.api.problems import problem, problem_responses
from maasmix.api.schemas.bundles import FrontierOut, Result
from maasmix.pricing.frontier import frontier
from maasmix.pricing.objectives import SolverOptions, optimise
from maasmix.pricing.scenario import (
    example_names,
    example_path,
    scenario_json_schema,
    validate_scenario,
)

router = APIRouter(prefix="/bundles", tags=["bundles"], responses=problem_responses(404, 422))


class OptimiseRequest(BaseModel):
    """A scenario and optional overrides of its objective and solver."""

    scenario: dict[str, Any] = Field(description="a scenario, as in the YAML file")
    objective: Literal["max_profit", "min_subsidy", "max_surplus"] | None = None
    min_uptake: float | None = Field(None, ge=0, le=1)
    solver: Literal["AUTO", "ENUM", "BNB", "SCIP", "CBC"] | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600)


class FrontierRequest(BaseModel):
    """A scenario and optional overrides of its frontier and solver settings."""

    scenario: dict[str, Any]
    sweep: Literal["subsidy", "surplus", "both"] | None = None
    points: int | None = Field(None, ge=2, le=50)
    solver: Literal["AUTO", "ENUM", "BNB", "SCIP", "CBC"] | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600)


def _infeasible(conflicts: list[str], body: dict[str, Any]) -> JSONResponse:
    return problem(
        409,
        "no menu satisfies these constraints together: " + ", ".join(conflicts),
        type_="/v1/problems/infeasible-scenario",
        conflicts=conflicts,
        result=body,
    )


@router.post(
    "/optimise",
    operation_id="optimise_bundles",
    response_model=Result,
    responses=problem_responses(409),
)
def post_optimise(req: OptimiseRequest) -> Any:
    """Choose the bundles and prices; the result JSON (money in minor units)."""
    scn = validate_scenario(req.scenario, file="request body")
    options = SolverOptions.from_spec(scn.solver, name=req.solver, time_limit_s=req.time_limit_s)
    result = optimise(scn, objective=req.objective, min_uptake=req.min_uptake, options=options)
    body = result.to_dict()
    if not result.feasible and result.solve.status == "infeasible":
        return _infeasible(result.conflicts, body)
    return body


@router.post(
    "/frontier",
    operation_id="trace_frontier",
    response_model=FrontierOut,
    responses=problem_responses(409),
)
def post_frontier(req: FrontierRequest) -> Any:
    """Trace the profit / subsidy / consumer-surplus frontier."""
    scn = validate_scenario(req.scenario, file="request body")
    options = SolverOptions.from_spec(scn.solver, name=req.solver, time_limit_s=req.time_limit_s)
    front = frontier(scn, sweep=req.sweep, points=req.points, options=options)
    body = front.to_dict()
    top = front.anchors["max_profit"]
    if not top.feasible and top.solve.status == "infeasible":
        return _infeasible(top.conflicts, body)
    return body


@router.get("/schema", operation_id="get_scenario_schema")
def get_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario."""
    return scenario_json_schema()


@router.get("/examples", operation_id="list_example_scenarios")
def get_examples() -> list[str]:
    """Names of the shipped example scenarios."""
    return example_names()


@router.get("/examples/{name}", operation_id="get_example_scenario")
def get_example(name: str) -> dict[str, Any]:
    """A shipped example scenario as JSON (ready to POST as ``scenario``)."""
    data: dict[str, Any] = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
    return data
