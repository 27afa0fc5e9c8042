"""Rendering of JSON-ready summaries for people (rich) and machines (JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (non-JSON values via ``str``)."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if len(value) > 12:
            shown = ", ".join(str(v) for v in value[:12])
            return f"{shown}, ... ({len(value)} in all)"
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def print_summary(title: str, summary: dict[str, Any], console: Console | None = None) -> None:
    """Print a summary dict as a two-column table (nested dicts as ``key: value`` lines)."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in summary.items():
        table.add_row(str(key), _cell(value))
    (console or Console()).print(table)
