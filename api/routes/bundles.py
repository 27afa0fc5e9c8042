"""HTTP routes: bundle design (optimise, frontier, demand, schema, examples).

Bodies carry a scenario as JSON (the same structure as the YAML file). A bad scenario
answers 422 problem+json naming the field; an infeasible one 409 problem+json with the
conflicting constraint groups.

A scenario with diary segments names its diary and network files relative to the
server's data folder (``MAASMIX_DATA``; nothing outside it, no URL); its trips are
planned (on ``MAASMIX_DASK_ADDRESS`` when set, else in the server process) and the
derived demand is kept in the server's cache, so a second request with the same inputs
answers without planning. ``POST /v1/bundles/demand`` returns the derived demand;
``optimise`` and ``frontier`` derive it first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from maasmix.api.deps import SettingsDep, server_source
from maasmix.api.problems import problem, problem_responses
from maasmix.api.schemas.bundles import (
    DemandOut,
    DemandRequest,
    FrontierOut,
    FrontierRequest,
    OptimiseRequest,
    ResultOut,
    ScenarioBody,
    answer_json,
    demand_out,
)
from maasmix.api.settings import Settings
from maasmix.errors import ScenarioError
from maasmix.feeds._http import is_url
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand, diary_segments
from maasmix.pricing.frontier import frontier
from maasmix.pricing.scenario import (
    Scenario,
    example_names,
    example_path,
    scenario_json_schema,
    validate_scenario,
)
from maasmix.pricing.scenario import limits as scenario_limits
from maasmix.pricing.solve.objectives import SolverOptions, optimise

router = APIRouter(prefix="/bundles", tags=["bundles"], responses=problem_responses(403, 404, 422))


#: Diary rows a request may make the server plan.
MAX_HTTP_DIARY_ROWS = 50_000


def _scenario(raw: dict[str, Any], settings: Settings) -> tuple[Scenario, DerivedDemand | None]:
    """The request's scenario, with its diary segments planned (403/422 on bad paths); its
    ``limits:`` section capped at the deployment's scenario limits."""
    with scenario_limits.capped(settings.scenario_limits, _CAP_SOURCE):
        return _capped_scenario(raw, settings)


#: Where the service's cap on a scenario's limits is set, for the error.
_CAP_SOURCE = "deployment setting MAASMIX_SCENARIO_LIMITS__<FIELD>"


def _capped_scenario(
    raw: dict[str, Any], settings: Settings
) -> tuple[Scenario, DerivedDemand | None]:
    scn = validate_scenario(raw, file="request body")
    if not diary_segments(scn):
        return scn, None
    assert scn.planning is not None
    net = scn.planning.network
    named = [(f"segments.{sid}.diary", d) for sid, d in diary_segments(scn).items()]
    named += [(f"planning.network.gtfs.{i}", g) for i, g in enumerate(net.gtfs)]
    named += [(f"planning.network.gbfs.{i}", g) for i, g in enumerate(net.gbfs)]
    named += [("planning.network.osm", net.osm)] if net.osm else []
    for field_name, name in named:
        if is_url(name):
            raise ScenarioError(
                "diary planning reads files of the data folder, not URLs", field=field_name
            )
        server_source(name, settings, parameter=field_name)
    demand = derive_demand(
        scn,
        base_dir=settings.data,
        workers=0,
        scheduler=settings.dask_address,
        folder=Path(settings.cache_dir) / "demand",
        cache_dir=str(settings.cache_dir),
        max_rows=MAX_HTTP_DIARY_ROWS,
    )
    return demand.scenario, demand


def _infeasible(conflicts: list[str], kind: str, body: dict[str, Any]) -> JSONResponse:
    return problem(
        409,
        "no menu satisfies these constraints together: " + ", ".join(conflicts),
        type_="/v1/problems/infeasible-scenario",
        conflicts=conflicts,
        result=answer_json(kind, body),
    )


@router.post(
    "/optimise",
    operation_id="optimise_bundles",
    response_model=ResultOut,
    responses=problem_responses(409),
)
def post_optimise(req: OptimiseRequest, settings: SettingsDep) -> Any:
    """Choose the bundles and prices; the result JSON (money in minor units)."""
    scn, _ = _scenario(req.scenario, settings)
    options = SolverOptions.from_spec(scn.solver, name=req.solver, time_limit_s=req.time_limit_s)
    result = optimise(scn, objective=req.objective, min_uptake=req.min_uptake, options=options)
    body = result.to_dict()
    if not result.feasible and result.solve.status == "infeasible":
        return _infeasible(result.conflicts, "optimise", body)
    return body


@router.post(
    "/frontier",
    operation_id="trace_frontier",
    response_model=FrontierOut,
    responses=problem_responses(409),
)
def post_frontier(req: FrontierRequest, settings: SettingsDep) -> Any:
    """Trace the profit / subsidy / consumer-surplus frontier."""
    scn, _ = _scenario(req.scenario, settings)
    options = SolverOptions.from_spec(scn.solver, name=req.solver, time_limit_s=req.time_limit_s)
    front = frontier(scn, sweep=req.sweep, points=req.points, options=options)
    body = front.to_dict()
    top = front.anchors["max_profit"]
    if not top.feasible and top.solve.status == "infeasible":
        return _infeasible(top.conflicts, "frontier", body)
    return body


@router.post("/demand", operation_id="derive_demand", response_model=DemandOut)
def post_demand(req: DemandRequest, settings: SettingsDep) -> DemandOut:
    """Plan the diary segments' trips and derive usage, values, mode shift and CO2e."""
    scn, demand = _scenario(req.scenario, settings)
    if demand is None:
        raise ScenarioError("no segment names a diary", field="segments")
    return demand_out(
        {
            "scenario": scn.model_dump(mode="json", exclude_none=True),
            "summary": demand.summary,
            "usage": demand.usage.to_dict(orient="records"),
            "mode_shift": demand.mode_shift.to_dict(orient="records"),
            "emissions": demand.emissions.to_dict(orient="records"),
        }
    )


@router.get("/schema", operation_id="get_scenario_schema")
def get_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario."""
    return scenario_json_schema()


@router.get("/examples", operation_id="list_example_scenarios")
def get_examples() -> list[str]:
    """Names of the shipped example scenarios."""
    return example_names()


ExampleName = Annotated[
    str,
    PathParam(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        json_schema_extra={"enum": example_names()},
        description="a name from GET /v1/bundles/examples",
    ),
]


@router.get("/examples/{name}", operation_id="get_example_scenario")
def get_example(name: ExampleName) -> ScenarioBody:
    """A shipped example scenario as JSON (ready to POST as ``scenario``)."""
    data: dict[str, Any] = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
    return data
