"""An independent door-to-door earliest-arrival reference, for the planner's tests.

Written from the planner's *documented* rules, sharing none of its code (no
``maasmix.feeds``, no ``maasmix.engine``; only ``maasmix.defaults`` for the parameters):

- `WalkGraph.from_pbf`: the walking graph straight from an ``.osm.pbf`` (pyosmium), one
  graph node per OSM node of every way walkable by the table of ``maasmix.feeds.osm``
  (``highway`` values, ``foot`` permits, ``foot``/``access`` denials; walking both
  ways), segments weighted by their haversine length, searched with scipy's Dijkstra.
  A coordinate snaps to the exactly nearest (great-circle) *junction* (way end, node
  used twice or more, end of a run cut by a missing node) of a weak component holding
  at least 5 % or 500 of those junctions, and walks the link crow-fly (a point farther
  than ``MAX_POINT_LINK_M`` from every such junction is refused).
- `GtfsDay.read`: the service day read with pandas from the zip files (calendar and
  calendar_dates, frequencies expanded ``start + j * headway < end``, the previous
  day's runs that reach 24:00 shifted by -86400 s), its elementary connections and
  crow-fly footpaths (served stops within ``MAX_WALK_M``, ``ceil(d * detour / speed)``,
  transfers.txt types 2 and 3).
- `connection_scan`: one pass over the connections sorted by (departure, arrival, trip,
  position); boarding needs ``ready <= departure``, ready being the arrival plus the
  minimum transfer time after a ride (with or without one footpath after it) and the
  bare access time before the first ride.
- `Bikeshare.read`: a GBFS system's stations (renting with a bike, returning with a free
  dock) and free-floating vehicles (neither reserved nor disabled) from its JSON files.
- `rental_whole_trip`, `rental_first_last_mile`: walk -> pick-up -> ride -> drop-off ->
  walk on crow-fly streets, docked (to another station) or free-floating (parked at the
  target), within the walking and riding limits of `maasmix.defaults`.
- `DoorReference.earliest_arrival`: min(walking all the way, [a rental all the way,]
  access + transit + egress), each walk ``ceil`` of its seconds, the walks within the
  planner's limits (``MAX_DIRECT_WALK_S``, ``MAX_ACCESS_WALK_S``), rentals as another
  access or egress per stop. Without OSM every street leg is crow-fly x
  ``DETOUR_FACTOR``.

Times are int seconds after the service day's midnight (local time).
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
from numba import njit
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from maasmix import defaults

R = 6_371_008.8
"""Mean Earth radius, metres (the planner's documented radius)."""

INF = np.iinfo(np.int64).max // 4

_WALK_DEFAULT = {
    "footway", "pedestrian", "path", "steps", "corridor", "bridleway", "living_street",
    "residential", "service", "track", "unclassified", "road", "tertiary", "tertiary_link",
    "secondary", "secondary_link", "primary", "primary_link",
}  # fmt: skip
_WALK_PERMIT_ONLY = {"cycleway", "trunk", "trunk_link", "motorway", "motorway_link"}


def walkable(tags: dict[str, str]) -> bool:
    """The documented walking rule for one way's tags."""
    highway = tags.get("highway", "")
    foot = tags.get("foot")
    if foot in ("yes", "designated", "permissive"):
        return highway in _WALK_DEFAULT or highway in _WALK_PERMIT_ONLY
    if highway not in _WALK_DEFAULT or foot in ("no", "private", "use_sidepath"):
        return False
    return tags.get("access") not in ("no", "private")


def haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle metres, elementwise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2) ** 2
    )
    return np.asarray(2 * R * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p, q = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)])


# ---------------------------------------------------------------------------- streets


@dataclass
class WalkGraph:
    """Every OSM node of the walkable ways; undirected segments in metres."""

    lat: np.ndarray
    lon: np.ndarray
    matrix: csr_matrix
    snap: np.ndarray  # node indices a coordinate may snap to
    tree: cKDTree  # over `snap`, on unit vectors (chord order = great-circle order)

    @classmethod
    def from_pbf(cls, path: Path) -> WalkGraph:
        refs: list[int] = []
        xs: list[int] = []
        ys: list[int] = []
        sizes: list[int] = []
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in fp:
            if not walkable({t.k: t.v for t in way.tags}):
                continue
            n = 0
            last = None
            for node in way.nodes:
                if node.ref == last:
                    continue  # a node repeated in a row is one point
                last = node.ref
                loc = node.location
                refs.append(node.ref)
                ok = loc.valid()
                xs.append(loc.x if ok else 0)
                ys.append(loc.y if ok else 2**31 - 1)
                n += 1
            sizes.append(n)
        ref = np.asarray(refs, np.int64)
        y = np.asarray(ys, np.int64)
        located = y != 2**31 - 1
        lat_all = np.where(located, y / 1e7, np.nan)
        lon_all = np.where(located, np.asarray(xs, np.int64) / 1e7, np.nan)
        way = np.repeat(np.arange(len(sizes)), sizes)
        seg = np.flatnonzero((way[:-1] == way[1:]) & located[:-1] & located[1:])
        ids, node = np.unique(ref, return_inverse=True)
        lat = np.full(len(ids), np.nan)
        lon = np.full(len(ids), np.nan)
        lat[node[located]] = lat_all[located]
        lon[node[located]] = lon_all[located]
        a, b = node[seg], node[seg + 1]
        length = haversine(lat_all[seg], lon_all[seg], lat_all[seg + 1], lon_all[seg + 1])
        n = len(ids)
        # parallel segments (two ways between the same nodes): the shortest one
        m = coo_matrix((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        order = np.lexsort((m.data, m.col, m.row))
        r, c, d = m.row[order], m.col[order], m.data[order]
        first = np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1])]
        matrix = csr_matrix((d[first], (r[first], c[first])), shape=(n, n))
        # junctions: positions next to a usable segment, used twice or more, or run ends
        pos_ok = np.zeros(len(ref), bool)
        seg_ok = np.zeros(len(ref), bool)
        seg_ok[seg] = True
        pos_ok[seg] = True
        pos_ok[seg + 1] = True
        uses = np.bincount(node[pos_ok], minlength=n)
        has_prev = np.zeros(len(ref), bool)
        has_prev[seg + 1] = True
        end = pos_ok & ~(seg_ok & has_prev)
        junction = uses >= 2
        junction[node[end]] = True
        junction &= uses >= 1
        _, label = connected_components(matrix, directed=False)
        size = np.bincount(label, weights=junction.astype(float))
        n_junctions = int(junction.sum())
        big = (size >= 0.05 * n_junctions) | (size >= 500)
        snap = np.flatnonzero(junction & big[label])
        return cls(lat, lon, matrix, snap, cKDTree(_unit(lat[snap], lon[snap])))

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest snapping node of each point and its great-circle metres."""
        _, i = self.tree.query(_unit(np.atleast_1d(lat), np.atleast_1d(lon)))
        node = self.snap[i]
        return node, haversine(
            np.atleast_1d(lat), np.atleast_1d(lon), self.lat[node], self.lon[node]
        )

    def metres_from(self, node: int, limit_m: float) -> np.ndarray:
        """Street metres from ``node`` to every node (``inf`` beyond ``limit_m``)."""
        return np.asarray(dijkstra(self.matrix, directed=False, indices=int(node), limit=limit_m))


# ---------------------------------------------------------------------------- timetable


def _seconds(text: pd.Series) -> np.ndarray:
    if not len(text):
        return np.empty(0, np.int64)
    parts = text.astype(str).str.strip().str.split(":", expand=True).astype(np.int64)
    return np.asarray(parts[0] * 3600 + parts[1] * 60 + parts[2])


def _read(z: zipfile.ZipFile, name: str) -> pd.DataFrame | None:
    if name not in z.namelist():
        return None
    with z.open(name) as f:
        frame = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def _services(z: zipfile.ZipFile, date: dt.date) -> set[str]:
    on: set[str] = set()
    cal = _read(z, "calendar.txt")
    day = date.strftime("%Y%m%d")
    if cal is not None and len(cal):
        weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        runs = (cal[weekday[date.weekday()]] == "1") & (cal["start_date"] <= day)
        runs &= cal["end_date"] >= day
        on |= set(cal.loc[runs, "service_id"])
    dates = _read(z, "calendar_dates.txt")
    if dates is not None and len(dates):
        today = dates[dates["date"] == day]
        on |= set(today.loc[today["exception_type"] == "1", "service_id"])
        on -= set(today.loc[today["exception_type"] == "2", "service_id"])
    return on


def _runs(z: zipfile.ZipFile, date: dt.date, shift: int, prefix: str, tag: str) -> pd.DataFrame:
    """Stop-time rows of the runs of ``date``, times shifted by ``shift`` seconds."""
    trips = _read(z, "trips.txt")
    st = _read(z, "stop_times.txt")
    assert trips is not None and st is not None
    active = set(trips.loc[trips["service_id"].isin(_services(z, date)), "trip_id"])
    st = st[st["trip_id"].isin(active)].copy()
    st["seq"] = st["stop_sequence"].astype(np.int64)
    st = st.sort_values(["trip_id", "seq"], kind="stable")
    st["arr"] = _seconds(st["arrival_time"])
    st["dep"] = _seconds(st["departure_time"])
    for col in ("pickup_type", "drop_off_type"):
        st[col] = st[col] if col in st.columns else ""
    st["board"] = st["pickup_type"].str.strip() != "1"
    st["alight"] = st["drop_off_type"].str.strip() != "1"
    freq = _read(z, "frequencies.txt")
    parts = [st]
    if freq is not None and len(freq):
        freq = freq[freq["trip_id"].isin(active)].copy()
        templated = st["trip_id"].isin(set(freq["trip_id"]))
        tpl = st[templated].copy()
        first = tpl.groupby("trip_id")["dep"].transform("first")
        tpl["off_arr"] = tpl["arr"] - first
        tpl["off_dep"] = tpl["dep"] - first
        freq["start"] = _seconds(freq["start_time"])
        freq["end"] = _seconds(freq["end_time"])
        step = freq["headway_secs"].astype(np.int64).to_numpy()
        count = np.maximum(0, -(-(freq["end"].to_numpy() - freq["start"].to_numpy()) // step))
        runs = freq.loc[freq.index.repeat(count), ["trip_id", "start"]].copy()
        j = np.arange(len(runs)) - np.repeat(np.cumsum(count) - count, count)
        runs["t0"] = runs["start"].to_numpy() + j * np.repeat(step, count)
        runs["run"] = runs["trip_id"] + "#" + runs["t0"].astype(str)
        rows = runs[["trip_id", "t0", "run"]].merge(tpl, on="trip_id")
        rows["arr"] = rows["off_arr"] + rows["t0"]
        rows["dep"] = rows["off_dep"] + rows["t0"]
        rows["trip_id"] = rows["run"]
        parts = [st[~templated], rows]
    out = pd.concat(parts, ignore_index=True)
    out["trip_id"] = prefix + out["trip_id"] + tag
    out["stop_id"] = prefix + out["stop_id"].str.strip()
    out["arr"] -= shift
    out["dep"] -= shift
    if shift:
        last = out.groupby("trip_id")["arr"].transform("max")
        out = out[last >= 0]  # still running at or after 24:00 of the previous day
    return out[["trip_id", "seq", "stop_id", "arr", "dep", "board", "alight"]]


@njit(cache=True)
def _scan(
    c_dep: np.ndarray,
    c_arr: np.ndarray,
    c_from: np.ndarray,
    c_to: np.ndarray,
    c_trip: np.ndarray,
    c_board: np.ndarray,
    c_alight: np.ndarray,
    n_trips: int,
    fp_ptr: np.ndarray,
    fp_to: np.ndarray,
    fp_dur: np.ndarray,
    origins: np.ndarray,
    times: np.ndarray,
    slack: int,
) -> np.ndarray:
    big = np.iinfo(np.int64).max // 4
    n = len(fp_ptr) - 1
    ready = np.full(n, big, np.int64)
    reached = np.full(n, big, np.int64)  # after at least one ride
    start = big
    for k in range(len(origins)):
        o, t = origins[k], times[k]
        start = min(start, t)
        ready[o] = min(ready[o], t)
        for e in range(fp_ptr[o], fp_ptr[o + 1]):
            ready[fp_to[e]] = min(ready[fp_to[e]], t + fp_dur[e])
    on = np.zeros(n_trips, np.bool_)
    for c in range(np.searchsorted(c_dep, start), len(c_dep)):
        trip = c_trip[c]
        if not on[trip]:
            if c_board[c] and ready[c_from[c]] <= c_dep[c]:
                on[trip] = True
            else:
                continue
        if not c_alight[c]:
            continue
        s, a = c_to[c], c_arr[c]
        if a < reached[s]:
            reached[s] = a
            ready[s] = min(ready[s], a + slack)
            for e in range(fp_ptr[s], fp_ptr[s + 1]):
                q = fp_to[e]
                reached[q] = min(reached[q], a + fp_dur[e])
                ready[q] = min(ready[q], a + fp_dur[e] + slack)
    return reached


@dataclass
class GtfsDay:
    """Served stops, connections sorted for the scan, footpaths (CSR)."""

    stop_ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    c_dep: np.ndarray
    c_arr: np.ndarray
    c_from: np.ndarray
    c_to: np.ndarray
    c_trip: np.ndarray
    c_board: np.ndarray
    c_alight: np.ndarray
    n_trips: int
    fp_ptr: np.ndarray
    fp_to: np.ndarray
    fp_dur: np.ndarray

    @classmethod
    def read(cls, paths: list[Path], date: dt.date) -> GtfsDay:
        rows, stops, transfers = [], [], []
        for i, path in enumerate(paths):
            prefix = f"{i}:" if len(paths) > 1 else ""
            with zipfile.ZipFile(path) as z:
                rows.append(_runs(z, date, 0, prefix, ""))
                rows.append(_runs(z, date - dt.timedelta(days=1), 86400, prefix, "@-1"))
                s = _read(z, "stops.txt")
                assert s is not None
                s["stop_id"] = prefix + s["stop_id"].str.strip()
                if "parent_station" not in s.columns:
                    s["parent_station"] = ""
                s["parent_station"] = np.where(
                    s["parent_station"].str.strip() != "", prefix + s["parent_station"], ""
                )
                stops.append(s)
                t = _read(z, "transfers.txt")
                if t is not None and len(t):
                    for col in ("from_stop_id", "to_stop_id"):
                        t[col] = prefix + t[col].str.strip()
                    transfers.append(t)
        st = pd.concat(rows, ignore_index=True)
        st = st.sort_values(["trip_id", "seq"], kind="stable")
        size = st.groupby("trip_id")["seq"].transform("size")
        st = st[size >= 2]
        allstops = pd.concat(stops, ignore_index=True).drop_duplicates("stop_id")
        ids = np.unique(st["stop_id"].to_numpy())  # served: some run calls there
        info = allstops.set_index("stop_id").loc[ids]
        lat = info["stop_lat"].astype(float).to_numpy()
        lon = info["stop_lon"].astype(float).to_numpy()
        stop = np.searchsorted(ids, st["stop_id"].to_numpy())
        trip = pd.factorize(st["trip_id"])[0]
        arr, dep = st["arr"].to_numpy(np.int64), st["dep"].to_numpy(np.int64)
        pos = st["seq"].to_numpy(np.int64)
        board, alight = st["board"].to_numpy(bool), st["alight"].to_numpy(bool)
        i = np.flatnonzero(trip[1:] == trip[:-1])
        order = np.lexsort((pos[i], trip[i], arr[i + 1], dep[i]))
        i = i[order]
        # footpaths between distinct served stops
        tree = cKDTree(_unit(lat, lon))
        chord = 2 * math.sin(defaults.MAX_WALK_M * 1.01 / (2 * R))
        pairs = tree.query_pairs(chord, output_type="ndarray")
        a = np.r_[pairs[:, 0], pairs[:, 1]]
        b = np.r_[pairs[:, 1], pairs[:, 0]]
        d = haversine(lat[a], lon[a], lat[b], lon[b])
        keep = d <= defaults.MAX_WALK_M
        raw = d[keep] * defaults.DETOUR_FACTOR / defaults.WALK_SPEED_MPS
        paths_: dict[tuple[int, int], int] = dict(
            zip(zip(a[keep].tolist(), b[keep].tolist(), strict=True),
                np.ceil(np.round(raw, 6)).astype(np.int64).tolist(), strict=True)
        )  # fmt: skip
        index = {s: k for k, s in enumerate(ids.tolist())}
        children: dict[str, list[int]] = {}
        for row in allstops.itertuples(index=False):
            if row.parent_station and row.stop_id in index:
                children.setdefault(row.parent_station, []).append(index[row.stop_id])
        for t in transfers:
            for row in t.itertuples(index=False):
                kind = int(row.transfer_type or 0)
                if kind not in (2, 3):
                    continue
                froms = [index[row.from_stop_id]] if row.from_stop_id in index else []
                tos = [index[row.to_stop_id]] if row.to_stop_id in index else []
                froms += children.get(row.from_stop_id, [])
                tos += children.get(row.to_stop_id, [])
                mtt = str(getattr(row, "min_transfer_time", "")).strip()
                for f in froms:
                    for g in tos:
                        if f == g:
                            continue
                        if kind == 3:
                            paths_.pop((f, g), None)
                        elif mtt:
                            paths_[(f, g)] = int(float(mtt))
                        elif (f, g) not in paths_:
                            dd = float(haversine(lat[f], lon[f], lat[g], lon[g]))
                            x = dd * defaults.DETOUR_FACTOR / defaults.WALK_SPEED_MPS
                            paths_[(f, g)] = math.ceil(round(x, 6))
        keys = sorted(paths_)
        fp_from = np.array([k[0] for k in keys], np.int64)
        fp_ptr = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(np.bincount(fp_from, minlength=len(ids)), out=fp_ptr[1:])
        return cls(
            stop_ids=ids,
            lat=lat,
            lon=lon,
            c_dep=dep[i],
            c_arr=arr[i + 1],
            c_from=stop[i].astype(np.int64),
            c_to=stop[i + 1].astype(np.int64),
            c_trip=trip[i].astype(np.int64),
            c_board=board[i],
            c_alight=alight[i + 1],
            n_trips=int(trip.max()) + 1 if len(trip) else 0,
            fp_ptr=fp_ptr,
            fp_to=np.array([k[1] for k in keys], np.int64),
            fp_dur=np.array([paths_[k] for k in keys], np.int64),
        )

    def scan(self, origins: np.ndarray, times: np.ndarray, slack: int) -> np.ndarray:
        """Earliest arrival at every stop after at least one ride (``INF``: none)."""
        return _scan(
            self.c_dep, self.c_arr, self.c_from, self.c_to, self.c_trip, self.c_board,
            self.c_alight, self.n_trips, self.fp_ptr, self.fp_to, self.fp_dur,
            np.asarray(origins, np.int64), np.asarray(times, np.int64), int(slack),
        )  # fmt: skip


# ---------------------------------------------------------------------------- door to door


@dataclass
class Answer:
    """The reference's earliest arrival (None: nothing within the limits) and how."""

    arrival: int | None
    how: str
    refused: bool = False
    zero_ride: int | None = None
    """Arrival walking from the origin to a stop, at most one footpath, and on to the
    destination, with no ride (not a plan: the planner drops ride-less transit)."""


class DoorReference:
    """Walk + transit earliest arrivals on one city (``graph`` None: crow-fly streets)."""

    def __init__(self, day: GtfsDay, graph: WalkGraph | None) -> None:
        self.day = day
        self.graph = graph
        self.ws = defaults.WALK_SPEED_MPS
        if graph is not None:
            self.stop_node, self.stop_link = graph.nearest(day.lat, day.lon)

    def _walk_from(self, lat: float, lon: float) -> tuple[float, np.ndarray, int] | None:
        """(snap metres, street metres from the point's node, the node); None: refused."""
        assert self.graph is not None
        node, snap = self.graph.nearest(np.array([lat]), np.array([lon]))
        if snap[0] > defaults.MAX_POINT_LINK_M:
            return None
        limit = defaults.MAX_DIRECT_WALK_S * self.ws
        return float(snap[0]), self.graph.metres_from(int(node[0]), limit), int(node[0])

    def earliest_arrival(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        when_s: int,
        bikeshare: Bikeshare | None = None,
    ) -> Answer:
        """Walk + transit (+ rentals of ``bikeshare`` as the whole trip, first or last
        mile: crow-fly streets only)."""
        ws = self.ws
        day = self.day
        if self.graph is None:
            dd = float(haversine(origin[0], origin[1], destination[0], destination[1]))
            direct = dd * defaults.DETOUR_FACTOR / ws
            acc = haversine(origin[0], origin[1], day.lat, day.lon) * defaults.DETOUR_FACTOR / ws
            egr = (
                haversine(destination[0], destination[1], day.lat, day.lon)
                * defaults.DETOUR_FACTOR
                / ws
            )
        else:
            o = self._walk_from(*origin)
            d = self._walk_from(*destination)
            if o is None or d is None:
                return Answer(None, "refused", refused=True)
            o_snap, o_m, _ = o
            d_snap, d_m, d_node = d
            direct = (o_snap + o_m[d_node] + d_snap) / ws
            acc = (o_snap + o_m[self.stop_node] + self.stop_link) / ws
            egr = (d_snap + d_m[self.stop_node] + self.stop_link) / ws
        best: int | None = None
        how = "none"
        if direct <= defaults.MAX_DIRECT_WALK_S:
            best, how = when_s + math.ceil(direct), "walk"
        acc = np.where(acc <= defaults.MAX_ACCESS_WALK_S, acc, np.inf)
        egr = np.where(egr <= defaults.MAX_ACCESS_WALK_S, np.ceil(egr), np.inf)
        if bikeshare is not None:
            assert self.graph is None, "rentals: crow-fly streets only"
            whole, kind = rental_whole_trip(bikeshare, origin, destination)
            if np.isfinite(whole) and (best is None or when_s + int(whole) < best):
                best, how = when_s + int(whole), f"rental, {kind}"
            first = rental_first_last_mile(bikeshare, origin, day.lat, day.lon, False)
            last = rental_first_last_mile(bikeshare, destination, day.lat, day.lon, True)
            acc, egr = np.minimum(acc, first), np.minimum(egr, last)
        a_ok = np.flatnonzero(np.isfinite(acc))
        e_ok = np.isfinite(egr)
        if len(a_ok) and e_ok.any():
            reached = day.scan(
                a_ok, when_s + np.ceil(acc[a_ok]).astype(np.int64), defaults.MIN_TRANSFER_S
            )
            total = np.where(e_ok & (reached < INF), reached + np.where(e_ok, egr, 0), INF)
            t = int(np.argmin(total))
            if total[t] < INF and (best is None or int(total[t]) < best):
                best, how = int(total[t]), f"transit, last stop {day.stop_ids[t]}"
            zero = self._zero_ride(a_ok, when_s + np.ceil(acc[a_ok]).astype(np.int64), egr)
        else:
            zero = None
        return Answer(best, how, zero_ride=zero)

    def _zero_ride(self, stops: np.ndarray, times: np.ndarray, egr: np.ndarray) -> int | None:
        day = self.day
        at = np.full(len(day.stop_ids), INF, np.int64)
        at[stops] = times
        src = np.repeat(np.arange(len(at)), np.diff(day.fp_ptr))
        ok = at[src] < INF
        np.minimum.at(at, day.fp_to[ok], at[src[ok]] + day.fp_dur[ok])
        e = np.isfinite(egr)
        total = np.where(e & (at < INF), at + np.where(e, egr, 0), INF)
        return int(total.min()) if total.min() < INF else None


# ---------------------------------------------------------------------------- rentals


@dataclass
class Bikeshare:
    """One GBFS system read straight from its JSON files (no vehicle types: every
    vehicle is a human-powered bicycle, as GBFS says)."""

    st_id: np.ndarray
    st_lat: np.ndarray
    st_lon: np.ndarray
    renting: np.ndarray  # installed, renting, a bike available
    returning: np.ndarray  # installed, returning, a dock free
    v_id: np.ndarray
    v_lat: np.ndarray
    v_lon: np.ndarray  # free-floating vehicles neither reserved nor disabled
    speed: float = defaults.RIDE_SPEED_MPS[("bicycle", "human")]

    @classmethod
    def read(cls, folder: Path) -> Bikeshare:
        import json

        def data(name: str) -> dict[str, list[dict[str, object]]]:
            with open(folder / name, encoding="utf-8") as f:
                return json.load(f)["data"]  # type: ignore[no-any-return]

        info = pd.DataFrame(data("station_information.json")["stations"])
        status = pd.DataFrame(data("station_status.json")["stations"])
        st = info.merge(status, on="station_id", how="left", suffixes=("", "_status"))

        def flag(col: str) -> np.ndarray:
            return np.asarray(st[col].fillna(0).astype(int).to_numpy() == 1)

        installed = flag("is_installed")
        bikes = st["num_bikes_available"].fillna(0).to_numpy() > 0
        docks = st["num_docks_available"].fillna(0).to_numpy() > 0
        bikes_df = pd.DataFrame(data("free_bike_status.json")["bikes"])
        free = (bikes_df["is_reserved"].astype(int) == 0) & (
            bikes_df["is_disabled"].astype(int) == 0
        )
        free &= bikes_df["station_id"].fillna("").eq("") if "station_id" in bikes_df else True
        bikes_df = bikes_df[free]
        return cls(
            st_id=st["station_id"].astype(str).to_numpy(),
            st_lat=st["lat"].astype(float).to_numpy(),
            st_lon=st["lon"].astype(float).to_numpy(),
            renting=installed & flag("is_renting") & bikes,
            returning=installed & flag("is_returning") & docks,
            v_id=bikes_df["bike_id"].astype(str).to_numpy(),
            v_lat=bikes_df["lat"].astype(float).to_numpy(),
            v_lon=bikes_df["lon"].astype(float).to_numpy(),
        )


def rental_whole_trip(
    bs: Bikeshare, origin: tuple[float, float], destination: tuple[float, float]
) -> tuple[float, str]:
    """Fewest seconds walk -> ride -> (walk) on crow-fly streets, each leg rounded up.

    Docked: walk to a renting station (at most `MAX_WALK_TO_VEHICLE_S` and
    `MAX_WALK_TO_VEHICLE_M`), pick-up, ride to another returning station with a free
    dock, drop-off, walk on (at most `MAX_ACCESS_WALK_S`). Free-floating: walk to a
    usable vehicle, pick-up, ride to the destination, drop-off (parked there). Rides
    are at least `MIN_RENTAL_RIDE_M` and at most `MAX_RIDE_S`; streets are crow-fly x
    `DETOUR_FACTOR`. ``inf`` when no rental qualifies.
    """
    k, ws = defaults.DETOUR_FACTOR, defaults.WALK_SPEED_MPS
    pick, drop = defaults.RENTAL_PICKUP_S, defaults.RENTAL_DROPOFF_S

    def walk_to(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        m = haversine(origin[0], origin[1], lat, lon) * k
        ok = (m / ws <= defaults.MAX_WALK_TO_VEHICLE_S) & (m <= defaults.MAX_WALK_TO_VEHICLE_M)
        return np.where(ok, np.ceil(m / ws), np.inf)

    best, how = np.inf, "none"
    a = np.flatnonzero(bs.renting)
    b = np.flatnonzero(bs.returning)
    w1 = walk_to(bs.st_lat[a], bs.st_lon[a])
    a = a[np.isfinite(w1)]
    w1 = w1[np.isfinite(w1)]
    if len(a) and len(b):
        w2m = haversine(bs.st_lat[b], bs.st_lon[b], destination[0], destination[1]) * k
        w2 = np.where(w2m / ws <= defaults.MAX_ACCESS_WALK_S, np.ceil(w2m / ws), np.inf)
        ride_m = haversine(bs.st_lat[a, None], bs.st_lon[a, None], bs.st_lat[b], bs.st_lon[b]) * k
        ride = ride_m / bs.speed
        ok = (a[:, None] != b[None, :]) & (ride_m >= defaults.MIN_RENTAL_RIDE_M)
        ok &= ride <= defaults.MAX_RIDE_S
        total = np.where(ok, w1[:, None] + np.ceil(pick + ride + drop) + w2[None, :], np.inf)
        i, j = np.unravel_index(int(np.argmin(total)), total.shape)
        if total[i, j] < best:
            best, how = float(total[i, j]), f"docked {bs.st_id[a[i]]} -> {bs.st_id[b[j]]}"
    wv = walk_to(bs.v_lat, bs.v_lon)
    ride_m = haversine(bs.v_lat, bs.v_lon, destination[0], destination[1]) * k
    ride = ride_m / bs.speed
    ok = np.isfinite(wv) & (ride_m >= defaults.MIN_RENTAL_RIDE_M) & (ride <= defaults.MAX_RIDE_S)
    total = np.where(ok, wv + np.ceil(pick + ride + drop), np.inf)
    if len(total) and total.min() < best:
        v = int(np.argmin(total))
        best, how = float(total[v]), f"free-floating {bs.v_id[v]}"
    return best, how


def rental_first_last_mile(
    bs: Bikeshare,
    point: tuple[float, float],
    lat: np.ndarray,
    lon: np.ndarray,
    last_mile: bool,
) -> np.ndarray:
    """Seconds from ``point`` to each target (or from each target to ``point`` with
    ``last_mile``) by a rental on crow-fly streets; ``inf`` where none qualifies.

    First mile (float seconds, as a timed access set): walk to a renting station or a
    usable vehicle (`MAX_WALK_TO_VEHICLE_S`/`_M`), pick-up, ride, drop-off; docked: at
    another returning station, then walk to the target (`MAX_ACCESS_WALK_S`);
    free-floating: parked at the target. Last mile (the legs' whole seconds, as the
    itinerary shows them): walk from the target to the station or vehicle
    (`MAX_WALK_TO_VEHICLE_S`), pick-up + ride + drop-off, walk to ``point``
    (`MAX_ACCESS_WALK_S`; none after a free-floating ride parked there). Rides as in
    `rental_whole_trip`.
    """
    k, ws = defaults.DETOUR_FACTOR, defaults.WALK_SPEED_MPS
    pd_s = defaults.RENTAL_PICKUP_S + defaults.RENTAL_DROPOFF_S
    a = np.flatnonzero(bs.renting)
    b = np.flatnonzero(bs.returning)
    ab = haversine(bs.st_lat[a, None], bs.st_lon[a, None], bs.st_lat[b], bs.st_lon[b]) * k
    lo, hi = defaults.MIN_RENTAL_RIDE_M, defaults.MAX_RIDE_S * bs.speed
    ride = np.where((a[:, None] != b[None, :]) & (ab >= lo) & (ab <= hi), ab, np.inf)
    ride = ride / bs.speed
    tv = haversine(bs.v_lat[:, None], bs.v_lon[:, None], lat, lon) * k  # vehicle x target
    tv_ride = np.where((tv >= lo) & (tv <= hi), tv / bs.speed, np.inf)
    if not last_mile:
        wa = haversine(point[0], point[1], bs.st_lat[a], bs.st_lon[a]) * k
        wa = np.where(
            (wa / ws <= defaults.MAX_WALK_TO_VEHICLE_S) & (wa <= defaults.MAX_WALK_TO_VEHICLE_M),
            wa / ws,
            np.inf,
        )
        at_b = (wa[:, None] + ride).min(axis=0) + pd_s  # at each return station
        wb = haversine(bs.st_lat[b, None], bs.st_lon[b, None], lat, lon) * k / ws
        wb = np.where(wb <= defaults.MAX_ACCESS_WALK_S, wb, np.inf)
        docked = (at_b[:, None] + wb).min(axis=0) if len(b) else np.full(len(lat), np.inf)
        wv = haversine(point[0], point[1], bs.v_lat, bs.v_lon) * k
        wv = np.where(
            (wv / ws <= defaults.MAX_WALK_TO_VEHICLE_S) & (wv <= defaults.MAX_WALK_TO_VEHICLE_M),
            wv / ws,
            np.inf,
        )
        free = (wv[:, None] + tv_ride).min(axis=0) + pd_s if len(wv) else np.inf
        return np.asarray(np.minimum(docked, free))
    # last mile: whole seconds of each leg
    wa = haversine(lat[:, None], lon[:, None], bs.st_lat[a], bs.st_lon[a]) * k / ws  # target x a
    wa = np.where(wa <= defaults.MAX_WALK_TO_VEHICLE_S, np.ceil(wa), np.inf)
    wb = haversine(bs.st_lat[b], bs.st_lon[b], point[0], point[1]) * k / ws
    wb = np.where(wb <= defaults.MAX_ACCESS_WALK_S, np.ceil(wb), np.inf)
    from_a = (np.ceil(ride + pd_s) + wb[None, :]).min(axis=1)  # from each renting station
    docked = (wa + from_a[None, :]).min(axis=1)
    wv = haversine(lat[:, None], lon[:, None], bs.v_lat, bs.v_lon) * k / ws  # target x v
    wv = np.where(wv <= defaults.MAX_WALK_TO_VEHICLE_S, np.ceil(wv), np.inf)
    vd = haversine(bs.v_lat, bs.v_lon, point[0], point[1]) * k
    v_ride = np.where((vd >= lo) & (vd <= hi), np.ceil(vd / bs.speed + pd_s), np.inf)
    free = (wv + v_ride[None, :]).min(axis=1) if len(vd) else np.inf
    return np.asarray(np.minimum(docked, free))
