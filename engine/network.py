"""`Network`: everything door-to-door planning needs for one service date.

The compiled part (`CompiledNetwork`, cached on disk like the timetable): the
`CompiledTimetable` and its time-reversed copy (arrive-by), the same for the trips that
take bikes on board (``bikes_allowed=1``), the walking and cycling street graphs in CSR
arrays (None without an OSM extract: streets are then crow-fly distance x the detour
factor, and every plan says so), and the links of every stop to both graphs.

The live part: zero or more GBFS systems (`maasmix.engine.rentals.RentalSystem`), whose
stations and geofencing are linked to the streets once and whose status is replaced by
`Network.refresh_gbfs` without touching the compiled part.

>>> net = Network.from_files(gtfs="hsl.zip", osm="Helsinki.osm.pbf",
...                          gbfs=["gbfs-helsinki-hsl"], date="20220222")
>>> plan = net.plan(origin=(60.170, 24.941), destination=(60.165, 24.950),
...                 when=dt.datetime(2022, 2, 22, 8, 0, tzinfo=ZoneInfo("Europe/Helsinki")))
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix import defaults
from maasmix.engine.realtime import (
    RealtimeLayer,
    RealtimeReport,
    RealtimeSnapshot,
    _schedule_snapshot,
    prefixed,
)
from maasmix.engine.reversal import reverse_timetable
from maasmix.engine.streets import StreetCSR, compile_streets
from maasmix.engine.timetable import CompiledTimetable, compile_timetable
from maasmix.errors import QueryError
from maasmix.feeds.gtfs import ServiceDay
from maasmix.feeds.gtfs.service_day import FeedPeriod
from maasmix.feeds.osm import StreetNetwork
from maasmix.geodesy import PointIndex

if TYPE_CHECKING:
    from maasmix.engine.bundle_prices import TravellerBundle
    from maasmix.engine.plan_money import NetworkFares
    from maasmix.engine.planner import Plan
    from maasmix.engine.rentals import RentalSystem
    from maasmix.feeds.emission_factors import EmissionFactors
    from maasmix.feeds.gbfs import GbfsSnapshot
    from maasmix.feeds.gtfs_rt import RealtimeFeed

__all__ = [
    "NETWORK_CACHE_VERSION",
    "CompiledNetwork",
    "LiveNetwork",
    "Network",
    "compile_network",
]

_REALTIME_LOCK = threading.Lock()

NETWORK_CACHE_VERSION = 5
"""Bump when `CompiledNetwork` changes, so cached compiled networks are rebuilt."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class CompiledNetwork:
    """The compiled, cacheable part of a `Network` (see the module docstring).

    ``stop_walk_node`` / ``stop_bike_node``: nearest node of each stop (-1 without
    streets) and ``stop_walk_m`` / ``stop_bike_m`` the distance to it;
    ``bike_to_walk`` / ``walk_to_bike``: for each node of one graph, the node of the
    other at the same OSM node (else the nearest) and the metres between them.
    ``bbox``: (west, south, east, north) of the stops and street nodes. ``trip_shape``:
    per compiled trip of ``timetable``, its shape (-1: none), whose points are
    ``shape_lat/lon[shape_ptr[i]:shape_ptr[i+1]]`` (shapes.txt, when read).
    ``feed_periods``: each feed's service period and trip runs on the day, when several
    feeds are merged (() for one feed).
    """

    timetable: CompiledTimetable
    reverse: CompiledTimetable
    bike_timetable: CompiledTimetable | None
    bike_reverse: CompiledTimetable | None
    walk: StreetCSR | None
    bike: StreetCSR | None
    stop_walk_node: IntArray
    stop_walk_m: FloatArray
    stop_bike_node: IntArray
    stop_bike_m: FloatArray
    bike_to_walk: IntArray
    bike_to_walk_m: FloatArray
    walk_to_bike: IntArray
    walk_to_bike_m: FloatArray
    served: npt.NDArray[np.bool_]
    route_agency_ids: npt.NDArray[np.object_]
    bbox: tuple[float, float, float, float]
    walk_speed: float
    bike_speed: float
    detour_factor: float
    streets_source: str | None = None
    shape_ptr: npt.NDArray[np.int64] | None = None
    shape_lat: FloatArray | None = None
    shape_lon: FloatArray | None = None
    trip_shape: IntArray | None = None
    fares: NetworkFares | None = None
    feed_periods: tuple[FeedPeriod, ...] = ()
    _stop_index: PointIndex | None = field(default=None, repr=False)

    @property
    def crow_fly(self) -> bool:
        """Whether streets are modelled crow-fly (no OSM extract)."""
        return self.walk is None

    @property
    def stop_index(self) -> PointIndex:
        """Nearest-neighbour lookups over the served stops (indices into ``served``)."""
        if self._stop_index is None:
            tt = self.timetable
            idx = np.flatnonzero(self.served)
            object.__setattr__(self, "_stop_index", PointIndex(tt.stop_lat[idx], tt.stop_lon[idx]))
        assert self._stop_index is not None
        return self._stop_index

    @property
    def nbytes(self) -> int:
        """Bytes of the numeric arrays (timetables, graphs, links)."""
        total = self.timetable.nbytes + self.reverse.nbytes
        for part in (self.bike_timetable, self.bike_reverse):
            total += part.nbytes if part is not None else 0
        for graph in (self.walk, self.bike):
            total += graph.nbytes if graph is not None else 0
        for arr in (self.stop_walk_node, self.stop_walk_m, self.stop_bike_node, self.stop_bike_m):
            total += arr.nbytes
        for arr2 in (
            self.bike_to_walk,
            self.bike_to_walk_m,
            self.walk_to_bike,
            self.walk_to_bike_m,
        ):
            total += arr2.nbytes
        return total

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_stop_index"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)


def _link(graph: StreetCSR | None, lat: FloatArray, lon: FloatArray) -> tuple[IntArray, FloatArray]:
    if graph is None or graph.n_nodes == 0 or len(lat) == 0:
        return np.full(len(lat), -1, np.int32), np.full(len(lat), np.inf)
    return graph.nearest(lat, lon)


def _cross(a: StreetCSR | None, b: StreetCSR | None) -> tuple[IntArray, FloatArray]:
    """For each node of ``a``, the node of ``b`` at the same OSM id, else the nearest."""
    if a is None or b is None or b.n_nodes == 0:
        n = 0 if a is None else a.n_nodes
        return np.full(n, -1, np.int32), np.full(n, np.inf)
    node, dist = b.nearest(a.lat, a.lon)
    pos = np.searchsorted(b.osm_id, a.osm_id)
    pos = np.clip(pos, 0, b.n_nodes - 1)
    same = b.osm_id[pos] == a.osm_id
    node = np.where(same, pos, node).astype(np.int32)
    dist = np.where(same, 0.0, dist)
    return node, dist


def _bike_day(day: ServiceDay) -> ServiceDay | None:
    """The trips of ``day`` that take bikes on board (``bikes_allowed`` 1)."""
    if "bikes_allowed" not in day.trips.columns:
        return None
    keep = day.trips["bikes_allowed"].to_numpy() == 1
    if not keep.any():
        return None
    trips = day.trips.loc[keep].reset_index(drop=True)
    stop_times = day.stop_times.loc[day.stop_times["trip_key"].isin(trips["trip_key"])]
    return ServiceDay(
        date=day.date,
        timezone=day.timezone,
        stops=day.stops,
        routes=day.routes,
        trips=trips,
        stop_times=stop_times.reset_index(drop=True),
        transfers=day.transfers,
        service_period=day.service_period,
    )


def compile_network(
    day: ServiceDay,
    streets: StreetNetwork | None,
    *,
    max_walk_m: float = defaults.MAX_WALK_M,
    walk_speed: float = defaults.WALK_SPEED_MPS,
    bike_speed: float = defaults.BIKE_SPEED_MPS,
    detour_factor: float = defaults.DETOUR_FACTOR,
    use_transfers_txt: bool = True,
) -> CompiledNetwork:
    """Compile a service day and (optionally) an OSM street network into a `CompiledNetwork`."""
    if not (walk_speed > 0 and bike_speed > 0):
        raise QueryError("walk_speed and bike_speed must be > 0 m/s", parameter="walk_speed")
    kw: dict[str, Any] = {
        "max_walk_m": max_walk_m,
        "walk_speed": walk_speed,
        "detour_factor": detour_factor,
        "use_transfers_txt": use_transfers_txt,
    }
    tt = compile_timetable(day, **kw)
    bike_day = _bike_day(day)
    bike_tt = compile_timetable(bike_day, **kw) if bike_day is not None else None
    walk = compile_streets(streets.walk, "walk") if streets is not None else None
    bike = compile_streets(streets.bike, "bike") if streets is not None else None
    if walk is not None and walk.n_nodes == 0:
        walk = None
    if bike is not None and bike.n_nodes == 0:
        bike = None
    if walk is None:
        bike = None  # crow-fly for both modes, never half of each
    served = np.diff(tt.stop_patterns_ptr) > 0
    sw, swm = _link(walk, tt.stop_lat, tt.stop_lon)
    sb, sbm = _link(bike, tt.stop_lat, tt.stop_lon)
    b2w, b2wm = _cross(bike, walk)
    w2b, w2bm = _cross(walk, bike)
    routes = day.routes
    agency = routes["agency_id"].astype(str).to_numpy(dtype=object)
    lats = [tt.stop_lat[served]]
    lons = [tt.stop_lon[served]]
    if walk is not None:
        lats.append(walk.lat)
        lons.append(walk.lon)
    lat = np.concatenate(lats)
    lon = np.concatenate(lons)
    bbox = (
        (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        if len(lat)
        else (0.0, 0.0, 0.0, 0.0)
    )
    shape_ptr, shape_lat, shape_lon, trip_shape = _shapes(day, tt)
    return CompiledNetwork(
        timetable=tt,
        reverse=reverse_timetable(tt),
        bike_timetable=bike_tt,
        bike_reverse=reverse_timetable(bike_tt) if bike_tt is not None else None,
        walk=walk,
        bike=bike,
        stop_walk_node=sw,
        stop_walk_m=swm,
        stop_bike_node=sb,
        stop_bike_m=sbm,
        bike_to_walk=b2w,
        bike_to_walk_m=b2wm,
        walk_to_bike=w2b,
        walk_to_bike_m=w2bm,
        served=served,
        route_agency_ids=agency,
        bbox=bbox,
        walk_speed=float(walk_speed),
        bike_speed=float(bike_speed),
        detour_factor=float(detour_factor),
        streets_source=streets.source if streets is not None else None,
        shape_ptr=shape_ptr,
        shape_lat=shape_lat,
        shape_lon=shape_lon,
        trip_shape=trip_shape,
        feed_periods=day.feed_periods,
    )


def _shapes(
    day: ServiceDay, tt: CompiledTimetable
) -> tuple[npt.NDArray[np.int64] | None, FloatArray | None, FloatArray | None, IntArray | None]:
    """Shapes in CSR form and each compiled trip's shape index (None without shapes)."""
    shapes = day.shapes
    if shapes is None or shapes.empty:
        return None, None, None, None
    codes, ids = pd.factorize(shapes["shape_id"].astype(str), sort=False)
    ptr = np.zeros(len(ids) + 1, np.int64)
    np.cumsum(np.bincount(codes, minlength=len(ids)), out=ptr[1:])
    order = np.argsort(codes, kind="stable")
    lat = shapes["lat"].to_numpy(np.float64)[order]
    lon = shapes["lon"].to_numpy(np.float64)[order]
    by_key = pd.Series(
        day.trips["shape_id"].astype(str).to_numpy(), index=day.trips["trip_key"].astype(str)
    )
    shape_of_trip = by_key.reindex(pd.Index(tt.trip_keys.astype(str))).fillna("").to_numpy()
    index = pd.Index(ids).get_indexer(shape_of_trip).astype(np.int32)
    return ptr, lat, lon, index


@dataclass(frozen=True, eq=False)
class LiveNetwork:
    """One consistent realtime view of a `Network`, for the whole of a query.

    ``compiled``: the compiled network with the realtime timetables (and their reversed
    copies, and ``trip_shape`` following the realtime trip order) in place of the
    scheduled ones (the very same object when nothing is live); ``snapshot`` /
    ``bike_snapshot``: the realtime snapshots of the timetable and of the bikes-on-board
    timetable (None when the network has none).
    """

    compiled: CompiledNetwork
    snapshot: RealtimeSnapshot
    bike_snapshot: RealtimeSnapshot | None = None


def _live_compiled(
    cn: CompiledNetwork, snap: RealtimeSnapshot, bike: RealtimeSnapshot | None
) -> CompiledNetwork:
    if snap.is_scheduled and (bike is None or bike.is_scheduled):
        return cn
    changes: dict[str, Any] = {}
    if not snap.is_scheduled:
        changes["timetable"] = snap.timetable
        changes["reverse"] = snap.reverse()
        if cn.trip_shape is not None:
            changes["trip_shape"] = cn.trip_shape[snap.trip_scheduled]
    if bike is not None and not bike.is_scheduled:
        changes["bike_timetable"] = bike.timetable
        changes["bike_reverse"] = bike.reverse()
    return replace(cn, _stop_index=cn._stop_index, **changes)


class Network:
    """A door-to-door planning network for one service date (see the module docstring).

    Parameters
    ----------
    compiled
        The compiled timetable, streets and links.
    rentals
        GBFS systems linked to it (`Network.add_gbfs` adds more).
    min_transfer_s
        Minimum time between two transit rides, seconds.
    """

    def __init__(
        self,
        compiled: CompiledNetwork,
        rentals: Iterable[RentalSystem] = (),
        *,
        min_transfer_s: int = defaults.MIN_TRANSFER_S,
        emission_factors: EmissionFactors | None = None,
    ) -> None:
        if min_transfer_s < 0:
            raise QueryError(f"must be >= 0, got {min_transfer_s}", parameter="min_transfer_s")
        self.compiled = compiled
        self.rentals: list[RentalSystem] = list(rentals)
        self.min_transfer_s = int(min_transfer_s)
        self._emission_factors = emission_factors
        self._realtime: RealtimeLayer | None = None
        self._bike_realtime: RealtimeLayer | None = None
        self._realtime_pair: tuple[RealtimeSnapshot, RealtimeSnapshot | None] | None = None
        self._live: LiveNetwork | None = None

    @property
    def emission_factors(self) -> EmissionFactors:
        """The emission factors itineraries are rated by (default: the shipped file)."""
        if self._emission_factors is None:
            from maasmix.feeds.emission_factors import load_emission_factors

            self._emission_factors = load_emission_factors()
        return self._emission_factors

    @emission_factors.setter
    def emission_factors(self, factors: EmissionFactors) -> None:
        self._emission_factors = factors

    def with_fares(self, fares: NetworkFares | None) -> Network:
        """This network with ``fares`` as its compiled fare tables (the same GBFS systems)."""
        net = Network(
            replace(self.compiled, fares=fares),
            min_transfer_s=self.min_transfer_s,
            emission_factors=self._emission_factors,
        )
        net.rentals = list(self.rentals)
        net._realtime = self._realtime
        net._bike_realtime = self._bike_realtime
        net._realtime_pair = self._realtime_pair
        return net

    def __repr__(self) -> str:
        c = self.compiled
        streets = "crow-fly" if c.crow_fly else f"walk={c.walk.n_nodes if c.walk else 0} nodes"
        return (
            f"Network({c.timetable.date.isoformat()}, stops={int(c.served.sum())}, "
            f"trips={c.timetable.n_trips}, {streets}, gbfs={len(self.rentals)})"
        )

    @property
    def date(self) -> dt.date:
        """The service date."""
        return self.compiled.timetable.date

    @property
    def timezone(self) -> str:
        """The IANA timezone of the timetable."""
        return self.compiled.timetable.timezone

    @property
    def nbytes(self) -> int:
        """Bytes of the compiled arrays and the GBFS systems' arrays."""
        return self.compiled.nbytes + sum(r.nbytes for r in self.rentals)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_files(
        cls,
        *,
        gtfs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        date: dt.date | str,
        osm: str | os.PathLike[str] | None = None,
        gbfs: Sequence[str | os.PathLike[str]] = (),
        max_walk_m: float = defaults.MAX_WALK_M,
        walk_speed: float = defaults.WALK_SPEED_MPS,
        bike_speed: float = defaults.BIKE_SPEED_MPS,
        detour_factor: float = defaults.DETOUR_FACTOR,
        min_transfer_s: int = defaults.MIN_TRANSFER_S,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        fare_contains: str | Mapping[str, str] | None = None,
        emission_factors: EmissionFactors | None = None,
    ) -> Network:
        """Read GTFS feed(s), an optional OSM extract and GBFS systems; compile; link.

        The compiled part is cached on disk (``cache_dir``, default
        ``$MAASMIX_CACHE_DIR``) keyed by every input's content and the parameters;
        reading and caching are done by `maasmix.feeds.network_inputs` and
        `maasmix.feeds.gbfs`, this class only computes.

        The fare tables of every feed are compiled with it (``compiled.fares``, a
        `maasmix.engine.plan_money.NetworkFares`, by feed label = file stem).
        ``fare_contains``: how each feed's Fares v1 ``contains_id`` zones are read,
        ``"exact"`` (the GTFS specification; the default, `maasmix.defaults.FARE_CONTAINS`)
        or ``"subset"`` (a rule's zones are the zones its ticket is valid in: HSL needs
        it); one string for every feed or a mapping by feed label (the file stem, e.g.
        ``{"hsl": "subset"}`` for ``hsl.zip``). ``emission_factors``: the CO2e factors
        (default: the shipped file, `maasmix.feeds.emission_factors`).

        Raises
        ------
        FeedError
            An input cannot be read.
        NoServiceError
            No trip runs on ``date``.
        """
        from maasmix.feeds.network_inputs import load_network_compiled

        params = {
            "max_walk_m": float(max_walk_m),
            "walk_speed": float(walk_speed),
            "bike_speed": float(bike_speed),
            "detour_factor": float(detour_factor),
        }

        from maasmix.engine.plan_money import compile_network_fares, fare_contains_by_feed
        from maasmix.feeds.network_fares import feed_labels, read_network_fares

        contains = fare_contains_by_feed(feed_labels(gtfs), fare_contains)
        params["fare_contains"] = sorted(contains.items())  # type: ignore[assignment]

        def build(day: ServiceDay, streets: StreetNetwork | None) -> CompiledNetwork:
            compiled = compile_network(
                day,
                streets,
                max_walk_m=max_walk_m,
                walk_speed=walk_speed,
                bike_speed=bike_speed,
                detour_factor=detour_factor,
            )
            fares = compile_network_fares(read_network_fares(gtfs), contains)
            return replace(compiled, fares=fares)

        compiled = load_network_compiled(
            gtfs,
            osm,
            date,
            build,
            kind="door-to-door-network",
            version=NETWORK_CACHE_VERSION,
            params=params,
            result_type=CompiledNetwork,
            cache_dir=cache_dir,
            use_cache=use_cache,
        )
        net = cls(compiled, min_transfer_s=min_transfer_s, emission_factors=emission_factors)
        for source in gbfs:
            net.add_gbfs_source(source)
        return net

    # ------------------------------------------------------------------ GBFS

    def add_gbfs(
        self,
        snapshot: GbfsSnapshot,
        loader: Callable[[], GbfsSnapshot] | None = None,
    ) -> RentalSystem:
        """Link a GBFS snapshot to the network; ``loader`` re-reads it for refreshes."""
        from maasmix.engine.rentals import RentalSystem

        system = RentalSystem.build(self.compiled, snapshot, loader=loader)
        self.rentals.append(system)
        return system

    def add_gbfs_source(self, source: str | os.PathLike[str]) -> RentalSystem:
        """Read a GBFS system (folder, ``gbfs.json`` path or URL) and link it."""
        from maasmix.feeds.gbfs import load_gbfs

        name = os.fspath(source)

        def loader() -> GbfsSnapshot:
            return load_gbfs(name)

        return self.add_gbfs(loader(), loader)

    def refresh_gbfs(self, *, force: bool = False, now: dt.datetime | None = None) -> list[str]:
        """Re-read the status of every GBFS system whose ``ttl`` has expired.

        Only the live status is replaced (stations, vehicles, zones); nothing is
        recompiled. ``force`` re-reads regardless of ``ttl``; ``now`` defaults to the
        current time. Returns the system ids re-read.
        """
        moment = now or dt.datetime.now(dt.UTC)
        return [r.system_id for r in self.rentals if r.refresh(moment, force=force)]

    # ------------------------------------------------------------------ realtime

    @property
    def realtime_layer(self) -> RealtimeLayer:
        """The GTFS-Realtime layer over the compiled timetable (see `engine.realtime`)."""
        layer = self._realtime
        if layer is None:
            with _REALTIME_LOCK:
                layer = self._realtime
                if layer is None:
                    layer = self._realtime = RealtimeLayer(self.compiled.timetable)
        return layer

    @property
    def realtime(self) -> RealtimeSnapshot:
        """The current realtime snapshot of the timetable (the schedule when nothing was
        applied)."""
        pair = self._realtime_pair
        return pair[0] if pair is not None else self.live().snapshot

    def live(self) -> LiveNetwork:
        """What one plan runs on: the compiled network with the current realtime
        snapshot's timetables in it (both swapped together). A query takes it once and
        keeps it; the time-reversed timetables are built on the first call after an
        update."""
        pair = self._realtime_pair
        cached = self._live
        if pair is None:  # nothing applied yet: the schedule, no layer built for it
            if cached is None:
                cached = self._live = LiveNetwork(
                    self.compiled, _schedule_snapshot(self.compiled.timetable)
                )
            return cached
        if cached is not None and cached.snapshot is pair[0] and cached.bike_snapshot is pair[1]:
            return cached
        view = LiveNetwork(_live_compiled(self.compiled, *pair), pair[0], pair[1])
        self._live = view
        return view

    def apply_realtime(
        self,
        message: RealtimeFeed | bytes,
        *,
        source: str = "default",
        feed: str | None = None,
    ) -> RealtimeReport:
        """Apply a GTFS-Realtime message (read, or its protobuf/JSON bytes) as the latest
        of ``source`` to the timetable (and to the bikes-on-board one); the new snapshots
        replace the old ones at once. Returns what was applied (unknown trips and stops
        counted, notices such as a stale feed). ``feed``: in a network of several GTFS
        feeds, the label of the one the message is about (its ids get the network's
        ``"label:"`` prefix).

        Raises
        ------
        FeedFormatError
            Undecodable bytes; the previous realtime state is kept.
        """
        if isinstance(message, bytes | bytearray | memoryview):
            from maasmix.feeds.gtfs_rt import read_gtfs_rt

            message = read_gtfs_rt(bytes(message))
        if feed:
            message = prefixed(message, f"{feed}:")
        main = self.realtime_layer
        with _REALTIME_LOCK:
            report = main.apply(message, source=source)
            bike = self._bike_layer()
            if bike is not None:
                bike.apply(message, source=source)
            self._realtime_pair = (main.snapshot(), bike.snapshot() if bike else None)
        return report

    def realtime_from(
        self,
        source: str | os.PathLike[str],
        *,
        name: str | None = None,
        feed: str | None = None,
        **read: Any,
    ) -> RealtimeReport:
        """Read a GTFS-Realtime message from a file or URL and apply it as source
        ``name`` (default: ``source`` itself) about GTFS feed ``feed`` (see
        `apply_realtime`); ``read`` goes to `maasmix.feeds.gtfs_rt.read_gtfs_rt`
        (``now``, ``max_age_s``, bounds). On a read error the previous realtime state is
        kept."""
        from maasmix.feeds.gtfs_rt import read_gtfs_rt

        message = read_gtfs_rt(source, **read)
        return self.apply_realtime(message, source=name or os.fspath(source), feed=feed)

    def reset_realtime(self) -> None:
        """Back to the schedule: every realtime source dropped."""
        main = self.realtime_layer
        with _REALTIME_LOCK:
            main.reset()
            bike = self._bike_layer()
            if bike is not None:
                bike.reset()
            self._realtime_pair = (main.snapshot(), bike.snapshot() if bike else None)

    def _bike_layer(self) -> RealtimeLayer | None:
        if self.compiled.bike_timetable is None:
            return None
        if self._bike_realtime is None:
            self._bike_realtime = RealtimeLayer(self.compiled.bike_timetable)
        return self._bike_realtime

    # ------------------------------------------------------------------ queries

    def plan(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        when: dt.datetime | str,
        *,
        arrive_by: bool = False,
        modes: Iterable[str] | str | None = None,
        bundle: TravellerBundle | None = None,
        rider_category: str | None = None,
        money: bool | None = None,
        **options: Any,
    ) -> Plan:
        """Door-to-door itineraries between two (lat, lon) points; see `engine.planner.plan`.

        Every itinerary gets its money and CO2e (``Plan.money``, see
        `maasmix.engine.plan_money`): prices under ``bundle`` (a traveller's
        subscription, None: pay as you go) for ``rider_category`` (a Fares v2
        rider_category_id; None: each feed's default). ``money`` (default: True with a
        bundle) makes the answer the Pareto set over (arrival, out-of-pocket cost,
        transfers).
        """
        from maasmix.engine.plan_money import plan_with_money

        return plan_with_money(
            self,
            origin,
            destination,
            when,
            arrive_by=arrive_by,
            modes=modes,
            bundle=bundle,
            rider_category=rider_category,
            money=money,
            **options,
        )
