"""The JSON shape of stop-to-stop transit journeys (``/v1/route/journeys``, ``maasmix
route --json``).

The itineraries and legs are those of ``/v1/plan`` (`maasmix.api.schemas.legs`): times
as ISO 8601 with the feed's UTC offset (``start``/``end``), epoch milliseconds
(``startTime``/``endTime``, as OpenTripPlanner clients expect) and seconds after the
service day's midnight (``startSeconds``/``endSeconds``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from maasmix.api.schemas.legs import GeometryFormat, ItineraryOut, LegOut
from maasmix.api.schemas.legs import itinerary_out as _itinerary_out
from maasmix.engine import Journey, Leg
from maasmix.engine.itinerary import StopCall
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["ItineraryOut", "JourneysOut", "LegOut", "drawn", "itinerary_out", "journeys_out"]


class JourneysOut(BaseModel):
    """Pareto-optimal journeys between two stops (or sets of stops)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    date: str = Field(description="service date, ISO 8601")
    from_: str | dict[str, int] = Field(alias="from")
    to: str | dict[str, int]
    itineraries: list[ItineraryOut]


def _trip_index(tt: CompiledTimetable) -> dict[str, int]:
    """Compiled trip by trip key (built once per timetable)."""
    found: dict[str, int] | None = tt.__dict__.get("_route_trip_index")
    if found is None:
        found = {str(k): i for i, k in enumerate(tt.trip_keys.tolist())}
        object.__setattr__(tt, "_route_trip_index", found)
    return found


def _ride(tt: CompiledTimetable, leg: Leg) -> Leg:
    """A transit leg with the stops it passes (``intermediate_stops``) and its path through
    them (``geometry``, lon/lat); the leg itself when its trip cannot be followed."""
    trip = _trip_index(tt).get(str(leg.trip_key))
    if trip is None:
        return leg
    stops, arr, dep = tt.trip_stop_times(trip)
    board = np.flatnonzero((stops == tt.stop_index(leg.from_stop_id)) & (dep == leg.start_s))
    alight = np.flatnonzero((stops == tt.stop_index(leg.to_stop_id)) & (arr == leg.end_s))
    alight = alight[alight > board[0]] if len(board) else alight[:0]
    if not len(alight):
        return leg
    i0, i1 = int(board[0]), int(alight[0])
    path = stops[i0 : i1 + 1]
    calls = tuple(
        StopCall(str(tt.stop_ids[s]), str(tt.stop_names[s]), float(tt.stop_lat[s]),
                 float(tt.stop_lon[s]), int(a), int(d))
        for s, a, d in zip(
            path[1:-1].tolist(), arr[i0 + 1 : i1].tolist(), dep[i0 + 1 : i1].tolist(), strict=True
        )
    )  # fmt: skip
    line = tuple(zip(tt.stop_lon[path].tolist(), tt.stop_lat[path].tolist(), strict=True))
    return dataclasses.replace(leg, intermediate_stops=calls, geometry=line)


def drawn(tt: CompiledTimetable, journey: Journey) -> Journey:
    """``journey`` (found on ``tt``) with every transit leg's passed stops and its path
    through them (a router's legs have neither)."""
    legs = tuple(_ride(tt, leg) if leg.is_transit else leg for leg in journey.legs)
    return dataclasses.replace(journey, legs=legs)


def itinerary_out(journey: Journey, geometry: GeometryFormat = "geojson") -> ItineraryOut:
    """The JSON shape of one journey (the plan's itinerary shape)."""
    return _itinerary_out(journey, geometry=geometry)


def journeys_out(
    date: str,
    origin: str | dict[str, int],
    destination: str | dict[str, int],
    found: list[Journey],
    geometry: GeometryFormat = "geojson",
    *,
    timetable: CompiledTimetable | None = None,
) -> JourneysOut:
    """The body of a journeys answer; ``legGeometry`` as GeoJSON or an encoded polyline;
    with the ``timetable`` the journeys were found on, transit legs list the stops they
    pass and run through them (`drawn`), else they are straight lines."""
    if timetable is not None:
        found = [drawn(timetable, j) for j in found]
    return JourneysOut(
        date=date,
        **{"from": origin},
        to=destination,
        itineraries=[itinerary_out(j, geometry) for j in found],
    )
