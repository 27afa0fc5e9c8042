"""`maasmix bundles ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="bundles commands", no_args_is_help=True)
