"""The JSON shape of ``GET /v1/feeds/inspect``: one summary model per kind of input, in
camelCase (``maasmix feeds inspect --json`` prints the same figures under the Python
names)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = ["InspectOut"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _Summary(_Camel):
    source: str = Field(description="the input as the client named it")
    warnings: list[str] = Field(default_factory=list, description="repairs made while reading")


class GtfsSummaryOut(_Summary):
    """A GTFS feed (see `maasmix.feeds.gtfs.GtfsFeed.summary`)."""

    kind: Literal["gtfs"]
    agencies: list[str]
    timezone: str
    stops: int
    stops_by_location_type: dict[str, int]
    routes: int
    routes_by_type: dict[str, int]
    trips: int
    flex_trips: int
    service_ids: int
    stop_times_rows: int
    frequencies_rows: int
    transfers_rows: int
    shapes_rows: int
    service_date_range: list[str] | None = Field(description="[first, last] YYYYMMDD")
    active_service_dates: int
    calendar_dates_only: bool
    files: list[str]
    fare_files: list[str]
    bbox: list[float] | None = Field(description="west, south, east, north (WGS84)")


class GbfsSummaryOut(_Summary):
    """A GBFS system (see `maasmix.feeds.gbfs.GbfsSnapshot.summary`)."""

    kind: Literal["gbfs"]
    version: str
    system: dict[str, Any] = Field(description="system_information in the chosen language")
    last_updated: str | None
    expires_at: str | None
    stations: int
    docked_vehicles: int
    vehicles: int
    free_floating_vehicles: int
    free_floating_by_vehicle_type: dict[str, int]
    free_floating_by_form_factor: dict[str, int]
    vehicle_types: int
    pricing_plans: int
    pricing_segments: int
    geofencing_zones: int
    files_read: list[str]


class GraphSizeOut(_Camel):
    """Size of one street graph."""

    nodes: int
    edges: int
    length_km: float


class OsmSummaryOut(_Summary):
    """An OpenStreetMap extract (see `maasmix.feeds.osm.StreetNetwork.summary`)."""

    kind: Literal["osm"]
    bbox: list[float] = Field(description="west, south, east, north (WGS84)")
    osm: dict[str, int] = Field(description="OSM objects read")
    walk: GraphSizeOut
    bike: GraphSizeOut


InspectOut = Annotated[GtfsSummaryOut | GbfsSummaryOut | OsmSummaryOut, Field(discriminator="kind")]
