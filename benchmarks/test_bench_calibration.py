"""The calibration workload, timed at the start and at the end of every benchmark run.

The harness (`benchmarks/conftest.py`) moves ``test_calibration_start`` before every
other benchmark and ``test_calibration_end`` after them; `benchmarks.check` divides each
median by the geometric mean of these two medians. See `benchmarks.calibration`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks.calibration import numpy_part, python_part, workload

ROUNDS = 15


def _calibrate(benchmark: Any, rounds: int) -> None:
    parts = {}
    for name, part in (("numpy_ms", numpy_part), ("python_ms", python_part)):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            part()
            times.append(time.perf_counter() - started)
        parts[name] = round(sorted(times)[1] * 1000, 2)
    benchmark.extra_info.update(parts)
    checksum = benchmark.pedantic(workload, rounds=rounds, warmup_rounds=1, iterations=1)
    assert checksum > 0


def test_calibration_start(benchmark: Any, bench_rounds: Callable[[int], int]) -> None:
    _calibrate(benchmark, bench_rounds(ROUNDS))


def test_calibration_end(benchmark: Any, bench_rounds: Callable[[int], int]) -> None:
    _calibrate(benchmark, bench_rounds(ROUNDS))
