"""GTFS Schedule: read and validate a feed (`load_gtfs`), take one service date from it.

`GtfsFeed` answers about the feed (summary, service dates, typed tables);
`ServiceDay` is the timetable of one date, the contract with `maasmix.engine`.
"""

from maasmix.feeds.gtfs.feed import (
    SERVICE_DAY_CACHE_VERSION,
    GtfsFeed,
    load_gtfs,
    load_service_day,
)
from maasmix.feeds.gtfs.service_day import ServiceDay

__all__ = [
    "SERVICE_DAY_CACHE_VERSION",
    "GtfsFeed",
    "ServiceDay",
    "load_gtfs",
    "load_service_day",
]
