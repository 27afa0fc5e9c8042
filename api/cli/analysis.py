"""`maasmix matrix | isochrones | accessibility | accessibility-compare`: analyses over a
network, with the network flags of ``maasmix plan``; results by ``--out`` extension
(Parquet, CSV, GeoJSON, PNG, HTML). ``accessibility-compare`` runs the same accessibility
on two networks (``--gbfs-after``: the first plus a GBFS system; ``--gtfs-after``: other
timetables) and writes the difference per origin (`maasmix.engine.accessibility.compare`),
printing its one-line summary.

Matrices and accessibility run in origin chunks (`maasmix.api.analysis.run_chunks`):
``--workers N`` on a local Dask cluster, ``--scheduler ADDRESS`` (or
``MAASMIX_DASK_ADDRESS``) on a real one; the chunks go to ``OUT.parts/`` as they finish,
so an interrupted run started again with the same arguments resumes; the folder is
removed once ``OUT`` is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer

from maasmix.api.analysis import AnalysisRun, AnalysisSpec, _geo, run_chunks, write_result
from maasmix.api.cli.plan import parse_at
from maasmix.api.settings import get_settings
from maasmix.engine.accessibility import compare
from maasmix.engine.isochrones import DEFAULT_CUTOFFS, isochrones, to_geojson
from maasmix.engine.matrix import percentile_column
from maasmix.errors import QueryError
from maasmix.feeds.points import h3_points, read_points
from maasmix.pricing.demand.jobs import NetworkArgs

__all__ = ["register"]

#: Help texts shared by the analysis commands (units and defaults named).
_POINTS_HELP = "points: CSV id,lat,lon, GeoJSON, GeoPackage or GeoParquet (any CRS)"
_DEST_HELP = "points as --origins, with the opportunities' columns (e.g. id,lat,lon,jobs)"
_OPP_HELP = "destination columns counted as opportunities, comma-separated"
_TO_HELP = "points as --origins (default: the origins)"
_LABEL_HELP = "names the change in the summary line (default: adding <GBFS folder>)"
_H3_HELP = "origins: centres of the H3 cells (resolution 0-15) over the network's extent"
_WINDOW_HELP = "minutes of departures from --at, one search each minute"
_PCTS_HELP = "of the travel times over the window, 0-100, e.g. 25,50,75"
_PCT_HELP = "of the travel times over the window, 0-100"
_MAXT_HELP = "minutes; longer trips count as not reached (NaN)"
_CUTOFF_HELP = (
    "minutes, for share_within_{C}: the share of departures arriving within it"
    " (default: --max-time)"
)
_DECAYV_HELP = (
    "minutes: linear ramp width, logistic sd (default 10); unused by step and"
    " exponential (half-life = cutoff)"
)
_WORKERS_HELP = "local Dask worker processes (0: run in this process)"
_SCHED_HELP = "Dask scheduler address (default: $MAASMIX_DASK_ADDRESS)"
_CHUNK_HELP = "origins per chunk (written to OUT.parts/ as each finishes)"
_CACHE_HELP = "compiled-network cache (default: $MAASMIX_CACHE_DIR or the platform's cache folder)"

#: The access and egress modes, as every analysis command's help lists them.
_MODES_HELP = (
    "comma-separated: WALK (always), BICYCLE (own bike), BICYCLE_RENTAL, SCOOTER_RENTAL,"
    " MOPED_RENTAL, RENTAL (all shared)"
)

#: The isochrones' default cutoffs as the command line spells them.
_CUTOFFS = ",".join(str(c) for c in DEFAULT_CUTOFFS)


def _numbers(text: str, parameter: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in str(text).split(",") if v.strip())
    except ValueError:
        raise QueryError(
            f"expected comma-separated numbers, got {text!r}", parameter=parameter
        ) from None
    if not values:
        raise QueryError("expected at least one number", parameter=parameter)
    return values


def _modes(text: str) -> tuple[str, ...]:
    return tuple(m.strip().upper() for m in str(text).split(",") if m.strip()) or ("WALK",)


def _args(
    gtfs: list[str], osm: str | None, gbfs: list[str], date: str | None, when: dt.datetime,
    cache_dir: Path | None,
) -> NetworkArgs:  # fmt: skip
    def absolute(p: str) -> str:
        return p if "://" in p else str(Path(p).resolve())

    return NetworkArgs(
        gtfs=tuple(absolute(g) for g in gtfs),
        osm=absolute(osm) if osm else None,
        gbfs=tuple(absolute(g) for g in gbfs),
        date=date or when.strftime("%Y%m%d"),
        cache_dir=str(cache_dir or get_settings().cache_dir),
    )


def _points(
    source: str | None, h3: int | None, args: NetworkArgs, name: str, required: bool
) -> pd.DataFrame | None:
    if source is not None and h3 is not None:
        raise QueryError("give a file or --h3, not both", parameter=name)
    if source is not None:
        return read_points(source, name=name)
    if h3 is not None:
        return h3_points(args.build().compiled.bbox, h3)
    if required:
        raise QueryError("a points file or --h3 RESOLUTION is needed", parameter=name)
    return None


def _run(
    args: NetworkArgs,
    spec: AnalysisSpec,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    out: Path,
    workers: int,
    scheduler: str | None,
    chunk: int,
) -> AnalysisRun:
    parts = out.with_name(out.name + ".parts")
    address = scheduler or get_settings().dask_address
    if not sys.stderr.isatty():
        return run_chunks(args, spec, origins, destinations, parts, chunk_origins=chunk,
                          workers=workers, scheduler=address)  # fmt: skip
    with progress_bar() as tick:
        return run_chunks(args, spec, origins, destinations, parts, chunk_origins=chunk,
                          workers=workers, scheduler=address, on_chunk=tick)  # fmt: skip


@contextlib.contextmanager
def progress_bar(console: Any = None) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (or ``console``, a rich Console) for a chunked run:
    "chunks ━━━╺━━ 3/8 0:00:12 left"; yields ``tick(done, total)``, which
    `maasmix.api.analysis.run_chunks` calls as chunks finish (resumed ones included)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("chunks"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeRemainingColumn(), TextColumn("left"))  # fmt: skip
    with Progress(*columns, transient=True, console=console) as bar:
        task = bar.add_task("chunks", total=None)
        started: list[int] = []

        def tick(done: int, total: int) -> None:
            if not started:  # chunks resumed from disk do not count in the speed
                started.append(done)
                bar.reset(task, completed=done, total=total)
            else:
                bar.update(task, completed=done, total=total)

        yield tick


def _network_name(args: NetworkArgs) -> str:
    """The network as a map title names it: its input files' names."""
    names = [*args.gtfs, *([args.osm] if args.osm else []), *args.gbfs]
    return " + ".join(Path(n.rstrip("/")).name for n in names)


def _window_text(when: dt.datetime, window: float, percentile: float) -> str:
    """E.g. "p50 of the travel times departing 08:00-09:00 every minute"."""
    end = when + dt.timedelta(minutes=window)
    return f"p{percentile:g} of the travel times departing {when:%H:%M}-{end:%H:%M} every minute"


def _access_title(spec: AnalysisSpec, cutoff: float) -> str:
    """E.g. "jobs reachable within 30 min (logistic decay, sd 5 min)"."""
    decay = spec.decay_function
    if decay == "step":
        how = "step cutoff"
    elif decay == "exponential":
        how = f"negative exponential decay, half-life {cutoff:g} min"
    elif spec.decay_value is not None:
        what = "width" if decay == "linear" else "sd"
        how = f"{decay} decay, {what} {spec.decay_value:g} min"
    else:
        how = f"{decay} decay"
    return f"{spec.opportunities[0]} reachable within {cutoff:g} min ({how})"


def _finish(result: AnalysisRun, out: Path, written: Path, rows: int) -> None:
    shutil.rmtree(out.with_name(out.name + ".parts"), ignore_errors=True)
    resumed = f", {result.chunks_resumed} resumed" if result.chunks_resumed else ""
    what = "origins drawn" if out.suffix.lower() in (".png", ".html") else "rows"
    typer.echo(
        f"wrote {written} ({rows} {what}; {result.chunks} chunks{resumed}; {result.seconds:.1f} s)",
        err=True,
    )


def matrix(
    gtfs: list[str] = typer.Option(..., "--gtfs", help="GTFS zip, folder or URL (repeatable)"),
    at: str = typer.Option(..., "--at", help="first departure, ISO 8601: 2022-02-22T08:00"),
    out: Path = typer.Option(..., "--out", help="result: .parquet .csv .geojson .png .html"),
    origins: str | None = typer.Option(None, "--origins", help=_POINTS_HELP),
    destinations: str | None = typer.Option(None, "--destinations", help=_TO_HELP),
    h3: int | None = typer.Option(
        None,
        "--h3",
        help=_H3_HELP,
    ),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract (.osm.pbf); else crow-fly"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS folder, gbfs.json or URL (repeatable)"),
    date: str | None = typer.Option(None, "--date", help="service date (default: that of --at)"),
    window: float = typer.Option(60, "--window", help=_WINDOW_HELP),
    percentiles: str = typer.Option("50", "--percentiles", help=_PCTS_HELP),
    max_time: float = typer.Option(60, "--max-time", help=_MAXT_HELP),
    max_rides: int = typer.Option(8, "--max-rides", help="at most this many transit rides"),
    cutoff: float | None = typer.Option(
        None,
        "--cutoff",
        help=_CUTOFF_HELP,
    ),
    access_modes: str = typer.Option("WALK", "--access-modes", help=_MODES_HELP),
    egress_modes: str = typer.Option("WALK", "--egress-modes", help=_MODES_HELP),
    workers: int = typer.Option(0, "--workers", min=0, help=_WORKERS_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=_SCHED_HELP),
    chunk: int = typer.Option(50, "--chunk", min=1, help=_CHUNK_HELP),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help=_CACHE_HELP,
    ),
    backend: str = typer.Option("maasmix", "--backend", help="maasmix, or r5py (R5, Java 21+)"),
    r5_jar: str | None = typer.Option(None, "--r5-jar", help="the R5 jar (r5py backend)"),
) -> None:
    """Travel-time matrix: percentiles over a departure window, per origin and destination."""
    when = parse_at(at)
    args = _args(gtfs, osm, gbfs, date, when, cache_dir)
    if backend not in ("maasmix", "r5py"):
        raise QueryError(f"unknown backend {backend!r} (maasmix or r5py)", parameter="backend")
    if backend == "r5py":
        from maasmix.api.r5py_backend import r5py_matrix, unavailable

        reason = unavailable(r5_jar, args.osm)
        if reason is not None:  # said before any point file is read
            raise QueryError(f"r5py is unavailable: {reason}", parameter="backend")
    o = _points(origins, h3, args, "origins", True)
    d = _points(destinations, None, args, "destinations", False)
    assert o is not None
    spec = AnalysisSpec(
        kind="matrix", departure=when.isoformat(), window=window,
        percentiles=_numbers(percentiles, "percentiles"), max_time=max_time,
        max_rides=max_rides, cutoff=cutoff, access_modes=_modes(access_modes),
        egress_modes=_modes(egress_modes),
    )  # fmt: skip
    if backend == "r5py":
        assert args.osm is not None and r5_jar is not None
        frame = r5py_matrix(args.gtfs, args.osm, o, o if d is None else d, when, window,
                            spec.percentiles, max_time, max_rides, r5_jar)  # fmt: skip
        written = write_result(frame, out, percentile_column(spec.percentiles[0]))
        typer.echo(f"wrote {written} ({len(frame)} rows; r5py)", err=True)
        return
    result = _run(args, spec, o, o if d is None else d, out, workers, scheduler, chunk)
    frame = result.frame
    if out.suffix.lower() in (".png", ".html", ".geojson", ".json", ".gpkg"):
        # one feature per origin: the median over destinations of the first percentile, an
        # unreached destination counting as longer than any (NaN when half are unreached)
        column = percentile_column(spec.percentiles[0])
        times = frame[column].fillna(np.inf)
        per = times.groupby(frame["from_id"], sort=False).median().replace(np.inf, np.nan)
        shown = o[["id", "lat", "lon"]].copy()
        shown[f"median_{column}"] = per.reindex(shown["id"]).to_numpy()
        title = (
            f"Median over {len(o if d is None else d):,} destinations of the {column}, "
            f"unreached ones counting as longer than {max_time:g} min "
            f"({_window_text(when, window, spec.percentiles[0])}); {_network_name(args)}; "
            f"access {'+'.join(spec.access_modes)}"
        )
        written = write_result(shown, out, f"median_{column}", title=title,
                               label=f"median {column} (minutes)")  # fmt: skip
    else:
        shown = frame
        written = write_result(frame, out, percentile_column(spec.percentiles[0]))
    _finish(result, out, written, len(shown))


def _accessibility_spec(
    when: dt.datetime, window: float, percentiles: str, cutoffs: str, decay: str,
    decay_value: float | None, opportunities: str, max_rides: int, access_modes: str,
    egress_modes: str,
) -> AnalysisSpec:  # fmt: skip
    """The accessibility analysis the command line asks for (the search bounded by the
    largest cutoff, or 3x it for the decays with a tail, at most a day)."""
    cuts = _numbers(cutoffs, "cutoffs")
    tail = 1.0 if decay == "step" else 3.0
    return AnalysisSpec(
        kind="accessibility", departure=when.isoformat(), window=window,
        percentiles=_numbers(percentiles, "percentiles"),
        max_time=float(min(max(cuts) * tail + (decay_value or 10.0), 1440)),
        max_rides=max_rides,
        opportunities=tuple(x.strip() for x in opportunities.split(",") if x.strip()),
        cutoffs=cuts, decay_function=decay, decay_value=decay_value,
        access_modes=_modes(access_modes), egress_modes=_modes(egress_modes),
    )  # fmt: skip


def accessibility(
    gtfs: list[str] = typer.Option(..., "--gtfs", help="GTFS zip, folder or URL (repeatable)"),
    at: str = typer.Option(..., "--at", help="first departure, ISO 8601: 2022-02-22T08:00"),
    out: Path = typer.Option(..., "--out", help="result: .parquet .csv .geojson .png .html"),
    destinations: str = typer.Option(..., "--destinations", help=_DEST_HELP),
    origins: str | None = typer.Option(None, "--origins", help=_POINTS_HELP),
    h3: int | None = typer.Option(
        None,
        "--h3",
        help=_H3_HELP,
    ),
    opportunities: str = typer.Option("jobs", "--opportunities", help=_OPP_HELP),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract (.osm.pbf); else crow-fly"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS folder, gbfs.json or URL (repeatable)"),
    date: str | None = typer.Option(None, "--date", help="service date (default: that of --at)"),
    window: float = typer.Option(60, "--window", help=_WINDOW_HELP),
    percentiles: str = typer.Option("50", "--percentiles", help=_PCTS_HELP),
    cutoffs: str = typer.Option("30", "--cutoffs", help="minutes, e.g. 15,30,45"),
    decay: str = typer.Option("step", "--decay", help="step, linear, logistic, exponential"),
    decay_value: float | None = typer.Option(
        None,
        "--decay-value",
        help=_DECAYV_HELP,
    ),
    access_modes: str = typer.Option("WALK", "--access-modes", help=_MODES_HELP),
    egress_modes: str = typer.Option("WALK", "--egress-modes", help=_MODES_HELP),
    max_rides: int = typer.Option(8, "--max-rides", help="at most this many transit rides"),
    workers: int = typer.Option(0, "--workers", min=0, help=_WORKERS_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=_SCHED_HELP),
    chunk: int = typer.Option(50, "--chunk", min=1, help=_CHUNK_HELP),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help=_CACHE_HELP,
    ),
) -> None:
    """Accessibility: opportunities reached per origin, with a decay of the travel time."""
    when = parse_at(at)
    args = _args(gtfs, osm, gbfs, date, when, cache_dir)
    o = _points(origins, h3, args, "origins", True)
    d = read_points(destinations, name="destinations")
    assert o is not None
    spec = _accessibility_spec(when, window, percentiles, cutoffs, decay, decay_value,
                               opportunities, max_rides, access_modes, egress_modes)  # fmt: skip
    result = _run(args, spec, o, d, out, workers, scheduler, chunk)
    frame = result.frame
    if out.suffix.lower() in (".png", ".html"):
        # one value per origin on a map: the first opportunity and percentile, largest cutoff
        frame = frame[
            (frame["opportunity"] == spec.opportunities[0])
            & (frame["percentile"] == spec.percentiles[0])
            & (frame["cutoff"] == frame["cutoff"].max())
        ]
    cut = float(frame["cutoff"].max()) if len(frame) else spec.cutoffs[-1]
    title = (
        f"{_access_title(spec, cut)}; {_window_text(when, window, spec.percentiles[0])}; "
        f"{_network_name(args)}; access {'+'.join(spec.access_modes)}"
    )
    label = f"{spec.opportunities[0]} reachable (sum of weights x decay)"
    written = write_result(frame, out, "accessibility", title=title, label=label)
    _finish(result, out, written, len(frame))


def accessibility_compare(
    gtfs: list[str] = typer.Option(..., "--gtfs", help="GTFS zip, folder or URL (repeatable)"),
    at: str = typer.Option(..., "--at", help="first departure, ISO 8601: 2022-02-22T08:00"),
    out: Path = typer.Option(..., "--out", help="difference: .parquet .csv .geojson .png .html"),
    destinations: str = typer.Option(..., "--destinations", help=_DEST_HELP),
    gbfs_after: list[str] = typer.Option(
        [], "--gbfs-after", help="the second network adds this GBFS system (repeatable)"
    ),
    gtfs_after: list[str] = typer.Option(
        [], "--gtfs-after", help="the second network's GTFS instead of --gtfs (repeatable)"
    ),
    label: str | None = typer.Option(None, "--label", help=_LABEL_HELP),
    origins: str | None = typer.Option(None, "--origins", help=_POINTS_HELP),
    h3: int | None = typer.Option(
        None,
        "--h3",
        help=_H3_HELP,
    ),
    opportunities: str = typer.Option("jobs", "--opportunities", help=_OPP_HELP),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract (.osm.pbf); else crow-fly"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS of both networks (repeatable)"),
    date: str | None = typer.Option(None, "--date", help="service date (default: that of --at)"),
    window: float = typer.Option(60, "--window", help=_WINDOW_HELP),
    percentiles: str = typer.Option("50", "--percentiles", help=_PCTS_HELP),
    cutoffs: str = typer.Option("30", "--cutoffs", help="minutes, e.g. 15,30,45"),
    decay: str = typer.Option("step", "--decay", help="step, linear, logistic, exponential"),
    decay_value: float | None = typer.Option(
        None,
        "--decay-value",
        help=_DECAYV_HELP,
    ),
    access_modes: str = typer.Option("WALK,RENTAL", "--access-modes", help=_MODES_HELP),
    egress_modes: str = typer.Option("WALK,RENTAL", "--egress-modes", help=_MODES_HELP),
    max_rides: int = typer.Option(8, "--max-rides", help="at most this many transit rides"),
    workers: int = typer.Option(0, "--workers", min=0, help=_WORKERS_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=_SCHED_HELP),
    chunk: int = typer.Option(50, "--chunk", min=1, help=_CHUNK_HELP),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help=_CACHE_HELP,
    ),
) -> None:
    """Accessibility on two networks (e.g. without and with a bike-share system, or two
    GTFS versions) and its difference per origin; prints a one-line summary."""
    if not gbfs_after and not gtfs_after:
        raise QueryError(
            "give what the second network changes: --gbfs-after and/or --gtfs-after",
            parameter="gbfs_after",
        )
    when = parse_at(at)
    before = _args(gtfs, osm, gbfs, date, when, cache_dir)
    after = _args(gtfs_after or gtfs, osm, [*gbfs, *gbfs_after], date, when, cache_dir)
    o = _points(origins, h3, before, "origins", True)
    d = read_points(destinations, name="destinations")
    assert o is not None
    spec = _accessibility_spec(when, window, percentiles, cutoffs, decay, decay_value,
                               opportunities, max_rides, access_modes, egress_modes)  # fmt: skip
    runs = []
    for name, args in (("before", before), ("after", after)):
        part = out.with_name(f"{out.name}.{name}")
        runs.append(_run(args, spec, o, d, part, workers, scheduler, chunk))
    if label is None:
        changed = [Path(g.rstrip("/")).name for g in (gbfs_after or gtfs_after)]
        label = ("adding " if gbfs_after else "GTFS ") + " + ".join(changed)
    table, summary = compare(_geo(runs[0].frame), _geo(runs[1].frame), label=label)
    if out.suffix.lower() in (".png", ".html"):
        # the map shows the summary's opportunity, percentile and cutoff
        first = table.iloc[0]
        table = table[
            (table["opportunity"] == first["opportunity"])
            & (table["percentile"] == first["percentile"])
            & (table["cutoff"] == first["cutoff"])
        ]
    first = table.iloc[0] if len(table) else None
    cut = float(first["cutoff"]) if first is not None else spec.cutoffs[0]
    pct = float(first["percentile"]) if first is not None else spec.percentiles[0]
    opportunity = str(first["opportunity"]) if first is not None else spec.opportunities[0]
    title = (
        f"Change in {_access_title(spec, cut).replace(spec.opportunities[0], opportunity, 1)}"
        f" with {label}: {_network_name(after)} (after) minus {_network_name(before)} "
        f"(before); {_window_text(when, window, pct)}; access {'+'.join(spec.access_modes)}"
    )
    written = write_result(table, out, "difference", title=title, diverging=True,
                           label=f"{opportunity} gained (after - before; red: lost)")  # fmt: skip
    for name, run in (("before", runs[0]), ("after", runs[1])):
        shutil.rmtree(out.with_name(f"{out.name}.{name}.parts"), ignore_errors=True)
        resumed = f", {run.chunks_resumed} resumed" if run.chunks_resumed else ""
        typer.echo(f"{name}: {run.chunks} chunks{resumed}; {run.seconds:.1f} s", err=True)
    typer.echo(f"wrote {written} ({len(table)} rows)", err=True)
    typer.echo(summary)


def isochrones_command(
    gtfs: list[str] = typer.Option(..., "--gtfs", help="GTFS zip, folder or URL (repeatable)"),
    at: str = typer.Option(..., "--at", help="first departure, ISO 8601: 2022-02-22T08:00"),
    origin: list[str] = typer.Option([], "--from", help="LAT,LON (repeatable)"),
    origins: str | None = typer.Option(None, "--origins", help=_POINTS_HELP),
    out: Path | None = typer.Option(
        None, "--out", help=".geojson .parquet .png .html (else GeoJSON on stdout)"
    ),
    osm: str | None = typer.Option(None, "--osm", help="OSM extract (.osm.pbf); else crow-fly"),
    gbfs: list[str] = typer.Option([], "--gbfs", help="GBFS folder, gbfs.json or URL (repeatable)"),
    date: str | None = typer.Option(None, "--date", help="service date (default: that of --at)"),
    window: float = typer.Option(10, "--window", help=_WINDOW_HELP),
    cutoffs: str = typer.Option(_CUTOFFS, "--cutoffs", help="minutes, comma-separated"),
    percentile: float = typer.Option(50, "--percentile", help=_PCT_HELP),
    max_rides: int = typer.Option(8, "--max-rides", help="at most this many transit rides"),
    access_modes: str = typer.Option("WALK", "--access-modes", help=_MODES_HELP),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help=_CACHE_HELP,
    ),
) -> None:
    """Isochrones: the area reached within each cutoff, from the streets reached."""
    from maasmix.api.cli.plan import parse_latlon

    when = parse_at(at)
    args = _args(gtfs, osm, gbfs, date, when, cache_dir)
    if origins is not None:
        points = read_points(origins, name="origins")
    elif origin:
        pairs = [parse_latlon(p, "from") for p in origin]
        points = read_points(pairs, name="from")
    else:
        raise QueryError("give --from LAT,LON or --origins FILE", parameter="from")
    net = args.build()
    cuts = [int(c) if c == int(c) else c for c in _numbers(cutoffs, "cutoffs")]
    gdf = isochrones(net, points, when, window, cuts, percentile, max_rides=max_rides,
                     access_modes=_modes(access_modes))  # fmt: skip
    if out is None:
        print(to_geojson(gdf))
        return
    lats, lons = points["lat"].to_numpy(), points["lon"].to_numpy()
    where = ", ".join(f"({lats[i]:.4f}, {lons[i]:.4f})" for i in range(min(len(lats), 3)))
    where += f" and {len(lats) - 3} more points" if len(lats) > 3 else ""
    title = (
        f"Isochrones {', '.join(f'{c:g}' for c in cuts)} min from {where}; "
        f"{_window_text(when, window, percentile)}; {_network_name(args)}; "
        f"access {'+'.join(_modes(access_modes))}"
    )
    written = write_result(
        gdf.iloc[::-1], out, "travel_time", title=title, label="travel time cutoff (minutes)",
        markers=list(zip(lats.tolist(), lons.tolist(), strict=True)),
    )  # fmt: skip  # largest drawn first
    typer.echo(f"wrote {written} ({len(gdf)} isochrones)", err=True)


def register(app: typer.Typer) -> None:
    """Add ``matrix``, ``isochrones``, ``accessibility`` and ``accessibility-compare`` to
    the root command."""
    app.command("matrix")(matrix)
    app.command("isochrones")(isochrones_command)
    app.command("accessibility")(accessibility)
    app.command("accessibility-compare")(accessibility_compare)
