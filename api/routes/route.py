"""HTTP routes: transit journeys, earliest arrivals and profiles on a GTFS feed.

The feed is a path relative to the server's ``MAASMIX_DATA`` folder (URLs only from
hosts the operator allows, see `maasmix.api.deps.server_source`); compiled routers are
kept in memory per (feed, date, footpath length in whole metres) - at most
``MAASMIX_ROUTERS_IN_MEMORY``, least recently used dropped first - and on disk in
``MAASMIX_CACHE_DIR``. Concurrent requests for a router that is not built yet wait for
one build (single-flight) instead of each starting their own. Defaults are those of
`maasmix.defaults`, as in Python and the CLI.

Parameters are camelCase (``maxTransfers``, ``minTransferSeconds``, ``maxWalkMeters``,
``stepSeconds``); the snake_case names they had (`SNAKE_ALIASES`) are still accepted.
Journeys answer the itinerary and leg shape of ``/v1/plan`` (`maasmix.api.schemas.legs`),
``legGeometry`` as GeoJSON or, with ``geometry=polyline``, an encoded polyline.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from maasmix import defaults
from maasmix.api.deps import MAX_SOURCE_CHARS, SOURCE_SCHEMA, SettingsDep, server_source
from maasmix.api.problems import problem_responses
from maasmix.api.schemas.journeys import JourneysOut, journeys_out
from maasmix.api.schemas.legs import GeometryFormat
from maasmix.api.settings import Settings
from maasmix.engine import TransitRouter
from maasmix.engine.router import MAX_PROFILE_DEPARTURES
from maasmix.errors import QueryError
from maasmix.feeds._http import fetch_policy
from maasmix.servicetime import format_clock, parse_clock

router = APIRouter(prefix="/route", tags=["route"], responses=problem_responses(403, 404, 422))

MAX_WALK_LIMIT_M = 5000.0


_YEAR = r"[1-9][0-9]{3}"
_LEAP_YEAR = r"([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"


def _date_pattern(sep: str) -> str:
    """A calendar date YYYY{sep}MM{sep}DD (February 29 in leap years only)."""
    days = (
        rf"((0[13578]|1[02]){sep}(0[1-9]|[12][0-9]|3[01])"
        rf"|(0[469]|11){sep}(0[1-9]|[12][0-9]|30)"
        rf"|02{sep}(0[1-9]|1[0-9]|2[0-8]))"
    )
    return rf"({_YEAR}{sep}{days}|{_LEAP_YEAR}{sep}02{sep}29)"


#: ``date``: a calendar date, YYYYMMDD or YYYY-MM-DD.
DATE_PATTERN = rf"^({_date_pattern('')}|{_date_pattern('-')})$"
#: A time of the service day, 00:00 to 48:00: HH:MM[:SS] or whole seconds (up to 172800).
CLOCK_PATTERN = (
    r"^(([0-3]?[0-9]|4[0-7]):[0-5][0-9](:[0-5][0-9])?|48:00(:00)?"
    r"|1[0-6][0-9]{4}|17[01][0-9]{3}|172[0-7][0-9]{2}|172800|[0-9]{1,5})$"
)
#: The JSON Schema of a feed name (`maasmix.api.deps.SOURCE_SCHEMA`) with its description.
FEED_SCHEMA = {**SOURCE_SCHEMA, "description": "GTFS zip/folder relative to MAASMIX_DATA"}

#: Parameters renamed to camelCase: the new name and the snake_case one still accepted.
SNAKE_ALIASES = {
    "maxTransfers": "max_transfers",
    "minTransferSeconds": "min_transfer_s",
    "maxWalkMeters": "max_walk_m",
    "stepSeconds": "step_s",
}


StopId = Annotated[str, Field(min_length=1, max_length=255)]
#: Several stops with the seconds it takes to reach them (or to leave them).
StopOffsets = Annotated[dict[StopId, Annotated[int, Field(ge=0, le=86_400)]], Field(min_length=1)]


class JourneyRequest(BaseModel):
    """Body of ``POST /v1/route/journeys`` (the snake_case names of `SNAKE_ALIASES` are
    accepted too)."""

    model_config = ConfigDict(populate_by_name=True)

    feed: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS, json_schema_extra=FEED_SCHEMA)
    date: str = Field(
        description="service date, YYYYMMDD", examples=["20141020"], pattern=DATE_PATTERN
    )
    origin: StopId | StopOffsets = Field(
        alias="from", description="stop_id, or {stop_id: access seconds}"
    )
    destination: StopId | StopOffsets = Field(
        alias="to", description="stop_id, or {stop_id: egress seconds}"
    )
    at: str = Field(
        description="departure time HH:MM[:SS] (may exceed 24:00) or seconds",
        examples=["08:00"],
        pattern=CLOCK_PATTERN,
    )
    max_transfers: int = Field(defaults.MAX_TRANSFERS, alias="maxTransfers", ge=0, le=20)
    min_transfer_s: int = Field(
        defaults.MIN_TRANSFER_S,
        alias="minTransferSeconds",
        ge=0,
        le=3600,
        description="minimum transfer time, seconds",
    )
    max_walk_m: float = Field(
        defaults.MAX_WALK_M,
        alias="maxWalkMeters",
        ge=0,
        le=MAX_WALK_LIMIT_M,
        description="footpath length, metres (rounded to whole metres)",
    )
    walking: bool = Field(False, description="McRAPTOR: Pareto also over walking time")
    geometry: GeometryFormat = Field(
        "geojson", description="legGeometry as a GeoJSON LineString or an encoded polyline"
    )

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        """Refuse a body that gives a parameter under both of its names, differently."""
        if isinstance(data, dict):
            for camel, snake in SNAKE_ALIASES.items():
                if camel in data and snake in data and data[camel] != data[snake]:
                    raise ValueError(f"give {camel} or {snake}, not both")
        return data


class ArrivalsOut(BaseModel):
    """Earliest arrival per reachable stop."""

    date: str
    origin: str = Field(alias="from")
    arrivals: dict[str, int] = Field(description="stop_id -> seconds after service midnight")


class ProfileRowOut(BaseModel):
    """The earliest arrival for one departure time."""

    departureSeconds: int
    departure: str
    arrivalSeconds: int | None
    arrival: str | None
    duration: int | None
    numberOfTransfers: int | None


class ProfileOut(BaseModel):
    """Range query answer: one row per departure of the window."""

    date: str
    origin: str = Field(alias="from")
    destination: str = Field(alias="to")
    profile: list[ProfileRowOut]
    window: list[str]


class SingleFlightCache:
    """At most ``size`` values by key, least recently used dropped first; a missing value
    is built once however many threads ask for it at the same time (the others wait and
    get the same value, or the same error)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, TransitRouter] = OrderedDict()
        self._building: dict[Hashable, Future[TransitRouter]] = {}
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], TransitRouter]) -> TransitRouter:
        """The value of ``key``, built by ``build`` if no thread has it or is building it."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            pending = self._building.get(key)
            if pending is None:
                pending = self._building[key] = Future()
                owner = True
            else:
                owner = False
        if not owner:
            return pending.result()
        try:
            self.builds += 1
            value = build()
        except BaseException as exc:
            with self._lock:
                del self._building[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            self._values[key] = value
            while len(self._values) > max(self.size, 0):
                self._values.popitem(last=False)
            del self._building[key]
        pending.set_result(value)
        return value

    def clear(self) -> None:
        """Forget every built value (builds in progress finish for their waiters)."""
        with self._lock:
            self._values.clear()


_routers = SingleFlightCache(8)


def walk_key(max_walk_m: float) -> int:
    """Footpath length as the cache and the build see it: whole metres (4999.4 -> 4999)."""
    return round(float(max_walk_m))


def _get_router(feed: str, date: str, max_walk_m: float, settings: Settings) -> TransitRouter:
    path = server_source(feed, settings, parameter="feed")
    walk = walk_key(max_walk_m)
    cache_dir = Path(settings.cache_dir)
    _routers.size = settings.routers_in_memory

    def build() -> TransitRouter:
        with fetch_policy(settings.fetch_policy()):
            return TransitRouter.from_gtfs(path, date, max_walk_m=walk, cache_dir=cache_dir)

    return _routers.get((path, date, walk, str(cache_dir)), build)


def _known_stops(r: TransitRouter, stops: str | Mapping[str, int], parameter: str) -> None:
    """Raise a 422 naming ``parameter`` (``from`` or ``to``) for a stop_id the feed lacks."""
    for stop in [stops] if isinstance(stops, str) else list(stops):
        try:
            r.stop_indices(stop)
        except QueryError as exc:
            raise QueryError(exc.message, parameter=parameter) from None


def _plan(body: JourneyRequest, settings: Settings) -> JourneysOut:
    r = _get_router(body.feed, body.date, body.max_walk_m, settings)
    _known_stops(r, body.origin, "from")
    _known_stops(r, body.destination, "to")
    search = r.mc_journeys if body.walking else r.journeys
    found = search(
        body.origin,
        body.destination,
        body.at,
        max_transfers=body.max_transfers,
        min_transfer_s=body.min_transfer_s,
    )
    return journeys_out(
        r.timetable.date.isoformat(),
        body.origin,
        body.destination,
        found,
        body.geometry,
        timetable=r.timetable,
    )


T = TypeVar("T")


def _spelled(request: Request, camel: str, new: T, old: T | None) -> T:
    """The value of a renamed query parameter: ``camel`` or its old snake_case name
    (`SNAKE_ALIASES`); both given with different values is a 422 naming ``camel``."""
    snake = SNAKE_ALIASES[camel]
    given = request.query_params
    if old is None or (camel in given and new == old):
        return new
    if camel in given:
        raise QueryError(f"give {camel} or {snake}, not both", parameter=camel)
    return old


Feed = Annotated[
    str, Query(min_length=1, max_length=MAX_SOURCE_CHARS, json_schema_extra=FEED_SCHEMA)
]
Date = Annotated[str, Query(description="service date, YYYYMMDD", pattern=DATE_PATTERN)]
Clock = Annotated[
    str,
    Query(description="time HH:MM[:SS] (may exceed 24:00) or seconds", pattern=CLOCK_PATTERN),
]
Stop = Annotated[str, Query(min_length=1, max_length=255)]
Geometry = Annotated[
    GeometryFormat,
    Query(description="legGeometry as a GeoJSON LineString or an encoded polyline"),
]
WALK_HELP = "footpath length, metres (whole metres used; also accepted as max_walk_m)"
Walk = Annotated[
    float, Query(alias="maxWalkMeters", ge=0, le=MAX_WALK_LIMIT_M, description=WALK_HELP)
]
OldWalk = Annotated[
    float | None, Query(alias="max_walk_m", ge=0, le=MAX_WALK_LIMIT_M, include_in_schema=False)
]
Transfers = Annotated[
    int, Query(alias="maxTransfers", ge=0, le=20, description="also accepted as max_transfers")
]
OldTransfers = Annotated[
    int | None, Query(alias="max_transfers", ge=0, le=20, include_in_schema=False)
]
SLACK_HELP = "minimum transfer time, seconds (also accepted as min_transfer_s)"
Slack = Annotated[int, Query(alias="minTransferSeconds", ge=0, le=3600, description=SLACK_HELP)]
OldSlack = Annotated[
    int | None, Query(alias="min_transfer_s", ge=0, le=3600, include_in_schema=False)
]


@router.get(
    "/journeys",
    operation_id="get_journeys",
    response_model=JourneysOut,
    response_model_exclude_none=True,
)
def journeys_get(
    request: Request,
    feed: Feed,
    date: Date,
    origin: Annotated[
        str, Query(alias="from", description="origin stop_id", min_length=1, max_length=255)
    ],
    destination: Annotated[
        str, Query(alias="to", description="destination stop_id", min_length=1, max_length=255)
    ],
    at: Clock,
    settings: SettingsDep,
    max_transfers: Transfers = defaults.MAX_TRANSFERS,
    min_transfer_s: Slack = defaults.MIN_TRANSFER_S,
    max_walk_m: Walk = defaults.MAX_WALK_M,
    walking: Annotated[bool, Query(description="McRAPTOR: Pareto also over walking")] = False,
    geometry: Geometry = "geojson",
    old_max_transfers: OldTransfers = None,
    old_min_transfer_s: OldSlack = None,
    old_max_walk_m: OldWalk = None,
) -> JourneysOut:
    """Pareto-optimal journeys (arrival, transfers[, walking]) as OTP-like itineraries
    (the legs of ``/v1/plan``)."""
    body = JourneyRequest.model_validate(
        {
            "feed": feed,
            "date": date,
            "from": origin,
            "to": destination,
            "at": at,
            "maxTransfers": _spelled(request, "maxTransfers", max_transfers, old_max_transfers),
            "minTransferSeconds": _spelled(
                request, "minTransferSeconds", min_transfer_s, old_min_transfer_s
            ),
            "maxWalkMeters": _spelled(request, "maxWalkMeters", max_walk_m, old_max_walk_m),
            "walking": walking,
            "geometry": geometry,
        }
    )
    return _plan(body, settings)


@router.post(
    "/journeys",
    operation_id="post_journeys",
    response_model=JourneysOut,
    response_model_exclude_none=True,
)
def journeys_post(body: JourneyRequest, settings: SettingsDep) -> JourneysOut:
    """Same as GET, with several origins/destinations and access/egress seconds allowed."""
    return _plan(body, settings)


@router.get("/earliest-arrivals", operation_id="get_earliest_arrivals", response_model=ArrivalsOut)
def earliest_arrivals(
    request: Request,
    feed: Feed,
    date: Date,
    origin: Annotated[
        str, Query(alias="from", description="origin stop_id", min_length=1, max_length=255)
    ],
    at: Clock,
    settings: SettingsDep,
    max_transfers: Annotated[
        int | None,
        Query(
            alias="maxTransfers",
            ge=0,
            le=50,
            description="default: no limit (also accepted as max_transfers)",
        ),
    ] = None,
    min_transfer_s: Slack = defaults.MIN_TRANSFER_S,
    max_walk_m: Walk = defaults.MAX_WALK_M,
    old_max_transfers: Annotated[
        int | None, Query(alias="max_transfers", ge=0, le=50, include_in_schema=False)
    ] = None,
    old_min_transfer_s: OldSlack = None,
    old_max_walk_m: OldWalk = None,
) -> dict[str, object]:
    """One-to-all: earliest arrival (seconds after the service day's midnight) per stop."""
    walk = _spelled(request, "maxWalkMeters", max_walk_m, old_max_walk_m)
    r = _get_router(feed, date, walk, settings)
    _known_stops(r, origin, "from")
    series = r.earliest_arrivals(
        origin,
        at,
        _spelled(request, "maxTransfers", max_transfers, old_max_transfers),
        min_transfer_s=_spelled(request, "minTransferSeconds", min_transfer_s, old_min_transfer_s),
    )
    return {
        "date": r.timetable.date.isoformat(),
        "from": origin,
        "arrivals": {str(k): int(v) for k, v in series.items()},
    }


@router.get("/profile", operation_id="get_profile", response_model=ProfileOut)
def profile(
    request: Request,
    feed: Feed,
    date: Date,
    origin: Annotated[
        str, Query(alias="from", description="origin stop_id", min_length=1, max_length=255)
    ],
    destination: Annotated[
        str, Query(alias="to", description="destination stop_id", min_length=1, max_length=255)
    ],
    start: Annotated[
        str, Query(description="window start HH:MM[:SS] or seconds", pattern=CLOCK_PATTERN)
    ],
    end: Annotated[
        str, Query(description="window end HH:MM[:SS] or seconds", pattern=CLOCK_PATTERN)
    ],
    settings: SettingsDep,
    step_s: Annotated[
        int,
        Query(
            alias="stepSeconds",
            ge=1,
            le=3600,
            description="seconds between departures (also accepted as step_s)",
        ),
    ] = defaults.PROFILE_STEP_S,
    max_transfers: Transfers = defaults.MAX_TRANSFERS,
    min_transfer_s: Slack = defaults.MIN_TRANSFER_S,
    max_walk_m: Walk = defaults.MAX_WALK_M,
    old_step_s: Annotated[
        int | None, Query(alias="step_s", ge=1, le=3600, include_in_schema=False)
    ] = None,
    old_max_transfers: OldTransfers = None,
    old_min_transfer_s: OldSlack = None,
    old_max_walk_m: OldWalk = None,
) -> dict[str, object]:
    """Range query: earliest arrival for each departure in the window (rRAPTOR)."""
    walk = _spelled(request, "maxWalkMeters", max_walk_m, old_max_walk_m)
    step = _spelled(request, "stepSeconds", step_s, old_step_s)
    first, last = parse_clock(start, parameter="start"), parse_clock(end, parameter="end")
    if last < first:
        raise QueryError(f"the window ends before it starts ({start})", parameter="end")
    if (last - first) // step > MAX_PROFILE_DEPARTURES:
        raise QueryError(
            f"more than {MAX_PROFILE_DEPARTURES} departures in the window: a longer step",
            parameter="stepSeconds",
        )
    r = _get_router(feed, date, walk, settings)
    _known_stops(r, origin, "from")
    _known_stops(r, destination, "to")
    frame = r.profile(
        origin,
        destination,
        first,
        last,
        step_s=step,
        max_transfers=_spelled(request, "maxTransfers", max_transfers, old_max_transfers),
        min_transfer_s=_spelled(request, "minTransferSeconds", min_transfer_s, old_min_transfer_s),
    )
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
        "window": [
            format_clock(int(frame.departure_s.iloc[0])),
            format_clock(int(frame.departure_s.iloc[-1])),
        ],
    }
