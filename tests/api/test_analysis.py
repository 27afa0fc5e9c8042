"""Analyses in chunks: one process = 2 Dask workers = a resumed run; the
CLI commands write every format and fail in one line on bad input."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client
from typer.testing import CliRunner

from maasmix.api.analysis import AnalysisSpec, _key, run_chunks
from maasmix.api.cli import app
from maasmix.engine.accessibility import accessibility, compare
from maasmix.engine.matrix import travel_time_matrix
from maasmix.engine.network import Network
from maasmix.errors import FeedWarning, InputError
from maasmix.pricing.demand.jobs import NetworkArgs

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


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One local cluster of two single-threaded worker processes for the whole module
    (starting one costs seconds); the runs reach it by address, as ``--scheduler`` does."""
    import dask
    from distributed import LocalCluster

    # forked workers start with maasmix already imported (spawned ones import it again:
    # seconds each); each still builds its network itself from the disk cache
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        with warnings.catch_warnings():  # Python 3.12+ warns on forking a threaded process
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        with cluster:
            yield cluster.scheduler_address


def _worker_state() -> tuple[int, str | None]:
    """A worker's process id and the key of the analysis whose network it holds."""
    from maasmix.api import analysis

    return os.getpid(), analysis._WORKER.get("key")


def test_workers_and_resume_give_the_same_matrix(
    args: NetworkArgs, scheduler: str, tmp_path: Path
) -> None:
    origins, dests = _points(4, 1), _points(8, 2)  # two chunks: one per worker
    spec = AnalysisSpec(departure="08:00", window=10, percentiles=(25.0, 50.0), max_time=45)
    alone = run_chunks(args, spec, origins, dests, tmp_path / "w0", chunk_origins=2)
    assert alone.chunks == 2 and alone.chunks_resumed == 0 and alone.workers == 0
    net = args.build()
    direct = travel_time_matrix(net, origins, dests, "08:00", 10, [25, 50], max_time=45)
    pd.testing.assert_frame_equal(alone.frame, direct)
    assert alone.frame["travel_time_p50"].notna().mean() > 0.5
    # two Dask worker processes, each building the network from the disk cache
    run = run_chunks(args, spec, origins, dests, tmp_path / "w2", chunk_origins=2,
                     scheduler=scheduler)  # fmt: skip
    assert run.workers == 2 and run.chunks_resumed == 0
    pd.testing.assert_frame_equal(run.frame, alone.frame)
    with Client(scheduler) as client:  # the chunks ran in other processes, on their networks
        held = client.run(_worker_state)
    assert len(held) == 2 and all(pid != os.getpid() for pid, _ in held.values())
    assert _key(args, spec, dests) in {key for _, key in held.values()}
    # an interrupted run: one chunk missing on disk is all that is computed again
    (tmp_path / "w2" / "chunk-00001.parquet").unlink()
    again = run_chunks(args, spec, origins, dests, tmp_path / "w2", chunk_origins=2,
                       scheduler=scheduler)  # fmt: skip
    assert again.chunks_resumed == 1
    pd.testing.assert_frame_equal(again.frame, alone.frame)
    (tmp_path / "w0" / "chunk-00000.parquet").unlink()
    again = run_chunks(args, spec, origins, dests, tmp_path / "w0", chunk_origins=2)
    assert again.chunks_resumed == 1
    pd.testing.assert_frame_equal(again.frame, alone.frame)
    # the folder of another analysis is not mixed in
    other = AnalysisSpec(departure="08:00", window=20, max_time=45)
    with pytest.raises(InputError, match="different analysis"):
        run_chunks(args, other, origins, dests, tmp_path / "w0", chunk_origins=2)


def test_accessibility_on_workers_equals_one_process(
    args: NetworkArgs, scheduler: str, tmp_path: Path
) -> None:
    origins, dests = _points(4, 5), _points(8, 6)
    spec = AnalysisSpec(kind="accessibility", departure="08:00", window=5, max_time=40,
                        opportunities=("jobs",), cutoffs=(20.0, 40.0))  # fmt: skip
    run = run_chunks(args, spec, origins, dests, tmp_path / "a", chunk_origins=2,
                     scheduler=scheduler)  # fmt: skip
    assert run.workers == 2 and run.chunks == 2
    want = accessibility(args.build(), origins, dests, ["jobs"], "08:00", 5, cutoffs=[20, 40],
                         max_time=40)  # fmt: skip
    pd.testing.assert_frame_equal(
        run.frame.drop(columns=["lat", "lon"]), pd.DataFrame(want.drop(columns="geometry"))
    )
    np.testing.assert_allclose(run.frame["lat"], want.geometry.y)
    assert (run.frame["accessibility"] > 0).any()


def test_cli_writes_every_format(args: NetworkArgs, tmp_path: Path) -> None:
    pts = _points(6, 3)
    csv = tmp_path / "pts.csv"
    pts.to_csv(csv, index=False)
    base = ["--gtfs", args.gtfs[0], "--at", "2022-02-22T08:00", "--cache-dir", str(args.cache_dir)]
    for suffix in (".csv", ".parquet", ".geojson", ".png", ".html"):
        out = tmp_path / f"m{suffix}"
        r = runner.invoke(app, ["matrix", *base, "--origins", str(csv), "--window", "5",
                                "--max-time", "25",
                                "--out", str(out)])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert out.stat().st_size > 0
        assert not out.with_name(out.name + ".parts").exists()
    table = pd.read_csv(tmp_path / "m.csv", dtype={"from_id": str, "to_id": str})
    assert len(table) == 36 and list(table.columns)[:3] == ["from_id", "to_id", "travel_time_p50"]
    features = json.loads((tmp_path / "m.geojson").read_text())["features"]
    assert len(features) == 6 and features[0]["geometry"]["type"] == "Point"
    # each origin's median over the destinations, an unreached one as longer than any
    want = {}
    for origin, rows in table.groupby("from_id"):
        ordered = sorted(rows["travel_time_p50"].fillna(np.inf))
        mid = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
        want[origin] = None if mid == np.inf else mid
    assert table["travel_time_p50"].isna().any()
    for feature in features:
        got = feature["properties"]["median_travel_time_p50"]
        assert got == pytest.approx(want[feature["properties"]["id"]])
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
    # the maps say what they draw; the isochrones' legend is stepped at the cutoffs, with
    # plain numbers for the browser, and the origin is marked
    page = (tmp_path / "m.html").read_text()
    assert "<title>Median over 6 destinations of the travel_time_p50" in page
    out = tmp_path / "i.html"
    r = runner.invoke(app, ["isochrones", *base, "--from", "60.1700,24.9410", "--cutoffs", "10,20",
                            "--window", "2", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    page = out.read_text()
    assert ".tickValues([10, 20])" in page and "np.float64" not in page
    assert "Isochrones 10, 20 min from (60.1700, 24.9410)" in page
    assert "origin (60.17000, 24.94100)" in page


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


_LINE = (
    '{"type": "FeatureCollection", "features": ['
    '{"type": "Feature", "properties": {"id": "a"},'
    ' "geometry": {"type": "Point", "coordinates": [24.94, 60.17]}},'
    '{"type": "Feature", "properties": {"id": "b"},'
    ' "geometry": {"type": "LineString", "coordinates": [[24.94, 60.17], [24.95, 60.18]]}}]}'
)


@pytest.mark.parametrize("command", ["matrix", "accessibility", "accessibility-compare"])
@pytest.mark.parametrize(
    ("which", "content", "message"),
    [
        ("origins", "id,lat,lon\n", "no points: the table is empty (reading the origins)"),
        ("origins", _LINE, "field 'geometry': geometry must be a point, got LineString "
                           "(reading the origins)"),
        ("destinations", _LINE, "field 'geometry': geometry must be a point, got LineString "
                                "(reading the destinations)"),
    ],
)  # fmt: skip
def test_cli_bad_points_name_the_input(
    args: NetworkArgs, tmp_path: Path, command: str, which: str, content: str, message: str
) -> None:
    """An empty origins file or a geometry that is not a point: exit 2, one line naming
    the file, the field and which input it is, before any network is built."""
    good, bad = tmp_path / "good.csv", tmp_path / ("bad.csv" if "lat" in content else "bad.json")
    _points(3, 8).to_csv(good, index=False)
    bad.write_text(content)
    files = {"origins": good, "destinations": good, which: bad}
    extra = ["--gbfs-after", str(tmp_path)] if command == "accessibility-compare" else []
    r = runner.invoke(app, [command, "--gtfs", args.gtfs[0], "--at", "2022-02-22T08:00",
                            "--cache-dir", str(args.cache_dir), "--origins", str(files["origins"]),
                            "--destinations", str(files["destinations"]), *extra,
                            "--out", str(tmp_path / "x.csv")])  # fmt: skip
    assert r.exit_code == 2, r.output
    where = f"{bad}, line 1, " if "LineString" in message else f"{bad}: "
    assert r.output == f"error: {where}{message}\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--window", "0"], "window: "),
        (["--window", "4320"], "window: "),
        (["--percentile", "101"], "percentile"),
        (["--percentile", "-5"], "percentile"),
    ],
)
def test_cli_isochrones_bad_input_is_one_line(
    args: NetworkArgs, extra: list[str], message: str
) -> None:
    r = runner.invoke(app, ["isochrones", "--gtfs", args.gtfs[0], "--at", "2022-02-22T08:00",
                            "--cache-dir", str(args.cache_dir), "--from", "60.17,24.94",
                            *extra])  # fmt: skip
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: ") and message in r.output
    assert r.output.count("\n") == 1


def test_progress_bar_shows_chunks_done_and_time_left() -> None:
    """The bar of ``maasmix matrix`` on a terminal: chunks done of all and the time left,
    estimated from the chunks computed (not those resumed from disk)."""
    import io
    import time

    from rich.console import Console

    from maasmix.api.cli.analysis import progress_bar

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with progress_bar(console) as tick:
        tick(2, 10)  # two chunks resumed from disk
        time.sleep(0.3)
        tick(3, 10)
        time.sleep(1.0)
        tick(4, 10)  # one chunk a second since the first computed one
        time.sleep(0.3)  # a refresh (10 a second)
    shown = screen.getvalue().split("\r")[-2].replace("\x1b[2K", "").splitlines()[0]
    assert shown.startswith("chunks ") and shown.endswith(" 4/10 " + shown.split()[-2] + " left")
    # 6 chunks to go at 1 a second: 0:00:06 or a little more under load; counting the
    # resumed chunks as computed would say 0:00:03-4
    left = shown.split()[-2]
    assert left.startswith("0:00:0") and 6 <= int(left[-1]) <= 9, shown


def test_accessibility_compare_with_and_without_bay_wheels(
    dataset: Callable[..., Path], tmp_path: Path
) -> None:
    """``maasmix accessibility-compare``: BART + Caltrain, then with Bay Wheels; the table
    and the summary line are `compare` of the two accessibilities computed here."""
    gtfs = [dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")]
    gbfs = dataset("gbfs-bay-area-baywheels")
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        without = Network.from_files(gtfs=gtfs, date="20190305", cache_dir=cache)
        with_bikes = Network.from_files(gtfs=gtfs, gbfs=[gbfs], date="20190305", cache_dir=cache)
    stations = with_bikes.rentals[0]
    rng = np.random.default_rng(7)
    pick = rng.choice(len(stations.station_lat), 8, replace=False)
    pts = pd.DataFrame(
        {
            "id": [f"s{k}" for k in range(8)],
            "lat": stations.station_lat[pick] + rng.normal(0, 0.003, 8),
            "lon": stations.station_lon[pick] + rng.normal(0, 0.003, 8),
            "jobs": rng.integers(100, 1000, 8),
        }
    )
    csv = tmp_path / "pts.csv"
    pts.to_csv(csv, index=False)
    out = tmp_path / "diff.parquet"
    r = runner.invoke(app, ["accessibility-compare", "--gtfs", str(gtfs[0]), "--gtfs",
                            str(gtfs[1]), "--gbfs-after", str(gbfs), "--label", "Bay Wheels",
                            "--at", "2019-03-05T08:00", "--origins", str(csv), "--destinations",
                            str(csv), "--window", "10", "--cutoffs", "30", "--cache-dir",
                            str(cache), "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    when = "2019-03-05T08:00"
    modes = ["WALK", "RENTAL"]
    before = accessibility(without, pts, pts, "jobs", when, 10, cutoffs=[30],
                           access_modes=modes, egress_modes=modes)  # fmt: skip
    after = accessibility(with_bikes, pts, pts, "jobs", when, 10, cutoffs=[30],
                          access_modes=modes, egress_modes=modes)  # fmt: skip
    table, line = compare(before, after, label="Bay Wheels")
    assert r.stdout == line + "\n"
    assert line.startswith("Bay Wheels adds ") and "0 lose" in line
    got = pd.read_parquet(out)
    keys = ["id", "opportunity", "percentile", "cutoff", "before", "after", "difference"]
    pd.testing.assert_frame_equal(got[keys], pd.DataFrame(table)[keys], check_dtype=False)
    assert (got["difference"] > 0).any() and (got["difference"] >= 0).all()
    # the one-line summary's figures, recomputed from the table it summarises
    m0, m1 = float(np.median(got["before"])), float(np.median(got["after"]))
    gain, n = int((got["difference"] > 1e-9).sum()), len(got)
    assert m0 > 0 and gain > 0
    assert r.stdout == (
        f"Bay Wheels adds {(m1 - m0) / m0:.0%} more jobs reachable within 30 minutes "
        f"(median over {n} origins: {m0:,.0f} -> {m1:,.0f}; {gain} gain, 0 lose)\n"
    )
    assert not any(tmp_path.glob("diff.parquet.*.parts"))
    # the second network must differ from the first
    r = runner.invoke(app, ["accessibility-compare", "--gtfs", str(gtfs[0]), "--at", when,
                            "--origins", str(csv), "--destinations", str(csv),
                            "--out", str(out)])  # fmt: skip
    assert r.exit_code == 2 and "--gbfs-after" in r.output
