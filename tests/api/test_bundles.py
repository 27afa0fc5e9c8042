"""The bundles HTTP routes and the `maasmix bundles` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import app
from maasmix.api.cli import app as cli
from maasmix.pricing.scenario import example_path

HAND = example_path("hand_check")


def _hand() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(HAND.read_text(encoding="utf-8"))
    return data


def test_post_optimise() -> None:
    response = TestClient(app).post("/v1/bundles/optimise", json={"scenario": _hand()})
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["menu"][0]["price_minor"] == 9000
    assert body["solve"]["status"] == "optimal"


def test_bad_scenario_is_422_problem() -> None:
    data = _hand()
    data["modes"]["transit"]["payg"] = "cheap"
    response = TestClient(app).post("/v1/bundles/optimise", json={"scenario": data})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "modes.transit.payg"


def test_infeasible_is_409_with_conflicts() -> None:
    response = TestClient(app).post(
        "/v1/bundles/optimise",
        json={"scenario": _hand(), "objective": "min_subsidy", "min_uptake": 0.5},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["conflicts"] == ["min_uptake"]


def test_post_frontier_and_examples() -> None:
    client = TestClient(app)
    response = client.post(
        "/v1/bundles/frontier", json={"scenario": _hand(), "sweep": "surplus", "points": 3}
    )
    assert response.status_code == 200
    assert len(response.json()["points"]) == 3
    assert "hand_check" in client.get("/v1/bundles/examples").json()
    assert client.get("/v1/bundles/examples/hand_check").json()["name"] == "hand check"
    assert client.get("/v1/bundles/examples/nope").status_code == 404
    assert client.get("/v1/bundles/schema").json()["title"] == "Scenario"


def test_cli_optimise_report_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["bundles", "optimise", str(HAND), "--report", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    assert "Transit + Bike" in out.output
    for name in ("index.html", "result.json", "uptake.png", "revenue_split.png"):
        assert (tmp_path / "r" / name).is_file()
    out = runner.invoke(cli, ["bundles", "optimise", str(HAND), "--json"])
    assert out.exit_code == 0
    assert '"price_minor": 9000' in out.output


def test_cli_frontier_report(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "bundles",
            "frontier",
            str(HAND),
            "--sweep",
            "surplus",
            "--points",
            "3",
            "--report",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 0, out.output
    assert (tmp_path / "frontier.png").is_file()


def test_cli_bad_scenario_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAND.read_text(encoding="utf-8").replace("currency: EUR", "currency: QQQ"))
    out = CliRunner().invoke(cli, ["bundles", "optimise", str(bad)])
    assert out.exit_code == 2
    assert "currency" in out.output


def test_cli_infeasible_exits_3() -> None:
    out = CliRunner().invoke(
        cli, ["bundles", "optimise", str(HAND), "--objective", "min_subsidy", "--min-uptake", "0.5"]
    )
    assert out.exit_code == 3
    assert "min_uptake" in out.output


def test_cli_unknown_solver_exits_2_and_api_422() -> None:
    out = CliRunner().invoke(cli, ["bundles", "optimise", str(HAND), "--solver", "HIGHS"])
    assert out.exit_code == 2
    assert "unknown solver" in out.output
    response = TestClient(app).post(
        "/v1/bundles/optimise", json={"scenario": _hand(), "solver": "HIGHS"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_both_solvers_give_the_hand_checked_menu() -> None:
    for solver in ("ENUM", "SCIP"):
        response = TestClient(app).post(
            "/v1/bundles/optimise", json={"scenario": _hand(), "solver": solver}
        )
        body = response.json()
        assert body["solve"]["status"] == "optimal"
        assert body["menu"][0]["price_minor"] == 9000
        assert (solver == "ENUM") == ("exhaustive" in body["solve"]["solver"])
