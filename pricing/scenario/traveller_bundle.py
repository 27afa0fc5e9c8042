"""A traveller's bundle taken from a pricing scenario: scenario bundle -> `TravellerBundle`.

``load_traveller_bundle("demo_city.yaml", "Urban (Whim-like)")`` reads the scenario
(`maasmix.pricing.scenario.load_scenario`), finds the candidate bundle (listed or
generated, by the names `maasmix.pricing.scenario.candidates.candidate_bundles` gives) or the
always-available offer of that name, and translates what it ``includes`` into the
inline description `maasmix.engine.bundle_prices.TravellerBundle`:

=====================  =============================================================
scenario mode           becomes
=====================  =============================================================
transit, unlimited      unlimited transit on every network
transit, N trips/rides  N transit rides this month
bike/scooter/moped/car  unit ``minute``: N minutes (or unlimited) of that rental kind;
                        unit ``trip``/``ride``: N rides; ``unlimited`` any unit: every
                        ride covered
=====================  =============================================================

A scenario mode is matched to a kind by its name: names containing ``transit``,
``bus``, ``tram``, ``metro``, ``rail``, ``train`` or ``subway`` are transit; ``bike``,
``bicycle``, ``cycle`` bicycles; ``scooter`` scooters; ``moped`` mopeds; ``car``
(``carshare``, ``car_sharing``) cars. Other modes (``taxi``, ...) price no planned leg
and are listed in `ScenarioBundle.unmatched`, as are ``km`` and ``day`` allowances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from maasmix.engine.bundle_prices import TravellerBundle
from maasmix.errors import QueryError
from maasmix.pricing.scenario import Scenario, load_scenario
from maasmix.pricing.scenario.candidates import candidate_bundles, level_value

__all__ = ["ScenarioBundle", "bundle_from_scenario", "load_traveller_bundle", "mode_kind"]

_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("transit", ("transit", "bus", "tram", "metro", "rail", "train", "subway")),
    ("scooter", ("scooter",)),
    ("moped", ("moped",)),
    ("bicycle", ("bike", "bicycle", "cycle")),
    ("car", ("car",)),
)


@dataclass(frozen=True)
class ScenarioBundle:
    """The translated bundle, its monthly price grid (minor units) and what was not used."""

    bundle: TravellerBundle
    scenario: str
    currency: str
    prices_minor: tuple[int, ...]
    unmatched: tuple[str, ...]


def mode_kind(mode: str) -> str | None:
    """The bundle kind of a scenario mode name (None: it prices no planned leg)."""
    name = mode.lower()
    for kind, words in _KIND_WORDS:
        if any(w in name for w in words):
            return kind
    return None


def bundle_from_scenario(scenario: Scenario, name: str) -> ScenarioBundle:
    """The candidate bundle or offer ``name`` of ``scenario`` as a `TravellerBundle`.

    Raises
    ------
    QueryError
        (parameter ``bundle``) no candidate bundle or offer has that name; the message
        lists the known names.
    """
    includes: dict[str, float] | None = None
    prices: tuple[int, ...] = ()
    for candidate in candidate_bundles(scenario):
        if candidate.name == name:
            includes, prices = dict(candidate.includes), tuple(candidate.prices)
            break
    if includes is None and name in scenario.offers:
        includes = {m: level_value(v) for m, v in scenario.offers[name].includes.items()}
    if includes is None:
        known = [b.name for b in candidate_bundles(scenario)] + list(scenario.offers)
        shown = ", ".join(repr(k) for k in known[:20]) + (", ..." if len(known) > 20 else "")
        raise QueryError(
            f"scenario {scenario.name!r} has no bundle named {name!r} (bundles: {shown})",
            parameter="bundle",
        )
    transit_all = False
    minutes: dict[str, float] = {}
    rides: dict[str, float] = {}
    unmatched: list[str] = []
    for mode, level in includes.items():
        if level <= 0:
            continue
        kind = mode_kind(mode)
        unit = scenario.modes[mode].unit
        if kind is None:
            unmatched.append(f"{mode}: no planned leg is a {mode}")
        elif kind == "transit":
            if math.isinf(level):
                transit_all = True
            elif unit in ("trip", "ride"):
                rides["transit"] = level
            else:
                unmatched.append(f"{mode}: a transit allowance in {unit}s")
        elif math.isinf(level):
            rides[kind] = math.inf
        elif unit == "minute":
            minutes[kind] = level
        elif unit in ("trip", "ride"):
            rides[kind] = level
        else:
            unmatched.append(f"{mode}: an allowance in {unit}s")
    bundle = TravellerBundle(
        name=name, transit_all=transit_all, minutes_left=minutes, rides_left=rides
    )
    return ScenarioBundle(bundle, scenario.name, scenario.currency, prices, tuple(unmatched))


def load_traveller_bundle(path: str | Path, name: str) -> ScenarioBundle:
    """`bundle_from_scenario` on the scenario file ``path``.

    Raises
    ------
    ScenarioError
        The file is missing or fails validation (file, line and field named).
    QueryError
        No bundle of that name.
    """
    return bundle_from_scenario(load_scenario(path), name)
