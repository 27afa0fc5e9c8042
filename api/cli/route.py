"""`maasmix route`: transit journeys between two stops."""

from __future__ import annotations

import typer


def route(feed: str = typer.Argument(..., help="GTFS zip, folder or URL")) -> None:
    """Plan transit journeys between two stops of a GTFS feed."""
    raise typer.Exit(1)
