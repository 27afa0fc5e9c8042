"""The one place for the limits that keep reading hostile or absurd inputs bounded.

Every reader in `maasmix.feeds` asks `current()` for the limits in force; nothing else
holds a size, a width or a timeout of its own. The defaults are generous for real feeds
(the largest shared GTFS feed uses well under a tenth of each) and stop inputs made to
exhaust memory or time with a clear `FeedFormatError` naming the file (and line).

=========================  ===========  ================================================
field                      default      bounds
=========================  ===========  ================================================
``max_member_bytes``       1 GiB        uncompressed size of one zip member or file read
``max_total_bytes``        4 GiB        uncompressed bytes read from one source in all
``max_compression_ratio``  100          uncompressed / compressed size of a zip member
``ratio_floor_bytes``      1 MiB        ... checked only for members larger than this
``max_members``            10,000       entries in one zip archive
``max_line_bytes``         1 MiB        one physical line of a CSV file
``max_columns``            1,000        names in a CSV header
``extra_fields_margin``    32           fields a row may have beyond its header's count
                                        (empty ones are the trailing-comma repair)
``max_cells_per_byte``     2            cells of a CSV table (records x header width,
                                        blank lines and short rows padded) per byte of
                                        the file ...
``cells_floor``            1,000,000    ... checked only for tables with more cells
``max_day_stop_times``     50,000,000   stop times of one service day that frequencies.txt
                                        expands into (a headway of 1 s over 99 hours is
                                        a bomb of its own)
``max_json_bytes``         64 MiB       one JSON document (GBFS file, GeoJSON points)
``max_json_containers``    1,000,000    objects and arrays in one JSON document ({ and [
                                        counted before parsing: 60 MB of ``{},`` is 20
                                        million dicts, 2 GB of memory)
``max_message_elements``   2,000,000    nested messages and strings in one protobuf
                                        message (GTFS-Realtime; counted on the wire
                                        before parsing: 2 bytes each, ~80 parsed)
``max_fetch_bytes``        512 MiB      one http(s) body
``max_fetch_s``            30 s         one http(s) fetch in all (connect, redirects,
                                        every read), not per read
``max_redirects``          5            redirects followed by one fetch
``max_cache_bytes``        8 GiB        entries in one disk cache folder (least
                                        recently used ones are evicted beyond it)
=========================  ===========  ================================================

People with giant feeds raise them: from Python with `configure` (process-wide) or
`override` (a ``with`` block), from the CLI and the HTTP server through the settings
(``MAASMIX_FEED_LIMITS__MAX_MEMBER_BYTES=4294967296``, see `maasmix.api.settings`).
This module never reads the environment itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = ["FeedLimits", "configure", "current", "override"]

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class FeedLimits:
    """Bounds on what one read of an input may cost (see the module docstring)."""

    max_member_bytes: int = 1 * GiB
    max_total_bytes: int = 4 * GiB
    max_compression_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MiB
    max_members: int = 10_000
    max_line_bytes: int = 1 * MiB
    max_columns: int = 1_000
    extra_fields_margin: int = 32
    max_cells_per_byte: float = 2.0
    cells_floor: int = 1_000_000
    max_day_stop_times: int = 50_000_000
    max_json_bytes: int = 64 * MiB
    max_json_containers: int = 1_000_000
    max_message_elements: int = 2_000_000
    max_fetch_bytes: int = 512 * MiB
    max_fetch_s: float = 30.0
    max_redirects: int = 5
    max_cache_bytes: int = 8 * GiB

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"feed limit {item.name} must be a number >= 0, got {value!r}")

    def replace(self, **changes: Any) -> FeedLimits:
        """A copy with ``changes`` (field names as above)."""
        return dataclasses.replace(self, **changes)


_process = FeedLimits()
_scoped: ContextVar[FeedLimits | None] = ContextVar("maasmix_feed_limits", default=None)


def current() -> FeedLimits:
    """The limits in force: those of the innermost `override`, else the process's."""
    scoped = _scoped.get()
    return scoped if scoped is not None else _process


def configure(limits: FeedLimits | None = None, **changes: Any) -> FeedLimits:
    """Set the process-wide limits (``limits``, or the current ones with ``changes``)."""
    global _process
    _process = (limits or _process).replace(**changes)
    return _process


@contextlib.contextmanager
def override(limits: FeedLimits | None = None, **changes: Any) -> Iterator[FeedLimits]:
    """Use other limits inside a ``with`` block (this thread / task only)."""
    chosen = (limits or current()).replace(**changes)
    token = _scoped.set(chosen)
    try:
        yield chosen
    finally:
        _scoped.reset(token)
