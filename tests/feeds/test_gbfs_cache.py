"""The cached GBFS load gives the same snapshot, and a changed file is a new snapshot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from maasmix.feeds.gbfs import load_gbfs, load_gbfs_cached


def test_cached_load_equals_fresh_load(dataset: Any, tmp_path: Path) -> None:
    folder = dataset("gbfs-bay-area-baywheels")
    fresh = load_gbfs(folder)
    first = load_gbfs_cached(folder, cache_dir=tmp_path / "cache")
    second = load_gbfs_cached(folder, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 1
    for snap in (first, second):
        pd.testing.assert_frame_equal(snap.stations, fresh.stations)
        pd.testing.assert_frame_equal(snap.vehicles, fresh.vehicles)


def test_changed_snapshot_is_reloaded(dataset: Any, tmp_path: Path) -> None:
    folder = tmp_path / "lillestrom"
    shutil.copytree(dataset("gbfs-lillestrom-bysykkel"), folder)
    before = load_gbfs_cached(folder, cache_dir=tmp_path / "cache")
    status_file = folder / "station_status.json"
    status = json.loads(status_file.read_text(encoding="utf-8"))
    status["data"]["stations"][0]["num_bikes_available"] += 1
    status_file.write_text(json.dumps(status), encoding="utf-8")
    after = load_gbfs_cached(folder, cache_dir=tmp_path / "cache")
    assert (
        after.stations["num_vehicles_available"].sum()
        == before.stations["num_vehicles_available"].sum() + 1
    )
