"""Choose among a trip's itineraries, paying as you go and holding each bundle or offer.

The generalised cost of an itinerary (money, minor units) is
``value_of_time * (time + (walk_weight - 1) walk + (wait_weight - 1) wait +
transfer_penalty * transfers) + out-of-pocket`` (`maasmix.pricing.scenario.GeneralisedCost`).
Out of pocket is the pay-as-you-go money of the legs, except the part a product covers:

- a mode included ``unlimited`` costs nothing;
- a mode included up to ``L`` units a month is shared by all of a person's trips. With
  cheapest-itinerary choice the allowance goes to the trips where it saves the most per
  unit (a fractional knapsack per person: whole monthly occurrences of a trip, a
  fraction at the boundary, take their best itinerary with the mode free, the others
  their best with it paid); exact for one allowance, alternated `ALLOCATION_ROUNDS`
  times for several. With logit choice, a share ``L / U`` of the mode's money is covered
  when the person's monthly use ``U`` exceeds ``L``, found with the choices by a damped
  fixed-point iteration (until no share moves by more than 1e-9, at most
  `MAX_ITERATIONS`).

Each trip takes its cheapest itinerary (``scale`` None; ties: the planner's first) or, with
a logit ``scale``, every itinerary with probability ``exp(-scale * cost)`` normalised. A
trip's expected cost is the cheapest cost, or the logsum ``-log(sum exp(-scale cost)) /
scale``; a product's **value** to a person is the month's expected cost paying as you go
minus with the product (trips x ``trips_per_month``).

What changes a choice is only the levels of the modes a person's itineraries use; persons
are grouped by that set of modes, and products with the same levels of those modes are
evaluated once per group (`Evaluation.evaluations` / ``evaluations_shared``).

All arithmetic is vectorised over the candidates table (`maasmix.pricing.demand.planning`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ALLOCATION_ROUNDS",
    "MAIN_MODES",
    "MAX_ITERATIONS",
    "ChoiceParams",
    "Evaluation",
    "evaluate",
    "params_from",
]

F = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Bumped whenever the choice model changes, so stored demand is derived again.
MODEL_VERSION = 2

#: Itineraries taken by less than this share of a trip are not listed in ``chosen``.
MIN_SHARE = 1e-9

#: Fixed-point iterations of the covered share at most.
MAX_ITERATIONS = 200

#: Main modes a trip's choice is counted under (mode shift tables).
MAIN_MODES = (
    "walk",
    "bicycle",
    "bicycle_rental",
    "scooter_rental",
    "moped_rental",
    "car_rental",
    "transit",
    "car",
)


@dataclass(frozen=True)
class ChoiceParams:
    """Generalised-cost parameters in minor units: ``vot_per_s`` money per second."""

    vot_per_s: float
    walk_weight: float
    wait_weight: float
    transfer_penalty_s: float
    scale_per_minor: float | None


@dataclass(frozen=True)
class Evaluation:
    """Per person (rows: ``persons``) and product (``products``, ``""`` = pay as you go).

    Arrays are indexed ``[product, person]`` (``[product, person, mode]`` for ``units``,
    ``[product, person, main]`` for ``trips``), all per month: ``cost`` expected
    generalised cost (minor units), ``spend`` money out of pocket (minor units),
    ``co2e_g`` grams, ``units`` per scenario mode (``modes``), ``trips`` by main mode
    (`MAIN_MODES`). ``chosen``: per product, the itineraries each trip takes: rows
    ``row``, ``cand`` and ``share`` (the share of the trip's monthly occurrences, or its
    logit probability; shares below `MIN_SHARE` left out). ``evaluations``: distinct
    (person group, product) evaluations done; ``evaluations_shared``: those avoided.
    """

    persons: pd.Index
    weight: F
    products: tuple[str, ...]
    modes: tuple[str, ...]
    cost: F
    spend: F
    co2e_g: F
    units: F
    trips: F
    chosen: dict[str, pd.DataFrame]
    evaluations: int
    evaluations_shared: int

    def value(self, product: str) -> F:
        """Per person: money value per month of ``product`` (minor units)."""
        base = self.products.index("")
        return self.cost[base] - self.cost[self.products.index(product)]


def _bincount(codes: Ints, *, weights: F, minlength: int) -> F:
    """Sums of ``weights`` per code, as floats."""
    return np.asarray(np.bincount(codes, weights=weights, minlength=minlength), dtype=np.float64)


def _group_starts(trip: Ints) -> Ints:
    """Start offsets of each run of equal values in a sorted array."""
    return np.flatnonzero(np.r_[True, trip[1:] != trip[:-1]])


def _choose(gc: F, starts: Ints, n_trips: int, scale: float | None) -> tuple[F, F]:
    """(probability per candidate, expected cost per trip) from generalised costs."""
    best = np.minimum.reduceat(gc, starts)
    trip_of = np.repeat(np.arange(n_trips), np.diff(np.r_[starts, len(gc)]))
    if scale is None:
        is_best = gc <= best[trip_of]
        first = np.zeros(len(gc), dtype=bool)
        idx = np.flatnonzero(is_best)
        # the first best candidate of each trip
        seen = np.full(n_trips, -1, dtype=np.int64)
        seen[trip_of[idx[::-1]]] = idx[::-1]
        first[seen[seen >= 0]] = True
        return first.astype(np.float64), best
    z = np.exp(-scale * (gc - best[trip_of]))
    total = np.add.reduceat(z, starts)
    return z / total[trip_of], best - np.log(total) / scale


def evaluate(
    candidates: pd.DataFrame,
    trips: pd.DataFrame,
    products: Mapping[str, Mapping[str, float]],
    modes: Sequence[str],
    params: ChoiceParams,
) -> Evaluation:
    """Evaluate pay as you go and every product for the persons of ``trips``.

    ``candidates``: rows of `maasmix.pricing.demand.planning.plan_trips` for these trips
    (trips without a candidate count nothing); ``trips``: diary rows (``row``,
    ``person_id``, ``weight``, ``trips_per_month``); ``products``: name -> units
    included per mode (``math.inf`` unlimited); pay as you go is added as ``""``.
    """
    names = ("", *[p for p in products if p != ""])
    includes: dict[str, Mapping[str, float]] = {"": {}, **{p: products[p] for p in names[1:]}}
    person_codes, persons = pd.factorize(trips["person_id"], sort=False)
    n_people = len(persons)
    weight = np.zeros(n_people)
    weight[person_codes] = trips["weight"].to_numpy(dtype=float)
    row_person = pd.Series(person_codes, index=trips["row"].to_numpy())
    row_freq = pd.Series(trips["trips_per_month"].to_numpy(dtype=float), index=row_person.index)
    cands = candidates[candidates["row"].isin(row_person.index)].sort_values(["row", "cand"])
    cands = cands.reset_index(drop=True)
    rows = cands["row"].to_numpy(dtype=np.int64)
    person = row_person.reindex(rows).to_numpy(dtype=np.int64)
    freq = row_freq.reindex(rows).to_numpy(dtype=float)
    units = np.stack([cands[f"units:{m}"].to_numpy(dtype=float) for m in modes], axis=1)
    money = np.stack([cands[f"money:{m}"].to_numpy(dtype=float) for m in modes], axis=1)
    if not len(modes):
        units = units.reshape(len(cands), 0)
        money = money.reshape(len(cands), 0)
    base = params.vot_per_s * (
        cands["time_s"].to_numpy(dtype=float)
        + (params.walk_weight - 1.0) * cands["walk_s"].to_numpy(dtype=float)
        + (params.wait_weight - 1.0) * cands["wait_s"].to_numpy(dtype=float)
        + params.transfer_penalty_s * cands["transfers"].to_numpy(dtype=float)
    )
    other = cands["other_minor"].to_numpy(dtype=float)
    base = base + other
    co2e = cands["co2e_g"].to_numpy(dtype=float)
    main = pd.Categorical(cands["main"], categories=MAIN_MODES).codes.astype(np.int64)
    used = units > 0
    # persons grouped by the set of modes their itineraries use
    person_used = np.zeros((n_people, len(modes)), dtype=bool)
    if len(cands):
        np.logical_or.at(person_used, person, used)
    group_codes, group_keys = _row_groups(person_used)
    shape = (len(names), n_people)
    out_cost, out_spend, out_co2 = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    out_units = np.zeros((*shape, len(modes)))
    out_trips = np.zeros((*shape, len(MAIN_MODES)))
    chosen_at = np.zeros((len(names), len(cands)))
    evaluations = shared = 0
    for g, key in enumerate(group_keys):
        people = np.flatnonzero(group_codes == g)
        mask = np.isin(person, people)
        done: dict[tuple[float, ...], int] = {}
        for p, name in enumerate(names):
            levels = tuple(
                float(includes[name].get(m, 0.0)) if key[i] else 0.0 for i, m in enumerate(modes)
            )
            if levels in done:
                q = done[levels]
                for arr in (out_cost, out_spend, out_co2, out_units, out_trips):
                    arr[p, people] = arr[q, people]
                chosen_at[p, mask] = chosen_at[q, mask]
                shared += 1
                continue
            done[levels] = p
            evaluations += 1
            if not mask.any():
                continue
            prob, per_person = _evaluate_one(
                np.asarray(levels),
                base[mask],
                other[mask],
                money[mask],
                units[mask],
                rows[mask],
                person[mask],
                freq[mask],
                n_people,
                params.scale_per_minor,
            )
            cost_p, spend_p, u_p = per_person
            out_cost[p, people] = cost_p[people]
            out_spend[p, people] = spend_p[people]
            out_units[p, people] = u_p[people]
            w = prob * freq[mask]
            out_co2[p] += _bincount(person[mask], weights=w * co2e[mask], minlength=n_people)
            for k in range(len(MAIN_MODES)):
                sel = main[mask] == k
                out_trips[p, :, k] += _bincount(
                    person[mask][sel], weights=w[sel], minlength=n_people
                )
            chosen_at[p, mask] = prob
    chosen: dict[str, pd.DataFrame] = {}
    cand_ids = cands["cand"].to_numpy()
    for p, name in enumerate(names):
        taken = chosen_at[p] > MIN_SHARE
        chosen[name] = pd.DataFrame(
            {"row": rows[taken], "cand": cand_ids[taken], "share": chosen_at[p][taken]}
        )
    return Evaluation(
        persons=persons,
        weight=weight,
        products=names,
        modes=tuple(modes),
        cost=out_cost,
        spend=out_spend,
        co2e_g=out_co2,
        units=out_units,
        trips=out_trips,
        chosen=chosen,
        evaluations=evaluations,
        evaluations_shared=shared,
    )


def _row_groups(flags: npt.NDArray[np.bool_]) -> tuple[Ints, list[tuple[bool, ...]]]:
    """Group code per row of a boolean matrix, and each group's row as a tuple."""
    if flags.shape[1] == 0:
        return np.zeros(flags.shape[0], dtype=np.int64), [()]
    uniq, codes = np.unique(flags, axis=0, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), [tuple(bool(x) for x in r) for r in uniq]


def _first_argmin(gc: F, starts: Ints, trip_of: Ints) -> tuple[F, Ints]:
    """(minimum, index of its first candidate) per trip."""
    best = np.minimum.reduceat(gc, starts)
    idx = np.flatnonzero(gc <= best[trip_of])
    first = np.full(len(starts), -1, dtype=np.int64)
    first[trip_of[idx[::-1]]] = idx[::-1]
    return best, first


def _allocate(level: float, benefit: F, units: F, occurrences: F, trip_person: Ints) -> F:
    """Occurrences per month of each trip that use the allowance ``level`` of one mode:
    a fractional knapsack per person, the allowance going first to the trips where it
    saves the most per unit (``benefit`` per occurrence, ``units`` per occurrence)."""
    rate = np.where(units > 0, benefit / np.where(units > 0, units, 1.0), 0.0)
    wants = (units > 0) & (benefit > 0)
    order = np.lexsort((-rate, trip_person))
    need = np.where(wants, occurrences * units, 0.0)[order]
    cum = np.cumsum(need)
    person_sorted = trip_person[order]
    first = np.r_[True, person_sorted[1:] != person_sorted[:-1]]
    offset = np.maximum.accumulate(np.where(first, cum - need, 0.0))
    before = cum - need - offset
    left = np.maximum(level - before, 0.0)
    taken = np.zeros(len(units))
    u = units[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        taken[order] = np.where(
            wants[order], np.minimum(occurrences[order], left / np.where(u > 0, u, 1.0)), 0.0
        )
    return taken


def _evaluate_one(
    levels: F,
    base: F,
    other: F,
    money: F,
    units: F,
    rows: Ints,
    person: Ints,
    freq: F,
    n_people: int,
    scale: float | None,
) -> tuple[F, tuple[F, F, F]]:
    """Choice probabilities per candidate and (cost, spend, units) per person per month
    under one product's ``levels`` per mode (0: not included); ``base`` is the time part
    of the generalised cost plus ``other`` (money of ignored legs), minor units."""
    starts = _group_starts(rows)
    n_trips = len(starts)
    trip_of = np.repeat(np.arange(n_trips), np.diff(np.r_[starts, len(rows)]))
    trip_person = person[starts]
    trip_freq = freq[starts]
    finite = (levels > 0) & np.isfinite(levels)
    share = np.where(levels > 0, 1.0, 0.0)[None, :].repeat(n_people, axis=0)

    def usage(prob: F) -> F:
        used = np.zeros((n_people, len(levels)))
        np.add.at(used, person, (prob * freq)[:, None] * units)
        return used

    if scale is None and finite.any():
        return _allocated(
            levels,
            base,
            other,
            money,
            units,
            starts,
            trip_of,
            trip_person,
            trip_freq,
            person,
            freq,
            n_people,
            share,
        )

    def choose(share: F) -> tuple[F, F, F, F]:
        paid = (money * (1.0 - share[person])).sum(axis=1)
        prob, expected = _choose(base + paid, starts, n_trips, scale)
        return paid, prob, expected, usage(prob)

    paid, prob, expected, used = choose(share)
    for iteration in range(MAX_ITERATIONS if finite.any() else 0):
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.where(used > levels[None, :], levels[None, :] / used, 1.0)
        target = np.where(finite[None, :], target, share)
        step = target - share
        if np.abs(step).max(initial=0.0) <= 1e-9:
            break
        share = share + (step if iteration == 0 else 0.5 * step)
        paid, prob, expected, used = choose(share)
    cost = _bincount(trip_person, weights=trip_freq * expected, minlength=n_people)
    spend = _bincount(person, weights=prob * freq * (paid + other), minlength=n_people)
    return prob, (cost, spend, used)


#: Rounds over the finite allowances of a product (one round is exact for one allowance).
ALLOCATION_ROUNDS = 3


def _allocated(
    levels: F,
    base: F,
    other: F,
    money: F,
    units: F,
    starts: Ints,
    trip_of: Ints,
    trip_person: Ints,
    trip_freq: F,
    person: Ints,
    freq: F,
    n_people: int,
    share: F,
) -> tuple[F, tuple[F, F, F]]:
    """Cheapest itineraries when finite allowances are shared by a person's trips.

    For one allowance: each trip's best itinerary with the mode free and with it paid;
    the allowance covers whole occurrences (a fraction at the boundary) of the trips where
    it saves the most per unit (`_allocate`); the rest take the paid choice. Several
    allowances are allocated in turn, ``ALLOCATION_ROUNDS`` times, each with the others'
    covered shares of the previous turn.
    """
    finite = np.flatnonzero((levels > 0) & np.isfinite(levels))
    result: tuple[F, F, F, F] | None = None
    for _ in range(ALLOCATION_ROUNDS if len(finite) > 1 else 1):
        for m in finite:
            keep = np.ones(len(levels), dtype=bool)
            keep[m] = False
            paid_other = (money[:, keep] * (1.0 - share[person][:, keep])).sum(axis=1)
            gc_free = base + paid_other
            gc_paid = gc_free + money[:, m]
            best_paid, i_paid = _first_argmin(gc_paid, starts, trip_of)
            best_free, i_free = _first_argmin(gc_free, starts, trip_of)
            u_free = units[i_free, m]
            taken = _allocate(
                float(levels[m]), best_paid - best_free, u_free, trip_freq, trip_person
            )
            f = np.where(trip_freq > 0, taken / np.where(trip_freq > 0, trip_freq, 1.0), 0.0)
            prob = np.zeros(len(base))
            np.add.at(prob, i_free, f)
            np.add.at(prob, i_paid, 1.0 - f)
            expected = f * best_free + (1.0 - f) * best_paid
            spend_trip = (
                f * (paid_other + other)[i_free]
                + (1.0 - f) * (paid_other + other + money[:, m])[i_paid]
            )
            used = np.zeros((n_people, len(levels)))
            np.add.at(used, person, (prob * freq)[:, None] * units)
            covered = _bincount(trip_person, weights=taken * u_free, minlength=n_people)
            with np.errstate(divide="ignore", invalid="ignore"):
                share[:, m] = np.where(used[:, m] > 0, covered / used[:, m], 1.0)
            result = (prob, expected, spend_trip, used)
    assert result is not None
    prob, expected, spend_trip, used = result
    cost = _bincount(trip_person, weights=trip_freq * expected, minlength=n_people)
    spend = _bincount(trip_person, weights=trip_freq * spend_trip, minlength=n_people)
    return prob, (cost, spend, used)


def params_from(
    value_of_time_per_hour: float,
    walk_weight: float,
    wait_weight: float,
    transfer_penalty_min: float,
    scale_per_major: float | None,
    per_major: int,
) -> ChoiceParams:
    """`ChoiceParams` in minor units from the scenario's figures in major units."""
    return ChoiceParams(
        vot_per_s=value_of_time_per_hour * per_major / 3600.0,
        walk_weight=walk_weight,
        wait_weight=wait_weight,
        transfer_penalty_s=transfer_penalty_min * 60.0,
        scale_per_minor=None if scale_per_major is None else scale_per_major / per_major,
    )
