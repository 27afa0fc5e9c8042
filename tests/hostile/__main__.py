"""``python -m tests.hostile WORKDIR``: every row of the hostile-input table, measured.

Each case runs in its own subprocess (`tests.hostile.measure`); one line per case:
exit status (or HTTP statuses), peak resident memory, seconds, the last line it printed.
Reads the shared feeds from ``MAASMIX_DATA`` (default ``../shared/data``).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from tests.hostile import (
    ROOT,
    blank_shapes,
    maasmix,
    measure,
    scenario_with_grid,
    wide_header,
    wide_row,
)

HTTP = textwrap.dedent(
    """
    import json, sys, threading, time, warnings
    from pathlib import Path
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
    from maasmix.api.app import app
    from maasmix.api.routes import route
    from maasmix.api.settings import Settings, get_settings

    data, cache, case = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    app.dependency_overrides[get_settings] = lambda: Settings(data=data, cache_dir=cache, **extra)
    client = TestClient(app)
    Q = {"feed": "gtfs-bay-area/bart.zip", "date": "20180601", "from": "12TH", "to": "SFIA"}
    out = []
    started = time.monotonic()
    if case == "get":
        for params in json.loads(sys.argv[5]):
            r = client.get(sys.argv[6], params={**Q, **params})
            out.append([r.status_code, r.headers.get("content-type"), r.text[:150]])
    elif case == "post":
        r = client.post(sys.argv[5], json=json.loads(sys.argv[6]))
        out.append([r.status_code, r.headers.get("content-type"), r.text[:150]])
    elif case in ("fifty", "walk"):
        statuses = []
        def ask(i):
            p = {**Q, "at": "08:00"}
            if case == "walk":
                p["max_walk_m"] = 4999 + (i % 4 + 1) / 10
            statuses.append(client.get("/v1/route/journeys", params=p).status_code)
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(50)]
        for t in threads: t.start()
        for t in threads: t.join()
        out.append({"builds": route._routers.builds, "statuses": sorted(set(statuses)),
                    "cache_entries": len(list(cache.glob("*.pkl")))})
    elif case == "openapi":
        spec = client.get("/openapi.json").json()
        media = {m for item in spec["paths"].values() for op in item.values()
                 for s, resp in op["responses"].items() if s[0] in "45"
                 for m in resp.get("content", {})}
        r = client.put("/v1/route/journeys")
        out.append({"4xx/5xx media types": sorted(media), "405 Allow": r.headers.get("allow")})
    print(json.dumps({"seconds": round(time.monotonic() - started, 2), "out": out}))
    """
)


def http(data: Path, cache: Path, *args: str) -> str:
    outcome = measure([sys.executable, "-c", HTTP, str(data), str(cache), *args], timeout_s=300)
    last = (outcome.stdout.strip().splitlines() or [outcome.stderr[-300:]])[-1]
    return f"exit {outcome.returncode}, {outcome.peak_mib:.0f} MiB, {outcome.seconds:.1f} s: {last}"


def main() -> None:
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/maasmix-hostile")
    work.mkdir(parents=True, exist_ok=True)
    data = Path(os.environ.get("MAASMIX_DATA", ROOT.parent / "shared" / "data")).resolve()
    bart = data / "gtfs-bay-area" / "bart.zip"
    cache = work / "cache"
    rows: list[tuple[str, str]] = []

    def row(name: str, line: str) -> None:
        rows.append((name, line))
        print(f"{name}\n    {line}", flush=True)

    for n in (100_000, 1_000_000):
        feed = wide_row(bart, work / f"row-{n}.zip", n)
        row(
            f"stops.txt row + {n} commas ({feed.stat().st_size // 1024} KB zip): feeds inspect",
            maasmix("feeds", "inspect", str(feed)).line(),
        )
        feed = wide_header(bart, work / f"header-{n}.zip", n)
        row(
            f"stops.txt header of {n} columns: feeds inspect",
            maasmix("feeds", "inspect", str(feed)).line(),
        )
    bomb = blank_shapes(bart, work / "shapes-1g.zip", (1 << 30) - (1 << 20))
    row(
        f"1 GiB blank shapes.txt ({bomb.stat().st_size / 1e6:.1f} MB zip): feeds inspect",
        maasmix("feeds", "inspect", str(bomb)).line(),
    )
    route = ["--date", "20180601", "--from", "12TH", "--to", "SFIA", "--at", "08:00"]
    row(
        "1 GiB blank shapes.txt: route (shapes not needed)",
        maasmix("route", str(bomb), *route, "--cache-dir", str(work / "c1")).line(),
    )

    grids = {
        "10^8 levels {0, 1e6, 0.01}": {"min": 0, "max": 1_000_000, "step": 0.01},
        "max 1e300": {"min": 0, "max": 1e300, "step": 1},
        "10^6 levels {0, 1e4, 0.01}": {"min": 0, "max": 10_000, "step": 0.01},
    }
    for name, grid in grids.items():
        path = scenario_with_grid(work / "scenario.yaml", grid)
        row(
            f"price grid {name}: bundles validate", maasmix("bundles", "validate", str(path)).line()
        )
        row(
            f"price grid {name}: bundles optimise --time-limit 5",
            maasmix("bundles", "optimise", str(path), "--time-limit", "5").line(),
        )
        import yaml

        body = json.dumps({"scenario": yaml.safe_load(path.read_text()), "time_limit_s": 5})
        row(
            f"price grid {name}: POST /v1/bundles/optimise",
            http(data, cache, "post", "{}", "/v1/bundles/optimise", body),
        )

    hostile_yaml = {
        "[ nested 200000 deep": "[" * 200_000 + "]" * 200_000,
        "'- ' nested 100000 deep": "- " * 100_000 + "x\n",
        "an alias": "a: &x [1]\nb: *x\n",
        "a 5000-digit integer": "a: " + "9" * 5000 + "\n",
    }
    for name, text in hostile_yaml.items():
        path = work / "hostile-scenario.yaml"
        path.write_text(text, encoding="utf-8")
        outcome = maasmix("bundles", "validate", str(path))
        row(f"scenario YAML, {name}: bundles validate", outcome.line())
    names = [{"source": s} for s in ("", ".", "..", "/etc/passwd", str(data), "gtfs-bay-area/")]
    row(
        "'', '.', '..', /etc/passwd, the data folder, a trailing '/': GET /v1/feeds/inspect",
        http(data, cache, "get", "{}", json.dumps(names), "/v1/feeds/inspect"),
    )

    for at in ("-3600", "²:00", "1e30"):
        row(
            f"--at {at}: route",
            maasmix("route", str(bart), *route[:-1], at, "--cache-dir", str(work / "c2")).line(),
        )
    queries = [
        {"at": "-3600"},
        {"at": "²:00"},
        {"at": "1e30"},
        {"at": "8:00", "feed": "gtfs-bay-area/\u0000bart.zip"},
        {"at": "8:00", "feed": "x" * 300},
    ]
    row(
        "at=-3600, at=²:00, at=1e30, NUL in feed, 300-char name: GET /v1/route/journeys",
        http(data, cache, "get", "{}", json.dumps(queries), "/v1/route/journeys"),
    )
    windows = [{"start": "-240:00:00", "end": "08:00"}, {"start": "08:00", "end": "1e30"}]
    row(
        "profile window -240:00:00 / 1e30: GET /v1/route/profile",
        http(data, cache, "get", "{}", json.dumps(windows), "/v1/route/profile"),
    )
    offset = {
        "feed": "gtfs-bay-area/bart.zip",
        "date": "20180601",
        "from": {"12TH": 10**12},
        "to": "SFIA",
        "at": "08:00",
    }
    row(
        "origin offset 10^12 s: POST /v1/route/journeys",
        http(data, cache, "post", "{}", "/v1/route/journeys", json.dumps(offset)),
    )
    urls = [
        {"source": u}
        for u in (
            "http://127.0.0.1:9/gbfs.json",
            "http://2130706433/x.zip",
            "http://localhost/x",
            "file:///etc/passwd",
        )
    ]
    row(
        "loopback / 2130706433 / localhost / file: as source: GET /v1/feeds/inspect",
        http(data, cache, "get", "{}", json.dumps(urls), "/v1/feeds/inspect"),
    )
    row(
        "same, loopback listed in MAASMIX_REMOTE_SOURCES",
        http(
            data,
            cache,
            "get",
            json.dumps({"remote_sources": ["127.0.0.1", "localhost"]}),
            json.dumps(urls[:1]),
            "/v1/feeds/inspect",
        ),
    )
    row(
        "50 simultaneous first requests, one feed: GET /v1/route/journeys",
        http(data, work / "c3", "fifty"),
    )
    row(
        "50 requests, max_walk_m 4999.1 .. 4999.4: GET /v1/route/journeys",
        http(data, work / "c4", "walk"),
    )
    row("OpenAPI media types of 4xx/5xx, 405 Allow", http(data, cache, "openapi"))


if __name__ == "__main__":
    main()
