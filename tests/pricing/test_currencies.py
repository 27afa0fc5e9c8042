"""Scenarios priced in currencies with 2, 0 and 3 decimals load and print correctly."""

from __future__ import annotations

import pytest

from maasmix.money import format_minor, to_minor
from maasmix.pricing.scenario import example_path, parse_scenario


@pytest.mark.parametrize(
    ("currency", "fare", "minor", "shown"),
    [
        ("BRL", "4.40", 440, "4.40 BRL"),
        ("JPY", "180", 180, "180 JPY"),
        ("KWD", "0.250", 250, "0.250 KWD"),
    ],
)
def test_scenario_in_currency(currency: str, fare: str, minor: int, shown: str) -> None:
    text = example_path("hand_check").read_text(encoding="utf-8")
    assert "currency: EUR" in text and "payg: 3.00" in text
    scenario = parse_scenario(
        text.replace("currency: EUR", f"currency: {currency}").replace(
            "payg: 3.00", f"payg: {fare}"
        ),
        file="s.yaml",
    )
    assert scenario.currency == currency
    assert to_minor(fare, currency) == minor
    assert format_minor(minor, currency) == shown


def test_format_groups_thousands() -> None:
    assert format_minor(123456789, "EUR") == "1,234,567.89 EUR"
    assert format_minor(-1250, "JPY") == "-1,250 JPY"
