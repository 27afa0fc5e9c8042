"""A menu problem as arrays, shared by the exact menu methods, and exact menu evaluation.

An *item* is one bundle at one price level. A menu is a set of at most ``max_items`` items
with no two in conflict (same bundle, or a price-ladder violation). For a menu,
``S_k = s0_k + sum_i w_ik`` and every linear row of `pricing.solve.rows` is
``sum_k (out_rk + sum_i w_ik v_rik) / S_k`` (``v`` the per-subscriber value, class weight
included), every log row ``sum_k g_qk ln S_k``. Row 0 of the linear rows (``objective ==
0``) or of the log rows (``objective == 1``) is the objective, times ``sense``;
``objective == 2`` means any feasible menu will do. The *score* of a menu is ``sense``
times its objective in these units (per average traveller; log rows without their
constant), so every method maximises the score.

`MenuProblem.evaluate` scores a batch of menus and checks every row exactly (relative
tolerance ``ROW_TOL``), `local_search` improves a menu by exact add / re-price / swap /
drop moves; both are numpy only, so small cases need no compiled kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.rows import (
    LinearRow,
    LogRow,
    Requirements,
    linear_rows,
    log_rows,
    objective_row,
)

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
#: Relative tolerance on every row (the exact methods and the result's policy check).
ROW_TOL = 1e-9
#: A menu improves on another when its score is higher by this (relative) margin.
IMPROVE = 1e-12
_BATCH = 4096


@dataclass(frozen=True)
class SearchProgress:
    """Where a long search is: work done, the incumbent and the bound (minor units per
    month, whole population, None when unknown), and the clock."""

    method: str
    explored: int
    total: int | None
    incumbent: float | None
    bound: float | None
    elapsed_s: float
    time_limit_s: float
    unit: str = "menus"

    @property
    def gap(self) -> float | None:
        """Relative gap between incumbent and bound (None when either is unknown)."""
        if self.incumbent is None or self.bound is None:
            return None
        return relative_gap(self.incumbent, self.bound)

    @property
    def time_left_s(self) -> float:
        """Seconds until the time limit."""
        return max(0.0, self.time_limit_s - self.elapsed_s)


Progress = Callable[[SearchProgress], None]
#: Polled between chunks of work: True asks the search to stop and return what it has.
StopCheck = Callable[[], bool]


def relative_gap(objective: float, bound: float) -> float:
    """``|bound - objective| / max(|objective|, 1e-9)``, 0 when they agree to 1e-9."""
    if abs(bound - objective) <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return abs(bound - objective) / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class MenuProblem:
    """Items, exp-utilities and the rows of one objective under one set of requirements."""

    inst: Instance
    kind: str
    sense: float
    objective: int
    bundle: I64
    level: I64
    w: F
    s0: F
    lin_groups: tuple[str, ...]
    lin_out: F
    lin_item: F
    lin_value: F
    lin_lo: F
    lin_hi: F
    log_groups: tuple[str, ...]
    log_coef: F
    log_lo: F
    conflict: npt.NDArray[np.bool_]
    max_items: int

    @property
    def n_items(self) -> int:
        """Number of items (bundle, price level)."""
        return len(self.bundle)

    def items_of(self, menu: Mapping[int, int]) -> list[int]:
        """Item indices of a menu given as bundle -> level."""
        start = np.concatenate([[0], np.cumsum([len(p) for p in self.inst.prices])])
        return sorted(int(start[b] + li) for b, li in menu.items())

    def menu_of(self, items: Iterable[int]) -> dict[int, int]:
        """Bundle -> level of a menu given as item indices (negative ones ignored)."""
        return {int(self.bundle[i]): int(self.level[i]) for i in items if i >= 0}

    def report(self, score: float) -> float:
        """A score as the objective in minor units per month, whole population (0 for
        ``feasibility``; surplus as the change against today)."""
        if self.objective == 2:
            return 0.0
        value = self.sense * score
        if self.objective == 1:
            n = self.inst.size / self.inst.total_size
            value -= float(n @ (np.log1p(self.inst.e) / self.inst.beta))
        return value * self.inst.total_size

    def to_score(self, value: float) -> float:
        """The inverse of `report`: a reported objective value as a score."""
        if self.objective == 2:
            return 0.0
        v = value / self.inst.total_size
        if self.objective == 1:
            n = self.inst.size / self.inst.total_size
            v += float(n @ (np.log1p(self.inst.e) / self.inst.beta))
        return self.sense * v

    def evaluate(self, items: npt.ArrayLike) -> tuple[F, npt.NDArray[np.bool_]]:
        """Score and feasibility of each menu, (N, D) item indices padded with -1.

        Feasible: at most ``max_items`` items, no two in conflict, every row other than the
        objective within ``ROW_TOL`` (relative) of its bounds.
        """
        menus = np.atleast_2d(np.asarray(items, dtype=np.int64))
        n = menus.shape[0]
        if menus.shape[1] == 0:
            menus = np.full((n, 1), -1, dtype=np.int64)
        scores = np.empty(n)
        ok = np.empty(n, dtype=bool)
        for lo in range(0, n, _BATCH):
            part = menus[lo : lo + _BATCH]
            scores[lo : lo + len(part)], ok[lo : lo + len(part)] = self._evaluate(part)
        return scores, ok

    def _evaluate(self, menus: I64) -> tuple[F, npt.NDArray[np.bool_]]:
        valid = menus >= 0
        idx = np.where(valid, menus, 0)
        mask = valid[:, :, None].astype(float)
        s = self.s0[None, :] + (self.w[idx] * mask).sum(axis=1)  # (N, K)
        ok = valid.sum(axis=1) <= self.max_items
        d = menus.shape[1]
        for a in range(d):
            for b in range(a + 1, d):
                clash = self.conflict[idx[:, a], idx[:, b]] & valid[:, a] & valid[:, b]
                ok &= ~clash
        n_r = len(self.lin_lo)
        lin = np.zeros((menus.shape[0], n_r))
        if n_r:
            num = self.lin_out[None, :, :] + (self.lin_item[:, idx, :] * mask[None, :, :, :]).sum(
                axis=2
            ).transpose(1, 0, 2)  # (N, R, K)
            lin = (num / s[:, None, :]).sum(axis=2)
        logs = np.log(s) @ self.log_coef.T if len(self.log_lo) else np.zeros((len(s), 0))
        first_lin = 1 if self.objective == 0 else 0
        first_log = 1 if self.objective == 1 else 0
        for r in range(first_lin, n_r):
            lo, hi = self.lin_lo[r], self.lin_hi[r]
            ok &= lin[:, r] >= lo - ROW_TOL * max(1.0, abs(lo))
            ok &= lin[:, r] <= hi + ROW_TOL * max(1.0, abs(hi))
        for q in range(first_log, len(self.log_lo)):
            lo = self.log_lo[q]
            ok &= logs[:, q] >= lo - ROW_TOL * max(1.0, abs(lo))
        if self.objective == 0:
            score = self.sense * lin[:, 0]
        elif self.objective == 1:
            score = logs[:, 0].copy()
        else:
            score = np.zeros(len(s))
        return score, ok


def build_problem(inst: Instance, req: Requirements | None, kind: str) -> MenuProblem:
    """The `MenuProblem` of ``kind`` (an objective or ``feasibility``) under the policy and
    ``req`` (disabled groups left out)."""
    req = req if req is not None else Requirements()
    obj, sense = objective_row(inst, kind)
    lin: list[LinearRow] = linear_rows(inst, req)
    logs: list[LogRow] = log_rows(inst, req)
    objective = 2
    if isinstance(obj, LinearRow):
        lin, objective = [obj, *lin], 0
    elif isinstance(obj, LogRow):
        logs, objective = [obj, *logs], 1
    n_k = inst.n_classes
    sizes = np.array([len(p) for p in inst.prices], dtype=np.int64)
    n_i = int(sizes.sum())
    bundle = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    level = np.arange(n_i, dtype=np.int64) - np.repeat(start, sizes)
    w = np.concatenate([wb.T for wb in inst.w], axis=0) if inst.w else np.zeros((0, n_k))
    out = np.zeros((len(lin), n_k))
    item = np.zeros((len(lin), n_i, n_k))
    value = np.zeros((len(lin), n_i, n_k))
    for r, row in enumerate(lin):
        outside, per_bundle = row.coefficients(inst)
        out[r] = outside
        if per_bundle:
            item[r] = np.concatenate([c.T for c in per_bundle], axis=0)
            value[r] = np.concatenate([c.T for c in row.values(inst)], axis=0)
    max_items = len(inst.bundles) if "menu_size" in req.disabled else inst.menu_size
    conflict = bundle[:, None] == bundle[None, :]
    if inst.price_ladder and "price_ladder" not in req.disabled:
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        for hi, lo in inst.ladder:
            cheaper = inst.prices[hi][:, None] < inst.prices[lo][None, :]
            conflict[bounds[hi] : bounds[hi + 1], bounds[lo] : bounds[lo + 1]] |= cheaper
            conflict[bounds[lo] : bounds[lo + 1], bounds[hi] : bounds[hi + 1]] |= cheaper.T
    return MenuProblem(
        inst=inst,
        kind=kind,
        sense=sense,
        objective=objective,
        bundle=bundle,
        level=level,
        w=np.ascontiguousarray(w, dtype=float),
        s0=1.0 + inst.e,
        lin_groups=tuple(r.group for r in lin),
        lin_out=out,
        lin_item=item,
        lin_value=value,
        lin_lo=np.array([r.lo for r in lin], dtype=float),
        lin_hi=np.array([r.hi for r in lin], dtype=float),
        log_groups=tuple(r.group for r in logs),
        log_coef=np.array([r.coef for r in logs], dtype=float).reshape(len(logs), n_k),
        log_lo=np.array([r.lo for r in logs], dtype=float),
        conflict=conflict,
        max_items=max_items,
    )


def _moves(prob: MenuProblem, menu: list[int]) -> list[list[int]]:
    """Add an item, replace one item by another (re-price or swap), or drop one."""
    n_i = prob.n_items
    out: list[list[int]] = []
    every = np.arange(n_i)
    if len(menu) < prob.max_items:
        free = ~prob.conflict[menu].any(axis=0) if menu else np.ones(n_i, dtype=bool)
        out.extend([*menu, int(j)] for j in every[free])
    for m in menu:
        rest = [i for i in menu if i != m]
        free = np.asarray(
            ~prob.conflict[rest].any(axis=0) if rest else np.ones(n_i, dtype=bool), dtype=bool
        )
        free[m] = False
        out.extend([*rest, int(j)] for j in every[free])
        out.append(rest)
    return out


def _pad(menus: list[list[int]], width: int) -> I64:
    arr = np.full((len(menus), max(1, width)), -1, dtype=np.int64)
    for r, m in enumerate(menus):
        arr[r, : len(m)] = m
    return arr


def local_search(
    prob: MenuProblem, starts: Iterable[Iterable[int]] = (), *, max_steps: int = 200
) -> tuple[list[int], float] | None:
    """Best-improvement local search from the empty menu and ``starts`` (item lists).

    Every menu it returns satisfies every row exactly (`MenuProblem.evaluate`); returns
    (items, score) of the best one found, or None when no start and no move is feasible.
    """
    width = max(1, prob.max_items)
    begin: list[list[int]] = [[]] + [sorted(int(i) for i in s) for s in starts]
    begin = [m for m in begin if len(m) <= prob.max_items]
    scores, ok = prob.evaluate(_pad(begin, width))
    best: tuple[list[int], float] | None = None
    current: list[list[int]] = [m for m, good in zip(begin, ok, strict=True) if good]
    values = [float(s) for s, good in zip(scores, ok, strict=True) if good]
    if not current:
        # nothing feasible to start from: one step from the empty menu, best feasible move
        moves = _moves(prob, [])
        if not moves:
            return None
        sc, fe = prob.evaluate(_pad(moves, width))
        if not fe.any():
            return None
        j = int(np.argmax(np.where(fe, sc, -np.inf)))
        current, values = [moves[j]], [float(sc[j])]
    for menu, value in zip(current, values, strict=True):
        for _ in range(max_steps):
            moves = _moves(prob, menu)
            if not moves:
                break
            sc, fe = prob.evaluate(_pad(moves, width))
            sc = np.where(fe, sc, -np.inf)
            j = int(np.argmax(sc))
            if not sc[j] > value + IMPROVE * max(1.0, abs(value)):
                break
            menu, value = moves[j], float(sc[j])
            if prob.objective == 2:
                break
        if best is None or value > best[1] + IMPROVE * max(1.0, abs(best[1])):
            best = (sorted(menu), value)
    return best


def count_menus(sizes: Iterable[int], max_items: int) -> int:
    """Sets of at most ``max_items`` items, at most one per bundle of the given sizes."""
    poly = [1] + [0] * max(0, max_items)
    for size in sizes:
        for d in range(len(poly) - 1, 0, -1):
            poly[d] += poly[d - 1] * int(size)
    return sum(poly)


def finite(value: float) -> float | None:
    """``value`` or None when it is not finite."""
    return value if math.isfinite(value) else None
