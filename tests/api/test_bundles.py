"""The bundles HTTP routes and the `maasmix bundles` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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
    assert body["menu"][0]["priceMinor"] == 9000
    assert body["solve"]["status"] == "optimal"


def test_answers_are_camel_case_and_snake_case_fields_are_still_read() -> None:
    client = TestClient(app)
    camel = client.post(
        "/v1/bundles/optimise", json={"scenario": _hand(), "minUptake": 0.0, "timeLimitS": 30}
    ).json()
    snake = client.post(
        "/v1/bundles/optimise", json={"scenario": _hand(), "min_uptake": 0.0, "time_limit_s": 30}
    ).json()
    for answer in (camel, snake):
        answer["solve"].pop("seconds")
    assert camel == snake
    assert {"profitMinor", "userSpendMinor", "csChangeMinor", "maasOperator"} <= set(camel)
    assert "objectiveValue" in camel["solve"] and "cutRounds" in camel["solve"]
    assert {"priceMinor", "subsidyMinor"} <= set(camel["menu"][0])
    assert not [k for k in camel if "_" in k]
    front = client.post(
        "/v1/bundles/frontier", json={"scenario": _hand(), "sweep": "surplus", "points": 2}
    ).json()
    assert {"minSurplusMinor", "profitMinor", "sameAs"} <= set(front["points"][0])
    assert front["points"][0]["menu"][0].keys() == {"bundle", "priceMinor"}
    assert "profitMinor" in front["anchors"]["max_profit"]


def test_bad_scenario_is_422_problem() -> None:
    data = _hand()
    data["modes"]["transit"]["payg"] = "cheap"
    response = TestClient(app).post("/v1/bundles/optimise", json={"scenario": data})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "modes.transit.payg"


@pytest.mark.parametrize("name", ["minUptake", "min_uptake"])
def test_infeasible_is_409_with_conflicts(name: str) -> None:
    response = TestClient(app).post(
        "/v1/bundles/optimise",
        json={"scenario": _hand(), "objective": "min_subsidy", name: 0.5},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["conflicts"] == ["min_uptake"]
    assert response.json()["result"]["feasible"] is False
    assert "profitMinor" in response.json()["result"]


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
        assert body["menu"][0]["priceMinor"] == 9000
        assert (solver == "ENUM") == ("exhaustive" in body["solve"]["solver"])


INTERIOR = example_path("interior_check")


def test_interior_optimum_over_http_and_cli() -> None:
    """The optimum is a middle price of the less inclusive bundle (not hand_check's corner)."""
    data = yaml.safe_load(INTERIOR.read_text(encoding="utf-8"))
    body = TestClient(app).post("/v1/bundles/optimise", json={"scenario": data}).json()
    assert [(m["bundle"], m["priceMinor"]) for m in body["menu"]] == [("Transit", 5000)]
    assert body["profitMinor"] == 96794
    out = CliRunner().invoke(cli, ["bundles", "optimise", str(INTERIOR)])
    assert out.exit_code == 0, out.output
    assert "Transit" in out.output and "50.00 EUR" in out.output and "optimal" in out.output


def test_report_figures_match_the_json(tmp_path: Path) -> None:
    import json

    out = CliRunner().invoke(cli, ["bundles", "optimise", str(INTERIOR), "--report", str(tmp_path)])
    assert out.exit_code == 0, out.output
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))

    def money(minor: int) -> str:
        return f"{minor / 100:,.2f} EUR"

    def cell(minor: int) -> str:  # tables name the currency in their headers
        return f"<td>{minor / 100:,.2f}</td>"

    for key in ("profit_minor", "subsidy_minor", "sales_minor", "user_spend_minor"):
        assert money(data[key]) in html, key
    for m in data["menu"]:
        assert cell(m["price_minor"]) in html and f"{m['subscribers']:,.0f}" in html
    for o in data["operators"]:
        assert cell(o["earnings_minor"] - o["baseline_earnings_minor"]) in html
    assert cell(data["operators"][0]["earnings_minor"]) in html
    assert '<th>price <span class="unit">EUR</span></th>' in html


def test_interrupted_frontier_keeps_its_finished_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os
    import signal

    from maasmix.api.cli import bundles

    real = bundles.frontier

    def frontier_then_ctrl_c(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def tick(i: int, n: int, point: Any) -> None:
            progress(i, n, point)
            if i == 2:  # a signal after the second point, as Ctrl-C would send
                os.kill(os.getpid(), signal.SIGINT)

        return real(*args, progress=tick, **kwargs)

    monkeypatch.setattr(bundles, "frontier", frontier_then_ctrl_c)
    out = CliRunner().invoke(
        cli,
        [
            "bundles",
            "frontier",
            str(INTERIOR),
            "--sweep",
            "surplus",
            "--points",
            "5",
            "--report",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 130, out.output
    data = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert data["interrupted"] is True and data["planned"] == 5
    assert len(data["points"]) == 2
    assert all(p["status"] == "optimal" for p in data["points"])
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Interrupted: 2 of 5 points" in html
    assert (tmp_path / "frontier.png").is_file()


def test_interrupted_optimise_prints_and_writes_its_best_menu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    from maasmix.api.cli import bundles

    real = bundles.optimise

    def ctrl_c_first(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # handled by the command: stop, keep the best
        return real(*args, **kwargs)

    monkeypatch.setattr(bundles, "optimise", ctrl_c_first)
    out = CliRunner().invoke(
        cli, ["bundles", "optimise", str(INTERIOR), "--solver", "BNB", "--report", str(tmp_path)]
    )
    assert out.exit_code == 130, out.output
    assert "interrupted" in out.output
    assert (tmp_path / "result.json").is_file()
