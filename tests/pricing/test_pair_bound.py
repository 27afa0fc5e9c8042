"""The separable pair bound that completes nodes with two items left (`pair_complete`)."""

from __future__ import annotations

import numpy as np
import pytest

from maasmix.pricing.solve._bnb_kernel import pair_gains
from maasmix.pricing.solve.branch_bound import branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario


@pytest.mark.parametrize("seed", range(20))
def test_no_pair_beats_its_separable_bound(seed: int) -> None:
    """Random node (S, numerators) and items with margins of both signs, some below and
    some above the class ratios: every pair's exact value is within the bound, and the
    bound is exact when no margin is below its class's ratio."""
    rng = np.random.default_rng(seed)
    n_k, n_i = int(rng.integers(1, 6)), 30
    s_vec = rng.uniform(1.0, 5.0, n_k)
    ga = rng.normal(0.0, 40.0, (1, n_k))
    w = rng.lognormal(-1.0, 1.5, (n_i, n_k))
    margin = rng.normal(5.0, 30.0, (n_i, n_k))
    wm = (w * margin)[None]  # (1, I, K)
    cands = np.arange(n_i, dtype=np.int64)
    pot = np.empty(n_i)
    single = np.empty(n_i)
    obj_item = rng.normal(0.0, 10.0, (n_i, n_k))
    base = pair_gains(0, s_vec, ga, cands, n_i, w, wm, pot, ga[0], obj_item, single)

    def value(items: list[int]) -> float:
        s = s_vec + w[items].sum(axis=0)
        return float(((ga[0] + wm[0, items].sum(axis=0)) / s).sum())

    assert base == pytest.approx(value([]))
    # the objective row's value with each candidate, computed on the way
    assert single == pytest.approx(
        [float(((ga[0] + obj_item[x]) / (s_vec + w[x])).sum()) for x in range(n_i)]
    )
    for x in range(n_i):
        for y in range(x + 1, n_i):
            assert value([x, y]) <= base + pot[x] + pot[y] + 1e-9 * (1 + abs(base))
    # margins at least every class ratio: no interaction can help, the bound is the gains
    high = np.maximum(margin, (ga[0] / s_vec)[None, :] + 1.0)
    wm_high = (w * high)[None]
    pair_gains(0, s_vec, ga, cands, n_i, w, wm_high, pot, ga[0], obj_item, np.empty(0))
    gain = [
        float(((ga[0] + wm_high[0, x]) / (s_vec + w[x]) - ga[0] / s_vec).sum()) for x in range(n_i)
    ]
    assert pot == pytest.approx(gain, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("shape", "kw"),
    [
        ((3, 14, 4, 3), {"classes_per_segment": 2, "seed": 5}),
        ((3, 10, 4, 4), {"classes_per_segment": 2}),
        ((2, 9, 3, 5), {"classes_per_segment": 3, "seed": 4}),
        ((3, 12, 3, 4), {"operator_floor": "payg", "seed": 2}),
    ],
)
def test_branch_and_bound_with_pair_completion_equals_the_exhaustive_search(
    shape: tuple[int, int, int, int], kw: dict[str, object]
) -> None:
    """K = 3 to 5 (nodes with two items left at the task and inside the search), with
    rows that enter the objective's bound (uptake, subsidy, operator floors)."""
    inst = compile_instance(synthetic_scenario(*shape, **kw))  # type: ignore[arg-type]
    n = inst.total_size
    for kind, req in [
        ("max_profit", Requirements()),
        ("max_profit", Requirements(min_uptake=0.3 * n)),
        ("max_profit", Requirements(max_subsidy=0.0)),
        ("min_subsidy", Requirements(min_uptake=0.2 * n, min_profit=0.0)),
    ]:
        exact = enumerate_menus(inst, req, kind, compiled=True)
        found = branch_and_bound(inst, req, kind)
        assert found.status == exact.status, (kind, req)
        if exact.objective is not None:
            assert found.objective == pytest.approx(exact.objective, rel=1e-9), (kind, req)
            assert found.gap == 0.0
