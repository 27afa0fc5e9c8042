"""Free-floating vehicles whose current range may be too short for a ride.

A multi-source street search from every vehicle keeps one best vehicle per node, so a
nearby vehicle with a nearly empty battery would hide a farther one that can make the
ride. `split_by_range` therefore separates the vehicles of one type:

- those whose ``current_range`` covers the longest ride a plan may take
  (``max_ride_s x speed``, times `maasmix.defaults.RANGE_RESERVE`; unpublished ranges
  count as enough) are searched together, as before;
- each of the others is searched alone, so that a target its range cannot reach is
  masked for it only (`ride_in_range`) and the next usable vehicle (the nearest one
  with enough range) wins there. Only the `maasmix.defaults.MAX_SHORT_RANGE_VEHICLES`
  nearest the origin (within the walk to a vehicle) are searched, as first mile or
  whole trip: a short-range vehicle left out is simply not used.

The last mile searches from the parking places towards the vehicles, so each vehicle
gets its own best ride there: all vehicles are searched together and a vehicle whose
range cannot cover its ride is masked, leaving the stop to the next usable vehicle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from maasmix import defaults
from maasmix.geodesy import haversine_m

__all__ = ["ride_in_range", "split_by_range"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


def split_by_range(
    index: IntArray,
    range_m: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    origin: tuple[float, float],
    longest_ride_m: float,
    max_walk_m: float,
    limit: int = defaults.MAX_SHORT_RANGE_VEHICLES,
) -> tuple[IntArray, list[IntArray]]:
    """(vehicles searched together, each short-range vehicle on its own) of ``index``.

    ``range_m``, ``lat``, ``lon`` are per vehicle of the system (indexed by ``index``).
    """
    rng = range_m[index]
    enough = ~(rng < longest_ride_m * defaults.RANGE_RESERVE)  # NaN: unpublished, enough
    main = index[enough]
    short = index[~enough]
    if not len(short):
        return main, []
    d = haversine_m(origin[0], origin[1], lat[short], lon[short])
    near = d <= max_walk_m
    short, d = short[near], d[near]
    order = np.argsort(d, kind="stable")[:limit]
    return main, [short[i : i + 1] for i in order.tolist()]


def ride_in_range(range_m: FloatArray, ride_m: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each vehicle's range covers its ride (x `RANGE_RESERVE`; NaN range: yes)."""
    return ~(range_m < ride_m * defaults.RANGE_RESERVE)
