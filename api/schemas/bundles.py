"""The JSON shapes of bundle design: request bodies and answers of ``/v1/bundles`` (and of
the jobs that run the same work), camelCase.

`maasmix.pricing.results.Result` is a dataclass of plain fields; it is its own response
model (`ResultOut`, the camelCase config reaching its nested dataclasses), so the OpenAPI
document follows the result without a copy kept here by hand. A scenario (``scenario``
in a body, the derived one in a demand answer) keeps its own file format: the scenario
JSON Schema's snake_case keys, as in the YAML file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema
from pydantic.alias_generators import to_camel

from maasmix.pricing.results import Result

__all__ = [
    "SCENARIO_MARK",
    "DemandOut",
    "DemandRequest",
    "FrontierOut",
    "FrontierPointOut",
    "FrontierRequest",
    "OptimiseRequest",
    "Result",
    "ResultOut",
    "ScenarioBody",
    "answer_json",
    "camel_keys",
    "demand_out",
]

#: The key that marks a scenario in a model's JSON Schema; `maasmix.api.app` puts a
#: reference to the component ``Scenario`` there.
SCENARIO_MARK = "x-maasmix-scenario"
#: A scenario in a body: a plain mapping at run time (checked by
#: `maasmix.pricing.validate_scenario`, which names the field of a bad value), typed in the
#: OpenAPI document by the scenario JSON Schema (the component ``Scenario``).
ScenarioBody = Annotated[
    dict[str, Any],
    WithJsonSchema({SCENARIO_MARK: True, "description": "a scenario, as in the YAML file"}),
]
Solver = Literal["AUTO", "ENUM", "BNB", "SCIP", "CBC"]


class _Camel(BaseModel):
    """camelCase in the document and in answers; snake_case names accepted on input."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class OptimiseRequest(_Camel):
    """A scenario and optional overrides of its objective and solver."""

    scenario: ScenarioBody
    objective: Literal["max_profit", "min_subsidy", "max_surplus"] | None = None
    min_uptake: float | None = Field(None, ge=0, le=1)
    solver: Solver | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600, description="seconds")


class FrontierRequest(_Camel):
    """A scenario and optional overrides of its frontier and solver settings."""

    scenario: ScenarioBody
    sweep: Literal["subsidy", "surplus", "both"] | None = None
    points: int | None = Field(None, ge=2, le=50)
    solver: Solver | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600, description="seconds")


class DemandRequest(_Camel):
    """A scenario with diary segments (files relative to the server's data folder)."""

    scenario: ScenarioBody


class ResultOut(RootModel[Result]):
    """The optimiser's result (money in minor units of ``currency``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class MenuPriceOut(_Camel):
    """One bundle of a frontier point's menu and its price."""

    bundle: str
    price_minor: int


class FrontierPointOut(_Camel):
    """One point of a frontier: its bounds, status, money (minor units) and menu."""

    max_subsidy_minor: int | None = Field(description="the subsidy bound of this point")
    min_surplus_minor: int | None = Field(description="the surplus bound of this point")
    status: str
    feasible: bool
    dominated: bool
    same_as: int | None = Field(description="index of an earlier point with the same menu")
    profit_minor: int
    subsidy_minor: int
    cs_change_minor: int
    user_spend_minor: int
    uptake: float
    best_bound: float | None
    gap: float | None
    seconds: float
    menu: list[MenuPriceOut]


class FrontierOut(_Camel):
    """A traced frontier: one summary per point, the anchors and every point's result."""

    scenario: str
    currency: str
    sweep: str
    seconds: float
    interrupted: bool = Field(False, description="stopped before every point was solved")
    planned: int = Field(0, description="points the sweep set out to solve")
    points: list[FrontierPointOut]
    anchors: dict[str, Result] = Field(description="objective -> its result")
    results: list[Result] = Field(description="every point's result, in sweep order")


class DemandOut(_Camel):
    """The derived demand: the plain scenario the optimiser solves and the tables (each a
    list of rows, camelCase columns)."""

    scenario: dict[str, Any] = Field(
        description="the derived scenario (diary segments typed), in the scenario file format"
    )
    summary: dict[str, Any] = Field(
        description="trips, tripsPlannedNow, itineraries, plans, plansSavedShare, "
        "planningS, workers, ..."
    )
    usage: list[dict[str, Any]] = Field(
        description="segment, product ('' pay as you go), mode, unit, perTraveller, total"
    )
    mode_shift: list[dict[str, Any]] = Field(
        description="segment, product, main, paygTrips, trips, change (trips per month)"
    )
    emissions: list[dict[str, Any]] = Field(
        description="segment, product, paygKg, kg (per traveller per month), savedKg"
    )


def camel_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each key in camelCase (the columns of a table; values untouched)."""
    return [{to_camel(str(k)): v for k, v in row.items()} for row in rows]


def demand_out(body: dict[str, Any]) -> DemandOut:
    """The camelCase answer of a derived demand (``scenario, summary, usage, mode_shift,
    emissions`` as the pricing layer gives them)."""
    return DemandOut(
        scenario=body["scenario"],
        summary={to_camel(str(k)): v for k, v in body["summary"].items()},
        usage=camel_keys(body["usage"]),
        mode_shift=camel_keys(body["mode_shift"]),
        emissions=camel_keys(body["emissions"]),
    )


def answer_json(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The camelCase JSON of a bundle-design answer of ``kind`` (``optimise``: a result,
    ``frontier``, ``demand``; anything else, e.g. a matrix, is already camelCase)."""
    if kind == "optimise":
        out: dict[str, Any] = ResultOut.model_validate(body).model_dump(mode="json", by_alias=True)
        return out
    if kind == "frontier":
        return FrontierOut.model_validate(body).model_dump(mode="json", by_alias=True)
    if kind == "demand":
        return demand_out(body).model_dump(mode="json", by_alias=True)
    return body
