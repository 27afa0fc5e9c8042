"""Street-only journeys and the access/egress sets that transit is searched between.

`street_only`: walking, an own bike or a rented vehicle all the way. `access_egress_pairs`:
every (access, egress) combination a query searches transit between: walking both ways
(the first pair; McRAPTOR also runs on it), own bike parked at the first stop, own bike
on board, each rental kind as the first or last mile, and rentals at both ends.
`merge_access` keeps the fastest of several sets per stop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from maasmix.engine.access import Field, graph_field
from maasmix.engine.itinerary import Journey
from maasmix.engine.plan_assembly import street_journey
from maasmix.engine.plan_query import RENTAL_MODE, AccessSet, Piece, Place, Query
from maasmix.engine.plan_rentals import RentalGroup, rental_access, rental_direct
from maasmix.engine.timetable import CompiledTimetable

__all__ = [
    "AccessPair",
    "access_egress_pairs",
    "bike_access",
    "merge_access",
    "street_direct",
    "street_only",
    "walk_access",
    "walk_piece",
]

# ---------------------------------------------------------------------- own modes


def walk_piece(
    q: Query, f: Field, node: int, a: Place, b: Place, secs: float, metres: float
) -> Piece:
    return Piece(
        "WALK", a, b, int(np.ceil(secs)), round(float(metres), 1), q.geometry(f, node, a, b)
    )


def street_direct(q: Query, mode: str) -> list[list[Piece]]:
    if mode == "WALK":
        f = q.walk_field(False)
        secs, metres, _ = q.point_at(f, q.d, q.d_walk)
        if not np.isfinite(secs) and f.limit < q.opt.max_direct_walk_s and not q.crow:
            assert q.cn.walk is not None
            f = graph_field(
                q.cn.walk,
                [q.o_walk[0]],
                [q.o_walk[1] / q.ws],
                q.opt.max_direct_walk_s,
                q.ws,
                source_m=[q.o_walk[1]],
            )
            secs, metres, _ = q.point_at(f, q.d, q.d_walk)
        if not secs <= q.opt.max_direct_walk_s:
            return []
        return [[walk_piece(q, f, q.d_walk[0], q.o, q.d, secs, metres)]]
    bf = q.bike_field(False)
    if bf is None:
        return []
    secs, metres, _ = q.point_at(bf, q.d, q.d_bike)
    if not np.isfinite(secs) and bf.limit < q.opt.max_ride_s and not q.crow:
        assert q.cn.bike is not None
        bf = graph_field(
            q.cn.bike,
            [q.o_bike[0]],
            [q.o_bike[1] / q.bs],
            q.opt.max_ride_s,
            q.bs,
            source_m=[q.o_bike[1]],
        )
        secs, metres, _ = q.point_at(bf, q.d, q.d_bike)
    if not secs <= q.opt.max_ride_s:
        return []
    geom = q.geometry(bf, q.d_bike[0], q.o, q.d)
    return [[Piece("BICYCLE", q.o, q.d, int(np.ceil(secs)), round(metres, 1), geom)]]


def walk_access(q: Query, reverse: bool) -> AccessSet:
    f = q.walk_field(reverse)
    secs, metres, _ = q.stops_at(f, "walk")
    secs = np.where(secs <= q.opt.max_access_walk_s, secs, np.inf)

    def build(s: int) -> list[Piece]:
        stop = q.stop_place(s)
        node = int(q.cn.stop_walk_node[s])
        if reverse:
            return [walk_piece(q, f, node, stop, q.d, secs[s], metres[s])]
        return [walk_piece(q, f, node, q.o, stop, secs[s], metres[s])]

    return AccessSet("WALK", secs, build)


def bike_access(q: Query, reverse: bool, limit: float) -> AccessSet | None:
    f = q.bike_field(reverse)
    if f is None:
        return None
    secs, metres, _ = q.stops_at(f, "bike")
    secs = np.where(secs <= limit, secs, np.inf)

    def build(s: int) -> list[Piece]:
        stop = q.stop_place(s)
        node = int(q.cn.stop_bike_node[s])
        a, b = (stop, q.d) if reverse else (q.o, stop)
        return [
            Piece(
                "BICYCLE",
                a,
                b,
                int(np.ceil(secs[s])),
                round(float(metres[s]), 1),
                q.geometry(f, node, a, b),
            )
        ]

    return AccessSet("BICYCLE", secs, build)


def merge_access(sets: list[AccessSet], label: str) -> AccessSet | None:
    sets = [s for s in sets if s is not None]
    if not sets:
        return None
    if len(sets) == 1:
        return sets[0]
    stack = np.vstack([s.secs for s in sets])
    pick = np.argmin(stack, axis=0)
    secs = stack[pick, np.arange(stack.shape[1])]

    def build(s: int) -> list[Piece]:
        return sets[int(pick[s])].build(s)

    return AccessSet(label, secs, build)


class AccessPair(NamedTuple):
    """Transit searched between ``access`` and ``egress`` on ``timetable`` (``reverse``:
    its time-reversed copy for arrive-by)."""

    access: AccessSet
    egress: AccessSet
    timetable: CompiledTimetable
    reverse: CompiledTimetable


def street_only(
    q: Query, modes: Sequence[str], groups: list[RentalGroup], when_s: int, arrive_by: bool
) -> list[Journey]:
    """Journeys without transit: walking, own bike, each rental group all the way."""
    out: list[Journey] = []
    for mode in ("WALK", "BICYCLE"):
        if mode in modes:
            for pieces in street_direct(q, mode):
                out.append(street_journey(q, pieces, when_s, arrive_by, mode))
    for g in groups:
        pieces_r = rental_direct(q, g)
        if pieces_r:
            out.append(street_journey(q, pieces_r, when_s, arrive_by, RENTAL_MODE[g.mode]))
    return out


def access_egress_pairs(
    q: Query, modes: Sequence[str], groups: list[RentalGroup]
) -> list[AccessPair]:
    """The access/egress combinations of a transit search, walking both ways first."""
    cn, opt = q.cn, q.opt
    walk_in, walk_out = walk_access(q, False), walk_access(q, True)
    pairs = [AccessPair(walk_in, walk_out, cn.timetable, cn.reverse)]
    if "BICYCLE" in modes:
        park = bike_access(q, False, opt.max_access_bike_s)
        if park is not None:
            pairs.append(AccessPair(park, walk_out, cn.timetable, cn.reverse))
        if cn.bike_timetable is not None and cn.bike_reverse is not None:
            b_in = bike_access(q, False, opt.max_access_bike_s)
            b_out = bike_access(q, True, opt.max_access_bike_s)
            if b_in is not None and b_out is not None:
                pairs.append(AccessPair(b_in, b_out, cn.bike_timetable, cn.bike_reverse))
    firsts = [a for g in groups if (a := rental_access(q, g, False)) is not None]
    lasts = [a for g in groups if (a := rental_access(q, g, True)) is not None]
    for label, sets in _by_label(firsts).items():
        merged = merge_access(sets, label)
        if merged is not None:
            pairs.append(AccessPair(merged, walk_out, cn.timetable, cn.reverse))
    for label, sets in _by_label(lasts).items():
        merged = merge_access(sets, label)
        if merged is not None:
            pairs.append(AccessPair(walk_in, merged, cn.timetable, cn.reverse))
    first_all = merge_access(firsts, "RENTAL")
    last_all = merge_access(lasts, "RENTAL")
    if first_all is not None and last_all is not None:
        pairs.append(AccessPair(first_all, last_all, cn.timetable, cn.reverse))
    return pairs


def _by_label(sets: list[AccessSet]) -> dict[str, list[AccessSet]]:
    out: dict[str, list[AccessSet]] = {}
    for a in sets:
        out.setdefault(a.label, []).append(a)
    return out
