"""`maasmix serve`: the HTTP API on the networks of a deployment file (or of flags), with
N worker processes; `maasmix keygen`: a new API key and its deployment entry."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import typer

from maasmix.api.deployment import (
    Deployment,
    FeedSpec,
    GbfsSpec,
    NetworkSpec,
    build_network,
    hash_key,
    read_deployment,
)

__all__ = ["default_workers", "keygen", "load_app", "register", "serve"]


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _flag_network(
    gtfs: list[str], osm: str | None, gbfs: list[str], date: str | None, fare_contains: str | None
) -> NetworkSpec:
    from maasmix.servicetime import parse_service_date

    day = parse_service_date(date) if date else dt.date.today()
    return NetworkSpec(
        "default",
        tuple(FeedSpec(g, fare_contains) for g in gtfs),
        osm,
        tuple(GbfsSpec(g) for g in gbfs),
        day,
    )


def load_app(deployment: Deployment, cache_dir: Path | None = None) -> Any:
    """The app of ``deployment`` with every network loaded (in file order)."""
    from maasmix.api.app import create_app
    from maasmix.api.routes.networks import register_spec
    from maasmix.api.routes.plan import register_network
    from maasmix.api.settings import get_settings

    if deployment.limits.scenario:
        from maasmix.pricing.scenario import limits as scenario_limits

        scenario_limits.configure(scenario_limits.current().replace(**deployment.limits.scenario))
    app = create_app(deployment)
    for spec in deployment.networks:
        net = build_network(spec, cache_dir or get_settings().cache_dir)
        register_network(app, spec.name, net)
        register_spec(app, spec)
    return app


def serve(
    deployment: Path | None = typer.Option(
        None, "--deployment", help="YAML deployment file (maasmix.api.deployment)"
    ),
    gtfs: list[str] = typer.Option([], "--gtfs", help="GTFS feed(s) of a network 'default'"),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract of that network"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS system(s) of that network"),
    date: str | None = typer.Option(None, "--date", help="service date (YYYYMMDD; default today)"),
    fare_contains: str | None = typer.Option(
        None, "--fare-contains", help="Fares v1 contains_id reading of --gtfs: exact or subset"
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=0, max=65535),
    workers: int = typer.Option(
        0, "--workers", min=0, max=256, help="worker processes (0: one per core)"
    ),
    demo: bool = typer.Option(
        False, "--demo", help="also serve the demo city (written to --demo-dir) as 'demo'"
    ),
    demo_dir: Path = typer.Option(Path("out/demo-city"), "--demo-dir"),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Run the HTTP API. ``--deployment FILE`` loads every network of the file (plans pick
    one with ``network=NAME``) with its keys, limits, CORS origins, storage and Dask
    scheduler; ``--gtfs ...`` adds a network named ``default``. The networks are loaded
    once and shared by the ``--workers`` processes; GBFS status is refreshed in the
    background, honouring each feed's ``ttl``."""
    import dataclasses

    from maasmix.api.workers import serve as run

    plan = read_deployment(deployment) if deployment is not None else Deployment()
    if gtfs:
        extra = _flag_network(gtfs, osm, gbfs, date, fare_contains)
        plan = dataclasses.replace(plan, networks=(*plan.networks, extra))
    if demo:
        from maasmix.feeds.demo import write_demo_city

        city = write_demo_city(demo_dir)
        spec = NetworkSpec(
            "demo",
            (FeedSpec(str(city.gtfs_zip)),),
            str(city.osm_pbf),
            (GbfsSpec(str(city.gbfs_dir), max_age_s=None),),
            city.service_date,
        )
        plan = dataclasses.replace(plan, networks=(*plan.networks, spec))
    app = load_app(plan)
    run(app, host, port, workers or default_workers(), log_level=log_level)


def keygen(
    name: str = typer.Argument(..., help="the key's name (shown in logs and 403s)"),
    scope: list[str] = typer.Option(["read"], "--scope", help="read and/or write (repeatable)"),
) -> None:
    """Print a new API key (give it to the client) and the deployment ``keys:`` entry
    that holds only its hash."""
    import json

    from maasmix.api.security import SCOPES, new_key
    from maasmix.errors import QueryError

    bad = sorted(set(scope) - set(SCOPES))
    if bad:
        raise QueryError(f"unknown scope {bad[0]!r} (read, write)", parameter="--scope")
    key = new_key()
    typer.echo(f"key: {key}")
    entry = {"name": name, "sha256": hash_key(key), "scopes": sorted(set(scope))}
    typer.echo(f"deployment entry (under keys:):\n  - {json.dumps(entry)}")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``keygen`` to the root command."""
    app.command("serve")(serve)
    app.command("keygen")(keygen)
