"""The Pareto frontier between operator profit, city subsidy and consumer surplus.

Epsilon-constraint method: profit is maximised while the swept quantity is constrained,
one point per epsilon.

- ``sweep="subsidy"``: subsidy <= eps, eps from the subsidy at the profit optimum down
  to 0.
- ``sweep="surplus"``: consumer-surplus change >= eps, eps from its value at the profit
  optimum up to its maximum with profit >= 0.
- ``sweep="both"``: a grid of both (about ``points`` in all).

The caps are the anchors' exact figures (`pricing.solve.evaluate`), never their rounded minor
units, so the first point is the profit optimum itself: its menu meets every cap of that
point, and when ``optimise`` proved it optimal the point is that result. A menu meets a
point's caps (``FrontierPoint.max_subsidy_minor`` / ``min_surplus_minor``, exact floats)
within a tolerance of `SUBSIDY_SLACK` / `SURPLUS_SLACK` minor units per traveller plus the
exact searches' relative row tolerance (`pricing.solve.menus.ROW_TOL`).

Every point is solved like ``optimise`` (same method, time limit and proof standard) and is
offered the menus the sweep knows (the anchors', the finished points'). After the sweep
every menu the run has seen is checked exactly against every point: a point never keeps
``optimal`` or ``infeasible`` when a seen menu meets its caps with more profit; it gets
that menu, status ``feasible``, no bound and a ``note`` saying so (`_audit`).

Points are solved from the loosest epsilon to the tightest, and each reuses what the
sweep already knows: every menu found so far (anchors and earlier points) is an incumbent
to start from, and the optimum of a looser point bounds the next one (its feasible set is
smaller), so a point whose looser neighbour's menu still satisfies it is proven at once.
With the MIP one model is kept and only the epsilon bound moves (surplus cuts carry
over). With the branch and bound, points are solved in Python threads, one per core
(serial kernels that release the GIL), handed out loosest first: each starts from every
menu and bound known when it starts; all points share the root bounds of their rows
(`pricing.solve.branch_bound.RootCache`). Points with the same menu are marked (``same_as``)
and drawn once; points dominated in (profit up, subsidy down, surplus up) by another are
flagged, not dropped. A point stopped by the time limit keeps its status, bound and gap.
``stop()`` ends the sweep early: the points finished so far are returned
(``interrupted``).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from maasmix.pricing.results import Result, build_result
from maasmix.pricing.scenario import Scenario
from maasmix.pricing.solve.branch_bound import RootCache
from maasmix.pricing.solve.evaluate import Outcome, baseline, check_policy, evaluate_menu
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.menus import (
    IMPROVE,
    StopCheck,
    build_problem,
    local_search,
    relative_gap,
)
from maasmix.pricing.solve.menus import Progress as SearchProgressCallback
from maasmix.pricing.solve.model import Requirements, build_model
from maasmix.pricing.solve.objectives import SolverOptions, solve_requirements

Progress = Callable[[int, int, "FrontierPoint"], None]
#: Slack on a point's subsidy cap, minor units per traveller (the solvers' tolerances).
SUBSIDY_SLACK = 1e-9
#: Slack on a point's surplus floor, minor units per traveller.
SURPLUS_SLACK = 1e-6


@dataclass(frozen=True)
class FrontierPoint:
    """One epsilon-constraint solve: its bounds (exact, minor units) and the result.

    ``dominated``: another point is at least as good in profit, subsidy and surplus and
    better in one; ``same_as``: index (in the frontier's points) of an earlier point with
    the same menu, None for the first one.
    """

    max_subsidy_minor: float | None
    min_surplus_minor: float | None
    result: Result
    dominated: bool = False
    same_as: int | None = None

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
            "same_as": self.same_as,
            "profit_minor": r.profit_minor,
            "subsidy_minor": r.subsidy_minor,
            "cs_change_minor": r.cs_change_minor,
            "user_spend_minor": r.user_spend_minor,
            "uptake": r.uptake,
            "best_bound": r.solve.best_bound,
            "gap": r.solve.gap,
            "seconds": r.solve.seconds,
            "menu": [{"bundle": m.bundle, "price_minor": m.price_minor} for m in r.menu],
        }


@dataclass(frozen=True)
class Frontier:
    """A frontier sweep: the anchor solves and the points in sweep order (loosest first).

    ``interrupted``: the sweep was stopped before every point was solved (the points
    here are the finished ones).
    """

    scenario: str
    currency: str
    sweep: str
    anchors: dict[str, Result]
    points: list[FrontierPoint] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    planned: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: point summaries plus full results of every point and anchor."""
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "sweep": self.sweep,
            "seconds": round(self.seconds, 4),
            "interrupted": self.interrupted,
            "planned": self.planned,
            "points": [p.summary() for p in self.points],
            "anchors": {k: v.to_dict() for k, v in self.anchors.items()},
            "results": [p.result.to_dict() for p in self.points],
        }

    def distinct(self) -> list[tuple[FrontierPoint, list[int]]]:
        """Each distinct point (first of its menu) with the indices of the points it
        stands for (itself and every later point with the same menu)."""
        groups: dict[int, list[int]] = {}
        for i, p in enumerate(self.points):
            groups.setdefault(i if p.same_as is None else p.same_as, []).append(i)
        return [(self.points[i], members) for i, members in groups.items()]


def _menu_key(result: Result) -> tuple[tuple[str, int], ...] | None:
    if not result.feasible:
        return None
    return tuple(sorted((m.bundle, m.price_minor) for m in result.menu))


def _dominated(points: list[FrontierPoint]) -> list[FrontierPoint]:
    """The points with ``dominated`` and ``same_as`` set."""
    vals = [
        (p.result.profit_minor, -p.result.subsidy_minor, p.result.cs_change_minor)
        if p.result.feasible
        else None
        for p in points
    ]
    first: dict[tuple[tuple[str, int], ...], int] = {}
    out = []
    for i, p in enumerate(points):
        vi = vals[i]
        dom = vi is None or any(
            vj is not None and all(a >= b for a, b in zip(vj, vi, strict=True)) and vj != vi
            for j, vj in enumerate(vals)
            if j != i
        )
        key = _menu_key(p.result)
        same = None
        if key is not None:
            same = first.get(key)
            first.setdefault(key, i)
        out.append(replace(p, dominated=dom, same_as=same))
    return out


def frontier(
    scenario: Scenario | Instance,
    *,
    sweep: str | None = None,
    points: int | None = None,
    options: SolverOptions | None = None,
    progress: Progress | None = None,
    base_scenario: Scenario | None = None,
    search_progress: SearchProgressCallback | None = None,
    stop: StopCheck | None = None,
    workers: int | None = None,
) -> Frontier:
    """Sweep the frontier (defaults from the scenario's ``frontier`` and ``solver`` blocks).

    ``progress(i, n, point)`` is called after each point (i points done, in the calling
    thread), ``search_progress`` inside each solve; ``stop()`` returning True ends the
    sweep with the points finished so far. ``workers``: points solved at once, in threads
    (default: one per core when the points go to the branch and bound, else one).
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
    cache = RootCache()

    def stopped() -> bool:
        return stop is not None and stop()

    seen: list[dict[int, int]] = []

    def done(out: list[FrontierPoint], planned: int, interrupted: bool) -> Frontier:
        return Frontier(
            inst.name,
            inst.currency,
            sweep,
            anchors,
            _dominated(_audit(inst, out, seen, uptake)),
            time.perf_counter() - start,
            interrupted,
            planned,
        )

    top = solve_requirements(
        inst,
        "max_profit",
        Requirements(min_uptake=uptake),
        options,
        progress=search_progress,
        stop=stop,
        cache=cache,
    )
    anchors["max_profit"] = top
    if not top.feasible:
        return done([], 0, stopped())
    top_out = evaluate_menu(inst, _menu_of(inst, top))
    sub_levels: list[float | None] = [None]
    cs_levels: list[float | None] = [None]
    per_axis = n if sweep != "both" else max(2, math.ceil(math.sqrt(n)))
    if sweep in ("subsidy", "both"):
        # loosest first: from the exact subsidy at the profit optimum down to none
        sub_levels = [float(x) for x in np.linspace(top_out.subsidy, 0.0, per_axis)]
    if sweep in ("surplus", "both"):
        best = solve_requirements(
            inst,
            "max_surplus",
            Requirements(min_uptake=uptake, min_profit=0.0),
            options,
            progress=search_progress,
            stop=stop,
            cache=cache,
        )
        anchors["max_surplus"] = best
        low = _surplus(inst, top_out)
        high = _surplus(inst, evaluate_menu(inst, _menu_of(inst, best))) if best.feasible else low
        cs_levels = [float(x) for x in np.linspace(low, max(low, high), per_axis)]
    grid = [(s, c) for s in sub_levels for c in cs_levels]
    if stopped():
        return done([], len(grid), True)
    scale = inst.total_size

    def requirements(i: int) -> Requirements:
        s_eps, c_eps = grid[i]
        return point_requirements(inst, FrontierPoint(s_eps, c_eps, top), uptake)

    req = requirements(0)
    mm = None
    if not options.enumerates(inst, req):  # the MIP: one model, its bounds moved per point
        mm = build_model(inst, req, solver=options.mip_solver, objective="max_profit")
    known = [_menu_of(inst, r) for r in anchors.values() if r.feasible]
    seen.extend(known)
    hint = _menu_of(inst, top)
    solved: dict[int, FrontierPoint] = {}
    results: dict[tuple[float | None, float | None], Result] = {}
    n_workers = _workers(workers, options, inst, req, mm is not None, len(grid))
    lock = threading.Lock()

    def inner(p: SearchProgressCallback | None) -> SearchProgressCallback | None:
        if p is None or n_workers == 1:
            return p

        def locked(sp: Any) -> None:
            with lock:
                p(sp)

        return locked

    def neighbour(i: int, incumbents: list[dict[int, int]]) -> list[dict[int, int]]:
        """The exact local search's menu for the looser neighbour of point i when that
        point is still being solved: the chord multipliers of the branch and bound
        (`pricing.solve.branch_bound.add_chord_system`) come from the nearest menu that beats
        this point's incumbent but breaks its row."""
        if i == 0 or grid[i - 1] in results:
            return []
        prob = build_problem(inst, requirements(i - 1), "max_profit")
        # from the latest menus only (the nearest points): each start is a full descent
        found = local_search(prob, [prob.items_of(m) for m in incumbents[-2:]])
        if found is None:
            return []
        menu = prob.menu_of(found[0])
        with lock:
            seen.append(menu)
        return [menu]

    def solve_point(
        i: int, incumbents: list[dict[int, int]], start_hint: dict[int, int], bound: float | None
    ) -> FrontierPoint:
        s_eps, c_eps = grid[i]
        if i == 0 and top.solve.status == "optimal":
            # the profit optimum meets the first point's caps (they are its exact figures),
            # so it is that point's proven optimum too
            return FrontierPoint(s_eps, c_eps, top)
        point_req = requirements(i)
        if n_workers > 1:
            incumbents = incumbents + neighbour(i, incumbents)
        if mm is not None and point_req.max_subsidy is not None:
            mm.groups["max_subsidy"][0].SetUb(point_req.max_subsidy / scale)
        if mm is not None and point_req.min_surplus is not None:
            offset = float(mm.weights @ (mm.log_s0 / inst.beta))
            mm.groups["min_surplus"][0].SetLb(point_req.min_surplus / scale + offset)
        res = solve_requirements(
            inst,
            "max_profit",
            point_req,
            options,
            model=mm,
            hint=start_hint,
            explain_infeasible=False,
            progress=inner(search_progress),
            stop=stop,
            incumbents=incumbents,
            known_bound=bound,
            parallel=n_workers == 1,
            cache=cache,
        )
        return FrontierPoint(s_eps, c_eps, res)

    def finished(i: int, point: FrontierPoint) -> None:
        nonlocal hint
        solved[i] = point
        results[grid[i]] = point.result
        if point.result.feasible:
            hint = _menu_of(inst, point.result)
            known.append(hint)
            seen.append(hint)
        if progress is not None:
            progress(len(solved), len(grid), point)

    def in_order() -> list[FrontierPoint]:
        return [solved[i] for i in sorted(solved)]

    if n_workers == 1:
        for i in range(len(grid)):
            if stopped():
                return done(in_order(), len(grid), True)
            s_eps, c_eps = grid[i]
            point = solve_point(i, list(known), hint, _looser_bound(results, s_eps, c_eps, top))
            finished(i, point)
            if point.result.solve.stopped == "interrupted":
                return done(in_order(), len(grid), True)
        return done(in_order(), len(grid), False)
    # points in Python threads (serial kernels that release the GIL), handed out loosest
    # first, each starting from every menu and looser bound known when it starts
    interrupted = False
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="frontier") as pool:
        running: dict[Future[FrontierPoint], int] = {}
        nxt = 0
        while nxt < len(grid) or running:
            while not interrupted and nxt < len(grid) and len(running) < n_workers:
                if stopped():
                    interrupted = True
                    break
                s_eps, c_eps = grid[nxt]
                bound = _looser_bound(results, s_eps, c_eps, top)
                running[pool.submit(solve_point, nxt, list(known), hint, bound)] = nxt
                nxt += 1
            if not running:
                break
            # a short timeout keeps the main thread responsive to Ctrl-C
            ready, _ = wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in ready:
                point = fut.result()
                finished(running.pop(fut), point)
                if point.result.solve.stopped == "interrupted":
                    interrupted = True
    return done(in_order(), len(grid), interrupted or len(solved) < len(grid))


def _workers(
    asked: int | None,
    options: SolverOptions,
    inst: Instance,
    req: Requirements,
    mip: bool,
    n_points: int,
) -> int:
    """Threads for the points: ``asked``, or by default every core when the points go to
    the branch and bound (the MIP keeps one model; the exhaustive search is used for
    cases too small to gain)."""
    if mip or n_points < 2:
        return 1
    if asked is not None:
        return max(1, min(asked, n_points))
    if options.method(inst, req) != "BNB":
        return 1
    return max(1, min(os.cpu_count() or 1, n_points))


def _looser_bound(
    solved: dict[tuple[float | None, float | None], Result],
    s_eps: float | None,
    c_eps: float | None,
    top: Result,
) -> float | None:
    """An upper bound on the profit of the point (s_eps, c_eps): the best proven bound of a
    solved point whose constraints are looser in every swept direction (the profit
    optimum is the loosest of all)."""
    bounds = []
    if top.solve.status == "optimal" and top.solve.best_bound is not None:
        bounds.append(top.solve.best_bound)
    for (s, c), r in solved.items():
        looser = (s_eps is None or (s is not None and s >= s_eps)) and (
            c_eps is None or (c is not None and c <= c_eps)
        )
        if looser and r.solve.best_bound is not None and r.solve.status in ("optimal", "feasible"):
            bounds.append(r.solve.best_bound)
        elif looser and r.solve.status == "infeasible":
            return None  # nothing to reuse: a tighter point is infeasible too
    return min(bounds) if bounds else None


def point_requirements(
    inst: Instance, point: FrontierPoint, min_uptake: float | None = None
) -> Requirements:
    """The rows a point is solved under: its caps with `SUBSIDY_SLACK` / `SURPLUS_SLACK`
    per traveller, and the scenario's uptake floor (subscribers)."""
    scale = inst.total_size
    s_eps, c_eps = point.max_subsidy_minor, point.min_surplus_minor
    return Requirements(
        min_uptake=min_uptake,
        max_subsidy=None if s_eps is None else s_eps + SUBSIDY_SLACK * scale,
        min_surplus=None if c_eps is None else c_eps - SURPLUS_SLACK * scale,
    )


def _surplus(inst: Instance, out: Outcome) -> float:
    """Exact consumer-surplus change of an evaluated menu, minor units, all travellers."""
    return float(inst.size @ out.cs_change)


def _audit(
    inst: Instance,
    points: list[FrontierPoint],
    seen: list[dict[int, int]],
    min_uptake: float | None,
) -> list[FrontierPoint]:
    """Every point, checked against every menu the sweep has seen: a point whose result
    (or lack of one) a seen menu beats under the point's own rows takes that menu, with
    status ``feasible``, no bound and a note (a solver's claim the sweep itself refutes)."""
    menus = {tuple(sorted(m.items())): m for m in seen}
    if not points or not menus:
        return points
    out = []
    for p in points:
        req = point_requirements(inst, p, min_uptake)
        prob = build_problem(inst, req, "max_profit")
        cands = list(menus.values())
        scores, ok = prob.evaluate(_padded([prob.items_of(m) for m in cands], prob.max_items))
        if not ok.any():
            out.append(p)
            continue
        j = int(np.argmax(np.where(ok, scores, -np.inf)))
        own = None
        if p.result.feasible:
            own_s, own_ok = prob.evaluate(
                _padded([prob.items_of(_menu_of(inst, p.result))], prob.max_items)
            )
            own = float(own_s[0]) if own_ok[0] else None
        best = float(scores[j])
        if own is not None and not best > own + IMPROVE * max(1.0, abs(own)):
            out.append(p)
            continue
        out.append(replace(p, result=_replaced(inst, p.result, cands[j], req)))
    return out


def _replaced(inst: Instance, old: Result, menu: dict[int, int], req: Requirements) -> Result:
    """``menu`` as the result of a point whose solve ``old`` it beats."""
    res = evaluate_menu(inst, menu)
    value = res.profit
    bound = old.solve.best_bound
    keep = old.solve.status == "feasible" and bound is not None and bound >= value
    was = old.solve.status if not old.feasible else f"{old.solve.status} at {old.profit_minor}"
    info = replace(
        old.solve,
        status="feasible",
        objective_value=value,
        best_bound=bound if keep else None,
        gap=relative_gap(value, bound) if keep and bound is not None else None,
        note=(old.solve.note + "; " if old.solve.note else "")
        + f"the solver answered {was}; a menu seen in the sweep meets this point's rows "
        "with more profit",
    )
    violations = check_policy(
        inst,
        res,
        min_uptake=req.min_uptake,
        max_subsidy=req.max_subsidy,
        min_surplus=req.min_surplus,
        tol=1e-5,
    )
    return build_result(inst, res, baseline(inst), info, violations=violations)


def _padded(menus: list[list[int]], width: int) -> npt.NDArray[np.int64]:
    arr = np.full((len(menus), max(1, width)), -1, dtype=np.int64)
    for r, m in enumerate(menus):
        arr[r, : len(m)] = m
    return arr


def _menu_of(inst: Instance, result: Result) -> dict[int, int]:
    names = {b.name: i for i, b in enumerate(inst.bundles)}
    menu = {}
    for item in result.menu:
        b = names[item.bundle]
        menu[b] = int(np.flatnonzero(inst.prices[b] == item.price_minor)[0])
    return menu
