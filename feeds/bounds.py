"""Structure bounds checked on the raw bytes of a document before a parser builds it.

A parser turns a few bytes into far more memory when the document is made of tiny
elements: ``{},`` is 3 bytes of JSON and a 64-byte dict; an empty protobuf submessage is
2 bytes on the wire and some 80 bytes parsed. The counts here cost one pass over the
bytes and no allocation per element; the limits are the feed limits
``max_json_containers`` and ``max_message_elements`` (`maasmix.feeds.limits`).
`bounded_yaml` is the one bounded YAML reader (size, nesting, aliases, item count) of
the YAML files users hand in (scenarios, bundles, emission factors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import yaml
from numba import njit

from maasmix.errors import FeedFormatError
from maasmix.feeds import limits as feed_limits

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_EVENTS",
    "bounded_yaml",
    "check_json_containers",
    "check_message_elements",
    "message_elements",
]

#: Largest YAML document read, in bytes.
MAX_YAML_BYTES = 4 << 20
#: Most YAML parser events (scalars, collection starts and ends) in one document.
MAX_YAML_EVENTS = 100_000
#: Deepest nesting of collections (any style) in one document.
MAX_YAML_DEPTH = 64
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)
#: libyaml's safe loader where PyYAML was built with it (about 20x faster), else PyYAML's.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YamlError = Callable[[str, "str | None", "int | None"], Exception]
"""Makes the reader's own error from (message, file, line or None)."""

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
        byte = int(data[pos])
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
            if pos < 0 or size < 0 or size > end - pos:  # size < 0: a 64-bit overflow
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


def bounded_yaml(text: str, *, file: str | None, error: YamlError) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text with bounds checked before PyYAML builds anything.

    At most `MAX_YAML_BYTES` bytes; ``[``/``{`` nested at most `MAX_YAML_DEPTH` deep
    (a cheap pre-scan: PyYAML's scanner takes quadratic time in that depth; brackets in
    quoted text count too, which only makes the bound stricter); then, on the parser's
    events, no alias (``*name``), at most `MAX_YAML_EVENTS` events and collections of
    any style nested at most `MAX_YAML_DEPTH` deep. Returns the data and the composed
    root node (for line numbers). Every problem is ``error(message, file, line)``.
    """

    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)

    def fail(message: str, mark: Any = None) -> Exception:
        # libyaml puts an error at the end of the input past its last line: clamp it
        return error(message, file, None if mark is None else min(mark.line + 1, last_line))

    raw = text.encode("utf-8", "replace")
    if len(raw) > MAX_YAML_BYTES:
        raise fail(f"larger than {MAX_YAML_BYTES} bytes")
    codes = np.frombuffer(raw, dtype=np.uint8)
    steps = np.isin(codes, _OPENERS).astype(np.int32) - np.isin(codes, _CLOSERS)
    if codes.size and int(np.cumsum(steps).max()) > MAX_YAML_DEPTH:
        raise fail(f"[ and {{ nested more than {MAX_YAML_DEPTH} levels deep")
    try:
        depth = 0
        for n, event in enumerate(yaml.parse(text, Loader=_LOADER)):
            if isinstance(event, yaml.AliasEvent):
                raise fail("YAML aliases (*name) are not accepted", event.start_mark)
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise fail(f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
            if n > MAX_YAML_EVENTS:
                raise fail(f"more than {MAX_YAML_EVENTS} YAML items", event.start_mark)
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            data = None if root is None else loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise fail(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            getattr(exc, "problem_mark", None),
        ) from None
    except RecursionError:
        raise fail("YAML nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a date such as 2020-02-30, a huge integer
        raise fail(f"invalid YAML value: {str(exc)[:200]}") from None
    return data, root
