"""HTTP route: door-to-door plans (``GET|POST /v1/plan``) on networks loaded at start.

``maasmix serve --gtfs ... [--osm ...] [--gbfs ...]`` builds the network once and
registers it (`register_network`; ``--deployment FILE``: every network of the file, by
name, ``network=NAME``); requests never make the server read a file. GBFS status is
refreshed in the background as each feed's ``ttl`` expires (`maasmix.api.gbfs_refresh`,
started with the app by ``maasmix serve``); without it, before a plan for "now". Bad input is
a 422 problem+json naming the parameter (``from``, ``to``, ``at``, ``modes``); no loaded
network is a 503.

The OpenAPI document is as strict as the code: ``from``/``to`` are ``LAT,LON`` text
(`COORD_PATTERN`: degrees in their WGS84 ranges) in GET and ``{lat, lon}`` objects in POST;
``at`` matches `ISO_PATTERN`, ``modes`` `MODES_PATTERN`; what breaks them is a 422 naming
the field. ``geometry=polyline`` writes each ``legGeometry`` as OpenTripPlanner's encoded
polyline ``{points, length}`` instead of a GeoJSON LineString. Itineraries and legs have
the shape of every route (`maasmix.api.schemas.legs`).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from maasmix import defaults
from maasmix.api.deps import COORD_PATTERN, SettingsDep
from maasmix.api.problems import problem_responses
from maasmix.api.schemas.inline_bundle import BUNDLE_SCHEMA
from maasmix.api.schemas.legs import GeometryFormat
from maasmix.api.schemas.plan import PlanOut, plan_out
from maasmix.api.settings import Settings
from maasmix.engine.network import Network
from maasmix.engine.plan_query import MODES
from maasmix.errors import QueryError

router = APIRouter(tags=["plan"], responses=problem_responses(403, 404, 422, 503))

__all__ = [
    "COORD_PATTERN",
    "ISO_PATTERN",
    "MODES_PATTERN",
    "MODE_PATTERN",
    "PlanRequest",
    "register_network",
    "router",
]


def _any_case(word: str) -> str:
    """``word`` as a pattern matching it in any letter case (JSON Schema has no flag)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_MODE = "(" + "|".join(_any_case(m) for m in (*MODES, "RENTAL")) + ")"
#: One mode name of a plan (any letter case; ``RENTAL``: every rental mode).
MODE_PATTERN = rf"^ *{_MODE} *$"
#: ``modes`` of ``GET /v1/plan``: mode names separated by commas (empty: every mode).
MODES_PATTERN = rf"^( *{_MODE} *(, *{_MODE} *)*)?$"
MODES_HELP = f"comma-separated, any of {', '.join(MODES)}, RENTAL (default: all)"
_DAY = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_CLOCK = r"([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9]([.,][0-9]{1,6})?)?)?"
#: ``at``: an ISO 8601 date or date-time, with or without a UTC offset.
ISO_PATTERN = rf"^{_DAY}([T ]{_CLOCK}(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$"
AT_HELP = "ISO 8601 date-time (default: now); without an offset: the network's local time"
GEOMETRY_HELP = "legGeometry as a GeoJSON LineString or an encoded polyline {points, length}"


class LatLon(BaseModel):
    """A WGS84 point."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def _no_null(schema: dict[str, Any]) -> None:
    """A field's JSON Schema without its ``null`` alternative: the field is left out, or
    given a value (the bundle fields depend on one another by presence)."""
    kinds = [k for k in schema.pop("anyOf", []) if k.get("type") != "null"]
    if len(kinds) == 1:
        schema.update(kinds[0])
    elif kinds:
        schema["anyOf"] = kinds


def _bundle_schema(schema: dict[str, Any]) -> None:
    """The ``bundle`` field's JSON Schema: `BUNDLE_SCHEMA` (what `check_bundle` holds it to)."""
    schema.clear()
    schema.update(copy.deepcopy(BUNDLE_SCHEMA))


#: GET's ``bundle``: JSON text of an inline bundle, typed by its content.
BUNDLE_PARAMETER = {
    "name": "bundle",
    "in": "query",
    "required": False,
    "description": "an inline traveller bundle, JSON text",
    "content": {"application/json": {"schema": copy.deepcopy(BUNDLE_SCHEMA)}},
}


class PlanRequest(BaseModel):
    """Body of ``POST /v1/plan``."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            # a scenario's bundle is named by both; an inline bundle or a scenario's
            "dependentRequired": {
                "bundleScenario": ["bundleName"],
                "bundleName": ["bundleScenario"],
            },
            "not": {"required": ["bundle", "bundleScenario"]},
        },
    )

    origin: LatLon = Field(alias="from")
    destination: LatLon = Field(alias="to")
    at: str | None = Field(None, description=AT_HELP, pattern=ISO_PATTERN)
    arrive_by: bool = Field(False, alias="arriveBy")
    modes: list[Annotated[str, Field(pattern=MODE_PATTERN)]] | None = Field(
        None, min_length=1, max_length=12, description=MODES_HELP
    )
    num_itineraries: int = Field(defaults.NUM_ITINERARIES, alias="numItineraries", ge=1, le=20)
    network: str | None = Field(None, description="name of a loaded network", max_length=64)
    bundle: dict[str, Any] | None = Field(None, json_schema_extra=_bundle_schema)
    bundle_scenario: str | None = Field(
        None,
        alias="bundleScenario",
        max_length=1024,
        description="example scenario name, or a scenario file under the data folder",
        json_schema_extra=_no_null,
    )
    bundle_name: str | None = Field(
        None,
        alias="bundleName",
        min_length=1,
        max_length=200,
        description="the bundle of bundleScenario",
        json_schema_extra=_no_null,
    )
    rider_category: str | None = Field(None, alias="riderCategory", max_length=200)
    money: bool | None = Field(
        None, description="Pareto over (arrival, cost, transfers); default: with a bundle"
    )
    filters: bool = Field(
        True,
        description="drop itineraries nobody would take (maasmix.engine.plan_filters); "
        "false: every candidate, up to numItineraries",
    )
    locale: str | None = Field(
        None, max_length=35, description="language of alert texts (BCP 47, e.g. fi or sv-FI)"
    )
    geometry: GeometryFormat = Field("geojson", description=GEOMETRY_HELP)

    @field_validator("bundle", "bundle_scenario", "bundle_name", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        """An explicit null is refused, as the document says (leave the field out)."""
        if value is None:
            raise ValueError("null: leave the field out instead")
        return value


def register_network(app: FastAPI, name: str, network: Network) -> None:
    """Make ``network`` plannable under ``name`` (the first one registered is the default)."""
    networks: dict[str, Network] = getattr(app.state, "networks", None) or {}
    networks[name] = network
    app.state.networks = networks


def _network(request: Request, name: str | None) -> Network:
    networks: dict[str, Network] = getattr(request.app.state, "networks", None) or {}
    if not networks:
        raise HTTPException(
            503, "no network is loaded: start the server with maasmix serve --gtfs ... --osm ..."
        )
    if name is None:
        return next(iter(networks.values()))
    if name not in networks:
        raise HTTPException(404, f"no network named {name[:64]!r}; loaded: {', '.join(networks)}")
    return networks[name]


def _plan(request: Request, body: PlanRequest, settings: Settings) -> PlanOut:
    from maasmix.api.routes._plan_bundle import request_bundle

    traveller = request_bundle(body.bundle, body.bundle_scenario, body.bundle_name, settings)
    net = _network(request, body.network)
    if body.at is None:
        when = dt.datetime.now(dt.UTC)
        if getattr(request.app.state, "gbfs_refresher", None) is None:
            net.refresh_gbfs(now=when)  # no background refresh (maasmix.api.gbfs_refresh)
    else:
        try:
            when = dt.datetime.fromisoformat(body.at.strip())
        except ValueError:
            raise QueryError(
                f"not an ISO 8601 date-time: {body.at[:40]!r}", parameter="at"
            ) from None
    result = net.plan(
        (body.origin.lat, body.origin.lon),
        (body.destination.lat, body.destination.lon),
        when,
        arrive_by=body.arrive_by,
        modes=body.modes,
        num_itineraries=body.num_itineraries,
        bundle=traveller,
        rider_category=body.rider_category,
        money=body.money,
        filters=body.filters,
    )
    return plan_out(result, net.date.isoformat(), body.locale, body.geometry)


def _json(out: PlanOut) -> Response:
    """``out`` as the JSON FastAPI would write for ``response_model=PlanOut``, written
    in one pass (FastAPI dumps, validates again and re-encodes: ten times slower)."""
    body = out.model_dump_json(by_alias=True, exclude_none=True)
    return Response(body, media_type="application/json")


def _given(**values: Any) -> dict[str, Any]:
    """The ``values`` that are not None (query parameters left out stay out of the body)."""
    return {k: v for k, v in values.items() if v is not None}


def _latlon(text: str, parameter: str) -> LatLon:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise QueryError(f"expected LAT,LON, got {text[:40]!r}", parameter=parameter) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise QueryError(
            f"({lat}, {lon}) is not a WGS84 point (lat in [-90, 90], lon in [-180, 180])",
            parameter=parameter,
        )
    return LatLon(lat=lat, lon=lon)


@router.get(
    "/plan",
    operation_id="get_plan",
    response_model=PlanOut,
    response_model_exclude_none=True,
    openapi_extra={"parameters": [BUNDLE_PARAMETER]},
)
def plan_get(
    request: Request,
    settings: SettingsDep,
    origin: Annotated[
        str, Query(alias="from", description="LAT,LON (degrees)", pattern=COORD_PATTERN)
    ],
    destination: Annotated[
        str, Query(alias="to", description="LAT,LON (degrees)", pattern=COORD_PATTERN)
    ],
    at: Annotated[str | None, Query(description=AT_HELP, pattern=ISO_PATTERN)] = None,
    arrive_by: Annotated[bool, Query(alias="arriveBy")] = False,
    modes: Annotated[
        str | None, Query(description=MODES_HELP, max_length=200, pattern=MODES_PATTERN)
    ] = None,
    num_itineraries: Annotated[
        int, Query(alias="numItineraries", ge=1, le=20)
    ] = defaults.NUM_ITINERARIES,
    network: Annotated[str | None, Query(max_length=64)] = None,
    bundle: Annotated[
        str | None, Query(max_length=4000, include_in_schema=False)  # see BUNDLE_PARAMETER
    ] = None,
    bundle_scenario: Annotated[str | None, Query(alias="bundleScenario", max_length=1024)] = None,
    bundle_name: Annotated[
        str | None, Query(alias="bundleName", min_length=1, max_length=200)
    ] = None,
    rider_category: Annotated[str | None, Query(alias="riderCategory", max_length=200)] = None,
    money: Annotated[bool | None, Query()] = None,
    filters: Annotated[bool, Query(description="false: no itinerary filter chain")] = True,
    locale: Annotated[
        str | None, Query(description="language of alert texts (BCP 47)", max_length=35)
    ] = None,
    geometry: Annotated[GeometryFormat, Query(description=GEOMETRY_HELP)] = "geojson",
) -> Response:
    """Door-to-door itineraries between two coordinates (OTP-shaped legs)."""
    from maasmix.api.routes._plan_bundle import parse_bundle_query

    body = PlanRequest.model_validate(
        {
            "from": _latlon(origin, "from"),
            "to": _latlon(destination, "to"),
            "at": at,
            "arriveBy": arrive_by,
            "modes": [m for m in modes.split(",") if m.strip()] if modes else None,
            "numItineraries": num_itineraries,
            "network": network,
            "riderCategory": rider_category,
            "money": money,
            "filters": filters,
            "locale": locale,
            "geometry": geometry,
        }
        | _given(
            bundle=parse_bundle_query(bundle),
            bundleScenario=bundle_scenario,
            bundleName=bundle_name,
        )
    )
    return _json(_plan(request, body, settings))


@router.post(
    "/plan", operation_id="post_plan", response_model=PlanOut, response_model_exclude_none=True
)
def plan_post(request: Request, body: PlanRequest, settings: SettingsDep) -> Response:
    """Same as GET, with a JSON body."""
    return _json(_plan(request, body, settings))
