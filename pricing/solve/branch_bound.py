"""Exact branch and bound over menus: bounds instead of counting every menu.

The exhaustive search (`pricing.solve.enumeration`) scores every menu; its work grows like
``(B L)^K / K!`` (12.4 billion menus for 31 bundles x 25 prices, K = 4). This search
scores the same menus in the same order (bundles one after the other, each node a menu)
but skips every subtree that a bound proves cannot hold a feasible menu better than the
incumbent:

1. **Incumbent.** An exact local search (`pricing.solve.menus.local_search`) from the empty
   menu, the hint and any known menus gives a feasible menu to beat.
2. **Bounds** (`pricing.solve._bnb_kernel`): every class may choose its own completion (its best
   prices and bundles: price discrimination, no ladder), which can only do better than
   one menu for all; for profit this is the per-class best-price bound, summed over
   classes. Rows enter through Lagrange multipliers chosen at the root (the multipliers
   that minimise the root bound, by a coordinate search): ``objective + sum lambda (row -
   limit)`` bounds the objective of every feasible menu, and consumer-surplus rows
   (``ln S``) are handled exactly by the same per-class bound. Each row alone is also a
   feasibility test: a subtree in which no menu can reach a floor is skipped.
3. **Pruning before the search**: every item (bundle at a price) whose best menu cannot
   beat the incumbent, or cannot be feasible, is removed; bundles are searched in the
   order of their bound, best first, so that late subtrees (over the weak bundles only)
   are cut at once.
4. **Search** in a numba kernel over prefixes of one or two items, in parallel; between
   chunks the time limit, the stop request and progress are handled.
5. **Pairs**: a node with two items left is finished by `_bnb_kernel.pair_complete` when
   the objective's bound system has no log term: every one-item extension is scored, and
   pairs only where a separable bound (each candidate's exact gain plus the most another
   item can raise it, `_bnb_kernel.pair_gains`) can beat the incumbent. Unlike the
   per-class bounds, it keeps one menu for all classes; on the city-scale case it lets
   through about 1 % of the pairs at the nodes of the best menu's own items.

Every row of `pricing.solve.rows` is checked exactly (`ROW_TOL`) on every menu that beats the
incumbent, so ``optimal`` means what it means for the exhaustive search: no feasible menu
is better (by more than 1e-11 relative). At the time limit the status is ``feasible`` with
a valid bound: the largest bound over the subtrees not yet searched.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numba
import numpy as np
import numpy.typing as npt

from maasmix.pricing.solve.instance import Instance
from maasmix.pricing.solve.kernels import load_kernels
from maasmix.pricing.solve.menus import (
    IMPROVE,
    ROW_TOL,
    MenuProblem,
    Progress,
    SearchProgress,
    StopCheck,
    build_problem,
    local_search,
    relative_gap,
)
from maasmix.pricing.solve.model import RawSolve
from maasmix.pricing.solve.rows import Requirements

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
SOLVER_NAME = "maasmix menu branch and bound"
_CHUNK_SECONDS = 0.25
#: Fewer tasks than this run on one thread.
_PARALLEL_TASKS = 64


@dataclass(frozen=True)
class Systems:
    """Bound systems (see `pricing.solve._bnb_kernel`): G functions of a menu with their limits."""

    out: F  # (G, K)
    wm: F  # (G, K, I)
    mu: F  # (G, K)
    const: F  # (G,)
    floor: F  # (G,) feasibility systems: the value that must be reached
    is_obj: npt.NDArray[np.bool_]  # (G,)
    multipliers: dict[str, float]
    #: (objective systems, feasibility systems): the multiplier of each row in each
    #: objective system, in the order of the systems
    lam: F = field(default_factory=lambda: np.zeros((0, 0)))
    #: the objective alone (out (K,), wm (K, I), mu (K,)), before the rows are added
    pure: tuple[F, F, F] | None = None

    def take(self, items: I64) -> Systems:
        """The systems restricted to ``items`` (renumbered)."""
        return Systems(
            self.out,
            np.ascontiguousarray(self.wm[:, :, items]),
            self.mu,
            self.const,
            self.floor,
            self.is_obj,
            self.multipliers,
            self.lam,
            None
            if self.pure is None
            else (self.pure[0], np.ascontiguousarray(self.pure[1][:, items]), self.pure[2]),
        )


def _rows(prob: MenuProblem) -> list[tuple[str, F, F, F, float]]:
    """Every constraint as ``(name, out (K,), value (K, I), mu (K,), limit)`` meaning
    ``sum_k (out + sum w value) / S + mu ln S >= limit``."""
    n_k, n_i = len(prob.s0), prob.n_items
    rows = []
    first_lin = 1 if prob.objective == 0 else 0
    first_log = 1 if prob.objective == 1 else 0
    zero_k, zero_ki = np.zeros(n_k), np.zeros((n_k, n_i))
    for r in range(first_lin, len(prob.lin_lo)):
        value = prob.lin_value[r].T  # (K, I)
        if math.isfinite(prob.lin_lo[r]):
            rows.append((prob.lin_groups[r], prob.lin_out[r], value, zero_k, prob.lin_lo[r]))
        if math.isfinite(prob.lin_hi[r]):
            rows.append((prob.lin_groups[r], -prob.lin_out[r], -value, zero_k, -prob.lin_hi[r]))
    for q in range(first_log, len(prob.log_lo)):
        rows.append((prob.log_groups[q], zero_k, zero_ki, prob.log_coef[q], prob.log_lo[q]))
    return rows


def _objective_parts(prob: MenuProblem) -> tuple[F, F, F]:
    n_k, n_i = len(prob.s0), prob.n_items
    if prob.objective == 0:
        return prob.sense * prob.lin_out[0], prob.sense * prob.lin_value[0].T, np.zeros(n_k)
    if prob.objective == 1:
        return np.zeros(n_k), np.zeros((n_k, n_i)), prob.log_coef[0].copy()
    return np.zeros(n_k), np.zeros((n_k, n_i)), np.zeros(n_k)


def build_systems(prob: MenuProblem, bstart: I64, w_t: F, alive: npt.NDArray[np.bool_]) -> Systems:
    """The objective's Lagrangian system (multipliers minimising the root bound) and one
    feasibility system per row."""
    from maasmix.pricing.solve._bnb_kernel import root_bound

    rows = _rows(prob)
    w_ki = w_t  # (K, I)
    n_k = len(prob.s0)
    outs, wms, mus, consts, floors, objs = [], [], [], [], [], []
    names: dict[str, float] = {}
    lam_rows = np.zeros(len(rows))
    pure = None
    if prob.objective != 2:
        o_out, o_val, o_mu = _objective_parts(prob)
        lam = np.zeros(len(rows))

        def combined(lam: F) -> tuple[F, F, F, float]:
            out, val, mu = o_out.copy(), o_val.copy(), o_mu.copy()
            const = 0.0
            for r, (_, r_out, r_val, r_mu, limit) in enumerate(rows):
                if lam[r] > 0.0:
                    out += lam[r] * r_out
                    val += lam[r] * r_val
                    mu += lam[r] * r_mu
                    const -= lam[r] * limit
            return out, val, mu, const

        def root(lam: F) -> float:
            out, val, mu, const = combined(lam)
            wm = np.ascontiguousarray(w_ki * val)
            return float(
                root_bound(prob.max_items, bstart, w_t, prob.s0, out, wm, mu, const, alive)
            )

        best = root(lam)
        for _sweep in range(2):
            for r in range(len(rows)):
                trial = lam.copy()
                # golden-section search over log10(lambda_r) in [-8, 8], against lambda_r = 0
                lo_x, hi_x = -8.0, 8.0
                phi = (math.sqrt(5.0) - 1.0) / 2.0

                def f(x: float, r: int = r, trial: F = trial) -> float:
                    trial[r] = 10.0**x
                    return root(trial)

                x1 = hi_x - phi * (hi_x - lo_x)
                x2 = lo_x + phi * (hi_x - lo_x)
                f1, f2 = f(x1), f(x2)
                for _ in range(40):
                    if f1 <= f2:
                        hi_x, x2, f2 = x2, x1, f1
                        x1 = hi_x - phi * (hi_x - lo_x)
                        f1 = f(x1)
                    else:
                        lo_x, x1, f1 = x1, x2, f2
                        x2 = lo_x + phi * (hi_x - lo_x)
                        f2 = f(x2)
                x_best, f_best = (x1, f1) if f1 <= f2 else (x2, f2)
                if f_best < best - 1e-12 * max(1.0, abs(best)):
                    lam[r], best = 10.0**x_best, f_best
                else:
                    trial[r] = lam[r]
                    if lam[r] > 0.0:
                        # the current multiplier may be beaten by none at all
                        trial[r] = 0.0
                        if root(trial) <= best:
                            lam[r], best = 0.0, root(trial)
        out, val, mu, const = combined(lam)
        lam_rows = lam.copy()
        pure = (o_out.copy(), np.ascontiguousarray(w_ki * o_val), o_mu.copy())
        outs.append(out)
        wms.append(w_ki * val)
        mus.append(mu)
        consts.append(const)
        floors.append(-math.inf)
        objs.append(True)
        for r, (name, *_rest) in enumerate(rows):
            if lam[r] > 0.0:
                names[name] = names.get(name, 0.0) + float(lam[r])
    for name, r_out, r_val, r_mu, limit in rows:
        del name
        outs.append(r_out)
        wms.append(w_ki * r_val)
        mus.append(r_mu)
        consts.append(-limit)
        floors.append(-ROW_TOL * max(1.0, abs(limit)))
        objs.append(False)
    n_g = len(outs)
    return Systems(
        out=np.array(outs, dtype=float).reshape(n_g, n_k),
        wm=np.ascontiguousarray(np.array(wms, dtype=float).reshape(n_g, n_k, -1)),
        mu=np.array(mus, dtype=float).reshape(n_g, n_k),
        const=np.array(consts, dtype=float),
        floor=np.array(floors, dtype=float),
        is_obj=np.array(objs, dtype=bool),
        multipliers=names,
        lam=lam_rows[None, :] if prob.objective != 2 else np.zeros((0, len(rows))),
        pure=pure,
    )


def _system_values(systems: Systems, s0: F, w: F, items: list[int]) -> F:
    """(G,) every system's value ``f_g`` at the menu ``items`` (`pricing.solve._bnb_kernel`)."""
    s_vec = s0 + w[items].sum(axis=0)
    num = systems.out + systems.wm[:, :, items].sum(axis=2)
    return systems.const + np.sum(num / s_vec + systems.mu * np.log(s_vec), axis=1)


def add_chord_system(
    prob: MenuProblem, systems: Systems, menus: list[list[int]], best_items: list[int]
) -> Systems:
    """``systems`` plus a second objective system whose multipliers are the root ones
    scaled up to the *chord* between the incumbent and the known menus that beat it but
    break a row (e.g. a looser frontier point's optimum): the smallest scale ``t`` at
    which each of them scores no more than the incumbent in the Lagrangian
    ``objective + t sum lambda_r (row_r - limit_r)``.

    The root multipliers minimise the bound over every menu; near the leaves, where a
    subtree's menus differ little, the trade-off between objective and rows is the local
    slope of the frontier, far steeper (about 200 times on the 8 x 31 x 25 surplus
    sweep). Any multipliers give a valid bound, so this only prunes more. Unchanged when
    no known menu beats the incumbent or the scale is below 2.
    """
    obj = np.flatnonzero(systems.is_obj)
    rows = np.flatnonzero(~systems.is_obj)
    if len(obj) != 1 or systems.pure is None or not len(rows):
        return systems
    pure = Systems(
        systems.pure[0][None], systems.pure[1][None], systems.pure[2][None], np.zeros(1),
        np.zeros(1), np.ones(1, dtype=bool), {},
    )  # fmt: skip
    w = prob.w
    lam = systems.lam[0]
    best_obj = float(_system_values(pure, prob.s0, w, best_items)[0])
    best_rows = _system_values(systems, prob.s0, w, best_items)[rows]
    t = 1.0
    per_row = np.zeros(len(rows))  # when no row has a root multiplier: each row alone
    for items in menus:
        if not items:
            continue
        o = float(_system_values(pure, prob.s0, w, items)[0])
        r = _system_values(systems, prob.s0, w, items)[rows]
        gain = o - best_obj
        if gain <= 0.0:
            continue
        drop = float(lam @ (best_rows - r))
        if drop > 0.0:
            t = max(t, gain / drop)
        broken = (r < systems.floor[rows]) & (best_rows > r)
        per_row[broken] = np.maximum(per_row[broken], gain / (best_rows[broken] - r[broken]))
    if lam.any():
        if t < 2.0:
            return systems
        lam_t = t * lam
    elif per_row.any():
        lam_t = per_row
    else:
        return systems
    out = systems.pure[0] + np.tensordot(lam_t, systems.out[rows], axes=1)
    wm = systems.pure[1] + np.tensordot(lam_t, systems.wm[rows], axes=1)
    mu = systems.pure[2] + np.tensordot(lam_t, systems.mu[rows], axes=1)
    const = float(lam_t @ systems.const[rows])
    return Systems(
        out=np.concatenate([systems.out, out[None]]),
        wm=np.ascontiguousarray(np.concatenate([systems.wm, wm[None]])),
        mu=np.concatenate([systems.mu, mu[None]]),
        const=np.concatenate([systems.const, [const]]),
        floor=np.concatenate([systems.floor, [-math.inf]]),
        is_obj=np.concatenate([systems.is_obj, [True]]),
        multipliers=systems.multipliers,
        lam=np.concatenate([systems.lam, lam_t[None]]),
        pure=systems.pure,
    )


class RootCache:
    """Root bounds shared by the searches of one instance (a frontier's points).

    A row's feasibility system differs between frontier points only in its constant (the
    epsilon), so its bound over the menus holding each item (`_prepare`, a pass over
    every item) is kept without the constant and reused. Safe to share between threads
    (a race only computes an entry twice).
    """

    def __init__(self) -> None:
        self._forced: dict[bytes, F] = {}
        self.hits = 0

    @staticmethod
    def key(max_items: int, out: F, wm: F, mu: F, n_items: int) -> bytes:
        """Digest of everything but the constant that a system's item bounds depend on."""
        h = hashlib.blake2b(digest_size=16)
        h.update(np.array([max_items, n_items], dtype=np.int64).tobytes())
        for arr in (out, wm, mu):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.digest()

    def get(self, key: bytes) -> F | None:
        """The cached bounds without constant (I,), or None."""
        found = self._forced.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: bytes, value: F) -> None:
        """Keep ``value`` (bounds minus the system's constant)."""
        self._forced[key] = value


@dataclass
class _Search:
    """The renumbered arrays the kernel works on (items of kept bundles, best first)."""

    order: I64  # new item -> original item
    bundle: I64  # new item -> new bundle
    bstart: I64
    w: F
    w_t: F
    lin_item: F
    conflict: npt.NDArray[np.bool_]
    systems: Systems
    alive: npt.NDArray[np.bool_]
    forced: F  # (I,) objective bound of every menu containing the item (+inf: none)


def branch_and_bound(
    inst: Instance,
    req: Requirements | None = None,
    kind: str = "max_profit",
    *,
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    hint: Mapping[int, int] | None = None,
    incumbents: Iterable[Mapping[int, int]] = (),
    known_bound: float | None = None,
    stop: StopCheck | None = None,
    parallel: bool = True,
    cache: RootCache | None = None,
) -> RawSolve:
    """Best menu for ``kind`` under the policy and ``req``, proven by branch and bound.

    ``hint`` and ``incumbents`` (bundle -> level) seed the local search; ``known_bound``
    (objective units, e.g. the optimum of a looser frontier point) caps the bound and ends
    the search as soon as a menu reaches it. Status ``optimal`` (gap 0), ``infeasible``,
    or at the time limit / on ``stop()`` ``feasible`` with a bound, or ``not_solved``.
    ``parallel``: the kernels use numba's threads; False runs serial kernels that release
    the GIL, so that several searches can run in Python threads. ``cache`` keeps root
    bounds for the next search of the same instance (`RootCache`). The time limit does
    not count loading the kernels (`pricing.solve.kernels`; the reported seconds do).
    """
    start = called = time.perf_counter()
    prob = build_problem(inst, req, kind)
    starts = [prob.items_of(m) for m in [*([hint] if hint else []), *incumbents]]
    found = local_search(prob, starts)
    best = found[1] if found is not None else -math.inf
    best_items = found[0] if found is not None else None
    cap = prob.to_score(known_bound) if known_bound is not None else math.inf

    def result(status: str, bound_score: float | None, stopped: str | None, nodes: int) -> RawSolve:
        seconds = time.perf_counter() - called
        if best_items is None:
            return RawSolve(
                SOLVER_NAME, status, None, None, None, seconds, None, 0, "", nodes, stopped
            )
        value = prob.report(best)
        bound = None
        if bound_score is not None and prob.objective != 2:
            bound = prob.report(max(best, min(bound_score, cap)))
        gap = relative_gap(value, bound) if bound is not None else None
        if status == "feasible" and gap == 0.0:
            status = "optimal"
        return RawSolve(
            SOLVER_NAME, status, value, bound, gap, seconds, prob.menu_of(best_items), 0, "",
            nodes, stopped,
        )  # fmt: skip

    if prob.objective == 2 and best_items is not None:
        return result("optimal", best, None, 0)
    if best_items is not None and best >= cap - IMPROVE * max(1.0, abs(cap)):
        return result("optimal", best, None, 0)
    if prob.max_items == 0 or prob.n_items == 0:
        return result("optimal" if best_items is not None else "infeasible", best, None, 0)

    # load (in a fresh environment: compile) the kernels; the time limit does not count it
    loading = time.perf_counter()
    load_kernels()
    start += time.perf_counter() - loading
    search = _prepare(prob, best, best_items is not None, parallel, cache, starts, best_items)
    nodes = 0
    if search is None:  # every item pruned at the root
        return result("optimal" if best_items is not None else "infeasible", best, None, 0)

    from maasmix.pricing.solve import _bnb_kernel

    search_tasks = _bnb_kernel.search_tasks if parallel else _bnb_kernel.search_tasks_serial
    filter_candidates = _bnb_kernel.filter_candidates

    sy = search.systems
    wm_i = np.ascontiguousarray(sy.wm.transpose(0, 2, 1))  # (G, I, K)
    kernel_args = (
        search.bundle, search.bstart, search.w, search.w_t, prob.s0, prob.lin_out,
        search.lin_item, prob.lin_lo, prob.lin_hi, prob.log_coef, prob.log_lo, search.conflict,
        prob.objective, prob.sense, ROW_TOL, sy.out, sy.wm, wm_i,
        sy.mu, sy.const, sy.floor, sy.is_obj,
    )  # fmt: skip
    first_ub = _first_bounds(prob, search, parallel)
    # the kernel completes nodes with two items left by separable pair bounds
    # (`_bnb_kernel.pair_complete`) when the objective systems have no log term; the
    # complete test of a first item's candidates then costs more than it saves up to K = 4
    # (at K = 5 and 6 it still pays: 2x faster on 8 x 31 x 25)
    pairs = prob.objective == 0 and not np.any(sy.mu[sy.is_obj])
    complete_filter = not pairs or prob.max_items >= 5
    n_i = len(search.order)
    # first items by their bound, best first (their subtrees are independent): good menus
    # come early, and the bound of the next one bounds everything not yet searched
    visit = np.argsort(-first_ub, kind="stable")
    suffix = first_ub[visit]
    per_task = 1e-4
    last_size = 16
    stopped: str | None = None
    open_bound = -math.inf  # bound over tasks handed out but not finished (none between chunks)

    def run(tasks: list[list[int]], alive: npt.NDArray[np.bool_]) -> None:
        nonlocal best, best_items, nodes, per_task
        arr = np.full((len(tasks), 2), -1, dtype=np.int64)
        for r, prefix in enumerate(tasks):
            arr[r, : len(prefix)] = prefix
        t0 = time.perf_counter()
        threads = numba.get_num_threads()
        if parallel and len(tasks) < _PARALLEL_TASKS:
            # a parallel region costs more than a few small tasks save (OpenMP threads
            # spin at its barrier, badly so on a busy machine)
            numba.set_num_threads(1)
        try:
            values, items, n_nodes, n_leaves = search_tasks(
                arr, prob.max_items, alive, *kernel_args, best, best_items is not None
            )
        finally:
            numba.set_num_threads(threads)
        # the cost of a task varies a lot between first items: forget a slow chunk slowly
        per_task = max(1e-6, (time.perf_counter() - t0) / len(tasks), 0.5 * per_task)
        nodes += int(n_nodes.sum() + n_leaves.sum())
        improved = False
        for t in range(len(tasks)):
            if values[t] > -math.inf and (
                best_items is None or values[t] > best + IMPROVE * max(1.0, abs(best))
            ):
                best = float(values[t])
                best_items = [int(search.order[i]) for i in items[t] if i >= 0]
                improved = True
        if improved:
            # items whose every menu is now below the incumbent leave the search
            search.alive &= search.forced > best

    def report(i: int) -> None:
        if progress is None:
            return
        ub = max(best, float(suffix[i]) if i < n_i else -math.inf)
        progress(
            SearchProgress(
                "branch and bound",
                nodes,
                None,
                None if best_items is None else prob.report(best),
                None if prob.objective == 2 else prob.report(min(ub, cap)),
                time.perf_counter() - start,
                time_limit_s,
                unit="nodes",
            )
        )

    def out_of_time() -> str | None:
        if stop is not None and stop():
            return "interrupted"
        if time.perf_counter() - start > time_limit_s:
            return "time_limit"
        return None

    # every one-item menu, scored up front (the search below starts at two items when K >= 3)
    singles = search.order[search.alive]
    if len(singles):
        sc, ok = prob.evaluate(singles[:, None])
        nodes += len(singles)
        if ok.any():
            j = int(np.argmax(np.where(ok, sc, -np.inf)))
            if best_items is None or sc[j] > best + IMPROVE * max(1.0, abs(best)):
                best, best_items = float(sc[j]), [int(singles[j])]
    i = 0
    while i < n_i:
        if best_items is not None and best >= cap - IMPROVE * max(1.0, abs(cap)):
            break
        if best_items is not None and suffix[i] <= best:
            i = n_i
            break  # no later first item can beat the incumbent
        if prob.objective == 2 and best_items is not None:
            break
        if pairs and prob.max_items == 3:
            # a first item's subtree is one task that `pair_complete` finishes: many first
            # items per chunk
            stopped = out_of_time()
            if stopped:
                break
            size = max(1, min(int(_CHUNK_SECONDS / per_task), 4 * last_size))
            last_size = max(16, size)
            part: list[list[int]] = []
            while i < n_i and len(part) < size:
                item = int(visit[i])
                i += 1
                if search.alive[item] and (best_items is None or first_ub[item] > best):
                    part.append([item])
            if part:
                run(part, search.alive)
            report(i)
            continue
        item = int(visit[i])
        i += 1
        if not search.alive[item] or (best_items is not None and first_ub[item] <= best):
            continue
        alive = search.alive
        if prob.max_items >= 3:
            # the candidates that can still beat the incumbent together with this item
            alive = filter_candidates(
                np.array([item], dtype=np.int64), prob.max_items, search.alive, search.bundle,
                search.bstart, search.w, search.w_t, prob.s0, search.conflict, sy.out, sy.wm,
                wm_i, sy.mu, sy.const, sy.floor, sy.is_obj, best, best_items is not None,
                complete_filter,
            )  # fmt: skip
        if prob.max_items >= 3:
            later = np.arange(search.bstart[search.bundle[item] + 1], n_i)
            later = later[alive[later] & ~search.conflict[item, later]]
            tasks = [[item, int(j)] for j in later]
        else:
            tasks = [[item]]
        lo = 0
        while lo < len(tasks):
            stopped = out_of_time()
            if stopped:
                break
            # chunks grow at most fourfold, so that one underestimate costs little time
            size = max(1, min(int(_CHUNK_SECONDS / per_task), 4 * last_size))
            last_size = max(16, size)
            part = tasks[lo : lo + size]
            run(part, alive)
            lo += len(part)
            open_bound = float(first_ub[item]) if lo < len(tasks) else -math.inf
            report(i)
        if stopped:
            i -= 1  # this first item is not finished: its bound still counts
            break
    if stopped is None:
        report(n_i)
        status = "optimal" if best_items is not None else "infeasible"
        return result(status, best, None, nodes)
    rest = max(float(suffix[i]) if i < n_i else -math.inf, open_bound)
    status = "feasible" if best_items is not None else "not_solved"
    return result(status, max(best, rest), stopped, nodes)


def _pad_items(menus: list[list[int]], width: int) -> I64:
    """(M, width) item lists, -1 padded (for `MenuProblem.evaluate`)."""
    out = np.full((len(menus), max(1, width)), -1, dtype=np.int64)
    for r, m in enumerate(menus):
        out[r, : len(m)] = m
    return out


def _first_bounds(prob: MenuProblem, search: _Search, parallel: bool = True) -> F:
    """(I,) objective bound of the search node {i} (later bundles only), the least over
    the objective systems; +inf when there is none (feasibility)."""
    from maasmix.pricing.solve import _bnb_kernel

    sy = search.systems
    if not sy.is_obj.any():
        return np.full(len(search.order), math.inf)
    sel = np.flatnonzero(sy.is_obj)
    kernel = _bnb_kernel.item_bounds if parallel else _bnb_kernel.item_bounds_serial
    b = kernel(
        search.bundle, prob.max_items, False, search.bstart, search.w_t, prob.s0,
        np.ascontiguousarray(sy.out[sel]), np.ascontiguousarray(sy.wm[sel]),
        np.ascontiguousarray(sy.mu[sel]), np.ascontiguousarray(sy.const[sel]), search.alive,
    )  # fmt: skip
    return np.where(search.alive, b.min(axis=0), -math.inf)


def _forced_bounds(
    prob: MenuProblem,
    systems: Systems,
    bstart: I64,
    w_t: F,
    alive: npt.NDArray[np.bool_],
    parallel: bool,
    cache: RootCache | None,
) -> F:
    """(G, I) bound of every system over the menus that contain each item.

    With a ``cache``, a row's bounds come from an earlier search of the instance with the
    same row (up to its limit), and the objective system's are the sum of the bounds of
    its parts, ``objective + sum lambda_r (row_r - limit_r)`` (each part cached; a sum of
    maxima bounds the maximum of the sum, and the frontier's points differ only in the
    limits and the multipliers)."""
    from maasmix.pricing.solve import _bnb_kernel

    kernel = _bnb_kernel.item_bounds if parallel else _bnb_kernel.item_bounds_serial
    n_g = len(systems.const)
    forced = np.empty((n_g, prob.n_items))
    # the systems to bound: (out, wm, mu, const) and where the result goes
    parts: list[tuple[F, F, F, float]] = []
    keys: list[bytes | None] = []
    slots: list[int] = []  # system g, or -1 for the pure objective
    obj = [g for g in range(n_g) if systems.is_obj[g]]
    split = cache is not None and systems.pure is not None and len(obj) == len(systems.lam)
    for g in range(n_g):
        if split and systems.is_obj[g]:
            continue
        parts.append((systems.out[g], systems.wm[g], systems.mu[g], float(systems.const[g])))
        keys.append(None if cache is None or systems.is_obj[g] else b"")
        slots.append(g)
    if split and systems.pure is not None:
        parts.append((*systems.pure, 0.0))
        keys.append(b"")
        slots.append(-1)
    pure_bound = np.zeros(prob.n_items)
    todo = []
    for q, (out, wm, mu, const) in enumerate(parts):
        key = keys[q]
        if key is not None and cache is not None:
            key = keys[q] = RootCache.key(prob.max_items, out, wm, mu, prob.n_items)
            hit = cache.get(key)
            if hit is not None:
                if slots[q] >= 0:
                    forced[slots[q]] = hit + const
                else:
                    pure_bound = hit
                continue
        todo.append(q)
    if todo:
        got = kernel(
            prob.bundle, prob.max_items, True, bstart, w_t, prob.s0,
            np.array([parts[q][0] for q in todo]),
            np.ascontiguousarray(np.array([parts[q][1] for q in todo])),
            np.array([parts[q][2] for q in todo]), np.array([parts[q][3] for q in todo]),
            alive,
        )  # fmt: skip
        for j, q in enumerate(todo):
            if slots[q] >= 0:
                forced[slots[q]] = got[j]
            else:
                pure_bound = got[j]
            key = keys[q]
            if key is not None and cache is not None:
                cache.put(key, got[j] - parts[q][3])
    if split:
        rows = [g for g in range(n_g) if not systems.is_obj[g]]
        for j, o in enumerate(obj):
            total = pure_bound + float(systems.const[o])
            for r, g in enumerate(rows):
                total = total + systems.lam[j, r] * (forced[g] - systems.const[g])
            forced[o] = total
    return forced


def _prepare(
    prob: MenuProblem,
    best: float,
    have: bool,
    parallel: bool = True,
    cache: RootCache | None = None,
    menus: list[list[int]] | None = None,
    best_items: list[int] | None = None,
) -> _Search | None:
    """Root work: systems (with a chord system from the known ``menus``, see
    `add_chord_system`), item pruning, bundle order; None when no item survives."""
    sizes = np.bincount(prob.bundle, minlength=len(prob.inst.bundles))
    bstart = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    w_t = np.ascontiguousarray(prob.w.T)
    alive = np.ones(prob.n_items, dtype=bool)
    systems = build_systems(prob, bstart, w_t, alive)
    if best_items is not None and len(systems.lam) and (~systems.is_obj).any():
        known = list(menus or [])
        width = max([prob.max_items, *(len(m) for m in known)])
        breaks = False
        if known:
            scores, ok = prob.evaluate(_pad_items(known, width))
            breaks = bool(np.any((scores > best) & ~ok))
        if not breaks:
            # no known menu beats the incumbent by breaking a row: the local search's best
            # menu when no row binds is one, for the chord multipliers
            free = replace(
                prob,
                lin_lo=np.full_like(prob.lin_lo, -math.inf),
                lin_hi=np.full_like(prob.lin_hi, math.inf),
                log_lo=np.full_like(prob.log_lo, -math.inf),
            )
            relaxed = local_search(free, [best_items])
            known += [relaxed[0]] if relaxed is not None else []
        systems = add_chord_system(prob, systems, known, best_items)
    forced = _forced_bounds(prob, systems, bstart, w_t, alive, parallel, cache)
    margin = 1e-11 * (1.0 + np.abs(forced))
    for g in range(len(systems.const)):
        if systems.is_obj[g]:
            if have:
                alive &= forced[g] + margin[g] > best
        else:
            alive &= forced[g] + margin[g] > systems.floor[g]
    if not alive.any():
        return None
    obj_g = int(np.flatnonzero(systems.is_obj)[0]) if systems.is_obj.any() else None
    score = forced[obj_g] if obj_g is not None else np.zeros(prob.n_items)
    # bundles best first (by their best item), items within a bundle best first
    bundles = [b for b in range(len(sizes)) if alive[bstart[b] : bstart[b + 1]].any()]
    top = {
        b: float(np.max(score[bstart[b] : bstart[b + 1]][alive[bstart[b] : bstart[b + 1]]]))
        for b in bundles
    }
    bundles.sort(key=lambda b: -top[b])
    order_list: list[int] = []
    new_sizes = []
    for b in bundles:
        items = np.arange(bstart[b], bstart[b + 1])
        items = items[alive[items]]
        items = items[np.argsort(-score[items], kind="stable")]
        order_list.extend(int(i) for i in items)
        new_sizes.append(len(items))
    order = np.array(order_list, dtype=np.int64)
    new_bstart = np.concatenate([[0], np.cumsum(new_sizes)]).astype(np.int64)
    new_bundle = np.repeat(np.arange(len(bundles), dtype=np.int64), new_sizes)
    w = np.ascontiguousarray(prob.w[order])
    return _Search(
        order=order,
        bundle=new_bundle,
        bstart=new_bstart,
        w=w,
        w_t=np.ascontiguousarray(w.T),
        lin_item=np.ascontiguousarray(prob.lin_item[:, order, :]),
        conflict=np.ascontiguousarray(prob.conflict[np.ix_(order, order)]),
        systems=systems.take(order),
        alive=np.ones(len(order), dtype=bool),
        forced=(forced[obj_g] + margin[obj_g])[order]
        if obj_g is not None
        else np.full(len(order), np.inf),
    )
