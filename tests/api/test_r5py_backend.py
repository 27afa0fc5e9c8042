"""The r5py backend: one line saying why it is unavailable; the same matrix as maasmix's
when R5 is present (skipped, with the reason, when it is not)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app
from maasmix.api.r5py_backend import MIN_JAVA, java_major, r5py_matrix, unavailable
from maasmix.errors import QueryError

runner = CliRunner()

#: Where a developer with R5 points the test at the jar (not a maasmix setting).
JAR = os.environ.get("MAASMIX_R5_JAR")


def test_reasons_are_one_line(tmp_path: Path) -> None:
    """Every missing piece is named in one line, in the order to fix them."""
    major = java_major()
    jar = tmp_path / "r5.jar"
    reason = unavailable(str(jar), None)
    assert reason is not None and "\n" not in reason
    want = []
    if importlib.util.find_spec("r5py") is None:
        want.append("r5py is not installed (pip install 'maasmix[r5]')")
    if major is None:
        want.append(f"no Java found on the PATH (R5 needs Java {MIN_JAVA}+)")
    elif major < MIN_JAVA:
        want.append(f"Java {major} found, R5 needs Java {MIN_JAVA}+")
    assert reason == "; ".join(
        [*want, f"R5 jar not found: {jar}", "R5 needs an OSM extract (--osm)"]
    )
    no_jar = unavailable(None, "x.osm.pbf")
    assert no_jar == "; ".join(
        [*want, "no R5 jar given (--r5-jar PATH; maasmix does not download one)"]
    )
    jar.write_bytes(b"")
    assert unavailable(str(jar), "x.osm.pbf") == ("; ".join(want) or None)


def test_cli_says_why_and_exits_2(dataset: Callable[..., Path], tmp_path: Path) -> None:
    csv = tmp_path / "pts.csv"
    pd.DataFrame({"id": ["a"], "lat": [60.17], "lon": [24.94]}).to_csv(csv, index=False)
    r = runner.invoke(app, [
        "matrix", "--gtfs", str(dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")),
        "--osm", str(dataset("osm-helsinki", "Helsinki.osm.pbf")), "--at", "2022-02-22T08:00",
        "--origins", str(csv), "--out", str(tmp_path / "m.csv"), "--backend", "r5py",
        "--r5-jar", str(tmp_path / "absent.jar"),
    ])  # fmt: skip
    assert r.exit_code == 2
    assert r.output.startswith("error: backend: r5py is unavailable: ")
    assert r.output.count("\n") == 1
    with pytest.raises(QueryError) as err:
        r5py_matrix([], "x.osm.pbf", pd.DataFrame(), pd.DataFrame(), pd.Timestamp(2022, 2, 22),
                     10, [50], 60, 8, str(tmp_path / "absent.jar"))  # fmt: skip
    assert err.value.parameter == "backend"


@pytest.mark.slow
def test_r5py_agrees_with_maasmix(dataset: Callable[..., Path], tmp_path: Path) -> None:
    reason = unavailable(JAR, "osm")
    if reason is not None:
        pytest.skip(f"r5py backend unavailable: {reason} (set MAASMIX_R5_JAR, Java {MIN_JAVA}+)")
    assert JAR is not None
    import datetime as dt

    from maasmix.engine.matrix import travel_time_matrix
    from maasmix.engine.network import Network

    gtfs = str(dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"))
    osm = str(dataset("osm-helsinki", "Helsinki.osm.pbf"))
    rng = np.random.default_rng(1)
    pts = pd.DataFrame({"id": [f"p{i}" for i in range(20)],
                        "lat": rng.uniform(60.1650, 60.1785, 20),
                        "lon": rng.uniform(24.9360, 24.9525, 20)})  # fmt: skip
    when = dt.datetime(2022, 2, 22, 8, 0)
    theirs = r5py_matrix([gtfs], osm, pts, pts, when, 10, [50], 45, 4, JAR)
    net = Network.from_files(gtfs=gtfs, osm=osm, date="20220222", cache_dir=tmp_path)
    ours = travel_time_matrix(net, pts, pts, when, 10, [50], max_time=45, max_rides=4)
    both = ours.merge(theirs, on=["from_id", "to_id"], suffixes=("", "_r5"))
    diff = (both["travel_time_p50"] - both["travel_time_p50_r5"]).abs()
    # different street models (R5 snaps to edges, rounds to minutes): close, not equal
    assert (diff <= 5).mean() >= 0.8
