"""Street searches equal scipy's Dijkstra on the same graphs (Helsinki and Milan extracts)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from maasmix.engine.streets import StreetCSR, compile_streets
from maasmix.errors import FeedWarning
from maasmix.feeds.osm import load_osm

EXTRACTS = {
    "helsinki": ("osm-helsinki", "Helsinki.osm.pbf"),
    "milan": ("osm-milan", "milan_italy_small.osm.pbf"),
}


@pytest.fixture(scope="module", params=sorted(EXTRACTS))
def graphs(request: pytest.FixtureRequest, dataset: Callable[..., Path]) -> dict[str, StreetCSR]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)  # clipped extract
        net = load_osm(dataset(*EXTRACTS[request.param]))
    return {"walk": compile_streets(net.walk, "walk"), "bike": compile_streets(net.bike, "bike")}


def _scipy_matrix(g: StreetCSR, cost: np.ndarray) -> csr_matrix:
    """The graph as a sparse matrix, parallel edges reduced to the cheapest."""
    frame = pd.DataFrame({"u": g.src, "v": g.to, "c": cost}).groupby(["u", "v"])["c"].min()
    u = frame.index.get_level_values(0).to_numpy()
    v = frame.index.get_level_values(1).to_numpy()
    return csr_matrix((frame.to_numpy(), (u, v)), shape=(g.n_nodes, g.n_nodes))


@pytest.mark.parametrize("mode", ["walk", "bike"])
@pytest.mark.parametrize("reverse", [False, True])
def test_bounded_search_equals_scipy(
    graphs: dict[str, StreetCSR], mode: str, reverse: bool
) -> None:
    g = graphs[mode]
    cost = g.edge_cost(1.33 if mode == "walk" else 5.0)
    matrix = _scipy_matrix(g, cost)
    if reverse:
        matrix = matrix.T.tocsr()
    rng = np.random.default_rng(7)
    for trial in range(12):
        k = 1 if trial < 6 else int(rng.integers(2, 6))
        sources = rng.choice(g.n_nodes, size=k, replace=False)
        limit = float(rng.choice([300.0, 900.0, 1e9]))
        ours = g.search(sources, np.zeros(k), limit, cost, reverse=reverse)
        ref = scipy_dijkstra(matrix, indices=sources, min_only=True, limit=limit)
        assert np.array_equal(np.isfinite(ours.dist), np.isfinite(ref))
        finite = np.isfinite(ref)
        assert np.allclose(ours.dist[finite], ref[finite], rtol=1e-9, atol=1e-6)
        # paths rebuilt from the predecessors have the reported cost and length
        for node in rng.choice(np.flatnonzero(finite), size=min(20, finite.sum())):
            nodes = ours.path(int(node))
            assert int(nodes[-1 if not reverse else 0]) == int(node)
            assert int(sources[ours.origin[node]]) == int(nodes[0 if not reverse else -1])
            walked = 0.0
            metres = 0.0
            for a, b in itertools.pairwise(nodes):
                lo, hi = int(g.ptr[a]), int(g.ptr[a + 1])
                hit = lo + np.flatnonzero(g.to[lo:hi] == b)
                walked += float(cost[hit].min())
                metres += float(g.length_m[hit[np.argmin(cost[hit])]])
            assert walked == pytest.approx(float(ours.dist[node]), abs=1e-6)
            assert metres == pytest.approx(float(ours.metres[node]), abs=1e-6)


def test_source_costs_and_forbidden_edges(graphs: dict[str, StreetCSR]) -> None:
    g = graphs["walk"]
    cost = g.edge_cost(1.0).copy()
    rng = np.random.default_rng(3)
    cost[rng.random(g.n_edges) < 0.2] = np.inf  # forbidden edges are never taken
    sources = rng.choice(g.n_nodes, size=4, replace=False)
    start = np.array([0.0, 50.0, 120.0, 10.0])
    ours = g.search(sources, start, 1500.0, cost)
    finite_cost = np.where(np.isfinite(cost), cost, 0.0)
    keep = np.isfinite(cost)
    frame = pd.DataFrame({"u": g.src[keep], "v": g.to[keep], "c": finite_cost[keep]})
    frame = frame.groupby(["u", "v"])["c"].min()
    n = g.n_nodes
    # a super-source joined to each source by its starting cost
    u = np.concatenate([frame.index.get_level_values(0), np.full(4, n)])
    v = np.concatenate([frame.index.get_level_values(1), sources])
    c = np.concatenate([frame.to_numpy(), start + 1e-9])
    matrix = csr_matrix((c, (u, v)), shape=(n + 1, n + 1))
    ref = scipy_dijkstra(matrix, indices=n, limit=1500.0 + 1e-6)[:n]
    assert np.array_equal(np.isfinite(ours.dist), np.isfinite(ref))
    finite = np.isfinite(ref)
    assert np.allclose(ours.dist[finite], ref[finite], atol=1e-6)


def test_nearest_node_is_nearest(graphs: dict[str, StreetCSR]) -> None:
    g = graphs["walk"]
    rng = np.random.default_rng(11)
    lat = rng.uniform(g.lat.min(), g.lat.max(), 50)
    lon = rng.uniform(g.lon.min(), g.lon.max(), 50)
    node, dist = g.nearest(lat, lon)
    from maasmix.geodesy import haversine_m

    snap = g.snap_nodes if g.snap_nodes is not None else np.arange(g.n_nodes)
    assert len(snap) > 0.5 * g.n_nodes  # islets of the clipped extract are left out
    for i in range(50):
        all_d = haversine_m(lat[i], lon[i], g.lat[snap], g.lon[snap])
        assert dist[i] == pytest.approx(float(all_d.min()), rel=0.02, abs=0.5)
        assert haversine_m(lat[i], lon[i], g.lat[node[i]], g.lon[node[i]]) == pytest.approx(dist[i])
        assert node[i] in set(snap.tolist())


def test_edge_polylines_join_their_nodes_and_measure_their_length(
    graphs: dict[str, StreetCSR],
) -> None:
    from maasmix.geodesy import haversine_m

    for g in graphs.values():
        assert g.geom_start is not None
        rng = np.random.default_rng(1)
        for e in rng.choice(g.n_edges, size=300, replace=False).tolist():
            line = np.asarray(g.edge_coordinates(e))
            assert tuple(line[0]) == pytest.approx((g.lon[g.src[e]], g.lat[g.src[e]]))
            assert tuple(line[-1]) == pytest.approx((g.lon[g.to[e]], g.lat[g.to[e]]))
            metres = haversine_m(line[:-1, 1], line[:-1, 0], line[1:, 1], line[1:, 0]).sum()
            assert metres == pytest.approx(g.length_m[e], rel=1e-9, abs=1e-6)
        # a searched path's geometry runs from its source to its end, edge after edge
        cost = g.edge_cost(1.33)
        found = g.search([0], [0.0], 900.0, cost)
        far = int(np.nanargmax(np.where(np.isfinite(found.dist), found.dist, np.nan)))
        coords = np.asarray(found.coordinates(far))
        assert tuple(coords[0]) == pytest.approx((g.lon[0], g.lat[0]))
        assert tuple(coords[-1]) == pytest.approx((g.lon[far], g.lat[far]))
        walked = haversine_m(coords[:-1, 1], coords[:-1, 0], coords[1:, 1], coords[1:, 0]).sum()
        assert walked == pytest.approx(found.metres[far], rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("mode", ["walk", "bike"])
@pytest.mark.parametrize("reverse", [False, True])
def test_path_points_are_the_edges_polylines_joined(
    graphs: dict[str, StreetCSR], mode: str, reverse: bool
) -> None:
    """`StreetSearch.coordinates` (one numba call) equals the path's edges' polylines
    (`StreetCSR.edge_coordinates`) joined without repeating the shared points, and
    `path` lists the tails of `edge_path` then its last head, in travel order."""
    g = graphs[mode]
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(4):
        source = int(rng.integers(g.n_nodes))
        found = g.search([source], [0.0], 1800.0, g.edge_cost(1.33), reverse=reverse)
        reached = np.flatnonzero(np.isfinite(found.dist))
        for node in rng.choice(reached, size=min(25, len(reached)), replace=False).tolist():
            edges = found.edge_path(node).tolist()
            joined: list[tuple[float, float]] = []
            for e in edges:
                piece = g.edge_coordinates(e)
                joined.extend(piece[1:] if joined else piece)
            assert found.coordinates(node) == (joined or g.coordinates([node]))
            nodes = found.path(node).tolist()
            if edges:
                assert nodes == [int(g.src[e]) for e in edges] + [int(g.to[edges[-1]])]
                assert nodes[-1 if reverse else 0] == source
            else:
                assert nodes == [node] == [source]
            checked += 1
    assert checked > 50
