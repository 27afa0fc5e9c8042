"""Checks of the one itinerary and leg shape (`maasmix.api.schemas.legs`) shared by the
``/v1/plan`` and ``/v1/route/journeys`` tests: times by value, the encoded polyline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import polyline

DAY_MS = 86_400_000


def epoch_ms(local: str, timezone: str) -> int:
    """Epoch milliseconds of an ISO 8601 text without offset, read in ``timezone``."""
    moment = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp() * 1000)


def timed(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every itinerary of an answer and every leg of it."""
    for itinerary in body["itineraries"]:
        yield itinerary
        yield from itinerary["legs"]


def assert_epoch_ms(body: dict[str, Any], timezone: str) -> int:
    """``startTime``/``endTime`` of every itinerary and leg are the epoch milliseconds of
    its ISO ``start``/``end`` and of its seconds after the service day's midnight (in
    ``timezone``), within that day's 48 hours; returns how many were checked."""
    midnight = epoch_ms(body["date"], timezone)
    n = 0
    for item in timed(body):
        for at, iso, seconds in (
            ("startTime", "start", "startSeconds"),
            ("endTime", "end", "endSeconds"),
        ):
            ms = item[at]
            assert isinstance(ms, int), item
            assert ms == int(dt.datetime.fromisoformat(item[iso]).timestamp() * 1000), item
            assert ms == midnight + item[seconds] * 1000, item
            assert midnight <= ms < midnight + 2 * DAY_MS, item
        assert item["endTime"] - item["startTime"] == item["duration"] * 1000, item
        n += 1
    return n


def assert_same_but_encoded(geojson: dict[str, Any], encoded: dict[str, Any]) -> int:
    """The two answers differ only in ``legGeometry``: a GeoJSON LineString in the first,
    the same points as Google's encoded polyline (precision 5) in the second; returns the
    number of legs compared."""
    legs = [leg for it in geojson["itineraries"] for leg in it["legs"]]
    coded = [leg for it in encoded["itineraries"] for leg in it["legs"]]
    assert len(legs) == len(coded) > 0
    for plain, packed in zip(legs, coded, strict=True):
        line = plain.pop("legGeometry")
        code = packed.pop("legGeometry")
        assert plain == packed
        assert line["type"] == "LineString" and set(code) == {"points", "length"}
        assert code["length"] == len(line["coordinates"]) >= 2
        decoded = polyline.decode(code["points"], 5, geojson=True)
        for (lon, lat), (dlon, dlat) in zip(line["coordinates"], decoded, strict=True):
            assert abs(lon - dlon) <= 0.5e-5 + 1e-9 and abs(lat - dlat) <= 0.5e-5 + 1e-9
    return len(legs)
