"""Travel-time matrices: a range-RAPTOR search per origin over a departure window.

`TravelTimeMatrix(network, origins, destinations, departure, window, percentiles, ...)`
answers, for every origin and destination, the travel time leaving the origin at each
minute of the window (``departure`` up to, not including, ``departure + window``),
summarised as percentiles over those departures, like r5py's `TravelTimeMatrix`:

======================  =======  =============================================================
column                  dtype    meaning
======================  =======  =============================================================
``from_id``             str      origin id
``to_id``               str      destination id
``travel_time_p{NN}``   float64  the NN-th percentile over the window, minutes (NaN: not
                                 reached within ``max_time`` at that percentile)
``share_within_{C}``    float64  share (0-1) of the window's departures reaching the
                                 destination within ``C`` minutes (``cutoff``)
======================  =======  =============================================================

A travel time is the earliest arrival at the destination minus the departure minute (the
wait at the first stop included). Percentiles are nearest-rank over the departures, an
unreached departure counting as infinitely long: the NN-th percentile of ``n`` times is
the ``ceil(NN / 100 * n)``-th smallest (the smallest for NN = 0).

Journeys are walking access on the street graph (crow-fly x the detour factor without
OSM, as in `engine.access`), transit with at most ``max_rides`` rides and the network's
minimum transfer time, and walking egress; or walking all the way. With shared modes in
``access_modes`` / ``egress_modes`` (``BICYCLE_RENTAL``, ``SCOOTER_RENTAL``,
``MOPED_RENTAL``, ``RENTAL`` for all), a stop's access (egress) time is the quicker of
walking and the planner's rental chain (walk to a vehicle, ride, return it, walk:
`engine.plan_rentals`, the GBFS status as loaded), and a rental all the way counts when
its mode is among ``access_modes`` (as the planner's whole-trip rental). As in the
planner, a rental access or egress joins only a journey that rides transit: without a
ride a journey walks (straight, or to a stop, along at most one stop-to-stop footpath
and on), rides one's own bike or a rented vehicle all the way, so the same query gives
the planner's earliest arrival (`tests/engine/test_matrix_rentals.py`).
With ``BICYCLE`` (one's own bike) in ``access_modes``, a stop's access time is also the
ride on the bike graph (crow-fly x the detour factor without OSM) at the network's bike
speed, up to `maasmix.defaults.MAX_ACCESS_BIKE_S`, and a ride all the way counts (up to
``max_time``); in ``egress_modes``, the ride from a stop to the destination (the bike
taken along).
One search per origin covers the whole window (rRAPTOR, `engine._matrix_kernel`);
destinations read their egress stops after each departure minute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix import defaults
from maasmix.engine._matrix_kernel import range_matrix
from maasmix.engine._raptor_kernel import INF
from maasmix.engine.access import crow_field, graph_field
from maasmix.engine.network import Network
from maasmix.errors import QueryError
from maasmix.feeds.points import PointSource, read_points
from maasmix.servicetime import parse_clock, service_datetime

__all__ = [
    "DEFAULT_MAX_RIDES",
    "MAX_WINDOW_S",
    "MatrixSearch",
    "TravelTimeMatrix",
    "departure_seconds",
    "own_bike",
    "percentile_rank",
    "rental_modes",
    "travel_time_matrix",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

#: r5py's default number of public transport rides.
DEFAULT_MAX_RIDES = 8
#: The longest departure window (a day); longer windows are an error.
MAX_WINDOW_S = 86400
#: Travel times past this many minutes are never asked for (the service day's 48 h).
MAX_TIME_MIN = 24 * 60

#: The numba kernel as a plain callable for the type checker.
RANGE_MATRIX: Callable[..., tuple[Any, ...]] = cast(Callable[..., tuple[Any, ...]], range_matrix)


def departure_seconds(net: Network, departure: dt.datetime | str) -> int:
    """Seconds after the network's service-day midnight of ``departure`` (a datetime,
    naive: in the network's timezone; an ISO 8601 string; or a clock ``HH:MM[:SS]``)."""
    if isinstance(departure, str):
        text = departure.strip()
        if "T" not in text and " " not in text and len(text) <= 8:
            return parse_clock(text, parameter="departure")
        try:
            departure = dt.datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(
                f"not an ISO 8601 date-time or a clock time: {text[:40]!r}", parameter="departure"
            ) from None
    if not isinstance(departure, dt.datetime):
        raise QueryError("expected a datetime", parameter="departure")
    base = service_datetime(net.date, net.timezone, 0)
    moment = departure if departure.tzinfo is not None else departure.replace(tzinfo=base.tzinfo)
    seconds = (moment - base).total_seconds()
    if not 0 <= seconds < 2 * 86400:
        raise QueryError(
            f"{departure.isoformat()} is outside the network's service day "
            f"{net.date.isoformat()} (00:00 to 48:00)",
            parameter="departure",
        )
    return int(seconds)


def percentile_rank(n: int, percentile: float) -> int:
    """0-based index of the nearest-rank ``percentile`` among ``n`` sorted values."""
    return max(math.ceil(percentile / 100.0 * n) - 1, 0)


@dataclass(frozen=True, eq=False)
class _Points:
    """Points linked to the walking graph (``node`` -1: crow-fly or beyond the snap limit)."""

    ids: npt.NDArray[np.object_]
    lat: FloatArray
    lon: FloatArray
    node: IntArray
    link_m: FloatArray


class MatrixSearch:
    """The shared part of a matrix: the network, the destinations' egress, the window.

    Built once per run (and per Dask worker); `times` answers one origin. ``departures``
    are the window's minutes, increasing; `times` returns one column per departure.
    """

    def __init__(
        self,
        network: Network,
        destinations: pd.DataFrame,
        *,
        departure_s: int,
        window_s: int,
        step_s: int = defaults.PROFILE_STEP_S,
        max_time_s: int = 3600,
        max_rides: int = DEFAULT_MAX_RIDES,
        walk_speed: float | None = None,
        max_access_walk_s: int = defaults.MAX_ACCESS_WALK_S,
        max_egress_walk_s: int = defaults.MAX_ACCESS_WALK_S,
        access_modes: Sequence[str] = ("WALK",),
        egress_modes: Sequence[str] = ("WALK",),
    ) -> None:
        self.access_rentals = rental_modes(access_modes, "access_modes")
        self.egress_rentals = rental_modes(egress_modes, "egress_modes")
        self.bike_access = own_bike(access_modes)
        self.bike_egress = own_bike(egress_modes)
        #: walking access and egress only (the kernel may read its round 0)
        self.on_foot = not (
            self.access_rentals or self.egress_rentals or self.bike_access or self.bike_egress
        )
        if not 0 < window_s <= MAX_WINDOW_S:
            raise QueryError(
                f"must be more than 0 and at most {MAX_WINDOW_S // 60} minutes, "
                f"got {window_s / 60:g}",
                parameter="window",
            )
        if step_s <= 0:
            raise QueryError(f"must be > 0 s, got {step_s}", parameter="step")
        if not 0 < max_time_s <= MAX_TIME_MIN * 60:
            raise QueryError(
                f"must be more than 0 and at most {MAX_TIME_MIN} minutes, got {max_time_s / 60:g}",
                parameter="max_time",
            )
        if max_rides < 0:
            raise QueryError(f"must be >= 0, got {max_rides}", parameter="max_rides")
        if max_access_walk_s < 0 or max_egress_walk_s < 0:
            raise QueryError("walking limits must be >= 0 s", parameter="max_access_walk")
        self.net = network
        self.cn = network.compiled
        self.ws = float(walk_speed or self.cn.walk_speed)
        if not self.ws > 0:
            raise QueryError(f"must be > 0 m/s, got {walk_speed}", parameter="walk_speed")
        self.departures = np.arange(departure_s, departure_s + window_s, step_s, dtype=np.int32)
        self.max_time_s = int(max_time_s)
        self.max_rides = int(max_rides)
        self.max_access_walk_s = int(max_access_walk_s)
        self.max_egress_walk_s = int(max_egress_walk_s)
        self.slack = int(network.min_transfer_s)
        self.moment = service_datetime(network.date, network.timezone, int(departure_s))
        self.bs = float(self.cn.bike_speed)
        self.max_bike_s = float(defaults.MAX_ACCESS_BIKE_S)
        self.dest = self.link(destinations)
        self.dest_bike = self._bike_link(self.dest.lat, self.dest.lon)
        self.eg_ptr, self.eg_stop, self.eg_secs, self.eg_walk = self._egress()
        self._kernel_arrays = self.cn.timetable.kernel_arrays()
        ptr, to, dur = (np.asarray(x, np.int64) for x in self._kernel_arrays[-3:])
        self._footpaths = (ptr, to, dur)

    @property
    def n_dest(self) -> int:
        """Number of destinations."""
        return len(self.dest.ids)

    def link(self, points: pd.DataFrame) -> _Points:
        """Points linked to the walking graph's nearest node (none beyond `MAX_SNAP_M`)."""
        lat = points["lat"].to_numpy(np.float64)
        lon = points["lon"].to_numpy(np.float64)
        ids = points["id"].astype(str).to_numpy(dtype=object)
        walk = self.cn.walk
        if walk is None or walk.n_nodes == 0:
            node = np.full(len(lat), -1, np.int32)
            link = np.zeros(len(lat))
        else:
            node, link = walk.nearest(lat, lon)
            far = link > defaults.MAX_SNAP_M
            node = np.where(far, -2, node).astype(np.int32)  # -2: off the street graph
        return _Points(ids, lat, lon, node, link)

    def _bike_link(self, lat: FloatArray, lon: FloatArray) -> tuple[IntArray, FloatArray]:
        """Points' nearest bike-graph nodes (-1 without one; -2 beyond `MAX_SNAP_M`) and
        the metres to them."""
        bike = self.cn.bike
        if bike is None or bike.n_nodes == 0:
            return np.full(len(lat), -1, np.int32), np.zeros(len(lat))
        node, link = bike.nearest(lat, lon)
        node = np.where(link > defaults.MAX_SNAP_M, -2, node).astype(np.int32)
        return node, np.asarray(link, np.float64)

    def _bike_secs(
        self, lat: float, lon: float, rev: bool, to: tuple[FloatArray, FloatArray, Any, Any]
    ) -> FloatArray:
        """Seconds by own bike from the point to ``to`` (lat, lon, bike node, link metres;
        ``rev``: from them to the point), ``inf`` beyond ``max(MAX_ACCESS_BIKE_S,
        max_time)`` or off the bike graph."""
        limit = max(self.max_bike_s, float(self.max_time_s))
        lat_to, lon_to, node_to, link_to = to
        if self.cn.bike is None or self.cn.bike.n_nodes == 0:
            f = crow_field([lat], [lon], [0.0], limit, self.bs, self.cn.detour_factor, reverse=rev)
            secs, _, _ = f.at(lat_to, lon_to)
            return np.asarray(secs, np.float64)
        node, link = self._bike_link(np.array([lat]), np.array([lon]))
        if node[0] < 0:
            return np.full(len(lat_to), np.inf)
        f = graph_field(self.cn.bike, [int(node[0])], [float(link[0]) / self.bs], limit, self.bs,
                        reverse=rev)  # fmt: skip
        secs, _, _ = f.at(lat_to, lon_to, np.maximum(node_to, -1), link_to)
        return np.where(np.asarray(node_to) == -2, np.inf, secs)

    def _bike_stop_secs(self, lat: float, lon: float, rev: bool) -> FloatArray:
        """Seconds by own bike to every served stop (``rev``: from), ``inf`` beyond
        `MAX_ACCESS_BIKE_S`."""
        tt, cn = self.cn.timetable, self.cn
        t = self._bike_secs(lat, lon, rev, (tt.stop_lat, tt.stop_lon, cn.stop_bike_node,
                                            cn.stop_bike_m))  # fmt: skip
        return np.where(cn.served & (t <= self.max_bike_s), t, np.inf)

    def _stop_secs(self, f: Any) -> FloatArray:
        tt = self.cn.timetable
        if f.graph is None:
            secs, _, _ = f.at(tt.stop_lat, tt.stop_lon)
        else:
            secs, _, _ = f.at(tt.stop_lat, tt.stop_lon, self.cn.stop_walk_node, self.cn.stop_walk_m)
        return np.where(self.cn.served, secs, np.inf)

    def _field(
        self, lat: float, lon: float, node: int, link: float, limit: float, rev: bool
    ) -> Any:
        if node == -1:
            return crow_field(
                [lat], [lon], [0.0], limit, self.ws, self.cn.detour_factor, reverse=rev
            )
        assert self.cn.walk is not None
        return graph_field(self.cn.walk, [node], [link / self.ws], limit, self.ws, reverse=rev)

    def _egress(self) -> tuple[npt.NDArray[np.int64], IntArray, IntArray, IntArray]:
        """CSR of each destination's egress stops, whole seconds from each to it (any
        egress mode) and whole walking seconds (``INF``: not within the walking limit)."""
        d = self.dest
        ptr = np.zeros(self.n_dest + 1, np.int64)
        stops: list[IntArray] = []
        secs: list[IntArray] = []
        walks: list[IntArray] = []
        limit = float(self.max_egress_walk_s)
        for i in range(self.n_dest):
            if d.node[i] == -2:
                s = np.empty(0, np.int32)
                w = np.empty(0, np.int32)
                on_foot = w
            else:
                f = self._field(d.lat[i], d.lon[i], int(d.node[i]), d.link_m[i], limit, True)
                t = self._stop_secs(f)
                t = np.where(t <= limit, t, np.inf)
                walked = t
                if self.egress_rentals:
                    t = np.fmin(t, self.rental_secs(d.lat[i], d.lon[i], True))
                if self.bike_egress and self.dest_bike[0][i] != -2:
                    t = np.fmin(t, self._bike_stop_secs(d.lat[i], d.lon[i], True))
                s = np.flatnonzero(np.isfinite(t)).astype(np.int32)
                w = np.ceil(t[s]).astype(np.int32)
                on_foot = np.where(np.isfinite(walked[s]), np.ceil(walked[s]), INF)
            stops.append(s)
            secs.append(w)
            walks.append(on_foot.astype(np.int32))
            ptr[i + 1] = ptr[i] + len(s)
        stop = np.concatenate(stops) if stops else np.empty(0, np.int32)
        sec = np.concatenate(secs) if secs else np.empty(0, np.int32)
        walk = np.concatenate(walks) if walks else np.empty(0, np.int32)
        return ptr, stop.astype(np.int32), sec.astype(np.int32), walk.astype(np.int32)

    def rental_secs(self, lat: float, lon: float, reverse: bool) -> FloatArray:
        """Seconds from the point to every stop (``reverse``: from every stop to the
        point) by the planner's rental chains (walk, ride a shared vehicle, walk), the
        least over the systems and vehicle types of the modes asked for (``inf``: none)."""
        return self._rentals(lat, lon, reverse)[0]

    def _rentals(self, lat: float, lon: float, reverse: bool) -> tuple[FloatArray, FloatArray]:
        """`rental_secs`, and (forward only) the seconds to every destination by a
        rental all the way, as the planner's `plan_rentals.rental_direct` (``inf``: none)."""
        from maasmix.engine.plan_query import PlanOptions, Query
        from maasmix.engine.plan_rentals import chain_of, rental_access, rental_groups

        modes = self.egress_rentals if reverse else self.access_rentals
        best = np.full(self.cn.timetable.n_stops, np.inf)
        whole = np.full(self.n_dest, np.inf)
        try:
            q = Query(self.net, (lat, lon), (lat, lon), PlanOptions(walk_speed=self.ws))
        except QueryError:  # off the streets or far from every stop: no rental either
            return best, whole
        q.moment = self.moment
        d = self.dest
        for g in rental_groups(q, modes):
            got = rental_access(q, g, reverse)
            if got is not None:
                best = np.fmin(best, got.secs)
            if reverse or g.reverse_only:
                continue
            chain = chain_of(q, g, False)
            if chain.ok:
                secs, how = chain.cost_at(d.lat, d.lon, np.maximum(d.node, -1), d.link_m,
                                          *self.dest_bike)  # fmt: skip
                ok = (how != -1) & (d.node != -2) & (self.dest_bike[0] != -2)
                whole = np.fmin(whole, np.where(ok, secs, np.inf))
        return best, whole

    def access(self, lat: float, lon: float) -> tuple[IntArray, IntArray, IntArray, Any]:
        """(access stops, whole seconds to them (any access mode), seconds to every
        destination without a ride (``INF`` beyond ``max_time``), the walking field) of
        one origin. Without a ride a journey walks all the way (or rides one's own bike
        all the way): straight, or access walk + stop-to-stop footpath + egress walk."""
        o = self.link(pd.DataFrame({"id": ["o"], "lat": [lat], "lon": [lon]}))
        node, link = int(o.node[0]), float(o.link_m[0])
        none = np.empty(0, np.int32)
        if node == -2:
            return none, none, np.full(self.n_dest, INF, np.int32), None
        limit = float(max(self.max_access_walk_s, self.max_time_s))
        f = self._field(lat, lon, node, link, limit, False)
        t = self._stop_secs(f)
        t = np.where(t <= self.max_access_walk_s, t, np.inf)
        walked = t
        whole = np.full(self.n_dest, np.inf)
        if self.access_rentals:
            by_rental, whole = self._rentals(lat, lon, False)
            t = np.fmin(t, by_rental)
        if self.bike_access:
            t = np.fmin(t, self._bike_stop_secs(lat, lon, False))
        stops = np.flatnonzero(np.isfinite(t)).astype(np.int32)
        offsets = np.ceil(t[stops]).astype(np.int32)
        d = self.dest
        if f.graph is None:
            walk, _, _ = f.at(d.lat, d.lon)
        else:
            walk, _, _ = f.at(d.lat, d.lon, np.maximum(d.node, -1), d.link_m)
        walk = np.where(d.node == -2, np.inf, walk)
        if self.bike_access:  # riding all the way
            walk = np.fmin(walk, self._bike_secs(lat, lon, False, (d.lat, d.lon, *self.dest_bike)))
        if not self.on_foot:  # else the kernel reads round 0 (on foot alone) itself
            walk = np.fmin(walk, self._walk_via_stops(stops, walked[stops]))
        walk = np.fmin(walk, whole)  # a rental all the way
        walk = np.where(walk <= self.max_time_s, np.ceil(walk), np.inf)
        direct = np.where(np.isfinite(walk), walk, INF).astype(np.int32)
        return stops, offsets, direct, f

    def _walk_via_stops(self, stops: IntArray, secs: FloatArray) -> FloatArray:
        """Seconds to every destination walking to a stop (``secs``, ``inf``: not on
        foot), at most one stop-to-stop footpath, and walking from a stop (the kernel's
        round 0 on foot alone)."""
        fp_ptr, fp_to, fp_dur = self._footpaths
        on_foot = np.isfinite(secs)
        src, off = stops[on_foot], np.ceil(secs[on_foot]).astype(np.int64)
        at = np.full(self.cn.timetable.n_stops, np.iinfo(np.int64).max // 4, np.int64)
        np.minimum.at(at, src, off)
        lo, hi = fp_ptr[src].astype(np.int64), fp_ptr[src + 1].astype(np.int64)
        n = hi - lo
        if n.sum():
            edge = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
            np.minimum.at(at, fp_to[edge], np.repeat(off, n) + fp_dur[edge])
        out = np.full(self.n_dest, np.inf)
        if len(self.eg_stop):
            val = at[self.eg_stop] + self.eg_walk.astype(np.int64)
            val = np.where(self.eg_walk >= INF, np.iinfo(np.int64).max // 4, val)
            seg = np.repeat(np.arange(self.n_dest), np.diff(self.eg_ptr))
            best = np.full(self.n_dest, np.iinfo(np.int64).max // 4, np.int64)
            np.minimum.at(best, seg, val)
            out = np.where(best < INF, best.astype(np.float64), np.inf)
        return out

    def times(self, lat: float, lon: float, *, keep_stops: bool = False) -> tuple[IntArray, Any]:
        """Travel seconds ``[destination, departure]`` from one origin (``INF``: not within
        ``max_time``); with ``keep_stops`` also the earliest arrival at every stop per
        departure ``[departure, stop]`` and the origin's walking field."""
        stops, offsets, direct, f = self.access(lat, lon)
        desc = self.departures[::-1].copy()
        times, at_stops = RANGE_MATRIX(
            *self._kernel_arrays,
            stops,
            offsets,
            desc,
            self.max_rides,
            self.slack,
            self.max_time_s,
            self.eg_ptr,
            self.eg_stop,
            self.eg_secs,
            direct,
            keep_stops,
            self.on_foot,
        )
        out = np.ascontiguousarray(np.asarray(times)[:, ::-1])
        if keep_stops:
            return out, (np.ascontiguousarray(np.asarray(at_stops)[::-1]), f)
        return out, None


def check_percentiles(percentiles: Sequence[float]) -> list[float]:
    """The percentiles as floats, each in 0-100 (QueryError naming ``percentiles``)."""
    values = [percentiles] if isinstance(percentiles, int | float) else list(percentiles)
    if not values:
        raise QueryError("at least one percentile is needed", parameter="percentiles")
    out: list[float] = []
    for p in values:
        try:
            v = float(p)
        except (TypeError, ValueError):
            raise QueryError(f"not a number: {p!r}", parameter="percentiles") from None
        if not 0.0 <= v <= 100.0:
            raise QueryError(f"must lie within 0-100, got {p!r}", parameter="percentiles")
        out.append(v)
    return out


def percentile_column(p: float) -> str:
    """r5py's column name of a percentile: ``travel_time_p50``."""
    return f"travel_time_p{p:g}".replace(".", "_")


def summarise(
    times: IntArray, percentiles: Sequence[float], cutoff_s: int
) -> tuple[FloatArray, FloatArray]:
    """Percentile minutes ``[destination, percentile]`` (NaN when unreached) and the
    share of departures within ``cutoff_s`` per destination, from travel seconds
    ``[destination, departure]``."""
    n = times.shape[1]
    ordered = np.sort(times, axis=1)
    ranks = [percentile_rank(n, p) for p in percentiles]
    picked = ordered[:, ranks].astype(np.float64)
    minutes = np.where(picked >= INF, np.nan, picked / 60.0)
    share = (times <= cutoff_s).sum(axis=1) / float(n)
    return minutes, share


def travel_time_matrix(
    network: Network,
    origins: PointSource,
    destinations: PointSource | None = None,
    departure: dt.datetime | str = "08:00",
    window: dt.timedelta | float = dt.timedelta(hours=1),
    percentiles: Sequence[float] = (50,),
    *,
    max_time: dt.timedelta | float = dt.timedelta(hours=1),
    max_rides: int = DEFAULT_MAX_RIDES,
    cutoff: float | None = None,
    access_modes: Sequence[str] = ("WALK",),
    egress_modes: Sequence[str] = ("WALK",),
    walk_speed: float | None = None,
    max_access_walk: dt.timedelta | float | None = None,
    search: MatrixSearch | None = None,
) -> pd.DataFrame:
    """The travel-time matrix as a DataFrame (columns: see the module docstring).

    ``window`` and ``max_time`` are timedeltas or minutes; ``cutoff`` (minutes, default
    ``max_time``) is the limit of the ``share_within_{C}`` column. ``destinations``
    defaults to the origins. ``search``: a prepared `MatrixSearch` (the chunks of a Dask
    run) replacing ``destinations`` and the window.
    """
    pcts = check_percentiles(percentiles)
    rental_modes(access_modes, "access_modes")
    rental_modes(egress_modes, "egress_modes")
    o = read_points(origins, name="origins")
    if search is None:
        d = o if destinations is None else read_points(destinations, name="destinations")
        search = MatrixSearch(
            network,
            d,
            departure_s=departure_seconds(network, departure),
            window_s=_seconds(window, "window"),
            max_time_s=_seconds(max_time, "max_time"),
            max_rides=max_rides,
            walk_speed=walk_speed,
            max_access_walk_s=(
                defaults.MAX_ACCESS_WALK_S
                if max_access_walk is None
                else _seconds(max_access_walk, "max_access_walk")
            ),
            access_modes=access_modes,
            egress_modes=egress_modes,
        )
    cut = search.max_time_s if cutoff is None else _seconds(cutoff, "cutoff")
    n_dest = search.n_dest
    minutes = np.empty((len(o), n_dest, len(pcts)))
    share = np.empty((len(o), n_dest))
    lat = o["lat"].to_numpy(np.float64)
    lon = o["lon"].to_numpy(np.float64)
    for i in range(len(o)):
        times, _ = search.times(float(lat[i]), float(lon[i]))
        minutes[i], share[i] = summarise(times, pcts, cut)
    frame = pd.DataFrame(
        {
            "from_id": np.repeat(o["id"].astype(str).to_numpy(dtype=object), n_dest),
            "to_id": np.tile(search.dest.ids, len(o)),
        }
    )
    for k, p in enumerate(pcts):
        frame[percentile_column(p)] = minutes[:, :, k].reshape(-1)
    frame[f"share_within_{cut / 60:g}"] = share.reshape(-1)
    return frame


def _seconds(value: dt.timedelta | float, parameter: str) -> int:
    """A timedelta or minutes as whole seconds (QueryError naming ``parameter``)."""
    if isinstance(value, dt.timedelta):
        secs = value.total_seconds()
    else:
        try:
            secs = float(value) * 60.0
        except (TypeError, ValueError):
            raise QueryError(f"expected minutes, got {value!r}", parameter=parameter) from None
    if not np.isfinite(secs):
        raise QueryError(f"expected a finite duration, got {value!r}", parameter=parameter)
    return round(secs)


def rental_modes(modes: Sequence[str], parameter: str) -> tuple[str, ...]:
    """The shared-vehicle modes among ``modes`` (``WALK`` is always there; ``RENTAL``:
    every shared mode); anything else is a QueryError naming ``parameter``."""
    from maasmix.engine.plan_query import MODES

    names = [modes] if isinstance(modes, str) else list(modes)
    out: list[str] = []
    for m in names:
        name = str(m).strip().upper()
        if name in ("WALK", "BICYCLE"):  # BICYCLE: one's own bike (`own_bike`)
            continue
        if name == "RENTAL":
            out += [x for x in MODES if x.endswith("_RENTAL")]
        elif name in MODES and name.endswith("_RENTAL"):
            out.append(name)
        else:
            raise QueryError(
                f"{m!r} is not an access or egress mode of a matrix (WALK, BICYCLE, "
                "BICYCLE_RENTAL, SCOOTER_RENTAL, MOPED_RENTAL or RENTAL; walking is always "
                "included)",
                parameter=parameter,
            )
    return tuple(dict.fromkeys(out))


def own_bike(modes: Sequence[str]) -> bool:
    """Whether ``modes`` name ``BICYCLE`` (one's own bike), in any case."""
    names = [modes] if isinstance(modes, str) else list(modes)
    return any(str(m).strip().upper() == "BICYCLE" for m in names)


class TravelTimeMatrix(pd.DataFrame):
    """`travel_time_matrix` as an r5py-style class: the object *is* the result DataFrame.

    >>> ttm = TravelTimeMatrix(net, origins=grid, destinations=jobs,
    ...                        departure=dt.datetime(2022, 2, 22, 8), window=60)
    >>> ttm[["from_id", "to_id", "travel_time_p50"]]
    """

    def __init__(self, network: Any = None, *args: Any, **kwargs: Any) -> None:
        if isinstance(network, Network):
            super().__init__(travel_time_matrix(network, *args, **kwargs))
        else:  # pandas re-creating a frame (slicing, copies)
            super().__init__(network, *args, **kwargs)

    @property
    def _constructor(self) -> Callable[..., pd.DataFrame]:
        return pd.DataFrame
