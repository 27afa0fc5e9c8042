"""The quick set: one representative benchmark per capability (``make bench-quick``).

`benchmarks.conftest` marks these items ``quick`` at collection, so ``pytest benchmarks
-m quick`` runs exactly them; `benchmarks.compare` runs them by default. A listed id
that is not collected (renamed, removed) fails the quick run loudly instead of silently
shrinking the set.
"""

from __future__ import annotations

#: capability -> pytest node id (relative to the repository root)
QUICK: dict[str, str] = {
    "router": "benchmarks/test_bench_router.py::test_one_to_all[helsinki]",
    "plan": "benchmarks/test_bench_plan_cities.py::test_plan_depart_at[bay]",
    "fares": "benchmarks/test_bench_fares.py::test_price_bart_journeys",
    "feeds cold": "benchmarks/test_bench_feeds.py::test_service_day_cold[helsinki]",
    "feeds cached": "benchmarks/test_bench_feeds.py::test_router_compiled_cache_hit[helsinki]",
    "BNB K=4": "benchmarks/test_bench_pricing.py::test_bench_8x31x25_k4[BNB]",
    "frontier": (
        "benchmarks/test_bench_pricing.py::test_bench_frontier_10_points_8x31x25_k3[BNB-2-surplus]"
    ),
    "diary demo": "benchmarks/test_bench_diary.py::test_bench_diary[demo-workers0]",
}

#: the files that hold them (what `make bench-quick` and `benchmarks.compare` pass to pytest)
QUICK_FILES: list[str] = sorted({nodeid.split("::")[0] for nodeid in QUICK.values()})
