"""Bodies and answers of ``POST /v1/isochrones`` and ``POST /v1/matrix`` (camelCase JSON,
bounds in the OpenAPI schema: coordinates WGS84, cutoffs 1-240 min, percentiles 0-100,
window 1-180 min)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "AccessMode",
    "IsochroneFeature",
    "IsochronesOut",
    "IsochronesRequest",
    "MatrixOut",
    "MatrixRequest",
    "MatrixRow",
    "PointIn",
]

#: Access and egress modes of an analysis (walking is always included; ``RENTAL``: every
#: shared vehicle of the network's GBFS systems).
AccessMode = Literal["WALK", "BICYCLE_RENTAL", "SCOOTER_RENTAL", "MOPED_RENTAL", "RENTAL"]
#: The matrix also takes one's own bike (to or from a stop, or all the way); isochrones do not.
MatrixMode = Literal[
    "WALK", "BICYCLE", "BICYCLE_RENTAL", "SCOOTER_RENTAL", "MOPED_RENTAL", "RENTAL"
]

#: A cutoff in minutes, and a percentile.
Cutoff = Annotated[int, Field(ge=1, le=240)]
Percentile = Annotated[float, Field(ge=0, le=100)]

#: A departure: a clock time ``H:MM[:SS]`` (hours to 48), or an ISO 8601 date-time with an
#: optional offset (what `maasmix.engine.matrix.departure_seconds` reads).
DEPARTURE_PATTERN = (
    r"^([0-4]?[0-9]:[0-5][0-9](:[0-5][0-9])?"
    r"|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)$"
)

#: Most points an isochrone request takes (each is one search per departure minute).
MAX_ISOCHRONE_POINTS = 10


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class PointIn(_Camel):
    """A WGS84 point, with an optional id (default: its position in the list, from 0)."""

    id: str | None = Field(None, min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _Analysis(_Camel):
    departure: str = Field(
        description="first departure: ISO 8601 date-time (naive: the network's time zone) "
        "or a clock time HH:MM[:SS] on the network's service date (up to 48:00); it must "
        "fall on the network's service day",
        min_length=4,
        max_length=40,
        pattern=DEPARTURE_PATTERN,
        examples=["2026-03-10T08:00"],
    )
    max_rides: int = Field(8, ge=1, le=16, description="at most this many transit rides")
    network: str | None = Field(None, description="name of a loaded network", max_length=64)


class IsochronesRequest(_Analysis):
    """Body of ``POST /v1/isochrones``."""

    points: list[PointIn] = Field(min_length=1, max_length=MAX_ISOCHRONE_POINTS)
    cutoffs: list[Cutoff] = Field(
        [15, 30, 45, 60], min_length=1, max_length=12, description="minutes, each 1-240"
    )
    window: float = Field(10, ge=1, le=180, description="departure window, minutes")
    percentile: float = Field(50, ge=0, le=100, description="of the travel time over the window")
    access_modes: list[AccessMode] = Field(["WALK"], min_length=1, max_length=5)


class IsochroneFeature(BaseModel):
    """One isochrone: the area reached from point ``id`` within ``travelTime`` minutes."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None = Field(
        description="a GeoJSON Polygon or MultiPolygon (WGS84); null: nothing reached "
        "within the cutoff (an unlocated Feature, RFC 7946 section 3.2)"
    )
    properties: dict[str, Any] = Field(description="id (the point's), travelTime (minutes)")


class IsochronesOut(BaseModel):
    """An RFC 7946 FeatureCollection: per point, one feature per cutoff, smallest first."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[IsochroneFeature]


class MatrixRequest(_Analysis):
    """Body of ``POST /v1/matrix``: origins x destinations must not exceed the service's
    ``matrix_cells`` limit (413 otherwise)."""

    origins: list[PointIn] = Field(min_length=1, max_length=100_000)
    destinations: list[PointIn] | None = Field(
        None, min_length=1, max_length=100_000, description="default: the origins"
    )
    window: float = Field(60, ge=1, le=180, description="departure window, minutes")
    percentiles: list[Percentile] = Field(
        [50.0], min_length=1, max_length=10, description="each 0-100, over the window"
    )
    max_time: float = Field(60, ge=1, le=240, description="longest trip, minutes")
    cutoff: float | None = Field(
        None, ge=1, le=240, description="minutes for shareWithinCutoff; default maxTime"
    )
    access_modes: list[MatrixMode] = Field(["WALK"], min_length=1, max_length=6)
    egress_modes: list[MatrixMode] = Field(["WALK"], min_length=1, max_length=6)


class MatrixRow(_Camel):
    """One origin-destination pair."""

    from_id: str
    to_id: str
    travel_times: list[float | None] = Field(
        description="minutes at each of the request's percentiles; null: not reached within maxTime"
    )
    share_within_cutoff: float = Field(
        ge=0, le=1, description="share of the window's departure minutes reaching it in time"
    )


class MatrixOut(_Camel):
    """A travel-time matrix (`maasmix.engine.matrix.travel_time_matrix`), origin-major."""

    network: str
    percentiles: list[float]
    cutoff: float = Field(description="minutes of shareWithinCutoff")
    rows: list[MatrixRow]
