"""The FastAPI application: the ``/v1`` routes and the problem+json handlers.

Interactive docs at ``/docs`` (Swagger UI) and ``/redoc`` load their assets from the
installed package (fastapi-offline), so they work without internet.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from maasmix import __version__
from maasmix.api.problems import install_problem_handlers, problem_openapi
from maasmix.api.routes import v1
from maasmix.api.settings import apply_settings


def create_app() -> FastAPI:
    """Build the maasmix HTTP API (OpenAPI 3.1 at ``/openapi.json``); the settings' limits
    (`maasmix.api.settings.apply_settings`) are put in force for the process."""
    apply_settings()
    application: FastAPI = FastAPIOffline(
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
