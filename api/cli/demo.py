"""`maasmix demo`: the built-in demo city, end to end, with nothing to download."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import typer
from rich.console import Console

from maasmix.api.cli._demo_plan import demo_plans, demo_plans_json, print_demo_plans
from maasmix.api.cli._render import print_json, print_summary
from maasmix.api.cli.bundles import print_result
from maasmix.api.cli.route import journey_table
from maasmix.api.schemas.journeys import itinerary_out
from maasmix.api.settings import get_settings
from maasmix.engine import TransitRouter
from maasmix.feeds.demo import DemoCity, write_demo_city, write_demo_diary
from maasmix.feeds.inspect import inspect_source
from maasmix.pricing import SolverOptions, load_scenario, optimise
from maasmix.pricing.demand.diaries import derive_demand
from maasmix.pricing.report import write_report
from maasmix.pricing.scenario import example_path

DEMO_DEPARTURE = "08:00:00"
DEMO_SCENARIO = "demo_city"
DEMO_DIARY_SCENARIO = "demo_diary"


def demo(
    out: Path = typer.Option(Path("out/demo-city"), help="folder to write the demo city into"),
    seed: int = typer.Option(7, help="random seed of the generated city"),
    time_limit: float = typer.Option(20.0, help="seconds for the bundle optimiser"),
    workers: int = typer.Option(2, min=0, max=64, help="Dask workers planning the diary"),
    as_json: bool = typer.Option(False, "--json", help="print the results as JSON"),
) -> None:
    """Build the demo city, read it back, plan journeys across it and design its bundles.

    Door-to-door plans show walk + tram, a docked bike + bus and a scooter last mile.

    The bundle menu comes from the shipped ``demo_city`` scenario (cited tariffs); an HTML
    report with plots is written to ``OUT/bundle-report``. Then the same from trips:
    the demo's synthetic trip diary (``OUT/demo_diary.csv``, ~2,200 trips) is planned
    door to door on Dask, its demand derived per bundle (``OUT/demo_diary.demand``), the
    menu optimised on it, and a report with usage, mode shift and CO2e is written to
    ``OUT/diary-report``.
    """
    console = Console()
    city = write_demo_city(out, seed=seed)
    summaries = {
        "gtfs": inspect_source(city.gtfs_zip),
        "gbfs": inspect_source(city.gbfs_dir),
        "osm": inspect_source(city.osm_pbf),
    }
    router = TransitRouter.from_gtfs(
        city.gtfs_zip, city.service_date, cache_dir=get_settings().cache_dir
    )
    origin, destination = _opposite_corners(router)
    journeys = router.journeys(origin, destination, DEMO_DEPARTURE)
    door_to_door = demo_plans(city, cache_dir=get_settings().cache_dir)
    scenario = load_scenario(example_path(DEMO_SCENARIO))
    options = SolverOptions.from_spec(scenario.solver, time_limit_s=time_limit)
    bundles = optimise(scenario, options=options)
    write_report(bundles, out / "bundle-report")
    write_demo_diary(out / "demo_diary.csv", seed=seed)
    diary_scenario = out / f"{DEMO_DIARY_SCENARIO}.yaml"
    shutil.copyfile(example_path(DEMO_DIARY_SCENARIO), diary_scenario)
    demand = derive_demand(
        diary_scenario,
        workers=workers,
        scheduler=get_settings().dask_address,
        cache_dir=str(get_settings().cache_dir),
        fresh=True,
    )
    from_trips = optimise(
        demand.scenario,
        options=SolverOptions.from_spec(demand.scenario.solver, time_limit_s=time_limit),
    )
    write_report(from_trips, out / "diary-report", demand=demand)
    if as_json:
        print_json(
            {
                "city": city.name,
                "service_date": city.service_date.isoformat(),
                **summaries,
                "journeys": [
                    itinerary_out(j).model_dump(mode="json", exclude_none=True) for j in journeys
                ],
                "door_to_door": demo_plans_json(door_to_door),
                "bundles": bundles.to_dict(),
                "diary": {
                    "summary": demand.summary,
                    "usage": demand.usage.to_dict(orient="records"),
                    "bundles": from_trips.to_dict(),
                },
            }
        )
        return
    _print_header(console, city, out)
    for kind, summary in summaries.items():
        print_summary(kind.upper(), summary, console)
    console.print(f"\n[bold]Transit journeys leaving at {DEMO_DEPARTURE}[/bold]")
    for n, journey in enumerate(journeys, start=1):
        console.print(journey_table(n, journey))
    print_demo_plans(console, door_to_door)
    console.print("\n[bold]Subscription bundles (scenario demo_city)[/bold]")
    print_result(console, bundles)
    console.print(f"report: {out / 'bundle-report' / 'index.html'}")
    s = demand.summary
    console.print(
        f"\n[bold]Bundles from trips (scenario {DEMO_DIARY_SCENARIO})[/bold]: "
        f"{s['trips']:,} diary trips planned door to door once each "
        f"({s['planning_s']:,.1f} s on {s['workers'] or 'no'} Dask workers), "
        f"evaluated for {s['products']} products"
    )
    print_result(console, from_trips)
    console.print(f"report: {out / 'diary-report' / 'index.html'}")


def _print_header(console: Console, city: DemoCity, out: Path) -> None:
    console.print(
        f"[bold]{city.name}[/bold]: service date {city.service_date:%Y-%m-%d} "
        f"({city.timezone}, {city.currency}), files in {out}"
    )


def _opposite_corners(router: TransitRouter) -> tuple[str, str]:
    """The stop ids nearest the south-west and the north-east corners of the network."""
    table = router.timetable
    lat, lon = table.stop_lat, table.stop_lon
    south_west = int(np.argmin(lat + lon))
    north_east = int(np.argmax(lat + lon))
    return str(table.stop_ids[south_west]), str(table.stop_ids[north_east])
