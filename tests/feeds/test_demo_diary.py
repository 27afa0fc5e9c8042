"""The demo city's synthetic trip diary (`maasmix.feeds.demo.diary`)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maasmix.feeds.demo import demo_diary_frame, write_demo_diary
from maasmix.feeds.demo._grid import CENTRE
from maasmix.feeds.demo.diary import CAMPUS_XY, HALF_SIDE_M, INSET_M, SEGMENT_WEIGHTS
from maasmix.feeds.diaries import Diary, read_diary
from maasmix.geodesy import M_PER_DEG_LAT, haversine_m


@pytest.fixture(scope="module")
def diary(tmp_path_factory: pytest.TempPathFactory) -> Diary:
    path = write_demo_diary(tmp_path_factory.mktemp("diary") / "demo_diary.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_diary(path)


def xy(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat0, lon0 = CENTRE
    y = (lat - lat0) * M_PER_DEG_LAT
    x = (lon - lon0) * M_PER_DEG_LAT * math.cos(math.radians(lat0))
    return x, y


def test_writes_are_byte_identical(tmp_path: Path) -> None:
    a = write_demo_diary(tmp_path / "a.csv")
    b = write_demo_diary(tmp_path / "b.csv")
    assert a == tmp_path / "a.csv"
    assert a.read_bytes() == b.read_bytes()
    assert write_demo_diary(tmp_path / "c.csv", seed=8).read_bytes() != a.read_bytes()
    pa = write_demo_diary(tmp_path / "a.parquet")
    pb = write_demo_diary(tmp_path / "b.parquet")
    assert pa.read_bytes() == pb.read_bytes()


def test_parquet_reads_back_like_csv(tmp_path: Path, diary: Diary) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_pq = read_diary(write_demo_diary(tmp_path / "demo.pq")).trips
    pd.testing.assert_frame_equal(
        from_pq.drop(columns="row"), diary.trips.drop(columns="row"), check_exact=True
    )


def test_reads_back_cleanly(diary: Diary) -> None:
    assert 2000 <= len(diary) <= 3000
    assert diary.segments == ("commuters", "leisure", "students")
    trips = diary.trips
    assert set(trips["mode_today"]) <= {
        "car",
        "transit",
        "walk",
        "bicycle",
        "scooter_rental",
        "bicycle_rental",
    }
    assert trips["rider_category"].isna().all()
    weights = trips.groupby("segment")["weight"].unique()
    for segment, weight in SEGMENT_WEIGHTS.items():
        assert weights[segment].tolist() == [weight]


def test_points_inside_the_grid(diary: Diary) -> None:
    trips = diary.trips
    limit = HALF_SIDE_M - INSET_M + 0.5  # coordinates are rounded to 1e-6 degrees
    for end in ("origin", "destination"):
        x, y = xy(trips[f"{end}_lat"].to_numpy(), trips[f"{end}_lon"].to_numpy())
        assert np.abs(x).max() <= limit
        assert np.abs(y).max() <= limit
    apart = haversine_m(
        trips["origin_lat"], trips["origin_lon"], trips["destination_lat"], trips["destination_lon"]
    )
    assert apart.min() > 100.0


def test_segments_as_designed(diary: Diary) -> None:
    trips = diary.trips
    persons = trips.groupby("segment")["person_id"].nunique()
    assert persons.to_dict() == {"commuters": 540, "students": 240, "leisure": 420}
    per_person = trips.groupby(["segment", "person_id"]).size()
    assert set(per_person["commuters"]) == {2}
    assert set(per_person["students"]) == {2}
    assert set(per_person["leisure"]) == {1, 2}

    commuters = trips[trips["segment"] == "commuters"]
    out, back = commuters.iloc[0::2], commuters.iloc[1::2]
    assert (out["person_id"].to_numpy() == back["person_id"].to_numpy()).all()
    assert not out["arrive_by"].any() and not back["arrive_by"].any()
    assert out["time_s"].between(7 * 3600, 9 * 3600).all()
    assert back["time_s"].between(16 * 3600, 18.5 * 3600).all()
    for a, b in (("destination", "origin"), ("origin", "destination")):
        for axis in ("lat", "lon"):
            assert (out[f"{a}_{axis}"].to_numpy() == back[f"{b}_{axis}"].to_numpy()).all()
    hx, hy = xy(out["origin_lat"].to_numpy(), out["origin_lon"].to_numpy())
    wx, wy = xy(out["destination_lat"].to_numpy(), out["destination_lon"].to_numpy())
    assert (np.maximum(np.abs(hx), np.abs(hy)) >= 1799.0).all()
    assert (np.hypot(wx, wy) <= 1501.0).all()
    assert set(commuters["trips_per_month"]) == {21.0}

    students = trips[trips["segment"] == "students"]
    s_out, s_back = students.iloc[0::2], students.iloc[1::2]
    assert s_out["arrive_by"].all() and not s_back["arrive_by"].any()
    assert s_out["time_s"].between(8 * 3600, 10 * 3600).all()
    assert s_back["time_s"].between(14 * 3600, 17 * 3600).all()
    cx, cy = xy(s_out["destination_lat"].to_numpy(), s_out["destination_lon"].to_numpy())
    assert np.allclose(cx, CAMPUS_XY[0], atol=0.5) and np.allclose(cy, CAMPUS_XY[1], atol=0.5)
    assert set(students["trips_per_month"]) == {18.0}

    leisure = trips[trips["segment"] == "leisure"]
    assert leisure["time_s"].between(10 * 3600, 20 * 3600).all()
    assert set(leisure["trips_per_month"]) <= {2.0, 3.0, 4.0, 5.0, 6.0}
    apart = haversine_m(
        leisure["origin_lat"],
        leisure["origin_lon"],
        leisure["destination_lat"],
        leisure["destination_lon"],
    )
    assert apart.min() >= 990.0 and apart.max() <= 4010.0


def test_frame_options() -> None:
    small = demo_diary_frame(seed=3, persons=20)
    assert small["person_id"].nunique() == 20
    pd.testing.assert_frame_equal(small, demo_diary_frame(seed=3, persons=20))
    with pytest.raises(ValueError, match="at least 3"):
        demo_diary_frame(persons=2)
