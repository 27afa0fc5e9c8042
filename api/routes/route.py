"""HTTP routes: transit journeys, earliest arrivals and profiles on a GTFS feed.

The feed is a path relative to the server's ``MAASMIX_DATA`` folder (or an http(s) URL);
compiled routers are kept in memory per (feed, date, footpath parameters) and on disk
in ``MAASMIX_CACHE_DIR``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from maasmix.api.settings import Settings, get_settings
from maasmix.engine import QueryError, TransitRouter
from maasmix.engine.journeys import hhmmss

router = APIRouter(prefix="/route", tags=["route"])


class JourneyRequest(BaseModel):
    """Body of ``POST /route/journeys``."""

    feed: str = Field(description="GTFS zip/folder relative to MAASMIX_DATA, or a URL")
    date: str = Field(description="service date, YYYYMMDD", examples=["20141020"])
    origin: str | dict[str, int] = Field(
        alias="from", description="stop_id, or {stop_id: access seconds}"
    )
    destination: str | dict[str, int] = Field(
        alias="to", description="stop_id, or {stop_id: egress seconds}"
    )
    at: str = Field(description="departure time HH:MM[:SS]", examples=["08:00"])
    max_transfers: int = Field(8, ge=0, le=20)
    min_transfer_s: int = Field(60, ge=0, le=3600)
    max_walk_m: float = Field(500.0, ge=0, le=5000)
    walking: bool = Field(False, description="McRAPTOR: Pareto also over walking time")


def _server_path(source: str, settings: Settings) -> str:
    if source.startswith(("http://", "https://")):
        return source
    root = settings.data.resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(403, f"only feeds under the data folder can be read: {source}")
    return str(path)


@functools.lru_cache(maxsize=8)
def _router(path: str, date: str, max_walk_m: float, cache_dir: str) -> TransitRouter:
    return TransitRouter.from_gtfs(path, date, max_walk_m=max_walk_m, cache_dir=Path(cache_dir))


def _get_router(feed: str, date: str, max_walk_m: float, settings: Settings) -> TransitRouter:
    try:
        return _router(
            _server_path(feed, settings), date, float(max_walk_m), str(settings.cache_dir)
        )
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from None


def _plan(body: JourneyRequest, settings: Settings) -> dict[str, Any]:
    r = _get_router(body.feed, body.date, body.max_walk_m, settings)
    plan = r.mc_journeys if body.walking else r.journeys
    try:
        journeys = plan(
            body.origin,
            body.destination,
            body.at,
            max_transfers=body.max_transfers,
            min_transfer_s=body.min_transfer_s,
        )
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "date": r.timetable.date.isoformat(),
        "from": body.origin,
        "to": body.destination,
        "itineraries": [j.to_dict() for j in journeys],
    }


Feed = Annotated[str, Query(description="GTFS zip/folder relative to MAASMIX_DATA, or a URL")]
Date = Annotated[str, Query(description="service date, YYYYMMDD")]
Walk = Annotated[float, Query(ge=0, le=5000, description="footpath length, metres")]
Transfers = Annotated[int, Query(ge=0, le=20)]
Slack = Annotated[int, Query(ge=0, le=3600, description="minimum transfer time, seconds")]


@router.get("/journeys")
def journeys_get(
    feed: Feed,
    date: Date,
    origin: Annotated[str, Query(alias="from", description="origin stop_id")],
    destination: Annotated[str, Query(alias="to", description="destination stop_id")],
    at: Annotated[str, Query(description="departure time HH:MM[:SS]")],
    settings: Annotated[Settings, Depends(get_settings)],
    max_transfers: Transfers = 8,
    min_transfer_s: Slack = 60,
    max_walk_m: Walk = 500.0,
    walking: bool = False,
) -> dict[str, Any]:
    """Pareto-optimal journeys (arrival, transfers[, walking]) as OTP-like itineraries."""
    body = JourneyRequest.model_validate(
        {
            "feed": feed,
            "date": date,
            "from": origin,
            "to": destination,
            "at": at,
            "max_transfers": max_transfers,
            "min_transfer_s": min_transfer_s,
            "max_walk_m": max_walk_m,
            "walking": walking,
        }
    )
    return _plan(body, settings)


@router.post("/journeys")
def journeys_post(
    body: JourneyRequest, settings: Annotated[Settings, Depends(get_settings)]
) -> dict[str, Any]:
    """Same as GET, with several origins/destinations and access/egress seconds allowed."""
    return _plan(body, settings)


@router.get("/earliest-arrivals")
def earliest_arrivals(
    feed: Feed,
    date: Date,
    origin: Annotated[str, Query(alias="from", description="origin stop_id")],
    at: Annotated[str, Query(description="departure time HH:MM[:SS]")],
    settings: Annotated[Settings, Depends(get_settings)],
    max_transfers: Annotated[int | None, Query(ge=0, le=50)] = None,
    min_transfer_s: Slack = 0,
    max_walk_m: Walk = 500.0,
) -> dict[str, Any]:
    """One-to-all: earliest arrival (seconds after the service day's midnight) per stop."""
    r = _get_router(feed, date, max_walk_m, settings)
    try:
        series = r.earliest_arrivals(origin, at, max_transfers, min_transfer_s=min_transfer_s)
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "date": r.timetable.date.isoformat(),
        "from": origin,
        "arrivals": {str(k): int(v) for k, v in series.items()},
    }


@router.get("/profile")
def profile(
    feed: Feed,
    date: Date,
    origin: Annotated[str, Query(alias="from", description="origin stop_id")],
    destination: Annotated[str, Query(alias="to", description="destination stop_id")],
    start: Annotated[str, Query(description="window start HH:MM[:SS]")],
    end: Annotated[str, Query(description="window end HH:MM[:SS]")],
    settings: Annotated[Settings, Depends(get_settings)],
    step_s: Annotated[int, Query(ge=1, le=3600)] = 60,
    max_transfers: Transfers = 8,
    min_transfer_s: Slack = 60,
    max_walk_m: Walk = 500.0,
) -> dict[str, Any]:
    """Range query: earliest arrival for each departure in the window (rRAPTOR)."""
    r = _get_router(feed, date, max_walk_m, settings)
    try:
        frame = r.profile(
            origin,
            destination,
            start,
            end,
            step_s=step_s,
            max_transfers=max_transfers,
            min_transfer_s=min_transfer_s,
        )
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from None
    rows = []
    for row in frame.itertuples(index=False):
        reached = row.arrival is not None
        rows.append(
            {
                "departureSeconds": int(row.departure_s),
                "departure": row.departure,
                "arrivalSeconds": int(row.arrival_s) if reached else None,
                "arrival": row.arrival,
                "duration": int(row.duration_s) if reached else None,
                "numberOfTransfers": int(row.transfers) if reached else None,
            }
        )
    return {
        "date": r.timetable.date.isoformat(),
        "from": origin,
        "to": destination,
        "profile": rows,
        "window": [hhmmss(int(frame.departure_s.iloc[0])), hhmmss(int(frame.departure_s.iloc[-1]))],
    }
