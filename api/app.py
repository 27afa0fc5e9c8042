"""The FastAPI application: the ``/v1`` routes, the operator routes and the problem+json
handlers, with the deployment's keys, limits and CORS origins.

Interactive docs at ``/docs`` (Swagger UI) and ``/redoc`` load their assets from the
installed package (fastapi-offline), so they work without internet.

Layers around every request, outermost first: metrics (`maasmix.api.metrics`), CORS
(the deployment's ``cors.origins``; a browser preflight is answered before any key is
asked for), gzip for answers over `GZIP_MIN_BYTES`, the body limit (``limits.body_bytes``:
413 problem+json, checked on ``Content-Length`` and on the bytes actually sent) and the
time budget of plan and route requests (``limits.plan_time_s``: 503 problem+json with
``Retry-After``). ``/v1`` routes need a key with ``read`` when the deployment has keys
(`maasmix.api.security`); ``/v1/health``, ``/v1/ready`` and ``/v1/metrics`` do not (and
answer at the root too, ``/health``, ``/ready``, ``/metrics``, as probes expect).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maasmix import __version__
from maasmix.api.deployment import Deployment
from maasmix.api.metrics import MetricsMiddleware
from maasmix.api.problems import (
    PROBLEM_JSON,
    install_problem_handlers,
    problem,
    problem_openapi,
)
from maasmix.api.routes import meta, v1
from maasmix.api.schemas.bundles import SCENARIO_MARK
from maasmix.api.security import require_read
from maasmix.api.settings import apply_settings, get_settings

__all__ = ["GZIP_MIN_BYTES", "app", "clean_schema_names", "create_app"]

#: Answers at least this large are gzipped for clients that accept it.
GZIP_MIN_BYTES = 1024
#: zlib's level for them: 6 (zlib's default) compresses a plan 1 % less than 9 in less
#: than half the time (0.46 ms against 1.08 ms for 22 kB).
GZIP_LEVEL = 6
#: Paths whose requests the plan time budget bounds.
BUDGETED = ("/v1/plan", "/v1/route/")


class BodyLimit:
    """413 problem+json for a request body over ``max_bytes`` (declared or sent)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, f"the request body is larger than {self.max_bytes} bytes", headers={}
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(scope, receive, send)
                return
        # read the body here (bounded), then hand it on
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class TimeBudget:
    """503 problem+json when a plan or route request takes longer than ``seconds`` (the
    computation finishes in its thread; the client is not kept waiting)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(BUDGETED):
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, sending), self.seconds)
        except TimeoutError:
            if started:
                raise
            response = problem(
                503,
                f"the plan took longer than this server's budget of {self.seconds:g} s",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)


@asynccontextmanager
async def _lifespan(application: FastAPI) -> AsyncIterator[None]:
    """With ``app.state.gbfs_background`` set (``maasmix serve`` sets it), refresh the
    loaded networks' GBFS status in the background (`maasmix.api.gbfs_refresh`) from
    start-up to shutdown; requests then never refresh inline. A worker of a several-worker
    server (``app.state.gbfs_follower`` set) follows the snapshots its supervisor writes
    instead (`maasmix.api.workers`). The deployment's GTFS-Realtime sources are polled
    (`maasmix.api.realtime_refresh`; a worker, ``app.state.realtime_follow`` set, follows
    what its supervisor polled). Both run in one background thread
    (`maasmix.api.polling.BackgroundPoller`)."""
    from maasmix.api.polling import BackgroundPoller

    refresher: Any = None
    follower_factory = getattr(application.state, "gbfs_follower", None)
    networks = getattr(application.state, "networks", None) or {}
    if follower_factory is not None:
        refresher = follower_factory(networks)
    elif getattr(application.state, "gbfs_background", False):
        from maasmix.api.gbfs_refresh import GbfsRefresher

        clock = getattr(application.state, "gbfs_clock", None)
        refresher = GbfsRefresher(networks, **({"clock": clock} if clock else {}))
    if refresher is not None:
        application.state.gbfs_refresher = refresher
    poller: Any = None
    specs = getattr(application.state, "network_specs", None) or {}
    if any(spec.realtime for spec in specs.values()):
        from maasmix.api.realtime_refresh import RealtimePoller

        follow = getattr(application.state, "realtime_follow", None)
        applied = getattr(application.state, "realtime_applied", None)
        poller = application.state.realtime_poller = RealtimePoller(
            networks, specs, follow=follow, applied=applied
        )
    tasks = [task for task in (refresher, poller) if task is not None]
    background = BackgroundPoller(tasks, name="maasmix-feeds") if tasks else None
    if background is not None:
        background.start()
    try:
        yield
    finally:
        if background is not None:
            background.stop()
        if refresher is not None:
            application.state.gbfs_refresher = None


def _settings_override(deployment: Deployment) -> Any:
    """The settings with the deployment's scenario caps (None: nothing to change)."""
    if not deployment.limits.scenario:
        return None
    settings = get_settings()
    capped = settings.model_copy(
        update={"scenario_limits": settings.scenario_limits.replace(**deployment.limits.scenario)}
    )
    return lambda: capped


def create_app(deployment: Deployment | None = None) -> FastAPI:
    """Build the maasmix HTTP API (OpenAPI 3.1 at ``/openapi.json``) for ``deployment``
    (default: an open service without limits beyond the defaults); the settings' limits
    (`maasmix.api.settings.apply_settings`) are put in force for the process."""
    apply_settings()
    deployment = deployment or Deployment()
    application: FastAPI = FastAPIOffline(
        lifespan=_lifespan,
        title="maasmix",
        version=__version__,
        description="Multimodal journey planning and MaaS bundle pricing.",
    )
    application.state.deployment = deployment
    application.state.started = dt.datetime.now(dt.UTC)
    override = _settings_override(deployment)
    if override is not None:
        application.dependency_overrides[get_settings] = override
    install_problem_handlers(application)
    application.include_router(meta.router, prefix="/v1")
    application.include_router(meta.router, include_in_schema=False)  # /health, /ready, ...
    application.include_router(v1, dependencies=[Depends(require_read)])
    if deployment.limits.plan_time_s is not None:
        application.add_middleware(TimeBudget, seconds=float(deployment.limits.plan_time_s))
    application.add_middleware(BodyLimit, max_bytes=deployment.limits.body_bytes)
    application.add_middleware(
        GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL
    )
    if deployment.cors_origins:
        application.add_middleware(
            CORSMiddleware,
            allow_origins=list(deployment.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            max_age=600,
        )
    application.add_middleware(MetricsMiddleware)
    fastapi_openapi = application.openapi

    def openapi() -> dict[str, Any]:
        if application.openapi_schema is None:
            document = _scenario_refs(problem_openapi(fastapi_openapi()))
            if deployment.keys:
                _document_keys(document)
            application.openapi_schema = clean_schema_names(document)
        return application.openapi_schema

    application.openapi = openapi  # type: ignore[method-assign]
    return application


def _readable_name(qualified: str, taken: set[str]) -> str:
    """A component name without the Python module path FastAPI adds when two models share
    a class name: ``maasmix__api__schemas__plan__LegOut`` -> ``PlanLegOut`` (the module's
    name in CamelCase, then the class; more of the path only if that is taken too)."""
    parts = qualified.split("__")
    cls, modules = parts[-1], [p for p in parts[:-1] if p not in ("maasmix", "api", "schemas")]
    for start in range(len(modules) - 1, -1, -1):
        prefix = "".join(word.capitalize() for m in modules[start:] for word in m.split("_"))
        if prefix + cls not in taken:
            return prefix + cls
    n = 2
    while f"{cls}{n}" in taken:
        n += 1
    return f"{cls}{n}"


#: Operations open without a key (`maasmix.api.routes.meta`).
OPEN_PATHS = ("/v1/health", "/v1/ready", "/v1/metrics")


def _document_keys(document: dict[str, Any]) -> None:
    """Declare the API keys in ``document`` (a deployment with keys): the two ways to send
    one (``X-API-Key``, ``Authorization: Bearer``) and, on every operation that needs one,
    the requirement and its 401 / 403 problem+json answers."""
    document.setdefault("components", {})["securitySchemes"] = {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "Bearer": {"type": "http", "scheme": "bearer"},
    }
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in document.get("paths", {}).items():
        if path in OPEN_PATHS:
            continue
        for operation in item.values():
            operation["security"] = [{"ApiKey": []}, {"Bearer": []}]
            for status in (401, 403):
                operation["responses"].setdefault(
                    str(status),
                    {
                        "description": HTTPStatus(status).phrase,
                        "content": {PROBLEM_JSON: {"schema": ref}},
                    },
                )


def _scenario_refs(node: Any) -> Any:
    """``node`` with every schema marked `SCENARIO_MARK` replaced by a reference to the
    scenario JSON Schema (the component ``Scenario``)."""
    if isinstance(node, dict):
        if node.get(SCENARIO_MARK):
            return {"$ref": "#/components/schemas/Scenario"}
        return {k: _scenario_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_scenario_refs(v) for v in node]
    return node


def clean_schema_names(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every component schema named by a readable, unique name (no
    Python module path), every ``$ref`` to it rewritten."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    taken = {name for name in schemas if "__" not in name}
    renamed: dict[str, str] = {}
    for name in sorted(schemas):
        if "__" in name:
            renamed[name] = _readable_name(name, taken)
            taken.add(renamed[name])
    if not renamed:
        return document
    text = json.dumps(document)
    pattern = re.compile('"#/components/schemas/(' + "|".join(re.escape(n) for n in renamed) + ')"')
    text = pattern.sub(lambda m: f'"#/components/schemas/{renamed[m.group(1)]}"', text)
    out: dict[str, Any] = json.loads(text)
    out["components"]["schemas"] = {
        renamed.get(name, name): schema for name, schema in out["components"]["schemas"].items()
    }
    return out


app = create_app()
