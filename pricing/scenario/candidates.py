"""Candidate bundles: listed and generated (product of inclusion levels), price grids, ladder.

A `Bundle` includes a number of units per month of some modes (``math.inf`` for
unlimited) and has an ascending grid of monthly prices in integer minor units (cents).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from maasmix.errors import ScenarioError
from maasmix.money import to_minor
from maasmix.pricing.scenario import Candidates, Level, PriceGrid, Scenario


@dataclass(frozen=True)
class Bundle:
    """A candidate bundle.

    Attributes
    ----------
    name : str
        Unique name, e.g. ``"transit:unlimited+bike:60"`` for generated bundles.
    includes : Mapping[str, float]
        Units per month included per mode (only modes with a positive level;
        ``math.inf`` = unlimited).
    prices : tuple[int, ...]
        Monthly prices to choose from, minor units, strictly ascending.
    """

    name: str
    includes: Mapping[str, float]
    prices: tuple[int, ...] = field(default=())

    def level(self, mode: str) -> float:
        """Units of ``mode`` included per month (0 when not included)."""
        return self.includes.get(mode, 0.0)

    def dominates(self, other: Bundle) -> bool:
        """True when this bundle includes at least as much of every mode and more of one."""
        modes = set(self.includes) | set(other.includes)
        at_least = all(self.level(m) >= other.level(m) for m in modes)
        return at_least and any(self.level(m) > other.level(m) for m in modes)


def level_value(level: Level) -> float:
    """A scenario inclusion level as a float (``'unlimited'`` -> ``math.inf``)."""
    return math.inf if level == "unlimited" else float(level)


def level_label(value: float) -> str:
    """The inverse of `level_value` for names: ``inf`` -> ``'unlimited'``, 60.0 -> ``'60'``."""
    if math.isinf(value):
        return "unlimited"
    return f"{value:g}"


def price_grid(grid: PriceGrid, currency: str) -> tuple[int, ...]:
    """Monthly prices min, min + step, ..., <= max, in minor units."""
    try:
        low, high, step = (to_minor(v, currency) for v in (grid.min, grid.max, grid.step))
    except ValueError as exc:
        raise ScenarioError(f"price grid: {exc}", field="prices") from None
    if step <= 0:
        raise ScenarioError("price grid step is below one minor unit", field="step")
    return tuple(range(low, high + 1, step))


def _includes(levels: Mapping[str, Level]) -> dict[str, float]:
    return {m: v for m, lv in levels.items() if (v := level_value(lv)) > 0}


def candidate_bundles(scenario: Scenario) -> list[Bundle]:
    """All candidate bundles of a scenario: the listed ones, then the generated ones.

    Generated bundles are the product of the inclusion levels per mode (modes in the
    order written), named ``mode:level+mode:level`` over the included modes. A generated
    bundle identical in content to a listed one is skipped.
    """
    cands: Candidates = scenario.candidates
    cur = scenario.currency
    out: list[Bundle] = []
    seen: set[frozenset[tuple[str, float]]] = set()
    for spec in cands.listed:
        grid = spec.prices or cands.prices
        assert grid is not None  # checked by scenario validation
        inc = _includes(spec.includes)
        out.append(Bundle(spec.name, inc, price_grid(grid, cur)))
        seen.add(frozenset(inc.items()))
    gen = cands.generate
    if gen is not None:
        grid = gen.prices or cands.prices
        assert grid is not None
        prices = price_grid(grid, cur)
        modes = list(gen.levels)
        for combo in itertools.product(*(gen.levels[m] for m in modes)):
            inc = _includes(dict(zip(modes, combo, strict=True)))
            key = frozenset(inc.items())
            if (not inc and gen.skip_empty) or key in seen:
                continue
            seen.add(key)
            name = "+".join(f"{m}:{level_label(v)}" for m, v in inc.items()) or "empty"
            out.append(Bundle(name, inc, prices))
    names = [b.name for b in out]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ScenarioError(f"two candidate bundles are named {dup!r}", field="candidates")
    return out


def ladder_pairs(bundles: list[Bundle]) -> list[tuple[int, int]]:
    """Index pairs ``(hi, lo)`` where bundle ``hi`` includes more than bundle ``lo``.

    The price ladder requires price(hi) >= price(lo) whenever both are offered.
    """
    return [
        (i, j)
        for i, hi in enumerate(bundles)
        for j, lo in enumerate(bundles)
        if i != j and hi.dominates(lo)
    ]
