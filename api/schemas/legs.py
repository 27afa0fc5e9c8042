"""The one itinerary and leg shape of ``/v1/plan`` and ``/v1/route/journeys``.

After OpenTripPlanner's GTFS GraphQL API. An itinerary has ``start``/``end`` (ISO 8601
with the network's UTC offset), ``startTime``/``endTime`` (epoch milliseconds, as OTP
clients expect), ``startSeconds``/``endSeconds`` (seconds after the service day's
midnight), ``duration``, ``numberOfTransfers``, ``walkTime``, ``walkDistance``,
``waitingTime``, ``modes`` and its legs. A leg has ``mode`` (WALK, BICYCLE, SCOOTER, MOPED,
BUS, TRAM, RAIL, SUBWAY, ...), ``from``/``to`` places (name, lat, lon, ``vertexType``
TRANSIT / BIKESHARE / VEHICLERENTAL / NORMAL and the stop, station or vehicle id), the same
three kinds of times, ``distance`` (metres), ``legGeometry`` (a GeoJSON LineString, lon/lat,
or with ``geometry=polyline`` OTP's encoded polyline ``{points, length}``: Google's
algorithm, precision 5, lat/lon), ``intermediateStops`` (omitted when not known),
``stops`` (stops ridden past, the last one included), ``route``/``trip``/``agencyId`` for
transit, ``rentedBike`` and ``rental`` (system, vehicle type, pricing plan) for rented
vehicles. Every transit leg says what is live about it, in OTP's names: ``realTime``,
``realtimeState`` (SCHEDULED, UPDATED, CANCELED), ``scheduledStartTime`` /
``scheduledEndTime`` (epoch ms), ``departureDelay`` / ``arrivalDelay`` (s), ``alerts``
(text in the requested ``locale``) and, when known, ``vehiclePosition`` and ``occupancy``.
Money is added per leg by the pricing layer (a ``fare`` member) without changing these
members.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
import polyline
from pydantic import BaseModel, ConfigDict, Field

from maasmix.api.schemas.plan_money import (
    FareProductOut,
    ItineraryFareOut,
    LegFareOut,
    fare_products_out,
    itinerary_fare_out,
    leg_fare_out,
)
from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.plan_money import ItineraryMoney, LegMoney
from maasmix.feeds.gtfs_rt.tables import Alert
from maasmix.servicetime import service_datetime, timezone_of

__all__ = [
    "GEOMETRY_FORMATS",
    "AlertOut",
    "EncodedPolylineOut",
    "GeometryFormat",
    "GeometryOut",
    "ItineraryOut",
    "LegOut",
    "alert_out",
    "encode_polyline",
    "itinerary_out",
    "leg_out",
]

#: How ``legGeometry`` is written: a GeoJSON LineString or OTP's encoded polyline.
GeometryFormat = Literal["geojson", "polyline"]
GEOMETRY_FORMATS: tuple[GeometryFormat, ...] = ("geojson", "polyline")


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class PlaceOut(_Out):
    """Where a leg starts or ends."""

    name: str
    lat: float
    lon: float
    vertex_type: str = Field(
        alias="vertexType", description="TRANSIT, BIKESHARE, VEHICLERENTAL, NORMAL"
    )
    stop_id: str | None = Field(None, alias="stopId")
    station_id: str | None = Field(None, alias="stationId", description="GBFS station")
    vehicle_id: str | None = Field(None, alias="vehicleId", description="GBFS free vehicle")


class StopCallOut(_Out):
    """A stop passed on a transit leg."""

    stop_id: str = Field(alias="stopId")
    name: str
    lat: float
    lon: float
    arrival: str = Field(description="ISO 8601 with offset")
    departure: str = Field(description="ISO 8601 with offset")


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


class RentalOut(_Out):
    """The shared vehicle of a rental leg."""

    system_id: str = Field(alias="systemId")
    system_name: str = Field(alias="systemName")
    vehicle_type_id: str | None = Field(alias="vehicleTypeId")
    form_factor: str = Field(alias="formFactor")
    propulsion_type: str = Field(alias="propulsionType")
    pricing_plan_id: str | None = Field(alias="pricingPlanId")
    vehicle_id: str | None = Field(None, alias="vehicleId")
    from_station_id: str | None = Field(None, alias="fromStationId")
    to_station_id: str | None = Field(None, alias="toStationId")


class GeometryOut(_Out):
    """A GeoJSON LineString (lon, lat)."""

    type: Literal["LineString"] = "LineString"
    coordinates: list[tuple[float, float]]


class EncodedPolylineOut(_Out):
    """OpenTripPlanner's ``legGeometry``: Google's encoded polyline (precision 5, lat/lon)."""

    points: str = Field(description="the encoded polyline")
    length: int = Field(description="number of points")


class ActivePeriodOut(_Out):
    """When an alert is in force, POSIX seconds (null: open end)."""

    start: int | None
    end: int | None


class AlertOut(_Out):
    """A GTFS-Realtime service alert (OTP's field names)."""

    id: str
    alert_header_text: str = Field(alias="alertHeaderText", description="in the locale asked")
    alert_description_text: str = Field(alias="alertDescriptionText")
    alert_url: str | None = Field(None, alias="alertUrl")
    alert_effect: str = Field(alias="alertEffect", description="NO_SERVICE, DETOUR, ...")
    alert_cause: str = Field(alias="alertCause", description="CONSTRUCTION, STRIKE, ...")
    alert_severity_level: str = Field(alias="alertSeverityLevel")
    active_periods: list[ActivePeriodOut] = Field(
        alias="activePeriods", description="empty: always active"
    )
    effective_start_date: int | None = Field(
        None, alias="effectiveStartDate", description="POSIX seconds, the earliest start"
    )
    effective_end_date: int | None = Field(
        None, alias="effectiveEndDate", description="POSIX seconds, the latest end"
    )


class VehiclePositionOut(_Out):
    """The trip's vehicle as last reported (GTFS-Realtime VehiclePosition)."""

    vehicle_id: str | None = Field(None, alias="vehicleId")
    label: str | None = None
    lat: float | None = None
    lon: float | None = None
    heading: float | None = Field(None, description="degrees clockwise from north")
    speed: float | None = Field(None, description="m/s")
    stop_id: str | None = Field(None, alias="stopId", description="the current stop")
    stop_relation: str | None = Field(
        None, alias="stopRelation", description="INCOMING_AT, STOPPED_AT, IN_TRANSIT_TO"
    )
    last_updated: int | None = Field(None, alias="lastUpdated", description="POSIX seconds")


class OccupancyOut(_Out):
    """How full the trip's vehicle is."""

    occupancy_status: str = Field(
        alias="occupancyStatus", description="EMPTY, MANY_SEATS_AVAILABLE, FEW_SEATS_AVAILABLE, ..."
    )
    occupancy_percentage: int | None = Field(None, alias="occupancyPercentage")


class LegOut(_Out):
    """One leg of an itinerary (the same shape in every route)."""

    mode: str
    from_: PlaceOut = Field(alias="from")
    to: PlaceOut
    start: str = Field(description="ISO 8601 with offset")
    end: str = Field(description="ISO 8601 with offset")
    start_time: int = Field(alias="startTime", description="epoch milliseconds")
    end_time: int = Field(alias="endTime", description="epoch milliseconds")
    start_seconds: int = Field(alias="startSeconds", description="s after service midnight")
    end_seconds: int = Field(alias="endSeconds", description="s after service midnight")
    duration: int = Field(description="seconds")
    distance: float | None = Field(None, description="metres")
    transit_leg: bool = Field(alias="transitLeg")
    rented_bike: bool = Field(alias="rentedBike", description="a rented vehicle (bike or other)")
    leg_geometry: GeometryOut | EncodedPolylineOut = Field(
        alias="legGeometry", description="GeoJSON LineString, or {points, length} (polyline)"
    )
    route: RouteOut | None = None
    trip: TripOut | None = None
    agency_id: str | None = Field(None, alias="agencyId")
    stops: int | None = Field(None, description="transit: stops ridden past, the last included")
    intermediate_stops: list[StopCallOut] | None = Field(
        None, alias="intermediateStops", description="transit: the stops passed (when known)"
    )
    rental: RentalOut | None = None
    fare: LegFareOut | None = None
    co2e: float | None = Field(None, description="grams CO2e (distance x factor)")
    real_time: bool | None = Field(
        None, alias="realTime", description="transit: the trip has realtime data"
    )
    realtime_state: str | None = Field(
        None, alias="realtimeState", description="transit: SCHEDULED, UPDATED or CANCELED"
    )
    scheduled_start_time: int | None = Field(
        None, alias="scheduledStartTime", description="transit: timetable departure, epoch ms"
    )
    scheduled_end_time: int | None = Field(
        None, alias="scheduledEndTime", description="transit: timetable arrival, epoch ms"
    )
    departure_delay: int | None = Field(
        None, alias="departureDelay", description="transit: realtime minus scheduled, seconds"
    )
    arrival_delay: int | None = Field(
        None, alias="arrivalDelay", description="transit: realtime minus scheduled, seconds"
    )
    alerts: list[AlertOut] | None = Field(
        None, description="transit: active alerts on the leg's route, trip, agency or stops"
    )
    vehicle_position: VehiclePositionOut | None = Field(None, alias="vehiclePosition")
    occupancy: OccupancyOut | None = None


class ItineraryOut(_Out):
    """One itinerary (the same shape in every route)."""

    start: str = Field(description="ISO 8601 with offset")
    end: str = Field(description="ISO 8601 with offset")
    start_time: int = Field(alias="startTime", description="epoch milliseconds")
    end_time: int = Field(alias="endTime", description="epoch milliseconds")
    start_seconds: int = Field(alias="startSeconds", description="s after service midnight")
    end_seconds: int = Field(alias="endSeconds", description="s after service midnight")
    duration: int = Field(description="seconds")
    number_of_transfers: int = Field(alias="numberOfTransfers")
    walk_time: int = Field(alias="walkTime", description="seconds")
    walk_distance: float = Field(alias="walkDistance", description="metres")
    waiting_time: int = Field(alias="waitingTime", description="seconds")
    modes: str = Field(description="the mode combination, e.g. WALK+TRANSIT+WALK")
    legs: list[LegOut]
    fare_products: list[FareProductOut] | None = Field(None, alias="fareProducts")
    fare: ItineraryFareOut | None = None
    co2e: float | None = Field(None, description="grams CO2e of the itinerary")


def encode_polyline(coords: list[tuple[float, float]]) -> EncodedPolylineOut:
    """``coords`` ((lon, lat) pairs) as OTP's encoded polyline (precision 5, lat/lon)."""
    return EncodedPolylineOut(points=polyline.encode(coords, 5, geojson=True), length=len(coords))


def _place(kind: str, ident: str, name: str, lat: float, lon: float) -> PlaceOut:
    return PlaceOut(
        name=name,
        lat=lat,
        lon=lon,
        vertexType=kind,
        stopId=ident if kind == "TRANSIT" and ident else None,
        stationId=ident if kind == "BIKESHARE" else None,
        vehicleId=ident if kind == "VEHICLERENTAL" else None,
    )


@functools.lru_cache(maxsize=64)
def _service_origin(date: dt.date, timezone: str) -> tuple[dt.datetime, int, ZoneInfo]:
    """The service day's midnight (`service_datetime` at 0 s) in UTC, as epoch
    milliseconds, and the zone."""
    origin = service_datetime(date, timezone, 0).astimezone(dt.UTC)
    return origin, round(origin.timestamp() * 1000), timezone_of(timezone)


def _when(j: Journey, seconds: int) -> tuple[str, int]:
    """ISO 8601 text and epoch milliseconds of ``seconds`` after ``j``'s service midnight."""
    origin, origin_ms, zone = _service_origin(j.date, j.timezone)
    moment = (origin + dt.timedelta(seconds=int(seconds))).astimezone(zone)
    return moment.isoformat(), origin_ms + int(seconds) * 1000


def alert_out(alert: Alert, locale: str | None = None) -> AlertOut:
    """One service alert, its texts in ``locale`` (see `Alert.text` for the fallbacks)."""
    starts = [a for a, _ in alert.active_periods if a is not None]
    ends = [b for _, b in alert.active_periods if b is not None]
    n = len(alert.active_periods)
    return AlertOut(
        id=alert.alert_id,
        alertHeaderText=alert.text(locale),
        alertDescriptionText=alert.text(locale, part="description"),
        alertUrl=alert.text(locale, part="url") or None,
        alertEffect=alert.effect,
        alertCause=alert.cause,
        alertSeverityLevel=alert.severity_level,
        activePeriods=[ActivePeriodOut(start=a, end=b) for a, b in alert.active_periods],
        effectiveStartDate=min(starts) if n and len(starts) == n else None,
        effectiveEndDate=max(ends) if n and len(ends) == n else None,
    )


def _known(value: Any) -> Any:
    """``value``, None for a missing table cell (NaN, pandas NA, empty string)."""
    if value is None or value is pd.NA or value == "":
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _vehicle(v: dict[str, Any] | None) -> tuple[VehiclePositionOut | None, OccupancyOut | None]:
    if v is None:
        return None, None
    num = {k: _known(v.get(k)) for k in ("lat", "lon", "bearing", "speed", "timestamp")}
    position = VehiclePositionOut(
        vehicleId=_known(v.get("vehicle_id")),
        label=_known(v.get("label")),
        lat=None if num["lat"] is None else float(num["lat"]),
        lon=None if num["lon"] is None else float(num["lon"]),
        heading=None if num["bearing"] is None else float(num["bearing"]),
        speed=None if num["speed"] is None else float(num["speed"]),
        stopId=_known(v.get("stop_id")),
        stopRelation=_known(v.get("current_status")),
        lastUpdated=None if num["timestamp"] is None else int(num["timestamp"]),
    )
    status = _known(v.get("occupancy_status"))
    pct = _known(v.get("occupancy_percentage"))
    occupancy = (
        OccupancyOut(
            occupancyStatus=str(status or "NO_DATA_AVAILABLE"),
            occupancyPercentage=None if pct is None else int(pct),
        )
        if status is not None or pct is not None
        else None
    )
    return position, occupancy


def _live_fields(leg: Leg, j: Journey, locale: str | None) -> dict[str, Any]:
    """The realtime members of a transit leg (its schedule when nothing is live)."""
    if not leg.is_transit:
        return {}
    rt = leg.realtime
    if rt is None:
        return {
            "realTime": False,
            "realtimeState": "SCHEDULED",
            "scheduledStartTime": _when(j, leg.start_s)[1],
            "scheduledEndTime": _when(j, leg.end_s)[1],
            "departureDelay": 0,
            "arrivalDelay": 0,
            "alerts": [],
        }
    position, occupancy = _vehicle(rt.vehicle)
    return {
        "realTime": rt.real_time,
        "realtimeState": rt.state,
        "scheduledStartTime": _when(j, rt.scheduled_departure_s)[1],
        "scheduledEndTime": _when(j, rt.scheduled_arrival_s)[1],
        "departureDelay": rt.departure_delay_s,
        "arrivalDelay": rt.arrival_delay_s,
        "alerts": [alert_out(a, locale) for a in rt.alerts],
        "vehiclePosition": position,
        "occupancy": occupancy,
    }


def _calls(leg: Leg, j: Journey) -> list[StopCallOut] | None:
    """A transit leg's intermediate stops; None when the leg does not know them (a
    stop-to-stop journey's ride past several stops)."""
    if not leg.intermediate_stops and leg.stops is not None and leg.stops > 1:
        return None
    out = []
    for c in leg.intermediate_stops:
        arrival = _when(j, c.arrival_s)[0]
        departure = arrival if c.departure_s == c.arrival_s else _when(j, c.departure_s)[0]
        out.append(
            StopCallOut(
                stopId=c.stop_id,
                name=c.name,
                lat=c.lat,
                lon=c.lon,
                arrival=arrival,
                departure=departure,
            )
        )
    return out


def leg_out(
    leg: Leg,
    j: Journey,
    money: LegMoney | None = None,
    locale: str | None = None,
    geometry: GeometryFormat = "geojson",
) -> LegOut:
    """The JSON shape of one leg of ``j``; alert texts in ``locale`` (a BCP 47 tag, e.g.
    ``fi``); ``legGeometry`` as ``geometry`` says (a leg without a drawn path: the straight
    line between its ends)."""
    start, start_ms = _when(j, leg.start_s)
    end, end_ms = _when(j, leg.end_s)
    transit = leg.is_transit
    coords = list(leg.geometry) or [(leg.from_lon, leg.from_lat), (leg.to_lon, leg.to_lat)]
    rental = leg.rental
    origin: dict[str, Any] = {
        "from": _place(leg.from_kind, leg.from_stop_id, leg.from_name, leg.from_lat, leg.from_lon)
    }
    return LegOut(
        mode=leg.mode,
        **origin,
        to=_place(leg.to_kind, leg.to_stop_id, leg.to_name, leg.to_lat, leg.to_lon),
        start=start,
        end=end,
        startTime=start_ms,
        endTime=end_ms,
        startSeconds=leg.start_s,
        endSeconds=leg.end_s,
        duration=leg.duration_s,
        distance=leg.distance_m,
        transitLeg=transit,
        rentedBike=rental is not None,
        legGeometry=encode_polyline(coords)
        if geometry == "polyline"
        else GeometryOut(coordinates=coords),
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
        agencyId=leg.agency_id if transit else None,
        stops=leg.stops if transit else None,
        intermediateStops=_calls(leg, j) if transit else None,
        rental=RentalOut(
            systemId=rental.system_id,
            systemName=rental.system_name,
            vehicleTypeId=rental.vehicle_type_id,
            formFactor=rental.form_factor,
            propulsionType=rental.propulsion_type,
            pricingPlanId=rental.pricing_plan_id,
            vehicleId=rental.vehicle_id,
            fromStationId=rental.from_station_id,
            toStationId=rental.to_station_id,
        )
        if rental is not None
        else None,
        fare=leg_fare_out(money) if money is not None else None,
        co2e=round(money.co2e_g, 1) if money is not None and money.co2e_g is not None else None,
        **_live_fields(leg, j, locale),
    )


def _combination(j: Journey) -> str:
    """The journey's mode combination; a stop-to-stop journey's: TRANSIT (or WALK)."""
    if j.combination:
        return j.combination
    return "TRANSIT" if j.rides else "WALK"


def itinerary_out(
    j: Journey,
    money: ItineraryMoney | None = None,
    locale: str | None = None,
    geometry: GeometryFormat = "geojson",
) -> ItineraryOut:
    """The JSON shape of one itinerary (see `leg_out` for ``locale`` and ``geometry``)."""
    start, start_ms = _when(j, j.departure_s)
    end, end_ms = _when(j, j.arrival_s)
    return ItineraryOut(
        start=start,
        end=end,
        startTime=start_ms,
        endTime=end_ms,
        startSeconds=j.departure_s,
        endSeconds=j.arrival_s,
        duration=j.duration_s,
        numberOfTransfers=j.transfers,
        walkTime=j.walk_s,
        walkDistance=round(sum(leg.distance_m or 0.0 for leg in j.legs if leg.mode == "WALK"), 1),
        waitingTime=j.waiting_s,
        modes=_combination(j),
        legs=[
            leg_out(leg, j, money.legs[k] if money is not None else None, locale, geometry)
            for k, leg in enumerate(j.legs)
        ],
        fareProducts=fare_products_out(money.products) if money is not None else None,
        fare=itinerary_fare_out(money) if money is not None else None,
        co2e=round(money.co2e_g, 1) if money is not None else None,
    )
