"""HTTP routes: stored scenarios and the jobs that run on them.

``/v1/scenarios`` creates, reads, lists, updates (each update a new version; the old ones
stay readable with ``?version=N``) and deletes scenarios; the body is a scenario as in
the YAML file, typed in the OpenAPI document by the scenario JSON Schema and validated
as ``/v1/bundles`` validates it (422 naming the field; limits capped at the service's).
``POST /v1/scenarios/{id}/optimise``, ``/frontier`` and ``/demand`` start a job on the
scenario's latest version (or ``version``) and answer 202 with the job
(``Location: /v1/jobs/{id}``). Every write and every job needs the ``write`` scope; a key
with ``limits.jobs_per_key`` active jobs gets 429.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response

from maasmix.api.deps import SettingsDep, server_source
from maasmix.api.jobs.service import ServicesDep, lifespan
from maasmix.api.problems import problem_responses
from maasmix.api.routes.jobs import job_out
from maasmix.api.schemas.bundles import ScenarioBody
from maasmix.api.schemas.jobs import DemandJobIn, FrontierJobIn, JobIn, JobOut, OptimiseJobIn
from maasmix.api.schemas.scenarios import ScenarioList, ScenarioOut, ScenarioSummary, VersionOut
from maasmix.api.security import WriteKey
from maasmix.api.settings import Settings
from maasmix.api.storage import NotFoundError, ScenarioRecord
from maasmix.errors import ScenarioError
from maasmix.feeds._http import is_url
from maasmix.pricing import Scenario, validate_scenario
from maasmix.pricing.scenario import limits as scenario_limits

__all__ = ["router"]

router = APIRouter(
    prefix="/scenarios",
    tags=["scenarios"],
    lifespan=lifespan,
    responses=problem_responses(401, 403, 404, 422),
)

ScenarioId = Annotated[
    str, Path(alias="scenarioId", pattern="^[0-9a-f]{32}$", description="32 hex digits")
]
#: Where the service's cap on a scenario's limits is set, for the error.
_CAP_SOURCE = "deployment setting MAASMIX_SCENARIO_LIMITS__<FIELD>"


def _validated(raw: dict[str, Any], settings: Settings) -> tuple[dict[str, Any], Scenario]:
    """The body to store (as sent, defaults left out) and the scenario checked as
    ``/v1/bundles`` checks it (422 naming the field): values, references, sizes (capped at
    the service's limits) and the files its diary planning names (under the data folder,
    no URL)."""
    with scenario_limits.capped(settings.scenario_limits, _CAP_SOURCE):
        checked = validate_scenario(raw, file="request body")
    body = checked.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if checked.planning is not None:
        from maasmix.pricing.demand.diaries import diary_segments

        net = checked.planning.network
        named = [(f"segments.{sid}.diary", d) for sid, d in diary_segments(checked).items()]
        named += [(f"planning.network.gtfs.{i}", g) for i, g in enumerate(net.gtfs)]
        named += [(f"planning.network.gbfs.{i}", g) for i, g in enumerate(net.gbfs)]
        named += [("planning.network.osm", net.osm)] if net.osm else []
        for field_name, name in named:
            if is_url(name):
                raise ScenarioError(
                    "diary planning reads files of the data folder, not URLs", field=field_name
                )
            server_source(name, settings, parameter=field_name)
    return body, checked


def _out(record: ScenarioRecord) -> ScenarioOut:
    return ScenarioOut(
        id=record.id,
        name=record.name,
        version=record.version,
        latest_version=record.latest_version,
        created_by=record.created_by,
        created_at=record.created_at,
        updated_at=record.updated_at,
        scenario=Scenario.model_validate(record.body),
    )


def _summary(record: ScenarioRecord) -> ScenarioSummary:
    return ScenarioSummary(
        id=record.id,
        name=record.name,
        version=record.version,
        latest_version=record.latest_version,
        created_by=record.created_by,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _found(services: Any, scenario_id: str, version: int | None = None) -> ScenarioRecord:
    try:
        record: ScenarioRecord = services.storage.get_scenario(scenario_id, version)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return record


@router.post(
    "",
    operation_id="create_scenario",
    status_code=201,
    response_model=ScenarioOut,
)
def create_scenario(
    scenario: Annotated[ScenarioBody, Body()],
    settings: SettingsDep,
    services: ServicesDep,
    who: WriteKey,
    response: Response,
) -> ScenarioOut:
    """Store a new scenario (version 1); ``Location`` names it."""
    body, checked = _validated(scenario, settings)
    record = services.storage.create_scenario(body, name=checked.name, by=who.name)
    response.headers["Location"] = f"/v1/scenarios/{record.id}"
    return _out(record)


@router.get("", operation_id="list_scenarios", response_model=ScenarioList)
def list_scenarios(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ScenarioList:
    """Stored scenarios at their latest versions, last changed first."""
    records = services.storage.list_scenarios(limit=limit, offset=offset)
    return ScenarioList(
        total=services.storage.count_scenarios(), items=[_summary(r) for r in records]
    )


@router.get("/{scenarioId}", operation_id="get_scenario", response_model=ScenarioOut)
def get_scenario(
    scenario_id: ScenarioId,
    services: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> ScenarioOut:
    """A stored scenario at its latest version, or at ``version``."""
    return _out(_found(services, scenario_id, version))


@router.get(
    "/{scenarioId}/versions",
    operation_id="list_scenario_versions",
    response_model=list[VersionOut],
)
def list_versions(scenario_id: ScenarioId, services: ServicesDep) -> list[VersionOut]:
    """Every version of a scenario, oldest first."""
    try:
        versions = services.storage.list_versions(scenario_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return [
        VersionOut(version=v.version, created_by=v.created_by, created_at=v.created_at)
        for v in versions
    ]


@router.put("/{scenarioId}", operation_id="update_scenario", response_model=ScenarioOut)
def update_scenario(
    scenario_id: ScenarioId,
    scenario: Annotated[ScenarioBody, Body()],
    settings: SettingsDep,
    services: ServicesDep,
    who: WriteKey,
) -> ScenarioOut:
    """Store the body as the scenario's next version (the previous ones stay readable)."""
    body, checked = _validated(scenario, settings)
    try:
        record = services.storage.update_scenario(scenario_id, body, name=checked.name, by=who.name)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return _out(record)


@router.delete("/{scenarioId}", operation_id="delete_scenario", status_code=204)
def delete_scenario(scenario_id: ScenarioId, services: ServicesDep, who: WriteKey) -> Response:
    """Delete a scenario and its versions (its jobs and their results stay readable)."""
    try:
        services.storage.delete_scenario(scenario_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)


def _start(
    kind: str,
    scenario_id: str,
    params: dict[str, Any],
    version: int | None,
    request: Request,
    settings: Settings,
    services: Any,
    who: Any,
    response: Response,
) -> JobOut:
    record = _found(services, scenario_id, version)
    _, checked = _validated(record.body, settings)
    if kind == "demand":
        from maasmix.pricing.demand.diaries import diary_segments

        if not diary_segments(checked):
            raise ScenarioError("no segment names a diary", field="segments")
    deployment = getattr(request.app.state, "deployment", None)
    most = getattr(getattr(deployment, "limits", None), "jobs_per_key", None)
    if most is not None and len(services.storage.active_jobs(by=who.name)) >= most:
        raise HTTPException(
            429, f"the key {who.name!r} already has {most} active jobs (limits.jobs_per_key)"
        )
    job = services.storage.create_job(
        kind, record, params, by=who.name, owner_id=services.runner.owner_id
    )
    services.runner.submit(job, record.body, settings)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_out(job)


_JOB_RESPONSES = problem_responses(429)


def _job_route(kind: str, model: type[JobIn], summary: str) -> None:
    """Register ``POST /v1/scenarios/{scenarioId}/<kind>``: start a ``kind`` job on the
    stored scenario with the body's overrides (``model``; none: the scenario's own)."""

    def start(
        scenario_id: ScenarioId,
        request: Request,
        settings: SettingsDep,
        services: ServicesDep,
        who: WriteKey,
        response: Response,
        body: JobIn | None = None,
    ) -> JobOut:
        req = body or model.model_validate({})
        params = req.model_dump(by_alias=True, exclude={"version"}, exclude_none=True)
        return _start(
            kind, scenario_id, params, req.version, request, settings, services, who, response
        )

    # the body's model is this kind's (annotations are strings: set it as a type)
    start.__annotations__["body"] = Annotated[model | None, Body()]
    start.__name__ = f"start_{kind}"
    start.__doc__ = summary
    router.post(
        f"/{{scenarioId}}/{kind}",
        operation_id=f"start_{kind}_job",
        status_code=202,
        response_model=JobOut,
        responses=_JOB_RESPONSES,
    )(start)


_job_route(
    "optimise",
    OptimiseJobIn,
    "Start choosing the bundles and prices of a stored scenario; the job (202).",
)
_job_route(
    "frontier",
    FrontierJobIn,
    "Start tracing the profit / subsidy / surplus frontier of a stored scenario; the job (202).",
)
_job_route(
    "demand",
    DemandJobIn,
    "Start planning the diary segments of a stored scenario and deriving their demand; "
    "the job (202).",
)
