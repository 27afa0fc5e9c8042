"""HTTP routes of the analyses: ``POST /v1/isochrones`` and ``POST /v1/matrix``, both
answered at once on a loaded network (`maasmix.engine.isochrones`,
`maasmix.engine.matrix`).

Isochrones are an RFC 7946 FeatureCollection (``application/geo+json``): per point, one
polygon per cutoff, smallest first, properties ``id`` and ``travelTime`` (minutes). A
matrix is answered when origins x destinations is at most the deployment's
``limits.matrix_cells`` (`DEFAULT_MATRIX_CELLS` without one); a larger one starts a
``matrix`` job (``write`` scope; 202, ``Location: /v1/jobs/{id}``) that computes it in
origin chunks on the service's Dask cluster (`maasmix.api.analysis.run_chunks`, the
network built on the worker from the deployment's files) and whose result, read from
``GET /v1/jobs/{id}``, has the shape of the small answer. A network the deployment does
not describe by local files (given to the app directly, a URL, a feed ``id_prefix``)
cannot be rebuilt on a worker: its large matrices stay a 413 naming ``maasmix matrix
--workers N``. Bad bodies are 422 problem+json naming the field.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from maasmix.api.analysis import AnalysisSpec
from maasmix.api.deps import SettingsDep
from maasmix.api.jobs.service import open_services
from maasmix.api.problems import problem_responses
from maasmix.api.routes.jobs import job_out
from maasmix.api.routes.plan import _network
from maasmix.api.schemas.analysis import (
    IsochronesOut,
    IsochronesRequest,
    MatrixOut,
    MatrixRequest,
    MatrixRow,
    PointIn,
)
from maasmix.api.schemas.jobs import JobOut
from maasmix.api.security import caller, require_write
from maasmix.api.settings import Settings
from maasmix.engine.isochrones import isochrones, to_geojson
from maasmix.engine.matrix import percentile_column, travel_time_matrix
from maasmix.feeds._http import is_url
from maasmix.pricing.demand.jobs import NetworkArgs

router = APIRouter(tags=["analysis"], responses=problem_responses(401, 403, 404, 422, 503))

__all__ = [
    "DEFAULT_MATRIX_CELLS",
    "MATRIX_JOB_CHUNK_ORIGINS",
    "matrix_answer",
    "matrix_cells_limit",
    "router",
]

#: Largest origins x destinations answered at once when the deployment sets no limit.
DEFAULT_MATRIX_CELLS = 10_000

GEOJSON = "application/geo+json"

#: Origins per chunk of a matrix job.
MATRIX_JOB_CHUNK_ORIGINS = 50


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


def matrix_answer(
    frame: pd.DataFrame, network: str, percentiles: list[float], cutoff: float
) -> MatrixOut:
    """The JSON shape of a matrix (`maasmix.engine.matrix.travel_time_matrix` rows)."""
    columns = [percentile_column(p) for p in percentiles]
    times = frame[columns].to_numpy(np.float64)
    share = frame.iloc[:, -1].to_numpy(np.float64)
    rows = [
        MatrixRow(
            from_id=str(f),
            to_id=str(t),
            travel_times=[None if math.isnan(v) else float(v) for v in tt],
            share_within_cutoff=float(s),
        )
        for f, t, tt, s in zip(frame["from_id"], frame["to_id"], times.tolist(), share, strict=True)
    ]
    return MatrixOut(network=network, percentiles=percentiles, cutoff=float(cutoff), rows=rows)


def _network_args(request: Request, name: str, settings: Settings) -> NetworkArgs | None:
    """The files a worker builds network ``name`` from (None: the deployment does not
    describe it by local files a worker can read)."""
    from maasmix.feeds.network_fares import feed_labels

    deployment = getattr(request.app.state, "deployment", None)
    for spec in getattr(deployment, "networks", ()):
        if name not in (spec.name, f"{spec.name}@{spec.date.isoformat()}"):
            continue
        sources = [*spec.gtfs, *spec.gbfs, *([spec.osm] if spec.osm else [])]
        if any(is_url(s) for s in sources) or any(f.id_prefix for f in spec.feeds):
            return None
        labels = feed_labels(list(spec.gtfs))
        contains = tuple(
            sorted(
                (label, f.fare_contains)
                for label, f in zip(labels, spec.feeds, strict=True)
                if f.fare_contains is not None
            )
        )
        return NetworkArgs(
            gtfs=tuple(spec.gtfs),
            osm=spec.osm,
            gbfs=tuple(spec.gbfs),
            date=spec.date.isoformat(),
            fare_contains=contains or None,
            cache_dir=str(settings.cache_dir.expanduser()),
        )
    return None


def _matrix_job(
    request: Request,
    body: MatrixRequest,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    settings: Settings,
    detail: str,
) -> JSONResponse:
    """Start a ``matrix`` job (the caller needs the ``write`` scope): 202, the job."""
    who = require_write(caller(request))
    name = _network_name(request, body.network)
    _network(request, body.network)  # 404 / 503 as the small answer
    args = _network_args(request, name, settings)
    if args is None:
        raise HTTPException(
            413,
            f"{detail}; network {name!r} is not loaded from local files of the deployment, "
            "so no worker can build it: run larger matrices with maasmix matrix --workers N "
            "(resumable chunks on Dask)",
        )
    spec = AnalysisSpec(
        kind="matrix",
        departure=body.departure,
        window=float(body.window),
        percentiles=tuple(float(p) for p in body.percentiles),
        max_time=float(body.max_time),
        max_rides=int(body.max_rides),
        cutoff=None if body.cutoff is None else float(body.cutoff),
        access_modes=tuple(body.access_modes),
        egress_modes=tuple(body.egress_modes),
    )
    services = open_services(request.app)
    deployment = getattr(request.app.state, "deployment", None)
    most = getattr(getattr(deployment, "limits", None), "jobs_per_key", None)
    if most is not None and len(services.storage.active_jobs(by=who.name)) >= most:
        raise HTTPException(
            429, f"the key {who.name!r} already has {most} active jobs (limits.jobs_per_key)"
        )
    params = {
        "network": name,
        "origins": len(origins),
        "destinations": len(destinations),
        "cells": len(origins) * len(destinations),
    }
    job = services.storage.create_job(
        "matrix", None, params, by=who.name, owner_id=services.runner.owner_id
    )
    work = {
        "args": args,
        "spec": spec,
        "origins": origins,
        "destinations": destinations,
        "network": name,
        "chunk_origins": MATRIX_JOB_CHUNK_ORIGINS,
    }
    services.runner.submit(job, work, settings)
    return JSONResponse(
        status_code=202,
        content=job_out(job).model_dump(mode="json", by_alias=True),
        headers={"Location": f"/v1/jobs/{job.id}"},
    )


@router.post(
    "/matrix",
    operation_id="post_matrix",
    response_model=MatrixOut,
    responses={
        202: {"model": JobOut, "description": "a matrix job started (Location: the job)"},
        **problem_responses(413, 429),
    },
)
def matrix_post(
    request: Request, body: MatrixRequest, settings: SettingsDep
) -> MatrixOut | JSONResponse:
    """Travel-time matrix: percentiles over a departure window per origin and destination
    (above the service's ``matrix_cells``: a job, 202 and ``Location: /v1/jobs/{id}``)."""
    origins = _points(body.origins)
    destinations = origins if body.destinations is None else _points(body.destinations)
    cells = len(origins) * len(destinations)
    limit = matrix_cells_limit(request)
    if cells > limit:
        detail = (
            f"{len(origins)} origins x {len(destinations)} destinations = {cells:,} cells; "
            f"this service answers at most {limit:,} at once"
        )
        return _matrix_job(request, body, origins, destinations, settings, detail)
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
    return matrix_answer(
        frame,
        _network_name(request, body.network),
        list(body.percentiles),
        float(body.cutoff if body.cutoff is not None else body.max_time),
    )
