"""`feeds.osm.load_osm` on tiny synthetic OSM files with exact expected graphs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import osmium
import pytest

from maasmix.feeds import FeedFormatError, FeedIntegrityError, FeedMissingError, FeedWarning
from maasmix.feeds.osm import StreetGraph, load_osm

Nodes = dict[int, tuple[float, float]]
Ways = dict[int, tuple[list[int], dict[str, str]]]

#: (lat, lon) of the synthetic nodes, around (60.0, 24.0).
NODES: Nodes = {
    1: (60.0000, 24.0000),
    2: (60.0003, 24.0008),  # interior of way 100 (collapsed)
    3: (60.0000, 24.0020),  # junction of ways 100..103
    4: (60.0010, 24.0020),
    5: (59.9990, 24.0020),
    6: (60.0000, 24.0030),
    7: (60.0020, 24.0000),
    8: (60.0020, 24.0010),
    9: (60.0030, 24.0000),
}
WAYS: Ways = {
    100: ([1, 2, 3], {"highway": "residential", "name": "A"}),
    101: ([3, 4], {"highway": "residential", "oneway": "yes"}),
    102: ([3, 5], {"highway": "footway"}),
    103: ([3, 6], {"highway": "residential", "oneway": "-1"}),
    104: ([7, 8], {"highway": "residential", "foot": "no"}),
    105: ([7, 9], {"highway": "service", "access": "private"}),
    106: ([8, 9], {"building": "yes"}),
}


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Independent haversine in metres (mean Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def write_osm(path: Path, nodes: Nodes, ways: Ways) -> Path:
    """Write an OSM XML file (pyosmium reads ``.osm``)."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for node_id, (lat, lon) in nodes.items():
        lines.append(f'  <node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for way_id, (refs, tags) in ways.items():
        lines.append(f'  <way id="{way_id}" version="1">')
        lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
        lines.extend(f'    <tag k="{key}" v="{value}"/>' for key, value in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def edge_set(graph: StreetGraph) -> set[tuple[int, int, int]]:
    """Edges as ``(osm id of u, osm id of v, way id)``."""
    osm = graph.nodes["osm_id"].to_numpy()
    e = graph.edges
    return {
        (int(osm[u]), int(osm[v]), int(w))
        for u, v, w in zip(e["u"], e["v"], e["osm_way_id"], strict=True)
    }


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "town.osm", NODES, WAYS)


def test_walk_graph_is_two_way_without_foot_no_private_or_buildings(town: Path) -> None:
    net = load_osm(town)
    assert set(net.walk.nodes["osm_id"]) == {1, 3, 4, 5, 6}
    assert edge_set(net.walk) == {
        (1, 3, 100), (3, 1, 100),
        (3, 4, 101), (4, 3, 101),
        (3, 5, 102), (5, 3, 102),
        (3, 6, 103), (6, 3, 103),
    }  # fmt: skip


def test_bike_graph_follows_oneway_and_skips_footway(town: Path) -> None:
    net = load_osm(town)
    assert set(net.bike.nodes["osm_id"]) == {1, 3, 4, 6, 7, 8}
    assert edge_set(net.bike) == {
        (1, 3, 100), (3, 1, 100),
        (3, 4, 101),
        (6, 3, 103),
        (7, 8, 104), (8, 7, 104),
    }  # fmt: skip


def test_lengths_are_haversine_sums_with_interior_node_collapsed(town: Path) -> None:
    net = load_osm(town)
    edges = net.walk.edges.set_index(["osm_way_id", "u"])
    osm = net.walk.nodes["osm_id"].to_numpy()
    first = int(np.flatnonzero(osm == 1)[0])
    expected = haversine(NODES[1], NODES[2]) + haversine(NODES[2], NODES[3])
    assert edges.loc[(100, first), "length_m"] == pytest.approx(expected, rel=1e-12)
    assert expected > haversine(NODES[1], NODES[3]) + 1.0  # the detour via node 2 counts
    footway = net.walk.edges[net.walk.edges["osm_way_id"] == 102]["length_m"]
    assert footway.to_numpy() == pytest.approx([haversine(NODES[3], NODES[5])] * 2, rel=1e-12)
    street = sum(haversine(NODES[a], NODES[b]) for a, b in [(1, 2), (2, 3), (3, 4), (3, 5), (3, 6)])
    assert net.walk.street_length_m == pytest.approx(street, rel=1e-12)
    assert net.walk.summary()["length_km"] == round(street / 1000, 3)


def test_tables_have_documented_columns_and_dtypes(town: Path) -> None:
    net = load_osm(town)
    for graph in (net.walk, net.bike):
        nodes, edges = graph.nodes, graph.edges
        assert list(nodes.columns) == ["osm_id", "lat", "lon"]
        assert nodes.index.name == "node"
        assert list(nodes.index) == list(range(len(nodes)))
        assert [str(t) for t in nodes.dtypes] == ["int64", "float64", "float64"]
        assert list(edges.columns) == ["u", "v", "length_m", "osm_way_id", "highway"]
        assert [str(t) for t in edges.dtypes[:4]] == ["int32", "int32", "float64", "int64"]
        assert all(isinstance(h, str) for h in edges["highway"])
    walk = net.walk.edges.set_index("osm_way_id")["highway"].to_dict()
    assert walk == {100: "residential", 101: "residential", 102: "footway", 103: "residential"}
    node3 = net.walk.nodes.set_index("osm_id").loc[3]
    assert (node3["lat"], node3["lon"]) == NODES[3]


def test_bbox_and_summary(town: Path) -> None:
    net = load_osm(town)
    lats = [NODES[n][0] for n in (1, 3, 4, 5, 6, 7, 8)]
    lons = [NODES[n][1] for n in (1, 3, 4, 5, 6, 7, 8)]
    assert net.bbox == (min(lons), min(lats), max(lons), max(lats))
    assert net.source == str(town)
    summary = net.summary()
    assert summary["osm"] == {
        "ways_read": 7,
        "highway_ways_read": 6,
        "routable_ways": 5,
        "nodes_used": 8,
        "missing_segments": 0,
    }
    assert (summary["walk"]["nodes"], summary["walk"]["edges"]) == (5, 8)
    assert summary["bike"]["nodes"] == 6
    assert summary["bike"]["edges"] == 6
    assert summary["bbox"] == list(net.bbox)
    assert json.loads(json.dumps(summary)) == summary
    assert load_osm(str(town)).summary() == summary  # a str path works the same


def test_junction_in_the_middle_of_a_way_splits_it(tmp_path: Path) -> None:
    nodes: Nodes = {1: (60.0, 24.0), 2: (60.0, 24.001), 3: (60.0, 24.002), 4: (60.001, 24.001)}
    ways: Ways = {
        10: ([1, 2, 3], {"highway": "residential"}),
        11: ([2, 4], {"highway": "footway"}),
    }
    net = load_osm(write_osm(tmp_path / "t.osm", nodes, ways))
    assert set(net.walk.nodes["osm_id"]) == {1, 2, 3, 4}
    assert {(u, v) for u, v, _ in edge_set(net.walk)} == {
        (1, 2), (2, 1), (2, 3), (3, 2), (2, 4), (4, 2),
    }  # fmt: skip
    # The bike graph does not use the footway, so node 2 is interior there.
    assert set(net.bike.nodes["osm_id"]) == {1, 3}
    assert edge_set(net.bike) == {(1, 3, 10), (3, 1, 10)}


def test_closed_way_splits_at_its_junctions_and_loops_are_dropped(tmp_path: Path) -> None:
    nodes: Nodes = {
        1: (60.0, 24.0),
        2: (60.0, 24.001),
        3: (60.001, 24.001),
        4: (60.001, 24.0),
        5: (59.999, 24.0),
        6: (60.002, 24.002),
    }
    ways: Ways = {
        # A roundabout-like ring 1-2-3-4-1 with one road at node 1 and one at node 3.
        20: ([1, 2, 3, 4, 1], {"highway": "tertiary", "junction": "roundabout"}),
        21: ([5, 1], {"highway": "tertiary"}),
        22: ([3, 6], {"highway": "tertiary"}),
        # A dead-end loop touching the network once (at node 6): no edges.
        23: ([6, 7, 8, 6], {"highway": "service"}),
    }
    nodes |= {7: (60.003, 24.002), 8: (60.003, 24.003)}
    net = load_osm(write_osm(tmp_path / "t.osm", nodes, ways))
    assert edge_set(net.bike) == {
        (1, 3, 20), (3, 1, 20),  # both halves of the ring, one-way for bikes
        (5, 1, 21), (1, 5, 21),
        (3, 6, 22), (6, 3, 22),
    }  # fmt: skip
    ring = net.bike.edges[net.bike.edges["osm_way_id"] == 20].sort_values("length_m")
    halves = sorted(
        [
            haversine(nodes[1], nodes[2]) + haversine(nodes[2], nodes[3]),
            haversine(nodes[3], nodes[4]) + haversine(nodes[4], nodes[1]),
        ]
    )
    assert ring["length_m"].to_numpy() == pytest.approx(halves, rel=1e-12)
    assert 23 not in set(net.walk.edges["osm_way_id"])


def test_repeated_consecutive_node_is_ignored(tmp_path: Path) -> None:
    nodes: Nodes = {1: (60.0, 24.0), 2: (60.0, 24.001), 3: (60.0, 24.002)}
    ways: Ways = {30: ([1, 2, 2, 3], {"highway": "residential"})}
    net = load_osm(write_osm(tmp_path / "t.osm", nodes, ways))
    assert edge_set(net.walk) == {(1, 3, 30), (3, 1, 30)}


def test_nearest_node_exact(town: Path) -> None:
    walk = load_osm(town).walk
    osm = walk.nodes["osm_id"].to_numpy()
    node, dist = walk.nearest_node(60.0001, 24.0021)
    assert osm[node] == 3
    assert dist == pytest.approx(haversine((60.0001, 24.0021), NODES[3]), rel=1e-12)
    # Node 2 is collapsed away, so a point on it snaps to node 1 or 3, whichever is nearer.
    node, dist = walk.nearest_node(*NODES[2])
    assert osm[node] == 1
    assert dist == pytest.approx(haversine(NODES[2], NODES[1]), rel=1e-12)
    node, dist = walk.nearest_node(*NODES[5])
    assert (osm[node], dist) == (5, 0.0)
    assert isinstance(node, int)


def test_nearest_nodes_vectorised_matches_scalar(town: Path) -> None:
    bike = load_osm(town).bike
    lats = np.array([60.0001, 60.0019, 59.9, 60.0009])
    lons = np.array([24.0021, 24.0011, 24.0, 24.0025])
    index, dist = bike.nearest_nodes(lats, lons)
    assert index.dtype == np.int32
    assert dist.dtype == np.float64
    for k in range(len(lats)):
        assert (int(index[k]), float(dist[k])) == bike.nearest_node(lats[k], lons[k])
    osm = bike.nodes["osm_id"].to_numpy()
    assert list(osm[index]) == [3, 8, 1, 4]


def test_nearest_nodes_rejects_bad_input(town: Path) -> None:
    walk = load_osm(town).walk
    with pytest.raises(ValueError, match="equal length"):
        walk.nearest_nodes([60.0, 60.1], [24.0])
    with pytest.raises(ValueError, match="finite"):
        walk.nearest_nodes([float("nan")], [24.0])


def test_pbf_gives_the_same_graph_as_xml(town: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "town.osm.pbf"
    _to_pbf(town, pbf)
    from_xml, from_pbf = load_osm(town), load_osm(pbf)
    assert from_pbf.source == str(pbf)
    assert edge_set(from_pbf.walk) == edge_set(from_xml.walk)
    assert edge_set(from_pbf.bike) == edge_set(from_xml.bike)
    assert from_pbf.walk.edges.equals(from_xml.walk.edges)


def _to_pbf(source: Path, target: Path) -> None:
    with osmium.SimpleWriter(str(target)) as writer:
        for obj in osmium.FileProcessor(str(source)):
            writer.add(obj)


# --- bad input -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(FeedMissingError) as info:
        load_osm(path)
    assert info.value.file == str(path)


def test_directory_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FeedFormatError, match="directory"):
        load_osm(tmp_path)


def test_truncated_pbf_names_the_file(town: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "whole.osm.pbf"
    _to_pbf(town, pbf)
    data = pbf.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) - 40])
    with pytest.raises(FeedFormatError) as info:
        load_osm(cut)
    assert info.value.file == str(cut)
    assert str(cut) in str(info.value)


def test_garbage_pbf_and_unknown_format(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00\x00\x01\x00" + b"not a protobuf blob" * 20)
    with pytest.raises(FeedFormatError, match=r"garbage\.osm\.pbf"):
        load_osm(garbage)
    unknown = tmp_path / "streets.dat"
    unknown.write_text("hello", encoding="utf-8")
    with pytest.raises(FeedFormatError, match="format"):
        load_osm(unknown)


def test_bad_xml_is_a_format_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm version='0.6'><node id='1' lat='60' lon='24'>", encoding="utf-8")
    with pytest.raises(FeedFormatError) as info:
        load_osm(bad)
    assert info.value.file == str(bad)


def test_no_routable_ways_is_an_integrity_error(tmp_path: Path) -> None:
    nodes: Nodes = {1: (60.0, 24.0), 2: (60.0, 24.001), 3: (60.001, 24.0)}
    ways: Ways = {
        1: ([1, 2], {"building": "yes"}),
        2: ([2, 3], {"highway": "construction"}),
        3: ([1, 3], {"highway": "motorway"}),
    }
    path = write_osm(tmp_path / "empty.osm", nodes, ways)
    with pytest.raises(FeedIntegrityError, match="no routable streets") as info:
        load_osm(path)
    assert info.value.file == str(path)
    assert "2 highway way(s) among 3 way(s)" in str(info.value)


def test_only_bike_ways_leaves_an_empty_walk_graph(tmp_path: Path) -> None:
    nodes: Nodes = {1: (60.0, 24.0), 2: (60.0, 24.001)}
    net = load_osm(write_osm(tmp_path / "c.osm", nodes, {1: ([1, 2], {"highway": "cycleway"})}))
    assert len(net.walk.nodes) == 0
    assert len(net.walk.edges) == 0
    assert list(net.walk.edges.columns) == ["u", "v", "length_m", "osm_way_id", "highway"]
    assert len(net.bike.edges) == 2
    with pytest.raises(ValueError, match="no nodes"):
        net.walk.nearest_node(60.0, 24.0)


def test_nodes_missing_from_a_clipped_extract_drop_segments_with_one_warning(
    tmp_path: Path,
) -> None:
    nodes: Nodes = {1: (60.0, 24.0), 2: (60.0, 24.001), 3: (60.0, 24.003), 4: (60.0, 24.0045)}
    ways: Ways = {
        40: ([1, 2, 99, 3, 4], {"highway": "residential"}),  # node 99 was clipped away
        41: ([98, 4], {"highway": "footway"}),
    }
    path = write_osm(tmp_path / "clipped.osm", nodes, ways)
    with pytest.warns(FeedWarning, match=r"3 way segment\(s\)") as record:
        net = load_osm(path)
    assert len(record) == 1
    assert str(path) in str(record[0].message)
    assert net.missing_segments == 3
    assert edge_set(net.walk) == {(1, 2, 40), (2, 1, 40), (3, 4, 40), (4, 3, 40)}
    lengths = sorted(net.walk.edges["length_m"].unique())
    assert lengths == pytest.approx(
        sorted([haversine(nodes[1], nodes[2]), haversine(nodes[3], nodes[4])]), rel=1e-12
    )
