"""What a GTFS-Realtime `FeedMessage` holds, as plain typed tables and frozen dataclasses.

`RealtimeFeed` is the contract between `maasmix.feeds.gtfs_rt` (which reads protobuf or
JSON messages into it) and `maasmix.engine.realtime` (which applies it to a compiled
service day). Enumerations are kept as the specification's upper-case names (strings),
times as POSIX seconds (int), delays as seconds (int); a field the message left out is
``<NA>`` in the nullable integer columns and ``""`` in the string columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "STOP_RELATIONSHIPS",
    "STOP_TIME_UPDATE_COLUMNS",
    "TRIP_RELATIONSHIPS",
    "TRIP_UPDATE_COLUMNS",
    "VEHICLE_COLUMNS",
    "Alert",
    "InformedEntity",
    "RealtimeFeed",
]

#: ``TripDescriptor.ScheduleRelationship`` names (a categorical column's categories).
TRIP_RELATIONSHIPS = pd.CategoricalDtype(
    [
        "SCHEDULED",
        "ADDED",
        "UNSCHEDULED",
        "CANCELED",
        "REPLACEMENT",
        "DUPLICATED",
        "DELETED",
        "NEW",
    ]
)
#: ``StopTimeUpdate.ScheduleRelationship`` names (a categorical column's categories).
STOP_RELATIONSHIPS = pd.CategoricalDtype(["SCHEDULED", "SKIPPED", "NO_DATA", "UNSCHEDULED"])

#: Columns of `RealtimeFeed.trip_updates` and their dtypes.
TRIP_UPDATE_COLUMNS: dict[str, Any] = {
    "entity_id": "object",
    "trip_id": "object",
    "route_id": "object",
    "direction_id": "Int64",
    "start_date": "object",
    "start_time": "object",
    "start_time_s": "Int64",
    "schedule_relationship": TRIP_RELATIONSHIPS,
    "vehicle_id": "object",
    "timestamp": "Int64",
    "delay": "Int64",
}

#: Columns of `RealtimeFeed.stop_time_updates` and their dtypes.
STOP_TIME_UPDATE_COLUMNS: dict[str, Any] = {
    "update": "int64",
    "stop_sequence": "Int64",
    "stop_id": "object",
    "arrival_delay": "Int64",
    "arrival_time": "Int64",
    "departure_delay": "Int64",
    "departure_time": "Int64",
    "schedule_relationship": STOP_RELATIONSHIPS,
}

#: Columns of `RealtimeFeed.vehicles` and their dtypes.
VEHICLE_COLUMNS: dict[str, Any] = {
    "entity_id": "object",
    "trip_id": "object",
    "route_id": "object",
    "start_date": "object",
    "start_time": "object",
    "vehicle_id": "object",
    "label": "object",
    "lat": "float64",
    "lon": "float64",
    "bearing": "float64",
    "speed": "float64",
    "current_stop_sequence": "Int64",
    "stop_id": "object",
    "current_status": "object",
    "timestamp": "Int64",
    "occupancy_status": "object",
    "occupancy_percentage": "Int64",
}


def empty_table(columns: dict[str, Any]) -> pd.DataFrame:
    """An empty DataFrame with ``columns`` (name -> dtype)."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in columns.items()})


@dataclass(frozen=True)
class InformedEntity:
    """One ``EntitySelector`` of an alert: what it applies to ("" / None: any)."""

    agency_id: str = ""
    route_id: str = ""
    route_type: int | None = None
    direction_id: int | None = None
    trip_id: str = ""
    stop_id: str = ""


@dataclass(frozen=True)
class Alert:
    """One ``Alert`` entity (ServiceAlerts).

    Attributes
    ----------
    alert_id
        The entity id.
    active_periods
        ``(start, end)`` POSIX seconds, ``None`` for an open end; empty: always active.
    informed_entities
        What the alert applies to.
    cause, effect, severity_level
        The specification's enum names (``UNKNOWN_CAUSE``, ``NO_SERVICE``, ...).
    header_text, description_text, url
        Translations, language code -> text (``""``: the untagged translation).
    """

    alert_id: str
    active_periods: tuple[tuple[int | None, int | None], ...] = ()
    informed_entities: tuple[InformedEntity, ...] = ()
    cause: str = "UNKNOWN_CAUSE"
    effect: str = "UNKNOWN_EFFECT"
    severity_level: str = "UNKNOWN_SEVERITY"
    header_text: dict[str, str] = field(default_factory=dict)
    description_text: dict[str, str] = field(default_factory=dict)
    url: dict[str, str] = field(default_factory=dict)

    def is_active(self, moment: int) -> bool:
        """Whether the alert is active at POSIX second ``moment``."""
        if not self.active_periods:
            return True
        return any(
            (start is None or start <= moment) and (end is None or moment <= end)
            for start, end in self.active_periods
        )

    def text(self, language: str | None = None, *, part: str = "header") -> str:
        """``header`` (or ``description``/``url``) text in ``language``.

        Falls back to the language's base (``"fi"`` for ``"fi-FI"``), then the untagged
        translation, then English, then the first one; ``""`` when there is none.
        """
        texts = {
            "header": self.header_text,
            "description": self.description_text,
            "url": self.url,
        }[part]
        if not texts:
            return ""
        wanted = [language, language.split("-")[0]] if language else []
        for lang in [*wanted, "", "en"]:
            if lang is not None and lang in texts:
                return texts[lang]
        return next(iter(texts.values()))


@dataclass(frozen=True, eq=False)
class RealtimeFeed:
    """One GTFS-Realtime message, read.

    Attributes
    ----------
    source
        Where it came from (path, URL or ``"<bytes>"``).
    timestamp
        The header's POSIX timestamp (None when 0 or absent).
    incrementality
        ``FULL_DATASET`` or ``DIFFERENTIAL``.
    version
        The header's ``gtfs_realtime_version``.
    trip_updates : DataFrame
        One row per TripUpdate entity, columns `TRIP_UPDATE_COLUMNS`: ``entity_id``,
        ``trip_id``, ``route_id`` (str), ``direction_id`` (Int64), ``start_date``
        ("YYYYMMDD" or ""), ``start_time`` ("HH:MM:SS" or ""),
        ``schedule_relationship`` (SCHEDULED, CANCELED, DELETED, ADDED, UNSCHEDULED,
        DUPLICATED, REPLACEMENT), ``vehicle_id`` (str), ``timestamp`` (Int64 POSIX s),
        ``delay`` (Int64 s, the trip-level delay).
    stop_time_updates : DataFrame
        One row per StopTimeUpdate, in message order, columns
        `STOP_TIME_UPDATE_COLUMNS`: ``update`` (int64 row of ``trip_updates``),
        ``stop_sequence`` (Int64), ``stop_id`` (str), ``arrival_delay``,
        ``arrival_time``, ``departure_delay``, ``departure_time`` (Int64: s, POSIX s),
        ``schedule_relationship`` (categorical, `STOP_RELATIONSHIPS`: SCHEDULED,
        SKIPPED, NO_DATA, UNSCHEDULED).
    alerts
        The Alert entities.
    vehicles : DataFrame
        One row per VehiclePosition, columns `VEHICLE_COLUMNS`: trip (``trip_id``,
        ``route_id``, ``start_date``, ``start_time``), vehicle (``vehicle_id``,
        ``label``), position (``lat``, ``lon``, ``bearing`` degrees, ``speed`` m/s;
        NaN unknown), ``current_stop_sequence``, ``stop_id``, ``current_status``,
        ``timestamp``, ``occupancy_status`` (enum name or ""),
        ``occupancy_percentage``.
    notices
        Tolerable problems found while reading (a stale or future header timestamp, an
        entity without a trip, ...), one sentence each.
    """

    source: str
    timestamp: int | None
    incrementality: str
    version: str
    trip_updates: pd.DataFrame
    stop_time_updates: pd.DataFrame
    alerts: tuple[Alert, ...]
    vehicles: pd.DataFrame
    notices: tuple[str, ...] = ()

    @property
    def time(self) -> dt.datetime | None:
        """The header timestamp as an aware UTC datetime (None when absent)."""
        if self.timestamp is None:
            return None
        return dt.datetime.fromtimestamp(self.timestamp, dt.UTC)

    @property
    def n_entities(self) -> int:
        """Trip updates + alerts + vehicle positions."""
        return len(self.trip_updates) + len(self.alerts) + len(self.vehicles)

    def __repr__(self) -> str:
        return (
            f"RealtimeFeed({self.source!r}, trip_updates={len(self.trip_updates)}, "
            f"stop_time_updates={len(self.stop_time_updates)}, alerts={len(self.alerts)}, "
            f"vehicles={len(self.vehicles)}, notices={len(self.notices)})"
        )
