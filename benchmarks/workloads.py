"""The inputs every suite (and every peer) works on: real feeds and seeded query sets.

One place decides which feed, which date and which random queries a benchmark uses, so
that maasmix and a peer answer the very same questions, and two runs ask the same ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: name -> (data folder, GTFS file, service date YYYYMMDD, OSM extract of the same city)
FEEDS: dict[str, tuple[str, str, str, tuple[str, str]]] = {
    "milan": (
        "gtfs-milan",
        "milano_small_gtfs.zip",
        "20141020",
        ("osm-milan", "milan_italy_small.osm.pbf"),
    ),
    "helsinki": (
        "gtfs-helsinki-hsl",
        "helsinki_hsl_gtfs_2022-02.zip",
        "20220222",
        ("osm-helsinki", "Helsinki.osm.pbf"),
    ),
}
SEED = 2024
N_P2P = 100
N_ONE_TO_ALL = 100
N_RANGE = 20
N_STREET = 100
SMOKE_QUERIES = 5


@dataclass(frozen=True)
class TransitQuery:
    origin: str
    destination: str
    departure_s: int


def service_date(feed: str) -> dt.date:
    return dt.datetime.strptime(FEEDS[feed][2], "%Y%m%d").date()


def transit_queries(tt: Any, n: int, seed: int = SEED) -> list[TransitQuery]:
    """``n`` random (origin, destination, departure 07:00-19:00) among served stops.

    Origins and destinations are stops with at least one pattern (a trip stops there),
    drawn with ``numpy.random.default_rng(seed)``: the same list on every run.
    """
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(seed)
    queries: list[TransitQuery] = []
    while len(queries) < n:
        o, d = rng.choice(served, size=2)
        if o != d:
            minute = int(rng.integers(7 * 60, 19 * 60))
            queries.append(TransitQuery(str(tt.stop_ids[o]), str(tt.stop_ids[d]), minute * 60))
    return queries


def street_pairs(graph: Any, n: int, seed: int = SEED) -> list[tuple[int, int]]:
    """``n`` random (source node, target node) pairs of a `StreetGraph`, both in its
    largest strongly connected component, so every pair has a route."""
    from scipy.sparse.csgraph import connected_components

    matrix = csr_matrix(graph)
    _, labels = connected_components(matrix, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    nodes = np.flatnonzero(labels == biggest)
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n:
        a, b = rng.choice(nodes, size=2)
        if a != b:
            pairs.append((int(a), int(b)))
    return pairs


def csr_matrix(graph: Any) -> Any:
    """The street graph as a scipy CSR matrix of edge lengths (metres), shortest parallel
    edge kept."""
    from scipy.sparse import coo_matrix

    edges = graph.edges
    n = len(graph.nodes)
    order = np.lexsort((edges["length_m"].to_numpy(), edges["v"].to_numpy(), edges["u"].to_numpy()))
    u = edges["u"].to_numpy()[order]
    v = edges["v"].to_numpy()[order]
    w = edges["length_m"].to_numpy()[order]
    first = np.ones(len(u), bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    # zero-length edges would vanish from a sparse matrix: give them a millimetre
    return coo_matrix((np.maximum(w[first], 1e-3), (u[first], v[first])), shape=(n, n)).tocsr()


def data_path(data_dir: Path, *parts: str) -> Path:
    return data_dir.joinpath(*parts)
