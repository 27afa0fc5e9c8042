"""``maasmix serve --workers 2`` in a real process: 50 concurrent plans equal the same
plans one by one (with a GBFS refresh in the middle of them), both workers answer, the
networks are shared between them, and every worker sees a refresh."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
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
    (tmp / "deploy.yaml").write_text(
        "networks:\n  demo:\n"
        f"    gtfs: '{city.gtfs_zip}'\n    osm: '{city.osm_pbf}'\n"
        f"    gbfs: [{{source: '{city.gbfs_dir}', max_age_s: 1000000000000}}]\n"
        f"    date: '{city.service_date:%Y%m%d}'\n"
    )
    with serving(tmp / "deploy.yaml", tmp) as (base, process):
        yield base, process, city


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


@pytest.mark.slow
def test_fifty_concurrent_plans_on_two_workers_equal_one_by_one(server: Any) -> None:
    base, process, city = server
    queries = _queries(city)
    with requests.Session() as session:
        alone = [session.get(f"{base}/v1/plan", params=q, timeout=120) for q in queries]
    assert all(r.status_code == 200 for r in alone), [r.text for r in alone if r.status_code != 200]
    assert sum(bool(r.json()["itineraries"]) for r in alone) >= N_QUERIES - 2

    def ask(q: dict[str, Any]) -> requests.Response:
        return requests.get(f"{base}/v1/plan", params=q, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=N_QUERIES) as pool:
        futures = [pool.submit(ask, q) for q in queries]
        refreshed = requests.post(f"{base}/v1/networks/demo/refresh", timeout=60)
        together = [f.result() for f in futures]
    assert refreshed.status_code == 200 and refreshed.json()["refreshed"] == ["demo_city_bikes"]
    assert [r.status_code for r in together] == [200] * N_QUERIES
    assert [r.json() for r in together] == [r.json() for r in alone]

    workers = psutil.Process(process.pid).children()
    assert len(workers) == 2
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    line = next(
        x for x in metrics.splitlines()
        if x.startswith('maasmix_http_requests_total{method="GET",route="/v1/plan",status="200"}')
    )  # fmt: skip
    assert float(line.rsplit(" ", 1)[1]) == 2 * N_QUERIES  # summed over both workers


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
