"""HTTP routes about the service itself: health and version."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from maasmix import __version__

router = APIRouter(tags=["meta"])


class HealthOut(BaseModel):
    """The service is up."""

    status: str
    version: str


@router.get("/health", operation_id="get_health", response_model=HealthOut)
def health() -> HealthOut:
    """Liveness check, with the maasmix version."""
    return HealthOut(status="ok", version=__version__)
