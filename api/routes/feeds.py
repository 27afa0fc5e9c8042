"""HTTP routes: inspect an input the server can read (a path on the server or a URL)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from feeds.inspect import inspect_source

router = APIRouter(prefix="/feeds", tags=["feeds"])


@router.get("/inspect")
def inspect(
    source: str = Query(..., description="GTFS/GBFS/OSM path on the server, or an http(s) URL"),
) -> dict[str, Any]:
    """Summary of a GTFS feed, GBFS system or OSM extract (same figures as the CLI)."""
    return inspect_source(source)
