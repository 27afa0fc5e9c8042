"""Numba kernel of the exhaustive menu search (see `pricing.solve.enumeration`).

An *item* is one bundle at one price level. A menu is a set of at most ``max_items``
items with no two in conflict (same bundle, or a price-ladder violation). For a menu,
``S_k = s0_k + sum w_ik`` and every linear row is ``sum_k (out_rk + sum_i c_rik) / S_k``,
every log row ``sum_k g_qk ln S_k``. Row 0 of the linear rows (``objective == 0``) or of
the log rows (``objective == 1``) is the objective, times ``sense``; ``objective == 2``
means any feasible menu will do.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_IMPROVE = 1e-12


@nb.njit(cache=True, inline="always")
def _row_ok(value: float, lo: float, hi: float, tol: float) -> bool:
    return value >= lo - tol * max(1.0, abs(lo)) and value <= hi + tol * max(1.0, abs(hi))


@nb.njit(cache=True)
def _feasible(
    s: np.ndarray,
    a: np.ndarray,
    lin_lo: np.ndarray,
    lin_hi: np.ndarray,
    log_coef: np.ndarray,
    log_lo: np.ndarray,
    objective: int,
    tol: float,
) -> bool:
    """Every row except the objective holds for S = ``s`` (K,) and numerators ``a`` (R, K)."""
    n_k = s.shape[0]
    for r in range(1 if objective == 0 else 0, a.shape[0]):
        v = 0.0
        for k in range(n_k):
            v += a[r, k] / s[k]
        if not _row_ok(v, lin_lo[r], lin_hi[r], tol):
            return False
    for q in range(1 if objective == 1 else 0, log_coef.shape[0]):
        v = 0.0
        for k in range(n_k):
            if log_coef[q, k] != 0.0:
                v += log_coef[q, k] * math.log(s[k])
        if not _row_ok(v, log_lo[q], math.inf, tol):
            return False
    return True


@nb.njit(cache=True)
def _score(s: np.ndarray, a0: np.ndarray, log_coef: np.ndarray, objective: int) -> float:
    v = 0.0
    if objective == 0:
        for k in range(s.shape[0]):
            v += a0[k] / s[k]
    elif objective == 1:
        for k in range(s.shape[0]):
            if log_coef[0, k] != 0.0:
                v += log_coef[0, k] * math.log(s[k])
    return v


@nb.njit(cache=True, parallel=True)
def search_prefixes(
    prefix: np.ndarray,
    max_items: int,
    w: np.ndarray,
    s0: np.ndarray,
    lin_out: np.ndarray,
    lin_item: np.ndarray,
    lin_lo: np.ndarray,
    lin_hi: np.ndarray,
    log_coef: np.ndarray,
    log_lo: np.ndarray,
    conflict: np.ndarray,
    objective: int,
    sense: float,
    tol: float,
    floor: float,
    budget: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best feasible menu among those whose lowest items are ``prefix[t]`` (T, P): at most
    ``max_items`` ascending, non-conflicting items, -1 padded; the menu of the prefix itself
    included. Only menus whose sense * objective beats ``floor`` (the best known so far;
    -inf for none) count. A task stops after scoring ``budget`` menus (its subtree is then
    not finished: the caller splits it into longer prefixes).

    Returns (its sense * objective per t, -inf when there is none; its items (T,
    max_items), -1 padded; whether the task's subtree was searched to the end; menus scored).
    """
    n_i, n_k = w.shape
    n_r = lin_item.shape[0]
    n_t = prefix.shape[0]
    best_val = np.full(n_t, -np.inf)
    best_items = np.full((n_t, max_items), -1, dtype=np.int64)
    complete = np.ones(n_t, dtype=np.bool_)
    counts = np.zeros(n_t, dtype=np.int64)
    for t in nb.prange(n_t):
        stack = np.empty(max_items, dtype=np.int64)
        nxt = np.empty(max_items, dtype=np.int64)
        s = np.empty((max_items, n_k))
        a = np.empty((max_items, n_r, n_k))
        s_leaf = np.empty(n_k)
        a_leaf = np.empty((n_r, n_k))
        a0 = np.empty(n_k)
        best = floor
        base = -1
        for q in range(min(prefix.shape[1], max_items)):
            if prefix[t, q] < 0:
                break
            base = q
        if base < 0:
            continue
        for q in range(base + 1):
            i = prefix[t, q]
            stack[q] = i
            s[q] = (s0 if q == 0 else s[q - 1]) + w[i]
            a[q] = (lin_out if q == 0 else a[q - 1]) + lin_item[:, i]
            nxt[q] = i + 1
        v = sense * _score(s[base], a[base, 0] if n_r > 0 else a0, log_coef, objective)
        if _feasible(s[base], a[base], lin_lo, lin_hi, log_coef, log_lo, objective, tol) and (
            best == -np.inf or v > best + _IMPROVE * max(1.0, abs(best))
        ):
            best = v
            best_items[t, : base + 1] = stack[: base + 1]
        d = base
        scored = 1
        while d >= base:
            if scored >= budget:
                complete[t] = False
                break
            if d + 1 >= max_items or nxt[d] >= n_i:
                d -= 1
                continue
            j = nxt[d]
            nxt[d] += 1
            clash = False
            for q in range(d + 1):
                if conflict[stack[q], j]:
                    clash = True
                    break
            if clash:
                continue
            if d + 2 == max_items:
                # a leaf: the objective first, the other rows only if it improves
                for k in range(n_k):
                    s_leaf[k] = s[d, k] + w[j, k]
                    if n_r > 0:
                        a0[k] = a[d, 0, k] + lin_item[0, j, k]
                v = sense * _score(s_leaf, a0, log_coef, objective)
                scored += 1
                if best == -np.inf or v > best + _IMPROVE * max(1.0, abs(best)):
                    for r in range(n_r):
                        for k in range(n_k):
                            a_leaf[r, k] = a[d, r, k] + lin_item[r, j, k]
                    if _feasible(s_leaf, a_leaf, lin_lo, lin_hi, log_coef, log_lo, objective, tol):
                        best = v
                        best_items[t, : d + 1] = stack[: d + 1]
                        best_items[t, d + 1] = j
                        best_items[t, d + 2 :] = -1
                continue
            d += 1
            stack[d] = j
            s[d] = s[d - 1] + w[j]
            a[d] = a[d - 1] + lin_item[:, j]
            nxt[d] = j + 1
            scored += 1
            v = sense * _score(s[d], a[d, 0] if n_r > 0 else a0, log_coef, objective)
            better = best == -np.inf or v > best + _IMPROVE * max(1.0, abs(best))
            if better and _feasible(s[d], a[d], lin_lo, lin_hi, log_coef, log_lo, objective, tol):
                best = v
                best_items[t, : d + 1] = stack[: d + 1]
                best_items[t, d + 1 :] = -1
        best_val[t] = best if best_items[t, 0] >= 0 else -np.inf
        counts[t] = scored
    return best_val, best_items, complete, counts
