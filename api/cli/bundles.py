"""`maasmix bundles ...`: design MaaS bundle menus from a scenario file.

Exit status: 0 done, 2 bad scenario (message names file, line, field), 3 infeasible
(the conflicting constraints are printed), 130 interrupted (Ctrl-C: the search stopped,
the best menu found so far, or the frontier points finished so far, were printed and
written with their status; a second Ctrl-C aborts at once).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from maasmix.api.settings import get_settings
from maasmix.money import minor_per_major
from maasmix.pricing.demand.diaries import DerivedDemand, derive_demand, diary_segments
from maasmix.pricing.frontier import Frontier, FrontierPoint, frontier
from maasmix.pricing.report import write_report
from maasmix.pricing.results import Result
from maasmix.pricing.scenario import (
    Scenario,
    example_names,
    example_path,
    load_scenario,
    scenario_json_schema,
)
from maasmix.pricing.scenario import limits as scenario_limits
from maasmix.pricing.solve.menus import SearchProgress
from maasmix.pricing.solve.objectives import OBJECTIVES, SolverOptions, optimise

app = typer.Typer(
    help="Design MaaS subscription bundles (exact menu search or MIP).", no_args_is_help=True
)

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_INTERRUPTED = 130

SOLVER_HELP = (
    "AUTO (every menu scored when that is cheap, else the branch and bound), ENUM, BNB, SCIP or CBC"
)


class Interrupt:
    """While active, the first Ctrl-C (SIGINT) asks the search to stop and keep what it
    has (``interrupt()`` turns true); a second one raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> Interrupt:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)


WORKERS_HELP = "local Dask workers planning diary trips (0: in this process)"
LIMIT_HELP = (
    "raise or lower a scenario size limit for this run, e.g. max_price_levels=5000 "
    f"(repeatable; one of {', '.join(scenario_limits.LIMIT_NAMES)})"
)


def _limits(ctx: typer.Context, values: list[str]) -> list[str]:
    """``--limit NAME=VALUE``: the limits in force for the rest of the command."""
    changes: dict[str, Any] = {}
    for text in values:
        try:
            name, value = scenario_limits.parse_assignment(text)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--limit") from exc
        changes[name] = value
    if changes:
        ctx.with_resource(scenario_limits.override(**changes))
    return values


SCHEDULER_HELP = "Dask scheduler address (default: MAASMIX_DASK_ADDRESS, else a local cluster)"


def _load(
    path: Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    fresh: bool = False,
    quiet: bool = False,
) -> tuple[Scenario, DerivedDemand | None]:
    """The scenario, with its diary segments planned (or their stored demand read)."""
    scn = load_scenario(path)
    if not diary_segments(scn):
        return scn, None
    demand = _derive(path, workers, scheduler, fresh, quiet)
    return demand.scenario, demand


def _derive(
    path: Path, workers: int, scheduler: str | None, fresh: bool, quiet: bool
) -> DerivedDemand:
    """`derive_demand` with a progress bar and a summary line on stderr."""
    console = Console(stderr=True)
    address = scheduler or get_settings().dask_address
    with _progress(console, quiet) as bar:
        task = bar.add_task("planning diary trips", total=None, info="")

        def tick(done: int, total: int) -> None:
            bar.update(task, total=total, completed=done)

        try:
            demand = derive_demand(
                path, workers=workers, scheduler=address, fresh=fresh, on_progress=tick
            )
        except KeyboardInterrupt:
            typer.echo(
                "interrupted: the chunks of trips planned so far are kept; run again to resume",
                err=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        s = demand.summary
        how = "read from" if s.get("loaded") else "stored in"
        console.print(
            f"demand: {s['trips']:,} diary trips planned once each for {s['products']} "
            f"products; {how} {demand.folder}"
        )
    return demand


def _options(scn: Scenario, solver: str | None, time_limit: float | None) -> SolverOptions:
    try:
        return SolverOptions.from_spec(scn.solver, name=solver, time_limit_s=time_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--solver") from exc


def _money(minor: float | None, currency: str) -> str:
    if minor is None:
        return "-"
    per = minor_per_major(currency)
    return f"{minor / per:,.{len(str(per)) - 1}f} {currency}"


def _gap(gap: float | None) -> str:
    """A relative gap for people: ``2.35 %``, ``< 0.01 %``, ``-`` when unknown."""
    if gap is None:
        return "-"
    if gap == 0.0:
        return "0 %"
    return "< 0.01 %" if gap < 1e-4 else f"{100 * gap:.2f} %"


def status_text(status: str, gap: float | None, stopped: str | None = None) -> str:
    """``optimal``, ``feasible, gap 2.35 % (time limit)``, ..."""
    text = status
    if status in ("feasible", "uncertain") and gap is not None:
        text += f", gap {_gap(gap)}"
    elif status == "feasible":
        text += ", gap unknown"
    if stopped:
        text += f" ({stopped.replace('_', ' ')})"
    return text


def search_line(p: SearchProgress, currency: str) -> str:
    """One line of search progress: work done, incumbent, bound, gap, time left."""
    done = f"{p.explored:,} {p.unit}"
    if p.total:
        done += f" of {p.total:,}"
    return (
        f"{p.method}: {done}; incumbent {_money(p.incumbent, currency)}; "
        f"bound {_money(p.bound, currency)}; gap {_gap(p.gap)}; {p.time_left_s:,.0f} s left"
    )


def print_result(console: Console, r: Result) -> None:
    """One optimisation result for people: solver line, the menu, and the totals."""
    s = r.solve
    console.print(
        f"[bold]{r.scenario}[/bold]: {s.objective}, "
        f"{status_text(s.status, s.gap, s.stopped)}, {s.seconds:,.2f} s ({s.solver})"
    )
    if s.best_bound is not None and s.status != "optimal":
        console.print(f"best bound {_money(s.best_bound, r.currency)}")
    if s.note:
        console.print(f"[yellow]note[/yellow]: {s.note}")
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
        f"uptake {100 * r.uptake:.1f} % ({r.subscribers:,.0f} subscribers), consumer-surplus "
        f"change {_money(r.cs_change_minor, r.currency)} per month"
    )


def _progress(console: Console, disable: bool) -> Progress:
    """A transient bar on a terminal; nothing when stderr is a file or a pipe (a log would
    get only an empty line where the bar was)."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        disable=disable or not console.is_terminal,
        transient=True,
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
    workers: int = typer.Option(2, min=0, max=256, help=WORKERS_HELP),
    scheduler: str | None = typer.Option(None, help=SCHEDULER_HELP),
    fresh: bool = typer.Option(False, help="plan diary trips again, ignoring stored demand"),
    limit: list[str] = typer.Option(
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP, callback=_limits
    ),
) -> None:
    """Choose the bundles to offer and their prices.

    Shows the search's progress (menus or nodes explored, incumbent, bound, gap, time
    left) on stderr; Ctrl-C stops the search and keeps the best menu found so far.
    Diary segments are planned first (or their stored demand is read, see ``bundles
    demand``).
    """
    scn, demand = _load(scenario, workers=workers, scheduler=scheduler, fresh=fresh, quiet=as_json)
    if objective is not None and objective not in OBJECTIVES:
        typer.echo(f"error: unknown objective {objective!r} (one of {OBJECTIVES})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    options = _options(scn, solver, time_limit)
    console = Console(stderr=True)
    with _progress(console, as_json) as bar, Interrupt() as interrupt:
        task = bar.add_task("optimise", total=None, info="")

        def tick(p: SearchProgress) -> None:
            bar.update(
                task,
                total=p.total,
                completed=p.explored if p.total else None,
                description=p.method,
                info=search_line(p, scn.currency),
            )

        result = optimise(
            scn,
            objective=objective,
            min_uptake=min_uptake,
            options=options,
            progress=tick,
            stop=interrupt,
        )
    if report is not None:
        write_report(result, report, demand=demand)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        print_result(Console(), result)
        if report is not None:
            typer.echo(f"report: {report / 'index.html'}")
    if interrupt.requested:
        typer.echo("interrupted: the best menu found so far is shown", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if not result.feasible and result.solve.status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)


def frontier_table(front: Frontier) -> Table:
    """One row per distinct menu (points with the same menu share a row)."""
    cur = front.currency
    table = Table("points", "status", "profit", "subsidy", "surplus change", "uptake", "menu")
    for p, members in front.distinct():
        s = p.summary()
        label = ", ".join(str(i + 1) for i in members)
        if p.dominated:
            label += " (dominated)"
        table.add_row(
            label,
            status_text(s["status"], s["gap"], p.result.solve.stopped),
            _money(s["profit_minor"], cur) if p.result.feasible else "-",
            _money(s["subsidy_minor"], cur) if p.result.feasible else "-",
            _money(s["cs_change_minor"], cur) if p.result.feasible else "-",
            f"{100 * s['uptake']:.1f} %" if p.result.feasible else "-",
            "; ".join(f"{m['bundle']} @ {_money(m['price_minor'], cur)}" for m in s["menu"]),
        )
    return table


@app.command("frontier")
def frontier_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    sweep: str | None = typer.Option(None, help="subsidy, surplus or both"),
    points: int | None = typer.Option(None, help="number of points"),
    solver: str | None = typer.Option(None, help=SOLVER_HELP),
    time_limit: float | None = typer.Option(None, help="seconds per point"),
    report: Path | None = typer.Option(None, help="write an HTML report into this folder"),
    detail: int | None = typer.Option(
        None,
        min=1,
        metavar="N",
        help="the point (as numbered in the table) the report details; default: the "
        "feasible point with the highest profit",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the frontier as JSON"),
    workers: int = typer.Option(2, min=0, max=256, help=WORKERS_HELP),
    scheduler: str | None = typer.Option(None, help=SCHEDULER_HELP),
    fresh: bool = typer.Option(False, help="plan diary trips again, ignoring stored demand"),
    limit: list[str] = typer.Option(
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP, callback=_limits
    ),
) -> None:
    """Trace the profit / subsidy / consumer-surplus frontier (epsilon constraints).

    Ctrl-C stops the sweep; the points finished so far are printed and written.
    """
    scn, demand = _load(scenario, workers=workers, scheduler=scheduler, fresh=fresh, quiet=as_json)
    if sweep is not None and sweep not in ("subsidy", "surplus", "both"):
        typer.echo(f"error: unknown sweep {sweep!r}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if detail is not None and report is None:
        typer.echo("error: --detail chooses what the report shows; it needs --report", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    console = Console(stderr=True)
    with _progress(console, as_json) as bar, Interrupt() as interrupt:
        task = bar.add_task("frontier", total=None, info="")

        def tick(i: int, n: int, point: FrontierPoint) -> None:
            bar.update(task, total=n, completed=i, description=f"point {i}/{n}")

        def inner(p: SearchProgress) -> None:
            bar.update(task, info=search_line(p, scn.currency))

        front: Frontier = frontier(
            scn,
            sweep=sweep,
            points=points,
            options=_options(scn, solver, time_limit),
            progress=tick,
            search_progress=inner,
            stop=interrupt,
        )
    if report is not None:
        write_report(front, report, demand=demand, detail=detail)
    if as_json:
        typer.echo(json.dumps(front.to_dict(), indent=2))
    else:
        out = Console()
        out.print(frontier_table(front))
        distinct = len(front.distinct())
        out.print(
            f"{len(front.points)} of {front.planned} points ({distinct} distinct menus) "
            f"in {front.seconds:,.1f} s"
        )
        if report is not None:
            out.print(f"report: {report / 'index.html'}")
    if interrupt.requested or front.interrupted:
        typer.echo(f"interrupted: {len(front.points)} of {front.planned} points finished", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command("demand")
def demand_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML file with diary segments"),
    workers: int = typer.Option(2, min=0, max=256, help=WORKERS_HELP),
    scheduler: str | None = typer.Option(None, help=SCHEDULER_HELP),
    fresh: bool = typer.Option(False, help="plan again, ignoring stored demand"),
    bundle: list[str] = typer.Option(
        [], "--bundle", help="also show usage with this bundle or offer (repeatable)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the derived tables as JSON"),
    limit: list[str] = typer.Option(
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP, callback=_limits
    ),
) -> None:
    """Plan the diary segments' trips and derive their demand (stored beside the scenario).

    Prints the usage per segment and mode paying as you go (and with each ``--bundle``);
    the derived scenario is ``<scenario>.demand/demand.yaml``, the tables beside it.
    Ctrl-C stops planning; a later run resumes from the finished chunks.
    """
    scn = load_scenario(scenario)
    if not diary_segments(scn):
        typer.echo(f"error: {scenario}: no segment names a diary", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    demand = _derive(scenario, workers, scheduler, fresh, as_json)
    if as_json:
        out = {
            "summary": demand.summary,
            "usage": demand.usage.to_dict(orient="records"),
            "mode_shift": demand.mode_shift.to_dict(orient="records"),
            "emissions": demand.emissions.to_dict(orient="records"),
        }
        typer.echo(json.dumps(out, indent=2))
        return
    known = set(demand.usage["product"])
    for name in bundle:
        if name not in known:
            shown = ", ".join(sorted(k for k in known if k)[:12])
            raise typer.BadParameter(
                f"unknown bundle {name!r} (e.g. {shown})", param_hint="--bundle"
            )
    u = demand.usage.set_index(["segment", "product", "mode"])["per_traveller"]
    table = Table("segment", "mode", "unit", "pay as you go", *[f"with {b}" for b in bundle])
    for sid, mode, unit in demand.usage[demand.usage["product"] == ""][
        ["segment", "mode", "unit"]
    ].itertuples(index=False, name=None):
        table.add_row(
            sid,
            mode,
            unit,
            f"{u[(sid, '', mode)]:,.1f}",
            *[f"{u[(sid, b, mode)]:,.1f}" for b in bundle],
        )
    out_console = Console()
    out_console.print(table)
    s = demand.summary
    out_console.print(
        f"{s['trips']:,} trips ({s['trips_without_itinerary']:,} without an itinerary), "
        f"{s['itineraries']:,} itineraries; {s['plans']:,} plans for {s['products']} products "
        f"(saved {100 * s['plans_saved_share']:.1f} % of plans, "
        f"{100 * s['evaluations_saved_share']:.1f} % of evaluations shared); "
        f"derived scenario: {demand.folder / 'demand.yaml' if demand.folder else '-'}"
    )


@app.command("validate")
def validate_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    limit: list[str] = typer.Option(
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP, callback=_limits
    ),
) -> None:
    """Check a scenario file (exit 2 with file, line and field on a problem)."""
    scn = load_scenario(scenario)
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
