"""The ``maasmix`` command line: one sub-command module per area.

Any `maasmix.errors.MaasmixError` raised by a command (a bad file, row or field; a bad
query parameter; a date without service) ends the run with the readable message on
stderr and exit status 2, never a traceback. Repairs of tolerable
quirks (`feeds.FeedWarning`) are printed on stderr as ``warning: ...`` lines.
"""

from __future__ import annotations

import warnings
from typing import Any

import typer
from typer.core import TyperGroup

from maasmix import __version__
from maasmix.api.cli import analysis, bundles, demo, fares, feeds, plan, route, serve
from maasmix.api.settings import apply_settings
from maasmix.errors import FeedWarning, MaasmixError, QueryError

#: Engine parameter names as the command line spells them.
CLI_PARAMETERS = {
    "depart": "--at",
    "window_start": "--start",
    "window_end": "--end",
    "rider_category": "--rider-category",
    "bundle": "--bundle",
    "fare_contains": "--fare-contains",
}


class _ReportingGroup(TyperGroup):
    """Root command group: a MaasmixError becomes one line on stderr and exit status 2."""

    def invoke(self, ctx: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FeedWarning)
            try:
                return super().invoke(ctx)
            except MaasmixError as exc:
                shown = exc.renamed(CLI_PARAMETERS) if isinstance(exc, QueryError) else exc
                typer.echo(f"error: {shown}", err=True)
                raise typer.Exit(2) from exc
            finally:
                for warning in caught:
                    if issubclass(warning.category, FeedWarning):
                        typer.echo(f"warning: {warning.message}", err=True)
                    else:
                        warnings.warn_explicit(
                            warning.message, warning.category, warning.filename, warning.lineno
                        )


app = typer.Typer(
    name="maasmix",
    cls=_ReportingGroup,
    help="maasmix: multimodal journey planning and MaaS bundle pricing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"maasmix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """maasmix: multimodal journey planning and MaaS bundle pricing."""
    apply_settings()  # MAASMIX_FEED_LIMITS__... and the other limits, for this run


app.add_typer(feeds.app, name="feeds")
app.add_typer(bundles.app, name="bundles")
app.add_typer(fares.app, name="fares")
app.command("route")(route.route)
app.command("demo")(demo.demo)
plan.register(app)
serve.register(app)
analysis.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
