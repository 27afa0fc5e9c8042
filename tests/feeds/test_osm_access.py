"""The OSM access table (`feeds._osm_access`): one row per documented rule."""

from __future__ import annotations

import pytest

from maasmix.feeds.osm._access import way_access


def _access(**tags: str) -> tuple[bool, bool, bool]:
    clean = {key.replace("__", ":"): value for key, value in tags.items()}
    return way_access(clean.get("highway", ""), clean.get)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # (walk, bike forward, bike backward)
        ({"highway": "residential"}, (True, True, True)),
        ({"highway": "primary_link"}, (True, True, True)),
        ({"highway": "footway"}, (True, False, False)),
        ({"highway": "pedestrian"}, (True, False, False)),
        ({"highway": "steps"}, (True, False, False)),
        ({"highway": "footway", "bicycle": "yes"}, (True, True, True)),
        ({"highway": "pedestrian", "bicycle": "designated"}, (True, True, True)),
        ({"highway": "cycleway"}, (False, True, True)),
        ({"highway": "cycleway", "foot": "designated"}, (True, True, True)),
        ({"highway": "path"}, (True, True, True)),
        ({"highway": "track"}, (True, True, True)),
        ({"highway": "trunk"}, (False, True, True)),
        ({"highway": "trunk", "foot": "yes"}, (True, True, True)),
        ({"highway": "motorway"}, (False, False, False)),
        ({"highway": "motorway", "bicycle": "permissive"}, (False, True, True)),
        ({"highway": "construction"}, (False, False, False)),
        ({"highway": "platform"}, (False, False, False)),
        ({"highway": "residential", "foot": "no"}, (False, True, True)),
        ({"highway": "residential", "foot": "use_sidepath"}, (False, True, True)),
        ({"highway": "residential", "bicycle": "no"}, (True, False, False)),
        ({"highway": "residential", "bicycle": "dismount"}, (True, True, True)),
        ({"highway": "service", "access": "private"}, (False, False, False)),
        ({"highway": "service", "access": "no", "foot": "yes"}, (True, False, False)),
        ({"highway": "service", "access": "no", "bicycle": "permissive"}, (False, True, True)),
        ({"highway": "service", "access": "destination"}, (True, True, True)),
        ({"highway": "residential", "vehicle": "no"}, (True, False, False)),
        ({"highway": "residential", "vehicle": "no", "bicycle": "yes"}, (True, True, True)),
    ],
)
def test_mode_access(tags: dict[str, str], expected: tuple[bool, bool, bool]) -> None:
    assert way_access(tags["highway"], tags.get) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"oneway": "yes"}, (True, True, False)),
        ({"oneway": "1"}, (True, True, False)),
        ({"oneway": "true"}, (True, True, False)),
        ({"oneway": "-1"}, (True, False, True)),
        ({"oneway": "no"}, (True, True, True)),
        ({"junction": "roundabout"}, (True, True, False)),
        ({"junction": "roundabout", "oneway": "no"}, (True, True, True)),
        ({"oneway": "yes", "oneway:bicycle": "no"}, (True, True, True)),
        ({"oneway": "yes", "cycleway": "opposite"}, (True, True, True)),
        ({"oneway": "yes", "cycleway:left": "opposite_lane"}, (True, True, True)),
        ({"oneway": "-1", "cycleway": "opposite_track"}, (True, True, True)),
        ({"oneway": "yes", "cycleway": "lane"}, (True, True, False)),
        ({"oneway:bicycle": "yes"}, (True, True, False)),
        ({"junction": "roundabout", "oneway:bicycle": "no"}, (True, True, True)),
    ],
)
def test_oneway_applies_to_bikes_only(
    tags: dict[str, str], expected: tuple[bool, bool, bool]
) -> None:
    full = {"highway": "tertiary", **tags}
    assert way_access("tertiary", full.get) == expected


def test_oneway_footway_open_to_bikes_keeps_walking_two_way() -> None:
    assert _access(highway="footway", bicycle="yes", oneway="yes") == (True, True, False)
