"""The HTTP routes, one module per area, collected under the versioned router ``/v1``
(`maasmix.api.app.create_app` adds it behind the key check, and ``meta``'s routes beside
it without one)."""

from fastapi import APIRouter

from maasmix.api.routes import (
    analysis,
    bundles,
    feeds,
    jobs,
    networks,
    plan,
    route,
    scenarios,
    stops,
)

v1 = APIRouter(prefix="/v1")
for module in (feeds, route, plan, bundles, networks, stops, scenarios, jobs, analysis):
    v1.include_router(module.router)

__all__ = ["v1"]
