"""The HTTP routes, one module per area, collected under the versioned router ``/v1``."""

from fastapi import APIRouter

from maasmix.api.routes import bundles, feeds, meta, plan, route

v1 = APIRouter(prefix="/v1")
for module in (meta, feeds, route, plan, bundles):
    v1.include_router(module.router)

__all__ = ["v1"]
