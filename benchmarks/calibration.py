"""The calibration workload: a fixed piece of work timed in every benchmark run.

Raw benchmark times move with the machine (another job on the other core, a slower CPU,
turbo or not). Every run therefore also times this workload, and the regression check
(`benchmarks.check`) compares *normalised* medians, ``median / calibration median``,
instead of seconds. The workload is deliberately like the work being measured:

- a **numpy part** (sorting, ``argsort`` / ``searchsorted``, fancy indexing, ``cumsum``,
  ``bincount`` and a grouped reduction on a few million int32/float64 values: what the
  timetable compiler, the CSR builders and the bundle evaluator do);
- a **pure-Python part** (parsing CSV-like lines, dict and list work, a ``heapq``
  Dijkstra on a grid graph: what the feed readers, journey reconstruction and the HTTP
  layer do).

Everything is seeded, so every run does exactly the same work. Run it alone with
``python -m benchmarks.calibration`` (prints the seconds of each part).
"""

from __future__ import annotations

import heapq
import time

import numpy as np

#: Sizes chosen so that each part takes some tens of milliseconds on the 2-core machine.
NUMPY_N = 200_000
PYTHON_LINES = 30_000
GRID = 90


def numpy_part(n: int = NUMPY_N) -> float:
    """Array work like the compilers'; returns a checksum (so nothing is optimised away)."""
    rng = np.random.default_rng(20240611)
    keys = rng.integers(0, n // 8, size=n, dtype=np.int32)
    values = rng.random(n)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    sorted_values = values[order]
    ptr = np.zeros(n // 8 + 1, np.int64)
    np.cumsum(np.bincount(sorted_keys, minlength=n // 8), out=ptr[1:])
    sums = np.add.reduceat(sorted_values, ptr[:-1].clip(max=n - 1))
    probe = np.searchsorted(sorted_keys, rng.integers(0, n // 8, size=n // 4))
    return float(sums.sum() + probe.sum() + np.sort(values)[n // 2])


def python_part(lines: int = PYTHON_LINES, grid: int = GRID) -> float:
    """Interpreter work like the readers' and the API's; returns a checksum."""
    # CSV-like parsing into dicts, grouping
    text = "\n".join(
        f"trip{i % 997},{i},stop{(i * 7919) % 1500},{i * 37 % 86400}" for i in range(lines)
    )
    groups: dict[str, list[tuple[int, str, int]]] = {}
    for line in text.split("\n"):
        trip, seq, stop, secs = line.split(",")
        groups.setdefault(trip, []).append((int(seq), stop, int(secs)))
    total = 0
    for rows in groups.values():
        rows.sort()
        total += rows[-1][2] - rows[0][2]
    # heapq Dijkstra on a grid graph with deterministic weights
    n = grid * grid
    dist = [float("inf")] * n
    dist[0] = 0.0
    heap = [(0.0, 0)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        r, c = divmod(u, grid)
        for rr, cc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= rr < grid and 0 <= cc < grid:
                v = rr * grid + cc
                nd = d + 1.0 + ((u * 31 + v * 17) % 13) / 13.0
                if nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
    return total + dist[-1]


def workload() -> float:
    """Both parts, once: the run-level unit (``test_calibration_start`` / ``_end``)."""
    return numpy_part() + python_part()


def slice_() -> float:
    """A fifth of `workload` (same mix), timed before every round of every benchmark."""
    return numpy_part(NUMPY_N // 5) + python_part(PYTHON_LINES // 5, GRID // 2)


def main() -> None:
    for name, part in (("numpy", numpy_part), ("python", python_part), ("both", workload)):
        best = min(_timed(part) for _ in range(5))
        print(f"{name:6s} {best * 1000:8.1f} ms (best of 5)")


def _timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
