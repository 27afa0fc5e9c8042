"""McRAPTOR queries on a `CompiledTimetable`: Pareto sets over (arrival, rides, walking).

The numba kernel (`engine._mcraptor_kernel`) fills a pool of labels, each a row of int32
fields. `McLabels` is the one place that reads those fields: the arrival, rides and
walking of a label, and the chain of steps (ride or walk) that led to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from maasmix.engine import _mcraptor_kernel as mk
from maasmix.engine.raptor import footpath_rest_min
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["McLabels", "McStep", "mc_search"]

IntArray = npt.NDArray[np.int32]

#: The numba kernel, seen by the type checker as a plain callable.
MC_KERNEL = cast(Callable[..., tuple[IntArray, IntArray, int]], mk.mcraptor)

#: Labels a search may make before it is run again with four times as many (the
#: kernel's buffers are fixed in size; see `engine._mcraptor_kernel`). Grows, per
#: process, to what the largest search needed.
_capacity = [8192]

#: A step of a label's chain: ("ride", trip, board_pos, stop, arrival) or
#: ("walk", from_stop, -1, stop, arrival), in travel order.
McStep = tuple[str, int, int, int, int]


@dataclass(frozen=True, eq=False)
class McLabels:
    """The label pool of one McRAPTOR run and the labels that reached a target."""

    pool: IntArray
    target_labels: IntArray

    def stop(self, label: int) -> int:
        """Compiled stop index the label is at."""
        return int(self.pool[label, mk.F_STOP])

    def arrival(self, label: int) -> int:
        """Arrival at the label's stop, seconds after the service day's midnight."""
        return int(self.pool[label, mk.F_ARR])

    def rides(self, label: int) -> int:
        """Number of rides taken to reach the label."""
        return int(self.pool[label, mk.F_ROUND])

    def walk_s(self, label: int) -> int:
        """Seconds walked to reach the label."""
        return int(self.pool[label, mk.F_WALK])

    def chain(self, label: int) -> tuple[list[McStep], int]:
        """The steps from the origin to ``label`` and the time the origin was left."""
        steps: list[McStep] = []
        lab = label
        while True:
            kind = int(self.pool[lab, mk.F_KIND])
            prev = int(self.pool[lab, mk.F_PREV])
            if kind == 0:
                origin_time = self.arrival(lab)
                break
            if kind == 2:
                steps.append(("walk", self.stop(prev), -1, self.stop(lab), self.arrival(lab)))
            else:
                trip = int(self.pool[lab, mk.F_TRIP])
                board = int(self.pool[lab, mk.F_BOARD])
                steps.append(("ride", trip, board, self.stop(lab), self.arrival(lab)))
            lab = prev
        steps.reverse()
        return steps, origin_time


def mc_search(
    tt: CompiledTimetable,
    origins: IntArray,
    origin_offsets: IntArray,
    targets: IntArray,
    target_egress: IntArray,
    depart: int,
    *,
    max_rides: int | None,
    min_transfer_s: int,
    origin_walk: IntArray | None = None,
    target_walk: IntArray | None = None,
    max_arrival: int | None = None,
) -> McLabels:
    """McRAPTOR from ``origins`` (compiled indices) leaving at ``depart``.

    ``max_rides`` None means no limit; ``min_transfer_s`` as in `engine.raptor`;
    ``origin_walk``: walking seconds already done at each origin (default 0), counted in
    the walking criterion; ``target_walk``: walking seconds still to do after each
    target (its egress walk, default 0), counted when target labels prune others;
    ``max_arrival``: no label whose arrival plus the least egress time is later is kept
    (None: no bound).
    """
    args = (
        *tt.kernel_arrays(),
        origins,
        origin_offsets,
        targets,
        target_egress,
        int(depart),
        -1 if max_rides is None else int(max_rides),
        int(min_transfer_s),
        np.zeros(len(origins), np.int32)
        if origin_walk is None
        else np.ascontiguousarray(origin_walk, dtype=np.int32),
        np.zeros(len(targets), np.int32)
        if target_walk is None
        else np.ascontiguousarray(target_walk, dtype=np.int32),
        mk.INF if max_arrival is None else int(max_arrival),
    )
    rest = footpath_rest_min(tt)
    capacity = _capacity[0]
    while True:
        pool, labels, n = MC_KERNEL(*args, capacity, rest)
        if n >= 0:
            return McLabels(pool, labels)
        # too many labels for the buffers: the same search with larger ones (the
        # process keeps the size, so later searches start with it)
        capacity *= 4
        _capacity[0] = max(_capacity[0], capacity)
