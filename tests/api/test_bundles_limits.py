"""``--limit NAME=VALUE`` on the bundles commands; the HTTP service caps a scenario's
``limits:`` at its deployment settings and says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import app
from maasmix.api.cli import app as cli
from maasmix.pricing.scenario import limits
from tests.pricing.test_limits import fine_grid


def _write(tmp_path: Path, **kw: object) -> Path:
    path = tmp_path / "fine.yaml"
    path.write_text(yaml.safe_dump(fine_grid(**kw)), encoding="utf-8")  # type: ignore[arg-type]
    return path


def test_cli_limit_lowers_and_raises_the_limits(tmp_path: Path) -> None:
    path = _write(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(cli, ["bundles", "validate", str(path)])
    assert ok.exit_code == 0, ok.output
    low = runner.invoke(cli, ["bundles", "validate", str(path), "--limit", "max_price_levels=100"])
    assert low.exit_code == 2
    assert "3201 prices, more than 100 (scenario limit max_price_levels" in low.output
    fine = _write(tmp_path, step=0.01, top=400)  # 36,001 prices
    refused = runner.invoke(cli, ["bundles", "validate", str(fine)])
    assert refused.exit_code == 2
    assert "--limit max_price_levels=N" in refused.output
    raised = runner.invoke(
        cli,
        [
            "bundles",
            "optimise",
            str(fine),
            "--limit",
            "max_price_levels=40000",
            "--limit",
            "max_price_options=40000",
            "--json",
        ],
    )
    assert raised.exit_code == 0, raised.output
    price = json.loads(raised.output)["menu"][0]["price_minor"]
    # V = 2.4 - 0.1 p, margin p - 48 (24 trips at 2.00): the best price on a 1-cent grid
    grid = np.arange(4_000, 40_001) / 100
    assert price == round(100 * grid[np.argmax((grid - 48) / (1 + np.exp(0.1 * grid - 2.4)))])
    assert limits.current().max_price_levels == 10_000  # only for that command


def test_cli_unknown_limit_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path)
    out = CliRunner().invoke(cli, ["bundles", "validate", str(path), "--limit", "levels=5"])
    assert out.exit_code == 2
    assert "max_price_levels" in out.output


def test_http_caps_the_scenario_limits_at_the_deployment_setting() -> None:
    client = TestClient(app)
    body = {"scenario": fine_grid(limits={"max_price_levels": 50_000})}
    response = client.post("/v1/bundles/optimise", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == "limits.max_price_levels"
    assert "above this service's cap of 10000" in problem["detail"]
    assert "MAASMIX_SCENARIO_LIMITS__" in problem["detail"]
    lowered = client.post(
        "/v1/bundles/optimise", json={"scenario": fine_grid(limits={"max_price_levels": 5000})}
    )
    assert lowered.status_code == 200
    assert lowered.json()["menu"][0]["priceMinor"] == 5830
    assert limits.capped_at() is None
