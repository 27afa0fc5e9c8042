"""The ``maasmix`` command line: one sub-command module per area.

Any `feeds.FeedError` raised by a command (bad file, row or field) ends the run with the
readable message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from api.cli import bundles, demo, feeds, route
from feeds import FeedError


class _ReportingGroup(TyperGroup):
    """Root command group that turns FeedError into a one-line message and exit status 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FeedError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc


app = typer.Typer(
    name="maasmix",
    cls=_ReportingGroup,
    help="maasmix: multimodal journey planning and MaaS bundle pricing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(feeds.app, name="feeds")
app.add_typer(bundles.app, name="bundles")
app.command("route")(route.route)
app.command("demo")(demo.demo)


def main() -> None:
    """Console-script entry point."""
    app()
