"""`maasmix bundles frontier --detail N`: the point its report details."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from maasmix.api.cli import app
from maasmix.pricing.scenario import example_path


def test_cli_detail_needs_a_report_and_a_point_with_a_menu(tmp_path: Path) -> None:
    runner = CliRunner()
    scenario = str(example_path("interior_check"))
    alone = runner.invoke(app, ["bundles", "frontier", scenario, "--detail", "2"])
    assert alone.exit_code == 2 and "needs --report" in alone.output
    out = tmp_path / "report"
    ok = runner.invoke(
        app, ["bundles", "frontier", scenario, "--report", str(out), "--detail", "2"]
    )
    assert ok.exit_code == 0, ok.output
    assert "<h2>Point 2 in detail</h2>" in (out / "index.html").read_text(encoding="utf-8")
    bad = runner.invoke(
        app, ["bundles", "frontier", scenario, "--report", str(tmp_path / "x"), "--detail", "99"]
    )
    assert bad.exit_code == 2 and "detail: no point 99" in bad.output
