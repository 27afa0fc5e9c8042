"""Structure bounds checked on the raw bytes of a document before a parser builds it.

A parser turns a few bytes into far more memory when the document is made of tiny
elements: ``{},`` is 3 bytes of JSON and a 64-byte dict; an empty protobuf submessage is
2 bytes on the wire and some 80 bytes parsed. The counts here cost one pass over the
bytes and no allocation per element; the limits are the feed limits
``max_json_containers`` and ``max_message_elements`` (`maasmix.feeds.limits`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from maasmix.errors import FeedFormatError
from maasmix.feeds import limits as feed_limits

__all__ = ["check_json_containers", "check_message_elements", "message_elements"]

_MAX_DEPTH = 32  # protobuf nesting followed (GTFS-Realtime nests 6 deep at most)


def check_json_containers(body: bytes, source: str) -> None:
    """Refuse a JSON document of more objects and arrays than ``max_json_containers``,
    counted as ``{`` and ``[`` bytes (inside strings too: the bound is only stricter)."""
    limit = feed_limits.current().max_json_containers
    codes = np.frombuffer(body, dtype=np.uint8)
    if codes.size <= limit:
        return
    count = int(np.count_nonzero(codes == ord("{")) + np.count_nonzero(codes == ord("[")))
    if count > limit:
        raise FeedFormatError(
            f"{count} JSON objects and arrays, more than {limit} (feed limit max_json_containers)",
            file=source,
        )


@njit(cache=True)
def _varint(data: np.ndarray, pos: int, end: int) -> tuple[int, int]:
    """(value, next position) of the varint at ``pos``; next position -1 if malformed."""
    value = 0
    shift = 0
    while pos < end and shift < 64:
        byte = np.int64(data[pos])
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    return 0, -1


@njit(cache=True)
def _count_elements(data: np.ndarray, stop_after: int) -> int:
    """Length-delimited fields at every depth (each payload that reads as a message is
    walked too: submessages and, by chance, some strings); stops past ``stop_after``."""
    n = data.shape[0]
    starts = np.zeros(_MAX_DEPTH + 1, dtype=np.int64)
    ends = np.zeros(_MAX_DEPTH + 1, dtype=np.int64)
    ends[0] = n
    depth = 0
    count = 0
    while depth >= 0:
        pos, end = starts[depth], ends[depth]
        if pos >= end:
            depth -= 1
            continue
        tag, pos = _varint(data, pos, end)
        if pos < 0 or tag >> 3 == 0:
            depth -= 1  # not a message (a string): stop walking it
            continue
        wire = tag & 7
        if wire == 0:
            _, pos = _varint(data, pos, end)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(data, pos, end)
            if pos < 0 or size > end - pos:
                depth -= 1
                continue
            count += 1
            if count > stop_after:
                return count
            starts[depth] = pos + size
            if size > 0 and depth < _MAX_DEPTH:
                depth += 1
                starts[depth], ends[depth] = pos, pos + size
            continue
        else:
            depth -= 1
            continue
        if pos < 0 or pos > end:
            depth -= 1
            continue
        starts[depth] = pos
    return count


def message_elements(data: bytes, stop_after: int = 1 << 62) -> int:
    """Nested messages and strings of a protobuf message, counted on the wire (an upper
    bound of what the parser allocates; counting stops past ``stop_after``)."""
    return int(_count_elements(np.frombuffer(data, dtype=np.uint8), stop_after))


def check_message_elements(data: bytes, source: str) -> None:
    """Refuse a protobuf message of more nested elements than ``max_message_elements``."""
    limit = feed_limits.current().max_message_elements
    if len(data) // 2 <= limit:  # every element takes 2 bytes at least
        return
    if message_elements(data, stop_after=limit) > limit:
        raise FeedFormatError(
            f"more than {limit} nested messages and strings (feed limit "
            "max_message_elements): a message of tiny repeated elements",
            file=source,
        )
