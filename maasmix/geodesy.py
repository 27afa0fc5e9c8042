"""Geodesy on WGS84 points: great-circle distance, a local projection, nearest neighbours.

One Earth radius and one haversine for the whole package. Coordinates are (lat, lon) in
degrees; distances in metres. `LocalProjection` is an equirectangular projection about
a centre point: within well under 1 % of the great-circle distance at city scale, good
enough to find candidates in a KD-tree whose final distances are then taken by
`haversine_m`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

__all__ = ["EARTH_RADIUS_M", "LocalProjection", "PointIndex", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0
"""Metres per degree of latitude on the mean sphere."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative error bound of `LocalProjection` distances used to widen candidate searches.
PROJECTION_SLACK = 0.01


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres between WGS84 points (degrees), elementwise."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection about (``lat0``, ``lon0``): x east, y north, metres."""

    lat0: float
    lon0: float

    @classmethod
    def around(cls, lats: npt.ArrayLike, lons: npt.ArrayLike) -> LocalProjection:
        """A projection centred on the bounding box of the points."""
        lat = np.asarray(lats, dtype=np.float64)
        lon = np.asarray(lons, dtype=np.float64)
        if lat.size == 0:
            return cls(0.0, 0.0)
        return cls(
            (float(np.min(lat)) + float(np.max(lat))) / 2.0,
            (float(np.min(lon)) + float(np.max(lon))) / 2.0,
        )

    def to_xy(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> FloatArray:
        """(n, 2) array of projected metres."""
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        x = (np.asarray(lons, dtype=np.float64) - self.lon0) * m_per_deg_lon
        y = (np.asarray(lats, dtype=np.float64) - self.lat0) * M_PER_DEG_LAT
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def to_latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Inverse of `to_xy`: (lats, lons) in degrees."""
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        lat = np.asarray(y, dtype=np.float64) / M_PER_DEG_LAT + self.lat0
        lon = np.asarray(x, dtype=np.float64) / m_per_deg_lon + self.lon0
        return lat, lon


@dataclass(frozen=True, eq=False)
class PointIndex:
    """Nearest-neighbour lookups over fixed WGS84 points (a KD-tree on projected metres).

    Distances returned are great-circle (`haversine_m`), not projected.
    """

    lats: FloatArray
    lons: FloatArray
    projection: LocalProjection = field(init=False)
    _tree: cKDTree = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lat = np.ascontiguousarray(self.lats, dtype=np.float64)
        lon = np.ascontiguousarray(self.lons, dtype=np.float64)
        if lat.shape != lon.shape or lat.ndim != 1:
            raise ValueError("PointIndex: lats and lons must be 1-d arrays of equal length")
        if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
            raise ValueError("PointIndex: coordinates must be finite")
        object.__setattr__(self, "lats", lat)
        object.__setattr__(self, "lons", lon)
        projection = LocalProjection.around(lat, lon)
        object.__setattr__(self, "projection", projection)
        object.__setattr__(self, "_tree", cKDTree(projection.to_xy(lat, lon)))

    def __len__(self) -> int:
        return len(self.lats)

    def nearest(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
        """Index of the nearest point to each query point, and its distance in metres."""
        if len(self) == 0:
            raise ValueError("PointIndex.nearest: no points")
        lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        if lat.shape != lon.shape or lat.ndim != 1:
            raise ValueError("nearest: lats and lons must be 1-d arrays of equal length")
        if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
            raise ValueError("nearest: coordinates must be finite")
        _, idx = self._tree.query(self.projection.to_xy(lat, lon))
        idx = np.asarray(idx, dtype=np.int64)
        return idx, haversine_m(lat, lon, self.lats[idx], self.lons[idx])

    def pairs_within(self, radius_m: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Every ordered pair (i, j), i != j, with great-circle distance <= ``radius_m``.

        Returns ``(i, j, distance_m)``; each unordered pair appears in both directions.
        """
        empty = np.empty(0, np.int64)
        if radius_m < 0 or len(self) < 2:
            return empty, empty, np.empty(0, np.float64)
        raw = self._tree.query_pairs(
            r=radius_m * (1 + PROJECTION_SLACK) + 1.0, output_type="ndarray"
        )
        if not len(raw):
            return empty, empty, np.empty(0, np.float64)
        i = np.concatenate([raw[:, 0], raw[:, 1]]).astype(np.int64)
        j = np.concatenate([raw[:, 1], raw[:, 0]]).astype(np.int64)
        dist = haversine_m(self.lats[i], self.lons[i], self.lats[j], self.lons[j])
        keep = dist <= radius_m
        return i[keep], j[keep], dist[keep]
