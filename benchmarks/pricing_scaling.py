"""Time to solve the bundle MIP as segments, bundles, price levels and menu size grow.

``python benchmarks/pricing_scaling.py [OUT.png] [--time-limit S]`` (default
``reports/pricing_scaling.png``, gitignored, plus a JSON of the rows next to it) solves synthetic
scenarios around the 8 x 31 x 25, K = 3 base case, varying one dimension at a time, and
plots seconds (hollow markers: stopped at the time limit, gap in the label).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from pricing.instance import compile_instance
from pricing.model import build_model, solve_model
from pricing.synthetic import synthetic_scenario

BASE = {"n_segments": 8, "n_bundles": 31, "n_levels": 25, "menu_size": 3}
SWEEPS = {
    "n_segments": [1, 2, 4, 8],
    "n_bundles": [4, 8, 16, 31],
    "n_levels": [5, 10, 15, 25],
    "menu_size": [1, 2, 3],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="reports/pricing_scaling.png")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--solver", default="SCIP")
    args = parser.parse_args()
    rows = []
    fig, axes = plt.subplots(1, len(SWEEPS), figsize=(4 * len(SWEEPS), 3.5), sharey=True)
    for ax, (dim, values) in zip(axes, SWEEPS.items(), strict=True):
        xs, ts, hollow = [], [], []
        for v in values:
            params = {**BASE, dim: v}
            inst = compile_instance(synthetic_scenario(**params))  # type: ignore[arg-type]
            raw = solve_model(build_model(inst, solver=args.solver), time_limit_s=args.time_limit)
            rows.append({**params, "status": raw.status, "gap": raw.gap, "seconds": raw.seconds})
            print(json.dumps(rows[-1]), flush=True)
            xs.append(v)
            ts.append(raw.seconds)
            hollow.append(raw.status != "optimal")
        ax.plot(xs, ts, color="#3672a4")
        for x, t, h in zip(xs, ts, hollow, strict=True):
            ax.scatter([x], [t], facecolors="none" if h else "#3672a4", edgecolors="#3672a4")
        ax.set_xlabel(dim)
        ax.set_yscale("log")
    axes[0].set_ylabel("seconds (hollow: time limit)")
    fig.suptitle(f"Bundle MIP ({args.solver}), base 8 segments x 31 bundles x 25 prices, K=3")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
