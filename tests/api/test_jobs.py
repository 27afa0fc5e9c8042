"""Jobs on stored scenarios: optimise, frontier and demand run on a local Dask cluster,
report progress, store their result with the scenario version they ran on and serve the
HTML report from it; cancel stops the work; a server killed during a job leaves it
``interrupted`` after a restart."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from maasmix.api.deployment import Limits

EXAMPLES = Path(__file__).resolve().parents[2] / "pricing" / "examples"
ACTIVE = ("queued", "running")


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text("utf-8"))
    return data


def _wait(get: Any, job_id: str, until: Any, timeout: float = 60.0) -> dict[str, Any]:
    """Poll the job until ``until(job)`` holds; the job."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = get(f"/v1/jobs/{job_id}")
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job stuck: {job}"
        time.sleep(0.1)


def _getter(client: TestClient) -> Any:
    return lambda path: client.get(path).json()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_optimise_and_frontier_jobs_store_results_with_their_version(storage_app: Any) -> None:
    body = _example("hand_check")
    with TestClient(storage_app()) as client:
        sid = client.post("/v1/scenarios", json=body).json()["id"]
        renamed = copy.deepcopy(body)
        renamed["name"] = "hand check v2"
        assert client.put(f"/v1/scenarios/{sid}", json=renamed).json()["version"] == 2

        started = client.post(f"/v1/scenarios/{sid}/optimise", json={"version": 1})
        assert started.status_code == 202
        job = started.json()
        assert started.headers["location"] == f"/v1/jobs/{job['id']}"
        assert (job["state"], job["kind"], job["scenarioVersion"]) == ("queued", "optimise", 1)
        done = _wait(_getter(client), job["id"], lambda j: j["state"] not in ACTIVE)
        assert done["state"] == "done", done
        assert done["progress"] == 1.0 and done["startedAt"] and done["finishedAt"]
        # the same answer as the synchronous route, for version 1's body
        direct = client.post("/v1/bundles/optimise", json={"scenario": body}).json()
        result = done["result"]
        assert result["scenario"] == "hand check"
        assert result["menu"] == direct["menu"]
        assert result["profitMinor"] == direct["profitMinor"]
        assert result["solve"]["objectiveValue"] == direct["solve"]["objectiveValue"]
        report = client.get(done["report"])
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("text/html")
        assert "<h1>Bundle menu: hand check</h1>" in report.text
        assert 'src="data:image/png;base64,' in report.text

        front = client.post(
            f"/v1/scenarios/{sid}/frontier",
            json={"points": 3, "sweep": "subsidy", "timeLimitS": 30},
        ).json()
        assert (front["scenarioVersion"], front["params"]) == (
            2,
            {"sweep": "subsidy", "points": 3, "timeLimitS": 30},
        )
        finished = _wait(_getter(client), front["id"], lambda j: j["state"] not in ACTIVE)
        assert finished["state"] == "done", finished
        direct_front = client.post(
            "/v1/bundles/frontier", json={"scenario": renamed, "points": 3, "sweep": "subsidy"}
        ).json()
        assert finished["result"]["scenario"] == "hand check v2"
        assert finished["result"]["planned"] == direct_front["planned"] == 3
        assert [p["profitMinor"] for p in finished["result"]["points"]] == [
            p["profitMinor"] for p in direct_front["points"]
        ]
        listed = client.get("/v1/jobs", params={"scenarioId": sid}).json()["items"]
        assert [j["id"] for j in listed] == [front["id"], job["id"]]
        assert all(j["result"] is None for j in listed)
        assert [
            j["id"] for j in client.get("/v1/jobs", params={"state": "done"}).json()["items"]
        ] == [
            front["id"],
            job["id"],
        ]
        # results outlive the scenario
        assert client.delete(f"/v1/scenarios/{sid}").status_code == 204
        assert client.get(f"/v1/jobs/{job['id']}").json()["result"]["menu"] == direct["menu"]
        # a finished job stays done when cancelled
        cancelled = client.post(f"/v1/jobs/{job['id']}/cancel")
        assert (cancelled.status_code, cancelled.json()["state"]) == (200, "done")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cancel_stops_the_work_and_jobs_per_key(storage_app: Any) -> None:
    with TestClient(storage_app(limits=Limits(jobs_per_key=1))) as client:
        sid = client.post("/v1/scenarios", json=_example("demo_city")).json()["id"]
        job = client.post(f"/v1/scenarios/{sid}/frontier", json={"points": 50}).json()
        second = client.post(f"/v1/scenarios/{sid}/optimise")
        assert second.status_code == 429
        assert "jobs_per_key" in second.json()["detail"]
        running = _wait(
            _getter(client),
            job["id"],
            lambda j: j["state"] == "running" and j["progress"] > 0,
            120,
        )
        assert running["message"].endswith("of 50 points")
        early = client.get(f"/v1/jobs/{job['id']}/report")
        assert early.status_code == 404 and "no result yet" in early.json()["detail"]
        cancelled = client.delete(f"/v1/jobs/{job['id']}")
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled"
        runner = client.app.state.services.runner  # type: ignore[attr-defined]
        stopped = time.monotonic()
        while runner._futures:  # the Dask task ends: the sweep saw the cancel event
            assert time.monotonic() - stopped < 30, "the cancelled work kept running"
            time.sleep(0.1)
        after = client.get(f"/v1/jobs/{job['id']}").json()
        assert (after["state"], after["result"], after["report"]) == ("cancelled", None, None)
        assert after["progress"] < 1  # the sweep did not finish
        assert client.get(f"/v1/jobs/{job['id']}/report").status_code == 404
        # the key may start a job again
        assert client.post(f"/v1/scenarios/{sid}/optimise", json={"version": 9}).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_job_requests_errors(storage_app: Any) -> None:
    with TestClient(storage_app()) as client:
        sid = client.post("/v1/scenarios", json=_example("hand_check")).json()["id"]
        demand = client.post(f"/v1/scenarios/{sid}/demand")
        assert demand.status_code == 422
        assert demand.headers["content-type"] == "application/problem+json"
        assert demand.json()["field"] == "segments"
        assert client.post(f"/v1/scenarios/{sid}/optimise", json={"solver": "X"}).status_code == 422
        assert client.post(f"/v1/scenarios/{sid}/frontier", json={"points": 1}).status_code == 422
        assert client.post(f"/v1/scenarios/{sid}/optimise", json={"bogus": 1}).status_code == 422
        assert client.post("/v1/scenarios/" + "a" * 32 + "/optimise").status_code == 404
        assert client.get("/v1/jobs/" + "a" * 32).status_code == 404
        assert client.post("/v1/jobs/" + "a" * 32 + "/cancel").status_code == 404
        assert client.get("/v1/jobs/xyz").status_code == 422
        assert client.get("/v1/jobs", params={"state": "sleeping"}).status_code == 422
        assert client.get("/v1/jobs").json() == {"items": []}


_SERVER = """
import sys, uvicorn
from maasmix.api.app import create_app
from maasmix.api.deployment import Deployment
from maasmix.api.jobs import LocalClusterOptions
app = create_app(Deployment(storage_url=sys.argv[1]))
app.state.local_cluster = LocalClusterOptions(processes=False, n_workers=1, threads_per_worker=2)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _http(base: str, path: str, body: Any = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        out: dict[str, Any] = json.loads(answer.read())
        return out


def test_a_server_killed_during_a_job_leaves_it_interrupted(db_url: str, storage_app: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, db_url, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _http(base, "/health")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        sid = _http(base, "/v1/scenarios", _example("demo_city"))["id"]
        job = _http(base, f"/v1/scenarios/{sid}/frontier", {"points": 20})
        running = _wait(
            lambda path: _http(base, path), job["id"], lambda j: j["state"] == "running", 120
        )
        assert running["state"] == "running"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        if server.stderr:
            server.stderr.close()
    # a new server on the same database: the job is interrupted at start-up, never running
    with TestClient(storage_app()) as client:
        after = client.get(f"/v1/jobs/{job['id']}").json()
        assert after["state"] == "interrupted"
        assert "stopped" in after["error"]
        assert after["result"] is None
        assert client.get(f"/v1/scenarios/{sid}").json()["version"] == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_jobs_run_on_the_deployment_scheduler(storage_app: Any) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        scheduler_port=0,
        dashboard_address=":0",
    ) as cluster:
        app = storage_app(dask_scheduler=cluster.scheduler_address)
        with TestClient(app) as client:
            sid = client.post("/v1/scenarios", json=_example("interior_check")).json()["id"]
            job = client.post(f"/v1/scenarios/{sid}/optimise").json()
            done = _wait(_getter(client), job["id"], lambda j: j["state"] not in ACTIVE)
            assert done["state"] == "done", done
            runner = client.app.state.services.runner  # type: ignore[attr-defined]
            assert runner._cluster is None  # no local cluster was started
            assert runner._client.scheduler.address == cluster.scheduler_address
            direct = client.post(
                "/v1/bundles/optimise", json={"scenario": _example("interior_check")}
            ).json()
            assert done["result"]["menu"] == direct["menu"]


def _same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    """Equal tables: the same rows and text, numbers equal to 1e-12 (sums may run in
    another order)."""
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for key, value in b.items():
            if isinstance(value, float):
                assert a[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
            else:
                assert a[key] == value, key


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demand_job_equals_the_synchronous_route(storage_app: Any, tmp_path: Path) -> None:
    from maasmix.api.settings import Settings, get_settings
    from maasmix.feeds.demo import write_demo_city
    from maasmix.feeds.demo.diary import demo_diary_frame

    root = tmp_path / "data"
    write_demo_city(root / "demo")
    demo_diary_frame(persons=40).to_csv(root / "demo" / "demo_diary.csv", index=False)
    data = _example("demo_diary")
    net = data["planning"]["network"]
    net["gtfs"] = [f"demo/{g}" for g in net["gtfs"]]
    net["gbfs"] = [f"demo/{g}" for g in net["gbfs"]]
    net["osm"] = f"demo/{net['osm']}"
    net["date"] = str(net["date"])
    for seg in data["segments"].values():
        seg["diary"] = "demo/demo_diary.csv"
    app = storage_app()
    settings = Settings(data=root, cache_dir=tmp_path / "cache")
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        sid = client.post("/v1/scenarios", json=data).json()["id"]
        job = client.post(f"/v1/scenarios/{sid}/demand").json()
        done = _wait(_getter(client), job["id"], lambda j: j["state"] not in ACTIVE, 120)
        assert done["state"] == "done", done
        assert done["report"] is None
        assert client.get(f"/v1/jobs/{job['id']}/report").status_code == 404
        direct = client.post("/v1/bundles/demand", json={"scenario": data}).json()
        result = done["result"]
        for table in ("usage", "modeShift", "emissions"):
            _same_rows(result[table], direct[table])
        assert result["scenario"] == direct["scenario"]
        # a diary path outside the data folder is refused when the job is asked for
        outside = copy.deepcopy(data)
        for seg in outside["segments"].values():
            seg["diary"] = "../elsewhere.csv"
        assert client.post("/v1/scenarios", json=outside).status_code == 403


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failing_job_says_why_without_server_paths(storage_app: Any, tmp_path: Path) -> None:
    from maasmix.api.settings import Settings, get_settings

    root = tmp_path / "data"
    root.mkdir()
    data = _example("demo_diary")
    net = data["planning"]["network"]
    net["gtfs"] = ["demo/missing_gtfs.zip"]
    net["gbfs"] = []
    net.pop("osm", None)
    net["date"] = str(net["date"])
    for seg in data["segments"].values():
        seg["diary"] = "demo/missing_diary.csv"
    app = storage_app()
    settings = Settings(data=root, cache_dir=tmp_path / "cache")
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        created = client.post("/v1/scenarios", json=data)
        assert created.status_code == 201, created.text
        job = client.post(f"/v1/scenarios/{created.json()['id']}/demand").json()
        failed = _wait(_getter(client), job["id"], lambda j: j["state"] not in ACTIVE)
        assert failed["state"] == "failed"
        assert failed["error"].startswith(("ScenarioError", "DiaryError", "FeedMissingError"))
        assert "missing_" in failed["error"]
        assert str(tmp_path) not in failed["error"], failed["error"]
        assert (failed["result"], failed["report"]) == (None, None)


@pytest.mark.slow
def test_workers_share_the_supervisors_one_cluster(tmp_path: Path) -> None:
    """``maasmix serve --workers 2``: jobs sent to either worker run on the one local
    cluster the supervisor starts on the first job (a process of the supervisor's; no
    worker starts one of its own), and /metrics counts them by state."""
    import psutil
    import requests

    from maasmix.feeds.demo import write_demo_city
    from tests.api._serve import serving

    city = write_demo_city(tmp_path / "city")
    (tmp_path / "deploy.yaml").write_text(
        "networks:\n  demo:\n"
        f"    gtfs: '{city.gtfs_zip}'\n    date: '{city.service_date:%Y%m%d}'\n"
        f"storage:\n  url: 'sqlite:///{tmp_path / 'jobs.db'}'\n"
    )
    with serving(tmp_path / "deploy.yaml", tmp_path) as (base, process):
        supervisor = psutil.Process(process.pid)
        assert len(supervisor.children()) == 2  # no cluster before a job needs it
        jobs = []
        for _ in range(6):  # a new connection each: both workers take some
            sid = requests.post(f"{base}/v1/scenarios", json=_example("hand_check"), timeout=30)
            started = requests.post(f"{base}/v1/scenarios/{sid.json()['id']}/optimise", timeout=30)
            assert started.status_code == 202, started.text
            jobs.append(started.json()["id"])

        def get(path: str) -> dict[str, Any]:
            out: dict[str, Any] = requests.get(base + path, timeout=30).json()
            return out

        done = [_wait(get, job, lambda j: j["state"] not in ACTIVE, 120) for job in jobs]
        assert [j["state"] for j in done] == ["done"] * len(jobs), done
        assert len({json.dumps(j["result"]["menu"], sort_keys=True) for j in done}) == 1
        children = supervisor.children()
        clusters = [p for p in children if "maasmix.api.jobs.cluster" in " ".join(p.cmdline())]
        workers = [p for p in children if p not in clusters]
        assert len(clusters) == 1 and len(workers) == 2
        assert all(w.children() == [] for w in workers)  # no private cluster in a worker
        metrics = requests.get(f"{base}/metrics", timeout=30).text
        assert f'maasmix_jobs{{state="done"}} {float(len(jobs))}' in metrics.splitlines()
    assert not clusters[0].is_running() or clusters[0].status() == psutil.STATUS_ZOMBIE
