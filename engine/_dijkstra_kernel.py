"""numba kernel: time-bounded, multi-source Dijkstra on a CSR graph (binary heap).

One call settles every node whose cost from the nearest source (each source with its own
starting cost) is at most ``limit``; nothing beyond is expanded. Edge costs are float64
(seconds, or metres); an edge whose cost is ``inf`` or ``nan`` is never taken (a
forbidden edge). Ties between sources go to the one settled first.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _push(heap_c: np.ndarray, heap_n: np.ndarray, size: int, cost: float, node: int) -> int:
    i = size
    heap_c[i] = cost
    heap_n[i] = node
    while i > 0:
        parent = (i - 1) >> 1
        if heap_c[parent] <= heap_c[i]:
            break
        heap_c[parent], heap_c[i] = heap_c[i], heap_c[parent]
        heap_n[parent], heap_n[i] = heap_n[i], heap_n[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(heap_c: np.ndarray, heap_n: np.ndarray, size: int) -> tuple[float, int, int]:
    cost = heap_c[0]
    node = heap_n[0]
    size -= 1
    heap_c[0] = heap_c[size]
    heap_n[0] = heap_n[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        right = left + 1
        if right < size and heap_c[right] < heap_c[left]:
            child = right
        if heap_c[i] <= heap_c[child]:
            break
        heap_c[child], heap_c[i] = heap_c[i], heap_c[child]
        heap_n[child], heap_n[i] = heap_n[i], heap_n[child]
        i = child
    return cost, node, size


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
            size = _push(heap_c, heap_n, size, c, s)
    while size > 0:
        c, u, size = _pop(heap_c, heap_n, size)
        if done[u] or c > dist[u]:
            continue
        done[u] = True
        for e in range(ptr[u], ptr[u + 1]):
            w = cost[e]
            if not (w < np.inf):
                continue
            v = to[e]
            nc = c + w
            if nc < dist[v] and nc <= limit:
                dist[v] = nc
                metres[v] = metres[u] + length[e]
                pred[v] = e
                origin[v] = origin[u]
                if size >= len(heap_c):
                    bigger_c = np.empty(2 * len(heap_c), dtype=np.float64)
                    bigger_n = np.empty(2 * len(heap_n), dtype=np.int64)
                    bigger_c[:size] = heap_c[:size]
                    bigger_n[:size] = heap_n[:size]
                    heap_c = bigger_c
                    heap_n = bigger_n
                size = _push(heap_c, heap_n, size, nc, v)
    return dist, metres, pred, origin
