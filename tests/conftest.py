"""Shared fixtures: the real-data folder (``MAASMIX_DATA``) and the CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _data_root() -> Path:
    return Path(os.environ.get("MAASMIX_DATA", ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of real datasets. Missing: a skip locally, a failure under CI=true."""
    root = _data_root()
    if not root.is_dir():
        message = f"real data folder not found: {root} (set MAASMIX_DATA)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def dataset(data_dir: Path):  # type: ignore[no-untyped-def]
    """``dataset("gtfs-milan", "milano_small_gtfs.zip")`` -> Path, failing if absent."""

    def _get(*parts: str) -> Path:
        path = data_dir.joinpath(*parts)
        if not path.exists():
            pytest.fail(f"dataset file missing: {path}")
        return path

    return _get
