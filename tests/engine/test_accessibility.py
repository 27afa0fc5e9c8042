"""Accessibility equals the sum of weights x decay(matrix times), computed here."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maasmix.engine.accessibility import Accessibility, accessibility, compare, decay
from maasmix.engine.matrix import travel_time_matrix
from maasmix.engine.network import Network
from maasmix.errors import FeedWarning, QueryError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def net(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf"),
            date="20220222",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


def _points(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"x{i}" for i in range(n)],
            "lat": rng.uniform(60.1650, 60.1785, n),
            "lon": rng.uniform(24.9360, 24.9525, n),
            "jobs": rng.integers(0, 500, n),
            "schools": rng.integers(0, 3, n),
        }
    )


def _f(t: float, kind: str, c: float, v: float) -> float:
    """r5r's decay functions, written out for one travel time (minutes)."""
    if math.isnan(t):
        return 0.0
    if kind == "step":
        return 1.0 if t <= c else 0.0
    if kind == "linear":
        if t <= c - v / 2:
            return 1.0
        if t >= c + v / 2:
            return 0.0
        return (c + v / 2 - t) / v
    if kind == "logistic":
        return 1.0 / (1.0 + math.exp(math.pi * (t - c) / (v * math.sqrt(3))))
    return 0.5 ** (t / c)


@pytest.mark.parametrize(
    ("kind", "value"), [("step", None), ("linear", 6.0), ("logistic", 4.0), ("exponential", None)]
)
def test_equals_weights_times_decayed_matrix(net: Network, kind: str, value: float | None) -> None:
    origins = _points(5, 1)
    dests = _points(40, 2)
    cuts = [8, 12]
    acc = accessibility(net, origins, dests, ["jobs", "schools"], "08:00", 10, [25, 75], cuts,
                        kind, value, max_time=40)  # fmt: skip
    m = travel_time_matrix(net, origins, dests, "08:00", 10, [25, 75], max_time=40)
    assert len(acc) == 5 * 2 * 2 * 2 and acc.crs.to_epsg() == 4326
    nonzero = 0
    for _, row in acc.iterrows():
        rows = m[m["from_id"] == row["id"]].set_index("to_id").loc[dests["id"]]
        times = rows[f"travel_time_p{row['percentile']:g}"].to_numpy()
        weights = dests[row["opportunity"]].to_numpy()
        want = sum(
            float(w) * _f(float(t), kind, row["cutoff"], value or 0.0)
            for w, t in zip(weights, times, strict=True)
        )
        assert row["accessibility"] == pytest.approx(want, rel=1e-9, abs=1e-9)
        nonzero += want > 0
        o = origins.set_index("id").loc[row["id"]]
        assert (row.geometry.x, row.geometry.y) == (o["lon"], o["lat"])
    assert nonzero > len(acc) // 2


def test_decay_shapes() -> None:
    t = np.array([0.0, 10.0, 20.0, np.nan])
    assert decay(t, "step", 10).tolist() == [1, 1, 0, 0]
    assert decay(t, "linear", 10, 10).tolist() == [1, 0.5, 0, 0]
    assert decay(t, "logistic", 10, 5)[1] == 0.5
    assert decay(t, "exponential", 10).tolist() == [1, 0.5, 0.25, 0]


def test_bad_input(net: Network) -> None:
    pts = _points(3, 4)
    for kwargs, parameter in (
        ({"decay_function": "gauss"}, "decay_function"),
        ({"decay_function": "logistic", "decay_value": -1}, "decay_value"),
        ({"cutoffs": [0]}, "cutoffs"),
        ({"opportunities": ["people"]}, "opportunities"),
        ({"percentiles": [150]}, "percentiles"),
    ):
        with pytest.raises(QueryError) as err:
            Accessibility(net, pts, pts, window=2, **kwargs)
        assert err.value.parameter == parameter


def test_compare_two_networks(dataset: Callable[..., Path], tmp_path: Path) -> None:
    """Bay Wheels beside BART and Caltrain: the comparison's differences are the two
    accessibilities' and its summary line says so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        bay = Network.from_files(
            gtfs=[dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")],
            gbfs=[dataset("gbfs-bay-area-baywheels")],
            date="20190305",
            cache_dir=tmp_path,
        )
    r = bay.rentals[0]
    rng = np.random.default_rng(7)
    i = rng.choice(len(r.station_lat), 10, replace=False)
    pts = pd.DataFrame(
        {
            "id": [f"s{k}" for k in range(10)],
            "lat": r.station_lat[i] + rng.normal(0, 0.003, 10),
            "lon": r.station_lon[i] + rng.normal(0, 0.003, 10),
            "jobs": rng.integers(100, 1000, 10),
        }
    )
    when = "2019-03-05T08:00"
    walk = accessibility(bay, pts, pts, "jobs", when, 10, cutoffs=[30])
    shared = accessibility(bay, pts, pts, "jobs", when, 10, cutoffs=[30],
                           access_modes=["RENTAL"], egress_modes=["RENTAL"])  # fmt: skip
    diff, line = compare(walk, shared, label="Bay Wheels")
    np.testing.assert_allclose(diff["difference"], shared["accessibility"] - walk["accessibility"])
    assert (diff["difference"] >= 0).all() and (diff["difference"] > 0).any()
    before = float(np.median(walk["accessibility"]))
    after = float(np.median(shared["accessibility"]))
    gain = int((diff["difference"] > 0).sum())
    assert line == (
        f"Bay Wheels adds {(after - before) / before:.0%} more jobs reachable within 30 minutes "
        f"(median over 10 origins: {before:,.0f} -> {after:,.0f}; {gain} gain, 0 lose)"
    )
    with pytest.raises(QueryError):
        compare(walk, shared.iloc[:5])
