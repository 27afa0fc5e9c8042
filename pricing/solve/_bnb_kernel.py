"""Numba kernels of the menu branch and bound (see `pricing.solve.branch_bound`).

Arrays follow `pricing.solve.menus` (items ``i``, classes ``k``, linear rows ``r``, log rows
``q``), with items renumbered so that each bundle's items are contiguous (bundle ``b`` owns
items ``bstart[b] .. bstart[b + 1] - 1``). A *bound system* ``g`` is a function of a menu

    f_g(M) = const_g + sum_k [ (out_gk + sum_{i in M} wm_gki) / S_k + mu_gk ln S_k ]

with ``wm_gki = w_ik m_gki`` and ``mu_gk >= 0``: the objective plus a Lagrangian
combination of the rows (an upper bound on the objective of every feasible menu), or one
row alone (its value must reach zero for the menu to be feasible). For a partial menu P and
completions C of at most r items from bundles ``b_from ..`` (one item per bundle; the price
ladder relaxed), class k's term is at most (see `class_bound`)

    B_k = min over theta of max( (A + h(theta)) / S + mu ln S,
                                 theta + (A + h(theta) - theta S) / T + mu ln T )

where ``S, A`` are the partial menu's, ``h(theta)`` is the sum of the r largest positive
``max_l w_l (m_l - theta)`` over the remaining bundles (the concave envelope of what a
completion can add) and ``T = S +`` the r largest remaining ``max_l w_l``. The minimum is
where both branches meet, the root of ``S (theta + c) = A + h(theta)`` with
``c = mu ln(T / S) / (1 - S / T)``, found by Dinkelbach's iteration (finite: h is convex and
piecewise linear); any theta gives a valid bound, so stopping early stays safe. With
``mu = 0`` this is the per-class best-price profit bound (every class picks its own
prices and bundles); summed over classes it bounds f_g over every completion.

Those bounds let each class take its own completion, which is loose when classes differ
in price sensitivity (44 % above the optimum at the root of the city-scale case, still
12 % with one item left). A node with two items left is therefore finished by
`pair_complete` with one completion for all classes: ``F(P + x + y) <= F(P) + pot_x +
pot_y`` (`pair_gains`), exact single gains plus an interaction slack, scanned best first.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numba as nb
import numpy as np

from maasmix.pricing.solve._enumeration_kernel import _feasible, _score

_IMPROVE = 1e-12
_SAFETY = 1e-11
_ITERATIONS = 40


@nb.njit(cache=True)
def class_bound(
    s: float,
    a: float,
    mu: float,
    r: int,
    b_from: int,
    skip: int,
    bstart: np.ndarray,
    wk: np.ndarray,
    wmk: np.ndarray,
    alive: np.ndarray,
    theta0: float,
    top_v: np.ndarray,
    top_id: np.ndarray,
) -> tuple[float, float, float, float]:
    """(bound on class k's term over completions, the last theta, T, the S of the last
    best completion) — module docstring.

    ``wk`` (I,) exp-utilities and ``wmk`` (I,) numerators of class k; ``skip`` a bundle
    left out (-1: none); ``top_v`` (float) and ``top_id`` (int64) scratch arrays of length
    >= r.
    """
    n_b = bstart.shape[0] - 1
    base = a / s + (mu * math.log(s) if mu > 0.0 else 0.0)
    if r <= 0 or b_from >= n_b:
        return base, theta0, s, s
    # T: the r largest best-level exp-utilities of the remaining bundles
    cnt = 0
    for b in range(b_from, n_b):
        if b == skip:
            continue
        best_w = 0.0
        for i in range(bstart[b], bstart[b + 1]):
            if alive[i] and wk[i] > best_w:
                best_w = wk[i]
        if best_w <= 0.0:
            continue
        cnt = _insert(top_v, top_id, cnt, r, best_w, b)
    if cnt == 0:
        return base, theta0, s, s
    wt = 0.0
    for q in range(cnt):
        wt += top_v[q]
    t_big = s + wt
    c = 0.0
    if mu > 0.0:
        c = mu * math.log(t_big / s) / (1.0 - s / t_big)
    log_s = math.log(s) if mu > 0.0 else 0.0
    log_t = math.log(t_big) if mu > 0.0 else 0.0
    theta = theta0
    best = math.inf
    t_star = s
    for _ in range(_ITERATIONS):
        cnt = 0
        for b in range(b_from, n_b):
            if b == skip:
                continue
            vmax = 0.0
            isel = -1
            for i in range(bstart[b], bstart[b + 1]):
                if not alive[i]:
                    continue
                v = wmk[i] - wk[i] * theta
                if v > vmax:
                    vmax = v
                    isel = i
            if vmax > 0.0:
                cnt = _insert(top_v, top_id, cnt, r, vmax, isel)
        h = 0.0
        n_sum = 0.0
        w_sum = 0.0
        for q in range(cnt):
            h += top_v[q]
            n_sum += wmk[top_id[q]]
            w_sum += wk[top_id[q]]
        b_s = (a + h) / s + mu * log_s
        b_t = theta + (a + h - theta * s) / t_big + mu * log_t
        bound = b_s if b_s > b_t else b_t
        if bound < best:
            best = bound
        t_star = s + w_sum
        new = (a - s * c + n_sum) / (s + w_sum)
        if abs(new - theta) <= 1e-13 * max(1.0, abs(theta)):
            break
        theta = new
    return best, theta, t_big, t_star


@nb.njit(cache=True, inline="always")
def joint_constant(s_vec: np.ndarray, a_vec: np.ndarray, mu: np.ndarray, work: np.ndarray) -> float:
    """The item-free part of the joint bound: ``sum_k theta_k + (A_k - theta_k S_k) / T_k
    + mu_k (ln a_k - 1 + S_k / a_k)`` with ``theta, T, a = work``."""
    v = 0.0
    for k in range(s_vec.shape[0]):
        v += work[0, k] + (a_vec[k] - work[0, k] * s_vec[k]) / work[1, k]
        if mu[k] != 0.0:
            v += mu[k] * (math.log(work[2, k]) - 1.0 + s_vec[k] / work[2, k])
    return v


@nb.njit(cache=True, inline="always")
def joint_score(
    g: int, i: int, sys_wm: np.ndarray, w_t: np.ndarray, sys_mu: np.ndarray, work: np.ndarray
) -> float:
    """What item i adds to the joint bound: ``sum_k (wm - theta w) / T + mu w / a``."""
    v = 0.0
    for k in range(w_t.shape[0]):
        v += (sys_wm[g, k, i] - w_t[k, i] * work[0, k]) / work[1, k]
        if sys_mu[g, k] != 0.0:
            v += sys_mu[g, k] * w_t[k, i] / work[2, k]
    return v


@nb.njit(cache=True)
def system_bound(
    g: int,
    s_vec: np.ndarray,
    a_vec: np.ndarray,
    r: int,
    b_from: int,
    skip: int,
    bstart: np.ndarray,
    w_t: np.ndarray,
    sys_wm: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    alive: np.ndarray,
    theta: np.ndarray,
    top_v: np.ndarray,
    top_id: np.ndarray,
    work: np.ndarray,
    need: float,
) -> tuple[float, float]:
    """(bound of system g over completions, its magnitude for the rounding margin);
    ``theta`` (K,) warm starts, updated in place; ``work`` (3, K) scratch, left holding
    the joint bound's theta, T and a per class.

    The sum of the per-class bounds B_k, tightened by the *joint* bound, in which all
    classes share one completion C: with ``theta_k`` at least class k's best ratio,
    ``ratio_k(C) <= theta_k + D_kC / T_k`` where ``D_kC = A_k - theta_k S_k +
    sum_{i in C} w_ki (m_ki - theta_k) <= 0`` and ``t_C <= T_k``; a log term is at most
    its tangent at any a, ``mu ln t <= mu (ln a - 1 + t / a)``, with ``t = S + sum_C w``.
    Both are additive over items, so the best common C (r bundles, one level each) is a
    top-r selection. Skipped when the per-class sum is already below ``need``.
    """
    n_k = s_vec.shape[0]
    total = sys_const[g]
    mag = abs(sys_const[g])
    for k in range(n_k):
        mu = sys_mu[g, k]
        bk, th, tk, ts = class_bound(
            s_vec[k], a_vec[k], mu, r, b_from, skip, bstart, w_t[k], sys_wm[g, k], alive,
            theta[k], top_v, top_id,
        )  # fmt: skip
        theta[k] = th
        total += bk
        mag += abs(bk)
        work[1, k] = tk
        if mu == 0.0:
            work[0, k] = bk
        else:
            # the ratio part alone, for the joint bound; the tangent of ln at the S of the
            # best completion above
            rk, _, _, _ = class_bound(
                s_vec[k], a_vec[k], 0.0, r, b_from, skip, bstart, w_t[k], sys_wm[g, k],
                alive, th, top_v, top_id,
            )  # fmt: skip
            work[0, k] = rk
            work[2, k] = min(max(ts, s_vec[k]), tk)
    n_b = bstart.shape[0] - 1
    if r <= 0 or b_from >= n_b or total <= need:
        return total, mag
    joint = sys_const[g] + joint_constant(s_vec, a_vec, sys_mu[g], work)
    cnt = 0
    for b in range(b_from, n_b):
        if b == skip:
            continue
        vmax = 0.0
        for i in range(bstart[b], bstart[b + 1]):
            if not alive[i]:
                continue
            v = joint_score(g, i, sys_wm, w_t, sys_mu, work)
            if v > vmax:
                vmax = v
        if vmax > 0.0:
            cnt = _insert(top_v, top_id, cnt, r, vmax, b)
    for q in range(cnt):
        joint += top_v[q]
    if joint < total:
        total = joint
    return total, mag


def _item_bounds(
    item_bundle: np.ndarray,
    max_items: int,
    forced: bool,
    bstart: np.ndarray,
    w_t: np.ndarray,
    s0: np.ndarray,
    sys_out: np.ndarray,
    sys_wm: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    alive: np.ndarray,
) -> np.ndarray:
    """(G, I) bound of every system over menus that contain item i.

    ``forced``: the other items come from every other bundle (a bound on every menu with
    i); else from later bundles only (the bound of the search node {i}).
    """
    n_g = sys_out.shape[0]
    n_k, n_i = w_t.shape
    out = np.full((n_g, n_i), -np.inf)
    for i in nb.prange(n_i):
        if not alive[i]:
            continue
        top_v = np.empty(max(1, max_items))
        top_id = np.empty(max(1, max_items), dtype=np.int64)
        work = np.empty((3, n_k))
        s_vec = s0 + w_t[:, i]
        b = item_bundle[i]
        for g in range(n_g):
            a_vec = sys_out[g] + sys_wm[g, :, i]
            theta = a_vec / s_vec
            if forced:
                v, _ = system_bound(
                    g, s_vec, a_vec, max_items - 1, 0, b, bstart, w_t, sys_wm, sys_mu,
                    sys_const, alive, theta, top_v, top_id, work, -np.inf,
                )  # fmt: skip
            else:
                v, _ = system_bound(
                    g, s_vec, a_vec, max_items - 1, b + 1, -1, bstart, w_t, sys_wm, sys_mu,
                    sys_const, alive, theta, top_v, top_id, work, -np.inf,
                )  # fmt: skip
            out[g, i] = v
    return out


@nb.njit(cache=True, nogil=True)
def root_bound(
    max_items: int,
    bstart: np.ndarray,
    w_t: np.ndarray,
    s0: np.ndarray,
    out: np.ndarray,
    wm: np.ndarray,
    mu: np.ndarray,
    const: float,
    alive: np.ndarray,
) -> float:
    """The bound of one system (out (K,), wm (K, I), mu (K,)) over every menu."""
    n_k = w_t.shape[0]
    top_v = np.empty(max(1, max_items))
    top_id = np.empty(max(1, max_items), dtype=np.int64)
    work = np.empty((3, n_k))
    sys_wm = np.empty((1, wm.shape[0], wm.shape[1]))
    sys_wm[0] = wm
    sys_mu = np.empty((1, n_k))
    sys_mu[0] = mu
    sys_const = np.full(1, const)
    theta = out / s0
    v, _ = system_bound(
        0, s0, out, max_items, 0, -1, bstart, w_t, sys_wm, sys_mu, sys_const, alive, theta,
        top_v, top_id, work, -np.inf,
    )  # fmt: skip
    return v


@nb.njit(cache=True)
def _pruned(
    depth_items: int,
    last_bundle: int,
    max_items: int,
    s_vec: np.ndarray,
    ga: np.ndarray,
    best: float,
    have_best: bool,
    bstart: np.ndarray,
    w_t: np.ndarray,
    sys_wm: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    sys_floor: np.ndarray,
    sys_is_obj: np.ndarray,
    alive: np.ndarray,
    theta: np.ndarray,
    top_v: np.ndarray,
    top_id: np.ndarray,
    work: np.ndarray,
) -> bool:
    """True when no completion of the node can be feasible and beat ``best``."""
    r = max_items - depth_items
    for g in range(sys_const.shape[0]):
        if sys_is_obj[g] and not have_best:
            continue
        limit = best if sys_is_obj[g] else sys_floor[g]
        v, mag = system_bound(
            g, s_vec, ga[g], r, last_bundle + 1, -1, bstart, w_t, sys_wm, sys_mu, sys_const,
            alive, theta[g], top_v, top_id, work, limit - 1e-9 * (1.0 + abs(limit)),
        )  # fmt: skip
        v += _SAFETY * (1.0 + mag)
        if v <= limit:
            return True
    return False


@nb.njit(cache=True)
def _insert(vals: np.ndarray, ids: np.ndarray, cnt: int, cap: int, v: float, b: int) -> int:
    """Insert (v, b) into the descending list vals[:cnt] of at most ``cap``; new count."""
    if cnt < cap:
        pos = cnt
        cnt += 1
    elif v > vals[cnt - 1]:
        pos = cnt - 1
    else:
        return cnt
    while pos > 0 and vals[pos - 1] < v:
        vals[pos] = vals[pos - 1]
        ids[pos] = ids[pos - 1]
        pos -= 1
    vals[pos] = v
    ids[pos] = b
    return cnt


@nb.njit(cache=True)
def _top_without(vals: np.ndarray, ids: np.ndarray, cnt: int, r: int, b: int) -> float:
    """Sum of the r largest positive entries whose id is not b."""
    total = 0.0
    taken = 0
    for q in range(cnt):
        if taken >= r:
            break
        if ids[q] == b or vals[q] <= 0.0:
            continue
        total += vals[q]
        taken += 1
    return total


@nb.njit(cache=True)
def node_tops(
    g: int,
    r1: int,
    b_from: int,
    bstart: np.ndarray,
    w_t: np.ndarray,
    sys_wm: np.ndarray,
    sys_mu: np.ndarray,
    mask: np.ndarray,
    theta: np.ndarray,
    work: np.ndarray,
    tv: np.ndarray,
    tb: np.ndarray,
    tw: np.ndarray,
    twb: np.ndarray,
    tj: np.ndarray,
    tjb: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Per class, the ``r1`` best bundles (from ``b_from``) by ``max_l w (m - theta_k)``
    (tv, tb) and by ``max_l w`` (tw, twb), and the ``r1`` best by the joint score
    (`joint_score`, tj, tjb) with the node's ``work`` from `system_bound`.
    ``counts`` (2K + 1,): list lengths (value lists, w lists, joint). For `cheap_bound`."""
    n_k = w_t.shape[0]
    n_b = bstart.shape[0] - 1
    for q in range(2 * n_k + 1):
        counts[q] = 0
    for b in range(b_from, n_b):
        jmax = 0.0
        for k in range(n_k):
            vmax = 0.0
            wmax = 0.0
            for i in range(bstart[b], bstart[b + 1]):
                if not mask[i]:
                    continue
                v = sys_wm[g, k, i] - w_t[k, i] * theta[k]
                if v > vmax:
                    vmax = v
                if w_t[k, i] > wmax:
                    wmax = w_t[k, i]
            if vmax > 0.0:
                counts[k] = _insert(tv[k], tb[k], counts[k], r1, vmax, b)
            if wmax > 0.0:
                counts[n_k + k] = _insert(tw[k], twb[k], counts[n_k + k], r1, wmax, b)
        for i in range(bstart[b], bstart[b + 1]):
            if mask[i]:
                v = joint_score(g, i, sys_wm, w_t, sys_mu, work)
                if v > jmax:
                    jmax = v
        if jmax > 0.0:
            counts[2 * n_k] = _insert(tj, tjb, counts[2 * n_k], r1, jmax, b)


@nb.njit(cache=True)
def cheap_bound(
    g: int,
    cand: int,
    bl: int,
    r: int,
    s_vec: np.ndarray,
    a_vec: np.ndarray,
    w: np.ndarray,
    sys_wm_i: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    theta: np.ndarray,
    work: np.ndarray,
    tv: np.ndarray,
    tb: np.ndarray,
    tw: np.ndarray,
    twb: np.ndarray,
    tj: np.ndarray,
    tjb: np.ndarray,
    counts: np.ndarray,
) -> tuple[float, float]:
    """A bound of system g over the node with item cand (bundle bl) and at most r items of
    the node's remaining bundles other than bl, in O(K r) from `node_tops`.

    Per class, ``max(B_S, B_T)`` at the node's theta (valid at any theta) with h and T
    from the node's lists without bl; jointly, the node's ``theta_k >= `` the
    candidate's best ratio and ``T_k >= `` the candidate's T (and any tangent point is
    valid), so the joint bound with the node's joint scores holds too. Returns (bound,
    magnitude)."""
    n_k = s_vec.shape[0]
    per = sys_const[g]
    mag = abs(sys_const[g])
    joint = sys_const[g]
    for k in range(n_k):
        s2 = s_vec[k] + w[cand, k]
        a2 = a_vec[k] + sys_wm_i[g, cand, k]
        mu = sys_mu[g, k]
        h = _top_without(tv[k], tb[k], counts[k], r, bl)
        t2 = s2 + _top_without(tw[k], twb[k], counts[n_k + k], r, bl)
        b_s = (a2 + h) / s2
        b_t = theta[k] + (a2 + h - theta[k] * s2) / t2
        if mu != 0.0:
            b_s += mu * math.log(s2)
            b_t += mu * math.log(t2)
        bk = b_s if b_s > b_t else b_t
        per += bk
        mag += abs(bk)
        joint += work[0, k] + (a2 - work[0, k] * s2) / work[1, k]
        if mu != 0.0:
            joint += mu * (math.log(work[2, k]) - 1.0 + s2 / work[2, k])
    joint += _top_without(tj, tjb, counts[2 * n_k], r, bl)
    if joint < per:
        return joint, mag
    return per, mag


@nb.njit(cache=True)
def _keep(
    cand: int,
    items_after: int,
    last_bundle: int,
    max_items: int,
    s_vec: np.ndarray,
    ga: np.ndarray,
    best: float,
    have_best: bool,
    item_bundle: np.ndarray,
    bstart: np.ndarray,
    w: np.ndarray,
    w_t: np.ndarray,
    sys_wm: np.ndarray,
    sys_wm_i: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    sys_floor: np.ndarray,
    sys_is_obj: np.ndarray,
    mask: np.ndarray,
    theta: np.ndarray,
    s_tmp: np.ndarray,
    a_tmp: np.ndarray,
    th_tmp: np.ndarray,
    top_v: np.ndarray,
    top_id: np.ndarray,
    work: np.ndarray,
) -> bool:
    """Can a menu with the node's items, item cand and at most ``max_items - items_after``
    items of later bundles (other than cand's, among ``mask``) be feasible and beat ``best``?"""
    n_k = s_vec.shape[0]
    for k in range(n_k):
        s_tmp[k] = s_vec[k] + w[cand, k]
    r = max_items - items_after
    for g in range(sys_const.shape[0]):
        if sys_is_obj[g] and not have_best:
            continue
        for k in range(n_k):
            a_tmp[k] = ga[g, k] + sys_wm_i[g, cand, k]
            th_tmp[k] = theta[g, k]
        limit = best if sys_is_obj[g] else sys_floor[g]
        v, mag = system_bound(
            g, s_tmp, a_tmp, r, last_bundle + 1, item_bundle[cand], bstart, w_t, sys_wm, sys_mu,
            sys_const, mask, th_tmp, top_v, top_id, work,
            limit - 1e-9 * (1.0 + abs(limit)),
        )  # fmt: skip
        v += _SAFETY * (1.0 + mag)
        if v <= limit:
            return False
    return True


@nb.njit(cache=True)
def filter_node(
    n_node: int,
    last_bundle: int,
    max_items: int,
    s_vec: np.ndarray,
    ga: np.ndarray,
    best: float,
    have_best: bool,
    stack: np.ndarray,
    item_bundle: np.ndarray,
    bstart: np.ndarray,
    w: np.ndarray,
    w_t: np.ndarray,
    conflict: np.ndarray,
    sys_wm: np.ndarray,
    sys_wm_i: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    sys_floor: np.ndarray,
    sys_is_obj: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    theta: np.ndarray,
    full: bool,
) -> int:
    """Write into ``dst`` (from the node's first child on) the candidates of ``src`` that
    can still be in a feasible menu better than ``best`` with the node's ``n_node`` items
    (``stack[:n_node]``, last in ``last_bundle``); returns how many are kept.

    Every candidate is tested by `cheap_bound`, system after system, each with completions
    drawn from the candidates still kept (an item that cannot be in a better menu with
    the node cannot complete one either); with ``full``, the survivors then by the
    complete bound (`_keep`), their completions drawn from the survivors only.
    ``theta`` (G, K) warm starts, updated.
    """
    n_i, n_k = w.shape
    n_g = sys_const.shape[0]
    first = bstart[last_bundle + 1]
    r = max_items - n_node - 1
    kept = 0
    for cand in range(first, n_i):
        ok = src[cand]
        if ok:
            for q in range(n_node):
                if conflict[stack[q], cand]:
                    ok = False
                    break
        dst[cand] = ok
    if r < 0:
        return 0
    r1 = r + 1
    tv = np.empty((n_k, r1))
    tb = np.empty((n_k, r1), dtype=np.int64)
    tw = np.empty((n_k, r1))
    twb = np.empty((n_k, r1), dtype=np.int64)
    tj = np.empty(r1)
    tjb = np.empty(r1, dtype=np.int64)
    counts = np.empty(2 * n_k + 1, dtype=np.int64)
    top_v = np.empty(max(1, max_items))
    top_id = np.empty(max(1, max_items), dtype=np.int64)
    work = np.empty((3, n_k))
    left = 0
    for cand in range(first, n_i):
        if dst[cand]:
            left += 1
    for g in range(n_g):
        if left == 0:
            break
        if sys_is_obj[g] and not have_best:
            continue
        limit = best if sys_is_obj[g] else sys_floor[g]
        # completions are drawn from the candidates still kept (``dst``): an item that
        # cannot be in a feasible better menu with the node cannot complete one either
        system_bound(
            g, s_vec, ga[g], r1, last_bundle + 1, -1, bstart, w_t, sys_wm, sys_mu, sys_const,
            dst, theta[g], top_v, top_id, work, -np.inf,
        )  # fmt: skip
        node_tops(
            g, r1, last_bundle + 1, bstart, w_t, sys_wm, sys_mu, dst, theta[g], work, tv, tb,
            tw, twb, tj, tjb, counts,
        )  # fmt: skip
        for cand in range(first, n_i):
            if not dst[cand]:
                continue
            v, mag = cheap_bound(
                g, cand, item_bundle[cand], r, s_vec, ga[g], w, sys_wm_i, sys_mu, sys_const,
                theta[g], work, tv, tb, tw, twb, tj, tjb, counts,
            )  # fmt: skip
            if v + _SAFETY * (1.0 + mag) <= limit:
                dst[cand] = False
                left -= 1
    if full and r >= 1:
        survivors = dst.copy()
        s_tmp = np.empty(n_k)
        a_tmp = np.empty(n_k)
        th_tmp = np.empty(n_k)
        for cand in range(first, n_i):
            if dst[cand]:
                dst[cand] = _keep(
                    cand, n_node + 1, last_bundle, max_items, s_vec, ga, best, have_best,
                    item_bundle, bstart, w, w_t, sys_wm, sys_wm_i, sys_mu, sys_const, sys_floor,
                    sys_is_obj, survivors, theta, s_tmp, a_tmp, th_tmp, top_v, top_id,
                    work,
                )  # fmt: skip
    for cand in range(first, n_i):
        if dst[cand]:
            kept += 1
    return kept


@nb.njit(cache=True, nogil=True)
def filter_candidates(
    prefix: np.ndarray,
    max_items: int,
    alive: np.ndarray,
    item_bundle: np.ndarray,
    bstart: np.ndarray,
    w: np.ndarray,
    w_t: np.ndarray,
    s0: np.ndarray,
    conflict: np.ndarray,
    sys_out: np.ndarray,
    sys_wm: np.ndarray,
    sys_wm_i: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    sys_floor: np.ndarray,
    sys_is_obj: np.ndarray,
    best: float,
    have_best: bool,
    complete: bool,
) -> np.ndarray:
    """(I,) the items of later bundles that can still be part of a feasible menu better
    than ``best`` together with the ``prefix`` (ascending items, no conflicts): the cheap
    test for all, then (``complete``) the complete one for the survivors. Serial: it is
    called once per first item, and a parallel region each time cost more than it saved on
    a busy machine (OpenMP threads spinning at the barrier)."""
    n_i, n_k = w.shape
    n_g = sys_const.shape[0]
    m = prefix.shape[0]
    s_vec = s0.copy()
    ga = sys_out.copy()
    for q in range(m):
        s_vec += w[prefix[q]]
        ga += sys_wm_i[:, prefix[q]]
    theta = np.empty((n_g, n_k))
    for g in range(n_g):
        theta[g] = ga[g] / s_vec
    last = item_bundle[prefix[m - 1]]
    keep = np.zeros(n_i, dtype=np.bool_)
    filter_node(
        m, last, max_items, s_vec, ga, best, have_best, prefix, item_bundle, bstart, w, w_t,
        conflict, sys_wm, sys_wm_i, sys_mu, sys_const, sys_floor, sys_is_obj, alive, keep,
        theta, False,
    )  # fmt: skip
    if not complete or max_items - m - 1 < 2:
        return keep
    survivors = keep.copy()
    for cand in range(bstart[last + 1], n_i):
        if not survivors[cand]:
            continue
        keep[cand] = _keep(
            cand, m + 1, last, max_items, s_vec, ga, best, have_best, item_bundle, bstart, w, w_t,
            sys_wm, sys_wm_i, sys_mu, sys_const, sys_floor, sys_is_obj, survivors,
            theta.copy(), np.empty(n_k), np.empty(n_k), np.empty(n_k),
            np.empty(max(1, max_items)), np.empty(max(1, max_items), dtype=np.int64),
            np.empty((3, n_k)),
        )  # fmt: skip
    return keep


@nb.njit(cache=True)
def pair_gains(
    g: int,
    s_vec: np.ndarray,
    ga: np.ndarray,
    cands: np.ndarray,
    n: int,
    w: np.ndarray,
    sys_wm_i: np.ndarray,
    pot: np.ndarray,
    obj_num: np.ndarray,
    obj_item: np.ndarray,
    single: np.ndarray,
) -> float:
    """For system g (no log terms) at a node (``s_vec``, numerators ``ga`` (G, K)): each
    candidate's exact gain ``F(P + x) - F(P)`` plus its interaction slack ``R_x = sum_k
    (f_k w_kx - wm_kx)^+ / (S_k + w_kx)`` into ``pot[:n]``; returns the node's value
    ``sum_k f_k`` (``f_k = ga_k / S_k``, the class ratios). When ``single`` is not empty,
    also the objective row of the node plus each candidate, ``sum_k (obj_num_k +
    obj_item_xk) / (S_k + w_xk)``, into ``single[:n]`` (one division for both).

    Adding x after other items Y (instead of first) gains at most ``R_x + sum_{y in Y} R_y``
    more: ``Delta_x|Q - Delta_x|P = w_x (m_x - f_P) (1/(S_Q + w_x) - 1/(S_P + w_x)) + w_x
    (f_P - f_Q) / (S_Q + w_x)``; the first term is at most class k's part of R_x, and ``f_P -
    f_Q = sum_y w_y (f_P - m_y) / S_Q`` is at most the parts of the R_y. So for a pair,
    ``F(P + x + y) <= F(P) + pot_x + pot_y``: separable, and exact when every margin is at
    least its class's ratio (no item can then make another better).
    """
    n_k = s_vec.shape[0]
    f = np.empty(n_k)
    f_sum = 0.0
    for k in range(n_k):
        f[k] = ga[g, k] / s_vec[k]
        f_sum += f[k]
    # branch-free inner loops (they vectorise): gain + slack = sum_k (A_k + wm + (f_k w -
    # wm)^+) / (S_k + w) - sum_k f_k
    if single.shape[0] > 0:
        for q in range(n):
            x = cands[q]
            v = 0.0
            u = 0.0
            for k in range(n_k):
                wx = w[x, k]
                num = sys_wm_i[g, x, k]
                inv = 1.0 / (s_vec[k] + wx)
                v += (ga[g, k] + num + max(f[k] * wx - num, 0.0)) * inv
                u += (obj_num[k] + obj_item[x, k]) * inv
            pot[q] = v - f_sum
            single[q] = u
    else:
        for q in range(n):
            x = cands[q]
            v = 0.0
            for k in range(n_k):
                wx = w[x, k]
                num = sys_wm_i[g, x, k]
                v += (ga[g, k] + num + max(f[k] * wx - num, 0.0)) / (s_vec[k] + wx)
            pot[q] = v - f_sum
    return f_sum


@nb.njit(cache=True)
def pair_complete(
    n_node: int,
    last_bundle: int,
    stack: np.ndarray,
    s_vec: np.ndarray,
    a_rows: np.ndarray,
    ga: np.ndarray,
    src: np.ndarray,
    best: float,
    have: bool,
    bstart: np.ndarray,
    w: np.ndarray,
    lin_item: np.ndarray,
    lin_lo: np.ndarray,
    lin_hi: np.ndarray,
    log_coef: np.ndarray,
    log_lo: np.ndarray,
    conflict: np.ndarray,
    sense: float,
    tol: float,
    sys_wm_i: np.ndarray,
    sys_const: np.ndarray,
    sys_is_obj: np.ndarray,
    out_items: np.ndarray,
) -> tuple[float, bool, bool, int]:
    """Every menu of a node with exactly two items left to add (objective 0, objective
    systems without log terms): the node plus one candidate (each scored), and plus two
    where the separable bound of `pair_gains` lets the pair through in every objective
    system. Pairs are scanned best bound first, so the scan stops at the first pair
    whose bound cannot beat ``best``; each pair that passes is scored exactly and its rows
    checked, as a leaf of the search. ``out_items`` (2,) receives the added items of the
    best menu found (-1: none). Returns (best, have, found, menus scored).
    """
    n_i, n_k = w.shape
    n_r = lin_item.shape[0]
    n_g = sys_const.shape[0]
    out_items[0] = -1
    out_items[1] = -1
    found = False
    cands = np.empty(n_i, dtype=np.int64)
    n = 0
    for x in range(bstart[last_bundle + 1], n_i):
        if not src[x]:
            continue
        ok = True
        for q in range(n_node):
            if conflict[stack[q], x]:
                ok = False
                break
        if ok:
            cands[n] = x
            n += 1
    if n == 0:
        return best, have, found, 0
    s_leaf = np.empty(n_k)
    a_leaf = np.empty((n_r, n_k))
    # the separable bound in every objective system, and (with the first) the objective
    # of the node plus each candidate
    n_obj = 0
    for g in range(n_g):
        if sys_is_obj[g]:
            n_obj += 1
    pot = np.empty((max(1, n_obj), n))
    base = np.zeros(max(1, n_obj))
    single = np.empty(n)
    none = np.empty(0)
    o = 0
    for g in range(n_g):
        if sys_is_obj[g]:
            base[o] = sys_const[g] + pair_gains(
                g, s_vec, ga, cands, n, w, sys_wm_i, pot[o], a_rows[0], lin_item[0],
                single if o == 0 else none,
            )  # fmt: skip
            o += 1
    # the node plus one candidate: leaves
    for q in range(n):
        x = cands[q]
        v = sense * single[q]
        if not have or v > best + _IMPROVE * max(1.0, abs(best)):
            for k in range(n_k):
                s_leaf[k] = s_vec[k] + w[x, k]
            for r in range(n_r):
                for k in range(n_k):
                    a_leaf[r, k] = a_rows[r, k] + lin_item[r, x, k]
            if _feasible(s_leaf, a_leaf, lin_lo, lin_hi, log_coef, log_lo, 0, tol):
                best, have, found = v, True, True
                out_items[0] = x
                out_items[1] = -1
    scored = n
    # only candidates whose bound with the best partner can beat the incumbent, sorted
    top1 = -np.inf
    top2 = -np.inf
    for q in range(n):
        if pot[0, q] > top1:
            top1, top2 = pot[0, q], top1
        elif pot[0, q] > top2:
            top2 = pot[0, q]
    keep = np.empty(n, dtype=np.int64)
    n_keep = 0
    for q in range(n):
        partner = top2 if pot[0, q] == top1 else top1
        if not have or base[0] + pot[0, q] + partner + _margin(best, base[0]) > best:
            keep[n_keep] = q
            n_keep += 1
    order = keep[:n_keep][np.argsort(-pot[0, keep[:n_keep]])]
    for p in range(n_keep - 1):
        x = cands[order[p]]
        px = pot[0, order[p]]
        if have and base[0] + px + pot[0, order[p + 1]] + _margin(best, base[0]) <= best:
            break  # no later pair can beat the incumbent
        for qq in range(p + 1, n_keep):
            if have and base[0] + px + pot[0, order[qq]] + _margin(best, base[0]) <= best:
                break
            y = cands[order[qq]]
            if conflict[x, y]:
                continue
            cut = False
            if have:
                for o2 in range(1, n_obj):
                    bound = base[o2] + pot[o2, order[p]] + pot[o2, order[qq]]
                    if bound + _margin(best, base[o2]) <= best:
                        cut = True
                        break
            if cut:
                continue
            v = 0.0
            for k in range(n_k):
                num = a_rows[0, k] + lin_item[0, x, k] + lin_item[0, y, k]
                v += num / (s_vec[k] + w[x, k] + w[y, k])
            v *= sense
            scored += 1
            if not have or v > best + _IMPROVE * max(1.0, abs(best)):
                for k in range(n_k):
                    s_leaf[k] = s_vec[k] + w[x, k] + w[y, k]
                for r in range(n_r):
                    for k in range(n_k):
                        a_leaf[r, k] = a_rows[r, k] + lin_item[r, x, k] + lin_item[r, y, k]
                if _feasible(s_leaf, a_leaf, lin_lo, lin_hi, log_coef, log_lo, 0, tol):
                    best, have, found = v, True, True
                    out_items[0] = x
                    out_items[1] = y
    return best, have, found, scored


@nb.njit(cache=True, inline="always")
def _margin(best: float, base: float) -> float:
    """Rounding allowance of a separable bound near ``best`` over a node valued ``base``."""
    return _SAFETY * (1.0 + abs(best) + abs(base))


def _search_tasks(
    tasks: np.ndarray,
    max_items: int,
    alive: np.ndarray,
    item_bundle: np.ndarray,
    bstart: np.ndarray,
    w: np.ndarray,
    w_t: np.ndarray,
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
    sys_out: np.ndarray,
    sys_wm: np.ndarray,
    sys_wm_i: np.ndarray,
    sys_mu: np.ndarray,
    sys_const: np.ndarray,
    sys_floor: np.ndarray,
    sys_is_obj: np.ndarray,
    floor: float,
    have_floor: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best feasible menu beating ``floor`` in the subtree of every task.

    ``tasks`` (T, P): a prefix of items (ascending, no conflicts; -1 padded). The subtree
    holds the prefix and every menu that extends it by items of later bundles among
    ``alive``. A node with at least two items still to add is bounded by every system,
    then the candidates for its children are filtered (`filter_node`: the cheap test, and
    the complete one when three or more items may still be added), so the deeper loops run
    over fewer items.

    Returns per task: sense * objective of the best menu found (-inf: none beat the
    floor), its items (T, max_items) -1 padded, search nodes bounded, menus scored.
    """
    n_t = tasks.shape[0]
    n_i, n_k = w.shape
    n_r = lin_item.shape[0]
    n_g = sys_const.shape[0]
    best_val = np.full(n_t, -np.inf)
    best_items = np.full((n_t, max(1, max_items)), -1, dtype=np.int64)
    nodes = np.zeros(n_t, dtype=np.int64)
    leaves = np.zeros(n_t, dtype=np.int64)
    # nodes with two items left are completed by `pair_complete` when its bound applies:
    # a linear objective, and no log term in any objective system
    use_pairs = objective == 0
    for g in range(n_g):
        if sys_is_obj[g]:
            for k in range(n_k):
                if sys_mu[g, k] != 0.0:
                    use_pairs = False
    for t in nb.prange(n_t):
        m = 0
        while m < tasks.shape[1] and tasks[t, m] >= 0:
            m += 1
        if m == 0 or m > max_items:
            continue
        stack = np.empty(max_items, dtype=np.int64)
        nxt = np.empty(max_items, dtype=np.int64)
        mlev = np.empty(max_items, dtype=np.int64)
        masks = np.empty((max_items, n_i), dtype=np.bool_)
        s = np.empty((max_items, n_k))
        a = np.empty((max_items, n_r, n_k))
        ga = np.empty((max_items, n_g, n_k))
        theta = np.empty((max_items, n_g, n_k))
        s_leaf = np.empty(n_k)
        a_leaf = np.empty((n_r, n_k))
        a0 = np.zeros(n_k)
        top_v = np.empty(max_items)
        top_id = np.empty(max_items, dtype=np.int64)
        work = np.empty((3, n_k))
        pair = np.empty(2, dtype=np.int64)
        best = floor
        have = have_floor
        found = False
        for d in range(m):
            i = tasks[t, d]
            stack[d] = i
            if d == 0:
                s[0] = s0 + w[i]
                a[0] = lin_out + lin_item[:, i]
                ga[0] = sys_out + sys_wm_i[:, i]
            else:
                s[d] = s[d - 1] + w[i]
                a[d] = a[d - 1] + lin_item[:, i]
                ga[d] = ga[d - 1] + sys_wm_i[:, i]
        d = m - 1
        for g in range(n_g):
            for k in range(n_k):
                theta[d, g, k] = ga[d, g, k] / s[d, k]
        v = sense * _score(s[d], a[d, 0] if n_r > 0 else a0, log_coef, objective)
        if (not have or v > best + _IMPROVE * max(1.0, abs(best))) and _feasible(
            s[d], a[d], lin_lo, lin_hi, log_coef, log_lo, objective, tol
        ):
            best, have, found = v, True, True
            best_items[t, :m] = stack[:m]
            best_items[t, m:] = -1
        leaves[t] += 1
        nxt[d] = bstart[item_bundle[stack[d]] + 1]
        mlev[d] = -1  # the task's candidates: ``alive``
        if use_pairs and m + 2 == max_items:
            nodes[t] += 1
            best, have, got, n_scored = pair_complete(
                m, item_bundle[stack[d]], stack, s[d], a[d], ga[d], alive, best, have,
                bstart, w, lin_item, lin_lo, lin_hi, log_coef, log_lo, conflict,
                sense, tol, sys_wm_i, sys_const, sys_is_obj, pair,
            )  # fmt: skip
            leaves[t] += n_scored
            if got:
                found = True
                best_items[t, :m] = stack[:m]
                best_items[t, m:] = -1
                best_items[t, m] = pair[0]
                if pair[1] >= 0:
                    best_items[t, m + 1] = pair[1]
            d = -1
        elif m + 2 <= max_items:
            nodes[t] += 1
            if _pruned(
                m, item_bundle[stack[d]], max_items, s[d], ga[d], best, have, bstart, w_t,
                sys_wm, sys_mu, sys_const, sys_floor, sys_is_obj, alive, theta[d], top_v,
                top_id, work,
            ):  # fmt: skip
                d = -1
            else:
                filter_node(
                    m, item_bundle[stack[d]], max_items, s[d], ga[d], best, have, stack,
                    item_bundle, bstart, w, w_t, conflict, sys_wm, sys_wm_i, sys_mu, sys_const,
                    sys_floor, sys_is_obj, alive, masks[d], theta[d], m + 3 <= max_items,
                )  # fmt: skip
                mlev[d] = d
        while d >= m - 1:
            if objective == 2 and found:
                break
            if d + 1 >= max_items or nxt[d] >= n_i:
                d -= 1
                continue
            j = nxt[d]
            nxt[d] += 1
            if mlev[d] < 0:
                if not alive[j]:
                    continue
            elif not masks[mlev[d], j]:
                continue
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
                leaves[t] += 1
                v = sense * _score(s_leaf, a0, log_coef, objective)
                if not have or v > best + _IMPROVE * max(1.0, abs(best)):
                    for r in range(n_r):
                        for k in range(n_k):
                            a_leaf[r, k] = a[d, r, k] + lin_item[r, j, k]
                    if _feasible(s_leaf, a_leaf, lin_lo, lin_hi, log_coef, log_lo, objective, tol):
                        best, have, found = v, True, True
                        best_items[t, : d + 1] = stack[: d + 1]
                        best_items[t, d + 1] = j
                        best_items[t, d + 2 :] = -1
                continue
            d += 1
            stack[d] = j
            s[d] = s[d - 1] + w[j]
            a[d] = a[d - 1] + lin_item[:, j]
            ga[d] = ga[d - 1] + sys_wm_i[:, j]
            theta[d] = theta[d - 1]
            nxt[d] = bstart[item_bundle[j] + 1]
            mlev[d] = mlev[d - 1]
            leaves[t] += 1
            v = sense * _score(s[d], a[d, 0] if n_r > 0 else a0, log_coef, objective)
            if (not have or v > best + _IMPROVE * max(1.0, abs(best))) and _feasible(
                s[d], a[d], lin_lo, lin_hi, log_coef, log_lo, objective, tol
            ):
                best, have, found = v, True, True
                best_items[t, : d + 1] = stack[: d + 1]
                best_items[t, d + 1 :] = -1
            if use_pairs and d + 3 == max_items:
                nodes[t] += 1
                src_mask = alive if mlev[d] < 0 else masks[mlev[d]]
                best, have, got, n_scored = pair_complete(
                    d + 1, item_bundle[j], stack, s[d], a[d], ga[d], src_mask, best, have,
                    bstart, w, lin_item, lin_lo, lin_hi, log_coef, log_lo,
                    conflict, sense, tol, sys_wm_i, sys_const, sys_is_obj, pair,
                )  # fmt: skip
                leaves[t] += n_scored
                if got:
                    found = True
                    best_items[t, : d + 1] = stack[: d + 1]
                    best_items[t, d + 1 :] = -1
                    best_items[t, d + 1] = pair[0]
                    if pair[1] >= 0:
                        best_items[t, d + 2] = pair[1]
                d -= 1
                continue
            if d + 3 <= max_items:
                nodes[t] += 1
                src_mask = alive if mlev[d] < 0 else masks[mlev[d]]
                if _pruned(
                    d + 1, item_bundle[j], max_items, s[d], ga[d], best, have, bstart, w_t,
                    sys_wm, sys_mu, sys_const, sys_floor, sys_is_obj, src_mask, theta[d],
                    top_v, top_id, work,
                ):  # fmt: skip
                    d -= 1
                    continue
                filter_node(
                    d + 1, item_bundle[j], max_items, s[d], ga[d], best, have, stack,
                    item_bundle, bstart, w, w_t, conflict, sys_wm, sys_wm_i, sys_mu, sys_const,
                    sys_floor, sys_is_obj, src_mask, masks[d], theta[d], d + 4 <= max_items,
                )  # fmt: skip
                mlev[d] = d
        best_val[t] = best if found else -np.inf
    return best_val, best_items, nodes, leaves


def _renamed(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A copy of ``fn`` under another name (numba caches each name in its own file)."""
    new = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    new.__qualname__ = name
    new.__doc__ = fn.__doc__
    return new


#: Parallel kernels (prange over items / tasks on numba's threads) for one search using
#: every core, and serial ones that release the GIL, for several searches in Python
#: threads at once (a frontier's points: `pricing.frontier`).
item_bounds = nb.njit(cache=True, parallel=True, nogil=True)(_renamed(_item_bounds, "item_bounds"))
item_bounds_serial = nb.njit(cache=True, nogil=True)(_renamed(_item_bounds, "item_bounds_serial"))
search_tasks = nb.njit(cache=True, parallel=True, nogil=True)(
    _renamed(_search_tasks, "search_tasks")
)
search_tasks_serial = nb.njit(cache=True, nogil=True)(
    _renamed(_search_tasks, "search_tasks_serial")
)
