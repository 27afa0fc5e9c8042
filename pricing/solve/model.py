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

Scaling. A class that likes a bundle a lot has S_k in the thousands and y0_k near 1e-5, so
the rows above in y0, z and S mix coefficients of 1e-10 and 1e+5. SCIP treats every
coefficient below its epsilon (1e-9) as zero, which turned the valid tangent
``y0 >= 2/a - S/a^2`` into ``y0 >= 2/a`` and cut off the optimum (SCIP then "proved" a
worse menu optimal). So the model is written in per-class scaled variables
``Y_k = c_k y0_k``, ``Z_kbl = c_k z_kbl``, ``sigma_k = S_k / c_k`` with
``c_k = sqrt((1 + e_k) S_max_k)``: every coefficient of the z-linearisation and of the
tangents then lies in ``[1/sqrt(R_k), sqrt(R_k)]`` with ``R_k = S_max_k / (1 + e_k)``, and
the tangents are written as ``a Y + sigma / a >= 2``. An exp-utility below ``1e-12 (1 +
e_k)`` (a class that never buys that item) is written as zero. The range of every
coefficient actually used is recorded (`MenuModel.numerics`); a model outside the
solvers' safe range is reported, and its statuses are not trusted (`pricing.solve.objectives`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from maasmix.pricing.solve._bounds import class_level_bounds, level_profit_bounds
from maasmix.pricing.solve._warmstart import RowChecker, local_search
from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.menus import build_problem
from maasmix.pricing.solve.menus import local_search as exact_local_search
from maasmix.pricing.solve.menus import relative_gap as _gap
from maasmix.pricing.solve.rows import LinearRow, Requirements, linear_rows, log_rows

#: MIP solvers: OR-Tools' HiGHS interface crashed the process and CP-SAT declared feasible
#: scenarios infeasible (it needs integer coefficients), so neither is offered.
SOLVERS = ("SCIP", "CBC")
_CUT_TOL = 1e-9
_MAX_CUT_ROUNDS = 60
#: exp-utilities below this share of 1 + e_k are written as zero in the MIP
_W_NEGLIGIBLE = 1e-12
#: SCIP (and CBC) read coefficients below 1e-9 as zero; the model is trusted only when every
#: coefficient it uses is at least ``SAFE_MIN`` (or too small to matter: its largest
#: contribution to a row is below 1e-9) and at most ``SAFE_MAX``
SAFE_MIN = 1e-8
SAFE_MAX = 1e8


@dataclass
class Numerics:
    """The range of the constraint coefficients a model uses, and whether it is safe."""

    smallest: float = math.inf
    largest: float = 0.0
    unsafe: int = 0

    def note(self, value: float, var_bound: float) -> float:
        """Record one coefficient; returns it (0.0 for an exact zero)."""
        a = abs(value)
        if a == 0.0:
            return 0.0
        if a < SAFE_MIN and a * var_bound > 1e-9:
            self.unsafe += 1
        if a > SAFE_MAX:
            self.unsafe += 1
        self.smallest = min(self.smallest, a)
        self.largest = max(self.largest, a)
        return value

    @property
    def safe(self) -> bool:
        """True when no coefficient is outside the solvers' safe range."""
        return self.unsafe == 0

    def describe(self) -> str:
        """One line for people."""
        return (
            f"constraint coefficients from {self.smallest:.3g} to {self.largest:.3g}; "
            f"{self.unsafe} outside [{SAFE_MIN:g}, {SAFE_MAX:g}]"
        )


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
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    w_model: list[np.ndarray] = field(default_factory=list)
    numerics: Numerics = field(default_factory=Numerics)


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
    note: str = ""
    nodes: int = 0
    stopped: str | None = None


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
    s0 = 1.0 + inst.e
    c = np.sqrt(s0 * s_max)  # per-class scale: Y = c y0, Z = c z, sigma = S / c
    big = float(np.max(c / s0))  # the largest value of any Y, Z or sigma
    w_model = [np.where(wb >= _W_NEGLIGIBLE * s0[:, None], wb, 0.0) for wb in inst.w]
    num = Numerics()

    def coef(con: pywraplp.Constraint, var: pywraplp.Variable, value: float, ub: float) -> None:
        if value != 0.0:
            con.SetCoefficient(var, float(num.note(value, ub)))

    x = [[s.BoolVar(f"x_{b}_{li}") for li in range(len(inst.prices[b]) + 1)] for b in range(n_b)]
    y0 = [s.NumVar(float(c[k] / s_max[k]), float(c[k] / s0[k]), f"y0_{k}") for k in range(n_k)]
    z: list[list[list[pywraplp.Variable]]] = []
    groups: dict[str, list[pywraplp.Constraint]] = {}
    for b in range(n_b):
        one = s.Constraint(1.0, 1.0)
        for var in x[b]:
            one.SetCoefficient(var, 1.0)
    for k in range(n_k):
        zk: list[list[pywraplp.Variable]] = []
        norm = s.Constraint(1.0, 1.0)
        coef(norm, y0[k], float(s0[k] / c[k]), big)
        for b in range(n_b):
            wk = w_model[b][k]
            zb = [
                s.NumVar(0.0, float(c[k] / s0[k]), f"z_{k}_{b}_{li}") for li in range(len(wk) + 1)
            ]
            link = s.Constraint(0.0, 0.0)
            link.SetCoefficient(y0[k], -1.0)
            for li, var in enumerate(zb):
                link.SetCoefficient(var, 1.0)
                cap = c[k] / s0[k] if li == 0 else c[k] / (s0[k] + inst.w[b][k, li - 1])
                up = s.Constraint(-s.infinity(), 0.0)
                up.SetCoefficient(var, 1.0)
                coef(up, x[b][li], -float(cap), 1.0)
                if li > 0:
                    coef(norm, var, float(wk[li - 1] / c[k]), big)
            zk.append(zb)
        z.append(zk)

    # sigma_k = S_k / c_k, S_k = 1 + e_k + sum w x: one dense row per class keeps cuts sparse
    svar = [s.NumVar(float(s0[k] / c[k]), float(s_max[k] / c[k]), f"s_{k}") for k in range(n_k)]
    for k in range(n_k):
        c0 = s.Constraint(float(s0[k] / c[k]), float(s0[k] / c[k]))
        c0.SetCoefficient(svar[k], 1.0)
        for b in range(n_b):
            for li, var in enumerate(x[b][1:]):
                coef(c0, var, -float(w_model[b][k, li] / c[k]), 1.0)
        for a in np.geomspace(s0[k] / c[k], s_max[k] / c[k], 6):
            # valid inequality y0_k >= 1/S_k, i.e. Y_k >= 1/sigma_k (convex): the tangent
            # at a, Y >= 2/a - sigma/a^2, times a
            c0 = s.Constraint(2.0, s.infinity())
            coef(c0, y0[k], float(a), big)
            coef(c0, svar[k], float(1.0 / a), big)

    # valid inequality: no class earns more than its Lambert-W single-class bound
    cap = class_profit_bounds(inst)
    margin = [
        inst.prices[b][None, :] + (inst.subsidy - inst.maas_cost)[:, b, None] for b in range(n_b)
    ]
    for k in range(n_k):
        c0 = s.Constraint(-s.infinity(), float(cap[k]))
        for b in range(n_b):
            row = w_model[b][k] * margin[b][k] / c[k]
            for li, var in enumerate(z[k][b][1:]):
                coef(c0, var, float(row[li]), big)

    # valid inequalities (max_profit): with b offered at l, class k earns at most
    # U_kbl (pricing.solve._bounds); p_k is class k's profit per traveller
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
                row = w_model[b][k] * margin[b][k] / c[k]
                for li, var in enumerate(z[k][b][1:]):
                    coef(c0, var, -float(row[li]), big)
            for b in range(n_b):
                c0 = s.Constraint(-s.infinity(), 0.0)
                c0.SetCoefficient(pk, 1.0)
                coef(c0, x[b][0], -float(anything[k]), 1.0)
                for li, var in enumerate(x[b][1:]):
                    coef(c0, var, -float(per_level[b][li, k]), 1.0)

    def add(group: str, lb: float, ub: float) -> pywraplp.Constraint | None:
        if group in req.disabled:
            return None
        con = s.Constraint(lb, ub)
        groups.setdefault(group, []).append(con)
        return con

    def set_metric(con: pywraplp.Constraint, row: LinearRow) -> None:
        outside = row.coefficients(inst)[0]
        values = row.values(inst)
        for k in range(n_k):
            coef(con, y0[k], float(outside[k] / c[k]), big)
            for b in range(n_b):
                per = w_model[b][k] * values[b][k] / c[k]
                for li, var in enumerate(z[k][b][1:]):
                    coef(con, var, float(per[li]), big)

    con = add("menu_size", -s.infinity(), float(inst.menu_size))
    if con is not None:
        for b in range(n_b):
            for var in x[b][1:]:
                con.SetCoefficient(var, 1.0)
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
                con = add("price_ladder", -s.infinity(), 1.0)
                if con is None:
                    break
                con.SetCoefficient(x[lo][li + 1], 1.0)
                for lh in cheaper:
                    con.SetCoefficient(x[hi][lh + 1], 1.0)
    for row in linear_rows(inst, req):
        con = s.Constraint(_finite(s, row.lo), _finite(s, row.hi))
        groups.setdefault(row.group, []).append(con)
        set_metric(con, row)

    log_s0 = np.log1p(inst.e)
    t: list[pywraplp.Variable] | None = None
    mm = MenuModel(inst, s, x, y0, z, None, svar, groups, weights, log_s0, objective)
    mm.p = pvars
    mm.level_bounds = level_bounds
    mm.scale = c
    mm.w_model = w_model
    mm.numerics = num
    surplus = log_rows(inst, req)
    # a one-class floor is the linear bound on S_k below; the ``min_surplus`` row always uses
    # t, because a frontier sweep moves its bound in log space (pricing.frontier)
    linear_floor = [r.group != "min_surplus" and np.count_nonzero(r.coef) == 1 for r in surplus]
    if objective == "max_surplus" or not all(linear_floor):
        t = [s.NumVar(float(log_s0[k]), float(np.log(s_max[k])), f"t_{k}") for k in range(n_k)]
        mm.t = t
        mm.cut_points = [[] for _ in range(n_k)]
        for k in range(n_k):
            for a in np.geomspace(s0[k], s_max[k], 8):
                add_tangent(mm, k, float(a))
    for lrow, linear in zip(surplus, linear_floor, strict=True):
        con = s.Constraint(float(lrow.lo), s.infinity())
        groups.setdefault(lrow.group, []).append(con)
        classes = np.flatnonzero(lrow.coef)
        if linear:
            # one class: coef ln S_k >= lo is the linear bound S_k >= exp(lo / coef)
            only = int(classes[0])
            con.SetLb(math.exp(min(700.0, lrow.lo / float(lrow.coef[only]))) / c[only])
            con.SetCoefficient(svar[only], 1.0)
        else:
            assert t is not None
            for member in classes:
                coef(con, t[int(member)], float(lrow.coef[member]), 1.0)
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
    """Cut ``t_k <= ln a + (S_k - a) / a`` with S_k = 1 + e_k + sum w x (tangent of ln at a),
    written in sigma_k = S_k / c_k: ``t_k - (c_k / a) sigma_k <= ln a - 1``."""
    assert mm.t is not None
    s = mm.solver
    c = s.Constraint(-s.infinity(), math.log(a) - 1.0)
    c.SetCoefficient(mm.t[k], 1.0)
    c.SetCoefficient(mm.s[k], -float(mm.numerics.note(mm.scale[k] / a, mm.s[k].ub())))
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
                coef = mm.weights[k] * mm.w_model[b][k] * (per_sub[k, b] + price * inst.prices[b])
                coef = coef / mm.scale[k]
                for li, var in enumerate(mm.z[k][b][1:]):
                    if coef[li] != 0.0:
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
    stop: Callable[[], bool] | None = None,
) -> RawSolve:
    """Solve, adding tangent cuts for consumer surplus until exact; times are wall-clock.

    With ``prepare`` and objective ``max_profit``, a local-search menu that satisfies the
    current model (see `pricing.solve._warmstart`) is the hint and a lower bound: the objective
    row ``profit >= that menu's profit`` is added and every price level whose profit bound
    (`pricing.solve._bounds`) is below it is fixed to zero. Both only remove menus that cannot
    beat a feasible one, so the optimum is unchanged; they are undone at the next call.

    Status ``optimal`` (proven within ``relative_gap``), ``feasible`` (time limit hit
    with a solution; the gap says how far), ``infeasible``, or ``not_solved`` (time
    limit hit without a solution). With ``stop``, the solver runs in a worker thread and
    is interrupted as soon as ``stop()`` is true (SCIP's own Ctrl-C handler is switched
    off so that the caller's sees the signal); an interrupted solve has no solution
    (OR-Tools keeps none) and says ``stopped="interrupted"``.
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
    converged = mm.t is None
    interrupted = False
    while True:
        remaining = time_limit_s - (time.perf_counter() - start)
        s.SetTimeLimit(max(1, int(remaining * 1000)))
        code = s.Solve(params) if stop is None else _solve_stoppable(s, params, stop)
        status = _STATUS.get(code, "abnormal")
        rounds += 1
        if stop is not None and stop():
            interrupted = True
            if status not in ("optimal", "feasible"):
                status = "not_solved"
            break
        if status not in ("optimal", "feasible"):
            menu = None
            break
        menu = extract_menu(mm)
        if mm.t is None:
            break
        s_true = _s_values(mm, menu)
        t_values = [var.solution_value() for var in mm.t]  # read before changing the model
        short = []
        for k, tv in enumerate(t_values):
            log_s = math.log(s_true[k])
            over = tv - log_s
            if over <= _CUT_TOL * max(1.0, abs(log_s)):
                continue
            seen = any(abs(a - s_true[k]) <= 1e-12 * s_true[k] for a in mm.cut_points[k])
            if seen and over <= 1e-6 * max(1.0, abs(log_s)):
                continue  # the cut is in the model: what is left is the solver's tolerance
            short.append(k)
        if not short:
            converged = True
            break
        if rounds >= _MAX_CUT_ROUNDS or time_limit_s - (time.perf_counter() - start) <= 0:
            break
        for k in short:
            add_tangent(mm, k, float(s_true[k]))
        set_hint(mm, menu)
    seconds = time.perf_counter() - start
    why = "interrupted" if interrupted else None
    if status not in ("optimal", "infeasible") and why is None and seconds >= time_limit_s:
        why = "time_limit"
    if menu is None or status not in ("optimal", "feasible"):
        status = "not_solved" if interrupted else status
        return RawSolve(
            s.SolverVersion(), status, None, None, None, seconds, None, rounds, "", 0, why
        )
    scale = mm.inst.total_size
    obj = s.Objective().Value() * scale
    bound = s.Objective().BestBound() * scale
    note = ""
    if not converged:
        # the surplus of the last menu is still over-estimated: its objective and rows are
        # not proven; the bound of the outer approximation stays valid
        note = f"surplus cuts did not converge in {rounds} rounds"
        if status == "optimal":
            status = "feasible"
    if interrupted and status == "optimal":
        status = "feasible"
    gap = _gap(obj, bound) if math.isfinite(bound) else None
    return RawSolve(s.SolverVersion(), status, obj, bound, gap, seconds, menu, rounds, note, 0, why)


def _solve_stoppable(
    s: pywraplp.Solver, params: pywraplp.MPSolverParameters, stop: Callable[[], bool]
) -> int:
    """``s.Solve(params)`` in a worker thread (OR-Tools releases the GIL), interrupted
    when ``stop()`` turns true; the main thread stays free for signal handlers."""
    if s.SolverVersion().startswith("SCIP"):
        s.SetSolverSpecificParametersAsString("misc/catchctrlc = FALSE\n")
    out: dict[str, int] = {}
    worker = threading.Thread(target=lambda: out.setdefault("code", s.Solve(params)))
    worker.start()
    interrupted = False
    while worker.is_alive():
        worker.join(0.1)
        if not interrupted and stop():
            s.InterruptSolve()
            interrupted = True
    return out.get("code", pywraplp.Solver.ABNORMAL)


def verify_solve(
    mm: MenuModel, raw: RawSolve, req: Requirements | None, *, relative_gap: float = 1e-6
) -> RawSolve:
    """Check what the MIP claims against exact logit evaluation; downgrade what fails.

    - a model with coefficients outside the solvers' safe range (`Numerics`): ``optimal``
      and ``infeasible`` become ``uncertain`` and the bound is dropped;
    - the menu is re-evaluated exactly (`pricing.solve.menus`): the objective reported is the
      exact one, and a menu that breaks a row by more than the exact methods' tolerance
      is ``uncertain``;
    - an exact local search (add / re-price / swap / drop) starts from the MIP's menu, or
      from nothing when the MIP says infeasible: a better menu than a claimed optimum, or
      any feasible menu after a claimed infeasibility, proves the claim wrong; the better
      menu is returned with status ``uncertain`` and no bound.

    So whenever the MIP and an exact menu method both say ``optimal`` they agree (to the
    relative gap), and a status that cannot be trusted numerically is reported as such.
    """
    notes = [raw.note] if raw.note else []
    prob = build_problem(mm.inst, req, mm.objective_kind)
    status, bound, menu = raw.status, raw.bound, raw.menu
    if not mm.numerics.safe:
        notes.append("numerically unsafe model: " + mm.numerics.describe())
        if status in ("optimal", "infeasible"):
            status = "uncertain"
        bound = None
    objective = raw.objective
    score = None
    menu_ok = False
    if menu is not None:
        scores, ok = prob.evaluate([prob.items_of(menu) or [-1]])
        score, menu_ok = float(scores[0]), bool(ok[0])
        objective = prob.report(score)
        if not menu_ok:
            notes.append("the MIP's menu breaks a row when evaluated exactly")
            status = "uncertain" if status == "optimal" else status
    if status in ("optimal", "feasible", "infeasible", "uncertain", "not_solved"):
        found = exact_local_search(prob, [prob.items_of(menu)] if menu is not None else [])
        if found is not None:
            items, value = found
            tol = max(relative_gap, 1e-9) * max(1.0, abs(score if score is not None else value))
            if score is None or not menu_ok or value > score + tol:
                if status == "not_solved":
                    notes.append("the MIP stopped without a menu: the local search's menu")
                    status = "feasible"
                elif status != "feasible":
                    what = "a better menu" if menu is not None else "a feasible menu"
                    notes.append(f"{status} claimed, but {what} exists: the MIP is not trusted")
                    status, bound = "uncertain", None
                menu, score, objective = prob.menu_of(items), value, prob.report(value)
    if bound is not None and objective is not None and prob.objective != 2:
        # one minor unit a month, or ten times the relative gap, whichever is larger
        slack = max(10 * max(relative_gap, 1e-9) * abs(objective), 1.0)
        if prob.sense * (bound - objective) < -slack:
            notes.append("the MIP's bound is beyond an exactly evaluated menu: not trusted")
            status = "uncertain" if status == "optimal" else status
            bound = None
        elif status == "optimal" and abs(bound - objective) > slack:
            notes.append(f"optimal claimed {abs(bound - objective):.6g} from the exact objective")
            status = "uncertain"
    gap = _gap(objective, bound) if objective is not None and bound is not None else None
    return RawSolve(
        raw.solver,
        status,
        objective,
        bound,
        gap,
        raw.seconds,
        menu,
        raw.cut_rounds,
        "; ".join(notes),
        raw.nodes,
        raw.stopped,
    )
