"""The JSON shape of stop-to-stop transit journeys (``/v1/route/journeys``, ``maasmix
route --json``).

The itineraries and legs are those of ``/v1/plan`` (`maasmix.api.schemas.legs`): times
as ISO 8601 with the feed's UTC offset (``start``/``end``), epoch milliseconds
(``startTime``/``endTime``, as OpenTripPlanner clients expect) and seconds after the
service day's midnight (``startSeconds``/``endSeconds``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from maasmix.api.schemas.legs import GeometryFormat, ItineraryOut, LegOut
from maasmix.api.schemas.legs import itinerary_out as _itinerary_out
from maasmix.engine import Journey

__all__ = ["ItineraryOut", "JourneysOut", "LegOut", "itinerary_out", "journeys_out"]


class JourneysOut(BaseModel):
    """Pareto-optimal journeys between two stops (or sets of stops)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    date: str = Field(description="service date, ISO 8601")
    from_: str | dict[str, int] = Field(alias="from")
    to: str | dict[str, int]
    itineraries: list[ItineraryOut]


def itinerary_out(journey: Journey, geometry: GeometryFormat = "geojson") -> ItineraryOut:
    """The JSON shape of one journey (the plan's itinerary shape)."""
    return _itinerary_out(journey, geometry=geometry)


def journeys_out(
    date: str,
    origin: str | dict[str, int],
    destination: str | dict[str, int],
    found: list[Journey],
    geometry: GeometryFormat = "geojson",
) -> JourneysOut:
    """The body of a journeys answer; ``legGeometry`` as GeoJSON or an encoded polyline."""
    return JourneysOut(
        date=date,
        **{"from": origin},
        to=destination,
        itineraries=[itinerary_out(j, geometry) for j in found],
    )
