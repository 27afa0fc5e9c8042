"""Emissions per leg and per itinerary: distance x a factor in g CO2e per passenger-km.

The factors come from `maasmix.feeds.emission_factors.load_emission_factors` (defaults:
UK DESNZ greenhouse gas conversion factors 2025, cited row by row in
``maasmix/emission_factors.yaml``; overridable by a file). A leg's factor is chosen by
its mode and propulsion:

=========================  ==========================================================
leg                        factor row (mode, propulsion)
=========================  ==========================================================
WALK                       (walk, human)
BICYCLE, own               (bicycle, human)
rented vehicle             (bicycle | scooter | moped | car, the vehicle type's
                           GBFS propulsion); cargo bikes count as bicycles, seated and
                           standing scooters as scooters
BUS, TROLLEYBUS            (bus, any)
COACH                      (coach, any)
TRAM, MONORAIL, CABLE_CAR, (tram, any): electric light rail is the closest published
GONDOLA, FUNICULAR         factor
SUBWAY                     (metro, any)
RAIL                       (rail, any)
FERRY                      (ferry, any)
CAR                        (car, any)
=========================  ==========================================================

A (mode, propulsion) pair without a row falls back to (mode, any); a leg whose mode has
no row at all raises `QueryError` naming the mode. Distances are the leg's
``distance_m`` when known, else the sum of its geometry's great-circle segments, else
the crow-fly distance from its start to its end. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from maasmix.engine.itinerary import Journey, Leg
from maasmix.errors import QueryError
from maasmix.feeds.emission_factors import EmissionFactors
from maasmix.geodesy import haversine_m

__all__ = ["LegEmission", "journey_emissions", "leg_distance_m", "leg_emission", "leg_factor_key"]

_TRANSIT = {
    "BUS": "bus",
    "TROLLEYBUS": "bus",
    "COACH": "coach",
    "TRAM": "tram",
    "MONORAIL": "tram",
    "CABLE_CAR": "tram",
    "GONDOLA": "tram",
    "FUNICULAR": "tram",
    "SUBWAY": "metro",
    "RAIL": "rail",
    "FERRY": "ferry",
    "CAR": "car",
    "WALK": "walk",
    "BICYCLE": "bicycle",
    "SCOOTER": "scooter",
    "MOPED": "moped",
}
_FORM_FACTORS = {
    "bicycle": "bicycle",
    "cargo_bicycle": "bicycle",
    "scooter": "scooter",
    "scooter_standing": "scooter",
    "scooter_seated": "scooter",
    "moped": "moped",
    "car": "car",
}


@dataclass(frozen=True)
class LegEmission:
    """``grams`` CO2e of one leg = ``distance_m`` / 1000 x ``g_per_pkm``; ``key`` the row used."""

    leg: int
    distance_m: float
    g_per_pkm: float
    grams: float
    key: tuple[str, str]


def leg_factor_key(leg: Leg) -> tuple[str, str]:
    """The (mode, propulsion) a leg is looked up by (see the module table)."""
    if leg.rental is not None:
        mode = _FORM_FACTORS.get(leg.rental.form_factor, leg.rental.form_factor)
        return mode, leg.rental.propulsion_type or "any"
    street_or_transit = _TRANSIT.get(leg.mode)
    if street_or_transit is None:
        return leg.mode.lower(), "any"
    if street_or_transit in ("walk", "bicycle"):
        return street_or_transit, "human"
    return street_or_transit, "any"


def leg_distance_m(leg: Leg) -> float:
    """Metres: ``distance_m``, else along the geometry, else crow-fly start to end."""
    if leg.distance_m is not None:
        return float(leg.distance_m)
    if len(leg.geometry) >= 2:
        pts = np.asarray(leg.geometry, dtype=np.float64)
        return float(np.sum(haversine_m(pts[:-1, 1], pts[:-1, 0], pts[1:, 1], pts[1:, 0])))
    return float(haversine_m(leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon))


def _factor(factors: EmissionFactors, key: tuple[str, str]) -> tuple[tuple[str, str], float]:
    table = factors.factors
    if key in table:
        return key, table[key]
    fallback = (key[0], "any")
    if fallback in table:
        return fallback, table[fallback]
    known = sorted({m for m, _ in table})
    raise QueryError(
        f"no emission factor for mode {key[0]!r} (propulsion {key[1]!r}); factors exist for: "
        + ", ".join(known),
        parameter="mode",
    )


def leg_emission(factors: EmissionFactors, leg: Leg, index: int = 0) -> LegEmission:
    """Grams CO2e of one leg (see the module docstring for the factor and distance)."""
    key, g = _factor(factors, leg_factor_key(leg))
    distance = leg_distance_m(leg)
    return LegEmission(index, distance, g, distance / 1000.0 * g, key)


def journey_emissions(
    factors: EmissionFactors, legs: Journey | Sequence[Leg]
) -> tuple[tuple[LegEmission, ...], float]:
    """(per-leg emissions in leg order, total grams CO2e) of a journey or a list of legs."""
    items = legs.legs if isinstance(legs, Journey) else tuple(legs)
    per_leg = tuple(leg_emission(factors, leg, i) for i, leg in enumerate(items))
    return per_leg, float(sum(e.grams for e in per_leg))
