"""Choosing the itineraries a plan returns from its candidates."""

from __future__ import annotations

from collections.abc import Callable

from maasmix import defaults
from maasmix.engine.itinerary import Journey
from maasmix.engine.plan_assembly import combination

__all__ = ["feasible", "pareto", "select"]


def pareto(journeys: list[Journey], arrive_by: bool) -> list[int]:
    def key(j: Journey) -> tuple[int, int, int]:
        return (-j.departure_s if arrive_by else j.arrival_s, j.transfers, j.walk_s)

    points = [key(j) for j in journeys]
    keep: list[int] = []
    seen: set[tuple[int, int, int]] = set()
    for i, p in enumerate(points):
        if p in seen:
            continue
        dominated = any(
            all(a <= b for a, b in zip(other, p, strict=True)) and other != p for other in points
        )
        if not dominated:
            keep.append(i)
            seen.add(p)
    return keep


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


def select(
    candidates: list[Journey],
    arrive_by: bool,
    num_itineraries: int,
    choose: Callable[[list[Journey], bool], list[int]] | None = None,
) -> list[int]:
    """Indices of the candidates a plan returns: the Pareto set, then the best of each
    mode combination (or ``choose``'s answer), at most ``num_itineraries``."""
    chosen_idx = list(pareto(candidates, arrive_by))
    best: dict[str, int] = {}
    for i, j in enumerate(candidates):
        label = combination(j)
        score = -j.departure_s if arrive_by else j.arrival_s
        if label not in best or score < (
            -candidates[best[label]].departure_s if arrive_by else candidates[best[label]].arrival_s
        ):
            best[label] = i
    for i in sorted(
        best.values(),
        key=lambda i: -candidates[i].departure_s if arrive_by else candidates[i].arrival_s,
    ):
        if i not in chosen_idx:
            chosen_idx.append(i)
    if choose is not None:
        chosen_idx = choose(candidates, arrive_by)
    return chosen_idx[:num_itineraries]
