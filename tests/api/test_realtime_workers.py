"""``maasmix serve --workers 2`` with a realtime source in the deployment file: each
worker polls it, so every answer follows a replaced file, and a corrupt message keeps
the last good state in every worker."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from maasmix.feeds.demo import write_demo_city
from tests.api._serve import serving
from tests.feeds.rt_builders import Stu, Tu, encode

pytestmark = pytest.mark.slow


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Path]]:
    tmp = tmp_path_factory.mktemp("serve-rt")
    city = write_demo_city(tmp / "city")
    feed = tmp / "rt.pb"
    _write(feed, encode([]))
    (tmp / "deploy.yaml").write_text(
        "networks:\n  demo:\n"
        f"    gtfs: '{city.gtfs_zip}'\n    osm: '{city.osm_pbf}'\n"
        f"    date: '{city.service_date:%Y%m%d}'\n"
        f"    realtime: [{{url_or_path: '{feed}', poll_s: 1}}]\n"
    )
    with serving(tmp / "deploy.yaml", tmp) as (base, _process):
        yield base, city, feed


def _until(check: Callable[[], bool], seconds: float = 20) -> None:
    """Wait until ``check`` holds on 8 answers in a row (both workers answer some)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(check() for _ in range(8)):
            return
        time.sleep(0.3)
    raise AssertionError("not every worker followed the realtime file")


def test_every_worker_follows_the_file(server: tuple[str, Any, Path]) -> None:
    base, city, feed = server
    lat0, lon0 = city.centre
    at = dt.datetime.combine(city.service_date, dt.time(8, 0)).isoformat()
    ride = None
    for k in range(12):
        params = {
            "from": f"{lat0 - 0.015 + 0.0025 * k:.5f},{lon0 - 0.03:.5f}",
            "to": f"{lat0 + 0.015:.5f},{lon0 + 0.03 - 0.005 * k:.5f}",
            "at": at,
            "modes": "WALK,TRANSIT",
        }
        body = requests.get(f"{base}/v1/plan", params=params, timeout=60).json()
        rides = [leg for it in body["itineraries"][:1] for leg in it["legs"] if leg["transitLeg"]]
        if rides:
            ride = rides[0]
            break
    assert ride is not None, "no transit itinerary in the demo city"
    trip, alight = ride["trip"]["gtfsId"], ride["to"]["stopId"]

    def first_ride() -> dict[str, Any]:
        got = requests.get(f"{base}/v1/plan", params=params, timeout=60).json()
        legs = [leg for leg in got["itineraries"][0]["legs"] if leg["transitLeg"]]
        return dict(legs[0])

    _write(feed, encode([Tu(trip, [Stu(stop_id=alight, arr_delay=60)])]))
    _until(lambda: first_ride()["arrivalDelay"] == 60)
    live = first_ride()
    assert live["trip"]["gtfsId"] == trip and live["realtimeState"] == "UPDATED"
    assert live["endTime"] == ride["endTime"] + 60_000

    _write(feed, encode([Tu(trip, [Stu(stop_id=alight, arr_delay=120)])]))
    _until(lambda: first_ride()["arrivalDelay"] == 120)

    _write(feed, b"\x0a\xff\xff")  # corrupt
    _until(
        lambda: (
            requests.get(f"{base}/v1/networks", timeout=10).json()["networks"][0]["realtime"][0][
                "error"
            ]
            or ""
        ).startswith("FeedFormatError")
    )
    assert all(first_ride()["arrivalDelay"] == 120 for _ in range(8))  # the last good state
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert 'maasmix_realtime_age_seconds{feed="rt.pb",network="demo"}' in metrics


def test_a_url_source_is_fetched_by_the_supervisor_alone(tmp_path: Path) -> None:
    """Two workers, a realtime URL polled every second: it is fetched about once a
    second (the supervisor's poll), not once per worker, and both workers plan on it."""
    import functools
    import http.server
    import threading

    fetched: list[float] = []

    class Counting(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(time.monotonic())
            super().do_GET()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    city = write_demo_city(tmp_path / "city")
    (tmp_path / "www").mkdir()
    _write(tmp_path / "www" / "rt.pb", encode([]))
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Counting, directory=str(tmp_path / "www"))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/rt.pb"
    (tmp_path / "deploy.yaml").write_text(
        "networks:\n  demo:\n"
        f"    gtfs: '{city.gtfs_zip}'\n"
        f"    date: '{city.service_date:%Y%m%d}'\n"
        f"    realtime: [{{url_or_path: '{url}', poll_s: 1}}]\n"
    )
    try:
        with serving(tmp_path / "deploy.yaml", tmp_path) as (base, _process):
            start = time.monotonic()
            time.sleep(5)
            seen = [t for t in fetched if t >= start]
            statuses = [
                requests.get(
                    f"{base}/v1/networks", timeout=10, headers={"Connection": "close"}
                ).json()["networks"][0]["realtime"][0]
                for _ in range(8)
            ]
        # one poll a second: 5 or 6 fetches in 5 s (each worker fetching: 10 or more)
        assert 4 <= len(seen) <= 7, len(seen)
        assert all(s["error"] is None and s["applied"] >= 5 for s in statuses), statuses
    finally:
        httpd.shutdown()
        httpd.server_close()
