"""Kernels compiled ahead (`maasmix.engine.kernels`) cover what real queries compile."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from maasmix.engine import _dijkstra_kernel, _matrix_kernel, _mcraptor_kernel, _raptor_kernel
from maasmix.engine.kernels import compile_kernels
from maasmix.engine.matrix import travel_time_matrix
from maasmix.engine.network import Network
from maasmix.errors import FeedWarning

pytestmark = pytest.mark.slow

KERNELS = {
    "raptor": _raptor_kernel.raptor,
    "mcraptor": _mcraptor_kernel.mcraptor,
    "dijkstra": _dijkstra_kernel.dijkstra,
    "range_matrix": _matrix_kernel.range_matrix,
}


def test_real_queries_need_no_signature_beyond_the_compiled_ones(
    dataset: Callable[..., Path], tmp_path: Path
) -> None:
    assert compile_kernels() > 0
    compiled = {name: list(k.signatures) for name, k in KERNELS.items()}
    assert all(len(s) >= 1 for s in compiled.values()), compiled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf"),
            gbfs=[dataset("gbfs-helsinki-hsl")],
            date="20220222",
            cache_dir=tmp_path,
        )
    for arrive_by in (False, True):
        plan = net.plan(
            (60.1700, 24.9380), (60.1760, 24.9500), "2022-02-22T08:00", arrive_by=arrive_by
        )
        assert plan.itineraries
    travel_time_matrix(net, [(60.1700, 24.9380), (60.1760, 24.9500)], departure="08:00", window=5)
    after = {name: list(k.signatures) for name, k in KERNELS.items()}
    assert after == compiled  # a new signature would be compiled by the first real plan
