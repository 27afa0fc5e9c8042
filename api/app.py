"""The FastAPI application: the ``/v1`` routes and the problem+json handlers.

Interactive docs at ``/docs`` (Swagger UI) and ``/redoc`` load their assets from the
installed package (fastapi-offline), so they work without internet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from maasmix import __version__
from maasmix.api.problems import install_problem_handlers, problem_openapi
from maasmix.api.routes import v1
from maasmix.api.settings import apply_settings


@asynccontextmanager
async def _lifespan(application: FastAPI) -> AsyncIterator[None]:
    """With ``app.state.gbfs_background`` set (``maasmix serve`` sets it), refresh the
    loaded networks' GBFS status in the background (`maasmix.api.gbfs_refresh`) from
    start-up to shutdown; requests then never refresh inline."""
    refresher = None
    if getattr(application.state, "gbfs_background", False):
        from maasmix.api.gbfs_refresh import GbfsRefresher

        networks = getattr(application.state, "networks", None) or {}
        clock = getattr(application.state, "gbfs_clock", None)
        refresher = GbfsRefresher(networks, **({"clock": clock} if clock else {}))
        application.state.gbfs_refresher = refresher
        refresher.start()
    try:
        yield
    finally:
        if refresher is not None:
            refresher.stop()
            application.state.gbfs_refresher = None


def create_app() -> FastAPI:
    """Build the maasmix HTTP API (OpenAPI 3.1 at ``/openapi.json``); the settings' limits
    (`maasmix.api.settings.apply_settings`) are put in force for the process."""
    apply_settings()
    application: FastAPI = FastAPIOffline(
        lifespan=_lifespan,
        title="maasmix",
        version=__version__,
        description="Multimodal journey planning and MaaS bundle pricing.",
    )
    install_problem_handlers(application)
    application.include_router(v1)
    fastapi_openapi = application.openapi

    def openapi() -> dict[str, Any]:
        if application.openapi_schema is None:
            application.openapi_schema = problem_openapi(fastapi_openapi())
        return application.openapi_schema

    application.openapi = openapi  # type: ignore[method-assign]
    return application


app = create_app()
