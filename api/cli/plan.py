"""`maasmix plan`: door-to-door itineraries (`maasmix serve`: `maasmix.api.cli.serve`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from maasmix.api.cli._render import print_json
from maasmix.api.schemas.plan import plan_geojson, plan_out
from maasmix.api.settings import get_settings
from maasmix.engine.itinerary import Journey
from maasmix.engine.network import Network
from maasmix.engine.plan_money import ItineraryMoney
from maasmix.engine.planner import Plan
from maasmix.errors import QueryError
from maasmix.servicetime import format_clock


def parse_latlon(text: str, parameter: str) -> tuple[float, float]:
    """``"LAT,LON"`` -> (lat, lon); anything else is a QueryError naming ``parameter``."""
    parts = str(text).split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise QueryError(f"expected LAT,LON, got {str(text)[:40]!r}", parameter=parameter) from None


def parse_at(text: str) -> dt.datetime:
    """An ISO 8601 date-time (``2022-02-22T08:00`` or with an offset)."""
    try:
        return dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise QueryError(f"not an ISO 8601 date-time: {str(text)[:40]!r}", parameter="at") from None


def load_network(
    gtfs: list[str],
    osm: str | None,
    gbfs: list[str],
    date: str | dt.date,
    cache_dir: Path | None = None,
    fare_contains: str | None = None,
) -> Network:
    """`Network.from_files` with the settings' cache folder."""
    return Network.from_files(
        gtfs=gtfs,
        osm=osm,
        gbfs=gbfs,
        date=date,
        cache_dir=cache_dir or get_settings().cache_dir,
        fare_contains=fare_contains,
    )


def plan(
    gtfs: list[str] = typer.Option(..., "--gtfs", help="GTFS zip, folder or URL (repeatable)"),
    origin: str = typer.Option(..., "--from", help="origin LAT,LON"),
    destination: str = typer.Option(..., "--to", help="destination LAT,LON"),
    at: str = typer.Option(..., "--at", help="ISO 8601 date-time, e.g. 2022-02-22T08:00"),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract (.osm.pbf); else crow-fly"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS folder, gbfs.json or URL (repeatable)"),
    date: str | None = typer.Option(None, "--date", help="service date (default: that of --at)"),
    arrive_by: bool = typer.Option(False, "--arrive-by", help="--at is the latest arrival"),
    modes: str | None = typer.Option(
        None, "--modes", help="comma-separated: WALK,BICYCLE,TRANSIT,BICYCLE_RENTAL,SCOOTER_RENTAL"
    ),
    num: int = typer.Option(6, "--num", min=1, max=50, help="at most this many itineraries"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="compiled-input cache"),
    as_json: bool = typer.Option(False, "--json", help="print OTP-like itineraries as JSON"),
    as_geojson: bool = typer.Option(False, "--geojson", help="print the legs as GeoJSON"),
    bundle: str | None = typer.Option(
        None,
        "--bundle",
        help="SCENARIO.yaml:BUNDLE_NAME (a scenario's bundle) or FILE (an inline bundle, "
        "YAML); prices are then what this traveller pays, and chosen by it",
    ),
    rider_category: str | None = typer.Option(
        None, "--rider-category", help="Fares v2 rider_category_id (default: the feed's)"
    ),
    money: bool = typer.Option(
        False, "--money", help="Pareto over (arrival, cost, transfers) (implied by --bundle)"
    ),
    fare_contains: str | None = typer.Option(
        None,
        "--fare-contains",
        help="Fares v1 contains_id reading: exact (default) or subset (HSL), all feeds",
    ),
    gtfs_rt: list[str] = typer.Option(
        [],
        "--gtfs-rt",
        help="GTFS-Realtime message, file or URL (repeatable): trip updates, alerts, "
        "vehicle positions; FEED=SOURCE names its GTFS feed (file stem) when there are several",
    ),
    show_all: bool = typer.Option(
        False,
        "--all",
        help="no itinerary filter chain: also itineraries that walking or the same trips "
        "without the rental beat, rentals mostly walked, near-duplicates",
    ),
) -> None:
    """Plan door-to-door journeys between two coordinates (walk, bike, rentals, transit)."""
    from maasmix.api.cli._bundle_option import resolve_bundle

    o = parse_latlon(origin, "from")
    d = parse_latlon(destination, "to")
    when = parse_at(at)
    traveller = resolve_bundle(bundle)
    net = load_network(gtfs, osm, gbfs, date or when.date(), cache_dir, fare_contains)
    apply_gtfs_rt(net, gtfs, gtfs_rt)
    result = net.plan(
        o,
        d,
        when,
        arrive_by=arrive_by,
        modes=modes,
        num_itineraries=num,
        bundle=traveller,
        rider_category=rider_category,
        money=True if money else None,
        filters=not show_all,
    )
    if as_geojson:
        print(json.dumps(plan_geojson(result), ensure_ascii=False))
        return
    if as_json:
        print_json(
            plan_out(result, net.date.isoformat()).model_dump(mode="json", exclude_none=True)
        )
        return
    print_plan(Console(), result)


def apply_gtfs_rt(net: Network, gtfs: list[str], sources: list[str]) -> None:
    """Apply each ``[FEED=]SOURCE`` GTFS-Realtime message; what was not applied (unknown
    trips and stops, a stale feed) is said on stderr."""
    from maasmix.feeds.network_fares import feed_labels

    labels = feed_labels(gtfs) if sources else []
    for text in sources:
        label, sep, rest = text.partition("=")
        feed = label if sep and label in labels else None
        source = rest if feed is not None else text
        if len(labels) > 1 and feed is None:
            raise QueryError(
                f"{text!r}: name the GTFS feed it is about, FEED=SOURCE (feeds: "
                f"{', '.join(labels)})",
                parameter="gtfs-rt",
            )
        report = net.realtime_from(source, name=text, feed=feed if len(labels) > 1 else None)
        unknown = report.unknown_trips + report.unknown_stops
        if unknown:
            shown = ", ".join(report.unknown_trip_ids[:5])
            typer.echo(
                f"warning: {source}: {report.unknown_trips} unknown trip(s)"
                f"{f' ({shown})' if shown else ''}, {report.unknown_stops} unknown stop(s)",
                err=True,
            )
        for notice in report.notices:
            if notice.startswith(f"{text}: "):  # this message's (the report has them all)
                typer.echo(f"warning: {notice}", err=True)


def print_plan(console: Console, result: Plan) -> None:
    """A plan as rich tables: one per itinerary, a row per leg; notices first."""
    for notice in result.notices:
        console.print(f"[dim]note: {notice}[/dim]")
    if result.bundle is not None:
        console.print(f"bundle: {result.bundle} (prices: what this traveller pays)")
    if not result.itineraries:
        console.print("no itinerary found")
        return
    for n, journey in enumerate(result.itineraries, start=1):
        money = result.money[n - 1] if n - 1 < len(result.money) else None
        console.print(itinerary_table(n, journey, money))


def itinerary_table(n: int, journey: Journey, money: ItineraryMoney | None = None) -> Table:
    """One itinerary: a row per leg (with ``money``: price and CO2e columns)."""
    from maasmix.api.cli._bundle_option import itinerary_money_text, leg_money_cells

    title = (
        f"{n}. {journey.combination}: {format_clock(journey.departure_s)} -> "
        f"{format_clock(journey.arrival_s)}, {journey.duration_s // 60} min, "
        f"{journey.transfers} transfer(s), {journey.walk_s // 60} min walking"
    )
    if money is not None:
        title += f"; {itinerary_money_text(money)}"
    table = Table(title=title, title_justify="left")
    columns = ["mode", "from", "dep", "to", "arr", "km", "detail"]
    if money is not None:
        columns += ["price", "CO2e"]
    for column in columns:
        table.add_column(column)
    for k, leg in enumerate(journey.legs):
        extra = leg_money_cells(money.legs[k]) if money is not None else ()
        if leg.is_transit:
            detail = f"{leg.route_short_name or leg.route_id} to {leg.headsign or ''}".strip()
        elif leg.rental is not None:
            r = leg.rental
            detail = f"{r.system_name}: {r.form_factor}" + (
                f" {r.vehicle_id}" if r.vehicle_id else ""
            )
        else:
            detail = ""
        table.add_row(
            leg.mode,
            leg.from_name,
            format_clock(leg.start_s),
            leg.to_name,
            format_clock(leg.end_s),
            f"{(leg.distance_m or 0) / 1000:.2f}",
            detail,
            *extra,
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the root command (``serve``: `maasmix.api.cli.serve`)."""
    app.command("plan")(plan)
