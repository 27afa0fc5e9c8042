"""Isochrones: each contains exactly the sample points the matrix reaches within its cutoff
(street graph: exactly, up to a second; crow-fly: up to the H3 cell's size)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from maasmix import defaults
from maasmix.engine._raptor_kernel import INF
from maasmix.engine.isochrones import Isochrones, isochrones, to_geojson
from maasmix.engine.matrix import MatrixSearch
from maasmix.engine.network import Network
from maasmix.errors import FeedWarning, QueryError

pytestmark = pytest.mark.slow

ORIGIN = (60.1700, 24.9410)
CUTOFFS = [5, 10, 15]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _load(dataset: Callable[..., Path], cache: Path, osm: bool) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf") if osm else None,
            date="20220222",
            cache_dir=cache,
        )


def _sample(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "lat": rng.uniform(60.1650, 60.1785, n),
            "lon": rng.uniform(24.9360, 24.9525, n),
        }
    )


def _median_secs(net: Network, pts: pd.DataFrame) -> np.ndarray:
    """The matrix's median seconds from ORIGIN over 08:00-08:10, walking as far as the
    cutoff allows at both ends."""
    s = MatrixSearch(net, pts, departure_s=8 * 3600, window_s=600, max_time_s=15 * 60,
                     max_access_walk_s=15 * 60, max_egress_walk_s=15 * 60)  # fmt: skip
    times, _ = s.times(*ORIGIN)
    ordered = np.sort(times, axis=1)[:, 4].astype(np.float64)  # 5th of 10: the median
    ordered[ordered >= INF] = np.inf
    return ordered


def test_street_isochrones_hold_exactly_the_points_reached(
    dataset: Callable[..., Path], cache: Path
) -> None:
    net = _load(dataset, cache, osm=True)
    gdf = isochrones(net, [ORIGIN], "08:00", 10, cutoffs=CUTOFFS)
    assert gdf["travel_time"].tolist() == CUTOFFS and gdf.crs.to_epsg() == 4326
    pts = _sample()
    secs = _median_secs(net, pts)
    counts = []
    for c, geom in zip(CUTOFFS, gdf.geometry, strict=True):
        inside = shapely.contains_xy(geom, pts["lon"], pts["lat"])
        clear = np.abs(secs - c * 60) > 2  # rounding to whole seconds at the boundary
        np.testing.assert_array_equal(inside[clear], (secs <= c * 60)[clear])
        counts.append(int(inside.sum()))
    assert counts[0] < counts[1] < counts[2]  # the sample sees the areas grow


def test_crow_fly_isochrones_within_the_cells_size(
    dataset: Callable[..., Path], cache: Path
) -> None:
    net = _load(dataset, cache, osm=False)
    res = 10
    gdf = isochrones(net, [ORIGIN], "08:00", 10, cutoffs=CUTOFFS, resolution=res)
    pts = _sample()
    secs = _median_secs(net, pts)
    cn = net.compiled
    tol = 2 * h3.average_hexagon_edge_length(res, unit="m") * 1.2 * cn.detour_factor
    tol = tol / cn.walk_speed + 2
    for c, geom in zip(CUTOFFS, gdf.geometry, strict=True):
        inside = shapely.contains_xy(geom, pts["lon"], pts["lat"])
        assert (secs[inside] <= c * 60 + tol).all()
        assert inside[secs <= c * 60 - tol].all()
        assert inside.sum() > 0


def test_geojson_is_rfc7946(dataset: Callable[..., Path], cache: Path) -> None:
    net = _load(dataset, cache, osm=True)
    iso = Isochrones(net, [ORIGIN], departure="08:00", window=2, cutoffs=[5])
    data = json.loads(iso.geojson)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    feature = data["features"][0]
    assert feature["properties"] == {"id": "0", "travel_time": 5}
    ring = shapely.geometry.shape(feature["geometry"])
    lon, lat = ring.centroid.x, ring.centroid.y
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.2  # (lon, lat) order
    assert to_geojson(iso.gdf) == iso.geojson


@pytest.mark.parametrize("cutoffs", [[], [0], [15.5], [2000]])
def test_bad_cutoffs(dataset: Callable[..., Path], cache: Path, cutoffs: list[float]) -> None:
    net = _load(dataset, cache, osm=False)
    with pytest.raises(QueryError) as err:
        isochrones(net, [ORIGIN], cutoffs=cutoffs)
    assert err.value.parameter == "cutoffs"


def test_own_bike_is_refused_naming_the_field(dataset: Callable[..., Path], cache: Path) -> None:
    net = _load(dataset, cache, osm=False)
    with pytest.raises(QueryError, match="BICYCLE") as err:
        isochrones(net, [ORIGIN], access_modes=["WALK", "bicycle"])
    assert err.value.parameter == "access_modes"


def test_around_the_streets_edge_only_what_snaps(dataset: Callable[..., Path], cache: Path) -> None:
    """Beyond the OSM extract's edge a point is reached only within `MAX_SNAP_M` of a street
    node (the matrix's snapping), not as far as the remaining walk would go."""
    net = _load(dataset, cache, osm=True)
    walk = net.compiled.walk
    assert walk is not None
    gdf = isochrones(net, [ORIGIN], "08:00", 10, cutoffs=[30])
    rng = np.random.default_rng(11)
    south, north = float(walk.lat.min()) - 0.03, float(walk.lat.max()) + 0.03
    west, east = float(walk.lon.min()) - 0.05, float(walk.lon.max()) + 0.05
    pts = pd.DataFrame({"id": [str(i) for i in range(400)],
                        "lat": rng.uniform(south, north, 400),
                        "lon": rng.uniform(west, east, 400)})  # fmt: skip
    s = MatrixSearch(net, pts, departure_s=8 * 3600, window_s=600, max_time_s=30 * 60,
                     max_access_walk_s=30 * 60, max_egress_walk_s=30 * 60)  # fmt: skip
    times, _ = s.times(*ORIGIN)
    secs = np.sort(times, axis=1)[:, 4].astype(np.float64)
    secs[secs >= INF] = np.inf
    inside = shapely.contains_xy(gdf.geometry.iloc[0], pts["lon"], pts["lat"])
    # clear of the boundaries: 2 s of rounding, and 10 m at the snapping distance (the
    # disks are polygons of 32 sides, and projected metres are not quite haversine ones)
    clear = (np.abs(secs - 30 * 60) > 2) & (np.abs(s.dest.link_m - defaults.MAX_SNAP_M) > 10)
    np.testing.assert_array_equal(inside[clear], (secs <= 30 * 60)[clear])
    off = s.dest.node == -2  # beyond MAX_SNAP_M of every node: never inside
    assert off.sum() > 20 and not inside[off].any() and inside.sum() > 20
