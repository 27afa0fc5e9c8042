"""Door-to-door journeys in the demo city, for ``maasmix demo`` (called from `api.cli.demo`).

`demo_plans` builds the demo city's `Network` (GTFS + OSM + GBFS) and finds, among
seeded random coordinate pairs, one itinerary of each showcase: walk + tram, docked bike
+ bus, and a scooter as the last mile after transit. `print_demo_plans` prints them;
`demo_plans_json` gives their OTP-shaped JSON.

Use from the demo command::

    from maasmix.api.cli._demo_plan import demo_plans, print_demo_plans
    found = demo_plans(city, cache_dir=get_settings().cache_dir)
    print_demo_plans(console, found)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console

from maasmix.api.cli.plan import itinerary_table
from maasmix.api.schemas.plan import itinerary_out
from maasmix.engine.itinerary import Journey
from maasmix.engine.network import Network
from maasmix.engine.plan_money import ItineraryMoney
from maasmix.feeds.demo import DemoCity

__all__ = ["DemoPlan", "demo_plans", "demo_plans_json", "print_demo_plans"]

DEMO_TIME = dt.time(8, 0)
TRIES = 60


@dataclass(frozen=True)
class DemoPlan:
    """One showcase journey: what it shows, where from and to, the itinerary and its
    money and CO2e (`maasmix.engine.plan_money.ItineraryMoney`)."""

    title: str
    origin: tuple[float, float]
    destination: tuple[float, float]
    journey: Journey
    money: ItineraryMoney | None = None


def _walk_tram(j: Journey) -> bool:
    return any(leg.mode == "TRAM" for leg in j.legs) and all(
        leg.mode in ("WALK", "TRAM") for leg in j.legs
    )


def _docked_bus(j: Journey) -> bool:
    docked = any(leg.rental is not None and leg.rental.docked for leg in j.legs)
    return docked and any(leg.mode == "BUS" for leg in j.legs)


def _scooter_last(j: Journey) -> bool:
    transit = [i for i, leg in enumerate(j.legs) if leg.is_transit]
    scooters = [i for i, leg in enumerate(j.legs) if leg.mode == "SCOOTER"]
    return bool(transit and scooters and min(scooters) > max(transit))


SHOWCASES: tuple[tuple[str, str, Callable[[Journey], bool]], ...] = (
    ("walk + tram", "WALK,TRANSIT", _walk_tram),
    ("docked bike + bus", "TRANSIT,BICYCLE_RENTAL", _docked_bus),
    ("scooter last mile", "TRANSIT,SCOOTER_RENTAL", _scooter_last),
)


def demo_plans(
    city: DemoCity, *, cache_dir: str | os.PathLike[str] | None = None, seed: int = 7
) -> list[DemoPlan]:
    """The showcase journeys found in the demo city (at most one per showcase)."""
    net = Network.from_files(
        gtfs=city.gtfs_zip,
        osm=city.osm_pbf,
        gbfs=[city.gbfs_dir],
        date=city.service_date,
        cache_dir=cache_dir,
    )
    when = dt.datetime.combine(city.service_date, DEMO_TIME)
    west, south, east, north = net.compiled.bbox
    rng = np.random.default_rng(seed)
    found: list[DemoPlan] = []
    for title, modes, wanted in SHOWCASES:
        for _ in range(TRIES):
            o = (float(rng.uniform(south, north)), float(rng.uniform(west, east)))
            d = (float(rng.uniform(south, north)), float(rng.uniform(west, east)))
            plan = net.plan(o, d, when, modes=modes, num_itineraries=10)
            k = next((i for i, j in enumerate(plan.itineraries) if wanted(j)), None)
            if k is not None:
                found.append(DemoPlan(title, o, d, plan.itineraries[k], plan.money[k]))
                break
    return found


def print_demo_plans(console: Console, found: list[DemoPlan]) -> None:
    """The showcase journeys as tables."""
    console.print("\n[bold]Door-to-door journeys (maasmix plan)[/bold]")
    for n, item in enumerate(found, start=1):
        o, d = item.origin, item.destination
        console.print(
            f"[bold]{item.title}[/bold]: from {o[0]:.5f},{o[1]:.5f} to {d[0]:.5f},{d[1]:.5f}"
        )
        console.print(itinerary_table(n, item.journey, item.money))


def demo_plans_json(found: list[DemoPlan]) -> list[dict[str, Any]]:
    """The showcase journeys, OTP-shaped."""
    return [
        {
            "title": item.title,
            "from": {"lat": item.origin[0], "lon": item.origin[1]},
            "to": {"lat": item.destination[0], "lon": item.destination[1]},
            "itinerary": itinerary_out(item.journey, item.money).model_dump(
                mode="json", exclude_none=True
            ),
        }
        for item in found
    ]
