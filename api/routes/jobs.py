"""HTTP routes: jobs. ``GET /v1/jobs/{id}`` answers the state, progress and, once done,
the result (stored with the scenario version it came from); ``GET /v1/jobs/{id}/report``
the HTML report rendered from it; ``DELETE /v1/jobs/{id}`` or ``POST
/v1/jobs/{id}/cancel`` cancels (``write`` scope; the work stops, a finished job is left
as it is)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse

from maasmix.api.jobs.service import ServicesDep
from maasmix.api.problems import problem_responses
from maasmix.api.schemas.bundles import answer_json
from maasmix.api.schemas.jobs import JOB_RESULT, JobList, JobOut, JobState
from maasmix.api.security import WriteKey
from maasmix.api.storage import JobRecord, NotFoundError

__all__ = ["job_out", "router"]

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=problem_responses(401, 403, 404, 422))

JobId = Annotated[str, Path(alias="jobId", pattern="^[0-9a-f]{32}$", description="32 hex digits")]


def job_out(job: JobRecord, result: dict[str, Any] | None = None) -> JobOut:
    """The JSON shape of a stored job (with ``result``, as stored, when given: answered
    in camelCase as the ``/v1/bundles`` routes answer it)."""
    return JobOut(
        id=job.id,
        kind=job.kind,  # type: ignore[arg-type]
        scenario_id=job.scenario_id,
        scenario_version=job.scenario_version,
        params=job.params,
        state=job.state,  # type: ignore[arg-type]
        progress=job.progress,
        message=job.message,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result=None
        if result is None
        else JOB_RESULT.validate_python(answer_json(job.kind, result)),
        report=f"/v1/jobs/{job.id}/report"
        if job.has_result and job.kind in ("optimise", "frontier")
        else None,
    )


def _job(services: Any, job_id: str) -> JobRecord:
    try:
        job: JobRecord = services.storage.get_job(job_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return job


@router.get("", operation_id="list_jobs", response_model=JobList)
def list_jobs(
    services: ServicesDep,
    scenario_id: Annotated[str | None, Query(alias="scenarioId", pattern="^[0-9a-f]{32}$")] = None,
    state: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JobList:
    """Jobs, newest first, of one scenario or in one state when asked."""
    jobs = services.storage.list_jobs(
        scenario_id=scenario_id, state=state, limit=limit, offset=offset
    )
    return JobList(items=[job_out(j) for j in jobs])


@router.get("/{jobId}", operation_id="get_job", response_model=JobOut)
def get_job(job_id: JobId, services: ServicesDep) -> JobOut:
    """A job's state, progress, error and, once done, its result."""
    job = _job(services, job_id)
    result = services.storage.get_result(job_id).body if job.has_result else None
    return job_out(job, result)


@router.get(
    "/{jobId}/report",
    operation_id="get_job_report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "the HTML report"}},
)
def get_report(job_id: JobId, services: ServicesDep) -> HTMLResponse:
    """The HTML report of a finished optimise or frontier job (plots embedded)."""
    job = _job(services, job_id)
    if not job.has_result:
        raise HTTPException(404, f"job {job_id} has no result yet (state {job.state})")
    html = services.storage.get_result(job_id).report_html
    if html is None:
        raise HTTPException(404, f"a {job.kind} job has no report")
    return HTMLResponse(html)


def _cancel(services: Any, job_id: str) -> JobOut:
    _job(services, job_id)
    return job_out(services.storage.cancel_job(job_id))


@router.delete("/{jobId}", operation_id="delete_job", response_model=JobOut)
def delete_job(job_id: JobId, services: ServicesDep, who: WriteKey) -> JobOut:
    """Cancel a job (the same as ``POST /v1/jobs/{id}/cancel``); the job as it is now."""
    return _cancel(services, job_id)


@router.post("/{jobId}/cancel", operation_id="cancel_job", response_model=JobOut)
def cancel_job(job_id: JobId, services: ServicesDep, who: WriteKey) -> JobOut:
    """Cancel a queued or running job: its work stops; a finished job is left as it is."""
    return _cancel(services, job_id)
