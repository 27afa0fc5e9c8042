"""`ServiceDay`: the GTFS timetable of one service date, as plain typed tables.

This is the contract between `feeds` (which builds it, see `feeds.gtfs`) and `engine`
(which compiles it into arrays). All times are int32 seconds after midnight of the
chosen service date (noon minus 12 h, as GTFS defines it). Trips of the previous
service date that still run after midnight are included with their times shifted by
-86400 s (``day_offset == -1``), so a trip at 25:10:00 yesterday appears at 01:10:00.
Trips from frequencies.txt are expanded into one row per departure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FeedPeriod:
    """One feed of a merged service day: its ``label`` (the id prefix), its service
    ``period`` (first, last date with service; None: none) and ``trips`` (trip runs on
    the day)."""

    label: str
    period: tuple[dt.date, dt.date] | None
    trips: int


@dataclass(frozen=True)
class ServiceDay:
    """The timetable of one service date.

    Attributes
    ----------
    date : datetime.date
        The service date.
    timezone : str
        IANA timezone of the (first) agency, e.g. ``"Europe/Helsinki"``.
    stops : DataFrame
        One row per stop/station/entrance: ``stop_id`` (str), ``stop_name`` (str),
        ``stop_lat``, ``stop_lon`` (float64, WGS84), ``location_type`` (int8, 0 stop,
        1 station, 2 entrance, 3 generic node, 4 boarding area), ``parent_station``
        (str, "" when none), ``zone_id`` (str, "" when none).
    routes : DataFrame
        ``route_id``, ``agency_id``, ``route_short_name``, ``route_long_name`` (str),
        ``route_type`` (int16), ``bikes_allowed`` (int8, as in ``trips.txt``; routes.txt
        does not define it, but a column there is read the same way).
    trips : DataFrame
        One row per trip *run* on this date: ``trip_key`` (str, unique: the GTFS
        trip_id, suffixed ``@-1`` for a previous-day run and ``#k`` for the k-th
        frequency departure), ``trip_id``, ``route_id``, ``service_id``, ``headsign``,
        ``shape_id`` (str, "" when none), ``direction_id`` (int8, -1 when unknown),
        ``day_offset`` (int8: 0 today, -1 previous service day), ``bikes_allowed``
        (int8: 0 no information, 1 a bike may be taken on board, 2 it may not; a trip's
        0 takes the route's value when routes.txt has the column).
    stop_times : DataFrame
        One row per (trip run, stop), sorted by ``trip_key`` then ``stop_sequence``:
        ``trip_key`` (str), ``stop_sequence`` (int32), ``stop_id`` (str),
        ``arrival_s``, ``departure_s`` (int32 seconds after this date's midnight,
        interpolated where the feed left them blank), ``pickup_type``,
        ``drop_off_type`` (int8, 0 regular, 1 none), ``timepoint`` (int8, 1 exact,
        0 approximate/interpolated).
    transfers : DataFrame
        transfers.txt rows: ``from_stop_id``, ``to_stop_id`` (str),
        ``transfer_type`` (int8), ``min_transfer_time`` (int32 s, -1 when blank).
    service_period : tuple[datetime.date, datetime.date] | None
        First and last date of the whole feed on which any service runs (None: none
        does), so that an empty day can say when the feed does run.
    shapes : DataFrame | None
        shapes.txt when a loader attached it (`maasmix.feeds.network_inputs`):
        ``shape_id`` (str), ``lat``, ``lon`` (float64), sorted by shape then
        ``shape_pt_sequence``; None when not read.
    feed_periods : tuple of FeedPeriod
        A day merged from several feeds (`maasmix.feeds.network_inputs`): each feed's
        label, service period and number of trip runs on this date; () for one feed.
    """

    date: dt.date
    timezone: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    transfers: pd.DataFrame
    service_period: tuple[dt.date, dt.date] | None = None
    shapes: pd.DataFrame | None = None
    feed_periods: tuple[FeedPeriod, ...] = ()
