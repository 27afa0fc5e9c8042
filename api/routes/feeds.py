"""HTTP routes: inspect an input the server may read (a file under the data folder)."""

from __future__ import annotations

import warnings
from typing import Annotated, Any

from fastapi import APIRouter, Query

from maasmix.api.deps import SOURCE_SCHEMA, SettingsDep, server_source
from maasmix.api.problems import problem_responses
from maasmix.api.schemas.inspect import InspectOut
from maasmix.errors import FeedWarning
from maasmix.feeds._http import fetch_policy
from maasmix.feeds.inspect import inspect_source

router = APIRouter(prefix="/feeds", tags=["feeds"], responses=problem_responses(403, 404, 422))


@router.get("/inspect", operation_id="inspect_feed", response_model=InspectOut)
def inspect(
    source: Annotated[
        str,
        Query(
            description="a path relative to the server's MAASMIX_DATA",
            max_length=1024,
            json_schema_extra=SOURCE_SCHEMA,
        ),
    ],
    settings: SettingsDep,
) -> dict[str, Any]:
    """Summary of a GTFS feed, GBFS system or OSM extract (same figures as the CLI).

    Repairs made while reading are listed under ``warnings``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeedWarning)
        path = server_source(source, settings)
        with fetch_policy(settings.fetch_policy()):
            summary = inspect_source(path)
    notes = [str(w.message) for w in caught if issubclass(w.category, FeedWarning)]
    return {**summary, "source": source, "warnings": notes}
