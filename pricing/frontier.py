"""The Pareto frontier between operator profit, city subsidy and consumer surplus.

Epsilon-constraint method: profit is maximised while the swept quantity is constrained,
one point per epsilon, each point warm-started from the previous menu (and reusing the
same model: only the epsilon bound changes, so surplus cuts carry over).

- ``sweep="subsidy"``: subsidy <= eps, eps from 0 to the subsidy at the profit optimum.
- ``sweep="surplus"``: consumer-surplus change >= eps, eps from its value at the profit
  optimum to its maximum with profit >= 0.
- ``sweep="both"``: a grid of both (about ``points`` in all).

Points dominated in (profit up, subsidy down, surplus up) are flagged, not dropped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from maasmix.pricing.instance import Instance, compile_instance
from maasmix.pricing.model import Requirements, build_model
from maasmix.pricing.objectives import SolverOptions, solve_requirements
from maasmix.pricing.results import Result
from maasmix.pricing.scenario import Scenario

Progress = Callable[[int, int, "FrontierPoint"], None]


@dataclass(frozen=True)
class FrontierPoint:
    """One epsilon-constraint solve: its bounds (minor units) and the result."""

    max_subsidy_minor: float | None
    min_surplus_minor: float | None
    result: Result
    dominated: bool = False

    def summary(self) -> dict[str, Any]:
        """Profit, subsidy, consumer-surplus change (minor units), uptake, status, menu."""
        r = self.result
        return {
            "max_subsidy_minor": None
            if self.max_subsidy_minor is None
            else round(self.max_subsidy_minor),
            "min_surplus_minor": None
            if self.min_surplus_minor is None
            else round(self.min_surplus_minor),
            "status": r.solve.status,
            "feasible": r.feasible,
            "dominated": self.dominated,
            "profit_minor": r.profit_minor,
            "subsidy_minor": r.subsidy_minor,
            "cs_change_minor": r.cs_change_minor,
            "user_spend_minor": r.user_spend_minor,
            "uptake": r.uptake,
            "gap": r.solve.gap,
            "seconds": r.solve.seconds,
            "menu": [{"bundle": m.bundle, "price_minor": m.price_minor} for m in r.menu],
        }


@dataclass(frozen=True)
class Frontier:
    """A frontier sweep: the anchor solves and the points in sweep order."""

    scenario: str
    currency: str
    sweep: str
    anchors: dict[str, Result]
    points: list[FrontierPoint] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: point summaries plus full results of every point and anchor."""
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "sweep": self.sweep,
            "seconds": round(self.seconds, 4),
            "points": [p.summary() for p in self.points],
            "anchors": {k: v.to_dict() for k, v in self.anchors.items()},
            "results": [p.result.to_dict() for p in self.points],
        }


def _dominated(points: list[FrontierPoint]) -> list[FrontierPoint]:
    vals = [
        (p.result.profit_minor, -p.result.subsidy_minor, p.result.cs_change_minor)
        if p.result.feasible
        else None
        for p in points
    ]
    out = []
    for i, p in enumerate(points):
        vi = vals[i]
        dom = vi is None or any(
            vj is not None and all(a >= b for a, b in zip(vj, vi, strict=True)) and vj != vi
            for j, vj in enumerate(vals)
            if j != i
        )
        out.append(FrontierPoint(p.max_subsidy_minor, p.min_surplus_minor, p.result, dom))
    return out


def frontier(
    scenario: Scenario | Instance,
    *,
    sweep: str | None = None,
    points: int | None = None,
    options: SolverOptions | None = None,
    progress: Progress | None = None,
    base_scenario: Scenario | None = None,
) -> Frontier:
    """Sweep the frontier (defaults from the scenario's ``frontier`` and ``solver`` blocks).

    ``progress(i, n, point)`` is called after each point.
    """
    spec = scenario if isinstance(scenario, Scenario) else base_scenario
    inst = compile_instance(scenario) if isinstance(scenario, Scenario) else scenario
    sweep = sweep or (spec.frontier.sweep if spec is not None else "subsidy")
    n = points or (spec.frontier.points if spec is not None else 10)
    if options is None:
        options = SolverOptions.from_spec(spec.solver) if spec is not None else SolverOptions()
    if sweep not in ("subsidy", "surplus", "both"):
        raise ValueError(f"unknown sweep {sweep!r}")
    uptake = None
    if spec is not None and spec.objective.min_uptake is not None:
        uptake = spec.objective.min_uptake * inst.total_size
    start = time.perf_counter()
    anchors: dict[str, Result] = {}
    top = solve_requirements(inst, "max_profit", Requirements(min_uptake=uptake), options)
    anchors["max_profit"] = top
    if not top.feasible:
        return Frontier(inst.name, inst.currency, sweep, anchors, [], time.perf_counter() - start)
    sub_levels: list[float | None] = [None]
    cs_levels: list[float | None] = [None]
    per_axis = n if sweep != "both" else max(2, math.ceil(math.sqrt(n)))
    if sweep in ("subsidy", "both"):
        sub_levels = list(np.linspace(0.0, float(top.subsidy_minor), per_axis))
    if sweep in ("surplus", "both"):
        best = solve_requirements(
            inst, "max_surplus", Requirements(min_uptake=uptake, min_profit=0.0), options
        )
        anchors["max_surplus"] = best
        low = float(top.cs_change_minor)
        # one minor unit of slack: the anchor's figure is rounded to whole minor units
        high = float(best.cs_change_minor) - 1.0 if best.feasible else low
        cs_levels = list(np.linspace(low, max(low, high), per_axis))
    req = Requirements(
        min_uptake=uptake,
        max_subsidy=None if sub_levels[0] is None else float(top.subsidy_minor) + 1.0,
        min_surplus=None if cs_levels[0] is None else cs_levels[0],
    )
    mm = None
    if not options.enumerates(inst, req):
        mm = build_model(inst, req, solver=options.mip_solver, objective="max_profit")
    scale = inst.total_size
    hint = _menu_of(inst, top)
    grid = [(s, c) for s in sub_levels for c in cs_levels]
    out: list[FrontierPoint] = []
    for i, (s_eps, c_eps) in enumerate(grid):
        # a hair of slack (1e-9 / 1e-6 per traveller) for the solver's tolerances
        point_req = replace(
            req,
            max_subsidy=None if s_eps is None else s_eps + 1e-9 * scale,
            min_surplus=None if c_eps is None else c_eps - 1e-6 * scale,
        )
        if mm is not None and point_req.max_subsidy is not None:
            mm.groups["max_subsidy"][0].SetUb(point_req.max_subsidy / scale)
        if mm is not None and point_req.min_surplus is not None:
            offset = float(mm.weights @ (mm.log_s0 / inst.beta))
            mm.groups["min_surplus"][0].SetLb(point_req.min_surplus / scale + offset)
        res = solve_requirements(
            inst, "max_profit", point_req, options, model=mm, hint=hint, explain_infeasible=False
        )
        point = FrontierPoint(s_eps, c_eps, res)
        out.append(point)
        if res.feasible:
            hint = _menu_of(inst, res)
        if progress is not None:
            progress(i + 1, len(grid), point)
    return Frontier(
        inst.name, inst.currency, sweep, anchors, _dominated(out), time.perf_counter() - start
    )


def _menu_of(inst: Instance, result: Result) -> dict[int, int]:
    names = {b.name: i for i, b in enumerate(inst.bundles)}
    menu = {}
    for item in result.menu:
        b = names[item.bundle]
        menu[b] = int(np.flatnonzero(inst.prices[b] == item.price_minor)[0])
    return menu
