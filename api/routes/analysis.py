"""HTTP routes of the analyses: ``POST /v1/isochrones`` and ``POST /v1/matrix``, both
answered at once on a loaded network (`maasmix.engine.isochrones`,
`maasmix.engine.matrix`).

Isochrones are an RFC 7946 FeatureCollection (``application/geo+json``): per point, one
polygon per cutoff, smallest first, properties ``id`` and ``travelTime`` (minutes). A
matrix is answered when origins x destinations is at most the deployment's
``limits.matrix_cells`` (`DEFAULT_MATRIX_CELLS` without one); a larger one is a 413
problem+json naming the limit (run it with ``maasmix matrix --workers N``, which writes
resumable chunks). Bad bodies are 422 problem+json naming the field.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from maasmix.api.problems import problem_responses
from maasmix.api.routes.plan import _network
from maasmix.api.schemas.analysis import (
    IsochronesOut,
    IsochronesRequest,
    MatrixOut,
    MatrixRequest,
    MatrixRow,
    PointIn,
)
from maasmix.engine.isochrones import isochrones, to_geojson
from maasmix.engine.matrix import percentile_column, travel_time_matrix

router = APIRouter(tags=["analysis"], responses=problem_responses(401, 403, 404, 422, 503))

__all__ = ["DEFAULT_MATRIX_CELLS", "matrix_cells_limit", "router"]

#: Largest origins x destinations answered at once when the deployment sets no limit.
DEFAULT_MATRIX_CELLS = 10_000

GEOJSON = "application/geo+json"


def _points(points: list[PointIn]) -> pd.DataFrame:
    """Points as the engine reads them (``id, lat, lon``; ids default to positions)."""
    return pd.DataFrame(
        {
            "id": [p.id if p.id is not None else str(i) for i, p in enumerate(points)],
            "lat": [p.lat for p in points],
            "lon": [p.lon for p in points],
        }
    )


def _network_name(request: Request, name: str | None) -> str:
    if name is not None:
        return name
    networks: dict[str, Any] = getattr(request.app.state, "networks", None) or {}
    return next(iter(networks))


def matrix_cells_limit(request: Request) -> int:
    """The most origins x destinations one ``POST /v1/matrix`` answers."""
    deployment = getattr(request.app.state, "deployment", None)
    limit = getattr(getattr(deployment, "limits", None), "matrix_cells", None)
    return DEFAULT_MATRIX_CELLS if limit is None else int(limit)


@router.post(
    "/isochrones",
    operation_id="post_isochrones",
    response_model=IsochronesOut,
    responses={
        200: {"content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/IsochronesOut"}}}}
    },
)
def isochrones_post(request: Request, body: IsochronesRequest) -> JSONResponse:
    """Isochrones around each point for each cutoff (polygons of the streets reached)."""
    net = _network(request, body.network)
    gdf = isochrones(
        net,
        _points(body.points),
        body.departure,
        body.window,
        sorted(set(body.cutoffs)),
        body.percentile,
        max_rides=body.max_rides,
        access_modes=list(body.access_modes),
    )
    gdf = gdf.rename(columns={"travel_time": "travelTime"})
    return JSONResponse(content=json.loads(to_geojson(gdf)), media_type=GEOJSON)


@router.post(
    "/matrix",
    operation_id="post_matrix",
    response_model=MatrixOut,
    responses=problem_responses(413),
)
def matrix_post(request: Request, body: MatrixRequest) -> MatrixOut:
    """Travel-time matrix: percentiles over a departure window per origin and destination."""
    origins = _points(body.origins)
    destinations = origins if body.destinations is None else _points(body.destinations)
    cells = len(origins) * len(destinations)
    limit = matrix_cells_limit(request)
    if cells > limit:
        raise HTTPException(
            413,
            f"{len(origins)} origins x {len(destinations)} destinations = {cells:,} cells; "
            f"this service answers at most {limit:,} at once: run larger matrices with "
            "maasmix matrix --workers N (resumable chunks on Dask)",
        )
    net = _network(request, body.network)
    frame = travel_time_matrix(
        net,
        origins,
        destinations,
        body.departure,
        body.window,
        body.percentiles,
        max_time=body.max_time,
        max_rides=body.max_rides,
        cutoff=body.cutoff,
        access_modes=list(body.access_modes),
        egress_modes=list(body.egress_modes),
    )
    columns = [percentile_column(p) for p in body.percentiles]
    times = frame[columns].to_numpy(np.float64)
    share = frame.iloc[:, -1].to_numpy(np.float64)
    rows = [
        MatrixRow(
            from_id=f,
            to_id=t,
            travel_times=[None if math.isnan(v) else float(v) for v in tt],
            share_within_cutoff=float(s),
        )
        for f, t, tt, s in zip(frame["from_id"], frame["to_id"], times.tolist(), share, strict=True)
    ]
    return MatrixOut(
        network=_network_name(request, body.network),
        percentiles=list(body.percentiles),
        cutoff=float(body.cutoff if body.cutoff is not None else body.max_time),
        rows=rows,
    )
