"""Prometheus metrics of the service (``GET /metrics``, text format 0.0.4).

=====================================  =========  =======================================
metric                                 type       labels
=====================================  =========  =======================================
``maasmix_http_requests_total``        counter    method, route (the path template), status
``maasmix_http_request_seconds``       histogram  method, route
``maasmix_plan_seconds``               histogram  route (``/v1/plan``: one plan's time)
``maasmix_gbfs_snapshot_age_seconds``  gauge      network, system (at scrape time)
``maasmix_realtime_age_seconds``       gauge      network, feed (the source's file or URL
                                                 name; at scrape time; NaN: no good
                                                 message yet)
``maasmix_realtime_failures_total``    gauge      network, feed (reads that failed)
``maasmix_networks_loaded``            gauge      (at scrape time)
``maasmix_jobs``                       gauge      state (every state of
                                                 `maasmix.api.storage.JOB_STATES`, 0 when
                                                 none; jobs of the storage, at scrape time)
=====================================  =========  =======================================

With several worker processes (`maasmix.api.workers`) the counters and histograms are
kept in prometheus_client's multiprocess mode (`enable_multiprocess` before the first
metric is made, a folder of per-process files) and every scrape sums all workers; the
gauges are read by the worker that answers, from the networks it serves (every worker
sees the same GBFS snapshots).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE", "MetricsMiddleware", "enable_multiprocess", "job_counts", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(folder: Path) -> None:
    """Keep the metrics of every process in ``folder`` (call before forking workers and
    before the first request); the folder's old files are removed."""
    from prometheus_client import values

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ[_MULTIPROC] = str(folder)  # prometheus_client reads it, nothing else does
    values.ValueClass = values.get_value_class()
    _metrics.cache_clear()


def _multiprocess_dir() -> str | None:
    return os.environ.get(_MULTIPROC)


@cache
def _metrics() -> dict[str, Any]:
    from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

    disable_created_metrics()
    registry = CollectorRegistry(auto_describe=True)
    return {
        "registry": registry,
        "requests": Counter(
            "maasmix_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=registry,
        ),
        "latency": Histogram(
            "maasmix_http_request_seconds",
            "HTTP request latency (seconds)",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=registry,
        ),
        "plan": Histogram(
            "maasmix_plan_seconds",
            "time of one plan request (seconds)",
            ["route"],
            buckets=_BUCKETS,
            registry=registry,
        ),
    }


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    m = _metrics()
    m["requests"].labels(method, route, str(status)).inc()
    m["latency"].labels(method, route).observe(seconds)
    if route == "/v1/plan" and status < 400:
        m["plan"].labels(route).observe(seconds)


def job_counts(app: Any) -> dict[str, int] | None:
    """Jobs per state in ``app``'s storage (its services are opened when needed; None when
    the storage cannot be read)."""
    from maasmix.api.jobs.service import open_services

    try:
        return open_services(app).storage.count_jobs_by_state()
    except Exception:  # a scrape never fails for the storage: /ready says it is down
        return None


def _gauges(
    networks: Mapping[str, Any],
    now: dt.datetime,
    realtime: Any = None,
    jobs: Mapping[str, int] | None = None,
) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily

    from maasmix.api.storage.models import JOB_STATES

    age = GaugeMetricFamily(
        "maasmix_gbfs_snapshot_age_seconds",
        "seconds since the GBFS snapshot's last_updated",
        labels=["network", "system"],
    )
    for name, net in networks.items():
        for system in net.rentals:
            age.add_metric([name, system.system_id], (now - system.last_updated).total_seconds())
    yield age
    if realtime is not None and realtime.sources:
        rt_age = GaugeMetricFamily(
            "maasmix_realtime_age_seconds",
            "seconds since the last good GTFS-Realtime message's header timestamp",
            labels=["network", "feed"],
        )
        failures = GaugeMetricFamily(
            "maasmix_realtime_failures_total",
            "GTFS-Realtime reads that failed (the last good state kept)",
            labels=["network", "feed"],
        )
        for state in realtime.sources:
            seconds = state.age_s(now)
            labels = [state.network, state.name]
            rt_age.add_metric(labels, float("nan") if seconds is None else seconds)
            failures.add_metric(labels, state.failures)
        yield rt_age
        yield failures
    loaded = GaugeMetricFamily("maasmix_networks_loaded", "networks this server plans on")
    loaded.add_metric([], len(networks))
    yield loaded
    if jobs is not None:
        by_state = GaugeMetricFamily("maasmix_jobs", "stored jobs by state", labels=["state"])
        for state in sorted({*JOB_STATES, *jobs}):
            by_state.add_metric([state], int(jobs.get(state, 0)))
        yield by_state


def render(
    networks: Mapping[str, Any],
    now: dt.datetime | None = None,
    *,
    realtime: Any = None,
    jobs: Mapping[str, int] | None = None,
) -> bytes:
    """The text exposition of every metric (all workers') plus the scrape-time gauges
    (``realtime``: the `maasmix.api.realtime_refresh.RealtimePoller`, if any; ``jobs``:
    jobs per state, `job_counts`)."""
    from prometheus_client import CollectorRegistry, generate_latest

    folder = _multiprocess_dir()
    if folder:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(_metrics()["registry"])
    moment = now or dt.datetime.now(dt.UTC)

    class _Scrape:
        def collect(self) -> Iterator[Any]:
            return _gauges(networks, moment, realtime, jobs)

    gauges = CollectorRegistry()
    gauges.register(_Scrape())
    return counted + generate_latest(gauges)


class MetricsMiddleware:
    """Counts every HTTP request by method, route template and status, and its latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            observe(scope["method"], _template(scope), status, time.perf_counter() - started)


def _template(scope: Scope) -> str:
    """The matched route's path template with the prefixes of the routers it is in
    (``/v1/networks/{name}/refresh``); ``unmatched`` for a path no route matched."""
    effective = scope.get("effective_route_context")  # FastAPI's included routers
    if getattr(effective, "path", None):
        return str(effective.path)  # type: ignore[union-attr]
    route = scope.get("route")
    own = getattr(route, "path", None)
    if not own:
        return "unmatched"
    # the route knows its path below its routers' prefixes: take those from the request
    parts = str(scope.get("path", "")).split("/")
    depth = len(str(own).split("/")) - 1
    prefix = "/".join(parts[: len(parts) - depth]) if depth < len(parts) else ""
    return prefix + str(own)
