"""Exhaustive menu search: every menu of at most K bundles, each at one of its prices.

The MIP (`pricing.model`) proves optimality by branch and bound on a linear relaxation
that is weak when classes disagree on prices: on 8 segments x 31 bundles x 25 prices,
K = 3, SCIP is still at a 2-3 % gap after minutes. Real menus are small (Whim sold 3-4
plans, the Sydney trial 3), and for them the menus can simply be counted out: every set
of at most K items (bundle, price level) with no two of the same bundle and no
price-ladder violation is scored exactly by the logit formula and checked against every
row of `pricing.rows` (budget, operator floors, surplus floors, uptake, profit, subsidy,
surplus). The best feasible menu is optimal with a zero gap by construction.

Work is the number of menus, ``sum_{d <= K} e_d(L_1, ..., L_B)`` (elementary symmetric
polynomials of the grid sizes; the ladder removes some): 70.6 million for 31 x 25, K = 3.
`menu_count` gives it before starting; ``solver="AUTO"`` uses this search up to
`ENUMERATION_LIMIT` menus and the MIP beyond.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from maasmix.pricing._enumeration_kernel import _feasible, _score, search_from
from maasmix.pricing.instance import Instance
from maasmix.pricing.model import RawSolve
from maasmix.pricing.rows import (
    LinearRow,
    LogRow,
    Requirements,
    linear_rows,
    log_rows,
    objective_row,
)

F = npt.NDArray[np.float64]
#: Up to this many menus, ``AUTO`` enumerates (about 2-4 s on two cores per 10^8 menus).
ENUMERATION_LIMIT = 150_000_000
SOLVER_NAME = "maasmix exhaustive menu search"
_ROW_TOL = 1e-9
_CHUNK = 4

Progress = Callable[[int, int], None]


def menu_count(inst: Instance, req: Requirements | None = None) -> int:
    """Menus of at most K bundles (each at one price), before the ladder removes any."""
    disabled = req.disabled if req is not None else frozenset()
    top = len(inst.bundles) if "menu_size" in disabled else inst.menu_size
    poly = [1] + [0] * max(0, top)  # poly[d] = e_d over the bundles seen so far
    for prices in inst.prices:
        for d in range(len(poly) - 1, 0, -1):
            poly[d] += poly[d - 1] * len(prices)
    return sum(poly)


def _items(inst: Instance) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Bundle and price-level index of every item, bundle by bundle."""
    sizes = np.array([len(p) for p in inst.prices], dtype=np.int64)
    bundle = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    level = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(start, sizes)
    return bundle, level


def _conflicts(
    inst: Instance, req: Requirements, bundle: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """(I, I): same bundle, or a more inclusive bundle priced below a less inclusive one."""
    conflict = bundle[:, None] == bundle[None, :]
    if inst.price_ladder and "price_ladder" not in req.disabled:
        start = np.concatenate([[0], np.cumsum([len(p) for p in inst.prices])])
        for hi, lo in inst.ladder:
            cheaper = inst.prices[hi][:, None] < inst.prices[lo][None, :]
            block = conflict[start[hi] : start[hi + 1], start[lo] : start[lo + 1]]
            block |= cheaper
            conflict[start[lo] : start[lo + 1], start[hi] : start[hi + 1]] |= cheaper.T
    return conflict


def _linear_arrays(inst: Instance, rows: list[LinearRow]) -> tuple[F, F, F, F]:
    """(R, K) outside terms, (R, I, K) item terms, (R,) lower and upper bounds."""
    n_k = inst.n_classes
    n_i = sum(len(p) for p in inst.prices)
    out = np.zeros((len(rows), n_k))
    item = np.zeros((len(rows), n_i, n_k))
    for r, row in enumerate(rows):
        outside, per_bundle = row.coefficients(inst)
        out[r] = outside
        if per_bundle:
            item[r] = np.concatenate([c.T for c in per_bundle], axis=0)
    lo = np.array([row.lo for row in rows], dtype=float)
    hi = np.array([row.hi for row in rows], dtype=float)
    return out, item, lo, hi


def enumerate_menus(
    inst: Instance,
    req: Requirements | None = None,
    kind: str = "max_profit",
    *,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    hint: dict[int, int] | None = None,
) -> RawSolve:
    """Best menu for ``kind`` under the policy and ``req``, by exhaustive search.

    Status ``optimal`` (every menu scored; gap 0), ``infeasible`` (none satisfies the
    rows), or at the time limit ``feasible`` / ``not_solved`` with no bound.
    ``progress(done, total)`` counts first items searched. The time limit counts from the
    start of the search (compiling the kernel, once per environment, is not counted; the
    reported seconds include it). A feasible ``hint`` (bundle ->
    level) only saves work: menus that do not beat it skip the row checks.
    """
    req = req if req is not None else Requirements()
    start = time.perf_counter()
    obj, sense = objective_row(inst, kind)
    lin: list[LinearRow] = linear_rows(inst, req)
    logs: list[LogRow] = log_rows(inst, req)
    objective = 2
    if isinstance(obj, LinearRow):
        lin, objective = [obj, *lin], 0
    elif isinstance(obj, LogRow):
        logs, objective = [obj, *logs], 1
    lin_out, lin_item, lin_lo, lin_hi = _linear_arrays(inst, lin)
    log_coef = np.array([r.coef for r in logs], dtype=float).reshape(len(logs), inst.n_classes)
    log_lo = np.array([r.lo for r in logs], dtype=float)
    bundle, level = _items(inst)
    w = np.concatenate([wb.T for wb in inst.w], axis=0) if inst.w else np.zeros((0, inst.n_classes))
    s0 = 1.0 + inst.e
    max_items = len(inst.bundles) if "menu_size" in req.disabled else inst.menu_size
    conflict = _conflicts(inst, req, bundle)

    best = -math.inf
    best_menu: dict[int, int] | None = None
    for menu in [{}, hint or {}]:  # the empty menu, then the hint
        picked = [int(np.flatnonzero((bundle == b) & (level == li))[0]) for b, li in menu.items()]
        s_menu = s0 + w[picked].sum(axis=0)
        a_menu = lin_out + lin_item[:, picked].sum(axis=1)
        value = sense * _score(s_menu, a_menu[0] if len(lin) else s0, log_coef, objective)
        clash = conflict[np.ix_(picked, picked)] & ~np.eye(len(picked), dtype=bool)
        if len(picked) <= max_items and not clash.any():
            ok = _feasible(s_menu, a_menu, lin_lo, lin_hi, log_coef, log_lo, objective, _ROW_TOL)
            if ok and (best_menu is None or value > best):
                best, best_menu = value, dict(menu)

    # compile (first call in a fresh environment) or load the kernel before the clock of the
    # time limit starts: a zero-length search with the same argument types
    search_from(
        np.zeros(0, dtype=np.int64), max(1, max_items), w, s0, lin_out, lin_item, lin_lo, lin_hi,
        log_coef, log_lo, conflict, objective, sense, _ROW_TOL, best,
    )  # fmt: skip
    searching = time.perf_counter()
    n_i = len(bundle)
    done = 0
    complete = True
    if max_items > 0:
        for lo in range(0, n_i, _CHUNK):
            if done and time.perf_counter() - searching > time_limit_s:
                complete = False
                break
            first = np.arange(lo, min(n_i, lo + _CHUNK), dtype=np.int64)
            values, items = search_from(
                first, max_items, w, s0, lin_out, lin_item, lin_lo, lin_hi,
                log_coef, log_lo, conflict, objective, sense, _ROW_TOL, best,
            )  # fmt: skip
            for t in range(len(first)):
                if values[t] > -math.inf and (best_menu is None or values[t] > best):
                    best = float(values[t])
                    chosen = items[t][items[t] >= 0]
                    best_menu = {int(bundle[i]): int(level[i]) for i in chosen}
            done = int(first[-1]) + 1
            if progress is not None:
                progress(done, n_i)
    seconds = time.perf_counter() - start
    if best_menu is None:
        status = "infeasible" if complete else "not_solved"
        return RawSolve(SOLVER_NAME, status, None, None, None, seconds, None, 0)
    value = sense * best if objective != 2 else 0.0
    if objective == 1:
        n = inst.size / inst.total_size
        value -= float(n @ (np.log1p(inst.e) / inst.beta))
    value *= inst.total_size
    if complete:
        return RawSolve(SOLVER_NAME, "optimal", value, value, 0.0, seconds, best_menu, 0)
    return RawSolve(SOLVER_NAME, "feasible", value, None, None, seconds, best_menu, 0)
