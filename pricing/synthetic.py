"""Synthetic scenarios of any size, for benchmarks and scaling studies.

`synthetic_scenario` draws segments around the demo city's figures (Helsinki-like
tariffs, see pricing/examples/demo_city.yaml) with a seeded generator, and generates
candidate bundles as the product of transit {0, unlimited} x bike minutes x scooter
minutes x taxi rides, keeping the first ``n_bundles`` of that product.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from maasmix.pricing.scenario import Scenario, validate_scenario

_MODES: dict[str, dict[str, Any]] = {
    "transit": {
        "operator": "HSL",
        "unit": "trip",
        "payg": 2.95,
        "wholesale": 1.50,
        "marginal_cost": 0.40,
    },
    "bike": {
        "operator": "City Bikes",
        "unit": "minute",
        "payg": 0.07,
        "wholesale": 0.04,
        "marginal_cost": 0.02,
    },
    "scooter": {
        "operator": "Scooters",
        "unit": "minute",
        "payg": 0.30,
        "wholesale": 0.20,
        "marginal_cost": 0.12,
    },
    "taxi": {
        "operator": "Taxi Helsinki",
        "unit": "ride",
        "payg": 20.0,
        "wholesale": 15.0,
        "marginal_cost": 11.0,
    },
}
_LEVELS: dict[str, list[Any]] = {
    "transit": [0, "unlimited"],
    "bike": [0, 60, 300, "unlimited"],
    "scooter": [0, 30, 60, 120],
    "taxi": [0, 2, 5],
}


def synthetic_scenario(
    n_segments: int = 8,
    n_bundles: int = 31,
    n_levels: int = 25,
    menu_size: int = 3,
    *,
    classes_per_segment: int = 1,
    seed: int = 1,
    operator_floor: str = "none",
) -> Scenario:
    """A scenario with the given numbers of segments, candidate bundles and price levels.

    Prices run from EUR 10 to about EUR 130 in ``n_levels`` equal steps. Bundles come from the
    product of inclusion levels (up to 143 non-empty ones).
    """
    rng = np.random.default_rng(seed)
    step = round(120.0 / max(1, n_levels - 1), 2)
    combos = [
        dict(zip(_LEVELS, c, strict=True))
        for c in itertools.product(*_LEVELS.values())
        if any(v != 0 for v in c)
    ]
    if n_bundles > len(combos):
        raise ValueError(f"at most {len(combos)} synthetic bundles")
    # transit-first order: the first 31 are transit x bike x scooter without taxi
    combos.sort(key=lambda c: (c["taxi"] != 0, str(c)))
    listed = [
        {
            "name": "+".join(f"{m}:{v}" for m, v in c.items() if v != 0),
            "includes": {m: v for m, v in c.items() if v != 0},
        }
        for c in combos[:n_bundles]
    ]
    segments: dict[str, Any] = {}
    for s in range(n_segments):
        transit = float(rng.uniform(10, 50))
        bike = float(rng.uniform(0, 200))
        scooter = float(rng.uniform(0, 60))
        taxi = float(rng.uniform(0, 3))
        beta = round(float(rng.uniform(0.03, 0.10)), 4)
        seg: dict[str, Any] = {
            "size": float(rng.integers(2_000, 40_000)),
            "usage": {
                "transit": {"payg": round(transit, 1), "bundle": round(transit * 1.15, 1)},
                "bike": {"payg": round(bike, 1), "bundle": round(bike * 1.6, 1)},
                "scooter": {"payg": round(scooter, 1), "bundle": round(scooter * 1.4, 1)},
                "taxi": {"payg": round(taxi, 2), "bundle": round(taxi * 1.3, 2)},
            },
            "choice": {
                "price_sensitivity": beta,
                "asc": round(float(rng.uniform(-2.0, 0.0)), 3),
                # willingness to pay for an included unit: 40-90 % of its PAYG price
                "taste": {
                    m: round(beta * _MODES[m]["payg"] * float(rng.uniform(0.4, 0.9)), 5)
                    for m in _MODES
                },
                "offers": {"hsl_30_day": round(float(rng.uniform(-2.5, 0.5)), 3)},
            },
        }
        if classes_per_segment > 1:
            w = 1.0 / classes_per_segment
            seg["classes"] = [
                {
                    "name": f"c{c + 1}",
                    "weight": w,
                    "price_sensitivity": round(
                        seg["choice"]["price_sensitivity"]
                        * (0.6 + 0.8 * c / max(1, classes_per_segment - 1)),
                        4,
                    ),
                }
                for c in range(classes_per_segment)
            ]
            seg["classes"][-1]["weight"] = 1.0 - w * (classes_per_segment - 1)
        segments[f"segment{s + 1}"] = seg
    data = {
        "name": f"synthetic {n_segments}x{n_bundles}x{n_levels} K={menu_size}",
        "currency": "EUR",
        "modes": _MODES,
        "segments": segments,
        "offers": {
            "hsl_30_day": {"price": 66.60, "operator": "HSL", "includes": {"transit": "unlimited"}}
        },
        "candidates": {
            "prices": {"min": 10, "max": 10 + step * (n_levels - 1), "step": step},
            "listed": listed,
        },
        "policy": {"menu_size": menu_size, "price_ladder": True, "operator_floor": operator_floor},
    }
    return validate_scenario(data)
