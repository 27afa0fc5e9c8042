"""``maasmix serve --workers 2`` in a real process: 50 concurrent plans equal the same
plans one by one; a GBFS refresh to another snapshot in the middle of 50 concurrent
plans changes no answer half-way (each equals the one-by-one answer under the snapshot
its notice names); both workers answer and the networks are shared between them."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
import requests

from maasmix.feeds.demo import write_demo_city
from tests.api._serve import serving

N_QUERIES = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("serve")
    city = write_demo_city(tmp / "city")
    (tmp / "gbfs").symlink_to(city.gbfs_dir)  # swapped for another snapshot by a test
    (tmp / "deploy.yaml").write_text(
        "networks:\n  demo:\n"
        f"    gtfs: '{city.gtfs_zip}'\n    osm: '{city.osm_pbf}'\n"
        f"    gbfs: [{{source: '{tmp / 'gbfs'}', max_age_s: 1000000000000}}]\n"
        f"    date: '{city.service_date:%Y%m%d}'\n"
    )
    with serving(tmp / "deploy.yaml", tmp) as (base, process):
        yield base, process, city


def _later_snapshot(source: Path, target: Path, hours: int) -> int:
    """A copy of the GBFS folder ``source`` ``hours`` later, with every station empty
    and half the free vehicles gone; its ``last_updated``."""
    shutil.copytree(source, target)
    stamp = 0
    for path in target.glob("*.json"):
        doc = json.loads(path.read_text())
        doc["last_updated"] = stamp = int(doc["last_updated"]) + 3600 * hours
        data = doc["data"]
        if "stations" in data and path.stem == "station_status":
            for station in data["stations"]:
                station["num_bikes_available"] = 0
                station.pop("vehicle_types_available", None)
        if "bikes" in data:
            data["bikes"] = data["bikes"][::2]
        path.write_text(json.dumps(doc))
    return stamp


def _swap(link: Path, folder: Path) -> None:
    """Point the symlink ``link`` at ``folder`` in one rename."""
    tmp = link.with_name(link.name + ".new")
    tmp.symlink_to(folder)
    os.replace(tmp, link)


def _queries(city: Any) -> list[dict[str, Any]]:
    rng = np.random.default_rng(21)
    lat0, lon0 = city.centre
    at = dt.datetime.combine(city.service_date, dt.time(8, 0)).isoformat()
    out = []
    for _ in range(N_QUERIES):
        a = rng.uniform(-0.02, 0.02, 2)
        b = rng.uniform(-0.02, 0.02, 2)
        out.append(
            {
                "from": f"{lat0 + a[0]:.5f},{lon0 + 2 * a[1]:.5f}",
                "to": f"{lat0 + b[0]:.5f},{lon0 + 2 * b[1]:.5f}",
                "at": at,
            }
        )
    return out


def _snapshot_of(answer: dict[str, Any], times: dict[str, str]) -> str:
    """Which snapshot (a key of ``times``) the plan's GBFS notice names."""
    named = [k for k, t in times.items() if any(t in n for n in answer["notices"])]
    assert len(named) == 1, answer["notices"]
    return named[0]


@pytest.mark.slow
def test_fifty_concurrent_plans_on_two_workers_equal_one_by_one(server: Any) -> None:
    base, process, city = server
    # noon: four hours after the snapshot, so each plan's notices name the snapshot's time
    queries = [{**q, "at": q["at"].replace("T08:00", "T12:00")} for q in _queries(city)]

    def alone() -> list[dict[str, Any]]:
        with requests.Session() as session:
            answers = [session.get(f"{base}/v1/plan", params=q, timeout=120) for q in queries]
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
        return [r.json() for r in answers]

    def ask(q: dict[str, Any]) -> dict[str, Any]:
        got = requests.get(f"{base}/v1/plan", params=q, timeout=120)
        assert got.status_code == 200, got.text
        out: dict[str, Any] = got.json()
        return out

    first = alone()
    assert sum(bool(a["itineraries"]) for a in first) >= N_QUERIES - 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=N_QUERIES) as pool:
        together = list(pool.map(ask, queries))
    assert together == first

    # a refresh to a later snapshot while 50 plans run
    link = Path(process.args[process.args.index("--deployment") + 1]).parent / "gbfs"
    tz = dt.datetime.fromisoformat(first[0]["itineraries"][0]["start"]).tzinfo
    later = _later_snapshot(city.gbfs_dir, link.with_name("gbfs-later"), hours=1)
    times = {
        "old": dt.datetime.fromtimestamp(later - 3600, tz).isoformat(),
        "new": dt.datetime.fromtimestamp(later, tz).isoformat(),
    }
    assert all(_snapshot_of(a, times) == "old" for a in first)
    with concurrent.futures.ThreadPoolExecutor(max_workers=N_QUERIES) as pool:
        futures = [pool.submit(ask, q) for q in queries[: N_QUERIES // 2]]
        while sum(f.done() for f in futures) < 5:
            time.sleep(0.005)
        before = [i for i, f in enumerate(futures) if f.done()]
        _swap(link, link.with_name("gbfs-later"))
        refreshed = requests.post(f"{base}/v1/networks/demo/refresh", timeout=60)
        futures += [pool.submit(ask, q) for q in queries[N_QUERIES // 2 :]]
        during = [f.result() for f in futures]
    assert refreshed.status_code == 200 and refreshed.json()["refreshed"] == ["demo_city_bikes"]
    time.sleep(1.5)  # every worker follows within its poll (0.5 s)
    second = alone()
    assert all(_snapshot_of(a, times) == "new" for a in second)
    changed = sum(a != b for a, b in zip(first, second, strict=True))
    assert changed >= 10  # the later snapshot moves many answers
    which = [_snapshot_of(a, times) for a in during]
    for i, (answer, snapshot) in enumerate(zip(during, which, strict=True)):
        assert answer == (first if snapshot == "old" else second)[i], (i, snapshot)
    assert all(which[i] == "old" for i in before)  # answered before the refresh
    assert "new" in which, which  # and some after it

    workers = psutil.Process(process.pid).children()
    assert len(workers) == 2
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    line = next(
        x for x in metrics.splitlines()
        if x.startswith('maasmix_http_requests_total{method="GET",route="/v1/plan",status="200"}')
    )  # fmt: skip
    assert float(line.rsplit(" ", 1)[1]) == 4 * N_QUERIES  # summed over both workers


@pytest.mark.slow
def test_workers_share_the_network_pages(server: Any) -> None:
    _, process, _ = server
    supervisor = psutil.Process(process.pid)
    parent = supervisor.memory_full_info()
    for worker in supervisor.children():
        info = worker.memory_full_info()
        # a worker's own pages (uss) are a fraction of what it maps (rss): the network
        # arrays are the supervisor's, shared copy-on-write
        assert info.uss < 0.6 * info.rss, (info, parent)
