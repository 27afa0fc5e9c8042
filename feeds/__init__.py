"""maasmix.feeds: everything that reads the outside world (GTFS, GBFS, OSM, scenario files)."""

from maasmix.feeds._errors import (
    FeedError,
    FeedFormatError,
    FeedIntegrityError,
    FeedMissingError,
    FeedVersionError,
    FeedWarning,
)

__all__ = [
    "FeedError",
    "FeedFormatError",
    "FeedIntegrityError",
    "FeedMissingError",
    "FeedVersionError",
    "FeedWarning",
]
