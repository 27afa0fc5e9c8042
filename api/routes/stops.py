"""HTTP route: find stops by name and by position (``GET /v1/stops``), so that clients
find the ids the other routes take.

``q``: case-insensitive substring of the stop name (a name equal to ``q`` first, then
names starting with it, then the rest, each alphabetical); ``near=LAT,LON``: nearest
first (with ``q`` as well: the matching stops, nearest first), each with its distance;
``limit`` stops at most. One of ``q`` and ``near`` is required (422 otherwise).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from maasmix.api.deps import COORD_PATTERN
from maasmix.api.problems import problem_responses
from maasmix.api.routes.plan import _latlon, _network
from maasmix.errors import QueryError
from maasmix.geodesy import haversine_m

router = APIRouter(tags=["stops"], responses=problem_responses(401, 403, 404, 422, 503))

__all__ = ["StopOut", "StopsOut", "find_stops", "router"]

#: Most stops one answer lists.
MAX_LIMIT = 100


class StopOut(BaseModel):
    """A stop (or station) of the network."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str = Field(description="the stop_id as the network prefixes it")
    name: str
    lat: float
    lon: float
    served: bool = Field(description="some trip of the service date stops here")
    distance_m: float | None = Field(None, description="from near=, metres (great circle)")


class StopsOut(BaseModel):
    """Stops matching the query, best first."""

    network: str
    stops: list[StopOut]


def find_stops(
    ids: np.ndarray,
    names: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    q: str | None,
    near: tuple[float, float] | None,
    limit: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of the stops matching ``q`` / nearest ``near`` (see the module docstring)
    and their distances in metres (None without ``near``); vectorised over every stop."""
    chosen = np.arange(len(ids))
    series = pd.Series(names, dtype=object).astype(str).str.casefold()
    rank = np.zeros(len(ids), dtype=np.int8)
    if q is not None:
        needle = q.strip().casefold()
        hit = series.str.contains(needle, regex=False).to_numpy(dtype=bool)
        chosen = np.flatnonzero(hit)
        exact = (series == needle).to_numpy(dtype=bool)
        prefix = series.str.startswith(needle).to_numpy(dtype=bool)
        rank = np.where(exact, 0, np.where(prefix, 1, 2)).astype(np.int8)
    if near is not None:
        dist = haversine_m(near[0], near[1], lat[chosen], lon[chosen])
        order = np.lexsort((ids[chosen].astype(str), dist))[:limit]
        return chosen[order], dist[order]
    keys = (ids[chosen].astype(str), series.to_numpy()[chosen], rank[chosen])
    order = np.lexsort(keys)[:limit]
    return chosen[order], None


@router.get(
    "/stops", operation_id="find_stops", response_model=StopsOut, response_model_by_alias=True
)
def stops(
    request: Request,
    q: Annotated[
        str | None, Query(description="part of the stop name", min_length=1, max_length=200)
    ] = None,
    near: Annotated[
        str | None,
        Query(description="LAT,LON (degrees)", max_length=64, pattern=COORD_PATTERN),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    network: Annotated[str | None, Query(max_length=64)] = None,
) -> StopsOut:
    """Stops by name (``q``) and/or nearest a position (``near``)."""
    if q is None and near is None:
        raise QueryError("give q (part of a name) or near (LAT,LON)", parameter="q")
    if q is not None and not q.strip():
        raise QueryError("must contain more than spaces", parameter="q")
    point = None
    if near is not None:
        p = _latlon(near, "near")
        point = (p.lat, p.lon)
    net = _network(request, network)
    nets = getattr(request.app.state, "networks", None) or {}
    name = next(n for n, candidate in nets.items() if candidate is net)
    tt = net.compiled.timetable
    found, dist = find_stops(tt.stop_ids, tt.stop_names, tt.stop_lat, tt.stop_lon, q, point, limit)
    served = net.compiled.served
    return StopsOut(
        network=name,
        stops=[
            StopOut(
                id=str(tt.stop_ids[i]),
                name=str(tt.stop_names[i]),
                lat=float(tt.stop_lat[i]),
                lon=float(tt.stop_lon[i]),
                served=bool(served[i]),
                distance_m=None if dist is None else round(float(dist[k]), 1),
            )
            for k, i in enumerate(found)
        ],
    )
