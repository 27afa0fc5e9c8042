"""``/metrics``: stored jobs by state (one gauge per state, 0 when none), from the
storage every worker shares, next to the per-route request metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.deployment import Deployment
from maasmix.api.storage import Storage
from maasmix.api.storage.models import JOB_STATES


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_jobs_by_state_are_gauges_of_the_storage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app = create_app(Deployment(storage_url=url))
    with TestClient(app) as client:
        first = _samples(client.get("/metrics").text)
        assert {s: first[f'maasmix_jobs{{state="{s}"}}'] for s in JOB_STATES} == dict.fromkeys(
            JOB_STATES, 0.0
        )
        # another process's writes (a second worker) count: the gauge reads the storage
        other = Storage(url)
        try:
            owner = other.register_owner()
            scenario = other.create_scenario({"n": 1}, name="s", by="test")
            jobs = [
                other.create_job("optimise", scenario, {}, by="test", owner_id=owner)
                for _ in range(4)
            ]
            other.mark_running(jobs[0].id)
            other.fail_job(jobs[1].id, "ScenarioError: bad")
            other.cancel_job(jobs[2].id)
        finally:
            other.close()
        text = client.get("/metrics").text
    after = _samples(text)
    got = {s: after[f'maasmix_jobs{{state="{s}"}}'] for s in JOB_STATES}
    assert got == {
        "queued": 1.0,
        "running": 1.0,
        "done": 0.0,
        "failed": 1.0,
        "cancelled": 1.0,
        "interrupted": 0.0,
    }
    assert "# TYPE maasmix_jobs gauge" in text.splitlines()
    scraped = 'maasmix_http_requests_total{method="GET",route="/metrics",status="200"}'
    assert after[scraped] >= 1.0
