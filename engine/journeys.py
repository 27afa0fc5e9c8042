"""Journeys and legs, shaped like OpenTripPlanner's itineraries, and their reconstruction.

A `Journey` is a list of `Leg`s: transit legs (one trip, boarded at one stop, left at a
later one) and walking legs (one footpath). Times are int32 seconds after the service
day's midnight (``start_s``, ``end_s``); `Journey.to_dict` also gives timezone-aware
ISO 8601 times, OTP-style camelCase keys (``startTime``, ``legs``, ``numberOfTransfers``).

Walking before the first ride is scheduled to end when that ride departs; walking after
a ride starts when the rider gets off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from maasmix.engine import _mcraptor_kernel as mk
from maasmix.engine.raptor import INF, RaptorResult
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["Journey", "Leg", "pareto_filter", "transit_mode"]

_BASIC_MODES = {
    0: "TRAM",
    1: "SUBWAY",
    2: "RAIL",
    3: "BUS",
    4: "FERRY",
    5: "CABLE_CAR",
    6: "GONDOLA",
    7: "FUNICULAR",
    11: "TROLLEYBUS",
    12: "MONORAIL",
}
_EXTENDED_MODES = [
    (100, 199, "RAIL"),
    (200, 299, "COACH"),
    (400, 499, "SUBWAY"),
    (700, 899, "BUS"),
    (900, 999, "TRAM"),
    (1000, 1299, "FERRY"),
    (1300, 1399, "GONDOLA"),
    (1400, 1499, "FUNICULAR"),
]


def transit_mode(route_type: int) -> str:
    """OTP mode name of a GTFS (basic or extended) route_type; "TRANSIT" when unknown."""
    if route_type in _BASIC_MODES:
        return _BASIC_MODES[route_type]
    for lo, hi, name in _EXTENDED_MODES:
        if lo <= route_type <= hi:
            return name
    return "TRANSIT"


def hhmmss(seconds: int) -> str:
    """Seconds after midnight as "HH:MM:SS" (hours may exceed 23; negative gets a "-")."""
    sign = "-" if seconds < 0 else ""
    s = abs(int(seconds))
    return f"{sign}{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def service_datetime(date: dt.date, timezone: str, seconds: int) -> dt.datetime:
    """The instant ``seconds`` after the service day's midnight (noon minus 12 h)."""
    try:
        tz: dt.tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    noon = dt.datetime.combine(date, dt.time(12), tzinfo=tz)
    utc = noon.astimezone(dt.UTC) + dt.timedelta(seconds=int(seconds) - 43200)
    return utc.astimezone(tz)


@dataclass(frozen=True)
class Leg:
    """One leg: ``mode`` "WALK" or a transit mode (BUS, TRAM, SUBWAY, RAIL, ...).

    Transit legs have ``route_*``, ``trip_id``, ``trip_key``, ``headsign`` and
    ``stops`` (number of stops ridden past, including the one got off at); walking legs
    have ``distance_m`` (crow-fly) and None in the transit fields.
    """

    mode: str
    from_stop_id: str
    from_name: str
    from_lat: float
    from_lon: float
    to_stop_id: str
    to_name: str
    to_lat: float
    to_lon: float
    start_s: int
    end_s: int
    route_id: str | None = None
    route_short_name: str | None = None
    route_long_name: str | None = None
    route_type: int | None = None
    trip_id: str | None = None
    trip_key: str | None = None
    headsign: str | None = None
    stops: int | None = None
    distance_m: float | None = None

    @property
    def duration_s(self) -> int:
        """Seconds from start to end."""
        return self.end_s - self.start_s

    @property
    def is_transit(self) -> bool:
        """Whether the leg rides a trip."""
        return self.mode != "WALK"

    def to_dict(self, date: dt.date | None = None, timezone: str = "UTC") -> dict[str, object]:
        """OTP-like leg: mode, from/to places, times (ISO 8601 when ``date`` is given)."""
        out: dict[str, object] = {
            "mode": self.mode,
            "from": {
                "stopId": self.from_stop_id,
                "name": self.from_name,
                "lat": self.from_lat,
                "lon": self.from_lon,
            },
            "to": {
                "stopId": self.to_stop_id,
                "name": self.to_name,
                "lat": self.to_lat,
                "lon": self.to_lon,
            },
            "startSeconds": self.start_s,
            "endSeconds": self.end_s,
            "duration": self.duration_s,
        }
        if date is not None:
            out["startTime"] = service_datetime(date, timezone, self.start_s).isoformat()
            out["endTime"] = service_datetime(date, timezone, self.end_s).isoformat()
        if self.is_transit:
            out["route"] = {
                "gtfsId": self.route_id,
                "shortName": self.route_short_name,
                "longName": self.route_long_name,
                "type": self.route_type,
            }
            out["trip"] = {
                "gtfsId": self.trip_id,
                "tripKey": self.trip_key,
                "headsign": self.headsign,
            }
            out["stops"] = self.stops
        else:
            out["distance"] = self.distance_m
        return out


@dataclass(frozen=True)
class Journey:
    """A journey from an origin stop to a destination stop.

    ``departure_s``/``arrival_s``: start of the first leg and end of the last one (the
    query time for a journey without legs); ``transfers``: rides minus one (0 for a
    walk-only journey); ``walk_s``: seconds of walking.
    """

    legs: tuple[Leg, ...]
    departure_s: int
    arrival_s: int
    date: dt.date
    timezone: str

    @property
    def rides(self) -> int:
        """Number of transit legs."""
        return sum(1 for leg in self.legs if leg.is_transit)

    @property
    def transfers(self) -> int:
        """Rides minus one, never negative."""
        return max(self.rides - 1, 0)

    @property
    def walk_s(self) -> int:
        """Total walking time, seconds."""
        return sum(leg.duration_s for leg in self.legs if not leg.is_transit)

    @property
    def duration_s(self) -> int:
        """Arrival minus departure, seconds."""
        return self.arrival_s - self.departure_s

    @property
    def waiting_s(self) -> int:
        """Time neither riding nor walking between departure and arrival, seconds."""
        return self.duration_s - sum(leg.duration_s for leg in self.legs)

    def to_dict(self) -> dict[str, object]:
        """OTP-like itinerary: startTime, endTime, duration, numberOfTransfers, legs, ..."""
        return {
            "startTime": service_datetime(self.date, self.timezone, self.departure_s).isoformat(),
            "endTime": service_datetime(self.date, self.timezone, self.arrival_s).isoformat(),
            "startSeconds": self.departure_s,
            "endSeconds": self.arrival_s,
            "duration": self.duration_s,
            "numberOfTransfers": self.transfers,
            "walkTime": self.walk_s,
            "waitingTime": self.waiting_s,
            "legs": [leg.to_dict(self.date, self.timezone) for leg in self.legs],
        }


# ----------------------------------------------------------------------------- building


def _ride_leg(tt: CompiledTimetable, trip: int, board_pos: int, alight_pos: int) -> Leg:
    p = int(tt.trip_pattern[trip])
    ps0 = int(tt.pattern_stops_ptr[p])
    n = int(tt.pattern_stops_ptr[p + 1]) - ps0
    j = trip - int(tt.pattern_trips_ptr[p])
    base = int(tt.pattern_st_ptr[p]) + j * n
    a = int(tt.pattern_stops[ps0 + board_pos])
    b = int(tt.pattern_stops[ps0 + alight_pos])
    r = int(tt.trip_route[trip])
    route_type = int(tt.route_types[r])
    return Leg(
        mode=transit_mode(route_type),
        from_stop_id=str(tt.stop_ids[a]),
        from_name=str(tt.stop_names[a]),
        from_lat=float(tt.stop_lat[a]),
        from_lon=float(tt.stop_lon[a]),
        to_stop_id=str(tt.stop_ids[b]),
        to_name=str(tt.stop_names[b]),
        to_lat=float(tt.stop_lat[b]),
        to_lon=float(tt.stop_lon[b]),
        start_s=int(tt.st_dep[base + board_pos]),
        end_s=int(tt.st_arr[base + alight_pos]),
        route_id=str(tt.route_ids[r]),
        route_short_name=str(tt.route_short_names[r]),
        route_long_name=str(tt.route_long_names[r]),
        route_type=route_type,
        trip_id=str(tt.trip_ids[trip]),
        trip_key=str(tt.trip_keys[trip]),
        headsign=str(tt.trip_headsigns[trip]),
        stops=alight_pos - board_pos,
    )


def _alight_pos(tt: CompiledTimetable, trip: int, board_pos: int, stop: int, arrival: int) -> int:
    stops, arr, _ = tt.trip_stop_times(trip)
    p = int(tt.trip_pattern[trip])
    ps0 = int(tt.pattern_stops_ptr[p])
    for i in range(board_pos + 1, len(stops)):
        if int(stops[i]) == stop and int(arr[i]) == arrival and tt.pattern_alight[ps0 + i]:
            return i
    raise RuntimeError("inconsistent RAPTOR records: alighting stop not on the trip")


def _walk_leg(tt: CompiledTimetable, a: int, b: int, start: int) -> Leg:
    fp = tt.footpaths
    lo, hi = int(fp.ptr[a]), int(fp.ptr[a + 1])
    hit = np.flatnonzero(fp.to[lo:hi] == b)
    if not len(hit):
        raise RuntimeError("inconsistent records: no footpath between the stops")
    e = lo + int(hit[0])
    dur = int(fp.duration_s[e])
    return Leg(
        mode="WALK",
        from_stop_id=str(tt.stop_ids[a]),
        from_name=str(tt.stop_names[a]),
        from_lat=float(tt.stop_lat[a]),
        from_lon=float(tt.stop_lon[a]),
        to_stop_id=str(tt.stop_ids[b]),
        to_name=str(tt.stop_names[b]),
        to_lat=float(tt.stop_lat[b]),
        to_lon=float(tt.stop_lon[b]),
        start_s=start,
        end_s=start + dur,
        distance_m=round(float(fp.distance_m[e]), 1),
    )


# steps: ("ride", trip, board_pos, alight_pos) | ("walk", from_stop, to_stop, 0); in order
Step = tuple[str, int, int, int]


def _assemble(tt: CompiledTimetable, steps: list[Step], origin_time: int) -> Journey:
    legs: list[Leg] = []
    t = origin_time
    for idx, (kind, x, y, z) in enumerate(steps):
        if kind == "ride":
            leg = _ride_leg(tt, x, y, z)
        else:
            leg = _walk_leg(tt, x, y, t)
            if idx == 0 and idx + 1 < len(steps):
                nxt = _ride_leg(tt, *steps[idx + 1][1:])
                leg = _walk_leg(tt, x, y, nxt.start_s - leg.duration_s)
        legs.append(leg)
        t = leg.end_s
    dep = legs[0].start_s if legs else origin_time
    arr = legs[-1].end_s if legs else origin_time
    return Journey(tuple(legs), dep, arr, tt.date, tt.timezone)


def raptor_journeys(
    tt: CompiledTimetable, res: RaptorResult, targets: np.ndarray, egress: np.ndarray
) -> list[Journey]:
    """The journeys of each round that improved the arrival at the targets."""
    found: list[tuple[int, Journey]] = []
    prev = INF
    for k in range(res.last_round + 1):
        value = int(res.dest[k])
        if value >= prev or value >= INF:
            continue
        prev = value
        steps, origin_time = _raptor_steps(tt, res, k, targets, egress, value)
        found.append((value, _assemble(tt, steps, origin_time)))
    keep = _pareto_indices([(v, j.transfers) for v, j in found])
    return sorted((found[i][1] for i in keep), key=lambda j: (j.transfers, j.arrival_s))


def _raptor_steps(
    tt: CompiledTimetable,
    res: RaptorResult,
    k: int,
    targets: np.ndarray,
    egress: np.ndarray,
    value: int,
) -> tuple[list[Step], int]:
    stop, mode = -1, ""
    for t, e in zip(targets.tolist(), egress.tolist(), strict=True):
        ride = int(res.rec_ride[k, t])
        walk = int(res.rec_walk[k, t])
        if ride < INF and ride + e == value and (k > 0 or int(res.rec_trip[k, t]) < 0):
            stop, mode = t, "ride"
            break
        if walk < INF and walk + e == value:
            stop, mode = t, "walk"
    if stop < 0:
        raise RuntimeError("inconsistent RAPTOR records: no label at the target")
    steps: list[Step] = []
    slack = res.slack
    while True:
        if mode == "walk":
            src = int(res.rec_from[k, stop])
            steps.append(("walk", src, stop, 0))
            stop, mode = src, "ride"
            continue
        trip = int(res.rec_trip[k, stop])
        if k == 0 or trip < 0:
            origin_time = int(res.rec_ride[0, stop])
            break
        board = int(res.rec_board[k, stop])
        alight = _alight_pos(tt, trip, board, stop, int(res.rec_ride[k, stop]))
        steps.append(("ride", trip, board, alight))
        p = int(tt.trip_pattern[trip])
        board_stop = int(tt.pattern_stops[int(tt.pattern_stops_ptr[p]) + board])
        _, _, deps = tt.trip_stop_times(trip)
        dep = int(deps[board])
        found = False
        for j in range(k - 1, -1, -1):
            pad = slack if j > 0 else 0
            r = int(res.rec_ride[j, board_stop])
            w = int(res.rec_walk[j, board_stop])
            if r < INF and r + pad <= dep and (j > 0 or int(res.rec_trip[0, board_stop]) < 0):
                k, stop, mode, found = j, board_stop, "ride", True
                break
            if w < INF and w + pad <= dep:
                k, stop, mode, found = j, board_stop, "walk", True
                break
        if not found:
            raise RuntimeError("inconsistent RAPTOR records: no label to board from")
    steps.reverse()
    return steps, origin_time


def mc_journeys(
    tt: CompiledTimetable,
    pool: np.ndarray,
    target_labels: np.ndarray,
    targets: np.ndarray,
    egress: np.ndarray,
) -> list[Journey]:
    """Journeys of the McRAPTOR labels that reached a target, Pareto over 3 criteria."""
    eg = dict(zip(targets.tolist(), egress.tolist(), strict=True))
    candidates: list[tuple[int, int, int, int]] = []
    for lab in target_labels.tolist():
        stop = int(pool[lab, mk.F_STOP])
        candidates.append(
            (
                int(pool[lab, mk.F_ARR]) + eg.get(stop, 0),
                int(pool[lab, mk.F_ROUND]),
                int(pool[lab, mk.F_WALK]),
                lab,
            )
        )
    keep = _pareto_indices([(c[0], max(c[1] - 1, 0), c[2]) for c in candidates])
    out = []
    for i in keep:
        steps, origin_time = _mc_steps(tt, pool, candidates[i][3])
        out.append(_assemble(tt, steps, origin_time))
    out.sort(key=lambda j: (j.transfers, j.arrival_s, j.walk_s))
    return out


def _mc_steps(tt: CompiledTimetable, pool: np.ndarray, lab: int) -> tuple[list[Step], int]:
    steps: list[Step] = []
    while True:
        kind = int(pool[lab, mk.F_KIND])
        prev = int(pool[lab, mk.F_PREV])
        stop = int(pool[lab, mk.F_STOP])
        if kind == 0:
            origin_time = int(pool[lab, mk.F_ARR])
            break
        if kind == 2:
            steps.append(("walk", int(pool[prev, mk.F_STOP]), stop, 0))
        else:
            trip = int(pool[lab, mk.F_TRIP])
            board = int(pool[lab, mk.F_BOARD])
            steps.append(
                ("ride", trip, board, _alight_pos(tt, trip, board, stop, int(pool[lab, mk.F_ARR])))
            )
        lab = prev
    steps.reverse()
    return steps, origin_time


def _pareto_indices(points: list[tuple[int, ...]]) -> list[int]:
    keep: list[int] = []
    seen: set[tuple[int, ...]] = set()
    for i, p in enumerate(points):
        if p in seen:
            continue
        dominated = any(all(q[c] <= p[c] for c in range(len(p))) and q != p for q in points)
        if not dominated:
            keep.append(i)
            seen.add(p)
    return keep


def pareto_filter(journeys: list[Journey]) -> list[Journey]:
    """Pareto-optimal journeys over (arrival, transfers), one per distinct pair, sorted by
    transfers."""
    keep = _pareto_indices([(j.arrival_s, j.transfers) for j in journeys])
    return sorted((journeys[i] for i in keep), key=lambda j: (j.transfers, j.arrival_s))
