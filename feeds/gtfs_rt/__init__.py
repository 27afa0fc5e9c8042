"""GTFS-Realtime: TripUpdates, ServiceAlerts and VehiclePositions as a `RealtimeFeed`.

>>> feed = read_gtfs_rt("trip_updates.pb")        # or a URL, the bytes, or the JSON form
>>> feed.trip_updates, feed.stop_time_updates     # DataFrames (see `RealtimeFeed`)
>>> feed.alerts, feed.vehicles, feed.notices

Applying it to a compiled service day is `maasmix.engine.realtime`'s work.
"""

from maasmix.feeds.gtfs_rt._read import (
    MAX_AGE_S,
    MAX_ENTITIES,
    MAX_MESSAGE_BYTES,
    read_gtfs_rt,
)
from maasmix.feeds.gtfs_rt.tables import Alert, InformedEntity, RealtimeFeed

__all__ = [
    "MAX_AGE_S",
    "MAX_ENTITIES",
    "MAX_MESSAGE_BYTES",
    "Alert",
    "InformedEntity",
    "RealtimeFeed",
    "read_gtfs_rt",
]
