"""A traveller's bundle described inline (a YAML file or a JSON object) -> `TravellerBundle`.

The shape (every key optional; kinds are ``transit``, ``bicycle``, ``scooter``,
``moped``, ``car`` and ``rental`` for every rental kind)::

    name: Commuter                 # default: the file's stem ("inline" for an object)
    transit: all                   # unlimited transit everywhere, or only on some of
    # transit:                     #   the feeds' own ids (or the network's prefixed
    #   networks: [HSL]            #   ids, "bart:..."):
    #   areas: [zoneA]
    #   agencies: [BART]
    free_minutes_per_ride:         # the first N minutes of each rental ride
      bicycle: 30
    minutes_left:                  # a remaining allowance of rental minutes ...
      scooter: 60
    rides_left:                    # ... or of rides (transit included); "unlimited"
      transit: 10                  #   is allowed
      bicycle: unlimited
    discount_percent:              # 0..100, on what is left to pay
      scooter: 20

Errors are `ScenarioError` naming the file and the field (``rides_left.bicycle``); an
unknown key is an error, not ignored. Scenario bundles (``SCENARIO.yaml:BUNDLE``) are
`maasmix.pricing.scenario.traveller_bundle`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from maasmix.engine.bundle_prices import KINDS, TravellerBundle
from maasmix.errors import QueryError, ScenarioError

__all__ = ["BUNDLE_KEYS", "bundle_from_mapping", "load_bundle_file"]

BUNDLE_KEYS = (
    "name",
    "transit",
    "free_minutes_per_ride",
    "minutes_left",
    "rides_left",
    "discount_percent",
)
"""The keys of an inline bundle."""

_TRANSIT_KEYS = ("networks", "areas", "agencies")


def _fail(message: str, file: str, field: str) -> ScenarioError:
    return ScenarioError(message, file=file, field=field)


def _number(value: object, file: str, field: str) -> float:
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"expected a number >= 0 or 'unlimited', got {value!r}", file, field)
    if not (value >= 0) or math.isnan(value):
        raise _fail(f"must be >= 0, got {value!r}", file, field)
    return float(value)


def _per_kind(data: object, file: str, key: str) -> dict[str, float]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise _fail("expected a mapping of kind: number", file, key)
    out: dict[str, float] = {}
    for kind, value in data.items():
        if str(kind) not in KINDS:
            raise _fail(
                f"unknown kind {kind!r} (kinds: {', '.join(sorted(KINDS))})", file, f"{key}.{kind}"
            )
        out[str(kind)] = _number(value, file, f"{key}.{kind}")
    return out


def _ids(data: object, file: str, field: str) -> frozenset[str]:
    if data is None:
        return frozenset()
    if isinstance(data, str):
        return frozenset({data})
    if not isinstance(data, list) or not all(isinstance(x, str | int) for x in data):
        raise _fail("expected a list of ids", file, field)
    return frozenset(str(x) for x in data)


def bundle_from_mapping(
    data: object, *, file: str = "bundle", name: str = "inline"
) -> TravellerBundle:
    """The `TravellerBundle` of an inline description (see the module docstring).

    Raises
    ------
    ScenarioError
        A value that is not of the shape (``file`` and the field named).
    """
    if not isinstance(data, Mapping):
        raise _fail("a bundle is a mapping (name, transit, free_minutes_per_ride, ...)", file, "")
    unknown = [k for k in data if k not in BUNDLE_KEYS]
    if unknown:
        raise _fail(
            f"unknown key {unknown[0]!r} (keys: {', '.join(BUNDLE_KEYS)})", file, str(unknown[0])
        )
    label = data.get("name", name)
    if not isinstance(label, str) or not label.strip():
        raise _fail("expected a non-empty text", file, "name")
    transit = data.get("transit")
    transit_all = False
    sets: dict[str, frozenset[str]] = dict.fromkeys(_TRANSIT_KEYS, frozenset())
    if transit == "all" or transit is True:
        transit_all = True
    elif isinstance(transit, Mapping):
        for key in transit:
            if key not in _TRANSIT_KEYS:
                raise _fail(
                    f"unknown key {key!r} (keys: {', '.join(_TRANSIT_KEYS)})",
                    file,
                    f"transit.{key}",
                )
            sets[str(key)] = _ids(transit[key], file, f"transit.{key}")
    elif transit is not None and transit is not False:
        raise _fail("expected 'all' or a mapping of networks/areas/agencies", file, "transit")
    per = {k: _per_kind(data.get(k), file, k) for k in BUNDLE_KEYS[2:]}
    for kind, value in per["discount_percent"].items():
        if value > 100:
            raise _fail(f"must be <= 100, got {value:g}", file, f"discount_percent.{kind}")
    for key in ("free_minutes_per_ride", "minutes_left"):
        if "transit" in per[key]:
            raise _fail("minutes apply to rentals, not transit", file, f"{key}.transit")
    try:
        return TravellerBundle(
            name=label.strip(),
            transit_all=transit_all,
            transit_networks=sets["networks"],
            transit_areas=sets["areas"],
            transit_agencies=sets["agencies"],
            free_minutes_per_ride=per["free_minutes_per_ride"],
            minutes_left=per["minutes_left"],
            rides_left=per["rides_left"],
            discount_percent=per["discount_percent"],
        )
    except QueryError as exc:
        raise _fail(str(exc), file, "") from None


def load_bundle_file(path: str | Path) -> TravellerBundle:
    """`bundle_from_mapping` of a YAML file (default name: the file's stem).

    Raises
    ------
    ScenarioMissingError
        No such file.
    ScenarioError
        Not UTF-8, not YAML, beyond the bounds of
        `maasmix.pricing.scenario.reading.bounded_yaml`, or not of the shape (file and
        field named).
    """
    from maasmix.pricing.scenario.reading import bounded_yaml, read_bounded_text

    p = Path(path)
    data, _ = bounded_yaml(read_bounded_text(p, what="bundle"), file=str(path))
    return bundle_from_mapping(data, file=str(path), name=p.stem)
