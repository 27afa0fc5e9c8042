"""`maasmix feeds ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="feeds commands", no_args_is_help=True)
