"""Absurd scenario and bundle files (YAML, JSON as YAML): each is a `ScenarioError` naming
the file, refused in well under 2 s, never a traceback; over HTTP a 4xx."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import app
from maasmix.errors import ScenarioError, ScenarioMissingError
from maasmix.pricing.scenario import load_scenario, parse_scenario
from maasmix.pricing.scenario.bundle_file import load_bundle_file
from maasmix.pricing.scenario.reading import (
    EXAMPLES,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_EVENTS,
    bounded_yaml,
)

HOSTILE = [
    ("[" * 200_000 + "]" * 200_000, f"nested more than {MAX_YAML_DEPTH} levels"),
    ("{a: " * 50_000 + "1" + "}" * 50_000, f"nested more than {MAX_YAML_DEPTH} levels"),
    ("- " * 100_000 + "x\n", f"nested more than {MAX_YAML_DEPTH} levels"),
    ("".join(" " * i + "a:\n" for i in range(70)) + " " * 70 + "x\n", "levels deep"),
    ("a: &x [1, 2]\nb: *x\n", "aliases"),
    ("[" + "1," * (MAX_YAML_EVENTS + 10) + "1]", f"more than {MAX_YAML_EVENTS} YAML items"),
    ("# " + "x" * MAX_YAML_BYTES + "\n", f"larger than {MAX_YAML_BYTES} bytes"),
    ("a: " + "9" * 5000 + "\n", "invalid YAML value"),
    ("a: 2020-02-30\n", "invalid YAML value"),
    ("a: !!python/object/apply:os.system [id]\n", "invalid YAML"),
    ("? [a, b]\n: 1\n", "invalid YAML"),
    ("a: [1, 2\n", "invalid YAML"),
    ("a: !!binary 'A'\n", "invalid YAML"),
    ("--- 1\n--- 2\n", "invalid YAML"),
]


@pytest.mark.parametrize(("text", "words"), HOSTILE, ids=range(len(HOSTILE)))
def test_scenario_yaml_beyond_reason(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert time.monotonic() - started < 2.0
    assert words in str(err.value), str(err.value)
    assert err.value.file == str(path)


@pytest.mark.parametrize(("text", "words"), HOSTILE, ids=range(len(HOSTILE)))
def test_bundle_yaml_beyond_reason(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ScenarioError) as err:
        load_bundle_file(path)
    assert time.monotonic() - started < 2.0
    assert words in str(err.value), str(err.value)
    assert err.value.file == str(path)


def test_lines_are_named_where_the_parser_knows_them(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario("name: x\nmodes:\n  a: *missing\n", file="s.yaml")
    assert (err.value.file, err.value.row) == ("s.yaml", 3)


def test_depth_at_the_bound_is_read(tmp_path: Path) -> None:
    deep = "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH
    data, root = bounded_yaml(deep, file="d.yaml")
    depth = 0
    while data:
        data, depth = data[0], depth + 1
    assert depth == MAX_YAML_DEPTH - 1 and data == [] and root is not None
    with pytest.raises(ScenarioError, match="levels deep"):
        bounded_yaml("[" + deep + "]", file="d.yaml")


def test_not_utf8_fifo_and_folder(tmp_path: Path) -> None:
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError, match="not UTF-8 text \\(byte 9\\)"):
        load_scenario(bad)
    import os

    os.mkfifo(tmp_path / "pipe.yaml")
    for path in (tmp_path / "pipe.yaml", tmp_path):
        with pytest.raises(ScenarioMissingError):
            load_scenario(path)
        with pytest.raises(ScenarioMissingError):
            load_bundle_file(path)


def test_examples_still_read() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert load_scenario(path).name


@pytest.mark.parametrize(("text", "words"), HOSTILE[:5], ids=range(5))
def test_plan_bundle_scenario_file_is_422(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, words: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "s.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("MAASMIX_DATA", str(data))
    monkeypatch.setenv("MAASMIX_CACHE_DIR", str(tmp_path / "cache"))
    params = {
        "from": "37.80,-122.27",
        "to": "37.79,-122.40",
        "bundleScenario": "s.yaml",
        "bundleName": "x",
    }
    response = TestClient(app).get("/v1/plan", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert words in body["detail"] and body["file"] == "s.yaml", body
    assert str(tmp_path) not in response.text
