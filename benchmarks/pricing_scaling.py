"""Time to design the menu as segments, bundles, price levels and menu size grow.

``python benchmarks/pricing_scaling.py [OUT.png] [--time-limit S] [--enum-time-limit S]
[--solvers BNB,ENUM]`` (default ``docs/benchmarks/pricing_scaling.png``, plus a JSON of the
rows and the machine's load next to it) solves synthetic scenarios around the
8 x 31 x 25, K = 4 base case, varying one dimension at a time (menu size K from 1 to 6,
candidates from 4 to 95), with each solver, and plots seconds per solver (hollow markers:
stopped at the time limit; the JSON has the status, gap and menu count of every run; ENUM
is not run above ``--enum-max-menus``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from maasmix.pricing.solve.enumeration import menu_count
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.objectives import SolverOptions, solve_requirements
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario

BASE = {"n_segments": 8, "n_bundles": 31, "n_levels": 25, "menu_size": 4}
SWEEPS = {
    "n_segments": [1, 2, 4, 8],
    "n_bundles": [4, 8, 16, 31, 63, 95],
    "n_levels": [5, 10, 15, 25],
    "menu_size": [1, 2, 3, 4, 5, 6],
}
COLOURS = {
    "ENUM": "#3672a4",
    "SCIP": "#d9822b",
    "CBC": "#6a994e",
    "AUTO": "#7b2d8b",
    "BNB": "#b00020",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="docs/benchmarks/pricing_scaling.png")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument(
        "--enum-time-limit", type=float, default=None, help="seconds per ENUM solve"
    )
    parser.add_argument(
        "--enum-max-menus",
        type=float,
        default=float("inf"),
        help="skip ENUM above this many menus (it only reaches its time limit there, "
        "without a bound)",
    )
    parser.add_argument("--solvers", default="BNB,ENUM")
    args = parser.parse_args()
    solvers = args.solvers.split(",")
    rows: list[dict[str, object]] = []
    for solver in solvers:  # compile or load the kernels before anything is timed
        tiny = compile_instance(synthetic_scenario(2, 4, 3, 3))
        solve_requirements(tiny, "max_profit", Requirements(), SolverOptions(name=solver))
    load_start = os.getloadavg()
    started = time.perf_counter()
    fig, axes = plt.subplots(1, len(SWEEPS), figsize=(4 * len(SWEEPS), 3.5), sharey=True)
    for ax, (dim, values) in zip(axes, SWEEPS.items(), strict=True):
        for solver in solvers:
            xs, ts, hollow = [], [], []
            for v in values:
                params = {**BASE, dim: v}
                inst = compile_instance(synthetic_scenario(**params))
                menus = menu_count(inst)
                if solver == "ENUM" and menus > args.enum_max_menus:
                    rows.append({**params, "solver": solver, "menus": menus, "status": "not run"})
                    print(json.dumps(rows[-1]), flush=True)
                    continue
                limit = args.time_limit
                if solver == "ENUM" and args.enum_time_limit is not None:
                    limit = args.enum_time_limit
                opts = SolverOptions(name=solver, time_limit_s=limit)
                info = solve_requirements(inst, "max_profit", Requirements(), opts).solve
                rows.append(
                    {
                        **params,
                        "solver": solver,
                        "menus": menus,
                        "status": info.status,
                        "gap": info.gap,
                        "objective": info.objective_value,
                        "seconds": info.seconds,
                        "time_limit_s": limit,
                        "load": os.getloadavg()[0],
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
                xs.append(v)
                ts.append(info.seconds)
                hollow.append(info.status != "optimal")
            colour = COLOURS.get(solver, "black")
            ax.plot(xs, ts, color=colour, label=solver)
            for x, t, h in zip(xs, ts, hollow, strict=True):
                ax.scatter([x], [t], facecolors="none" if h else colour, edgecolors=colour)
        ax.set_xlabel(dim)
        ax.set_yscale("log")
    axes[0].set_ylabel("seconds (hollow: stopped at its limit)")
    axes[0].legend()
    fig.suptitle("Menu design, max profit: base 8 segments x 31 bundles x 25 prices, K=4")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    meta = {
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "seconds": time.perf_counter() - started,
        "cpus": os.cpu_count(),
    }
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
