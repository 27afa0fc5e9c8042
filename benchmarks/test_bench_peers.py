"""Peers side by side: the same work on the same inputs, maasmix and another router.

- **pynigiri** (MOTIS's core, C++): the 100 point-to-point transit queries of
  `test_bench_router.py` on Milan and Helsinki. Both sides get footpaths between stops up
  to 500 m (maasmix's default; nigiri's ``link_stop_distance``) and at most 8 transfers;
  answers are compared on the earliest arrival (at nigiri's one-minute resolution; the
  two routers time footpaths differently: maasmix walks crow-fly x 1.3 at 1.33 m/s in
  whole seconds, nigiri uses its own speed in whole minutes, so arrivals a few minutes
  apart either way are expected). pynigiri's Python API has no one-to-all query: that
  row is reported as not offered. Configured so, out of the box, the two answer
  different questions (footpath graph, transfer model, time resolution), so a second row
  configures them alike (`benchmarks.peers.aligned`): both get maasmix's footpaths (in
  whole minutes, at least nigiri's 2-minute change; nigiri links nothing else and does
  not close them transitively), maasmix nigiri's transfer model
  (``slack_after_footpath=False``, 120 s at a stop) and whole-minute stop times, nigiri
  the origin's and destination's footpaths as intermodal offsets; both expand the same
  frequencies.txt and allow 8 transfers. It runs nigiri in this process, interleaved
  query by query with maasmix, requires at least 95 % of earliest arrivals equal to the
  minute, prints every disagreement with its category, and times (median per query
  over the rounds) the agreeing queries only.
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
import itertools
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
        task="transit point-to-point, each router's defaults",
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


# -- transit: pynigiri configured alike -------------------------------------------------

#: nigiri's earliest arrival equal to maasmix's to the minute (maasmix's rounded up).
AGREE_MIN = 1


@pytest.fixture(scope="module", params=sorted(FEEDS))
def aligned(
    request: pytest.FixtureRequest,
    dataset: Callable[..., Path],
    bench_smoke: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Both routers on one problem (`benchmarks.peers.aligned`): maasmix's footpaths
    (500 m, whole minutes, at least nigiri's 2-minute change) given to both, nigiri's
    transfer model in maasmix (``slack_after_footpath=False``, 120 s at a stop), stop
    times in whole minutes, the same frequencies.txt expansion (both from the feed), at
    most 8 transfers; nigiri in this process."""
    import importlib.util

    if importlib.util.find_spec("pynigiri") is None:
        return {"name": request.param, "status": "not installed (pip install pynigiri)"}
    from benchmarks.peers import aligned as al
    from benchmarks.peers import nigiri_peer
    from maasmix.engine import TransitRouter
    from maasmix.feeds.gtfs import load_gtfs

    folder, name, date, _ = FEEDS[request.param]
    path = dataset(folder, name)
    day = load_gtfs(path).service_day(date)
    base = TransitRouter.from_service_day(day, max_walk_m=MAX_WALK_M)
    tt0 = base.timetable
    transfers = al.minute_footpaths(tt0.footpaths.to_frame(tt0.stop_ids))
    router = TransitRouter.from_service_day(
        al.aligned_day(day, transfers),
        max_walk_m=0.0,
        min_transfer_s=al.NIGIRI_CHANGE_S,
        slack_after_footpath=False,
    )
    feed = al.aligned_feed(
        path, transfers, tmp_path_factory.mktemp(f"nigiri-{request.param}") / "feed.zip"
    )
    d0 = service_date(request.param)
    started = time.perf_counter()
    nigiri = nigiri_peer.load(
        str(feed),
        d0.isoformat(),
        (d0 + dt.timedelta(days=1)).isoformat(),
        link_stop_distance=0,
        adjust_footpaths=False,
    )
    load_s = time.perf_counter() - started
    queries = transit_queries(tt0, SMOKE_QUERIES if bench_smoke else N_P2P)
    q = queries[0]
    router.journeys(q.origin, q.destination, q.departure_s)  # numba warm-up
    return {
        "name": request.param,
        "router": router,
        "transfers": transfers,
        "nigiri": nigiri,
        "load_s": load_s,
        "queries": queries,
        "date": d0,
        "status": "ok",
    }


def _seated_changes(legs: list[tuple[str, str, int, int]], walks: set[tuple[str, str]]) -> int:
    """Of a nigiri journey's legs (from, to, departure, arrival minute), the changes
    between two rides at one stop faster than the 2-minute change time: the rider stays
    seated where a trip continues as the next one (block_id)."""
    rides = [leg for leg in legs if leg[0] != "START" and leg[1] != "END" and leg[:2] not in walks]
    return sum(a[1] == b[0] and b[2] - a[3] < 2 for a, b in itertools.pairwise(rides))


def _category(
    ours: Any, theirs: int | None, ours_min: int | None, seated: int, depart_s: int
) -> str:
    """Why the two earliest arrivals differ (or ``"agree"``)."""
    if ours is None and theirs is None:
        return "agree"
    if ours is not None and theirs is not None and abs(theirs - ours_min) <= AGREE_MIN:
        return "agree"
    if theirs is None:
        if not any(leg.mode != "WALK" for leg in ours.legs):
            return "walk only: nigiri's route() plans no journey without a ride"
        if ours.arrival_s - depart_s > 12 * 3600:
            return "nigiri finds none; maasmix's takes over 12 h"
        if ours.legs[0].mode == "WALK" and ours.legs[-1].mode == "WALK":
            return "nigiri finds none; maasmix's starts and ends on foot"
        return "nigiri finds no journey (other)"
    if ours is None:
        return "maasmix finds no journey"
    if theirs < ours_min:
        if seated:
            return "nigiri earlier: stays seated where the trip continues (0-minute change)"
        return "nigiri earlier (other)"
    return "maasmix earlier"


def test_peer_nigiri_aligned(
    benchmark: Any, aligned: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    """Earliest arrivals of both routers configured alike, and their speed on the
    queries where they agree (median per query over interleaved rounds)."""
    if aligned["status"] != "ok":
        row = _row(
            peer="pynigiri",
            task="transit point-to-point, configured alike",
            city=aligned["name"],
            status=aligned["status"],
        )
        _report_skip(benchmark, row)
    import pynigiri as ng

    from benchmarks.peers import nigiri_peer
    from maasmix.servicetime import service_datetime

    router, timetable = aligned["router"], aligned["nigiri"]
    tt, date, queries = router.timetable, aligned["date"], aligned["queries"]
    fp = aligned["transfers"]
    walks = {(a, b) for a, b in zip(fp.from_stop_id, fp.to_stop_id, strict=True)}
    out_walks: dict[str, list[tuple[str, int]]] = {}
    in_walks: dict[str, list[tuple[str, int]]] = {}
    for a, b, secs in zip(fp.from_stop_id, fp.to_stop_id, fp.min_transfer_time, strict=True):
        out_walks.setdefault(a, []).append((b, int(secs) // 60))
        in_walks.setdefault(b, []).append((a, int(secs) // 60))

    def unix_minute(seconds: int) -> int:
        return int(service_datetime(date, tt.timezone, seconds).timestamp()) // 60

    prepared = []
    for q in queries:
        nq = nigiri_peer.query(
            timetable,
            q.origin,
            q.destination,
            unix_minute(q.departure_s),
            max_transfers=8,
            walks=out_walks.get(q.origin, []),
            walks_in=in_walks.get(q.destination, []),
        )
        egress = {
            int(loc): m
            for s_id, m in in_walks.get(q.destination, [])
            if (loc := timetable.find_location(s_id)) is not None
        }
        prepared.append((q, nq, egress))
    ng.route(timetable, prepared[0][1])  # warm-up
    rounds = bench_rounds(3)
    ours_t: list[list[float]] = [[] for _ in queries]
    theirs_t: list[list[float]] = [[] for _ in queries]
    ours_best: list[Any] = [None] * len(queries)
    theirs_best: list[Any] = [None] * len(queries)
    theirs_found: list[Any] = [None] * len(queries)

    def run_interleaved() -> None:
        for i, (q, nq, egress) in enumerate(prepared):
            started = time.perf_counter()
            found = router.journeys(q.origin, q.destination, q.departure_s, max_transfers=8)
            ours_t[i].append(time.perf_counter() - started)
            ours_best[i] = min(found, key=lambda j: j.arrival_s, default=None)
            if nq is None:
                continue
            started = time.perf_counter()
            journeys = ng.route(timetable, nq)
            theirs_t[i].append(time.perf_counter() - started)
            theirs_found[i] = journeys
            theirs_best[i] = nigiri_peer.earliest(journeys, egress)

    benchmark.pedantic(run_interleaved, rounds=rounds, iterations=1)

    name = timetable.get_location_name
    categories: dict[str, int] = {}
    details: list[str] = []
    agreeing: list[int] = []
    for i, (q, _, _) in enumerate(prepared):
        ours = ours_best[i]
        ours_min = None if ours is None else unix_minute(ours.arrival_s + 59)
        theirs = None if theirs_best[i] is None else theirs_best[i][0]
        seated = 0
        if theirs is not None and ours_min is not None and theirs < ours_min - AGREE_MIN:
            best = min(theirs_found[i], key=lambda j: j.arrival_time())
            legs = [
                (name(getattr(leg, "from")), name(leg.to), int(leg.dep_time), int(leg.arr_time))
                for leg in best.legs
            ]
            seated = _seated_changes(legs, walks)
        cat = _category(ours, theirs, ours_min, seated, q.departure_s)
        categories[cat] = categories.get(cat, 0) + 1
        if cat == "agree":
            if ours is not None and theirs is not None:
                agreeing.append(i)
            continue
        start = unix_minute(q.departure_s)
        details.append(
            f"{q.origin} -> {q.destination} at {q.departure_s // 3600:02d}:"
            f"{q.departure_s % 3600 // 60:02d}: maasmix "
            f"{'-' if ours_min is None else f'+{ours_min - start} min'}, nigiri "
            f"{'-' if theirs is None else f'+{theirs - start} min'}: {cat}"
        )
    n = len(queries)
    same = categories.get("agree", 0)
    ours_q = [float(np.median(ours_t[i])) for i in agreeing]
    theirs_q = [float(np.median(theirs_t[i])) for i in agreeing]
    row = _row(
        peer="pynigiri",
        task="transit point-to-point, configured alike",
        city=aligned["name"],
        queries=n,
        status="ok",
        version=metadata_version("pynigiri"),
        ours_median_ms=_median_ms(list(ours_q)),
        ours_p90_ms=_p90_ms(list(ours_q)),
        peer_median_ms=_median_ms(list(theirs_q)),
        peer_p90_ms=_p90_ms(list(theirs_q)),
        peer_setup_s=round(aligned["load_s"], 3),
        same_answer=same,
        agreeing_timed=len(agreeing),
        median_query_ratio=(
            float(np.median(np.asarray(ours_q) / np.asarray(theirs_q))) if agreeing else None
        ),
        categories=categories,
        disagreements=details,
        agreement=(
            f"{same}/{n} same earliest arrival (±{AGREE_MIN} min; "
            f"{same - len(agreeing)} of them both none); times on the {len(agreeing)} "
            "agreeing with a journey; "
            + "; ".join(f"{v} {k}" for k, v in sorted(categories.items()) if k != "agree")
        ),
    )
    if row["ours_median_ms"] and row["peer_median_ms"]:
        row["ratio"] = row["ours_median_ms"] / row["peer_median_ms"]
    benchmark.extra_info.update(
        {k: v for k, v in row.items() if v is not None and k != "disagreements"}, peer=True
    )
    print(
        f"\n{aligned['name']}: {row['agreement']}\n  agreeing: maasmix median "
        f"{row['ours_median_ms']} ms, nigiri {row['peer_median_ms']} ms, ratio "
        f"{row.get('ratio')}, median of per-query ratios {row['median_query_ratio']}\n  "
        + "\n  ".join(details)
    )
    assert same >= 0.95 * n, f"only {same}/{n} earliest arrivals agree: {details}"


def metadata_version(package: str) -> str:
    from importlib import metadata

    return metadata.version(package)


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
