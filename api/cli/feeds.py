"""`maasmix feeds ...`: look at GTFS, GBFS and OpenStreetMap inputs."""

from __future__ import annotations

import typer

from maasmix.api.cli._render import print_json, print_summary
from maasmix.feeds.inspect import inspect_source

app = typer.Typer(help="Inspect GTFS, GBFS and OpenStreetMap inputs.", no_args_is_help=True)


@app.command("inspect")
def inspect(
    source: str = typer.Argument(
        ..., help="GTFS zip/folder/URL, GBFS gbfs.json/folder/URL, or OSM .osm.pbf"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Summarise any GTFS, GBFS or OSM input (counts, dates, versions, bbox)."""
    summary = inspect_source(source)
    if as_json:
        print_json(summary)
    else:
        print_summary(f"{summary['kind'].upper()}: {source}", summary)
