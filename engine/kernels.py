"""Compile the engine's numba kernels ahead of use, so a first plan does not compile them.

The street Dijkstra (`engine._dijkstra_kernel`), RAPTOR (`engine._raptor_kernel`),
McRAPTOR (`engine._mcraptor_kernel`) and the range matrix (`engine._matrix_kernel`) are
compiled by numba on first use and cached on disk (``cache=True``: beside the sources, or
in ``NUMBA_CACHE_DIR``). Compiling them takes about 20 s on a 2-core machine, which a first
``maasmix plan`` in a fresh environment would otherwise spend before it answers.
`compile_kernels` runs every kernel once through the public entry points on the built-in
demo city (`maasmix.feeds.demo`, written to a temporary folder and removed afterwards):
door-to-door plans with every mode, depart-at and arrive-by; stop-to-stop earliest
arrivals, journeys, McRAPTOR journeys and a range profile; a small travel-time matrix.
The arrays reach the kernels through the same compilation code as real feeds, so the
compiled signatures are those of real queries and ``make setup`` leaves a warm cache.

Run as ``python -c "from maasmix.engine.kernels import main; main()"``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

__all__ = ["compile_kernels", "main"]


def compile_kernels() -> float:
    """Compile (or load from the on-disk cache) every engine kernel; seconds taken."""
    from maasmix.engine.matrix import travel_time_matrix
    from maasmix.engine.network import Network
    from maasmix.engine.router import TransitRouter
    from maasmix.errors import FeedWarning
    from maasmix.feeds.demo.city import write_demo_city

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="maasmix-kernels-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        root = Path(tmp)
        city = write_demo_city(root / "city")
        date = city.service_date.strftime("%Y%m%d")
        net = Network.from_files(
            gtfs=city.gtfs_zip,
            osm=city.osm_pbf,
            gbfs=[city.gbfs_dir],
            date=date,
            cache_dir=root / "cache",
            use_cache=False,
        )
        lat0, lon0 = city.centre
        origin, destination = (lat0 - 0.012, lon0 - 0.02), (lat0 + 0.012, lon0 + 0.02)
        day = city.service_date.isoformat()
        for arrive_by in (False, True):
            net.plan(origin, destination, f"{day}T08:00", arrive_by=arrive_by)
        router = TransitRouter.from_gtfs(city.gtfs_zip, date, use_cache=False)
        stops = [str(s) for s in router.timetable.stop_ids[:2]]
        router.earliest_arrivals(stops[0], "08:00:00", max_transfers=2)
        router.journeys(stops[0], stops[1], "08:00")
        router.mc_journeys(stops[0], stops[1], "08:00")
        router.profile(stops[0], stops[1], "07:00", "07:30")
        travel_time_matrix(net, [origin, destination], departure="08:00", window=5)
    return time.perf_counter() - t0


def main() -> None:
    """Compile the kernels and say how long it took."""
    seconds = compile_kernels()
    print(f"maasmix: engine kernels compiled or loaded in {seconds:.1f} s")


if __name__ == "__main__":
    main()
