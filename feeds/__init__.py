"""maasmix.feeds: reads the outside world and hands out plain typed tables.

Subpackages: `maasmix.feeds.gtfs` (GTFS Schedule), `maasmix.feeds.gbfs` (GBFS 1.x-3.0),
`maasmix.feeds.osm` (OpenStreetMap street graphs), `maasmix.feeds.demo` (the built-in
demo city's files); modules: `maasmix.feeds.cache` (content-keyed disk cache),
`maasmix.feeds.compiled` (load a service day once and compile it through the cache),
`maasmix.feeds.inspect` (recognise and summarise any input). Errors are those of
`maasmix.errors`, re-exported here for convenience.
"""

from maasmix.errors import (
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
