"""The r5py backend: the same travel-time matrix answered by R5 (Conveyal) through r5py.

Optional, for comparisons with the tool analysts use today. It needs three things that
the package registries used here cannot provide, so maasmix never installs or downloads
them:

1. r5py (``pip install 'maasmix[r5]'``);
2. Java 21 or newer on the ``PATH`` (``java -version``);
3. an R5 jar the user downloaded (e.g. ``r5-v7.1-r5py-all.jar`` from the r5py/r5
   releases on GitHub), passed as ``--r5-jar PATH`` (r5py would otherwise download one
   at import; maasmix hands it the jar so it never does).

`unavailable` says in one line why the backend cannot run (None: it can);
`r5py_matrix` runs it and returns the columns of `maasmix.engine.matrix` (``from_id``,
``to_id``, ``travel_time_p{NN}`` in minutes, NaN when unreached). R5 needs an OSM
extract (no crow-fly streets) and treats GTFS files itself.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from maasmix.engine.matrix import percentile_column
from maasmix.errors import QueryError

__all__ = ["MIN_JAVA", "java_major", "r5py_matrix", "unavailable"]

#: The oldest Java R5 runs on.
MIN_JAVA = 21


def java_major() -> int | None:
    """The major version of ``java`` on the PATH (None: no java)."""
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def unavailable(r5_jar: str | None, osm: str | None = None) -> str | None:
    """Why the r5py backend cannot run, in one line naming every missing piece in the
    order to fix them (None when it can)."""
    missing = []
    if importlib.util.find_spec("r5py") is None:
        missing.append("r5py is not installed (pip install 'maasmix[r5]')")
    major = java_major()
    if major is None:
        missing.append(f"no Java found on the PATH (R5 needs Java {MIN_JAVA}+)")
    elif major < MIN_JAVA:
        missing.append(f"Java {major} found, R5 needs Java {MIN_JAVA}+")
    if not r5_jar:
        missing.append("no R5 jar given (--r5-jar PATH; maasmix does not download one)")
    elif not Path(r5_jar).is_file():
        missing.append(f"R5 jar not found: {r5_jar}")
    if osm is None:
        missing.append("R5 needs an OSM extract (--osm)")
    return "; ".join(missing) or None


def _import_r5py(r5_jar: str) -> Any:
    """Import r5py with ``r5_jar`` as its class path (so that it downloads nothing)."""
    saved = sys.argv
    sys.argv = [saved[0] if saved else "maasmix", "--r5-classpath", str(r5_jar)]
    try:
        import r5py
    finally:
        sys.argv = saved
    return r5py


def r5py_matrix(
    gtfs: Sequence[str],
    osm: str,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    departure: dt.datetime,
    window_min: float,
    percentiles: Sequence[float],
    max_time_min: float,
    max_rides: int,
    r5_jar: str,
) -> pd.DataFrame:
    """The matrix by R5 (point tables as from `maasmix.feeds.points`).

    Raises
    ------
    QueryError
        ``backend``: the backend is unavailable (the reason in one line).
    """
    reason = unavailable(r5_jar, osm)
    if reason is not None:
        raise QueryError(f"r5py is unavailable: {reason}", parameter="backend")
    import geopandas as gpd

    r5py = _import_r5py(r5_jar)

    def geo(points: pd.DataFrame) -> Any:
        return gpd.GeoDataFrame(
            {"id": points["id"].astype(str)},
            geometry=gpd.points_from_xy(points["lon"], points["lat"]),
            crs="EPSG:4326",
        )

    network = r5py.TransportNetwork(osm, list(gtfs))
    pcts = [round(p) for p in percentiles]
    result = r5py.TravelTimeMatrix(
        network,
        origins=geo(origins),
        destinations=geo(destinations),
        departure=departure.replace(tzinfo=None),
        departure_time_window=dt.timedelta(minutes=window_min),
        percentiles=pcts,
        transport_modes=[r5py.TransportMode.TRANSIT, r5py.TransportMode.WALK],
        max_time=dt.timedelta(minutes=max_time_min),
        max_public_transport_rides=max_rides,
    )
    frame = pd.DataFrame(result)
    if "travel_time" in frame.columns:
        frame = frame.rename(columns={"travel_time": f"travel_time_p{pcts[0]}"})
    columns = {f"travel_time_p{p}": percentile_column(p) for p in pcts}
    frame = frame.rename(columns=columns)
    frame["from_id"] = frame["from_id"].astype(str)
    frame["to_id"] = frame["to_id"].astype(str)
    return frame[["from_id", "to_id", *columns.values()]].astype(
        {c: "float64" for c in columns.values()}
    )
