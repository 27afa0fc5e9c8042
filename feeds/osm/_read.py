"""Read the routable ways of an OSM file with pyosmium into flat numpy arrays.

One streaming pass (`osmium.FileProcessor` with a node-location cache): node locations are
kept in libosmium's C++ cache and never reach Python; only ways tagged ``highway=*`` do
(tag filter in C++), and for those Python reads the few access tags plus each node's id
and fixed-point coordinates. Everything after that is vectorised numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium

from maasmix.errors import FeedFormatError
from maasmix.feeds.osm._access import way_access

#: libosmium's marker for an undefined coordinate (node missing from the extract).
_UNDEFINED = 2147483647
#: libosmium's fixed-point coordinate precision (units per degree).
_PRECISION = 1e7


@dataclass(frozen=True)
class RawWays:
    """The routable ways of one OSM file, flattened.

    Way ``k`` owns the flat positions ``offsets[k]:offsets[k + 1]``. Consecutive repeats
    of the same node within a way are already removed.

    Attributes
    ----------
    way_id : int64 (k,)
        OSM way id.
    highway : object (k,)
        The way's ``highway`` tag value (str).
    walk, bike_forward, bike_backward : bool (k,)
        Access, see `feeds._osm_access.way_access`.
    offsets : int64 (k + 1,)
        Start of each way in the flat arrays.
    refs : int64 (m,)
        OSM node id at each flat position.
    lat, lon : float64 (m,)
        WGS84 degrees; NaN where the node is missing from the extract.
    ways_read : int
        All ways in the file.
    highway_ways_read : int
        Ways with a ``highway`` tag.
    """

    way_id: npt.NDArray[np.int64]
    highway: npt.NDArray[np.object_]
    walk: npt.NDArray[np.bool_]
    bike_forward: npt.NDArray[np.bool_]
    bike_backward: npt.NDArray[np.bool_]
    offsets: npt.NDArray[np.int64]
    refs: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    ways_read: int
    highway_ways_read: int

    @property
    def way_of_position(self) -> npt.NDArray[np.int64]:
        """Way index (0..k-1) of every flat position."""
        counts = np.diff(self.offsets)
        return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


class _WayCounter:
    """A pass-through pyosmium handler counting every way (nodes never reach Python)."""

    def __init__(self) -> None:
        self.ways = 0

    def way(self, _way: osmium.osm.Way) -> None:
        self.ways += 1


def read_ways(path: Path, name: str) -> RawWays:
    """Stream ``path`` and collect its routable ways; ``name`` is the file as the user gave it.

    Raises
    ------
    FeedFormatError
        pyosmium cannot parse the file (corrupt or truncated PBF, bad XML, unknown format).
    """
    counter = _WayCounter()
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(counter)
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    way_ids: list[int] = []
    highways: list[str] = []
    walk: list[bool] = []
    forward: list[bool] = []
    backward: list[bool] = []
    sizes: list[int] = []
    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    highway_ways = 0
    try:
        for way in processor:
            highway_ways += 1
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = way.tags
            highway = tags.get("highway") or ""
            can_walk, bike_fwd, bike_bwd = way_access(highway, tags.get)
            if not (can_walk or bike_fwd or bike_bwd):
                continue
            nodes = way.nodes
            if len(nodes) < 2:
                continue
            way_ids.append(way.id)
            highways.append(highway)
            walk.append(can_walk)
            forward.append(bike_fwd)
            backward.append(bike_bwd)
            sizes.append(len(nodes))
            for node in nodes:
                location = node.location
                refs.append(node.ref)
                xs.append(location.x)
                ys.append(location.y)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        # libosmium's errors: RuntimeError (bad PBF/XML), InvalidLocationError (a node's
        # lat/lon not a number, e.g. "nan"), ValueError (a value it cannot convert)
        raise FeedFormatError(f"cannot read OSM data: {exc}", file=name) from exc
    return _assemble(
        way_ids, highways, walk, forward, backward, sizes, refs, xs, ys,
        ways_read=counter.ways, highway_ways_read=highway_ways,
    )  # fmt: skip


def _assemble(
    way_ids: list[int],
    highways: list[str],
    walk: list[bool],
    forward: list[bool],
    backward: list[bool],
    sizes: list[int],
    refs: list[int],
    xs: list[int],
    ys: list[int],
    *,
    ways_read: int,
    highway_ways_read: int,
) -> RawWays:
    """Lists from the pyosmium pass -> `RawWays`, dropping consecutive repeated nodes."""
    ref_arr = np.asarray(refs, dtype=np.int64)
    x = np.asarray(xs, dtype=np.int64)
    y = np.asarray(ys, dtype=np.int64)
    size_arr = np.asarray(sizes, dtype=np.int64)
    way_of = np.repeat(np.arange(len(size_arr), dtype=np.int64), size_arr)
    keep = np.ones(len(ref_arr), dtype=bool)
    if len(ref_arr) > 1:
        keep[1:] = (ref_arr[1:] != ref_arr[:-1]) | (way_of[1:] != way_of[:-1])
    valid = (x != _UNDEFINED) & (y != _UNDEFINED)
    lat = np.where(valid, y / _PRECISION, np.nan)[keep]
    lon = np.where(valid, x / _PRECISION, np.nan)[keep]
    new_sizes = np.bincount(way_of[keep], minlength=len(size_arr))
    offsets = np.zeros(len(size_arr) + 1, dtype=np.int64)
    np.cumsum(new_sizes, out=offsets[1:])
    return RawWays(
        way_id=np.asarray(way_ids, dtype=np.int64),
        highway=np.asarray(highways, dtype=object),
        walk=np.asarray(walk, dtype=bool),
        bike_forward=np.asarray(forward, dtype=bool),
        bike_backward=np.asarray(backward, dtype=bool),
        offsets=offsets,
        refs=ref_arr[keep],
        lat=lat,
        lon=lon,
        ways_read=ways_read,
        highway_ways_read=highway_ways_read,
    )
