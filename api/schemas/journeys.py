"""The JSON shape of transit journeys: OpenTripPlanner-like itineraries and legs.

Keys are camelCase as in OTP's GTFS GraphQL API (``startTime``, ``legs``,
``numberOfTransfers``); times are ISO 8601 with the feed's UTC offset, plus seconds
after the service day's midnight (``startSeconds``). The CLI's ``--json`` prints the
same bodies.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from maasmix.engine import Journey, Leg
from maasmix.servicetime import service_datetime

__all__ = ["ItineraryOut", "JourneysOut", "LegOut", "itinerary_out", "journeys_out"]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class PlaceOut(_Out):
    """A stop a leg starts or ends at."""

    stop_id: str = Field(alias="stopId")
    name: str
    lat: float
    lon: float


class RouteOut(_Out):
    """The GTFS route of a transit leg."""

    gtfs_id: str | None = Field(alias="gtfsId")
    short_name: str | None = Field(alias="shortName")
    long_name: str | None = Field(alias="longName")
    type: int | None = Field(description="GTFS route_type")


class TripOut(_Out):
    """The GTFS trip of a transit leg (``tripKey`` tells frequency runs apart)."""

    gtfs_id: str | None = Field(alias="gtfsId")
    trip_key: str | None = Field(alias="tripKey")
    headsign: str | None


class LegOut(_Out):
    """One leg: WALK or a transit mode (BUS, TRAM, SUBWAY, RAIL, ...)."""

    mode: str
    from_: PlaceOut = Field(alias="from")
    to: PlaceOut
    start_seconds: int = Field(alias="startSeconds", description="s after service midnight")
    end_seconds: int = Field(alias="endSeconds", description="s after service midnight")
    duration: int = Field(description="seconds")
    start_time: str = Field(alias="startTime", description="ISO 8601 with offset")
    end_time: str = Field(alias="endTime", description="ISO 8601 with offset")
    route: RouteOut | None = None
    trip: TripOut | None = None
    stops: int | None = Field(None, description="stops ridden past, the last one included")
    distance: float | None = Field(None, description="walking legs: metres (crow-fly)")


class ItineraryOut(_Out):
    """One journey."""

    start_time: str = Field(alias="startTime")
    end_time: str = Field(alias="endTime")
    start_seconds: int = Field(alias="startSeconds")
    end_seconds: int = Field(alias="endSeconds")
    duration: int
    number_of_transfers: int = Field(alias="numberOfTransfers")
    walk_time: int = Field(alias="walkTime")
    waiting_time: int = Field(alias="waitingTime")
    legs: list[LegOut]


class JourneysOut(_Out):
    """Pareto-optimal journeys between two stops (or sets of stops)."""

    date: str = Field(description="service date, ISO 8601")
    from_: str | dict[str, int] = Field(alias="from")
    to: str | dict[str, int]
    itineraries: list[ItineraryOut]


def _place(stop_id: str, name: str, lat: float, lon: float) -> PlaceOut:
    return PlaceOut(stopId=stop_id, name=name, lat=lat, lon=lon)


def leg_out(leg: Leg, journey: Journey) -> LegOut:
    """The JSON shape of one leg of ``journey``."""
    transit = leg.is_transit
    return LegOut(
        mode=leg.mode,
        **{"from": _place(leg.from_stop_id, leg.from_name, leg.from_lat, leg.from_lon)},
        to=_place(leg.to_stop_id, leg.to_name, leg.to_lat, leg.to_lon),
        startSeconds=leg.start_s,
        endSeconds=leg.end_s,
        duration=leg.duration_s,
        startTime=service_datetime(journey.date, journey.timezone, leg.start_s).isoformat(),
        endTime=service_datetime(journey.date, journey.timezone, leg.end_s).isoformat(),
        route=RouteOut(
            gtfsId=leg.route_id,
            shortName=leg.route_short_name,
            longName=leg.route_long_name,
            type=leg.route_type,
        )
        if transit
        else None,
        trip=TripOut(gtfsId=leg.trip_id, tripKey=leg.trip_key, headsign=leg.headsign)
        if transit
        else None,
        stops=leg.stops if transit else None,
        distance=None if transit else leg.distance_m,
    )


def itinerary_out(journey: Journey) -> ItineraryOut:
    """The JSON shape of one journey."""
    return ItineraryOut(
        startTime=journey.start_time.isoformat(),
        endTime=journey.end_time.isoformat(),
        startSeconds=journey.departure_s,
        endSeconds=journey.arrival_s,
        duration=journey.duration_s,
        numberOfTransfers=journey.transfers,
        walkTime=journey.walk_s,
        waitingTime=journey.waiting_s,
        legs=[leg_out(leg, journey) for leg in journey.legs],
    )


def journeys_out(
    date: str, origin: str | dict[str, int], destination: str | dict[str, int], found: list[Journey]
) -> JourneysOut:
    """The body of a journeys answer."""
    return JourneysOut(
        date=date,
        **{"from": origin},
        to=destination,
        itineraries=[itinerary_out(j) for j in found],
    )
