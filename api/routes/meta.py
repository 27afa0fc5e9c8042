"""HTTP routes about the service itself: liveness, readiness, metrics, version.

Under ``/v1`` and at the root: ``health`` answers while the process serves; ``ready`` is
200 only when every network of the deployment is loaded, the storage answers (when one
is configured), every GBFS snapshot is younger than its ``max_age_s`` and every
GTFS-Realtime source with a ``max_age_s`` has a good message younger than that, else 503
problem+json whose ``checks`` name what is not ready; ``metrics`` is the Prometheus text
format (`maasmix.api.metrics`). None of them needs an API key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from maasmix import __version__
from maasmix.api import metrics
from maasmix.api.deployment import DEFAULT_GBFS_MAX_AGE_S, Deployment
from maasmix.api.problems import problem, problem_responses

router = APIRouter(tags=["meta"])

__all__ = ["ReadyOut", "readiness", "router"]


class HealthOut(BaseModel):
    """The service is up."""

    status: str
    version: str


class CheckOut(BaseModel):
    """One readiness check."""

    name: str = Field(
        description="networks, storage, gbfs:NETWORK/SYSTEM or realtime:NETWORK/SOURCE"
    )
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    """Whether the service can answer, check by check."""

    ready: bool
    checks: list[CheckOut]


@router.get("/health", operation_id="get_health", response_model=HealthOut)
def health() -> HealthOut:
    """Liveness check, with the maasmix version."""
    return HealthOut(status="ok", version=__version__)


def gbfs_limits(deployment: Deployment) -> dict[tuple[str, int], float | None]:
    """``{(network name, system index): max_age_s}`` of the deployment's GBFS systems."""
    return {
        (spec.name, i): system.max_age_s
        for spec in deployment.networks
        for i, system in enumerate(spec.gbfs_systems)
    }


def _storage_check(url: str) -> tuple[bool, str]:
    try:
        import sqlalchemy
    except ImportError:
        return False, "SQLAlchemy is not installed"
    try:
        engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any driver error means "not reachable"
        return False, f"not reachable ({type(exc).__name__})"
    return True, "reachable"


def readiness(app: Any, now: dt.datetime | None = None) -> ReadyOut:
    """The checks of ``/ready`` (see the module docstring)."""
    moment = now or dt.datetime.now(dt.UTC)
    deployment: Deployment = getattr(app.state, "deployment", None) or Deployment()
    networks: dict[str, Any] = getattr(app.state, "networks", None) or {}
    checks: list[CheckOut] = []
    expected = [spec.name for spec in deployment.networks]
    missing = [name for name in expected if name not in networks]
    checks.append(
        CheckOut(
            name="networks",
            ok=not missing,
            detail=f"not loaded: {', '.join(missing)}" if missing else f"{len(networks)} loaded",
        )
    )
    extra: dict[str, Callable[[], tuple[bool, str]]] = getattr(app.state, "ready_checks", {})
    if deployment.storage_url and "storage" not in extra:
        ok, detail = _storage_check(deployment.storage_url)
        checks.append(CheckOut(name="storage", ok=ok, detail=detail))
    for name, check in extra.items():
        ok, detail = check()
        checks.append(CheckOut(name=name, ok=ok, detail=detail))
    limits = gbfs_limits(deployment)
    for name, net in networks.items():
        for i, system in enumerate(net.rentals):
            age = (moment - system.last_updated).total_seconds()
            limit = limits.get((name, i), DEFAULT_GBFS_MAX_AGE_S)
            checks.append(
                CheckOut(
                    name=f"gbfs:{name}/{system.system_id}",
                    ok=limit is None or age <= limit,
                    detail=f"snapshot {age:.0f} s old"
                    + (" (no limit)" if limit is None else f" (limit {limit:g} s)"),
                )
            )
    poller = getattr(app.state, "realtime_poller", None)
    for name in networks:
        for state in poller.status(name) if poller is not None else ():
            age = state.age_s(moment)
            limit = state.spec.max_age_s
            shown = "no good message yet" if age is None else f"message {age:.0f} s old"
            if state.error:
                shown += f"; last read failed ({state.error[:120]})"
            checks.append(
                CheckOut(
                    name=f"realtime:{name}/{state.name}",
                    ok=state.fresh(moment),
                    detail=shown + (" (no limit)" if limit is None else f" (limit {limit:g} s)"),
                )
            )
    return ReadyOut(ready=all(c.ok for c in checks), checks=checks)


@router.get(
    "/ready",
    operation_id="get_ready",
    response_model=ReadyOut,
    responses=problem_responses(503),
)
def ready(request: Request) -> Any:
    """Readiness: networks loaded, storage reachable, GBFS snapshots young enough. Not
    ready: 503 problem+json whose ``checks`` say which failed."""
    out = readiness(request.app, getattr(request.app.state, "clock", lambda: None)())
    if out.ready:
        return out
    failed = [c.name for c in out.checks if not c.ok]
    return problem(
        503,
        f"not ready: {', '.join(failed)}",
        ready=False,
        checks=[c.model_dump() for c in out.checks],
    )


@router.get(
    "/metrics",
    operation_id="get_metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def prometheus(request: Request) -> Response:
    """Prometheus text format: requests and latency per route, plan time, GBFS and
    GTFS-Realtime age, jobs by state."""
    networks = getattr(request.app.state, "networks", None) or {}
    now = getattr(request.app.state, "clock", lambda: None)()
    poller = getattr(request.app.state, "realtime_poller", None)
    jobs = metrics.job_counts(request.app)
    body = metrics.render(networks, now, realtime=poller, jobs=jobs)
    return Response(body, media_type=metrics.CONTENT_TYPE)
