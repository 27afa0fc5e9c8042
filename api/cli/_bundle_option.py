"""``--bundle`` of ``maasmix plan``: a scenario's bundle or an inline bundle file.

- ``SCENARIO.yaml:BUNDLE_NAME``: the candidate bundle or offer of that name in the
  scenario file (`maasmix.pricing.scenario.traveller_bundle`); a shipped example may be named
  without its folder, ``demo_city.yaml:Urban (Whim-like)`` or ``demo_city:...``;
- ``FILE``: an inline bundle (YAML, shape in `maasmix.pricing.scenario.bundle_file`).

`money_columns` gives the money and CO2e cells of a leg and an itinerary's summary for
the ``maasmix plan`` table and the demo.
"""

from __future__ import annotations

from pathlib import Path

from maasmix.engine.bundle_prices import TravellerBundle
from maasmix.engine.plan_money import ItineraryMoney, LegMoney, fare_text
from maasmix.errors import ScenarioMissingError
from maasmix.money import Money
from maasmix.pricing.scenario import example_names, example_path
from maasmix.pricing.scenario.bundle_file import load_bundle_file
from maasmix.pricing.scenario.traveller_bundle import load_traveller_bundle

__all__ = ["itinerary_money_text", "leg_money_cells", "resolve_bundle"]

_SCENARIO_SUFFIXES = (".yaml", ".yml")


def _scenario_path(text: str) -> Path:
    path = Path(text)
    if path.is_file():
        return path
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    if path.parent == Path(".") and stem in example_names():
        return example_path(stem)
    raise ScenarioMissingError(
        f"scenario file not found (shipped examples: {', '.join(example_names())})", file=text
    )


def resolve_bundle(spec: str | None) -> TravellerBundle | None:
    """The bundle ``--bundle`` names (None: none).

    Raises
    ------
    ScenarioMissingError
        The scenario or bundle file does not exist.
    ScenarioError
        The file fails validation (file and field named).
    QueryError
        (parameter ``bundle``) the scenario has no bundle of that name.
    """
    if spec is None or not spec.strip():
        return None
    head, sep, name = spec.rpartition(":")
    if sep and (head.endswith(_SCENARIO_SUFFIXES) or head in example_names()) and name:
        return load_traveller_bundle(_scenario_path(head), name).bundle
    return load_bundle_file(spec)


def _money(items: tuple[Money, ...]) -> str:
    return " + ".join(str(m) for m in items)


def leg_money_cells(lm: LegMoney) -> tuple[str, str]:
    """(price cell, CO2e cell) of one leg: ``"2.50 EUR"``, ``"4.00 USD (paid 0.00 USD)"``,
    ``"unpriced"`` when no fare or pricing plan gives it, ``""`` when free; grams CO2e
    (``"?"``: no factor)."""
    if not lm.priced:
        price = "unpriced"
    elif lm.price:
        price = _money(lm.price)
        if lm.covered:
            price += f" (pay {_money(lm.out_of_pocket)})"
    else:
        price = ""
    return price, "?" if lm.co2e_g is None else f"{lm.co2e_g:.0f} g"


def itinerary_money_text(m: ItineraryMoney) -> str:
    """``"fare 4.00 USD, you pay 0.00 USD, 399 g CO2e"`` for a table title; a fare no
    rule prices reads ``"fare unpriced"`` (``"fare 2.80 EUR + 1 leg unpriced"`` when
    others are priced), never free."""
    parts = [f"fare {fare_text(m.totals, len(m.unpriced))}"]
    if m.bundle is not None:
        paid = _money(m.out_of_pocket) or "nothing"
        parts.append(
            f"you pay {fare_text(m.out_of_pocket, len(m.unpriced)) if m.unpriced else paid}"
        )
    parts.append(f"{m.co2e_g:.0f} g CO2e" + ("" if m.co2e_complete else " (some legs unrated)"))
    return ", ".join(parts)
