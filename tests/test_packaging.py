"""The distribution installs one top-level package, `maasmix`, and nothing generic."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_holds_only_the_maasmix_namespace(tmp_path: Path) -> None:
    # build from the tracked files alone, as a fresh clone would (no stale build/ folder)
    source = tmp_path / "src"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("maasmix-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"maasmix"}
    for layer in ("feeds", "engine", "pricing", "api"):
        assert f"maasmix/{layer}/__init__.py" in names
    assert "maasmix/feeds/gtfs/__init__.py" in names and "maasmix/py.typed" in names
    assert "maasmix/pricing/schema/scenario.schema.json" in names
    assert "maasmix/pricing/examples/demo_city.yaml" in names
    assert "maasmix/pricing/report/templates/report.html" in names
    assert "maasmix/emission_factors.yaml" in names
    assert not any(name.startswith("maasmix/tests") for name in names)
    licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licence, "LICENSE not shipped"
