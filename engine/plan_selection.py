"""Choosing the itineraries a plan returns from its candidates.

The rule (`select`), in this order:

1. **Protected**: the best candidate on each criterion the traveller sees is always
   returned, whatever ``num_itineraries`` says and whatever the filters
   (`engine.plan_filters`) would remove:

   - the earliest arrival (depart-at) or the latest departure (arrive-by); ties: fewer
     transfers, then less walking;
   - the fewest transfers; ties: the earliest arrival (latest departure), then less
     walking;
   - the least walking; ties: the earliest arrival (latest departure), then fewer
     transfers;
   - when money is asked for (``cost``), the lowest out-of-pocket cost (summed over
     currencies; an unknown cost counts as infinite); ties: the earliest arrival (latest
     departure), then fewer transfers, then less walking.

   Each is a member of the Pareto set; one itinerary may be best on several criteria.
2. **The rest** fill the places left up to ``num_itineraries`` (none when the protected
   ones already take them all), in this order: the Pareto set over (arrival — departure
   for arrive-by —, transfers, walking) by arrival (latest departure first for arrive-by),
   then the fastest itinerary of each mode combination not yet in, by arrival. A
   ``choose`` function (money: `engine.plan_money`) replaces that order.
   Candidates the filter chain flagged are left out of this step.

`plan` returns the selection ordered by arrival.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from maasmix import defaults
from maasmix.engine.itinerary import Journey
from maasmix.engine.paths import _pareto_indices
from maasmix.engine.plan_assembly import combination

__all__ = ["feasible", "pareto", "protected", "ranked", "select"]

Cost = Callable[[Journey], Mapping[str, float]]
"""Out-of-pocket cost of a journey: minor units per currency (``{"?": inf}``: unknown)."""


def _when(j: Journey, arrive_by: bool) -> int:
    """The time criterion, smaller is better: arrival, or minus the departure."""
    return -j.departure_s if arrive_by else j.arrival_s


def pareto(journeys: list[Journey], arrive_by: bool) -> list[int]:
    """Indices of the journeys Pareto-optimal over (arrival — minus departure for
    arrive-by —, transfers, walking seconds), the first of equal keys, in input order."""
    return _pareto_indices([(_when(j, arrive_by), j.transfers, j.walk_s) for j in journeys])


def feasible(candidates: list[Journey], when_s: int, arrive_by: bool) -> list[Journey]:
    """The candidates that start after the departure (end before the arrive-by time)
    and ride every rented vehicle at least `defaults.MIN_RENTAL_RIDE_M`."""
    out = [
        j
        for j in candidates
        if all(
            (leg.distance_m or 0.0) >= defaults.MIN_RENTAL_RIDE_M for leg in j.legs if leg.is_rental
        )
    ]
    if arrive_by:
        return [j for j in out if j.arrival_s <= when_s]
    return [j for j in out if j.departure_s >= when_s]


def protected(candidates: list[Journey], arrive_by: bool, cost: Cost | None = None) -> list[int]:
    """Indices of the protected candidates (see the module docstring), each once, in the
    order: time, transfers, walking, cost."""
    if not candidates:
        return []
    n = range(len(candidates))
    c = candidates
    picks = [
        min(n, key=lambda i: (_when(c[i], arrive_by), c[i].transfers, c[i].walk_s)),
        min(n, key=lambda i: (c[i].transfers, _when(c[i], arrive_by), c[i].walk_s)),
        min(n, key=lambda i: (c[i].walk_s, _when(c[i], arrive_by), c[i].transfers)),
    ]
    if cost is not None:
        total = [float(sum(cost(j).values())) for j in c]
        picks.append(
            min(
                n,
                key=lambda i: (total[i], _when(c[i], arrive_by), c[i].transfers, c[i].walk_s),
            )
        )
    return list(dict.fromkeys(picks))


def ranked(candidates: list[Journey], arrive_by: bool) -> list[int]:
    """The order the rest fill the places in: the Pareto set by time (then transfers,
    walking), then the fastest of each mode combination not yet in, by time."""

    def order(i: int) -> tuple[int, int, int]:
        j = candidates[i]
        return (_when(j, arrive_by), j.transfers, j.walk_s)

    out = sorted(pareto(candidates, arrive_by), key=order)
    best: dict[str, int] = {}
    for i, j in enumerate(candidates):
        label = combination(j)
        if label not in best or order(i) < order(best[label]):
            best[label] = i
    seen = set(out)
    out += [i for i in sorted(best.values(), key=order) if i not in seen]
    return out


def select(
    keep: Sequence[int], order: Sequence[int], num_itineraries: int, flagged: Collection[int] = ()
) -> list[int]:
    """Indices of the candidates a plan returns (see the module docstring): the
    protected ones (``keep``), then those of ``order`` (`ranked`, or a ``choose``
    function's) that are not ``flagged`` by the filter chain, up to ``num_itineraries``
    in all."""
    out = list(keep)
    taken = set(out)
    for i in order:
        if len(out) >= num_itineraries:
            break
        if i not in taken and i not in flagged:
            out.append(i)
            taken.add(i)
    return out
