"""pyvalhalla answering walking and cycling routes on the OSM extract maasmix reads.

Run with the peers' interpreter (``build/peers-venv``, Python >= 3.12: the pyvalhalla
wheels that ship ``valhalla_build_tiles`` need it)::

    build/peers-venv/bin/python benchmarks/peers/valhalla_peer.py < job.json

Job: ``{"osm": path, "work": folder for the tiles, "costings": ["pedestrian",
"bicycle"], "pairs": {costing: [[lat, lon, lat, lon], ...]}}``. The tiles are built from
the extract into ``work`` (no admin or timezone database, no elevation: fully offline),
then each pair is routed with ``Actor.route`` (``directions_type: none``). Prints one JSON
line: ``{"status", "version", "build_s", "tiles_bytes", "results": {costing: {"times",
"length_m", "time_s"}}}``; a pair Valhalla cannot route gets nulls.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    job = json.loads(sys.stdin.read())
    try:
        import valhalla
        from valhalla._scripts import PYVALHALLA_BIN_DIR
    except ImportError as exc:
        print(json.dumps({"status": f"not installed ({exc})"}))
        return
    work = Path(job["work"])
    work.mkdir(parents=True, exist_ok=True)
    tiles = work / "tiles"
    tiles.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "valhalla.valhalla_build_config",
            "--mjolnir-tile-dir",
            str(tiles),
            "--mjolnir-tile-extract",
            str(work / "tiles.tar"),
            "--mjolnir-admin",
            str(work / "admins.sqlite"),
            "--mjolnir-timezone",
            str(work / "timezones.sqlite"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        print(json.dumps({"status": f"config failed: {made.stderr.strip()[-300:]}"}))
        return
    config = json.loads(made.stdout)
    config["mjolnir"]["logging"] = {"type": "std_out", "color": False}
    config_path = work / "valhalla.json"
    config_path.write_text(json.dumps(config))
    started = time.perf_counter()
    build = subprocess.run(
        [str(PYVALHALLA_BIN_DIR / "valhalla_build_tiles"), "-c", str(config_path), job["osm"]],
        capture_output=True,
        text=True,
        check=False,
    )
    build_s = time.perf_counter() - started
    if build.returncode != 0:
        tail = (build.stderr or build.stdout).strip()[-600:]
        print(json.dumps({"status": f"tile build failed (exit {build.returncode})", "error": tail}))
        return
    tiles_bytes = sum(p.stat().st_size for p in tiles.rglob("*") if p.is_file())
    actor = valhalla.Actor(str(config_path))
    results = {}
    for costing in job["costings"]:
        times: list[float | None] = []
        length_m: list[float | None] = []
        time_s: list[float | None] = []
        for i, (la, lo, lb, lob) in enumerate(job["pairs"][costing]):
            request = json.dumps(
                {
                    "locations": [{"lat": la, "lon": lo}, {"lat": lb, "lon": lob}],
                    "costing": costing,
                    "directions_type": "none",
                }
            )
            if i == 0:
                _route(actor, request)  # warm-up: the first call loads tiles
            began = time.perf_counter()
            answer = _route(actor, request)
            elapsed = time.perf_counter() - began
            if answer is None:
                times.append(None)
                length_m.append(None)
                time_s.append(None)
            else:
                summary = answer["trip"]["summary"]
                times.append(elapsed)
                length_m.append(float(summary["length"]) * 1000.0)
                time_s.append(float(summary["time"]))
        results[costing] = {"times": times, "length_m": length_m, "time_s": time_s}
    print(
        json.dumps(
            {
                "status": "ok",
                "version": valhalla.__version__,
                "build_s": build_s,
                "tiles_bytes": tiles_bytes,
                "results": results,
            }
        )
    )


def _route(actor: object, request: str) -> dict | None:
    try:
        return json.loads(actor.route(request))  # type: ignore[attr-defined]
    except RuntimeError:
        return None


if __name__ == "__main__":
    main()
