"""Money benchmarks: pricing 1000 BART journeys; pricing 100k rental rides.

Run (figures print with ``-s``)::

    .venv/bin/pytest benchmarks/test_bench_fares.py --benchmark-enable -s -p no:randomly

- ``test_price_bart_journeys``: 1000 journeys found by `TransitRouter.journeys` between
  seeded random BART station pairs and departure times on 2018-06-01 (found once, not
  timed), then priced with `TransitRouter.price` (Fares v1 origin-destination rules,
  stops ridden past read from the timetable). The journeys are searched outside the
  timed part, so the figure is the cost of money alone.
- ``test_price_rentals_vectorised``: 100,000 rides (seeded minutes and km) on the GBFS
  specification's plan2 (three per-km segments), `price_rentals`.

In the smoke run the sets shrink to 20 journeys and 1000 rides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from maasmix.engine import TransitRouter
from maasmix.engine.fares import CompiledFares, compile_fares
from maasmix.engine.itinerary import Journey
from maasmix.engine.rental_prices import plans_from_tables, price_rentals
from maasmix.feeds.fares import read_fares
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.gtfs import load_gtfs

N_JOURNEYS = 1000
N_RIDES = 100_000
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "feeds" / "gbfs_fixtures"


@pytest.fixture(scope="module")
def bart(
    dataset: Callable[..., Path], bench_smoke: bool
) -> tuple[TransitRouter, CompiledFares, list[Journey]]:
    path = dataset("gtfs-bay-area", "bart.zip")
    router = TransitRouter.from_gtfs(path, "20180601")
    fares = compile_fares(read_fares(load_gtfs(path)))
    stations = [str(s) for s in router.timetable.stop_ids]
    rng = np.random.default_rng(20180601)
    wanted = 20 if bench_smoke else N_JOURNEYS
    journeys: list[Journey] = []
    while len(journeys) < wanted:
        o, d = rng.choice(len(stations), size=2, replace=False)
        depart = int(rng.integers(6 * 3600, 21 * 3600))
        for journey in router.journeys(stations[o], stations[d], depart):
            if journey.rides and len(journeys) < wanted:
                journeys.append(journey)
    return router, fares, journeys


def test_price_bart_journeys(
    benchmark: Any,
    bart: tuple[TransitRouter, CompiledFares, list[Journey]],
    bench_rounds: Callable[[int], int],
) -> None:
    router, fares, journeys = bart

    def price_all() -> int:
        return sum(router.price(j, fares).totals[0].amount_minor for j in journeys)

    total = benchmark.pedantic(price_all, rounds=bench_rounds(7), iterations=1)
    assert total > 0
    # no stats in the smoke run (benchmarks disabled): one untimed call
    median_s = benchmark.stats.stats.median if benchmark.stats else float("nan")
    per_journey_us = median_s / len(journeys) * 1e6
    benchmark.extra_info.update(
        journeys=len(journeys),
        transfers=sum(j.transfers for j in journeys),
        median_us_per_journey=round(per_journey_us, 1),
        total_minor=total,
    )
    print(f"\npricing {len(journeys)} BART journeys: {per_journey_us:.1f} us per journey")


def test_price_rentals_vectorised(
    benchmark: Any, bench_smoke: bool, bench_rounds: Callable[[int], int]
) -> None:
    snapshot = load_gbfs(FIXTURES / "v2_3")
    plan = plans_from_tables(snapshot.pricing_plans, snapshot.pricing_segments)["plan2"]
    n = 1000 if bench_smoke else N_RIDES
    rng = np.random.default_rng(7)
    seconds = rng.uniform(0, 7200, n)
    metres = rng.uniform(0, 50_000, n)
    totals = benchmark.pedantic(
        price_rentals, args=(plan, seconds, metres), rounds=bench_rounds(11), iterations=1
    )
    assert len(totals) == n
    median_s = benchmark.stats.stats.median if benchmark.stats else float("nan")
    benchmark.extra_info.update(rides=n, median_ns_per_ride=round(median_s / n * 1e9, 1))
