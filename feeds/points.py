"""Origins and destinations of analyses (matrices, isochrones, accessibility) as point tables.

`read_points` accepts a GeoDataFrame (an ``id`` column and point geometry in any CRS,
reprojected to WGS84), a DataFrame with ``id, lat, lon``, a sequence of ``(lat, lon)``
pairs, or a file: CSV (``id,lat,lon``), GeoJSON, GeoPackage or GeoParquet. `h3_points`
makes an H3 grid (cell centres) over a bounding box. Both return the same plain table:

=========  =======  ==================================================================
column     dtype    meaning
=========  =======  ==================================================================
``id``     str      the point's id (unique)
``lat``    float64  WGS84 latitude, degrees
``lon``    float64  WGS84 longitude, degrees
...                 every other column of the input (opportunity weights: ``jobs``)
=========  =======  ==================================================================

Bad input raises `maasmix.errors.InputError` naming the file, row and field (an empty
file, a geometry that is not a point, a missing or duplicate id, a coordinate out of
range); a bad H3 resolution raises `maasmix.errors.QueryError` naming the parameter.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError, InputError, QueryError
from maasmix.feeds import limits as feed_limits
from maasmix.feeds._parquet import parquet_problem
from maasmix.feeds.gtfs._csv import CsvScan
from maasmix.feeds.gtfs._read import usable_path

__all__ = [
    "MAX_H3_CELLS",
    "MAX_POINTS",
    "MAX_POINT_COLUMNS",
    "PointSource",
    "h3_points",
    "read_points",
    "write_table",
]

#: At most this many cells in an H3 grid (a finer resolution is an error, not a hang).
MAX_H3_CELLS = 1_000_000
#: Points one file may hold (CSV rows, Parquet rows).
MAX_POINTS = 10_000_000
#: Columns a point CSV may have (id, lat, lon and weight columns): a guard against absurd
#: headers, which pandas would take minutes to lay out.
MAX_POINT_COLUMNS = 1_000

PointSource = Any
"""A GeoDataFrame, a DataFrame (``id, lat, lon``), a path or a sequence of (lat, lon)."""

_GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".fgb")


def read_points(source: PointSource, *, name: str = "points") -> pd.DataFrame:
    """Read ``source`` as a point table (columns: see the module docstring).

    ``name`` names the source in errors when it is not a file (``"origins"``).
    """
    if isinstance(source, str | os.PathLike):
        try:
            return _read_file(Path(source))
        except InputError as exc:  # which of the analysis' inputs: origins, destinations
            if name != "points":
                exc.message = f"{exc.message} (reading the {name})"
                exc.args = (str(exc),)
            raise
    if isinstance(source, pd.DataFrame):
        if "geometry" in source.columns and hasattr(source, "crs"):
            return _from_geo(source, name)
        return _from_table(source, name)
    try:
        pairs = np.asarray(list(source), dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"expected a GeoDataFrame, a DataFrame with id,lat,lon, a file or (lat, lon) "
            f"pairs, got {type(source).__name__}",
            file=name,
        ) from None
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise InputError("expected (lat, lon) pairs", file=name, field="lat,lon")
    frame = pd.DataFrame({"id": [str(i) for i in range(len(pairs))]})
    frame["lat"] = pairs[:, 0] if len(pairs) else np.empty(0)
    frame["lon"] = pairs[:, 1] if len(pairs) else np.empty(0)
    return _from_table(frame, name)


def _read_file(path: Path) -> pd.DataFrame:
    label = str(path)
    path = usable_path(path)  # a NUL or an over-long name: FeedMissingError (an InputError)
    if not path.exists():
        raise InputError("no such file", file=label)
    if not path.is_file():
        raise InputError("not a regular file", file=label)
    size, cap = path.stat().st_size, feed_limits.current().max_member_bytes
    if size > cap:
        raise InputError(
            f"file is {size} bytes, more than {cap} (feed limit max_member_bytes)", file=label
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        _check_header(path, label)
        _scan(path, label)
        try:
            with warnings.catch_warnings():
                # a row longer than the header: pandas would drop (index_col=False) or,
                # by default, shift its values into an index: refuse it instead
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(path, dtype={"id": str}, skipinitialspace=True, index_col=False)
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty", file=label) from None
        except (pd.errors.ParserWarning, pd.errors.ParserError, UnicodeDecodeError) as exc:
            line, fields, width = _first_long_row(path)
            if line is not None:
                raise InputError(
                    f"row has {fields} fields but the header names {width}", file=label, row=line
                ) from None
            reason = str(exc).strip()
            raise InputError(f"not a readable CSV file ({reason})", file=label) from None
        frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
        _check_unique_columns(path, label)
        return _from_table(frame, label, csv=True)
    if suffix not in _GEO_SUFFIXES:
        raise InputError(
            "unknown format (expected .csv, .geojson, .json, .gpkg, .parquet or .geoparquet)",
            file=label,
        )
    import geopandas as gpd

    json_cap = feed_limits.current().max_json_bytes
    if suffix in (".geojson", ".json") and size > json_cap:
        # GDAL holds a GeoJSON document whole, at some ten times its size
        raise InputError(
            f"a GeoJSON file of {size} bytes, more than {json_cap} (feed limit "
            "max_json_bytes); write large point sets as GeoParquet",
            file=label,
        )
    if suffix in (".parquet", ".geoparquet"):
        cap = feed_limits.current().max_member_bytes
        problem = parquet_problem(
            path, max_rows=MAX_POINTS, max_text_bytes=cap, text_limit="feed limit max_member_bytes"
        )
        if problem is not None:
            raise InputError(problem, file=label)
    try:
        if suffix in (".parquet", ".geoparquet"):
            try:
                gdf = gpd.read_parquet(path)
            except ValueError:
                frame = pd.read_parquet(path)
                return _from_table(frame, label)
        else:
            gdf = gpd.read_file(path)
    except InputError:
        raise
    except Exception as exc:  # pyogrio / pyarrow raise many kinds
        raise InputError(f"not a readable {suffix[1:]} file ({exc})", file=label) from None
    return _from_geo(gdf, label)


def _check_header(path: Path, label: str) -> None:
    """Refuse a CSV whose first line holds more than `MAX_POINT_COLUMNS` fields (read in
    bounded pieces, so a header of any length costs little)."""
    commas = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            end = chunk.find(b"\n")
            commas += chunk[: len(chunk) if end < 0 else end].count(b",")
            if commas + 1 > MAX_POINT_COLUMNS:
                raise InputError(
                    f"more than {MAX_POINT_COLUMNS} columns in the header (MAX_POINT_COLUMNS)",
                    file=label,
                    row=1,
                )
            if end >= 0:
                break


def _scan(path: Path, label: str) -> None:
    """The bounded CSV scan of `maasmix.feeds.gtfs._csv` over the file, streamed: a line,
    header or row beyond the feed limits is an error naming the line, found before pandas
    lays anything out."""
    scan = CsvScan(label)
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                scan.feed(chunk)
        scan.finish()
    except FeedFormatError as exc:
        raise InputError(exc.message, file=label, row=exc.row, field=exc.field) from None
    if scan.rows > MAX_POINTS:
        raise InputError(f"more than {MAX_POINTS} points (MAX_POINTS)", file=label)
    if scan.records - 1 > 2 * scan.rows + 1000:
        raise InputError(
            f"{scan.records - 1 - scan.rows} blank lines among {scan.rows} points", file=label
        )


def _first_long_row(path: Path) -> tuple[int | None, int, int]:
    """(line, field count, header width) of the first record longer than the header;
    line None when there is none or the text cannot be read (the error path only)."""
    width = 0
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            width = len(next(reader, []))
            start = reader.line_num + 1
            for fields in reader:
                if len(fields) > width:
                    return start, len(fields), width
                start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error):
        pass
    return None, 0, width


def _check_unique_columns(path: Path, label: str) -> None:
    """Two header names alike (pandas would rename the second ``id.1`` silently)."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 20).decode("utf-8", "replace").lstrip("\ufeff")
    names = [n.strip().strip('"') for n in first.rstrip("\r\n").split(",")]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"duplicate column name {name!r}", file=label, row=1, field=name)
        seen.add(name)


def _from_geo(gdf: Any, label: str) -> pd.DataFrame:
    """A GeoDataFrame (any CRS) -> the point table."""
    if len(gdf) == 0:
        raise InputError("no points: the table is empty", file=label)
    geom = gdf.geometry
    kinds = geom.geom_type.to_numpy(dtype=object)
    bad = np.flatnonzero((kinds != "Point") | geom.is_empty.to_numpy() | geom.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"geometry must be a point, got {kinds[i] or 'nothing'}",
            file=label,
            row=i,
            field="geometry",
        )
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = _to_wgs84(gdf, label)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame["lat"] = gdf.geometry.y.to_numpy(np.float64)
    frame["lon"] = gdf.geometry.x.to_numpy(np.float64)
    if "id" not in frame.columns:
        raise InputError("an `id` column is required", file=label, field="id")
    return _from_table(frame.reset_index(drop=True), label)


def _to_wgs84(gdf: Any, label: str) -> Any:
    """``gdf`` reprojected to WGS84; a point its CRS cannot express (not finite, or not
    back where it was after the round trip: a projection clamps or wraps what lies
    outside its domain) is an error naming its row, as is a CRS that cannot be used."""
    from pyproj.exceptions import CRSError, ProjError

    x = gdf.geometry.x.to_numpy(np.float64)
    y = gdf.geometry.y.to_numpy(np.float64)
    try:
        out = gdf.to_crs("EPSG:4326")
        back = out.to_crs(gdf.crs)
    except (CRSError, ProjError, ValueError) as exc:
        raise InputError(f"cannot reproject to WGS84 ({exc})", file=label) from None
    with np.errstate(invalid="ignore"):
        fits = (
            np.isfinite(x)
            & np.isfinite(y)
            & np.isclose(back.geometry.x.to_numpy(np.float64), x, rtol=1e-9, atol=1e-3)
            & np.isclose(back.geometry.y.to_numpy(np.float64), y, rtol=1e-9, atol=1e-3)
        )
    bad = np.flatnonzero(~fits)
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"({x[i]:g}, {y[i]:g}) lies outside what its CRS {gdf.crs.to_string()[:40]} "
            "can express",
            file=label,
            row=i,
            field="geometry",
        )
    return out


def _from_table(frame: pd.DataFrame, label: str, *, csv: bool = False) -> pd.DataFrame:
    """Check and normalise an ``id, lat, lon`` table (rows: CSV lines or 0-based)."""
    first = 2 if csv else 0
    for column in ("id", "lat", "lon"):
        if column not in frame.columns:
            raise InputError(f"missing column `{column}`", file=label, field=column)
    if len(frame) == 0:
        raise InputError("no points: the table is empty", file=label)
    ids = frame["id"]
    missing = np.flatnonzero(ids.isna().to_numpy() | (ids.astype(str).str.strip() == ""))
    if len(missing):
        raise InputError("empty id", file=label, row=first + int(missing[0]), field="id")
    ids = ids.astype(str).str.strip()
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if len(dup):
        raise InputError(
            f"duplicate id {ids.iloc[int(dup[0])]!r}",
            file=label,
            row=first + int(dup[0]),
            field="id",
        )
    out = frame.copy()
    out["id"] = ids.to_numpy(dtype=object)
    for column, bound in (("lat", 90.0), ("lon", 180.0)):
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(np.float64)
        bad = np.flatnonzero(~(np.abs(values) <= bound))
        if len(bad):
            raw = frame[column].iloc[int(bad[0])]
            raise InputError(
                f"not a coordinate in [-{bound:.0f}, {bound:.0f}]: {raw!r}",
                file=label,
                row=first + int(bad[0]),
                field=column,
            )
        out[column] = values
    rest = [c for c in out.columns if c not in ("id", "lat", "lon")]
    return out[["id", "lat", "lon", *rest]].reset_index(drop=True)


def h3_points(
    bbox: Sequence[float], resolution: int, *, max_cells: int = MAX_H3_CELLS
) -> pd.DataFrame:
    """Centres of the H3 cells at ``resolution`` whose centre lies in ``bbox``.

    ``bbox`` is (west, south, east, north) in degrees; ids are the H3 cell strings.

    Raises
    ------
    QueryError
        ``h3_resolution`` outside 0-15 or making more than ``max_cells`` cells.
    """
    import h3

    if not (isinstance(resolution, int | np.integer) and 0 <= int(resolution) <= 15):
        raise QueryError(f"must be an integer 0-15, got {resolution!r}", parameter="h3_resolution")
    west, south, east, north = (float(v) for v in bbox)
    if not (west < east and south < north):
        raise QueryError("the extent is empty", parameter="bbox")
    mid = math.radians((south + north) / 2)
    height_km = (north - south) * 111.32
    width_km = (east - west) * 111.32 * max(math.cos(mid), 1e-6)
    cell_km2 = float(h3.average_hexagon_area(int(resolution), unit="km^2"))
    estimate = height_km * width_km / cell_km2
    if estimate > max_cells:
        raise QueryError(
            f"resolution {resolution} makes about {estimate:,.0f} cells over the network's "
            f"extent (at most {max_cells:,}); choose a coarser resolution",
            parameter="h3_resolution",
        )
    poly = h3.LatLngPoly([(south, west), (south, east), (north, east), (north, west)])
    cells = sorted(h3.polygon_to_cells(poly, int(resolution)))
    if not cells:
        raise QueryError(
            f"resolution {resolution} makes no cell centred in the network's extent",
            parameter="h3_resolution",
        )
    centres = np.asarray([h3.cell_to_latlng(c) for c in cells], dtype=np.float64)
    return pd.DataFrame(
        {"id": np.asarray(cells, dtype=object), "lat": centres[:, 0], "lon": centres[:, 1]}
    )


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a result table by extension: ``.parquet``, ``.csv``, ``.geojson``/``.json``
    (a GeoDataFrame, or a table with ``lat``/``lon`` columns written as points), ``.gpkg``.
    Returns the path written."""
    out = Path(path)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).to_csv(out, index=False)
        return out
    if suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(out, index=False)
        return out
    if suffix in (".geojson", ".json", ".gpkg"):
        import geopandas as gpd

        gdf = frame
        if not isinstance(frame, gpd.GeoDataFrame):
            if not {"lat", "lon"} <= set(frame.columns):
                raise InputError("GeoJSON output needs geometry or lat/lon columns", file=str(out))
            gdf = gpd.GeoDataFrame(
                frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
            )
        if suffix == ".gpkg":
            gdf.to_file(out, driver="GPKG")
        else:
            out.write_text(gdf.to_crs("EPSG:4326").to_json(drop_id=True), encoding="utf-8")
        return out
    raise InputError(
        "unknown output format (expected .parquet, .csv, .geojson, .gpkg)", file=str(out)
    )
