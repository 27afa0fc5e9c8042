"""Trip diaries (`maasmix.feeds.diaries`): reading CSV and Parquet, and every error
naming its file, row and column."""

from __future__ import annotations

import gzip
import hashlib
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maasmix.errors import DiaryError, FeedWarning
from maasmix.feeds.diaries import (
    DIARY_COLUMNS,
    TRIP_COLUMNS,
    Diary,
    diary_from_frame,
    read_diary,
)

HEADER = (
    "trip_id,person_id,segment,weight,origin_lat,origin_lon,destination_lat,"
    "destination_lon,departure_time,arrival_time,trips_per_month,mode_today,rider_category"
)
ROWS = [
    "t1,p1,commuters,50,60.17,24.94,60.18,24.95,07:30,,21,car,",
    "t2,p1,commuters,50,60.18,24.95,60.17,24.94,17:05:30,,21,car,",
    ",p2,students,25,60.16,24.93,60.175,24.96,,08:45,18,transit,student",
    ",p2,students,25,60.175,24.96,60.16,24.93,25:10,,18,,student",
    "t5,p3,leisure,40,60.15,24.90,60.16,24.92,10:00:00,,2.5,scooter_rental,",
]


def write_csv(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def replace_cell(row: str, column: str, value: str, header: str = HEADER) -> str:
    cells = row.split(",")
    cells[header.split(",").index(column)] = value
    return ",".join(cells)


def assert_error(exc: pytest.ExceptionInfo[DiaryError], file: Path | str, row: int | None,
                 field: str | None) -> None:  # fmt: skip
    err = exc.value
    assert isinstance(err, DiaryError)
    assert err.file == str(file)
    assert err.row == row, str(err)
    assert err.field == field, str(err)


# --- valid diaries ----------------------------------------------------------------


def test_valid_csv_columns_and_dtypes(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ROWS)
    diary = read_diary(path)
    assert isinstance(diary, Diary)
    trips = diary.trips
    assert tuple(trips.columns) == TRIP_COLUMNS
    assert len(diary) == 5
    assert diary.segments == ("commuters", "leisure", "students")
    assert diary.path == str(path)
    assert diary.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    dtypes = {c: str(t) for c, t in trips.dtypes.items()}
    assert dtypes == {
        "row": "int64",
        "trip_id": "object",
        "person_id": "object",
        "segment": "object",
        "weight": "float64",
        "origin_lat": "float64",
        "origin_lon": "float64",
        "destination_lat": "float64",
        "destination_lon": "float64",
        "time_s": "int32",
        "arrive_by": "bool",
        "trips_per_month": "float64",
        "mode_today": "object",
        "rider_category": "object",
    }
    assert trips["row"].tolist() == [2, 3, 4, 5, 6]
    assert trips["trip_id"].tolist() == ["t1", "t2", "p2-1", "p2-2", "t5"]
    assert trips["time_s"].tolist() == [27000, 61530, 31500, 90600, 36000]
    assert trips["arrive_by"].tolist() == [False, False, True, False, False]
    assert trips["mode_today"].tolist() == ["car", "car", "transit", "", "scooter_rental"]
    assert trips["rider_category"].tolist() == [None, None, "student", "student", None]
    assert trips["trips_per_month"].tolist() == [21.0, 21.0, 18.0, 18.0, 2.5]
    assert isinstance(trips.index, pd.RangeIndex)


def test_csv_and_parquet_give_identical_trips(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, ROWS)
    from_csv = read_diary(csv_path).trips
    frame = pd.read_csv(csv_path, dtype={"trip_id": str, "rider_category": str,
                                         "mode_today": str, "arrival_time": str})  # fmt: skip
    pq_path = tmp_path / "d.parquet"
    frame.to_parquet(pq_path, index=False)
    from_pq = read_diary(pq_path).trips
    # Rows are numbered differently (CSV: line, Parquet: index + 1); all else is equal.
    assert from_csv["row"].tolist() == [2, 3, 4, 5, 6]
    assert from_pq["row"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(from_csv.drop(columns="row"), from_pq.drop(columns="row"))
    pq_alias = tmp_path / "d.pq"
    pq_alias.write_bytes(pq_path.read_bytes())
    pd.testing.assert_frame_equal(read_diary(pq_alias).trips, from_pq)


def test_csv_gz_and_frame(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, ROWS)
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(csv_path.read_bytes(), mtime=0))
    pd.testing.assert_frame_equal(read_diary(gz).trips, read_diary(csv_path).trips)
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    diary = diary_from_frame(frame, name="mine")
    assert diary.path == "mine"
    assert diary.trips["row"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(
        diary.trips.drop(columns="row"), read_diary(csv_path).trips.drop(columns="row")
    )
    assert diary.sha256 == diary_from_frame(frame).sha256
    assert len(diary.sha256) == 64


def test_only_one_time_column_is_enough(tmp_path: Path) -> None:
    header = HEADER.replace(",arrival_time", "")
    rows = [r.split(",") for r in (ROWS[0], ROWS[1], ROWS[4])]
    for cells in rows:
        del cells[9]
    diary = read_diary(write_csv(tmp_path, [",".join(c) for c in rows], header))
    assert not diary.trips["arrive_by"].any()


def test_unknown_column_warns_with_hint(tmp_path: Path) -> None:
    header = HEADER + ",departure_tme,colour"
    rows = [r + ",07:00,red" for r in ROWS]
    path = write_csv(tmp_path, rows, header)
    with pytest.warns(FeedWarning, match=r"'departure_tme' \(did you mean 'departure_time'\?\)"):
        diary = read_diary(path)
    assert "departure_tme" not in diary.trips.columns
    assert len(diary) == 5


def test_columns_documented() -> None:
    import maasmix.feeds.diaries as module

    doc = module.__doc__ or ""
    for column in DIARY_COLUMNS:
        assert f"``{column.name}``" in doc
    for name in TRIP_COLUMNS:
        assert f"``{name}``" in doc


# --- errors -----------------------------------------------------------------------


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace(",weight", "")
    rows = []
    for row in ROWS:
        cells = row.split(",")
        del cells[3]
        rows.append(",".join(cells))
    path = write_csv(tmp_path, rows, header)
    with pytest.raises(DiaryError, match="missing required column 'weight'") as exc:
        read_diary(path)
    assert_error(exc, path, 1, "weight")


def test_missing_both_time_columns(tmp_path: Path) -> None:
    header = (
        "person_id,segment,weight,origin_lat,origin_lon,destination_lat,destination_lon,"
        "trips_per_month"
    )
    path = write_csv(tmp_path, ["p1,s,1,60.1,24.9,60.2,24.9,3"], header)
    with pytest.raises(DiaryError, match="departure_time or arrival_time") as exc:
        read_diary(path)
    assert_error(exc, path, 1, "departure_time")


def test_bad_number_names_row_and_field(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[2] = replace_cell(rows[2], "origin_lon", "24,93".replace(",", "x"))
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="not a number: '24x93'") as exc:
        read_diary(path)
    assert_error(exc, path, 4, "origin_lon")


def test_missing_value(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[1] = replace_cell(rows[1], "trips_per_month", "")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="missing value") as exc:
        read_diary(path)
    assert_error(exc, path, 3, "trips_per_month")


def test_lat_out_of_range(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[3] = replace_cell(rows[3], "destination_lat", "91")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match=r"outside -90 \.\. 90") as exc:
        read_diary(path)
    assert_error(exc, path, 5, "destination_lat")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("weight", "0", "weight must be > 0"),
        ("weight", "inf", "finite"),
        ("trips_per_month", "1001", "<= 1000"),
        ("trips_per_month", "-1", "> 0"),
        ("origin_lon", "nan", "finite"),
    ],
)
def test_bad_values(tmp_path: Path, column: str, value: str, message: str) -> None:
    rows = list(ROWS)
    rows[4] = replace_cell(rows[4], column, value)
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match=message) as exc:
        read_diary(path)
    assert_error(exc, path, 6, column)


def test_both_times(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[1] = replace_cell(rows[1], "arrival_time", "18:00")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="both departure_time and arrival_time") as exc:
        read_diary(path)
    assert_error(exc, path, 3, "arrival_time")


def test_neither_time(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[2] = replace_cell(rows[2], "arrival_time", "")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="neither departure_time nor arrival_time") as exc:
        read_diary(path)
    assert_error(exc, path, 4, "departure_time")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("departure_time", "25:61", "minutes and seconds < 60"),
        ("departure_time", "49:00", "48:00:00"),
        ("departure_time", "7.30", "not a time"),
        ("departure_time", "28800", "not a time"),
    ],
)
def test_bad_clock(tmp_path: Path, column: str, value: str, message: str) -> None:
    rows = list(ROWS)
    rows[1] = replace_cell(rows[1], column, value)
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match=message) as exc:
        read_diary(path)
    assert_error(exc, path, 3, column)


def test_bad_arrival_clock(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[2] = replace_cell(rows[2], "arrival_time", "8h45")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="not a time") as exc:
        read_diary(path)
    assert_error(exc, path, 4, "arrival_time")


def test_inconsistent_weight(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[3] = replace_cell(rows[3], "weight", "30")
    path = write_csv(tmp_path, rows)
    with pytest.raises(
        DiaryError, match=r"weight 30 of person 'p2' differs from 25 on row 4"
    ) as exc:
        read_diary(path)
    assert_error(exc, path, 5, "weight")


def test_unknown_mode_today(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[4] = replace_cell(rows[4], "mode_today", "hovercraft")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="unknown mode_today") as exc:
        read_diary(path)
    assert_error(exc, path, 6, "mode_today")


def test_duplicate_trip_id(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[4] = replace_cell(rows[4], "trip_id", "t1")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match=r"duplicate trip_id 't1' \(first on row 2\)") as exc:
        read_diary(path)
    assert_error(exc, path, 6, "trip_id")


def test_duplicate_default_trip_id(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[0] = replace_cell(rows[0], "trip_id", "p2-2")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="duplicate trip_id 'p2-2'") as exc:
        read_diary(path)
    assert_error(exc, path, 5, "trip_id")


def test_same_origin_and_destination(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[1] = "t2,p1,commuters,50,60.18,24.95,60.180001,24.95,17:00,,21,car,"
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="same place") as exc:
        read_diary(path)
    assert_error(exc, path, 3, "destination_lat")


def test_long_segment_and_blank_person(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[0] = replace_cell(rows[0], "segment", "x" * 81)
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="longer than 80") as exc:
        read_diary(path)
    assert_error(exc, path, 2, "segment")
    rows = list(ROWS)
    rows[2] = replace_cell(rows[2], "person_id", "")
    path = write_csv(tmp_path, rows)
    with pytest.raises(DiaryError, match="missing value") as exc:
        read_diary(path)
    assert_error(exc, path, 4, "person_id")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DiaryError, match="empty") as exc:
        read_diary(path)
    assert_error(exc, path, 1, None)


def test_header_only(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [])
    with pytest.raises(DiaryError, match="no trips") as exc:
        read_diary(path)
    assert_error(exc, path, 2, None)


def test_empty_parquet_and_frame(tmp_path: Path) -> None:
    frame = pd.read_csv(write_csv(tmp_path, ROWS), dtype=str, keep_default_na=False).iloc[:0]
    path = tmp_path / "empty.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DiaryError, match="no trips") as exc:
        read_diary(path)
    assert_error(exc, path, None, None)
    with pytest.raises(DiaryError, match="no trips"):
        diary_from_frame(frame)


def test_million_comma_row_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes((HEADER + "\n" + ROWS[0] + "\n" + "," * 1_000_000 + "\n").encode())
    tracemalloc.start()
    try:
        with pytest.raises(DiaryError, match="extra_fields_margin") as exc:
            read_diary(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_error(exc, path, 3, None)
    assert peak < 16 * 2**20  # the file (1 MB) and little else: no row materialised


def test_huge_header_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "wide-header.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(5000)) + b"\n")
    with pytest.raises(DiaryError, match="max_columns") as exc:
        read_diary(path)
    assert_error(exc, path, 1, None)


def test_max_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ROWS)
    with pytest.raises(DiaryError, match="more than max_rows=4") as exc:
        read_diary(path, max_rows=4)
    assert_error(exc, path, None, None)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    pq_path = tmp_path / "d.parquet"
    frame.to_parquet(pq_path, index=False)
    with pytest.raises(DiaryError, match="more than max_rows=4"):
        read_diary(pq_path, max_rows=4)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    rows = list(ROWS)
    rows[2] = replace_cell(rows[2], "segment", "étudiants")
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("latin-1"))
    with pytest.raises(DiaryError, match="not UTF-8") as exc:
        read_diary(path)
    assert_error(exc, path, 4, None)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DiaryError, match="no such file") as exc:
        read_diary(path)
    assert_error(exc, path, None, None)
    assert str(path) in str(exc.value)


def test_unknown_suffix_and_bad_parquet(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(DiaryError, match="unknown diary format") as exc:
        read_diary(path)
    assert_error(exc, path, None, None)
    bad = tmp_path / "d.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DiaryError, match="not a readable Parquet file") as exc:
        read_diary(bad)
    assert_error(exc, bad, None, None)
    bad_gz = tmp_path / "d.csv.gz"
    bad_gz.write_bytes(b"not gzip")
    with pytest.raises(DiaryError, match="not a valid gzip file"):
        read_diary(bad_gz)


def test_parquet_errors_name_row_and_field(tmp_path: Path) -> None:
    frame = pd.read_csv(write_csv(tmp_path, ROWS), dtype={"arrival_time": str})
    frame.loc[3, "origin_lat"] = np.nan
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DiaryError, match="missing value") as exc:
        read_diary(path)
    assert_error(exc, path, 4, "origin_lat")


def test_duplicate_header_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [r + ",x" for r in ROWS], HEADER + ",segment")
    with pytest.raises(DiaryError, match="duplicate column") as exc:
        read_diary(path)
    assert_error(exc, path, 1, "segment")


def test_frame_sha256_is_that_of_its_csv(tmp_path: Path) -> None:
    from maasmix.feeds.diaries import _frame_sha256

    frame = pd.read_csv(write_csv(tmp_path, ROWS), dtype={"arrival_time": str})
    whole = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    assert _frame_sha256(frame, chunk_rows=2) == whole
    assert diary_from_frame(frame).sha256 == whole
