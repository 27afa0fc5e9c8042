"""The mixed-integer model: which bundles to offer at which price, with exact logit choice.

Data -> model -> solve -> extract, as separate small functions (`build_model`,
`set_objective`, `solve_model`, `extract_menu`).

Formulation (all quantities per average traveller: class weights n_k = size_k / total):

- binary ``x[b][l]``: bundle b at price level l; level 0 means *not offered*; exactly
  one level per bundle, and at most K bundles offered (``menu_size``).
- continuous ``y0[k]``: probability that class k pays as it goes (no bundle, no offer).
- continuous ``z[k][b][l] >= 0`` with ``sum_l z[k][b][l] = y0[k]``,
  ``z[k][b][l] <= x[b][l] / (1 + e_k + w_kbl)`` for a price level (<= x[b][0] / (1 + e_k)
  when not offered) and ``z[k][b][l] >= L_k x[b][l]`` with L_k a lower bound on y0[k]
  (valid inequalities), and the normalisation
  ``y0[k] (1 + e_k) + sum_b sum_l w_kbl z[k][b][l] = 1``.
  Then class k buys b at level l with probability ``w_kbl z[k][b][l]``, exactly.
- revenue, subsidy, uptake and operator earnings are linear in y0 and z.
- consumer surplus uses ``S_k = 1 + e_k + sum w_kbl x[b][l]`` (linear in x; S_k = 1/y0_k)
  and ``t_k <= ln S_k`` by tangent cuts added lazily until exact (outer approximation:
  ln is concave, so each tangent over-estimates it and the loop ends at the optimum).
  A surplus floor on a one-class segment is the linear bound ``S_k >= S0_k exp(beta f)``.
- price ladder: for every pair (hi, lo) where hi includes more, and every level l of lo,
  ``x[lo][l] + sum(x[hi][l'] for prices of hi below the price of lo at l) <= 1``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from maasmix.pricing._bounds import class_level_bounds, level_profit_bounds
from maasmix.pricing._warmstart import RowChecker, local_search
from maasmix.pricing.instance import Instance
from maasmix.pricing.rows import LinearRow, Requirements, linear_rows, log_rows

#: MIP solvers: OR-Tools' HiGHS interface crashed the process and CP-SAT declared feasible
#: scenarios infeasible (it needs integer coefficients), so neither is offered.
SOLVERS = ("SCIP", "CBC")
_CUT_TOL = 1e-9
_MAX_CUT_ROUNDS = 60


@dataclass
class MenuModel:
    """A built model and handles to its variables and constraint groups."""

    inst: Instance
    solver: pywraplp.Solver
    x: list[list[pywraplp.Variable]]
    y0: list[pywraplp.Variable]
    z: list[list[list[pywraplp.Variable]]]
    t: list[pywraplp.Variable] | None
    s: list[pywraplp.Variable]
    groups: dict[str, list[pywraplp.Constraint]]
    weights: np.ndarray
    log_s0: np.ndarray
    objective_kind: str = "max_profit"
    cuts: int = 0
    cut_points: list[list[float]] = field(default_factory=list)
    fixed: list[pywraplp.Variable] = field(default_factory=list)
    cutoff: pywraplp.Constraint | None = None
    level_bounds: list[np.ndarray] | None = None
    p: list[pywraplp.Variable] = field(default_factory=list)


@dataclass(frozen=True)
class RawSolve:
    """What the solver said (objective and bound in minor units, whole population)."""

    solver: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    menu: dict[int, int] | None
    cut_rounds: int


def _finite(s: pywraplp.Solver, value: float) -> float:
    """``value`` with +-inf as the solver's infinity."""
    return float(np.clip(value, -s.infinity(), s.infinity()))


def _s_max(inst: Instance) -> np.ndarray:
    """Upper bound on S_k: 1 + e_k + the K largest best-level exp-utilities."""
    best = np.stack([wb.max(axis=1) for wb in inst.w], axis=1)  # (K, B)
    top = -np.sort(-best, axis=1)[:, : max(0, inst.menu_size)]
    return 1.0 + inst.e + top.sum(axis=1)


def build_model(
    inst: Instance,
    req: Requirements | None = None,
    *,
    solver: str = "SCIP",
    objective: str = "max_profit",
) -> MenuModel:
    """Build the MIP of the module docstring for ``inst`` with the extra ``req``."""
    req = req if req is not None else Requirements()
    s = pywraplp.Solver.CreateSolver(solver) if solver in SOLVERS else None
    if s is None:
        raise ValueError(f"solver {solver!r} is not available (try one of {SOLVERS})")
    n_k, n_b = inst.n_classes, len(inst.bundles)
    weights = inst.size / inst.total_size
    s_max = _s_max(inst)
    y0_low = 1.0 / s_max
    y0_high = 1.0 / (1.0 + inst.e)
    x = [[s.BoolVar(f"x_{b}_{li}") for li in range(len(inst.prices[b]) + 1)] for b in range(n_b)]
    y0 = [s.NumVar(float(y0_low[k]), float(y0_high[k]), f"y0_{k}") for k in range(n_k)]
    z: list[list[list[pywraplp.Variable]]] = []
    groups: dict[str, list[pywraplp.Constraint]] = {}
    for b in range(n_b):
        one = s.Constraint(1.0, 1.0)
        for var in x[b]:
            one.SetCoefficient(var, 1.0)
    for k in range(n_k):
        zk: list[list[pywraplp.Variable]] = []
        norm = s.Constraint(1.0, 1.0)
        norm.SetCoefficient(y0[k], float(1.0 + inst.e[k]))
        for b in range(n_b):
            wk = inst.w[b][k]
            zb = [s.NumVar(0.0, float(y0_high[k]), f"z_{k}_{b}_{li}") for li in range(len(wk) + 1)]
            link = s.Constraint(0.0, 0.0)
            link.SetCoefficient(y0[k], -1.0)
            for li, var in enumerate(zb):
                link.SetCoefficient(var, 1.0)
                cap = y0_high[k] if li == 0 else 1.0 / (1.0 + inst.e[k] + wk[li - 1])
                up = s.Constraint(-s.infinity(), 0.0)
                up.SetCoefficient(var, 1.0)
                up.SetCoefficient(x[b][li], -float(cap))
                if li > 0:
                    norm.SetCoefficient(var, float(wk[li - 1]))
            zk.append(zb)
        z.append(zk)

    # s_k = S_k = 1 + e_k + sum w x: one dense row per class keeps the cuts below sparse
    svar = [s.NumVar(float(1.0 + inst.e[k]), float(s_max[k]), f"s_{k}") for k in range(n_k)]
    for k in range(n_k):
        c0 = s.Constraint(float(1.0 + inst.e[k]), float(1.0 + inst.e[k]))
        c0.SetCoefficient(svar[k], 1.0)
        for b in range(n_b):
            for li, var in enumerate(x[b][1:]):
                c0.SetCoefficient(var, -float(inst.w[b][k, li]))
        for a in np.geomspace(1.0 + inst.e[k], s_max[k], 6):
            # valid inequality y0_k >= 1/S_k (convex in S_k): tangent y0 >= 2/a - S/a^2
            c0 = s.Constraint(float(2.0 / a), s.infinity())
            c0.SetCoefficient(y0[k], 1.0)
            c0.SetCoefficient(svar[k], float(1.0 / a**2))

    # valid inequality: no class earns more than its Lambert-W single-class bound
    cap = class_profit_bounds(inst)
    for k in range(n_k):
        c0 = s.Constraint(-s.infinity(), float(cap[k]))
        for b in range(n_b):
            coef = inst.w[b][k] * (inst.prices[b] + inst.subsidy[k, b] - inst.maas_cost[k, b])
            for li, var in enumerate(z[k][b][1:]):
                c0.SetCoefficient(var, float(coef[li]))

    # valid inequalities (max_profit): with b offered at l, class k earns at most
    # U_kbl (pricing._bounds); p_k is class k's profit per traveller
    pvars: list[pywraplp.Variable] = []
    level_bounds: list[np.ndarray] | None = None
    if objective == "max_profit":
        per_level, anything = class_level_bounds(inst)
        level_bounds = [bounds @ weights for bounds in per_level]
        for k in range(n_k):
            pk = s.NumVar(-s.infinity(), s.infinity(), f"p_{k}")
            pvars.append(pk)
            c0 = s.Constraint(0.0, 0.0)
            c0.SetCoefficient(pk, 1.0)
            for b in range(n_b):
                coef = inst.w[b][k] * (inst.prices[b] + inst.subsidy[k, b] - inst.maas_cost[k, b])
                for li, var in enumerate(z[k][b][1:]):
                    c0.SetCoefficient(var, -float(coef[li]))
            for b in range(n_b):
                c0 = s.Constraint(-s.infinity(), 0.0)
                c0.SetCoefficient(pk, 1.0)
                c0.SetCoefficient(x[b][0], -float(anything[k]))
                for li, var in enumerate(x[b][1:]):
                    c0.SetCoefficient(var, -float(per_level[b][li, k]))

    def add(group: str, lb: float, ub: float) -> pywraplp.Constraint | None:
        if group in req.disabled:
            return None
        c = s.Constraint(lb, ub)
        groups.setdefault(group, []).append(c)
        return c

    def set_metric(c: pywraplp.Constraint, row: LinearRow) -> None:
        outside, per_bundle = row.coefficients(inst)
        for k in range(n_k):
            if outside[k] != 0.0:
                c.SetCoefficient(y0[k], float(outside[k]))
            for b in range(n_b):
                for li, var in enumerate(z[k][b][1:]):
                    if per_bundle[b][k, li] != 0.0:
                        c.SetCoefficient(var, float(per_bundle[b][k, li]))

    c = add("menu_size", -s.infinity(), float(inst.menu_size))
    if c is not None:
        for b in range(n_b):
            for var in x[b][1:]:
                c.SetCoefficient(var, 1.0)
        # valid inequality (sales-based LP of Gallego, Ratliff & Shebalov; exact for one
        # class): in an integer solution z_kbl = y0_k x_bl, so the priced z of class k sum
        # to y0_k times the number of bundles offered, at most K
        for k in range(n_k):
            card = s.Constraint(-s.infinity(), 0.0)
            groups["menu_size"].append(card)
            card.SetCoefficient(y0[k], -float(inst.menu_size))
            for b in range(n_b):
                for var in z[k][b][1:]:
                    card.SetCoefficient(var, 1.0)
    if inst.price_ladder:
        for hi, lo in inst.ladder:
            for li, p in enumerate(inst.prices[lo]):
                cheaper = [lh for lh, ph in enumerate(inst.prices[hi]) if ph < p]
                if not cheaper:
                    continue
                c = add("price_ladder", -s.infinity(), 1.0)
                if c is None:
                    break
                c.SetCoefficient(x[lo][li + 1], 1.0)
                for lh in cheaper:
                    c.SetCoefficient(x[hi][lh + 1], 1.0)
    for row in linear_rows(inst, req):
        c = s.Constraint(_finite(s, row.lo), _finite(s, row.hi))
        groups.setdefault(row.group, []).append(c)
        set_metric(c, row)

    log_s0 = np.log1p(inst.e)
    t: list[pywraplp.Variable] | None = None
    mm = MenuModel(inst, s, x, y0, z, None, svar, groups, weights, log_s0, objective)
    mm.p = pvars
    mm.level_bounds = level_bounds
    surplus = log_rows(inst, req)
    # a one-class floor is the linear bound on S_k below; the ``min_surplus`` row always uses
    # t, because a frontier sweep moves its bound in log space (pricing.frontier)
    linear_floor = [r.group != "min_surplus" and np.count_nonzero(r.coef) == 1 for r in surplus]
    if objective == "max_surplus" or not all(linear_floor):
        t = [s.NumVar(float(log_s0[k]), float(np.log(s_max[k])), f"t_{k}") for k in range(n_k)]
        mm.t = t
        mm.cut_points = [[] for _ in range(n_k)]
        for k in range(n_k):
            for a in np.geomspace(1.0 + inst.e[k], s_max[k], 8):
                add_tangent(mm, k, float(a))
    for lrow, linear in zip(surplus, linear_floor, strict=True):
        c = s.Constraint(float(lrow.lo), s.infinity())
        groups.setdefault(lrow.group, []).append(c)
        classes = np.flatnonzero(lrow.coef)
        if linear:
            # one class: coef ln S_k >= lo is the linear bound S_k >= exp(lo / coef)
            only = int(classes[0])
            c.SetLb(math.exp(min(700.0, lrow.lo / float(lrow.coef[only]))))
            c.SetCoefficient(svar[only], 1.0)
        else:
            assert t is not None
            for member in classes:
                c.SetCoefficient(t[int(member)], float(lrow.coef[member]))
    set_objective(mm, objective)
    return mm


def class_profit_bounds(inst: Instance) -> np.ndarray:
    """(K,) upper bound on the MaaS profit per traveller of each class, any menu, any price.

    With continuous prices, one class of multinomial logit with equal price sensitivity
    beta earns at most ``W(sum_b exp(a_b - beta c_b - 1)) / beta`` per traveller (Lambert
    W; a_b the utility intercept less ln(1 + e), c_b cost less subsidy), summed over the
    K bundles with the largest terms; a price grid can only earn less.
    """
    from scipy.special import lambertw

    out = np.zeros(inst.n_classes)
    for k in range(inst.n_classes):
        beta = inst.beta[k]
        terms = []
        for b in range(len(inst.bundles)):
            # utility intercept (largest over the grid, in case utility is not linear in price)
            a = float(np.max(np.log(inst.w[b][k]) + beta * inst.prices[b])) - math.log1p(inst.e[k])
            c = inst.maas_cost[k, b] - inst.subsidy[k, b]
            terms.append(a - beta * c - 1.0)
        top = np.sort(np.asarray(terms))[::-1][: max(0, inst.menu_size)]
        total = float(np.exp(top).sum()) if len(top) else 0.0
        out[k] = float(lambertw(total).real) / beta if total > 0 else 0.0
    return out


def add_tangent(mm: MenuModel, k: int, a: float) -> None:
    """Cut ``t_k <= ln a + (S_k - a) / a`` with S_k = 1 + e_k + sum w x (tangent of ln at a)."""
    assert mm.t is not None
    s = mm.solver
    c = s.Constraint(-s.infinity(), math.log(a) - 1.0)
    c.SetCoefficient(mm.t[k], 1.0)
    c.SetCoefficient(mm.s[k], -1.0 / a)
    mm.cut_points[k].append(a)
    mm.cuts += 1


def set_objective(mm: MenuModel, kind: str) -> None:
    """``max_profit``, ``min_subsidy``, ``max_surplus`` (per average traveller), or
    ``feasibility`` (no objective: any feasible menu)."""
    inst = mm.inst
    obj = mm.solver.Objective()
    obj.Clear()
    if kind == "feasibility":
        obj.SetMinimization()
    elif kind == "max_surplus":
        assert mm.t is not None
        for k, var in enumerate(mm.t):
            obj.SetCoefficient(var, float(mm.weights[k] / inst.beta[k]))
        obj.SetOffset(-float(mm.weights @ (mm.log_s0 / inst.beta)))
        obj.SetMaximization()
    elif kind in ("max_profit", "min_subsidy"):
        per_sub = inst.subsidy - inst.maas_cost if kind == "max_profit" else inst.subsidy
        price = 1.0 if kind == "max_profit" else 0.0
        for k in range(inst.n_classes):
            for b in range(len(inst.bundles)):
                coef = mm.weights[k] * inst.w[b][k] * (per_sub[k, b] + price * inst.prices[b])
                for li, var in enumerate(mm.z[k][b][1:]):
                    obj.SetCoefficient(var, float(coef[li]))
        if kind == "max_profit":
            obj.SetMaximization()
        else:
            obj.SetMinimization()
    else:
        raise ValueError(f"unknown objective {kind!r}")
    mm.objective_kind = kind


def extract_menu(mm: MenuModel) -> dict[int, int]:
    """Offered bundle -> price level index, from the current solution."""
    menu: dict[int, int] = {}
    for b, xs in enumerate(mm.x):
        for li, var in enumerate(xs[1:]):
            if var.solution_value() > 0.5:
                menu[b] = li
    return menu


def _s_values(mm: MenuModel, menu: dict[int, int]) -> np.ndarray:
    inst = mm.inst
    s = 1.0 + inst.e.copy()
    for b, li in menu.items():
        s += inst.w[b][:, li]
    return s


def set_hint(mm: MenuModel, menu: dict[int, int]) -> None:
    """Warm start: suggest offering ``menu`` (bundle -> level)."""
    variables, values = [], []
    for b, xs in enumerate(mm.x):
        chosen = menu[b] + 1 if b in menu else 0
        for li, var in enumerate(xs):
            variables.append(var)
            values.append(1.0 if li == chosen else 0.0)
    mm.solver.SetHint(variables, values)


def _reset(mm: MenuModel) -> None:
    for var in mm.fixed:
        var.SetUb(1.0)
    mm.fixed = []
    if mm.cutoff is not None:
        mm.cutoff.SetLb(-mm.solver.infinity())


def _prepare(mm: MenuModel, hint: dict[int, int] | None) -> np.ndarray | None:
    """Warm start, objective cutoff and level fixing for ``max_profit`` (see solve_model).

    Returns the value of every variable at the local-search menu (None: nothing done).
    """
    _reset(mm)
    if mm.objective_kind != "max_profit":
        return None
    checker = RowChecker(mm)
    found = local_search(mm, checker, hint)
    if found is None:
        return None
    menu, lower = found
    s = mm.solver
    if mm.cutoff is None:
        mm.cutoff = s.Constraint(-s.infinity(), s.infinity())
        obj = s.Objective()
        for zk in mm.z:
            for zb in zk:
                for var in zb:
                    coef = obj.GetCoefficient(var)
                    if coef != 0.0:
                        mm.cutoff.SetCoefficient(var, coef)
    slack = 1e-7 * max(1.0, abs(lower))
    mm.cutoff.SetLb(lower - slack)
    if mm.level_bounds is None:
        mm.level_bounds = level_profit_bounds(mm.inst)
    for b, bounds in enumerate(mm.level_bounds):
        for li in np.flatnonzero(bounds < lower - slack):
            if menu.get(b) == int(li):
                continue
            var = mm.x[b][int(li) + 1]
            var.SetUb(0.0)
            mm.fixed.append(var)
    return checker.values(menu)


_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
    pywraplp.Solver.UNBOUNDED: "unbounded",
    pywraplp.Solver.ABNORMAL: "abnormal",
    pywraplp.Solver.NOT_SOLVED: "not_solved",
}


def solve_model(
    mm: MenuModel,
    *,
    time_limit_s: float = 60.0,
    relative_gap: float = 1e-6,
    threads: int = 1,
    hint: dict[int, int] | None = None,
    prepare: bool = True,
) -> RawSolve:
    """Solve, adding tangent cuts for consumer surplus until exact; times are wall-clock.

    With ``prepare`` and objective ``max_profit``, a local-search menu that satisfies the
    current model (see `pricing._warmstart`) is the hint and a lower bound: the objective
    row ``profit >= that menu's profit`` is added and every price level whose profit bound
    (`pricing._bounds`) is below it is fixed to zero. Both only remove menus that cannot
    beat a feasible one, so the optimum is unchanged; they are undone at the next call.

    Status ``optimal`` (proven within ``relative_gap``), ``feasible`` (time limit hit
    with a solution; the gap says how far), ``infeasible``, or ``not_solved`` (time
    limit hit without a solution).
    """
    s = mm.solver
    start = time.perf_counter()
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, relative_gap)
    s.SetNumThreads(threads)
    full = _prepare(mm, hint) if prepare else None
    if full is not None:
        s.SetHint(s.variables(), [float(v) for v in full])
    else:
        # default warm start: offer nothing (feasible unless a requirement forces an offer)
        set_hint(mm, hint if hint is not None else {})
    rounds = 0
    status = "not_solved"
    menu: dict[int, int] | None = None
    while True:
        remaining = time_limit_s - (time.perf_counter() - start)
        s.SetTimeLimit(max(1, int(remaining * 1000)))
        code = s.Solve(params)
        status = _STATUS.get(code, "abnormal")
        rounds += 1
        if status not in ("optimal", "feasible"):
            menu = None
            break
        menu = extract_menu(mm)
        if mm.t is None or rounds >= _MAX_CUT_ROUNDS or remaining <= 0:
            break
        s_true = _s_values(mm, menu)
        t_values = [var.solution_value() for var in mm.t]  # read before changing the model
        short = [
            k
            for k, tv in enumerate(t_values)
            if tv > math.log(s_true[k]) + _CUT_TOL * max(1.0, s_true[k])
        ]
        if not short:
            break
        for k in short:
            add_tangent(mm, k, float(s_true[k]))
        set_hint(mm, menu)
    seconds = time.perf_counter() - start
    if menu is None:
        return RawSolve(s.SolverVersion(), status, None, None, None, seconds, None, rounds)
    scale = mm.inst.total_size
    obj = s.Objective().Value() * scale
    bound = s.Objective().BestBound() * scale
    gap = abs(bound - obj) / max(abs(obj), 1e-9) if math.isfinite(bound) else None
    if gap is not None and abs(bound - obj) < 1e-6 * max(1.0, abs(obj)):
        gap = 0.0
    return RawSolve(s.SolverVersion(), status, obj, bound, gap, seconds, menu, rounds)
