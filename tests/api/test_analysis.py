"""Analyses in chunks: one process = 2 Dask workers = a resumed run; the
CLI commands write every format and fail in one line on bad input."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from maasmix.api.analysis import AnalysisSpec, run_chunks
from maasmix.api.cli import app
from maasmix.engine.matrix import travel_time_matrix
from maasmix.errors import FeedWarning, InputError
from maasmix.pricing.diary_jobs import NetworkArgs

pytestmark = pytest.mark.slow

runner = CliRunner()


@pytest.fixture(scope="module")
def args(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> NetworkArgs:
    a = NetworkArgs(
        gtfs=(str(dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")),),
        osm=None,
        gbfs=(),
        date="20220222",
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        a.build()  # compiled into the disk cache once; workers read it from there
    return a


def _points(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"z{i}" for i in range(n)],
            "lat": rng.uniform(60.160, 60.200, n),
            "lon": rng.uniform(24.900, 24.980, n),
            "jobs": rng.integers(1, 100, n),
        }
    )


def test_workers_and_resume_give_the_same_matrix(args: NetworkArgs, tmp_path: Path) -> None:
    origins, dests = _points(12, 1), _points(30, 2)
    spec = AnalysisSpec(departure="08:00", window=10, percentiles=(25.0, 50.0), max_time=45)
    alone = run_chunks(args, spec, origins, dests, tmp_path / "w0", chunk_origins=5)
    assert alone.chunks == 3 and alone.chunks_resumed == 0 and alone.workers == 0
    net = args.build()
    direct = travel_time_matrix(net, origins, dests, "08:00", 10, [25, 50], max_time=45)
    pd.testing.assert_frame_equal(alone.frame, direct)
    assert alone.frame["travel_time_p50"].notna().mean() > 0.5
    # two Dask worker processes, each building the network from the disk cache
    run = run_chunks(args, spec, origins, dests, tmp_path / "w2", chunk_origins=5, workers=2)
    assert run.workers == 2
    pd.testing.assert_frame_equal(run.frame, alone.frame)
    # an interrupted run: one chunk missing on disk is all that is computed again
    (tmp_path / "w0" / "chunk-00001.parquet").unlink()
    again = run_chunks(args, spec, origins, dests, tmp_path / "w0", chunk_origins=5)
    assert again.chunks_resumed == 2
    pd.testing.assert_frame_equal(again.frame, alone.frame)
    # the folder of another analysis is not mixed in
    other = AnalysisSpec(departure="08:00", window=20, max_time=45)
    with pytest.raises(InputError, match="different analysis"):
        run_chunks(args, other, origins, dests, tmp_path / "w0", chunk_origins=5)


def test_cli_writes_every_format(args: NetworkArgs, tmp_path: Path) -> None:
    pts = _points(6, 3)
    csv = tmp_path / "pts.csv"
    pts.to_csv(csv, index=False)
    base = ["--gtfs", args.gtfs[0], "--at", "2022-02-22T08:00", "--cache-dir", str(args.cache_dir)]
    for suffix in (".csv", ".parquet", ".geojson", ".png", ".html"):
        out = tmp_path / f"m{suffix}"
        r = runner.invoke(app, ["matrix", *base, "--origins", str(csv), "--window", "5",
                                "--out", str(out)])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert out.stat().st_size > 0
        assert not out.with_name(out.name + ".parts").exists()
    table = pd.read_csv(tmp_path / "m.csv", dtype={"from_id": str, "to_id": str})
    assert len(table) == 36 and list(table.columns)[:3] == ["from_id", "to_id", "travel_time_p50"]
    features = json.loads((tmp_path / "m.geojson").read_text())["features"]
    assert len(features) == 6 and features[0]["geometry"]["type"] == "Point"
    out = tmp_path / "a.parquet"
    r = runner.invoke(app, ["accessibility", *base, "--origins", str(csv), "--destinations",
                            str(csv), "--cutoffs", "10,20", "--window", "5",
                            "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    acc = pd.read_parquet(out)
    assert len(acc) == 12 and (acc["accessibility"] <= pts["jobs"].sum()).all()
    out = tmp_path / "i.geojson"
    r = runner.invoke(app, ["isochrones", *base, "--from", "60.1700,24.9410", "--cutoffs", "10,20",
                            "--window", "2", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    iso = json.loads(out.read_text())
    assert [f["properties"]["travel_time"] for f in iso["features"]] == [20, 10]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--window", "0"], "window"),
        (["--window", "4320"], "window"),
        (["--percentiles", "50,120"], "percentiles"),
        (["--h3", "15"], "h3_resolution"),
    ],
)
def test_cli_bad_input_is_one_line(
    args: NetworkArgs, tmp_path: Path, extra: list[str], message: str
) -> None:
    csv = tmp_path / "pts.csv"
    _points(3, 4).to_csv(csv, index=False)
    source = [] if "--h3" in extra else ["--origins", str(csv)]
    r = runner.invoke(app, ["matrix", "--gtfs", args.gtfs[0], "--at", "2022-02-22T08:00",
                            "--cache-dir", str(args.cache_dir), *source, *extra,
                            "--out", str(tmp_path / "x.csv")])  # fmt: skip
    assert r.exit_code == 2
    assert r.output.startswith("error: ") and message in r.output
    assert r.output.count("\n") == 1
