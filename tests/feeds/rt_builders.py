"""GTFS-Realtime messages built by the tests (protobuf, via gtfs-realtime-bindings)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from google.transit import gtfs_realtime_pb2 as rt


@dataclass
class Stu:
    """One stop time update: by ``seq`` and/or ``stop_id``; delays (s) or times (POSIX)."""

    seq: int | None = None
    stop_id: str = ""
    arr_delay: int | None = None
    dep_delay: int | None = None
    arr_time: int | None = None
    dep_time: int | None = None
    rel: str = ""


@dataclass
class Tu:
    """One trip update."""

    trip_id: str
    stops: Sequence[Stu] = ()
    start_date: str = ""
    start_time: str = ""
    rel: str = ""
    delay: int | None = None


@dataclass
class Al:
    """One alert."""

    alert_id: str
    routes: Sequence[str] = ()
    stops: Sequence[str] = ()
    trips: Sequence[str] = ()
    header: dict[str, str] = field(default_factory=dict)
    periods: Sequence[tuple[int, int]] = ()
    effect: str = "REDUCED_SERVICE"
    cause: str = "CONSTRUCTION"


def message(
    updates: Sequence[Tu] = (),
    alerts: Sequence[Al] = (),
    vehicles: Sequence[tuple[str, float, float, str]] = (),
    *,
    timestamp: int | None = None,
    differential: bool = False,
) -> rt.FeedMessage:
    """A FeedMessage; ``vehicles``: (trip_id, lat, lon, occupancy_status)."""
    m = rt.FeedMessage()
    m.header.gtfs_realtime_version = "2.0"
    m.header.timestamp = int(time.time()) if timestamp is None else timestamp
    if differential:
        m.header.incrementality = rt.FeedHeader.DIFFERENTIAL
    for i, u in enumerate(updates):
        e = m.entity.add()
        e.id = f"tu{i}"
        tu = e.trip_update
        tu.trip.trip_id = u.trip_id
        if u.start_date:
            tu.trip.start_date = u.start_date
        if u.start_time:
            tu.trip.start_time = u.start_time
        if u.rel:
            tu.trip.schedule_relationship = rt.TripDescriptor.ScheduleRelationship.Value(u.rel)
        if u.delay is not None:
            tu.delay = u.delay
        for s in u.stops:
            x = tu.stop_time_update.add()
            if s.seq is not None:
                x.stop_sequence = s.seq
            if s.stop_id:
                x.stop_id = s.stop_id
            if s.arr_delay is not None:
                x.arrival.delay = s.arr_delay
            if s.arr_time is not None:
                x.arrival.time = s.arr_time
            if s.dep_delay is not None:
                x.departure.delay = s.dep_delay
            if s.dep_time is not None:
                x.departure.time = s.dep_time
            if s.rel:
                x.schedule_relationship = rt.TripUpdate.StopTimeUpdate.ScheduleRelationship.Value(
                    s.rel
                )
    for a in alerts:
        e = m.entity.add()
        e.id = a.alert_id
        al = e.alert
        for r in a.routes:
            al.informed_entity.add().route_id = r
        for s_ in a.stops:
            al.informed_entity.add().stop_id = s_
        for t in a.trips:
            al.informed_entity.add().trip.trip_id = t
        for lang, text in a.header.items():
            tr = al.header_text.translation.add()
            tr.text = text
            if lang:
                tr.language = lang
        for start, end in a.periods:
            p = al.active_period.add()
            p.start = start
            p.end = end
        al.effect = rt.Alert.Effect.Value(a.effect)
        al.cause = rt.Alert.Cause.Value(a.cause)
    for i, (trip_id, lat, lon, occupancy) in enumerate(vehicles):
        e = m.entity.add()
        e.id = f"v{i}"
        v = e.vehicle
        v.trip.trip_id = trip_id
        v.vehicle.id = f"bus-{i}"
        v.position.latitude = lat
        v.position.longitude = lon
        v.occupancy_status = rt.VehiclePosition.OccupancyStatus.Value(occupancy)
    return m


def encode(*args: object, **kw: object) -> bytes:
    """`message(...)` serialised."""
    return message(*args, **kw).SerializeToString()  # type: ignore[arg-type]
