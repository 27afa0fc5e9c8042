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


_CITY_MODES: dict[str, dict[str, Any]] = {
    "transit_zone": {
        "operator": "HSL",
        "unit": "trip",
        "payg": 2.95,
        "wholesale": 1.50,
        "marginal_cost": 0.40,
    },
    "transit_region": {
        "operator": "HSL",
        "unit": "trip",
        "payg": 4.10,
        "wholesale": 2.10,
        "marginal_cost": 0.55,
    },
    **{m: v for m, v in _MODES.items() if m != "transit"},
}


def city_scale_scenario(
    n_segments: int = 8,
    classes_per_segment: int = 3,
    n_levels: int = 25,
    menu_size: int = 4,
    *,
    seed: int = 1,
) -> Scenario:
    """The generated candidate set of a real operator: transit {none, zone, all} x bike
    {0, 60, 300, unlimited} minutes x scooter {0, 30, 100} minutes x taxi {0, 2, 5} rides
    (108 combinations, 107 bundles without the empty one), latent classes of price
    sensitivity, prices EUR 10 to 250 in ``n_levels`` steps.

    "zone" includes the home-zone trips (mode ``transit_zone``), "all" also the regional
    ones (``transit_region``). The default case (24 classes x 2,675 priced bundles) is
    larger than the default scenario limits; they are raised for it.
    """
    rng = np.random.default_rng(seed)
    segments: dict[str, Any] = {}
    for s in range(n_segments):
        zone = float(rng.uniform(8, 45))
        region = float(rng.uniform(0, 15))
        bike = float(rng.uniform(0, 250))
        scooter = float(rng.uniform(0, 80))
        taxi = float(rng.uniform(0, 4))
        beta = round(float(rng.uniform(0.025, 0.09)), 4)
        usage = {
            "transit_zone": (zone, 1.15),
            "transit_region": (region, 1.2),
            "bike": (bike, 1.6),
            "scooter": (scooter, 1.4),
            "taxi": (taxi, 1.3),
        }
        seg: dict[str, Any] = {
            "size": float(rng.integers(2_000, 40_000)),
            "usage": {
                m: {"payg": round(u, 2), "bundle": round(u * f, 2)} for m, (u, f) in usage.items()
            },
            "choice": {
                "price_sensitivity": beta,
                "asc": round(float(rng.uniform(-2.0, 0.0)), 3),
                "taste": {
                    m: round(beta * _CITY_MODES[m]["payg"] * float(rng.uniform(0.4, 0.9)), 5)
                    for m in _CITY_MODES
                },
                "offers": {"hsl_30_day": round(float(rng.uniform(-2.5, 0.5)), 3)},
            },
        }
        if classes_per_segment > 1:
            w = round(1.0 / classes_per_segment, 6)
            seg["classes"] = [
                {
                    "name": f"c{c + 1}",
                    "weight": w if c < classes_per_segment - 1 else 1.0 - w * c,
                    "price_sensitivity": round(
                        beta * (0.5 + 1.0 * c / max(1, classes_per_segment - 1)), 5
                    ),
                    "asc": round(seg["choice"]["asc"] + 0.4 * (1 - c), 3),
                }
                for c in range(classes_per_segment)
            ]
        segments[f"segment{s + 1}"] = seg
    step = round(240.0 / max(1, n_levels - 1), 2)
    data: dict[str, Any] = {
        "name": f"city scale {n_segments}x{classes_per_segment} classes, 107 bundles, "
        f"{n_levels} prices, K={menu_size}",
        "currency": "EUR",
        "modes": _CITY_MODES,
        "segments": segments,
        "offers": {
            "hsl_30_day": {
                "price": 66.60,
                "operator": "HSL",
                "includes": {"transit_zone": "unlimited"},
            }
        },
        "candidates": {
            "prices": {"min": 10, "max": 10 + step * (n_levels - 1), "step": step},
            "listed": _city_bundles(),
        },
        "policy": {"menu_size": menu_size, "price_ladder": True, "operator_floor": "none"},
    }
    try:  # a study larger than the default scenario limits (pricing.scenario.limits) allow
        from maasmix.pricing.scenario.limits import override
    except ImportError:  # pragma: no cover - limits not in this checkout
        return validate_scenario(data)
    cells = n_segments * classes_per_segment * 107 * n_levels
    with override(max_model_cells=max(50_000, cells)):
        return validate_scenario(data)


def _city_bundles() -> list[dict[str, Any]]:
    transit = {
        "none": {},
        "zone": {"transit_zone": "unlimited"},
        "all": {"transit_zone": "unlimited", "transit_region": "unlimited"},
    }
    out = []
    for (tname, tinc), bike, scooter, taxi in itertools.product(
        transit.items(), [0, 60, 300, "unlimited"], [0, 30, 100], [0, 2, 5]
    ):
        includes: dict[str, Any] = dict(tinc)
        for mode, level in (("bike", bike), ("scooter", scooter), ("taxi", taxi)):
            if level != 0:
                includes[mode] = level
        if not includes:
            continue
        parts = [f"transit:{tname}"] if tname != "none" else []
        parts += [f"{m}:{v}" for m, v in includes.items() if not m.startswith("transit")]
        out.append({"name": "+".join(parts), "includes": includes})
    return out
