"""The JSON shape of door-to-door plans, after OpenTripPlanner's GTFS GraphQL API.

An itinerary has ``start``/``end`` (ISO 8601 with the network's UTC offset) and
``startTime``/``endTime`` (epoch milliseconds, as OTP clients expect), ``duration``,
``numberOfTransfers``, ``walkTime``, ``walkDistance``, ``waitingTime`` and its legs. A leg
has ``mode`` (WALK, BICYCLE, SCOOTER, MOPED, BUS, TRAM, RAIL, SUBWAY, ...), ``from``/``to``
places (name, lat, lon, ``vertexType`` TRANSIT / BIKESHARE / VEHICLERENTAL / NORMAL and the
stop, station or vehicle id), times, ``distance`` (metres), ``legGeometry`` (a GeoJSON
LineString, lon/lat), ``intermediateStops``, ``route``/``trip``/``agency`` for transit,
``rentedBike`` and ``rental`` (system, vehicle type, pricing plan) for rented vehicles.
`plan_geojson` gives the same legs as a GeoJSON FeatureCollection. Money is added per leg
by the pricing layer (a ``fare`` member), without changing these members.
"""

from __future__ import annotations

from typing import Any

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
from maasmix.servicetime import service_datetime

__all__ = ["ItineraryOut", "LegOut", "PlanOut", "plan_geojson", "plan_out"]


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


def leg_out(leg: Leg, j: Journey, money: LegMoney | None = None) -> LegOut:
    """The JSON shape of one leg."""
    start, start_ms = _when(j, leg.start_s)
    end, end_ms = _when(j, leg.end_s)
    transit = leg.is_transit
    coords = list(leg.geometry) or [(leg.from_lon, leg.from_lat), (leg.to_lon, leg.to_lat)]
    rental = leg.rental
    return LegOut(
        mode=leg.mode,
        **{
            "from": _place(
                leg.from_kind, leg.from_stop_id, leg.from_name, leg.from_lat, leg.from_lon
            )
        },
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
    )


def itinerary_out(j: Journey, money: ItineraryMoney | None = None) -> ItineraryOut:
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
            leg_out(leg, j, money.legs[k] if money is not None else None)
            for k, leg in enumerate(j.legs)
        ],
        fareProducts=fare_products_out(money.products) if money is not None else None,
        fare=itinerary_fare_out(money) if money is not None else None,
        co2e=round(money.co2e_g, 1) if money is not None else None,
    )


def plan_out(plan: Plan, date: str) -> PlanOut:
    """The body of a plan answer."""
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
            itinerary_out(j, plan.money[i] if i < len(plan.money) else None)
            for i, j in enumerate(plan.itineraries)
        ],
        bundle=plan.bundle,
        riderCategory=plan.rider_category,
        byMoney=plan.by_money,
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
