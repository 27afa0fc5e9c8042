"""Diary scenarios over HTTP: POST /v1/bundles/demand, optimise deriving first, and the
same derived demand as Python; bad paths and bad diaries are 4xx problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from maasmix.api.app import app
from maasmix.api.schemas.bundles import camel_keys
from maasmix.api.settings import Settings, get_settings
from maasmix.feeds.demo import write_demo_city
from maasmix.feeds.demo.diary import demo_diary_frame
from maasmix.pricing.demand.diaries import derive_demand
from maasmix.pricing.scenario import example_path, validate_scenario
from maasmix.pricing.solve.objectives import optimise

PERSONS = 120


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_demo_city(root / "demo")
    demo_diary_frame(persons=PERSONS).to_csv(root / "demo" / "demo_diary.csv", index=False)
    return root


def _scenario() -> dict[str, Any]:
    """The shipped demo_diary scenario with its files under ``demo/`` of the data folder."""
    data = yaml.safe_load(example_path("demo_diary").read_text(encoding="utf-8"))
    net = data["planning"]["network"]
    net["gtfs"] = [f"demo/{g}" for g in net["gtfs"]]
    net["gbfs"] = [f"demo/{g}" for g in net["gbfs"]]
    net["osm"] = f"demo/{net['osm']}"
    net["date"] = str(net["date"])
    for seg in data["segments"].values():
        seg["diary"] = "demo/demo_diary.csv"
    data["solver"] = {"name": "AUTO", "time_limit_s": 20}
    return data


@pytest.fixture()
def client(data_root: Path, tmp_path: Path) -> Iterator[TestClient]:
    cache = tmp_path / "cache"
    app.dependency_overrides[get_settings] = lambda: Settings(data=data_root, cache_dir=cache)
    yield TestClient(app)
    app.dependency_overrides.clear()


@pytest.mark.slow
def test_demand_over_http_equals_python_and_optimise_derives_first(
    client: TestClient, data_root: Path, tmp_path: Path
) -> None:
    body = {"scenario": _scenario()}
    r = client.post("/v1/bundles/demand", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    python = derive_demand(
        validate_scenario(_scenario()), base_dir=data_root, workers=0, store=False
    )
    assert out["scenario"] == python.scenario.model_dump(mode="json", exclude_none=True)
    assert out["usage"] == camel_keys(python.usage.to_dict(orient="records"))
    assert {"perTraveller", "total"} <= set(out["usage"][0])
    assert {"paygTrips", "change"} <= set(out["modeShift"][0])
    assert {"paygKg", "savedKg"} <= set(out["emissions"][0])
    assert {"tripsPlannedNow", "plansSavedShare"} <= set(out["summary"])
    assert out["summary"]["trips"] == len(demo_diary_frame(persons=PERSONS))
    # a second request reads the server's stored demand instead of planning again
    again = client.post("/v1/bundles/demand", json=body).json()
    assert again["summary"].get("loaded") is True
    assert again["scenario"] == out["scenario"]
    # optimise derives the demand first; same menu as optimising the derived scenario
    r = client.post("/v1/bundles/optimise", json=body)
    assert r.status_code == 200, r.text
    direct = optimise(python.scenario).to_dict()
    got = r.json()
    assert [(m["bundle"], m["priceMinor"]) for m in got["menu"]] == [
        (m["bundle"], m["price_minor"]) for m in direct["menu"]
    ]
    assert got["profitMinor"] == direct["profit_minor"]


def test_paths_outside_the_data_folder_or_urls_are_refused(client: TestClient) -> None:
    bad = _scenario()
    bad["segments"]["commuters"]["diary"] = "../../etc/passwd"
    r = client.post("/v1/bundles/demand", json={"scenario": bad})
    assert r.status_code in (403, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    url = _scenario()
    url["planning"]["network"]["gtfs"] = ["https://example.org/gtfs.zip"]
    r = client.post("/v1/bundles/demand", json={"scenario": url})
    assert r.status_code == 422, r.text
    assert "planning.network.gtfs.0" in r.text


def test_a_bad_diary_is_422_naming_file_row_and_field(client: TestClient, data_root: Path) -> None:
    frame = demo_diary_frame(persons=5)
    frame.loc[3, "origin_lat"] = 95.0
    frame.to_csv(data_root / "demo" / "bad_diary.csv", index=False)
    bad = _scenario()
    for seg in bad["segments"].values():
        seg["diary"] = "demo/bad_diary.csv"
    r = client.post("/v1/bundles/demand", json={"scenario": bad})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["row"] == 5 and problem["field"] == "origin_lat"
    assert "bad_diary.csv" in problem["file"]
    # a diary scenario without planning: the optimiser says the diary must be planned
    plain = _scenario()
    plain.pop("planning")
    r = client.post("/v1/bundles/optimise", json={"scenario": plain})
    assert r.status_code == 422 and "planning" in r.text
