"""`maasmix bundles ...`: design MaaS bundle menus from a scenario file.

Exit status: 0 done, 2 bad scenario (message names file, line, field), 3 infeasible
(the conflicting constraints are printed).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from maasmix.money import format_minor
from maasmix.pricing.frontier import Frontier, FrontierPoint, frontier
from maasmix.pricing.objectives import OBJECTIVES, SolverOptions, optimise
from maasmix.pricing.report import write_report
from maasmix.pricing.results import Result
from maasmix.pricing.scenario import (
    Scenario,
    example_names,
    example_path,
    load_scenario,
    scenario_json_schema,
)

app = typer.Typer(help="Design MaaS subscription bundles (OR-Tools MIP).", no_args_is_help=True)

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3

SOLVER_HELP = "AUTO (exhaustive menu search when small enough, else SCIP), ENUM, SCIP or CBC"


def _load(path: Path) -> Scenario:
    return load_scenario(path)


def _options(scn: Scenario, solver: str | None, time_limit: float | None) -> SolverOptions:
    try:
        return SolverOptions.from_spec(scn.solver, name=solver, time_limit_s=time_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--solver") from exc


def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def print_result(console: Console, r: Result) -> None:
    """One optimisation result for people: solver line, the menu, and the totals."""
    s = r.solve
    gap = "" if s.gap is None else f", gap {s.gap:.3g}"
    console.print(f"[bold]{r.scenario}[/bold]: {s.objective}, {s.status}{gap}, {s.seconds:.2f} s")
    if not r.feasible:
        if r.conflicts:
            console.print(
                "[red]infeasible[/red]; conflicting constraints: " + ", ".join(r.conflicts)
            )
        return
    table = Table("bundle", "price", "subscribers")
    for m in r.menu:
        table.add_row(m.bundle, _money(m.price_minor, r.currency), f"{m.subscribers:,.0f}")
    console.print(table)
    console.print(
        f"profit {_money(r.profit_minor, r.currency)}, "
        f"subsidy {_money(r.subsidy_minor, r.currency)}, "
        f"uptake {100 * r.uptake:.1f} %, consumer-surplus change "
        f"{_money(r.cs_change_minor, r.currency)} per month"
    )


@app.command("optimise")
def optimise_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    objective: str | None = typer.Option(
        None, help=f"one of {', '.join(OBJECTIVES)} (default: the scenario's)"
    ),
    min_uptake: float | None = typer.Option(None, help="required uptake, share of travellers"),
    solver: str | None = typer.Option(None, help=SOLVER_HELP),
    time_limit: float | None = typer.Option(None, help="seconds"),
    report: Path | None = typer.Option(None, help="write an HTML report into this folder"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Choose the bundles to offer and their prices."""
    scn = _load(scenario)
    if objective is not None and objective not in OBJECTIVES:
        typer.echo(f"error: unknown objective {objective!r} (one of {OBJECTIVES})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    result = optimise(
        scn, objective=objective, min_uptake=min_uptake, options=_options(scn, solver, time_limit)
    )
    if report is not None:
        write_report(result, report)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        print_result(Console(), result)
        if report is not None:
            typer.echo(f"report: {report / 'index.html'}")
    if not result.feasible and result.solve.status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)


@app.command("frontier")
def frontier_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    sweep: str | None = typer.Option(None, help="subsidy, surplus or both"),
    points: int | None = typer.Option(None, help="number of points"),
    solver: str | None = typer.Option(None, help=SOLVER_HELP),
    time_limit: float | None = typer.Option(None, help="seconds per point"),
    report: Path | None = typer.Option(None, help="write an HTML report into this folder"),
    as_json: bool = typer.Option(False, "--json", help="print the frontier as JSON"),
) -> None:
    """Trace the profit / subsidy / consumer-surplus frontier (epsilon constraints)."""
    scn = _load(scenario)
    if sweep is not None and sweep not in ("subsidy", "surplus", "both"):
        typer.echo(f"error: unknown sweep {sweep!r}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task("frontier", total=None)

        def tick(i: int, n: int, point: FrontierPoint) -> None:
            bar.update(task, total=n, completed=i, description=f"point {i}/{n}")

        front: Frontier = frontier(
            scn,
            sweep=sweep,
            points=points,
            options=_options(scn, solver, time_limit),
            progress=tick,
        )
    if report is not None:
        write_report(front, report)
    if as_json:
        typer.echo(json.dumps(front.to_dict(), indent=2))
        return
    out = Console()
    table = Table("#", "status", "profit", "subsidy", "surplus change", "uptake", "menu")
    for i, p in enumerate(front.points, 1):
        s = p.summary()
        cur = front.currency
        table.add_row(
            str(i) + (" (dominated)" if p.dominated else ""),
            s["status"],
            _money(s["profit_minor"], cur),
            _money(s["subsidy_minor"], cur),
            _money(s["cs_change_minor"], cur),
            f"{100 * s['uptake']:.1f} %",
            "; ".join(f"{m['bundle']} @ {_money(m['price_minor'], cur)}" for m in s["menu"]),
        )
    out.print(table)
    out.print(f"{len(front.points)} points in {front.seconds:.1f} s")
    if report is not None:
        out.print(f"report: {report / 'index.html'}")


@app.command("validate")
def validate_cmd(scenario: Path = typer.Argument(..., help="scenario YAML file")) -> None:
    """Check a scenario file (exit 2 with file, line and field on a problem)."""
    scn = _load(scenario)
    typer.echo(f"ok: {scn.name} ({len(scn.segments)} segments, {len(scn.modes)} modes)")


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(scenario_json_schema(), indent=2, sort_keys=True))


@app.command("example")
def example_cmd(
    name: str | None = typer.Argument(None, help="example name; omit to list them"),
) -> None:
    """List the shipped example scenarios, or print one (to copy and edit)."""
    if name is None:
        for n in example_names():
            typer.echo(n)
        return
    typer.echo(example_path(name).read_text(encoding="utf-8"))
