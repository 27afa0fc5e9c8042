"""`maasmix route`: transit journeys between two stops of a GTFS feed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from maasmix import defaults
from maasmix.api.cli._render import print_json
from maasmix.api.schemas.journeys import journeys_out
from maasmix.api.settings import get_settings
from maasmix.engine import Journey, TransitRouter
from maasmix.servicetime import format_clock


def route(
    feed: str = typer.Argument(..., help="GTFS zip, folder or URL"),
    date: str = typer.Option(..., "--date", help="service date, YYYYMMDD"),
    origin: str = typer.Option(..., "--from", help="origin stop_id (a station: its stops)"),
    destination: str = typer.Option(..., "--to", help="destination stop_id"),
    at: str = typer.Option(..., "--at", help="departure time HH:MM[:SS] (may exceed 24:00)"),
    max_transfers: int = typer.Option(
        defaults.MAX_TRANSFERS, "--max-transfers", min=0, help="at most this many"
    ),
    min_transfer_s: int = typer.Option(
        defaults.MIN_TRANSFER_S, "--min-transfer-s", min=0, help="slack between two rides, s"
    ),
    max_walk_m: float = typer.Option(
        defaults.MAX_WALK_M, "--max-walk-m", min=0, help="longest footpath, metres"
    ),
    walking: bool = typer.Option(
        False, "--walking", help="McRAPTOR: also trade walking time (Pareto over 3 criteria)"
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="compiled-input cache"),
    as_json: bool = typer.Option(False, "--json", help="print OTP-like itineraries as JSON"),
) -> None:
    """Plan transit journeys between two stops: the Pareto set over arrival and transfers."""
    router = TransitRouter.from_gtfs(
        feed,
        date,
        max_walk_m=max_walk_m,
        min_transfer_s=min_transfer_s,
        cache_dir=cache_dir or get_settings().cache_dir,
    )
    search = router.mc_journeys if walking else router.journeys
    journeys = search(origin, destination, at, max_transfers=max_transfers)
    if as_json:
        date = router.timetable.date.isoformat()
        body = journeys_out(date, origin, destination, journeys, timetable=router.timetable)
        print_json(body.model_dump(mode="json", exclude_none=True))
        return
    console = Console()
    if not journeys:
        console.print(f"no journey from {origin} to {destination} leaving at {at}")
        return
    for n, journey in enumerate(journeys, start=1):
        console.print(journey_table(n, journey))


def journey_table(n: int, journey: Journey) -> Table:
    """One journey as a rich table: a row per leg."""
    title = (
        f"Journey {n}: {format_clock(journey.departure_s)} -> {format_clock(journey.arrival_s)}, "
        f"{journey.duration_s // 60} min, {journey.transfers} transfer(s), "
        f"{journey.walk_s // 60} min walking"
    )
    table = Table(title=title, title_justify="left")
    for column in ("mode", "route", "from", "dep", "to", "arr", "headsign"):
        table.add_column(column)
    for leg in journey.legs:
        table.add_row(
            leg.mode,
            (leg.route_short_name or leg.route_id or "") if leg.is_transit else "",
            f"{leg.from_name} ({leg.from_stop_id})",
            format_clock(leg.start_s),
            f"{leg.to_name} ({leg.to_stop_id})",
            format_clock(leg.end_s),
            (leg.headsign or "") if leg.is_transit else f"{leg.distance_m:.0f} m walk",
        )
    return table
