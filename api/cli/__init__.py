"""The ``maasmix`` command line: one sub-command module per area."""

from __future__ import annotations

import sys

import typer

from api.cli import bundles, demo, feeds, route
from feeds import FeedError

app = typer.Typer(
    name="maasmix",
    help="maasmix: multimodal journey planning and MaaS bundle pricing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(feeds.app, name="feeds")
app.add_typer(bundles.app, name="bundles")
app.command("route")(route.route)
app.command("demo")(demo.demo)


def main() -> None:
    """Console-script entry point: bad input ends with a readable message and exit status 2."""
    try:
        app()
    except FeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
