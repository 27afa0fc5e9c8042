"""The JSON shape of door-to-door plans, after OpenTripPlanner's GTFS GraphQL API.

A plan has ``from``/``to``, ``date``, ``at``, ``arriveBy``, ``modes``, ``streets``,
``notices``, its ``itineraries`` (the itinerary and leg shape of every route,
`maasmix.api.schemas.legs`: ``start``/``end`` ISO 8601 and ``startTime``/``endTime``
epoch milliseconds), the bundle and rider category priced for, ``realtimeTime`` (the
GTFS-Realtime snapshot's time, null on the schedule) and ``alerts``. `plan_geojson` gives
the same legs as a GeoJSON FeatureCollection.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from maasmix.api.schemas.legs import (
    AlertOut,
    GeometryFormat,
    ItineraryOut,
    LegOut,
    alert_out,
    itinerary_out,
    leg_out,
)
from maasmix.engine.planner import Plan

__all__ = [
    "AlertOut",
    "ItineraryOut",
    "LegOut",
    "PlanOut",
    "alert_out",
    "itinerary_out",
    "leg_out",
    "plan_geojson",
    "plan_out",
]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class PointOut(_Out):
    """A WGS84 point."""

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


def plan_out(
    plan: Plan, date: str, locale: str | None = None, geometry: GeometryFormat = "geojson"
) -> PlanOut:
    """The body of a plan answer; alert texts in ``locale`` (default: the untagged or
    English translation); ``legGeometry`` as GeoJSON or as an encoded polyline."""
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
            itinerary_out(j, plan.money[i] if i < len(plan.money) else None, locale, geometry)
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
