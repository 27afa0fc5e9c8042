"""The JSON shape of door-to-door plans, after OpenTripPlanner's GTFS GraphQL API.

An itinerary has ``start``/``end`` (ISO 8601 with the network's UTC offset) and
``startTime``/``endTime`` (epoch milliseconds, as OTP clients expect), ``duration``,
``numberOfTransfers``, ``walkTime``, ``walkDistance``, ``waitingTime`` and its legs. A leg
has ``mode`` (WALK, BICYCLE, SCOOTER, MOPED, BUS, TRAM, RAIL, SUBWAY, ...), ``from``/``to``
places (name, lat, lon, ``vertexType`` TRANSIT / BIKESHARE / VEHICLERENTAL / NORMAL and the
stop, station or vehicle id), times, ``distance`` (metres), ``legGeometry`` (a GeoJSON
LineString, lon/lat), ``intermediateStops``, ``route``/``trip``/``agency`` for transit,
``rentedBike`` and ``rental`` (system, vehicle type, pricing plan) for rented vehicles.
Every transit leg says what is live about it, in OTP's names: ``realTime``,
``realtimeState`` (SCHEDULED, UPDATED, CANCELED), ``scheduledStartTime`` /
``scheduledEndTime`` (epoch ms), ``departureDelay`` / ``arrivalDelay`` (s), ``alerts``
(text in the requested ``locale``) and, when known, ``vehiclePosition`` and ``occupancy``;
the plan has ``realtimeTime`` (the snapshot's time, null on the schedule) and ``alerts``.
`plan_geojson` gives the same legs as a GeoJSON FeatureCollection. Money is added per leg
by the pricing layer (a ``fare`` member), without changing these members.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
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
from maasmix.engine.planner import Plan
from maasmix.feeds.gtfs_rt.tables import Alert
from maasmix.servicetime import service_datetime

__all__ = ["AlertOut", "ItineraryOut", "LegOut", "PlanOut", "plan_geojson", "plan_out"]


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
    arrival: str
    departure: str


class RouteOut(_Out):
    gtfs_id: str | None = Field(alias="gtfsId")
    short_name: str | None = Field(alias="shortName")
    long_name: str | None = Field(alias="longName")
    type: int | None = Field(description="GTFS route_type")


class TripOut(_Out):
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

    type: str = "LineString"
    coordinates: list[tuple[float, float]]


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
    mode: str
    from_: PlaceOut = Field(alias="from")
    to: PlaceOut
    start: str = Field(description="ISO 8601 with offset")
    end: str
    start_time: int = Field(alias="startTime", description="epoch milliseconds")
    end_time: int = Field(alias="endTime", description="epoch milliseconds")
    duration: int = Field(description="seconds")
    distance: float | None = Field(None, description="metres")
    transit_leg: bool = Field(alias="transitLeg")
    rented_bike: bool = Field(alias="rentedBike", description="a rented vehicle (bike or other)")
    leg_geometry: GeometryOut = Field(alias="legGeometry")
    route: RouteOut | None = None
    trip: TripOut | None = None
    agency_id: str | None = Field(None, alias="agencyId")
    intermediate_stops: list[StopCallOut] | None = Field(None, alias="intermediateStops")
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
    start: str
    end: str
    start_time: int = Field(alias="startTime")
    end_time: int = Field(alias="endTime")
    duration: int
    number_of_transfers: int = Field(alias="numberOfTransfers")
    walk_time: int = Field(alias="walkTime")
    walk_distance: float = Field(alias="walkDistance")
    waiting_time: int = Field(alias="waitingTime")
    modes: str = Field(description="the mode combination, e.g. WALK+TRANSIT+WALK")
    legs: list[LegOut]
    fare_products: list[FareProductOut] | None = Field(None, alias="fareProducts")
    fare: ItineraryFareOut | None = None
    co2e: float | None = Field(None, description="grams CO2e of the itinerary")


class PointOut(_Out):
    lat: float
    lon: float


class PlanOut(_Out):
    """A door-to-door plan."""

    from_: PointOut = Field(alias="from")
    to: PointOut
    date: str = Field(description="service date")
    at: str = Field(description="departure, or latest arrival with arriveBy (ISO 8601)")
    arrive_by: bool = Field(alias="arriveBy")
    modes: list[str]
    streets: str = Field(description="osm, or crow-fly (distance x detour factor)")
    notices: list[str]
    itineraries: list[ItineraryOut]
    bundle: str | None = Field(None, description="the traveller bundle applied")
    rider_category: str | None = Field(None, alias="riderCategory")
    by_money: bool = Field(
        False, alias="byMoney", description="Pareto over (arrival, out-of-pocket cost, transfers)"
    )
    realtime_time: str | None = Field(
        None,
        alias="realtimeTime",
        description="time of the GTFS-Realtime snapshot planned on (ISO 8601); null: the schedule",
    )
    alerts: list[AlertOut] = Field(
        default_factory=list, description="the service alerts on the itineraries' legs, once each"
    )


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


def _when(j: Journey, seconds: int) -> tuple[str, int]:
    moment = service_datetime(j.date, j.timezone, seconds)
    return moment.isoformat(), round(moment.timestamp() * 1000)


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


def leg_out(
    leg: Leg, j: Journey, money: LegMoney | None = None, locale: str | None = None
) -> LegOut:
    """The JSON shape of one leg; alert texts in ``locale`` (a BCP 47 tag, e.g. ``fi``)."""
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
        duration=leg.duration_s,
        distance=leg.distance_m,
        transitLeg=transit,
        rentedBike=rental is not None,
        legGeometry=GeometryOut(coordinates=coords),
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
        intermediateStops=[
            StopCallOut(
                stopId=c.stop_id,
                name=c.name,
                lat=c.lat,
                lon=c.lon,
                arrival=_when(j, c.arrival_s)[0],
                departure=_when(j, c.departure_s)[0],
            )
            for c in leg.intermediate_stops
        ]
        if transit
        else None,
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


def itinerary_out(
    j: Journey, money: ItineraryMoney | None = None, locale: str | None = None
) -> ItineraryOut:
    """The JSON shape of one itinerary."""
    start, start_ms = _when(j, j.departure_s)
    end, end_ms = _when(j, j.arrival_s)
    return ItineraryOut(
        start=start,
        end=end,
        startTime=start_ms,
        endTime=end_ms,
        duration=j.duration_s,
        numberOfTransfers=j.transfers,
        walkTime=j.walk_s,
        walkDistance=round(sum(leg.distance_m or 0.0 for leg in j.legs if leg.mode == "WALK"), 1),
        waitingTime=j.waiting_s,
        modes=j.combination,
        legs=[
            leg_out(leg, j, money.legs[k] if money is not None else None, locale)
            for k, leg in enumerate(j.legs)
        ],
        fareProducts=fare_products_out(money.products) if money is not None else None,
        fare=itinerary_fare_out(money) if money is not None else None,
        co2e=round(money.co2e_g, 1) if money is not None else None,
    )


def plan_out(plan: Plan, date: str, locale: str | None = None) -> PlanOut:
    """The body of a plan answer; alert texts in ``locale`` (default: the untagged or
    English translation)."""
    return PlanOut(
        **{"from": PointOut(lat=plan.origin[0], lon=plan.origin[1])},
        to=PointOut(lat=plan.destination[0], lon=plan.destination[1]),
        date=date,
        at=plan.when.isoformat(),
        arriveBy=plan.arrive_by,
        modes=list(plan.modes),
        streets=plan.streets,
        notices=list(plan.notices),
        itineraries=[
            itinerary_out(j, plan.money[i] if i < len(plan.money) else None, locale)
            for i, j in enumerate(plan.itineraries)
        ],
        bundle=plan.bundle,
        riderCategory=plan.rider_category,
        byMoney=plan.by_money,
        realtimeTime=plan.realtime_time.isoformat() if plan.realtime_time is not None else None,
        alerts=[alert_out(a, locale) for a in plan.alerts],
    )


def plan_geojson(plan: Plan) -> dict[str, Any]:
    """Every leg of every itinerary as a GeoJSON Feature (LineString, lon/lat)."""
    features = []
    for i, j in enumerate(plan.itineraries):
        money = plan.money[i] if i < len(plan.money) else None
        for k, leg in enumerate(j.legs):
            lm = money.legs[k] if money is not None else None
            body = leg_out(leg, j, lm).model_dump(mode="json", exclude_none=True)
            geometry = body.pop("legGeometry")
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {"itinerary": i, "leg": k, "modes": j.combination, **body},
                }
            )
    return {"type": "FeatureCollection", "features": features}
