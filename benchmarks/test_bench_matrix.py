"""Travel-time matrix benchmark: Helsinki (HSL, crow-fly walking), 1,000 destinations, a
60-minute window at 1-minute steps, walking access and egress.

Run (figures print with ``-s``)::

    .venv/bin/pytest benchmarks/test_bench_matrix.py --benchmark-enable -s -p no:randomly

Measured: process CPU seconds of `travel_time_matrix` for 100 and 1,000 origins with a
prepared `MatrixSearch` (the destinations' egress, built once per run or Dask worker, is
timed apart as ``prepare_s``), reported as ``core_s_per_origin`` (aim: < 0.1; R5 about
0.25). Origins and destinations are seeded points near the feed's served stops. The smoke
run uses 10 origins and 100 destinations.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

N_DEST = 1000
WINDOW_MIN = 60


@pytest.fixture(scope="module")
def helsinki(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    from maasmix.engine.network import Network
    from maasmix.errors import FeedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            date="20220222",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


def _points(net: Any, n: int, seed: int) -> pd.DataFrame:
    """``n`` points scattered around served stops (about 200 m north-south and east-west)."""
    tt = net.compiled.timetable
    rng = np.random.default_rng(seed)
    stops = rng.choice(np.flatnonzero(net.compiled.served), n)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "lat": tt.stop_lat[stops] + rng.normal(0, 0.002, n),
            "lon": tt.stop_lon[stops] + rng.normal(0, 0.004, n),
        }
    )


@pytest.mark.parametrize("n_origins", [100, 1000])
def test_matrix_core_seconds_per_origin(
    benchmark: Any,
    helsinki: Any,
    n_origins: int,
    bench_smoke: bool,
    bench_rounds: Callable[[int], int],
) -> None:
    from maasmix.engine.matrix import MatrixSearch, travel_time_matrix

    n_o = 10 if bench_smoke else n_origins
    n_d = 100 if bench_smoke else N_DEST
    origins = _points(helsinki, n_o, 1)
    dests = _points(helsinki, n_d, 2)
    started = time.process_time()
    search = MatrixSearch(helsinki, dests, departure_s=8 * 3600, window_s=WINDOW_MIN * 60,
                          max_time_s=3600)  # fmt: skip
    prepare_s = time.process_time() - started
    travel_time_matrix(helsinki, origins.iloc[:1], search=search)  # numba warm-up
    rounds = bench_rounds(3 if n_origins <= 100 else 1)
    seconds: list[float] = []

    def run() -> pd.DataFrame:
        t0 = time.process_time()
        out = travel_time_matrix(helsinki, origins, search=search)
        seconds.append(time.process_time() - t0)
        return out

    result = benchmark.pedantic(run, rounds=rounds, iterations=1)
    per_origin = float(np.median(seconds)) / n_o
    reached = float(result["travel_time_p50"].notna().mean())
    benchmark.extra_info.update(
        origins=n_o,
        destinations=n_d,
        departures=WINDOW_MIN,
        prepare_s=round(prepare_s, 3),
        core_s_per_origin=round(per_origin, 5),
        reached_share=round(reached, 4),
    )
    print(
        f"\nmatrix {n_o} x {n_d}, {WINDOW_MIN} departures: {per_origin:.4f} core-s per origin "
        f"(prepare {prepare_s:.2f} s, {reached:.1%} of pairs reached at p50)"
    )
    assert len(result) == n_o * n_d
    assert reached > 0.5
