"""The itinerary filter chain: drop candidates nobody would take.

After the protected itineraries are set aside (`engine.plan_selection`: they are never
removed), each filter flags candidates with a tag, in this order; a flagged candidate
is not returned (``filters=False`` in `plan`, ``--all`` on the CLI, ``filters=false``
over HTTP switch the chain off; `Plan.filtered` lists what it removed and why):

``walking-is-better``
    Walking all the way (the plan's walk-only candidate) beats the itinerary on every
    criterion the traveller sees, within the slack `defaults.FILTER_SLACK_S`: it arrives
    no later than the itinerary plus the slack (arrive-by: leaves no earlier than it
    minus the slack), walks no longer than it plus the slack, has no more transfers
    (none) and costs nothing.
``cycling-is-better``
    The same for an itinerary that takes the traveller's own bike (to the first stop, on
    board, or from the last stop): riding the bike all the way beats it within the slack
    (it arrives no later plus the slack, walks no longer plus the slack, has no
    transfers and costs nothing). Itineraries without the own bike are never compared
    with it (not every traveller has one).
``rental-adds-nothing``
    The same journey without its rental leg beats it within the slack: the same transit
    trips, with the walk straight to the first stop (from the last stop) instead of the
    walk-ride-walk there; it must still leave after the departure (arrive before the
    arrive-by time), arrives no later than the itinerary plus the slack (leaves no
    earlier minus it), walks no longer plus the slack, and the rental's price is gone.
    Or another transit candidate without a rented vehicle (nor an own bike the itinerary
    does not take) and with no more transfers beats it so (its transit fare is not
    compared: the filter runs before pricing).
``rental-mostly-walking``
    A rented vehicle ridden a shorter distance than the walking around it: in the
    stretch of street legs that holds the ride (the whole trip, the first mile or the
    last mile), the ride's metres are fewer than the walking legs' metres, so the
    rental replaces less walking than it adds (as OpenTripPlanner's
    ``RemoveBikeRentalWithMostlyWalking``).
``near-duplicate``
    Another candidate with the same mode combination and the same transit trips (boarded
    or left at other stops of them, or reached by other paths) within the slack on time
    and walking: only the better of the two (time, then transfers, then walking) is
    kept.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from maasmix import defaults
from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.plan_assembly import combination
from maasmix.engine.plan_query import AccessSet
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["FILTERS", "filter_chain"]

FILTERS = (
    "walking-is-better",
    "cycling-is-better",
    "rental-adds-nothing",
    "rental-mostly-walking",
    "near-duplicate",
)
"""The filters' tags, in the order they run."""


def _time(j: Journey, arrive_by: bool) -> int:
    return -j.departure_s if arrive_by else j.arrival_s


def _beats(time_a: int, walk_a: int, time_b: int, walk_b: int, slack: int) -> bool:
    """Whether a (time criterion, walking) is within ``slack`` of b on both (a simpler
    option, no dearer and with no more transfers, beats b)."""
    return time_a <= time_b + slack and walk_a <= walk_b + slack


def _own_bike(leg: Leg) -> bool:
    return leg.mode == "BICYCLE" and leg.rental is None


def _transit_span(j: Journey) -> tuple[int, int] | None:
    idx = [i for i, leg in enumerate(j.legs) if leg.is_transit]
    return (idx[0], idx[-1]) if idx else None


def _without_rental(
    j: Journey,
    walk_in: AccessSet | None,
    walk_out: AccessSet | None,
    tt: CompiledTimetable,
    when_s: int,
    arrive_by: bool,
) -> tuple[int, int, int] | None:
    """(departure, arrival, walking seconds) of ``j``'s transit trips reached and left on
    foot instead of by its rented vehicle; None when ``j`` has no rental around transit
    or the walk is out of reach."""
    span = _transit_span(j)
    if span is None or walk_in is None or walk_out is None:
        return None
    f, last = span
    before, middle, after = j.legs[:f], j.legs[f : last + 1], j.legs[last + 1 :]
    if not any(leg.is_rental for leg in (*before, *after)):
        return None
    walk = sum(leg.duration_s for leg in middle if leg.mode == "WALK")
    dep, arr = j.departure_s, j.arrival_s
    if any(leg.is_rental for leg in before):
        secs = _secs(walk_in, tt, j.legs[f].from_stop_id)
        if secs is None:
            return None
        dep = j.legs[f].start_s - secs
        walk += secs
    else:
        walk += sum(leg.duration_s for leg in before if leg.mode == "WALK")
    if any(leg.is_rental for leg in after):
        secs = _secs(walk_out, tt, j.legs[last].to_stop_id)
        if secs is None:
            return None
        arr = j.legs[last].end_s + secs
        walk += secs
    else:
        walk += sum(leg.duration_s for leg in after if leg.mode == "WALK")
    if (arrive_by and arr > when_s) or (not arrive_by and dep < when_s):
        return None
    return dep, arr, walk


def _secs(access: AccessSet, tt: CompiledTimetable, stop_id: str) -> int | None:
    try:
        s = tt.stop_index(stop_id)
    except KeyError:
        return None
    value = float(access.secs[s])
    return int(np.ceil(value)) if np.isfinite(value) else None


def _mostly_walking(legs: Sequence[Leg]) -> bool:
    """Whether a stretch of street legs between transit rides (or the whole trip)
    rides a rented vehicle a shorter distance than it walks."""
    stretch: list[Leg] = []
    for leg in (*legs, None):
        if leg is not None and not leg.is_transit:
            stretch.append(leg)
            continue
        ride = sum(x.distance_m or 0.0 for x in stretch if x.is_rental)
        walked = sum(x.distance_m or 0.0 for x in stretch if x.mode == "WALK")
        if any(x.is_rental for x in stretch) and ride < walked:
            return True
        stretch = []
    return False


def _trips(j: Journey) -> tuple[str, ...]:
    return tuple(str(leg.trip_key) for leg in j.legs if leg.is_transit)


def filter_chain(
    candidates: list[Journey],
    keep: Collection[int],
    *,
    arrive_by: bool,
    when_s: int,
    tt: CompiledTimetable,
    walk_in: AccessSet | None = None,
    walk_out: AccessSet | None = None,
    slack_s: int = defaults.FILTER_SLACK_S,
) -> dict[int, str]:
    """``{candidate index: tag}`` of the candidates the chain removes (see the module
    docstring); indices in ``keep`` (the protected ones) are never flagged.
    ``walk_in`` / ``walk_out``: the walking access and egress sets of the query (the
    walk that replaces a rental), ``tt`` the timetable their stops index."""
    flagged: dict[int, str] = {}
    walks = [j for j in candidates if j.legs and all(leg.mode == "WALK" for leg in j.legs)]
    walk_only = min(walks, key=lambda j: _time(j, arrive_by), default=None)
    bikes = [j for j in candidates if j.legs and all(_own_bike(leg) for leg in j.legs)]
    bike_only = min(bikes, key=lambda j: _time(j, arrive_by), default=None)
    plain = [k for k in candidates if k.rides and not any(leg.is_rental for leg in k.legs)]
    for i, j in enumerate(candidates):
        if i in keep or j is walk_only or j is bike_only:
            continue
        t = _time(j, arrive_by)
        if walk_only is not None and _beats(
            _time(walk_only, arrive_by), walk_only.walk_s, t, j.walk_s, slack_s
        ):
            flagged[i] = "walking-is-better"
            continue
        if (
            bike_only is not None
            and any(_own_bike(leg) for leg in j.legs)
            and _beats(_time(bike_only, arrive_by), bike_only.walk_s, t, j.walk_s, slack_s)
        ):
            flagged[i] = "cycling-is-better"
            continue
        alt = _without_rental(j, walk_in, walk_out, tt, when_s, arrive_by)
        if alt is not None:
            alt_t = -alt[0] if arrive_by else alt[1]
            if _beats(alt_t, alt[2], t, j.walk_s, slack_s):
                flagged[i] = "rental-adds-nothing"
                continue
        if j.rides and any(leg.is_rental for leg in j.legs):
            own = any(_own_bike(leg) for leg in j.legs)
            if any(
                k.rides
                and k.transfers <= j.transfers
                and not any(leg.is_rental or (_own_bike(leg) and not own) for leg in k.legs)
                and _beats(_time(k, arrive_by), k.walk_s, t, j.walk_s, slack_s)
                for k in plain
            ):
                flagged[i] = "rental-adds-nothing"
                continue
        if any(leg.is_rental for leg in j.legs) and _mostly_walking(j.legs):
            flagged[i] = "rental-mostly-walking"
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, j in enumerate(candidates):
        if i not in flagged and j.rides:
            groups.setdefault((combination(j), _trips(j)), []).append(i)
    for members in groups.values():
        members.sort(
            key=lambda i: (
                _time(candidates[i], arrive_by),
                candidates[i].transfers,
                candidates[i].walk_s,
                i not in keep,
            )
        )
        kept: list[int] = []
        for i in members:
            j = candidates[i]
            twin = any(
                abs(_time(j, arrive_by) - _time(candidates[k], arrive_by)) <= slack_s
                and abs(j.walk_s - candidates[k].walk_s) <= slack_s
                for k in kept
            )
            if twin and i not in keep:
                flagged[i] = "near-duplicate"
            else:
                kept.append(i)
    return flagged
