"""A synthetic trip diary for the built-in demo city (see `maasmix.feeds.demo.city`).

``demo_diary_frame(seed=7, persons=1200)`` draws a deterministic diary of ordinary
Tuesday (2026-03-10) trips on the 6 km x 6 km demo grid, in the input columns of
`maasmix.feeds.diaries`; ``write_demo_diary(path)`` writes it as CSV (or Parquet for a
``.parquet`` / ``.pq`` name), byte-identical for the same seed. Three segments:

============  ======  =====================================================================
segment       weight  trips (per person)
============  ======  =====================================================================
commuters     50      home in the outer ring (1.8 km or more from the centre on either
                      axis), work within 1.5 km of Central Square; out: departure
                      07:00-09:00, back home: departure 16:00-18:30; 21 a month each
students      25      home anywhere, to the campus 1.5 km north-east of the centre; out:
                      arrival 08:00-10:00 (arrive-by), back: departure 14:00-17:00;
                      18 a month each
leisure       40      one or two trips between random points 1-4 km apart, departures
                      10:00-20:00, 2-6 a month each
============  ======  =====================================================================

Persons are split 45 % commuters, 20 % students, the rest leisure (about 2,200 trips
at the default). ``mode_today`` depends on the trip's distance (walking and cycling
short, transit and car long; a person's return trip uses the outbound mode).
``rider_category`` is blank (the demo feed has no rider categories). Every point lies
at least 200 m inside the grid's edge, and origin and destination differ. Everything
random comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.feeds.demo._grid import CENTRE, MID, SPACING_M
from maasmix.feeds.diaries import DIARY_COLUMNS
from maasmix.geodesy import M_PER_DEG_LAT

__all__ = [
    "CAMPUS_XY",
    "INSET_M",
    "SEGMENT_WEIGHTS",
    "box_diary_frame",
    "demo_diary_frame",
    "write_demo_diary",
]

FloatArray = npt.NDArray[np.float64]

HALF_SIDE_M: float = MID * SPACING_M
"""Half the side of the demo grid, metres (3 km)."""

INSET_M: float = 200.0
"""Every diary point lies at least this far inside the grid's edge, metres."""

SEGMENT_WEIGHTS: dict[str, float] = {"commuters": 50.0, "students": 25.0, "leisure": 40.0}
"""People each diary person of a segment stands for."""

CAMPUS_XY: tuple[float, float] = (1200.0, 900.0)
"""Campus, metres east and north of the centre (1.5 km away)."""

_SHARES = (0.45, 0.20)  # commuters, students; leisure takes the rest
_OUTER_RING_M = 1800.0
_WORK_RADIUS_M = 1500.0
_MIN_TRIP_M = 150.0
_MODES = ("walk", "bicycle", "scooter_rental", "bicycle_rental", "transit", "car")
# Probability of each of _MODES by trip distance: < 1 km, 1-3 km, > 3 km.
_MODE_SHARES = np.array(
    [
        [0.55, 0.15, 0.08, 0.05, 0.10, 0.07],
        [0.08, 0.20, 0.10, 0.10, 0.30, 0.22],
        [0.00, 0.10, 0.03, 0.05, 0.45, 0.37],
    ]
)
_COLUMNS = tuple(c.name for c in DIARY_COLUMNS)  # the diary reader's input columns


def _latlon(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres east/north of the centre -> (lat, lon) degrees, rounded to 1e-6 (~0.1 m);
    the projection of `maasmix.feeds.demo._grid.to_latlon`."""
    lat0, lon0 = CENTRE
    lat = lat0 + y / M_PER_DEG_LAT
    lon = lon0 + x / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return np.round(lat, 6), np.round(lon, 6)


def _anywhere(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    lim = HALF_SIDE_M - INSET_M
    return rng.uniform(-lim, lim, n), rng.uniform(-lim, lim, n)


def _outer_ring(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    got = 0
    while got < n:
        x, y = _anywhere(rng, 2 * n + 16)
        keep = np.maximum(np.abs(x), np.abs(y)) >= _OUTER_RING_M
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _near_centre(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    r = _WORK_RADIUS_M * np.sqrt(rng.uniform(0.0, 1.0, n))
    a = rng.uniform(0.0, 2.0 * math.pi, n)
    return r * np.cos(a), r * np.sin(a)


def _away_from(
    rng: np.random.Generator, n: int, point: tuple[float, float]
) -> tuple[FloatArray, FloatArray]:
    """Points anywhere in the grid, at least `_MIN_TRIP_M` from ``point``."""
    x, y = _anywhere(rng, n)
    while True:
        close = np.hypot(x - point[0], y - point[1]) < _MIN_TRIP_M
        if not close.any():
            return x, y
        x[close], y[close] = _anywhere(rng, int(close.sum()))


def _pairs(
    rng: np.random.Generator, n: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Origin and destination (x0, y0, x1, y1) 1-4 km apart, all inside the grid."""
    lim = HALF_SIDE_M - INSET_M
    x0, y0 = _anywhere(rng, n)
    x1 = np.full(n, np.inf)
    y1 = np.full(n, np.inf)
    todo = np.ones(n, dtype=bool)
    while todo.any():
        k = int(todo.sum())
        d = rng.uniform(1000.0, 4000.0, k)
        a = rng.uniform(0.0, 2.0 * math.pi, k)
        x1[todo] = x0[todo] + d * np.cos(a)
        y1[todo] = y0[todo] + d * np.sin(a)
        todo = (np.abs(x1) > lim) | (np.abs(y1) > lim)
    return x0, y0, x1, y1


def _modes(rng: np.random.Generator, distance_m: FloatArray) -> npt.NDArray[np.object_]:
    band = np.digitize(distance_m, [1000.0, 3000.0])
    cumulative = np.cumsum(_MODE_SHARES[band], axis=1)
    u = rng.uniform(0.0, 1.0, size=int(distance_m.shape[0]))
    pick = np.minimum((u[:, None] >= cumulative).sum(axis=1), len(_MODES) - 1)
    return np.asarray(_MODES, dtype=object)[pick]


def _clock(rng: np.random.Generator, n: int, start: str, end: str) -> npt.NDArray[np.object_]:
    """Clock texts ``HH:MM:00`` drawn uniformly (whole minutes) from ``start`` .. ``end``."""
    lo = int(start[:2]) * 60 + int(start[3:])
    hi = int(end[:2]) * 60 + int(end[3:])
    minutes = rng.integers(lo, hi, n, endpoint=True)
    return np.array([f"{m // 60:02d}:{m % 60:02d}:00" for m in minutes], dtype=object)


def _block(
    segment: str,
    person: npt.NDArray[np.object_],
    leg: npt.NDArray[np.int64],
    xy: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    departure: npt.NDArray[np.object_],
    arrival: npt.NDArray[np.object_],
    per_month: FloatArray,
    mode: npt.NDArray[np.object_],
) -> pd.DataFrame:
    x0, y0, x1, y1 = xy
    olat, olon = _latlon(x0, y0)
    dlat, dlon = _latlon(x1, y1)
    n = person.shape[0]
    return pd.DataFrame(
        {
            "trip_id": np.array([f"{p}-{k}" for p, k in zip(person, leg, strict=True)], object),
            "person_id": person,
            "segment": np.full(n, segment, dtype=object),
            "weight": np.full(n, SEGMENT_WEIGHTS[segment]),
            "origin_lat": olat,
            "origin_lon": olon,
            "destination_lat": dlat,
            "destination_lon": dlon,
            "departure_time": departure,
            "arrival_time": arrival,
            "trips_per_month": per_month.astype(np.float64),
            "mode_today": mode,
            "rider_category": np.full(n, "", dtype=object),
        }
    )


def _two_way(
    rng: np.random.Generator,
    segment: str,
    ids: npt.NDArray[np.object_],
    home: tuple[FloatArray, FloatArray],
    away: tuple[FloatArray, FloatArray],
    out_times: npt.NDArray[np.object_],
    out_arrive_by: bool,
    back_times: npt.NDArray[np.object_],
    per_month: float,
) -> pd.DataFrame:
    """Out (home -> away) and back (away -> home) trips, interleaved per person."""
    n = ids.shape[0]
    hx, hy = home
    ax, ay = away
    mode = _modes(rng, np.hypot(ax - hx, ay - hy))
    blank = np.full(n, "", dtype=object)
    out = _block(
        segment,
        ids,
        np.ones(n, dtype=np.int64),
        (hx, hy, ax, ay),
        blank if out_arrive_by else out_times,
        out_times if out_arrive_by else blank,
        np.full(n, per_month),
        mode,
    )
    back = _block(
        segment,
        ids,
        np.full(n, 2, dtype=np.int64),
        (ax, ay, hx, hy),
        back_times,
        blank,
        np.full(n, per_month),
        mode,
    )
    order = np.argsort(np.concatenate([np.arange(n) * 2, np.arange(n) * 2 + 1]), kind="stable")
    return pd.concat([out, back], ignore_index=True).iloc[order].reset_index(drop=True)


def demo_diary_frame(*, seed: int = 7, persons: int = 1200) -> pd.DataFrame:
    """The demo city's synthetic trip diary (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same diary.
    persons : int
        People in the diary (at least 3: one per segment).

    Returns
    -------
    DataFrame
        One row per trip, the input columns of `maasmix.feeds.diaries`: ``trip_id``,
        ``person_id`` (``"p00001"`` ...), ``segment``, ``weight`` (people),
        ``origin_lat``, ``origin_lon``, ``destination_lat``, ``destination_lon``
        (degrees), ``departure_time``, ``arrival_time`` (``HH:MM:SS``, the other one
        ``""``), ``trips_per_month``, ``mode_today``, ``rider_category`` (``""``).
        A person's trips are consecutive rows.
    """
    if persons < 3:
        raise ValueError(f"persons must be at least 3 (one per segment), got {persons}")
    rng = np.random.default_rng(seed)
    n_commuters = max(1, round(persons * _SHARES[0]))
    n_students = max(1, round(persons * _SHARES[1]))
    n_leisure = persons - n_commuters - n_students
    ids = np.array([f"p{k:05d}" for k in range(1, persons + 1)], dtype=object)
    ids_c = ids[:n_commuters]
    ids_s = ids[n_commuters : n_commuters + n_students]
    ids_l = ids[n_commuters + n_students :]

    commuters = _two_way(
        rng,
        "commuters",
        ids_c,
        _outer_ring(rng, n_commuters),
        _near_centre(rng, n_commuters),
        _clock(rng, n_commuters, "07:00", "09:00"),
        False,
        _clock(rng, n_commuters, "16:00", "18:30"),
        21.0,
    )
    campus = (np.full(n_students, CAMPUS_XY[0]), np.full(n_students, CAMPUS_XY[1]))
    students = _two_way(
        rng,
        "students",
        ids_s,
        _away_from(rng, n_students, CAMPUS_XY),
        campus,
        _clock(rng, n_students, "08:00", "10:00"),
        True,
        _clock(rng, n_students, "14:00", "17:00"),
        18.0,
    )

    trips_each = rng.integers(1, 2, n_leisure, endpoint=True)
    person = np.repeat(ids_l, trips_each)
    leg = (
        np.arange(person.shape[0], dtype=np.int64)
        - np.repeat(np.cumsum(trips_each) - trips_each, trips_each)
        + 1
    )
    k = person.shape[0]
    x0, y0, x1, y1 = _pairs(rng, k)
    leisure = _block(
        "leisure",
        person,
        leg,
        (x0, y0, x1, y1),
        _clock(rng, k, "10:00", "20:00"),
        np.full(k, "", dtype=object),
        rng.integers(2, 6, k, endpoint=True).astype(np.float64),
        _modes(rng, np.hypot(x1 - x0, y1 - y0)),
    )
    frame = pd.concat([commuters, students, leisure], ignore_index=True)
    return frame.loc[:, list(_COLUMNS)]


def write_demo_diary(path: str | Path, *, seed: int = 7, persons: int = 1200) -> Path:
    """Write `demo_diary_frame` to ``path``: CSV, or Parquet when the name ends in
    ``.parquet`` or ``.pq``; byte-identical for the same arguments.

    Returns
    -------
    Path
        ``path``.
    """
    out = Path(path)
    frame = demo_diary_frame(seed=seed, persons=persons)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.name.lower().endswith((".parquet", ".pq")):
        frame.to_parquet(out, index=False, compression="zstd")
    else:
        frame.to_csv(out, index=False, lineterminator="\n")
    return out


def box_diary_frame(
    box: tuple[float, float, float, float], *, persons: int = 1000, seed: int = 7
) -> pd.DataFrame:
    """A synthetic diary of round trips between random points of a box, for any city.

    ``box``: (west, south, east, north) degrees. Each person makes one trip out (departure
    07:00-19:00) and the same trip back three to nine hours later (before 23:59);
    segment ``residents`` (weight 20, 20 round trips a month) or ``visitors`` (one in
    four; weight 10, 4 a month). ``mode_today`` by distance as `demo_diary_frame`.
    Deterministic for a seed; the input columns of `maasmix.feeds.diaries`.
    """
    west, south, east, north = box
    if not (west < east and south < north) or persons < 1:
        raise ValueError("box must be (west, south, east, north) with west < east, south < north")
    rng = np.random.default_rng(seed)
    lat0 = rng.uniform(south, north, persons)
    lon0 = rng.uniform(west, east, persons)
    lat1 = rng.uniform(south, north, persons)
    lon1 = rng.uniform(west, east, persons)
    m_lon = M_PER_DEG_LAT * math.cos(math.radians((south + north) / 2))
    dist = np.hypot((lat1 - lat0) * M_PER_DEG_LAT, (lon1 - lon0) * m_lon)
    close = dist < _MIN_TRIP_M  # nudge the destination a little further away
    lat1[close] = np.minimum(lat1[close] + 2 * _MIN_TRIP_M / M_PER_DEG_LAT, north)
    lat1[close & (lat1 >= north)] = south
    dist = np.hypot((lat1 - lat0) * M_PER_DEG_LAT, (lon1 - lon0) * m_lon)
    visitor = rng.uniform(0.0, 1.0, persons) < 0.25
    out_min = rng.integers(7 * 60, 19 * 60, persons)
    back_min = np.minimum(out_min + rng.integers(180, 540, persons), 23 * 60 + 59)
    modes = _modes(rng, dist)
    ids = np.array([f"p{i + 1:06d}" for i in range(persons)], dtype=object)

    def clock(minutes: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        return np.array([f"{m // 60:02d}:{m % 60:02d}:00" for m in minutes], dtype=object)

    def leg(
        n: int,
        la0: FloatArray,
        lo0: FloatArray,
        la1: FloatArray,
        lo1: FloatArray,
        minutes: npt.NDArray[np.int64],
    ) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "trip_id": [f"{p}-{n}" for p in ids],
                "person_id": ids,
                "segment": np.where(visitor, "visitors", "residents").astype(object),
                "weight": np.where(visitor, 10.0, 20.0),
                "origin_lat": np.round(la0, 6),
                "origin_lon": np.round(lo0, 6),
                "destination_lat": np.round(la1, 6),
                "destination_lon": np.round(lo1, 6),
                "departure_time": clock(minutes),
                "arrival_time": "",
                "trips_per_month": np.where(visitor, 4.0, 20.0),
                "mode_today": modes,
                "rider_category": "",
            }
        )

    out = leg(1, lat0, lon0, lat1, lon1, out_min)
    back = leg(2, lat1, lon1, lat0, lon0, back_min)
    frame = pd.concat([out, back]).sort_index(kind="stable").reset_index(drop=True)
    return frame.loc[:, list(_COLUMNS)]
