"""Small scenarios built in code for exact checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def single_bundle(asc: float, beta: float, step: float = 0.5) -> dict[str, Any]:
    """One segment, one bundle worth ``asc`` utils at price 0, no costs: the closed form."""
    return {
        "name": "closed form",
        "currency": "EUR",
        "modes": {"transit": {"operator": "T", "unit": "trip", "payg": 2.0, "wholesale": 0.0}},
        "segments": {
            "all": {
                "size": 1000,
                "usage": {"transit": {"payg": 10}},
                "choice": {"price_sensitivity": beta, "asc": asc},
            }
        },
        "candidates": {
            "prices": {"min": 0.5, "max": 150, "step": step},
            "listed": [{"name": "T", "includes": {"transit": "unlimited"}}],
        },
        "policy": {"menu_size": 1, "operator_floor": "none"},
    }


def random_small(
    seed: int,
    *,
    n_segments: int,
    n_bundles: int,
    n_levels: int,
    menu_size: int,
    floors: bool = False,
    budget: float | None = None,
    offer: bool = False,
) -> dict[str, Any]:
    """A random instance: 1-2 segments x 2-4 bundles x 3-5 price levels."""
    rng = np.random.default_rng(seed)
    inclusions = [
        {"transit": "unlimited"},
        {"bike": 60},
        {"transit": "unlimited", "bike": 60},
        {"transit": "unlimited", "bike": "unlimited"},
    ]
    segs: dict[str, Any] = {}
    for s in range(n_segments):
        beta = float(rng.uniform(0.05, 0.15))
        segs[f"s{s}"] = {
            "size": float(rng.integers(500, 5000)),
            "usage": {
                "transit": {
                    "payg": float(rng.integers(5, 40)),
                    "bundle": float(rng.integers(40, 50)),
                },
                "bike": {
                    "payg": float(rng.integers(0, 100)),
                    "bundle": float(rng.integers(100, 200)),
                },
            },
            "choice": {
                "price_sensitivity": beta,
                "asc": float(rng.uniform(-2, 0)),
                "taste": {
                    "transit": beta * float(rng.uniform(1, 3)),
                    "bike": beta * float(rng.uniform(0.02, 0.08)),
                },
                **({"offers": {"pass": float(rng.uniform(-1, 1))}} if offer else {}),
            },
        }
    lo = float(rng.integers(20, 40))
    data: dict[str, Any] = {
        "name": f"random {seed}",
        "currency": "EUR",
        "modes": {
            "transit": {
                "operator": "T",
                "unit": "trip",
                "payg": 2.5,
                "wholesale": 1.2,
                "marginal_cost": 0.3,
            },
            "bike": {
                "operator": "B",
                "unit": "minute",
                "payg": 0.1,
                "wholesale": 0.05,
                "marginal_cost": 0.01,
            },
        },
        "segments": segs,
        "candidates": {
            "prices": {"min": lo, "max": lo + 10 * (n_levels - 1), "step": 10},
            "listed": [{"name": f"b{i}", "includes": inclusions[i]} for i in range(n_bundles)],
        },
        "policy": {
            "menu_size": menu_size,
            "price_ladder": True,
            "operator_floor": "payg" if floors else "none",
            "subsidy": {
                "budget": budget,
                "instruments": [{"kind": "mode_share", "modes": ["transit"], "share": 0.2}],
            },
        },
    }
    if offer:
        data["offers"] = {
            "pass": {"price": 50, "operator": "T", "includes": {"transit": "unlimited"}}
        }
    return data


def helsinki_diary_scenario(gtfs: Path, osm: Path, gbfs: Path, chunk_trips: int) -> dict[str, Any]:
    """Helsinki (HSL GTFS + OSM + city bikes), two diary segments from ``diary.csv`` beside
    the scenario, 31 generated transit x bike candidates (tests and benchmarks)."""
    return {
        "name": "helsinki diary",
        "currency": "EUR",
        "modes": {
            "transit": {
                "operator": "HSL",
                "unit": "trip",
                "payg": 2.95,
                "wholesale": 1.4,
                "marginal_cost": 0.35,
            },
            "bike": {"operator": "City Bikes", "unit": "minute", "payg": 0.067, "wholesale": 0.04},
        },
        "planning": {
            "network": {
                "gtfs": [str(gtfs)],
                "osm": str(osm),
                "gbfs": [str(gbfs)],
                "date": "2022-02-22",
                "fare_contains": "subset",
            },
            "cost": {"value_of_time": 10.0},
            "car": {"cost_per_km": 0.25, "parking": 3.0},
            "chunk_trips": chunk_trips,
        },
        "segments": {
            "residents": {
                "diary": "diary.csv",
                "choice": {"price_sensitivity": 0.08, "asc": -0.5},
            },
            "visitors": {"diary": "diary.csv", "choice": {"price_sensitivity": 0.12, "asc": -1.0}},
        },
        "candidates": {
            "prices": {"min": 10, "max": 130, "step": 5},
            "generate": {
                "levels": {
                    "transit": [0, 20, 40, "unlimited"],
                    "bike": [0, 30, 60, 120, 300, 600, 1200, "unlimited"],
                }
            },
        },
        "policy": {"menu_size": 3, "operator_floor": "none"},
        "solver": {"time_limit_s": 60},
    }
