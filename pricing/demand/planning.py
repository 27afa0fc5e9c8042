"""Plan the trips of a diary once: every trip's itineraries, described by what a choice needs.

A bundle does not change where vehicles go, only what legs cost, so each trip is planned
once (`maasmix.engine.network.Network.plan`, pay-as-you-go prices) and every bundle is
evaluated on the same itineraries afterwards (`maasmix.pricing.demand.choice`): planning
31 bundles costs one plan per trip, not 32.

`plan_trips` returns one row per (trip, itinerary), the **candidates** table:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
``row``            the trip's diary row (``Diary.trips.row``)
``cand``           itinerary number within the trip (0, 1, ...)
``combination``    the planner's mode combination (``WALK+TRANSIT+WALK``, ``CAR``)
``main``           the trip's main mode: ``car``, ``transit``, a ``*_rental`` kind,
                   ``bicycle`` or ``walk`` (first of these the itinerary uses)
``time_s``         door-to-door seconds from the requested departure (to the requested
                   arrival for arrive-by), waiting included
``walk_s``         seconds walking
``wait_s``         seconds waiting (``time_s`` minus the legs' durations)
``transfers``      transit transfers
``co2e_g``         grams CO2e of the itinerary
``other_minor``    pay-as-you-go money of ignored legs and of the car (minor units)
``units:<mode>``   units of each scenario mode (`maasmix.pricing.demand.leg_mapping`)
``money:<mode>``   pay-as-you-go money of the legs counted as the mode (minor units):
                   the feed's fares and GBFS plans; the scenario's ``payg`` rate per unit
                   when the feed prices none of them (``fallback`` says so)
``fallback``       whether a scenario rate stood in for an unpriced leg
=================  ==========================================================================

Trips of a chunk that ask the same query (same points, time, direction, own vehicles
and rider category; diaries geocoded to zone centroids have many) are planned once.

Own vehicles are alternatives only where the diary says the traveller has one: the own
bike (``BICYCLE``) for trips whose ``mode_today`` is ``bicycle``, the car
(`maasmix.pricing.scenario.CarOption`) for ``car``. Trips for which the planner finds no
itinerary (and that have no car) get no row; their rows are returned apart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from maasmix.engine.itinerary import Journey
from maasmix.engine.network import Network
from maasmix.engine.plan_money import ItineraryMoney
from maasmix.engine.planner import parse_modes
from maasmix.errors import DiaryError, QueryError, ScenarioError
from maasmix.geodesy import haversine_m
from maasmix.money import rate_to_minor, to_minor
from maasmix.pricing.demand.leg_mapping import LegMapping, describe_leg, leg_mapping, leg_type
from maasmix.pricing.scenario import CarOption, Scenario

__all__ = ["PlanSpec", "candidate_columns", "plan_spec", "plan_trips"]

_MAIN_ORDER = (
    "car",
    "transit",
    "car_rental",
    "moped_rental",
    "scooter_rental",
    "bicycle_rental",
    "bicycle",
    "walk",
)


@dataclass(frozen=True)
class PlanSpec:
    """Everything planning a chunk of trips needs besides the network (picklable).

    ``rates_minor``: the scenario's pay-as-you-go rate per unit of each mode (minor
    units), used for legs the feeds do not price.
    """

    mapping: LegMapping
    currency: str
    rates_minor: dict[str, float]
    modes: tuple[str, ...]
    car: CarOption | None
    car_g_per_km: float
    assume_available: bool
    num_itineraries: int
    diary_file: str


def plan_spec(scenario: Scenario, network: Network, diary_file: str) -> PlanSpec:
    """The `PlanSpec` of a scenario with a ``planning`` block, on ``network``.

    Raises
    ------
    ScenarioError
        No ``planning`` block.
    """
    planning = scenario.planning
    if planning is None:
        raise ScenarioError("diary segments need a 'planning' block", field="planning")
    factors = network.emission_factors.factors
    car_g = factors.get(("car", "any"), factors.get(("car", "combustion"), 0.0))
    return PlanSpec(
        mapping=leg_mapping(scenario),
        currency=scenario.currency,
        rates_minor={
            m: rate_to_minor(spec.payg, scenario.currency) for m, spec in scenario.modes.items()
        },
        modes=parse_modes(planning.modes),
        car=planning.car,
        car_g_per_km=float(car_g),
        assume_available=planning.assume_available,
        num_itineraries=planning.num_itineraries,
        diary_file=diary_file,
    )


def candidate_columns(modes: Sequence[str]) -> list[str]:
    """The candidates table's columns, in order (see the module docstring)."""
    fixed = ["row", "cand", "combination", "main", "time_s", "walk_s", "wait_s"]
    fixed += ["transfers", "co2e_g", "other_minor"]
    return fixed + [f"units:{m}" for m in modes] + [f"money:{m}" for m in modes] + ["fallback"]


def _main(kinds: set[str]) -> str:
    for kind in _MAIN_ORDER:
        if kind in kinds:
            return kind
    return "walk"


def _describe(
    spec: PlanSpec, row: int, journey: Journey, money: ItineraryMoney, time_s: int, arrive_by: bool
) -> dict[str, object]:
    """One candidate row from a planned itinerary."""
    mapping = spec.mapping
    by_mode: dict[str, list[int]] = defaultdict(list)
    kinds: set[str] = set()
    other = 0.0
    for i, leg in enumerate(journey.legs):
        kinds.add(leg_type(leg))
        try:
            mode = mapping.mode_of(leg)
        except KeyError:
            raise DiaryError(
                f"the trip rides a {describe_leg(leg)} that planning.legs neither maps to a "
                "mode nor ignores",
                file=spec.diary_file,
                row=row,
                field="planning.legs",
            ) from None
        if mode is None:
            other += _amount(spec, money, i, row)
        else:
            by_mode[mode].append(i)
    out: dict[str, object] = {}
    fallback = False
    for mode in mapping.modes:
        idx = by_mode.get(mode, [])
        legs = [journey.legs[i] for i in idx]
        units = mapping.count(mode, legs)
        if idx and not all(money.legs[i].priced for i in idx):
            cost = spec.rates_minor[mode] * units
            fallback = True
        else:
            cost = sum(_amount(spec, money, i, row) for i in idx)
        out[f"units:{mode}"] = units
        out[f"money:{mode}"] = float(cost)
    total = (time_s - journey.departure_s) if arrive_by else (journey.arrival_s - time_s)
    total = max(int(total), journey.arrival_s - journey.departure_s)
    moving = sum(leg.duration_s for leg in journey.legs)
    return {
        "row": row,
        "combination": journey.combination,
        "main": _main(kinds),
        "time_s": float(total),
        "walk_s": float(journey.walk_s),
        "wait_s": float(max(total - moving, 0)),
        "transfers": journey.transfers,
        "co2e_g": float(money.co2e_g),
        "other_minor": other,
        **out,
        "fallback": fallback,
    }


def _amount(spec: PlanSpec, money: ItineraryMoney, leg: int, row: int) -> float:
    """Minor units charged at one leg, in the scenario's currency."""
    total = 0.0
    for m in money.legs[leg].price:
        if m.currency != spec.currency:
            raise DiaryError(
                f"the trip's fare is in {m.currency}, the scenario's money in {spec.currency}",
                file=spec.diary_file,
                row=row,
            )
        total += m.amount_minor
    return total


def _car(
    spec: PlanSpec, row: int, o: tuple[float, float], d: tuple[float, float]
) -> dict[str, object]:
    """The own-car candidate of a trip (see `maasmix.pricing.scenario.CarOption`)."""
    car = spec.car
    assert car is not None
    km = float(haversine_m(o[0], o[1], d[0], d[1])) * car.detour / 1000.0
    time_s = km / car.speed_kmh * 3600.0 + car.access_min * 60.0
    cost = car.cost_per_km * km + car.parking
    rule = spec.mapping.rule_for("car")
    mode = None if rule is None else spec.mapping.rules[rule].mode
    out: dict[str, object] = {}
    other = float(to_minor(cost, spec.currency))
    for m in spec.mapping.modes:
        unit = spec.mapping.units_of(m)
        units = 0.0
        if m == mode:
            per_unit: dict[str, float] = {"trip": 1.0, "ride": 1.0, "minute": time_s / 60.0}
            units = per_unit.get(unit, km)
        out[f"units:{m}"] = units
        out[f"money:{m}"] = other if m == mode else 0.0
    return {
        "row": row,
        "combination": "CAR",
        "main": "car",
        "time_s": time_s,
        "walk_s": car.access_min * 60.0,
        "wait_s": 0.0,
        "transfers": 0,
        "co2e_g": km * spec.car_g_per_km,
        "other_minor": 0.0 if mode is not None else other,
        **out,
        "fallback": False,
    }


def plan_trips(
    network: Network, trips: pd.DataFrame, spec: PlanSpec
) -> tuple[pd.DataFrame, list[int]]:
    """Plan every trip of ``trips`` (`maasmix.feeds.diaries` columns) on ``network``.

    Returns the candidates table (module docstring) and the rows of trips with no
    itinerary at all.

    Raises
    ------
    DiaryError
        A trip the planner refuses (a coordinate outside the network, an unknown rider
        category: the row and the column named), or a leg no rule maps.
    """
    records: list[dict[str, object]] = []
    unplanned: list[int] = []
    midnight = dt.datetime.combine(network.date, dt.time())
    cols = ["row", "origin_lat", "origin_lon", "destination_lat", "destination_lon", "time_s"]
    cols += ["arrive_by", "mode_today", "rider_category"]
    without_bike = tuple(m for m in spec.modes if m != "BICYCLE") or spec.modes
    planned: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for values in trips[cols].itertuples(index=False, name=None):
        row, olat, olon, dlat, dlon, time_s, arrive_by, mode_today, rider = values
        o, d = (float(olat), float(olon)), (float(dlat), float(dlon))
        when = midnight + dt.timedelta(seconds=int(time_s))
        modes = spec.modes if mode_today == "bicycle" else without_bike
        key = (o, d, int(time_s), bool(arrive_by), modes, rider, mode_today == "car")
        same = planned.get(key)
        if same is not None:  # an identical query (e.g. zone centroids): copy its rows
            copies = [{**rec, "row": int(row)} for rec in same]
            records.extend(copies)
            if not copies:
                unplanned.append(int(row))
            continue
        try:
            plan = network.plan(
                o,
                d,
                when,
                arrive_by=bool(arrive_by),
                modes=modes,
                rider_category=rider,
                money=False,
                num_itineraries=spec.num_itineraries,
                assume_available=spec.assume_available,
            )
        except QueryError as exc:
            field = {"from": "origin_lat", "to": "destination_lat"}.get(
                exc.parameter or "", "rider_category" if rider is not None else None
            )
            raise DiaryError(
                f"the trip cannot be planned: {exc.args[0]}",
                file=spec.diary_file,
                row=int(row),
                field=field,
            ) from None
        n = len(records)
        for journey, money in zip(plan.itineraries, plan.money, strict=True):
            rec = _describe(spec, int(row), journey, money, int(time_s), bool(arrive_by))
            rec["cand"] = len(records) - n
            records.append(rec)
        if spec.car is not None and mode_today == "car":
            rec = _car(spec, int(row), o, d)
            rec["cand"] = len(records) - n
            records.append(rec)
        if len(records) == n:
            unplanned.append(int(row))
        planned[key] = records[n:]
    columns = candidate_columns(spec.mapping.modes)
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame = frame.astype({"row": np.int64, "cand": np.int16, "transfers": np.int16})
    return frame, unplanned
