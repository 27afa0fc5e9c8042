"""HTTP routes: inspect an input the server can read (a file under the data folder, or a URL)."""

from __future__ import annotations

import warnings
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from maasmix.api.settings import Settings, get_settings
from maasmix.feeds import FeedWarning
from maasmix.feeds._http import is_url
from maasmix.feeds.inspect import inspect_source

router = APIRouter(prefix="/feeds", tags=["feeds"])


def _server_path(source: str, settings: Settings) -> str:
    """``source`` if it is a URL or a path inside ``MAASMIX_DATA``; else 403."""
    if is_url(source):
        return source
    root = settings.data.resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(403, f"only inputs under the data folder can be read: {source}")
    return str(path)


@router.get("/inspect")
def inspect(
    source: Annotated[
        str, Query(description="http(s) URL, or a path relative to the server's MAASMIX_DATA")
    ],
    settings: Annotated[Settings, Depends(get_settings)],
) -> dict[str, Any]:
    """Summary of a GTFS feed, GBFS system or OSM extract (same figures as the CLI).

    Repairs made while reading are listed under ``warnings``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeedWarning)
        summary = inspect_source(_server_path(source, settings))
    notes = [str(w.message) for w in caught if issubclass(w.category, FeedWarning)]
    return {**summary, "warnings": notes}
