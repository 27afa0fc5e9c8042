"""The fare tables of a door-to-door network's GTFS feeds, read for `maasmix.engine.Network`.

`read_network_fares` gives ``{feed label: FareTables or None}`` with the labels the
merged network prefixes its ids with (`maasmix.feeds.network_inputs`: the file stem, a
number appended to repeated stems). A feed whose fare files fail to read gets None and
a `FeedWarning` naming the file and field: its legs are then unpriced, the network still
plans. The engine compiles the tables (`maasmix.engine.plan_money.compile_network_fares`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from maasmix.errors import FeedError, FeedWarning
from maasmix.feeds.fares import FareTables, read_fares
from maasmix.feeds.gtfs._read import ResolvedSource, Source, source_label
from maasmix.feeds.network_inputs import _labels, load_feed, resolve_once

__all__ = ["feed_labels", "read_network_fares"]


def _sources(
    gtfs: Source | ResolvedSource | Sequence[Source | ResolvedSource],
) -> list[Source | ResolvedSource]:
    import os

    if isinstance(gtfs, str | bytes | os.PathLike | ResolvedSource):
        return [gtfs]
    return list(gtfs)


def feed_labels(gtfs: Source | ResolvedSource | Sequence[Source | ResolvedSource]) -> list[str]:
    """The label (id prefix without the colon) of each feed, in order."""
    return _labels(  # from the names: no URL is downloaded
        [s.label if isinstance(s, ResolvedSource) else source_label(s) for s in _sources(gtfs)]
    )


def read_network_fares(
    gtfs: Source | ResolvedSource | Sequence[Source | ResolvedSource],
) -> dict[str, FareTables | None]:
    """``{label: typed fare tables}`` of each feed (None: unreadable, with a FeedWarning)."""
    opened = [resolve_once(s) for s in _sources(gtfs)]  # the build's download of a URL
    out: dict[str, FareTables | None] = {}
    for label, source in zip(_labels(opened), opened, strict=True):
        try:
            out[label] = read_fares(load_feed(source))  # the feed the build read
        except FeedError as exc:
            warnings.warn(
                f"{label}: fares not read, its transit legs are unpriced: {exc}",
                FeedWarning,
                stacklevel=2,
            )
            out[label] = None
    return out
