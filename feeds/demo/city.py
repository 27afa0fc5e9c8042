"""The built-in demo city: real GTFS, GBFS and OSM files generated in code.

``write_demo_city(out_dir)`` writes a small, plausible city (no files shipped, no
network) in the same formats as real data, so the regular loaders (`feeds.gtfs`,
`feeds.gbfs`, `feeds.osm`) read it through the same code paths; ``make demo`` uses it.

"Demo City" is a 6 km x 6 km street grid centred on (60.17, 24.94), Europe/Helsinki
time, EUR money:

- ``demo_city.osm.pbf``: 961 intersections 200 m apart; primary avenues (Main Avenue,
  Central Avenue), four secondary boulevards, residential streets, a one-way pair
  (11th Street eastbound, 12th Street westbound), pedestrian Market Street, footways
  through Demo Park and the park outline (see `feeds._demo_osm`).
- ``demo_city_gtfs.zip``: two tram and five bus lines, stops every ~400 m, weekday
  service 05:00 to past midnight, tram T1 from frequencies.txt, a parent station with
  two platforms, Fares v1 zones A/AB (see `feeds._demo_gtfs`).
- ``gbfs/``: GBFS v2.3 with 25 docked stations (bikes and e-bikes), 80 free-floating
  e-scooters, pricing plans and a no-parking zone (see `feeds._demo_gbfs`).

Everything random comes from ``numpy.random.default_rng(seed)`` (one independent child
stream per file type), and timestamps are fixed relative to the service date, so two
writes with the same seed are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maasmix.feeds.demo._gbfs import write_gbfs
from maasmix.feeds.demo._grid import CENTRE, Grid
from maasmix.feeds.demo._gtfs import CURRENCY, TIMEZONE, write_gtfs
from maasmix.feeds.demo._osm import write_osm

__all__ = ["SERVICE_DATE", "DemoCity", "write_demo_city"]

SERVICE_DATE = dt.date(2026, 3, 10)
"""The demo's reference service date: an ordinary Tuesday."""

GTFS_NAME = "demo_city_gtfs.zip"
GBFS_DIR = "gbfs"
OSM_NAME = "demo_city.osm.pbf"


@dataclass(frozen=True)
class DemoCity:
    """Where the demo city was written, and what it is.

    Attributes
    ----------
    name : str
        ``"Demo City"``.
    gtfs_zip : Path
        The GTFS Schedule zip.
    gbfs_dir : Path
        Folder holding ``gbfs.json`` and the GBFS v2.3 feeds it lists.
    osm_pbf : Path
        The street network, ``.osm.pbf``.
    service_date : datetime.date
        A normal weekday (Tuesday) on which every weekday trip runs; the GBFS snapshot
        is taken at 08:00 local time on it.
    timezone : str
        IANA timezone of the agency and the bike system, ``"Europe/Helsinki"``.
    currency : str
        ISO 4217 code of every price, ``"EUR"``.
    centre : tuple[float, float]
        (lat, lon) of Central Square.
    counts : Mapping[str, int]
        What was written: ``osm_nodes``, ``osm_ways``, ``osm_highway_ways``,
        ``gtfs_stops``, ``gtfs_routes``, ``gtfs_trips``, ``gtfs_stop_times``,
        ``gtfs_frequencies``, ``gtfs_shapes``, ``gtfs_trip_runs_on_service_date``,
        ``gbfs_stations``, ``gbfs_station_bikes``, ``gbfs_free_vehicles``,
        ``gbfs_vehicle_types``, ``gbfs_pricing_plans``, ``gbfs_geofencing_zones``.
    seed : int
        The seed it was generated from.
    """

    name: str
    gtfs_zip: Path
    gbfs_dir: Path
    osm_pbf: Path
    service_date: dt.date
    timezone: str
    currency: str
    centre: tuple[float, float]
    counts: Mapping[str, int] = field(default_factory=dict)
    seed: int = 7


def write_demo_city(out_dir: str | os.PathLike[str], *, seed: int = 7) -> DemoCity:
    """Generate the demo city into ``out_dir`` (created if needed; files overwritten).

    Parameters
    ----------
    out_dir : str or PathLike
        Target folder; receives ``demo_city_gtfs.zip``, ``gbfs/`` and
        ``demo_city.osm.pbf``.
    seed : int
        Seed for `numpy.random.default_rng`; the same seed gives byte-identical files.

    Returns
    -------
    DemoCity
        Paths, reference date, timezone, currency, centre and counts of what was written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    grid_rng, gtfs_rng, gbfs_rng = np.random.default_rng(seed).spawn(3)
    grid = Grid.build(grid_rng)
    gtfs_zip = out_dir / GTFS_NAME
    gbfs_dir = out_dir / GBFS_DIR
    osm_pbf = out_dir / OSM_NAME
    counts: dict[str, int] = {}
    counts.update(write_osm(grid, osm_pbf))
    counts.update(write_gtfs(grid, gtfs_rng, gtfs_zip, SERVICE_DATE))
    counts.update(write_gbfs(grid, gbfs_rng, gbfs_dir, SERVICE_DATE, TIMEZONE))
    return DemoCity(
        name="Demo City",
        gtfs_zip=gtfs_zip,
        gbfs_dir=gbfs_dir,
        osm_pbf=osm_pbf,
        service_date=SERVICE_DATE,
        timezone=TIMEZONE,
        currency=CURRENCY,
        centre=CENTRE,
        counts=counts,
        seed=seed,
    )
