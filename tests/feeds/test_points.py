"""Point tables for analyses: every input form, reprojection, H3 grids and bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from maasmix.errors import InputError, QueryError
from maasmix.feeds.points import h3_points, read_points, write_table

POINTS = pd.DataFrame(
    {"id": ["a", "b", "c"], "lat": [60.17, 60.18, 60.19], "lon": [24.94, 24.95, 24.96],
     "jobs": [10, 20, 30]}
)  # fmt: skip


def _gdf(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        POINTS[["id", "jobs"]],
        geometry=gpd.points_from_xy(POINTS["lon"], POINTS["lat"]),
        crs="EPSG:4326",
    )
    return g.to_crs(crs)


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
def test_files_give_the_same_table(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"points{suffix}"
    if suffix == ".csv":
        POINTS.to_csv(path, index=False)
    elif suffix == ".parquet":
        _gdf().to_parquet(path)
    else:
        _gdf().to_file(path, driver="GeoJSON" if suffix == ".geojson" else "GPKG")
    got = read_points(path)
    assert got["id"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(got["lat"], POINTS["lat"], atol=1e-9)
    np.testing.assert_allclose(got["lon"], POINTS["lon"], atol=1e-9)
    assert got["jobs"].tolist() == [10, 20, 30]


def test_any_crs_is_reprojected_to_wgs84() -> None:
    got = read_points(_gdf("EPSG:3067"))  # ETRS-TM35FIN metres
    np.testing.assert_allclose(got["lat"], POINTS["lat"], atol=1e-7)
    np.testing.assert_allclose(got["lon"], POINTS["lon"], atol=1e-7)


def test_pairs_and_tables() -> None:
    got = read_points([(60.1, 24.9), (60.2, 25.0)])
    assert got["id"].tolist() == ["0", "1"] and got["lat"].tolist() == [60.1, 60.2]
    assert read_points(POINTS)["jobs"].tolist() == [10, 20, 30]


def test_bad_files_name_file_row_and_field(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("id,lat,lon\n")
    with pytest.raises(InputError, match="no points") as err:
        read_points(empty)
    assert err.value.file == str(empty)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\na,60.1,24.9\nb,91,24.9\n")
    with pytest.raises(InputError) as err:
        read_points(bad)
    assert (err.value.row, err.value.field) == (3, "lat")
    dup = tmp_path / "dup.csv"
    dup.write_text("id,lat,lon\na,60.1,24.9\na,60.2,24.9\n")
    with pytest.raises(InputError, match="duplicate") as err:
        read_points(dup)
    assert (err.value.row, err.value.field) == (3, "id")
    nolat = tmp_path / "nolat.csv"
    nolat.write_text("id,y,x\na,60.1,24.9\n")
    with pytest.raises(InputError) as err:
        read_points(nolat)
    assert err.value.field == "lat"
    poly = gpd.GeoDataFrame(
        {"id": ["a"]}, geometry=[shapely.box(24.9, 60.1, 25.0, 60.2)], crs="EPSG:4326"
    )
    with pytest.raises(InputError, match="must be a point") as err:
        read_points(poly, name="origins")
    assert (err.value.file, err.value.row, err.value.field) == ("origins", 0, "geometry")
    sheet = tmp_path / "x.xlsx"
    sheet.write_text("")
    with pytest.raises(InputError, match="unknown format"):
        read_points(sheet)


def test_h3_grid_covers_the_extent() -> None:
    bbox = (24.90, 60.15, 25.00, 60.20)
    grid = h3_points(bbox, 8)
    assert len(grid) > 10
    assert all(h3.get_resolution(c) == 8 for c in grid["id"])
    assert grid["lat"].between(60.15, 60.20).all() and grid["lon"].between(24.90, 25.00).all()
    # every cell whose centre lies inside, and only those: a finer sample of centres agrees
    finer = {h3.cell_to_parent(c, 8) for c in h3_points(bbox, 10)["id"]}
    assert set(grid["id"]) <= finer


def test_h3_resolution_that_makes_a_billion_cells_is_refused() -> None:
    with pytest.raises(QueryError, match="cells") as err:
        h3_points((24.0, 59.0, 26.0, 61.0), 15)
    assert err.value.parameter == "h3_resolution"
    with pytest.raises(QueryError) as err:
        h3_points((24.0, 59.0, 26.0, 61.0), 16)
    assert err.value.parameter == "h3_resolution"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".geojson"])
def test_write_table_round_trips(tmp_path: Path, suffix: str) -> None:
    out = write_table(POINTS, tmp_path / f"out{suffix}")
    back = read_points(out)
    assert back["id"].tolist() == ["a", "b", "c"] and back["jobs"].tolist() == [10, 20, 30]


def test_a_header_of_a_hundred_thousand_columns_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(["id", "lat", "lon"] + [f"w{i}" for i in range(100_000)])
    path.write_text(header + "\n" + "a,60.17,24.94" + ",1" * 100_000 + "\n")
    with pytest.raises(InputError, match="MAX_POINT_COLUMNS") as err:
        read_points(path)
    assert err.value.row == 1
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("id,lat,lon,jobs\na,60.17,24.94,3\n")
    assert read_points(narrow)["jobs"].tolist() == [3]
