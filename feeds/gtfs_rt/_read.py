"""Reading GTFS-Realtime messages: protobuf (the binary wire form) and its JSON form."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds._http import fetch_bytes, is_url
from maasmix.feeds.bounds import check_json_containers, check_message_elements
from maasmix.feeds.gtfs._read import usable_path
from maasmix.feeds.gtfs_rt.tables import (
    STOP_TIME_UPDATE_COLUMNS,
    TRIP_UPDATE_COLUMNS,
    VEHICLE_COLUMNS,
    Alert,
    InformedEntity,
    RealtimeFeed,
)

__all__ = [
    "MAX_AGE_S",
    "MAX_ENTITIES",
    "MAX_MESSAGE_BYTES",
    "MAX_STOP_TIME_UPDATES",
    "read_gtfs_rt",
]

#: Largest message read, bytes (a whole-country TripUpdates feed is a few MB).
MAX_MESSAGE_BYTES = 64 << 20
#: Most entities in one message.
MAX_ENTITIES = 500_000
#: Most stop time updates in one message.
MAX_STOP_TIME_UPDATES = 10_000_000
#: A header timestamp older than this (seconds) is reported as stale.
MAX_AGE_S = 900
#: A header timestamp this far (seconds) in the future is reported.
MAX_AHEAD_S = 300

_TRIP_REL = rt.TripDescriptor.ScheduleRelationship
_STOP_REL = rt.TripUpdate.StopTimeUpdate.ScheduleRelationship
_VEHICLE_STATUS = rt.VehiclePosition.VehicleStopStatus
_OCCUPANCY = rt.VehiclePosition.OccupancyStatus
_CAUSE = rt.Alert.Cause
_EFFECT = rt.Alert.Effect
_SEVERITY = rt.Alert.SeverityLevel
_INCREMENTALITY = rt.FeedHeader.Incrementality


def read_gtfs_rt(
    source: str | os.PathLike[str] | bytes,
    *,
    now: float | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
    max_entities: int = MAX_ENTITIES,
    max_age_s: float = MAX_AGE_S,
    json: bool | None = None,
) -> RealtimeFeed:
    """Read a GTFS-Realtime ``FeedMessage``.

    Parameters
    ----------
    source
        A file path, an http(s) URL (fetched under the fetch policy of
        `maasmix.feeds._http`; the server's business, not the engine's) or the message's
        bytes. Protobuf, or its JSON form (recognised by a leading ``{``; field names
        either as in the .proto or in lowerCamelCase, enums by name).
    now
        POSIX seconds the header timestamp is compared with (default: the clock).
    max_bytes, max_entities
        Bounds: a larger message or more entities is an error.
    max_age_s
        A header timestamp older than this is a notice (``RealtimeFeed.notices``).
    json
        Force (True) or refuse (False) the JSON form; None: recognise it.

    Raises
    ------
    FeedMissingError
        No such file; a URL that cannot be fetched.
    FeedFormatError
        Too large, corrupt or truncated, too many entities.
    """
    name, data = _load(source, max_bytes)
    if len(data) > max_bytes:
        raise FeedFormatError(
            f"message of {len(data):,} bytes exceeds the limit of {max_bytes:,}", file=name
        )
    message = rt.FeedMessage()
    as_json = json if json is not None else data.lstrip()[:1] == b"{"
    if as_json:
        check_json_containers(data, name)
    else:
        check_message_elements(data, name)
    try:
        if as_json:
            json_format.Parse(data.decode("utf-8"), message, ignore_unknown_fields=True)
        else:
            message.ParseFromString(data)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, RuntimeError) as exc:
        kind = "JSON" if as_json else "protobuf"
        raise FeedFormatError(
            f"not a readable GTFS-Realtime {kind} FeedMessage (corrupt or truncated: "
            f"{str(exc).strip() or type(exc).__name__})",
            file=name,
        ) from None
    if not message.IsInitialized():
        missing = ", ".join(message.FindInitializationErrors()[:3])
        raise FeedFormatError(
            f"FeedMessage lacks required fields ({missing}): truncated or not GTFS-Realtime",
            file=name,
        )
    if len(message.entity) > max_entities:
        raise FeedFormatError(
            f"{len(message.entity):,} entities exceed the limit of {max_entities:,}",
            file=name,
            field="entity",
        )
    return _tables(message, name, now=time.time() if now is None else now, max_age_s=max_age_s)


def _load(source: str | os.PathLike[str] | bytes, max_bytes: int) -> tuple[str, bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>", bytes(source)
    if is_url(source):
        url = str(source)
        return url, fetch_bytes(url, max_bytes=max_bytes + 1)
    path = usable_path(source)  # a NUL or an over-long name: FeedMissingError
    if not path.is_file():
        raise FeedMissingError("no such file", file=str(source))
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # a file growing meanwhile reads no further
    except OSError as exc:
        raise FeedFormatError(f"cannot be read ({exc.strerror or exc})", file=str(source)) from None
    if len(data) > max_bytes:
        raise FeedFormatError(
            f"message of more than {max_bytes:,} bytes exceeds the limit", file=str(source)
        )
    return str(source), data


def _opt(msg: Any, name: str) -> Any:
    return getattr(msg, name) if msg.HasField(name) else None


#: Latest POSIX time read (9999-12-31T23:59:59Z); a later (or negative) one is junk.
MAX_POSIX_S = 253_402_300_799


def _posix(msg: Any, name: str, file: str, where: str) -> int | None:
    """The POSIX seconds field ``name`` of ``msg`` (None when absent); outside
    0 .. `MAX_POSIX_S` a `FeedFormatError` naming ``where`` (a uint64 of 2**64 - 1 fits
    no table nor date)."""
    value = _opt(msg, name)
    if value is not None and not 0 <= value <= MAX_POSIX_S:
        raise FeedFormatError(
            f"{name} {value} is no date (POSIX seconds 0 .. {MAX_POSIX_S})",
            file=file,
            field=f"{where}.{name}",
        )
    return None if value is None else int(value)


def _clock(text: str) -> int | None:
    """Seconds of "HH:MM:SS" (hours may exceed 23); None when empty or not of that form."""
    if len(text) != 8 or not text.isascii() or text[2] != ":" or text[5] != ":":
        return None
    h, m, s = text[0:2], text[3:5], text[6:8]
    if not (h.isdigit() and m.isdigit() and s.isdigit()) or int(m) > 59 or int(s) > 59:
        return None
    return int(h) * 3600 + int(m) * 60 + int(s)


def _translations(msg: Any) -> dict[str, str]:
    return {str(t.language): str(t.text) for t in msg.translation}


def _tables(message: Any, name: str, *, now: float, max_age_s: float) -> RealtimeFeed:
    header = message.header
    notices: list[str] = []
    stamp = _posix(header, "timestamp", name, "header") or None  # 0: none
    if stamp is None:
        notices.append("the header has no timestamp: the feed's age is unknown")
    elif now - stamp > max_age_s:
        notices.append(
            f"stale feed: the header timestamp is {int(now - stamp):,} s old "
            f"(more than {int(max_age_s):,} s)"
        )
    elif stamp - now > MAX_AHEAD_S:
        notices.append(f"the header timestamp is {int(stamp - now):,} s in the future")

    tu: dict[str, list[Any]] = {c: [] for c in TRIP_UPDATE_COLUMNS}
    stu: dict[str, list[Any]] = {c: [] for c in STOP_TIME_UPDATE_COLUMNS}
    veh: dict[str, list[Any]] = {c: [] for c in VEHICLE_COLUMNS}
    alerts: list[Alert] = []
    no_trip = 0
    n_stu = 0
    for index, entity in enumerate(message.entity):
        if entity.is_deleted:
            continue
        at = f"entity[{index}]"
        if entity.HasField("trip_update"):
            update = entity.trip_update
            trip = update.trip
            if not trip.trip_id:
                no_trip += 1
                continue
            n_stu += len(update.stop_time_update)
            if n_stu > MAX_STOP_TIME_UPDATES:
                raise FeedFormatError(
                    f"more than {MAX_STOP_TIME_UPDATES:,} stop time updates", file=name
                )
            row = len(tu["entity_id"])
            tu["entity_id"].append(entity.id)
            tu["trip_id"].append(trip.trip_id)
            tu["route_id"].append(trip.route_id)
            tu["direction_id"].append(_opt(trip, "direction_id"))
            tu["start_date"].append(trip.start_date)
            tu["start_time"].append(trip.start_time)
            tu["start_time_s"].append(_clock(trip.start_time))
            tu["schedule_relationship"].append(_TRIP_REL.Name(trip.schedule_relationship))
            tu["vehicle_id"].append(update.vehicle.id if update.HasField("vehicle") else "")
            tu["timestamp"].append(_posix(update, "timestamp", name, f"{at}.trip_update"))
            tu["delay"].append(_opt(update, "delay"))
            for k, s in enumerate(update.stop_time_update):
                where = f"{at}.trip_update.stop_time_update[{k}]"
                stu["update"].append(row)
                stu["stop_sequence"].append(_opt(s, "stop_sequence"))
                stu["stop_id"].append(s.stop_id)
                arr = s.arrival if s.HasField("arrival") else None
                dep = s.departure if s.HasField("departure") else None
                stu["arrival_delay"].append(None if arr is None else _opt(arr, "delay"))
                stu["arrival_time"].append(
                    None if arr is None else _posix(arr, "time", name, f"{where}.arrival")
                )
                stu["departure_delay"].append(None if dep is None else _opt(dep, "delay"))
                stu["departure_time"].append(
                    None if dep is None else _posix(dep, "time", name, f"{where}.departure")
                )
                stu["schedule_relationship"].append(_STOP_REL.Name(s.schedule_relationship))
        if entity.HasField("vehicle"):
            v = entity.vehicle
            pos = v.position if v.HasField("position") else None
            veh["entity_id"].append(entity.id)
            veh["trip_id"].append(v.trip.trip_id)
            veh["route_id"].append(v.trip.route_id)
            veh["start_date"].append(v.trip.start_date)
            veh["start_time"].append(v.trip.start_time)
            veh["vehicle_id"].append(v.vehicle.id)
            veh["label"].append(v.vehicle.label)
            veh["lat"].append(np.nan if pos is None else pos.latitude)
            veh["lon"].append(np.nan if pos is None else pos.longitude)
            veh["bearing"].append(
                np.nan if pos is None or not pos.HasField("bearing") else pos.bearing
            )
            veh["speed"].append(np.nan if pos is None or not pos.HasField("speed") else pos.speed)
            veh["current_stop_sequence"].append(_opt(v, "current_stop_sequence"))
            veh["stop_id"].append(v.stop_id)
            veh["current_status"].append(
                _VEHICLE_STATUS.Name(v.current_status) if v.HasField("current_status") else ""
            )
            veh["timestamp"].append(_posix(v, "timestamp", name, f"{at}.vehicle"))
            veh["occupancy_status"].append(
                _OCCUPANCY.Name(v.occupancy_status) if v.HasField("occupancy_status") else ""
            )
            veh["occupancy_percentage"].append(_opt(v, "occupancy_percentage"))
        if entity.HasField("alert"):
            a = entity.alert
            alerts.append(
                Alert(
                    alert_id=entity.id,
                    active_periods=tuple(
                        (
                            _posix(p, "start", name, f"{at}.alert.active_period[{k}]"),
                            _posix(p, "end", name, f"{at}.alert.active_period[{k}]"),
                        )
                        for k, p in enumerate(a.active_period)
                    ),
                    informed_entities=tuple(
                        InformedEntity(
                            agency_id=e.agency_id,
                            route_id=e.route_id or (e.trip.route_id if e.HasField("trip") else ""),
                            route_type=_opt(e, "route_type"),
                            direction_id=_opt(e, "direction_id"),
                            trip_id=e.trip.trip_id if e.HasField("trip") else "",
                            stop_id=e.stop_id,
                        )
                        for e in a.informed_entity
                    ),
                    cause=_CAUSE.Name(a.cause),
                    effect=_EFFECT.Name(a.effect),
                    severity_level=_SEVERITY.Name(a.severity_level),
                    header_text=_translations(a.header_text),
                    description_text=_translations(a.description_text),
                    url=_translations(a.url),
                )
            )
    if no_trip:
        notices.append(f"{no_trip} trip update(s) without a trip_id were ignored")
    return RealtimeFeed(
        source=name,
        timestamp=stamp,
        incrementality=_INCREMENTALITY.Name(header.incrementality),
        version=header.gtfs_realtime_version,
        trip_updates=_frame(tu, TRIP_UPDATE_COLUMNS),
        stop_time_updates=_frame(stu, STOP_TIME_UPDATE_COLUMNS),
        alerts=tuple(alerts),
        vehicles=_frame(veh, VEHICLE_COLUMNS),
        notices=tuple(notices),
    )


def _frame(columns: dict[str, list[Any]], dtypes: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.Series(columns[name], dtype=dtype) for name, dtype in dtypes.items()}
    )
