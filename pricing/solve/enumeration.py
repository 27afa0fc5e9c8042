"""Exhaustive menu search: every menu of at most K bundles, each at one of its prices.

Every set of at most K items (bundle, price level) with no two of the same bundle and no
price-ladder violation is scored exactly by the logit formula and checked against every
row of `pricing.solve.rows` (budget, operator floors, surplus floors, uptake, profit, subsidy,
surplus; see `pricing.solve.menus`). The best feasible menu is optimal with a zero gap by
construction.

Work is the number of menus, ``sum_{d <= K} e_d(L_1, ..., L_B)`` (elementary symmetric
polynomials of the grid sizes; the ladder removes some): 70.6 million for 31 x 25, K = 3.
`menu_count` gives it before starting. Up to `NUMPY_LIMIT` menus the search runs in numpy
(no kernel to compile: a toy scenario is answered at once in a fresh environment); beyond,
in a numba kernel (`pricing.solve._enumeration_kernel`, compiled once per environment and cached
on disk). For large menus the branch and bound (`pricing.solve.branch_bound`) proves the same
optimum with far less work.
"""

from __future__ import annotations

import math
import time

import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.menus import (
    IMPROVE,
    ROW_TOL,
    MenuProblem,
    Progress,
    SearchProgress,
    StopCheck,
    build_problem,
    count_menus,
)
from maasmix.pricing.solve.model import RawSolve
from maasmix.pricing.solve.rows import Requirements

#: Up to this many menus the search runs in numpy (about 1-3 million menus a second).
NUMPY_LIMIT = 2_000_000
SOLVER_NAME = "maasmix exhaustive menu search"
_CHUNK_SECONDS = 0.25
#: A kernel task scoring this many menus without finishing is split (about 10-30 ms).
_TASK_MENUS = 250_000
_NUMPY_BLOCK = 2048


def menu_count(inst: Instance, req: Requirements | None = None) -> int:
    """Menus of at most K bundles (each at one price), before the ladder removes any."""
    disabled = req.disabled if req is not None else frozenset()
    top = len(inst.bundles) if "menu_size" in disabled else inst.menu_size
    return count_menus((len(p) for p in inst.prices), top)


def enumerate_menus(
    inst: Instance,
    req: Requirements | None = None,
    kind: str = "max_profit",
    *,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    hint: dict[int, int] | None = None,
    stop: StopCheck | None = None,
    compiled: bool | None = None,
) -> RawSolve:
    """Best menu for ``kind`` under the policy and ``req``, by exhaustive search.

    Status ``optimal`` (every menu scored; gap 0), ``infeasible`` (none satisfies the
    rows), or, at the time limit or when ``stop()`` turns true, ``feasible`` /
    ``not_solved`` with no bound. ``progress`` gets the menus searched so far. The time
    limit counts from the start of the search (loading the numba kernel is not counted;
    the reported seconds include it). A feasible ``hint`` (bundle -> level) only saves
    work. ``compiled`` forces the numba kernel (True) or numpy (False); default: numpy up to
    `NUMPY_LIMIT` menus.
    """
    start = time.perf_counter()
    prob = build_problem(inst, req, kind)
    total = menu_count(inst, req)
    use_kernel = total > NUMPY_LIMIT if compiled is None else compiled
    best, best_items = -math.inf, None
    starts = [[], prob.items_of(hint)] if hint else [[]]
    for items in starts:
        if len(items) > prob.max_items:
            continue
        score, ok = prob.evaluate([items] if items else [[-1]])
        if ok[0] and (best_items is None or score[0] > best):
            best, best_items = float(score[0]), list(items)
    if use_kernel:
        best, best_items, complete = _search_kernel(
            prob, best, best_items, start, time_limit_s, total, progress, stop
        )
    else:
        best, best_items, complete = _search_numpy(
            prob, best, best_items, start, time_limit_s, total, progress, stop
        )
    seconds = time.perf_counter() - start
    name = SOLVER_NAME + ("" if use_kernel else " (numpy)")
    why = None
    if not complete:
        why = "interrupted" if stop is not None and stop() else "time_limit"
    if best_items is None:
        status = "infeasible" if complete else "not_solved"
        return RawSolve(name, status, None, None, None, seconds, None, 0, "", 0, why)
    value = prob.report(best)
    menu = prob.menu_of(best_items)
    if complete:
        return RawSolve(name, "optimal", value, value, 0.0, seconds, menu, 0, "", total)
    return RawSolve(name, "feasible", value, None, None, seconds, menu, 0, "", 0, why)


def _better(value: float, best: float, have: bool) -> bool:
    return not have or value > best + IMPROVE * max(1.0, abs(best))


def _search_numpy(
    prob: MenuProblem,
    best: float,
    best_items: list[int] | None,
    start: float,
    time_limit_s: float,
    total: int,
    progress: Progress | None,
    stop: StopCheck | None,
) -> tuple[float, list[int] | None, bool]:
    """Depth by depth in blocks: each block of menus is scored, then extended."""
    n_i = prob.n_items
    done = 1
    if prob.max_items == 0 or n_i == 0:
        return best, best_items, True
    stack = [np.arange(n_i, dtype=np.int64)[:, None]]
    while stack:
        if time.perf_counter() - start > time_limit_s or (stop is not None and stop()):
            return best, best_items, False
        menus = stack.pop()
        if len(menus) > _NUMPY_BLOCK:
            stack.extend(np.array_split(menus, math.ceil(len(menus) / _NUMPY_BLOCK))[::-1])
            continue
        scores, ok = prob.evaluate(menus)
        done += len(menus)
        if ok.any():
            cand = np.where(ok, scores, -np.inf)
            j = int(np.argmax(cand))
            if _better(float(cand[j]), best, best_items is not None):
                best, best_items = float(cand[j]), [int(i) for i in menus[j]]
                if prob.objective == 2:
                    return best, best_items, True
        if menus.shape[1] < prob.max_items:
            kids = _children(prob, menus)
            if len(kids):
                stack.append(kids)
        if progress is not None:
            progress(
                SearchProgress(
                    "exhaustive",
                    done,
                    total,
                    None if best_items is None else prob.report(best),
                    None,
                    time.perf_counter() - start,
                    time_limit_s,
                )
            )
    return best, best_items, True


def _children(prob: MenuProblem, menus: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """(N, d) menus of ascending items -> their (M, d + 1) extensions by a later item."""
    free = np.arange(prob.n_items)[None, :] > menus[:, -1][:, None]
    for c in range(menus.shape[1]):
        free &= ~prob.conflict[menus[:, c]]
    r, j = np.nonzero(free)
    return np.concatenate([menus[r], j[:, None]], axis=1)


def _search_kernel(
    prob: MenuProblem,
    best: float,
    best_items: list[int] | None,
    start: float,
    time_limit_s: float,
    total: int,
    progress: Progress | None,
    stop: StopCheck | None,
) -> tuple[float, list[int] | None, bool]:
    """Tasks of one first item (K <= 2) or of a first pair (K >= 3, the one-item menus
    scored up front), in chunks sized to `_CHUNK_SECONDS` by the measured time per task; a
    task that scores `_TASK_MENUS` menus without finishing is split into its prefixes one
    item longer (at K >= 5 one pair's subtree holds billions of menus). So the time limit
    and ``stop`` are checked every fraction of a second at any K."""
    from maasmix.pricing.solve._enumeration_kernel import search_prefixes

    max_items = prob.max_items
    n_i = prob.n_items
    if max_items == 0 or n_i == 0:
        return best, best_items, True
    args = (
        prob.w, prob.s0, prob.lin_out, prob.lin_item, prob.lin_lo, prob.lin_hi,
        prob.log_coef, prob.log_lo, prob.conflict, prob.objective, prob.sense, ROW_TOL,
    )  # fmt: skip
    width = max(1, max_items)
    # compile (first call in a fresh environment) or load the kernel before the clock of the
    # time limit starts: a zero-length search with the same argument types
    search_prefixes(np.zeros((0, width), dtype=np.int64), width, *args, best, _TASK_MENUS)
    searching = time.perf_counter()
    n_b = int(prob.bundle[-1]) + 1
    sizes = np.bincount(prob.bundle, minlength=n_b)
    # menus in the subtree of a finished task of p items whose last item is in bundle b:
    # the task's own menu and any <= K - p items from the bundles after b
    after = np.array(
        [
            [count_menus(sizes[b + 1 :], max_items - p) for b in range(n_b)]
            for p in range(width + 1)
        ],
        dtype=np.int64,
    )
    if max_items >= 3:
        singles = np.arange(n_i, dtype=np.int64)[:, None]
        sc, ok = prob.evaluate(singles)
        if ok.any():
            j = int(np.argmax(np.where(ok, sc, -np.inf)))
            if _better(float(sc[j]), best, best_items is not None):
                best, best_items = float(sc[j]), [j]

    def extend(prefixes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Each prefix followed by every later item that conflicts with none of it."""
        out = []
        for row in prefixes:
            items = row[row >= 0]
            later = np.arange(int(items[-1]) + 1, n_i)
            for x in items:
                later = later[~prob.conflict[x, later]]
            block = np.full((len(later), width), -1, dtype=np.int64)
            block[:, : len(items)] = items
            block[:, len(items)] = later
            out.append(block)
        return np.concatenate(out) if out else np.zeros((0, width), dtype=np.int64)

    per_menu = 1e-7  # wall seconds per menu scored (the last chunk large enough to tell)
    last_size = 4
    for i in range(n_i):
        first = np.full((1, width), -1, dtype=np.int64)
        first[0, 0] = i
        # blocks of tasks, last first; a split task's longer prefixes go on top, so the
        # blocks stay few and small (depth first)
        pending = [extend(first) if max_items >= 3 else first]
        # menus whose lowest item is before i (ruled out by the ladder or searched)
        done = total - count_menus(np.bincount(prob.bundle[i:]), max_items) + 1
        while pending:
            if not len(pending[-1]):
                pending.pop()
                continue
            if time.perf_counter() - searching > time_limit_s or (stop is not None and stop()):
                return best, best_items, False
            # as many tasks as fit in a chunk's time by their menu counts (a task stops at its
            # menu budget), growing at most fourfold, so that one underestimate costs little
            blk = pending[-1]
            depth = (blk >= 0).sum(axis=1)
            last = blk[np.arange(len(blk)), depth - 1]
            est = np.minimum(after[depth, prob.bundle[last]], _TASK_MENUS)
            fit = int(np.searchsorted(np.cumsum(est) * per_menu, _CHUNK_SECONDS, side="right"))
            size = max(1, min(fit, 4 * last_size))
            last_size = size
            part, pending[-1] = blk[:size], blk[size:]
            t0 = time.perf_counter()
            values, items, complete, scored = search_prefixes(part, width, *args, best, _TASK_MENUS)
            elapsed = time.perf_counter() - t0
            if scored.sum() >= _TASK_MENUS // 4:  # small chunks measure call overhead
                per_menu = max(1e-10, elapsed / int(scored.sum()))
            for t in range(len(part)):
                if values[t] > -math.inf and _better(
                    float(values[t]), best, best_items is not None
                ):
                    best = float(values[t])
                    best_items = [int(x) for x in items[t][items[t] >= 0]]
            if not complete.all():
                pending.append(extend(part[~complete]))
            finished = part[complete]
            depth = (finished >= 0).sum(axis=1)
            last = finished[np.arange(len(finished)), depth - 1]
            done += int(after[depth, prob.bundle[last]].sum()) + int((~complete).sum())
            if progress is not None:
                progress(
                    SearchProgress(
                        "exhaustive",
                        min(done, total),
                        total,
                        None if best_items is None else prob.report(best),
                        None,
                        time.perf_counter() - start,
                        time_limit_s,
                    )
                )
    return best, best_items, True
