"""Every report of the shipped examples, rendered in headless Chromium at 1,400 px and
checked as a reader would see it: nothing wider than the window, no table without rows,
every image loaded, no ``-0``, the frontier's detail on its best point, a glossary.

Under ``CI=true`` a missing Chromium fails; elsewhere these tests are skipped with the
reason. Binary and flags: `tests.pricing._chromium`.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from maasmix.pricing.scenario import example_names
from tests.pricing import _chromium
from tests.pricing._reports import shipped_reports

KINDS = ("optimise", "frontier")
REPORTS = [f"{name}-{kind}" for name in example_names() for kind in KINDS]
GLOSSARY_TERMS = {"revenue", "earnings", "subsidy", "surplus change"}


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = _chromium.binary()
    if exe is None:
        reason = "no chromium on the PATH (Debian: apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return exe


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return shipped_reports(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def audits(chromium: str, reports: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Every report measured in Chromium, two browsers at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = pool.map(lambda index: _chromium.audit(index, exe=chromium), reports.values())
        return dict(zip(reports, seen, strict=True))


def test_every_shipped_example_has_its_reports() -> None:
    assert {"hand_check", "interior_check", "demo_city", "demo_diary"} <= set(example_names())
    assert len(REPORTS) == 2 * len(example_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORTS)
def test_report_reads_right_in_a_browser(
    name: str, audits: dict[str, dict[str, Any]], reports: dict[str, Path]
) -> None:
    index = reports[name]
    seen = audits[name]
    assert seen["viewport"] == _chromium.WIDTH
    assert seen["scroll_width"] <= seen["viewport"], "the page scrolls sideways"
    assert seen["too_wide"] == []
    assert seen["scrolled_tables"] == [], "tables should wrap at 1,400 px"
    assert seen["empty_tables"] == []
    assert seen["broken_images"] == []
    assert seen["negative_zero"] == []
    assert seen["tables"] >= 1
    assert set(seen["glossary"]) >= GLOSSARY_TERMS
    images = {i["src"] for i in seen["images"]}
    for image in seen["images"]:
        assert 0 < image["width"] <= seen["viewport"], image
    assert {"uptake.png", "revenue_split.png"} <= images
    if name.startswith("demo_diary"):
        assert {"mode_shift.png", "emissions.png"} <= images
        assert "Demand from trip diaries" in seen["headings"]
    if name.endswith("frontier"):
        assert "frontier.png" in images
        data = json.loads((index.parent / "result.json").read_text(encoding="utf-8"))
        feasible = [
            (p["profit_minor"], -i)
            for i, p in enumerate(data["points"])
            if p["feasible"] and p["menu"]
        ]
        best = -max(feasible)[1] + 1
        assert data["detail_point"] == best
        assert f"Point {best} in detail" in seen["headings"]
