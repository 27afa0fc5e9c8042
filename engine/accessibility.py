"""Accessibility: opportunities reachable from each origin, weighted by a decay of the
travel time (r5r's ``accessibility()``).

``Accessibility(network, origins, destinations, opportunities=["jobs"], ...)`` sums, for
each origin, opportunity and cutoff, ``weight(destination) x decay(travel time)`` over the
destinations, the travel time being a percentile of the matrix's times over the window
(`engine.matrix`, minutes; an unreached destination counts 0). Result, a GeoDataFrame in
long form:

=================  ========  ==============================================================
column             dtype     meaning
=================  ========  ==============================================================
``id``             str       origin id
``opportunity``    str       the weight column summed
``percentile``     float     the travel-time percentile over the window
``cutoff``         int       minutes (the decay's cutoff; the half-life's name for
                             ``exponential``)
``accessibility``  float64   the weighted, decayed sum
``geometry``       Point     the origin (WGS84)
=================  ========  ==============================================================

Decay functions ``f(t)`` of the travel time ``t`` (minutes) and the cutoff ``c``:

- ``step``: 1 when ``t <= c``, else 0;
- ``linear`` (``decay_value`` = the width ``w`` of the ramp, minutes): 1 up to
  ``c - w/2``, 0 from ``c + w/2``, linear between (r5r's definition);
- ``logistic`` (``decay_value`` = the standard deviation ``s``, minutes):
  ``1 / (1 + exp(pi (t - c) / (s sqrt(3))))`` (r5r's definition);
- ``exponential``: negative exponential with half-life ``c``: ``0.5 ** (t / c)``.

`compare` sets two results side by side (two networks, the same origins) and says in one
line what the change does to the median over the origins.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.engine.matrix import (
    DEFAULT_MAX_RIDES,
    MatrixSearch,
    _seconds,
    check_percentiles,
    departure_seconds,
    summarise,
)
from maasmix.engine.network import Network
from maasmix.errors import QueryError
from maasmix.feeds.points import PointSource, read_points

__all__ = ["DECAY_FUNCTIONS", "Accessibility", "accessibility", "compare", "decay"]

FloatArray = npt.NDArray[np.float64]

DECAY_FUNCTIONS = ("step", "linear", "logistic", "exponential")


def decay(
    minutes: npt.ArrayLike, function: str, cutoff: float, value: float | None = None
) -> FloatArray:
    """The decay weights (0-1) of travel times in minutes (NaN -> 0); see the module
    docstring."""
    t = np.asarray(minutes, dtype=np.float64)
    reached = np.isfinite(t)
    tt = np.where(reached, t, 0.0)
    if function == "step":
        w = (tt <= cutoff).astype(np.float64)
    elif function == "linear":
        width = float(value if value is not None else 10.0)
        if width <= 0:
            return (np.where(reached, tt <= cutoff, False)).astype(np.float64)
        w = np.clip((cutoff + width / 2 - tt) / width, 0.0, 1.0)
    elif function == "logistic":
        sd = float(value if value is not None else 10.0)
        z = np.clip(math.pi * (tt - cutoff) / (sd * math.sqrt(3.0)), -700.0, 700.0)
        w = 1.0 / (1.0 + np.exp(z))
    elif function == "exponential":
        w = np.power(0.5, tt / cutoff)
    else:
        raise QueryError(
            f"unknown decay function {function!r} (one of {', '.join(DECAY_FUNCTIONS)})",
            parameter="decay_function",
        )
    return np.where(reached, w, 0.0)


def _check(function: str, value: float | None, cutoffs: Sequence[float]) -> list[float]:
    if function not in DECAY_FUNCTIONS:
        raise QueryError(
            f"unknown decay function {function!r} (one of {', '.join(DECAY_FUNCTIONS)})",
            parameter="decay_function",
        )
    if value is not None and not (np.isfinite(value) and value > 0):
        raise QueryError(f"must be > 0, got {value!r}", parameter="decay_value")
    cuts = [cutoffs] if isinstance(cutoffs, int | float) else list(cutoffs)
    if not cuts or not all(isinstance(c, int | float) and 0 < c <= 1440 for c in cuts):
        raise QueryError(f"minutes in (0, 1440], got {cutoffs!r}", parameter="cutoffs")
    return [float(c) for c in cuts]


def accessibility(
    network: Network,
    origins: PointSource,
    destinations: PointSource,
    opportunities: Sequence[str] | str = ("jobs",),
    departure: dt.datetime | str = "08:00",
    window: dt.timedelta | float = dt.timedelta(hours=1),
    percentiles: Sequence[float] = (50,),
    cutoffs: Sequence[float] = (30,),
    decay_function: str = "step",
    decay_value: float | None = None,
    *,
    max_time: dt.timedelta | float | None = None,
    max_rides: int = DEFAULT_MAX_RIDES,
    walk_speed: float | None = None,
    access_modes: Sequence[str] = ("WALK",),
    egress_modes: Sequence[str] = ("WALK",),
    search: MatrixSearch | None = None,
) -> Any:
    """Accessibility per origin as a GeoDataFrame (columns: see the module docstring).

    ``max_time`` (minutes) bounds the searches; default: the largest cutoff, or for the
    decays with a tail (linear, logistic, exponential) 3x it, at most a day.
    """
    import geopandas as gpd

    cuts = _check(decay_function, decay_value, cutoffs)
    pcts = check_percentiles(percentiles)
    names = [opportunities] if isinstance(opportunities, str) else list(opportunities)
    o = read_points(origins, name="origins")
    d = read_points(destinations, name="destinations")
    weights = np.empty((len(names), len(d)))
    for k, name in enumerate(names):
        if name not in d.columns:
            raise QueryError(f"destinations have no column {name!r}", parameter="opportunities")
        w = pd.to_numeric(d[name], errors="coerce").to_numpy(np.float64)
        if not np.isfinite(w).all():
            row = int(np.flatnonzero(~np.isfinite(w))[0])
            raise QueryError(
                f"column {name!r} must be numbers, row {row} is {d[name].iloc[row]!r}",
                parameter="opportunities",
            )
        weights[k] = w
    if max_time is None:
        tail = 1.0 if decay_function == "step" else 3.0
        limit_s = int(min(max(cuts) * 60 * tail, 86400))
        if decay_function == "linear":
            limit_s = int(min((max(cuts) + (decay_value or 10.0) / 2) * 60, 86400))
    else:
        limit_s = _seconds(max_time, "max_time")
    if search is None:
        search = MatrixSearch(
            network,
            d,
            departure_s=departure_seconds(network, departure),
            window_s=_seconds(window, "window"),
            max_time_s=limit_s,
            max_rides=max_rides,
            walk_speed=walk_speed,
            access_modes=access_modes,
            egress_modes=egress_modes,
        )
    rows: list[dict[str, Any]] = []
    lat = o["lat"].to_numpy(np.float64)
    lon = o["lon"].to_numpy(np.float64)
    for i in range(len(o)):
        times, _ = search.times(float(lat[i]), float(lon[i]))
        minutes, _ = summarise(times, pcts, search.max_time_s)
        for p_i, p in enumerate(pcts):
            for c in cuts:
                f = decay(minutes[:, p_i], decay_function, c, decay_value)
                acc = weights @ f
                for k, name in enumerate(names):
                    rows.append(
                        {
                            "id": str(o["id"].iloc[i]),
                            "opportunity": name,
                            "percentile": p,
                            "cutoff": int(c) if c == int(c) else c,
                            "accessibility": float(acc[k]),
                            "lat": float(lat[i]),
                            "lon": float(lon[i]),
                        }
                    )
    frame = pd.DataFrame(rows)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


class Accessibility:
    """r5py-style access to `accessibility`: ``Accessibility(net, origins, destinations,
    ...).gdf`` is the GeoDataFrame."""

    def __init__(
        self, network: Network, origins: PointSource, destinations: PointSource, **kwargs: Any
    ) -> None:
        self.gdf = accessibility(network, origins, destinations, **kwargs)


def compare(before: Any, after: Any, *, label: str = "the change") -> tuple[Any, str]:
    """The difference of two `accessibility` results over the same origins (e.g. a
    network without and with a bike-share system, two GTFS versions).

    Returns a GeoDataFrame with the key columns (``id``, ``opportunity``, ``percentile``,
    ``cutoff``), ``before``, ``after``, ``difference`` (after - before) and ``change``
    (relative, NaN where ``before`` is 0), and a one-line summary of the first
    opportunity, percentile and cutoff: the relative change of the median over the origins
    (before and after), e.g. "Bay Wheels adds 99% more jobs reachable within 30 minutes
    (median over 8 origins: 1,107 -> 2,203; 8 gain, 0 lose)", and how many origins gain
    or lose.
    """
    import geopandas as gpd

    keys = ["id", "opportunity", "percentile", "cutoff"]
    a = pd.DataFrame(before)[[*keys, "accessibility", "geometry"]]
    b = pd.DataFrame(after)[[*keys, "accessibility"]]
    if len(a) != len(b):
        raise QueryError("the two results do not cover the same origins", parameter="after")
    both = a.merge(b, on=keys, how="inner", suffixes=("_before", "_after"), validate="1:1")
    if len(both) != len(a):
        raise QueryError("the two results do not cover the same origins", parameter="after")
    both = both.rename(columns={"accessibility_before": "before", "accessibility_after": "after"})
    both["difference"] = both["after"] - both["before"]
    base = both["before"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        both["change"] = np.where(base > 0, both["difference"].to_numpy() / base, np.nan)
    out = gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")
    first = out.iloc[0]
    part = out[
        (out["opportunity"] == first["opportunity"])
        & (out["percentile"] == first["percentile"])
        & (out["cutoff"] == first["cutoff"])
    ]
    median_before = float(np.median(part["before"]))
    median_after = float(np.median(part["after"]))
    gain = int((part["difference"] > 1e-9).sum())
    lose = int((part["difference"] < -1e-9).sum())
    what, cut = first["opportunity"], f"{first['cutoff']:g}"
    counts = f"{gain} gain, {lose} lose"
    if median_before > 0:
        rel = (median_after - median_before) / median_before
        head = (
            f"{label} adds {rel:.0%} more {what}"
            if rel >= 0
            else f"{label} removes {-rel:.0%} of the {what}"
        )
        summary = (
            f"{head} reachable within {cut} minutes (median over {len(part)} origins: "
            f"{median_before:,.0f} -> {median_after:,.0f}; {counts})"
        )
    else:
        summary = (
            f"{label} takes the median {what} reachable within {cut} minutes over "
            f"{len(part)} origins from 0 to {median_after:,.0f} ({counts})"
        )
    return out, summary
