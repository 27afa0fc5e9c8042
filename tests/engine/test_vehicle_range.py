"""Vehicle range with its reserve: which vehicles are searched alone, which rides they make."""

from __future__ import annotations

import numpy as np

from maasmix import defaults
from maasmix.engine.vehicle_range import ride_in_range, split_by_range
from tests.engine.plan_builders import LAT, lon_at


def test_reserve_is_ten_percent() -> None:
    assert defaults.RANGE_RESERVE == 1.1


def test_ride_in_range_keeps_the_reserve() -> None:
    ranges = np.array([1000.0, 1099.0, 1101.0, np.nan, 5000.0])
    rides = np.array([1000.0, 1000.0, 1000.0, 1e9, 4600.0])
    # 1,000 m of range does not cover a 1,000 m ride (1,100 m with the reserve)
    assert ride_in_range(ranges, rides).tolist() == [False, False, True, True, False]


def test_split_by_range_searches_short_vehicles_alone() -> None:
    index = np.array([0, 1, 2, 3, 4], np.int32)
    rng = np.array([1050.0, 1100.5, np.nan, 900.0, 1000.0])
    lat = np.full(5, LAT)
    lon = np.array([lon_at(3), lon_at(1), lon_at(0), lon_at(2), lon_at(20)])
    main, singles = split_by_range(index, rng, lat, lon, (LAT, lon_at(0)), 1000.0, 800.0)
    # 1,050 m is short for a 1,000 m ride with the reserve; vehicle 4 (2 km away) is left out
    assert main.tolist() == [1, 2]
    assert [s.tolist() for s in singles] == [[3], [0]]  # nearest the origin first
    main, singles = split_by_range(index, rng, lat, lon, (LAT, lon_at(0)), 1000.0, 800.0, limit=1)
    assert [s.tolist() for s in singles] == [[3]]
