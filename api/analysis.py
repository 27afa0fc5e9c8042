"""Analyses at scale: travel-time matrices and accessibility in origin chunks, on Dask,
resumably, and their results written as tables or maps.

This is the orchestration beside `maasmix.engine.matrix` and
`maasmix.engine.accessibility` (which compute, read no file and run no cluster); it lives
in `api` with the other jobs because it writes files and starts workers.

`run_chunks` splits the origins into chunks of ``chunk_origins`` and answers each chunk
with one `MatrixSearch` per worker process:

- ``workers=0``: in this process; ``n >= 1``: a local Dask cluster of ``n``
  single-threaded processes (dashboard on a free port); ``scheduler``: that cluster
  (``--scheduler`` / ``MAASMIX_DASK_ADDRESS``);
- the network is built once per worker from its files and the disk cache
  (`maasmix.pricing.demand.jobs.NetworkArgs`), never shipped with the tasks; the
  destinations and the small `AnalysisSpec` are scattered once;
- each chunk is written to ``folder/chunk-NNNNN.parquet`` as soon as it finishes (a
  temporary name, then renamed), beside ``spec.json``; a rerun with the same spec skips
  the chunks on disk (an interrupted run resumes), a different spec in the same folder is
  an error. The result is the chunks in origin order: the same whatever the number of
  workers or the order chunks finished.

`write_result` writes a result by the extension of its path: ``.parquet``, ``.csv``,
``.geojson``/``.json``, ``.gpkg``, ``.png`` (a static map, matplotlib) or ``.html`` (an
interactive map, folium).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from maasmix.engine.accessibility import accessibility
from maasmix.engine.matrix import MatrixSearch, _seconds, departure_seconds, travel_time_matrix
from maasmix.engine.network import Network
from maasmix.errors import InputError, QueryError
from maasmix.feeds.points import write_table
from maasmix.pricing.demand.jobs import NetworkArgs

__all__ = ["AnalysisRun", "AnalysisSpec", "run_chunks", "write_result"]

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class AnalysisSpec:
    """What every chunk computes (minutes for times; see `engine.matrix` and
    `engine.accessibility` for the meaning of each field)."""

    kind: str = "matrix"
    departure: str = "08:00"
    window: float = 60.0
    percentiles: tuple[float, ...] = (50.0,)
    max_time: float = 60.0
    max_rides: int = 8
    cutoff: float | None = None
    opportunities: tuple[str, ...] = ("jobs",)
    cutoffs: tuple[float, ...] = (30.0,)
    decay_function: str = "step"
    decay_value: float | None = None
    access_modes: tuple[str, ...] = ("WALK",)
    egress_modes: tuple[str, ...] = ("WALK",)

    def __post_init__(self) -> None:
        if self.kind not in ("matrix", "accessibility"):
            raise QueryError(f"unknown analysis {self.kind!r}", parameter="kind")

    def search(self, net: Network, destinations: pd.DataFrame) -> MatrixSearch:
        """The prepared search of this spec on ``net``."""
        return MatrixSearch(
            net,
            destinations,
            departure_s=departure_seconds(net, self.departure),
            window_s=_seconds(self.window, "window"),
            max_time_s=_seconds(self.max_time, "max_time"),
            max_rides=self.max_rides,
            access_modes=self.access_modes,
            egress_modes=self.egress_modes,
        )

    def compute(
        self, net: Network, origins: pd.DataFrame, destinations: pd.DataFrame, search: Any
    ) -> pd.DataFrame:
        """The result rows of ``origins`` (accessibility: lat/lon columns, no geometry)."""
        if self.kind == "matrix":
            return travel_time_matrix(
                net, origins, percentiles=self.percentiles, cutoff=self.cutoff, search=search
            )
        gdf = accessibility(
            net,
            origins,
            destinations,
            list(self.opportunities),
            percentiles=self.percentiles,
            cutoffs=self.cutoffs,
            decay_function=self.decay_function,
            decay_value=self.decay_value,
            search=search,
        )
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        frame["lat"] = gdf.geometry.y.to_numpy()
        frame["lon"] = gdf.geometry.x.to_numpy()
        return frame


def _key(args: NetworkArgs, spec: AnalysisSpec, destinations: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(repr((args, spec)).encode())
    digest.update(pd.util.hash_pandas_object(destinations, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _chunk(
    args: NetworkArgs, spec: AnalysisSpec, destinations: pd.DataFrame, origins: pd.DataFrame
) -> pd.DataFrame:
    """One chunk's rows (a Dask task): the network and the search are this process's,
    built on first use."""
    key = _key(args, spec, destinations)
    if _WORKER.get("key") != key:
        _WORKER.clear()
        net = args.build()
        _WORKER.update(key=key, net=net, search=spec.search(net, destinations))
    return spec.compute(_WORKER["net"], origins, destinations, _WORKER["search"])


@dataclass(frozen=True)
class AnalysisRun:
    """What `run_chunks` did: the result, chunk counts, seconds, workers used."""

    frame: pd.DataFrame
    chunks: int
    chunks_resumed: int
    seconds: float
    workers: int


def _write(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _check_folder(folder: Path, spec: AnalysisSpec, key: str, n_origins: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "spec": dataclasses.asdict(spec),
        "key": key,
        "origins": n_origins,
        "chunk_origins": size,
    }
    path = folder / "spec.json"
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != json.loads(json.dumps(meta)):
            raise InputError(
                "holds the chunks of a different analysis (other inputs or parameters); "
                "remove it or choose another output",
                file=str(folder),
            )
        return
    path.write_text(json.dumps(meta, indent=1), encoding="utf-8")


def run_chunks(
    args: NetworkArgs,
    spec: AnalysisSpec,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    folder: Path,
    *,
    chunk_origins: int = 50,
    workers: int = 0,
    scheduler: str | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> AnalysisRun:
    """Compute ``spec`` for ``origins`` chunk by chunk into ``folder`` (see the module
    docstring); ``on_chunk(chunks_done, chunks_total)`` after each chunk."""
    if chunk_origins < 1:
        raise QueryError(f"must be >= 1, got {chunk_origins}", parameter="chunk_origins")
    started = time.perf_counter()
    key = _key(args, spec, destinations)
    both = pd.util.hash_pandas_object(origins, index=False).to_numpy().tobytes()
    _check_folder(folder, spec, key + hashlib.sha256(both).hexdigest()[:8], len(origins),
                  chunk_origins)  # fmt: skip
    bounds = list(range(0, len(origins), chunk_origins))
    paths = [folder / f"chunk-{i:05d}.parquet" for i in range(len(bounds))]
    todo = [i for i, p in enumerate(paths) if not p.is_file()]
    total = len(paths)
    done = total - len(todo)
    if on_chunk is not None:
        on_chunk(done, total)

    def part(i: int) -> pd.DataFrame:
        return origins.iloc[bounds[i] : bounds[i] + chunk_origins].reset_index(drop=True)

    used = 0
    if todo and scheduler is None and workers == 0:
        for i in todo:
            _write(paths[i], _chunk(args, spec, destinations, part(i)))
            done += 1
            if on_chunk is not None:
                on_chunk(done, total)
    elif todo:
        used = _run_dask(args, spec, destinations, todo, part, paths, workers, scheduler,
                         done, total, on_chunk)  # fmt: skip
    frames = [pd.read_parquet(p) for p in paths]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return AnalysisRun(frame, total, total - len(todo), time.perf_counter() - started, used)


def _run_dask(
    args: NetworkArgs,
    spec: AnalysisSpec,
    destinations: pd.DataFrame,
    todo: Sequence[int],
    part: Callable[[int], pd.DataFrame],
    paths: Sequence[Path],
    workers: int,
    scheduler: str | None,
    done: int,
    total: int,
    on_chunk: Callable[[int, int], None] | None,
) -> int:
    from distributed import Client, LocalCluster, as_completed

    cluster: LocalCluster | None = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or max(1, workers)
        args_f = client.scatter(args, broadcast=True)
        spec_f = client.scatter(spec, broadcast=True)
        dest_f = client.scatter(destinations, broadcast=True)
        futures = {
            client.submit(_chunk, args_f, spec_f, dest_f, part(i), pure=False): i for i in todo
        }
        for future in as_completed(futures):
            _write(paths[futures[future]], future.result())
            done += 1
            if on_chunk is not None:
                on_chunk(done, total)
        return n_workers
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------- output


def _geo(frame: pd.DataFrame) -> Any:
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        return frame.to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        frame.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )


def write_result(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    value: str,
    *,
    title: str | None = None,
    label: str | None = None,
    diverging: bool = False,
    markers: Sequence[tuple[float, float]] = (),
) -> Path:
    """Write ``frame`` by ``path``'s extension (see the module docstring); maps colour
    ``value`` (a column) under ``title``, with ``label`` (what the colour measures, with
    its unit) on the legend; ``diverging`` centres a red-white-blue scale on zero (a
    difference: red loses, blue gains); ``markers`` (lat, lon) are drawn as black crosses
    (the origins of isochrones). Grey points are NaN (not reached). Returns the path.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".html"):
        if suffix in (".geojson", ".json"):
            import geopandas as gpd

            if isinstance(frame, gpd.GeoDataFrame):
                from maasmix.engine.isochrones import to_geojson

                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(to_geojson(frame), encoding="utf-8")
                return out
        return write_table(frame, out)
    if value not in frame.columns:
        raise QueryError(f"no column {value!r} to draw", parameter="value")
    gdf = _geo(frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    values = pd.to_numeric(gdf[value], errors="coerce").astype(np.float64)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if diverging:  # symmetric around zero, so white is "no change"
        hi = max(abs(lo), abs(hi), 1e-9)
        lo = -hi
    label = label or value
    title = title or value
    levels = np.unique(finite.to_numpy())
    polygons = not bool((gdf.geom_type == "Point").all())
    # a few areas (isochrones' cutoffs): one colour each, the legend stepped at them
    steps = levels if polygons and not diverging and len(levels) <= 8 else None
    if suffix == ".png":
        _png(gdf, out, value, title, label, lo, hi, diverging, markers, steps)
        return out
    _html(gdf, values, out, value, title, label, lo, hi, diverging, markers, steps)
    return out


def _png(
    gdf: Any, out: Path, value: str, title: str, label: str, lo: float, hi: float,
    diverging: bool, markers: Sequence[tuple[float, float]], steps: Any,
) -> None:  # fmt: skip
    """A static map (matplotlib) of ``gdf[value]``."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 8))
    points = bool((gdf.geom_type == "Point").all())
    cmap: Any = "RdBu" if diverging else ("viridis_r" if "time" in value else "viridis")
    scale: dict[str, Any] = {"vmin": lo, "vmax": max(hi, lo + 1e-9)}
    legend: dict[str, Any] = {"label": label, "shrink": 0.6}
    if steps is not None:
        from matplotlib.colors import BoundaryNorm

        cmap = plt.get_cmap(cmap, len(steps))
        scale = {"norm": BoundaryNorm(_bounds(steps), len(steps))}
        legend["ticks"] = list(steps)
    gdf.plot(
        column=value,
        ax=ax,
        legend=True,
        legend_kwds=legend,
        cmap=cmap,
        **scale,
        markersize=40 if points else None,
        alpha=0.9 if points else 0.45,
        edgecolor="black" if diverging and points else ("none" if points else "black"),
        linewidth=0.4 if points else 0.8,
        missing_kwds={"color": "lightgrey", "label": "not reached"},
    )
    if markers:
        ax.scatter(
            [m[1] for m in markers], [m[0] for m in markers], marker="X", s=90,
            color="black", edgecolor="white", linewidth=0.8, zorder=5, label="origin",
        )  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=10)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_locator(MaxNLocator(6))
    ax.ticklabel_format(useOffset=False, style="plain")
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _html(
    gdf: Any, values: pd.Series, out: Path, value: str, title: str, label: str, lo: float,
    hi: float, diverging: bool, markers: Sequence[tuple[float, float]], steps: Any,
) -> None:  # fmt: skip
    """An interactive map (folium, OpenStreetMap tiles) of ``gdf[value]``."""
    import html

    import folium
    from branca.colormap import LinearColormap, StepColormap

    west, south, east, north = (float(v) for v in gdf.total_bounds)
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles="OpenStreetMap")
    fmap.fit_bounds([[south, west], [north, east]])
    if diverging:
        colours = ["#b2182b", "#f4a582", "#f7f7f7", "#92c5de", "#2166ac"]  # RdBu
    else:
        colours = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]  # viridis, reversed
        colours = colours if "time" in value else colours[::-1]
    ramp: Any
    if steps is not None:
        import matplotlib

        ramp_of = matplotlib.colormaps["viridis_r" if "time" in value else "viridis"]
        shades = [matplotlib.colors.to_hex(ramp_of(x)) for x in np.linspace(0, 1, len(steps))]
        bounds = _bounds(steps)
        ticks = [int(x) if x == int(x) else float(x) for x in steps]  # plain numbers in JS
        ramp = StepColormap(shades, index=bounds, vmin=bounds[0], vmax=bounds[-1],
                            tick_labels=ticks)  # fmt: skip
        ramp.caption = label
    else:
        ramp = LinearColormap(colours, vmin=lo, vmax=max(hi, lo + 1e-9))
        ramp.caption = f"{label} (grey: not reached)"
    shown = gdf.copy()
    shown[value] = values
    fields = [c for c in shown.columns if c != "geometry"][:6]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        v = feature["properties"].get(value)
        colour = ramp(v) if v is not None and np.isfinite(v) else "#bbbbbb"
        edge = "#333333" if diverging else colour
        return {"color": edge, "fill": True, "fillColor": colour, "weight": 1, "fillOpacity": 0.8}

    folium.GeoJson(
        shown.to_json(drop_id=True),
        style_function=style,
        marker=folium.CircleMarker(radius=6),
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(fmap)
    ramp.add_to(fmap)
    for lat, lon in markers:
        folium.CircleMarker(
            [lat, lon], radius=6, color="white", weight=2, fill=True, fill_color="black",
            fill_opacity=1.0, tooltip=f"origin ({lat:.5f}, {lon:.5f})",
        ).add_to(fmap)  # fmt: skip
    heading = (
        '<div style="position:fixed;bottom:28px;left:10px;max-width:70%;z-index:1000;'
        "background:rgba(255,255,255,0.9);padding:6px 10px;font:14px sans-serif;"
        f'border-radius:4px"><b>{html.escape(title)}</b></div>'
    )
    fmap.get_root().html.add_child(folium.Element(heading))  # type: ignore[attr-defined]
    fmap.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))  # type: ignore[attr-defined]
    fmap.save(str(out))


def _bounds(steps: Any) -> list[float]:
    """Class bounds around each of the sorted ``steps``: half-way between neighbours."""
    v = [float(x) for x in steps]
    gap = [b - a for a, b in itertools.pairwise(v)] or [2.0]
    mids = [(a + b) / 2 for a, b in itertools.pairwise(v)]
    return [v[0] - gap[0] / 2, *mids, v[-1] + gap[-1] / 2]
