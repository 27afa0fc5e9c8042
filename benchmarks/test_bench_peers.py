"""Peers side by side: the same work on the same inputs, maasmix and another router.

- **pynigiri** (MOTIS's core, C++): the 100 point-to-point transit queries of
  `test_bench_router.py` on Milan and Helsinki. Both sides get footpaths between stops up
  to 500 m (maasmix's default; nigiri's ``link_stop_distance``) and at most 8 transfers;
  answers are compared on the earliest arrival (at nigiri's one-minute resolution; the
  two routers time footpaths differently: maasmix walks crow-fly x 1.3 at 1.33 m/s in
  whole seconds, nigiri uses its own speed in whole minutes, so arrivals a few minutes
  apart either way are expected). pynigiri's Python API has no one-to-all query: that
  row is reported as not offered.
- **pyvalhalla** (C++): walking (``pedestrian``) and cycling (``bicycle``) routes between
  100 random node pairs of maasmix's street graphs of the Milan and Helsinki OSM extracts,
  tiles built from the same extract. The maasmix side is the street search of the
  door-to-door planner (`maasmix.engine.streets.StreetCSR.search`, numba Dijkstra on
  the CSR graph, shortest metres, searched to the whole graph as the planner's access
  searches are bounded by time, not stopped at one target), Valhalla's is a
  point-to-point bidirectional A* on its own costing (which prefers some ways over
  others, so its routes may be longer than the shortest). Answers are compared on route
  length.

Each peer runs in a subprocess (`benchmarks.peers`); Valhalla in the interpreter of
``build/peers-venv`` (``make bench-peers`` creates it; pyvalhalla's wheels with the tile
builder need Python >= 3.12), or ``$MAASMIX_PEER_PYTHON``. A peer that is not installed,
fails to build or crashes is reported (a skip whose reason says so, and a row of the
report), never left out silently. At the end the suite writes ``reports/peers.md``,
``reports/peers.json`` and ``reports/peers.png`` (`benchmarks.report`).

Benchmark names contain ``peer``: `benchmarks.check` does not hold maasmix to a peer's
speed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.workloads import (
    FEEDS,
    N_P2P,
    N_STREET,
    SMOKE_QUERIES,
    service_date,
    street_pairs,
    transit_queries,
)

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(os.environ.get("MAASMIX_BENCH_REPORTS", ROOT / "reports"))
PEER_VENV_PYTHON = ROOT / "build" / "peers-venv" / "bin" / "python"
MAX_WALK_M = 500.0
ROWS: list[dict[str, Any]] = []


def _median_ms(times: list[float | None]) -> float | None:
    vals = [t for t in times if t is not None]
    return float(np.median(vals) * 1000.0) if vals else None


def _p90_ms(times: list[float | None]) -> float | None:
    vals = [t for t in times if t is not None]
    return float(np.percentile(vals, 90) * 1000.0) if vals else None


def _run_peer(argv: list[str], job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            argv,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"status": f"could not run: {exc}"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"status": f"crashed (exit {proc.returncode}): {' | '.join(tail)[-300:]}"}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _row(**fields: Any) -> dict[str, Any]:
    ROWS.append(fields)
    return fields


def _report_skip(benchmark: Any, row: dict[str, Any]) -> None:
    benchmark.extra_info.update({k: v for k, v in row.items() if v is not None}, peer=True)
    if not benchmark._mode:  # not timed yet: record the row all the same
        benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    pytest.skip(f"{row['peer']}: {row['status']}")


# -- transit: pynigiri ----------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(FEEDS))
def transit(
    request: pytest.FixtureRequest, dataset: Callable[..., Path], bench_smoke: bool
) -> dict[str, Any]:
    from maasmix.engine import TransitRouter
    from maasmix.feeds.gtfs import load_gtfs

    folder, name, date, _ = FEEDS[request.param]
    path = dataset(folder, name)
    router = TransitRouter.from_service_day(
        load_gtfs(path).service_day(date), max_walk_m=MAX_WALK_M
    )
    queries = transit_queries(router.timetable, SMOKE_QUERIES if bench_smoke else N_P2P)
    q = queries[0]
    router.journeys(q.origin, q.destination, q.departure_s)  # numba warm-up
    return {"name": request.param, "path": path, "router": router, "queries": queries}


def test_peer_nigiri_point_to_point(
    benchmark: Any, transit: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    from maasmix.servicetime import service_datetime

    router = transit["router"]
    tt = router.timetable
    date = service_date(transit["name"])
    queries = transit["queries"]
    ours_times: list[float] = []
    ours_arrival: list[int | None] = []

    def run_ours() -> None:
        ours_times.clear()
        ours_arrival.clear()
        for q in queries:
            started = time.perf_counter()
            found = router.journeys(q.origin, q.destination, q.departure_s, max_transfers=8)
            ours_times.append(time.perf_counter() - started)
            ours_arrival.append(min((j.arrival_s for j in found), default=None))

    benchmark.pedantic(run_ours, rounds=bench_rounds(3), iterations=1)

    def unix_minute(seconds: int) -> int:
        return int(service_datetime(date, tt.timezone, seconds).timestamp()) // 60

    job = {
        "path": str(transit["path"]),
        "first": date.isoformat(),
        "last": (date + dt.timedelta(days=1)).isoformat(),
        "link_stop_distance": int(MAX_WALK_M),
        "max_transfers": 8,
        "queries": [[q.origin, q.destination, unix_minute(q.departure_s)] for q in queries],
    }
    peer = _run_peer([sys.executable, "-m", "benchmarks.peers.nigiri_peer"], job)
    row = _row(
        peer="pynigiri",
        task="transit point-to-point",
        city=transit["name"],
        queries=len(queries),
        status=peer["status"],
        version=peer.get("version"),
        ours_median_ms=_median_ms(list(ours_times)),
        ours_p90_ms=_p90_ms(list(ours_times)),
    )
    if peer["status"] != "ok":
        _report_skip(benchmark, row)
    # answers: earliest arrival, compared at nigiri's one-minute resolution
    diffs = []
    for ours, theirs in zip(ours_arrival, peer["arrival"], strict=True):
        if ours is not None and theirs is not None:
            diffs.append(theirs - unix_minute(ours + 59))  # ours rounded up to a minute
    both = len(diffs)
    row.update(
        peer_median_ms=_median_ms(peer["times"]),
        peer_p90_ms=_p90_ms(peer["times"]),
        peer_setup_s=round(peer["load_s"], 3),
        answered_both=both,
        answered_ours_only=sum(
            o is not None and t is None for o, t in zip(ours_arrival, peer["arrival"], strict=True)
        ),
        answered_peer_only=sum(
            o is None and t is not None for o, t in zip(ours_arrival, peer["arrival"], strict=True)
        ),
        same_answer=sum(abs(d) <= 1 for d in diffs),
        arrival_diff_min=diffs,
        agreement=(
            f"{sum(abs(d) <= 1 for d in diffs)}/{both} same earliest arrival (±1 min), "
            f"{sum(abs(d) <= 5 for d in diffs)}/{both} within 5 min, "
            f"{sum(d > 1 for d in diffs)} earlier by maasmix, "
            f"{sum(d < -1 for d in diffs)} earlier by the peer"
        ),
    )
    if row["ours_median_ms"] and row["peer_median_ms"]:
        row["ratio"] = row["ours_median_ms"] / row["peer_median_ms"]
    benchmark.extra_info.update({k: v for k, v in row.items() if v is not None}, peer=True)


def test_peer_nigiri_one_to_all(benchmark: Any, transit: dict[str, Any]) -> None:
    row = _row(
        peer="pynigiri",
        task="transit one-to-all",
        city=transit["name"],
        status="not offered: pynigiri 0.1.5's Python API has route() only (no one-to-all)",
    )
    _report_skip(benchmark, row)


# -- streets: pyvalhalla --------------------------------------------------------------


def _peer_python() -> Path | None:
    override = os.environ.get("MAASMIX_PEER_PYTHON")
    if override:
        return Path(override)
    if PEER_VENV_PYTHON.exists():
        return PEER_VENV_PYTHON
    import importlib.util

    return Path(sys.executable) if importlib.util.find_spec("valhalla") else None


@pytest.fixture(scope="module", params=sorted(FEEDS))
def streets(
    request: pytest.FixtureRequest,
    dataset: Callable[..., Path],
    bench_smoke: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    import warnings

    from maasmix.errors import FeedWarning
    from maasmix.feeds.osm import load_osm

    folder, name = FEEDS[request.param][3]
    path = dataset(folder, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = load_osm(path)
    n = SMOKE_QUERIES if bench_smoke else N_STREET
    graphs = {"pedestrian": net.walk, "bicycle": net.bike}
    pairs = {c: street_pairs(g, n) for c, g in graphs.items()}
    python = _peer_python()
    if python is None:
        peer = {
            "status": "not installed: `make bench-peers` installs pyvalhalla into "
            "build/peers-venv (needs Python >= 3.12)"
        }
    else:
        coords = {
            c: [
                [
                    float(g.nodes.lat.iat[a]),
                    float(g.nodes.lon.iat[a]),
                    float(g.nodes.lat.iat[b]),
                    float(g.nodes.lon.iat[b]),
                ]
                for a, b in pairs[c]
            ]
            for c, g in graphs.items()
        }
        job = {
            "osm": str(path),
            "work": str(tmp_path_factory.mktemp(f"valhalla-{request.param}")),
            "costings": list(graphs),
            "pairs": coords,
        }
        script = str(ROOT / "benchmarks" / "peers" / "valhalla_peer.py")
        peer = _run_peer([str(python), script], job)
    return {"name": request.param, "graphs": graphs, "pairs": pairs, "peer": peer}


@pytest.mark.parametrize("costing", ["pedestrian", "bicycle"])
def test_peer_valhalla_street_route(
    benchmark: Any, streets: dict[str, Any], costing: str, bench_rounds: Callable[[int], int]
) -> None:
    from maasmix.engine.streets import compile_streets

    graph = streets["graphs"][costing]
    csr = compile_streets(graph, "walk" if costing == "pedestrian" else "bike")
    pairs = streets["pairs"][costing]
    ours_times: list[float] = []
    ours_len: list[float] = []
    csr.search([pairs[0][0]], [0.0], np.inf, csr.length_m)  # numba warm-up

    def run_ours() -> None:
        ours_times.clear()
        ours_len.clear()
        for a, b in pairs:
            started = time.perf_counter()
            found = csr.search([a], [0.0], np.inf, csr.length_m)
            ours_times.append(time.perf_counter() - started)
            ours_len.append(float(found.dist[b]))

    benchmark.pedantic(run_ours, rounds=bench_rounds(3), iterations=1)
    mode = "walking" if costing == "pedestrian" else "cycling"
    peer = streets["peer"]
    row = _row(
        peer="pyvalhalla",
        task=f"{mode} route",
        city=streets["name"],
        queries=len(pairs),
        status=peer["status"],
        version=peer.get("version"),
        ours="maasmix.engine.streets one-to-all Dijkstra (shortest metres, no early exit)",
        ours_median_ms=_median_ms(list(ours_times)),
        ours_p90_ms=_p90_ms(list(ours_times)),
        graph_nodes=len(graph.nodes),
    )
    if peer["status"] != "ok":
        _report_skip(benchmark, row)
    res = peer["results"][costing]
    ratios = [
        t / o
        for o, t in zip(ours_len, res["length_m"], strict=True)
        if t is not None and o > 0 and np.isfinite(o)
    ]
    within = sum(abs(r - 1) <= 0.05 for r in ratios)
    row.update(
        peer_median_ms=_median_ms(res["times"]),
        peer_p90_ms=_p90_ms(res["times"]),
        peer_setup_s=round(peer["build_s"], 3),
        answered_both=len(ratios),
        same_answer=within,
        agreement=(
            f"{within}/{len(ratios)} route lengths within 5 %; median Valhalla/maasmix "
            f"length {float(np.median(ratios)) if ratios else float('nan'):.3f}"
        ),
    )
    if row["ours_median_ms"] and row["peer_median_ms"]:
        row["ratio"] = row["ours_median_ms"] / row["peer_median_ms"]
    benchmark.extra_info.update({k: v for k, v in row.items() if v is not None}, peer=True)


def test_peer_valhalla_multimodal(benchmark: Any) -> None:
    row = _row(
        peer="pyvalhalla",
        task="walk + transit",
        city="-",
        status="not built: Valhalla's multimodal costing needs transit tiles made from the "
        "GTFS by valhalla_ingest_transit and valhalla_convert_transit; this harness builds "
        "street tiles only",
    )
    _report_skip(benchmark, row)


def test_zz_peer_report(bench_smoke: bool) -> None:
    """Write reports/peers.{json,md,png} from the rows above (the smoke run's few queries
    go to reports/smoke/ instead, so they never replace a full report)."""
    from benchmarks.report import write_peer_report

    if not ROWS:
        pytest.skip("no peer rows (suite deselected)")
    paths = write_peer_report(ROWS, REPORTS / "smoke" if bench_smoke else REPORTS)
    print("\n" + Path(paths["md"]).read_text())
