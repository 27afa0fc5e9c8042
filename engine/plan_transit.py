"""Transit between an access set and an egress set: RAPTOR (forward for depart-at; for
arrive-by the time-reversed timetable finds the latest departure per number of rides,
then each journey is rebuilt forward), plus McRAPTOR's walking trade-offs from and to the
`MC_MAX_STOPS` nearest stops of a depart-at walk + transit + walk query. Each journey
found is joined to its access and egress legs by `plan_assembly.transit_itinerary`."""

from __future__ import annotations

import numpy as np

from maasmix.engine.itinerary import Journey
from maasmix.engine.mcraptor import mc_search
from maasmix.engine.paths import mc_journeys, raptor_journeys
from maasmix.engine.plan_access import AccessPair
from maasmix.engine.plan_assembly import transit_itinerary
from maasmix.engine.plan_query import AccessSet, IntArray, Query, Unusable
from maasmix.engine.raptor import INF, point_to_point
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["MC_ARRIVAL_SLACK_S", "MC_MAX_STOPS", "transit_candidates", "transit_journeys"]

#: McRAPTOR (walking trade-offs of walk + transit + walk, depart-at) allows
#: ``max_transfers + 1`` rides, as RAPTOR, from and to this many stops of the walking
#: access (egress) set nearest in time (None: the whole sets, every stop within
#: ``max_access_walk_s``). Measured on Helsinki (40 pairs, 2 shared cores, all modes):
#: 10 stops plan in ~16 ms median, 20 in ~17-24 ms, the whole sets in ~57 ms.
MC_MAX_STOPS: int | None = 10

#: McRAPTOR keeps no journey arriving more than this after RAPTOR's earliest arrival
#: (None: no bound); it runs only when RAPTOR found a journey (its stops are a subset).
MC_ARRIVAL_SLACK_S: int | None = 1800


def transit_journeys(
    q: Query,
    access: AccessSet,
    egress: AccessSet,
    tt: CompiledTimetable,
    rev: CompiledTimetable,
    when_s: int,
    arrive_by: bool,
    label: str,
    walking: bool = False,
) -> list[Journey]:
    """Transit between the access and egress sets; ``walking`` adds the McRAPTOR
    journeys (Pareto also over walking, the access walk included) of a depart-at query."""
    o, off = access.arrays()
    t, eg = egress.arrays()
    if not len(o) or not len(t):
        return []
    slack = q.net.min_transfer_s if q.opt.min_transfer_s is None else int(q.opt.min_transfer_s)
    found: list[Journey] = []
    if not arrive_by:
        res = point_to_point(
            tt,
            o,
            t,
            when_s,
            origin_offsets=off,
            target_egress=eg,
            max_transfers=q.opt.max_transfers,
            min_transfer_s=slack,
            walk_reaches_target=False,
        )
        found = raptor_journeys(tt, res, t, eg)
        best = int(res.dest[: res.last_round + 1].min())
        if walking and best < INF:
            mo, moff = _nearest(o, off, MC_MAX_STOPS)
            mt, meg = _nearest(t, eg, MC_MAX_STOPS)
            labels = mc_search(
                tt,
                mo,
                moff,
                mt,
                meg,
                when_s,
                max_rides=q.opt.max_transfers + 1,
                min_transfer_s=slack,
                origin_walk=moff,
                target_walk=meg,
                max_arrival=None if MC_ARRIVAL_SLACK_S is None else best + MC_ARRIVAL_SLACK_S,
            )
            found += mc_journeys(tt, labels, mt, meg, egress_walk=meg)
    else:
        back = point_to_point(
            rev,
            t,
            o,
            -when_s,
            origin_offsets=eg,
            target_egress=off,
            max_transfers=q.opt.max_transfers,
            min_transfer_s=slack,
            walk_reaches_target=False,
        )
        prev = INF
        egress_of = dict(zip(t.tolist(), eg.tolist(), strict=True))
        for k in range(back.last_round + 1):
            value = int(back.dest[k])
            if value >= prev or value >= INF:
                continue
            prev = value
            depart = -value
            res = point_to_point(
                tt,
                o,
                t,
                depart,
                origin_offsets=off,
                target_egress=eg,
                max_transfers=max(k - 1, 0),
                min_transfer_s=slack,
                walk_reaches_target=False,
            )
            for j in raptor_journeys(tt, res, t, eg):
                last = tt.stop_index(j.legs[-1].to_stop_id) if j.legs else -1
                if j.legs and j.arrival_s + egress_of.get(last, 0) <= when_s:
                    found.append(j)
    out: list[Journey] = []
    for j in found:
        if not j.legs or j.rides == 0:
            continue
        first = tt.stop_index(j.legs[0].from_stop_id)
        last = tt.stop_index(j.legs[-1].to_stop_id)
        try:
            before = access.build(first)
            after = egress.build(last)
        except Unusable:
            continue
        out.append(transit_itinerary(before, j, after, tt, label))
    return out


def _nearest(stops: IntArray, secs: IntArray, k: int | None) -> tuple[IntArray, IntArray]:
    """The ``k`` stops of smallest time (all of them when fewer, or ``k`` is None)."""
    if k is None or len(stops) <= k:
        return stops, secs
    pick = np.argsort(secs, kind="stable")[:k]
    return stops[pick], secs[pick]


def transit_candidates(
    q: Query, pairs: list[AccessPair], when_s: int, arrive_by: bool
) -> list[Journey]:
    """Transit journeys of every access/egress pair (McRAPTOR on the first, walking)."""
    out: list[Journey] = []
    for n, (a_set, e_set, tt, rev) in enumerate(pairs):
        label = f"{a_set.label}+TRANSIT+{e_set.label}"
        out += transit_journeys(q, a_set, e_set, tt, rev, when_s, arrive_by, label, walking=n == 0)
    return out
