"""Candidates that are the same product to every traveller are merged before optimising."""

from __future__ import annotations

from maasmix.pricing.scenario import example_path, load_scenario, parse_scenario
from maasmix.pricing.solve.instance import compile_instance

EXTRA_BUNDLE = """
    - name: Transit + Bike 90
      includes: {transit: unlimited, bike: 90}
"""


def _hand_check_with_extra_bundle() -> str:
    text = example_path("hand_check").read_text(encoding="utf-8")
    anchor = "      includes: {transit: unlimited, bike: 60}\n"
    assert anchor in text
    return text.replace(anchor, anchor + EXTRA_BUNDLE.lstrip("\n"), 1)


def test_more_minutes_than_anyone_rides_is_the_same_bundle() -> None:
    # residents ride 60 bike minutes with a bundle: 60 and 90 included minutes are equivalent
    scenario = parse_scenario(_hand_check_with_extra_bundle(), file="hand_check+extra.yaml")
    inst = compile_instance(scenario)
    assert [b.name for b in inst.bundles] == ["Transit", "Transit + Bike"]
    assert inst.merged_bundles == {"Transit + Bike 90": "Transit + Bike"}


def test_distinct_bundles_are_all_kept() -> None:
    inst = compile_instance(load_scenario(example_path("hand_check")))
    assert [b.name for b in inst.bundles] == ["Transit", "Transit + Bike"]
    assert inst.merged_bundles == {}
