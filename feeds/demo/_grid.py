"""The street grid of the built-in demo city: geometry, names and street classes.

Pure data, no file I/O: `feeds._demo_osm`, `feeds._demo_gtfs` and `feeds._demo_gbfs` all
place their objects on this one grid, so stops sit at street corners and stations on
the streets the OSM file contains.

The city is a 6 km x 6 km square of 31 x 31 intersections, 200 m apart, centred on
(60.17, 24.94). Grid index ``i`` runs west to east (north-south streets), ``j`` south to
north (east-west streets); intersection ``(15, 15)`` is the centre, Central Square.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maasmix.geodesy import M_PER_DEG_LAT

CENTRE: tuple[float, float] = (60.17, 24.94)
"""(lat, lon) of the city centre, intersection (15, 15)."""

N: int = 31
"""Intersections per side."""

MID: int = 15
"""Index of the central street in both directions."""

SPACING_M: float = 200.0
"""Nominal distance between neighbouring intersections, metres."""

"""Metres per degree of latitude on the mean-radius sphere (haversine-consistent)."""

PARK: tuple[int, int] = (16, 20)
"""Grid index range (inclusive, both axes) of Demo Park, north-east of the centre."""

PEDESTRIAN: tuple[int, int, int] = (16, 10, 14)
"""Market Street: east-west street ``j`` = 16 is pedestrian-only between ``i`` 10 and 14."""

ONEWAY_PAIR: tuple[int, int] = (10, 11)
"""East-west streets ``j`` = 10 (eastbound) and ``j`` = 11 (westbound) are one-way."""

PRIMARY: frozenset[int] = frozenset({MID})
"""Street indices (both axes) of the primary avenues."""

SECONDARY: frozenset[int] = frozenset({5, 25})
"""Street indices (both axes) of the secondary boulevards."""

_TREES = (
    "Alder", "Ash", "Aspen", "Beech", "Birch", "Cedar", "Cherry", "Chestnut", "Cypress",
    "Elm", "Fir", "Hawthorn", "Hazel", "Hemlock", "Holly", "Main", "Juniper", "Larch",
    "Laurel", "Lime", "Linden", "Maple", "Oak", "Olive", "Pine", "Plane", "Poplar",
    "Rowan", "Spruce", "Sycamore", "Willow",
)  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ns_street_name(i: int) -> str:
    """Name of north-south street ``i`` (e.g. ``"Birch Road"``, ``"Main Avenue"``)."""
    if i == MID:
        return "Main Avenue"
    if i in SECONDARY:
        return f"{_TREES[i]} Boulevard"
    return f"{_TREES[i]} Road"


def ew_street_name(j: int) -> str:
    """Name of east-west street ``j`` (e.g. ``"12th Street"``, ``"Central Avenue"``)."""
    if j == MID:
        return "Central Avenue"
    if j in SECONDARY:
        return "South Boulevard" if j < MID else "North Boulevard"
    return f"{_ordinal(j + 1)} Street"


def corner_name(i: int, j: int) -> str:
    """Human name of intersection ``(i, j)``: ``"Birch Road and 12th Street"``."""
    if (i, j) == (MID, MID):
        return "Central Square"
    return f"{ns_street_name(i)} and {ew_street_name(j)}"


def in_park_interior(i: int, j: int) -> bool:
    """True for intersections strictly inside Demo Park (reached only on foot)."""
    lo, hi = PARK
    return lo < i < hi and lo < j < hi


def street_tags(axis: str, index: int, a: int) -> dict[str, str]:
    """OSM tags of the street segment from position ``a`` to ``a + 1`` along one street.

    Parameters
    ----------
    axis : str
        ``"ns"`` for north-south street ``i = index`` (segment from ``j = a`` to ``a + 1``)
        or ``"ew"`` for east-west street ``j = index`` (from ``i = a`` to ``a + 1``).
    index, a : int
        Street index and segment start position.
    """
    ends = [(index, a), (index, a + 1)] if axis == "ns" else [(a, index), (a + 1, index)]
    if any(in_park_interior(i, j) for i, j in ends):
        return {"highway": "footway", "surface": "gravel"}
    name = ns_street_name(index) if axis == "ns" else ew_street_name(index)
    if axis == "ew":
        j_ped, i_lo, i_hi = PEDESTRIAN
        if index == j_ped and i_lo <= a < i_hi:
            return {"highway": "pedestrian", "name": "Market Street", "surface": "paving_stones"}
    if index in PRIMARY:
        return {"highway": "primary", "name": name, "maxspeed": "40", "lanes": "4"}
    if index in SECONDARY:
        return {"highway": "secondary", "name": name, "maxspeed": "40", "lanes": "2"}
    tags = {"highway": "residential", "name": name, "maxspeed": "30"}
    if axis == "ew" and index in ONEWAY_PAIR:
        tags["oneway"] = "yes"
    return tags


@dataclass(frozen=True)
class Grid:
    """Jittered intersection positions of the demo city.

    Attributes
    ----------
    x, y : ndarray
        float64 arrays of shape (N, N) indexed ``[i, j]``: metres east and north of the
        centre (nominal grid plus a few metres of seeded jitter, so streets look surveyed).
    """

    x: np.ndarray
    y: np.ndarray

    @staticmethod
    def build(rng: np.random.Generator) -> Grid:
        """Nominal 200 m grid with +-6 m of jitter per intersection (centre kept exact)."""
        nominal = (np.arange(N, dtype=np.float64) - MID) * SPACING_M
        jitter = np.clip(rng.normal(0.0, 2.5, size=(2, N, N)), -6.0, 6.0)
        jitter[:, MID, MID] = 0.0
        x = nominal[:, None] + jitter[0]
        y = nominal[None, :] + jitter[1]
        return Grid(x=x, y=y)

    def xy(self, i: int, j: int) -> tuple[float, float]:
        """(x, y) metres of intersection ``(i, j)``."""
        return float(self.x[i, j]), float(self.y[i, j])


def to_latlon(x: float, y: float) -> tuple[float, float]:
    """Local metres east/north of the centre -> (lat, lon) WGS84 degrees."""
    lat0, lon0 = CENTRE
    lat = lat0 + y / M_PER_DEG_LAT
    lon = lon0 + x / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return lat, lon


def node_id(i: int, j: int) -> int:
    """Positive OSM node id of intersection ``(i, j)``."""
    return 1 + j * N + i
