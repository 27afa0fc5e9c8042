"""A good feasible menu before the MIP starts: local search, checked against the model's rows.

`local_search` starts from the empty menu and repeatedly takes the best improving move
(add a bundle at some price, change one bundle's price, or swap one offered bundle for
another at some price). Profits of all candidate moves are computed at once with the logit
formula; candidates are then tried best first and the first one that satisfies every
row of the built model (`RowChecker`: the current bounds, so frontier epsilons and lazy
cuts count) is taken. The result is a lower bound on the optimum of that model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.linear_solver import linear_solver_pb2

if TYPE_CHECKING:
    from maasmix.pricing.solve.model import MenuModel

F = npt.NDArray[np.float64]
_ROW_TOL = 1e-7
_MAX_TRIES = 64


class RowChecker:
    """Does a menu satisfy every row and bound of a built model (within 1e-7)?"""

    def __init__(self, mm: MenuModel) -> None:
        proto = linear_solver_pb2.MPModelProto()
        mm.solver.ExportModelToProto(proto)
        rows, cols, vals = [], [], []
        lb, ub = [], []
        for i, c in enumerate(proto.constraint):
            rows.extend([i] * len(c.var_index))
            cols.extend(c.var_index)
            vals.extend(c.coefficient)
            lb.append(c.lower_bound)
            ub.append(c.upper_bound)
        n_var = len(proto.variable)
        self.a = sp.csr_matrix((vals, (rows, cols)), shape=(len(lb), n_var))
        self.lb, self.ub = np.asarray(lb), np.asarray(ub)
        self.var_lb = np.array([v.lower_bound for v in proto.variable])
        self.var_ub = np.array([v.upper_bound for v in proto.variable])
        self.mm = mm

    def values(self, menu: dict[int, int]) -> F:
        """The value of every model variable when ``menu`` is offered."""
        mm, inst = self.mm, self.mm.inst
        v = np.zeros(self.a.shape[1])
        big_s = 1.0 + inst.e.copy()
        for b, li in menu.items():
            big_s += inst.w[b][:, li]
        y0 = 1.0 / big_s
        for b, xs in enumerate(mm.x):
            v[xs[menu[b] + 1 if b in menu else 0].index()] = 1.0
        net = inst.subsidy - inst.maas_cost
        c = mm.scale  # the model's variables are Y = c y0, Z = c z, sigma = S / c
        for k in range(inst.n_classes):
            if mm.p:
                v[mm.p[k].index()] = y0[k] * sum(
                    mm.w_model[b][k, li] * (inst.prices[b][li] + net[k, b])
                    for b, li in menu.items()
                )
            v[mm.y0[k].index()] = c[k] * y0[k]
            v[mm.s[k].index()] = big_s[k] / c[k]
            if mm.t is not None:
                v[mm.t[k].index()] = math.log(big_s[k])
            for b, zb in enumerate(mm.z[k]):
                v[zb[menu[b] + 1 if b in menu else 0].index()] = c[k] * y0[k]
        return v

    def feasible(self, menu: dict[int, int]) -> bool:
        """True when every row and variable bound holds at ``menu``."""
        v = self.values(menu)
        act = self.a @ v
        tol_r = _ROW_TOL * np.maximum(1.0, np.abs(act))
        tol_v = _ROW_TOL * np.maximum(1.0, np.abs(v))
        return bool(
            np.all(act >= self.lb - tol_r)
            and np.all(act <= self.ub + tol_r)
            and np.all(v >= self.var_lb - tol_v)
            and np.all(v <= self.var_ub + tol_v)
        )


def _profits(mm: MenuModel, menus: list[dict[int, int]]) -> F:
    """Profit per average traveller (minor units) of each menu, by the logit formula."""
    inst = mm.inst
    n = len(menus)
    width = max(1, max((len(m) for m in menus), default=1))
    w = np.zeros((n, width, inst.n_classes))
    margin = np.zeros((n, width, inst.n_classes))
    net = inst.subsidy - inst.maas_cost
    for i, menu in enumerate(menus):
        for j, (b, li) in enumerate(menu.items()):
            w[i, j] = inst.w[b][:, li]
            margin[i, j] = inst.prices[b][li] + net[:, b]
    big_s = 1.0 + inst.e[None, :] + w.sum(axis=1)
    per_class = (w * margin).sum(axis=1) / big_s  # (n, K)
    return np.asarray(per_class @ mm.weights, dtype=float)


def _moves(mm: MenuModel, menu: dict[int, int]) -> list[dict[int, int]]:
    inst = mm.inst
    out: list[dict[int, int]] = []
    n_b = len(inst.bundles)
    for b in range(n_b):
        for li in range(len(inst.prices[b])):
            if b in menu:
                if menu[b] != li:
                    out.append({**menu, b: li})
                continue
            if len(menu) < inst.menu_size:
                out.append({**menu, b: li})
            for old in menu:
                swapped = {c: lv for c, lv in menu.items() if c != old}
                swapped[b] = li
                out.append(swapped)
    for old in menu:
        out.append({c: lv for c, lv in menu.items() if c != old})
    return out


def local_search(
    mm: MenuModel, checker: RowChecker, start: dict[int, int] | None = None
) -> tuple[dict[int, int], float] | None:
    """Best-improvement local search for ``max_profit`` from ``start`` (or the empty menu,
    whichever is better and feasible); (menu, profit per traveller), or None when neither
    satisfies the model."""
    starts = [m for m in ([start] if start is not None else []) + [{}] if checker.feasible(m)]
    if not starts:
        return None
    values = _profits(mm, starts)
    menu = dict(starts[int(np.argmax(values))])
    best = float(np.max(values))
    while True:
        cands = _moves(mm, menu)
        if not cands:
            break
        prof = _profits(mm, cands)
        order = np.argsort(-prof)
        step = None
        for i in order[:_MAX_TRIES]:
            if prof[i] <= best + 1e-9 * max(1.0, abs(best)):
                break
            if checker.feasible(cands[i]):
                step = int(i)
                break
        if step is None:
            break
        menu, best = cands[step], float(prof[step])
    return menu, best
