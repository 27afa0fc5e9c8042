"""A deployment's GTFS-Realtime sources polled into the served network: the plan follows
the file, a corrupt message keeps the last good state, and ``/v1/networks``, ``/v1/ready``
and ``/v1/metrics`` show each source's age."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.deployment import Deployment, FeedSpec, NetworkSpec, RealtimeSpec, read_deployment
from maasmix.api.realtime_refresh import RealtimePoller
from maasmix.api.routes.networks import register_spec
from maasmix.api.routes.plan import register_network
from maasmix.errors import DeploymentError
from tests.engine.test_realtime_plan import LINE, _net
from tests.feeds.rt_builders import Stu, Tu, encode

T0 = dt.datetime(2024, 3, 5, 7, 0, tzinfo=dt.UTC)  # the messages' header time
PARAMS = {
    "from": "{},{}".format(*LINE["A"]),
    "to": "{},{}".format(*LINE["D"]),
    "at": "2024-03-05T07:55:00+01:00",
    "modes": "WALK,TRANSIT",
}


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically, as a realtime producer does."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _delay(seconds: int) -> bytes:
    return encode([Tu("t1", [Stu(seq=3, arr_delay=seconds)])], timestamp=int(T0.timestamp()))


def _end(client: TestClient) -> str:
    got = client.get("/v1/plan", params=PARAMS)
    assert got.status_code == 200, got.text
    (ride,) = [leg for leg in got.json()["itineraries"][0]["legs"] if leg["transitLeg"]]
    assert ride["trip"]["gtfsId"] == "t1"
    return str(ride["end"])


def _serve(tmp_path: Path, now: list[dt.datetime]) -> tuple[TestClient, RealtimePoller, Path]:
    feed = tmp_path / "trip-updates.pb"
    _write(feed, _delay(240))
    spec = NetworkSpec(
        "line", (FeedSpec("/srv/line.zip"),), None, (), dt.date(2024, 3, 5),
        (RealtimeSpec(str(feed), None, 30.0, 300.0),),
    )  # fmt: skip
    app = create_app(Deployment(networks=(spec,)))
    net = _net()
    register_network(app, "line", net)
    register_spec(app, spec)
    poller = RealtimePoller({"line": net}, {"line": spec}, clock=lambda: now[0])
    app.state.realtime_poller = poller
    app.state.clock = lambda: now[0]
    return TestClient(app), poller, feed


def test_polled_file_moves_the_plan_and_a_corrupt_one_keeps_the_last(tmp_path: Path) -> None:
    now = [T0 + dt.timedelta(seconds=45)]
    client, poller, feed = _serve(tmp_path, now)
    assert client.get("/v1/ready").status_code == 503  # no message yet
    assert _end(client) == "2024-03-05T08:30:00+01:00"  # the schedule
    assert poller.run_once() == 1
    assert _end(client) == "2024-03-05T08:34:00+01:00"
    assert poller.run_once() == 0  # not due yet
    assert poller.run_once(force=True) == 0  # due, file unchanged: not re-applied

    _write(feed, _delay(600))
    assert _end(client) == "2024-03-05T08:34:00+01:00"  # not before the next poll
    now[0] += dt.timedelta(seconds=30)
    assert poller.run_once() == 1
    assert _end(client) == "2024-03-05T08:40:00+01:00"

    _write(feed, _delay(900)[:-3])  # truncated
    now[0] += dt.timedelta(seconds=30)
    assert poller.run_once() == 0
    assert _end(client) == "2024-03-05T08:40:00+01:00"  # the last good state
    body = client.get("/v1/networks").json()["networks"][0]
    (rt,) = body["realtime"]
    assert rt["source"] == "trip-updates.pb" and "/srv" not in str(body)
    assert (rt["ageS"], rt["stale"], rt["failures"], rt["applied"]) == (105.0, False, 1, 2)
    assert rt["error"].startswith("FeedFormatError") and "truncated" in rt["error"]
    assert rt["messageTime"] == "2024-03-05T07:00:00Z"
    assert rt["checkedAt"] == "2024-03-05T07:01:45Z"
    applied = poller.networks["line"].realtime.time  # the last good message's snapshot
    assert dt.datetime.fromisoformat(body["realtimeTime"].replace("Z", "+00:00")) == applied
    ready = client.get("/v1/ready")
    assert ready.status_code == 200
    check = next(c for c in ready.json()["checks"] if c["name"] == "realtime:line/trip-updates.pb")
    assert check["ok"] and "message 105 s old" in check["detail"]
    assert "last read failed" in check["detail"]
    metrics = client.get("/v1/metrics").text
    assert 'maasmix_realtime_age_seconds{feed="trip-updates.pb",network="line"} 105.0' in metrics
    assert 'maasmix_realtime_failures_total{feed="trip-updates.pb",network="line"} 1.0' in metrics

    now[0] = T0 + dt.timedelta(seconds=301)  # beyond max_age_s
    ready = client.get("/v1/ready")
    assert ready.status_code == 503
    assert "realtime:line/trip-updates.pb" in ready.json()["detail"]

    _write(feed, _delay(0))  # repaired
    now[0] += dt.timedelta(seconds=30)
    assert poller.run_once() == 1
    assert _end(client) == "2024-03-05T08:30:00+01:00"
    (rt,) = client.get("/v1/networks").json()["networks"][0]["realtime"]
    assert (rt["error"], rt["failures"], rt["applied"]) == (None, 1, 3)


def test_the_app_polls_in_the_background(tmp_path: Path) -> None:
    feed = tmp_path / "rt.pb"
    _write(feed, encode([Tu("t1", [Stu(seq=3, arr_delay=240)])]))
    spec = NetworkSpec(
        "line", (FeedSpec("/srv/line.zip"),), None, (), dt.date(2024, 3, 5),
        (RealtimeSpec(str(feed), None, 1.0, None),),
    )  # fmt: skip
    app = create_app(Deployment(networks=(spec,)))
    register_network(app, "line", _net())
    register_spec(app, spec)
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while _end(client) != "2024-03-05T08:34:00+01:00" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _end(client) == "2024-03-05T08:34:00+01:00"
        _write(feed, encode([Tu("t1", [Stu(seq=3, arr_delay=600)])]))
        deadline = time.monotonic() + 10
        while _end(client) != "2024-03-05T08:40:00+01:00" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _end(client) == "2024-03-05T08:40:00+01:00"
        assert app.state.realtime_poller.running
    assert not app.state.realtime_poller.running


def test_deployment_realtime_sources(tmp_path: Path) -> None:
    gtfs = tmp_path / "city.zip"
    gtfs.write_bytes(b"")
    (tmp_path / "d.yaml").write_text(
        "networks:\n  city:\n    gtfs: city.zip\n    date: 20240305\n    realtime:\n"
        "      - url_or_path: rt/trip-updates.pb\n"
        "      - {url_or_path: 'https://rt.example/alerts.pb', poll_s: 60, max_age_s: 600}\n"
    )
    (spec,) = read_deployment(tmp_path / "d.yaml").networks
    assert spec.realtime == (
        RealtimeSpec(str(tmp_path / "rt/trip-updates.pb"), None, 30.0, None),
        RealtimeSpec("https://rt.example/alerts.pb", None, 60.0, 600.0),
    )
    for bad, where in [
        ("{url_or_path: a.pb, poll_s: 0}", "networks.city.realtime[0].poll_s"),
        ("{url_or_path: a.pb, every: 3}", "networks.city.realtime[0].every"),
        ("{poll_s: 3}", "networks.city.realtime[0].url_or_path"),
        ("{url_or_path: 'ftp://x/a.pb'}", "networks.city.realtime[0].url_or_path"),
    ]:
        (tmp_path / "bad.yaml").write_text(
            f"networks:\n  city:\n    gtfs: city.zip\n    date: 20240305\n    realtime: [{bad}]\n"
        )
        with pytest.raises(DeploymentError) as err:
            read_deployment(tmp_path / "bad.yaml")
        assert err.value.field == where, (bad, err.value)


def test_a_url_source_is_fetched_each_poll(tmp_path: Path) -> None:
    import functools
    import http.server
    import threading

    (tmp_path / "tu.pb").write_bytes(_delay(240))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/tu.pb"
        spec = NetworkSpec(
            "line", (FeedSpec("/srv/line.zip"),), None, (), dt.date(2024, 3, 5),
            (RealtimeSpec(url, None, 30.0, None), RealtimeSpec(url + "?x=1", None, 30.0, None)),
        )  # fmt: skip
        net = _net()
        poller = RealtimePoller({"line": net}, {"line": spec})
        (tmp_path / "tu.pb").unlink()
        assert poller.run_once() == 0  # 404: reported, nothing applied
        assert (poller.sources[0].error or "").startswith("FeedMissingError")
        (tmp_path / "tu.pb").write_bytes(_delay(240))
        assert poller.run_once(force=True) == 2  # a URL is applied at every poll
        assert poller.sources[0].error is None and poller.sources[0].name == "tu.pb"
        assert net.realtime.is_live
    finally:
        httpd.shutdown()
        httpd.server_close()
