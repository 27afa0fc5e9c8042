"""`maasmix demo`: the built-in demo city, end to end, with nothing to download."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from api.cli._render import print_json, print_summary
from feeds.demo import write_demo_city
from feeds.inspect import inspect_source


def demo(
    out: Path = typer.Option(Path("out/demo-city"), help="folder to write the demo city into"),
    seed: int = typer.Option(7, help="random seed of the generated city"),
    as_json: bool = typer.Option(False, "--json", help="print the summaries as JSON"),
) -> None:
    """Generate the demo city (GTFS, GBFS, OSM), read it back through the loaders, summarise."""
    console = Console()
    city = write_demo_city(out, seed=seed)
    summaries = {
        "gtfs": inspect_source(city.gtfs_zip),
        "gbfs": inspect_source(city.gbfs_dir),
        "osm": inspect_source(city.osm_pbf),
    }
    if as_json:
        print_json({"city": city.name, "service_date": city.service_date.isoformat(), **summaries})
        return
    console.print(
        f"[bold]{city.name}[/bold]: service date {city.service_date:%Y-%m-%d} "
        f"({city.timezone}, {city.currency}), files in {out}"
    )
    for kind, summary in summaries.items():
        print_summary(kind.upper(), summary, console)
