"""Load test of ``maasmix serve`` on loopback (locust, headless, in its own process).

Helsinki (HSL GTFS + OSM + HSL city bikes) served by ``maasmix serve --workers W`` for
W = 1 and 2 in the same run; for each, 1, 10 and 50 simulated clients send ``GET
/v1/plan`` between seeded random points of central Helsinki (08:00, every mode) as fast
as they get answers, bounded in requests (`REQUESTS`) and in time (`MAX_SECONDS`). What
is timed is the whole bounded run; ``extra_info`` holds the throughput (requests/s), the
p50 / p95 / p99 latencies (ms), the number of failed requests, the memory of the
workers (their own pages, USS; what they map, RSS; their share of the shared pages,
PSS), the whole server's PSS (supervisor and workers: with 2 workers minus with 1, the
cost of the extra worker) and the machine's load average. Aims (issue 21): p95 under
100 ms at 10 clients, no error at 50, 2 workers >= 1.7x the throughput of 1.

The load generator shares the machine's cores with the server: on a 2-core machine the
figures are a floor. Smoke run (``make bench-smoke``): the demo city, one worker, 1 and
10 clients, 30 requests each (about 20 s with the start-up).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
import requests

#: a run is bounded by this many requests ...
REQUESTS = {1: 300, 10: 1500, 50: 3000}
#: ... and by this many seconds
MAX_SECONDS = 60
SMOKE_REQUESTS = 30
N_QUERIES = 200
#: what one worker count measured, for the scaling line at the end
RESULTS: dict[tuple[int, int], dict[str, float]] = {}
#: the whole server's proportional set size (MiB) by worker count
MEMORY: dict[int, float] = {}

#: the load generator runs on another process: wall clock
pytestmark = pytest.mark.bench_timer("wall")

LOCUSTFILE = textwrap.dedent(
    """
    import itertools, json, os
    import gevent
    from locust import FastHttpUser, constant, task
    from locust.exception import StopUser

    QUERIES = json.load(open(os.environ["MAASMIX_LOAD_QUERIES"]))
    LIMIT = int(os.environ["MAASMIX_LOAD_REQUESTS"])
    SENT = itertools.count()
    DONE = itertools.count(1)
    QUITTING = []

    class Planner(FastHttpUser):
        wait_time = constant(0)

        @task
        def plan(self):
            n = next(SENT)
            if n >= LIMIT:
                raise StopUser()
            self.client.get("/v1/plan", params=QUERIES[n % len(QUERIES)], name="/v1/plan")
            if next(DONE) >= LIMIT and not QUITTING:  # the last answer: stop the run
                QUITTING.append(gevent.spawn(self.environment.runner.quit))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _inputs(data_dir: Path, tmp: Path, smoke: bool) -> tuple[Path, list[dict[str, str]]]:
    """A deployment file and the queries: Helsinki, or the demo city in a smoke run."""
    rng = np.random.default_rng(11)
    if smoke:
        from maasmix.feeds.demo import write_demo_city

        city = write_demo_city(tmp / "city")
        body = (
            f"    gtfs: '{city.gtfs_zip}'\n    osm: '{city.osm_pbf}'\n"
            f"    gbfs: [{{source: '{city.gbfs_dir}', max_age_s: 1000000000000}}]\n"
            f"    date: '{city.service_date:%Y%m%d}'\n"
        )
        (lat0, lon0), at = city.centre, f"{city.service_date.isoformat()}T08:00:00+02:00"
        spread = (0.02, 0.04)
    else:
        body = (
            f"    gtfs: '{data_dir / 'gtfs-helsinki-hsl' / 'helsinki_hsl_gtfs_2022-02.zip'}'\n"
            f"    osm: '{data_dir / 'osm-helsinki' / 'Helsinki.osm.pbf'}'\n"
            f"    gbfs: [{{source: '{data_dir / 'gbfs-helsinki-hsl'}', "
            "max_age_s: 1000000000000}]\n"
            "    date: '20220222'\n"
        )
        (lat0, lon0), at = (60.1699, 24.9384), "2022-02-22T08:00:00+02:00"
        spread = (0.02, 0.05)
    file = tmp / "deploy.yaml"
    file.write_text("networks:\n  city:\n" + body)
    if smoke:
        points = np.column_stack(
            [lat0 + rng.uniform(-1, 1, 2 * N_QUERIES) * spread[0],
             lon0 + rng.uniform(-1, 1, 2 * N_QUERIES) * spread[1]]
        )  # fmt: skip
    else:  # stops of central Helsinki (random points fall in the sea)
        with (
            zipfile.ZipFile(
                data_dir / "gtfs-helsinki-hsl" / "helsinki_hsl_gtfs_2022-02.zip"
            ) as archive,
            archive.open("stops.txt") as handle,
        ):
            stops = pd.read_csv(handle, usecols=["stop_lat", "stop_lon"])
        central = stops[
            ((stops.stop_lat - lat0).abs() < spread[0])
            & ((stops.stop_lon - lon0).abs() < spread[1])
        ].to_numpy(dtype=float)
        points = central[rng.integers(0, len(central), 2 * N_QUERIES)]
    queries = [
        {
            "from": f"{points[2 * k][0]:.5f},{points[2 * k][1]:.5f}",
            "to": f"{points[2 * k + 1][0]:.5f},{points[2 * k + 1][1]:.5f}",
            "at": at,
        }
        for k in range(N_QUERIES)
    ]
    return file, queries


@pytest.fixture(scope="module")
def inputs(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory, bench_smoke: bool
) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("service")
    file, queries = _inputs(data_dir, tmp, bench_smoke)
    (tmp / "queries.json").write_text(json.dumps(queries))
    (tmp / "locustfile.py").write_text(LOCUSTFILE)
    return file, tmp / "queries.json", tmp / "locustfile.py"


@pytest.fixture(scope="module", params=[1, 2], ids=lambda w: f"workers{w}")
def server(
    request: pytest.FixtureRequest, inputs: tuple[Path, Path, Path], bench_smoke: bool
) -> Iterator[dict[str, Any]]:
    workers = int(request.param)
    if bench_smoke and workers > 1:
        pytest.skip("smoke run: one worker")
    file, queries_file, _ = inputs
    port = _free_port()
    log_path = file.parent / f"serve-{workers}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("maasmix")), "serve", "--deployment", str(file),
             "--workers", str(workers), "--port", str(port), "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while True:
                if process.poll() is not None:
                    pytest.fail(log_path.read_text()[-3000:])
                try:
                    if requests.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except requests.RequestException:  # not up yet (or still starting)
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the server did not start in 600 s")
                time.sleep(0.5)
            queries = json.loads(queries_file.read_text())
            try:
                # warm every worker (a connection each: any worker may take it); keep the
                # answerable pairs
                close = {"Connection": "close"}
                kept = [
                    q
                    for q in queries
                    if requests.get(
                        f"{base}/v1/plan", params=q, headers=close, timeout=60
                    ).status_code
                    == 200
                ]
            except requests.RequestException as exc:
                log.flush()
                pytest.fail(
                    f"{exc!r} while warming up; the server's log:\n" + log_path.read_text()[-3000:]
                )
            assert len(kept) >= len(queries) // 2, "most stop pairs must have an answer"
            queries_file.write_text(json.dumps(kept))
            main = psutil.Process(process.pid)
            procs = main.children() or [main]
            memory = [p.memory_full_info() for p in procs]
            whole = [main.memory_full_info()] + (memory if procs[0] is not main else [])
            yield {
                "base": base,
                "workers": workers,
                "uss_mib": [round(m.uss / 2**20, 1) for m in memory],
                "rss_mib": [round(m.rss / 2**20, 1) for m in memory],
                "pss_mib": [round(m.pss / 2**20, 1) for m in memory],
                # supervisor and workers: what the server costs the machine (PSS adds up)
                "server_pss_mib": round(sum(m.pss for m in whole) / 2**20, 1),
            }
        finally:
            process.terminate()
            process.wait(60)


def _locust(
    locustfile: Path, queries: Path, base: str, clients: int, requests_n: int, out: Path
) -> dict[str, float]:
    env = {
        **os.environ,
        "MAASMIX_LOAD_QUERIES": str(queries),
        "MAASMIX_LOAD_REQUESTS": str(requests_n),
    }
    run = subprocess.run(
        [str(Path(sys.executable).with_name("locust")), "-f", str(locustfile), "--headless",
         "-u", str(clients), "-r", str(clients), "-t", f"{MAX_SECONDS}s", "--host", base,
         "--csv", str(out), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        env=env, capture_output=True, text=True, timeout=MAX_SECONDS + 120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return _summary(run.stdout + run.stderr)


def _summary(text: str) -> dict[str, float]:
    """The figures of locust's closing summary (its two "Aggregated" rows: counts and
    rates, then percentiles). The CSV files are written on a timer and may miss the last
    requests of a short run, so the summary is the record."""
    rows = [line.split() for line in text.splitlines() if line.split()[:1] == ["Aggregated"]]
    if len(rows) < 2:
        raise AssertionError(f"no locust summary in its output: {text[-2000:]}")
    counts, percentiles = rows[0], rows[1]
    return {
        "requests": float(counts[1]),
        "failures": float(counts[2].split("(")[0]),
        "throughput_rps": round(float(counts[-2]), 1),
        "p50_ms": float(percentiles[1]),
        "p95_ms": float(percentiles[6]),
        "p99_ms": float(percentiles[8]),
    }


@pytest.mark.parametrize("clients", [1, 10, 50], ids=lambda c: f"clients{c}")
def test_plan_under_load(
    benchmark: Any,
    server: dict[str, Any],
    inputs: tuple[Path, Path, Path],
    clients: int,
    bench_smoke: bool,
) -> None:
    if bench_smoke and clients > 10:
        pytest.skip("smoke run: 1 and 10 clients")
    _, queries, locustfile = inputs
    n = SMOKE_REQUESTS if bench_smoke else REQUESTS[clients]
    out = locustfile.parent / f"w{server['workers']}-c{clients}"
    stats = benchmark.pedantic(
        lambda: _locust(locustfile, queries, server["base"], clients, n, out),
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(stats)
    benchmark.extra_info.update(
        {
            "workers": server["workers"],
            "clients": clients,
            "worker_uss_mib": server["uss_mib"],
            "worker_rss_mib": server["rss_mib"],
            "worker_pss_mib": server["pss_mib"],
            "server_pss_mib": server["server_pss_mib"],
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    RESULTS[(server["workers"], clients)] = stats
    MEMORY[server["workers"]] = server["server_pss_mib"]
    print(
        f"\nserve --workers {server['workers']}, {clients} clients: {stats}; "
        f"workers USS {server['uss_mib']} MiB, RSS {server['rss_mib']} MiB, "
        f"server PSS {server['server_pss_mib']} MiB; load average {os.getloadavg()}"
    )
    assert stats["requests"] > 0
    assert stats["failures"] == 0, stats
    one = RESULTS.get((1, clients))
    if server["workers"] == 2 and one is not None:
        ratio = stats["throughput_rps"] / max(one["throughput_rps"], 1e-9)
        benchmark.extra_info["throughput_vs_1_worker"] = round(ratio, 2)
        print(f"2 workers / 1 worker throughput at {clients} clients: {ratio:.2f}x")
    if server["workers"] == 2 and 1 in MEMORY:
        extra = round(MEMORY[2] - MEMORY[1], 1)  # supervisor + 2 workers vs 1 process
        benchmark.extra_info["memory_per_extra_worker_pss_mib"] = extra
        print(f"memory of the extra worker (server PSS, 2 workers - 1): {extra} MiB")
