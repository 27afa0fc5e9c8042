"""`maasmix fares inspect`: the figures of each feed's SOURCE.md profile; errors exit 2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app

runner = CliRunner()
TINY = Path(__file__).parent.parent / "feeds" / "gtfs_fixtures" / "tiny"


def profile(source_md: Path, file_name: str) -> dict[str, str]:
    """``  - key: value`` bullets under ``- FILE:`` in SOURCE.md (values as text)."""
    out: dict[str, str] = {}
    inside = False
    for line in source_md.read_text(encoding="utf-8").splitlines():
        if line.startswith("- "):
            inside = line.strip() == f"- {file_name}:"
        elif inside and line.startswith("  - "):
            key, _, value = line[4:].partition(": ")
            out[key] = value
    return out


def inspect_json(path: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["fares", "inspect", str(path), "--json", "--limit", "0"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("folder", "file_name"),
    [("gtfs-bay-area", "bart.zip"), ("gtfs-bay-area", "caltrain.zip")],
)
def test_fares_v1_profile(dataset: Callable[..., Path], folder: str, file_name: str) -> None:
    facts = profile(dataset(folder, "SOURCE.md"), file_name)
    data = inspect_json(dataset(folder, file_name))
    summary = data["summary"]
    assert summary["fare_attributes"] == int(facts["fare_attributes_rows"])
    assert summary["fare_rules"] == int(facts["fare_rules_rows"])
    assert summary["currencies"] == json.loads(facts["fare_currency"].replace("'", '"'))
    low, high = json.loads(facts["fare_price_range"])
    prices = [a["price"]["amount_minor"] for a in data["fare_attributes"]]
    assert (min(prices), max(prices)) == (
        int(Decimal(str(low)) * 100),
        int(Decimal(str(high)) * 100),
    )
    assert summary["features"]["fares_v1"] and not summary["features"]["fares_v2"]
    assert len(data["fare_rules"]) == summary["fare_rules"]


def test_fares_v2_profile(dataset: Callable[..., Path]) -> None:
    facts = profile(dataset("fares-v2-ctran", "SOURCE.md"), "ctran-flex.zip")
    data = inspect_json(dataset("fares-v2-ctran", "ctran-flex.zip"))
    summary = data["summary"]
    assert summary["fare_product_rows"] == int(facts["fare_products_rows"])
    assert summary["fare_leg_rules"] == int(facts["fare_leg_rules_rows"])
    assert summary["fare_transfer_rules"] == int(facts["fare_transfer_rules_rows"])
    assert summary["fare_media"] == int(facts["fare_media_rows"])
    assert summary["rider_categories"] == int(facts["rider_categories_rows"])
    used = {k for k, v in summary["features"].items() if v}
    assert used == {"fares_v2", "transfers", "rider_categories", "fare_media", "networks"}
    adult = [p for p in data["fare_products"] if p["rider_category_id"] == "ADULT"]
    assert {p["amount"]["text"] for p in adult} == {"1.25 USD"}


def test_table_output(dataset: Callable[..., Path]) -> None:
    result = runner.invoke(
        app, ["fares", "inspect", str(dataset("gtfs-portland-trimet", "trimet-2routes.zip"))]
    )
    assert result.exit_code == 0, result.output
    assert "features used" in result.stdout and "contains" in result.stdout
    assert "fare_attributes" in result.stdout and "2.50 USD" in result.stdout


def test_bad_feed_exits_2_naming_file_line_field(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    (folder / "fare_rules.txt").write_text("fare_id,origin_id\nF,A\nNOPE,B\n", encoding="utf-8")
    result = runner.invoke(app, ["fares", "inspect", str(folder)])
    assert result.exit_code == 2
    assert "fare_rules.txt, line 3, field 'fare_id'" in result.stderr
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["fares", "inspect", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 2 and missing.stderr.startswith("error:")
