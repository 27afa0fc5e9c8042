"""The JSON shapes of jobs: what starts one (``POST /v1/scenarios/{id}/optimise``,
``/frontier``, ``/demand``; a ``matrix`` job of no scenario) and what ``/v1/jobs``
answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from maasmix.api.schemas.analysis import MatrixOut
from maasmix.api.schemas.bundles import DemandOut, FrontierOut, ResultOut

__all__ = [
    "JOB_KINDS",
    "JOB_RESULT",
    "DemandJobIn",
    "FrontierJobIn",
    "JobIn",
    "JobList",
    "JobOut",
    "OptimiseJobIn",
]

JOB_KINDS = ("optimise", "frontier", "demand", "matrix")
Solver = Literal["AUTO", "ENUM", "BNB", "SCIP", "CBC"]
#: What a finished job holds, by kind: optimise, frontier, demand, matrix.
JobResult = Annotated[
    ResultOut | FrontierOut | DemandOut | MatrixOut, Field(union_mode="left_to_right")
]
#: Reads a stored result (camelCase JSON) as its `JobResult` model.
JOB_RESULT: TypeAdapter[Any] = TypeAdapter(JobResult)  # type: ignore[arg-type]
JobState = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]


class JobIn(BaseModel):
    """What every job start takes: the scenario version to run."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    version: int | None = Field(
        None, ge=1, le=2**31 - 1, description="the scenario version to run (default: its latest)"
    )


class OptimiseJobIn(JobIn):
    """Overrides of the scenario's objective and solver for one optimisation."""

    objective: Literal["max_profit", "min_subsidy", "max_surplus"] | None = None
    min_uptake: float | None = Field(None, ge=0, le=1)
    solver: Solver | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600)


class FrontierJobIn(JobIn):
    """Overrides of the scenario's frontier and solver settings."""

    sweep: Literal["subsidy", "surplus", "both"] | None = None
    points: int | None = Field(None, ge=2, le=50)
    solver: Solver | None = None
    time_limit_s: float | None = Field(None, gt=0, le=600)


class DemandJobIn(JobIn):
    """Which version's diary segments to plan."""


class JobOut(BaseModel):
    """A job: its state, progress and, once done, its result."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str = Field(description="32 hex digits")
    kind: Literal["optimise", "frontier", "demand", "matrix"]
    scenario_id: str | None = Field(description="the scenario it runs on (none: matrix)")
    scenario_version: int | None = Field(description="the scenario version it runs on")
    params: dict[str, Any] = Field(description="the overrides it was started with")
    state: JobState
    progress: float = Field(ge=0, le=1, description="0 to 1")
    message: str | None = Field(description="what it is doing")
    error: str | None = Field(description="why it failed, was cancelled or interrupted")
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: JobResult | None = Field(
        None,
        description="once done: the optimiser's result, the frontier, the derived demand "
        "(as the /v1/bundles routes answer them; money in minor units) or the matrix (as "
        "POST /v1/matrix answers it)",
    )
    report: str | None = Field(None, description="the path of its HTML report, once done")


class JobList(BaseModel):
    """Jobs, newest first (without results)."""

    items: list[JobOut]
