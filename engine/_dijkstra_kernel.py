"""numba kernels: time-bounded, multi-source Dijkstra on a CSR graph (binary heap), the
walk back along its predecessor edges (`pred_edges`) and the way points of a path
(`path_points`).

One call settles every node whose cost from the nearest source (each source with its own
starting cost) is at most ``limit``; nothing beyond is expanded. Edge costs are float64
(seconds, or metres); an edge whose cost is ``inf`` or ``nan`` is never taken (a
forbidden edge). Ties between sources go to the one settled first.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def dijkstra(
    ptr: np.ndarray,
    to: np.ndarray,
    cost: np.ndarray,
    length: np.ndarray,
    sources: np.ndarray,
    source_cost: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Costs from the sources to every node within ``limit``.

    Returns ``(dist, metres, pred_edge, origin)``: ``dist[v]`` the least cost (``inf``
    beyond the limit), ``metres[v]`` the length of that path, ``pred_edge[v]`` the CSR
    position of the last edge on it (-1 at a source or unreached), ``origin[v]`` the
    index into ``sources`` of the source it starts at (-1 when unreached).
    """
    n = len(ptr) - 1
    dist = np.full(n, np.inf)
    metres = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    origin = np.full(n, -1, dtype=np.int32)
    done = np.zeros(n, dtype=np.bool_)
    # a binary heap of (cost, node) with lazy deletion, never fuller than one entry per
    # source and per edge relaxed; sifted by moving a hole (no swaps)
    cap = len(sources) + len(to) + 1
    heap_c = np.empty(cap, dtype=np.float64)
    heap_n = np.empty(cap, dtype=np.int64)
    size = 0
    for i in range(len(sources)):
        s = sources[i]
        c = source_cost[i]
        if s < 0 or s >= n or not (c <= limit):
            continue
        if c < dist[s]:
            dist[s] = c
            metres[s] = 0.0
            origin[s] = i
            pred[s] = -1
            j = size
            while j > 0:
                p = (j - 1) >> 1
                if heap_c[p] <= c:
                    break
                heap_c[j] = heap_c[p]
                heap_n[j] = heap_n[p]
                j = p
            heap_c[j] = c
            heap_n[j] = s
            size += 1
    while size > 0:
        c = heap_c[0]
        u = heap_n[0]
        size -= 1
        last_c = heap_c[size]
        last_n = heap_n[size]
        j = 0
        while True:
            child = 2 * j + 1
            if child >= size:
                break
            if child + 1 < size and heap_c[child + 1] < heap_c[child]:
                child += 1
            if last_c <= heap_c[child]:
                break
            heap_c[j] = heap_c[child]
            heap_n[j] = heap_n[child]
            j = child
        if size > 0:
            heap_c[j] = last_c
            heap_n[j] = last_n
        if done[u] or c > dist[u]:
            continue
        done[u] = True
        mu = metres[u]
        ou = origin[u]
        for e in range(ptr[u], ptr[u + 1]):
            w = cost[e]
            if not (w < np.inf):
                continue
            v = to[e]
            nc = c + w
            if nc < dist[v] and nc <= limit:
                dist[v] = nc
                metres[v] = mu + length[e]
                pred[v] = e
                origin[v] = ou
                j = size
                while j > 0:
                    p = (j - 1) >> 1
                    if heap_c[p] <= nc:
                        break
                    heap_c[j] = heap_c[p]
                    heap_n[j] = heap_n[p]
                    j = p
                heap_c[j] = nc
                heap_n[j] = v
                size += 1
    return dist, metres, pred, origin


@njit(cache=True)
def pred_edges(pred: np.ndarray, src: np.ndarray, node: int, max_steps: int) -> np.ndarray:
    """CSR positions of the edges from ``node`` back to its search's source, last edge
    first (``pred`` and ``src`` of the graph the search ran on; at most ``max_steps``)."""
    out = np.empty(16, dtype=np.int64)
    n = 0
    x = node
    for _ in range(max_steps):
        e = pred[x]
        if e < 0:
            break
        if n == len(out):
            bigger = np.empty(2 * n, dtype=np.int64)
            bigger[:n] = out
            out = bigger
        out[n] = e
        n += 1
        x = src[e]
    return out[:n].copy()


@njit(cache=True)
def path_points(
    pred: np.ndarray,
    src: np.ndarray,
    redge: np.ndarray,
    geom_start: np.ndarray,
    geom_stop: np.ndarray,
    node: int,
    reverse: bool,
    max_steps: int,
) -> np.ndarray:
    """Indices into the way geometry of the path to (forward) or from (``reverse``)
    ``node``, in travel order: each forward edge's points from ``geom_start`` to
    ``geom_stop`` (either way round), the first point of every edge after the first left
    out (it is the previous edge's last). Empty when the path has no edge."""
    back = pred_edges(pred, src, node, max_steps)
    m = len(back)
    edges = np.empty(m, dtype=np.int64)
    for i in range(m):
        # travel order: a forward search walked back from the end, a reverse one from
        # the start; reversed searches name edges by their reversed CSR positions
        edges[i] = redge[back[i]] if reverse else back[m - 1 - i]
    total = 0
    for i in range(m):
        a, b = geom_start[edges[i]], geom_stop[edges[i]]
        total += (b - a if b >= a else a - b) + (1 if i == 0 else 0)
    out = np.empty(total, dtype=np.int64)
    n = 0
    for i in range(m):
        a, b = geom_start[edges[i]], geom_stop[edges[i]]
        if i > 0 and a == b:
            continue  # a one-point polyline adds nothing after the previous edge
        step = 1 if b >= a else -1
        x = a if i == 0 else a + step
        while True:
            out[n] = x
            n += 1
            if x == b:
                break
            x += step
    return out
