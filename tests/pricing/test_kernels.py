"""The designer's kernels are compiled ahead (`make setup`) with the types real searches use."""

from __future__ import annotations

from typing import Any

from maasmix.pricing.frontier import frontier
from maasmix.pricing.solve import _bnb_kernel, _enumeration_kernel
from maasmix.pricing.solve.branch_bound import branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.kernels import load_kernels
from maasmix.pricing.solve.objectives import SolverOptions
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import city_scale_scenario, synthetic_scenario

#: the kernels Python calls (the others are compiled into these)
ENTRY_POINTS = [
    (_bnb_kernel, "root_bound"),
    (_bnb_kernel, "filter_candidates"),
    (_bnb_kernel, "item_bounds"),
    (_bnb_kernel, "item_bounds_serial"),
    (_bnb_kernel, "search_tasks"),
    (_bnb_kernel, "search_tasks_serial"),
    (_enumeration_kernel, "search_prefixes"),
]


def _signatures() -> dict[str, list[Any]]:
    return {name: list(getattr(mod, name).signatures) for mod, name in ENTRY_POINTS}


def test_loading_covers_every_kernel_with_the_types_of_real_searches() -> None:
    load_kernels()
    before = _signatures()
    assert all(before.values()), before
    # a city-scale case, rows, a log objective, a threaded frontier, the exhaustive kernel
    city = compile_instance(city_scale_scenario(n_segments=2, classes_per_segment=2, menu_size=3))
    branch_and_bound(city, time_limit_s=1.0)
    small = compile_instance(synthetic_scenario(4, 8, 5, 3))
    branch_and_bound(small, Requirements(min_uptake=100.0), parallel=False)
    branch_and_bound(small, kind="max_surplus")
    enumerate_menus(small, compiled=True)
    opts = SolverOptions(name="BNB", time_limit_s=10)
    frontier(synthetic_scenario(4, 8, 5, 3), sweep="surplus", points=3, options=opts, workers=2)
    assert _signatures() == before  # nothing compiled on the way
