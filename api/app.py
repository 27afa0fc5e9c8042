"""The FastAPI application: wires the routers and the problem+json error handlers."""

from __future__ import annotations

from fastapi import FastAPI

from maasmix.api.problems import install_problem_handlers
from maasmix.api.routes import bundles, feeds, route


def create_app() -> FastAPI:
    """Build the maasmix HTTP API (OpenAPI 3.1 at ``/openapi.json``)."""
    application = FastAPI(title="maasmix", version="0.1.0")
    install_problem_handlers(application)
    application.include_router(feeds.router)
    application.include_router(route.router)
    application.include_router(bundles.router)

    @application.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return application


app = create_app()
