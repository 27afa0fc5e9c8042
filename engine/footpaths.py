"""Footpaths: walking transfers between distinct stops, as a CSR adjacency.

Every two distinct *served* stops (stops some trip calls at) within ``max_walk_m``
metres crow-fly (haversine) are joined both ways by a footpath of ``distance *
detour_factor`` metres (the walking distance it stands for) lasting
``ceil(distance * detour_factor / walk_speed)`` seconds. Defaults: 500 m, 1.33 m/s
(4.8 km/h), detour factor 1.3 (street distance over crow-fly distance, a common
urban figure). Candidate pairs come from `maasmix.geodesy.PointIndex` (a KD-tree on a local
projection); their great-circle distance decides.

transfers.txt rows then apply, between distinct stops (a station id stands for all its
served child stops): ``transfer_type`` 2 with ``min_transfer_time`` sets the footpath's
duration to that value (adding the footpath if it was farther than ``max_walk_m``);
type 2 without a time adds/keeps the distance-based duration; type 3 (no transfer
possible) removes the footpath. Rows of types 0 and 1, rows from a stop to itself and
rows naming stops the timetable does not serve have no effect on footpaths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.errors import QueryError
from maasmix.geodesy import PointIndex, haversine_m


@dataclass(frozen=True, eq=False)
class Footpaths:
    """Footpaths from stop ``s``: ``to[ptr[s]:ptr[s+1]]`` taking ``duration_s`` seconds.

    Attributes
    ----------
    ptr : int64 (S+1,)
    to : int32
        Destination stop index.
    duration_s : int32
        Walking time in seconds.
    distance_m : float32
        Walking distance in metres: the crow-fly distance times the detour factor (the
        one ``duration_s`` is computed from; a transfers.txt time may override that).
    """

    ptr: npt.NDArray[np.int64]
    to: npt.NDArray[np.int32]
    duration_s: npt.NDArray[np.int32]
    distance_m: npt.NDArray[np.float32]

    @property
    def n(self) -> int:
        """Number of (directed) footpaths."""
        return len(self.to)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays."""
        return self.ptr.nbytes + self.to.nbytes + self.duration_s.nbytes + self.distance_m.nbytes

    @staticmethod
    def empty(n_stops: int) -> Footpaths:
        """No footpaths at all."""
        return Footpaths(
            np.zeros(n_stops + 1, np.int64),
            np.empty(0, np.int32),
            np.empty(0, np.int32),
            np.empty(0, np.float32),
        )

    def to_frame(self, stop_ids: npt.NDArray[np.object_]) -> pd.DataFrame:
        """Columns ``from_stop_id``, ``to_stop_id``, ``duration_s``, ``distance_m``."""
        src = np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))
        return pd.DataFrame(
            {
                "from_stop_id": stop_ids[src],
                "to_stop_id": stop_ids[self.to],
                "duration_s": self.duration_s,
                "distance_m": self.distance_m,
            }
        )


def walk_seconds(
    distance_m: npt.ArrayLike, walk_speed: float, detour_factor: float
) -> npt.NDArray[np.int32]:
    """``ceil(distance * detour_factor / walk_speed)`` as int32 seconds."""
    raw = np.asarray(distance_m, dtype=np.float64) * detour_factor / walk_speed
    # guard against 12.000000001 -> 13 from float noise
    return np.ceil(np.round(raw, 6)).astype(np.int32)


def build_footpaths(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    served: npt.NDArray[np.bool_],
    stop_index: pd.Index,
    stop_parent: npt.NDArray[np.int32],
    transfers: pd.DataFrame | None,
    *,
    max_walk_m: float,
    walk_speed: float,
    detour_factor: float,
) -> Footpaths:
    """Footpaths between served stops, then transfers.txt overrides (module docstring).

    Raises
    ------
    QueryError
        ``walk_speed`` not positive, ``max_walk_m`` or ``detour_factor`` negative.
    """
    if not walk_speed > 0:
        raise QueryError(f"must be > 0 m/s, got {walk_speed}", parameter="walk_speed")
    if max_walk_m < 0 or detour_factor < 0:
        raise QueryError(
            "max_walk_m and detour_factor must be >= 0", parameter="max_walk_m/detour_factor"
        )
    n = len(lat)
    pairs: dict[tuple[int, int], tuple[int, float]] = {}
    ok = served & np.isfinite(lat) & np.isfinite(lon)
    cand = np.flatnonzero(ok)
    if max_walk_m > 0 and len(cand) > 1:
        i, j, dist = PointIndex(lat[cand], lon[cand]).pairs_within(max_walk_m)
        src, dst = cand[i], cand[j]
    else:
        src = dst = np.empty(0, np.int64)
        dist = np.empty(0, np.float64)
    dur = walk_seconds(dist, walk_speed, detour_factor)

    if transfers is not None and len(transfers):
        for a, b, d, m in zip(src.tolist(), dst.tolist(), dur.tolist(), dist.tolist(), strict=True):
            pairs[(a, b)] = (d, m)
        _apply_transfers(
            pairs, transfers, stop_index, stop_parent, served, lat, lon, walk_speed, detour_factor
        )
        keys = sorted(pairs)
        src = np.array([k[0] for k in keys], dtype=np.int64)
        dst = np.array([k[1] for k in keys], dtype=np.int64)
        dur = np.array([pairs[k][0] for k in keys], dtype=np.int32)
        dist = np.array([pairs[k][1] for k in keys], dtype=np.float64)

    order = np.lexsort((dst, src))
    src, dst, dur, dist = src[order], dst[order], dur[order], dist[order]
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    walked = (dist * detour_factor).astype(np.float32)
    return Footpaths(ptr, dst.astype(np.int32), dur.astype(np.int32), walked)


def _apply_transfers(
    pairs: dict[tuple[int, int], tuple[int, float]],
    transfers: pd.DataFrame,
    stop_index: pd.Index,
    stop_parent: npt.NDArray[np.int32],
    served: npt.NDArray[np.bool_],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    walk_speed: float,
    detour_factor: float,
) -> None:
    children: dict[int, list[int]] = {}
    for child in np.flatnonzero(stop_parent >= 0).tolist():
        children.setdefault(int(stop_parent[child]), []).append(child)

    def expand(stop_id: str) -> list[int]:
        i = stop_index.get_indexer([stop_id])[0]
        if i < 0:
            return []
        group = [int(i), *children.get(int(i), [])]
        return [int(s) for s in group if served[s]]

    for row in transfers.itertuples(index=False):
        kind = int(row.transfer_type)
        if kind not in (2, 3):
            continue
        minimum = int(row.min_transfer_time)
        for a in expand(str(row.from_stop_id)):
            for b in expand(str(row.to_stop_id)):
                if a == b:
                    continue
                if kind == 3:
                    pairs.pop((a, b), None)
                    continue
                metres = float(haversine_m(lat[a], lon[a], lat[b], lon[b]))
                if minimum >= 0:
                    pairs[(a, b)] = (minimum, metres)
                elif (a, b) not in pairs:
                    pairs[(a, b)] = (int(walk_seconds(metres, walk_speed, detour_factor)), metres)
