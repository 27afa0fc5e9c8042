"""The distribution installs one top-level package, `maasmix`, and nothing generic."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_holds_only_the_maasmix_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("maasmix-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"maasmix"}
    for layer in ("feeds", "engine", "pricing", "api"):
        assert f"maasmix/{layer}/__init__.py" in names
    assert "maasmix/feeds/gtfs/__init__.py" in names and "maasmix/py.typed" in names
    assert "maasmix/pricing/schema/scenario.schema.json" in names
    assert not any(name.startswith("maasmix/tests") for name in names)
    licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licence, "LICENSE not shipped"
