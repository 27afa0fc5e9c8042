"""Every shipped example runs as shipped: ``maasmix bundles optimise pricing/examples/<file>``
from the repository root (the diary example builds the demo files it needs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app as cli
from maasmix.pricing.demand.example import EXAMPLE, FILES, example_inputs
from maasmix.pricing.scenario import example_names, load_scenario

ROOT = Path(__file__).resolve().parents[2]
TYPED = ["demo_city", "hand_check", "interior_check"]
DIARY = ["demo_diary"]


def test_every_example_is_covered() -> None:
    assert sorted(TYPED + DIARY) == example_names()
    assert sorted(p.stem for p in (ROOT / "pricing" / "examples").glob("*.yaml")) == sorted(
        TYPED + DIARY
    )


def _run(name: str, *extra: str) -> str:
    """``maasmix bundles optimise pricing/examples/<name>.yaml`` from the repository root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        out = CliRunner().invoke(
            cli,
            ["bundles", "optimise", f"pricing/examples/{name}.yaml", "--time-limit", "20", *extra],
        )
    assert out.exit_code == 0, out.output
    return out.output


@pytest.mark.parametrize("name", TYPED)
def test_typed_example_runs_as_shipped(name: str) -> None:
    assert ", optimal, " in _run(name)


def test_the_diary_example_builds_its_files_once(tmp_path: Path) -> None:
    copy = example_inputs(ROOT / "pricing" / "examples" / "demo_diary.yaml", str(tmp_path))
    assert copy.parent.parent == tmp_path / "demo-diary"
    assert copy.read_bytes() == EXAMPLE.read_bytes()
    assert all((copy.parent / name).exists() for name in FILES)
    stamp = (copy.parent / "demo_diary.csv").stat().st_mtime_ns
    assert example_inputs(EXAMPLE, str(tmp_path)) == copy
    assert (copy.parent / "demo_diary.csv").stat().st_mtime_ns == stamp
    # a scenario with its files beside it is used where it is
    assert example_inputs(copy, str(tmp_path)) == copy
    assert load_scenario(copy).planning is not None
    # and any other scenario too, files or not
    other = tmp_path / "other.yaml"
    other.write_bytes(EXAMPLE.read_bytes())
    assert example_inputs(other, str(tmp_path)) == other.resolve()


@pytest.mark.slow
def test_the_diary_example_runs_as_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAASMIX_CACHE_DIR", str(tmp_path))
    out = _run("demo_diary", "--workers", "0")
    assert "2,199 diary trips planned once each" in " ".join(out.split())
    assert ", optimal, " in out
    assert not (ROOT / "pricing" / "examples" / "demo_diary.demand").exists()
