"""`feeds.osm.load_osm` on every shared OSM extract, checked against its SOURCE.md profile."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from maasmix.feeds import FeedFormatError, FeedWarning
from maasmix.feeds.osm import StreetGraph, StreetNetwork, load_osm

EXTRACTS = [
    pytest.param("osm-helsinki", "Helsinki.osm.pbf", id="helsinki"),
    pytest.param("osm-milan", "milan_italy_small.osm.pbf", id="milan", marks=pytest.mark.slow),
    pytest.param("osm-portland", "portland-central-filtered.osm.pbf", id="portland-central"),
    pytest.param("osm-portland", "portland_small.osm.pbf", id="portland-small"),
    pytest.param("osm-sao-paulo", "spo_osm.pbf", id="sao-paulo"),
    pytest.param("osm-oslo-east", "oslo-east-filtered.osm.pbf", id="oslo-east"),
    pytest.param("osm-bay-area-west-oakland", "West-Oakland.osm.pbf", id="west-oakland"),
]


@dataclass(frozen=True)
class Profile:
    """What a SOURCE.md profile line states about one file."""

    nodes: int
    ways: int
    highway_ways: int
    bbox: tuple[float, float, float, float]  # min_lat, min_lon, max_lat, max_lon


def read_profile(source_md: Path, filename: str) -> Profile:
    """Parse ``- <file>: nodes=.., ways=.. (highway=.., ...), ..., data bbox (...)=[...]``."""
    for line in source_md.read_text(encoding="utf-8").splitlines():
        if not line.startswith(f"- {filename}:"):
            continue
        counts = re.search(r"nodes=(\d+), ways=(\d+) \(highway=(\d+)", line)
        box = re.search(r"data bbox \(minlon,minlat,maxlon,maxlat\)=\[([^\]]+)\]", line)
        assert counts and box, f"unparsed profile line in {source_md}: {line}"
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in box.group(1).split(","))
        nodes, ways, highway = (int(v) for v in counts.groups())
        return Profile(nodes, ways, highway, (min_lat, min_lon, max_lat, max_lon))
    raise AssertionError(f"no profile for {filename} in {source_md}")


def load_recording_warnings(path: Path) -> tuple[StreetNetwork, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        net = load_osm(path)
    return net, record


def check_graph(graph: StreetGraph, *, two_way: bool) -> None:
    nodes, edges = graph.nodes, graph.edges
    n = len(nodes)
    assert n > 0
    assert len(edges) > 0
    assert nodes["osm_id"].is_unique
    assert nodes["osm_id"].is_monotonic_increasing
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    assert u.dtype == np.int32
    assert v.dtype == np.int32
    assert u.min() >= 0
    assert np.union1d(u, v).size == n  # no isolated nodes
    assert (u != v).all()
    # A collapsed polyline is never shorter than the chord between its ends (0.1 mm slack).
    lat = nodes["lat"].to_numpy()
    lon = nodes["lon"].to_numpy()
    chord = _haversine(lat[u], lon[u], lat[v], lon[v])
    length = edges["length_m"].to_numpy()
    # Zero only between distinct OSM nodes mapped at the same position (real in Milan, Portland).
    assert (length >= 0).all()
    assert (length[length == 0] == chord[length == 0]).all()
    assert (length >= chord - 1e-4).all()
    if two_way:
        forward = set(zip(u.tolist(), v.tolist(), edges["osm_way_id"].tolist(), strict=True))
        backward = {(b, a, w) for a, b, w in forward}
        assert forward == backward
    # Snapping a node's own position returns that node (or a co-located one) at 0 m.
    sample = np.linspace(0, n - 1, num=min(n, 50)).astype(int)
    index, dist = graph.nearest_nodes(lat[sample], lon[sample])
    assert dist.max() == 0.0
    assert (lat[index] == lat[sample]).all()


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


@pytest.mark.parametrize(("folder", "filename"), EXTRACTS)
def test_extract_loads(dataset: Callable[..., Path], folder: str, filename: str) -> None:
    path = dataset(folder, filename)
    profile = read_profile(dataset(folder, "SOURCE.md"), filename)
    net, record = load_recording_warnings(path)

    assert net.ways_read == profile.ways
    assert net.highway_ways_read == profile.highway_ways
    assert 0 < net.routable_ways <= profile.highway_ways
    assert 0 < net.osm_nodes_used <= profile.nodes

    min_lon, min_lat, max_lon, max_lat = net.bbox
    p_min_lat, p_min_lon, p_max_lat, p_max_lon = profile.bbox
    eps = 1e-5  # the profile rounds to 5 decimals
    assert p_min_lat - eps <= min_lat < max_lat <= p_max_lat + eps
    assert p_min_lon - eps <= min_lon < max_lon <= p_max_lon + eps

    check_graph(net.walk, two_way=True)
    check_graph(net.bike, two_way=False)

    # One FeedWarning exactly when segments were dropped (clipped extracts), none otherwise.
    assert [type(w.message) for w in record] == ([FeedWarning] if net.missing_segments else [])
    if net.missing_segments:
        assert f"{net.missing_segments} way segment(s)" in str(record[0].message)

    summary = net.summary()
    assert summary["walk"]["edges"] == len(net.walk.edges)
    assert summary["bike"]["length_km"] > 0


def test_bz2_xml_and_pbf_of_west_oakland_agree(dataset: Callable[..., Path]) -> None:
    from_pbf = load_osm(dataset("osm-bay-area-west-oakland", "West-Oakland.osm.pbf"))
    from_bz2 = load_osm(dataset("osm-bay-area-west-oakland", "West-Oakland.osm.bz2"))
    assert from_bz2.walk.edges.equals(from_pbf.walk.edges)
    assert from_bz2.bike.nodes.equals(from_pbf.bike.nodes)
    assert from_bz2.bbox == from_pbf.bbox


def test_helsinki_is_clipped_and_warns(dataset: Callable[..., Path]) -> None:
    path = dataset("osm-helsinki", "Helsinki.osm.pbf")
    with pytest.warns(FeedWarning, match="missing from the extract") as record:
        net = load_osm(path)
    assert len(record) == 1
    assert net.missing_segments > 0


def test_truncated_real_pbf_is_a_format_error(dataset: Callable[..., Path], tmp_path: Path) -> None:
    data = dataset("osm-helsinki", "Helsinki.osm.pbf").read_bytes()
    cut = tmp_path / "Helsinki-cut.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(FeedFormatError, match=r"Helsinki-cut\.osm\.pbf"):
        load_osm(cut)
