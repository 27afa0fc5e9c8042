"""RAPTOR queries on a `CompiledTimetable`: one-to-all, point-to-point, range (rRAPTOR).

Stops are given as compiled indices; times as int32 seconds after the service day's
midnight. ``max_transfers=None`` means no limit on the number of rides; otherwise at
most ``max_transfers + 1`` rides. ``min_transfer_s`` is the slack required between
arriving at a stop (by a ride, or a ride and a footpath) and the departure of the next
trip boarded there; the first trip of a journey needs no slack (at the origin, or after
walking from it, "at or before the departure" suffices). ``slack_after_footpath=False``
applies that slack only when changing vehicles at the same stop: a footpath between two
rides carries its own time instead (nigiri/MOTIS's transfer model; the footpaths should
then hold at least the change time themselves).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from maasmix import defaults
from maasmix.engine._raptor_kernel import INF, raptor
from maasmix.engine.timetable import CompiledTimetable
from maasmix.errors import QueryError

IntArray = npt.NDArray[np.int32]

#: The numba kernel, seen by the type checker as a plain callable (it takes the
#: timetable's `kernel_arrays` spread out).
RAPTOR_KERNEL: Callable[..., tuple[Any, ...]] = cast(Callable[..., tuple[Any, ...]], raptor)

__all__ = [
    "INF",
    "RaptorResult",
    "footpath_rest_min",
    "one_to_all",
    "point_to_point",
    "range_query",
]


@dataclass(frozen=True, eq=False)
class RaptorResult:
    """Labels and records of one RAPTOR run (see `engine._raptor_kernel`).

    ``arrivals[k, s]``: earliest arrival at stop ``s`` with at most ``k`` rides
    (``INF`` when unreached); ``dest[k]``: best arrival + egress over the targets with at
    most ``k`` rides; the ``rec_*`` arrays hold the journeys' last improvements.
    """

    arrivals: IntArray
    ride: IntArray
    rec_ride: IntArray
    rec_trip: IntArray
    rec_board: IntArray
    rec_walk: IntArray
    rec_from: IntArray
    dest: IntArray
    last_round: int
    slack: int
    walk_slack: int


_REST_MIN: weakref.WeakKeyDictionary[CompiledTimetable, IntArray] = weakref.WeakKeyDictionary()


def footpath_rest_min(tt: CompiledTimetable) -> IntArray:
    """Per footpath, the shortest duration of it and the ones after it in its stop's
    list (the RAPTOR and McRAPTOR kernels' ``fp_rest_min``); made once per timetable."""
    found = _REST_MIN.get(tt)
    if found is None:
        fp = tt.footpaths
        ptr = np.asarray(fp.ptr, dtype=np.int64)
        dur = np.asarray(fp.duration_s, dtype=np.int32)
        src = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        # running minimum from each stop's list end: walked backwards, each stop's
        # values lifted by stop * 2**32 so that a new (lower) stop starts a new minimum
        shift = src[::-1].astype(np.int64) << 32
        rest = np.minimum.accumulate(dur[::-1].astype(np.int64) + shift) - shift
        found = np.ascontiguousarray(rest[::-1], dtype=np.int32)
        _REST_MIN[tt] = found
    return found


def _as_int32(values: npt.ArrayLike) -> IntArray:
    if (
        type(values) is np.ndarray
        and values.dtype == np.int32
        and values.ndim == 1
        and values.flags.c_contiguous
    ):
        return values  # already the kernel's type (most calls: the router's arrays)
    return np.ascontiguousarray(np.atleast_1d(np.asarray(values, dtype=np.int64)).astype(np.int32))


def _in_range(arr: IntArray, n: int) -> bool:
    """Whether all of ``arr`` lies in ``0 .. n - 1`` (a few values: in plain Python)."""
    if len(arr) <= 16:
        values = arr.tolist()
        return not values or (min(values) >= 0 and max(values) < n)
    return bool(arr.min() >= 0 and arr.max() < n)


def _max_rounds(max_transfers: int | None) -> int:
    if max_transfers is None:
        return -1
    if max_transfers < 0:
        raise QueryError(f"must be >= 0, got {max_transfers}", parameter="max_transfers")
    return int(max_transfers) + 1


def _run(
    tt: CompiledTimetable,
    origins: npt.ArrayLike,
    origin_offsets: npt.ArrayLike | None,
    targets: npt.ArrayLike,
    target_egress: npt.ArrayLike | None,
    departures: npt.ArrayLike,
    max_transfers: int | None,
    min_transfer_s: int,
    record: bool,
    walk_reaches_target: bool = True,
    slack_after_footpath: bool = True,
) -> tuple[npt.NDArray[np.int32], ...]:
    o = _as_int32(origins)
    t = _as_int32(targets) if np.size(targets) else np.empty(0, np.int32)
    oo = np.zeros(len(o), np.int32) if origin_offsets is None else _as_int32(origin_offsets)
    te = np.zeros(len(t), np.int32) if target_egress is None else _as_int32(target_egress)
    if len(oo) != len(o) or len(te) != len(t):
        raise QueryError("one offset per origin and one egress time per target")
    if min_transfer_s < 0:
        raise QueryError(f"must be >= 0, got {min_transfer_s}", parameter="min_transfer_s")
    for arr in (o, t):
        if not _in_range(arr, tt.n_stops):
            raise QueryError("stop index out of range")
    out = RAPTOR_KERNEL(
        *tt.kernel_arrays(),
        o,
        oo,
        t,
        te,
        _as_int32(departures),
        _max_rounds(max_transfers),
        int(min_transfer_s),
        record,
        walk_reaches_target,
        -1 if slack_after_footpath else 0,
        footpath_rest_min(tt),
    )
    return tuple(out)


def one_to_all(
    tt: CompiledTimetable,
    origins: npt.ArrayLike,
    depart: int,
    *,
    origin_offsets: npt.ArrayLike | None = None,
    max_transfers: int | None = None,
    min_transfer_s: int = defaults.MIN_TRANSFER_S,
    slack_after_footpath: bool = True,
) -> IntArray:
    """Earliest arrival (s after midnight, ``INF`` when unreachable) at every stop.

    Origins are reached at ``depart + offset``; the origins themselves count as reached.
    """
    out = _run(
        tt,
        origins,
        origin_offsets,
        [],
        None,
        [depart],
        max_transfers,
        min_transfer_s,
        False,
        slack_after_footpath=slack_after_footpath,
    )
    anyb, last = out[0], int(out[9])
    return np.asarray(anyb[last], dtype=np.int32).copy()


def point_to_point(
    tt: CompiledTimetable,
    origins: npt.ArrayLike,
    targets: npt.ArrayLike,
    depart: int,
    *,
    origin_offsets: npt.ArrayLike | None = None,
    target_egress: npt.ArrayLike | None = None,
    max_transfers: int | None = defaults.MAX_TRANSFERS,
    min_transfer_s: int = defaults.MIN_TRANSFER_S,
    walk_reaches_target: bool = True,
    slack_after_footpath: bool = True,
) -> RaptorResult:
    """RAPTOR with target pruning, recording what journeys need to be reconstructed.

    ``walk_reaches_target=False``: the targets count only once ridden to (``dest[0]`` is
    ``INF``, and ``arrivals[k]``, ``k >= 1``, hold arrivals after at least one ride), so
    walking from an origin to a stop never prunes a ride (+ footpath) that reaches it
    later and goes on to a target (door-to-door plans, whose walk-only option is
    planned apart)."""
    out = _run(
        tt,
        origins,
        origin_offsets,
        targets,
        target_egress,
        [depart],
        max_transfers,
        min_transfer_s,
        True,
        walk_reaches_target,
        slack_after_footpath,
    )
    anyb, _ready, ride, rr, rt, rb, rw, rf, dest, last = out
    return RaptorResult(
        arrivals=anyb,
        ride=ride,
        rec_ride=rr,
        rec_trip=rt,
        rec_board=rb,
        rec_walk=rw,
        rec_from=rf,
        dest=np.asarray(dest[:, 0]),
        last_round=int(last),
        slack=int(min_transfer_s),
        walk_slack=int(min_transfer_s) if slack_after_footpath else 0,
    )


def range_query(
    tt: CompiledTimetable,
    origins: npt.ArrayLike,
    targets: npt.ArrayLike,
    departures: npt.ArrayLike,
    *,
    origin_offsets: npt.ArrayLike | None = None,
    target_egress: npt.ArrayLike | None = None,
    max_transfers: int = defaults.MAX_TRANSFERS,
    min_transfer_s: int = defaults.MIN_TRANSFER_S,
    slack_after_footpath: bool = True,
) -> tuple[IntArray, IntArray]:
    """rRAPTOR over many departure times.

    Returns
    -------
    departures : int32 (D,)
        The departure times, sorted increasingly (duplicates removed).
    best : int32 (max_transfers + 2, D)
        ``best[k, d]``: earliest arrival + egress at the targets leaving at
        ``departures[d]`` with at most ``k`` rides (``INF`` when none).
    """
    deps = np.unique(_as_int32(departures))
    desc = deps[::-1].copy()
    out = _run(
        tt,
        origins,
        origin_offsets,
        targets,
        target_egress,
        desc,
        max_transfers,
        min_transfer_s,
        False,
        slack_after_footpath=slack_after_footpath,
    )
    dest = np.asarray(out[8])
    rows = _max_rounds(max_transfers) + 1
    best = np.full((rows, len(deps)), INF, dtype=np.int32)
    take = min(rows, dest.shape[0])
    best[:take] = dest[:take, ::-1]
    for k in range(take, rows):
        best[k] = best[k - 1]
    return deps, best
