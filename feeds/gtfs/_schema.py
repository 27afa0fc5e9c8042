"""What a GTFS Schedule feed must contain: required files, required columns, primary keys.

Only what the loader enforces is listed; conditionally required fields are checked row
by row in `feeds.gtfs` (e.g. ``stop_id`` in stop_times.txt may be blank on a GTFS-Flex
row that names a ``location_group_id`` or ``location_id`` instead).
"""

from __future__ import annotations

REQUIRED_FILES: tuple[str, ...] = ("agency", "stops", "routes", "trips", "stop_times")
"""Tables every feed must have (plus calendar or calendar_dates, see `CALENDAR_FILES`)."""

CALENDAR_FILES: tuple[str, ...] = ("calendar", "calendar_dates")
"""At least one of these must be present."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency": ("agency_name", "agency_timezone"),
    "stops": ("stop_id",),
    "routes": ("route_id", "route_type"),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "stop_sequence"),
    "calendar": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "frequencies": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers": ("from_stop_id", "to_stop_id"),
    "shapes": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
    "fare_attributes": ("fare_id", "price", "currency_type", "payment_method"),
    "fare_rules": ("fare_id",),
    "fare_products": ("fare_product_id", "amount", "currency"),
    "fare_leg_rules": ("fare_product_id",),
    "fare_transfer_rules": ("fare_transfer_type",),
    "rider_categories": ("rider_category_id", "rider_category_name"),
    "fare_media": ("fare_media_id", "fare_media_type"),
    "areas": ("area_id",),
    "stop_areas": ("area_id", "stop_id"),
    "networks": ("network_id",),
    "route_networks": ("network_id", "route_id"),
    "timeframes": ("timeframe_group_id", "service_id"),
}
"""Columns that must be in the header of each table when the file is present."""

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "stops": ("stop_id",),
    "routes": ("route_id",),
    "trips": ("trip_id",),
    "stop_times": ("trip_id", "stop_sequence"),
    "calendar": ("service_id",),
    "calendar_dates": ("service_id", "date"),
}
"""Column sets that must be unique within their table."""

FARE_FILES: tuple[str, ...] = (
    "fare_attributes",
    "fare_rules",
    "fare_products",
    "fare_leg_rules",
    "fare_transfer_rules",
    "rider_categories",
    "fare_media",
    "areas",
    "stop_areas",
    "networks",
    "route_networks",
    "timeframes",
)
"""Fares v1 and Fares v2 tables, kept as read in `GtfsFeed.tables`."""

FLEX_STOP_TIME_COLUMNS: tuple[str, ...] = ("location_group_id", "location_id")
"""stop_times.txt columns that replace ``stop_id`` on a GTFS-Flex row."""
