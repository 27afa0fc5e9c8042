"""`maasmix fares inspect FEED`: the fare products, rules and fare features of a GTFS feed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from maasmix.api.cli._render import print_json, print_summary
from maasmix.feeds.fares import FareTables, read_fares
from maasmix.feeds.gtfs import load_gtfs
from maasmix.money import format_minor

app = typer.Typer(help="Inspect the fares of a GTFS feed.", no_args_is_help=True)


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {
        "amount_minor": int(amount),
        "currency": currency,
        "text": format_minor(amount, currency),
    }


def _records(frame: pd.DataFrame, limit: int | None) -> list[dict[str, Any]]:
    shown = frame if limit is None else frame.head(limit)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in shown.to_dict(orient="records")
    ]


def fares_report(tables: FareTables, limit: int | None = 50) -> dict[str, Any]:
    """JSON-ready report: ``summary`` (counts, currencies, features) and the tables.

    ``fare_attributes`` and ``fare_products`` carry their price as ``price`` /
    ``amount`` (``amount_minor``, ``currency``, ``text``); each table lists at most
    ``limit`` rows (None: all), its row count being in ``summary``.
    """
    rules_per_fare = tables.rules.groupby("fare_id").size()
    attributes = []
    for row in _records(tables.attributes, limit):
        attributes.append(
            {
                "fare_id": row["fare_id"],
                "price": _money(row["price_minor"], row["currency"]),
                "payment_method": row["payment_method"],
                "transfers": None if row["transfers"] < 0 else row["transfers"],
                "transfer_duration_s": None
                if row["transfer_duration_s"] < 0
                else row["transfer_duration_s"],
                "agency_id": row["agency_id"] or None,
                "rules": int(rules_per_fare.get(row["fare_id"], 0)),
            }
        )
    products = [
        {
            "fare_product_id": row["fare_product_id"],
            "name": row["fare_product_name"],
            "rider_category_id": row["rider_category_id"] or None,
            "fare_media_id": row["fare_media_id"] or None,
            "amount": _money(row["amount_minor"], row["currency"]),
        }
        for row in _records(tables.products, limit)
    ]
    return {
        "summary": tables.summary(),
        "fare_attributes": attributes,
        "fare_rules": _records(tables.rules, limit),
        "fare_products": products,
        "rider_categories": _records(tables.rider_categories, limit),
        "fare_media": _records(tables.media, limit),
        "fare_leg_rules": _records(tables.leg_rules, limit),
        "fare_transfer_rules": _records(tables.transfer_rules, limit),
        "timeframes": _records(tables.timeframes, limit),
    }


def _table(console: Console, title: str, rows: list[dict[str, Any]], total: int) -> None:
    if not rows:
        return
    shown = f"{title} ({len(rows)} of {total})" if len(rows) < total else title
    table = Table(title=shown, title_justify="left")
    columns = list(rows[0])
    for c in columns:
        table.add_column(c)
    for row in rows:
        cells = []
        for c in columns:
            v = row[c]
            cells.append(
                v["text"] if isinstance(v, dict) and "text" in v else "" if v is None else str(v)
            )
        table.add_row(*cells)
    console.print(table)


@app.command("inspect")
def inspect(
    feed: str = typer.Argument(..., help="GTFS zip, folder or URL"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    limit: int = typer.Option(50, "--limit", min=0, help="rows shown per table (0: all)"),
) -> None:
    """Fare products, fare rules and the fare features the feed uses (Fares v1 and v2)."""
    tables = read_fares(load_gtfs(feed))
    report = fares_report(tables, None if limit == 0 else limit)
    if as_json:
        print_json(report)
        return
    summary = dict(report["summary"])
    features = summary.pop("features")
    summary["features used"] = ", ".join(k for k, v in features.items() if v) or "none"
    summary["features not used"] = ", ".join(k for k, v in features.items() if not v) or "none"
    console = Console()
    print_summary(f"Fares: {feed}", summary, console)
    counts = report["summary"]
    _table(console, "fare_attributes", report["fare_attributes"], counts["fare_attributes"])
    _table(console, "fare_rules", report["fare_rules"], counts["fare_rules"])
    _table(console, "fare_products", report["fare_products"], counts["fare_product_rows"])
    _table(console, "rider_categories", report["rider_categories"], counts["rider_categories"])
    _table(console, "fare_media", report["fare_media"], counts["fare_media"])
    _table(console, "fare_leg_rules", report["fare_leg_rules"], counts["fare_leg_rules"])
    _table(
        console, "fare_transfer_rules", report["fare_transfer_rules"], counts["fare_transfer_rules"]
    )
    _table(console, "timeframes", report["timeframes"], counts["timeframes"])
