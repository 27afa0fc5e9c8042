"""Who may use an OSM way: walking and cycling access from its tags.

One pure function, `way_access`, reads a way's tags through a ``get(key)`` callable (a
``dict.get`` or pyosmium's ``TagList.get``) and answers three booleans: walkable, cyclable
forwards (in the way's node order), cyclable backwards. The rules are documented as a table
in `feeds.osm`; the sets below are that table.
"""

from __future__ import annotations

from collections.abc import Callable

TagGetter = Callable[[str], "str | None"]

#: Highways walkable unless a tag forbids it.
WALK_DEFAULT: frozenset[str] = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "corridor",
        "bridleway",
        "living_street",
        "residential",
        "service",
        "track",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
#: Highways walkable only with ``foot=yes|designated|permissive``.
WALK_IF_PERMITTED: frozenset[str] = frozenset(
    {"cycleway", "trunk", "trunk_link", "motorway", "motorway_link"}
)

#: Highways cyclable unless a tag forbids it.
BIKE_DEFAULT: frozenset[str] = frozenset(
    {
        "cycleway",
        "path",
        "track",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
    }
)
#: Highways cyclable only with ``bicycle=yes|designated|permissive``.
BIKE_IF_PERMITTED: frozenset[str] = frozenset(
    {
        "footway",
        "pedestrian",
        "steps",
        "corridor",
        "bridleway",
        "motorway",
        "motorway_link",
    }
)

#: Every highway value that can carry a routable way (anything else is skipped early).
ROUTABLE_HIGHWAYS: frozenset[str] = (
    WALK_DEFAULT | WALK_IF_PERMITTED | BIKE_DEFAULT | BIKE_IF_PERMITTED
)

PERMIT: frozenset[str] = frozenset({"yes", "designated", "permissive"})
DENY_GENERAL: frozenset[str] = frozenset({"no", "private"})
DENY_MODE: frozenset[str] = frozenset({"no", "private", "use_sidepath"})
ONEWAY_FORWARD: frozenset[str] = frozenset({"yes", "1", "true"})
ONEWAY_BACKWARD: frozenset[str] = frozenset({"-1", "reverse"})
ONEWAY_NO: frozenset[str] = frozenset({"no", "0", "false"})
ROUNDABOUT: frozenset[str] = frozenset({"roundabout", "circular"})
CYCLEWAY_KEYS: tuple[str, ...] = ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")


def walk_allowed(highway: str, get: TagGetter) -> bool:
    """True when pedestrians may use a way with this ``highway`` value and these tags."""
    foot = get("foot")
    if foot in PERMIT:
        return highway in WALK_DEFAULT or highway in WALK_IF_PERMITTED
    if highway not in WALK_DEFAULT or foot in DENY_MODE:
        return False
    return get("access") not in DENY_GENERAL


def bike_allowed(highway: str, get: TagGetter) -> bool:
    """True when cyclists may use a way with this ``highway`` value and these tags."""
    bicycle = get("bicycle")
    if bicycle in PERMIT:
        return highway in BIKE_DEFAULT or highway in BIKE_IF_PERMITTED
    if highway not in BIKE_DEFAULT or bicycle in DENY_MODE:
        return False
    return get("access") not in DENY_GENERAL and get("vehicle") not in DENY_GENERAL


def bike_directions(get: TagGetter) -> tuple[bool, bool]:
    """Cycling directions ``(forward, backward)`` allowed by the oneway tags of a way."""
    oneway_bicycle = get("oneway:bicycle")
    if oneway_bicycle in ONEWAY_NO:
        return True, True
    if oneway_bicycle in ONEWAY_FORWARD:
        return True, False
    if oneway_bicycle in ONEWAY_BACKWARD:
        return False, True
    oneway = get("oneway")
    if oneway in ONEWAY_FORWARD:
        forward, backward = True, False
    elif oneway in ONEWAY_BACKWARD:
        forward, backward = False, True
    elif oneway not in ONEWAY_NO and get("junction") in ROUNDABOUT:
        forward, backward = True, False
    else:
        return True, True
    for key in CYCLEWAY_KEYS:
        value = get(key)
        if value is not None and value.startswith("opposite"):
            return True, True
    return forward, backward


def way_access(highway: str, get: TagGetter) -> tuple[bool, bool, bool]:
    """``(walk, bike_forward, bike_backward)`` for a way's ``highway`` value and tags.

    All three are False for a ``highway`` value outside `ROUTABLE_HIGHWAYS`.
    """
    if highway not in ROUTABLE_HIGHWAYS:
        return False, False, False
    walk = walk_allowed(highway, get)
    if not bike_allowed(highway, get):
        return walk, False, False
    forward, backward = bike_directions(get)
    return walk, forward, backward
