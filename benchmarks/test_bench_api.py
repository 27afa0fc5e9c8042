"""The HTTP API in-process (FastAPI ``TestClient``): request to JSON answer.

What is timed is a batch of requests, each the whole path a client sees except the
socket: validation, the routers' in-memory cache (warmed first: compiling is in
``test_bench_feeds.py``), the search, the response model and the JSON encoding.

- ``GET /v1/route/journeys`` and ``POST /v1/route/journeys``: 50 of the router suite's
  Milan point-to-point queries;
- ``GET /v1/route/earliest-arrivals``: 20 one-to-all queries (every reachable stop in
  the answer);
- ``GET /v1/route/profile``: 10 60-minute range queries;
- ``POST /v1/bundles/optimise``: the shipped ``demo_city`` scenario;
- ``GET /v1/health``: 100 requests, the floor of the stack.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.workloads import FEEDS, SMOKE_QUERIES, transit_queries
from maasmix.servicetime import format_clock

Rounds = Callable[[int], int]
FEED = "milan"

#: the test client runs the app on another thread: wall clock
pytestmark = pytest.mark.bench_timer("wall")


@pytest.fixture(scope="module")
def api(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory, bench_smoke: bool
) -> Iterator[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from maasmix.api.app import create_app
    from maasmix.api.settings import Settings, get_settings
    from maasmix.engine import TransitRouter

    folder, name, date, _ = FEEDS[FEED]
    settings = Settings(data=data_dir, cache_dir=tmp_path_factory.mktemp("api-cache"))
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    tt = TransitRouter.from_gtfs(data_dir / folder / name, date, use_cache=False).timetable
    n = SMOKE_QUERIES if bench_smoke else 50
    queries = transit_queries(tt, n)
    with TestClient(app) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        base = {"feed": f"{folder}/{name}", "date": date}
        q = queries[0]
        warm = client.get(
            "/v1/route/journeys",
            params={**base, "from": q.origin, "to": q.destination, "at": "08:00"},
        )
        assert warm.status_code == 200, warm.text
        yield {"client": client, "base": base, "queries": queries, "smoke": bench_smoke}


def _batch(benchmark: Any, rounds: int, send: Callable[[], list[int]]) -> None:
    statuses = benchmark.pedantic(send, rounds=rounds, iterations=1)
    benchmark.extra_info["requests"] = len(statuses)
    assert set(statuses) == {200}, statuses


def test_get_journeys(benchmark: Any, api: dict[str, Any], bench_rounds: Rounds) -> None:
    client, base = api["client"], api["base"]

    def send() -> list[int]:
        return [
            client.get(
                "/v1/route/journeys",
                params={
                    **base,
                    "from": q.origin,
                    "to": q.destination,
                    "at": format_clock(q.departure_s),
                },
            ).status_code
            for q in api["queries"]
        ]

    _batch(benchmark, bench_rounds(5), send)


def test_post_journeys(benchmark: Any, api: dict[str, Any], bench_rounds: Rounds) -> None:
    client, base = api["client"], api["base"]

    def send() -> list[int]:
        return [
            client.post(
                "/v1/route/journeys",
                json={
                    **base,
                    "from": q.origin,
                    "to": q.destination,
                    "at": format_clock(q.departure_s),
                    "walking": False,
                },
            ).status_code
            for q in api["queries"]
        ]

    _batch(benchmark, bench_rounds(5), send)


def test_get_earliest_arrivals(benchmark: Any, api: dict[str, Any], bench_rounds: Rounds) -> None:
    client, base = api["client"], api["base"]

    def send() -> list[int]:
        return [
            client.get(
                "/v1/route/earliest-arrivals",
                params={**base, "from": q.origin, "at": format_clock(q.departure_s)},
            ).status_code
            for q in api["queries"][:20]
        ]

    _batch(benchmark, bench_rounds(5), send)


def test_get_profile(benchmark: Any, api: dict[str, Any], bench_rounds: Rounds) -> None:
    client, base = api["client"], api["base"]

    def send() -> list[int]:
        return [
            client.get(
                "/v1/route/profile",
                params={
                    **base,
                    "from": q.origin,
                    "to": q.destination,
                    "start": format_clock(q.departure_s),
                    "end": format_clock(q.departure_s + 3600),
                },
            ).status_code
            for q in api["queries"][:10]
        ]

    _batch(benchmark, bench_rounds(5), send)


def test_post_bundles_optimise_demo(
    benchmark: Any, api: dict[str, Any], bench_rounds: Rounds
) -> None:
    client = api["client"]
    scenario = client.get("/v1/bundles/examples/demo_city").json()

    def send() -> list[int]:
        return [client.post("/v1/bundles/optimise", json={"scenario": scenario}).status_code]

    send()  # compile the search kernel outside the timing
    _batch(benchmark, bench_rounds(5), send)


def test_get_health(benchmark: Any, api: dict[str, Any], bench_rounds: Rounds) -> None:
    client = api["client"]
    n = 10 if api["smoke"] else 100
    _batch(
        benchmark, bench_rounds(9), lambda: [client.get("/v1/health").status_code for _ in range(n)]
    )
