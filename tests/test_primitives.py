"""The shared primitives: geodesy, money, service time and errors, with exact answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from maasmix.errors import FeedFormatError, NoServiceError, QueryError
from maasmix.geodesy import EARTH_RADIUS_M, LocalProjection, PointIndex, haversine_m
from maasmix.money import Money, currency_exponent, format_minor, is_currency, to_minor
from maasmix.servicetime import format_clock, parse_clock, parse_service_date, service_datetime


def test_haversine_quarter_meridian() -> None:
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(np.pi / 2 * EARTH_RADIUS_M)
    assert haversine_m(60.0, 24.0, 60.0, 24.0) == 0.0


def test_projection_round_trip_and_point_index() -> None:
    proj = LocalProjection(60.17, 24.94)
    xy = proj.to_xy([60.18], [24.95])
    lat, lon = proj.to_latlon(xy[:, 0], xy[:, 1])
    assert (lat[0], lon[0]) == pytest.approx((60.18, 24.95))
    lats, lons = np.array([60.0, 60.001, 60.01]), np.array([24.0, 24.0, 24.0])
    index = PointIndex(lats, lons)
    nearest, dist = index.nearest([60.0009], [24.0])
    assert nearest.tolist() == [1]
    assert dist[0] == pytest.approx(haversine_m(60.0009, 24.0, 60.001, 24.0))
    i, j, d = index.pairs_within(200.0)  # 111 m apart: only points 0 and 1
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (1, 0)]
    assert d.tolist() == pytest.approx([float(haversine_m(60.0, 24.0, 60.001, 24.0))] * 2)


def test_currency_exponents_from_iso_4217() -> None:
    assert [currency_exponent(c) for c in ("BRL", "EUR", "JPY", "KWD", "CLF")] == [2, 2, 0, 3, 4]
    assert not is_currency("QQQ") and not is_currency("XAU")
    assert to_minor(0.1 + 0.2, "EUR") == 30 and to_minor("2.5", "JPY") == 2
    with pytest.raises(ValueError, match="finite"):
        to_minor(float("inf"), "EUR")
    assert str(Money(1234, "KWD")) == "1.234 KWD"
    with pytest.raises(ValueError, match="cannot add"):
        Money(1, "EUR") + Money(1, "USD")
    assert format_minor(5, "EUR") == "0.05 EUR"


def test_service_time() -> None:
    assert parse_clock("25:10") == 25 * 3600 + 600 and format_clock(90061) == "25:01:01"
    assert parse_clock("48:00:00") == 48 * 3600 and parse_clock("0") == 0
    for bad in ("48:00:01", "-1", "٣:00", "08:00:00 ", "1e3", True):
        if bad == "08:00:00 ":
            assert parse_clock(bad) == 8 * 3600  # surrounding blanks are fine
            continue
        with pytest.raises(QueryError):
            parse_clock(bad, parameter="at")  # type: ignore[arg-type]
    assert (
        parse_service_date("2026-03-10") == parse_service_date("20260310") == dt.date(2026, 3, 10)
    )
    with pytest.raises(QueryError, match="not a date") as info:
        parse_service_date("１２３")
    assert info.value.parameter == "date"
    # DST ends in Helsinki on 2026-10-25: the day's clock counts from noon minus 12 h
    day = dt.date(2026, 10, 25)
    assert service_datetime(day, "Europe/Helsinki", 8 * 3600).isoformat() == (
        "2026-10-25T08:00:00+02:00"
    )
    # 01:00 service time is noon (EET) minus 11 h: 02:00 summer time, not the 01:00 on the clock
    assert service_datetime(day, "Europe/Helsinki", 3600).isoformat() == (
        "2026-10-25T02:00:00+03:00"
    )
    with pytest.raises(ValueError, match="IANA"):
        service_datetime(dt.date(2026, 1, 1), "Mars/Olympus", 0)


def test_errors_carry_where() -> None:
    err = FeedFormatError("bad time", file="stop_times.txt", row=12, field="arrival_time")
    assert str(err) == "stop_times.txt, line 12, field 'arrival_time': bad time"
    assert err.to_dict()["row"] == 12
    none = NoServiceError(dt.date(2030, 1, 1), (dt.date(2018, 1, 1), dt.date(2018, 12, 31)))
    assert isinstance(none, QueryError) and none.parameter == "date"
    assert "20180101..20181231" in str(none)
    assert none.to_dict()["servicePeriod"] == ["2018-01-01", "2018-12-31"]
